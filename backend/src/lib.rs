//! Kalshi Desk backend: holds the API key, signs every Kalshi request, bridges one
//! authenticated Kalshi WebSocket to many browser sessions, serves the frontend, and
//! embeds the simulated exchange (crate `kalshi_sim`) as its default upstream.
//!
//! # Layout (by domain)
//! - [`kalshi`]: Kalshi access: the signer, the signed REST client, the rate budget, the
//!   one upstream WebSocket.
//! - [`live`]: live data: the hub (books, fills, fan-out), cluster mode, the exchange's
//!   trading status.
//! - [`rfq`]: the market maker's rules and the quote watch.
//! - [`team`]: users, sessions, the store, limits, halts, the day's P&L, the CLI.
//! - [`http`]: `/api/*`, `/ws` sessions and the static frontend; `http::auth` checks the
//!   session, CSRF token, Origin and role of every request before any handler runs.
//! - [`config`]: clap/env configuration; [`metrics`]: the Prometheus registry;
//!   [`app`]: wiring, [`Application::build`] →
//!   [`Application::run_until_stopped`].
//!
//! Data flow: Kalshi/sim socket → [`kalshi::upstream`] → [`live::hub`] →
//! [`http::stream`] sessions → browsers; browser orders → [`http`] (session, role,
//! [`team::limits`]) → [`kalshi::client`] (audit record, then signed) → Kalshi/sim.

pub mod alerts;
pub mod app;
pub mod config;
pub mod http;
pub mod kalshi;
pub mod live;
pub mod metrics;
pub mod rfq;
pub mod team;

pub use app::Application;
pub use config::Config;
