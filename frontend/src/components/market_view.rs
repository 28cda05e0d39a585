//! Center pane: the open market's header, ticker line, book summary, then the ladder with
//! depth, candles and the trades tape beside it; or the open event board instead of the book.

use std::collections::VecDeque;

use leptos::prelude::*;
use shared::ids::Side;
use shared::num::Dollars;
use shared::rest::{Market, MarketStatus};

use crate::api;
use crate::components::charts::{CandleChart, DepthChart};
use crate::components::event_board::EventBoard;
use crate::components::ladder::{BookSummary, Ladder};
use crate::components::load_status::LoadStatus;
use crate::components::shortcuts::Shortcuts;
use crate::components::watch_grid::WatchGrid;
use crate::components::watchlist::WatchStar;
use crate::components::windowed::Windowed;
use crate::format::{clock_ms, opt};
use crate::state::{rules, use_market, use_ticket, TAPE_CAP};

/// The open market, or a hint to pick one.
#[component]
pub fn MarketView(
    /// `GET /api/markets/{ticker}` of the open market (`None` when nothing is open).
    detail: LocalResource<api::Result<Option<Market>>>,
    /// The loaded detail, when it matches the open market.
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let ticket = use_ticket();
    let has_market = move || data.selected.with(Option::is_some);
    let pick = Callback::new(move |(side, price): (Side, Dollars)| ticket.pick_level(side, price));
    let no_market =
        || view! { <div class="pick-market">"Pick a market on the left to open its book."</div> };
    // The board or the grid takes the book's place (with or without a market open).
    let board_open = move || data.board_event.with(Option::is_some);
    let book_shown = move || !board_open() && data.grid.with(Vec::is_empty);
    let board_or_grid = move || {
        if board_open() {
            view! { <EventBoard/> }.into_any()
        } else {
            view! { <WatchGrid/> }.into_any()
        }
    };
    view! {
        <Show
            when=has_market
            fallback=move || if book_shown() { no_market().into_any() } else { board_or_grid() }
        >
            <MarketHeader detail=detail market=market/>
            <Show when=book_shown fallback=board_or_grid>
                <TickerLine market=market/>
                <BookSummary/>
                // The ladder takes the pane's height; depth, candles and the tape stack
                // beside it, so a laptop screen shows ten levels a side and more.
                <div class="book-and-tape">
                    <Ladder on_pick=pick/>
                    <div class="market-side">
                        <crate::components::layout::Splitter edge=shared::workspace::Edge::Side/>
                        <DepthChart market=market/>
                        <CandleChart market=market/>
                        <TradesTape/>
                    </div>
                </div>
            </Show>
        </Show>
    }
}

/// A status as the header and market rows show it.
pub fn status_text(s: MarketStatus) -> &'static str {
    match s {
        MarketStatus::Initialized => "initialized",
        MarketStatus::Inactive => "paused",
        MarketStatus::Active | MarketStatus::Open => "open",
        MarketStatus::Closed => "closed",
        MarketStatus::Determined => "determined",
        MarketStatus::Disputed => "disputed",
        MarketStatus::Amended => "amended",
        MarketStatus::Finalized | MarketStatus::Settled => "settled",
        MarketStatus::Other => "unknown",
    }
}

