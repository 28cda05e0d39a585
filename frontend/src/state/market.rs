//! The market-data context: the open market, its book (as a keyed store: one signal per
//! ladder level), tickers, lifecycle events, marks and the tape.
//!
//! Socket frames are applied to plain data at once (no frame is skipped), but views are
//! told once per animation frame: a book moving a thousand times a second costs one
//! render per frame, and then only the rows whose level changed.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use leptos::prelude::*;
use shared::book::{BookLevels, OrderBook};
use shared::ids::{EventTicker, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::LifecycleView;
use shared::ws::{TickerMsg, TradeMsg};

use super::rules::{self, LevelKey, LiveBook};

/// One row of a ladder: its price and the signal of its count (set only when that level's
/// count changes).
#[derive(Clone)]
pub struct Level {
    /// Price on that ladder's leg.
    pub price: Dollars,
    /// Contracts resting at it.
    pub count: ArcRwSignal<Count>,
}

/// The levels whose rows are behind the book.
#[derive(Default)]
struct DirtyLevels {
    /// Every level (after a snapshot or a market switch).
    all: bool,
    /// These levels.
    keys: HashSet<LevelKey>,
}

/// What changed since the last animation frame.
#[derive(Clone, Copy, Default)]
struct Pending {
    scheduled: bool,
    book: bool,
    tickers: bool,
    trades: bool,
    marks: bool,
    grid: bool,
}

/// Which view to tell on the next animation frame.
#[derive(Clone, Copy)]
enum Dirty {
    Book,
    Tickers,
    Trades,
    Marks,
    Grid,
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
            grid: false,
        })
    };
}

/// Most markets on the watchlist grid.
pub const GRID_MAX: usize = 12;

/// The market-data context. `Copy`; get it with [`use_market`].
#[derive(Clone, Copy)]
pub struct MarketData {
    /// Open market.
    pub selected: RwSignal<Option<MarketTicker>>,
    /// Book of the open market, whole: for views of the whole book (summary, depth chart).
    /// Told once per animation frame. Ladder rows read [`MarketData::levels`] instead.
    pub book: RwSignal<LiveBook>,
    /// Per-level count signals of the open book, keyed by (side, price).
    rows: StoredValue<HashMap<LevelKey, ArcRwSignal<Count>>>,
    /// The rows of the YES ladder, best first; changes only when a level appears or goes.
    yes_levels: RwSignal<Vec<Level>>,
    /// The rows of the NO ladder, best first.
    no_levels: RwSignal<Vec<Level>>,
    /// Levels changed since the rows were last brought in line.
    dirty: StoredValue<DirtyLevels>,
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
    /// The event whose board is open in the center pane (`None`: the market's book).
    pub board_event: RwSignal<Option<EventTicker>>,
    /// The open markets of that board: marked, so their tickers keep it live.
    pub board_markets: RwSignal<Vec<MarketTicker>>,
    /// The markets of the watchlist grid while it is open in the center pane (their books
    /// are watched); empty: closed.
    pub grid: RwSignal<Vec<MarketTicker>>,
    /// Told once per animation frame when a kept book changed (the open market's or
    /// another watched one's): the grid's small ladders read [`MarketData::top_levels`]
    /// after tracking it.
    pub kept_books: RwSignal<()>,
}

/// The market-data context.
pub fn use_market() -> MarketData {
    use_context::<MarketData>().expect("MarketData is provided by App before any component renders")
}

impl MarketData {
    /// No market open.
    pub fn new() -> Self {
        MarketData {
            selected: RwSignal::new(None),
            book: RwSignal::new(LiveBook::default()),
            rows: StoredValue::new(HashMap::new()),
            yes_levels: RwSignal::new(Vec::new()),
            no_levels: RwSignal::new(Vec::new()),
            dirty: StoredValue::new(DirtyLevels::default()),
            tickers: RwSignal::new(HashMap::new()),
            lifecycle: RwSignal::new(HashMap::new()),
            books: StoredValue::new(HashMap::new()),
            marks: RwSignal::new(HashMap::new()),
            trades: RwSignal::new(VecDeque::new()),
            board_event: RwSignal::new(None),
            board_markets: RwSignal::new(Vec::new()),
            grid: RwSignal::new(Vec::new()),
            kept_books: RwSignal::new(()),
        }
    }

