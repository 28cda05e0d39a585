//! Private (authenticated) messages: fills, market positions and user orders.

use serde::{Deserialize, Serialize};

use crate::ids::{BookSide, MarketTicker, OrderId, Side, TradeId};
use crate::num::{Count, Dollars};
use crate::rest::{OrderStatus, SelfTradePrevention};

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
