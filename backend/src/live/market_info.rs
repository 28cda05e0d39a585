//! What the order path needs to know about a market (its status and tick structure),
//! cached so a place or an amend costs one signed request to Kalshi, not two.
//!
//! An entry comes from `GetMarket` on a miss and is dropped when the market's
//! `market_lifecycle_v2` (or its event's `event_lifecycle`) frame arrives — a pause, a
//! close, a determination, a settlement, a new close date — when the upstream socket
//! leaves `live` (frames may have been missed), and after [`FRESH_FOR`] whatever happens.
//! Kalshi stays the judge: a market that closed a moment ago and is still cached here is
//! refused by the exchange instead of by the desk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::ids::{EventTicker, MarketTicker};
use shared::rest::Market;

use crate::kalshi::client::{KalshiClient, KalshiError};

/// How long an entry is trusted without a lifecycle frame.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// Most markets remembered (the cache is emptied when full: a miss costs one `GetMarket`).
const REMEMBERED: usize = 20_000;

/// Each market and when `GetMarket` described it.
type Entries = HashMap<MarketTicker, (Arc<Market>, Instant)>;

/// Markets as `GetMarket` last described them. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct MarketInfo {
    entries: Arc<Mutex<Entries>>,
}

impl MarketInfo {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Every update is one map operation: a poisoned lock is still whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `ticker`'s market: the cached one while fresh, else `GetMarket` through `kalshi`
    /// (remembered for the next order).
    ///
    /// # Errors
    /// [`KalshiError`] from `GetMarket` on a miss (404 for a market Kalshi does not know).
    pub async fn get(
        &self,
        kalshi: &KalshiClient,
        ticker: &MarketTicker,
    ) -> Result<Arc<Market>, KalshiError> {
        if let Some(market) = self.cached(ticker) {
            return Ok(market);
        }
        let market = Arc::new(kalshi.market(ticker).await?.market);
        let mut entries = self.lock();
        if entries.len() >= REMEMBERED {
            entries.clear();
        }
        entries.insert(ticker.clone(), (market.clone(), Instant::now()));
        Ok(market)
    }

    /// The cached market, when fresh.
    pub fn cached(&self, ticker: &MarketTicker) -> Option<Arc<Market>> {
        self.lock()
            .get(ticker)
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(market, _)| market.clone())
    }

    /// Drops `ticker` (its lifecycle changed).
    pub fn forget(&self, ticker: &MarketTicker) {
        self.lock().remove(ticker);
    }

    /// Drops every market of `event` (the event's lifecycle changed).
    pub fn forget_event(&self, event: &EventTicker) {
        self.lock()
            .retain(|_, (market, _)| &market.event_ticker != event);
    }

    /// Drops everything (the upstream socket is not live: lifecycle frames may be missed).
    pub fn clear(&self) {
        self.lock().clear();
    }
}
