//! Kalshi Trade API v2 REST bodies used by the desk (`kalshi-openapi.yaml` 3.31).
//!
//! Every response type decodes the newest shape and the transitional/legacy ones
//! (integer cents, integer counts, `orderbook` instead of `orderbook_fp`): unknown fields
//! are ignored and fields Kalshi has added over time are optional. Paths are relative to
//! `/trade-api/v2`.

use serde::{Deserialize, Serialize};

use crate::ids::{Action, BookSide, EventTicker, MarketTicker, OrderId, Side, TradeId};
use crate::num::{Count, Dollars};

/// The API prefix every REST path and the signing text carry.
pub const API_PREFIX: &str = "/trade-api/v2";
/// The WebSocket path (signed like a `GET`).
pub const WS_PATH: &str = "/trade-api/ws/v2";

/// Bodies the current spec models exactly, used as generated (`shared::api::schema`):
/// `GetExchangeStatus`, and the `CreateOrderV2` and `CancelOrderV2` answers.
pub use crate::api::schema::{CancelOrderV2Response, CreateOrderV2Response, ExchangeStatus};

/// One price band of a market's price level structure (`PriceRange`):
/// `{"start":"0.0000","end":"1.0000","step":"0.0100"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceRange {
    /// Band start, dollars.
    pub start: Dollars,
    /// Band end, dollars.
    pub end: Dollars,
    /// Tick within the band, dollars.
    pub step: Dollars,
}

/// Market status (`Market.status`); `#[serde(other)]` keeps decoding when Kalshi adds one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketStatus {
    /// Created, not yet open.
    Initialized,
    /// Paused.
    Inactive,
    /// Trading.
    Active,
    /// Closed to trading.
    Closed,
    /// Outcome determined.
    Determined,
    /// Under dispute.
    Disputed,
    /// Amended.
    Amended,
    /// Settled and final.
    Finalized,
    /// Seed-era "open".
    Open,
    /// Seed-era "settled".
    Settled,
    /// A status this build does not know.
    #[serde(other)]
    Other,
}

impl MarketStatus {
    /// True when orders are accepted.
    pub fn is_tradable(self) -> bool {
        matches!(self, MarketStatus::Active | MarketStatus::Open)
    }
}

/// The `status` filter of GetMarkets (`unopened`, `open`, `paused`, `closed`, `settled`):
/// which lifecycle statuses each value selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// `initialized`: created, not yet open.
    Unopened,
    /// `active` (or seed-era `open`): trading.
    Open,
    /// `inactive`: trading paused.
    Paused,
    /// `closed`, `determined`, `disputed`, `amended`: no longer trading, not yet final.
    Closed,
    /// `finalized` (or seed-era `settled`).
    Settled,
}

impl StatusFilter {
    /// Every value, in lifecycle order.
    pub const ALL: [StatusFilter; 5] = [
        StatusFilter::Unopened,
        StatusFilter::Open,
        StatusFilter::Paused,
        StatusFilter::Closed,
        StatusFilter::Settled,
    ];

    /// The query value, e.g. `"open"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Unopened => "unopened",
            StatusFilter::Open => "open",
            StatusFilter::Paused => "paused",
            StatusFilter::Closed => "closed",
            StatusFilter::Settled => "settled",
        }
    }

    /// Reads a query value; `None` when it is none of the five.
    pub fn parse(text: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// True when a market in `status` passes this filter.
    pub fn matches(self, status: impl Into<MarketStatus>) -> bool {
        use MarketStatus as S;
        let status = status.into();
        match self {
            StatusFilter::Unopened => status == S::Initialized,
            StatusFilter::Open => status.is_tradable(),
            StatusFilter::Paused => status == S::Inactive,
            StatusFilter::Closed => {
                matches!(status, S::Closed | S::Determined | S::Disputed | S::Amended)
            }
            StatusFilter::Settled => matches!(status, S::Finalized | S::Settled),
        }
    }
}

