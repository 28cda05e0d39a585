//! The simulated exchange's market list: real recorded Kalshi markets plus a synthetic series.
//!
//! The real markets come from `backend/data/sim_markets.json`, the static fields of
//! `GET /markets` and `GET /markets/{ticker}` recorded on Kalshi prod in January 2026
//! (`fixtures/real/rest-2026-01-prod-golden`), compiled into the binary so the desk runs
//! without the fixture tree. They are all `deci_cent` ($0.001 tick) multivariate markets.
//! Three synthetic series add $0.01, $0.001 and tapered (`tapered_deci_cent`: $0.001 tails
//! below $0.10 and above $0.90) markets in several categories, plus a closed and two settled
//! markets so status filters have something to find. Recorded markets are served `active`.
//! [`Catalog`] holds the series and events (GetSeriesList, GetEvents) of those markets.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use shared::api::schema::{
    Market, MarketMarketType, MarketResult, MarketSettlementBoundsType, MarketStatus,
    MarketStrikeType,
};
use shared::ids::{EventTicker, MarketTicker};
use shared::num::{Count, Dollars};
use shared::rest::PriceRange;

/// The recorded market file, embedded at build time.
const SIM_MARKETS_JSON: &str = include_str!("../data/sim_markets.json");

#[derive(Deserialize)]
struct MarketFile {
    markets: Vec<Market>,
}

/// A market as the simulator starts it: static fields, its tick and its opening fair value.
#[derive(Clone, Debug)]
pub struct MarketSeed {
    /// Static fields (status forced to `active`; live fields filled when served).
    pub market: Market,
    /// Series ticker (the event ticker's first `-` segment).
    pub series: String,
    /// Uniform price tick, dollars ($0.01 or $0.001).
    pub tick: Dollars,
    /// Opening fair YES value, dollars; `None` = drawn from the flow's RNG.
    pub fair: Option<Dollars>,
    /// A thin opening book (a few levels, one order each): the generated universe's
    /// markets, so tens of thousands of them stay light.
    pub thin: bool,
}

/// The tick if it divides $1 into at least 100 steps, else $0.01 (guards the flow's
/// arithmetic against odd recorded price structures).
fn usable_tick(tick: Dollars) -> Dollars {
    let one = Dollars::ONE.raw();
    if tick.raw() > 0 && one % tick.raw() == 0 && one / tick.raw() >= 100 {
        tick
    } else {
        Dollars::from_cents(1)
    }
}

/// Every market the simulator lists, ordered by ticker (non-tradable ones included: the
/// flow only trades the open ones).
///
/// # Errors
/// Only if the embedded JSON is malformed (a build defect, caught by the unit test).
pub fn seed_markets() -> Result<Vec<MarketSeed>, serde_json::Error> {
    let file: MarketFile = serde_json::from_str(SIM_MARKETS_JSON)?;
    let mut seeds: Vec<MarketSeed> = file
        .markets
        .into_iter()
        .map(|mut market| {
            normalize_recorded(&mut market);
            let tick = usable_tick(market.grid().tick_at(Dollars::from_cents(50)));
            MarketSeed {
                series: market.event_ticker.series().to_owned(),
                tick,
                fair: None,
                thin: false,
                market,
            }
        })
        .collect();
    seeds.extend(synthetic_markets());
    seeds.sort_by(|a, b| a.market.ticker.cmp(&b.market.ticker));
    seeds.dedup_by(|a, b| a.market.ticker == b.market.ticker);
    Ok(seeds)
}

/// A recorded market as the exchange serves it: `active`, and the fields Kalshi added after
/// the recording (January 2026) set as Kalshi sets them for such a market: `updated_time`
/// (no metadata update since creation: its creation time) and `settlement_bounds_type`
/// (`default`).
fn normalize_recorded(market: &mut Market) {
    market.status = MarketStatus::Active;
    if market.updated_time.is_empty() {
        market.updated_time.clone_from(&market.created_time);
    }
    if market.settlement_bounds_type == MarketSettlementBoundsType::Unknown {
        market.settlement_bounds_type = MarketSettlementBoundsType::Default;
    }
    if market.market_type == MarketMarketType::Unknown {
        market.market_type = MarketMarketType::Binary;
    }
}

/// How a synthetic market is priced: one uniform tick, or Kalshi's tapered structure.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Grid {
    /// $0.01 everywhere (`linear_cent`).
    Cent,
    /// $0.001 everywhere (`deci_cent`).
    DeciCent,
    /// $0.001 below $0.10 and above $0.90, $0.01 between (`tapered_deci_cent`).
    Tapered,
}

