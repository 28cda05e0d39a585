//! The rules a socket frame causes, as plain functions over plain data: no signals, no
//! browser, so they compile natively and are unit-tested here. The context structs in the
//! sibling modules hold the signals and call these.

use std::collections::{HashMap, HashSet, VecDeque};

use shared::book::{BookLevels, OrderBook};
use shared::groups::OrderGroupView;
use shared::ids::{MarketTicker, OrderId, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderView, PositionView};
use shared::rest::OrderStatus;
use shared::ws::{OrderGroupUpdatesMsg, OrderGroupUpdatesMsgEventType, TickerMsg, TradeMsg};

/// Trades kept on the tape.
pub const TAPE_CAP: usize = 100;
/// Fills kept in the recent-fills table (and fill toasts remembered for dedupe).
pub const FILLS_CAP: usize = 100;
/// Notices shown at once; the oldest goes first.
pub const TOASTS_CAP: usize = 6;

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

impl LiveBook {
    /// The empty book of a market just opened.
    pub fn opened(ticker: MarketTicker) -> Self {
        LiveBook {
            ticker: Some(ticker),
            ..LiveBook::default()
        }
    }

    /// Whether frames about `ticker` belong to this book.
    pub fn is_of(&self, ticker: &MarketTicker) -> bool {
        self.ticker.as_ref() == Some(ticker)
    }

    /// A `book` snapshot replaces both ladders.
    pub fn apply_snapshot(&mut self, levels: &BookLevels, stale: bool) {
        self.book = OrderBook::from_levels(levels);
        self.stale = stale;
        self.loaded = true;
        self.version += 1;
    }

    /// A `level` frame: the absolute count at one price (zero removes the level).
    pub fn apply_level(&mut self, side: Side, price: Dollars, count: Count) {
        self.book.set_level(side, price, count);
        self.version += 1;
    }

    /// The count at one level (zero when absent).
    pub fn count(&self, side: Side, price: Dollars) -> Count {
        self.book
            .ladder(side)
            .get(&price)
            .copied()
            .unwrap_or(Count::ZERO)
    }

    /// A side's prices, best (highest) first.
    pub fn prices(&self, side: Side) -> Vec<Dollars> {
        self.book.ladder(side).keys().rev().copied().collect()
    }

    /// The largest count on either side (the full width of a depth bar).
    pub fn max_count(&self) -> Count {
        [Side::Yes, Side::No]
            .iter()
            .flat_map(|&s| self.book.ladder(s).values().copied())
            .max()
            .unwrap_or(Count::ZERO)
    }
}

/// A ladder level's key.
pub type LevelKey = (Side, Dollars);

/// Brings keyed per-level cells (`rows`) in line with `book`: only the levels in `dirty`
/// (every level when `None`, after a snapshot or a market switch) are looked at. A level
/// that changed count is `set`; a new one is `make`d; a gone one is dropped. Returns the
/// sides whose set of prices changed (their lists must be rebuilt).
pub fn sync_levels<S>(
    book: &LiveBook,
    rows: &mut HashMap<LevelKey, S>,
    dirty: Option<&HashSet<LevelKey>>,
    mut make: impl FnMut(Count) -> S,
    mut set: impl FnMut(&S, Count),
) -> HashSet<Side> {
    let mut reshaped = HashSet::new();
    let keys: Vec<LevelKey> = match dirty {
        Some(d) => d.iter().copied().collect(),
        None => {
            let mut all: HashSet<LevelKey> = rows.keys().copied().collect();
            for side in [Side::Yes, Side::No] {
                all.extend(book.book.ladder(side).keys().map(|&p| (side, p)));
            }
            all.into_iter().collect()
        }
    };
    for (side, price) in keys {
        let count = book.book.ladder(side).get(&price).copied();
        match (count, rows.get(&(side, price))) {
            (Some(c), Some(row)) => set(row, c),
            (Some(c), None) => {
                rows.insert((side, price), make(c));
                reshaped.insert(side);
            }
            (None, Some(_)) => {
                rows.remove(&(side, price));
                reshaped.insert(side);
            }
            (None, None) => {}
        }
    }
    reshaped
}

