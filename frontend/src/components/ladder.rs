//! The live book of the open market: top-of-book summary and the two bid ladders
//! (YES bids, NO bids) side by side. The ladders read the book's keyed store
//! ([`crate::state::MarketData::levels`]): each row owns its level's count signal, so a
//! frame that changes one count re-renders just that row's text and bar; the lists
//! re-diff only when a level appears or goes.

use std::collections::HashSet;

use leptos::prelude::*;
use shared::ids::Side;
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;

use crate::format::{depth_pct, opt_price, DASH};
use crate::state::{use_account, use_market, Level, LiveBook};

/// Best bids, implied ask, spread, mid, book version and the stale mark.
#[component]
pub fn BookSummary() -> impl IntoView {
    let book = use_market().book;
    let best_yes_bid = move || opt_price(book.with(|b| b.book.best_bid(Side::Yes).map(|(p, _)| p)));
    let best_no_bid = move || opt_price(book.with(|b| b.book.best_bid(Side::No).map(|(p, _)| p)));
    let best_yes_ask = move || opt_price(book.with(|b| b.book.best_ask(Side::Yes).map(|(p, _)| p)));
    let spread = move || opt_price(book.with(|b| b.book.spread()));
    let mid = move || opt_price(book.with(|b| b.book.mid()));
    let stale = move || book.with(|b| b.stale);

    view! {
        <div class="book-summary" class:stale=stale>
            <div class="stat">
                <span class="k">"YES bid"</span>
                <span class="v bid" data-testid="best-yes-bid">{best_yes_bid}</span>
            </div>
            <div class="stat">
                <span class="k">"YES ask"</span>
                <span class="v ask" data-testid="best-yes-ask">{best_yes_ask}</span>
            </div>
            <div class="stat">
                <span class="k">"NO bid"</span>
                <span class="v no" data-testid="best-no-bid">{best_no_bid}</span>
            </div>
            <div class="stat">
                <span class="k">"Spread"</span>
                <span class="v" data-testid="spread">{spread}</span>
            </div>
            <div class="stat">
                <span class="k">"Mid"</span>
                <span class="v" data-testid="mid">{mid}</span>
            </div>
            <div class="stat">
                <span class="k">"Book v"</span>
                <span class="v muted" data-testid="book-version">{move || book.with(|b| b.version)}</span>
            </div>
            <Show when=stale>
                <span class="stale-badge stale" data-testid="book-stale" title="Sequence gap upstream: waiting for a fresh snapshot">
                    "STALE"
                </span>
            </Show>
        </div>
    }
}

/// Both ladders of the open market.
#[component]
pub fn Ladder(
    /// Called with a level's side and price when it is clicked (click-to-trade).
    on_pick: Callback<(Side, Dollars)>,
) -> impl IntoView {
    let market = use_market();
    let account = use_account();
    let book = market.book;
    // Whole-book values every row needs, computed once per frame; rows hear of them only
    // when they change (the best level: only the old and the new best row).
    let max = Memo::new(move |_| book.with(LiveBook::max_count));
    let best = |side: Side| {
        let best = Memo::new(move |_| book.with(|b| b.book.best_bid(side).map(|(p, _)| p)));
        Selector::new(move || best.get())
    };
    let mine = Memo::new(move |_| {
        let open = market.selected.get();
        account.orders.with(|orders| {
            orders
                .iter()
                .filter(|o| {
                    o.status == OrderStatus::Resting && Some(&o.market_ticker) == open.as_ref()
                })
                .map(|o| (o.side, o.price))
                .collect::<HashSet<(Side, Dollars)>>()
        })
    });
    let stale = move || book.with(|b| b.stale);
    let ticker = move || {
        book.with(|b| {
            b.ticker
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
    };
    let empty = move || book.with(|b| b.loaded && b.book.is_empty());
    let waiting = move || book.with(|b| !b.loaded);

    let column = move |side: Side| {
        let (title, implied) = match side {
            Side::Yes => ("YES bids", "NO ask"),
            Side::No => ("NO bids", "YES ask"),
        };
        let best = best(side);
        view! {
            <div class=format!("ladder-col ladder-{}", side.as_str())>
                <div class="ladder-head">
                    <span class="price">{title}</span>
                    <span class="count">"Size"</span>
                    <span class="implied">{implied}</span>
                </div>
                <For each=move || market.levels(side) key=|level| level.price let:level>
                    <LadderLevel side=side level=level max=max best=best.clone() mine=mine on_pick=on_pick/>
                </For>
            </div>
        }
    };

    view! {
        <div class="ladder" class:stale=stale data-testid="ladder" data-ticker=ticker>
            <Show when=waiting>
                <div class="ladder-note">"Waiting for the book…"</div>
            </Show>
            <Show when=empty>
                <div class="ladder-note">"Book is empty."</div>
            </Show>
            <div class="ladder-cols">{column(Side::Yes)} {column(Side::No)}</div>
        </div>
    }
}

/// One level; its count and bar follow the level's own signal, its "best" and "mine"
/// marks follow the ladder's selectors.
#[component]
fn LadderLevel(
    side: Side,
    level: Level,
    max: Memo<Count>,
    best: Selector<Option<Dollars>>,
    mine: Memo<HashSet<(Side, Dollars)>>,
    on_pick: Callback<(Side, Dollars)>,
) -> impl IntoView {
    let price = level.price;
    let count = RwSignal::from(level.count).read_only();
    // The depth bar is scaled, not sized: a transform animates on the compositor, where a
    // changing width would lay the row out again on every frame of its transition.
    let bar = move || {
        let pct = depth_pct(count.get(), max.get());
        format!("scaleX({}.{:02})", pct / 100, pct % 100)
    };
    let is_mine = move || mine.with(|m| m.contains(&(side, price)));
    let is_best = move || best.selected(&Some(price));
    let implied = move || {
        if price.is_valid_price() {
            crate::format::price(price.complement())
        } else {
            DASH.to_owned()
        }
    };

    view! {
        <div
            class="ladder-level"
            class:mine=is_mine
            class:best=is_best
            data-testid="ladder-level"
            data-side=side.as_str()
            data-price=price.to_string()
            data-count=move || count.get().to_string()
            data-mine=move || is_mine().then_some("true")
            title="Click to put this price in the ticket"
            on:click=move |_| on_pick.run((side, price))
        >
            <span class="bar" style:transform=bar></span>
            <span class="price">{move || crate::format::price(price)}</span>
            <span class="count">{move || count.get().to_string()}</span>
            <span class="implied">{implied}</span>
            <span class="mine-mark">{move || if is_mine() { "●" } else { "" }}</span>
        </div>
    }
}
