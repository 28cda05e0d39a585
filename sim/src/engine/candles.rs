//! Candlesticks built from the exchange's own trades (GetMarketCandlesticks).
//!
//! Every trade updates the one-minute candle it falls in: YES trade price open/high/low/
//! close, the best YES bid and ask right after the trade (open/high/low/close), contracts
//! traded and the open interest. Hour and day candles are the minute candles merged at
//! query time. Only minutes with trades exist (Kalshi's empty periods are left out), and
//! only the last [`MINUTES_KEPT`] minutes with trades are kept per market.

use std::collections::BTreeMap;

use shared::num::{Count, Dollars};

/// Minute candles kept per market (a week of minutes that all had trades).
pub const MINUTES_KEPT: usize = 7 * 24 * 60;

/// Open, high, low and close of one price over a period, exact dollars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ohlc {
    /// First value.
    pub open: Dollars,
    /// Highest value.
    pub high: Dollars,
    /// Lowest value.
    pub low: Dollars,
    /// Last value.
    pub close: Dollars,
}

impl Ohlc {
    fn new(p: Dollars) -> Ohlc {
        Ohlc {
            open: p,
            high: p,
            low: p,
            close: p,
        }
    }
    fn add(&mut self, p: Dollars) {
        self.high = self.high.max(p);
        self.low = self.low.min(p);
        self.close = p;
    }
    /// Extends `self` by a later period.
    fn merge(&mut self, later: &Ohlc) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
    }
}

fn add_opt(slot: &mut Option<Ohlc>, p: Option<Dollars>) {
    match (slot.as_mut(), p) {
        (Some(o), Some(p)) => o.add(p),
        (None, Some(p)) => *slot = Some(Ohlc::new(p)),
        _ => {}
    }
}

fn merge_opt(slot: &mut Option<Ohlc>, later: Option<&Ohlc>) {
    match (slot.as_mut(), later) {
        (Some(o), Some(l)) => o.merge(l),
        (None, Some(l)) => *slot = Some(*l),
        _ => {}
    }
}

/// One period's candle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candle {
    /// End of the period, Unix seconds (`end_period_ts`).
    pub end_ts: i64,
    /// YES trade prices.
    pub price: Ohlc,
    /// Best YES bid after each trade (`None` while the YES ladder was empty).
    pub yes_bid: Option<Ohlc>,
    /// Best YES ask after each trade.
    pub yes_ask: Option<Ohlc>,
    /// Contracts traded.
    pub volume: Count,
    /// Open interest at the period's last trade.
    pub open_interest: Count,
}

/// One market's minute candles.
#[derive(Clone, Debug, Default)]
pub struct Candles {
    /// By minute end (Unix seconds).
    minutes: BTreeMap<i64, Candle>,
}

/// End of the `period_s`-second period holding Unix second `ts_s`.
fn period_end(ts_s: i64, period_s: i64) -> i64 {
    (ts_s.div_euclid(period_s) + 1) * period_s
}

impl Candles {
    /// Records a trade of `count` at YES `price` at `ts_ms`, with the book's best YES bid
    /// and ask after it and the open interest.
    pub fn record_trade(
        &mut self,
        ts_ms: i64,
        price: Dollars,
        count: Count,
        yes_bid: Option<Dollars>,
        yes_ask: Option<Dollars>,
        open_interest: Count,
    ) {
        let end = period_end(ts_ms.div_euclid(1000), 60);
        let c = self.minutes.entry(end).or_insert_with(|| Candle {
            end_ts: end,
            price: Ohlc::new(price),
            yes_bid: None,
            yes_ask: None,
            volume: Count::ZERO,
            open_interest,
        });
        c.price.add(price);
        add_opt(&mut c.yes_bid, yes_bid);
        add_opt(&mut c.yes_ask, yes_ask);
        c.volume += count;
        c.open_interest = open_interest;
        while self.minutes.len() > MINUTES_KEPT {
            self.minutes.pop_first();
        }
    }

    /// The open interest changed at `ts_ms` (after a trade's fills were booked).
    pub fn note_open_interest(&mut self, ts_ms: i64, open_interest: Count) {
        let end = period_end(ts_ms.div_euclid(1000), 60);
        if let Some(c) = self.minutes.get_mut(&end) {
            c.open_interest = open_interest;
        }
    }

    /// Candles of `period_min` minutes (1, 60 or 1440) whose period ends in
    /// `start_ts..=end_ts` (Unix seconds), oldest first.
    pub fn query(&self, period_min: i64, start_ts: i64, end_ts: i64) -> Vec<Candle> {
        let period_s = period_min.max(1) * 60;
        let mut out: Vec<Candle> = Vec::new();
        // A minute ending at `e` covers [e-60, e): it belongs to the period holding e-60.
        let first_minute = start_ts.saturating_sub(period_s);
        for (_, m) in self.minutes.range(first_minute..) {
            let end = period_end(m.end_ts - 60, period_s);
            if end > end_ts {
                break;
            }
            if end < start_ts {
                continue;
            }
            match out.last_mut() {
                Some(c) if c.end_ts == end => {
                    c.price.merge(&m.price);
                    merge_opt(&mut c.yes_bid, m.yes_bid.as_ref());
                    merge_opt(&mut c.yes_ask, m.yes_ask.as_ref());
                    c.volume += m.volume;
                    c.open_interest = m.open_interest;
                }
                _ => out.push(Candle {
                    end_ts: end,
                    ..m.clone()
                }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }

    #[test]
    fn minutes_merge_into_hours_and_days() {
        let mut c = Candles::default();
        let base = 1_780_000_040; // 20 s into a minute
        let trades = [
            (0, "0.40"),
            (10, "0.45"),
            (70, "0.38"),
            (3_700, "0.50"),
            (90_000, "0.41"),
        ];
        for (i, (dt, p)) in trades.iter().enumerate() {
            let oi = Count::from_int(i64::try_from(i).unwrap() + 1);
            c.record_trade(
                (base + dt) * 1000,
                d(p),
                Count::from_int(2),
                Some(d("0.30")),
                Some(d("0.60")),
                oi,
            );
        }
        let minutes = c.query(1, 0, i64::MAX);
        assert_eq!(minutes.len(), 4);
        assert_eq!(minutes[0].end_ts, 1_780_000_080);
        assert_eq!(
            minutes[0].price,
            Ohlc {
                open: d("0.40"),
                high: d("0.45"),
                low: d("0.40"),
                close: d("0.45")
            }
        );
        assert_eq!(minutes[0].volume, Count::from_int(4));

        let hours = c.query(60, 0, i64::MAX);
        assert_eq!(hours.len(), 3);
        assert_eq!(hours[0].end_ts % 3600, 0);
        assert_eq!(hours[0].price.low, d("0.38"));
        assert_eq!(hours[0].price.close, d("0.38"));
        assert_eq!(hours[0].open_interest, Count::from_int(3));

        let days = c.query(1440, 0, i64::MAX);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].end_ts % 86_400, 0);
        assert_eq!(days[0].price.high, d("0.50"));
        assert_eq!(days[0].volume, Count::from_int(8));

        // The window is on period ends.
        let later = c.query(1, minutes[1].end_ts, minutes[2].end_ts);
        assert_eq!(later.len(), 2);
        assert_eq!(later[0].end_ts, minutes[1].end_ts);
    }
}
