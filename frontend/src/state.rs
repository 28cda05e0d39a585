//! The desk's live client state: one `Copy` bundle of signals provided as context.
//!
//! The socket ([`crate::ws`]) writes into it frame by frame; REST loads (see
//! [`crate::pages::desk`]) seed it; components read it. Every mutation that a frame
//! causes is a plain method here so the rules (book version, order upsert/remove, fill
//! dedupe, caps) live in one place.

use std::collections::{HashMap, VecDeque};

use leptos::prelude::*;
use shared::book::{BookLevels, OrderBook};
use shared::groups::OrderGroupView;
use shared::ids::{Action, MarketTicker, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::protocol::{Environment, LifecycleView, OrderView, PositionView, UpstreamState};
use shared::rest::OrderStatus;
use shared::ws::{
    FillMsg, MarketPositionMsg, OrderGroupUpdatesMsg, OrderGroupUpdatesMsgEventType, TickerMsg,
    TradeMsg,
};

/// Trades kept on the tape.
pub const TAPE_CAP: usize = 100;
/// Fills kept in the recent-fills table.
pub const FILLS_CAP: usize = 100;

/// The book of the open market, as the socket last described it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveBook {
    /// Which market the book belongs to (`None` before a market is opened).
    pub ticker: Option<MarketTicker>,
    /// Both bid ladders.
    pub book: OrderBook,
    /// Book/level frames applied since the market was opened.
    pub version: u64,
    /// True while the backend says the book is stale.
    pub stale: bool,
    /// True once a snapshot has arrived for this market.
    pub loaded: bool,
}

/// Socket state of the browser ⇄ backend connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketState {
    /// Opening (first attempt or a retry).
    Connecting,
    /// Open.
    Open,
    /// Closed after repeated failures; still retrying.
    Failed,
}

/// The connection badge's three states (`data-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Socket open and upstream live.
    Live,
    /// Socket or upstream (re)connecting.
    Connecting,
    /// Socket failing or upstream down.
    Down,
}

impl ConnState {
    /// `live` / `connecting` / `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Live => "live",
            ConnState::Connecting => "connecting",
            ConnState::Down => "down",
        }
    }
}

/// One row of the recent-fills table, from the desk's `/api/fills` or a socket `fill`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRow {
    /// Dedupe key.
    pub trade_id: TradeId,
    /// Market.
    pub market_ticker: Option<MarketTicker>,
    /// Outcome side the fill positioned for.
    pub side: Option<Side>,
    /// Price on that side's own leg.
    pub price: Option<Dollars>,
    /// Contracts.
    pub count: Count,
    /// Took liquidity.
    pub is_taker: bool,
    /// Display time (`HH:MM:SS`).
    pub time: String,
    /// The desk user whose order filled (REST only; socket frames do not say).
    pub owner: Option<String>,
}

/// Price on `side`'s own leg from a YES price.
fn leg_price(side: Option<Side>, yes: Dollars) -> Dollars {
    match side {
        Some(Side::No) => yes.complement(),
        _ => yes,
    }
}

impl FillRow {
    /// From the desk's `/api/fills` row (read by the backend, with the desk user whose
    /// order filled).
    pub fn from_view(f: &shared::protocol::FillView) -> Self {
        let time = match (&f.created_time, f.ts) {
            (Some(t), _) => crate::format::rfc3339_time(t),
            (None, Some(ts)) => crate::format::clock_ms(ts.saturating_mul(1000)),
            (None, None) => String::new(),
        };
        FillRow {
            trade_id: f.trade_id.clone(),
            market_ticker: f.market_ticker.clone(),
            side: f.side,
            price: f.yes_price.map(|p| leg_price(f.side, p)),
            count: f.count,
            is_taker: f.is_taker,
            time,
            owner: f.owner.clone(),
        }
    }

    /// From a socket `fill` frame.
    pub fn from_msg(f: &FillMsg) -> Self {
        let side = f
            .outcome_side
            .or(f.book_side.map(shared::ids::BookSide::outcome))
            .or(f.side);
        let time = f
            .ts_ms
            .or(f.ts.map(|s| s.saturating_mul(1000)))
            .map(crate::format::clock_ms)
            .unwrap_or_default();
        FillRow {
            trade_id: f.trade_id.clone(),
            market_ticker: Some(f.market_ticker.clone()),
            side,
            price: Some(leg_price(side, f.yes_price_dollars)),
            count: f.count_fp,
            is_taker: f.is_taker,
            time,
            owner: None,
        }
    }
}

