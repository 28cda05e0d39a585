//! Kalshi WebSocket API: commands we send, and every frame we receive.
//!
//! Source: `kalshi-asyncapi.yaml` (server `wss://external-api-ws.kalshi.com/trade-api/ws/v2`).
//! Incoming frames are one internally tagged enum, [`ServerFrame`], keyed by `type`;
//! [`decode`] adds the two things serde cannot: unknown `type`s keep their raw JSON, and a
//! frame whose body is malformed still yields its `sid`/`seq` so sequencing never breaks.
//!
//! Raw examples:
//! ```json
//! {"id":1,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_tickers":["KXBTCD-26MAY2008-T77299.99"]}}
//! {"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":1}}
//! {"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"KXBTCD-26MAY2008-T77299.99","market_id":"…","price_dollars":"0.4500","delta_fp":"-10.00","side":"yes","ts_ms":1779278084819}}
//! ```

use serde::{Deserialize, Serialize};

use crate::ids::{BookSide, MarketTicker, OrderId, Seq, Sid, Side, TradeId};
use crate::num::{Count, Dollars};
use crate::rest::{OrderStatus, SelfTradePrevention};
pub use crate::ws_msg::*;

/// A channel name in `subscribe` (`subscribeCommandPayload.params.channels`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Book snapshots and deltas, sequenced per `sid`.
    OrderbookDelta,
    /// Best bid/ask, last price, volume.
    Ticker,
    /// Public trades.
    Trade,
    /// Our fills (authenticated).
    Fill,
    /// Our per-market positions (authenticated).
    MarketPositions,
    /// Market lifecycle events.
    MarketLifecycleV2,
    /// Multivariate (combo) market lifecycle events.
    MultivariateMarketLifecycle,
    /// RFQ and quote events.
    Communications,
    /// Order group updates (authenticated).
    OrderGroupUpdates,
    /// Our orders created/updated (authenticated).
    UserOrders,
    /// CF Benchmarks index values.
    CfbenchmarksValue,
    /// CF Benchmarks 5 Hz index values.
    #[serde(rename = "cfbenchmarks_value_5hz")]
    CfbenchmarksValue5Hz,
    /// Pyth price values.
    PythValue,
    /// Seed era: the first ticker channel with integer-cent fields (`ticker_v2` frames).
    TickerV2,
    /// 2026-03 spec: legacy multivariate lookups (`multivariate_lookup` frames).
    Multivariate,
}

impl Channel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::OrderbookDelta => "orderbook_delta",
            Channel::Ticker => "ticker",
            Channel::Trade => "trade",
            Channel::Fill => "fill",
            Channel::MarketPositions => "market_positions",
            Channel::MarketLifecycleV2 => "market_lifecycle_v2",
            Channel::MultivariateMarketLifecycle => "multivariate_market_lifecycle",
            Channel::Communications => "communications",
            Channel::OrderGroupUpdates => "order_group_updates",
            Channel::UserOrders => "user_orders",
            Channel::CfbenchmarksValue => "cfbenchmarks_value",
            Channel::CfbenchmarksValue5Hz => "cfbenchmarks_value_5hz",
            Channel::PythValue => "pyth_value",
            Channel::TickerV2 => "ticker_v2",
            Channel::Multivariate => "multivariate",
        }
    }
    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Channel> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
    /// True for channels that are filtered by market ticker.
    pub fn is_market_scoped(self) -> bool {
        matches!(
            self,
            Channel::OrderbookDelta | Channel::Ticker | Channel::Trade
        )
    }
}

/// A command frame we send: `{"id":N,"cmd":"…","params":{…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Client-chosen id, echoed in the reply (`commandId`).
    pub id: u64,
    /// The command and its parameters.
    #[serde(flatten)]
    pub body: CommandBody,
}

/// The command names and their `params` (`sendSubscribe`, `sendUnsubscribe`,
/// `sendUpdateSubscription`, `sendListSubscriptions`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", content = "params", rename_all = "snake_case")]
pub enum CommandBody {
    /// Open a subscription on one or more channels.
    Subscribe(SubscribeParams),
    /// Close subscriptions.
    Unsubscribe(UnsubscribeParams),
    /// Add/remove markets on one subscription, or ask for a fresh snapshot.
    UpdateSubscription(UpdateSubscriptionParams),
    /// List this connection's subscriptions.
    ListSubscriptions,
}

