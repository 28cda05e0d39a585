//! The desk's Kalshi rate-limit budget, kept in Kalshi's own tokens: a read and a write
//! token bucket (`GetAccountApiLimits`: `refill_rate` tokens a second up to
//! `bucket_capacity`), each call costing what Kalshi bills for it (10 tokens by default,
//! the account's `GetAccountEndpointCosts` for the rest, batches per item; bucket and
//! default costs from [`shared::api::limits`]), and a back-off window after a 429. Every
//! REST call takes its tokens first and waits while the bucket cannot cover them, so the
//! desk slows itself instead of earning 429s.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::collections::HashMap;

use serde::Deserialize;
use shared::api::limits::{self, Bucket};
use shared::api::schema::GetAccountEndpointCostsResponse;

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

    /// Takes `tokens` (at most the capacity: a bigger request waits for a full bucket), or
    /// says how long until they are there.
    pub fn try_take(&mut self, tokens: u64, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        let need = tokens.saturating_mul(MICRO).min(self.capacity_micro);
        if self.tokens_micro >= need {
            self.tokens_micro -= need;
            return Ok(());
        }
        let missing = need - self.tokens_micro;
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

/// Kalshi's Basic tier (used until `/account/limits` answers): 200 read tokens a second
/// (20 reads at the default cost), one second of capacity.
pub const BASIC_READ: u32 = 200;
/// Basic's write bucket: 100 tokens a second (10 orders), one second of capacity.
pub const BASIC_WRITE: u32 = 100;

/// `BucketLimit` of `GetAccountApiLimits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct BucketLimit {
    /// Tokens added per second.
    pub refill_rate: u32,
    /// Most tokens the bucket holds.
    pub bucket_capacity: u32,
}

/// The part of `GetAccountApiLimitsResponse` the desk uses (tokens):
/// `{"usage_tier":"basic","read":{"refill_rate":200,"bucket_capacity":200},"write":{…},"grants":[]}`.
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
    /// Operations whose cost differs from `default_cost` (the spec's until the account's
    /// `GetAccountEndpointCosts` answers), tokens per request or batch item.
    costs: HashMap<&'static str, u32>,
    default_cost: u32,
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
                costs: limits::ENDPOINT_COSTS.iter().copied().collect(),
                default_cost: limits::DEFAULT_COST,
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

    /// Uses the account's own endpoint costs (`GetAccountEndpointCosts`): its default, and
    /// every listed endpoint's, by the operation it names (unknown endpoints are ignored).
    pub fn set_costs(&self, costs: &GetAccountEndpointCostsResponse) {
        let mut table: HashMap<&'static str, u32> = HashMap::new();
        for c in &costs.endpoint_costs {
            if let (Some(op), Ok(cost)) = (
                limits::operation_of_endpoint(&c.method, &c.path),
                u32::try_from(c.cost),
            ) {
                table.insert(op, cost);
            }
        }
        let mut s = self.lock();
        s.costs = table;
        s.default_cost = u32::try_from(costs.default_cost).unwrap_or(limits::DEFAULT_COST);
    }

    /// What a request of `operation_id` carrying `items` (batch orders) costs, and from
    /// which bucket.
    pub fn cost(&self, operation_id: &str, items: usize) -> (Bucket, u64) {
        let s = self.lock();
        let unit = s.costs.get(operation_id).copied().unwrap_or(s.default_cost);
        (
            limits::bucket(operation_id),
            limits::billed(operation_id, unit, items),
        )
    }

    /// Waits until the bucket of `operation_id` covers its cost (`items` batch orders) and
    /// any 429 back-off has ended, then takes the tokens.
    pub async fn acquire(&self, operation_id: &str, items: usize) {
        let (bucket, tokens) = self.cost(operation_id, items);
        loop {
            let wait = {
                let now = Instant::now();
                let mut s = self.lock();
                match s.backoff_until.filter(|t| *t > now) {
                    Some(t) => t - now,
                    None => {
                        let bucket = match bucket {
                            Bucket::Read => &mut s.read,
                            Bucket::Write => &mut s.write,
                        };
                        match bucket.try_take(tokens, now) {
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
        let mut b = TokenBucket::new(100, 20, t0);
        // (time ms, tokens, expected outcome)
        let table: [(u64, u64, Result<(), Duration>); 8] = [
            (0, 10, Ok(())),
            (0, 10, Ok(())),
            (0, 10, Err(Duration::from_millis(100))),
            (50, 10, Err(Duration::from_millis(50))),
            (100, 10, Ok(())),
            (1_000, 2, Ok(())),
            // More than the capacity waits for a full bucket, then takes it all.
            (1_000, 50, Err(Duration::from_millis(20))),
            (2_000, 50, Ok(())),
        ];
        for (at, tokens, want) in table {
            assert_eq!(
                b.try_take(tokens, ms(at)),
                want,
                "at {at} ms, {tokens} tokens"
            );
        }
        assert_eq!(b.available(ms(10_000)), 20, "never above capacity");
    }

    #[tokio::test]
    async fn back_off_shows_in_the_view_and_limits_replace_the_defaults() {
        let budget = RateBudget::default();
        assert_eq!(budget.view().read_rate, BASIC_READ);
        budget.back_off(Duration::from_secs(5));
        assert!(budget.view().backoff_ms > 0);
        let limits: AccountLimits = serde_json::from_str(
            r#"{"usage_tier":"expert","read":{"refill_rate":1000,"bucket_capacity":1000},"write":{"refill_rate":500,"bucket_capacity":1000},"grants":[]}"#,
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
            ("expert", 1000, 500, 1000)
        );
    }

    #[test]
    fn costs_come_from_the_spec_then_from_the_account() {
        let budget = RateBudget::default();
        assert_eq!(budget.cost("GetMarkets", 1), (Bucket::Read, 10));
        assert_eq!(budget.cost("CancelOrderV2", 1), (Bucket::Write, 2));
        assert_eq!(budget.cost("BatchCreateOrdersV2", 4), (Bucket::Write, 40));
        let costs: GetAccountEndpointCostsResponse = serde_json::from_str(
            r#"{"default_cost":12,"endpoint_costs":[{"method":"GET","path":"/trade-api/v2/portfolio/orders/{order_id}","cost":1}]}"#,
        )
        .unwrap();
        budget.set_costs(&costs);
        assert_eq!(budget.cost("GetOrder", 1), (Bucket::Read, 1));
        assert_eq!(budget.cost("GetMarkets", 1), (Bucket::Read, 12));
        assert_eq!(
            budget.cost("CancelOrderV2", 1),
            (Bucket::Write, 12),
            "no longer listed"
        );
    }
}