/// A transient notice in the corner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    /// Unique id (for keyed rendering and dismissal).
    pub id: u64,
    /// `fill`, `reject`, `info`.
    pub kind: &'static str,
    /// Text.
    pub text: String,
}

/// What changed since the last animation frame (see [`DeskState::render_next_frame`]).
#[derive(Clone, Copy)]
enum Dirty {
    Book,
    Tickers,
    Trades,
    Marks,
}

/// What changed since the last animation frame.
#[derive(Clone, Copy, Default)]
struct Pending {
    scheduled: bool,
    book: bool,
    tickers: bool,
    trades: bool,
    marks: bool,
}

thread_local! {
    /// The views to tell on the next animation frame.
    static RENDER: std::cell::Cell<Pending> = const {
        std::cell::Cell::new(Pending {
            scheduled: false,
            book: false,
            tickers: false,
            trades: false,
            marks: false,
        })
    };
}

/// Everything live on the desk. `Copy`: pass it around freely, get it with [`use_desk`].
#[derive(Clone, Copy)]
pub struct DeskState {
    /// Which Kalshi (from `/api/status` or the socket's `hello`).
    pub environment: RwSignal<Option<Environment>>,
    /// Exchange trading active (from `/api/status`).
    pub trading_active: RwSignal<Option<bool>>,
    /// The desk's kill switches in force (`halts` frames).
    pub halts: RwSignal<Vec<shared::auth::Halt>>,
    /// When a trading pause should end (RFC 3339), when Kalshi says.
    pub resumes_at: RwSignal<Option<String>>,
    /// Browser socket state.
    pub socket: RwSignal<SocketState>,
    /// Backend's upstream state (from `hello`/`upstream`).
    pub upstream: RwSignal<Option<UpstreamState>>,
    /// Open market.
    pub selected: RwSignal<Option<MarketTicker>>,
    /// Book of the open market.
    pub book: RwSignal<LiveBook>,
    /// Latest ticker fields per market (merged across frames).
    pub tickers: RwSignal<HashMap<MarketTicker, TickerMsg>>,
    /// The latest lifecycle event of each market the desk heard about (`lifecycle`
    /// frames: determined, settled, deactivated around a pause, …).
    pub lifecycle: RwSignal<HashMap<MarketTicker, LifecycleView>>,
    /// Books of every watched market (the open one and those with positions), kept from
    /// `book` and `level` frames, for their mids.
    books: StoredValue<HashMap<MarketTicker, OrderBook>>,
    /// Mid (YES) of every watched market whose book has both sides: the mark of
    /// unrealized P&L. Views are told once per animation frame.
    pub marks: RwSignal<HashMap<MarketTicker, Dollars>>,
    /// Trades of the open market, newest first.
    pub trades: RwSignal<VecDeque<TradeMsg>>,
    /// The account's resting orders.
    pub orders: RwSignal<Vec<OrderView>>,
    /// Positions (seeded by `/api/portfolio`, updated by `position` frames).
    pub positions: RwSignal<Vec<PositionView>>,
    /// Recent fills, newest first.
    pub fills: RwSignal<VecDeque<FillRow>>,
    /// Bumped to make the portfolio/orders/fills resources reload.
    pub account_reload: RwSignal<u64>,
    /// Notices.
    pub toasts: RwSignal<Vec<Toast>>,
    next_toast: StoredValue<u64>,
    toasted_fills: StoredValue<VecDeque<TradeId>>,
    /// Ticket: buy/sell.
    pub ticket_action: RwSignal<Action>,
    /// Ticket: yes/no.
    pub ticket_side: RwSignal<Side>,
    /// Ticket: price text as typed.
    pub ticket_price: RwSignal<String>,
    /// Ticket: count text as typed.
    pub ticket_count: RwSignal<String>,
    /// The selected subaccount (0 = primary): scopes the ticket, open orders and
    /// positions.
    pub subaccount: RwSignal<u32>,
    /// Order groups of the selected subaccount (seeded by `/api/order_groups`, updated by
    /// `order_group` frames).
    pub order_groups: RwSignal<Vec<OrderGroupView>>,
    /// Bumped to make the order groups and subaccount balances reload.
    pub groups_reload: RwSignal<u64>,
}

/// The desk state from context.
pub fn use_desk() -> DeskState {
    use_context::<DeskState>().expect("DeskState is provided by App before any component renders")
}