/// `params` of `subscribe`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscribeParams {
    /// Channels to open (one `sid` each).
    pub channels: Vec<Channel>,
    /// One market (exclusive with `market_tickers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// Several markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<MarketTicker>>,
    /// Ticker channel: send an initial ticker snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_initial_snapshot: Option<bool>,
    /// Ok replies omit the ticker list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_ticker_ack: Option<bool>,
    /// Orderbook channel: report no-side levels in yes-leg pricing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_yes_price: Option<bool>,
    /// One market by UUID (alternative to `market_ticker`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Several markets by UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ids: Option<Vec<String>>,
    /// `"self"` limits `communications` to our own RFQs/quotes; `""` = all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_filter: Option<String>,
    /// Shard the channel's markets over this many connections (1..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_factor: Option<u32>,
    /// This connection's shard (`0 <= shard_key < shard_factor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_key: Option<u32>,
    /// `cfbenchmarks_value(_5hz)`: index ids (`["all"]` for every index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_ids: Option<Vec<String>>,
    /// `pyth_value`: underlying tickers (e.g. `"Crypto.BTC/USD"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlying_tickers: Option<Vec<String>>,
}

/// `params` of `unsubscribe`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeParams {
    /// Subscriptions to close.
    pub sids: Vec<Sid>,
}

/// `action` of `update_subscription` (AsyncAPI messages `updateSubscriptionCommand`,
/// `updateSubscriptionDeleteCommand`, `updateSubscriptionGetSnapshotCommand`,
/// `cfbenchmarksUpdateSubscriptionCommand`, `pythUpdateSubscriptionCommand`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    /// Add markets to the subscription.
    AddMarkets,
    /// Remove markets from the subscription.
    DeleteMarkets,
    /// Send a fresh `orderbook_snapshot` for the subscription's markets (the default: it
    /// needs no other parameter).
    #[default]
    GetSnapshot,
    /// `cfbenchmarks_value(_5hz)`: add `index_ids`.
    SubscribeIndices,
    /// `cfbenchmarks_value(_5hz)`: remove `index_ids`.
    UnsubscribeIndices,
    /// `cfbenchmarks_value(_5hz)`: answer with the available index ids.
    Indexlist,
    /// `pyth_value`: add `underlying_tickers`.
    SubscribeUnderlyings,
    /// `pyth_value`: remove `underlying_tickers`.
    UnsubscribeUnderlyings,
    /// `pyth_value`: answer with the available underlyings.
    UnderlyingList,
}

/// `params` of `update_subscription`:
/// `{"sid":1,"market_tickers":["KXBTCD-26MAY2008-T77299.99"],"action":"add_markets"}`,
/// `{"sids":[4],"index_ids":["all"],"action":"subscribe_indices"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateSubscriptionParams {
    /// The one subscription to change (or `sids` with exactly one element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Sid>,
    /// Alternative to `sid`: an array of exactly one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sids: Option<Vec<Sid>>,
    /// One market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// Several markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<MarketTicker>>,
    /// What to do.
    pub action: UpdateAction,
    /// One market by UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Several markets by UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ids: Option<Vec<String>>,
    /// Ticker channel: send snapshots for added markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_initial_snapshot: Option<bool>,
    /// CF Benchmarks index ids for `subscribe_indices`/`unsubscribe_indices`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_ids: Option<Vec<String>>,
    /// Pyth underlyings for `subscribe_underlyings`/`unsubscribe_underlyings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlying_tickers: Option<Vec<String>>,
}

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

/// `msg` of `fill` (authenticated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillMsg {
    /// Trade id: dedupe fills by this.
    pub trade_id: TradeId,
    /// Our order.
    pub order_id: OrderId,
    /// The market.
    pub market_ticker: MarketTicker,
    /// Whether we took liquidity.
    pub is_taker: bool,
    /// YES price of the fill.
    pub yes_price_dollars: Dollars,
    /// Contracts.
    pub count_fp: Count,
    /// Fee, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_cost: Option<Dollars>,
    /// The outcome this fill positioned us for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<Side>,
    /// Same bit, book vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Deprecated action (may be `""`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Deprecated: the outcome bought (same as `outcome_side`); the spec marks it required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchased_side: Option<Side>,
    /// Net position after the fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_position_fp: Option<Count>,
    /// Our client order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i64>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Seconds (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

/// `msg` of `market_position` (authenticated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketPositionMsg {
    /// Our user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The market.
    pub market_ticker: MarketTicker,
    /// Net position: positive = YES contracts, negative = NO contracts.
    pub position_fp: Count,
    /// Cost basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_cost_dollars: Option<Dollars>,
    /// Realized P&L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl_dollars: Option<Dollars>,
    /// Fees paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid_dollars: Option<Dollars>,
    /// Fees attributable to the open position, dollars (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_fee_cost_dollars: Option<Dollars>,
    /// Contracts traded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_fp: Option<Count>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
}

