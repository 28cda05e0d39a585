//! The hub: the backend's live state shared by the upstream task and browser sessions.
//!
//! The upstream task writes books, tickers, trades and account events into the hub; the
//! hub publishes each change once on a bounded broadcast channel; every browser session
//! filters that stream for the markets it watches. Book changes travel as absolute level
//! counts stamped with a per-market version, so a session that takes a snapshot and then
//! replays queued events can drop every event the snapshot already contains.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use futures_util::future::BoxFuture;

use shared::book::{BookLevels, OrderBook};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{Environment, ExchangeView, FillView, ServerMsg, UpstreamState};
use shared::ws::TickerMsg;
use tokio::sync::{broadcast, mpsc, watch};

use super::directory::Directory;
use super::exposure::ExposureBook;
use super::market_info::MarketInfo;
use crate::metrics::Metrics;

/// Fills the hub remembers (the desk's fill ledger, newest kept).
pub const FILL_LEDGER: usize = 10_000;

/// Capacity of the fan-out channel; a session further behind than this is conflated
/// (sent fresh snapshots) instead of growing a queue.
pub const FANOUT_CAPACITY: usize = 4096;

/// One published change.
#[derive(Clone, Debug)]
pub struct HubEvent {
    /// The market it concerns (`None`: account-wide or desk-wide).
    pub market: Option<MarketTicker>,
    /// The book version after the change (0 for non-book events).
    pub version: u64,
    /// What to send to the browser.
    pub msg: Arc<ServerMsg>,
    /// `msg` as JSON, serialized once for every session and shared by them: a session's
    /// socket frame is this buffer (a reference count), never a copy.
    pub text: Utf8Bytes,
}

/// A request from sessions to the upstream task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamCommand {
    /// The first session started watching this market.
    Watch(MarketTicker),
    /// The last session stopped watching this market.
    Unwatch(MarketTicker),
    /// The first session started marking this market (its `ticker` only, no book).
    Mark(MarketTicker),
    /// The last session stopped marking this market.
    Unmark(MarketTicker),
}

#[derive(Debug, Default)]
struct BookState {
    book: OrderBook,
    version: u64,
    stale: bool,
    has_snapshot: bool,
}

#[derive(Debug, Default)]
struct Inner {
    books: HashMap<MarketTicker, BookState>,
    watchers: HashMap<MarketTicker, usize>,
    fills: VecDeque<FillView>,
    /// Markets the exchange said exist.
    known: HashSet<MarketTicker>,
    /// Markets it said do not, and when (asked again after [`UNKNOWN_FOR`]).
    unknown: HashMap<MarketTicker, Instant>,
    /// Sessions marking each market ([`Hub::mark`]).
    markers: HashMap<MarketTicker, usize>,
    /// The latest ticker of each marked market, fields merged.
    last_tickers: HashMap<MarketTicker, TickerMsg>,
}

/// What [`Hub::mark`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marked {
    /// The latest ticker the desk has of each market now marked.
    pub tickers: Vec<TickerMsg>,
    /// Markets not marked: not open, or unknown to the exchange.
    pub refused: Vec<MarketTicker>,
}

/// Whether a market exists, asked of the exchange (`GetMarket`): `Some(true)`,
/// `Some(false)` (404), or `None` when it could not tell.
pub type MarketCheck = Arc<dyn Fn(MarketTicker) -> BoxFuture<'static, Option<bool>> + Send + Sync>;

/// Most distinct markets the desk watches at once, unless configured.
pub const MAX_MARKETS: usize = 2_000;
/// How long a market the exchange did not know stays refused without asking again.
const UNKNOWN_FOR: Duration = Duration::from_secs(30);
/// Most markets remembered either way (the memory is cleared when full).
const REMEMBERED: usize = 100_000;

/// What the desk lets sessions watch: markets that exist, at most `max` at once.
struct WatchPolicy {
    max: AtomicUsize,
    check: OnceLock<MarketCheck>,
}

impl std::fmt::Debug for WatchPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchPolicy")
            .field("max", &self.max)
            .field("check", &self.check.get().is_some())
            .finish()
    }
}

/// Why [`Hub::watch`] refused a market.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WatchRefused {
    /// The exchange has no such market.
    #[error("the exchange has no market {0}")]
    Unknown(MarketTicker),
    /// The exchange could not be asked.
    #[error("could not check that {0} exists; try again")]
    Unchecked(MarketTicker),
    /// The desk already watches its most markets.
    #[error("the desk watches its most markets ({0}); close some first")]
    TooMany(usize),
}