/// A market (schema `Market`). Only `ticker` and `event_ticker` are required on decode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Market {
    /// Market ticker.
    pub ticker: MarketTicker,
    /// Its event.
    pub event_ticker: EventTicker,
    /// `binary` or `scalar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_type: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Subtitle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Short YES title.
    #[serde(default)]
    pub yes_sub_title: String,
    /// Short NO title.
    #[serde(default)]
    pub no_sub_title: String,
    /// Lifecycle status.
    pub status: MarketStatus,
    /// Opens (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_time: Option<String>,
    /// Closes (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_time: Option<String>,
    /// Best YES bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid_dollars: Option<Dollars>,
    /// Best YES ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask_dollars: Option<Dollars>,
    /// Best NO bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_bid_dollars: Option<Dollars>,
    /// Best NO ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_ask_dollars: Option<Dollars>,
    /// Last YES trade price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_price_dollars: Option<Dollars>,
    /// Last price a day ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_price_dollars: Option<Dollars>,
    /// Contracts traded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_fp: Option<Count>,
    /// Contracts traded in 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_24h_fp: Option<Count>,
    /// Open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest_fp: Option<Count>,
    /// Value of one contract at settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notional_value_dollars: Option<Dollars>,
    /// `yes`, `no`, `scalar` or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Main rules text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_primary: Option<String>,
    /// `linear_cent`, `deci_cent`, `tapered_deci_cent`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_structure: Option<String>,
    /// Valid price bands and ticks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ranges: Option<Vec<PriceRange>>,
}

impl Market {
    /// The market's price grid (its `price_ranges` and `price_level_structure`).
    pub fn grid(&self) -> PriceGrid<'_> {
        PriceGrid {
            ranges: self.price_ranges.as_deref().unwrap_or_default(),
            structure: self.price_level_structure.as_deref().unwrap_or_default(),
        }
    }
    /// See [`PriceGrid::tick_at`].
    pub fn tick_at(&self, price: Dollars) -> Dollars {
        self.grid().tick_at(price)
    }
    /// See [`PriceGrid::step_price`].
    ///
    /// ```
    /// # use shared::rest::{Market, PriceRange};
    /// # use shared::num::Dollars;
    /// let mut m: Market = serde_json::from_str(r#"{"ticker":"T","event_ticker":"E","status":"active"}"#).unwrap();
    /// let d = |s: &str| s.parse::<Dollars>().unwrap();
    /// m.price_ranges = Some(vec![
    ///     PriceRange { start: d("0"), end: d("0.10"), step: d("0.001") },
    ///     PriceRange { start: d("0.10"), end: d("0.90"), step: d("0.01") },
    ///     PriceRange { start: d("0.90"), end: d("1"), step: d("0.001") },
    /// ]);
    /// assert_eq!(m.step_price(d("0.10"), true), Some(d("0.11")));
    /// assert_eq!(m.step_price(d("0.10"), false), Some(d("0.099")));
    /// assert_eq!(m.step_price(d("0.11"), false), Some(d("0.10")));
    /// assert_eq!(m.step_price(d("0.999"), true), None);
    /// ```
    pub fn step_price(&self, price: Dollars, up: bool) -> Option<Dollars> {
        self.grid().step_price(price, up)
    }
    /// See [`PriceGrid::is_valid_price`].
    pub fn is_valid_price(&self, price: Dollars) -> bool {
        self.grid().is_valid_price(price)
    }
}

impl crate::api::schema::Market {
    /// The market's price grid (its `price_ranges` and `price_level_structure`).
    pub fn grid(&self) -> PriceGrid<'_> {
        PriceGrid {
            ranges: &self.price_ranges,
            structure: &self.price_level_structure,
        }
    }
}

impl crate::api::schema::MarketStatus {
    /// True when orders are accepted (`active`).
    pub fn is_tradable(self) -> bool {
        self == crate::api::schema::MarketStatus::Active
    }
}

