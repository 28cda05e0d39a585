//! People on the desk: password hashing (argon2id), session tokens (random, stored as their
//! SHA-256), the one-time bootstrap token, login rate limits, and [`Actor`], the name every
//! signed write is recorded under.
//!
//! The HTTP side (cookies, CSRF, role checks) is `http::auth`; the rows are in
//! [`crate::store`].

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;
use shared::auth::{Role, UserLimits};

use crate::store::{Store, StoreError};

/// Who a signed write is done for: a person, or an automatic RFQ rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in user (their username).
    User(String),
    /// An automatic RFQ rule: `<rule id>@<owner>`; recorded as `rule:<id>@<owner>`.
    Rule(String),
}

impl Actor {
    /// The name in the audit log: the username, or `rule:<name>`.
    pub fn label(&self) -> String {
        match self {
            Actor::User(name) => name.clone(),
            Actor::Rule(name) => format!("rule:{name}"),
        }
    }
}

/// A failed auth operation outside HTTP (CLI, bootstrap).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Username not 1–64 of `a-z 0-9 . _ -`.
    #[error("a username is 1 to 64 of a-z, 0-9, '.', '_' and '-'")]
    BadUsername,
    /// Password shorter than [`MIN_PASSWORD`].
    #[error("a password has at least 8 characters")]
    WeakPassword,
    /// Hashing failed (never expected).
    #[error("password hashing failed")]
    Hash,
    /// The store failed or refused (e.g. the username is taken).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// Checks a username: 1–64 of `a-z 0-9 . _ -`.
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Hashes `password` with argon2id and a random salt (PHC string). Slow on purpose: call
/// from a blocking thread ([`hash_password_async`]).
///
/// # Errors
/// [`AuthError::Hash`] (never expected).
pub fn hash_password(password: &SecretString) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AuthError::Hash)
}

/// [`hash_password`] on the blocking pool.
///
/// # Errors
/// As [`hash_password`].
pub async fn hash_password_async(password: SecretString) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AuthError::Hash)?
}

/// Whether `password` matches the PHC `hash` (on the blocking pool). A malformed hash is
/// a mismatch.
pub async fn verify_password(password: SecretString, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A PHC hash of a random password, verified against when the username does not exist so
/// a login takes as long either way.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&SecretString::from(new_token())).unwrap_or_default())
}

/// 32 random bytes, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session token: lowercase hex SHA-256.
pub fn token_hash(token: &str) -> String {
    let digest = sha2::Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time string equality (CSRF and bootstrap tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Adds a user: checks the name and password, hashes, stores.
///
/// # Errors
/// [`AuthError::BadUsername`], [`AuthError::WeakPassword`], a taken name
/// ([`StoreError::Conflict`]) or a store failure.
pub async fn add_user(
    store: &Store,
    username: &str,
    password: SecretString,
    role: Role,
    limits: &UserLimits,
) -> Result<shared::auth::UserView, AuthError> {
    if !valid_username(username) {
        return Err(AuthError::BadUsername);
    }
    if password.expose_secret().chars().count() < MIN_PASSWORD {
        return Err(AuthError::WeakPassword);
    }
    let hash = hash_password_async(password).await?;
    Ok(store.create_user(username, &hash, role, limits).await?)
}

/// The one-time token that lets the first person create the admin while the desk has no
/// users. Printed at start; used up by the first successful bootstrap.
#[derive(Clone, Default)]
pub struct Bootstrap(Arc<Mutex<Option<SecretString>>>);

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bootstrap([REDACTED])")
    }
}

impl Bootstrap {
    /// A fresh token (returned once, for printing).
    pub fn arm(&self) -> String {
        let token = new_token();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(SecretString::from(token.clone()));
        token
    }

