//! The frame envelope: every `type` Kalshi sends as one enum, and the control frames
//! (`subscribed`, `ok`, `error` with Kalshi's error codes).

use serde::{Deserialize, Serialize};

use crate::ids::{MarketTicker, Seq, Sid};

use super::{
    FillMsg, MarketPositionMsg, OrderbookDeltaMsg, OrderbookSnapshotMsg, TickerMsg, TickerV2Msg,
    TradeMsg, UserOrderMsg,
};
use crate::ws_msg::{
    Cfbenchmarks5HzIndexListMsg, CfbenchmarksIndexListMsg, CfbenchmarksValue5HzMsg,
    CfbenchmarksValueMsg, EventFeeUpdateMsg, EventLifecycleMsg, MarketLifecycleV2Msg,
    MultivariateLookupMsg, MultivariateMarketLifecycleMsg, OrderGroupUpdatesMsg,
    PythUnderlyingListMsg, PythValueMsg, QuoteAcceptedMsg, QuoteCreatedMsg, QuoteExecutedMsg,
    RfqCreatedMsg, RfqDeletedMsg, SubscribedIndicesResponseMsg, SubscribedUnderlyingsResponseMsg,
};

/// Every frame Kalshi sends, keyed by `type`. Use [`decode`] to read one.
///
/// `#[non_exhaustive]`: Kalshi adds message types; matches elsewhere need a `_` arm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// `{"type":"subscribed","id":1,"msg":{"channel":"trade","sid":2}}`
    Subscribed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        msg: SubscribedMsg,
    },
    /// `{"type":"unsubscribed","id":3,"sid":2,"seq":7}`
    Unsubscribed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
    },
    /// `{"type":"ok","id":1,"sid":1,"seq":2,"msg":{"market_tickers":[…]}}`; for
    /// `list_subscriptions`, `msg` is an array of `{channel, sid}`.
    Ok {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sid: Option<Sid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg: Option<serde_json::Value>,
    },
    /// `{"type":"error","id":2,"msg":{"code":8,"msg":"Unknown channel name"}}`
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sid: Option<Sid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: ErrorMsg,
    },
    /// Full book for one market; starts (or restarts) the `sid`'s sequence.
    OrderbookSnapshot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Best prices, last trade, volume.
    Ticker {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: TickerMsg,
    },
    /// A public trade.
    Trade {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: TradeMsg,
    },
    /// One of our fills.
    Fill {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: FillMsg,
    },
    /// One of our positions changed.
    MarketPosition {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: MarketPositionMsg,
    },
    /// One of our orders was created or changed.
    UserOrder {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: UserOrderMsg,
    },
    /// A market opened, paused, closed, was determined or settled, or its metadata changed (`market_lifecycle_v2`).
    #[serde(rename = "market_lifecycle_v2")]
    MarketLifecycleV2 {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: MarketLifecycleV2Msg,
    },
    /// Lifecycle of a multivariate (combo) market.
    #[serde(rename = "multivariate_market_lifecycle")]
    MultivariateMarketLifecycle {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: MultivariateMarketLifecycleMsg,
    },
    /// An event was created or changed (on `market_lifecycle_v2`).
    #[serde(rename = "event_lifecycle")]
    EventLifecycle {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: EventLifecycleMsg,
    },
    /// An event's fee override changed.
    #[serde(rename = "event_fee_update")]
    EventFeeUpdate {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: EventFeeUpdateMsg,
    },
    /// One of our order groups changed (authenticated).
    #[serde(rename = "order_group_updates")]
    OrderGroupUpdates {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: OrderGroupUpdatesMsg,
    },
    /// An RFQ was created (`communications`).
    #[serde(rename = "rfq_created")]
    RfqCreated {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: RfqCreatedMsg,
    },
    /// An RFQ was deleted (`communications`).
    #[serde(rename = "rfq_deleted")]
    RfqDeleted {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: RfqDeletedMsg,
    },
    /// A quote was created (`communications`).
    #[serde(rename = "quote_created")]
    QuoteCreated {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: QuoteCreatedMsg,
    },
    /// A quote was accepted (`communications`).
    #[serde(rename = "quote_accepted")]
    QuoteAccepted {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: QuoteAcceptedMsg,
    },
    /// A quote was executed (`communications`).
    #[serde(rename = "quote_executed")]
    QuoteExecuted {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: QuoteExecutedMsg,
    },
    /// A CF Benchmarks index value.
    #[serde(rename = "cfbenchmarks_value")]
    CfbenchmarksValue {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: CfbenchmarksValueMsg,
    },
    /// The CF Benchmarks indices available (answer to `indexlist`).
    #[serde(rename = "cfbenchmarks_value_indexlist")]
    CfbenchmarksValueIndexlist {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: CfbenchmarksIndexListMsg,
    },
    /// A CF Benchmarks 5 Hz index value.
    #[serde(rename = "cfbenchmarks_value_5hz")]
    CfbenchmarksValue5Hz {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: CfbenchmarksValue5HzMsg,
    },
    /// The 5 Hz indices available.
    #[serde(rename = "cfbenchmarks_value_5hz_indexlist")]
    CfbenchmarksValue5HzIndexlist {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: Cfbenchmarks5HzIndexListMsg,
    },
    /// A Pyth price.
    #[serde(rename = "pyth_value")]
    PythValue {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: PythValueMsg,
    },
    /// The Pyth underlyings available (answer to `underlying_list`).
    #[serde(rename = "pyth_value_underlying_list")]
    PythValueUnderlyingList {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: PythUnderlyingListMsg,
    },
    /// 2026-03 spec (retired): a multivariate lookup on the `multivariate` channel.
    #[serde(rename = "multivariate_lookup")]
    MultivariateLookup {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: MultivariateLookupMsg,
    },
    /// Seed era: ticker deltas with integer cents (`ticker_v2`).
    #[serde(rename = "ticker_v2")]
    TickerV2 {
        sid: Sid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
        msg: TickerV2Msg,
    },
    /// Any other `type` (kept raw by [`decode`]).
    #[serde(other)]
    Unknown,
}

