//! Backend integration tests: the desk against its built-in exchange on real loopback
//! sockets, with real RSA signatures verified by the exchange.

mod bridge;
mod helpers;
mod secrets;
mod signer;
mod rfq;
