//! The RFQ desk's backend side.
//!
//! - [`rules`]: the market maker's auto-quote / auto-confirm rules, run by one replica.
//! - [`watch`]: quote cancellations the channel does not announce (expired, deleted), read
//!   from `GetQuotes` and published to every session.

pub mod rules;
pub mod watch;
