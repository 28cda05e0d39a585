//! Backend integration tests: the desk against its built-in exchange on real loopback
//! sockets, with real RSA and Ed25519 signatures verified by the exchange.

mod alerts;
mod assets;
mod bridge;
mod client;
mod cluster;
mod faults;
mod first_start;
mod groups;
mod hardening;
mod helpers;
mod keys;
mod limits;
mod markets;
mod orders;
mod pnl;
mod portfolio;
mod replay;
mod rfq;
mod risk;
mod secrets;
mod signer;
mod soak;
mod stop;
mod team;
