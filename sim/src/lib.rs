//! `kalshi-sim`: a simulated Kalshi exchange, the desk's default upstream (paper trading)
//! and its test bed. Its public face is [`SimExchange`] (start, inspect, inject faults),
//! [`SimConfig`], [`run_standalone`] for `kalshi-desk sim`, [`faults`] (the fault-injection
//! requests and their admin listener), the key and tier types ([`PublicKey`],
//! [`UsageTier`]) and [`IMPLEMENTED_OPERATIONS`]; every other module is private, and the
//! unit tests sit beside the code they test.
//!
//! It speaks Kalshi's Trade API v2 (`kalshi-openapi.yaml` 3.31) and WebSocket API
//! (`kalshi-asyncapi.yaml`) with Kalshi's API-key authentication (RSA-PSS or Ed25519
//! keys), a price-time priority matching engine on Kalshi's two bid ladders, per-account
//! balances, positions, fills and fees, and simulated participants that keep the books
//! alive.
//!
//! # Layout
//! - [`markets`]: the market list (real recorded markets + the synthetic `KXDESK` series)
//!   and its catalog of series and events; [`universe`]: a generated Kalshi-sized universe
//!   beside them (`--markets N`).
//! - [`engine`]: the exchange state and its operations, a file each: the order lifecycle
//!   (`orders`), matching (`matching`), positions (`positions`), order groups,
//!   subaccounts, block trades, settlement, trading pauses, candlesticks; emits
//!   [`engine::Event`]s.
//! - [`flow`]: simulated participants: opening books and background flow (seeded RNG).
//! - [`hub`]: WebSocket subscriptions, per-`sid` sequencing, bounded fan-out.
//! - [`auth`]: `KALSHI-ACCESS-*` signature verification, API-key scopes and the rate
//!   limiter, as one middleware; [`ratelimit`]: Kalshi's token buckets, tiers and
//!   endpoint costs.
//! - `rest`: markets, order book, trades and the order lifecycle under `/trade-api/v2`,
//!   and every handler's query reader (`rest::query`: the generated query structs of
//!   `shared::api::ops` through one extractor, Kalshi's 400 on a malformed value);
//!   `accounts`: order groups, subaccounts (balances, transfers, netting), deposits and
//!   withdrawals; `browse`: finding markets (GetMarkets filters, series, events,
//!   candlesticks); `market_data`: several markets at once, event metadata, multivariate
//!   events, fee changes, search helpers; `info`: exchange schedule, account limits and
//!   costs, resting order value; `keys`: API keys; `reference`: milestones, structured
//!   targets, live data; `historical`: the historical tier; [`rfq`]: RFQs and quotes (the
//!   book, the simulated counterparty and the HTTP routes in files of their own);
//!   `ws`: the socket at `/trade-api/ws/v2`.
//! - [`spec`]: the spec operations it serves (with the statuses each may answer); every
//!   other one answers a Kalshi-shaped `501 not_implemented` with its reason in the docs,
//!   a non-operation path `404`.
//! - [`wire`]: wire helpers; [`error`]: Kalshi-shaped HTTP errors.
//! - [`faults`]: fault injection for tests (dropped/stalled sockets, bad `seq`, malformed
//!   frames, REST 429/5xx bursts, late pings, settlements, trading pauses).
//!
//! Data flow: REST handlers, the flow task and socket commands each take the one
//! [`Core`] lock briefly (engine + hub + flow), mutate the engine, and publish the
//! resulting events through the hub into each connection's bounded queue; the
//! connection's session task drains its queue onto the socket. Nothing awaits under the
//! lock, and a slow socket can only overflow (and lose) its own connection.

