//! Kalshi's rate limits as the exchange applies them: per account, a read and a write token
//! bucket whose size depends on the account's API usage tier (`GetAccountApiLimits`), and a
//! cost per request (`GetAccountEndpointCosts`: 10 tokens by default, less for cancels and
//! single-order reads, batches billed per item and admitted whole). A request the bucket
//! cannot cover is refused with `429` and Kalshi's error body, and no `Retry-After`.
//!
//! Which bucket and what cost: [`shared::api::limits`], the table the desk's budget uses
//! too. Public market data without a key is not billed (it has no account).
//!
//! The tiers' sizes beyond Basic are the exchange's own (Kalshi publishes only that higher
//! tiers are larger, and that their write buckets hold two seconds of budget).

use std::time::Instant;

use shared::api::schema::{BucketLimit, EndpointTokenCost, GetAccountApiLimitsResponse};

use shared::api::limits::ENDPOINT_COSTS;
pub use shared::api::limits::{billed_per_item, cost, Bucket, DEFAULT_COST};

/// An API usage tier: its name and bucket sizes in tokens (refill per second, capacity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageTier {
    /// `basic`, `advanced`, `expert`, `premier`, `paragon`, `prime`, `prestige`.
    pub name: &'static str,
    /// Read bucket: tokens per second, capacity.
    pub read: (u32, u32),
    /// Write bucket: tokens per second, capacity.
    pub write: (u32, u32),
}

/// Every tier, Basic first (Kalshi's Basic: 200 read and 100 write tokens a second, one
/// second of capacity).
pub const TIERS: &[UsageTier] = &[
    UsageTier {
        name: "basic",
        read: (200, 200),
        write: (100, 100),
    },
    UsageTier {
        name: "advanced",
        read: (300, 300),
        write: (300, 600),
    },
    UsageTier {
        name: "expert",
        read: (600, 600),
        write: (600, 1_200),
    },
    UsageTier {
        name: "premier",
        read: (1_000, 1_000),
        write: (1_000, 2_000),
    },
    UsageTier {
        name: "paragon",
        read: (2_000, 2_000),
        write: (2_000, 4_000),
    },
    UsageTier {
        name: "prime",
        read: (4_000, 4_000),
        write: (4_000, 8_000),
    },
    UsageTier {
        name: "prestige",
        read: (8_000, 8_000),
        write: (8_000, 16_000),
    },
];

impl UsageTier {
    /// Every tier, Basic first.
    pub const ALL: &'static [UsageTier] = TIERS;

    /// Kalshi's Basic tier.
    pub const BASIC: UsageTier = TIERS[0];

    /// The tier named `name`.
    pub fn named(name: &str) -> Option<UsageTier> {
        TIERS.iter().copied().find(|t| t.name == name)
    }

    /// `GetAccountApiLimits`' answer for this tier.
    pub fn limits(self) -> GetAccountApiLimitsResponse {
        let bucket = |(rate, capacity): (u32, u32)| BucketLimit {
            refill_rate: i64::from(rate),
            bucket_capacity: i64::from(capacity),
        };
        GetAccountApiLimitsResponse {
            usage_tier: self.name.to_owned(),
            read: bucket(self.read),
            write: bucket(self.write),
            grants: Vec::new(),
        }
    }
}

/// `GetAccountEndpointCosts`' list: every operation whose cost differs from the default,
/// by method and path (with `/trade-api/v2`).
pub fn endpoint_costs() -> Vec<EndpointTokenCost> {
    ENDPOINT_COSTS
        .iter()
        .filter_map(|&(id, cost)| {
            let &(_, method, path) = shared::api::ops::ALL_OPERATIONS
                .iter()
                .find(|(op, _, _)| *op == id)?;
            Some(EndpointTokenCost {
                method: method.as_str().to_owned(),
                path: format!("{}{path}", shared::rest::API_PREFIX),
                cost: i64::from(cost),
            })
        })
        .collect()
}