impl From<crate::api::schema::MarketStatus> for MarketStatus {
    fn from(status: crate::api::schema::MarketStatus) -> MarketStatus {
        use crate::api::schema::MarketStatus as S;
        match status {
            S::Initialized => MarketStatus::Initialized,
            S::Inactive => MarketStatus::Inactive,
            S::Active => MarketStatus::Active,
            S::Closed => MarketStatus::Closed,
            S::Determined => MarketStatus::Determined,
            S::Disputed => MarketStatus::Disputed,
            S::Amended => MarketStatus::Amended,
            S::Finalized => MarketStatus::Finalized,
            S::Unknown => MarketStatus::Other,
        }
    }
}

/// A market's valid prices: its price bands (`price_ranges`, each with its own tick) and
/// the `price_level_structure` name that stands in when the bands are absent
/// (`deci_cent`: $0.001, anything else $0.01).
#[derive(Clone, Copy, Debug)]
pub struct PriceGrid<'a> {
    /// The bands, ascending.
    pub ranges: &'a [PriceRange],
    /// `linear_cent`, `deci_cent`, `tapered_deci_cent`, … (may be empty).
    pub structure: &'a str,
}

impl PriceGrid<'_> {
    /// The tick at `price` from the bands (or by the structure's name), default $0.01.
    pub fn tick_at(&self, price: Dollars) -> Dollars {
        if let Some(r) = self
            .ranges
            .iter()
            .find(|r| price >= r.start && price <= r.end)
        {
            if !r.step.is_zero() {
                return r.step;
            }
        }
        match self.structure {
            "deci_cent" => Dollars::from_ten_thousandths(10),
            _ => Dollars::from_cents(1),
        }
    }

    /// The next valid price one tick above (`up`) or below `price`, respecting every price
    /// band (a tapered structure's subpenny tails included); a price off the grid first
    /// snaps down to it. `None` past $0 or $1.
    pub fn step_price(&self, price: Dollars, up: bool) -> Option<Dollars> {
        let mut steps: Vec<Dollars> = self
            .ranges
            .iter()
            .map(|r| r.step)
            .filter(|s| s.raw() > 0)
            .collect();
        steps.push(self.tick_at(price));
        steps.sort();
        steps.dedup();
        let base = if self.is_valid_price(price) || !price.is_valid_price() {
            price
        } else {
            let tick = self.tick_at(price);
            Dollars::from_raw(price.raw() - price.raw().rem_euclid(tick.raw().max(1)))
        };
        if base != price && !up && self.is_valid_price(base) {
            return Some(base);
        }
        let candidates = steps.iter().filter_map(|s| {
            let p = if up {
                base.checked_add(*s)?
            } else {
                base.checked_sub(*s)?
            };
            self.is_valid_price(p).then_some(p)
        });
        if up {
            candidates.min()
        } else {
            candidates.max()
        }
    }

    /// True when `price` is strictly inside (0, 1) and on the tick grid of its band.
    pub fn is_valid_price(&self, price: Dollars) -> bool {
        if !price.is_valid_price() {
            return false;
        }
        let tick = self.tick_at(price);
        let start = self
            .ranges
            .iter()
            .find(|r| price >= r.start && price <= r.end)
            .map_or(Dollars::ZERO, |r| r.start);
        tick.is_zero() || (price - start).raw() % tick.raw() == 0
    }
}

/// `GET /markets` (GetMarkets) → `{"markets":[…],"cursor":"…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetMarketsResponse {
    /// One page of markets.
    pub markets: Vec<Market>,
    /// Next page's cursor; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// `GET /markets/{ticker}` (GetMarket) → `{"market":{…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetMarketResponse {
    /// The market.
    pub market: Market,
}

/// Book levels with fixed-point counts (schema `OrderbookCountFp`):
/// `{"yes_dollars":[["0.4500","10.00"]],"no_dollars":[…]}` — bids only, ascending price.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderbookFp {
    /// YES bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub yes_dollars: Vec<(Dollars, Count)>,
    /// NO bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub no_dollars: Vec<(Dollars, Count)>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Seed/transitional book shape: `{"yes":[[cents,count]],"yes_dollars":[["0.45",count]],…}`
