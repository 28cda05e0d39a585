//! The browser ⇄ backend protocol: the JSON API under `/api` and the frames on `/ws`.
//!
//! The browser never talks to Kalshi. It sends [`ClientMsg`]s on `/ws` to choose which
//! markets it watches and receives [`ServerMsg`]s: a book snapshot at once for every market
//! it watches, then level updates, ticker, trades, and its account's orders, fills and
//! positions. Orders go through `POST /api/orders` with an [`OrderTicket`]; the backend
//! validates, signs and forwards it (an allowlist, never a proxy).

use serde::{Deserialize, Serialize};

use crate::book::BookLevels;
use crate::ids::BookSide;
use crate::ids::{Action, MarketTicker, OrderId, Side};
use crate::num::{Count, Dollars};
use crate::rest::{Market, OrderStatus, SelfTradePrevention, TimeInForce};
use crate::ws::{FillMsg, MarketPositionMsg, TickerMsg, TradeMsg};

/// Which Kalshi the desk talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Kalshi production (real money).
    Prod,
    /// Kalshi's demo environment.
    Demo,
    /// The desk's built-in simulated exchange (paper trading).
    Sim,
}

impl Environment {
    /// Banner text: `PROD`, `DEMO`, `SIM`.
    pub fn label(self) -> &'static str {
        match self {
            Environment::Prod => "PROD",
            Environment::Demo => "DEMO",
            Environment::Sim => "SIM",
        }
    }
}

/// State of the backend's one upstream Kalshi socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamState {
    /// Connecting or re-connecting.
    Connecting,
    /// Connected, authenticated, subscribed.
    Live,
    /// Down; retrying with backoff.
    Down,
}

/// One lifecycle event, as the desk shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleView {
    /// The market it is about (absent for an event's own lifecycle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// The event it is about, when Kalshi names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ticker: Option<crate::ids::EventTicker>,
    /// `created`, `activated`, `deactivated`, `close_date_updated`, `determined`,
    /// `settled`, `price_level_structure_updated`, or `event_created` for an event.
    pub event_type: String,
    /// The outcome (`yes`, `no`, …) of a determined market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// When it happened, Unix seconds (the event's own timestamp when it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

/// The exchange's state as the desk last read it (Kalshi's `ExchangeStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeView {
    /// False while Kalshi takes no state changes at all (maintenance).
    pub exchange_active: bool,
    /// False while trading is paused: new orders, amends and RFQs wait; cancels work.
    pub trading_active: bool,
    /// When trading should resume (RFC 3339), when Kalshi says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes_at: Option<String>,
}

/// `GET /api/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeskStatus {
    /// Which Kalshi.
    pub environment: Environment,
    /// Upstream socket state.
    pub upstream: UpstreamState,
    /// Exchange open / trading.
    pub trading_active: bool,
    /// The desk's version.
    pub version: String,
}

/// Frames the browser sends on `/ws`: `{"op":"watch","market_ticker":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Start receiving a market's book, ticker and trades (snapshot first).
    Watch {
        /// Market.
        market_ticker: MarketTicker,
    },
    /// Stop receiving a market.
    Unwatch {
        /// Market.
        market_ticker: MarketTicker,
    },
    /// Follow these markets' `ticker` (best bid and ask, last price) without their books:
    /// the portfolio's marks. Replaces the list sent before (an empty list stops them);
    /// at most [`MAX_MARKED`] markets, each an open market. The server answers with the
    /// last ticker it has of each and sends every later one as [`ServerMsg::Ticker`]; a
    /// market it cannot mark is named in an `unknown_market` [`ServerMsg::Error`].
    Marks {
        /// Markets.
        market_tickers: Vec<MarketTicker>,
    },
    /// Application ping; answered by [`ServerMsg::Pong`].
    Ping {
        /// Echoed.
        nonce: u64,
    },
}

/// Most markets one session marks ([`ClientMsg::Marks`]).
pub const MAX_MARKED: usize = 2_000;

