//! The desk's directory of open markets: each open market's ticker, event and the words a
//! trader searches by, for the whole of Kalshi's universe, so the market finder answers a
//! text search from memory instead of reading Kalshi's market list page by page.
//!
//! [`run`] reads every open market with GetMarkets (`status=open`, 1,000 a page) when the
//! desk starts, again every [`REFRESH`], and soon after a `market_lifecycle_v2` frame says
//! a market was created or opened (at most once per [`SETTLE`]). A lifecycle frame that
//! ends trading (closed, determined, settled, deactivated) takes the market out at once.
//! An entry holds only what the search reads (about 200 bytes for a plain market): the
//! finder asks Kalshi for the page of matches it answers with (`GetMarkets?tickers=`), so
//! prices and sizes are always Kalshi's own, never the directory's.
//!
//! Until the first read completes, [`Directory::search`] answers `None` and the finder
//! falls back to scanning Kalshi's pages.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus::IntGauge;
use shared::backoff::Backoff;
use shared::ids::{EventTicker, MarketTicker};
use shared::protocol::LifecycleView;
use shared::rest::Market;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::{KalshiClient, KalshiError};

/// How often the whole directory is read again.
pub const REFRESH: Duration = Duration::from_secs(10 * 60);
/// Least time between two reads (a burst of created markets is one read).
pub const SETTLE: Duration = Duration::from_secs(30);
/// Markets per GetMarkets page (Kalshi's most).
const PAGE: u32 = 1000;

/// One open market as the finder searches it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    ticker: MarketTicker,
    event: EventTicker,
    /// [`search_words`].
    words: Box<str>,
}

/// What a text search of markets reads: the ticker, event ticker, title, subtitle and YES
/// subtitle, lower-case, space-separated.
pub fn search_words(m: &Market) -> String {
    format!(
        "{} {} {} {} {}",
        m.ticker,
        m.event_ticker,
        m.title,
        m.subtitle.as_deref().unwrap_or_default(),
        m.yes_sub_title
    )
    .to_lowercase()
}

impl Entry {
    fn of(m: &Market) -> Entry {
        let words = search_words(m);
        Entry {
            ticker: m.ticker.clone(),
            event: m.event_ticker.clone(),
            words: words.into_boxed_str(),
        }
    }
}

/// What a search keeps besides its words.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// Only this series.
    pub series: Option<&'a str>,
    /// Only this event.
    pub event: Option<&'a str>,
    /// Only these series (a category's).
    pub series_in: Option<&'a HashSet<String>>,
}

/// One page of a directory search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Matching tickers, in ticker order.
    pub tickers: Vec<MarketTicker>,
    /// The last ticker returned when more matches follow it (the next page's `after`).
    pub next: Option<MarketTicker>,
}

/// The open markets, ordered by ticker. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    entries: Arc<RwLock<Option<Vec<Entry>>>>,
    /// Woken by a lifecycle frame that adds a market.
    changed: Arc<Notify>,
    /// `desk_directory_markets`, when counted.
    gauge: Option<IntGauge>,
}

impl Directory {
    /// An empty directory that reports its size in `gauge`.
    pub fn counted(gauge: IntGauge) -> Directory {
        Directory {
            gauge: Some(gauge),
            ..Directory::default()
        }
    }

    fn report(&self, len: usize) {
        if let Some(gauge) = &self.gauge {
            gauge.set(i64::try_from(len).unwrap_or(i64::MAX));
        }
    }

    /// Open markets known, or `None` before the first read.
    pub fn open_markets(&self) -> Option<usize> {
        self.read(|entries| entries.len())
    }

    /// Whether `ticker` is an open market, or `None` before the first read.
    pub fn contains(&self, ticker: &MarketTicker) -> Option<bool> {
        self.read(|entries| entries.binary_search_by(|e| e.ticker.cmp(ticker)).is_ok())
    }

    fn read<R>(&self, f: impl FnOnce(&Vec<Entry>) -> R) -> Option<R> {
        let guard = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(f)
    }

    /// Up to `limit` open markets after `after` (a ticker; from the start without one)
    /// whose words contain every one of `words` (lower-case) and that pass `filter`;
    /// `None` before the first read.
    pub fn search(
        &self,
        words: &[String],
        filter: Filter<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Option<Found> {
        self.read(|entries| {
            let from = after.map_or(0, |a| entries.partition_point(|e| e.ticker.as_str() <= a));
            let mut tickers = Vec::new();
            let mut next = None;
            let hits = entries.get(from..).unwrap_or_default().iter().filter(|e| {
                filter.series.is_none_or(|s| e.event.series() == s)
                    && filter.event.is_none_or(|ev| e.event.as_str() == ev)
                    && filter
                        .series_in
                        .is_none_or(|set| set.contains(e.event.series()))
                    && words.iter().all(|w| e.words.contains(w.as_str()))
            });
            for e in hits {
                if tickers.len() == limit {
                    next = tickers.last().cloned();
                    break;
                }
                tickers.push(e.ticker.clone());
            }
            Found { tickers, next }
        })
    }

    /// Replaces the directory with `markets` (every open market).
    pub fn install(&self, markets: &[Market]) {
        self.install_entries(markets.iter().map(Entry::of).collect());
    }

    fn install_entries(&self, mut entries: Vec<Entry>) {
        entries.sort_by(|a, b| a.ticker.cmp(&b.ticker));
        entries.dedup_by(|a, b| a.ticker == b.ticker);
        entries.shrink_to_fit();
        self.report(entries.len());
        *self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(entries);
    }

    /// Applies a lifecycle frame: a market that stops trading leaves at once; a created
    /// or opened one makes [`run`] read the directory again soon.
    pub fn lifecycle(&self, view: &LifecycleView) {
        match view.event_type.as_str() {
            "created" | "activated" | "event_created" => self.changed.notify_one(),
            "deactivated" | "determined" | "settled" | "closed" => {
                let Some(ticker) = &view.market_ticker else {
                    return;
                };
                let mut guard = self
                    .entries
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(entries) = guard.as_mut() {
                    if let Ok(i) = entries.binary_search_by(|e| e.ticker.cmp(ticker)) {
                        entries.remove(i);
                    }
                    self.report(entries.len());
                }
            }
            _ => {}
        }
    }
}

/// Every open market's entry, read page by page (GetMarkets `status=open`, [`PAGE`] a
/// page; each page is cut down to its entries before the next is read).
///
/// # Errors
/// The first [`KalshiError`] of a page (nothing is kept of the pages before it).
async fn read_open_markets(kalshi: &KalshiClient) -> Result<Vec<Entry>, KalshiError> {
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut query = format!("status=open&limit={PAGE}");
        if !cursor.is_empty() {
            query.push_str("&cursor=");
            query.push_str(&shared::api::percent_encode(&cursor));
        }
        let page = kalshi.markets_where(&query).await?;
        entries.extend(page.markets.iter().map(Entry::of));
        if page.cursor.is_empty() || page.cursor == cursor {
            return Ok(entries);
        }
        cursor = page.cursor;
    }
}

