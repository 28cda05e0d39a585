//! Open (resting) orders: seeded by `GET /api/orders`, kept live by `order` frames.
//!
//! Each row cancels (`DELETE /api/orders/{id}`), and edits inline: amend price and resting
//! count (`POST …/amend`, a new price or a larger count loses queue priority) or decrease
//! (`POST …/decrease`, keeps it). Checkboxes select rows for "cancel selected"
//! (`POST /api/orders/cancel`); "cancel all" clears the account or the open market
//! (`DELETE /api/orders`). The queue column (contracts ahead at the order's price) is
//! refreshed from `GET /api/orders/queue_positions` on every order change and every few
//! seconds.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::OrderId;
use shared::num::{Count, Dollars};
use shared::protocol::{AmendTicket, CancelledOrders, DecreaseTicket, OrderView};
use shared::rest::OrderStatus;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::state::{use_account, use_market, use_toasts, Account, Toasts};

/// How often queue positions are refreshed while orders rest.
const QUEUE_REFRESH: Duration = Duration::from_secs(2);

fn status_text(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Resting => "resting",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Executed => "executed",
        OrderStatus::Pending => "pending",
        OrderStatus::Other => "other",
    }
}

/// Checks an inline amend: new price (the order's side) and resting count. `Err` is a
/// readable reason.
pub fn validate_amend(
    order: &OrderView,
    price_text: &str,
    count_text: &str,
) -> Result<AmendTicket, String> {
    let price_text = price_text.trim().trim_start_matches('$');
    let price: Dollars = price_text
        .parse()
        .map_err(|_| format!("price must be a dollar amount like 0.45, not {price_text:?}"))?;
    if !price.is_valid_price() {
        return Err("price must be strictly between $0 and $1".to_owned());
    }
    let count_text = count_text.trim();
    let remaining: Count = count_text
        .parse()
        .map_err(|_| format!("count must be a number of contracts like 10, not {count_text:?}"))?;
    if remaining.raw() <= 0 {
        return Err("count must be greater than 0 (use Cancel to remove the order)".to_owned());
    }
    if price == order.price && remaining == order.remaining {
        return Err("change the price or the count first".to_owned());
    }
    Ok(AmendTicket { price, remaining })
}

/// Checks an inline decrease: contracts to take off, fewer than rest.
pub fn validate_decrease(order: &OrderView, by_text: &str) -> Result<DecreaseTicket, String> {
    let by_text = by_text.trim();
    let by: Count = by_text
        .parse()
        .map_err(|_| format!("decrease by a number of contracts like 2, not {by_text:?}"))?;
    if by.raw() <= 0 {
        return Err("decrease by more than 0".to_owned());
    }
    if by >= order.remaining {
        return Err(format!(
            "decrease by less than the {} resting, or cancel the order",
            order.remaining
        ));
    }
    Ok(DecreaseTicket {
        reduce_by: Some(by),
        reduce_to: None,
    })
}

/// Cancels one order; on success drops it at once (the `order` frame will agree).
fn cancel(account: Account, toasts: Toasts, id: OrderId, subaccount: u32, busy: RwSignal<bool>) {
    busy.set(true);
    spawn_local(async move {
        match api::cancel_order(&id, subaccount).await {
            Ok(()) => account.forget_order(&id),
            Err(e) => toasts.toast("reject", format!("Cancel failed: {e}")),
        }
        busy.set(false);
    });
}

/// Drops what a batch cancelled and says what it could not.
fn after_batch(account: Account, toasts: Toasts, out: CancelledOrders) {
    for id in &out.cancelled {
        account.forget_order(id);
    }
    for f in out.failed {
        toasts.toast(
            "reject",
            format!("Cancel {} failed: {}", f.order_id, f.message),
        );
    }
}

