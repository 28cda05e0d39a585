//! The account's exposure in each market — net position and resting orders per
//! subaccount — kept live from the account channels, so the position-limit check
//! ([`crate::team::limits`]) reads memory instead of signing `GetOrders` and `GetPositions`
//! for every order.
//!
//! What feeds it, as published by the upstream task (or the cluster leader):
//! - `market_position` frames: one subaccount's absolute net position in one market;
//! - `fill` frames: contracts an order filled. Kalshi sends a fill's `fill` frame before
//!   the `market_position` frame that includes it (the built-in exchange does too), so a
//!   position frame *confirms* every fill frame of its market that came before it;
//! - `user_order` frames and the desk's own REST answers (`CreateOrderV2`, `AmendOrderV2`):
//!   each order's remaining and cumulative filled contracts;
//! - on a miss, a REST read ([`ExposureBook::begin_seed`] … [`ExposureBook::finish_seed`]):
//!   a market is tracked from its first limit check on, until the upstream socket leaves
//!   `live` (frames may have been missed), when everything is forgotten.
//!
//! **Never less than the truth.** A market's position here is its last absolute position
//! plus every fill the desk knows of that no position frame (or seed) has accounted for
//! yet: an order that filled at once is counted from the REST answer on, before its frames
//! arrive. Out-of-order arrival can only count a fill twice (cautious); a refusal is then
//! confirmed with a REST read before it is given ([`crate::team::limits::check`]). A late
//! REST answer never revives an order a frame ended, and a frame older than the desk's own
//! amend never shrinks it below what was amended.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use shared::ids::{MarketTicker, OrderId, Side};
use shared::protocol::{FillView, OrderView, PositionView};
use shared::rest::OrderStatus;

/// Ended order ids remembered, so a late answer does not bring one back.
const ENDED: usize = 10_000;
/// Fill contracts remembered per order before the oldest entries are dropped.
const ACCOUNTED: usize = 100_000;

/// The account's exposure in one market over some subaccounts: net YES position, and what
/// resting orders would add on each side (hundredths of a contract).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Net position (YES positive).
    pub position: i64,
    /// Resting orders that buy YES (or sell NO).
    pub yes_resting: i64,
    /// Resting orders that buy NO (or sell YES).
    pub no_resting: i64,
}

impl Exposure {
    /// The most YES-long the account could become if every YES-adding order filled.
    pub fn worst_long(self) -> Option<i64> {
        self.position.checked_add(self.yes_resting)
    }

    /// The most NO-long (as a negative YES position) it could become.
    pub fn worst_short(self) -> Option<i64> {
        self.position.checked_sub(self.no_resting)
    }

    /// Adds `remaining` resting contracts on `side` (`None`: overflow).
    pub fn add_resting(&mut self, side: Side, remaining: i64) -> Option<()> {
        let slot = match side {
            Side::Yes => &mut self.yes_resting,
            Side::No => &mut self.no_resting,
        };
        *slot = slot.checked_add(remaining)?;
        Some(())
    }

    /// Whether `delta` (YES positive) only reduces the position, in the worst case: it
    /// moves toward zero and, with every resting order on its side filled too, does not
    /// cross it. What a user (or the desk) at its daily loss limit may still do.
    pub fn reduces(self, delta: i64) -> bool {
        match delta.cmp(&0) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Greater => self
                .worst_long()
                .and_then(|w| w.checked_add(delta))
                .is_some_and(|after| self.position < 0 && after <= 0),
            std::cmp::Ordering::Less => self
                .worst_short()
                .and_then(|w| w.checked_add(delta))
                .is_some_and(|after| self.position > 0 && after >= 0),
        }
    }

    /// Whether adding `delta` (YES positive) keeps the worst case within `max`, or at least
    /// moves it toward zero. `None`: the arithmetic overflowed (refuse).
    pub fn admits(self, delta: i64, max: i64) -> Option<bool> {
        if delta >= 0 {
            let before = self.worst_long()?;
            let after = before.checked_add(delta)?;
            Some(after <= max || after.abs() <= before.abs())
        } else {
            let before = self.worst_short()?;
            let after = before.checked_add(delta)?;
            Some(after >= -max || after.abs() <= before.abs())
        }
    }
}

