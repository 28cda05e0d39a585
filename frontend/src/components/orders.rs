//! Open (resting) orders: seeded by `GET /api/orders`, kept live by `order` frames; each
//! row cancels with `DELETE /api/orders/{id}`; "cancel all" clears the open market.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::OrderId;
use shared::protocol::OrderView;
use shared::rest::OrderStatus;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::state::{use_desk, DeskState};

fn status_text(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Resting => "resting",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Executed => "executed",
        OrderStatus::Pending => "pending",
        OrderStatus::Other => "other",
    }
}

/// Cancels one order; on success drops it at once (the `order` frame will agree).
fn cancel(desk: DeskState, id: OrderId, busy: RwSignal<bool>) {
    busy.set(true);
    spawn_local(async move {
        match api::cancel_order(&id).await {
            Ok(()) => desk.forget_order(&id),
            Err(e) => desk.toast("reject", format!("Cancel failed: {e}")),
        }
        busy.set(false);
    });
}

/// The open-orders table.
#[component]
pub fn OpenOrders() -> impl IntoView {
    let desk = use_desk();
    let loaded = LocalResource::new(move || {
        desk.account_reload.track();
        api::orders()
    });
    Effect::new(move |_| {
        if let Some(Ok(orders)) = loaded.get() {
            desk.orders.set(
                orders
                    .into_iter()
                    .filter(|o| o.status == OrderStatus::Resting)
                    .collect(),
            );
        }
    });
    let in_open_market = move || {
        let open = desk.selected.get();
        desk.orders.with(|o| {
            o.iter()
                .filter(|o| Some(&o.market_ticker) == open.as_ref())
                .map(|o| o.order_id.clone())
                .collect::<Vec<_>>()
        })
    };
    let cancel_all_busy = RwSignal::new(false);
    let cancel_all = move |_| {
        for id in in_open_market() {
            cancel(desk, id, cancel_all_busy);
        }
    };

    view! {
        <div class="orders-pane">
            <div class="pane-head">
                <span class="pane-title">"Open orders"</span>
                <span class="muted">{move || desk.orders.with(Vec::len)}</span>
                <div class="spacer"></div>
                <button
                    class="btn btn-ghost btn-small"
                    data-testid="cancel-all"
                    disabled=move || in_open_market().is_empty() || cancel_all_busy.get()
                    on:click=cancel_all
                >
                    "Cancel all (this market)"
                </button>
            </div>
            <LoadStatus resource=loaded what="orders"/>
            <table class="grid" data-testid="open-orders">
                <thead>
                    <tr>
                        <th>"Market"</th>
                        <th>"Side"</th>
                        <th class="num">"Price"</th>
                        <th class="num">"Remaining"</th>
                        <th class="num">"Filled"</th>
                        <th>"Status"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || desk.orders.get() key=|o| (o.order_id.clone(), o.remaining, o.filled, o.price) let:order>
                        <OrderRow order=order/>
                    </For>
                </tbody>
            </table>
            <Show when=move || desk.orders.with(Vec::is_empty)>
                <div class="empty">"No resting orders."</div>
            </Show>
        </div>
    }
}

#[component]
fn OrderRow(order: OrderView) -> impl IntoView {
    let desk = use_desk();
    let busy = RwSignal::new(false);
    let id = order.order_id.clone();
    let ticker = order.market_ticker.clone();
    let on_open_market = move || desk.selected.with(|s| s.as_ref() == Some(&ticker));
    let select = {
        let ticker = order.market_ticker.clone();
        move |_| desk.select(ticker.clone())
    };
    view! {
        <tr
            class=format!("side-{}", order.side.as_str())
            class:current=on_open_market
            data-testid="open-order"
            data-order-id=order.order_id.to_string()
            data-price=order.price.to_string()
            data-side=order.side.as_str()
            data-market=order.market_ticker.to_string()
        >
            <td class="link" on:click=select>{order.market_ticker.to_string()}</td>
            <td class="side">{order.side.as_str().to_uppercase()}</td>
            <td class="num">{order.price.to_string()}</td>
            <td class="num">{order.remaining.to_string()}</td>
            <td class="num">{order.filled.to_string()}</td>
            <td>{status_text(order.status)}</td>
            <td>
                <button
                    class="btn btn-cancel btn-small"
                    data-testid="cancel-order"
                    disabled=move || busy.get()
                    on:click=move |_| cancel(desk, id.clone(), busy)
                >
                    {move || if busy.get() { "…" } else { "Cancel" }}
                </button>
            </td>
        </tr>
    }
}