mod accounts;
mod auth;
mod blocks;
mod browse;
mod engine;
mod error;
pub mod faults;
mod flow;
mod historical;
mod hub;
mod info;
mod keys;
mod market_data;
mod markets;
mod ratelimit;
mod reference;
mod rest;
mod rfq;
mod spec;
mod universe;
mod wire;
mod ws;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use anyhow::Context as _;
use axum::routing::{delete, get, post};
use axum::Router;
use shared::book::BookLevels;
use shared::ids::MarketTicker;
use shared::num::Dollars;
use shared::rest::{API_PREFIX, WS_PATH};
use shared::ws::FillMsg;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::auth::KeyRing;
pub use self::auth::{PublicKey, PublicKeyError};
use self::engine::{AccountId, AccountKind, Engine};
use self::error::SimError;
use self::flow::Flow;
use self::hub::Hub;
use self::ratelimit::Buckets;
pub use self::ratelimit::UsageTier;
pub use self::spec::IMPLEMENTED as IMPLEMENTED_OPERATIONS;

/// Balance of each registered account in the standalone server.
pub const STANDALONE_STARTING_BALANCE: Dollars = Dollars::from_int(10_000);
/// Default signature timestamp window, milliseconds.
pub const DEFAULT_MAX_CLOCK_SKEW_MS: i64 = 30_000;
/// How often the flow task wakes.
const FLOW_TICK: Duration = Duration::from_millis(50);

/// Configuration of a [`SimExchange`].
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Registered API keys: `KEY_ID` → public key (RSA or Ed25519); each key is one
    /// account (user).
    pub keys: Vec<(String, PublicKey)>,
    /// Background participant events per second (0 = no flow).
    pub flow_per_sec: u32,
    /// RNG seed for the flow (tests use fixed seeds).
    pub seed: u64,
    /// Starting balance of each registered account.
    pub starting_balance: Dollars,
    /// Signature timestamp window, milliseconds (default 30 000).
    pub max_clock_skew_ms: i64,
    /// The API usage tier of every account: the size of its rate-limit buckets
    /// ([`UsageTier::BASIC`] is what a new Kalshi account has).
    pub usage_tier: UsageTier,
    /// Generated markets listed beside the recorded and hand-made ones: a Kalshi-sized
    /// universe of series, events, plain and combo markets (0 = none; e.g. 50 000),
    /// drawn from `seed`; each opens with a thin book.
    pub markets: usize,
}

/// Unix time now, milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Everything behind the one lock.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) engine: Engine,
    pub(crate) hub: Hub,
    flow: Flow,
    pub(crate) rfq: rfq::RfqBook,
    pub(crate) blocks: blocks::BlockBook,
}

impl Core {
    /// Fans out the engine's pending events.
    pub(crate) fn publish(&mut self, now_ms: i64) {
        let events = self.engine.take_events();
        if !events.is_empty() {
            self.hub.publish(&events, now_ms);
        }
    }
}

/// Shared state of one running exchange.
#[derive(Debug)]
pub(crate) struct Inner {
    core: Mutex<Core>,
    keys: RwLock<KeyRing>,
    /// Rate-limit buckets per account, created full on first use.
    buckets: Mutex<HashMap<AccountId, Buckets>>,
    usage_tier: UsageTier,
    started_ms: i64,
    accounts: HashMap<String, AccountId>,
    flow_per_sec: AtomicU32,
    pub(crate) token: CancellationToken,
    pub(crate) sessions: TaskTracker,
    pub(crate) faults: faults::Faults,
    /// Series and events of the markets (static).
    pub(crate) catalog: markets::Catalog,
    port: u16,
}

/// The handle handlers share.
pub(crate) type Sim = Arc<Inner>;

impl Inner {
    /// The registered keys (read).
    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, KeyRing> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The registered keys (write: `CreateApiKey`, `GenerateApiKey`, `DeleteApiKey`).
    pub(crate) fn keys_mut(&self) -> RwLockWriteGuard<'_, KeyRing> {
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When the exchange started, Unix ms (its historical cutoff).
    pub(crate) fn started_ms(&self) -> i64 {
        self.started_ms
    }