/// Millitokens per token (integer refill arithmetic).
const MILLI: u64 = 1_000;

/// One token bucket, full at creation.
#[derive(Clone, Copy, Debug)]
struct TokenBucket {
    rate: u64,
    capacity_milli: u64,
    milli: u64,
    at: Instant,
}

impl TokenBucket {
    fn new((rate, capacity): (u32, u32), now: Instant) -> TokenBucket {
        let capacity_milli = u64::from(capacity) * MILLI;
        TokenBucket {
            rate: u64::from(rate),
            capacity_milli,
            milli: capacity_milli,
            at: now,
        }
    }

    /// Takes `tokens` if all of them are there (a batch is admitted whole or not at all).
    fn take(&mut self, tokens: u64, now: Instant) -> bool {
        let elapsed_us =
            u64::try_from(now.saturating_duration_since(self.at).as_micros()).unwrap_or(u64::MAX);
        let refill = elapsed_us.saturating_mul(self.rate) / 1_000;
        self.milli = self.milli.saturating_add(refill).min(self.capacity_milli);
        self.at = now;
        let need = tokens.saturating_mul(MILLI);
        if self.milli >= need {
            self.milli -= need;
            true
        } else {
            false
        }
    }
}

/// One account's two buckets.
#[derive(Clone, Copy, Debug)]
pub struct Buckets {
    read: TokenBucket,
    write: TokenBucket,
}

impl Buckets {
    /// Full buckets of `tier`.
    pub fn new(tier: UsageTier, now: Instant) -> Buckets {
        Buckets {
            read: TokenBucket::new(tier.read, now),
            write: TokenBucket::new(tier.write, now),
        }
    }

    /// Takes `tokens` from `bucket`; false (nothing taken) when it cannot cover them.
    pub fn admit(&mut self, bucket: Bucket, tokens: u64, now: Instant) -> bool {
        match bucket {
            Bucket::Read => self.read.take(tokens, now),
            Bucket::Write => self.write.take(tokens, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn costs_follow_the_spec() {
        let table = [
            ("GetMarkets", 1, Bucket::Read, 10),
            ("GetOrder", 1, Bucket::Read, 2),
            ("CreateOrderV2", 1, Bucket::Write, 10),
            ("CancelOrderV2", 1, Bucket::Write, 2),
            ("CancelAllOrders", 1, Bucket::Write, 2),
            ("BatchCreateOrdersV2", 7, Bucket::Write, 70),
            ("BatchCancelOrdersV2", 7, Bucket::Write, 14),
            ("CreateQuote", 1, Bucket::Write, 2),
            ("GetQuote", 1, Bucket::Read, 2),
        ];
        for (op, items, bucket, tokens) in table {
            assert_eq!(cost(op, items), (bucket, tokens), "{op}");
        }
    }

    #[test]
    fn basic_admits_ten_orders_a_second_and_batches_whole() {
        let t0 = Instant::now();
        let mut b = Buckets::new(UsageTier::BASIC, t0);
        for _ in 0..10 {
            assert!(b.admit(Bucket::Write, 10, t0));
        }
        assert!(
            !b.admit(Bucket::Write, 10, t0),
            "the 11th order in a second"
        );
        // 100 ms refill 10 tokens: one more order, but not a batch of two.
        let t1 = t0 + Duration::from_millis(100);
        assert!(!b.admit(Bucket::Write, 20, t1), "a batch is admitted whole");
        assert!(b.admit(Bucket::Write, 10, t1));
        // Reads have their own bucket.
        assert!(b.admit(Bucket::Read, 10, t1));
    }

    #[test]
    fn endpoint_costs_name_real_operations() {
        assert_eq!(endpoint_costs().len(), ENDPOINT_COSTS.len());
        assert!(endpoint_costs().iter().any(|c| c.method == "DELETE"
            && c.path == "/trade-api/v2/portfolio/events/orders/{order_id}"
            && c.cost == 2));
    }
}
