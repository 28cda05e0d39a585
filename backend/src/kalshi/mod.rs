//! Kalshi access: everything that talks to Kalshi (or the built-in exchange) as the desk's
//! API key.
//!
//! - [`signer`]: `KALSHI-ACCESS-*` request signing (RSA-PSS-SHA256 or Ed25519) over
//!   `timestamp_ms + METHOD + path`.
//! - [`client`]: the signed REST client; every write is audited before it is signed.
//! - [`ratelimit`]: Kalshi's read/write token buckets, mirrored so the desk never earns a 429.
//! - [`upstream`]: the one authenticated WebSocket: subscriptions, `seq` per `sid`,
//!   reconnects and reconciliation.

pub mod client;
pub mod ratelimit;
pub mod signer;
pub mod upstream;