/// Frames the backend sends on `/ws`: `{"type":"book","market_ticker":"…",…}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame of a session.
    Hello {
        /// Which Kalshi.
        environment: Environment,
        /// Upstream state now.
        upstream: UpstreamState,
    },
    /// Upstream socket state changed.
    Upstream {
        /// New state.
        state: UpstreamState,
    },
    /// A whole book: sent on watch, after a resync and to a session that fell behind.
    Book {
        /// Market.
        market_ticker: MarketTicker,
        /// Both ladders.
        levels: BookLevels,
        /// True while the backend is waiting for a fresh upstream snapshot.
        stale: bool,
    },
    /// One level's new absolute count (0 = level gone).
    Level {
        /// Market.
        market_ticker: MarketTicker,
        /// Ladder.
        side: Side,
        /// Price (that ladder's leg).
        price: Dollars,
        /// New count at the level.
        count: Count,
    },
    /// The book is stale (sequence gap) until the next `Book`.
    Stale {
        /// Market.
        market_ticker: MarketTicker,
    },
    /// Ticker update.
    Ticker(TickerMsg),
    /// Public trade.
    Trade(TradeMsg),
    /// One of the account's orders changed.
    Order(OrderView),
    /// One of the account's fills, as the desk's own [`FillView`] (the same row
    /// `GET /api/fills` lists; the backend reads Kalshi's `fill` frame once, whatever its
    /// era, and the socket carries no owner), e.g.
    /// `{"type":"fill","trade_id":"…","order_id":"…","market_ticker":"KXDESK-26DEC31-T50",
    /// "side":"no","yes_price":"0.3000","count":"2.00","is_taker":true,"ts_ms":1780000000000}`.
    Fill(FillView),
    /// One of the account's positions changed, as the desk's own [`PositionView`] (the row
    /// `GET /api/portfolio` lists, with its subaccount; a flat position has `position` 0),
    /// e.g. `{"type":"position","market_ticker":"KXDESK-26DEC31-T50","position":"-3.00",
    /// "exposure":"2.1000","realized_pnl":"0.0000","fees_paid":"0.0400","subaccount":0}`.
    Position(PositionView),
    /// A browser frame was refused; the session goes on.
    Error {
        /// Stable code (`bad_frame`, `unknown_market`, …).
        code: String,
        /// Readable text.
        message: String,
    },
    /// Answer to [`ClientMsg::Ping`].
    Pong {
        /// Echoed.
        nonce: u64,
    },
    /// Whether the exchange is trading (`GetExchangeStatus`): sent after `hello` once known,
    /// then on every change, e.g.
    /// `{"type":"exchange","exchange_active":true,"trading_active":false,"resumes_at":"2026-12-03T10:00:00Z"}`.
    Exchange(ExchangeView),
    /// The session fell behind the fan-out and may have skipped account events (orders,
    /// fills, positions, RFQs): the browser reads its account again over REST (it ends with
    /// the account the exchange has, never a filled order shown as resting). Sent after the
    /// fresh book snapshots, e.g. `{"type":"account_reload"}`.
    AccountReload,
    /// The kill switches in force (the desk's and each halted user's): sent after `hello`
    /// and on every change (within a second of an admin's halt or re-arm, on every
    /// replica), e.g. `{"type":"halts","halts":[{"actor":"ada","reason":"news","since_ms":1}]}`.
    Halts {
        /// Every halt in force; empty: none.
        halts: Vec<crate::auth::Halt>,
    },
    /// A market or event moved in its lifecycle (Kalshi's `market_lifecycle_v2`,
    /// `multivariate_market_lifecycle` and `event_lifecycle` frames), e.g.
    /// `{"type":"lifecycle","market_ticker":"KXATPGTOTAL-26MAY19BLALLA-17","event_type":"settled","ts":1779278091}`.
    Lifecycle(LifecycleView),
    /// An RFQ desk event (`communications` channel, or the backend's quoting rules).
    Rfq(crate::rfq::RfqEvent),
    /// One of the account's order groups was created, triggered, reset, deleted or got a
    /// new limit (Kalshi's `order_group_updates` channel, its `msg` as is):
    /// `{"type":"order_group","event_type":"triggered","order_group_id":"…","ts_ms":1780000000000}`.
    OrderGroup(crate::ws::OrderGroupUpdatesMsg),
    /// One of the user's alert rules fired (sent to that user's tabs only; again with the
    /// same `id` once its webhook was delivered or failed), e.g.
    /// `{"type":"alert","id":12,"user_id":3,"rule_id":7,"ts_ms":1780000000000,"title":"…","detail":"YES bid 0.6500","muted":false}`.
    Alert(crate::alerts::AlertFired),
}

/// What a trader asks for in the order ticket (`POST /api/orders`): buy/sell YES/NO at a
/// limit price in that side's own dollars, with every Create Order V2 option. The backend
/// maps it to a V2 `bid`/`ask`. Only the first five fields are required:
///
/// `{"market_ticker":"KXDESK-26DEC31-T50","action":"buy","side":"yes","price":"0.45","count":"10"}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTicket {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Buy or sell.
    pub action: Action,
    /// YES or NO.
    pub side: Side,
    /// Limit price of `side`, dollars (must sit on the market's tick).
    pub price: Dollars,
    /// Contracts (hundredths allowed).
    pub count: Count,
    /// Lifetime (default GTC).
    #[serde(default)]
    pub time_in_force: TimeInForce,
    /// Refuse to take liquidity (GTC only).
    #[serde(default)]
    pub post_only: bool,
    /// Cap the count by the current position (IOC only).
    #[serde(default)]
    pub reduce_only: bool,
    /// Expiry, Unix seconds (GTC only); none = good till cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_ts: Option<i64>,
    /// Self-trade prevention (default `taker_at_cross`).
    #[serde(default)]
    pub self_trade_prevention: SelfTradePrevention,
    /// Cancel the order if trading pauses.
    #[serde(default)]
    pub cancel_order_on_pause: bool,
    /// Order group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Subaccount (0 = primary, up to 63).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Client order id; the backend generates one (a UUID) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
}

/// Highest Kalshi subaccount number.
pub const MAX_SUBACCOUNT: u32 = 63;

