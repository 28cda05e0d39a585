//! Test support for the workspace's tests (never linked into a product binary).
//!
//! # Layout
//! - [`contract`]: Kalshi's published OpenAPI/AsyncAPI contracts as JSON Schema
//!   validators, with the errata file of places where the spec is provably wrong.
//! - [`keys`]: throwaway API keys (RSA or Ed25519) and Kalshi request signing, for
//!   tests that talk to the built-in exchange as a Kalshi client would.

pub mod contract;
pub mod keys;
