//! Throwaway API keys for tests: made at run time with the `openssl` crate, never written
//! to the repository.
//!
//! Kalshi signs `timestamp_ms + METHOD + path` (path with `/trade-api/v2` or
//! `/trade-api/ws/v2`, no query): RSA-PSS-SHA256 (salt 32) for RSA keys, plain Ed25519
//! for Ed25519 keys; the signature travels base64-encoded in `KALSHI-ACCESS-SIGNATURE`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};

/// A throwaway private key: RSA-2048 or Ed25519. Its `Debug` names the kind only.
#[derive(Clone)]
pub struct TestKey(PKey<Private>);

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.is_rsa() { "RSA" } else { "Ed25519" };
        write!(f, "TestKey({kind})")
    }
}

impl TestKey {
    /// A fresh RSA-2048 key (tens of milliseconds).
    ///
    /// # Panics
    /// If OpenSSL cannot make one (it can for 2048 bits).
    pub fn rsa() -> TestKey {
        let rsa = Rsa::generate(2048).expect("OpenSSL RSA-2048 keygen");
        TestKey(PKey::from_rsa(rsa).expect("an RSA PKey"))
    }

    /// A fresh Ed25519 key.
    ///
    /// # Panics
    /// If OpenSSL cannot make one.
    pub fn ed25519() -> TestKey {
        TestKey(PKey::generate_ed25519().expect("OpenSSL Ed25519 keygen"))
    }

    /// Reads a private key PEM of either kind (PKCS#8, or PKCS#1 for RSA), as
    /// `GenerateApiKey` returns one; `None` for anything else.
    pub fn from_private_pem(pem: &str) -> Option<TestKey> {
        if let Ok(key) = PKey::private_key_from_pem(pem.as_bytes()) {
            return matches!(key.id(), Id::RSA | Id::ED25519).then_some(TestKey(key));
        }
        // OpenSSL refuses some Ed25519 PKCS#8 v2 encodings (with the public key attached,
        // as the `ed25519-dalek` crate writes them): read the seed and rebuild the key.
        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
        let seed = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .ok()?
            .to_bytes();
        PKey::private_key_from_raw_bytes(&seed, Id::ED25519)
            .ok()
            .map(TestKey)
    }

    /// Whether this is an RSA key (else Ed25519).
    pub fn is_rsa(&self) -> bool {
        self.0.id() == Id::RSA
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`, what a user stores in a key file).
    ///
    /// # Panics
    /// If encoding fails (it does not for these key types).
    pub fn private_pem(&self) -> String {
        let pem = self.0.private_key_to_pem_pkcs8().expect("PKCS#8 PEM");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// An RSA key as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`, the older file form); `None` for
    /// Ed25519, which has no such form.
    pub fn private_pem_pkcs1(&self) -> Option<String> {
        let rsa = self.0.rsa().ok()?;
        let pem = rsa.private_key_to_pem().ok()?;
        String::from_utf8(pem).ok()
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), as Kalshi's `CreateApiKey` takes it.
    ///
    /// # Panics
    /// If encoding fails (it does not for these key types).
    pub fn public_pem(&self) -> String {
        let pem = self.0.public_key_to_pem().expect("SPKI PEM");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The public key as the built-in exchange holds it (`SimConfig::keys`).
    ///
    /// # Panics
    /// If the exchange cannot read the SPKI PEM (it reads both kinds).
    pub fn sim_public_key(&self) -> kalshi_sim::PublicKey {
        kalshi_sim::PublicKey::from_pem(&self.public_pem()).expect("the exchange reads SPKI PEM")
    }

    /// Writes the PKCS#8 private key to `dir/name` and returns the path (a desk's key file).
    ///
    /// # Panics
    /// If the file cannot be written.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.private_pem())
            .unwrap_or_else(|e| panic!("writing the key file {}: {e}", path.display()));
        path
    }

    /// base64 signature of `timestamp_ms + method + path` (the query stripped from `path`).
    ///
    /// # Panics
    /// If OpenSSL fails to sign (it does not with these keys).
    pub fn sign(&self, timestamp_ms: i64, method: &str, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        let text = format!("{timestamp_ms}{method}{path}");
        let bytes = if self.is_rsa() {
            let mut signer = Signer::new(MessageDigest::sha256(), &self.0).expect("signer");
            signer.set_rsa_padding(Padding::PKCS1_PSS).expect("PSS");
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .expect("salt length");
            signer.update(text.as_bytes()).expect("update");
            signer.sign_to_vec().expect("RSA-PSS signature")
        } else {
            let mut signer = Signer::new_without_digest(&self.0).expect("signer");
            signer
                .sign_oneshot_to_vec(text.as_bytes())
                .expect("Ed25519 signature")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_pems_and_sign() {
        for key in [TestKey::rsa(), TestKey::ed25519()] {
            let again = TestKey::from_private_pem(&key.private_pem()).expect("reads back");
            assert_eq!(again.public_pem(), key.public_pem());
            assert!(key.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
            assert!(!key.sign(1, "GET", "/trade-api/v2/x?y=1").is_empty());
        }
        let rsa = TestKey::rsa();
        let pkcs1 = rsa.private_pem_pkcs1().expect("RSA has PKCS#1");
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(
            TestKey::from_private_pem(&pkcs1).map(|k| k.public_pem()),
            Some(rsa.public_pem())
        );
        assert!(TestKey::ed25519().private_pem_pkcs1().is_none());
        assert!(TestKey::from_private_pem("not a key").is_none());
        // An Ed25519 PKCS#8 v2 PEM as the built-in exchange's GenerateApiKey writes it.
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        let dalek = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let v2 = dalek.to_pkcs8_pem(Default::default()).expect("pkcs8");
        let read = TestKey::from_private_pem(&v2).expect("reads the v2 form");
        assert!(!read.is_rsa());
    }
}