/// True for an id Kalshi accepts as `client_order_id` / `order_group_id`: 1–64 of
/// `A-Z a-z 0-9 - _`.
pub fn is_plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl OrderTicket {
    /// A plain limit order: good till cancelled, no options.
    pub fn limit(
        market_ticker: MarketTicker,
        action: Action,
        side: Side,
        price: Dollars,
        count: Count,
    ) -> OrderTicket {
        OrderTicket {
            market_ticker,
            action,
            side,
            price,
            count,
            time_in_force: TimeInForce::GoodTillCanceled,
            post_only: false,
            reduce_only: false,
            expiration_ts: None,
            self_trade_prevention: SelfTradePrevention::TakerAtCross,
            cancel_order_on_pause: false,
            order_group_id: None,
            subaccount: None,
            client_order_id: None,
        }
    }

    /// Checks how the options fit together (the browser before sending, the backend before
    /// signing); `now_s` is Unix seconds. `Err` is a plain sentence.
    ///
    /// # Errors
    /// The first problem found.
    pub fn check_options(&self, now_s: i64) -> Result<(), String> {
        let gtc = self.time_in_force == TimeInForce::GoodTillCanceled;
        if self.post_only && !gtc {
            return Err("post-only orders must be good till cancelled".to_owned());
        }
        if self.reduce_only && self.time_in_force != TimeInForce::ImmediateOrCancel {
            return Err("reduce-only orders must be immediate or cancel (IOC)".to_owned());
        }
        if let Some(ts) = self.expiration_ts {
            if !gtc {
                return Err("only good-till-cancelled orders can have an expiration".to_owned());
            }
            if ts <= now_s {
                return Err("expiration must be in the future".to_owned());
            }
        }
        if self.subaccount.is_some_and(|n| n > MAX_SUBACCOUNT) {
            return Err(format!("subaccount must be 0 to {MAX_SUBACCOUNT}"));
        }
        if self
            .order_group_id
            .as_deref()
            .is_some_and(|g| !is_plain_id(g))
        {
            return Err("order group id must be 1-64 letters, digits, '-' or '_'".to_owned());
        }
        if self
            .client_order_id
            .as_deref()
            .is_some_and(|c| !is_plain_id(c))
        {
            return Err("client order id must be 1-64 letters, digits, '-' or '_'".to_owned());
        }
        Ok(())
    }

    /// The V2 book side and YES price this ticket means: buy YES p → bid p; sell YES p →
    /// ask p; buy NO p → ask 1−p; sell NO p → bid 1−p.
    pub fn to_book(&self) -> (crate::ids::BookSide, Dollars) {
        use crate::ids::BookSide;
        match (self.action, self.side) {
            (Action::Buy, Side::Yes) => (BookSide::Bid, self.price),
            (Action::Sell, Side::Yes) => (BookSide::Ask, self.price),
            (Action::Buy, Side::No) => (BookSide::Ask, self.price.complement()),
            (Action::Sell, Side::No) => (BookSide::Bid, self.price.complement()),
        }
    }
}

/// An order as the desk shows it (`GET /api/orders`, and [`ServerMsg::Order`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Exchange order id.
    pub order_id: OrderId,
    /// Our client order id.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Market.
    pub market_ticker: MarketTicker,
    /// Outcome side it positions for.
    pub side: Side,
    /// Price on that side's own leg (a NO order shows its NO price).
    pub price: Dollars,
    /// YES price.
    pub yes_price: Dollars,
    /// Resting contracts.
    pub remaining: Count,
    /// Filled contracts.
    pub filled: Count,
    /// Status.
    pub status: OrderStatus,
    /// The order group it was placed into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Its subaccount (0 = primary).
    #[serde(default)]
    pub subaccount: u32,
    /// The desk user who placed it (`None`: placed elsewhere, or not yet known to this
    /// frame; `GET /api/orders` fills it in from the desk's records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why the exchange last changed it, when it says (`user_order`'s
    /// `last_update_reason`: `Trade`, `Amend`, `Decrease`, `CloseCancel`, `ExpiryCancel`,
    /// `SelfTradeCancel`, `HaltCancel`, …); absent on REST rows and on cancels the desk
    /// asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_reason: Option<String>,
}

impl OrderView {
    /// Whether the exchange itself cancelled it: status `canceled` with a reason ending in
    /// `Cancel` (a market close, an expiry, self-trade prevention, a trading halt, …).
    pub fn cancelled_by_exchange(&self) -> bool {
        self.status == OrderStatus::Canceled
            && self
                .update_reason
                .as_deref()
                .is_some_and(|r| r.ends_with("Cancel"))
    }
}

