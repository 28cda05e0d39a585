//! The team desk: people, their rights and the desk's limits.
//!
//! - [`auth`]: passwords (argon2), session tokens, the bootstrap token, login rate limits,
//!   [`auth::Actor`].
//! - [`store`]: the desk's database (SQLite or PostgreSQL): users, sessions, order owners,
//!   halts, settings, the append-only hash-chained audit log.
//! - [`limits`]: every limit on orders, amends, quotes, accepts and the RFQ rules, on the
//!   worst case, one market at a time; the one check they all call.
//! - [`halts`]: the kill switch (the desk's or one user's).
//! - [`pnl`]: the trading day's P&L behind the daily loss limits.
//! - [`pnl_history`]: the P&L history's stored fills and settlements, by user or desk.
//! - [`users_cli`]: `kalshi-desk user add|list` and `kalshi-desk audit verify`.

pub mod auth;
pub mod halts;
pub mod limits;
pub mod pnl;
pub mod pnl_history;
pub mod store;
pub mod users_cli;
