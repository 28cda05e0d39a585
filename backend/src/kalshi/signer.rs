//! Request signing for Kalshi's API-key authentication.
//!
//! Kalshi authenticates every REST request and the WebSocket handshake with three
//! headers: `KALSHI-ACCESS-KEY` (the key id), `KALSHI-ACCESS-TIMESTAMP` (Unix ms) and
//! `KALSHI-ACCESS-SIGNATURE`: base64 of a signature over `timestamp_ms + METHOD + path`,
//! where `path` carries the `/trade-api/v2` (or `/trade-api/ws/v2`) prefix and no query
//! string. (OpenAPI `securitySchemes`; seeds "API Keys" page.)
//!
//! Kalshi issues two kinds of API key, and its official SDKs tell them apart from the PEM:
//! - RSA (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`): RSA-PSS, SHA-256,
//!   MGF1-SHA-256, salt length 32.
//! - Ed25519 (PKCS#8 `PRIVATE KEY`): a plain Ed25519 signature (RFC 8032) of the same text.
//!
//! The key is parsed once. RSA keys sign through OpenSSL (`libcrypto`, already linked for
//! TLS): about 0.3 ms of CPU per RSA-2048 signature against ~3.5 ms with the pure-Rust `rsa`
//! crate, and constant-time (the `rsa` crate's decryption/signing is not: RUSTSEC-2023-0071).
//! The `rsa` crate still parses keys and verifies in the built-in exchange. Async callers use
//! [`Signer::sign_blocking_pool`] so even 0.3 ms never runs on a socket thread.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use ed25519_dalek::Signer as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::pss::BlindedSigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The public half of an API key, as the exchange (Kalshi or the built-in one) verifies with.
pub use kalshi_sim::PublicKey;

/// Header carrying the key id.
pub const HEADER_KEY: &str = "KALSHI-ACCESS-KEY";
/// Header carrying the Unix-ms timestamp.
pub const HEADER_TIMESTAMP: &str = "KALSHI-ACCESS-TIMESTAMP";
/// Header carrying the base64 signature.
pub const HEADER_SIGNATURE: &str = "KALSHI-ACCESS-SIGNATURE";

/// Why a key could not be loaded or a request signed.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The key file could not be read.
    #[error("cannot read private key file {path}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PEM is neither an RSA key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`)
    /// nor an Ed25519 key (PKCS#8 `PRIVATE KEY`). The message never contains key material.
    #[error(
        "private key is neither an RSA key (PKCS#1 or PKCS#8 PEM) nor an Ed25519 key (PKCS#8 PEM)"
    )]
    Parse,
    /// The RSA operation failed (pure-Rust fallback).
    #[error("signing failed")]
    Sign(#[source] rsa::signature::Error),
    /// The RSA operation failed in OpenSSL. The error stack names the failing call, never
    /// key material.
    #[error("signing failed")]
    OpenSsl(#[source] openssl::error::ErrorStack),
    /// The blocking signing task was cancelled.
    #[error("signing task failed")]
    Join(#[source] tokio::task::JoinError),
}

/// The three authentication headers of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHeaders {
    /// `KALSHI-ACCESS-KEY`.
    pub key_id: String,
    /// `KALSHI-ACCESS-TIMESTAMP` (Unix ms, decimal).
    pub timestamp_ms: String,
    /// `KALSHI-ACCESS-SIGNATURE` (base64).
    pub signature: String,
}

impl AuthHeaders {
    /// `(name, value)` pairs, for any HTTP client.
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (HEADER_KEY, &self.key_id),
            (HEADER_TIMESTAMP, &self.timestamp_ms),
            (HEADER_SIGNATURE, &self.signature),
        ]
    }
}

/// Signs requests with one API key. Cheap to clone; `Debug` never prints the key.
#[derive(Clone)]
pub struct Signer {
    key_id: String,
    key: Arc<SigningKey>,
}

/// The prepared signing half of a key.
enum SigningKey {
    /// RSA through OpenSSL (the normal case).
    Rsa(openssl::pkey::PKey<openssl::pkey::Private>),
    /// RSA through the `rsa` crate: only if OpenSSL refused the key's DER, which a key the
    /// `rsa` crate parsed should never be.
    RsaFallback(BlindedSigningKey<Sha256>),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    fn rsa(key: RsaPrivateKey) -> SigningKey {
        let der = key.to_pkcs8_der().ok();
        match der.and_then(|der| openssl::pkey::PKey::private_key_from_der(der.as_bytes()).ok()) {
            Some(pkey) => SigningKey::Rsa(pkey),
            None => {
                tracing::warn!("OpenSSL refused the RSA key; signing with the slower rsa crate");
                SigningKey::RsaFallback(BlindedSigningKey::<Sha256>::new(key))
            }
        }
    }
}

/// RSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (= digest length), as Kalshi verifies.
fn rsa_pss_sign(
    key: &openssl::pkey::PKey<openssl::pkey::Private>,
    text: &[u8],
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    use openssl::hash::MessageDigest;
    let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), key)?;
    signer.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)?;
    signer.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)?;
    signer.set_rsa_mgf1_md(MessageDigest::sha256())?;
    signer.update(text)?;
    signer.sign_to_vec()
}

/// A parsed API private key of either kind Kalshi issues. `Debug` never prints it.
#[derive(Clone)]
pub enum PrivateKey {
    /// RSA (signs with RSA-PSS-SHA256).
    Rsa(RsaPrivateKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            PrivateKey::Rsa(_) => "Rsa",
            PrivateKey::Ed25519(_) => "Ed25519",
        };
        f.debug_tuple(kind).field(&"[REDACTED]").finish()
    }
}

impl PrivateKey {
    /// The public half, as registered with Kalshi (or the built-in exchange).
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(RsaPublicKey::from(k)),
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
        }
    }
}