/// A fill as the desk shows it: a `GET /api/fills` row and the socket's `fill` frame
/// ([`ServerMsg::Fill`]). The backend reads Kalshi's fill once, whatever its era (current
/// `_fp`/`_dollars` fields, or the transitional integer count and `yes_price_fixed`; the
/// outcome from `outcome_side`, `book_side` or the legacy `side`; the time from `ts_ms` or
/// the legacy seconds `ts`), so the browser has one shape to read:
///
/// `{"trade_id":"…","order_id":"…","market_ticker":"KXDESK-26DEC31-T50","side":"yes",
/// "yes_price":"0.6000","count":"32.00","is_taker":true,"fee":"0.4500",
/// "created_time":"2026-01-10T16:11:11.109554Z","owner":"alice"}`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillView {
    /// Trade id (the dedupe key shared with `fill` frames).
    pub trade_id: crate::ids::TradeId,
    /// The order it filled.
    pub order_id: OrderId,
    /// Market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// The outcome it positioned for (`outcome_side`, else `book_side`'s outcome, else the
    /// legacy `side`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// YES price, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<Dollars>,
    /// Contracts.
    pub count: Count,
    /// Took liquidity.
    pub is_taker: bool,
    /// Fee, dollars (when Kalshi reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Dollars>,
    /// Executed (RFC 3339), when Kalshi gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Executed, Unix milliseconds (from `ts_ms`, else the legacy seconds `ts`), when Kalshi
    /// gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Who placed the order (`None`: placed outside the desk, or a socket frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl FillView {
    /// The row of `fill`, placed by `owner`.
    pub fn new(fill: &crate::rest::Fill, owner: Option<String>) -> FillView {
        FillView {
            trade_id: fill.trade_id.clone(),
            order_id: fill.order_id.clone(),
            market_ticker: fill.market().cloned(),
            side: fill_outcome(fill.outcome_side, fill.book_side, fill.side),
            yes_price: fill.yes_price(),
            count: fill.contracts(),
            is_taker: fill.is_taker,
            fee: fill.fee_cost,
            created_time: fill.created_time.clone(),
            ts_ms: fill.ts.map(|s| s.saturating_mul(1000)),
            owner,
        }
    }

    /// The row of a socket `fill` frame (no owner: the frame does not say).
    pub fn from_msg(fill: &FillMsg) -> FillView {
        FillView {
            trade_id: fill.trade_id.clone(),
            order_id: fill.order_id.clone(),
            market_ticker: Some(fill.market_ticker.clone()),
            side: fill_outcome(fill.outcome_side, fill.book_side, fill.side),
            yes_price: Some(fill.yes_price_dollars),
            count: fill.count_fp,
            is_taker: fill.is_taker,
            fee: fill.fee_cost,
            created_time: None,
            ts_ms: fill.ts_ms.or(fill.ts.map(|s| s.saturating_mul(1000))),
            owner: None,
        }
    }
}

/// The outcome a fill positioned for, whatever its era: `outcome_side`, else `book_side`'s
/// outcome, else the legacy `side`.
fn fill_outcome(
    outcome_side: Option<Side>,
    book_side: Option<BookSide>,
    legacy: Option<Side>,
) -> Option<Side> {
    outcome_side.or(book_side.map(BookSide::outcome)).or(legacy)
}

/// `POST /api/orders` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// Exchange order id.
    pub order_id: OrderId,
    /// Our client order id.
    pub client_order_id: String,
    /// Filled at once.
    pub filled: Count,
    /// Resting.
    pub remaining: Count,
}

/// `POST /api/orders/{order_id}/amend`: a resting order's new limit price (on the order's
/// own side, like [`OrderView::price`]) and new resting count. The backend reads the order
/// and sends Kalshi's AmendOrderV2 total (`filled + remaining`). A new price or a larger
/// count loses the order's place in the queue.
///
/// `{"price":"0.47","remaining":"5"}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendTicket {
    /// New limit price of the order's side, dollars.
    pub price: Dollars,
    /// New resting contracts (> 0).
    pub remaining: Count,
}

/// `POST /api/orders/{order_id}/decrease`: exactly one of `reduce_by` / `reduce_to`
/// (resting contracts); keeps the order's place in the queue, to 0 cancels it.
///
/// `{"reduce_by":"2"}`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecreaseTicket {
    /// Take this many contracts off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_by: Option<Count>,
    /// Leave this many contracts resting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_to: Option<Count>,
}

/// `POST /api/orders/cancel` (batch cancel by id): `{"order_ids":["…","…"]}`, optionally
/// with the orders' `"subaccount":N` (default the primary).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrders {
    /// Orders to cancel (1 to [`MAX_CANCEL_BATCH`]).
    pub order_ids: Vec<OrderId>,
    /// Their subaccount (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
}

/// Most orders one `POST /api/orders/cancel` takes.
pub const MAX_CANCEL_BATCH: usize = 100;

/// Answer of the batch and cancel-all routes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelledOrders {
    /// Orders cancelled (empty after a whole-account cancel-all, which names none).
    pub cancelled: Vec<OrderId>,
    /// Orders the exchange refused to cancel, with its reason.
    pub failed: Vec<CancelFailure>,
}

/// One refused cancel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelFailure {
    /// Order.
    pub order_id: OrderId,
    /// The exchange's reason.
    pub message: String,
}

/// `GET /api/orders/queue_positions`: contracts ahead of each resting order at its price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePositionView {
    /// Order.
    pub order_id: OrderId,
    /// Market.
    pub market_ticker: MarketTicker,
    /// Contracts ahead of it in its level's queue.
    pub ahead: Count,
}