impl DeskState {
    /// Fresh state, nothing loaded.
    pub fn new() -> Self {
        DeskState {
            environment: RwSignal::new(None),
            trading_active: RwSignal::new(None),
            halts: RwSignal::new(Vec::new()),
            resumes_at: RwSignal::new(None),
            socket: RwSignal::new(SocketState::Connecting),
            upstream: RwSignal::new(None),
            selected: RwSignal::new(None),
            book: RwSignal::new(LiveBook::default()),
            lifecycle: RwSignal::new(HashMap::new()),
            tickers: RwSignal::new(HashMap::new()),
            books: StoredValue::new(HashMap::new()),
            marks: RwSignal::new(HashMap::new()),
            trades: RwSignal::new(VecDeque::new()),
            orders: RwSignal::new(Vec::new()),
            positions: RwSignal::new(Vec::new()),
            fills: RwSignal::new(VecDeque::new()),
            account_reload: RwSignal::new(0),
            toasts: RwSignal::new(Vec::new()),
            next_toast: StoredValue::new(1),
            toasted_fills: StoredValue::new(VecDeque::new()),
            ticket_action: RwSignal::new(Action::Buy),
            ticket_side: RwSignal::new(Side::Yes),
            ticket_price: RwSignal::new(String::new()),
            ticket_count: RwSignal::new("1".to_owned()),
            subaccount: RwSignal::new(0),
            order_groups: RwSignal::new(Vec::new()),
            groups_reload: RwSignal::new(0),
        }
    }

    /// Switches the desk to subaccount `n`: its orders, positions and groups reload.
    pub fn set_subaccount(&self, n: u32) {
        if self.subaccount.get_untracked() == n {
            return;
        }
        self.subaccount.set(n);
        self.orders.set(Vec::new());
        self.positions.set(Vec::new());
        self.order_groups.set(Vec::new());
        self.account_reload.update(|x| *x += 1);
        self.groups_reload.update(|x| *x += 1);
    }

    /// An `order_group` frame (Kalshi's `order_group_updates`): updates the row of a known
    /// group; a new group reloads the list (the frame does not name its subaccount).
    pub fn apply_order_group(&self, m: &OrderGroupUpdatesMsg) {
        use OrderGroupUpdatesMsgEventType as E;
        let id = m.order_group_id.as_str();
        let known = self
            .order_groups
            .with_untracked(|g| g.iter().any(|g| g.order_group_id == id));
        match m.event_type {
            E::Created | E::Unknown => self.groups_reload.update(|x| *x += 1),
            _ if !known => {}
            E::Triggered => {
                self.order_groups.update(|gs| {
                    gs.iter_mut()
                        .filter(|g| g.order_group_id == id)
                        .for_each(|g| g.triggered = true);
                });
                self.toast(
                    "info",
                    format!(
                        "Order group {} triggered: its orders were cancelled",
                        short_id(id)
                    ),
                );
            }
            E::Reset => self.order_groups.update(|gs| {
                gs.iter_mut()
                    .filter(|g| g.order_group_id == id)
                    .for_each(|g| g.triggered = false);
            }),
            E::LimitUpdated => {
                if let Some(limit) = m.contracts_limit_fp {
                    self.order_groups.update(|gs| {
                        gs.iter_mut()
                            .filter(|g| g.order_group_id == id)
                            .for_each(|g| g.contracts_limit = limit);
                    });
                }
            }
            E::Deleted => self
                .order_groups
                .update(|gs| gs.retain(|g| g.order_group_id != id)),
        }
    }

    /// The connection badge state.
    pub fn conn_state(&self) -> ConnState {
        match (self.socket.get(), self.upstream.get()) {
            (SocketState::Open, Some(UpstreamState::Live)) => ConnState::Live,
            (SocketState::Open, Some(UpstreamState::Down)) => ConnState::Down,
            (SocketState::Open, _) | (SocketState::Connecting, _) => ConnState::Connecting,
            (SocketState::Failed, _) => ConnState::Down,
        }
    }

    /// Opens a market: resets its book and tape (the socket then sends `watch`).
    pub fn select(&self, ticker: MarketTicker) {
        if self.selected.get_untracked().as_ref() == Some(&ticker) {
            return;
        }
        self.book.set(LiveBook {
            ticker: Some(ticker.clone()),
            ..LiveBook::default()
        });
        self.trades.set(VecDeque::new());
        self.selected.set(Some(ticker));
    }

    fn is_open_market(&self, ticker: &MarketTicker) -> bool {
        self.book
            .with_untracked(|b| b.ticker.as_ref() == Some(ticker))
    }

    /// A `book` snapshot.
    pub fn apply_snapshot(&self, ticker: &MarketTicker, levels: &BookLevels, stale: bool) {
        self.books.update_value(|books| {
            books.insert(ticker.clone(), OrderBook::from_levels(levels));
        });
        self.update_mark(ticker);
        if !self.is_open_market(ticker) {
            return;
        }
        self.book.update(|b| {
            b.book = OrderBook::from_levels(levels);
            b.stale = stale;
            b.loaded = true;
            b.version += 1;
        });
    }