impl ServerFrame {
    /// The frame's `sid`, if it has one.
    pub fn sid(&self) -> Option<Sid> {
        match self {
            ServerFrame::Subscribed { msg, .. } => Some(msg.sid),
            ServerFrame::Unsubscribed { sid, .. }
            | ServerFrame::OrderbookSnapshot { sid, .. }
            | ServerFrame::OrderbookDelta { sid, .. }
            | ServerFrame::Ticker { sid, .. }
            | ServerFrame::Trade { sid, .. }
            | ServerFrame::Fill { sid, .. }
            | ServerFrame::MarketPosition { sid, .. }
            | ServerFrame::UserOrder { sid, .. }
            | ServerFrame::MarketLifecycleV2 { sid, .. }
            | ServerFrame::MultivariateMarketLifecycle { sid, .. }
            | ServerFrame::EventLifecycle { sid, .. }
            | ServerFrame::EventFeeUpdate { sid, .. }
            | ServerFrame::OrderGroupUpdates { sid, .. }
            | ServerFrame::RfqCreated { sid, .. }
            | ServerFrame::RfqDeleted { sid, .. }
            | ServerFrame::QuoteCreated { sid, .. }
            | ServerFrame::QuoteAccepted { sid, .. }
            | ServerFrame::QuoteExecuted { sid, .. }
            | ServerFrame::CfbenchmarksValue { sid, .. }
            | ServerFrame::CfbenchmarksValueIndexlist { sid, .. }
            | ServerFrame::CfbenchmarksValue5Hz { sid, .. }
            | ServerFrame::CfbenchmarksValue5HzIndexlist { sid, .. }
            | ServerFrame::PythValue { sid, .. }
            | ServerFrame::PythValueUnderlyingList { sid, .. }
            | ServerFrame::MultivariateLookup { sid, .. }
            | ServerFrame::TickerV2 { sid, .. } => Some(*sid),
            ServerFrame::Ok { sid, .. } | ServerFrame::Error { sid, .. } => *sid,
            ServerFrame::Unknown => None,
        }
    }
    /// The frame's `seq`, if it has one.
    pub fn seq(&self) -> Option<Seq> {
        match self {
            ServerFrame::OrderbookSnapshot { seq, .. }
            | ServerFrame::OrderbookDelta { seq, .. } => Some(*seq),
            ServerFrame::Unsubscribed { seq, .. }
            | ServerFrame::Ok { seq, .. }
            | ServerFrame::Error { seq, .. }
            | ServerFrame::Ticker { seq, .. }
            | ServerFrame::Trade { seq, .. }
            | ServerFrame::Fill { seq, .. }
            | ServerFrame::MarketPosition { seq, .. }
            | ServerFrame::UserOrder { seq, .. }
            | ServerFrame::MarketLifecycleV2 { seq, .. }
            | ServerFrame::MultivariateMarketLifecycle { seq, .. }
            | ServerFrame::EventLifecycle { seq, .. }
            | ServerFrame::EventFeeUpdate { seq, .. }
            | ServerFrame::OrderGroupUpdates { seq, .. }
            | ServerFrame::RfqCreated { seq, .. }
            | ServerFrame::RfqDeleted { seq, .. }
            | ServerFrame::QuoteCreated { seq, .. }
            | ServerFrame::QuoteAccepted { seq, .. }
            | ServerFrame::QuoteExecuted { seq, .. }
            | ServerFrame::CfbenchmarksValue { seq, .. }
            | ServerFrame::CfbenchmarksValueIndexlist { seq, .. }
            | ServerFrame::CfbenchmarksValue5Hz { seq, .. }
            | ServerFrame::CfbenchmarksValue5HzIndexlist { seq, .. }
            | ServerFrame::PythValue { seq, .. }
            | ServerFrame::PythValueUnderlyingList { seq, .. }
            | ServerFrame::MultivariateLookup { seq, .. }
            | ServerFrame::TickerV2 { seq, .. } => *seq,
            ServerFrame::Subscribed { .. } | ServerFrame::Unknown => None,
        }
    }
}