    /// The rows of one ladder, best first (tracked: changes when a level appears or goes).
    pub fn levels(&self, side: Side) -> Vec<Level> {
        self.ladder(side).get()
    }

    fn ladder(&self, side: Side) -> RwSignal<Vec<Level>> {
        match side {
            Side::Yes => self.yes_levels,
            Side::No => self.no_levels,
        }
    }

    /// Opens a market: resets its book and tape (the socket then sends `watch`).
    pub fn select(&self, ticker: MarketTicker) {
        if self.selected.get_untracked().as_ref() == Some(&ticker) {
            return;
        }
        self.book.set(LiveBook::opened(ticker.clone()));
        self.sync_rows(true);
        self.trades.set(VecDeque::new());
        self.selected.set(Some(ticker));
    }

    fn is_open_market(&self, ticker: &MarketTicker) -> bool {
        self.book.with_untracked(|b| b.is_of(ticker))
    }

    /// A `book` snapshot: the rows follow at once.
    pub fn apply_snapshot(&self, ticker: &MarketTicker, levels: &BookLevels, stale: bool) {
        self.books.update_value(|books| {
            books.insert(ticker.clone(), OrderBook::from_levels(levels));
        });
        self.update_mark(ticker);
        self.render_next_frame(Dirty::Grid);
        if !self.is_open_market(ticker) {
            return;
        }
        self.book
            .update_untracked(|b| b.apply_snapshot(levels, stale));
        self.sync_rows(true);
        self.book.notify();
    }

    /// A `level` frame: absolute count at one price. Applied to the book at once; its row
    /// (and the whole-book views) hear of it on the next animation frame.
    pub fn apply_level(&self, ticker: &MarketTicker, side: Side, price: Dollars, count: Count) {
        self.books.update_value(|books| {
            if let Some(book) = books.get_mut(ticker) {
                book.set_level(side, price, count);
            }
        });
        self.update_mark(ticker);
        self.render_next_frame(Dirty::Grid);
        if !self.is_open_market(ticker) {
            return;
        }
        self.book
            .update_untracked(|b| b.apply_level(side, price, count));
        self.dirty.update_value(|d| {
            d.keys.insert((side, price));
        });
        self.render_next_frame(Dirty::Book);
    }