    /// A `level` frame: absolute count at one price. Applied to the book at once (no frame
    /// is skipped), but the views are told once per animation frame, so a book moving
    /// a thousand times a second costs one render per frame, not one per delta.
    pub fn apply_level(&self, ticker: &MarketTicker, side: Side, price: Dollars, count: Count) {
        self.books.update_value(|books| {
            if let Some(book) = books.get_mut(ticker) {
                book.set_level(side, price, count);
            }
        });
        self.update_mark(ticker);
        if !self.is_open_market(ticker) {
            return;
        }
        self.book.update_untracked(|b| {
            b.book.set_level(side, price, count);
            b.version += 1;
        });
        self.render_next_frame(Dirty::Book);
    }

    /// Recomputes one market's mark (mid) from its kept book; views hear of a change on
    /// the next animation frame.
    fn update_mark(&self, ticker: &MarketTicker) {
        let mid = self
            .books
            .with_value(|books| books.get(ticker).and_then(OrderBook::mid));
        let changed = self
            .marks
            .with_untracked(|marks| marks.get(ticker).copied() != mid);
        if changed {
            self.marks.update_untracked(|marks| match mid {
                Some(m) => {
                    marks.insert(ticker.clone(), m);
                }
                None => {
                    marks.remove(ticker);
                }
            });
            self.render_next_frame(Dirty::Marks);
        }
    }

    /// Forgets the kept books of markets no longer watched.
    pub fn keep_books(&self, watched: &std::collections::BTreeSet<MarketTicker>) {
        self.books
            .update_value(|books| books.retain(|t, _| watched.contains(t)));
    }

    /// Marks `what` changed and tells its views on the next animation frame (once).
    fn render_next_frame(&self, what: Dirty) {
        let first = RENDER.with(|r| {
            let mut p = r.get();
            match what {
                Dirty::Book => p.book = true,
                Dirty::Tickers => p.tickers = true,
                Dirty::Trades => p.trades = true,
                Dirty::Marks => p.marks = true,
            }
            let first = !p.scheduled;
            p.scheduled = true;
            r.set(p);
            first
        });
        if first {
            let desk = *self;
            request_animation_frame(move || {
                let p = RENDER.with(|r| r.replace(Pending::default()));
                if p.book {
                    desk.book.notify();
                }
                if p.tickers {
                    desk.tickers.notify();
                }
                if p.trades {
                    desk.trades.notify();
                }
                if p.marks {
                    desk.marks.notify();
                }
            });
        }
    }

    /// A `stale` frame.
    pub fn mark_stale(&self, ticker: &MarketTicker) {
        if self.is_open_market(ticker) {
            self.book.update(|b| b.stale = true);
        }
    }

    /// A `ticker` frame: merged field by field (frames may carry only what changed).
    pub fn apply_ticker(&self, t: TickerMsg) {
        self.render_next_frame(Dirty::Tickers);
        self.tickers
            .update_untracked(|map| match map.get_mut(&t.market_ticker) {
                None => {
                    map.insert(t.market_ticker.clone(), t);
                }
                Some(old) => {
                    macro_rules! merge {
                    ($($f:ident),*) => { $( if t.$f.is_some() { old.$f = t.$f.clone(); } )* };
                }
                    merge!(
                        price_dollars,
                        yes_bid_dollars,
                        yes_ask_dollars,
                        volume_fp,
                        open_interest_fp,
                        dollar_volume,
                        dollar_open_interest,
                        yes_bid_size_fp,
                        yes_ask_size_fp,
                        last_trade_size_fp,
                        ts,
                        ts_ms
                    );
                }
            });
    }

    /// A `trade` frame.
    pub fn apply_trade(&self, t: TradeMsg) {
        if !self.is_open_market(&t.market_ticker) {
            return;
        }
        self.trades.update_untracked(|tape| {
            if tape.iter().any(|x| x.trade_id == t.trade_id) {
                return;
            }
            tape.push_front(t);
            tape.truncate(TAPE_CAP);
        });
        self.render_next_frame(Dirty::Trades);
    }

    /// An `order` frame: upsert while resting, drop otherwise (only the selected
    /// subaccount's orders are kept).
    pub fn apply_order(&self, o: OrderView) {
        if o.subaccount != self.subaccount.get_untracked() {
            return;
        }
        self.orders.update(|orders| {
            let at = orders.iter().position(|x| x.order_id == o.order_id);
            match (o.status == OrderStatus::Resting, at) {
                (true, Some(i)) => {
                    // Socket frames do not carry the desk user; keep the one REST gave.
                    let owner = orders[i].owner.take();
                    orders[i] = o;
                    if orders[i].owner.is_none() {
                        orders[i].owner = owner;
                    }
                }
                (true, None) => orders.push(o),
                (false, Some(i)) => {
                    orders.remove(i);
                }
                (false, None) => {}
            }
        });
    }