impl Grid {
    fn structure(self) -> &'static str {
        match self {
            Grid::Cent => "linear_cent",
            Grid::DeciCent => "deci_cent",
            Grid::Tapered => "tapered_deci_cent",
        }
    }
    fn ranges(self) -> Vec<PriceRange> {
        let (cent, deci) = (Dollars::from_cents(1), Dollars::from_ten_thousandths(10));
        let band = |start, end, step| PriceRange {
            start: Dollars::from_cents(start),
            end: Dollars::from_cents(end),
            step,
        };
        match self {
            Grid::Cent => vec![band(0, 100, cent)],
            Grid::DeciCent => vec![band(0, 100, deci)],
            Grid::Tapered => vec![band(0, 10, deci), band(10, 90, cent), band(90, 100, deci)],
        }
    }
    /// The flow's uniform tick (valid in every band).
    pub(crate) fn flow_tick(self) -> Dollars {
        match self {
            Grid::DeciCent => Dollars::from_ten_thousandths(10),
            Grid::Cent | Grid::Tapered => Dollars::from_cents(1),
        }
    }
}

/// One synthetic market: (ticker, title, opening fair YES cents, grid, status, result).
type SyntheticSpec = (
    &'static str,
    &'static str,
    i64,
    Grid,
    MarketStatus,
    MarketResult,
);

