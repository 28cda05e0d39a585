//! Right pane: the order ticket. Validates before sending (price on the market's tick,
//! strictly inside (0, 1); count > 0), previews the exact cost, posts `OrderTicket`, and
//! shows the server's message on a reject.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, PlacedOrder};
use shared::rest::Market;

use crate::api;
use crate::format::short_dollars;
use crate::state::use_desk;

/// Checks the ticket's text fields; `Err` is a readable reason.
pub fn validate(
    ticker: Option<&MarketTicker>,
    market: Option<&Market>,
    action: Action,
    side: Side,
    price_text: &str,
    count_text: &str,
) -> Result<OrderTicket, String> {
    let ticker = ticker.ok_or("open a market first")?;
    let price_text = price_text.trim().trim_start_matches('$');
    if price_text.is_empty() {
        return Err("enter a price, e.g. 0.45".to_owned());
    }
    let price: Dollars = price_text
        .parse()
        .map_err(|_| format!("price must be a dollar amount like 0.45, not {price_text:?}"))?;
    if !price.is_valid_price() {
        return Err("price must be strictly between $0 and $1".to_owned());
    }
    let on_tick = match market.filter(|m| &m.ticker == ticker) {
        Some(m) => m
            .is_valid_price(price)
            .then_some(())
            .ok_or_else(|| short_dollars(m.tick_at(price))),
        // Market details not loaded yet: Kalshi's default one-cent grid.
        None => (price.raw() % Dollars::from_cents(1).raw() == 0)
            .then_some(())
            .ok_or_else(|| "0.01".to_owned()),
    };
    if let Err(tick) = on_tick {
        return Err(format!("price must be a multiple of ${tick}"));
    }
    let count_text = count_text.trim();
    if count_text.is_empty() {
        return Err("enter a count, e.g. 10".to_owned());
    }
    let count: Count = count_text
        .parse()
        .map_err(|_| format!("count must be a number of contracts like 10, not {count_text:?}"))?;
    if count.raw() <= 0 {
        return Err("count must be greater than 0".to_owned());
    }
    Ok(OrderTicket::limit(
        ticker.clone(),
        action,
        side,
        price,
        count,
    ))
}

/// "Order placed: 3.00 @ 0.4000 (resting)".
fn placed_text(ticket: &OrderTicket, placed: &PlacedOrder) -> String {
    let state = match (placed.filled.is_zero(), placed.remaining.is_zero()) {
        (true, false) => "resting".to_owned(),
        (false, true) => "filled".to_owned(),
        (false, false) => format!("filled {}, resting {}", placed.filled, placed.remaining),
        (true, true) => "done".to_owned(),
    };
    format!(
        "Order placed: {} @ {} ({state})",
        ticket.count, ticket.price
    )
}

