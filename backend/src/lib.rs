//! Kalshi Desk backend: holds the API key, signs every Kalshi request, bridges one
//! authenticated Kalshi WebSocket to many browser sessions, serves the frontend, and
//! embeds the simulated exchange (crate `kalshi_sim`) as its default upstream.
//!
//! # Layout
//! - [`config`]: clap/env configuration; resolves prod / demo / the built-in exchange.
//! - [`signer`]: RSA-PSS request signing (`KALSHI-ACCESS-*` headers).
//! - [`client`]: the signed Kalshi REST client; every write is audited (actor, body) in
//!   the [`store`] before it is signed and sent.
//! - [`store`]: the desk's database (SQLite or PostgreSQL): users, sessions, order owners,
//!   halts, the append-only hash-chained audit log (`kalshi-desk audit verify`).
//! - [`auth`]: passwords (argon2), session tokens, the bootstrap token, login rate limits,
//!   [`auth::Actor`]; [`users_cli`]: `kalshi-desk user add|list`.
//! - [`upstream`]: the one Kalshi socket: subscriptions, `seq` checks, reconnects.
//! - [`cluster`]: several replicas behind one upstream socket: a NATS KV lease elects
//!   the leader, which publishes normalized events that every replica serves from.
//! - [`exchange_watch`]: whether Kalshi is trading, read every few seconds and shown on
//!   every screen (a trading pause).
//! - [`halts`]: the kill switch (the desk's or one user's): stored, enforced on every
//!   check, shown on every screen, resting orders swept.
//! - [`hub`]: live books, the fill ledger and the fan-out every browser session reads.
//! - [`limits`]: every per-user limit on orders, amends, quotes and accepts, on the worst
//!   case, one market at a time.
//! - [`ratelimit`]: Kalshi's read/write token buckets, mirrored so the desk never earns a 429.
//! - [`metrics`]: the Prometheus registry behind `/metrics`.
//! - [`http`]: `/api/*`, `/ws` sessions and the static frontend; `http::auth` checks the
//!   session, CSRF token, Origin and role of every request before any handler runs.
//! - [`rfq_rules`]: the market maker's auto-quote / auto-confirm rules (RFQ desk).
//! - [`rfq_watch`]: quote cancellations the channel does not announce (expired, deleted),
//!   read from `GetQuotes` and published to every session.
//! - [`app`]: wiring: [`Application::build`] → [`Application::run_until_stopped`].
//!
//! Data flow: Kalshi/sim socket → [`upstream`] → [`hub`] → [`http::stream`] sessions →
//! browsers; browser orders → [`http`] (session, role, limits) → [`client`] (audit record,
//! then signed) → Kalshi/sim.

pub mod app;
pub mod auth;
pub mod backoff;
pub mod client;
pub mod cluster;
pub mod config;
pub mod exchange_watch;
pub mod halts;
pub mod http;
pub mod hub;
pub mod limits;
pub mod metrics;
pub mod pnl;
pub mod ratelimit;
pub mod rfq_rules;
pub mod rfq_watch;
pub mod signer;
pub mod store;
pub mod upstream;
pub mod users_cli;

pub use app::Application;
pub use config::Config;
