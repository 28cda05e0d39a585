//! Wire shapes the simulator sends that `shared` does not (fully) model yet.
//!
//! Each extends a `shared` type with the fields the spec marks required but the shared
//! type lacks (flattened, so the JSON is exactly the spec's), or is a response body the
//! shared crate has no type for. Outgoing WebSocket frames are the typed [`OutFrame`].

use serde::Serialize;
use shared::ids::{BookSide, MarketTicker, Seq, Sid, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::rest::SelfTradePrevention;
use shared::ws::{
    ErrorMsg, FillMsg, MarketPositionMsg, OrderbookDeltaMsg, OrderbookSnapshotMsg, SubscribedMsg,
    TickerMsg, TradeMsg, UserOrderMsg,
};

/// `msg` of `ticker` (AsyncAPI `tickerPayload`): [`TickerMsg`] plus the required,
/// deprecated RFC 3339 `time` (`"2022-11-22T20:44:01Z"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimTickerMsg {
    /// The shared fields.
    #[serde(flatten)]
    pub base: TickerMsg,
    /// When the update happened (RFC 3339, seconds).
    pub time: String,
}

/// `msg` of `fill` (AsyncAPI `fillPayload`): [`FillMsg`] plus the required, deprecated
/// `purchased_side`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimFillMsg {
    /// The shared fields.
    #[serde(flatten)]
    pub base: FillMsg,
    /// The outcome bought (same as `outcome_side`).
    pub purchased_side: Side,
}

/// `msg` of `market_position` (AsyncAPI `marketPositionPayload`): [`MarketPositionMsg`]
/// plus the required `position_fee_cost_dollars`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimMarketPositionMsg {
    /// The shared fields.
    #[serde(flatten)]
    pub base: MarketPositionMsg,
    /// Fees attributable to the open position, dollars.
    pub position_fee_cost_dollars: Dollars,
}

/// `msg` of `user_order` (AsyncAPI `userOrderPayload`): [`UserOrderMsg`] plus the
/// required fields it lacks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimUserOrderMsg {
    /// The shared fields.
    #[serde(flatten)]
    pub base: UserOrderMsg,
    /// Exchange shard (always 0 here).
    pub exchange_index: i64,
    /// Deprecated: `outcome_side == yes`.
    pub is_yes: bool,
    /// Cost of taker fills, dollars.
    pub taker_fill_cost_dollars: Dollars,
    /// Cost of maker fills, dollars.
    pub maker_fill_cost_dollars: Dollars,
    /// Taker fees, dollars.
    pub taker_fees_dollars: Dollars,
    /// Maker fees, dollars.
    pub maker_fees_dollars: Dollars,
    /// Deprecated RFC 3339 creation time.
    pub created_time: String,
    /// The order's self-trade prevention.
    pub self_trade_prevention_type: SelfTradePrevention,
}

/// One public trade (OpenAPI schema `Trade`), as `GET /markets/trades` lists it:
/// `{"trade_id":"…","ticker":"…","count_fp":"3.00","yes_price_dollars":"0.5600","no_price_dollars":"0.4400","taker_side":"yes","taker_outcome_side":"yes","taker_book_side":"bid","created_time":"…","is_block_trade":false}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimTrade {
    /// Trade id (UUID).
    pub trade_id: TradeId,
    /// Market.
    pub ticker: MarketTicker,
    /// Contracts.
    pub count_fp: Count,
    /// YES price, dollars.
    pub yes_price_dollars: Dollars,
    /// NO price, dollars.
    pub no_price_dollars: Dollars,
    /// Deprecated taker side.
    pub taker_side: Side,
    /// The outcome the taker bought.
    pub taker_outcome_side: Side,
    /// Same bit, book vocabulary.
    pub taker_book_side: BookSide,
    /// Executed (RFC 3339).
    pub created_time: String,
    /// Always false: the simulator has no block trades.
    pub is_block_trade: bool,
}

/// `GET /markets/trades` (GetTrades) → `{"trades":[…],"cursor":"…"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimTradesResponse {
    /// One page, newest first.
    pub trades: Vec<SimTrade>,
    /// Next page; empty at the end.
    pub cursor: String,
}

/// `msg` of an `ok` frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OkMsg {
    /// Reply to `update_subscription` add/delete: the subscription's markets now.
    Markets {
        /// Markets on the subscription.
        market_tickers: Vec<MarketTicker>,
    },
    /// Reply to `list_subscriptions`.
    List(Vec<SubscribedMsg>),
}

/// Every frame the simulator sends, tagged by `type` exactly like Kalshi's (decodable with
/// [`shared::ws::decode`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutFrame {
    /// `{"type":"subscribed","id":1,"msg":{"channel":"trade","sid":2}}`
    Subscribed {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        msg: SubscribedMsg,
    },
    /// `{"type":"unsubscribed","id":3,"sid":2,"seq":7}`
    Unsubscribed {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        sid: Sid,
        seq: Seq,
    },
    /// `{"type":"ok","id":1,"sid":1,"seq":2,"msg":{"market_tickers":[…]}}`
    Ok {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sid: Option<Sid>,
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: OkMsg,
    },
    /// `{"type":"error","id":2,"msg":{"code":8,"msg":"Unknown channel name"}}`
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sid: Option<Sid>,
        msg: ErrorMsg,
    },
    /// Full book of one market.
    OrderbookSnapshot {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        sid: Sid,
        seq: Seq,
        msg: OrderbookSnapshotMsg,
    },
    /// One level change.
    OrderbookDelta {
        sid: Sid,
        seq: Seq,
        msg: OrderbookDeltaMsg,
    },
    /// Ticker (no `seq`, as in the AsyncAPI).
    Ticker { sid: Sid, msg: SimTickerMsg },
    /// Public trade.
    Trade { sid: Sid, seq: Seq, msg: TradeMsg },
    /// Our fill.
    Fill { sid: Sid, seq: Seq, msg: SimFillMsg },
    /// Our position.
    MarketPosition {
        sid: Sid,
        seq: Seq,
        msg: SimMarketPositionMsg,
    },
    /// Our order.
    UserOrder {
        sid: Sid,
        seq: Seq,
        msg: SimUserOrderMsg,
    },
}

/// RFC 3339 (UTC, microseconds) for a Unix time in milliseconds.
pub fn rfc3339_ms(ts_ms: i64) -> String {
    let nanos = i128::from(ts_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// RFC 3339 (UTC, whole seconds) for a Unix time in milliseconds.
pub fn rfc3339_s(ts_ms: i64) -> String {
    rfc3339_ms(ts_ms.div_euclid(1000) * 1000)
}