/// An `order` frame: upsert while resting, drop otherwise. Socket frames do not carry the
/// desk user; a known order keeps the owner REST gave it.
pub fn upsert_order(orders: &mut Vec<OrderView>, mut o: OrderView) {
    let at = orders.iter().position(|x| x.order_id == o.order_id);
    match (o.status == OrderStatus::Resting, at) {
        (true, Some(i)) => {
            if o.owner.is_none() {
                o.owner = orders[i].owner.take();
            }
            orders[i] = o;
        }
        (true, None) => orders.push(o),
        (false, Some(i)) => {
            orders.remove(i);
        }
        (false, None) => {}
    }
}

/// Removes one order (after a successful cancel).
pub fn forget_order(orders: &mut Vec<OrderView>, id: &OrderId) {
    orders.retain(|o| &o.order_id != id);
}

/// When a fill executed, as its source gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FillTime {
    /// RFC 3339 text (REST).
    Rfc3339(String),
    /// Unix milliseconds.
    Ms(i64),
    /// Not given.
    Unknown,
}

/// One row of the recent-fills table, from the desk's [`shared::protocol::FillView`].
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
    /// When.
    pub time: FillTime,
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
    /// From the desk's fill row: a `/api/fills` row (with the desk user whose order
    /// filled) or a socket `fill` frame; the backend has read Kalshi's fields already.
    pub fn from_view(f: &shared::protocol::FillView) -> Self {
        let time = match (&f.created_time, f.ts_ms) {
            (Some(t), _) => FillTime::Rfc3339(t.clone()),
            (None, Some(ms)) => FillTime::Ms(ms),
            (None, None) => FillTime::Unknown,
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

    /// The fill toast's text: `Filled 3.00 YES @ 0.4500 · KXDESK-…`.
    pub fn toast_text(&self) -> String {
        let side = self
            .side
            .map_or("", |s| if s == Side::Yes { " YES" } else { " NO" });
        let price = self.price.map(|p| format!(" @ {p}")).unwrap_or_default();
        let market = self
            .market_ticker
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        format!("Filled {}{side}{price} · {market}", self.count)
    }
}

/// Puts a fill on top of the table unless it is there already; keeps [`FILLS_CAP`] rows.
/// Returns whether it was new.
pub fn push_fill(fills: &mut VecDeque<FillRow>, row: FillRow) -> bool {
    if fills.iter().any(|x| x.trade_id == row.trade_id) {
        return false;
    }
    fills.push_front(row);
    fills.truncate(FILLS_CAP);
    true
}

/// The table after a REST load: its rows, with the socket fills it does not know yet on top
/// (a frame may arrive before the fill is listed), capped at [`FILLS_CAP`].
pub fn seed_fills(
    live: &VecDeque<FillRow>,
    rest: &[shared::protocol::FillView],
) -> VecDeque<FillRow> {
    let mut rows: VecDeque<FillRow> = rest.iter().map(FillRow::from_view).collect();
    for row in live.iter().rev() {
        if rows.iter().all(|r| r.trade_id != row.trade_id) {
            rows.push_front(row.clone());
        }
    }
    rows.truncate(FILLS_CAP);
    rows
}

/// Remembers that a fill was announced; true the first time (the last [`FILLS_CAP`] ids
/// are remembered). The toast is deduped on its own: a REST reload may list the fill
/// before its frame arrives.
pub fn first_sighting(seen: &mut VecDeque<TradeId>, id: &TradeId) -> bool {
    if seen.contains(id) {
        return false;
    }
    seen.push_back(id.clone());
    if seen.len() > FILLS_CAP {
        seen.pop_front();
    }
    true
}

/// A `position` frame applied to the positions list: a flat position leaves it, others are
/// upserted. Returns true when a position went flat (closed or settled: cash, realized P&L
/// and settlements changed).
pub fn apply_position(positions: &mut Vec<PositionView>, p: PositionView) -> bool {
    let at = positions
        .iter()
        .position(|x| x.market_ticker == p.market_ticker);
    match (p.position.is_zero(), at) {
        (true, Some(i)) => {
            positions.remove(i);
            true
        }
        (true, None) => false,
        (false, Some(i)) => {
            positions[i] = p;
            false
        }
        (false, None) => {
            positions.push(p);
            false
        }
    }
}

/// A `ticker` frame merged field by field (frames may carry only what changed).
pub fn merge_ticker(map: &mut HashMap<MarketTicker, TickerMsg>, t: TickerMsg) {
    match map.get_mut(&t.market_ticker) {
        None => {
            map.insert(t.market_ticker.clone(), t);
        }
        Some(old) => old.merge(t),
    }
}

/// A `trade` frame on the tape (newest first, deduped, [`TAPE_CAP`] kept). Returns whether
/// it was new.
pub fn push_trade(tape: &mut VecDeque<TradeMsg>, t: TradeMsg) -> bool {
    if tape.iter().any(|x| x.trade_id == t.trade_id) {
        return false;
    }
    tape.push_front(t);
    tape.truncate(TAPE_CAP);
    true
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

/// Adds a notice with the next id (ids only grow); keeps the newest [`TOASTS_CAP`]. Returns
/// its id.
pub fn push_toast(
    toasts: &mut Vec<Toast>,
    next_id: &mut u64,
    kind: &'static str,
    text: String,
) -> u64 {
    let id = *next_id;
    *next_id = next_id.saturating_add(1);
    toasts.push(Toast { id, kind, text });
    if toasts.len() > TOASTS_CAP {
        let extra = toasts.len() - TOASTS_CAP;
        toasts.drain(..extra);
    }
    id
}

/// What an `order_group` frame asks of the desk besides the rows it changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupOutcome {
    /// Read the groups again (a new group: the frame does not name its subaccount).
    pub reload: bool,
    /// A notice to show.
    pub toast: Option<String>,
}

/// An `order_group` frame (Kalshi's `order_group_updates`) applied to the groups of the
/// selected subaccount: updates the row of a known group; frames about other groups are
/// ignored, except `created` (and unknown kinds), which reload the list.
pub fn apply_order_group(
    groups: &mut Vec<OrderGroupView>,
    m: &OrderGroupUpdatesMsg,
) -> GroupOutcome {
    use OrderGroupUpdatesMsgEventType as E;
    let id = m.order_group_id.as_str();
    let known = groups.iter().any(|g| g.order_group_id == id);
    let mut out = GroupOutcome::default();
    let mut each = |f: &mut dyn FnMut(&mut OrderGroupView)| {
        groups
            .iter_mut()
            .filter(|g| g.order_group_id == id)
            .for_each(f);
    };
    match m.event_type {
        E::Created | E::Unknown => out.reload = true,
        _ if !known => {}
        E::Triggered => {
            each(&mut |g| g.triggered = true);
            out.toast = Some(format!(
                "Order group {} triggered: its orders were cancelled",
                short_id(id)
            ));
        }
        E::Reset => each(&mut |g| g.triggered = false),
        E::LimitUpdated => {
            if let Some(limit) = m.contracts_limit_fp {
                each(&mut |g| g.contracts_limit = limit);
            }
        }
        E::Deleted => groups.retain(|g| g.order_group_id != id),
    }
    out
}

/// The first 8 characters of an id, for display.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// A windowed list's geometry: rows of one fixed height (CSS pixels, as the style sets
/// them) and how many rows to keep in the document either side of the visible ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowWindow {
    /// Height of one row, CSS pixels.
    pub row_px: u32,
    /// Rows kept above and below the visible ones.
    pub overscan: u32,
}