/// The open-orders table.
#[component]
pub fn OpenOrders() -> impl IntoView {
    let data = use_market();
    let account = use_account();
    let toasts = use_toasts();
    let can_trade = crate::auth::can_trade();
    let loaded = LocalResource::new(move || {
        account.reloads.track();
        api::orders(account.subaccount.get())
    });
    Effect::new(move |_| {
        if let Some(Ok(orders)) = loaded.get() {
            account.orders.set(
                orders
                    .into_iter()
                    .filter(|o| o.status == OrderStatus::Resting)
                    .collect(),
            );
        }
    });
    let selected = RwSignal::new(HashSet::<OrderId>::new());
    let queue = RwSignal::new(HashMap::<OrderId, Count>::new());
    let refresh_queue = move || {
        spawn_local(async move {
            let sub = account.subaccount.get_untracked();
            if let Ok(list) = api::queue_positions(sub).await {
                queue.set(list.into_iter().map(|q| (q.order_id, q.ahead)).collect());
            }
        });
    };
    // Every order change: prune the selection, refresh queue positions.
    Effect::new(move |_| {
        let ids: HashSet<OrderId> = account
            .orders
            .with(|o| o.iter().map(|o| o.order_id.clone()).collect());
        if selected.with_untracked(|s| s.iter().any(|id| !ids.contains(id))) {
            selected.update(|s| s.retain(|id| ids.contains(id)));
        }
        if !ids.is_empty() {
            refresh_queue();
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !account.orders.with_untracked(Vec::is_empty) {
                refresh_queue();
            }
        },
        QUEUE_REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }

    let in_open_market = move || {
        let open = data.selected.get();
        account
            .orders
            .with(|o| o.iter().any(|o| Some(&o.market_ticker) == open.as_ref()))
    };
    let busy = RwSignal::new(false);
    let cancel_selected = move |_| {
        let ids: Vec<OrderId> = selected.with_untracked(|s| s.iter().cloned().collect());
        if ids.is_empty() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::cancel_orders(ids, account.subaccount.get_untracked()).await {
                Ok(out) => {
                    selected.update(|s| s.clear());
                    after_batch(account, toasts, out);
                }
                Err(e) => toasts.toast("reject", format!("Cancel selected failed: {e}")),
            }
            busy.set(false);
        });
    };
    let cancel_all = move |market_only: bool| {
        let market = if market_only {
            data.selected.get_untracked()
        } else {
            None
        };
        busy.set(true);
        spawn_local(async move {
            match api::cancel_all(market.as_ref(), account.subaccount.get_untracked()).await {
                Ok(out) => {
                    if market.is_none() {
                        account.orders.set(Vec::new());
                    }
                    after_batch(account, toasts, out);
                    account.reload();
                }
                Err(e) => toasts.toast("reject", format!("Cancel all failed: {e}")),
            }
            busy.set(false);
        });
    };
    let all_selected = move || {
        let n = account.orders.with(Vec::len);
        n > 0 && selected.with(HashSet::len) == n
    };
    let toggle_all = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        selected.set(if on {
            account
                .orders
                .with_untracked(|o| o.iter().map(|o| o.order_id.clone()).collect())
        } else {
            HashSet::new()
        });
    };

    view! {
        <div class="orders-pane">
            <div class="pane-head">
                <span class="pane-title">"Open orders"</span>
                <span class="muted">{move || account.orders.with(Vec::len)}</span>
                <div class="spacer"></div>
                <crate::components::portfolio::CsvLink what="orders"/>
                <Show when=move || can_trade.get()>
                <button
                    class="btn btn-ghost btn-small"
                    data-testid="cancel-selected"
                    disabled=move || selected.with(HashSet::is_empty) || busy.get()
                    on:click=cancel_selected
                >
                    {move || format!("Cancel selected ({})", selected.with(HashSet::len))}
                </button>
                <button
                    class="btn btn-ghost btn-small"
                    data-testid="cancel-all-market"
                    disabled=move || !in_open_market() || busy.get()
                    on:click=move |_| cancel_all(true)
                >
                    "Cancel all (this market)"
                </button>
                <button
                    class="btn btn-ghost btn-small"
                    data-testid="cancel-all"
                    disabled=move || account.orders.with(Vec::is_empty) || busy.get()
                    on:click=move |_| cancel_all(false)
                >
                    "Cancel all"
                </button>
                </Show>
            </div>
            <LoadStatus resource=loaded what="orders"/>
            <table class="grid" data-testid="open-orders">
                <thead>
                    <tr>
                        <th>
                            <input
                                type="checkbox"
                                data-testid="select-all-orders"
                                title="Select all"
                                prop:checked=all_selected
                                on:change=toggle_all
                            />
                        </th>
                        <th>"Market"</th>
                        <th>"Side"</th>
                        <th class="num">"Price"</th>
                        <th class="num">"Remaining"</th>
                        <th class="num">"Filled"</th>
                        <th class="num" title="Contracts ahead of the order at its price">"Queue"</th>
                        <th>"Status"</th>
                        <th title="The desk user who placed it">"By"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || account.orders.get() key=|o| (o.order_id.clone(), o.remaining, o.filled, o.price) let:order>
                        <OrderRow order=order selected=selected queue=queue/>
                    </For>
                </tbody>
            </table>
            <Show when=move || account.orders.with(Vec::is_empty)>
                <div class="empty">"No resting orders."</div>
            </Show>
        </div>
    }
}

