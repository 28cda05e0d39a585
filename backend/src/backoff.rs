//! Exponential backoff with full jitter for reconnects.

use std::time::Duration;

use rand::Rng;

/// Delay before the n-th retry: uniformly random in `[0, min(max, base · 2ⁿ)]` ("full
/// jitter"), so many clients do not reconnect in lockstep. `reset` after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Backoff from `base` doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }

    /// The upper bound of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The next delay (random, at most [`Backoff::ceiling`]); advances the attempt count.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=ms))
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
    fn ceiling_doubles_then_caps_and_delays_stay_below_it() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        let expected = [250, 500, 1000, 2000, 4000, 5000, 5000];
        for ms in expected {
            assert_eq!(b.ceiling(), Duration::from_millis(ms));
            assert!(b.next_delay() <= Duration::from_millis(ms));
        }
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(
            b.ceiling(),
            Duration::from_secs(5),
            "no overflow after many attempts"
        );
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(250));
    }
}
