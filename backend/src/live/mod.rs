//! Live data: what the desk knows now and fans out to every browser session.
//!
//! - [`hub`]: live books, the fill ledger and the fan-out every session reads.
//! - [`cluster`]: several replicas behind one upstream socket (a NATS KV lease elects the
//!   leader, which publishes normalized events every replica serves from).
//! - [`directory`]: every open market's ticker and searchable words, so the market finder
//!   searches Kalshi's whole universe from memory.
//! - [`exchange_watch`]: whether Kalshi is trading (a trading pause), read every few seconds.
//! - [`market_info`]: the markets the order path checks against (status, tick
//!   structure), cached and kept fresh by lifecycle frames.
//! - [`exposure`]: the account's positions and resting orders per market, kept live from
//!   the account channels for the position-limit check.

pub mod cluster;
pub mod directory;
pub mod exchange_watch;
pub mod exposure;
pub mod hub;
pub mod market_info;