    /// The accounts' usage tier.
    pub(crate) fn usage_tier(&self) -> UsageTier {
        self.usage_tier
    }

    /// Bills `operation_id` (a batch of `items`) to `account`'s buckets; false when they
    /// cannot cover it (nothing is taken then).
    pub(crate) fn admit(&self, account: AccountId, operation_id: &str, items: usize) -> bool {
        let (bucket, tokens) = ratelimit::cost(operation_id, items);
        let now = std::time::Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .entry(account)
            .or_insert_with(|| Buckets::new(self.usage_tier, now))
            .admit(bucket, tokens, now)
    }

    /// The trading pause in progress, if any.
    pub(crate) fn pause(&self) -> Option<engine::pause::Pause> {
        self.lock().engine.trading_pause()
    }

    /// The core, recovering from a poisoned lock (state stays consistent per operation).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on the engine at the current time, then publishes what it produced.
    pub(crate) fn with_engine<R>(&self, f: impl FnOnce(&mut Engine, i64) -> R) -> R {
        let now = now_ms();
        let mut core = self.lock();
        let out = f(&mut core.engine, now);
        core.publish(now);
        out
    }
}

/// A running simulated exchange. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SimExchange {
    inner: Sim,
}

impl SimExchange {
    /// Starts serving on `listener` (binds nothing itself); returns once it is accepting.
    ///
    /// # Errors
    /// A duplicate key id, a listener without a local address, or (a build defect) an
    /// unreadable embedded market file.
    pub async fn start(config: SimConfig, listener: TcpListener) -> anyhow::Result<SimExchange> {
        let port = listener
            .local_addr()
            .context("listener has no local address")?
            .port();
        let (seeds, catalog) =
            markets::listing(config.markets, config.seed).context("embedded market data")?;
        let mut engine = Engine::new(&seeds);
        let mut keys = KeyRing::new(config.max_clock_skew_ms);
        let mut accounts = HashMap::new();
        for (key_id, public_key) in config.keys {
            if accounts.contains_key(&key_id) {
                anyhow::bail!("API key {key_id:?} registered twice");
            }
            let account = engine.add_account(
                AccountKind::Registered,
                Some(key_id.clone()),
                config.starting_balance,
            );
            keys.insert(key_id.clone(), public_key, account);
            accounts.insert(key_id, account);
        }
        let rfq_book = rfq::RfqBook::new(&mut engine, config.flow_per_sec > 0);
        let mut flow = Flow::new(config.seed, &mut engine, &seeds);
        flow.seed_books(&mut engine, now_ms());
        let inner = Arc::new(Inner {
            core: Mutex::new(Core {
                engine,
                hub: Hub::default(),
                flow,
                rfq: rfq_book,
                blocks: blocks::BlockBook::default(),
            }),
            keys: RwLock::new(keys),
            buckets: Mutex::new(HashMap::new()),
            usage_tier: config.usage_tier,
            started_ms: now_ms(),
            accounts,
            flow_per_sec: AtomicU32::new(config.flow_per_sec),
            token: CancellationToken::new(),
            sessions: TaskTracker::new(),
            faults: faults::Faults::default(),
            catalog,
            port,
        });
        let app = router(inner.clone());
        let stop = inner.token.clone();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(low_latency(listener), app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
            {
                tracing::error!(error = %e, "simulated exchange server failed");
            }
        });
        tokio::spawn(run_flow(inner.clone()));
        tokio::spawn(rfq::run(inner.clone()));
        tracing::info!(port, "simulated exchange serving");
        Ok(SimExchange { inner })
    }

    /// The port it serves on.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Tickers of the open (tradable) markets.
    pub fn market_tickers(&self) -> Vec<MarketTicker> {
        let core = self.inner.lock();
        core.engine
            .markets()
            .values()
            .filter(|m| m.info.status.is_tradable())
            .map(|m| m.info.ticker.clone())
            .collect()
    }

    /// The exchange's book of one market (ascending levels), for tests.
    pub fn book(&self, ticker: &MarketTicker) -> Option<BookLevels> {
        self.inner.lock().engine.levels(ticker)
    }

    /// Every fill of the account of `key_id`, oldest first.
    pub fn fills_for(&self, key_id: &str) -> Vec<FillMsg> {
        let Some(&account) = self.inner.accounts.get(key_id) else {
            return Vec::new();
        };
        let core = self.inner.lock();
        core.engine
            .account(account)
            .map(|a| a.fills.iter().map(|f| f.msg.clone()).collect())
            .unwrap_or_default()
    }

    /// CreateOrderV2 requests accepted from `key_id`.
    pub fn orders_received(&self, key_id: &str) -> usize {
        let Some(&account) = self.inner.accounts.get(key_id) else {
            return 0;
        };
        self.inner
            .lock()
            .engine
            .account(account)
            .map_or(0, |a| a.orders_received)
    }

    /// Fault injection: the next sequenced frame on every `orderbook_delta` sid skips one
    /// `seq` number.
    pub fn skip_next_seq(&self) {
        self.inner.lock().hub.skip_next_seq();
    }

    /// Fault injection: the next sequenced frame on every `orderbook_delta` sid repeats the
    /// previous `seq` (a duplicate).
    pub fn repeat_next_seq(&self) {
        self.inner.lock().hub.repeat_next_seq();
    }

    /// Applies one fault from the admin API ([`faults::admin_router`]).
    ///
    /// # Errors
    /// A plain reason for an unknown channel, a code that is not terminal, a status outside
    /// 400–599 or a zero heartbeat.
    pub fn inject(&self, fault: faults::FaultRequest) -> Result<(), String> {
        use faults::FaultRequest as F;
        match fault {
            F::Drop => self.drop_connections(),
            F::Stall => self.stall_connections(),
            F::SkipSeq => self.skip_next_seq(),
            F::RepeatSeq => self.repeat_next_seq(),
            F::Raw { text } => self.send_raw_frame(&text),
            F::Rest { status, count } => {
                if !(400..=599).contains(&status) {
                    return Err(format!("status must be 400-599, got {status}"));
                }
                self.fail_rest(status, count);
            }
            F::Heartbeat { every_ms } => {
                if every_ms == 0 {
                    return Err("every_ms must be at least 1".to_owned());
                }
                self.set_heartbeat(Duration::from_millis(every_ms));
            }
            F::CloseChannel { channel, code } => {
                let ch = shared::ws::Channel::from_name(&channel)
                    .ok_or_else(|| format!("unknown channel {channel:?}"))?;
                if !shared::ws::error_code::is_terminal(code) {
                    return Err(format!("code {code} is not a terminal error code (10, 25)"));
                }
                self.close_subscriptions(ch, code);
            }
            F::Flow { per_sec } => self.set_flow(per_sec),
            F::Pause { secs } => {
                self.pause_trading(secs.map(Duration::from_secs));
            }
            F::Resume => {
                self.resume_trading();
            }
            F::Settle {
                market_ticker,
                result,
            } => {
                self.settle_market(&market_ticker, result)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Open subscriptions on `channel`, across connections.
    pub fn subscription_count(&self, channel: shared::ws::Channel) -> usize {
        self.inner.lock().hub.subscription_count(channel)
    }

    /// Fault injection: ends every subscription on `channel` with a terminal error frame
    /// (`code` 10 or 25) while the socket stays open; the client must resubscribe.
    pub fn close_subscriptions(&self, channel: shared::ws::Channel, code: u32) {
        self.inner.lock().hub.close_subscriptions(channel, code);
    }

    /// Fault injection: drops every open socket (no close frame).
    pub fn drop_connections(&self) {
        self.inner.faults.socket(faults::SocketFault::Drop);
    }

    /// Fault injection: every open socket keeps pinging but sends no more data frames.
    pub fn stall_connections(&self) {
        self.inner.faults.socket(faults::SocketFault::Stall);
    }

    /// Fault injection: sends `text` as a text frame on every open socket.
    pub fn send_raw_frame(&self, text: &str) {
        self.inner
            .faults
            .socket(faults::SocketFault::Raw(text.to_owned()));
    }

    /// Fault injection: the heartbeat ping interval (default 10 s; a long one delays pings).
    pub fn set_heartbeat(&self, every: Duration) {
        self.inner.faults.set_heartbeat(every);
    }

    /// Fault injection: the next `count` REST calls are answered with `status` (429, 5xx).
    pub fn fail_rest(&self, status: u16, count: u32) {
        let status = axum::http::StatusCode::from_u16(status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        self.inner.faults.fail_rest(status, count);
    }

    /// The registered API key ids (one account each).
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.inner.accounts.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Every open `orderbook_delta` subscription's markets, across connections (tests check
    /// that many browser tabs cost one upstream subscription).
    pub fn orderbook_subscriptions(&self) -> Vec<Vec<MarketTicker>> {
        self.inner.lock().hub.orderbook_subscriptions()
    }

    /// Changes the background flow rate (events per second; 0 stops it).
    pub fn set_flow(&self, per_sec: u32) {
        self.inner.flow_per_sec.store(per_sec, Ordering::Relaxed);
    }

    /// Sends all background flow to one open market (`None`: every market again), e.g.
    /// to push a fixed rate of book deltas into the market a benchmark watches. Returns
    /// false when `ticker` is not an open market.
    pub fn set_flow_focus(&self, ticker: Option<MarketTicker>) -> bool {
        self.inner.lock().flow.set_focus(ticker)
    }

    /// Sends all background flow to `tickers` (open markets, one chosen at random per
    /// event; empty: every market again), e.g. to spread a benchmark's deltas over the ten
    /// markets of a watchlist grid. Returns false when one of them is not an open market.
    pub fn set_flow_focus_on(&self, tickers: Vec<MarketTicker>) -> bool {
        self.inner.lock().flow.set_focus_on(tickers)
    }

    /// Settles market `ticker` with `result` now: resting orders cancelled, winners paid
    /// $1 a contract, positions flat, one `GetSettlements` record per holder, the market
    /// `finalized` (see [`engine::Engine::settle`]); the background flow leaves it alone.
    /// Returns how many registered accounts were settled.
    ///
    /// # Errors
    /// [`engine::OrderError`] for an unknown or already settled market.
    pub fn settle_market(
        &self,
        ticker: &MarketTicker,
        result: shared::ids::Side,
    ) -> Result<usize, engine::OrderError> {
        let now = now_ms();
        let mut core = self.inner.lock();
        let settled = core.engine.settle(ticker, result, now)?;
        core.flow.forget(ticker);
        core.publish(now);
        Ok(settled)
    }

    /// Lays a book of the test's making in `ticker`: the background participants' resting
    /// orders there are cancelled and one participant order rests at each level of
    /// `levels` (YES bids at their price, NO bids at their NO-leg price); set the flow to 0 first
    /// ([`SimExchange::set_flow`]) to keep it. Deltas and a ticker go out as for any order.
    ///
    /// # Errors
    /// [`engine::OrderError`] for an unknown market or a level the market refuses.
    pub fn lay_book(
        &self,
        ticker: &MarketTicker,
        levels: &BookLevels,
    ) -> Result<(), engine::OrderError> {
        let now = now_ms();
        let mut core = self.inner.lock();
        let core = &mut *core;
        let laid = core.flow.lay_book(&mut core.engine, ticker, levels, now);
        core.publish(now);
        laid
    }

    /// Pauses trading now, for `length` (`None`: until [`SimExchange::resume_trading`]), as
    /// Kalshi does for its weekly maintenance: new orders, amends, RFQs, quotes and accepts
    /// are refused, cancels and decreases still work, `cancel_order_on_pause` orders are
    /// cancelled, the background flow stops, and `GetExchangeStatus`/`GetExchangeSchedule`
    /// say so. Returns how many orders it cancelled.
    pub fn pause_trading(&self, length: Option<Duration>) -> usize {
        let now = now_ms();
        let ends = length.map(|d| now + i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2));
        self.inner
            .with_engine(|engine, now| engine.pause_trading(now, ends))
    }

    /// Ends a trading pause; false when trading was not paused.
    pub fn resume_trading(&self) -> bool {
        self.inner.with_engine(|engine, _| engine.resume_trading())
    }

    /// A digest of the exchange's whole state (accounts, orders, books, order groups, RFQs
    /// and quotes, the pause), equal for equal states: tests check that a refused request
    /// changed nothing.
    pub fn digest(&self) -> String {
        let core = self.inner.lock();
        format!(
            "{}|{}|{}",
            core.engine.digest(),
            core.rfq.digest(),
            core.blocks.digest()
        )
    }

    /// Stops serving and closes every socket.
    pub fn shutdown(&self) {
        self.inner.token.cancel();
        self.inner.sessions.close();
        self.inner.lock().hub.clear();
    }
}

/// The routes, all behind [`auth::require_auth`]; spec operations it does not serve are a
/// Kalshi-shaped 501 ([`spec`]), anything else unknown a Kalshi-shaped 404.
fn router(sim: Sim) -> Router {
    let p = |path: &str| format!("{API_PREFIX}{path}");
    Router::new()
        .merge(rfq::routes())
        .merge(accounts::routes())
        .merge(keys::routes())
        .merge(blocks::routes())
        .route(&p("/exchange/status"), get(rest::exchange_status))
        .route(&p("/exchange/schedule"), get(info::exchange_schedule))
        .route(
            &p("/exchange/user_data_timestamp"),
            get(info::user_data_timestamp),
        )
        .route(&p("/account/limits"), get(info::account_limits))
        .route(&p("/account/endpoint_costs"), get(info::endpoint_costs))
        .route(
            &p("/account/api_usage_level/volume_progress"),
            get(info::volume_progress),
        )
        .route(
            &p("/portfolio/summary/total_resting_order_value"),
            get(info::resting_order_value),
        )
        .route(&p("/markets"), get(browse::get_markets))
        .route(&p("/series"), get(browse::get_series_list))
        .route(&p("/series/{series_ticker}"), get(browse::get_series))
        .route(
            &p("/series/{series_ticker}/markets/{ticker}/candlesticks"),
            get(browse::get_candlesticks),
        )
        .route(&p("/events"), get(browse::get_events))
        .route(&p("/events/{event_ticker}"), get(browse::get_event))
        .route(&p("/markets/trades"), get(rest::get_trades))
        .route(&p("/markets/orderbooks"), get(market_data::orderbooks))
        .route(
            &p("/markets/candlesticks"),
            get(market_data::batch_candlesticks),
        )
        .route(
            &p("/series/{series_ticker}/events/{ticker}/candlesticks"),
            get(market_data::event_candlesticks),
        )
        .route(
            &p("/series/{series_ticker}/events/{ticker}/forecast_percentile_history"),
            get(market_data::forecast_history),
        )
        .route(
            &p("/series/fee_changes"),
            get(market_data::series_fee_changes),
        )
        .route(
            &p("/events/fee_changes"),
            get(market_data::event_fee_changes),
        )
        .route(
            &p("/events/multivariate"),
            get(market_data::multivariate_events),
        )
        .route(
            &p("/events/{event_ticker}/metadata"),
            get(market_data::event_metadata),
        )
        .route(
            &p("/search/tags_by_categories"),
            get(market_data::tags_by_categories),
        )
        .route(
            &p("/search/filters_by_sport"),
            get(market_data::filters_by_sport),
        )
        .route(
            &p("/incentive_programs"),
            get(market_data::incentive_programs),
        )
        .route(
            &p("/multivariate_event_collections"),
            get(market_data::multivariate_collections),
        )
        .route(&p("/historical/cutoff"), get(historical::cutoff))
        .route(&p("/historical/markets"), get(historical::markets))
        .route(&p("/historical/markets/{ticker}"), get(historical::market))
        .route(
            &p("/historical/markets/{ticker}/candlesticks"),
            get(historical::candlesticks),
        )
        .route(&p("/historical/trades"), get(historical::trades))
        .route(&p("/historical/fills"), get(historical::fills))
        .route(&p("/historical/orders"), get(historical::orders))
        .route(&p("/historical/positions"), get(historical::positions))
        .route(&p("/milestones"), get(reference::milestones))
        .route(
            &p("/milestones/{milestone_id}"),
            get(reference::milestone_by_id),
        )
        .route(
            &p("/structured_targets"),
            get(reference::structured_targets),
        )
        .route(
            &p("/structured_targets/{structured_target_id}"),
            get(reference::structured_target),
        )
        .route(
            &p("/live_data/milestone/{milestone_id}"),
            get(reference::live_by_milestone),
        )
        .route(
            &p("/live_data/{type}/milestone/{milestone_id}"),
            get(reference::live_typed),
        )
        .route(&p("/live_data/batch"), get(reference::live_batch))
        .route(
            &p("/live_data/events/{event_ticker}"),
            get(reference::live_event),
        )
        .route(&p("/markets/{ticker}"), get(rest::get_market))
        .route(&p("/markets/{ticker}/orderbook"), get(rest::get_orderbook))
        .route(
            &p("/portfolio/events/orders"),
            post(rest::create_order).delete(rest::cancel_all_orders),
        )
        .route(
            &p("/portfolio/events/orders/batched"),
            post(rest::batch_create_orders).delete(rest::batch_cancel_orders),
        )
        .route(
            &p("/portfolio/events/orders/{order_id}"),
            delete(rest::cancel_order),
        )
        .route(
            &p("/portfolio/events/orders/{order_id}/amend"),
            post(rest::amend_order),
        )
        .route(
            &p("/portfolio/events/orders/{order_id}/decrease"),
            post(rest::decrease_order),
        )
        .route(
            &p("/portfolio/orders/queue_positions"),
            get(rest::queue_positions),
        )
        .route(
            &p("/portfolio/orders/{order_id}/queue_position"),
            get(rest::queue_position),
        )
        .route(&p("/portfolio/orders"), get(rest::get_orders))
        .route(&p("/portfolio/orders/{order_id}"), get(rest::get_order))
        .route(&p("/portfolio/balance"), get(rest::get_balance))
        .route(&p("/portfolio/positions"), get(rest::get_positions))
        .route(&p("/portfolio/fills"), get(rest::get_fills))
        .route(&p("/portfolio/settlements"), get(rest::get_settlements))
        .route(WS_PATH, get(ws::upgrade))
        .merge(spec::not_implemented_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(axum::middleware::from_fn(spec::documented_statuses_only))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            auth::require_auth,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            faults::rest_faults,
        ))
        .with_state(sim)
}

async fn not_found(uri: axum::http::Uri) -> SimError {
    SimError::NotFound(format!("no such endpoint: {}", uri.path()))
}

/// The background participants: `flow_per_sec` events a second, plus expiring orders.
async fn run_flow(sim: Sim) {
    let mut tick = tokio::time::interval(FLOW_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let tick_ms = u64::try_from(FLOW_TICK.as_millis()).unwrap_or(50);
    let mut budget_milli: u64 = 0;
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            () = sim.token.cancelled() => break,
            _ = tick.tick() => {}
        }
        ticks += 1;
        if ticks.is_multiple_of(20) {
            sim.with_engine(|engine, now| {
                engine.expire(now);
                engine.resume_if_due(now);
            });
        }
        if sim.pause().is_some() {
            // The participants wait out a pause like everyone else.
            continue;
        }
        let per_sec = u64::from(sim.flow_per_sec.load(Ordering::Relaxed));
        if per_sec == 0 {
            budget_milli = 0;
            continue;
        }
        budget_milli = budget_milli.saturating_add(per_sec * tick_ms);
        let events = (budget_milli / 1000).min(5_000);
        budget_milli %= 1000;
        for _ in 0..events {
            let now = now_ms();
            let mut core = sim.lock();
            let Core { engine, flow, .. } = &mut *core;
            flow.step(engine, now);
            core.publish(now);
        }
    }
}