    /// Brings the level rows in line with the book: the changed levels' signals are set,
    /// new levels get a row, gone ones lose theirs (`all`: every level, else the dirty ones).
    fn sync_rows(&self, all: bool) {
        let dirty = self
            .dirty
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        let all = all || dirty.all;
        let mut sets: Vec<(ArcRwSignal<Count>, Count)> = Vec::new();
        let reshaped = self.book.with_untracked(|book| {
            self.rows
                .try_update_value(|rows| {
                    rules::sync_levels(
                        book,
                        rows,
                        (!all).then_some(&dirty.keys),
                        ArcRwSignal::new,
                        |row, count| sets.push((row.clone(), count)),
                    )
                })
                .unwrap_or_default()
        });
        for (row, count) in sets {
            if row.get_untracked() != count {
                row.set(count);
            }
        }
        for side in reshaped {
            let levels = self.book.with_untracked(|book| {
                self.rows.with_value(|rows| {
                    book.prices(side)
                        .into_iter()
                        .filter_map(|price| {
                            rows.get(&(side, price)).map(|count| Level {
                                price,
                                count: count.clone(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
            });
            self.ladder(side).set(levels);
        }
    }

    /// Recomputes one market's mark (mid) from its kept book; views hear of a change on
    /// the next animation frame.
    fn update_mark(&self, ticker: &MarketTicker) {
        let mid = self
            .books
            .with_value(|books| books.get(ticker).and_then(OrderBook::mid));
        self.set_mark(ticker, mid);
    }

    /// Sets (or clears) one market's mark; views hear of a change on the next animation
    /// frame.
    fn set_mark(&self, ticker: &MarketTicker, mid: Option<Dollars>) {
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

    /// The best `n` bids of `side` in a kept book (best first): a small ladder of the grid.
    pub fn top_levels(&self, ticker: &MarketTicker, side: Side, n: usize) -> Vec<(Dollars, Count)> {
        self.books.with_value(|books| {
            books.get(ticker).map_or_else(Vec::new, |book| {
                book.ladder(side)
                    .iter()
                    .rev()
                    .take(n)
                    .map(|(p, c)| (*p, *c))
                    .collect()
            })
        })
    }

    /// Opens the watchlist grid on `markets` (at most [`GRID_MAX`]), closing a board.
    pub fn open_grid(&self, markets: Vec<MarketTicker>) {
        self.close_board();
        self.grid.set(markets.into_iter().take(GRID_MAX).collect());
    }

    /// Closes the grid: its books are no longer watched.
    pub fn close_grid(&self) {
        self.grid.set(Vec::new());
    }

    /// Forgets the kept books of markets no longer watched.
    pub fn keep_books(&self, watched: &BTreeSet<MarketTicker>) {
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
                Dirty::Grid => p.grid = true,
            }
            let first = !p.scheduled;
            p.scheduled = true;
            r.set(p);
            first
        });
        if first {
            let market = *self;
            request_animation_frame(move || {
                let p = RENDER.with(|r| r.replace(Pending::default()));
                if p.book {
                    market.sync_rows(false);
                    market.book.notify();
                }
                if p.tickers {
                    market.tickers.notify();
                }
                if p.trades {
                    market.trades.notify();
                }
                if p.marks {
                    market.marks.notify();
                }
                if p.grid {
                    market.kept_books.notify();
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
        let ticker = t.market_ticker.clone();
        self.tickers
            .update_untracked(|map| rules::merge_ticker(map, t));
        self.render_next_frame(Dirty::Tickers);
        // A marked market (no book kept here) is marked at its ticker's mid.
        if !self.books.with_value(|books| books.contains_key(&ticker)) {
            let mid = self
                .tickers
                .with_untracked(|map| map.get(&ticker).and_then(TickerMsg::mid));
            self.set_mark(&ticker, mid);
        }
    }

    /// Opens `event`'s board in the center pane (its markets are marked once it loads).
    pub fn open_board(&self, event: EventTicker) {
        self.close_grid();
        self.board_markets.set(Vec::new());
        self.board_event.set(Some(event));
    }

    /// Closes the board: the center pane shows the market's book again and its markets are
    /// no longer marked for it.
    pub fn close_board(&self) {
        self.board_event.set(None);
        self.board_markets.set(Vec::new());
    }

    /// Seeds a market's ticker from a REST read, unless a frame already gave one (frames
    /// are newer).
    pub fn seed_ticker(&self, t: TickerMsg) {
        if self
            .tickers
            .with_untracked(|map| !map.contains_key(&t.market_ticker))
        {
            self.apply_ticker(t);
        }
    }

    /// A `trade` frame (the open market's only).
    pub fn apply_trade(&self, t: TradeMsg) {
        if !self.is_open_market(&t.market_ticker) {
            return;
        }
        if self
            .trades
            .try_update_untracked(|tape| rules::push_trade(tape, t))
            == Some(true)
        {
            self.render_next_frame(Dirty::Trades);
        }
    }

    /// A `lifecycle` frame about `market`.
    pub fn apply_lifecycle(&self, market: MarketTicker, event: LifecycleView) {
        self.lifecycle.update(|m| {
            m.insert(market, event);
        });
    }
}

impl Default for MarketData {
    fn default() -> Self {
        Self::new()
    }
}