/// `msg` of `user_order` (authenticated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserOrderMsg {
    /// Order id.
    pub order_id: OrderId,
    /// Our user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The market.
    pub ticker: MarketTicker,
    /// Status now.
    pub status: OrderStatus,
    /// The outcome the order positions for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<Side>,
    /// Same bit, book vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// YES price.
    pub yes_price_dollars: Dollars,
    /// Filled so far.
    pub fill_count_fp: Count,
    /// Still resting.
    pub remaining_count_fp: Count,
    /// Placed.
    pub initial_count_fp: Count,
    /// Our client order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Order group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Created, ms (may be null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ts_ms: Option<i64>,
    /// Last update, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts_ms: Option<i64>,
    /// Why it last changed (`Trade`, `Amend`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_reason: Option<String>,
    /// Subaccount (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_number: Option<u32>,
    /// Exchange shard (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i64>,
    /// Deprecated: `outcome_side == yes` (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_yes: Option<bool>,
    /// Cost of taker fills, dollars (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fill_cost_dollars: Option<Dollars>,
    /// Cost of maker fills, dollars (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fill_cost_dollars: Option<Dollars>,
    /// Taker fees, dollars (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fees_dollars: Option<Dollars>,
    /// Maker fees, dollars (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fees_dollars: Option<Dollars>,
    /// Deprecated RFC 3339 creation time (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// The order's self-trade prevention (spec: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_type: Option<SelfTradePrevention>,
}

impl UserOrderMsg {
    /// The order's outcome side, from whichever field the frame has.
    pub fn outcome(&self) -> Side {
        self.outcome_side
            .or(self.book_side.map(BookSide::outcome))
            .or(self.side)
            .unwrap_or(Side::Yes)
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

/// A decoded incoming frame.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a frame is decoded once and moved into its handler; a Box would cost an allocation per frame on the hot path"
)]
pub enum Incoming {
    /// A frame of a known `type`.
    Known(ServerFrame),
    /// A frame whose `type` this build does not model; kept whole.
    Unknown {
        /// Its `type`.
        kind: String,
        /// Its `sid`, if any.
        sid: Option<Sid>,
        /// Its `seq`, if any (it still counts in the sequence).
        seq: Option<Seq>,
        /// The raw JSON.
        raw: serde_json::Value,
    },
}

/// A frame that could not be read. Carries what could be salvaged so a sequencer can
/// still count the frame's `seq`.
#[derive(Debug, thiserror::Error)]
#[error("malformed {kind:?} frame (sid {sid:?}, seq {seq:?}): {source}")]
pub struct FrameError {
    /// The `type`, if the text was at least a JSON object with one.
    pub kind: Option<String>,
    /// The `sid`, if readable.
    pub sid: Option<Sid>,
    /// The `seq`, if readable.
    pub seq: Option<Seq>,
    /// Why decoding failed.
    #[source]
    pub source: serde_json::Error,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    sid: Option<Sid>,
    seq: Option<Seq>,
}

/// Decodes one text frame from Kalshi.
///
/// # Errors
/// [`FrameError`] when the text is not JSON or a known frame's body does not match its
/// schema; the error keeps the `type`/`sid`/`seq` when they were readable.
pub fn decode(text: &str) -> Result<Incoming, FrameError> {
    match serde_json::from_str::<ServerFrame>(text) {
        Ok(ServerFrame::Unknown) => {
            let raw: serde_json::Value =
                serde_json::from_str(text).map_err(|source| FrameError {
                    kind: None,
                    sid: None,
                    seq: None,
                    source,
                })?;
            let env: Envelope = serde_json::from_value(raw.clone()).unwrap_or(Envelope {
                kind: None,
                sid: None,
                seq: None,
            });
            Ok(Incoming::Unknown {
                kind: env.kind.unwrap_or_default(),
                sid: env.sid,
                seq: env.seq,
                raw,
            })
        }
        Ok(frame) => Ok(Incoming::Known(frame)),
        Err(source) => {
            let env = serde_json::from_str::<Envelope>(text).ok();
            Err(FrameError {
                kind: env.as_ref().and_then(|e| e.kind.clone()),
                sid: env.as_ref().and_then(|e| e.sid),
                seq: env.as_ref().and_then(|e| e.seq),
                source,
            })
        }
    }
}