/// Takes one session off `market`'s count; true when it was the last (the entry is gone).
fn release(counts: &mut HashMap<MarketTicker, usize>, market: &MarketTicker) -> bool {
    match counts.get_mut(market) {
        Some(n) if *n > 1 => {
            *n -= 1;
            false
        }
        Some(_) => {
            counts.remove(market);
            true
        }
        None => false,
    }
}

/// Shared live state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    events: broadcast::Sender<HubEvent>,
    upstream_tx: mpsc::Sender<UpstreamCommand>,
    state: Arc<watch::Sender<UpstreamState>>,
    /// The exchange's trading state, once read ([`crate::live::exchange_watch`]).
    exchange: Arc<watch::Sender<Option<ExchangeView>>>,
    /// The kill switches in force ([`crate::team::halts`]).
    halts: Arc<watch::Sender<Vec<shared::auth::Halt>>>,
    environment: Environment,
    metrics: Arc<Metrics>,
    /// Which markets sessions may watch.
    policy: Arc<WatchPolicy>,
    /// A lossless copy of every published change, for the cluster leader's forwarder
    /// (`None` outside cluster mode; see [`Hub::new_source`]).
    tap: Option<mpsc::UnboundedSender<HubEvent>>,
    /// The markets orders are checked against, dropped by their lifecycle frames.
    market_info: MarketInfo,
    /// Positions and resting orders per market, fed by the account frames published here.
    exposure: ExposureBook,
    /// The open markets the finder searches, kept by their lifecycle frames.
    directory: Directory,
}

/// What [`Hub::apply_delta`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaOutcome {
    /// Applied and published.
    Applied,
    /// Not applied: nobody watches the market, or its book awaits a snapshot.
    Ignored,
    /// Refused: it would make a level negative. The book must be resynced.
    Diverged,
}

/// A consistent copy of one book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookSnapshot {
    /// Levels.
    pub levels: BookLevels,
    /// Version the copy reflects.
    pub version: u64,
    /// Waiting for a fresh upstream snapshot.
    pub stale: bool,
}

impl Hub {
    /// A hub and the receiver the upstream task reads its commands from.
    pub fn new(environment: Environment) -> (Hub, mpsc::Receiver<UpstreamCommand>) {
        Hub::with_metrics(environment, Metrics::new())
    }

    /// As [`Hub::new`], counting into `metrics`.
    fn with_metrics(
        environment: Environment,
        metrics: Arc<Metrics>,
    ) -> (Hub, mpsc::Receiver<UpstreamCommand>) {
        let (events, _) = broadcast::channel(FANOUT_CAPACITY);
        let (upstream_tx, upstream_rx) = mpsc::channel(1024);
        let (state, _) = watch::channel(UpstreamState::Connecting);
        let (exchange, _) = watch::channel(None);
        let (halts, _) = watch::channel(Vec::new());
        let exposure = ExposureBook::counted(metrics.exposure_reads.clone());
        let directory = Directory::counted(metrics.directory_markets.clone());
        let hub = Hub {
            inner: Arc::default(),
            events,
            upstream_tx,
            state: Arc::new(state),
            exchange: Arc::new(exchange),
            halts: Arc::new(halts),
            environment,
            metrics,
            policy: Arc::new(WatchPolicy {
                max: AtomicUsize::new(MAX_MARKETS),
                check: OnceLock::new(),
            }),
            tap: None,
            market_info: MarketInfo::default(),
            exposure,
            directory,
        };
        (hub, upstream_rx)
    }

    /// Sets the most distinct markets the desk watches at once (over every session).
    pub fn set_max_markets(&self, max: usize) {
        self.policy.max.store(max, Ordering::Relaxed);
    }

    /// Sets how a market not yet watched is checked to exist before the upstream
    /// subscribes it (once; later calls are ignored). Without one, every well-formed
    /// ticker is watched.
    pub fn set_market_check(&self, check: MarketCheck) {
        let _ = self.policy.check.set(check);
    }