/// The synthetic series' markets, by event: (event ticker, close time, markets).
/// `KXDESK` (Financials): five open markets, four on $0.01 and one on $0.001.
/// `KXDESKFED` (Economics): four open `tapered_deci_cent` markets and one closed.
/// `KXDESKRAIN` (Climate and Weather): four open markets and two settled.
const SYNTHETIC: &[(&str, &str, &[SyntheticSpec])] = &[
    (
        "KXDESK-26DEC31",
        "2026-12-31T23:59:00Z",
        &[
            (
                "KXDESK-26DEC31-T40",
                "Desk index above 40 on Dec 31, 2026?",
                72,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESK-26DEC31-T50",
                "Desk index above 50 on Dec 31, 2026?",
                55,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESK-26DEC31-T60",
                "Desk index above 60 on Dec 31, 2026?",
                38,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESK-26DEC31-T70",
                "Desk index above 70 on Dec 31, 2026?",
                21,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESK-26DEC31-T55D",
                "Desk index above 55 on Dec 31, 2026? (deci-cent)",
                47,
                Grid::DeciCent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
        ],
    ),
    (
        "KXDESKFED-26DEC16",
        "2026-12-16T18:55:00Z",
        &[
            (
                "KXDESKFED-26DEC16-T3.25",
                "Fed funds upper bound above 3.25% after the Dec 2026 meeting?",
                82,
                Grid::Tapered,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKFED-26DEC16-T3.50",
                "Fed funds upper bound above 3.50% after the Dec 2026 meeting?",
                61,
                Grid::Tapered,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKFED-26DEC16-T3.75",
                "Fed funds upper bound above 3.75% after the Dec 2026 meeting?",
                33,
                Grid::Tapered,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKFED-26DEC16-T4.00",
                "Fed funds upper bound above 4.00% after the Dec 2026 meeting?",
                14,
                Grid::Tapered,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
        ],
    ),
    (
        "KXDESKFED-26OCT28",
        "2026-10-28T18:55:00Z",
        &[(
            "KXDESKFED-26OCT28-T3.75",
            "Fed funds upper bound above 3.75% after the Oct 2026 meeting?",
            40,
            Grid::Tapered,
            MarketStatus::Closed,
            MarketResult::Empty,
        )],
    ),
    (
        "KXDESKRAIN-27JAN",
        "2027-01-31T23:59:00Z",
        &[
            (
                "KXDESKRAIN-27JAN-T2",
                "Central Park rain above 2 inches in January 2027?",
                70,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKRAIN-27JAN-T3",
                "Central Park rain above 3 inches in January 2027?",
                48,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKRAIN-27JAN-T4",
                "Central Park rain above 4 inches in January 2027?",
                29,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
            (
                "KXDESKRAIN-27JAN-T5",
                "Central Park rain above 5 inches in January 2027?",
                14,
                Grid::Cent,
                MarketStatus::Active,
                MarketResult::Empty,
            ),
        ],
    ),
    (
        "KXDESKRAIN-26OCT",
        "2026-10-31T23:59:00Z",
        &[
            (
                "KXDESKRAIN-26OCT-T2",
                "Central Park rain above 2 inches in October 2026?",
                60,
                Grid::Cent,
                MarketStatus::Finalized,
                MarketResult::Yes,
            ),
            (
                "KXDESKRAIN-26OCT-T4",
                "Central Park rain above 4 inches in October 2026?",
                30,
                Grid::Cent,
                MarketStatus::Finalized,
                MarketResult::No,
            ),
        ],
    ),
];

/// When the synthetic markets were created and opened (RFC 3339).
const CREATED: &str = "2025-12-31T12:00:00Z";
const OPENED: &str = "2026-01-01T00:00:00Z";

/// The synthetic series' markets (see [`SYNTHETIC`]).
fn synthetic_markets() -> Vec<MarketSeed> {
    let mut out = Vec::new();
    for &(event, close, specs) in SYNTHETIC {
        let event = EventTicker::from(event);
        for &(ticker, title, fair_cents, grid, status, result) in specs {
            let strike = ticker.rsplit('-').next().unwrap_or_default();
            let mut market = new_market(
                MarketTicker::from(ticker),
                event.clone(),
                title,
                strike,
                close,
                grid,
            );
            market.status = status;
            market.result = result;
            market.settlement_value_dollars = match result {
                MarketResult::Yes => Some(Dollars::ONE),
                MarketResult::No => Some(Dollars::ZERO),
                _ => None,
            };
            market.settlement_ts = (status == MarketStatus::Finalized).then(|| close.to_owned());
            out.push(MarketSeed {
                series: event.series().to_owned(),
                tick: grid.flow_tick(),
                fair: Some(Dollars::from_cents(fair_cents)),
                thin: false,
                market,
            });
        }
    }
    out
}

/// An open (`active`) binary market of the exchange's own making with Kalshi's static
/// fields: `title`, `sub_title` as both outcome subtitles, closing (and expiring) at
/// `close` (RFC 3339), priced on `grid`, a `greater` strike; live fields are zero until
/// served from the book.
pub(crate) fn new_market(
    ticker: MarketTicker,
    event_ticker: EventTicker,
    title: &str,
    sub_title: &str,
    close: &str,
    grid: Grid,
) -> Market {
    Market {
        ticker,
        event_ticker,
        market_type: MarketMarketType::Binary,
        title: Some(title.to_owned()),
        subtitle: Some(String::new()),
        yes_sub_title: sub_title.to_owned(),
        no_sub_title: sub_title.to_owned(),
        created_time: CREATED.to_owned(),
        updated_time: CREATED.to_owned(),
        open_time: OPENED.to_owned(),
        close_time: close.to_owned(),
        expected_expiration_time: Some(close.to_owned()),
        expiration_time: None,
        latest_expiration_time: close.to_owned(),
        settlement_timer_seconds: 60,
        status: MarketStatus::Active,
        // Live fields: filled from the book each time the market is served.
        yes_bid_dollars: Dollars::ZERO,
        yes_bid_size_fp: Count::ZERO,
        yes_ask_dollars: Dollars::ONE,
        yes_ask_size_fp: Count::ZERO,
        no_bid_dollars: Dollars::ZERO,
        no_ask_dollars: Dollars::ONE,
        last_price_dollars: Dollars::ZERO,
        volume_fp: Count::ZERO,
        volume_24h_fp: Count::ZERO,
        result: MarketResult::Empty,
        can_close_early: true,
        open_interest_fp: Count::ZERO,
        notional_value_dollars: Dollars::ONE,
        previous_yes_bid_dollars: Dollars::ZERO,
        previous_yes_ask_dollars: Dollars::ZERO,
        previous_price_dollars: Dollars::ZERO,
        settlement_value_dollars: None,
        settlement_ts: None,
        settlement_bounds_type: MarketSettlementBoundsType::Default,
        settlement_floor_dollars: None,
        expiration_value: String::new(),
        occurrence_datetime: None,
        fee_waiver_expiration_time: None,
        early_close_condition: None,
        strike_type: Some(MarketStrikeType::Greater),
        floor_strike: None,
        cap_strike: None,
        functional_strike: None,
        custom_strike: None,
        rules_primary:
            "Synthetic market of the Kalshi Desk simulated exchange; it never settles by itself."
                .to_owned(),
        rules_secondary: String::new(),
        mve_collection_ticker: None,
        mve_selected_legs: None,
        primary_participant_key: None,
        price_level_structure: grid.structure().to_owned(),
        price_ranges: grid.ranges(),
        is_provisional: None,
        exchange_index: Some(0),
    }
}

/// Series metadata: (ticker, title, category, tags, frequency).
const SERIES: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "KXDESK",
        "Desk index at year end",
        "Financials",
        &["Indices"],
        "annual",
    ),
    (
        "KXDESKFED",
        "Fed funds rate after each FOMC meeting",
        "Economics",
        &["Fed", "Interest rates"],
        "custom",
    ),
    (
        "KXDESKRAIN",
        "Rain in Central Park this month",
        "Climate and Weather",
        &["Rain", "New York"],
        "monthly",
    ),
    (
        "KXMVENFLSINGLEGAME",
        "NFL single-game combos",
        "Sports",
        &["Football", "Combos"],
        "custom",
    ),
    (
        "KXMVESPORTSMULTIGAMEEXTENDED",
        "Multi-game sports combos",
        "Sports",
        &["Combos"],
        "custom",
    ),
];

/// Event titles of the synthetic events: (event ticker, title, subtitle).
const EVENTS: &[(&str, &str, &str)] = &[
    (
        "KXDESK-26DEC31",
        "Desk index on Dec 31, 2026",
        "Dec 31, 2026",
    ),
    (
        "KXDESKFED-26DEC16",
        "Fed decision in December 2026",
        "Dec 16, 2026",
    ),
    (
        "KXDESKFED-26OCT28",
        "Fed decision in October 2026",
        "Oct 28, 2026",
    ),
    (
        "KXDESKRAIN-27JAN",
        "Central Park rain in January 2027",
        "Jan 2027",
    ),
    (
        "KXDESKRAIN-26OCT",
        "Central Park rain in October 2026",
        "Oct 2026",
    ),
];

/// One series the exchange lists (GetSeriesList / GetSeries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesSeed {
    /// Series ticker.
    pub ticker: String,
    /// Title.
    pub title: String,
    /// Primary (and only) category.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Frequency.
    pub frequency: String,
}