/// (any of them may be `null`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LegacyOrderbook {
    /// YES bids in cents.
    #[serde(default)]
    pub yes: Option<Vec<(i64, i64)>>,
    /// NO bids in cents.
    #[serde(default)]
    pub no: Option<Vec<(i64, i64)>>,
    /// YES bids in dollars with integer counts.
    #[serde(default)]
    pub yes_dollars: Option<Vec<(Dollars, Count)>>,
    /// NO bids in dollars with integer counts.
    #[serde(default)]
    pub no_dollars: Option<Vec<(Dollars, Count)>>,
}

/// `GET /markets/{ticker}/orderbook` (GetMarketOrderbook) → `{"orderbook_fp":{…}}`
/// (legacy: `{"orderbook":{…}}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetMarketOrderbookResponse {
    /// Current shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook_fp: Option<OrderbookFp>,
    /// Legacy shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook: Option<LegacyOrderbook>,
}

impl GetMarketOrderbookResponse {
    /// The book in the current shape, whichever shape arrived.
    pub fn book(&self) -> OrderbookFp {
        if let Some(fp) = &self.orderbook_fp {
            return fp.clone();
        }
        let Some(l) = &self.orderbook else {
            return OrderbookFp::default();
        };
        let side = |dollars: &Option<Vec<(Dollars, Count)>>, cents: &Option<Vec<(i64, i64)>>| match (
            dollars, cents,
        ) {
            (Some(d), _) => d.clone(),
            (None, Some(c)) => c
                .iter()
                .map(|&(p, n)| (Dollars::from_cents(p), Count::from_int(n)))
                .collect(),
            (None, None) => Vec::new(),
        };
        OrderbookFp {
            yes_dollars: side(&l.yes_dollars, &l.yes),
            no_dollars: side(&l.no_dollars, &l.no),
        }
    }
}

/// `time_in_force` of Create Order V2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Rest until cancelled (or `expiration_time`).
    #[default]
    GoodTillCanceled,
    /// Fill what crosses now, cancel the rest.
    ImmediateOrCancel,
    /// Fill entirely now or not at all.
    FillOrKill,
}

/// `self_trade_prevention_type` (schema `SelfTradePreventionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SelfTradePrevention {
    /// Cancel the incoming (taker) order at the cross.
    #[default]
    TakerAtCross,
    /// Cancel the resting (maker) order and keep matching.
    Maker,
}

/// `POST /portfolio/events/orders` (CreateOrderV2) body. Single-book: `bid` buys YES at
/// `price`, `ask` sells YES at `price` (= buys NO at `1 − price`).
///
/// `{"ticker":"HIGHNY-24JAN01-T60","client_order_id":"…","side":"bid","count":"10.00","price":"0.5600","time_in_force":"good_till_canceled","self_trade_prevention_type":"taker_at_cross"}`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateOrderV2Request {
    /// Market ticker.
    pub ticker: MarketTicker,
    /// Our id for the order (idempotency and attribution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Book side.
    pub side: BookSide,
    /// Contracts (0.01 granularity).
    pub count: Count,
    /// YES price, dollars.
    pub price: Dollars,
    /// Lifetime.
    pub time_in_force: TimeInForce,
    /// Self-trade prevention.
    pub self_trade_prevention_type: SelfTradePrevention,
    /// Expiry, Unix seconds (GTC only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
    /// Refuse to take liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Cap by current position (IOC only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// Cancel if trading pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_on_pause: Option<bool>,
    /// Subaccount (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Order group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
}

/// Order status (schema `OrderStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// On the book.
    Resting,
    /// Cancelled (fully or the remainder).
    Canceled,
    /// Fully filled.
    Executed,
    /// Seed era: accepted, not yet on the book.
    Pending,
    /// A status this build does not know.
    #[serde(other)]
    Other,
}

