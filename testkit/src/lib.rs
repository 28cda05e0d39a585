//! Test support for the workspace's tests and benchmarks (a dev-dependency only, never
//! linked into a product binary).
//!
//! # Layout
//! - [`keys`]: throwaway API keys (RSA or Ed25519, made with the `openssl` crate) and Kalshi
//!   request signing, for tests that talk to the built-in exchange as a Kalshi client would.
//! - [`eventually`]: waiting for something that happens in its own time, instead of
//!   hand-written polling loops.
//! - [`contract`]: Kalshi's published OpenAPI/AsyncAPI contracts as JSON Schema validators,
//!   with the errata file of places where the spec is provably wrong.
//! - [`services`]: the real services tests run against: a private `nats-server` and a
//!   PostgreSQL schema of the test's own.
//! - [`desk`]: a desk replica in a runtime of its own, to kill as a crash would.
//! - [`e2e`]: the browser harness: real headless Chromium over WebDriver against the whole
//!   desk on its built-in exchange.
//! - [`trace`]: Chromium traces: the page's main-thread busy time.
//! - [`bench`]: what the benchmarks share: percentiles, machine facts, the results file.

pub mod bench;
pub mod contract;
pub mod desk;
pub mod e2e;
pub mod eventually;
pub mod keys;
pub mod services;
pub mod trace;
pub mod webhook;

pub use eventually::{eventually, eventually_every, eventually_true, try_eventually};
pub use keys::TestKey;
