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

/// One registered API key.
#[derive(Debug)]
struct KeyEntry {
    verifier: Verifier,
    account: AccountId,
    /// The name given at creation (`CreateApiKey`/`GenerateApiKey`), or the key id for keys
    /// registered with the exchange's configuration.
    name: String,
    /// Kalshi scopes: `read` and `write` (a key without `write` may only read).
    scopes: Vec<String>,
}

/// What `GetApiKeys` lists of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id (`KALSHI-ACCESS-KEY`).
    pub key_id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
}

/// Registered keys and the signature time window.
#[derive(Debug)]
pub struct KeyRing {
    keys: HashMap<String, KeyEntry>,
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

    /// Registers `key_id` for `account` with read and write scopes, named after itself.
    pub fn insert(&mut self, key_id: String, key: PublicKey, account: AccountId) {
        let name = key_id.clone();
        self.insert_named(
            key_id,
            key,
            account,
            name,
            vec!["read".into(), "write".into()],
        );
    }

    /// Registers `key_id` for `account` under `name` with `scopes`.
    pub fn insert_named(
        &mut self,
        key_id: String,
        key: PublicKey,
        account: AccountId,
        name: String,
        scopes: Vec<String>,
    ) {
        let verifier = match key {
            PublicKey::Rsa(k) => Verifier::Rsa(VerifyingKey::new(k)),
            PublicKey::Ed25519(k) => Verifier::Ed25519(k),
        };
        self.keys.insert(
            key_id,
            KeyEntry {
                verifier,
                account,
                name,
                scopes,
            },
        );
    }

    /// The keys of `account`, by key id.
    pub fn list(&self, account: AccountId) -> Vec<KeyInfo> {
        let mut out: Vec<KeyInfo> = self
            .keys
            .iter()
            .filter(|(_, e)| e.account == account)
            .map(|(id, e)| KeyInfo {
                key_id: id.clone(),
                name: e.name.clone(),
                scopes: e.scopes.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        out
    }

    /// Removes `key_id` if it belongs to `account`; false when it does not exist (for
    /// that account).
    pub fn remove(&mut self, account: AccountId, key_id: &str) -> bool {
        if self.keys.get(key_id).is_some_and(|e| e.account == account) {
            self.keys.remove(key_id);
            true
        } else {
            false
        }
    }

    /// Whether `key_id` may write (orders, quotes): scope `write` or `write::trade`.
    fn may_write(&self, key_id: &str) -> bool {
        self.keys
            .get(key_id)
            .is_some_and(|e| e.scopes.iter().any(|s| s == "write" || s == "write::trade"))
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
        let entry = self
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
        if !entry.verifier.verifies(message.as_bytes(), &raw) {
            return Err(SimError::Unauthorized("invalid signature"));
        }
        Ok(entry.account)
    }
}

/// Middleware: authenticates a request, bills it to its account's rate-limit buckets, and
/// answers 401 (Kalshi's error body) for a missing or bad signature, 403 for a write with a
/// read-only key, 429 when the bucket cannot cover the request's cost.
///
/// Public market-data operations (no `security` in the spec) need no key; when a request
/// to one carries the headers anyway they are verified like any other.
pub(crate) async fn require_auth(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let operation = crate::spec::operation_of(&method, &path);
    let public = operation.is_some_and(|id| shared::api::ops::is_authenticated(id) == Some(false));
    if public && !req.headers().contains_key(KEY_HEADER) {
        return next.run(req).await;
    }
    let verdict = sim.keys().verify(&method, &path, req.headers(), now_ms());
    let account = match verdict {
        Ok(account) => account,
        Err(e) => return e.into_response(),
    };
    if let Some(id) = operation {
        let (bucket, _) = crate::ratelimit::cost(id, 1);
        let key_id = req
            .headers()
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if bucket == crate::ratelimit::Bucket::Write && !sim.keys().may_write(key_id) {
            return SimError::Forbidden("this API key has no write scope".to_owned())
                .into_response();
        }
        let items = if crate::ratelimit::billed_per_item(id) {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
                return SimError::BadRequest("request body too large".to_owned()).into_response();
            };
            let items = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("orders").and_then(|o| o.as_array()).map(Vec::len))
                .unwrap_or(1);
            req = Request::from_parts(parts, axum::body::Body::from(bytes));
            items
        } else {
            1
        };
        if !sim.admit(account, id, items) {
            return SimError::RateLimited.into_response();
        }
    }
    req.extensions_mut().insert(Caller(account));
    next.run(req).await
}

/// The largest request body read for billing (Kalshi's batches hold at most 20 orders).
const MAX_BODY: usize = 1 << 20;
