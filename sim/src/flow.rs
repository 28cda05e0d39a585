//! Simulated participants: the resting books at start and the background order flow.
//!
//! Each market has a fair YES value that takes a slow random walk (kept within
//! $0.05–$0.95). Participants (internal accounts without a key) quote around it, cancel,
//! and now and then cross the spread with an immediate-or-cancel order, which prints
//! trades and can fill a desk user's resting order at that price. All randomness comes
//! from one seeded [`StdRng`], so a fixed seed replays the same flow against the same
//! requests. The flow never lets a ladder fall below [`MIN_LEVELS`] price levels and
//! never takes more than the top two levels of a ladder, so books stay two-sided.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::book::BookLevels;
use shared::ids::{BookSide, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::rest::{CreateOrderV2Request, SelfTradePrevention, TimeInForce};

use super::engine::{AccountId, AccountKind, Engine, OrderError};
use super::markets::MarketSeed;

/// Simulated participant accounts.
const PARTICIPANTS: usize = 12;
/// Fewest price levels the flow leaves on a ladder.
pub const MIN_LEVELS: usize = 5;
/// Most resting orders the flow keeps per market (older far orders are cancelled).
const MAX_ORDERS_PER_MARKET: usize = 500;

/// Per-market flow state.
#[derive(Debug, Clone)]
struct FlowMarket {
    /// Tick, micro-dollars.
    tick: i64,
    /// Fair YES value in ticks.
    fair: i64,
    /// Opens with a thin book ([`MarketSeed::thin`]).
    thin: bool,
}

impl FlowMarket {
    fn ticks_per_dollar(&self) -> i64 {
        Dollars::ONE.raw() / self.tick
    }
    fn price(&self, ticks: i64) -> Dollars {
        Dollars::from_raw(ticks.clamp(1, self.ticks_per_dollar() - 1) * self.tick)
    }
    /// Ticks a quote may stand away from fair: wider on a finer grid.
    fn scale(&self) -> i64 {
        (Dollars::from_cents(1).raw() / self.tick).max(1)
    }
}

/// The participants and their RNG.
#[derive(Debug)]
pub struct Flow {
    rng: StdRng,
    participants: Vec<AccountId>,
    markets: BTreeMap<MarketTicker, FlowMarket>,
    /// The same tickers in a list, for a random pick in constant time.
    tickers: Vec<MarketTicker>,
    /// When not empty, every event goes to one of these markets (benchmarks).
    focus: Vec<MarketTicker>,
}

impl Flow {
    /// Creates the participant accounts in `engine` and the open markets' fair values
    /// (closed and settled markets get no flow and no book).
    pub fn new(seed: u64, engine: &mut Engine, seeds: &[MarketSeed]) -> Flow {
        let mut rng = StdRng::seed_from_u64(seed);
        let participants = (0..PARTICIPANTS)
            .map(|_| engine.add_account(AccountKind::Participant, None, Dollars::ZERO))
            .collect();
        let mut markets = BTreeMap::new();
        for s in seeds.iter().filter(|s| s.market.status.is_tradable()) {
            let tick = s.tick.raw().max(1);
            let per_dollar = Dollars::ONE.raw() / tick;
            let fair = match s.fair {
                Some(f) => f.raw() / tick,
                None => rng.gen_range(per_dollar * 15 / 100..=per_dollar * 85 / 100),
            };
            markets.insert(
                s.market.ticker.clone(),
                FlowMarket {
                    tick,
                    fair,
                    thin: s.thin,
                },
            );
        }
        Flow {
            rng,
            participants,
            tickers: markets.keys().cloned().collect(),
            markets,
            focus: Vec::new(),
        }
    }

    /// The fair YES value of a market (tests: the flow keeps books around it).
    #[cfg(test)]
    fn fair(&self, ticker: &MarketTicker) -> Option<Dollars> {
        self.markets
            .get(ticker)
            .map(|m| Dollars::from_raw(m.fair * m.tick))
    }

    fn participant(&mut self) -> AccountId {
        let i = self.rng.gen_range(0..self.participants.len().max(1));
        self.participants.get(i).copied().unwrap_or(0)
    }

    fn size(&mut self, max_whole: i64) -> Count {
        if self.rng.gen_bool(0.25) {
            Count::from_raw(self.rng.gen_range(100..=max_whole * 100))
        } else {
            Count::from_int(self.rng.gen_range(1..=max_whole))
        }
    }

    fn order(
        ticker: &MarketTicker,
        side: BookSide,
        yes_price: Dollars,
        count: Count,
        tif: TimeInForce,
    ) -> CreateOrderV2Request {
        CreateOrderV2Request {
            ticker: ticker.clone(),
            client_order_id: None,
            side,
            count,
            price: yes_price,
            time_in_force: tif,
            self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
            expiration_time: None,
            post_only: None,
            reduce_only: None,
            cancel_order_on_pause: None,
            subaccount: None,
            order_group_id: None,
        }
    }

    /// Lays the opening books: a 1–4 tick YES spread around fair, 5–15 levels a side,
    /// 1–500 contracts a level (a quarter of them fractional) in 1–3 orders; a thin book
    /// has 2–4 levels a side of one order each (the flow deepens it when it trades there).
    pub fn seed_books(&mut self, engine: &mut Engine, now_ms: i64) {
        let tickers: Vec<MarketTicker> = self.markets.keys().cloned().collect();
        for ticker in tickers {
            let Some(m) = self.markets.get(&ticker).cloned() else {
                continue;
            };
            let n = m.ticks_per_dollar();
            let spread = self.rng.gen_range(1..=4);
            let best_bid = (m.fair - spread / 2).clamp(1, n - 2);
            let best_ask = (best_bid + spread).min(n - 1);
            for side in [Side::Yes, Side::No] {
                let levels = if m.thin {
                    self.rng.gen_range(2..=4)
                } else {
                    self.rng.gen_range(5..=15)
                };
                // Leg price of this ladder's best level, in ticks.
                let mut at = match side {
                    Side::Yes => best_bid,
                    Side::No => n - best_ask,
                };
                for _ in 0..levels {
                    if at < 1 {
                        break;
                    }
                    // A level holds 1–500 contracts, split among 1–3 orders of ≥ 1 contract.
                    let total = self.size(500).raw();
                    let most = if m.thin { 1 } else { 3 };
                    let orders = self.rng.gen_range(1..=most).min(total / 100).max(1);
                    for j in 0..orders {
                        let part = if j + 1 == orders {
                            total - (total / orders) * (orders - 1)
                        } else {
                            total / orders
                        };
                        let count = Count::from_raw(part);
                        let who = self.participant();
                        let leg = m.price(at);
                        let (book_side, yes_price) = match side {
                            Side::Yes => (BookSide::Bid, leg),
                            Side::No => (BookSide::Ask, leg.complement()),
                        };
                        let _ = engine.place(
                            who,
                            &Self::order(
                                &ticker,
                                book_side,
                                yes_price,
                                count,
                                TimeInForce::GoodTillCanceled,
                            ),
                            now_ms,
                        );
                    }
                    at -= self.rng.gen_range(1..=2) * m.scale();
                }
            }
            engine.emit_ticker_if_changed(&ticker, now_ms);
        }
        let _ = engine.take_events();
    }

    /// Sends every later event to `ticker` (an open market), or back to random markets
    /// with `None`. Returns false (and changes nothing) for a market without flow.
    pub fn set_focus(&mut self, ticker: Option<MarketTicker>) -> bool {
        self.set_focus_on(ticker.into_iter().collect())
    }

    /// Sends every later event to one of `tickers` (open markets), chosen at random; an
    /// empty list: every market again. Returns false (and changes nothing) when one of them
    /// has no flow.
    pub fn set_focus_on(&mut self, tickers: Vec<MarketTicker>) -> bool {
        if tickers.iter().any(|t| !self.markets.contains_key(t)) {
            return false;
        }
        self.focus = tickers;
        true
    }

    /// Stops trading `ticker` (it settled); the focus falls back to every market.
    pub fn forget(&mut self, ticker: &MarketTicker) {
        self.markets.remove(ticker);
        self.tickers.retain(|t| t != ticker);
        self.focus.retain(|t| t != ticker);
    }

    /// One participant event on a random market (or one of the focus markets).
    pub fn step(&mut self, engine: &mut Engine, now_ms: i64) {
        if self.markets.is_empty() {
            return;
        }
        let pool = if self.focus.is_empty() {
            &self.tickers
        } else {
            &self.focus
        };
        let i = self.rng.gen_range(0..pool.len().max(1));
        let Some(ticker) = pool.get(i).cloned() else {
            return;
        };
        // Random walk of fair value, within 0.05..0.95.
        if let Some(m) = self.markets.get_mut(&ticker) {
            if self.rng.gen_bool(0.3) {
                let step = self.rng.gen_range(1..=m.scale());
                m.fair += if self.rng.gen_bool(0.5) { step } else { -step };
                let n = m.ticks_per_dollar();
                m.fair = m.fair.clamp(n * 5 / 100, n * 95 / 100);
            }
        }
        let Some(m) = self.markets.get(&ticker).cloned() else {
            return;
        };
        let Some(state) = engine.market(&ticker) else {
            return;
        };
        let (yes_depth, no_depth) = (state.depth(Side::Yes), state.depth(Side::No));
        let resting = state.resting_keys(Side::Yes).count() + state.resting_keys(Side::No).count();

        if yes_depth < MIN_LEVELS || no_depth < MIN_LEVELS {
            let side = if yes_depth <= no_depth {
                Side::Yes
            } else {
                Side::No
            };
            let away = self.rng.gen_range(1..=10) * m.scale();
            self.quote(engine, &ticker, &m, side, away, now_ms);
        } else if resting > MAX_ORDERS_PER_MARKET {
            self.trim(engine, &ticker, now_ms);
        } else {
            match self.rng.gen_range(0..100) {
                0..45 => {
                    let side = if self.rng.gen_bool(0.5) {
                        Side::Yes
                    } else {
                        Side::No
                    };
                    let away = self.rng.gen_range(1..=8) * m.scale();
                    self.quote(engine, &ticker, &m, side, away, now_ms);
                }
                45..75 => self.cancel_random(engine, &ticker, now_ms),
                75..95 => self.take(engine, &ticker, now_ms),
                _ => {}
            }
        }
        engine.emit_ticker_if_changed(&ticker, now_ms);
    }

    /// Rests a bid on `side` `away` ticks from fair; never priced to reach past the
    /// opposite ladder's second level.
    fn quote(
        &mut self,
        engine: &mut Engine,
        ticker: &MarketTicker,
        m: &FlowMarket,
        side: Side,
        away: i64,
        now_ms: i64,
    ) {
        let n = m.ticks_per_dollar();
        let mut leg_ticks = match side {
            Side::Yes => m.fair - away,
            Side::No => n - m.fair - away,
        };
        if let Some(state) = engine.market(ticker) {
            // The opposite ladder's third-best level must stay untouched: leg + q3 < 1.
            let opp: Vec<Dollars> = state
                .book
                .ladder(side.opposite())
                .keys()
                .rev()
                .take(MIN_LEVELS)
                .copied()
                .collect();
            if opp.len() < MIN_LEVELS {
                // Thin opposite side: do not cross at all.
                if let Some(best) = opp.first() {
                    leg_ticks = leg_ticks.min(n - best.raw() / m.tick - 1);
                }
            } else if let Some(q3) = opp.get(2) {
                leg_ticks = leg_ticks.min(n - q3.raw() / m.tick - 1);
            }
        }
        if leg_ticks < 1 {
            return;
        }
        let leg = m.price(leg_ticks);
        let (book_side, yes_price) = match side {
            Side::Yes => (BookSide::Bid, leg),
            Side::No => (BookSide::Ask, leg.complement()),
        };
        let count = self.size(500);
        let who = self.participant();
        let _ = engine.place(
            who,
            &Self::order(
                ticker,
                book_side,
                yes_price,
                count,
                TimeInForce::GoodTillCanceled,
            ),
            now_ms,
        );
    }

    /// Takes from the top one or two levels of a random ladder (IOC), if it is deep enough.
    fn take(&mut self, engine: &mut Engine, ticker: &MarketTicker, now_ms: i64) {
        let Some(state) = engine.market(ticker) else {
            return;
        };
        // The taker buys `buy`; it lifts the opposite ladder.
        let buy = if self.rng.gen_bool(0.5) {
            Side::Yes
        } else {
            Side::No
        };
        let opp = state.book.ladder(buy.opposite());
        if opp.len() < MIN_LEVELS {
            return;
        }
        let levels = self.rng.gen_range(1..=2usize);
        let top: Vec<(Dollars, Count)> = opp
            .iter()
            .rev()
            .take(levels)
            .map(|(p, c)| (*p, *c))
            .collect();
        let Some(&(worst, _)) = top.last() else {
            return;
        };
        let available: i64 = top.iter().map(|(_, c)| c.raw()).sum();
        let want = self.size(60).raw().min(available).max(1);
        let leg = worst.complement();
        let (book_side, yes_price) = match buy {
            Side::Yes => (BookSide::Bid, leg),
            Side::No => (BookSide::Ask, leg.complement()),
        };
        let who = self.participant();
        let _ = engine.place(
            who,
            &Self::order(
                ticker,
                book_side,
                yes_price,
                Count::from_raw(want),
                TimeInForce::ImmediateOrCancel,
            ),
            now_ms,
        );
    }

    /// Cancels a random participant order on a ladder deeper than the minimum.
    fn cancel_random(&mut self, engine: &mut Engine, ticker: &MarketTicker, now_ms: i64) {
        let Some(state) = engine.market(ticker) else {
            return;
        };
        let side = if self.rng.gen_bool(0.5) {
            Side::Yes
        } else {
            Side::No
        };
        if state.depth(side) <= MIN_LEVELS {
            return;
        }
        let keys: Vec<u64> = state.resting_keys(side).collect();
        if keys.is_empty() {
            return;
        }
        let key = keys[self.rng.gen_range(0..keys.len())];
        self.cancel_participant(engine, key, now_ms);
    }

    /// Cancels the participant order furthest from the top of the deeper ladder.
    fn trim(&mut self, engine: &mut Engine, ticker: &MarketTicker, now_ms: i64) {
        let Some(state) = engine.market(ticker) else {
            return;
        };
        let side = if state.depth(Side::Yes) >= state.depth(Side::No) {
            Side::Yes
        } else {
            Side::No
        };
        let keys: Vec<u64> = state.resting_keys(side).collect();
        let participants = &self.participants;
        let far = keys.iter().rev().copied().find(|k| {
            engine
                .order(*k)
                .is_some_and(|o| participants.contains(&o.account))
        });
        if let Some(key) = far {
            self.cancel_participant(engine, key, now_ms);
        }
    }

    /// Replaces the participants' resting orders in `ticker` with one order per level of
    /// `levels` (YES bids at their price, NO bids at their NO-leg price), for a test that
    /// needs a book of its own making; the market's other orders stay. Levels that cross
    /// trade as any order would.
    ///
    /// # Errors
    /// The engine's refusal of a level (unknown market, a price off its grid, …); the
    /// levels before it rest.
    pub fn lay_book(
        &mut self,
        engine: &mut Engine,
        ticker: &MarketTicker,
        levels: &BookLevels,
        now_ms: i64,
    ) -> Result<(), OrderError> {
        let market = engine
            .market(ticker)
            .ok_or(OrderError::Invalid("unknown market"))?;
        let keys: Vec<u64> = [Side::Yes, Side::No]
            .into_iter()
            .flat_map(|side| market.resting_keys(side).collect::<Vec<_>>())
            .collect();
        for key in keys {
            self.cancel_participant(engine, key, now_ms);
        }
        let yes = levels.yes.iter().map(|&(p, c)| (BookSide::Bid, p, c));
        let no = levels
            .no
            .iter()
            .map(|&(p, c)| (BookSide::Ask, p.complement(), c));
        for (book_side, yes_price, count) in yes.chain(no) {
            let who = self.participant();
            let order = Self::order(
                ticker,
                book_side,
                yes_price,
                count,
                TimeInForce::GoodTillCanceled,
            );
            engine.place(who, &order, now_ms)?;
        }
        engine.emit_ticker_if_changed(ticker, now_ms);
        Ok(())
    }

    fn cancel_participant(&mut self, engine: &mut Engine, key: u64, now_ms: i64) {
        let Some(o) = engine.order(key) else { return };
        if !self.participants.contains(&o.account) {
            return;
        }
        let (account, id) = (o.account, o.id.clone());
        let _ = engine.cancel(account, &id, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markets::seed_markets;

    #[test]
    fn opening_books_are_realistic() {
        let seeds = seed_markets().unwrap();
        let mut engine = Engine::new(&seeds);
        let mut flow = Flow::new(7, &mut engine, &seeds);
        flow.seed_books(&mut engine, 1_000);
        for (ticker, m) in engine
            .markets()
            .iter()
            .filter(|(_, m)| m.info.status.is_tradable())
        {
            let spread = m.book.spread().unwrap();
            let tick = seeds
                .iter()
                .find(|s| &s.market.ticker == ticker)
                .unwrap()
                .tick;
            assert!(
                spread.raw() >= tick.raw() && spread.raw() <= 4 * tick.raw(),
                "{ticker}: spread {spread}"
            );
            for side in [Side::Yes, Side::No] {
                let depth = m.depth(side);
                assert!(
                    (5..=15).contains(&depth),
                    "{ticker} {side:?}: {depth} levels"
                );
            }
            let levels = m.book.levels();
            assert!(levels.yes.iter().chain(&levels.no).all(|(p, c)| m
                .info
                .grid()
                .is_valid_price(*p)
                && c.raw() >= 100
                && c.raw() <= 50_000));
        }
        let fractional = engine
            .markets()
            .values()
            .flat_map(|m| m.book.levels().yes)
            .filter(|(_, c)| c.raw() % 100 != 0)
            .count();
        assert!(fractional > 0, "some sizes are fractional");
    }

    #[test]
    fn flow_trades_wanders_and_never_empties_a_side() {
        let seeds = seed_markets().unwrap();
        let mut engine = Engine::new(&seeds);
        let mut flow = Flow::new(42, &mut engine, &seeds);
        flow.seed_books(&mut engine, 1_000);
        let start: Vec<Dollars> = seeds
            .iter()
            .filter_map(|s| flow.fair(&s.market.ticker))
            .collect();
        for i in 0..20_000 {
            flow.step(&mut engine, 2_000 + i);
            let _ = engine.take_events();
        }
        let mut volume = Count::ZERO;
        for (ticker, m) in engine
            .markets()
            .iter()
            .filter(|(_, m)| m.info.status.is_tradable())
        {
            assert!(
                m.depth(Side::Yes) >= 1 && m.depth(Side::No) >= 1,
                "{ticker} one-sided"
            );
            assert!(
                m.book.spread().is_some_and(|s| s.raw() > 0),
                "{ticker}: crossed or locked book"
            );
            let fair = flow.fair(ticker).unwrap();
            assert!(fair >= Dollars::from_cents(5) && fair <= Dollars::from_cents(95));
            volume += m.volume;
        }
        assert!(volume.raw() > 0, "the flow crosses the spread sometimes");
        let end: Vec<Dollars> = seeds
            .iter()
            .filter_map(|s| flow.fair(&s.market.ticker))
            .collect();
        assert_ne!(start, end, "fair values wander");
    }

    #[test]
    fn focused_flow_moves_only_the_focus_markets() {
        let seeds = seed_markets().unwrap();
        let mut engine = Engine::new(&seeds);
        let mut flow = Flow::new(5, &mut engine, &seeds);
        flow.seed_books(&mut engine, 1_000);
        let books = |engine: &Engine| {
            engine
                .markets()
                .iter()
                .map(|(t, m)| (t.clone(), m.book.levels()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let before = books(&engine);
        let focus: Vec<MarketTicker> = flow.tickers.iter().take(2).cloned().collect();
        assert!(flow.set_focus_on(focus.clone()));
        assert!(!flow.set_focus_on(vec![MarketTicker::from("KXNOPE-1")]));
        for i in 0..500 {
            flow.step(&mut engine, 2_000 + i);
        }
        let after = books(&engine);
        for (ticker, levels) in &after {
            let moved = before.get(ticker) != Some(levels);
            assert_eq!(moved, focus.contains(ticker), "{ticker}");
        }
        flow.forget(&focus[0]);
        assert_eq!(flow.focus, vec![focus[1].clone()]);
    }

    #[test]
    fn same_seed_same_flow() {
        let seeds = seed_markets().unwrap();
        let run = |seed| {
            let mut engine = Engine::new(&seeds);
            let mut flow = Flow::new(seed, &mut engine, &seeds);
            flow.seed_books(&mut engine, 1_000);
            for i in 0..2_000 {
                flow.step(&mut engine, 2_000 + i);
            }
            engine
                .markets()
                .values()
                .map(|m| m.book.levels())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
    }
}