/// `msg` of `subscribed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscribedMsg {
    /// The channel name as sent (kept as text: a newer channel must not break the ack).
    pub channel: String,
    /// The new subscription's id.
    pub sid: Sid,
}

/// `msg` of `error` (`errorResponsePayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorMsg {
    /// Numeric code; see [`error_code`].
    pub code: u32,
    /// Human-readable text.
    pub msg: String,
    /// Market the error concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
}

/// Kalshi's WebSocket error codes (AsyncAPI "Error Codes Reference").
pub mod error_code {
    /// General processing error.
    pub const UNABLE_TO_PROCESS: u32 = 1;
    /// Missing params object.
    pub const PARAMS_REQUIRED: u32 = 2;
    /// Missing channels array.
    pub const CHANNELS_REQUIRED: u32 = 3;
    /// Missing sids.
    pub const SIDS_REQUIRED: u32 = 4;
    /// Invalid command name.
    pub const UNKNOWN_COMMAND: u32 = 5;
    /// Subscription id not found.
    pub const UNKNOWN_SID: u32 = 7;
    /// Invalid channel.
    pub const UNKNOWN_CHANNEL: u32 = 8;
    /// Channel requires an authenticated connection.
    pub const AUTH_REQUIRED: u32 = 9;
    /// Channel-specific error; terminal: resubscribe.
    pub const CHANNEL_ERROR: u32 = 10;
    /// Malformed parameter value.
    pub const INVALID_PARAMETER: u32 = 11;
    /// `update_subscription` needs exactly one sid.
    pub const EXACTLY_ONE_SID: u32 = 12;
    /// Invalid `update_subscription` action.
    pub const UNSUPPORTED_ACTION: u32 = 13;
    /// Missing market specification.
    pub const MARKET_TICKER_REQUIRED: u32 = 14;
    /// Missing action.
    pub const ACTION_REQUIRED: u32 = 15;
    /// Subscription buffer overflow; terminal: resubscribe.
    pub const BUFFER_OVERFLOW: u32 = 25;
    /// Server timed out while processing the command.
    pub const COMMAND_TIMEOUT: u32 = 18;
    /// `shard_factor` must be > 0.
    pub const SHARD_FACTOR_ZERO: u32 = 19;
    /// `shard_factor` is required when `shard_key` is set.
    pub const SHARD_FACTOR_REQUIRED: u32 = 20;
    /// `shard_key` must be >= 0 and < `shard_factor`.
    pub const SHARD_KEY_RANGE: u32 = 21;
    /// `shard_factor` must be <= 100.
    pub const SHARD_FACTOR_TOO_LARGE: u32 = 22;
    /// Missing `match_ids`.
    pub const MATCH_IDS_REQUIRED: u32 = 23;
    /// Missing `index_ids` (CF Benchmarks channels).
    pub const INDEX_IDS_REQUIRED: u32 = 24;
    /// Adding markets would exceed the per-subscription market limit.
    pub const MARKET_LIMIT_EXCEEDED: u32 = 26;
    /// The subscription exceeded its command rate limit.
    pub const TOO_MANY_REQUESTS: u32 = 27;
    /// Missing `underlying_tickers` (Pyth channel).
    pub const UNDERLYING_TICKERS_REQUIRED: u32 = 28;