/// The order ticket.
#[component]
pub fn Ticket(
    /// The open market's details (tick grid, status).
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let desk = use_desk();
    let error = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);

    let draft = Memo::new(move |_| {
        let ticker = desk.selected.get();
        market.with(|m| {
            validate(
                ticker.as_ref(),
                m.as_ref(),
                desk.ticket_action.get(),
                desk.ticket_side.get(),
                &desk.ticket_price.get(),
                &desk.ticket_count.get(),
            )
        })
    });
    let cost = move || match draft.get() {
        Ok(t) => {
            let verb = if t.action == Action::Buy {
                "Cost"
            } else {
                "Proceeds"
            };
            format!(
                "{verb}: ${}  ·  max payout ${}",
                t.price.times(t.count),
                Dollars::ONE.times(t.count)
            )
        }
        Err(_) => String::new(),
    };
    // Any edit clears the last outcome.
    Effect::new(move |_| {
        desk.ticket_price.track();
        desk.ticket_count.track();
        desk.ticket_side.track();
        desk.ticket_action.track();
        error.set(None);
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        result.set(None);
        let ticket = match draft.get_untracked() {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        error.set(None);
        sending.set(true);
        spawn_local(async move {
            match api::place_order(&ticket).await {
                Ok(placed) => {
                    result.set(Some(placed_text(&ticket, &placed)));
                    desk.account_reload.update(|n| *n += 1);
                }
                Err(e) => {
                    let msg = e.to_string();
                    desk.toast("reject", format!("Order rejected: {msg}"));
                    error.set(Some(msg));
                }
            }
            sending.set(false);
        });
    };

    let side_class = move || {
        if desk.ticket_side.get() == Side::Yes {
            "ticket side-yes"
        } else {
            "ticket side-no"
        }
    };
    let open_ticker = move || {
        desk.selected
            .get()
            .map_or_else(|| "no market open".to_owned(), |t| t.to_string())
    };
    let action_value = move || {
        if desk.ticket_action.get() == Action::Buy {
            "buy"
        } else {
            "sell"
        }
    };

    view! {
        <form class=side_class data-testid="ticket" on:submit=submit novalidate=true>
            <div class="pane-head">
                <span class="pane-title">"Order ticket"</span>
                <span class="muted ticket-market">{open_ticker}</span>
            </div>
            <div class="ticket-grid">
                <label for="ticket-action">"Action"</label>
                <select
                    id="ticket-action"
                    data-testid="ticket-action"
                    prop:value=action_value
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        desk.ticket_action.set(if v == "sell" { Action::Sell } else { Action::Buy });
                    }
                >
                    <option value="buy" selected=move || desk.ticket_action.get() == Action::Buy>"Buy"</option>
                    <option value="sell" selected=move || desk.ticket_action.get() == Action::Sell>"Sell"</option>
                </select>
                <label for="ticket-side">"Side"</label>
                <select
                    id="ticket-side"
                    data-testid="ticket-side"
                    prop:value=move || desk.ticket_side.get().as_str()
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        desk.ticket_side.set(if v == "no" { Side::No } else { Side::Yes });
                    }
                >
                    <option value="yes" selected=move || desk.ticket_side.get() == Side::Yes>"YES"</option>
                    <option value="no" selected=move || desk.ticket_side.get() == Side::No>"NO"</option>
                </select>
                <label for="ticket-price">"Price $"</label>
                <input
                    id="ticket-price"
                    data-testid="ticket-price"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="0.45"
                    prop:value=move || desk.ticket_price.get()
                    on:input=move |ev| desk.ticket_price.set(event_target_value(&ev))
                />
                <label for="ticket-count">"Count"</label>
                <input
                    id="ticket-count"
                    data-testid="ticket-count"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="10"
                    prop:value=move || desk.ticket_count.get()
                    on:input=move |ev| desk.ticket_count.set(event_target_value(&ev))
                />
            </div>
            <div class="ticket-cost" data-testid="ticket-cost">{cost}</div>
            <button type="submit" class="btn btn-submit" data-testid="ticket-submit" disabled=move || sending.get()>
                {move || {
                    if sending.get() {
                        "Sending…".to_owned()
                    } else {
                        let a = if desk.ticket_action.get() == Action::Buy { "Buy" } else { "Sell" };
                        let s = if desk.ticket_side.get() == Side::Yes { "YES" } else { "NO" };
                        format!("{a} {s}")
                    }
                }}
            </button>
            <div class="ticket-error" data-testid="ticket-error" role="alert">{move || error.get().unwrap_or_default()}</div>
            <div class="ticket-result" data-testid="ticket-result" role="status">{move || result.get().unwrap_or_default()}</div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(json: &str) -> Market {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn validates_price_tick_and_count() {
        let cent = market(r#"{"ticker":"T","event_ticker":"E","status":"active"}"#);
        let deci = market(
            r#"{"ticker":"T","event_ticker":"E","status":"active","price_ranges":[{"start":"0","end":"1","step":"0.001"}]}"#,
        );
        let t = MarketTicker::from("T");
        let table: &[(&Market, &str, &str, Result<(), &str>)] = &[
            (&cent, "0.45", "3", Ok(())),
            (&cent, "$0.45", "3", Ok(())),
            (
                &cent,
                "0.455",
                "3",
                Err("price must be a multiple of $0.01"),
            ),
            (&deci, "0.455", "3", Ok(())),
            (
                &deci,
                "0.4555",
                "3",
                Err("price must be a multiple of $0.001"),
            ),
            (
                &cent,
                "1",
                "3",
                Err("price must be strictly between $0 and $1"),
            ),
            (
                &cent,
                "0",
                "3",
                Err("price must be strictly between $0 and $1"),
            ),
            (&cent, "0.45", "0", Err("count must be greater than 0")),
            (&cent, "0.45", "-2", Err("count must be greater than 0")),
        ];
        for (m, price, count, want) in table {
            let got = validate(Some(&t), Some(m), Action::Buy, Side::Yes, price, count).map(|_| ());
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|e| *e),
                "{price} × {count}"
            );
        }
        assert!(validate(Some(&t), Some(&cent), Action::Buy, Side::Yes, "abc", "1").is_err());
        assert!(validate(
            Some(&t),
            Some(&cent),
            Action::Buy,
            Side::Yes,
            "0.45",
            "1.001"
        )
        .is_err());
        assert!(validate(None, None, Action::Buy, Side::Yes, "0.45", "1").is_err());
    }
}