/// Sets `TCP_NODELAY` on every connection `listener` accepts: Kalshi's frames are small, and
/// Nagle's algorithm would hold one back for up to a delayed ACK (~40 ms).
pub fn low_latency(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt as _;
    fn nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY on a connection");
        }
    }
    listener.tap_io(nodelay as fn(&mut tokio::net::TcpStream))
}

/// Reads an RSA or Ed25519 public key from PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
fn read_public_key(path: &std::path::Path) -> anyhow::Result<PublicKey> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    PublicKey::from_pem(&pem).with_context(|| format!("reading {}", path.display()))
}

/// How `kalshi-desk sim` runs the exchange on its own.
#[derive(Clone, Debug)]
pub struct Standalone {
    /// Address to listen on.
    pub listen: IpAddr,
    /// Port (0: any free one).
    pub port: u16,
    /// Registered keys: `KEY_ID` → public key PEM file (RSA or Ed25519).
    pub keys: Vec<(String, PathBuf)>,
    /// Background participant events per second.
    pub flow_per_sec: u32,
    /// RNG seed of the flow.
    pub seed: u64,
    /// Serve the fault-injection API on this loopback port.
    pub fault_admin_port: Option<u16>,
    /// Every account's API usage tier (rate-limit bucket sizes).
    pub usage_tier: UsageTier,
    /// Generated markets beside the recorded and hand-made ones ([`SimConfig::markets`]).
    pub markets: usize,
}

