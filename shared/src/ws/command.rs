//! Commands the desk sends: `subscribe`, `unsubscribe`, `update_subscription`,
//! `list_subscriptions`, and the channel names.

use serde::{Deserialize, Serialize};

use crate::ids::{MarketTicker, Sid};

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
