//! The event board: every market of one event in one live table (best YES bid and ask with
//! their sizes, last price and volume per strike), the sums of a mutually exclusive event's
//! YES bids and asks against $1, and a flag for every basket that costs less than it pays
//! ([`shared::board::arbitrage`]). Read once from `GET /api/events/{event_ticker}`, then kept
//! live from the markets' tickers (the socket marks them: one desk subscription for the
//! event, shared by every tab). Every cell opens its market: a bid or an ask with the ticket
//! filled to take it, a size to take that size, the last price into the ticket's price.

use leptos::prelude::*;
use shared::board::{self, Arbitrage, EventBoardView, Top};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::ws::TickerMsg;

use crate::api;
use crate::format::{opt, opt_price, DASH};
use crate::state::{use_market, use_ticket};

/// One line of an arbitrage flag.
fn arbitrage_text(a: &Arbitrage) -> String {
    let sets = |s: &Option<shared::num::Count>| {
        s.map_or_else(|| "size unknown".to_owned(), |s| format!("{s} sets"))
    };
    match a {
        Arbitrage::EveryYes {
            cost,
            pays,
            sets: n,
        } => format!(
            "Buy every YES for ${cost}, pays ${pays}: ${} a set before fees, {}",
            a.edge(),
            sets(n)
        ),
        Arbitrage::EveryNo {
            cost,
            pays,
            sets: n,
        } => format!(
            "Buy every NO for ${cost}, pays ${pays}: ${} a set before fees, {}",
            a.edge(),
            sets(n)
        ),
        Arbitrage::Ladder {
            buy_yes,
            yes_ask,
            buy_no,
            yes_bid,
            cost,
            sets: n,
        } => format!(
            "Not monotone: {buy_no} is bid ${yes_bid} above {buy_yes}'s ask ${yes_ask}. Buy YES \
             {buy_yes} and NO {buy_no} for ${cost}, pays at least $1: ${} a set before fees, {}",
            a.edge(),
            sets(n)
        ),
    }
}

