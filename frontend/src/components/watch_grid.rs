//! The watchlist grid: a small live ladder (the best five bids a side) for each starred
//! market, side by side in the center pane. The books come over the socket like the open
//! market's (the grid's markets are watched while it is open) and the ladders redraw once
//! per animation frame: a changed count rewrites its text, a level coming or going adds or
//! removes its row. Clicking a level opens that market with the ticket set to its
//! side and price; clicking a title opens the market.

use leptos::prelude::*;
use shared::ids::{MarketTicker, Side};

use crate::format::{opt_price, price};
use crate::state::{use_market, use_ticket};

/// Levels shown a side.
const DEPTH: usize = 5;

/// The grid of [`crate::state::MarketData::grid`].
#[component]
pub fn WatchGrid() -> impl IntoView {
    let data = use_market();
    view! {
        <div class="watch-grid-pane" data-testid="watch-grid">
            <div class="pane-head">
                <span class="pane-title">"Watchlist grid"</span>
                <span class="muted">{move || format!("{} markets", data.grid.with(Vec::len))}</span>
                <span class="spacer"></span>
                <button type="button" class="btn btn-small" data-testid="grid-close"
                    on:click=move |_| data.close_grid()>"Back to the book"</button>
            </div>
            <div class="watch-grid">
                <For each=move || data.grid.get() key=|t| t.clone() let:ticker>
                    <MiniLadder ticker=ticker/>
                </For>
            </div>
        </div>
    }
}

/// One market's small ladder.
#[component]
fn MiniLadder(ticker: MarketTicker) -> impl IntoView {
    let data = use_market();
    let ticket = use_ticket();
    let t = StoredValue::new(ticker);
    // A side's best levels, recomputed each frame a kept book changed; its rows hear of it
    // only when they differ.
    let levels = move |side: Side| {
        Memo::new(move |_| {
            data.kept_books.track();
            t.with_value(|t| data.top_levels(t, side, DEPTH))
        })
    };
    let last = move || {
        t.with_value(|t| {
            // Kalshi sends $0 as the last price of a market that never traded.
            data.tickers.with(|map| {
                map.get(t)
                    .filter(|m| m.volume_fp.is_some_and(|v| v.raw() > 0))
                    .and_then(|m| m.price_dollars)
            })
        })
    };
    let pick = move |side: Side, p| {
        data.select(t.get_value());
        ticket.pick_level(side, p);
    };
    // Rows are keyed by price and show the count at their price: a changed count rewrites
    // one text, only a level coming or going adds or removes a row.
    let column = move |side: Side| {
        let levels = levels(side);
        view! {
            <div class=format!("mini-col mini-{}", side.as_str())>
                <For each=move || levels.get() key=|level| level.0 let:level>
                    {
                        let at = level.0;
                        let count = move || {
                            levels.with(|l| {
                                l.iter()
                                    .find(|(p, _)| *p == at)
                                    .map(|(_, c)| c.to_string())
                                    .unwrap_or_default()
                            })
                        };
                        view! {
                            <div class="mini-level" data-testid="mini-level" data-side=side.as_str()
                                data-price=at.to_string()
                                on:click=move |_| pick(side, at)>
                                <span class="price">{move || price(at)}</span>
                                <span class="count">{count}</span>
                            </div>
                        }
                    }
                </For>
            </div>
        }
    };
    let selected = move || t.with_value(|t| data.selected.with(|s| s.as_ref() == Some(t)));
    view! {
        <div class="mini-ladder" class:selected=selected data-testid="mini-ladder"
            data-ticker=t.with_value(ToString::to_string)>
            <div class="mini-head" title="Open this market" on:click=move |_| data.select(t.get_value())>
                <span class="m-ticker">{t.with_value(ToString::to_string)}</span>
                <span class="muted">{move || format!("last {}", opt_price(last()))}</span>
            </div>
            <div class="mini-cols">
                {column(Side::Yes)}
                {column(Side::No)}
            </div>
        </div>
    }
}