/// The market finder's rows (`.market-list .market-row` in the style): about a hundred in
/// the document, whatever the list's length.
pub const MARKET_ROWS: RowWindow = RowWindow {
    row_px: 38,
    overscan: 30,
};

/// The trades tape's rows (`.tape .trade-row` in the style): the rows in view and a few
/// more, so a burst of trades in one frame replaces at most a window of rows, not the
/// [`TAPE_CAP`] the tape keeps.
pub const TAPE_ROWS: RowWindow = RowWindow {
    row_px: 20,
    overscan: 5,
};

impl RowWindow {
    /// The rows `[first, last)` of a list of `len` rows to render when it is scrolled
    /// `scroll_px` down a viewport `viewport_px` tall: the visible rows and the overscan
    /// either side.
    pub fn rows(self, len: usize, scroll_px: u32, viewport_px: u32) -> (usize, usize) {
        let row = self.row_px.max(1);
        let first = (scroll_px / row).saturating_sub(self.overscan);
        let last = (scroll_px.saturating_add(viewport_px) / row)
            .saturating_add(1)
            .saturating_add(self.overscan);
        let at = |rows: u32| usize::try_from(rows).unwrap_or(usize::MAX).min(len);
        (at(first), at(last))
    }

    /// Height of `rows` rows, CSS pixels (a spacer standing for the rows not rendered).
    pub fn height_px(self, rows: usize) -> u64 {
        u64::try_from(rows)
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(self.row_px))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::FillView;

