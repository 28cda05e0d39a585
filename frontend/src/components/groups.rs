//! The order-groups pane: create a group with a contracts limit in the selected
//! subaccount, and for each group (live through `order_group` frames) its limit and state
//! (armed / triggered), with trigger, reset, change limit and delete. The ticket's group
//! selector lists the same groups.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::groups::{is_valid_group_limit, GroupLimit, NewOrderGroup, OrderGroupView};
use shared::num::Count;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::state::{short_id, use_account, use_toasts, Toasts};

/// Reads a limit as typed: a whole number of contracts, 1 to 1,000,000.
///
/// # Errors
/// A plain sentence.
pub fn parse_limit(text: &str) -> Result<Count, String> {
    let limit: Count = text
        .trim()
        .parse()
        .map_err(|_| "the limit must be a number of contracts".to_owned())?;
    if is_valid_group_limit(limit) {
        Ok(limit)
    } else {
        Err("the limit must be a whole number of contracts, 1 to 1,000,000".to_owned())
    }
}

fn report(toasts: Toasts, what: &'static str, r: api::Result<()>) {
    if let Err(e) = r {
        toasts.toast("reject", format!("{what} failed: {e}"));
    }
}

/// The order-groups pane.
#[component]
pub fn OrderGroups() -> impl IntoView {
    let account = use_account();
    let loaded = LocalResource::new(move || {
        account.groups_reload.track();
        api::order_groups(account.subaccount.get())
    });
    Effect::new(move |_| {
        if let Some(Ok(groups)) = loaded.get() {
            let sub = account.subaccount.get_untracked();
            account
                .order_groups
                .set(groups.into_iter().filter(|g| g.subaccount == sub).collect());
        }
    });
    let limit = RwSignal::new("10".to_owned());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let contracts_limit = match parse_limit(&limit.get_untracked()) {
            Ok(l) => l,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        error.set(None);
        busy.set(true);
        let subaccount = Some(account.subaccount.get_untracked());
        spawn_local(async move {
            let new = NewOrderGroup {
                contracts_limit,
                subaccount,
            };
            match api::create_order_group(&new).await {
                Ok(g) => account.order_groups.update(|gs| {
                    if gs.iter().all(|x| x.order_group_id != g.order_group_id) {
                        gs.push(g);
                    }
                }),
                Err(e) => error.set(Some(format!("Create failed: {e}"))),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="groups-pane">
            <div class="pane-head">
                <span class="pane-title">"Order groups"</span>
                <span class="muted">{move || account.order_groups.with(Vec::len)}</span>
                <div class="spacer"></div>
                <form class="inline-form" on:submit=create novalidate=true>
                    <label for="group-limit" class="muted">"Limit"</label>
                    <input
                        id="group-limit"
                        data-testid="group-limit"
                        class="small-input"
                        type="text"
                        inputmode="numeric"
                        autocomplete="off"
                        prop:value=move || limit.get()
                        on:input=move |ev| limit.set(event_target_value(&ev))
                    />
                    <button class="btn btn-small" type="submit" data-testid="group-create" disabled=move || busy.get()>
                        "Create group"
                    </button>
                </form>
            </div>
            <Show when=move || error.get().is_some()>
                <div class="form-error" data-testid="group-error">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <LoadStatus resource=loaded what="order groups"/>
            <table class="grid" data-testid="order-groups">
                <thead>
                    <tr>
                        <th>"Group"</th>
                        <th class="num" title="Contracts it may match in 15 s">"Limit"</th>
                        <th>"State"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || account.order_groups.get()
                        key=|g| (g.order_group_id.clone(), g.triggered, g.contracts_limit)
                        let:group
                    >
                        <GroupRow group=group/>
                    </For>
                </tbody>
            </table>
            <Show when=move || account.order_groups.with(Vec::is_empty)>
                <div class="empty">"No order groups in this subaccount."</div>
            </Show>
        </div>
    }
}

#[component]
fn GroupRow(group: OrderGroupView) -> impl IntoView {
    let toasts = use_toasts();
    let busy = RwSignal::new(false);
    let new_limit = RwSignal::new(group.contracts_limit.to_string());
    let id = group.order_group_id.clone();
    let sub = group.subaccount;
    let state = if group.triggered {
        "triggered"
    } else {
        "armed"
    };
    let act = move |action: &'static str| {
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let r = match action {
                "delete" => api::delete_order_group(&id, sub).await,
                other => api::order_group_action(&id, other, sub).await,
            };
            report(toasts, "Order group change", r);
            busy.set(false);
        });
    };
    let (a1, a2, a3) = (act.clone(), act.clone(), act);
    let id_for_limit = group.order_group_id.clone();
    let set_limit = move |_| {
        let contracts_limit = match parse_limit(&new_limit.get_untracked()) {
            Ok(l) => l,
            Err(e) => {
                toasts.toast("reject", e);
                return;
            }
        };
        let id = id_for_limit.clone();
        busy.set(true);
        spawn_local(async move {
            let r = api::set_group_limit(&id, sub, &GroupLimit { contracts_limit }).await;
            report(toasts, "Limit change", r);
            busy.set(false);
        });
    };
    view! {
        <tr
            class=format!("group-{state}")
            data-testid="order-group"
            data-group-id=group.order_group_id.clone()
            data-state=state
        >
            <td class="mono" title=group.order_group_id.clone()>{short_id(&group.order_group_id).to_owned()}</td>
            <td class="num">{group.contracts_limit.to_string()}</td>
            <td data-testid="group-state">{state}</td>
            <td class="row-actions">
                <input
                    class="small-input"
                    data-testid="group-new-limit"
                    type="text"
                    inputmode="numeric"
                    prop:value=move || new_limit.get()
                    on:input=move |ev| new_limit.set(event_target_value(&ev))
                />
                <button class="btn btn-ghost btn-small" data-testid="group-set-limit" disabled=move || busy.get() on:click=set_limit>"Set limit"</button>
                <button class="btn btn-ghost btn-small" data-testid="group-trigger" disabled=move || busy.get() || group.triggered on:click=move |_| a1("trigger")>"Trigger"</button>
                <button class="btn btn-ghost btn-small" data-testid="group-reset" disabled=move || busy.get() on:click=move |_| a2("reset")>"Reset"</button>
                <button class="btn btn-ghost btn-small" data-testid="group-delete" disabled=move || busy.get() on:click=move |_| a3("delete")>"Delete"</button>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_plainly() {
        assert_eq!(parse_limit(" 10 "), Ok(Count::from_int(10)));
        assert!(parse_limit("abc")
            .unwrap_err()
            .contains("number of contracts"));
        assert!(parse_limit("2.5").unwrap_err().contains("whole number"));
        assert!(parse_limit("0").unwrap_err().contains("whole number"));
    }
}
