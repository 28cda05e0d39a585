//! Request signing for Kalshi's API-key authentication.
//!
//! Kalshi authenticates every REST request and the WebSocket handshake with three
//! headers: `KALSHI-ACCESS-KEY` (the key id), `KALSHI-ACCESS-TIMESTAMP` (Unix ms) and
//! `KALSHI-ACCESS-SIGNATURE`: base64 of an RSA-PSS signature (SHA-256, MGF1-SHA-256,
//! salt length 32) over `timestamp_ms + METHOD + path`, where `path` carries the
//! `/trade-api/v2` (or `/trade-api/ws/v2`) prefix and no query string.
//! (OpenAPI `securitySchemes`; seeds "API Keys" page.)
//!
//! The key is parsed once. Signing costs ~2 ms of CPU with the `rsa` crate, so async
//! callers use [`Signer::sign_blocking_pool`] to keep it off the socket threads.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::pss::BlindedSigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::RsaPrivateKey;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

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
    /// The PEM is neither PKCS#1 (`RSA PRIVATE KEY`) nor PKCS#8 (`PRIVATE KEY`) RSA.
    /// The message never contains key material.
    #[error("private key is not an RSA key in PKCS#1 or PKCS#8 PEM")]
    Parse,
    /// The RSA operation failed.
    #[error("signing failed")]
    Sign(#[source] rsa::signature::Error),
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
    key: Arc<BlindedSigningKey<Sha256>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
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

/// Parses an RSA private key from PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM.
///
/// # Errors
/// [`SignerError::Parse`] if the PEM holds no RSA private key (the error never echoes it).
pub fn parse_private_key(pem: &SecretString) -> Result<RsaPrivateKey, SignerError> {
    let pem = pem.expose_secret();
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| SignerError::Parse)
}

/// Reads and parses a private key file.
///
/// # Errors
/// [`SignerError::Read`] or [`SignerError::Parse`].
pub fn load_private_key(path: &Path) -> Result<RsaPrivateKey, SignerError> {
    let pem = std::fs::read_to_string(path).map_err(|source| SignerError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_private_key(&SecretString::from(pem))
}

impl Signer {
    /// A signer from an RSA private key in PKCS#8 or PKCS#1 PEM.
    ///
    /// # Errors
    /// [`SignerError::Parse`] if the PEM holds no RSA private key.
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

    /// A signer from a parsed key.
    pub fn from_key(key_id: impl Into<String>, key: RsaPrivateKey) -> Signer {
        Signer {
            key_id: key_id.into(),
            key: Arc::new(BlindedSigningKey::<Sha256>::new(key)),
        }
    }

    /// The key id sent in `KALSHI-ACCESS-KEY`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Signs `timestamp_ms + METHOD + path` (CPU-bound, ~2 ms; call from a blocking context).
    ///
    /// # Errors
    /// [`SignerError::Sign`] if the RSA operation fails.
    pub fn sign_at(
        &self,
        timestamp_ms: i64,
        method: &str,
        path: &str,
    ) -> Result<AuthHeaders, SignerError> {
        let text = signing_text(timestamp_ms, method, path);
        // PSS salt length = digest length (32) is what `BlindedSigningKey::new` uses.
        let sig = self
            .key
            .try_sign_with_rng(&mut rand::thread_rng(), text.as_bytes())
            .map_err(SignerError::Sign)?;
        Ok(AuthHeaders {
            key_id: self.key_id.clone(),
            timestamp_ms: timestamp_ms.to_string(),
            signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
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