/// `GET /api/portfolio`: balance, positions and P&L totals of one subaccount
/// (GetBalance + every page of GetPositions).
///
/// ```json
/// {"balance":"96.1200","portfolio_value":"100.4000",
///  "positions":[{"market_ticker":"KXDESK-1","position":"10.00","exposure":"4.0000",
///                "realized_pnl":"0.0000","fees_paid":"0.1700"}],
///  "realized_pnl":"1.2000","fees_paid":"0.3400"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioView {
    /// Available balance, dollars.
    pub balance: Dollars,
    /// Portfolio value (balance + resting collateral + positions at Kalshi's mark), dollars.
    pub portfolio_value: Dollars,
    /// Non-zero positions.
    pub positions: Vec<PositionView>,
    /// Realized P&L over every market traded (open, flat and settled positions), dollars;
    /// fees not deducted.
    #[serde(default)]
    pub realized_pnl: Dollars,
    /// Fees paid over every market traded, dollars.
    #[serde(default)]
    pub fees_paid: Dollars,
}

/// A position as the desk shows it: a `GET /api/portfolio` row and the socket's `position`
/// frame ([`ServerMsg::Position`]), read by the backend from Kalshi's `GetPositions` row or
/// `market_position` frame:
///
/// `{"market_ticker":"KXDESK-26DEC31-T50","position":"10.00","exposure":"4.5000",
/// "realized_pnl":"0.0000","fees_paid":"0.0700","subaccount":0}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Net contracts (positive YES, negative NO).
    pub position: Count,
    /// Cost basis of the open position, dollars (what the contracts held cost).
    pub exposure: Dollars,
    /// Realized P&L in this market, dollars (fees not deducted).
    pub realized_pnl: Dollars,
    /// Fees paid in this market, dollars.
    #[serde(default)]
    pub fees_paid: Dollars,
    /// Its subaccount (0 = primary).
    #[serde(default)]
    pub subaccount: u32,
}

impl PositionView {
    /// The row of a `GetPositions` entry of `subaccount`.
    pub fn from_rest(p: &crate::rest::MarketPosition, subaccount: u32) -> PositionView {
        PositionView {
            market_ticker: p.ticker.clone(),
            position: p.net(),
            exposure: p.market_exposure_dollars.unwrap_or_default(),
            realized_pnl: p.realized_pnl_dollars.unwrap_or_default(),
            fees_paid: p.fees_paid_dollars.unwrap_or_default(),
            subaccount,
        }
    }

    /// The row of a `market_position` frame. A money field the frame omits keeps its value
    /// in `previous` (the last row of that market and subaccount), else reads zero.
    pub fn from_msg(p: &MarketPositionMsg, previous: Option<&PositionView>) -> PositionView {
        PositionView {
            market_ticker: p.market_ticker.clone(),
            position: p.position_fp,
            exposure: p
                .position_cost_dollars
                .or(previous.map(|o| o.exposure))
                .unwrap_or_default(),
            realized_pnl: p
                .realized_pnl_dollars
                .or(previous.map(|o| o.realized_pnl))
                .unwrap_or_default(),
            fees_paid: p
                .fees_paid_dollars
                .or(previous.map(|o| o.fees_paid))
                .unwrap_or_default(),
            subaccount: p.subaccount.unwrap_or(0),
        }
    }

    /// Unrealized P&L at YES price `mark` (e.g. the book's mid), dollars: what the
    /// contracts held are worth at that price (YES at `mark`, NO at `1 − mark`) less their
    /// cost basis.
    pub fn unrealized_pnl(&self, mark: Dollars) -> Dollars {
        let (held, price) = if self.position.is_negative() {
            (self.position.abs(), mark.complement())
        } else {
            (self.position, mark)
        };
        price.times(held) - self.exposure
    }

    /// Average price paid per contract held (cost basis ÷ contracts), dollars; `None`
    /// for a flat position.
    pub fn average_price(&self) -> Option<Dollars> {
        let held = i128::from(self.position.abs().raw());
        if held == 0 {
            return None;
        }
        let per = i128::from(self.exposure.raw()) * i128::from(Count::ONE.raw()) / held;
        i64::try_from(per).ok().map(Dollars::from_raw)
    }
}

/// `GET /api/fills`: one page of fills, newest first (GetFills).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillsPage {
    /// Fills, each with the desk user whose order filled.
    pub fills: Vec<FillView>,
    /// The next (older) page's cursor, if any: pass it back as `?cursor=`.
    pub cursor: Option<String>,
}

/// `GET /api/settlements`: one page of settlements, newest first (GetSettlements).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettlementsPage {
    /// Settlements.
    pub settlements: Vec<crate::api::schema::Settlement>,
    /// The next (older) page's cursor, if any: pass it back as `?cursor=`.
    pub cursor: Option<String>,
}

#[cfg(test)]
mod position_tests {
    use super::*;

    fn position(net: &str, cost: &str) -> PositionView {
        PositionView {
            market_ticker: MarketTicker::from("KXT-1"),
            position: net.parse().unwrap(),
            exposure: cost.parse().unwrap(),
            realized_pnl: Dollars::ZERO,
            fees_paid: Dollars::ZERO,
            subaccount: 0,
        }
    }

