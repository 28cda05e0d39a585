//! The simulated exchange's market list: real recorded Kalshi markets plus a synthetic series.
//!
//! The real markets come from `backend/data/sim_markets.json`, the static fields of
//! `GET /markets` and `GET /markets/{ticker}` recorded on Kalshi prod in January 2026
//! (`fixtures/real/rest-2026-01-prod-golden`), compiled into the binary so the desk runs
//! without the fixture tree. They are all `deci_cent` ($0.001 tick) multivariate markets.
//! The synthetic series `KXDESK` adds $0.01-tick markets (and one more $0.001 one) so there
//! are always both tick structures to trade. Every market is served with status `active`.

use serde::Deserialize;
use shared::ids::{EventTicker, MarketTicker};
use shared::num::Dollars;
use shared::rest::{Market, MarketStatus, PriceRange};

/// The recorded market file, embedded at build time.
const SIM_MARKETS_JSON: &str = include_str!("../../data/sim_markets.json");

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

fn series_of(event: &EventTicker) -> String {
    event
        .as_str()
        .split('-')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Every market the simulator lists, ordered by ticker.
///
/// # Errors
/// Only if the embedded JSON is malformed (a build defect, caught by the unit test).
pub fn seed_markets() -> Result<Vec<MarketSeed>, serde_json::Error> {
    let file: MarketFile = serde_json::from_str(SIM_MARKETS_JSON)?;
    let mut seeds: Vec<MarketSeed> = file
        .markets
        .into_iter()
        .map(|mut market| {
            market.status = MarketStatus::Active;
            let tick = usable_tick(market.tick_at(Dollars::from_cents(50)));
            MarketSeed {
                series: series_of(&market.event_ticker),
                tick,
                fair: None,
                market,
            }
        })
        .collect();
    seeds.extend(synthetic_markets());
    seeds.sort_by(|a, b| a.market.ticker.cmp(&b.market.ticker));
    seeds.dedup_by(|a, b| a.market.ticker == b.market.ticker);
    Ok(seeds)
}

/// The synthetic `KXDESK` series: five binary markets on one event, four on a $0.01 tick
/// (`linear_cent`) and one on $0.001 (`deci_cent`).
fn synthetic_markets() -> Vec<MarketSeed> {
    let event = EventTicker::from("KXDESK-26DEC31");
    let specs: [(&str, &str, i64, bool); 5] = [
        (
            "KXDESK-26DEC31-T40",
            "Desk index above 40 on Dec 31, 2026?",
            72,
            false,
        ),
        (
            "KXDESK-26DEC31-T50",
            "Desk index above 50 on Dec 31, 2026?",
            55,
            false,
        ),
        (
            "KXDESK-26DEC31-T60",
            "Desk index above 60 on Dec 31, 2026?",
            38,
            false,
        ),
        (
            "KXDESK-26DEC31-T70",
            "Desk index above 70 on Dec 31, 2026?",
            21,
            false,
        ),
        (
            "KXDESK-26DEC31-T55D",
            "Desk index above 55 on Dec 31, 2026? (deci-cent)",
            47,
            true,
        ),
    ];
    specs
        .into_iter()
        .map(|(ticker, title, fair_cents, deci)| {
            let step = if deci {
                Dollars::from_ten_thousandths(10)
            } else {
                Dollars::from_cents(1)
            };
            let market = Market {
                ticker: MarketTicker::from(ticker),
                event_ticker: event.clone(),
                market_type: Some("binary".to_owned()),
                title: title.to_owned(),
                subtitle: Some(String::new()),
                yes_sub_title: ticker.rsplit('-').next().unwrap_or_default().to_owned(),
                no_sub_title: ticker.rsplit('-').next().unwrap_or_default().to_owned(),
                status: MarketStatus::Active,
                open_time: Some("2026-01-01T00:00:00Z".to_owned()),
                close_time: Some("2026-12-31T23:59:00Z".to_owned()),
                yes_bid_dollars: None,
                yes_ask_dollars: None,
                no_bid_dollars: None,
                no_ask_dollars: None,
                last_price_dollars: None,
                previous_price_dollars: None,
                volume_fp: None,
                volume_24h_fp: None,
                open_interest_fp: None,
                notional_value_dollars: Some(Dollars::ONE),
                result: Some(String::new()),
                rules_primary: Some(
                    "Synthetic market of the Kalshi Desk simulated exchange; it never settles."
                        .to_owned(),
                ),
                price_level_structure: Some(
                    if deci { "deci_cent" } else { "linear_cent" }.to_owned(),
                ),
                price_ranges: Some(vec![PriceRange {
                    start: Dollars::ZERO,
                    end: Dollars::ONE,
                    step,
                }]),
            };
            MarketSeed {
                series: "KXDESK".to_owned(),
                tick: step,
                fair: Some(Dollars::from_cents(fair_cents)),
                market,
            }
        })
        .collect()
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
            .all(|s| s.market.status == MarketStatus::Active));
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
                s.market.is_valid_price(Dollars::from_cents(37)),
                "{}",
                s.market.ticker
            );
        }
    }
}