    /// Removes one order locally (after a successful cancel).
    pub fn forget_order(&self, id: &shared::ids::OrderId) {
        self.orders
            .update(|orders| orders.retain(|o| &o.order_id != id));
    }

    /// A `fill` frame: row, toast, and a portfolio reload. The toast is deduped on its own:
    /// a REST reload may list the fill before its frame arrives.
    pub fn apply_fill(&self, f: &FillMsg) {
        let row = FillRow::from_msg(f);
        self.fills.update(|fills| {
            if fills.iter().all(|x| x.trade_id != row.trade_id) {
                fills.push_front(row.clone());
                fills.truncate(FILLS_CAP);
            }
        });
        let fresh = self.toasted_fills.try_update_value(|seen| {
            if seen.contains(&row.trade_id) {
                return false;
            }
            seen.push_back(row.trade_id.clone());
            if seen.len() > FILLS_CAP {
                seen.pop_front();
            }
            true
        });
        if fresh == Some(true) {
            let side = row
                .side
                .map_or("", |s| if s == Side::Yes { "YES " } else { "NO " });
            let price = row.price.map(|p| format!(" @ {p}")).unwrap_or_default();
            self.toast(
                "fill",
                format!("Filled {} {side}{price} · {}", row.count, f.market_ticker),
            );
            self.account_reload.update(|n| *n += 1);
        }
    }

    /// Replaces the fills with a REST load, keeping socket fills the load does not know yet.
    pub fn seed_fills(&self, rest: &[shared::protocol::FillView]) {
        let mut rows: VecDeque<FillRow> = rest.iter().map(FillRow::from_view).collect();
        self.fills.update(|fills| {
            for live in fills.iter().rev() {
                if rows.iter().all(|r| r.trade_id != live.trade_id) {
                    rows.push_front(live.clone());
                }
            }
            rows.truncate(FILLS_CAP);
            *fills = rows;
        });
    }

    /// A `position` frame (only the selected subaccount's positions are kept).
    pub fn apply_position(&self, p: &MarketPositionMsg) {
        if p.subaccount.unwrap_or(0) != self.subaccount.get_untracked() {
            return;
        }
        let mut went_flat = false;
        self.positions.update(|positions| {
            let at = positions
                .iter()
                .position(|x| x.market_ticker == p.market_ticker);
            if p.position_fp.is_zero() {
                if let Some(i) = at {
                    positions.remove(i);
                    // Closed or settled: cash, realized P&L and settlements changed.
                    went_flat = true;
                }
                return;
            }
            let old = at.map(|i| positions[i].clone());
            let row = PositionView {
                market_ticker: p.market_ticker.clone(),
                position: p.position_fp,
                exposure: p
                    .position_cost_dollars
                    .or(old.as_ref().map(|o| o.exposure))
                    .unwrap_or_default(),
                realized_pnl: p
                    .realized_pnl_dollars
                    .or(old.as_ref().map(|o| o.realized_pnl))
                    .unwrap_or_default(),
                fees_paid: p
                    .fees_paid_dollars
                    .or(old.as_ref().map(|o| o.fees_paid))
                    .unwrap_or_default(),
            };
            match at {
                Some(i) => positions[i] = row,
                None => positions.push(row),
            }
        });
        if went_flat {
            self.account_reload.update(|n| *n += 1);
        }
    }

    /// Shows a notice for a few seconds.
    pub fn toast(&self, kind: &'static str, text: String) {
        let id = self.next_toast.get_value();
        self.next_toast.set_value(id + 1);
        self.toasts.update(|t| {
            t.push(Toast { id, kind, text });
            if t.len() > 6 {
                t.remove(0);
            }
        });
        let toasts = self.toasts;
        set_timeout(
            move || toasts.update(|t| t.retain(|x| x.id != id)),
            std::time::Duration::from_secs(6),
        );
    }

    /// Puts a ladder level's price (and side) into the ticket: click-to-trade.
    pub fn ticket_from_level(&self, side: Side, price: Dollars) {
        self.ticket_side.set(side);
        self.ticket_price.set(price.to_string());
    }
}

/// The first 8 characters of an id, for display.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

impl Default for DeskState {
    fn default() -> Self {
        Self::new()
    }
}