/// The board of [`MarketData::board_event`].
#[component]
pub fn EventBoard() -> impl IntoView {
    let data = use_market();
    let ticket = use_ticket();
    let read = LocalResource::new(move || {
        let event = data.board_event.get();
        async move {
            match event {
                Some(e) => api::event_board(&e).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let loaded = Memo::new(move |_| read.get().and_then(Result::ok).flatten());
    // Seed every row from the read, then mark the open markets (their tickers follow).
    Effect::new(move |_| {
        let Some(b) = loaded.get() else { return };
        for m in &b.markets {
            data.seed_ticker(m.ticker.clone());
        }
        data.board_markets.set(
            b.markets
                .iter()
                .filter(|m| m.open)
                .map(|m| m.market_ticker.clone())
                .collect(),
        );
    });
    let error = move || match read.get() {
        Some(Err(e)) => Some(format!("Could not load the event: {e}")),
        _ => None,
    };
    let tops = move |b: &EventBoardView| -> Vec<Top> {
        data.tickers.with(|map| {
            b.markets
                .iter()
                .filter(|m| m.open)
                .map(|m| map.get(&m.market_ticker).map(Top::of).unwrap_or_default())
                .collect()
        })
    };
    let flags = Memo::new(move |_| {
        let b = loaded.get()?;
        let found = data
            .tickers
            .with(|map| board::arbitrage(&b, |t| map.get(t).map(Top::of)));
        let sums = b.mutually_exclusive.then(|| board::sums(&tops(&b)));
        Some((sums, found))
    });
    let sums_text = move || {
        let (sums, _) = flags.get()?;
        let s = sums?;
        Some(format!(
            "Σ YES bids {} · Σ YES asks {} · one YES of each pays $1.0000",
            opt(s.yes_bids),
            opt(s.yes_asks)
        ))
    };
    let arbs = move || flags.get().map(|(_, found)| found).unwrap_or_default();
    let rows = move || loaded.get().map(|b| b.markets).unwrap_or_default();
    // Any cell opens its market: a price cell sets the ticket to take it (a size cell takes
    // that size too); the last price sets the ticket's price; the rest open the market.
    let take = move |ticker: MarketTicker,
                     action: Option<Action>,
                     price: Option<Dollars>,
                     size: Option<Count>| {
        data.select(ticker);
        if let Some(action) = action {
            ticket.action.set(action);
        }
        if let Some(price) = price {
            ticket.pick_level(Side::Yes, price);
        }
        if let Some(size) = size.filter(|c| c.raw() > 0) {
            ticket.count.set(size.to_string());
        }
    };

    view! {
        <div class="event-board" data-testid="event-board">
            <div class="pane-head">
                <span class="pane-title" data-testid="board-title">
                    {move || loaded.get().map(|b| format!("{} — {}", b.event_ticker, b.title)).unwrap_or_else(|| "Event board".to_owned())}
                </span>
                <span class="muted">{move || loaded.get().map(|b| b.sub_title).unwrap_or_default()}</span>
                <span class="spacer"></span>
                <button type="button" class="btn btn-small" data-testid="board-close" on:click=move |_| data.close_board()>"Back to the book"</button>
            </div>
            {move || error().map(|e| view! { <div class="load-error" data-testid="board-error">{e}</div> })}
            {move || sums_text().map(|t| view! { <div class="board-sums" data-testid="board-sums">{t}</div> })}
            <For each=arbs key=|a| format!("{a:?}") let:arb>
                <div class="board-arb" data-testid="board-arb" data-kind=arb.kind()>{arbitrage_text(&arb)}</div>
            </For>
            <div class="board-table">
                <div class="board-row board-head">
                    <span>"Market"</span>
                    <span class="num">"Bid size"</span>
                    <span class="num">"YES bid"</span>
                    <span class="num">"YES ask"</span>
                    <span class="num">"Ask size"</span>
                    <span class="num">"Last"</span>
                    <span class="num">"Volume"</span>
                </div>
                <For each=rows key=|m| m.market_ticker.clone() let:m>
                    {
                        let ticker = StoredValue::new(m.market_ticker.clone());
                        let live = Memo::new(move |_| {
                            ticker.with_value(|t| data.tickers.with(|map| map.get(t).cloned()))
                        });
                        let top = move || live.with(|t| t.as_ref().map(Top::of).unwrap_or_default());
                        let field = move |f: fn(&TickerMsg) -> String| {
                            live.with(|t| t.as_ref().map_or_else(|| DASH.to_owned(), f))
                        };
                        let selected = move || ticker.with_value(|t| data.selected.with(|s| s.as_ref() == Some(t)));
                        view! {
                            <div class="board-row" class:selected=selected class:closed=!m.open
                                data-testid="board-row" data-ticker=m.market_ticker.to_string()>
                                <span class="board-label cell" title=m.market_ticker.to_string()
                                    on:click=move |_| take(ticker.get_value(), None, None, None)>{m.label.clone()}</span>
                                <span class="num muted cell" data-testid="board-bid-size" title="Sell YES at the bid, this size"
                                    on:click=move |_| { let b = top().bid; take(ticker.get_value(), Some(Action::Sell), b.map(|q| q.price), b.and_then(|q| q.size)) }>{move || opt(top().bid.and_then(|q| q.size))}</span>
                                <span class="num bid cell" data-testid="board-bid"
                                    title="Sell YES at the bid"
                                    on:click=move |_| take(ticker.get_value(), Some(Action::Sell), top().bid.map(|q| q.price), None)>
                                    {move || opt_price(top().bid.map(|q| q.price))}
                                </span>
                                <span class="num ask cell" data-testid="board-ask"
                                    title="Buy YES at the ask"
                                    on:click=move |_| take(ticker.get_value(), Some(Action::Buy), top().ask.map(|q| q.price), None)>
                                    {move || opt_price(top().ask.map(|q| q.price))}
                                </span>
                                <span class="num muted cell" data-testid="board-ask-size" title="Buy YES at the ask, this size"
                                    on:click=move |_| { let a = top().ask; take(ticker.get_value(), Some(Action::Buy), a.map(|q| q.price), a.and_then(|q| q.size)) }>{move || opt(top().ask.and_then(|q| q.size))}</span>
                                <span class="num cell" data-testid="board-last" title="Open at the last price"
                                    on:click=move |_| take(ticker.get_value(), None, live.with(|t| t.as_ref().filter(|t| t.volume_fp.is_some_and(|v| v.raw() > 0)).and_then(|t| t.price_dollars)), None)>{move || field(|t| {
                                    // Kalshi sends $0 as the last price of a market that never traded.
                                    let traded = t.volume_fp.is_some_and(|v| v.raw() > 0);
                                    if traded { opt_price(t.price_dollars) } else { DASH.to_owned() }
                                })}</span>
                                <span class="num cell" data-testid="board-volume" on:click=move |_| take(ticker.get_value(), None, None, None)>{move || field(|t| opt(t.volume_fp))}</span>
                            </div>
                        }
                    }
                </For>
            </div>
        </div>
    }
}