    #[test]
    fn unrealized_pnl_and_average_price_table() {
        // (net, cost, mark, unrealized, average)
        let table = [
            ("10.00", "4.0000", "0.5000", "1.0000", Some("0.4000")),
            ("-4.00", "2.8000", "0.5000", "-0.8000", Some("0.7000")),
            ("-4.00", "2.8000", "0.2050", "0.3800", Some("0.7000")),
            ("0.50", "0.2800", "0.5600", "0.0000", Some("0.5600")),
            ("3.00", "0.9999", "0.3333", "0.0000", Some("0.3333")),
            ("3.00", "1.0000", "0.3333", "-0.0001", Some("0.333333")),
            ("0.00", "0.0000", "0.5000", "0.0000", None),
        ];
        for (net, cost, mark, unrealized, average) in table {
            let p = position(net, cost);
            let d = |s: &str| s.parse::<Dollars>().unwrap();
            assert_eq!(p.unrealized_pnl(d(mark)), d(unrealized), "{net} @ {mark}");
            assert_eq!(p.average_price(), average.map(d), "{net} cost {cost}");
        }
    }
}

/// `GET /api/markets`: one page of markets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketsPage {
    /// Markets.
    pub markets: Vec<Market>,
    /// Next page's cursor, if any.
    pub cursor: Option<String>,
}

/// `GET /api/markets` query: find markets. Every field is optional; the same struct encodes
/// the browser's query string ([`MarketSearch::to_query`]) and decodes it in the backend.
///
/// Kalshi's GetMarkets filters (`status`, `series_ticker`, `event_ticker`, `tickers`,
/// `min_close_ts`/`max_close_ts`, `cursor`, `limit`) go upstream; `q` (text) and `category`
/// have no GetMarkets parameter: for open markets the backend answers them from its
/// directory of every open market (the cursor then starts with `desk:`), otherwise it
/// applies them to whole Kalshi pages and returns the matches with the Kalshi cursor after
/// the last page it read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSearch {
    /// Markets per Kalshi page read (1–200; default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Kalshi cursor from the previous page's [`MarketsPage::cursor`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// `unopened`, `open` (the default), `paused`, `closed`, `settled` or `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Words that must all appear (case-insensitive) in the ticker, event ticker or titles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Series category (Kalshi `Series.category`/`categories`), e.g. `Economics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// One series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_ticker: Option<String>,
    /// One event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ticker: Option<String>,
    /// Comma-separated market tickers (the watchlist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickers: Option<String>,
    /// Closes after this Unix time, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_close_ts: Option<i64>,
    /// Closes before this Unix time, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_close_ts: Option<i64>,
}

impl MarketSearch {
    /// The query string (no leading `?`), empty fields left out.
    pub fn to_query(&self) -> String {
        crate::api::encode_query(self)
    }
}

/// `GET /api/series[?category=]`: Kalshi series (GetSeriesList), sorted by ticker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesList {
    /// The series.
    pub series: Vec<SeriesView>,
}

/// One series, as the market browser shows it (from Kalshi's `Series`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesView {
    /// Series ticker, e.g. `KXDESKFED`.
    pub ticker: String,
    /// Title.
    pub title: String,
    /// Primary category, e.g. `Economics`.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `daily`, `weekly`, `monthly`, `annual`, `custom`, …
    pub frequency: String,
}

/// `GET /api/events?series_ticker=&status=&cursor=&limit=`: one page of events
/// (GetEvents, multivariate events excluded as Kalshi does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    /// Events.
    pub events: Vec<EventView>,
    /// Kalshi cursor of the next page, if any.
    pub cursor: Option<String>,
}

/// One event (from Kalshi's `EventData`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// Event ticker.
    pub event_ticker: String,
    /// Its series.
    pub series_ticker: String,
    /// Title.
    pub title: String,
    /// Subtitle (often the date).
    pub sub_title: String,
    /// Category.
    pub category: Option<String>,
    /// Markets of the event (when Kalshi nested them).
    pub market_count: usize,
}

/// A candle period of GetMarketCandlesticks: `period_interval` in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CandlePeriod {
    /// One minute (`period_interval=1`).
    #[serde(rename = "1m")]
    Minute,
    /// One hour (`60`).
    #[serde(rename = "1h")]
    Hour,
    /// One day (`1440`).
    #[serde(rename = "1d")]
    Day,
}

impl CandlePeriod {
    /// Every period, shortest first.
    pub const ALL: [CandlePeriod; 3] =
        [CandlePeriod::Minute, CandlePeriod::Hour, CandlePeriod::Day];
    /// Kalshi's `period_interval`, minutes.
    pub const fn minutes(self) -> i64 {
        match self {
            CandlePeriod::Minute => 1,
            CandlePeriod::Hour => 60,
            CandlePeriod::Day => 1440,
        }
    }
    /// `1m`, `1h`, `1d` (the query value and the button label).
    pub const fn as_str(self) -> &'static str {
        match self {
            CandlePeriod::Minute => "1m",
            CandlePeriod::Hour => "1h",
            CandlePeriod::Day => "1d",
        }
    }
    /// Reads `1m`/`1h`/`1d` (or Kalshi's `1`/`60`/`1440`).
    pub fn parse(text: &str) -> Option<CandlePeriod> {
        match text {
            "1m" | "1" => Some(CandlePeriod::Minute),
            "1h" | "60" => Some(CandlePeriod::Hour),
            "1d" | "1440" => Some(CandlePeriod::Day),
            _ => None,
        }
    }
}

