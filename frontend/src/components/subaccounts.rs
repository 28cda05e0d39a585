//! The subaccounts pane: the subaccount selector that scopes the ticket, open orders and
//! positions; create a subaccount; every subaccount's balance; transfers between them,
//! and the recent transfers.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::groups::{SubaccountBalanceView, TransferTicket};
use shared::num::Dollars;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::components::ticket::subaccount_label;
use crate::state::{use_account, use_toasts};

/// Reads a transfer as typed (subaccount numbers and a dollar amount).
///
/// # Errors
/// A plain sentence.
pub fn parse_transfer(from: &str, to: &str, amount: &str) -> Result<TransferTicket, String> {
    let num = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| "choose the subaccounts to move money between".to_owned())
    };
    let amount: Dollars = amount
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| "the amount must be in dollars, e.g. 25.00".to_owned())?;
    let ticket = TransferTicket {
        from: num(from)?,
        to: num(to)?,
        amount,
    };
    ticket.cents()?;
    Ok(ticket)
}

/// The subaccounts pane.
#[component]
pub fn Subaccounts() -> impl IntoView {
    let account = use_account();
    let toasts = use_toasts();
    let balances = RwSignal::new(Vec::<SubaccountBalanceView>::new());
    let loaded = LocalResource::new(move || {
        account.groups_reload.track();
        account.reloads.track();
        api::subaccounts()
    });
    Effect::new(move |_| {
        if let Some(Ok(list)) = loaded.get() {
            balances.set(list);
        }
    });
    let transfers = LocalResource::new(move || {
        balances.track();
        api::transfers()
    });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let from = RwSignal::new("0".to_owned());
    let to = RwSignal::new("1".to_owned());
    let amount = RwSignal::new(String::new());

    let create = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api::create_subaccount().await {
                Ok(c) => {
                    toasts.toast("info", format!("Created subaccount {}", c.subaccount));
                    if let Ok(list) = api::subaccounts().await {
                        balances.set(list);
                    }
                }
                Err(e) => error.set(Some(format!("Create failed: {e}"))),
            }
            busy.set(false);
        });
    };
    let transfer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ticket = match parse_transfer(
            &from.get_untracked(),
            &to.get_untracked(),
            &amount.get_untracked(),
        ) {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::transfer(&ticket).await {
                Ok(list) => {
                    balances.set(list);
                    amount.set(String::new());
                    account.reload();
                }
                Err(e) => error.set(Some(format!("Transfer failed: {e}"))),
            }
            busy.set(false);
        });
    };
    let options = move || {
        balances
            .get()
            .into_iter()
            .map(|b| (b.subaccount.to_string(), subaccount_label(b.subaccount)))
            .collect::<Vec<_>>()
    };
    let select_options = move |current: RwSignal<String>| {
        view! {
            <For each=options key=|item| item.0.clone() let:item>
                {
                    let (value, label) = item;
                    let v = value.clone();
                    view! { <option value=value selected=move || current.get() == v>{label}</option> }
                }
            </For>
        }
    };

    let is_admin = crate::auth::is_admin();
    view! {
        <div class="subaccounts-pane">
            <div class="pane-head">
                <span class="pane-title">"Subaccounts"</span>
                <label for="subaccount-select" class="muted">"Trading in"</label>
                <select
                    id="subaccount-select"
                    data-testid="subaccount-select"
                    prop:value=move || account.subaccount.get().to_string()
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        if let Ok(n) = v.parse::<u32>() {
                            account.set_subaccount(n);
                        }
                    }
                >
                    <For each=options key=|item| item.0.clone() let:item>
                        {
                            let (value, label) = item;
                            let v = value.clone();
                            view! { <option value=value selected=move || account.subaccount.get().to_string() == v>{label}</option> }
                        }
                    </For>
                </select>
                <div class="spacer"></div>
                <Show when=move || is_admin.get()>
                <button class="btn btn-ghost btn-small" data-testid="subaccount-create" disabled=move || busy.get() on:click=create>
                    "New subaccount"
                </button>
                </Show>
            </div>
            <LoadStatus resource=loaded what="subaccounts"/>
            <table class="grid" data-testid="subaccount-balances">
                <thead>
                    <tr><th>"Subaccount"</th><th class="num">"Balance $"</th></tr>
                </thead>
                <tbody>
                    <For each=move || balances.get() key=|b| (b.subaccount, b.balance) let:b>
                        <tr
                            data-testid="subaccount-balance"
                            data-subaccount=b.subaccount.to_string()
                            class:current=move || account.subaccount.get() == b.subaccount
                        >
                            <td>{subaccount_label(b.subaccount)}</td>
                            <td class="num money" data-testid="subaccount-balance-value">{b.balance.to_string()}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=move || is_admin.get()>
            <form class="inline-form transfer-form" on:submit=transfer novalidate=true>
                <label for="transfer-from" class="muted">"Move"</label>
                <input
                    id="transfer-amount"
                    data-testid="transfer-amount"
                    class="small-input"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="$"
                    prop:value=move || amount.get()
                    on:input=move |ev| amount.set(event_target_value(&ev))
                />
                <label for="transfer-from" class="muted">"from"</label>
                <select
                    id="transfer-from"
                    data-testid="transfer-from"
                    prop:value=move || from.get()
                    on:change=move |ev| from.set(event_target::<web_sys::HtmlSelectElement>(&ev).value())
                >
                    {select_options(from)}
                </select>
                <label for="transfer-to" class="muted">"to"</label>
                <select
                    id="transfer-to"
                    data-testid="transfer-to"
                    prop:value=move || to.get()
                    on:change=move |ev| to.set(event_target::<web_sys::HtmlSelectElement>(&ev).value())
                >
                    {select_options(to)}
                </select>
                <button class="btn btn-small" type="submit" data-testid="transfer-submit" disabled=move || busy.get()>
                    "Transfer"
                </button>
            </form>
            </Show>
            <Show when=move || error.get().is_some()>
                <div class="form-error" data-testid="subaccount-error">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <div class="transfers" data-testid="transfers">
                {move || {
                    transfers
                        .get()
                        .and_then(Result::ok)
                        .unwrap_or_default()
                        .into_iter()
                        .take(5)
                        .map(|t| {
                            view! {
                                <div class="transfer-row muted" data-testid="transfer-row">
                                    {format!("${} · {} → {}", t.amount, subaccount_label(t.from), subaccount_label(t.to))}
                                </div>
                            }
                        })
                        .collect_view()
                }}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_read_plainly() {
        let t = parse_transfer("0", "1", "$25.50").unwrap();
        assert_eq!((t.from, t.to, t.cents()), (0, 1, Ok(2_550)));
        assert_eq!(
            parse_transfer("1", "1", "5").unwrap_err(),
            "choose two different subaccounts"
        );
        assert!(parse_transfer("0", "1", "lots")
            .unwrap_err()
            .contains("dollars"));
        assert_eq!(
            parse_transfer("0", "1", "0.001").unwrap_err(),
            "amount must be whole cents"
        );
    }
}
