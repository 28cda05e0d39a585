//! Right pane: the order ticket with every Create Order V2 option (time in force incl.
//! IOC/FOK, post-only, reduce-only, expiration, self-trade prevention, cancel-on-pause,
//! order group, subaccount) and a client order id generated in the browser. Validates
//! before sending (price on the market's tick, strictly inside (0, 1); count > 0; the
//! options' rules from [`OrderTicket::check_options`]), previews the exact cost, posts
//! `OrderTicket`, and shows the server's message on a reject.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, PlacedOrder};
use shared::rest::{Market, SelfTradePrevention, TimeInForce};
use wasm_bindgen::JsCast;

use crate::api;
use crate::format::short_dollars;
use crate::state::{short_id, use_account, use_market, use_ticket, use_toasts};

/// The ticket's advanced options, as the form holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketOptions {
    /// Time in force.
    pub tif: TimeInForce,
    /// Post-only.
    pub post_only: bool,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Minutes until expiry; empty = none.
    pub expires_in_min: String,
    /// Self-trade prevention.
    pub stp: SelfTradePrevention,
    /// Cancel if trading pauses.
    pub cancel_on_pause: bool,
    /// Order group id; empty = none.
    pub order_group: String,
    /// Subaccount number; empty = primary.
    pub subaccount: String,
}

/// Longest expiry the ticket offers: a year, in minutes.
const MAX_EXPIRY_MIN: i64 = 525_600;

/// Applies the options to a plain ticket; `now_s` is Unix seconds.
fn with_options(mut t: OrderTicket, o: &TicketOptions, now_s: i64) -> Result<OrderTicket, String> {
    t.time_in_force = o.tif;
    t.post_only = o.post_only;
    t.reduce_only = o.reduce_only;
    t.self_trade_prevention = o.stp;
    t.cancel_order_on_pause = o.cancel_on_pause;
    let minutes = o.expires_in_min.trim();
    t.expiration_ts = if minutes.is_empty() {
        None
    } else {
        match minutes.parse::<i64>() {
            Ok(m) if (1..=MAX_EXPIRY_MIN).contains(&m) => Some(now_s + m * 60),
            _ => {
                return Err(format!(
                    "expiration must be a whole number of minutes from 1 to {MAX_EXPIRY_MIN}"
                ))
            }
        }
    };
    let group = o.order_group.trim();
    t.order_group_id = (!group.is_empty()).then(|| group.to_owned());
    let sub = o.subaccount.trim();
    t.subaccount = if sub.is_empty() {
        None
    } else {
        Some(
            sub.parse::<u32>()
                .map_err(|_| "subaccount must be a number from 0 to 63".to_owned())?,
        )
    };
    t.check_options(now_s)?;
    Ok(t)
}

/// A fresh client order id from the browser's `crypto.randomUUID()` (the backend makes
/// one when this is unavailable).
fn new_client_order_id() -> Option<String> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let f = js_sys::Reflect::get(&crypto, &"randomUUID".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    f.call0(&crypto).ok()?.as_string()
}

/// Unix seconds now, from the browser clock.
fn now_s() -> i64 {
    // A timestamp, not money: the JS clock is a double of milliseconds.
    (js_sys::Date::now() as i64).div_euclid(1000)
}