/// `GET /api/markets/{ticker}/candles?period=1m|1h|1d`: the last [`CANDLES_SHOWN`] periods
/// of a market (GetMarketCandlesticks), oldest first; periods without trades are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandlesView {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Period.
    pub period: CandlePeriod,
    /// Candles, oldest first.
    pub candles: Vec<CandleView>,
}

/// How many periods [`CandlesView`] asks Kalshi for.
pub const CANDLES_SHOWN: i64 = 90;

/// One candle: YES trade prices over one period (exact dollars), volume and open interest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleView {
    /// End of the period, Unix seconds (Kalshi `end_period_ts`).
    pub end_ts: i64,
    /// First trade price.
    pub open: Dollars,
    /// Highest trade price.
    pub high: Dollars,
    /// Lowest trade price.
    pub low: Dollars,
    /// Last trade price.
    pub close: Dollars,
    /// Contracts traded.
    pub volume: Count,
    /// Open interest at the end of the period.
    pub open_interest: Count,
}

/// The error body of every `/api` failure: `{"code":"invalid_price","message":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable code.
    pub code: String,
    /// Readable text, safe to show.
    pub message: String,
}

#[cfg(test)]
mod ticket_tests {
    use super::*;

    #[test]
    fn old_ticket_json_still_reads_with_default_options() {
        let t: OrderTicket = serde_json::from_str(
            r#"{"market_ticker":"KXDESK-26DEC31-T50","action":"buy","side":"yes","price":"0.45","count":"10","time_in_force":"good_till_canceled","post_only":false}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            OrderTicket::limit(
                "KXDESK-26DEC31-T50".into(),
                Action::Buy,
                Side::Yes,
                "0.45".parse().unwrap(),
                Count::from_int(10)
            )
        );
    }

    #[test]
    fn option_rules_have_plain_messages() {
        const NOW: i64 = 1_800_000_000;
        let base = OrderTicket::limit(
            "T".into(),
            Action::Buy,
            Side::Yes,
            "0.45".parse().unwrap(),
            Count::ONE,
        );
        let with = |f: &dyn Fn(&mut OrderTicket)| {
            let mut t = base.clone();
            f(&mut t);
            t.check_options(NOW)
        };
        let table: Vec<(&str, Result<(), String>)> = vec![
            ("plain", with(&|_| {})),
            (
                "post-only IOC",
                with(&|t| {
                    t.post_only = true;
                    t.time_in_force = TimeInForce::ImmediateOrCancel;
                }),
            ),
            ("reduce-only GTC", with(&|t| t.reduce_only = true)),
            (
                "reduce-only IOC",
                with(&|t| {
                    t.reduce_only = true;
                    t.time_in_force = TimeInForce::ImmediateOrCancel;
                }),
            ),
            ("past expiry", with(&|t| t.expiration_ts = Some(NOW))),
            (
                "expiry FOK",
                with(&|t| {
                    t.expiration_ts = Some(NOW + 60);
                    t.time_in_force = TimeInForce::FillOrKill;
                }),
            ),
            ("future expiry", with(&|t| t.expiration_ts = Some(NOW + 60))),
            ("subaccount 64", with(&|t| t.subaccount = Some(64))),
            (
                "group with space",
                with(&|t| t.order_group_id = Some("a b".into())),
            ),
            (
                "long client id",
                with(&|t| t.client_order_id = Some("x".repeat(65))),
            ),
        ];
        let want: &[(&str, Result<(), &str>)] = &[
            ("plain", Ok(())),
            (
                "post-only IOC",
                Err("post-only orders must be good till cancelled"),
            ),
            (
                "reduce-only GTC",
                Err("reduce-only orders must be immediate or cancel (IOC)"),
            ),
            ("reduce-only IOC", Ok(())),
            ("past expiry", Err("expiration must be in the future")),
            (
                "expiry FOK",
                Err("only good-till-cancelled orders can have an expiration"),
            ),
            ("future expiry", Ok(())),
            ("subaccount 64", Err("subaccount must be 0 to 63")),
            (
                "group with space",
                Err("order group id must be 1-64 letters, digits, '-' or '_'"),
            ),
            (
                "long client id",
                Err("client order id must be 1-64 letters, digits, '-' or '_'"),
            ),
        ];
        for ((name, got), (_, want)) in table.iter().zip(want) {
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|e| *e),
                "{name}"
            );
        }
    }
}