/// The account's exposure as the account channels describe it. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct ExposureBook {
    inner: Arc<Mutex<Inner>>,
    /// `desk_exposure_reads_total{source}`, when the book belongs to a desk.
    reads: Option<prometheus::IntCounterVec>,
}

/// Where a limit check's exposure figures came from (the `source` label of
/// `desk_exposure_reads_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadSource {
    /// The live book.
    Memory,
    /// REST, the market's first check (it starts tracking the market).
    RestSeed,
    /// REST, because the live book's figures would have refused.
    RestConfirm,
}

#[derive(Debug, Default)]
struct Inner {
    /// Tracked markets: the net position of each subaccount (hundredths, YES positive).
    markets: HashMap<MarketTicker, HashMap<u32, i64>>,
    /// Orders resting, or ended with fills not yet accounted for, by id.
    orders: HashMap<OrderId, Tracked>,
    /// The ids of `orders` in each market.
    by_market: HashMap<MarketTicker, HashSet<OrderId>>,
    /// Each order's filled contracts the tracked position already includes.
    accounted: HashMap<OrderId, i64>,
    /// Fill frames waiting for their market's next position frame: (order, contracts).
    unconfirmed: HashMap<MarketTicker, Vec<(OrderId, i64)>>,
    /// Orders that ended, newest last (see [`ENDED`]).
    ended: VecDeque<OrderId>,
    ended_set: HashSet<OrderId>,
    /// Bumped by every account frame of a market, and by [`ExposureBook::clear`]: a seed
    /// read while either moved is not installed.
    generation: HashMap<MarketTicker, u64>,
    epoch: u64,
}

/// One order as last described.
#[derive(Clone, Debug)]
struct Tracked {
    view: OrderView,
    /// The desk's own amend: (remaining, filled) it set. A frame with no more fills than
    /// that does not shrink the order below it (it may predate the amend).
    floor: Option<(i64, i64)>,
}

/// Where an order update came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// A `user_order` frame (or a reconciliation read): newest state of the order.
    Frame,
    /// The desk's own place answer: may be older than a frame that came first.
    Placed,
    /// The desk's own amend answer.
    Amended,
}

/// A REST read of one market in progress ([`ExposureBook::begin_seed`]).
#[derive(Debug)]
pub struct SeedToken {
    ticker: MarketTicker,
    epoch: u64,
    generation: u64,
    /// Orders known in the market at the start, and their filled contracts then: the
    /// positions read afterwards include those fills.
    filled_before: Vec<(OrderId, i64)>,
}

/// What a seed read: each subaccount's position and every resting order in the market.
#[derive(Debug, Default)]
pub struct Seed {
    /// Net position per subaccount (hundredths, YES positive).
    pub positions: HashMap<u32, i64>,
    /// Resting orders (read before the positions).
    pub orders: Vec<OrderView>,
}

impl Seed {
    /// The exposure it read over `subaccounts` (every one when `None`), leaving out the
    /// resting contracts of `replaces`; `None` when the sum overflows.
    pub fn exposure(
        &self,
        subaccounts: Option<&[u32]>,
        replaces: Option<&OrderId>,
    ) -> Option<Exposure> {
        total(
            &self.positions,
            self.orders.iter().map(|o| (o, 0)),
            subaccounts,
            replaces,
        )
    }
}

/// The exposure of `positions` (per subaccount) and `orders` (each with its fills not yet in
/// the positions) over `subaccounts`, leaving out the resting contracts of `replaces`;
/// `None` when the sum overflows.
fn total<'a>(
    positions: &HashMap<u32, i64>,
    orders: impl Iterator<Item = (&'a OrderView, i64)>,
    subaccounts: Option<&[u32]>,
    replaces: Option<&OrderId>,
) -> Option<Exposure> {
    let counted = |sub: u32| subaccounts.is_none_or(|list| list.contains(&sub));
    let mut out = Exposure::default();
    for (sub, position) in positions {
        if counted(*sub) {
            out.position = out.position.checked_add(*position)?;
        }
    }
    for (view, pending) in orders.filter(|(v, _)| counted(v.subaccount)) {
        out.position = out.position.checked_add(signed(view.side, pending))?;
        if Some(&view.order_id) != replaces && !ended(view.status) {
            out.add_resting(view.side, view.remaining.raw())?;
        }
    }
    Some(out)
}

