//! Public market-data messages: order book snapshots and deltas, ticker (current and
//! seed-era `ticker_v2`), trades.

use serde::{Deserialize, Serialize};

use crate::ids::{BookSide, MarketTicker, Side, TradeId};
use crate::num::{Count, Dollars};

/// `msg` of `orderbook_snapshot`. Levels are `[price_dollars, count_fp]`; a side with no
/// bids has no key at all. Seed-era frames carried `yes`/`no` as `[cents, count]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderbookSnapshotMsg {
    /// The market.
    pub market_ticker: MarketTicker,
    /// The market's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// YES bids, `[["0.4500","100.00"], …]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_dollars_fp: Option<Vec<(Dollars, Count)>>,
    /// NO bids in no-leg prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dollars_fp: Option<Vec<(Dollars, Count)>>,
    /// Seed era: YES bids as `[cents, contracts]`.
    #[serde(default, skip_serializing)]
    pub yes: Option<Vec<(i64, i64)>>,
    /// Seed era: NO bids as `[cents, contracts]`.
    #[serde(default, skip_serializing)]
    pub no: Option<Vec<(i64, i64)>>,
}

impl OrderbookSnapshotMsg {
    /// The bid levels of one side, whichever era the frame is from.
    pub fn levels(&self, side: Side) -> Vec<(Dollars, Count)> {
        let (fp, legacy) = match side {
            Side::Yes => (&self.yes_dollars_fp, &self.yes),
            Side::No => (&self.no_dollars_fp, &self.no),
        };
        match (fp, legacy) {
            (Some(levels), _) => levels.clone(),
            (None, Some(levels)) => levels
                .iter()
                .map(|&(c, n)| (Dollars::from_cents(c), Count::from_int(n)))
                .collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// `msg` of `orderbook_delta`: the count at `price_dollars` on `side` changes by `delta_fp`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderbookDeltaMsg {
    /// The market.
    pub market_ticker: MarketTicker,
    /// The market's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Level price in dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_dollars: Option<Dollars>,
    /// Signed change in contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_fp: Option<Count>,
    /// Which ladder.
    pub side: Side,
    /// Present when our own order caused the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// When the change happened (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Seed era: price in cents.
    #[serde(default, skip_serializing)]
    pub price: Option<i64>,
    /// Seed era: integer delta.
    #[serde(default, skip_serializing)]
    pub delta: Option<i64>,
}

impl OrderbookDeltaMsg {
    /// The level's price, whichever era.
    pub fn level_price(&self) -> Option<Dollars> {
        self.price_dollars.or(self.price.map(Dollars::from_cents))
    }
    /// The signed change, whichever era.
    pub fn level_delta(&self) -> Option<Count> {
        self.delta_fp.or(self.delta.map(Count::from_int))
    }
}

/// `msg` of `ticker`. Every field but the ticker is optional on decode: Kalshi has added
/// and renamed them over time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TickerMsg {
    /// The market.
    pub market_ticker: MarketTicker,
    /// The market's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Last traded price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_dollars: Option<Dollars>,
    /// Best YES bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid_dollars: Option<Dollars>,
    /// Best YES ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask_dollars: Option<Dollars>,
    /// Contracts traded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_fp: Option<Count>,
    /// Open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest_fp: Option<Count>,
    /// Whole-dollar traded notional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_volume: Option<i64>,
    /// Whole-dollar open interest notional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_open_interest: Option<i64>,
    /// Size at best bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid_size_fp: Option<Count>,
    /// Size at best ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask_size_fp: Option<Count>,
    /// Size of the last trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_trade_size_fp: Option<Count>,
    /// Seconds since the epoch (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Deprecated RFC 3339 time, whole seconds (`"2022-11-22T20:44:01Z"`); the spec marks it
    /// required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

impl TickerMsg {
    /// Folds a later frame of the same market into this one, field by field (a frame may
    /// carry only what changed).
    pub fn merge(&mut self, newer: TickerMsg) {
        macro_rules! merge {
            ($($f:ident),*) => { $( if newer.$f.is_some() { self.$f = newer.$f; } )* };
        }
        merge!(
            market_id,
            price_dollars,
            yes_bid_dollars,
            yes_ask_dollars,
            volume_fp,
            open_interest_fp,
            dollar_volume,
            dollar_open_interest,
            yes_bid_size_fp,
            yes_ask_size_fp,
            last_trade_size_fp,
            ts,
            ts_ms,
            time
        );
    }

    /// The YES mid of the best bid and ask, when both sides are quoted (a bid above $0 and
    /// an ask below $1), dollars rounded down to the 1/10,000.
    pub fn mid(&self) -> Option<Dollars> {
        let bid = self.yes_bid_dollars.filter(|b| b.raw() > 0)?;
        let ask = self.yes_ask_dollars.filter(|a| *a < Dollars::ONE)?;
        Some(Dollars::from_raw(bid.raw().checked_add(ask.raw())? / 2))
    }
}

/// `msg` of `trade`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeMsg {
    /// Trade id.
    pub trade_id: TradeId,
    /// The market.
    pub market_ticker: MarketTicker,
    /// YES price.
    pub yes_price_dollars: Dollars,
    /// NO price (`1 − yes`).
    pub no_price_dollars: Dollars,
    /// Contracts.
    pub count_fp: Count,
    /// Deprecated taker side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_side: Option<Side>,
    /// The outcome the taker bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_outcome_side: Option<Side>,
    /// Same bit as `taker_outcome_side`, book vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_book_side: Option<BookSide>,
    /// Matched off book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_block_trade: Option<bool>,
    /// Seconds (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

impl TradeMsg {
    /// The taker's outcome side, from whichever field the frame has.
    pub fn taker(&self) -> Option<Side> {
        self.taker_outcome_side
            .or(self.taker_book_side.map(BookSide::outcome))
            .or(self.taker_side)
    }
}

/// `msg` of a seed-era `ticker_v2` frame: changes since the last frame, integer cents.
///
/// `{"type":"ticker_v2","sid":3,"seq":8,"msg":{"market_ticker":"INXD-23SEP29-B4355","price":52,"yes_bid":51,"yes_ask":53,"volume_delta":10,"open_interest_delta":5,"dollar_volume_delta":5,"dollar_open_interest_delta":3,"ts":1695925200}}`
/// Newer frames of the same type may carry `*_dollars`/`*_fp` fields; use the accessors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TickerV2Msg {
    /// The market.
    pub market_ticker: MarketTicker,
    /// Last price, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Best YES bid, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid: Option<i64>,
    /// Best YES ask, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask: Option<i64>,
    /// Last price, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_dollars: Option<Dollars>,
    /// Best YES bid, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid_dollars: Option<Dollars>,
    /// Best YES ask, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask_dollars: Option<Dollars>,
    /// Contracts traded since the last frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_delta: Option<i64>,
    /// Open interest change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest_delta: Option<i64>,
    /// Traded notional change, whole dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_volume_delta: Option<i64>,
    /// Open-interest notional change, whole dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_open_interest_delta: Option<i64>,
    /// Seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

impl TickerV2Msg {
    /// Last price, whichever era.
    pub fn last_price(&self) -> Option<Dollars> {
        self.price_dollars.or(self.price.map(Dollars::from_cents))
    }
    /// Best YES bid, whichever era.
    pub fn best_yes_bid(&self) -> Option<Dollars> {
        self.yes_bid_dollars
            .or(self.yes_bid.map(Dollars::from_cents))
    }
    /// Best YES ask, whichever era.
    pub fn best_yes_ask(&self) -> Option<Dollars> {
        self.yes_ask_dollars
            .or(self.yes_ask.map(Dollars::from_cents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }

    #[test]
    fn a_ticker_merges_what_changed_and_marks_at_the_quoted_mid() {
        let mut t = TickerMsg {
            market_ticker: MarketTicker::from("KXDESK-26DEC31-T50"),
            yes_bid_dollars: Some(d("0.4000")),
            yes_ask_dollars: Some(d("0.4500")),
            price_dollars: Some(d("0.4200")),
            ..TickerMsg::default()
        };
        assert_eq!(t.mid(), Some(d("0.4250")));
        t.merge(TickerMsg {
            market_ticker: t.market_ticker.clone(),
            yes_bid_dollars: Some(d("0.4100")),
            ..TickerMsg::default()
        });
        assert_eq!(t.price_dollars, Some(d("0.4200")), "kept");
        assert_eq!(t.mid(), Some(d("0.4300")));
        t.yes_bid_dollars = Some(Dollars::ZERO);
        assert_eq!(t.mid(), None, "no bid, no mid");
        t.yes_bid_dollars = Some(d("0.4100"));
        t.yes_ask_dollars = Some(Dollars::ONE);
        assert_eq!(t.mid(), None, "no ask, no mid");
    }
}
