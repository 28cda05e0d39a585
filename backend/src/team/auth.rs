//! People on the desk: password hashing (argon2id), session tokens (random, stored as their
//! SHA-256), the one-time bootstrap token, login rate limits, and [`Actor`], the name every
//! signed write is recorded under.
//!
//! The HTTP side (cookies, CSRF, role checks) is `http::auth`; the rows are in
//! [`crate::team::store`].

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

use crate::team::store::{Store, StoreError};

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
    /// Every password thread is busy and the queue is full ([`HashPool`]): try again.
    #[error("too many logins at once; try again")]
    Busy,
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

/// Threads of their own for password hashing (argon2 is slow on purpose), so a burst of
/// logins can never take the cores or the blocking pool that order signing runs on:
/// `threads` workers (one per two cores, at least one) and at most `queue` hashes waiting;
/// beyond that a hash is refused at once ([`AuthError::Busy`], a login answers 429).
#[derive(Clone, Debug)]
pub struct HashPool {
    jobs: std::sync::mpsc::SyncSender<Box<dyn FnOnce() + Send>>,
}

impl HashPool {
    /// Starts `threads` workers named `argon2-N` with a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> HashPool {
        let (jobs, rx) = std::sync::mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(queue);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = {
                        let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        rx.recv()
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        HashPool { jobs }
    }

    /// The desk's pool: one worker per two cores (at least one), 32 waiting.
    pub fn global() -> &'static HashPool {
        static POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();
        POOL.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            HashPool::new((cores / 2).max(1), 32)
        })
    }

    /// Runs `work` on the pool and waits for its answer.
    ///
    /// # Errors
    /// [`AuthError::Busy`] when the queue is full; [`AuthError::Hash`] when the worker died.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Box<dyn FnOnce() + Send> = Box::new(move || {
            let _ = tx.send(work());
        });
        match self.jobs.try_send(job) {
            Ok(()) => rx.await.map_err(|_| AuthError::Hash),
            Err(std::sync::mpsc::TrySendError::Full(_)) => Err(AuthError::Busy),
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Err(AuthError::Hash),
        }
    }
}

/// [`hash_password`] on the [`HashPool`].
///
/// # Errors
/// As [`hash_password`]; [`AuthError::Busy`].
pub async fn hash_password_async(password: SecretString) -> Result<String, AuthError> {
    HashPool::global()
        .run(move || hash_password(&password))
        .await?
}

/// Whether `password` matches the PHC `hash` (on the [`HashPool`]). A malformed hash is
/// a mismatch.
///
/// # Errors
/// [`AuthError::Busy`] when the pool's queue is full.
pub async fn verify_password(password: SecretString, hash: String) -> Result<bool, AuthError> {
    HashPool::global()
        .run(move || matches(&password, &hash))
        .await
}

/// Whether `password` matches the PHC `hash` (slow: run it on the pool); a malformed hash
/// is a mismatch.
fn matches(password: &SecretString, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok()
    })
}

/// Verifies `password` against [`decoy_hash`] (made on the pool, the first time): what a
/// login for an unknown username costs, so it takes as long as a real one. Always false.
///
/// # Errors
/// [`AuthError::Busy`] when the pool's queue is full.
pub async fn verify_decoy(password: SecretString) -> Result<bool, AuthError> {
    HashPool::global()
        .run(move || {
            // Spent for its time only: the decoy's password is random.
            let _ = matches(&password, decoy_hash());
            false
        })
        .await
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
        assert!(
            verify_password(SecretString::from("correct horse"), hash.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password(SecretString::from("wrong horse"), hash)
            .await
            .unwrap());
        assert!(
            !verify_password(SecretString::from("x"), "not a hash".into())
                .await
                .unwrap()
        );
        assert!(!verify_decoy(SecretString::from("x")).await.unwrap());
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

    #[tokio::test]
    async fn hashing_runs_on_its_own_bounded_threads_and_refuses_past_the_queue() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let pool = HashPool::new(1, 2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            pool.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
                std::thread::current().name().map(str::to_owned)
            })
        });
        let answers = futures_util::future::join_all(jobs).await;
        let done: Vec<_> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
        let busy = answers
            .iter()
            .filter(|a| matches!(a, Err(AuthError::Busy)))
            .count();
        // One running and two waiting at most; the rest refused at once, none lost.
        assert!((2..=3).contains(&done.len()), "{answers:?}");
        assert_eq!(done.len() + busy, 8, "{answers:?}");
        assert_eq!(most.load(Ordering::SeqCst), 1, "one thread");
        assert!(
            done.iter().all(|n| n.as_deref() == Some("argon2-0")),
            "{done:?}"
        );
        // Free again once the queue drains.
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