fn ended(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Canceled | OrderStatus::Executed)
}

/// Signed YES contracts of `count` filled by an order on `side`.
fn signed(side: Side, count: i64) -> i64 {
    match side {
        Side::Yes => count,
        Side::No => -count,
    }
}

impl Inner {
    fn bump(&mut self, ticker: &MarketTicker) {
        *self.generation.entry(ticker.clone()).or_default() += 1;
    }

    fn pending(&self, order: &Tracked) -> i64 {
        let accounted = self
            .accounted
            .get(&order.view.order_id)
            .copied()
            .unwrap_or(0);
        order.view.filled.raw().saturating_sub(accounted).max(0)
    }

    fn end(&mut self, id: &OrderId) {
        if let Some(t) = self.orders.get(id) {
            if self.pending(t) > 0 {
                return; // kept until its fills are in the position
            }
            let ticker = t.view.market_ticker.clone();
            self.orders.remove(id);
            if let Some(set) = self.by_market.get_mut(&ticker) {
                set.remove(id);
                if set.is_empty() {
                    self.by_market.remove(&ticker);
                }
            }
        }
        if self.ended_set.insert(id.clone()) {
            self.ended.push_back(id.clone());
            if self.ended.len() > ENDED {
                if let Some(old) = self.ended.pop_front() {
                    self.ended_set.remove(&old);
                }
            }
        }
    }

    /// Ends, and forgets, the ended orders whose fills are all accounted for.
    fn sweep(&mut self, ticker: &MarketTicker) {
        let done: Vec<OrderId> = self
            .by_market
            .get(ticker)
            .into_iter()
            .flatten()
            .filter(|id| {
                self.orders
                    .get(*id)
                    .is_some_and(|t| ended(t.view.status) && self.pending(t) == 0)
            })
            .cloned()
            .collect();
        for id in done {
            self.end(&id);
        }
    }

    fn update(&mut self, view: &OrderView, source: Source) {
        let id = &view.order_id;
        if self.ended_set.contains(id) {
            return;
        }
        self.bump(&view.market_ticker);
        let status_ended = ended(view.status);
        match self.orders.get_mut(id) {
            None => {
                let mut view = view.clone();
                if status_ended {
                    view.remaining = shared::num::Count::ZERO;
                }
                let floor =
                    (source == Source::Amended).then(|| (view.remaining.raw(), view.filled.raw()));
                self.by_market
                    .entry(view.market_ticker.clone())
                    .or_default()
                    .insert(id.clone());
                self.orders.insert(id.clone(), Tracked { view, floor });
            }
            Some(t) => {
                let (new_filled, old_filled) = (view.filled.raw(), t.view.filled.raw());
                if ended(t.view.status) {
                    // Ended, waiting for its fills to be accounted for: only more fills.
                    t.view.filled = t.view.filled.max(view.filled);
                } else if status_ended {
                    t.view.status = view.status;
                    t.view.remaining = shared::num::Count::ZERO;
                    t.view.filled = t.view.filled.max(view.filled);
                    t.floor = None;
                } else if new_filled > old_filled {
                    t.view.remaining = view.remaining;
                    t.view.filled = view.filled;
                    t.view.status = view.status;
                    if t.floor.is_some_and(|(_, f)| new_filled > f) {
                        t.floor = None;
                    }
                } else if new_filled == old_filled {
                    let mut remaining = view.remaining.raw();
                    match source {
                        Source::Frame => {
                            if let Some((floor, _)) = t.floor {
                                if remaining == floor {
                                    t.floor = None; // the amend's own frame
                                } else {
                                    remaining = remaining.max(floor);
                                }
                            }
                        }
                        // An answer may be older than a frame that came first: keep the
                        // larger of the two.
                        Source::Placed => remaining = remaining.max(t.view.remaining.raw()),
                        Source::Amended => t.floor = Some((remaining, new_filled)),
                    }
                    t.view.remaining = shared::num::Count::from_raw(remaining);
                } else if source == Source::Amended {
                    // Fills the amend answer did not know of: keep them, take its size.
                    t.view.remaining = view.remaining;
                    t.floor = Some((view.remaining.raw(), old_filled));
                }
                // Fewer fills than known: an old state, ignored.
            }
        }
        if status_ended {
            self.end(id);
        }
    }
}