    /// A hub whose every published change is also sent, losslessly and in order, to the
    /// returned tap: the cluster leader's source of normalized upstream events
    /// ([`crate::live::cluster`]). The broadcast fan-out works as in [`Hub::new`].
    pub fn new_source(
        environment: Environment,
        metrics: Arc<Metrics>,
    ) -> (
        Hub,
        mpsc::Receiver<UpstreamCommand>,
        mpsc::UnboundedReceiver<HubEvent>,
    ) {
        let (mut hub, commands) = Hub::with_metrics(environment, metrics);
        let (tap_tx, tap_rx) = mpsc::unbounded_channel();
        hub.tap = Some(tap_tx);
        (hub, commands, tap_rx)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a book half-written (every update
        // is a single map operation), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The markets the order path checks against (status, tick structure): cached, and
    /// dropped by each market's lifecycle frame and whenever the upstream is not live.
    pub fn market_info(&self) -> &MarketInfo {
        &self.market_info
    }

    /// Every open market's searchable words ([`crate::live::directory`]).
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The account's exposure per market, kept live by the account frames published here.
    pub fn exposure(&self) -> &ExposureBook {
        &self.exposure
    }

    /// The desk's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Which Kalshi the desk is on.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// A receiver of every published change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.events.subscribe()
    }

    /// Upstream socket state now.
    pub fn upstream_state(&self) -> UpstreamState {
        *self.state.borrow()
    }

    /// A receiver of upstream state changes.
    pub fn watch_upstream_state(&self) -> watch::Receiver<UpstreamState> {
        self.state.subscribe()
    }

    /// Sets the upstream state and tells every session.
    pub fn set_upstream_state(&self, state: UpstreamState) {
        self.metrics.upstream_state.set(match state {
            UpstreamState::Live => 2,
            UpstreamState::Connecting => 1,
            _ => 0,
        });
        if state != UpstreamState::Live {
            self.market_info.clear();
            self.exposure.clear();
        }
        if self.state.send_replace(state) != state {
            self.publish(None, 0, ServerMsg::Upstream { state });
        }
    }

    /// The exchange's trading state, once known.
    pub fn exchange(&self) -> Option<ExchangeView> {
        self.exchange.borrow().clone()
    }

    /// Records the exchange's trading state and tells every session when it changed.
    pub fn set_exchange(&self, view: ExchangeView) {
        let changed = self.exchange.send_if_modified(|current| {
            if current.as_ref() == Some(&view) {
                false
            } else {
                *current = Some(view.clone());
                true
            }
        });
        if changed {
            self.publish(None, 0, ServerMsg::Exchange(view));
        }
    }

    /// The kill switches in force, as last read from the store.
    pub fn halts(&self) -> Vec<shared::auth::Halt> {
        self.halts.borrow().clone()
    }

    /// Records the halts in force and tells every session when they changed.
    pub fn set_halts(&self, halts: Vec<shared::auth::Halt>) {
        let changed = self.halts.send_if_modified(|current| {
            if *current == halts {
                false
            } else {
                current.clone_from(&halts);
                true
            }
        });
        if changed {
            self.publish(None, 0, ServerMsg::Halts { halts });
        }
    }

    fn publish(&self, market: Option<MarketTicker>, version: u64, msg: ServerMsg) {
        // No receivers is fine: nobody is watching.
        let text = Utf8Bytes::from(serde_json::to_string(&msg).unwrap_or_default());
        let event = HubEvent {
            market,
            version,
            msg: Arc::new(msg),
            text,
        };
        if let Some(tap) = &self.tap {
            let _ = tap.send(event.clone());
        }
        let _ = self.events.send(event);
    }

    /// Publishes a market-scoped, non-book message (ticker, trade); a marked market's
    /// ticker is kept for the next session that marks it.
    pub fn publish_market(&self, market: MarketTicker, msg: ServerMsg) {
        if let ServerMsg::Ticker(t) = &msg {
            let mut inner = self.lock();
            if inner.markers.contains_key(&market) {
                inner
                    .last_tickers
                    .entry(market.clone())
                    .and_modify(|last| last.merge(t.clone()))
                    .or_insert_with(|| t.clone());
            }
        }
        self.publish(Some(market), 0, msg);
    }

    /// Publishes an account-wide message (order, fill, position).
    pub fn publish_account(&self, msg: ServerMsg) {
        match &msg {
            ServerMsg::Lifecycle(view) => {
                self.directory.lifecycle(view);
                match (&view.market_ticker, &view.event_ticker) {
                    (Some(market), _) => self.market_info.forget(market),
                    (None, Some(event)) => self.market_info.forget_event(event),
                    (None, None) => self.market_info.clear(),
                }
            }
            ServerMsg::Order(view) => self.exposure.order_frame(view),
            ServerMsg::Position(row) => self.exposure.position_frame(row),
            _ => {}
        }
        self.publish(None, 0, msg);
    }

    /// Records a (de-duplicated) fill in the ledger and publishes it.
    pub fn publish_fill(&self, fill: FillView) {
        self.exposure.fill_frame(&fill);
        {
            let mut inner = self.lock();
            if inner.fills.len() == FILL_LEDGER {
                inner.fills.pop_front();
            }
            inner.fills.push_back(fill.clone());
        }
        self.publish(None, 0, ServerMsg::Fill(fill));
    }

    /// The fills the desk has reported since it started, oldest first.
    pub fn fills(&self) -> Vec<FillView> {
        self.lock().fills.iter().cloned().collect()
    }

    /// A session starts watching `market`; the first one makes the upstream subscribe. A
    /// market nobody watches yet must exist (asked of the exchange once, see
    /// [`Hub::set_market_check`]) and fit the desk's most markets ([`Hub::set_max_markets`]).
    ///
    /// # Errors
    /// [`WatchRefused`]; nothing changed then.
    pub async fn watch(&self, market: &MarketTicker) -> Result<(), WatchRefused> {
        self.check_exists(market).await?;
        let first = {
            let mut inner = self.lock();
            let max = self.policy.max.load(Ordering::Relaxed);
            if !inner.watchers.contains_key(market) && inner.watchers.len() >= max {
                return Err(WatchRefused::TooMany(max));
            }
            let n = inner.watchers.entry(market.clone()).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            let _ = self
                .upstream_tx
                .send(UpstreamCommand::Watch(market.clone()))
                .await;
        }
        Ok(())
    }

    /// A session stops watching `market`; the last one makes the upstream unsubscribe.
    pub async fn unwatch(&self, market: &MarketTicker) {
        let last = {
            let mut inner = self.lock();
            let last = release(&mut inner.watchers, market);
            if last {
                inner.books.remove(market);
            }
            last
        };
        if last {
            let _ = self
                .upstream_tx
                .send(UpstreamCommand::Unwatch(market.clone()))
                .await;
        }
    }

    /// Whether the exchange has `market`: remembered, else asked once through the
    /// [`MarketCheck`] (a refusal is remembered for [`UNKNOWN_FOR`]); a market already
    /// watched passes.
    async fn check_exists(&self, market: &MarketTicker) -> Result<(), WatchRefused> {
        let ask = {
            let inner = self.lock();
            let fresh_refusal = inner
                .unknown
                .get(market)
                .is_some_and(|at| at.elapsed() < UNKNOWN_FOR);
            if fresh_refusal {
                return Err(WatchRefused::Unknown(market.clone()));
            }
            !inner.watchers.contains_key(market) && !inner.known.contains(market)
        };
        if let (true, Some(check)) = (ask, self.policy.check.get()) {
            let exists = check(market.clone()).await;
            let mut inner = self.lock();
            match exists {
                Some(true) => {
                    if inner.known.len() >= REMEMBERED {
                        inner.known.clear();
                    }
                    inner.unknown.remove(market);
                    inner.known.insert(market.clone());
                }
                Some(false) => {
                    if inner.unknown.len() >= REMEMBERED {
                        inner.unknown.clear();
                    }
                    inner.unknown.insert(market.clone(), Instant::now());
                    return Err(WatchRefused::Unknown(market.clone()));
                }
                None => return Err(WatchRefused::Unchecked(market.clone())),
            }
        }
        Ok(())
    }

    /// Whether `market` is open: in the directory of open markets once that is read, else
    /// known to the exchange ([`Hub::set_market_check`], remembered as for a watch).
    ///
    /// # Errors
    /// [`WatchRefused::Unknown`] (not open), [`WatchRefused::Unchecked`] (could not tell).
    pub async fn check_open(&self, market: &MarketTicker) -> Result<(), WatchRefused> {
        match self.directory.contains(market) {
            Some(true) => Ok(()),
            Some(false) => Err(WatchRefused::Unknown(market.clone())),
            None => self.check_exists(market).await,
        }
    }

    /// A session starts marking `markets` (each well-formed): following its `ticker`
    /// without its book, for the portfolio's marks. The first marker of a market makes the
    /// upstream subscribe its ticker. A market must be open: in the directory of open
    /// markets once that is read, else known to the exchange ([`Hub::set_market_check`]).
    pub async fn mark(&self, markets: &[MarketTicker]) -> Marked {
        let mut out = Marked::default();
        for market in markets {
            let marked = self.lock().markers.contains_key(market);
            let open = marked || self.check_open(market).await.is_ok();
            if !open {
                out.refused.push(market.clone());
                continue;
            }
            let first = {
                let mut inner = self.lock();
                let n = inner.markers.entry(market.clone()).or_insert(0);
                *n += 1;
                let first = *n == 1;
                if let Some(t) = inner.last_tickers.get(market) {
                    out.tickers.push(t.clone());
                }
                first
            };
            if first {
                let _ = self
                    .upstream_tx
                    .send(UpstreamCommand::Mark(market.clone()))
                    .await;
            }
        }
        out
    }

    /// A session stops marking `markets`; the last marker of one makes the upstream drop
    /// its ticker.
    pub async fn unmark(&self, markets: &[MarketTicker]) {
        for market in markets {
            let last = {
                let mut inner = self.lock();
                let last = release(&mut inner.markers, market);
                if last {
                    inner.last_tickers.remove(market);
                }
                last
            };
            if last {
                let _ = self
                    .upstream_tx
                    .send(UpstreamCommand::Unmark(market.clone()))
                    .await;
            }
        }
    }

    /// Markets with at least one marker (replayed after an upstream reconnect).
    pub fn marked_markets(&self) -> Vec<MarketTicker> {
        let mut v: Vec<_> = self.lock().markers.keys().cloned().collect();
        v.sort();
        v
    }

    /// The latest ticker of a marked market.
    pub fn last_ticker(&self, market: &MarketTicker) -> Option<TickerMsg> {
        self.lock().last_tickers.get(market).cloned()
    }

    /// Markets with at least one watcher (replayed after an upstream reconnect).
    pub fn watched_markets(&self) -> Vec<MarketTicker> {
        let mut v: Vec<_> = self.lock().watchers.keys().cloned().collect();
        v.sort();
        v
    }

    /// Number of sessions watching `market`.
    pub fn watcher_count(&self, market: &MarketTicker) -> usize {
        self.lock().watchers.get(market).copied().unwrap_or(0)
    }

    /// A consistent copy of one book, if the upstream has sent its snapshot.
    pub fn book(&self, market: &MarketTicker) -> Option<BookSnapshot> {
        let inner = self.lock();
        let st = inner.books.get(market).filter(|b| b.has_snapshot)?;
        Some(BookSnapshot {
            levels: st.book.levels(),
            version: st.version,
            stale: st.stale,
        })
    }

    /// Replaces a book with an upstream snapshot and publishes it.
    pub fn apply_snapshot(&self, market: &MarketTicker, levels: BookLevels) {
        let mut inner = self.lock();
        if !inner.watchers.contains_key(market) {
            return; // a snapshot racing an unwatch
        }
        let st = inner.books.entry(market.clone()).or_default();
        st.book = OrderBook::from_levels(&levels);
        st.version += 1;
        st.stale = false;
        st.has_snapshot = true;
        let (version, levels) = (st.version, st.book.levels());
        self.publish(
            Some(market.clone()),
            version,
            ServerMsg::Book {
                market_ticker: market.clone(),
                levels,
                stale: false,
            },
        );
    }

    /// Applies one delta and publishes the level's new count.
    pub fn apply_delta(
        &self,
        market: &MarketTicker,
        side: Side,
        price: Dollars,
        delta: Count,
    ) -> DeltaOutcome {
        let mut inner = self.lock();
        let Some(st) = inner.books.get_mut(market) else {
            return DeltaOutcome::Ignored;
        };
        if !st.has_snapshot || st.stale {
            return DeltaOutcome::Ignored;
        }
        match st.book.apply_delta(side, price, delta) {
            Ok(count) => {
                st.version += 1;
                let version = st.version;
                self.publish(
                    Some(market.clone()),
                    version,
                    ServerMsg::Level {
                        market_ticker: market.clone(),
                        side,
                        price,
                        count,
                    },
                );
                DeltaOutcome::Applied
            }
            Err(err) => {
                tracing::warn!(%market, %err, "delta does not fit the book");
                DeltaOutcome::Diverged
            }
        }
    }

    /// Sets one level to an absolute count (a cluster replica applying the leader's
    /// normalized `Level` event) and publishes it; ignored without a snapshot.
    pub fn set_level(&self, market: &MarketTicker, side: Side, price: Dollars, count: Count) {
        let mut inner = self.lock();
        let Some(st) = inner.books.get_mut(market) else {
            return;
        };
        if !st.has_snapshot {
            return;
        }
        st.book.set_level(side, price, count);
        st.version += 1;
        let version = st.version;
        self.publish(
            Some(market.clone()),
            version,
            ServerMsg::Level {
                market_ticker: market.clone(),
                side,
                price,
                count,
            },
        );
    }

    /// Marks books stale (sequence gap) until their next snapshot, and tells sessions.
    pub fn mark_stale(&self, markets: &[MarketTicker]) {
        let mut inner = self.lock();
        for m in markets {
            if let Some(st) = inner.books.get_mut(m) {
                if !st.stale {
                    st.stale = true;
                    st.version += 1;
                    let version = st.version;
                    self.publish(
                        Some(m.clone()),
                        version,
                        ServerMsg::Stale {
                            market_ticker: m.clone(),
                        },
                    );
                }
            }
        }
    }
}