/// Keeps `directory` filled until `shutdown`: a read at once, then every [`REFRESH`] or
/// [`SETTLE`] after a created market; a failed read is retried with backoff (the finder
/// scans Kalshi's pages meanwhile).
pub async fn run(directory: Directory, kalshi: KalshiClient, shutdown: CancellationToken) {
    let mut backoff = Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(60),
        rand::random(),
    );
    loop {
        let started = std::time::Instant::now();
        let wait = match read_open_markets(&kalshi).await {
            Ok(entries) => {
                let markets = entries.len();
                directory.install_entries(entries);
                backoff.reset();
                tracing::info!(
                    markets,
                    ms = started.elapsed().as_millis(),
                    "market directory read"
                );
                None
            }
            Err(err) => {
                tracing::warn!(error = %err, "market directory: reading the open markets failed");
                Some(backoff.next_delay())
            }
        };
        if let Some(delay) = wait {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(delay) => continue,
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(REFRESH) => {}
            () = directory.changed.notified() => {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(SETTLE) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(ticker: &str, title: &str) -> Market {
        let event = ticker.rsplit_once('-').map_or(ticker, |(e, _)| e);
        serde_json::from_value(serde_json::json!({
            "ticker": ticker,
            "event_ticker": event,
            "title": title,
            "status": "active",
        }))
        .unwrap()
    }

    fn directory() -> Directory {
        let d = Directory::default();
        d.install(&[
            market("KXHIGHCHI-26DEC08-B30.5", "High temp in Chicago 30° to 31°"),
            market("KXHIGHCHI-26DEC08-B32.5", "High temp in Chicago 32° to 33°"),
            market("KXBTCD-26DEC08H1600-T95000", "Bitcoin above 95000"),
            market("KXHIGHMIA-26DEC08-B76.5", "High temp in Miami 76° to 77°"),
        ]);
        d
    }

    #[test]
    fn a_search_needs_every_word_and_pages_in_ticker_order() {
        let d = Directory::default();
        assert_eq!(
            d.search(&[], Filter::default(), None, 10),
            None,
            "not read yet"
        );
        let d = directory();
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let found = d
            .search(&words(&["high", "chicago"]), Filter::default(), None, 1)
            .unwrap();
        assert_eq!(
            found.tickers,
            vec![MarketTicker::from("KXHIGHCHI-26DEC08-B30.5")]
        );
        let next = found.next.unwrap();
        let rest = d
            .search(
                &words(&["high", "chicago"]),
                Filter::default(),
                Some(next.as_str()),
                1,
            )
            .unwrap();
        assert_eq!(
            rest.tickers,
            vec![MarketTicker::from("KXHIGHCHI-26DEC08-B32.5")]
        );
        assert_eq!(rest.next, None);
        let by_ticker = d
            .search(&words(&["kxbtcd"]), Filter::default(), None, 10)
            .unwrap();
        assert_eq!(by_ticker.tickers.len(), 1);
        let series = Filter {
            series: Some("KXHIGHMIA"),
            ..Filter::default()
        };
        assert_eq!(
            d.search(&words(&["high"]), series, None, 10)
                .unwrap()
                .tickers
                .len(),
            1
        );
        assert!(d
            .search(&words(&["denver"]), Filter::default(), None, 10)
            .unwrap()
            .tickers
            .is_empty());
    }

    #[test]
    fn a_market_that_stops_trading_leaves_and_a_created_one_asks_for_a_read() {
        let d = directory();
        let closed = LifecycleView {
            market_ticker: Some(MarketTicker::from("KXBTCD-26DEC08H1600-T95000")),
            event_ticker: None,
            event_type: "determined".to_owned(),
            result: Some("yes".to_owned()),
            ts: None,
        };
        d.lifecycle(&closed);
        assert_eq!(d.open_markets(), Some(3));
        let created = LifecycleView {
            event_type: "created".to_owned(),
            ..closed
        };
        d.lifecycle(&created);
        let notified = d.changed.notified();
        tokio_test_block_on(notified);
    }

    /// Completes `f` when it is ready at once (the directory's wake-up is stored).
    fn tokio_test_block_on(f: impl std::future::Future<Output = ()>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), f)
                .await
                .expect("a created market wakes the reader");
        });
    }
}
