//! Kalshi API-key authentication (OpenAPI `securitySchemes`: `kalshiAccessKey`,
//! `kalshiAccessSignature`, `kalshiAccessTimestamp`).
//!
//! Every request carries `KALSHI-ACCESS-KEY`, `KALSHI-ACCESS-TIMESTAMP` (Unix ms) and
//! `KALSHI-ACCESS-SIGNATURE` = base64 of a signature over `timestamp + METHOD + path`, the
//! path with its `/trade-api/...` prefix and without the query string: RSA-PSS-SHA256
//! (MGF1-SHA256, salt length 32) for an RSA key, plain Ed25519 for an Ed25519 key, each
//! key verified with its own algorithm. The WebSocket handshake is signed like a `GET` of
//! `/trade-api/ws/v2`.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::pss::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use rsa::RsaPublicKey;
use sha2::Sha256;

use super::engine::AccountId;
use super::error::SimError;
use super::{now_ms, Sim};

/// An API public key of either kind Kalshi issues: what the exchange verifies signatures
/// with (and what `CreateApiKey` registers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA (RSA-PSS-SHA256 signatures, salt length 32).
    Rsa(RsaPublicKey),
    /// Ed25519 (RFC 8032 signatures).
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// The PEM holds no RSA or Ed25519 public key (`PUBLIC KEY` or `RSA PUBLIC KEY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("public key is neither an RSA nor an Ed25519 public key in PEM")]
pub struct PublicKeyError;

impl PublicKey {
    /// Parses `BEGIN PUBLIC KEY` (SPKI, RSA or Ed25519) or `BEGIN RSA PUBLIC KEY` PEM.
    ///
    /// # Errors
    /// [`PublicKeyError`] if the PEM holds neither kind.
    pub fn from_pem(pem: &str) -> Result<PublicKey, PublicKeyError> {
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(PublicKey::Ed25519(k));
        }
        RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map(PublicKey::Rsa)
            .map_err(|_| PublicKeyError)
    }
}

impl From<RsaPublicKey> for PublicKey {
    fn from(key: RsaPublicKey) -> PublicKey {
        PublicKey::Rsa(key)
    }
}

impl From<ed25519_dalek::VerifyingKey> for PublicKey {
    fn from(key: ed25519_dalek::VerifyingKey) -> PublicKey {
        PublicKey::Ed25519(key)
    }
}

/// A registered key, ready to verify with its own algorithm.
#[derive(Debug)]
enum Verifier {
    Rsa(VerifyingKey<Sha256>),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl Verifier {
    /// Whether `signature` (raw bytes) signs `message`.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Rsa(key) => {
                Signature::try_from(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
            }
            Verifier::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
        }
    }
}

/// Header carrying the key id.
pub const KEY_HEADER: &str = "KALSHI-ACCESS-KEY";
/// Header carrying the signing time, Unix milliseconds.
pub const TIMESTAMP_HEADER: &str = "KALSHI-ACCESS-TIMESTAMP";
/// Header carrying the base64 signature.
pub const SIGNATURE_HEADER: &str = "KALSHI-ACCESS-SIGNATURE";

/// The authenticated account of a request (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller(pub AccountId);

/// Registered keys and the signature time window.
#[derive(Debug)]
pub struct KeyRing {
    keys: HashMap<String, (Verifier, AccountId)>,
    max_skew_ms: i64,
}

impl KeyRing {
    /// An empty ring accepting signatures at most `max_skew_ms` from the server clock.
    pub fn new(max_skew_ms: i64) -> KeyRing {
        KeyRing {
            keys: HashMap::new(),
            max_skew_ms,
        }
    }

    /// Registers `key_id` for `account`.
    pub fn insert(&mut self, key_id: String, key: PublicKey, account: AccountId) {
        let verifier = match key {
            PublicKey::Rsa(k) => Verifier::Rsa(VerifyingKey::new(k)),
            PublicKey::Ed25519(k) => Verifier::Ed25519(k),
        };
        self.keys.insert(key_id, (verifier, account));
    }

    /// Checks a request's headers; returns the account it is signed for.
    ///
    /// # Errors
    /// [`SimError::Unauthorized`] for a missing header, an unknown key, a timestamp
    /// outside the window or a signature that does not verify.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        now_ms: i64,
    ) -> Result<AccountId, SimError> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let key_id =
            header(KEY_HEADER).ok_or(SimError::Unauthorized("missing KALSHI-ACCESS-KEY"))?;
        let ts_text = header(TIMESTAMP_HEADER)
            .ok_or(SimError::Unauthorized("missing KALSHI-ACCESS-TIMESTAMP"))?;
        let sig_text = header(SIGNATURE_HEADER)
            .ok_or(SimError::Unauthorized("missing KALSHI-ACCESS-SIGNATURE"))?;
        let (key, account) = self
            .keys
            .get(key_id)
            .ok_or(SimError::Unauthorized("unknown API key"))?;
        let ts: i64 = ts_text.parse().map_err(|_| {
            SimError::Unauthorized("KALSHI-ACCESS-TIMESTAMP is not integer milliseconds")
        })?;
        if (now_ms - ts).abs() > self.max_skew_ms {
            return Err(SimError::Unauthorized(
                "timestamp outside the allowed window",
            ));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig_text)
            .map_err(|_| SimError::Unauthorized("signature is not base64"))?;
        let message = format!("{ts_text}{method}{path}");
        if !key.verifies(message.as_bytes(), &raw) {
            return Err(SimError::Unauthorized("invalid signature"));
        }
        Ok(*account)
    }
}

/// Middleware: authenticates every request, or answers 401 with Kalshi's error body.
pub(crate) async fn require_auth(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let verdict = sim.keys.verify(
        req.method().as_str(),
        req.uri().path(),
        req.headers(),
        now_ms(),
    );
    match verdict {
        Ok(account) => {
            req.extensions_mut().insert(Caller(account));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}
