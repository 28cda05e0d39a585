//! The desk's Kalshi rate-limit budget: a read and a write token bucket, like Kalshi's own
//! (`GetAccountApiLimits`: `refill_rate` tokens a second up to `bucket_capacity`), and a
//! back-off window after a 429. Every REST call takes a token first and waits when the
//! bucket is empty, so the desk slows itself instead of earning 429s.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// Micro-tokens per token (integer arithmetic, no floats).
const MICRO: u64 = 1_000_000;

/// A token bucket: `rate` tokens a second, at most `capacity`, starts full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    capacity_micro: u64,
    tokens_micro: u64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: u32, capacity: u32, now: Instant) -> TokenBucket {
        let capacity_micro = u64::from(capacity.max(1)) * MICRO;
        TokenBucket {
            rate: u64::from(rate.max(1)),
            capacity_micro,
            tokens_micro: capacity_micro,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let us =
            u64::try_from(now.saturating_duration_since(self.last).as_micros()).unwrap_or(u64::MAX);
        self.last = now.max(self.last);
        self.tokens_micro = self
            .tokens_micro
            .saturating_add(us.saturating_mul(self.rate))
            .min(self.capacity_micro);
    }

    /// Takes one token, or says how long until one is there.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens_micro >= MICRO {
            self.tokens_micro -= MICRO;
            return Ok(());
        }
        let missing = MICRO - self.tokens_micro;
        Err(Duration::from_micros(missing.div_ceil(self.rate)))
    }

    /// Whole tokens available now.
    pub fn available(&mut self, now: Instant) -> u32 {
        self.refill(now);
        u32::try_from(self.tokens_micro / MICRO).unwrap_or(u32::MAX)
    }

    /// Tokens a second.
    pub fn rate(&self) -> u32 {
        u32::try_from(self.rate).unwrap_or(u32::MAX)
    }
}

/// Kalshi's Basic tier (used until `/account/limits` answers): 20 reads, 10 writes a second.
pub const BASIC_READ: u32 = 20;
/// See [`BASIC_READ`].
pub const BASIC_WRITE: u32 = 10;

/// `BucketLimit` of `GetAccountApiLimits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct BucketLimit {
    /// Tokens added per second.
    pub refill_rate: u32,
    /// Most tokens the bucket holds.
    pub bucket_capacity: u32,
}

/// The part of `GetAccountApiLimitsResponse` the desk uses:
/// `{"usage_tier":"basic","read":{"refill_rate":20,"bucket_capacity":20},"write":{…},"grants":[]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AccountLimits {
    /// Tier name.
    pub usage_tier: String,
    /// Read bucket.
    pub read: BucketLimit,
    /// Write bucket.
    pub write: BucketLimit,
}

/// What the UI can show (`GET /api/limits`); defined in `shared` for the browser.
pub use shared::protocol::BudgetView;

#[derive(Debug)]
struct State {
    tier: String,
    read: TokenBucket,
    write: TokenBucket,
    backoff_until: Option<Instant>,
}

/// The read and write budget of one API key.
#[derive(Debug)]
pub struct RateBudget {
    state: Mutex<State>,
}

impl Default for RateBudget {
    fn default() -> Self {
        let now = Instant::now();
        RateBudget {
            state: Mutex::new(State {
                tier: "basic (default)".to_owned(),
                read: TokenBucket::new(BASIC_READ, BASIC_READ, now),
                write: TokenBucket::new(BASIC_WRITE, BASIC_WRITE, now),
                backoff_until: None,
            }),
        }
    }
}

impl RateBudget {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Uses the account's own limits.
    pub fn set_limits(&self, limits: &AccountLimits) {
        let now = Instant::now();
        let mut s = self.lock();
        s.tier.clone_from(&limits.usage_tier);
        s.read = TokenBucket::new(limits.read.refill_rate, limits.read.bucket_capacity, now);
        s.write = TokenBucket::new(limits.write.refill_rate, limits.write.bucket_capacity, now);
    }

    /// Waits for a token of the right bucket and for any 429 back-off to end.
    pub async fn acquire(&self, write: bool) {
        loop {
            let wait = {
                let now = Instant::now();
                let mut s = self.lock();
                match s.backoff_until.filter(|t| *t > now) {
                    Some(t) => t - now,
                    None => {
                        let bucket = if write { &mut s.write } else { &mut s.read };
                        match bucket.try_take(now) {
                            Ok(()) => return,
                            Err(wait) => wait,
                        }
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Kalshi said 429: nobody calls for `delay`.
    pub fn back_off(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut s = self.lock();
        s.backoff_until = Some(s.backoff_until.map_or(until, |t| t.max(until)));
    }

    /// The budget now.
    pub fn view(&self) -> BudgetView {
        let now = Instant::now();
        let mut s = self.lock();
        let backoff_ms = s.backoff_until.map_or(0, |t| {
            u64::try_from(t.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)
        });
        BudgetView {
            tier: s.tier.clone(),
            read_remaining: s.read.available(now),
            read_rate: s.read.rate(),
            write_remaining: s.write.available(now),
            write_rate: s.write.rate(),
            backoff_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_spends_its_capacity_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut b = TokenBucket::new(10, 2, t0);
        // (time ms, expected outcome)
        let table: [(u64, Result<(), Duration>); 6] = [
            (0, Ok(())),
            (0, Ok(())),
            (0, Err(Duration::from_millis(100))),
            (50, Err(Duration::from_millis(50))),
            (100, Ok(())),
            (1_000, Ok(())),
        ];
        for (at, want) in table {
            assert_eq!(b.try_take(ms(at)), want, "at {at} ms");
        }
        assert_eq!(b.available(ms(10_000)), 2, "never above capacity");
    }

    #[tokio::test]
    async fn back_off_shows_in_the_view_and_limits_replace_the_defaults() {
        let budget = RateBudget::default();
        assert_eq!(budget.view().read_rate, BASIC_READ);
        budget.back_off(Duration::from_secs(5));
        assert!(budget.view().backoff_ms > 0);
        let limits: AccountLimits = serde_json::from_str(
            r#"{"usage_tier":"expert","read":{"refill_rate":100,"bucket_capacity":100},"write":{"refill_rate":50,"bucket_capacity":100},"grants":[]}"#,
        )
        .unwrap();
        budget.set_limits(&limits);
        let v = budget.view();
        assert_eq!(
            (
                v.tier.as_str(),
                v.read_rate,
                v.write_rate,
                v.write_remaining
            ),
            ("expert", 100, 50, 100)
        );
    }
}