/// Standalone server: `kalshi-desk sim --port N --key KEY_ID=path/to/public.pem ...`.
/// Serves until Ctrl-C. Each key gets [`STANDALONE_STARTING_BALANCE`].
///
/// # Errors
/// An unreadable key file, a port that cannot be bound, or a failed start.
pub async fn run_standalone(args: Standalone) -> anyhow::Result<()> {
    let Standalone {
        listen,
        port,
        keys,
        flow_per_sec,
        seed,
        fault_admin_port,
        usage_tier,
        markets,
    } = args;
    let keys = keys
        .into_iter()
        .map(|(id, path)| Ok((id, read_public_key(&path)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let addr = SocketAddr::new(listen, port);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr().context("listener address")?;
    let config = SimConfig {
        keys,
        flow_per_sec,
        seed,
        starting_balance: STANDALONE_STARTING_BALANCE,
        max_clock_skew_ms: DEFAULT_MAX_CLOCK_SKEW_MS,
        usage_tier,
        markets,
    };
    let sim = SimExchange::start(config, listener).await?;
    tracing::info!(%local, "simulated Kalshi exchange: REST http://{local}{API_PREFIX}, WebSocket ws://{local}{WS_PATH}");
    if let Some(admin_port) = fault_admin_port {
        let admin = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, admin_port))
            .await
            .with_context(|| format!("binding the fault admin port {admin_port}"))?;
        let addr = faults::serve_admin(sim.clone(), admin).await?;
        tracing::info!(%addr, "fault injection: POST http://{addr}/faults");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown();
    Ok(())
}
