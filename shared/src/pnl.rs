//! P&L over time (`GET /api/pnl/history`): realized and unrealized profit by trading day, by
//! market and by series, computed from the fills and settlements the desk has stored.
//!
//! In YES terms (buying NO at `p` is selling YES at `1 − p`), each market's fills are matched
//! first in, first out: closing `q` contracts of a lot bought at `c` at price `p` realizes
//! `q × (p − c)` (a short lot: `q × (c − p)`), on the closing fill's day. A settlement
//! closes what is left at its value per YES contract ($1 for yes, $0 for no, the value of a
//! scalar), on its day. Fees are realized on their fill's day (realized is net of fees; the
//! fees column says how much they were). What is still open is unrealized at the market's
//! mark now, on today's row. Exact ([`Dollars`], [`Count`]) and checked: `None` on overflow.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::ids::MarketTicker;
use crate::num::{Count, Dollars};

/// One fill, as the history reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnlFill {
    /// Market.
    pub market_ticker: MarketTicker,
    /// When, Unix ms.
    pub ts_ms: i64,
    /// YES contracts bought (negative: sold).
    pub yes_delta: Count,
    /// YES price, dollars.
    pub yes_price: Dollars,
    /// Its fee, dollars.
    pub fee: Dollars,
}

/// A market's settlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnlSettlement {
    /// Market.
    pub market_ticker: MarketTicker,
    /// When, Unix ms.
    pub ts_ms: i64,
    /// What one YES contract paid, dollars.
    pub value: Dollars,
}

/// One row of the history: a day (`YYYY-MM-DD`, US Eastern), a market or a series.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlRow {
    /// The day, market ticker or series ticker.
    pub key: String,
    /// Realized, net of fees, dollars.
    pub realized: Dollars,
    /// Unrealized at the mark now, dollars.
    pub unrealized: Dollars,
    /// Fees paid, dollars.
    pub fees: Dollars,
    /// Realized plus unrealized.
    pub total: Dollars,
}

/// Which rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PnlBy {
    /// By trading day, oldest first.
    #[default]
    Day,
    /// By market, by ticker.
    Market,
    /// By series, by ticker.
    Series,
}

impl PnlBy {
    /// `day`, `market`, `series`.
    pub fn as_str(self) -> &'static str {
        match self {
            PnlBy::Day => "day",
            PnlBy::Market => "market",
            PnlBy::Series => "series",
        }
    }
}

/// `GET /api/pnl/history` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlHistory {
    /// Whose: a username, or `desk` (every fill of the account).
    pub scope: String,
    /// When it was computed, Unix ms.
    pub as_of_ms: i64,
    /// Fills counted.
    pub fills: usize,
    /// By trading day, oldest first (today's row holds the unrealized).
    pub days: Vec<PnlRow>,
    /// By market.
    pub markets: Vec<PnlRow>,
    /// By series.
    pub series: Vec<PnlRow>,
    /// Everything.
    pub total: PnlRow,
}

impl PnlHistory {
    /// The rows of one grouping.
    pub fn rows(&self, by: PnlBy) -> &[PnlRow] {
        match by {
            PnlBy::Day => &self.days,
            PnlBy::Market => &self.markets,
            PnlBy::Series => &self.series,
        }
    }
}

/// [`history`]'s tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnlTables {
    /// By trading day, oldest first.
    pub days: Vec<PnlRow>,
    /// By market ticker.
    pub markets: Vec<PnlRow>,
    /// By series ticker.
    pub series: Vec<PnlRow>,
    /// Everything.
    pub total: PnlRow,
}

/// Open contracts bought (positive) or sold (negative) at a price.
#[derive(Clone, Copy, Debug)]
struct Lot {
    count: i64,
    price: Dollars,
}

#[derive(Default)]
struct Sums {
    realized: Dollars,
    unrealized: Dollars,
    fees: Dollars,
}

impl Sums {
    fn add(&mut self, realized: Dollars, unrealized: Dollars, fees: Dollars) -> Option<()> {
        self.realized = self.realized.checked_add(realized)?;
        self.unrealized = self.unrealized.checked_add(unrealized)?;
        self.fees = self.fees.checked_add(fees)?;
        Some(())
    }

    fn row(&self, key: String) -> Option<PnlRow> {
        Some(PnlRow {
            key,
            realized: self.realized,
            unrealized: self.unrealized,
            fees: self.fees,
            total: self.realized.checked_add(self.unrealized)?,
        })
    }
}