/// One event (GetEvents / GetEvent); its markets are the ones whose `event_ticker` it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSeed {
    /// Event ticker.
    pub event_ticker: EventTicker,
    /// Series ticker.
    pub series_ticker: String,
    /// Title.
    pub title: String,
    /// Subtitle.
    pub sub_title: String,
    /// Category (the series').
    pub category: String,
    /// True for Kalshi's multivariate (combo) events, series `KXMVE…`: GetEvents leaves
    /// them out, as Kalshi serves them from GetMultivariateEvents.
    pub multivariate: bool,
    /// Exactly one of its markets resolves YES (brackets, a game's winner).
    pub mutually_exclusive: bool,
    /// Its markets, ordered by ticker.
    pub markets: Vec<MarketTicker>,
}

/// How an event is titled where its markets do not say: (title, subtitle, mutually
/// exclusive).
pub type EventTitle = (String, String, bool);

/// Series and events of the markets, ordered by ticker.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Every series.
    pub series: Vec<SeriesSeed>,
    /// Every event that has a market.
    pub events: Vec<EventSeed>,
}

/// The hand-made series (see [`SERIES`]).
fn hand_series() -> Vec<SeriesSeed> {
    SERIES
        .iter()
        .map(|&(ticker, title, category, tags, frequency)| SeriesSeed {
            ticker: ticker.to_owned(),
            title: title.to_owned(),
            category: category.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            frequency: frequency.to_owned(),
        })
        .collect()
}

