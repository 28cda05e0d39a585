//! Reconnect delays shared by the desk's backend (the Kalshi socket, REST retries) and the
//! browser (the `/ws` socket): exponential, capped, and jittered so that many clients cut
//! off at once (every tab after a desk restart) do not come back in lockstep.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

/// Delay before the n-th retry: uniformly random in `[c/2, c]` where
/// `c = min(max, base · 2ⁿ)` ("equal jitter": never less than half the ceiling, so a client
/// does not hammer, and spread over the other half). [`Backoff::reset`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
    rng: SmallRng,
}

impl Backoff {
    /// Backoff from `base` doubling up to `max`; `seed` makes the jitter differ between
    /// clients (the backend passes OS randomness, the browser `Math.random()`'s bits).
    pub fn new(base: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            max,
            attempt: 0,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// The upper bound of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The next delay (random in `[ceiling/2, ceiling]`); advances the attempt count.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = u64::try_from(self.ceiling().as_millis()).unwrap_or(u64::MAX);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(self.rng.gen_range(ceiling / 2..=ceiling))
    }

    /// Back to the first delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_then_caps_and_delays_stay_in_its_upper_half() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(5), 1);
        for ms in [250, 500, 1000, 2000, 4000, 5000, 5000] {
            assert_eq!(b.ceiling(), Duration::from_millis(ms));
            let d = b.next_delay();
            assert!(d <= Duration::from_millis(ms) && d >= Duration::from_millis(ms / 2));
        }
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.ceiling(), Duration::from_secs(5), "no overflow");
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(250));
    }

    #[test]
    fn clients_with_different_seeds_spread_out() {
        let delays: std::collections::BTreeSet<Duration> = (0..50)
            .map(|seed| Backoff::new(Duration::from_secs(4), Duration::from_secs(4), seed))
            .map(|mut b| b.next_delay())
            .collect();
        assert!(
            delays.len() > 25,
            "50 tabs, only {} distinct delays",
            delays.len()
        );
    }
}