impl ExposureBook {
    /// A book that counts its reads in `reads` (`desk_exposure_reads_total`).
    pub fn counted(reads: prometheus::IntCounterVec) -> ExposureBook {
        ExposureBook {
            reads: Some(reads),
            ..ExposureBook::default()
        }
    }

    /// Counts one limit check's read from `source`.
    pub fn count(&self, source: ReadSource) {
        if let Some(reads) = &self.reads {
            let label = match source {
                ReadSource::Memory => "memory",
                ReadSource::RestSeed => "rest_seed",
                ReadSource::RestConfirm => "rest_confirm",
            };
            reads.with_label_values(&[label]).inc();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each update leaves the maps consistent before it can panic (it cannot).
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A `user_order` frame's view (or a reconciliation read's).
    pub fn order_frame(&self, view: &OrderView) {
        self.lock().update(view, Source::Frame);
    }

    /// The desk's own `CreateOrderV2` answer, as a view (remaining, filled, status).
    pub fn placed(&self, view: &OrderView) {
        self.lock().update(view, Source::Placed);
    }

    /// The desk's own `AmendOrderV2` answer, as a view (new remaining, filled).
    pub fn amended(&self, view: &OrderView) {
        self.lock().update(view, Source::Amended);
    }

    /// A `fill` frame: waits in its market for the position frame that includes it.
    pub fn fill_frame(&self, fill: &FillView) {
        let Some(ticker) = &fill.market_ticker else {
            return; // the position frame still counts it
        };
        let mut inner = self.lock();
        inner.bump(ticker);
        inner
            .unconfirmed
            .entry(ticker.clone())
            .or_default()
            .push((fill.order_id.clone(), fill.count.raw()));
    }

    /// A `market_position` frame: the subaccount's absolute position, which includes every
    /// fill frame of the market that came before it.
    pub fn position_frame(&self, row: &PositionView) {
        let mut inner = self.lock();
        let ticker = &row.market_ticker;
        inner.bump(ticker);
        for (order, count) in inner.unconfirmed.remove(ticker).unwrap_or_default() {
            if inner.accounted.len() >= ACCOUNTED && !inner.accounted.contains_key(&order) {
                inner.accounted.clear(); // cautious: fills are counted again
            }
            let slot = inner.accounted.entry(order).or_default();
            *slot = slot.saturating_add(count);
        }
        if let Some(market) = inner.markets.get_mut(ticker) {
            market.insert(row.subaccount, row.position.raw());
        }
        inner.sweep(ticker);
    }

    /// Forgets everything (the upstream socket left `live`: frames may be missed).
    pub fn clear(&self) {
        let mut inner = self.lock();
        let epoch = inner.epoch.wrapping_add(1);
        *inner = Inner {
            epoch,
            ..Inner::default()
        };
    }

    /// A resting order as last described (for an amend), if the desk knows it.
    pub fn order(&self, id: &OrderId) -> Option<OrderView> {
        self.lock().orders.get(id).map(|t| t.view.clone())
    }

    /// The exposure in `ticker` over `subaccounts` (every subaccount when `None`),
    /// leaving out the resting contracts of `replaces`; `None` while the market is not
    /// tracked (seed it), or when the sum overflows.
    pub fn read(
        &self,
        ticker: &MarketTicker,
        subaccounts: Option<&[u32]>,
        replaces: Option<&OrderId>,
    ) -> Option<Exposure> {
        let inner = self.lock();
        let positions = inner.markets.get(ticker)?;
        let orders = inner
            .by_market
            .get(ticker)
            .into_iter()
            .flatten()
            .filter_map(|id| inner.orders.get(id))
            .map(|t| (&t.view, inner.pending(t)));
        total(positions, orders, subaccounts, replaces)
    }

    /// Starts a REST read of `ticker` (every subaccount's resting orders, then positions).
    pub fn begin_seed(&self, ticker: &MarketTicker) -> SeedToken {
        let inner = self.lock();
        SeedToken {
            ticker: ticker.clone(),
            epoch: inner.epoch,
            generation: inner.generation.get(ticker).copied().unwrap_or(0),
            filled_before: inner
                .by_market
                .get(ticker)
                .into_iter()
                .flatten()
                .filter_map(|id| inner.orders.get(id))
                .map(|t| (t.view.order_id.clone(), t.view.filled.raw()))
                .collect(),
        }
    }

    /// Installs what a seed read, unless an account frame of the market arrived (or the
    /// book was cleared) since [`ExposureBook::begin_seed`]: then the market stays
    /// untracked and the next check reads again. Whether it was installed.
    pub fn finish_seed(&self, token: SeedToken, seed: Seed) -> bool {
        let mut inner = self.lock();
        let generation = inner.generation.get(&token.ticker).copied().unwrap_or(0);
        if inner.epoch != token.epoch || generation != token.generation {
            return false;
        }
        for (id, filled) in token.filled_before {
            let slot = inner.accounted.entry(id).or_default();
            *slot = (*slot).max(filled);
        }
        inner.unconfirmed.remove(&token.ticker);
        for view in &seed.orders {
            let slot = inner.accounted.entry(view.order_id.clone()).or_default();
            *slot = (*slot).max(view.filled.raw());
            inner.update(view, Source::Frame);
        }
        inner.markets.insert(token.ticker.clone(), seed.positions);
        inner.sweep(&token.ticker);
        true
    }

    /// Markets tracked (for tests and metrics).
    pub fn tracked_markets(&self) -> usize {
        self.lock().markets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::num::{Count, Dollars};

    const M: &str = "KXT-1";

    fn order(id: &str, side: Side, remaining: i64, filled: i64, status: OrderStatus) -> OrderView {
        OrderView {
            order_id: OrderId(id.into()),
            client_order_id: None,
            market_ticker: MarketTicker(M.into()),
            side,
            price: Dollars::from_cents(50),
            yes_price: Dollars::from_cents(50),
            remaining: Count::from_int(remaining),
            filled: Count::from_int(filled),
            status,
            order_group_id: None,
            subaccount: 0,
            owner: None,
            update_reason: None,
        }
    }

    fn position(sub: u32, contracts: i64) -> PositionView {
        PositionView {
            market_ticker: MarketTicker(M.into()),
            position: Count::from_int(contracts),
            exposure: Dollars::ZERO,
            realized_pnl: Dollars::ZERO,
            fees_paid: Dollars::ZERO,
            subaccount: sub,
        }
    }

    fn fill(id: &str, contracts: i64) -> FillView {
        serde_json::from_value(serde_json::json!({
            "trade_id": format!("t-{id}-{contracts}"),
            "order_id": id,
            "market_ticker": M,
            "count": Count::from_int(contracts),
            "is_taker": true,
        }))
        .expect("fill view")
    }

    /// (position, yes resting, no resting) in contracts.
    fn read(book: &ExposureBook) -> (i64, i64, i64) {
        let e = book
            .read(&MarketTicker(M.into()), None, None)
            .expect("tracked");
        (e.position / 100, e.yes_resting / 100, e.no_resting / 100)
    }

    fn seeded(positions: &[(u32, i64)], orders: Vec<OrderView>) -> ExposureBook {
        let book = ExposureBook::default();
        let token = book.begin_seed(&MarketTicker(M.into()));
        let seed = Seed {
            positions: positions.iter().map(|(s, p)| (*s, p * 100)).collect(),
            orders,
        };
        assert!(book.finish_seed(token, seed));
        book
    }

    #[test]
    fn an_untracked_market_reads_nothing_until_seeded() {
        let book = ExposureBook::default();
        assert_eq!(book.read(&MarketTicker(M.into()), None, None), None);
        let book = seeded(
            &[(0, 3)],
            vec![order("a", Side::Yes, 4, 1, OrderStatus::Resting)],
        );
        assert_eq!(
            read(&book),
            (3, 4, 0),
            "the seeded order's fill is in the position"
        );
    }

    #[test]
    fn an_order_that_filled_at_once_counts_until_its_position_frame() {
        let book = seeded(&[], vec![]);
        book.placed(&order("a", Side::Yes, 0, 5, OrderStatus::Executed));
        assert_eq!(read(&book), (5, 0, 0), "from the answer, before any frame");
        book.fill_frame(&fill("a", 5));
        assert_eq!(read(&book), (5, 0, 0));
        book.position_frame(&position(0, 5));
        assert_eq!(read(&book), (5, 0, 0), "counted once");
        assert!(
            book.order(&OrderId("a".into())).is_none(),
            "ended, forgotten"
        );
    }

    #[test]
    fn frames_before_the_answer_count_once() {
        // The built-in exchange's order: fill, position, user_order; the answer last.
        let book = seeded(&[], vec![]);
        book.fill_frame(&fill("a", 2));
        book.position_frame(&position(0, -2));
        book.order_frame(&order("a", Side::No, 3, 2, OrderStatus::Resting));
        book.placed(&order("a", Side::No, 3, 2, OrderStatus::Resting));
        assert_eq!(read(&book), (-2, 0, 3));
        // A resting order filled by the flow: fill and position first, then the order.
        book.fill_frame(&fill("a", 1));
        book.position_frame(&position(0, -3));
        assert_eq!(read(&book), (-3, 0, 3), "cautious until the order frame");
        book.order_frame(&order("a", Side::No, 2, 3, OrderStatus::Resting));
        assert_eq!(read(&book), (-3, 0, 2));
    }

    #[test]
    fn an_order_frame_before_the_position_frame_keeps_the_fill_counted() {
        let book = seeded(&[], vec![order("a", Side::Yes, 5, 0, OrderStatus::Resting)]);
        book.order_frame(&order("a", Side::Yes, 3, 2, OrderStatus::Resting));
        assert_eq!(read(&book), (2, 3, 0), "the fill is pending, not lost");
        book.fill_frame(&fill("a", 2));
        book.position_frame(&position(0, 2));
        assert_eq!(read(&book), (2, 3, 0));
    }

    #[test]
    fn a_late_answer_neither_revives_nor_shrinks() {
        let book = seeded(&[], vec![]);
        book.order_frame(&order("a", Side::Yes, 0, 0, OrderStatus::Canceled));
        book.placed(&order("a", Side::Yes, 5, 0, OrderStatus::Resting));
        assert_eq!(read(&book), (0, 0, 0), "a cancelled order stays cancelled");

        book.order_frame(&order("b", Side::Yes, 5, 0, OrderStatus::Resting));
        book.amended(&order("b", Side::Yes, 8, 0, OrderStatus::Resting));
        book.order_frame(&order("b", Side::Yes, 5, 0, OrderStatus::Resting));
        assert_eq!(read(&book), (0, 8, 0), "a frame from before the amend");
        book.order_frame(&order("b", Side::Yes, 8, 0, OrderStatus::Resting));
        book.order_frame(&order("b", Side::Yes, 6, 0, OrderStatus::Resting));
        assert_eq!(
            read(&book),
            (0, 6, 0),
            "a decrease after the amend's own frame"
        );
    }

    #[test]
    fn subaccounts_and_the_replaced_order_are_counted_as_asked() {
        let mut on_one = order("b", Side::Yes, 4, 0, OrderStatus::Resting);
        on_one.subaccount = 1;
        let book = seeded(
            &[(0, 2), (1, -7)],
            vec![order("a", Side::Yes, 3, 0, OrderStatus::Resting), on_one],
        );
        let t = MarketTicker(M.into());
        let e = book.read(&t, Some(&[0]), None).expect("tracked");
        assert_eq!((e.position, e.yes_resting), (200, 300));
        let e = book
            .read(&t, None, Some(&OrderId("a".into())))
            .expect("tracked");
        assert_eq!((e.position, e.yes_resting), (-500, 400));
    }

    #[test]
    fn a_seed_raced_by_a_frame_or_a_disconnect_is_not_installed() {
        let book = ExposureBook::default();
        let t = MarketTicker(M.into());
        let token = book.begin_seed(&t);
        book.position_frame(&position(0, 1));
        assert!(!book.finish_seed(token, Seed::default()));
        let token = book.begin_seed(&t);
        book.clear();
        assert!(!book.finish_seed(token, Seed::default()));
        assert_eq!(book.tracked_markets(), 0);
    }
}