impl Catalog {
    /// The catalog of `markets` (ordered by ticker): the hand-made series with `extra`
    /// series beside them, and every event with a market, titled from [`EVENTS`], then
    /// `titles`, else by its first market.
    pub fn new(
        markets: &[MarketSeed],
        extra: Vec<SeriesSeed>,
        titles: &HashMap<EventTicker, EventTitle>,
    ) -> Catalog {
        let mut series = hand_series();
        series.extend(extra);
        series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
        series.dedup_by(|a, b| a.ticker == b.ticker);
        let mut by_event: BTreeMap<&EventTicker, EventSeed> = BTreeMap::new();
        for m in markets {
            let event = by_event.entry(&m.market.event_ticker).or_insert_with(|| {
                let category = series
                    .binary_search_by(|s| s.ticker.as_str().cmp(&m.series))
                    .ok()
                    .and_then(|i| series.get(i))
                    .map(|s| s.category.clone())
                    .unwrap_or_default();
                let known = EVENTS
                    .iter()
                    .find(|(t, _, _)| *t == m.market.event_ticker.as_str());
                let (title, sub_title, mutually_exclusive) = match known {
                    Some(&(_, title, sub)) => (title.to_owned(), sub.to_owned(), false),
                    None => titles
                        .get(&m.market.event_ticker)
                        .cloned()
                        .unwrap_or_else(|| {
                            (
                                m.market.title.clone().unwrap_or_default(),
                                String::new(),
                                false,
                            )
                        }),
                };
                EventSeed {
                    event_ticker: m.market.event_ticker.clone(),
                    series_ticker: m.series.clone(),
                    title,
                    sub_title,
                    category,
                    multivariate: m.series.starts_with("KXMVE"),
                    mutually_exclusive,
                    markets: Vec::new(),
                }
            });
            event.markets.push(m.market.ticker.clone());
        }
        let events = by_event
            .into_values()
            .map(|mut e| {
                e.markets.sort();
                e
            })
            .collect();
        Catalog { series, events }
    }

    /// A series by ticker.
    pub fn series(&self, ticker: &str) -> Option<&SeriesSeed> {
        let i = self
            .series
            .binary_search_by(|s| s.ticker.as_str().cmp(ticker))
            .ok()?;
        self.series.get(i)
    }

    /// An event by ticker.
    pub fn event(&self, ticker: &str) -> Option<&EventSeed> {
        let i = self
            .events
            .binary_search_by(|e| e.event_ticker.as_str().cmp(ticker))
            .ok()?;
        self.events.get(i)
    }

    /// The events after `cursor` (an event ticker; all without one), in ticker order.
    pub fn events_after(&self, cursor: Option<&str>) -> &[EventSeed] {
        let from = cursor.map_or(0, |c| {
            self.events
                .partition_point(|e| e.event_ticker.as_str() <= c)
        });
        self.events.get(from..).unwrap_or_default()
    }
}

/// Every market the exchange lists and their catalog: the recorded and hand-made markets,
/// and with `universe` > 0 that many generated ones beside them ([`crate::universe`]).
///
/// # Errors
/// Only if the embedded JSON is malformed (a build defect, caught by the unit test).
pub fn listing(
    universe: usize,
    seed: u64,
) -> Result<(Vec<MarketSeed>, Catalog), serde_json::Error> {
    let mut markets = seed_markets()?;
    let generated = crate::universe::generate(universe, seed);
    markets.extend(generated.markets);
    markets.sort_by(|a, b| a.market.ticker.cmp(&b.market.ticker));
    markets.dedup_by(|a, b| a.market.ticker == b.market.ticker);
    let catalog = Catalog::new(&markets, generated.series, &generated.events);
    Ok((markets, catalog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_markets_load_with_both_tick_structures() {
        let seeds = seed_markets().unwrap();
        assert!(seeds.len() >= 6, "{} markets", seeds.len());
        assert!(seeds
            .iter()
            .filter(|s| s.series.starts_with("KXMVE"))
            .all(|s| s.market.status == MarketStatus::Active));
        assert!(seeds
            .iter()
            .any(|s| s.market.status == MarketStatus::Finalized));
        assert!(seeds
            .iter()
            .any(|s| s.market.status == MarketStatus::Closed));
        let catalog = Catalog::new(&seeds, Vec::new(), &HashMap::new());
        for s in &seeds {
            assert!(
                catalog.series(&s.series).is_some(),
                "series of {}",
                s.market.ticker
            );
            assert!(catalog.event(s.market.event_ticker.as_str()).is_some());
        }
        let tapered = seeds
            .iter()
            .find(|s| s.market.price_level_structure == "tapered_deci_cent")
            .unwrap();
        assert!(tapered
            .market
            .grid()
            .is_valid_price(Dollars::from_ten_thousandths(550)));
        assert!(!tapered
            .market
            .grid()
            .is_valid_price(Dollars::from_ten_thousandths(5050)));
        assert!(seeds.iter().any(|s| s.tick == Dollars::from_cents(1)));
        assert!(seeds
            .iter()
            .any(|s| s.tick == Dollars::from_ten_thousandths(10)));
        let real = seeds
            .iter()
            .filter(|s| s.series == "KXMVENFLSINGLEGAME")
            .count();
        assert!(real >= 3, "real recorded markets present");
        for s in &seeds {
            assert!(
                s.market.grid().is_valid_price(Dollars::from_cents(37)),
                "{}",
                s.market.ticker
            );
        }
    }
}