impl From<OrderStatus> for crate::api::schema::OrderStatus {
    /// The current enum: seed-era `pending` was an order not yet on the book, which Kalshi
    /// now reports `resting`; an unknown status stays unknown.
    fn from(status: OrderStatus) -> crate::api::schema::OrderStatus {
        use crate::api::schema::OrderStatus as S;
        match status {
            OrderStatus::Resting | OrderStatus::Pending => S::Resting,
            OrderStatus::Canceled => S::Canceled,
            OrderStatus::Executed => S::Executed,
            OrderStatus::Other => S::Unknown,
        }
    }
}

/// An order (schema `Order`), from `GET /portfolio/orders[/{id}]`. Decodes the V2 shape
/// (`*_fp`, `*_dollars`, `outcome_side`) and the transitional one (integer counts and cents).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Order id.
    pub order_id: OrderId,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Client order id (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Market.
    pub ticker: MarketTicker,
    /// Status.
    pub status: OrderStatus,
    /// Outcome side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<Side>,
    /// Book side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Deprecated action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// `limit` / `market`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// YES price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price_dollars: Option<Dollars>,
    /// NO price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price_dollars: Option<Dollars>,
    /// Filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_count_fp: Option<Count>,
    /// Resting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_count_fp: Option<Count>,
    /// Placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_count_fp: Option<Count>,
    /// Taker fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fees_dollars: Option<Dollars>,
    /// Maker fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fees_dollars: Option<Dollars>,
    /// Created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Last update (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    /// Order group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_number: Option<u32>,
    /// Legacy integer count filled.
    #[serde(default, skip_serializing)]
    pub fill_count: Option<Count>,
    /// Legacy integer count resting.
    #[serde(default, skip_serializing)]
    pub remaining_count: Option<Count>,
    /// Legacy integer count placed.
    #[serde(default, skip_serializing)]
    pub initial_count: Option<Count>,
    /// Legacy YES price in cents.
    #[serde(default, skip_serializing)]
    pub yes_price: Option<i64>,
}

impl Order {
    /// The outcome side, whichever era.
    pub fn outcome(&self) -> Side {
        self.outcome_side
            .or(self.book_side.map(BookSide::outcome))
            .or(match (self.side, self.action) {
                (Some(s), Some(Action::Sell)) => Some(s.opposite()),
                (s, _) => s,
            })
            .unwrap_or(Side::Yes)
    }
    /// YES price, whichever era.
    pub fn yes_price(&self) -> Option<Dollars> {
        self.yes_price_dollars
            .or(self.yes_price.map(Dollars::from_cents))
    }
    /// Contracts still resting, whichever era.
    pub fn remaining(&self) -> Count {
        self.remaining_count_fp
            .or(self.remaining_count)
            .unwrap_or_default()
    }
    /// Contracts filled, whichever era.
    pub fn filled(&self) -> Count {
        self.fill_count_fp.or(self.fill_count).unwrap_or_default()
    }
    /// Contracts placed, whichever era.
    pub fn initial(&self) -> Count {
        self.initial_count_fp
            .or(self.initial_count)
            .unwrap_or_default()
    }
}

/// `GET /portfolio/orders` (GetOrders) → `{"orders":[…],"cursor":"…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetOrdersResponse {
    /// One page.
    pub orders: Vec<Order>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// `GET /portfolio/orders/{order_id}` (GetOrder) → `{"order":{…}}`; the transitional
/// create/cancel responses had this shape too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetOrderResponse {
    /// The order.
    pub order: Order,
}

/// `GET /portfolio/balance` (GetBalance): `{"balance":10000,"balance_dollars":"100.0000","portfolio_value":25000,"updated_ts":…}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetBalanceResponse {
    /// Available balance, integer cents.
    pub balance: i64,
    /// Available balance, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_dollars: Option<Dollars>,
    /// Portfolio value, integer cents.
    #[serde(default)]
    pub portfolio_value: i64,
    /// Last update, Unix seconds.
    #[serde(default)]
    pub updated_ts: i64,
}

impl GetBalanceResponse {
    /// The balance in dollars, whichever field is present.
    pub fn balance(&self) -> Dollars {
        self.balance_dollars
            .unwrap_or(Dollars::from_cents(self.balance))
    }
}