/// The Kalshi rate-limit budget the desk has left for its one API key (`GET /api/limits`),
/// e.g. `{"tier":"basic (default)","read_remaining":180,"read_rate":200,"write_remaining":100,
/// "write_rate":100,"backoff_ms":0}`. Counts are Kalshi's tokens (a request costs 10 by
/// default, `GetAccountEndpointCosts` lists the others); `backoff_ms` is the 429 back-off
/// still running (0 when none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetView {
    /// Tier the limits come from (`basic (default)` until `/account/limits` says).
    pub tier: String,
    /// Read tokens left now.
    pub read_remaining: u32,
    /// Read tokens per second (also the bucket size).
    pub read_rate: u32,
    /// Write tokens left now.
    pub write_remaining: u32,
    /// Write tokens per second (also the bucket size).
    pub write_rate: u32,
    /// Milliseconds of 429 back-off left.
    pub backoff_ms: u64,
}

/// The wire name of a generated enum value (`"settled"`), or `"unknown"`.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".to_owned(),
    }
}

/// The fields both market lifecycle messages share (`market_lifecycle_v2`,
/// `multivariate_market_lifecycle`).
macro_rules! market_lifecycle_view {
    ($msg:ty) => {
        impl From<&$msg> for LifecycleView {
            fn from(m: &$msg) -> LifecycleView {
                LifecycleView {
                    market_ticker: Some(m.market_ticker.clone()),
                    event_ticker: m
                        .additional_metadata
                        .as_ref()
                        .map(|a| a.event_ticker.clone())
                        .filter(|e| !e.as_str().is_empty()),
                    event_type: wire_name(&m.event_type),
                    result: m.result.clone().filter(|r| !r.is_empty()),
                    ts: m.settled_ts.or(m.determination_ts).or(m.open_ts),
                }
            }
        }
    };
}

market_lifecycle_view!(crate::ws_msg::MarketLifecycleV2Msg);
market_lifecycle_view!(crate::ws_msg::MultivariateMarketLifecycleMsg);

impl From<&crate::ws_msg::EventLifecycleMsg> for LifecycleView {
    fn from(m: &crate::ws_msg::EventLifecycleMsg) -> LifecycleView {
        LifecycleView {
            market_ticker: None,
            event_ticker: Some(m.event_ticker.clone()),
            event_type: "event_created".to_owned(),
            result: None,
            ts: m.strike_date,
        }
    }
}

#[cfg(test)]
mod socket_row_tests {
    use super::*;

    fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_json::from_str(text).expect("test fixture")
    }

    #[test]
    fn socket_fills_read_every_era_into_one_row() {
        // Current: outcome_side and ts_ms.
        let current: FillMsg = json(
            r#"{"trade_id":"t1","order_id":"o1","market_ticker":"KXT-1","is_taker":true,
                "yes_price_dollars":"0.3000","count_fp":"2.00","outcome_side":"no",
                "side":"yes","ts":1700000000,"ts_ms":1700000000123}"#,
        );
        let row = FillView::from_msg(&current);
        assert_eq!(
            row.side,
            Some(Side::No),
            "outcome_side wins over the legacy side"
        );
        assert_eq!(row.ts_ms, Some(1_700_000_000_123));
        assert_eq!(row.market_ticker, Some(MarketTicker::from("KXT-1")));
        assert_eq!(row.owner, None);
        // Legacy: only the deprecated side and seconds.
        let legacy: FillMsg = json(
            r#"{"trade_id":"t2","order_id":"o1","market_ticker":"KXT-1","is_taker":false,
                "yes_price_dollars":"0.3000","count_fp":"1.00","side":"yes","ts":1700000000}"#,
        );
        let row = FillView::from_msg(&legacy);
        assert_eq!(row.side, Some(Side::Yes));
        assert_eq!(row.ts_ms, Some(1_700_000_000_000));
        // The frame's JSON is the REST row's.
        let text = serde_json::to_string(&ServerMsg::Fill(row.clone())).expect("encodes");
        assert!(
            text.starts_with(r#"{"type":"fill","trade_id":"t2""#),
            "{text}"
        );
        assert_eq!(json::<ServerMsg>(&text), ServerMsg::Fill(row));
    }

    #[test]
    fn socket_positions_keep_omitted_money_fields() {
        let full: MarketPositionMsg = json(
            r#"{"market_ticker":"KXT-1","position_fp":"5.00","position_cost_dollars":"2.00",
                "realized_pnl_dollars":"0.50","fees_paid_dollars":"0.10","subaccount":2}"#,
        );
        let first = PositionView::from_msg(&full, None);
        assert_eq!(first.subaccount, 2);
        assert_eq!(first.exposure, "2".parse::<Dollars>().expect("price"));
        let bare: MarketPositionMsg = json(r#"{"market_ticker":"KXT-1","position_fp":"-3.00"}"#);
        let next = PositionView::from_msg(&bare, Some(&first));
        assert_eq!(next.position, "-3".parse::<Count>().expect("count"));
        assert_eq!(
            (next.exposure, next.fees_paid),
            (first.exposure, first.fees_paid)
        );
        assert_eq!(next.subaccount, 0, "no subaccount: the primary");
        assert_eq!(PositionView::from_msg(&bare, None).exposure, Dollars::ZERO);
    }
}