    /// One row of the AsyncAPI "Error Codes Reference" (`x-error-codes`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ErrorCode {
        /// The numeric `msg.code`.
        pub code: u32,
        /// Kalshi's name for it (also the usual `msg.msg`).
        pub name: &'static str,
        /// What it means.
        pub meaning: &'static str,
        /// True when the subscription is gone and must be re-opened.
        pub terminal: bool,
    }

    /// Every code the newest AsyncAPI lists (6, 16 and 17 are retired and never sent).
    pub const ALL: &[ErrorCode] = &[
        ErrorCode { code: 1, name: "Unable to process message", meaning: "General processing error", terminal: false },
        ErrorCode { code: 2, name: "Params required", meaning: "Missing params object in command", terminal: false },
        ErrorCode { code: 3, name: "Channels required", meaning: "Missing channels array in subscribe", terminal: false },
        ErrorCode { code: 4, name: "Subscription IDs required", meaning: "Missing sids in unsubscribe", terminal: false },
        ErrorCode { code: 5, name: "Unknown command", meaning: "Invalid command name", terminal: false },
        ErrorCode { code: 7, name: "Unknown subscription ID", meaning: "Subscription ID not found", terminal: false },
        ErrorCode { code: 8, name: "Unknown channel name", meaning: "Invalid channel in subscribe", terminal: false },
        ErrorCode { code: 9, name: "Authentication required", meaning: "Channel requires authenticated connection", terminal: false },
        ErrorCode { code: 10, name: "Channel error", meaning: "Channel-specific error; the subscription is closed", terminal: true },
        ErrorCode { code: 11, name: "Invalid parameter", meaning: "Malformed parameter value", terminal: false },
        ErrorCode { code: 12, name: "Exactly one subscription ID is required", meaning: "For update_subscription command", terminal: false },
        ErrorCode { code: 13, name: "Unsupported action", meaning: "Invalid action for update_subscription", terminal: false },
        ErrorCode { code: 14, name: "Market Ticker required", meaning: "Missing market specification (market_ticker or market_id)", terminal: false },
        ErrorCode { code: 15, name: "Action required", meaning: "Missing action in update_subscription", terminal: false },
        ErrorCode { code: 18, name: "Command timeout", meaning: "Server timed out while processing command", terminal: false },
        ErrorCode { code: 19, name: "shard_factor must be > 0", meaning: "Invalid shard_factor", terminal: false },
        ErrorCode { code: 20, name: "shard_factor is required when shard_key is set", meaning: "Missing shard_factor when shard_key is set", terminal: false },
        ErrorCode { code: 21, name: "shard_key must be >= 0 and < shard_factor", meaning: "Invalid shard_key", terminal: false },
        ErrorCode { code: 22, name: "shard_factor must be <= 100", meaning: "shard_factor too large", terminal: false },
        ErrorCode { code: 23, name: "Match IDs required", meaning: "Missing match_ids for the channel/action", terminal: false },
        ErrorCode { code: 24, name: "Index IDs required", meaning: "Missing index_ids for subscribe_indices/unsubscribe_indices on cfbenchmarks_value / cfbenchmarks_value_5hz", terminal: false },
        ErrorCode { code: 25, name: "Subscription buffer overflow", meaning: "The subscription's outbound buffer was exceeded; the subscription is closed", terminal: true },
        ErrorCode { code: 26, name: "Subscription market limit exceeded", meaning: "Adding markets would exceed the per-subscription market limit", terminal: false },
        ErrorCode { code: 27, name: "Too many requests", meaning: "The subscription exceeded its command rate limit", terminal: false },
        ErrorCode { code: 28, name: "Underlying tickers required", meaning: "Missing underlying_tickers for subscribe_underlyings/unsubscribe_underlyings on pyth_value", terminal: false },
    ];

    /// The table row for `code`, if Kalshi documents it.
    pub fn lookup(code: u32) -> Option<&'static ErrorCode> {
        ALL.iter().find(|e| e.code == code)
    }

    /// True for codes after which the subscription is gone and must be re-opened.
    pub const fn is_terminal(code: u32) -> bool {
        matches!(code, CHANNEL_ERROR | BUFFER_OVERFLOW)
    }
}