/// One market position (schema `MarketPosition`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketPosition {
    /// Market.
    pub ticker: MarketTicker,
    /// Net contracts: positive YES, negative NO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_fp: Option<Count>,
    /// Cost of the position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_exposure_dollars: Option<Dollars>,
    /// Realized P&L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl_dollars: Option<Dollars>,
    /// Fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid_dollars: Option<Dollars>,
    /// Total traded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_traded_dollars: Option<Dollars>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts: Option<String>,
    /// Legacy integer position.
    #[serde(default, skip_serializing)]
    pub position: Option<i64>,
}

impl MarketPosition {
    /// Net contracts, whichever era.
    pub fn net(&self) -> Count {
        self.position_fp
            .or(self.position.map(Count::from_int))
            .unwrap_or_default()
    }
}

/// One event position (schema `EventPosition`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPosition {
    /// Event.
    pub event_ticker: EventTicker,
    /// Exposure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_exposure_dollars: Option<Dollars>,
    /// Realized P&L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl_dollars: Option<Dollars>,
    /// Fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid_dollars: Option<Dollars>,
    /// Total cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost_dollars: Option<Dollars>,
}

/// `GET /portfolio/positions` (GetPositions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetPositionsResponse {
    /// Per market.
    #[serde(default)]
    pub market_positions: Vec<MarketPosition>,
    /// Per event.
    #[serde(default)]
    pub event_positions: Vec<EventPosition>,
    /// Next page.
    #[serde(default)]
    pub cursor: String,
}

/// One fill (schema `Fill`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Fill id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_id: Option<String>,
    /// Trade id (dedupe key).
    pub trade_id: TradeId,
    /// Our order.
    pub order_id: OrderId,
    /// Market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticker: Option<MarketTicker>,
    /// Market (legacy name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// Outcome side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<Side>,
    /// Book side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Deprecated action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_fp: Option<Count>,
    /// YES price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price_dollars: Option<Dollars>,
    /// NO price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price_dollars: Option<Dollars>,
    /// Taker?
    #[serde(default)]
    pub is_taker: bool,
    /// Fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_cost: Option<Dollars>,
    /// Executed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Executed, Unix seconds (legacy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Legacy integer count.
    #[serde(default, skip_serializing)]
    pub count: Option<Count>,
    /// Transitional YES price.
    #[serde(default, skip_serializing)]
    pub yes_price_fixed: Option<Dollars>,
}

impl Fill {
    /// Market, whichever field.
    pub fn market(&self) -> Option<&MarketTicker> {
        self.ticker.as_ref().or(self.market_ticker.as_ref())
    }
    /// Contracts, whichever era.
    pub fn contracts(&self) -> Count {
        self.count_fp.or(self.count).unwrap_or_default()
    }
    /// YES price, whichever era.
    pub fn yes_price(&self) -> Option<Dollars> {
        self.yes_price_dollars.or(self.yes_price_fixed)
    }
}

/// `GET /portfolio/fills` (GetFills).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetFillsResponse {
    /// One page.
    pub fills: Vec<Fill>,
    /// Next page.
    #[serde(default)]
    pub cursor: String,
}

/// Kalshi's error body (schema `ErrorResponse`): `{"code":"…","message":"…","details":"…"}`;
/// older responses wrapped it as `{"error":{…}}`, see [`ApiError::from_body`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine code, e.g. `"invalid_parameters"`, `"insufficient_balance"`.
    #[serde(default)]
    pub code: String,
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// More detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl ApiError {
    /// Reads either shape; `None` when the body is neither.
    pub fn from_body(body: &str) -> Option<ApiError> {
        #[derive(Deserialize)]
        struct Wrapped {
            error: ApiError,
        }
        if let Ok(w) = serde_json::from_str::<Wrapped>(body) {
            return Some(w.error);
        }
        serde_json::from_str::<ApiError>(body)
            .ok()
            .filter(|e| !e.code.is_empty() || !e.message.is_empty())
    }
}