    fn d(s: &str) -> Dollars {
        s.parse().expect("test price")
    }

    fn c(s: &str) -> Count {
        s.parse().expect("test count")
    }

    fn ticker(s: &str) -> MarketTicker {
        MarketTicker::from(s)
    }

    fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_json::from_str(text).expect("test fixture")
    }

    fn order(id: &str, status: &str, remaining: &str, owner: Option<&str>) -> OrderView {
        let mut o: OrderView = json(&format!(
            r#"{{"order_id":"{id}","market_ticker":"KXT-1","side":"yes","price":"0.4000",
                "yes_price":"0.4000","remaining":"{remaining}","filled":"0","status":"{status}"}}"#
        ));
        o.owner = owner.map(str::to_owned);
        o
    }

    fn fill_view(id: &str) -> FillView {
        json(&format!(
            r#"{{"trade_id":"{id}","order_id":"o","market_ticker":"KXT-1","side":"no",
                "yes_price":"0.3000","count":"2","is_taker":true,"ts_ms":1700000000000}}"#
        ))
    }

    fn fill_row(id: &str) -> FillRow {
        FillRow::from_view(&fill_view(id))
    }

    #[test]
    fn book_versions_snapshots_and_levels() {
        let mut b = LiveBook::opened(ticker("KXT-1"));
        assert!(b.is_of(&ticker("KXT-1")) && !b.is_of(&ticker("KXT-2")));
        assert!(!b.loaded);
        let levels: BookLevels =
            json(r#"{"yes":[["0.40","10"],["0.41","5"]],"no":[["0.55","7"]]}"#);
        b.apply_snapshot(&levels, true);
        assert_eq!((b.version, b.loaded, b.stale), (1, true, true));
        assert_eq!(b.prices(Side::Yes), vec![d("0.41"), d("0.40")]);
        assert_eq!(b.max_count(), c("10"));
        b.apply_level(Side::Yes, d("0.41"), c("12"));
        b.apply_level(Side::No, d("0.55"), Count::ZERO);
        assert_eq!(b.version, 3);
        assert_eq!(b.count(Side::Yes, d("0.41")), c("12"));
        assert_eq!(b.count(Side::No, d("0.55")), Count::ZERO);
        assert!(b.prices(Side::No).is_empty());
        assert_eq!(b.max_count(), c("12"));
    }

    #[test]
    fn sync_levels_touches_only_dirty_levels() {
        let mut b = LiveBook::opened(ticker("KXT-1"));
        let levels: BookLevels = json(r#"{"yes":[["0.40","10"],["0.41","5"]],"no":[]}"#);
        b.apply_snapshot(&levels, false);
        let mut rows: HashMap<LevelKey, std::cell::Cell<Count>> = HashMap::new();
        let mut sets = 0;
        let reshaped = sync_levels(&b, &mut rows, None, std::cell::Cell::new, |r, n| {
            sets += 1;
            r.set(n)
        });
        assert_eq!(reshaped, HashSet::from([Side::Yes]));
        assert_eq!(rows.len(), 2);
        assert_eq!(sets, 0, "new levels are made, not set");

        // One level changes, one appears on the other side, one goes.
        b.apply_level(Side::Yes, d("0.41"), c("6"));
        b.apply_level(Side::No, d("0.50"), c("3"));
        b.apply_level(Side::Yes, d("0.40"), Count::ZERO);
        let dirty = HashSet::from([
            (Side::Yes, d("0.41")),
            (Side::No, d("0.50")),
            (Side::Yes, d("0.40")),
        ]);
        let mut touched = Vec::new();
        let reshaped = sync_levels(&b, &mut rows, Some(&dirty), std::cell::Cell::new, |r, n| {
            touched.push(n);
            r.set(n)
        });
        assert_eq!(reshaped, HashSet::from([Side::Yes, Side::No]));
        assert_eq!(touched, vec![c("6")], "only the changed level is set");
        assert_eq!(rows[&(Side::Yes, d("0.41"))].get(), c("6"));
        assert_eq!(rows[&(Side::No, d("0.50"))].get(), c("3"));
        assert!(!rows.contains_key(&(Side::Yes, d("0.40"))));

        // A count change alone does not reshape the lists.
        b.apply_level(Side::No, d("0.50"), c("4"));
        let dirty = HashSet::from([(Side::No, d("0.50"))]);
        let reshaped = sync_levels(&b, &mut rows, Some(&dirty), std::cell::Cell::new, |r, n| {
            r.set(n)
        });
        assert!(reshaped.is_empty());

        // A market switch (empty book, full sync) drops every row.
        let reshaped = sync_levels(
            &LiveBook::default(),
            &mut rows,
            None,
            std::cell::Cell::new,
            |r, n| r.set(n),
        );
        assert!(rows.is_empty());
        assert_eq!(reshaped, HashSet::from([Side::Yes, Side::No]));
    }

    #[test]
    fn orders_upsert_while_resting_and_keep_their_owner() {
        let mut orders = Vec::new();
        upsert_order(&mut orders, order("a", "resting", "10", Some("ada")));
        upsert_order(&mut orders, order("b", "resting", "5", None));
        // A socket frame without an owner keeps the one REST gave.
        upsert_order(&mut orders, order("a", "resting", "7", None));
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].remaining, c("7"));
        assert_eq!(orders[0].owner.as_deref(), Some("ada"));
        // Executed or cancelled: gone; an unknown finished order is ignored.
        upsert_order(&mut orders, order("a", "executed", "0", None));
        upsert_order(&mut orders, order("z", "canceled", "0", None));
        assert_eq!(
            orders
                .iter()
                .map(|o| o.order_id.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        forget_order(&mut orders, &OrderId::from("b"));
        assert!(orders.is_empty());
    }

    #[test]
    fn fills_dedupe_and_cap() {
        let mut fills = VecDeque::new();
        assert!(push_fill(&mut fills, fill_row("t1")));
        assert!(!push_fill(&mut fills, fill_row("t1")), "same trade twice");
        for i in 0..FILLS_CAP + 5 {
            push_fill(&mut fills, fill_row(&format!("x{i}")));
        }
        assert_eq!(fills.len(), FILLS_CAP);
        assert_eq!(fills[0].trade_id.as_str(), format!("x{}", FILLS_CAP + 4));
    }

    #[test]
    fn fill_rows_price_their_own_leg() {
        let row = fill_row("t1");
        assert_eq!(row.side, Some(Side::No));
        assert_eq!(row.price, Some(d("0.7")));
        assert_eq!(row.time, FillTime::Ms(1_700_000_000_000));
        assert_eq!(row.toast_text(), "Filled 2.00 NO @ 0.7000 · KXT-1");
    }

    #[test]
    fn seeding_keeps_socket_fills_rest_does_not_know() {
        let mut live = VecDeque::new();
        push_fill(&mut live, fill_row("old"));
        push_fill(&mut live, fill_row("new"));
        let rows = seed_fills(&live, &[fill_view("old"), fill_view("older")]);
        let ids: Vec<_> = rows
            .iter()
            .map(|r| r.trade_id.as_str().to_owned())
            .collect();
        assert_eq!(ids, ["new", "old", "older"]);
        let many: Vec<FillView> = (0..FILLS_CAP + 3)
            .map(|i| fill_view(&format!("r{i}")))
            .collect();
        assert_eq!(seed_fills(&live, &many).len(), FILLS_CAP);
    }

    #[test]
    fn fill_toasts_are_announced_once() {
        let mut seen = VecDeque::new();
        let id = TradeId::from("t1");
        assert!(first_sighting(&mut seen, &id));
        assert!(!first_sighting(&mut seen, &id));
        for i in 0..FILLS_CAP {
            first_sighting(&mut seen, &TradeId::from(format!("x{i}").as_str()));
        }
        assert_eq!(seen.len(), FILLS_CAP);
        assert!(
            first_sighting(&mut seen, &id),
            "forgotten after FILLS_CAP others"
        );
    }

    #[test]
    fn positions_upsert_and_go_flat() {
        let row = |market: &str, position: &str| -> PositionView {
            json(&format!(
                r#"{{"market_ticker":"{market}","position":"{position}","exposure":"2.00","realized_pnl":"0","fees_paid":"0.10"}}"#
            ))
        };
        let mut positions = Vec::new();
        assert!(!apply_position(&mut positions, row("KXT-1", "5")));
        assert!(!apply_position(&mut positions, row("KXT-1", "-3")));
        assert_eq!(positions.len(), 1);
        assert_eq!(positions[0].position, c("-3"));
        assert!(
            !apply_position(&mut positions, row("KXT-2", "0")),
            "unknown and flat"
        );
        assert!(apply_position(&mut positions, row("KXT-1", "0")));
        assert!(positions.is_empty());
    }

    #[test]
    fn tickers_merge_field_by_field() {
        let mut map = HashMap::new();
        merge_ticker(
            &mut map,
            json(r#"{"market_ticker":"KXT-1","price_dollars":"0.40","yes_bid_dollars":"0.39"}"#),
        );
        merge_ticker(
            &mut map,
            json(r#"{"market_ticker":"KXT-1","price_dollars":"0.42"}"#),
        );
        let t = &map[&ticker("KXT-1")];
        assert_eq!(t.price_dollars, Some(d("0.42")));
        assert_eq!(t.yes_bid_dollars, Some(d("0.39")));
    }

    #[test]
    fn tape_dedupes_and_caps() {
        let trade = |id: String| -> TradeMsg {
            json(&format!(
                r#"{{"trade_id":"{id}","market_ticker":"KXT-1","yes_price_dollars":"0.4","no_price_dollars":"0.6","count_fp":"1"}}"#
            ))
        };
        let mut tape = VecDeque::new();
        assert!(push_trade(&mut tape, trade("a".into())));
        assert!(!push_trade(&mut tape, trade("a".into())));
        for i in 0..TAPE_CAP + 1 {
            push_trade(&mut tape, trade(format!("t{i}")));
        }
        assert_eq!(tape.len(), TAPE_CAP);
        assert_eq!(tape[0].trade_id.as_str(), format!("t{TAPE_CAP}"));
    }

    #[test]
    fn toasts_get_growing_ids_and_keep_the_newest() {
        let (mut toasts, mut next) = (Vec::new(), 1);
        let first = push_toast(&mut toasts, &mut next, "info", "a".into());
        let second = push_toast(&mut toasts, &mut next, "info", "b".into());
        assert!(second > first);
        for i in 0..TOASTS_CAP {
            push_toast(&mut toasts, &mut next, "fill", format!("n{i}"));
        }
        assert_eq!(toasts.len(), TOASTS_CAP);
        assert!(toasts.iter().all(|t| t.id != first && t.id != second));
        let ids: HashSet<u64> = toasts.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), TOASTS_CAP, "ids are unique");
    }

    #[test]
    fn order_group_frames_update_known_groups() {
        let group = |id: &str| -> OrderGroupView {
            json(&format!(
                r#"{{"order_group_id":"{id}","contracts_limit":"10","triggered":false,"subaccount":0}}"#
            ))
        };
        let frame = |kind: &str, id: &str| -> OrderGroupUpdatesMsg {
            json(&format!(
                r#"{{"event_type":"{kind}","order_group_id":"{id}","contracts_limit_fp":"25","ts_ms":1}}"#
            ))
        };
        let mut groups = vec![group("group-0001"), group("group-0002")];
        let out = apply_order_group(&mut groups, &frame("triggered", "group-0001"));
        assert!(groups[0].triggered && !out.reload);
        assert_eq!(
            out.toast.as_deref(),
            Some("Order group group-00 triggered: its orders were cancelled")
        );
        apply_order_group(&mut groups, &frame("reset", "group-0001"));
        assert!(!groups[0].triggered);
        apply_order_group(&mut groups, &frame("limit_updated", "group-0002"));
        assert_eq!(groups[1].contracts_limit, c("25"));
        // Another subaccount's group: ignored; a new group or an unknown kind: reload.
        assert_eq!(
            apply_order_group(&mut groups, &frame("triggered", "other")),
            GroupOutcome::default()
        );
        assert!(apply_order_group(&mut groups, &frame("created", "new")).reload);
        assert!(apply_order_group(&mut groups, &frame("brand_new_kind", "x")).reload);
        apply_order_group(&mut groups, &frame("deleted", "group-0001"));
        assert_eq!(groups.len(), 1);
    }

    #[test]
    fn a_windowed_list_renders_the_visible_rows_and_the_overscan_only() {
        let rows = |len, scroll, viewport| MARKET_ROWS.rows(len, scroll, viewport);
        assert_eq!(rows(0, 0, 600), (0, 0));
        assert_eq!(rows(21, 0, 400), (0, 21), "a short list is whole");
        let (first, last) = rows(50_000, 0, 600);
        assert_eq!((first, last), (0, 600 / 38 + 1 + 30));
        let (first, last) = rows(50_000, 38 * 10_000, 600);
        assert_eq!(first, 10_000 - 30);
        assert!(last - first < 100, "{first}..{last}");
        assert_eq!(
            rows(100, 38 * 1_000, 600),
            (100, 100),
            "scrolled past the end"
        );
        assert_eq!(MARKET_ROWS.height_px(3), 114);
        assert_eq!(MARKET_ROWS.height_px(usize::MAX), u64::MAX, "saturates");
    }

    #[test]
    fn the_tape_renders_a_window_of_its_trades() {
        // A tape 300 px tall at the top: 16 rows in view and 5 below, of the 100 kept.
        assert_eq!(TAPE_ROWS.rows(TAPE_CAP, 0, 300), (0, 21));
        // Scrolled to its end: the last rows and 5 above.
        assert_eq!(TAPE_ROWS.rows(TAPE_CAP, 20 * 85, 300), (80, 100));
        // A tape taller than its trades shows them all.
        assert_eq!(TAPE_ROWS.rows(7, 0, 300), (0, 7));
        assert_eq!(
            RowWindow {
                row_px: 0,
                overscan: 0
            }
            .rows(10, 5, 5),
            (5, 10),
            "a zero row height is read as one pixel"
        );
    }
}