/// `msg` of an `ok` reply to `update_subscription` add/delete (`okResponsePayload`):
/// `{"market_tickers":["KXBTCD-26MAY2008-T77299.99"]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OkMarketsMsg {
    /// The subscription's markets after the update.
    #[serde(default)]
    pub market_tickers: Vec<MarketTicker>,
    /// The same markets by UUID, when subscribed by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ids: Option<Vec<String>>,
}

/// The `msg` of an `ok` frame, read by its shape (the spec gives four, all `type: ok`):
/// AsyncAPI `okResponse`, `listSubscriptionsResponse`, `subscribedIndicesResponse`,
/// `subscribedUnderlyingsResponse`.
#[derive(Clone, Debug, PartialEq)]
pub enum OkMsg {
    /// `{"market_tickers":[…]}`.
    Markets(OkMarketsMsg),
    /// `[{"channel":"trade","sid":2}, …]` (reply to `list_subscriptions`).
    List(Vec<SubscribedMsg>),
    /// `{"index_ids":["all"]}` (CF Benchmarks update).
    Indices(SubscribedIndicesResponseMsg),
    /// `{"underlying_tickers":["Crypto.BTC/USD"]}` (Pyth update).
    Underlyings(SubscribedUnderlyingsResponseMsg),
    /// No `msg`, or a shape this build does not know.
    Other(Option<serde_json::Value>),
}

impl OkMsg {
    /// Reads an `ok` frame's `msg`. Shapes are told apart by their one required key.
    pub fn from_value(msg: Option<&serde_json::Value>) -> OkMsg {
        let Some(v) = msg else {
            return OkMsg::Other(None);
        };
        let read = || OkMsg::Other(Some(v.clone()));
        match v {
            serde_json::Value::Array(_) => {
                serde_json::from_value(v.clone()).map_or_else(|_| read(), OkMsg::List)
            }
            serde_json::Value::Object(o) if o.contains_key("index_ids") => {
                serde_json::from_value(v.clone()).map_or_else(|_| read(), OkMsg::Indices)
            }
            serde_json::Value::Object(o) if o.contains_key("underlying_tickers") => {
                serde_json::from_value(v.clone()).map_or_else(|_| read(), OkMsg::Underlyings)
            }
            serde_json::Value::Object(o)
                if o.contains_key("market_tickers") || o.contains_key("market_ids") =>
            {
                serde_json::from_value(v.clone()).map_or_else(|_| read(), OkMsg::Markets)
            }
            _ => read(),
        }
    }
    /// The JSON `msg` to send.
    pub fn to_value(&self) -> Option<serde_json::Value> {
        match self {
            OkMsg::Markets(m) => serde_json::to_value(m).ok(),
            OkMsg::List(l) => serde_json::to_value(l).ok(),
            OkMsg::Indices(m) => serde_json::to_value(m).ok(),
            OkMsg::Underlyings(m) => serde_json::to_value(m).ok(),
            OkMsg::Other(v) => v.clone(),
        }
    }
}
