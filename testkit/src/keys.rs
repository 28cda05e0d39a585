//! Throwaway API keys for tests: made at run time, never written to the repository.
//!
//! Kalshi signs `timestamp_ms + METHOD + path` (path with `/trade-api/v2` or
//! `/trade-api/ws/v2`, no query): RSA-PSS-SHA256 (salt 32) for RSA keys, plain Ed25519
//! for Ed25519 keys; the signature travels base64-encoded in `KALSHI-ACCESS-SIGNATURE`.

use base64::Engine as _;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};

/// A throwaway private key of either kind.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a handful of keys per test; the RSA key is boxed already"
)]
pub enum TestKey {
    /// RSA-2048.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
}

impl TestKey {
    /// A fresh Ed25519 key (instant).
    pub fn ed25519() -> TestKey {
        let seed: [u8; 32] = rand::random();
        TestKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// A fresh RSA-2048 key (the `rsa` crate; about a second in a test build).
    ///
    /// # Panics
    /// If key generation fails (it does not for 2048 bits).
    pub fn rsa() -> TestKey {
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA keygen");
        TestKey::Rsa(Box::new(key))
    }

    /// Reads a PKCS#8 private key PEM of either kind (as `GenerateApiKey` returns one).
    pub fn from_private_pem(pem: &str) -> Option<TestKey> {
        use rsa::pkcs8::DecodePrivateKey as _;
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Some(TestKey::Ed25519(k));
        }
        rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .ok()
            .map(|k| TestKey::Rsa(Box::new(k)))
    }

    /// The private key as PKCS#8 PEM (what a user stores in a key file).
    ///
    /// # Panics
    /// If encoding fails (it does not for these key types).
    pub fn private_pem(&self) -> String {
        match self {
            TestKey::Rsa(k) => k.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string(),
            TestKey::Ed25519(k) => k.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string(),
        }
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), as Kalshi's `CreateApiKey` takes it.
    ///
    /// # Panics
    /// If encoding fails (it does not for these key types).
    pub fn public_pem(&self) -> String {
        match self {
            TestKey::Rsa(k) => k
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .expect("spki"),
            TestKey::Ed25519(k) => k
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .expect("spki"),
        }
    }

    /// base64 signature of `timestamp_ms + method + path` (the query stripped from `path`).
    pub fn sign(&self, timestamp_ms: i64, method: &str, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        let text = format!("{timestamp_ms}{method}{path}");
        let bytes = match self {
            TestKey::Rsa(k) => {
                let signer = rsa::pss::BlindedSigningKey::<sha2::Sha256>::new((**k).clone());
                signer
                    .sign_with_rng(&mut rand::thread_rng(), text.as_bytes())
                    .to_vec()
            }
            TestKey::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                k.sign(text.as_bytes()).to_bytes().to_vec()
            }
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The three `KALSHI-ACCESS-*` headers for a request by `key_id` now.
    pub fn headers(&self, key_id: &str, method: &str, path: &str) -> [(&'static str, String); 3] {
        let ts = now_ms();
        [
            ("KALSHI-ACCESS-KEY", key_id.to_owned()),
            ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
            ("KALSHI-ACCESS-SIGNATURE", self.sign(ts, method, path)),
        ]
    }
}

/// Unix time now, milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