#[component]
fn MarketHeader(
    detail: LocalResource<api::Result<Option<Market>>>,
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let ticker = move || {
        data.selected
            .get()
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let title = move || market.with(|m| m.as_ref().map(|m| m.title.clone()).unwrap_or_default());
    let subtitle = move || {
        market.with(|m| {
            m.as_ref()
                .map(|m| {
                    let mut parts = Vec::new();
                    if !m.yes_sub_title.is_empty() {
                        parts.push(format!("YES = {}", m.yes_sub_title));
                    }
                    if let Some(close) = &m.close_time {
                        parts.push(format!("closes {close}"));
                    }
                    parts.join(" · ")
                })
                .unwrap_or_default()
        })
    };
    let status = move || market.with(|m| m.as_ref().map(|m| status_text(m.status)).unwrap_or("…"));
    // The latest lifecycle event Kalshi announced for this market, if any since the page
    // opened (the REST status above is from when the market was loaded).
    let lifecycle = move || {
        let open = data.selected.get()?;
        data.lifecycle
            .with(|l| l.get(&open).map(crate::ws::lifecycle_text))
    };
    let tradable = move || market.with(|m| m.as_ref().is_some_and(|m| m.status.is_tradable()));
    let grid = move || {
        market.with(|m| {
            m.as_ref()
                .and_then(|m| m.price_level_structure.clone())
                .unwrap_or_default()
        })
    };

    view! {
        <div class="market-header">
            <div class="mh-line">
                {move || data.selected.get().map(|t| view! { <WatchStar ticker=t/> })}
                <span class="mh-ticker" data-testid="market-ticker">{ticker}</span>
                <span class="mh-status" class:tradable=tradable data-testid="market-status">{status}</span>
                <span class="mh-grid muted" data-testid="market-grid" title="Price level structure">{grid}</span>
                {move || lifecycle().map(|text| view! {
                    <span class="mh-lifecycle" data-testid="market-lifecycle" title="Latest lifecycle event from Kalshi">{text}</span>
                })}
                <span class="spacer"></span>
                <BoardToggle market=market/>
                <Shortcuts market=market/>
            </div>
            <div class="mh-title" data-testid="market-title">{title}</div>
            <div class="mh-sub muted">{subtitle}</div>
            <LoadStatus resource=detail what="market"/>
        </div>
    }
}

/// Opens the open market's event as a board, or goes back to the book.
#[component]
fn BoardToggle(market: Signal<Option<Market>>) -> impl IntoView {
    let data = use_market();
    let event = move || market.with(|m| m.as_ref().map(|m| m.event_ticker.clone()));
    let on = move || {
        let open = data.board_event.get();
        open.is_some() && open == event()
    };
    view! {
        <button
            type="button"
            class="btn btn-small board-toggle"
            class:on=on
            data-testid="board-toggle"
            disabled=move || event().is_none()
            title="Every market of this event in one live board"
            on:click=move |_| match event() {
                Some(e) if !on() => data.open_board(e),
                _ => data.close_board(),
            }
        >
            "Event board"
        </button>
    }
}

/// Last price, volume, open interest: live `ticker` frames over the REST snapshot.
#[component]
fn TickerLine(market: Signal<Option<Market>>) -> impl IntoView {
    let data = use_market();
    let live = Memo::new(move |_| {
        let open = data.selected.get();
        data.tickers.with(|t| open.and_then(|o| t.get(&o).cloned()))
    });
    let last = move || {
        crate::format::opt_price(
            live.with(|l| l.as_ref().and_then(|l| l.price_dollars))
                .or(market.with(|m| m.as_ref().and_then(|m| m.last_price_dollars))),
        )
    };
    let volume = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.volume_fp))
            .or(market.with(|m| m.as_ref().and_then(|m| m.volume_fp))))
    };
    let oi = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.open_interest_fp))
            .or(market.with(|m| m.as_ref().and_then(|m| m.open_interest_fp))))
    };
    view! {
        <div class="ticker-line">
            <span class="k">"Last"</span>
            <span class="v" data-testid="ticker-last">{last}</span>
            <span class="k">"Volume"</span>
            <span class="v" data-testid="ticker-volume">{volume}</span>
            <span class="k">"Open int."</span>
            <span class="v" data-testid="ticker-oi">{oi}</span>
        </div>
    }
}

/// Public trades of the open market, newest first; windowed ([`rules::TAPE_ROWS`]): a
/// burst of trades in one frame replaces at most the rows in view, not the whole tape.
#[component]
fn TradesTape() -> impl IntoView {
    let data = use_market();
    let list = Windowed::new(rules::TAPE_ROWS);
    let window = list.window(move || data.trades.with(VecDeque::len));
    let shown = move || {
        let ((first, last), _) = window.get();
        data.trades.with(|tape| {
            tape.iter()
                .skip(first)
                .take(last.saturating_sub(first))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="tape-pane">
            <div class="pane-head">
                <span class="pane-title">"Trades"</span>
                <span class="muted">{move || format!("{} (max {TAPE_CAP})", window.get().1)}</span>
            </div>
            <div class="tape" data-testid="trades-tape" node_ref=list.node on:scroll=list.on_scroll()>
                <div class="trade-row trade-head">
                    <span>"Time"</span>
                    <span class="num">"YES px"</span>
                    <span class="num">"Size"</span>
                    <span>"Taker"</span>
                </div>
                <div style=move || list.spacer(window.get().0 .0)></div>
                <For each=shown key=|t| t.trade_id.clone() let:trade>
                    {
                        let taker = trade.taker();
                        let side = taker.map_or("", |s| s.as_str());
                        let time = trade.ts_ms.or(trade.ts.map(|s| s.saturating_mul(1000))).map(clock_ms).unwrap_or_default();
                        view! {
                            <div class=format!("trade-row taker-{side}") data-testid="trade-row" data-taker=side
                                data-trade-id=trade.trade_id.to_string()>
                                <span class="muted">{time}</span>
                                <span class="num">{move || crate::format::price(trade.yes_price_dollars)}</span>
                                <span class="num">{trade.count_fp.to_string()}</span>
                                <span class="taker">{side.to_uppercase()}</span>
                            </div>
                        }
                    }
                </For>
                <div style=move || {
                    let ((_, last), len) = window.get();
                    list.spacer(len.saturating_sub(last))
                }></div>
            </div>
        </div>
    }
}