#[component]
fn OrderRow(
    order: OrderView,
    selected: RwSignal<HashSet<OrderId>>,
    queue: RwSignal<HashMap<OrderId, Count>>,
) -> impl IntoView {
    let data = use_market();
    let account = use_account();
    let toasts = use_toasts();
    let busy = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let edit_error = RwSignal::new(None::<String>);
    let edit_price = RwSignal::new(order.price.to_string());
    let edit_count = RwSignal::new(order.remaining.to_string());
    let decrease_by = RwSignal::new(String::new());
    let id = order.order_id.clone();
    let ticker = order.market_ticker.clone();
    let on_open_market = move || data.selected.with(|s| s.as_ref() == Some(&ticker));
    let select = {
        let ticker = order.market_ticker.clone();
        move |_| data.select(ticker.clone())
    };
    let is_selected = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let toggle = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            selected.update(|s| {
                if on {
                    s.insert(id.clone());
                } else {
                    s.remove(&id);
                }
            });
        }
    };
    let ahead = {
        let id = id.clone();
        move || {
            queue.with(|q| {
                q.get(&id)
                    .map_or_else(|| "–".to_owned(), ToString::to_string)
            })
        }
    };
    let amend = {
        let order = order.clone();
        move |_| {
            let ticket = match validate_amend(
                &order,
                &edit_price.get_untracked(),
                &edit_count.get_untracked(),
            ) {
                Ok(t) => t,
                Err(e) => {
                    edit_error.set(Some(e));
                    return;
                }
            };
            edit_error.set(None);
            busy.set(true);
            let id = order.order_id.clone();
            spawn_local(async move {
                match api::amend_order(&id, &ticket).await {
                    Ok(view) => {
                        editing.set(false);
                        account.apply_order(view);
                    }
                    Err(e) => edit_error.set(Some(format!("Amend rejected: {e}"))),
                }
                busy.set(false);
            });
        }
    };
    let decrease = {
        let order = order.clone();
        move |_| {
            let ticket = match validate_decrease(&order, &decrease_by.get_untracked()) {
                Ok(t) => t,
                Err(e) => {
                    edit_error.set(Some(e));
                    return;
                }
            };
            edit_error.set(None);
            busy.set(true);
            let id = order.order_id.clone();
            let sub = order.subaccount;
            spawn_local(async move {
                match api::decrease_order(&id, sub, &ticket).await {
                    Ok(()) => editing.set(false),
                    Err(e) => edit_error.set(Some(format!("Decrease rejected: {e}"))),
                }
                busy.set(false);
            });
        }
    };
    let cancel_id = StoredValue::new(id.clone());
    let order_sub = order.subaccount;
    let can_trade = crate::auth::can_trade();
    view! {
        <tr
            class=format!("side-{}", order.side.as_str())
            class:current=on_open_market
            class:editing=move || editing.get()
            data-testid="open-order"
            data-order-id=order.order_id.to_string()
            data-price=order.price.to_string()
            data-remaining=order.remaining.to_string()
            data-side=order.side.as_str()
            data-market=order.market_ticker.to_string()
        >
            <td>
                <input
                    type="checkbox"
                    data-testid="select-order"
                    prop:checked=is_selected
                    on:change=toggle
                />
            </td>
            <td class="link" on:click=select>{order.market_ticker.to_string()}</td>
            <td class="side">{order.side.as_str().to_uppercase()}</td>
            <td class="num">{move || crate::format::price(order.price)}</td>
            <td class="num">{order.remaining.to_string()}</td>
            <td class="num">{order.filled.to_string()}</td>
            <td class="num" data-testid="queue-position">{ahead}</td>
            <td>{status_text(order.status)}</td>
            <td class="muted" data-testid="order-owner">{order.owner.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td class="row-actions">
                <Show when=move || can_trade.get()>
                <button
                    class="btn btn-ghost btn-small"
                    data-testid="amend-order"
                    disabled=move || busy.get()
                    on:click=move |_| {
                        edit_error.set(None);
                        editing.update(|e| *e = !*e);
                    }
                >
                    "Edit"
                </button>
                <button
                    class="btn btn-cancel btn-small"
                    data-testid="cancel-order"
                    disabled=move || busy.get()
                    on:click=move |_| cancel(account, toasts, cancel_id.get_value(), order_sub, busy)
                >
                    {move || if busy.get() { "…" } else { "Cancel" }}
                </button>
                </Show>
            </td>
        </tr>
        <Show when=move || editing.get()>
            <tr class="amend-row" data-testid="amend-row">
                <td colspan="9">
                    <span class="amend-field">
                        "Price $"
                        <input
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            data-testid="amend-price"
                            prop:value=move || edit_price.get()
                            on:input=move |ev| edit_price.set(event_target_value(&ev))
                        />
                    </span>
                    <span class="amend-field">
                        "Count"
                        <input
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            data-testid="amend-count"
                            prop:value=move || edit_count.get()
                            on:input=move |ev| edit_count.set(event_target_value(&ev))
                        />
                    </span>
                    <button
                        class="btn btn-small"
                        data-testid="amend-submit"
                        disabled=move || busy.get()
                        on:click=amend.clone()
                    >
                        "Amend"
                    </button>
                    <span class="amend-field">
                        "Decrease by"
                        <input
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            placeholder="2"
                            data-testid="decrease-count"
                            prop:value=move || decrease_by.get()
                            on:input=move |ev| decrease_by.set(event_target_value(&ev))
                        />
                    </span>
                    <button
                        class="btn btn-small"
                        data-testid="decrease-submit"
                        disabled=move || busy.get()
                        on:click=decrease.clone()
                    >
                        "Decrease"
                    </button>
                    <span class="amend-error" data-testid="amend-error" role="alert">
                        {move || edit_error.get().unwrap_or_default()}
                    </span>
                </td>
            </tr>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::Side;

    fn order() -> OrderView {
        OrderView {
            order_id: OrderId("o-1".into()),
            client_order_id: None,
            market_ticker: "T".into(),
            side: Side::Yes,
            price: "0.40".parse().unwrap(),
            yes_price: "0.40".parse().unwrap(),
            remaining: Count::from_int(5),
            filled: Count::ZERO,
            status: OrderStatus::Resting,
            order_group_id: None,
            subaccount: 0,
            owner: None,
            update_reason: None,
        }
    }

    #[test]
    fn amend_and_decrease_checks_read_plainly() {
        let o = order();
        let ok = validate_amend(&o, "$0.42", "5").unwrap();
        assert_eq!(
            (ok.price, ok.remaining),
            ("0.42".parse().unwrap(), Count::from_int(5))
        );
        let table: &[(&str, &str, &str)] = &[
            ("0.40", "5", "change the price or the count first"),
            ("1.2", "5", "price must be strictly between $0 and $1"),
            (
                "0.42",
                "0",
                "count must be greater than 0 (use Cancel to remove the order)",
            ),
            (
                "x",
                "5",
                "price must be a dollar amount like 0.45, not \"x\"",
            ),
        ];
        for (price, count, want) in table {
            assert_eq!(validate_amend(&o, price, count).unwrap_err(), *want);
        }
        assert_eq!(
            validate_decrease(&o, "2").unwrap().reduce_by,
            Some(Count::from_int(2))
        );
        assert_eq!(
            validate_decrease(&o, "5").unwrap_err(),
            "decrease by less than the 5.00 resting, or cancel the order"
        );
        assert_eq!(
            validate_decrease(&o, "0").unwrap_err(),
            "decrease by more than 0"
        );
    }
}
