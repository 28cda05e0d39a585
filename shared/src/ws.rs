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
use crate::rest::OrderStatus;

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
}

/// `params` of `unsubscribe`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeParams {
    /// Subscriptions to close.
    pub sids: Vec<Sid>,
}

/// `action` of `update_subscription`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    /// Add markets to the subscription.
    AddMarkets,
    /// Remove markets from the subscription.
    DeleteMarkets,
    /// Send a fresh `orderbook_snapshot` for the subscription's markets.
    GetSnapshot,
}

/// `params` of `update_subscription`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// Every frame Kalshi sends, keyed by `type`. Use [`decode`] to read one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
            | ServerFrame::UserOrder { sid, .. } => Some(*sid),
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
            | ServerFrame::UserOrder { seq, .. } => *seq,
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

/// A decoded incoming frame.
#[derive(Clone, Debug, PartialEq)]
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