/// What `lots` make when `count` (YES, signed hundredths) trade at `price`: the realized
/// amount of what closed; the rest opens a lot.
fn trade(lots: &mut VecDeque<Lot>, mut count: i64, price: Dollars) -> Option<Dollars> {
    let mut realized = Dollars::ZERO;
    while count != 0 {
        let Some(front) = lots.front_mut() else {
            break;
        };
        if front.count.signum() == count.signum() {
            break;
        }
        let closed = front.count.abs().min(count.abs());
        // A long lot closed by a sale at `price`: price − cost; a short one: cost − price.
        let edge = if front.count > 0 {
            price.checked_sub(front.price)?
        } else {
            front.price.checked_sub(price)?
        };
        realized = realized.checked_add(edge.checked_times(Count::from_raw(closed))?)?;
        front.count -= closed * front.count.signum();
        count -= closed * count.signum();
        if front.count == 0 {
            lots.pop_front();
        }
    }
    if count != 0 {
        lots.push_back(Lot { count, price });
    }
    Some(realized)
}

/// The history of `fills` and `settlements` (any order), with open contracts marked at
/// `marks` (a market without a mark counts at its cost: zero unrealized). `day_of` names
/// the trading day of a Unix-ms time; `today` is the day the unrealized goes on.
/// `None` when a sum overflows.
pub fn history(
    fills: &[PnlFill],
    settlements: &[PnlSettlement],
    marks: &HashMap<MarketTicker, Dollars>,
    day_of: impl Fn(i64) -> String,
    today: &str,
) -> Option<PnlTables> {
    enum Step<'a> {
        Fill(&'a PnlFill),
        Settle(&'a PnlSettlement),
    }
    let mut steps: Vec<(i64, Step<'_>)> = fills
        .iter()
        .map(|f| (f.ts_ms, Step::Fill(f)))
        .chain(settlements.iter().map(|s| (s.ts_ms, Step::Settle(s))))
        .collect();
    steps.sort_by_key(|(ts, step)| (*ts, matches!(step, Step::Settle(_))));

    let mut lots: HashMap<&MarketTicker, VecDeque<Lot>> = HashMap::new();
    let mut days: BTreeMap<String, Sums> = BTreeMap::new();
    let mut markets: BTreeMap<&MarketTicker, Sums> = BTreeMap::new();
    for (ts, step) in &steps {
        let day = days.entry(day_of(*ts)).or_default();
        match step {
            Step::Fill(f) => {
                let open = lots.entry(&f.market_ticker).or_default();
                let made = trade(open, f.yes_delta.raw(), f.yes_price)?.checked_sub(f.fee)?;
                day.add(made, Dollars::ZERO, f.fee)?;
                markets
                    .entry(&f.market_ticker)
                    .or_default()
                    .add(made, Dollars::ZERO, f.fee)?;
            }
            Step::Settle(s) => {
                let Some(open) = lots.get_mut(&s.market_ticker) else {
                    continue;
                };
                let mut made = Dollars::ZERO;
                for lot in open.drain(..) {
                    let edge = if lot.count > 0 {
                        s.value.checked_sub(lot.price)?
                    } else {
                        lot.price.checked_sub(s.value)?
                    };
                    made =
                        made.checked_add(edge.checked_times(Count::from_raw(lot.count.abs()))?)?;
                }
                day.add(made, Dollars::ZERO, Dollars::ZERO)?;
                markets.entry(&s.market_ticker).or_default().add(
                    made,
                    Dollars::ZERO,
                    Dollars::ZERO,
                )?;
            }
        }
    }
    let mut open_total = Dollars::ZERO;
    for (market, open) in &lots {
        let Some(mark) = marks.get(*market) else {
            continue;
        };
        let mut unrealized = Dollars::ZERO;
        for lot in open {
            let edge = if lot.count > 0 {
                mark.checked_sub(lot.price)?
            } else {
                lot.price.checked_sub(*mark)?
            };
            unrealized =
                unrealized.checked_add(edge.checked_times(Count::from_raw(lot.count.abs()))?)?;
        }
        if !unrealized.is_zero() {
            markets
                .entry(market)
                .or_default()
                .add(Dollars::ZERO, unrealized, Dollars::ZERO)?;
            open_total = open_total.checked_add(unrealized)?;
        }
    }
    if !open_total.is_zero() {
        days.entry(today.to_owned())
            .or_default()
            .add(Dollars::ZERO, open_total, Dollars::ZERO)?;
    }
    let mut series: BTreeMap<&str, Sums> = BTreeMap::new();
    let mut total = Sums::default();
    for (market, sums) in &markets {
        series.entry(market.series()).or_default().add(
            sums.realized,
            sums.unrealized,
            sums.fees,
        )?;
        total.add(sums.realized, sums.unrealized, sums.fees)?;
    }
    Some(PnlTables {
        days: days
            .into_iter()
            .map(|(k, s)| s.row(k))
            .collect::<Option<_>>()?,
        markets: markets
            .into_iter()
            .map(|(k, s)| s.row(k.to_string()))
            .collect::<Option<_>>()?,
        series: series
            .into_iter()
            .map(|(k, s)| s.row(k.to_owned()))
            .collect::<Option<_>>()?,
        total: total.row("total".to_owned())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }

    fn fill(market: &str, ts_ms: i64, delta: i64, price: &str, fee: &str) -> PnlFill {
        PnlFill {
            market_ticker: MarketTicker::from(market),
            ts_ms,
            yes_delta: Count::from_int(delta),
            yes_price: d(price),
            fee: d(fee),
        }
    }

    fn day(ts: i64) -> String {
        format!("day{}", ts / 100)
    }

    #[test]
    fn round_trips_realize_fifo_settlements_close_and_the_rest_is_marked() {
        let fills = [
            fill("KXA-26-T1", 10, 10, "0.40", "0.05"),
            fill("KXA-26-T1", 20, 5, "0.50", "0.00"),
            // Sells 12: 10 from the 0.40 lot (+2.00), 2 from the 0.50 lot (+0.20).
            fill("KXA-26-T1", 110, -12, "0.60", "0.10"),
            // Short 4 at 0.30, settled NO ($0): +1.20.
            fill("KXB-26-T1", 120, -4, "0.30", "0.00"),
            fill("KXB-26-T2", 130, 2, "0.20", "0.00"),
        ];
        let settled = [PnlSettlement {
            market_ticker: MarketTicker::from("KXB-26-T1"),
            ts_ms: 250,
            value: Dollars::ZERO,
        }];
        let marks = HashMap::from([
            (MarketTicker::from("KXA-26-T1"), d("0.55")),
            (MarketTicker::from("KXB-26-T2"), d("0.10")),
        ]);
        let PnlTables {
            days,
            markets,
            series,
            total,
        } = history(&fills, &settled, &marks, day, "day2").unwrap();
        let row = |rows: &[PnlRow], k: &str| rows.iter().find(|r| r.key == k).cloned().unwrap();
        assert_eq!(row(&days, "day0").realized, d("-0.05"), "a fee only");
        assert_eq!(row(&days, "day1").realized, d("2.10"), "2.20 less 0.10");
        assert_eq!(row(&days, "day1").fees, d("0.10"));
        // Day 2: the settlement (+1.20) and every open lot marked: 3 of A at 0.50 → 0.55
        // (+0.15), 2 of B-T2 at 0.20 → 0.10 (−0.20).
        assert_eq!(row(&days, "day2").realized, d("1.20"));
        assert_eq!(row(&days, "day2").unrealized, d("-0.05"));
        assert_eq!(row(&markets, "KXA-26-T1").realized, d("2.05"));
        assert_eq!(row(&markets, "KXA-26-T1").unrealized, d("0.15"));
        assert_eq!(row(&markets, "KXB-26-T1").total, d("1.20"));
        assert_eq!(row(&series, "KXB").realized, d("1.20"));
        assert_eq!(row(&series, "KXB").unrealized, d("-0.20"));
        assert_eq!(total.realized, d("3.25"));
        assert_eq!(total.total, d("3.20"));
        assert_eq!(total.fees, d("0.15"));
    }

    #[test]
    fn an_overflowing_sum_is_none() {
        let fills = [PnlFill {
            yes_delta: Count::from_raw(i64::MAX / 2),
            ..fill("KXA-26-T1", 1, 0, "0.50", "0")
        }];
        let marks = HashMap::from([(MarketTicker::from("KXA-26-T1"), d("0.99"))]);
        assert!(history(&fills, &[], &marks, day, "day0").is_none());
    }
}