impl From<RsaPrivateKey> for PrivateKey {
    fn from(key: RsaPrivateKey) -> PrivateKey {
        PrivateKey::Rsa(key)
    }
}

impl From<ed25519_dalek::SigningKey> for PrivateKey {
    fn from(key: ed25519_dalek::SigningKey) -> PrivateKey {
        PrivateKey::Ed25519(key)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match *self.key {
            SigningKey::Rsa(_) | SigningKey::RsaFallback(_) => "rsa",
            SigningKey::Ed25519(_) => "ed25519",
        };
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .field("kind", &kind)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// The text Kalshi signs: `timestamp_ms + METHOD + path`, with any `?query` removed.
pub fn signing_text(timestamp_ms: i64, method: &str, path: &str) -> String {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    format!("{timestamp_ms}{}{path}", method.to_ascii_uppercase())
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Parses a private key, telling the kind from the PEM as Kalshi's SDKs do: PKCS#8
/// (`PRIVATE KEY`) holding Ed25519 or RSA, or PKCS#1 (`RSA PRIVATE KEY`).
///
/// # Errors
/// [`SignerError::Parse`] if the PEM holds neither kind (the error never echoes it).
pub fn parse_private_key(pem: &SecretString) -> Result<PrivateKey, SignerError> {
    let pem = pem.expose_secret();
    if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
        return Ok(PrivateKey::Ed25519(key));
    }
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map(PrivateKey::Rsa)
        .map_err(|_| SignerError::Parse)
}

/// Reads and parses a private key file.
///
/// # Errors
/// [`SignerError::Read`] or [`SignerError::Parse`].
pub fn load_private_key(path: &Path) -> Result<PrivateKey, SignerError> {
    let pem = std::fs::read_to_string(path).map_err(|source| SignerError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_private_key(&SecretString::from(pem))
}

impl Signer {
    /// A signer from an RSA (PKCS#8 or PKCS#1) or Ed25519 (PKCS#8) private key PEM.
    ///
    /// # Errors
    /// [`SignerError::Parse`] if the PEM holds neither kind.
    pub fn from_pem(key_id: impl Into<String>, pem: &SecretString) -> Result<Signer, SignerError> {
        Ok(Signer::from_key(key_id, parse_private_key(pem)?))
    }

    /// A signer from a PEM file.
    ///
    /// # Errors
    /// [`SignerError::Read`] or [`SignerError::Parse`].
    pub fn from_pem_file(key_id: impl Into<String>, path: &Path) -> Result<Signer, SignerError> {
        Ok(Signer::from_key(key_id, load_private_key(path)?))
    }

    /// A signer from a parsed key (a [`PrivateKey`], or an RSA or Ed25519 key itself).
    pub fn from_key(key_id: impl Into<String>, key: impl Into<PrivateKey>) -> Signer {
        let key = match key.into() {
            PrivateKey::Rsa(k) => SigningKey::rsa(k),
            PrivateKey::Ed25519(k) => SigningKey::Ed25519(k),
        };
        Signer {
            key_id: key_id.into(),
            key: Arc::new(key),
        }
    }

    /// The key id sent in `KALSHI-ACCESS-KEY`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Signs `timestamp_ms + METHOD + path` (CPU-bound, ~0.3 ms for RSA-2048; call from a
    /// blocking context).
    ///
    /// # Errors
    /// [`SignerError::OpenSsl`] (or [`SignerError::Sign`]) if the RSA operation fails;
    /// Ed25519 signing cannot fail.
    pub fn sign_at(
        &self,
        timestamp_ms: i64,
        method: &str,
        path: &str,
    ) -> Result<AuthHeaders, SignerError> {
        let text = signing_text(timestamp_ms, method, path);
        let sig = match &*self.key {
            SigningKey::Rsa(key) => {
                rsa_pss_sign(key, text.as_bytes()).map_err(SignerError::OpenSsl)?
            }
            // PSS salt length = digest length (32) is what `BlindedSigningKey::new` uses.
            SigningKey::RsaFallback(key) => key
                .try_sign_with_rng(&mut rand::thread_rng(), text.as_bytes())
                .map_err(SignerError::Sign)?
                .to_vec(),
            SigningKey::Ed25519(key) => key.sign(text.as_bytes()).to_vec(),
        };
        Ok(AuthHeaders {
            key_id: self.key_id.clone(),
            timestamp_ms: timestamp_ms.to_string(),
            signature: base64::engine::general_purpose::STANDARD.encode(sig),
        })
    }

    /// Signs now, on tokio's blocking pool so socket threads never wait on RSA.
    ///
    /// # Errors
    /// As [`Signer::sign_at`], or [`SignerError::Join`].
    pub async fn sign_blocking_pool(
        &self,
        method: &str,
        path: &str,
    ) -> Result<AuthHeaders, SignerError> {
        let signer = self.clone();
        let (method, path) = (method.to_owned(), path.to_owned());
        tokio::task::spawn_blocking(move || signer.sign_at(now_ms(), &method, &path))
            .await
            .map_err(SignerError::Join)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_text_drops_the_query_and_uppercases_the_method() {
        assert_eq!(
            signing_text(
                1_703_123_456_789,
                "get",
                "/trade-api/v2/portfolio/orders?limit=5"
            ),
            "1703123456789GET/trade-api/v2/portfolio/orders"
        );
        assert_eq!(
            signing_text(1, "GET", "/trade-api/ws/v2"),
            "1GET/trade-api/ws/v2"
        );
    }

    #[test]
    fn garbage_pem_is_refused_without_echoing_it() {
        let err = Signer::from_pem(
            "k",
            &SecretString::from(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".to_owned(),
            ),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("AAAA"));
    }
}