/// Checks the ticket's fields; `Err` is a readable reason.
#[allow(clippy::too_many_arguments)]
pub fn validate(
    ticker: Option<&MarketTicker>,
    market: Option<&Market>,
    action: Action,
    side: Side,
    price_text: &str,
    count_text: &str,
    options: &TicketOptions,
    now_s: i64,
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
    with_options(
        OrderTicket::limit(ticker.clone(), action, side, price, count),
        options,
        now_s,
    )
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

/// `Primary` or `Subaccount N`.
pub fn subaccount_label(n: u32) -> String {
    if n == 0 {
        "Primary".to_owned()
    } else {
        format!("Subaccount {n}")
    }
}

/// The order ticket.
#[component]
pub fn Ticket(
    /// The open market's details (tick grid, status).
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let account = use_account();
    let ticket = use_ticket();
    let toasts = use_toasts();
    let error = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let options = RwSignal::new(TicketOptions::default());

    let draft = Memo::new(move |_| {
        let ticker = data.selected.get();
        market.with(|m| {
            options.with(|o| {
                validate(
                    ticker.as_ref(),
                    m.as_ref(),
                    ticket.action.get(),
                    ticket.side.get(),
                    &ticket.price.get(),
                    &ticket.count.get(),
                    o,
                    now_s(),
                )
            })
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
    // The desk's subaccount selector scopes the ticket; a group belongs to one subaccount.
    Effect::new(move |_| {
        let n = account.subaccount.get();
        options.update(|o| {
            o.subaccount = n.to_string();
            o.order_group.clear();
        });
    });
    // A deleted group leaves the ticket.
    Effect::new(move |_| {
        let ids: Vec<String> = account
            .order_groups
            .with(|g| g.iter().map(|g| g.order_group_id.clone()).collect());
        if options.with_untracked(|o| !o.order_group.is_empty() && !ids.contains(&o.order_group)) {
            options.update(|o| o.order_group.clear());
        }
    });
    // Any edit clears the last outcome.
    Effect::new(move |_| {
        ticket.price.track();
        ticket.count.track();
        ticket.side.track();
        ticket.action.track();
        options.track();
        error.set(None);
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        result.set(None);
        let ticket = match draft.get_untracked() {
            Ok(t) => OrderTicket {
                client_order_id: new_client_order_id(),
                ..t
            },
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
                    account.reload();
                }
                Err(e) => {
                    let msg = e.to_string();
                    toasts.toast("reject", format!("Order rejected: {msg}"));
                    error.set(Some(msg));
                }
            }
            sending.set(false);
        });
    };

    let side_class = move || {
        if ticket.side.get() == Side::Yes {
            "ticket side-yes"
        } else {
            "ticket side-no"
        }
    };
    let open_ticker = move || {
        data.selected
            .get()
            .map_or_else(|| "no market open".to_owned(), |t| t.to_string())
    };
    let action_value = move || {
        if ticket.action.get() == Action::Buy {
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
                        ticket.action.set(if v == "sell" { Action::Sell } else { Action::Buy });
                    }
                >
                    <option value="buy" selected=move || ticket.action.get() == Action::Buy>"Buy"</option>
                    <option value="sell" selected=move || ticket.action.get() == Action::Sell>"Sell"</option>
                </select>
                <label for="ticket-side">"Side"</label>
                <select
                    id="ticket-side"
                    data-testid="ticket-side"
                    prop:value=move || ticket.side.get().as_str()
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        ticket.side.set(if v == "no" { Side::No } else { Side::Yes });
                    }
                >
                    <option value="yes" selected=move || ticket.side.get() == Side::Yes>"YES"</option>
                    <option value="no" selected=move || ticket.side.get() == Side::No>"NO"</option>
                </select>
                <label for="ticket-price">"Price $"</label>
                <input
                    id="ticket-price"
                    data-testid="ticket-price"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="0.45"
                    prop:value=move || ticket.price.get()
                    on:input=move |ev| ticket.price.set(event_target_value(&ev))
                />
                <label for="ticket-count">"Count"</label>
                <input
                    id="ticket-count"
                    data-testid="ticket-count"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="10"
                    prop:value=move || ticket.count.get()
                    on:input=move |ev| ticket.count.set(event_target_value(&ev))
                />
                <label for="ticket-tif">"Time in force"</label>
                <select
                    id="ticket-tif"
                    data-testid="ticket-tif"
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        let tif = match v.as_str() {
                            "ioc" => TimeInForce::ImmediateOrCancel,
                            "fok" => TimeInForce::FillOrKill,
                            _ => TimeInForce::GoodTillCanceled,
                        };
                        options.update(|o| o.tif = tif);
                    }
                >
                    <option value="gtc" selected=move || options.with(|o| o.tif == TimeInForce::GoodTillCanceled)>"Good till cancelled"</option>
                    <option value="ioc" selected=move || options.with(|o| o.tif == TimeInForce::ImmediateOrCancel)>"Immediate or cancel"</option>
                    <option value="fok" selected=move || options.with(|o| o.tif == TimeInForce::FillOrKill)>"Fill or kill"</option>
                </select>
                <label for="ticket-expiration">"Expires in"</label>
                <input
                    id="ticket-expiration"
                    data-testid="ticket-expiration"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    placeholder="minutes (blank = never)"
                    prop:value=move || options.with(|o| o.expires_in_min.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        options.update(|o| o.expires_in_min = v);
                    }
                />
                <label for="ticket-stp">"Self-trade"</label>
                <select
                    id="ticket-stp"
                    data-testid="ticket-stp"
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        let stp = if v == "maker" { SelfTradePrevention::Maker } else { SelfTradePrevention::TakerAtCross };
                        options.update(|o| o.stp = stp);
                    }
                >
                    <option value="taker_at_cross" selected=move || options.with(|o| o.stp == SelfTradePrevention::TakerAtCross)>"Cancel taker"</option>
                    <option value="maker" selected=move || options.with(|o| o.stp == SelfTradePrevention::Maker)>"Cancel resting"</option>
                </select>
                <label for="ticket-order-group">"Order group"</label>
                <select
                    id="ticket-order-group"
                    data-testid="ticket-order-group"
                    prop:value=move || options.with(|o| o.order_group.clone())
                    on:change=move |ev| {
                        let v = event_target::<web_sys::HtmlSelectElement>(&ev).value();
                        options.update(|o| o.order_group = v);
                    }
                >
                    <option value="" selected=move || options.with(|o| o.order_group.is_empty())>"none"</option>
                    <For
                        each=move || account.order_groups.get()
                        key=|g| (g.order_group_id.clone(), g.triggered, g.contracts_limit)
                        let:group
                    >
                        {
                            let id = group.order_group_id.clone();
                            let label = format!(
                                "{} · limit {}{}",
                                short_id(&group.order_group_id),
                                group.contracts_limit,
                                if group.triggered { " · triggered" } else { "" }
                            );
                            let chosen = id.clone();
                            view! {
                                <option value=id selected=move || options.with(|o| o.order_group == chosen)>{label}</option>
                            }
                        }
                    </For>
                </select>
                <label>"Subaccount"</label>
                <span class="ticket-sub" data-testid="ticket-subaccount">
                    {move || subaccount_label(account.subaccount.get())}
                </span>
            </div>
            <div class="ticket-flags">
                <label>
                    <input
                        type="checkbox"
                        data-testid="ticket-post-only"
                        prop:checked=move || options.with(|o| o.post_only)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            options.update(|o| o.post_only = on);
                        }
                    />
                    "Post-only"
                </label>
                <label>
                    <input
                        type="checkbox"
                        data-testid="ticket-reduce-only"
                        prop:checked=move || options.with(|o| o.reduce_only)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            options.update(|o| o.reduce_only = on);
                        }
                    />
                    "Reduce-only"
                </label>
                <label>
                    <input
                        type="checkbox"
                        data-testid="ticket-cancel-on-pause"
                        prop:checked=move || options.with(|o| o.cancel_on_pause)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            options.update(|o| o.cancel_on_pause = on);
                        }
                    />
                    "Cancel on pause"
                </label>
            </div>
            <div class="ticket-cost" data-testid="ticket-cost">{cost}</div>
            <button type="submit" class="btn btn-submit" data-testid="ticket-submit" disabled=move || sending.get()>
                {move || {
                    if sending.get() {
                        "Sending…".to_owned()
                    } else {
                        let a = if ticket.action.get() == Action::Buy { "Buy" } else { "Sell" };
                        let s = if ticket.side.get() == Side::Yes { "YES" } else { "NO" };
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
            let got = validate(
                Some(&t),
                Some(m),
                Action::Buy,
                Side::Yes,
                price,
                count,
                &TicketOptions::default(),
                NOW,
            )
            .map(|_| ());
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|e| *e),
                "{price} × {count}"
            );
        }
        let plain = TicketOptions::default();
        let v = |price: &str, count: &str| {
            validate(
                Some(&t),
                Some(&cent),
                Action::Buy,
                Side::Yes,
                price,
                count,
                &plain,
                NOW,
            )
        };
        assert!(v("abc", "1").is_err());
        assert!(v("0.45", "1.001").is_err());
        assert_eq!(v("0.45", "1.25").unwrap().count, "1.25".parse().unwrap());
        assert!(validate(None, None, Action::Buy, Side::Yes, "0.45", "1", &plain, NOW).is_err());
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn validates_options_with_plain_messages() {
        let cent = market(r#"{"ticker":"T","event_ticker":"E","status":"active"}"#);
        let t = MarketTicker::from("T");
        let check = |o: TicketOptions| {
            validate(
                Some(&t),
                Some(&cent),
                Action::Buy,
                Side::Yes,
                "0.45",
                "3",
                &o,
                NOW,
            )
        };
        let ok = check(TicketOptions {
            tif: TimeInForce::GoodTillCanceled,
            post_only: true,
            expires_in_min: "60".into(),
            stp: SelfTradePrevention::Maker,
            cancel_on_pause: true,
            order_group: " grp-1 ".into(),
            subaccount: "0".into(),
            ..TicketOptions::default()
        })
        .unwrap();
        assert_eq!(ok.expiration_ts, Some(NOW + 3600));
        assert_eq!(ok.order_group_id.as_deref(), Some("grp-1"));
        assert_eq!(
            (ok.subaccount, ok.post_only, ok.cancel_order_on_pause),
            (Some(0), true, true)
        );
        assert_eq!(ok.self_trade_prevention, SelfTradePrevention::Maker);
        let table: &[(TicketOptions, &str)] = &[
            (
                TicketOptions {
                    tif: TimeInForce::ImmediateOrCancel,
                    post_only: true,
                    ..TicketOptions::default()
                },
                "post-only orders must be good till cancelled",
            ),
            (
                TicketOptions {
                    reduce_only: true,
                    ..TicketOptions::default()
                },
                "reduce-only orders must be immediate or cancel (IOC)",
            ),
            (
                TicketOptions {
                    tif: TimeInForce::FillOrKill,
                    expires_in_min: "5".into(),
                    ..TicketOptions::default()
                },
                "only good-till-cancelled orders can have an expiration",
            ),
            (
                TicketOptions {
                    expires_in_min: "soon".into(),
                    ..TicketOptions::default()
                },
                "expiration must be a whole number of minutes from 1 to 525600",
            ),
            (
                TicketOptions {
                    subaccount: "x".into(),
                    ..TicketOptions::default()
                },
                "subaccount must be a number from 0 to 63",
            ),
            (
                TicketOptions {
                    subaccount: "99".into(),
                    ..TicketOptions::default()
                },
                "subaccount must be 0 to 63",
            ),
        ];
        for (o, want) in table {
            assert_eq!(check(o.clone()).unwrap_err(), *want, "{o:?}");
        }
        let ioc_reduce = check(TicketOptions {
            tif: TimeInForce::ImmediateOrCancel,
            reduce_only: true,
            ..TicketOptions::default()
        })
        .unwrap();
        assert!(ioc_reduce.reduce_only);
    }
}
