//! Wire types shared by the Kalshi Desk backend, its built-in exchange and the browser.
//!
//! # Layout
//! - [`num`]: exact fixed-point [`Dollars`](num::Dollars) and [`Count`](num::Count).
//! - [`ids`]: tickers, ids, `sid`/`seq`, sides.
//! - [`rest`]: Kalshi REST request/response bodies (`/trade-api/v2`).
//! - [`api`]: every Kalshi REST operation as an [`api::Operation`] (generated from the spec).
//! - [`ws`]: Kalshi WebSocket commands and frames, and [`ws::decode`]; [`ws_msg`] holds the
//!   generated `msg` payloads of the channels `ws` does not write by hand.
//! - [`book`]: the two-ladder order book every part draws from.
//! - [`board`]: event boards (every market of an event) and the baskets that contradict them.
//! - [`protocol`]: the browser ⇄ backend API and socket frames.
//! - [`rfq`]: the RFQ desk's browser types: live RFQ/quote events, quoting rules, rule log.
//! - [`groups`]: the browser types of order groups and subaccounts (balances, transfers).
//! - [`auth`]: the team desk: users, roles, limits, sessions and the audit log.
//! - [`workspace`]: a user's named layouts of the desk screen and price format.
//! - [`backoff`]: jittered reconnect delays, for the backend and the browser alike.
//!
//! Data flows Kalshi (or the built-in exchange) → `rest`/`ws` types → backend → `protocol`
//! types → browser. Everything here builds for native and `wasm32-unknown-unknown`.

pub mod alerts;
pub mod api;
pub mod auth;
pub mod backoff;
pub mod board;
pub mod book;
pub mod groups;
pub mod ids;
pub mod num;
pub mod pnl;
pub mod protocol;
pub mod rest;
pub mod rfq;
pub mod workspace;
pub mod ws;
pub mod ws_msg;