    /// Whether a token is waiting to be used.
    pub fn armed(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Uses the token up if `offered` matches it.
    pub fn take(&self, offered: &str) -> bool {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(t) if same_secret(t.expose_secret(), offered) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Puts a token back (the bootstrap failed after taking it).
    pub fn restore(&self, token: &str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(SecretString::from(token.to_owned()));
    }
}

/// Login attempts allowed per client IP and per username: a burst of
/// [`LOGIN_BURST`] then one every [`LOGIN_REFILL_SECS`] seconds.
pub const LOGIN_BURST: u32 = 10;
/// Seconds per extra login attempt after the burst.
pub const LOGIN_REFILL_SECS: u64 = 6;

/// Most client IPs, and most usernames, the login limiter tracks at once.
pub const LOGIN_TRACKED: usize = 100_000;

/// Login rate limits (GCRA via `governor`), keyed by client IP and by username.
///
/// The IP is checked first: an IP out of attempts spends no username's attempts (so one
/// client spraying names cannot lock others out). State is bounded: past `cap` keys the
/// entries that are back to a full burst are dropped, and while it is still full of active
/// keys, attempts from new IPs or for new usernames are refused (fail closed) until entries
/// age out.
#[derive(Clone)]
pub struct LoginLimiter {
    by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    by_user: Arc<DefaultKeyedRateLimiter<String>>,
    cap: usize,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::with_cap(LOGIN_TRACKED)
    }
}

impl LoginLimiter {
    /// A limiter that tracks at most `cap` IPs and `cap` usernames.
    pub fn with_cap(cap: usize) -> Self {
        let burst = NonZeroU32::new(LOGIN_BURST).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(std::time::Duration::from_secs(LOGIN_REFILL_SECS))
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(burst);
        LoginLimiter {
            by_ip: Arc::new(RateLimiter::keyed(quota)),
            by_user: Arc::new(RateLimiter::keyed(quota)),
            cap,
        }
    }

    /// Spends one attempt for `ip`, then (only if the IP had one) one for `username`;
    /// false when either is out, or the limiter is full of active keys.
    pub fn allow(&self, ip: IpAddr, username: &str) -> bool {
        if !room(&self.by_ip, self.cap) || self.by_ip.check_key(&ip).is_err() {
            return false;
        }
        room(&self.by_user, self.cap) && self.by_user.check_key(&username.to_owned()).is_ok()
    }

    /// Keys tracked now: `(IPs, usernames)`.
    pub fn tracked(&self) -> (usize, usize) {
        (self.by_ip.len(), self.by_user.len())
    }
}

/// Whether `limiter` may take one more key: under `cap`, or under it again once the keys
/// back to a full burst are dropped. (A key it already has is let through by the caller's
/// check either way when it is under the cap.)
fn room<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, cap: usize) -> bool {
    if limiter.len() < cap {
        return true;
    }
    limiter.retain_recent();
    limiter.shrink_to_fit();
    limiter.len() < cap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password(&SecretString::from("correct horse")).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(SecretString::from("correct horse"), hash.clone()).await);
        assert!(!verify_password(SecretString::from("wrong horse"), hash).await);
        assert!(!verify_password(SecretString::from("x"), "not a hash".into()).await);
    }

    #[test]
    fn usernames_tokens_and_limits() {
        for (name, ok) in [
            ("alice", true),
            ("a.b_c-1", true),
            ("", false),
            ("Alice", false),
            ("rule:x", false),
        ] {
            assert_eq!(valid_username(name), ok, "{name:?}");
        }
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token());
        assert_eq!(token_hash("abc").len(), 64);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
        let b = Bootstrap::default();
        assert!(!b.armed());
        let tok = b.arm();
        assert!(!b.take("wrong") && b.armed());
        assert!(b.take(&tok) && !b.armed() && !b.take(&tok));
        assert_eq!(format!("{b:?}"), "Bootstrap([REDACTED])");
        let limiter = LoginLimiter::default();
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..LOGIN_BURST {
            assert!(limiter.allow(ip, "x"));
        }
        assert!(!limiter.allow(ip, "y"), "the IP is out");
        assert!(
            !limiter.allow(IpAddr::from([10, 0, 0, 2]), "x"),
            "the username is out"
        );
        assert!(limiter.allow(IpAddr::from([10, 0, 0, 3]), "z"));
        assert_eq!(Actor::Rule("mm".into()).label(), "rule:mm");
    }

    #[test]
    fn an_ip_out_of_attempts_spends_nobody_elses_and_state_is_bounded() {
        let limiter = LoginLimiter::default();
        let sprayer = IpAddr::from([10, 0, 0, 9]);
        for _ in 0..LOGIN_BURST {
            assert!(limiter.allow(sprayer, "guess"));
        }
        for _ in 0..3 * LOGIN_BURST {
            assert!(!limiter.allow(sprayer, "victim"));
        }
        assert!(
            limiter.allow(IpAddr::from([10, 0, 0, 10]), "victim"),
            "the victim's own attempts are untouched"
        );

        let small = LoginLimiter::with_cap(4);
        for n in 0..4u8 {
            assert!(small.allow(IpAddr::from([10, 1, 0, n]), &format!("u{n}")));
        }
        for n in 4..50u8 {
            assert!(
                !small.allow(IpAddr::from([10, 1, 0, n]), &format!("u{n}")),
                "full of active keys: new ones are refused"
            );
        }
        let (ips, users) = small.tracked();
        assert!(
            ips <= 4 && users <= 4,
            "{ips} IPs, {users} usernames tracked"
        );
    }
}
