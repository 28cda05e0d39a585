//! The matching engine: books, orders, accounts, positions, fills and trades.
//!
//! Pure and synchronous: every operation takes the engine time (`now_ms`, Unix ms) and
//! appends [`Event`]s to an internal queue that the caller drains with
//! [`Engine::take_events`] and fans out. Nothing here blocks, allocates without bound
//! per call, or panics on bad input.
//!
//! # Model (Kalshi's, see the OpenAPI `CreateOrderV2Request` and "Order direction")
//! - A market's book is two bid ladders: YES bids and NO bids, each in its own leg's
//!   price. A V2 `bid` at YES price `p` is a YES bid at `p`; an `ask` at `p` is a NO bid
//!   at `1 − p`.
//! - A bid for outcome S at leg price `x` crosses the other ladder's bids at `q ≥ 1 − x`,
//!   best (highest `q`) first, FIFO within a level (price-time priority). The trade prints
//!   at the resting order's price: the maker pays `q`, the taker `1 − q`.
//! - Positions net: YES positive, NO negative. Buying the outcome opposite to a position
//!   closes it: each closed pair releases $1, and the difference to the closed cost basis
//!   is realized P&L.
//! - Taker fee per fill: `ceil(0.07 × C × P × (1 − P))` rounded up to the cent
//!   (Kalshi fee schedule, general markets); makers pay nothing.
//! - Collateral: buying at leg price `x` costs `x × count`; the part of an order that
//!   would close an existing (not already claimed) opposite position needs none. A resting
//!   order reserves its cost from the available balance until it fills or is cancelled.
//!   The closing part is judged when the order is placed; if that position is closed by
//!   another order first, the later fill opens a position without reserved collateral
//!   (the balance can then dip below zero; Kalshi would cancel such an order).

use std::collections::{BTreeMap, HashMap, VecDeque};

use shared::api::schema::Market;
use shared::api::schema::{
    AmendOrderV2Request, AmendOrderV2Response, DecreaseOrderV2Request, DecreaseOrderV2Response,
    OrderQueuePosition,
};
use shared::book::{BookLevels, OrderBook};
use shared::ids::{BookSide, MarketTicker, OrderId, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;
use shared::rest::{
    CancelOrderV2Response, CreateOrderV2Request, CreateOrderV2Response, SelfTradePrevention,
    TimeInForce,
};
use shared::ws::{
    FillMsg, MarketPositionMsg, OrderGroupUpdatesMsg, TickerMsg, TradeMsg, UserOrderMsg,
};
use shared::ws_msg::{MarketLifecycleV2Msg, MarketLifecycleV2MsgEventType};

use super::markets::MarketSeed;
use super::wire::rfc3339_ms;

mod block;
pub mod candles;
mod groups;
pub mod pause;
mod settlement;
mod subaccounts;
pub use block::BlockFill;
pub use groups::{OrderGroupRec, GROUP_WINDOW_MS};
pub use settlement::SettlementRec;
pub use subaccounts::{TransferRec, MAX_SUBACCOUNTS};

/// Public trades kept per market for `GET /markets/trades`.
const TRADES_KEPT_PER_MARKET: usize = 2_000;

/// An account's index in the engine.
pub type AccountId = u32;

/// Why an order was refused. Each variant names its HTTP status and Kalshi error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// 404 `market_not_found`.
    #[error("market {0} not found")]
    MarketNotFound(MarketTicker),
    /// 400 `market_closed`: the market is not open for trading.
    #[error("market {0} is not open for trading")]
    MarketClosed(MarketTicker),
    /// 400 `invalid_parameters`: a field is out of range or inconsistent.
    #[error("invalid order: {0}")]
    Invalid(&'static str),
    /// 400 `insufficient_balance`: the order's cost exceeds the available balance.
    #[error("insufficient balance: order needs {need}, available {available}")]
    InsufficientBalance {
        /// Cost of the order (plus the taker fee if it crosses), dollars.
        need: Dollars,
        /// Available balance, dollars.
        available: Dollars,
    },
    /// 503 `trading_is_paused`: trading is paused (maintenance); cancels and decreases
    /// still work.
    #[error("trading is paused")]
    TradingPaused,
    /// 409 `post_only_cross`: a post-only order would take liquidity.
    #[error("post-only order would cross the book")]
    PostOnlyCross,
    /// 404 `not_found`: no such order, not the caller's, or no longer resting.
    #[error("order not found")]
    OrderNotFound,
    /// 404 `not_found`: no such order group (or another user's).
    #[error("order group not found")]
    GroupNotFound,
    /// 400 `order_group_triggered`: the order group hit its contracts limit (or was
    /// triggered) and takes no new orders until it is reset.
    #[error("order group {0} is triggered: reset it before placing orders in it")]
    GroupTriggered(String),
    /// 400 `invalid_parameters`: the subaccount number is not one of the caller's.
    #[error("subaccount {0} does not exist")]
    NoSuchSubaccount(i64),
}

/// Whether an account is a registered API key (a desk user) or a simulated participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    /// A registered key: balance checked, orders and fills kept for the API.
    Registered,
    /// A simulated participant: unlimited balance, finished orders forgotten.
    Participant,
}

/// One market position of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Net contracts: YES positive, NO negative.
    pub net: Count,
    /// Cost basis of the open position, dollars.
    pub cost: Dollars,
    /// Realized P&L (fees excluded), dollars.
    pub realized_pnl: Dollars,
    /// Fees paid, dollars.
    pub fees: Dollars,
    /// Dollars traded (leg price × count, both directions).
    pub traded: Dollars,
    /// Contracts traded.
    pub volume: Count,
    /// Contracts of resting orders [yes, no] counted as closing this position.
    close_claimed: [Count; 2],
    /// Last change, Unix ms.
    pub updated_ms: i64,
}

/// An account: a user's primary account (subaccount 0) or one of its numbered
/// subaccounts (1–63), each with its own cash, positions, orders and fills.
#[derive(Clone, Debug)]
pub struct Account {
    /// Kind.
    pub kind: AccountKind,
    /// The user's primary account (itself for a primary account).
    pub root: AccountId,
    /// Subaccount number: 0 = primary, 1–63 numbered.
    pub subaccount: u32,
    /// Primary accounts: the numbered subaccounts, number `n` at index `n − 1`.
    pub subaccounts: Vec<AccountId>,
    /// Primary accounts: transfers between the user's subaccounts, oldest first.
    pub transfers: Vec<TransferRec>,
    /// API key id, for registered accounts.
    pub key_id: Option<String>,
    /// User id (UUID) shown in private frames.
    pub user_id: String,
    /// Cash, dollars (available = cash − reserved).
    pub cash: Dollars,
    /// Collateral held by resting orders, dollars.
    pub reserved: Dollars,
    /// Positions by market.
    pub positions: BTreeMap<MarketTicker, Position>,
    /// Fills, oldest first (registered accounts only).
    pub fills: Vec<FillRec>,
    /// Order keys, oldest first (registered accounts only).
    pub orders: Vec<u64>,
    /// Settlements of its positions, oldest first (registered accounts only).
    pub settlements: Vec<SettlementRec>,
    /// CreateOrderV2 requests accepted.
    pub orders_received: usize,
    /// Positions netted across this subaccount's markets (`UpdateSubaccountNetting`); the
    /// exchange records the setting, its margin arithmetic has no use for it.
    pub netting: bool,
    /// Last balance change, Unix ms.
    pub updated_ms: i64,
}

impl Account {
    /// Cash not held by resting orders.
    pub fn available(&self) -> Dollars {
        self.cash - self.reserved
    }
}

/// One fill of a registered account.
#[derive(Clone, Debug, PartialEq)]
pub struct FillRec {
    /// Engine-wide fill sequence (the `GetFills` cursor across subaccounts).
    pub seq: u64,
    /// Fill id (UUID).
    pub fill_id: String,
    /// The wire form (also what `fill` frames carry).
    pub msg: FillMsg,
}

/// An order.
#[derive(Clone, Debug)]
pub struct OrderRec {
    /// Engine key (time priority).
    pub key: u64,
    /// Exchange id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Client order id.
    pub client_order_id: Option<String>,
    /// Market.
    pub ticker: MarketTicker,
    /// Book side.
    pub book_side: BookSide,
    /// YES price, dollars.
    pub yes_price: Dollars,
    /// Placed.
    pub initial: Count,
    /// Resting (or, during placement, still to match).
    pub remaining: Count,
    /// Filled.
    pub filled: Count,
    /// Status.
    pub status: OrderStatus,
    /// Self-trade prevention.
    pub stp: SelfTradePrevention,
    /// Cost of taker fills, dollars.
    pub taker_fill_cost: Dollars,
    /// Cost of maker fills, dollars.
    pub maker_fill_cost: Dollars,
    /// Taker fees, dollars.
    pub taker_fees: Dollars,
    /// Collateral still reserved, dollars.
    reserved: Dollars,
    /// Contracts of the remainder that close a position (no collateral).
    close_left: Count,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Last change, Unix ms.
    pub updated_ms: i64,
    /// Expiry, Unix ms.
    pub expiration_ms: Option<i64>,
    /// Why it last changed (`Trade`, `Cancel`, …).
    pub last_update_reason: UpdateReason,
    /// Post-only: an amend that would cross is refused too.
    pub post_only: bool,
    /// The order group it was placed into (`order_group_id`).
    pub order_group: Option<String>,
    /// Cancelled when trading pauses (`cancel_order_on_pause`).
    pub cancel_on_pause: bool,
}

impl OrderRec {
    /// The outcome this order buys.
    pub fn outcome(&self) -> Side {
        self.book_side.outcome()
    }
    /// Price in the order's own leg: YES price for bids, NO price for asks.
    pub fn leg_price(&self) -> Dollars {
        leg_price(self.book_side.outcome(), self.yes_price)
    }
}

fn leg_price(outcome: Side, yes_price: Dollars) -> Dollars {
    match outcome {
        Side::Yes => yes_price,
        Side::No => yes_price.complement(),
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Yes => 0,
        Side::No => 1,
    }
}

/// A public trade.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeRec {
    /// Global sequence (pagination cursor).
    pub seq: u64,
    /// Trade id (UUID).
    pub trade_id: TradeId,
    /// Market.
    pub ticker: MarketTicker,
    /// YES price, dollars.
    pub yes_price: Dollars,
    /// Contracts.
    pub count: Count,
    /// Outcome the taker bought.
    pub taker_outcome: Side,
    /// Executed, Unix ms.
    pub ts_ms: i64,
}

impl TradeRec {
    /// The `trade` channel message.
    pub fn msg(&self) -> TradeMsg {
        TradeMsg {
            trade_id: self.trade_id.clone(),
            market_ticker: self.ticker.clone(),
            yes_price_dollars: self.yes_price,
            no_price_dollars: self.yes_price.complement(),
            count_fp: self.count,
            taker_side: Some(self.taker_outcome),
            taker_outcome_side: Some(self.taker_outcome),
            taker_book_side: Some(BookSide::for_outcome(self.taker_outcome)),
            is_block_trade: Some(false),
            ts: Some(self.ts_ms.div_euclid(1000)),
            ts_ms: Some(self.ts_ms),
        }
    }
}

/// What the ticker channel reports; a change of any field emits a ticker frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TickerKey {
    bid: Option<(Dollars, Count)>,
    ask: Option<(Dollars, Count)>,
    last: Option<Dollars>,
    volume: Count,
    open_interest: Count,
}

/// One market's live state.
#[derive(Clone, Debug)]
pub struct MarketState {
    /// Static fields.
    pub info: Market,
    /// Market UUID (`market_id` in frames).
    pub market_id: String,
    /// Series ticker.
    pub series: String,
    /// Uniform price tick, dollars.
    pub tick: Dollars,
    /// Aggregate levels (what snapshots and deltas describe).
    pub book: OrderBook,
    /// FIFO queues of order keys per level: [YES bids, NO bids].
    queues: [BTreeMap<Dollars, VecDeque<u64>>; 2],
    /// Last trade YES price.
    pub last_price: Option<Dollars>,
    /// Last trade size.
    pub last_trade_size: Count,
    /// Contracts traded.
    pub volume: Count,
    /// YES notional traded, dollars.
    pub volume_notional: Dollars,
    /// Open interest (YES contracts outstanding).
    pub open_interest: Count,
    /// Recent trades, oldest first.
    pub trades: VecDeque<TradeRec>,
    /// Minute candles from this market's trades (GetMarketCandlesticks).
    pub candles: candles::Candles,
    last_ticker: TickerKey,
}

impl MarketState {
    /// Resting order keys on one ladder, best level first, FIFO within a level.
    pub fn resting_keys(&self, side: Side) -> impl Iterator<Item = u64> + '_ {
        self.queues[side_index(side)]
            .iter()
            .rev()
            .flat_map(|(_, q)| q.iter().copied())
    }
    /// Number of price levels on one ladder.
    pub fn depth(&self, side: Side) -> usize {
        self.book.ladder(side).len()
    }
    /// The market as `GET /markets` serves it, live fields filled in.
    pub fn served(&self) -> Market {
        let mut m = self.info.clone();
        let yes_bid = self.book.best_bid(Side::Yes);
        let no_bid = self.book.best_bid(Side::No);
        m.yes_bid_dollars = yes_bid.map_or(Dollars::ZERO, |(p, _)| p);
        m.yes_bid_size_fp = yes_bid.map_or(Count::ZERO, |(_, c)| c);
        m.no_bid_dollars = no_bid.map_or(Dollars::ZERO, |(p, _)| p);
        // YES ask = 1 − best NO bid, with that level's size (and the mirror for NO).
        m.yes_ask_dollars = no_bid.map_or(Dollars::ONE, |(p, _)| p.complement());
        m.yes_ask_size_fp = no_bid.map_or(Count::ZERO, |(_, c)| c);
        m.no_ask_dollars = yes_bid.map_or(Dollars::ONE, |(p, _)| p.complement());
        m.last_price_dollars = self.last_price.unwrap_or(Dollars::ZERO);
        m.volume_fp = self.volume;
        m.volume_24h_fp = self.volume;
        m.open_interest_fp = self.open_interest;
        m
    }
    fn ticker_key(&self) -> TickerKey {
        TickerKey {
            bid: self.book.best_bid(Side::Yes),
            ask: self.book.best_ask(Side::Yes),
            last: self.last_price,
            volume: self.volume,
            open_interest: self.open_interest,
        }
    }
    /// The `ticker` channel message for now.
    pub fn ticker_msg(&self, now_ms: i64) -> TickerMsg {
        let key = self.ticker_key();
        let oi_notional = self
            .last_price
            .unwrap_or(Dollars::ZERO)
            .times(self.open_interest);
        TickerMsg {
            market_ticker: self.info.ticker.clone(),
            market_id: Some(self.market_id.clone()),
            price_dollars: Some(self.last_price.unwrap_or(Dollars::ZERO)),
            yes_bid_dollars: Some(key.bid.map_or(Dollars::ZERO, |(p, _)| p)),
            yes_ask_dollars: Some(key.ask.map_or(Dollars::ONE, |(p, _)| p)),
            volume_fp: Some(self.volume),
            open_interest_fp: Some(self.open_interest),
            dollar_volume: Some(self.volume_notional.raw() / Dollars::ONE.raw()),
            dollar_open_interest: Some(oi_notional.raw() / Dollars::ONE.raw()),
            yes_bid_size_fp: Some(key.bid.map_or(Count::ZERO, |(_, c)| c)),
            yes_ask_size_fp: Some(key.ask.map_or(Count::ZERO, |(_, c)| c)),
            last_trade_size_fp: Some(self.last_trade_size),
            ts: Some(now_ms.div_euclid(1000)),
            ts_ms: Some(now_ms),
            time: None,
        }
    }
}

/// Why an order last changed. Kalshi names some of these in `user_order` frames (AsyncAPI
/// `lastUpdateReason`); a placement, a cancel by its owner and a cancel by its order group
/// carry no reason there (the field is absent), only the order's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateReason {
    /// Just placed.
    Placed,
    /// Cancelled by its owner (one, batch or all).
    Canceled,
    /// Amended (`Amend`).
    Amend,
    /// Decreased (`Decrease`).
    Decrease,
    /// Expired at its `expiration_time` (`ExpiryCancel`).
    Expiry,
    /// Cancelled by self-trade prevention (`SelfTradeCancel`).
    SelfTrade,
    /// Filled, wholly or in part (`Trade`).
    Trade,
    /// Cancelled because its order group triggered.
    OrderGroupTriggered,
    /// Cancelled because its order group was deleted.
    OrderGroupDeleted,
    /// Cancelled because its market closed or settled (`CloseCancel`).
    Closed,
    /// Cancelled because trading paused and it asked for `cancel_order_on_pause`
    /// (`HaltCancel`).
    Halt,
}

impl UpdateReason {
    /// The value of `last_update_reason` in a `user_order` frame; `None` = field absent.
    pub fn kalshi(self) -> Option<&'static str> {
        match self {
            UpdateReason::Placed
            | UpdateReason::Canceled
            | UpdateReason::OrderGroupTriggered
            | UpdateReason::OrderGroupDeleted => None,
            UpdateReason::Amend => Some("Amend"),
            UpdateReason::Decrease => Some("Decrease"),
            UpdateReason::Expiry => Some("ExpiryCancel"),
            UpdateReason::SelfTrade => Some("SelfTradeCancel"),
            UpdateReason::Trade => Some("Trade"),
            UpdateReason::Closed => Some("CloseCancel"),
            UpdateReason::Halt => Some("HaltCancel"),
        }
    }
}

/// Something subscribers may need to hear about.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A level changed.
    Delta {
        /// Market.
        ticker: MarketTicker,
        /// Market UUID.
        market_id: String,
        /// Ladder.
        side: Side,
        /// Level price (that ladder's leg), dollars.
        price: Dollars,
        /// Signed change.
        delta: Count,
        /// Account whose order caused it.
        owner: AccountId,
        /// That order's client order id.
        client_order_id: Option<String>,
        /// When, Unix ms.
        ts_ms: i64,
    },
    /// A public trade.
    Trade(TradeRec),
    /// Best prices / last / volume changed.
    Ticker(TickerMsg),
    /// A market's lifecycle moved (`market_lifecycle_v2`: determined, settled, trading
    /// deactivated and activated again around a pause).
    Lifecycle(Box<MarketLifecycleV2Msg>),
    /// A fill of a registered account.
    Fill {
        /// Whose.
        account: AccountId,
        /// The frame body.
        msg: FillMsg,
    },
    /// An order of a registered account was created or changed.
    UserOrder {
        /// Whose.
        account: AccountId,
        /// The frame body.
        msg: Box<UserOrderMsg>,
    },
    /// A position of a registered account changed.
    Position {
        /// Whose.
        account: AccountId,
        /// The frame body.
        msg: MarketPositionMsg,
    },
    /// An order group of a registered user was created, triggered, reset, deleted or got a
    /// new limit (`order_group_updates`).
    OrderGroup {
        /// Whose (the user's primary account).
        account: AccountId,
        /// The frame body.
        msg: OrderGroupUpdatesMsg,
    },
}

/// Kalshi's taker fee for `count` contracts at YES price `price`:
/// `ceil(0.07 × C × P × (1 − P))` rounded up to the next cent, exact integer math.
pub fn taker_fee(count: Count, price: Dollars) -> Dollars {
    // 0.07 × (c/100) × (p/1e6) × ((1e6 − p)/1e6) dollars, in cents:
    // 7 × c × p × (1e6 − p) / 1e14.
    let c = i128::from(count.raw().max(0));
    let p = i128::from(price.raw().clamp(0, Dollars::ONE.raw()));
    let numerator = 7 * c * p * (i128::from(Dollars::ONE.raw()) - p);
    let denominator: i128 = 100_000_000_000_000;
    let cents = (numerator + denominator - 1) / denominator;
    Dollars::from_cents(i64::try_from(cents).unwrap_or(i64::MAX / 10_000))
}

/// Volume-weighted average fill price and fee per contract, when anything filled.
fn averages(filled: Count, cost: Dollars, fees: Dollars) -> (Option<Dollars>, Option<Dollars>) {
    if filled.raw() <= 0 {
        return (None, None);
    }
    let per = |total: Dollars| {
        let v = (i128::from(total.raw()) * 100) / i128::from(filled.raw());
        Dollars::from_raw(i64::try_from(v).unwrap_or(i64::MAX))
    };
    (Some(per(cost)), Some(per(fees)))
}

/// The exchange state. See the module docs for the model.
#[derive(Debug)]
pub struct Engine {
    markets: BTreeMap<MarketTicker, MarketState>,
    orders: HashMap<u64, OrderRec>,
    by_id: HashMap<OrderId, u64>,
    accounts: Vec<Account>,
    next_key: u64,
    next_trade_seq: u64,
    next_fill_seq: u64,
    next_settlement_seq: u64,
    groups: BTreeMap<String, OrderGroupRec>,
    events: Vec<Event>,
    /// The trading pause in progress, if any.
    pause: Option<pause::Pause>,
}

impl Engine {
    /// An engine with these markets (empty books) and no accounts.
    pub fn new(seeds: &[MarketSeed]) -> Engine {
        let markets = seeds
            .iter()
            .map(|s| {
                let state = MarketState {
                    info: s.market.clone(),
                    market_id: uuid::Uuid::new_v4().to_string(),
                    series: s.series.clone(),
                    tick: s.tick,
                    book: OrderBook::new(),
                    queues: [BTreeMap::new(), BTreeMap::new()],
                    last_price: None,
                    last_trade_size: Count::ZERO,
                    volume: Count::ZERO,
                    volume_notional: Dollars::ZERO,
                    open_interest: Count::ZERO,
                    trades: VecDeque::new(),
                    candles: candles::Candles::default(),
                    last_ticker: TickerKey::default(),
                };
                (s.market.ticker.clone(), state)
            })
            .collect();
        Engine {
            markets,
            orders: HashMap::new(),
            by_id: HashMap::new(),
            accounts: Vec::new(),
            next_key: 1,
            next_trade_seq: 1,
            next_fill_seq: 1,
            next_settlement_seq: 1,
            groups: BTreeMap::new(),
            events: Vec::new(),
            pause: None,
        }
    }

    /// Adds an account; returns its id.
    pub fn add_account(
        &mut self,
        kind: AccountKind,
        key_id: Option<String>,
        cash: Dollars,
    ) -> AccountId {
        let id = AccountId::try_from(self.accounts.len()).unwrap_or(AccountId::MAX);
        self.accounts.push(Account {
            kind,
            root: id,
            subaccount: 0,
            subaccounts: Vec::new(),
            transfers: Vec::new(),
            key_id,
            user_id: uuid::Uuid::new_v4().to_string(),
            cash,
            reserved: Dollars::ZERO,
            positions: BTreeMap::new(),
            fills: Vec::new(),
            orders: Vec::new(),
            settlements: Vec::new(),
            orders_received: 0,
            netting: false,
            updated_ms: 0,
        });
        id
    }

    /// The events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// All markets, by ticker.
    pub fn markets(&self) -> &BTreeMap<MarketTicker, MarketState> {
        &self.markets
    }
    /// One market.
    pub fn market(&self, ticker: &MarketTicker) -> Option<&MarketState> {
        self.markets.get(ticker)
    }
    /// One account.
    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(id as usize)
    }
    /// The resting orders of `account` (one account, not its subaccounts).
    pub fn resting_orders(&self, account: AccountId) -> impl Iterator<Item = &OrderRec> + '_ {
        self.account(account)
            .map(|a| a.orders.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|k| self.orders.get(k))
            .filter(|o| o.status == OrderStatus::Resting)
    }
    /// The order with engine key `key`.
    pub fn order(&self, key: u64) -> Option<&OrderRec> {
        self.orders.get(&key)
    }
    /// An order by exchange id.
    pub fn order_by_id(&self, id: &OrderId) -> Option<&OrderRec> {
        self.by_id.get(id).and_then(|k| self.orders.get(k))
    }
    /// Every account, order, book, order group and the pause, written out in a fixed
    /// order, so two equal states read the same (tests: a refused request changes nothing).
    pub fn digest(&self) -> String {
        let mut orders: Vec<&OrderRec> = self.orders.values().collect();
        orders.sort_by_key(|o| o.key);
        let books: Vec<_> = self
            .markets
            .values()
            .map(|m| (&m.info.ticker, m.info.status, m.book.levels()))
            .collect();
        format!(
            "{:?}|{orders:?}|{books:?}|{:?}|{:?}",
            self.accounts, self.groups, self.pause
        )
    }
    /// Aggregate book levels of one market.
    pub fn levels(&self, ticker: &MarketTicker) -> Option<BookLevels> {
        self.markets.get(ticker).map(|m| m.book.levels())
    }

    /// Places a Create Order V2 request for `account` at engine time `now_ms`.
    ///
    /// # Errors
    /// [`OrderError`] when the request is refused; nothing changes then.
    pub fn place(
        &mut self,
        account: AccountId,
        req: &CreateOrderV2Request,
        now_ms: i64,
    ) -> Result<CreateOrderV2Response, OrderError> {
        let kind = self
            .accounts
            .get(account as usize)
            .map(|a| a.kind)
            .ok_or(OrderError::Invalid("unknown account"))?;
        let market = self
            .markets
            .get(&req.ticker)
            .ok_or_else(|| OrderError::MarketNotFound(req.ticker.clone()))?;
        if !market.info.status.is_tradable() {
            return Err(OrderError::MarketClosed(req.ticker.clone()));
        }
        self.refuse_if_paused()?;
        if !req.price.is_valid_price() {
            return Err(OrderError::Invalid(
                "price must be strictly between 0 and 1",
            ));
        }
        if !market.info.grid().is_valid_price(req.price) {
            return Err(OrderError::Invalid("price is not on the market's tick"));
        }
        if req.count.raw() <= 0 {
            return Err(OrderError::Invalid("count must be positive"));
        }
        if req.count > Count::from_int(1_000_000) {
            return Err(OrderError::Invalid("count too large"));
        }
        let account = self.resolve_subaccount(account, req.subaccount.map(i64::from))?;
        let order_group = self.group_for_new_order(account, req.order_group_id.as_deref())?;
        let reduce_only = req.reduce_only.unwrap_or(false);
        if reduce_only && req.time_in_force != TimeInForce::ImmediateOrCancel {
            return Err(OrderError::Invalid(
                "reduce_only requires time_in_force immediate_or_cancel",
            ));
        }
        let post_only = req.post_only.unwrap_or(false);
        if post_only && req.time_in_force != TimeInForce::GoodTillCanceled {
            return Err(OrderError::Invalid(
                "post_only requires time_in_force good_till_canceled",
            ));
        }
        let expiration_ms = match req.expiration_time {
            None => None,
            Some(_) if req.time_in_force != TimeInForce::GoodTillCanceled => {
                return Err(OrderError::Invalid(
                    "expiration_time requires time_in_force good_till_canceled",
                ))
            }
            Some(secs) if secs.saturating_mul(1000) <= now_ms => {
                return Err(OrderError::Invalid("expiration_time is in the past"))
            }
            Some(secs) => Some(secs.saturating_mul(1000)),
        };
        if req.client_order_id.as_ref().is_some_and(|c| c.len() > 64) {
            return Err(OrderError::Invalid(
                "client_order_id longer than 64 characters",
            ));
        }

        let outcome = req.side.outcome();
        let x = leg_price(outcome, req.price);
        let crosses = market
            .book
            .best_bid(outcome.opposite())
            .is_some_and(|(q, _)| q + x >= Dollars::ONE);
        if post_only && crosses {
            return Err(OrderError::PostOnlyCross);
        }

        let mut count = req.count;
        if reduce_only {
            let net = self.position(account, &req.ticker).net;
            let closable = match outcome {
                Side::Yes => (-net).raw().max(0),
                Side::No => net.raw().max(0),
            };
            count = count.min(Count::from_raw(closable));
        }

        if kind == AccountKind::Registered {
            let (closable, _) = self.closable(account, &req.ticker, outcome, count);
            let mut need = x.times(count - closable);
            if crosses {
                need += taker_fee(count, req.price);
            }
            let available = self.accounts[account as usize].available();
            if need > available {
                return Err(OrderError::InsufficientBalance { need, available });
            }
        }

        // Accepted.
        let key = self.next_key;
        self.next_key += 1;
        let id = OrderId(uuid::Uuid::new_v4().to_string());
        let order = OrderRec {
            key,
            id: id.clone(),
            account,
            client_order_id: req.client_order_id.clone(),
            ticker: req.ticker.clone(),
            book_side: req.side,
            yes_price: req.price,
            initial: req.count,
            remaining: count,
            filled: Count::ZERO,
            status: OrderStatus::Resting,
            stp: req.self_trade_prevention_type,
            taker_fill_cost: Dollars::ZERO,
            maker_fill_cost: Dollars::ZERO,
            taker_fees: Dollars::ZERO,
            reserved: Dollars::ZERO,
            close_left: Count::ZERO,
            created_ms: now_ms,
            updated_ms: now_ms,
            expiration_ms,
            last_update_reason: UpdateReason::Placed,
            post_only,
            order_group: order_group.clone(),
            cancel_on_pause: req.cancel_order_on_pause.unwrap_or(false),
        };
        self.orders.insert(key, order);
        self.by_id.insert(id.clone(), key);
        if let Some(g) = order_group.as_ref().and_then(|g| self.groups.get_mut(g)) {
            g.orders.push(key);
        }
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.orders_received += 1;
            if kind == AccountKind::Registered {
                a.orders.push(key);
            }
        }

        let fok_ok = req.time_in_force != TimeInForce::FillOrKill || self.fillable(key) >= count;
        let (stopped, filled_cost, fees) = if fok_ok {
            self.cross(key, now_ms)
        } else {
            (true, Dollars::ZERO, Dollars::ZERO)
        };

        // Rest or cancel the remainder.
        let rest = !stopped && req.time_in_force == TimeInForce::GoodTillCanceled;
        let Some(o) = self.orders.get(&key) else {
            return Err(OrderError::OrderNotFound);
        };
        let remaining = o.remaining;
        let filled = o.filled;
        let client_order_id = o.client_order_id.clone();
        if remaining.raw() > 0 {
            if rest {
                self.rest(key, now_ms);
            } else if let Some(o) = self.orders.get_mut(&key) {
                o.remaining = Count::ZERO;
                o.status = OrderStatus::Canceled;
                o.updated_ms = now_ms;
                o.last_update_reason = UpdateReason::Canceled;
            }
        } else if let Some(o) = self.orders.get_mut(&key) {
            o.status = if o.filled == o.initial {
                OrderStatus::Executed
            } else {
                OrderStatus::Canceled
            };
        }
        if reduce_only && count < req.count {
            if let Some(o) = self.orders.get_mut(&key) {
                if o.status == OrderStatus::Executed {
                    o.status = OrderStatus::Canceled;
                }
            }
        }
        self.emit_user_order(key);
        self.emit_ticker_if_changed(&req.ticker, now_ms);
        let remaining_after = self.orders.get(&key).map_or(Count::ZERO, |o| o.remaining);
        self.forget_if_done(key);

        let (average_fill_price, average_fee_paid) = averages(filled, filled_cost, fees);
        Ok(CreateOrderV2Response {
            order_id: id,
            client_order_id,
            fill_count: filled,
            remaining_count: remaining_after,
            average_fill_price,
            average_fee_paid,
            ts_ms: now_ms,
        })
    }

    /// Cancels `account`'s resting order `id` (CancelOrderV2).
    ///
    /// # Errors
    /// [`OrderError::OrderNotFound`] when the order is unknown, someone else's or not resting.
    pub fn cancel(
        &mut self,
        account: AccountId,
        id: &OrderId,
        now_ms: i64,
    ) -> Result<CancelOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        let order = self.orders.get(&key).ok_or(OrderError::OrderNotFound)?;
        let client_order_id = order.client_order_id.clone();
        let ticker = order.ticker.clone();
        let reduced_by = self.cancel_key(key, now_ms, UpdateReason::Canceled);
        self.emit_ticker_if_changed(&ticker, now_ms);
        self.forget_if_done(key);
        Ok(CancelOrderV2Response {
            order_id: id.clone(),
            client_order_id,
            reduced_by,
            ts_ms: now_ms,
        })
    }

    /// `account`'s resting order `id`, by engine key.
    fn resting_key(&self, account: AccountId, id: &OrderId) -> Result<u64, OrderError> {
        let key = *self.by_id.get(id).ok_or(OrderError::OrderNotFound)?;
        let order = self.orders.get(&key).ok_or(OrderError::OrderNotFound)?;
        if order.account != account || order.status != OrderStatus::Resting {
            return Err(OrderError::OrderNotFound);
        }
        Ok(key)
    }

    /// Amends `account`'s resting order `id` (AmendOrderV2): a new price, a new total count
    /// (`filled + resting`), and/or a new expiry (`0` removes it).
    ///
    /// Same price and no more contracts keeps the order's place in its queue; a new price or
    /// a larger size takes it off the book and re-enters it like a new order (it may cross
    /// and fill, and then rests at the back of its level). Frames say `Amend`.
    ///
    /// # Errors
    /// [`OrderError`] when refused; nothing changes then.
    pub fn amend(
        &mut self,
        account: AccountId,
        id: &OrderId,
        req: &AmendOrderV2Request,
        now_ms: i64,
    ) -> Result<AmendOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        self.refuse_if_paused()?;
        let o = self
            .orders
            .get(&key)
            .cloned()
            .ok_or(OrderError::OrderNotFound)?;
        if !req.ticker.as_str().is_empty() && req.ticker != o.ticker {
            return Err(OrderError::Invalid("ticker does not match the order"));
        }
        if req.side.is_some_and(|s| s != o.book_side) {
            return Err(OrderError::Invalid("side does not match the order"));
        }
        if req
            .client_order_id
            .as_deref()
            .is_some_and(|c| !c.is_empty() && o.client_order_id.as_deref() != Some(c))
        {
            return Err(OrderError::Invalid(
                "client_order_id does not match the order",
            ));
        }
        if req
            .updated_client_order_id
            .as_ref()
            .is_some_and(|c| c.len() > 64)
        {
            return Err(OrderError::Invalid(
                "updated_client_order_id longer than 64 characters",
            ));
        }
        let market = self
            .markets
            .get(&o.ticker)
            .ok_or_else(|| OrderError::MarketNotFound(o.ticker.clone()))?;
        if !market.info.status.is_tradable() {
            return Err(OrderError::MarketClosed(o.ticker.clone()));
        }
        if !req.price.is_valid_price() {
            return Err(OrderError::Invalid(
                "price must be strictly between 0 and 1",
            ));
        }
        if !market.info.grid().is_valid_price(req.price) {
            return Err(OrderError::Invalid("price is not on the market's tick"));
        }
        if req.count <= o.filled {
            return Err(OrderError::Invalid(
                "count (the new total) must be more than the filled count",
            ));
        }
        if req.count > Count::from_int(1_000_000) {
            return Err(OrderError::Invalid("count too large"));
        }
        let expiration_ms = match req.expiration_time {
            None => o.expiration_ms,
            Some(0) => None,
            Some(secs) if secs.saturating_mul(1000) <= now_ms => {
                return Err(OrderError::Invalid("expiration_time is in the past"))
            }
            Some(secs) => Some(secs.saturating_mul(1000)),
        };
        let new_remaining = req.count - o.filled;
        let updated_client_order_id = req
            .updated_client_order_id
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| o.client_order_id.clone());

        if req.price == o.yes_price && new_remaining <= o.remaining {
            // Keeps its place in the queue.
            let by = o.remaining - new_remaining;
            if by.raw() > 0 {
                self.shrink(key, by, now_ms);
            }
            if let Some(r) = self.orders.get_mut(&key) {
                r.initial = req.count;
                r.expiration_ms = expiration_ms;
                r.client_order_id = updated_client_order_id.clone();
                r.updated_ms = now_ms;
                r.last_update_reason = UpdateReason::Amend;
            }
            self.emit_user_order(key);
            self.emit_ticker_if_changed(&o.ticker, now_ms);
            let changed = by.raw() > 0;
            return Ok(AmendOrderV2Response {
                order_id: id.clone(),
                client_order_id: updated_client_order_id,
                remaining_count: changed.then_some(new_remaining),
                fill_count: changed.then_some(Count::ZERO),
                average_fill_price: None,
                average_fee_paid: None,
                ts_ms: now_ms,
            });
        }

        // Loses its place: checked like a new order for the new price and size.
        let outcome = o.outcome();
        let x = leg_price(outcome, req.price);
        let crosses = market
            .book
            .best_bid(outcome.opposite())
            .is_some_and(|(q, _)| q + x >= Dollars::ONE);
        if o.post_only && crosses {
            return Err(OrderError::PostOnlyCross);
        }
        if self.accounts.get(account as usize).map(|a| a.kind) == Some(AccountKind::Registered) {
            let p = self.position(account, &o.ticker);
            let opposite = match outcome {
                Side::Yes => (-p.net).raw().max(0),
                Side::No => p.net.raw().max(0),
            };
            let claimed_by_others = (p.close_claimed[side_index(outcome)] - o.close_left)
                .raw()
                .max(0);
            let free = Count::from_raw((opposite - claimed_by_others).max(0));
            let mut need = x.times(new_remaining - new_remaining.min(free));
            if crosses {
                need += taker_fee(new_remaining, req.price);
            }
            let available = self.accounts[account as usize].available() + o.reserved;
            if need > available {
                return Err(OrderError::InsufficientBalance { need, available });
            }
        }

        self.unbook(key, now_ms);
        self.release_all(key);
        if let Some(r) = self.orders.get_mut(&key) {
            r.yes_price = req.price;
            r.remaining = new_remaining;
            r.initial = req.count;
            r.expiration_ms = expiration_ms;
            r.client_order_id = updated_client_order_id.clone();
            r.updated_ms = now_ms;
        }
        let (stopped, cost, fees) = self.cross(key, now_ms);
        let remaining = self.orders.get(&key).map_or(Count::ZERO, |r| r.remaining);
        if remaining.raw() > 0 && !stopped {
            self.rest(key, now_ms);
        } else if let Some(r) = self.orders.get_mut(&key) {
            r.status = if remaining.raw() > 0 {
                OrderStatus::Canceled
            } else {
                OrderStatus::Executed
            };
            r.remaining = Count::ZERO;
        }
        let (remaining, filled) = self
            .orders
            .get(&key)
            .map_or((Count::ZERO, Count::ZERO), |r| (r.remaining, r.filled));
        if let Some(r) = self.orders.get_mut(&key) {
            r.updated_ms = now_ms;
            r.last_update_reason = UpdateReason::Amend;
        }
        self.emit_user_order(key);
        self.emit_ticker_if_changed(&o.ticker, now_ms);
        self.forget_if_done(key);
        let fill_count = filled - o.filled;
        let (average_fill_price, average_fee_paid) = averages(fill_count, cost, fees);
        Ok(AmendOrderV2Response {
            order_id: id.clone(),
            client_order_id: updated_client_order_id,
            remaining_count: Some(remaining),
            fill_count: Some(fill_count),
            average_fill_price,
            average_fee_paid,
            ts_ms: now_ms,
        })
    }

    /// Decreases `account`'s resting order `id` (DecreaseOrderV2) by `reduce_by` or to
    /// `reduce_to` resting contracts, keeping its place in the queue; down to zero cancels
    /// it. Frames say `Decrease`.
    ///
    /// # Errors
    /// [`OrderError`] when refused; nothing changes then.
    pub fn decrease(
        &mut self,
        account: AccountId,
        id: &OrderId,
        req: &DecreaseOrderV2Request,
        now_ms: i64,
    ) -> Result<DecreaseOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        let o = self
            .orders
            .get(&key)
            .cloned()
            .ok_or(OrderError::OrderNotFound)?;
        if req
            .market_ticker
            .as_ref()
            .is_some_and(|t| !t.as_str().is_empty() && *t != o.ticker)
        {
            return Err(OrderError::Invalid(
                "market_ticker does not match the order",
            ));
        }
        let by = match (req.reduce_by, req.reduce_to) {
            (Some(by), None) if by.raw() > 0 => by.min(o.remaining),
            (Some(_), None) => return Err(OrderError::Invalid("reduce_by must be positive")),
            (None, Some(to)) if to.raw() >= 0 && to < o.remaining => o.remaining - to,
            (None, Some(_)) => {
                return Err(OrderError::Invalid(
                    "reduce_to must be at least 0 and less than the resting count",
                ))
            }
            _ => {
                return Err(OrderError::Invalid(
                    "exactly one of reduce_by or reduce_to is required",
                ))
            }
        };
        if by >= o.remaining {
            self.cancel_key(key, now_ms, UpdateReason::Decrease);
        } else {
            self.shrink(key, by, now_ms);
            if let Some(r) = self.orders.get_mut(&key) {
                r.updated_ms = now_ms;
                r.last_update_reason = UpdateReason::Decrease;
            }
            self.emit_user_order(key);
        }
        self.emit_ticker_if_changed(&o.ticker, now_ms);
        let remaining_count = self.orders.get(&key).map_or(Count::ZERO, |r| r.remaining);
        self.forget_if_done(key);
        Ok(DecreaseOrderV2Response {
            order_id: id.clone(),
            client_order_id: o.client_order_id,
            remaining_count,
            ts_ms: now_ms,
        })
    }

    /// Cancels every resting order of `account` (CancelAllOrders); returns how many.
    pub fn cancel_all(&mut self, account: AccountId, now_ms: i64) -> usize {
        let keys: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.account == account && o.status == OrderStatus::Resting)
            .map(|o| o.key)
            .collect();
        let mut tickers = Vec::new();
        for &key in &keys {
            if let Some(o) = self.orders.get(&key) {
                if !tickers.contains(&o.ticker) {
                    tickers.push(o.ticker.clone());
                }
            }
            self.cancel_key(key, now_ms, UpdateReason::Canceled);
            self.forget_if_done(key);
        }
        for t in &tickers {
            self.emit_ticker_if_changed(t, now_ms);
        }
        keys.len()
    }

    /// Contracts ahead of resting order `key` at its price level (price-time priority).
    pub fn queue_position(&self, key: u64) -> Option<Count> {
        let o = self.orders.get(&key)?;
        if o.status != OrderStatus::Resting {
            return None;
        }
        let queue =
            self.markets.get(&o.ticker)?.queues[side_index(o.outcome())].get(&o.leg_price())?;
        let mut ahead = Count::ZERO;
        for k in queue {
            if *k == key {
                return Some(ahead);
            }
            ahead += self.orders.get(k).map_or(Count::ZERO, |r| r.remaining);
        }
        None
    }

    /// Queue positions of `account`'s resting orders (GetOrderQueuePositions), oldest
    /// first, in the markets `keep` accepts.
    pub fn queue_positions(
        &self,
        account: AccountId,
        keep: impl Fn(&MarketState) -> bool,
    ) -> Vec<OrderQueuePosition> {
        let Some(a) = self.accounts.get(account as usize) else {
            return Vec::new();
        };
        a.orders
            .iter()
            .filter_map(|&key| {
                let o = self.orders.get(&key)?;
                if !self.markets.get(&o.ticker).is_some_and(&keep) {
                    return None;
                }
                Some(OrderQueuePosition {
                    order_id: o.id.clone(),
                    market_ticker: o.ticker.clone(),
                    queue_position_fp: self.queue_position(key)?,
                })
            })
            .collect()
    }

    /// Cancels resting orders whose `expiration_time` has passed; returns how many.
    pub fn expire(&mut self, now_ms: i64) -> usize {
        let due: Vec<u64> = self
            .orders
            .values()
            .filter(|o| {
                o.status == OrderStatus::Resting && o.expiration_ms.is_some_and(|e| e <= now_ms)
            })
            .map(|o| o.key)
            .collect();
        for &key in &due {
            let ticker = self.orders.get(&key).map(|o| o.ticker.clone());
            self.cancel_key(key, now_ms, UpdateReason::Expiry);
            if let Some(t) = ticker {
                self.emit_ticker_if_changed(&t, now_ms);
            }
            self.forget_if_done(key);
        }
        due.len()
    }

    /// A position (default when none).
    pub fn position(&self, account: AccountId, ticker: &MarketTicker) -> Position {
        self.accounts
            .get(account as usize)
            .and_then(|a| a.positions.get(ticker))
            .cloned()
            .unwrap_or_default()
    }

    /// The `market_position` message for a position.
    pub fn position_msg(&self, account: AccountId, ticker: &MarketTicker) -> MarketPositionMsg {
        let p = self.position(account, ticker);
        MarketPositionMsg {
            user_id: self
                .accounts
                .get(account as usize)
                .map(|a| a.user_id.clone()),
            market_ticker: ticker.clone(),
            position_fp: p.net,
            position_cost_dollars: Some(p.cost),
            realized_pnl_dollars: Some(p.realized_pnl),
            fees_paid_dollars: Some(p.fees),
            position_fee_cost_dollars: Some(p.fees),
            volume_fp: Some(p.volume),
            subaccount: Some(self.subaccount_number(account)),
        }
    }

    /// The `user_order` message for an order.
    pub fn user_order_msg(&self, key: u64) -> Option<UserOrderMsg> {
        let o = self.orders.get(&key)?;
        let outcome = o.outcome();
        Some(UserOrderMsg {
            order_id: o.id.clone(),
            user_id: self
                .accounts
                .get(o.account as usize)
                .map(|a| a.user_id.clone()),
            ticker: o.ticker.clone(),
            status: o.status,
            outcome_side: Some(outcome),
            book_side: Some(o.book_side),
            side: Some(outcome),
            yes_price_dollars: o.yes_price,
            fill_count_fp: o.filled,
            remaining_count_fp: o.remaining,
            initial_count_fp: o.initial,
            client_order_id: Some(o.client_order_id.clone().unwrap_or_default()),
            order_group_id: o.order_group.clone(),
            created_ts_ms: Some(o.created_ms),
            last_updated_ts_ms: Some(o.updated_ms),
            last_update_reason: o.last_update_reason.kalshi().map(str::to_owned),
            subaccount_number: Some(self.subaccount_number(o.account)),
            exchange_index: Some(0),
            is_yes: Some(outcome == Side::Yes),
            taker_fill_cost_dollars: Some(o.taker_fill_cost),
            maker_fill_cost_dollars: Some(o.maker_fill_cost),
            taker_fees_dollars: Some(o.taker_fees),
            maker_fees_dollars: Some(Dollars::ZERO),
            created_time: Some(rfc3339_ms(o.created_ms)),
            self_trade_prevention_type: Some(o.stp),
        })
    }

    // ----- internals -------------------------------------------------------------------

    /// Contracts of a new order for `outcome` that would close an unclaimed opposite
    /// position, and that position's size.
    fn closable(
        &self,
        account: AccountId,
        ticker: &MarketTicker,
        outcome: Side,
        count: Count,
    ) -> (Count, Count) {
        let p = self.position(account, ticker);
        let opposite = match outcome {
            Side::Yes => (-p.net).raw().max(0),
            Side::No => p.net.raw().max(0),
        };
        let free = (opposite - p.close_claimed[side_index(outcome)].raw()).max(0);
        (count.min(Count::from_raw(free)), Count::from_raw(opposite))
    }

    /// Matches taker order `key` (not on the book) against the opposite ladder, best level
    /// first, until it is filled, no longer crosses, or self-trade prevention stops it.
    /// Returns whether it was stopped, the YES notional filled and the taker fees.
    fn cross(&mut self, key: u64, now_ms: i64) -> (bool, Dollars, Dollars) {
        let mut filled_cost = Dollars::ZERO;
        let mut fees = Dollars::ZERO;
        loop {
            let Some(o) = self.orders.get(&key) else {
                return (false, filled_cost, fees);
            };
            if o.remaining.raw() <= 0 {
                return (false, filled_cost, fees);
            }
            let (remaining, account, stp) = (o.remaining, o.account, o.stp);
            let (outcome, x) = (o.outcome(), o.leg_price());
            let Some(market) = self.markets.get(&o.ticker) else {
                return (false, filled_cost, fees);
            };
            let Some((&q, queue)) = market.queues[side_index(outcome.opposite())]
                .iter()
                .next_back()
            else {
                return (false, filled_cost, fees);
            };
            if q + x < Dollars::ONE {
                return (false, filled_cost, fees);
            }
            let Some(maker) = queue.front().and_then(|k| self.orders.get(k)) else {
                return (false, filled_cost, fees);
            };
            let maker_key = maker.key;
            if self.root(maker.account) == self.root(account) {
                match stp {
                    SelfTradePrevention::TakerAtCross => return (true, filled_cost, fees),
                    SelfTradePrevention::Maker => {
                        self.cancel_key(maker_key, now_ms, UpdateReason::SelfTrade);
                        continue;
                    }
                }
            }
            let mut f = remaining.min(maker.remaining);
            for room in [
                self.group_room(key, now_ms),
                self.group_room(maker_key, now_ms),
            ]
            .into_iter()
            .flatten()
            {
                f = f.min(room);
            }
            if f.raw() <= 0 {
                return (true, filled_cost, fees);
            }
            let (cost, fee) = self.execute(key, maker_key, f, q, now_ms);
            filled_cost += cost;
            fees += fee;
        }
    }

    /// Contracts the taker order `key` could fill right now (for fill-or-kill), honouring
    /// its self-trade prevention.
    fn fillable(&self, key: u64) -> Count {
        let Some(o) = self.orders.get(&key) else {
            return Count::ZERO;
        };
        let Some(m) = self.markets.get(&o.ticker) else {
            return Count::ZERO;
        };
        let x = o.leg_price();
        let opp = o.outcome().opposite();
        let mut total = Count::ZERO;
        for (&q, queue) in m.queues[side_index(opp)].iter().rev() {
            if q + x < Dollars::ONE {
                break;
            }
            for k in queue {
                let Some(r) = self.orders.get(k) else {
                    continue;
                };
                if self.root(r.account) == self.root(o.account) {
                    match o.stp {
                        SelfTradePrevention::TakerAtCross => return total,
                        SelfTradePrevention::Maker => continue,
                    }
                }
                total += r.remaining;
                if total >= o.remaining {
                    return total;
                }
            }
        }
        total
    }

    /// Matches `f` contracts between taker `taker_key` and the maker at the front of level
    /// `q` (maker's leg price). Returns the YES notional of the fill and the taker's fee.
    fn execute(
        &mut self,
        taker_key: u64,
        maker_key: u64,
        f: Count,
        q: Dollars,
        now_ms: i64,
    ) -> (Dollars, Dollars) {
        let (Some(maker), Some(taker)) = (
            self.orders.get(&maker_key).cloned(),
            self.orders.get(&taker_key).cloned(),
        ) else {
            return (Dollars::ZERO, Dollars::ZERO);
        };
        let maker_side = maker.outcome();
        let taker_side = taker.outcome();
        let yes_price = match maker_side {
            Side::Yes => q,
            Side::No => q.complement(),
        };
        let taker_leg = q.complement();
        let fee = taker_fee(f, yes_price);
        let ticker = maker.ticker.clone();

        // Maker order and its level.
        if let Some(m) = self.orders.get_mut(&maker_key) {
            m.remaining -= f;
            m.filled += f;
            m.maker_fill_cost += q.times(f);
            m.updated_ms = now_ms;
            m.last_update_reason = UpdateReason::Trade;
            if m.remaining.raw() <= 0 {
                m.status = OrderStatus::Executed;
            }
        }
        let maker_done = self
            .orders
            .get(&maker_key)
            .is_some_and(|m| m.remaining.raw() <= 0);
        if let Some(market) = self.markets.get_mut(&ticker) {
            let _ = market.book.apply_delta(maker_side, q, -f);
            if maker_done {
                let ladder = &mut market.queues[side_index(maker_side)];
                if let Some(queue) = ladder.get_mut(&q) {
                    queue.retain(|k| *k != maker_key);
                    if queue.is_empty() {
                        ladder.remove(&q);
                    }
                }
            }
            self.events.push(Event::Delta {
                ticker: ticker.clone(),
                market_id: market.market_id.clone(),
                side: maker_side,
                price: q,
                delta: -f,
                owner: maker.account,
                client_order_id: maker.client_order_id.clone(),
                ts_ms: now_ms,
            });
        }
        self.release(maker_key, f);

        // Taker order.
        if let Some(t) = self.orders.get_mut(&taker_key) {
            t.remaining -= f;
            t.filled += f;
            t.taker_fill_cost += taker_leg.times(f);
            t.taker_fees += fee;
            t.updated_ms = now_ms;
            t.last_update_reason = UpdateReason::Trade;
        }

        // Money and positions.
        let maker_post = self.apply_fill(
            maker.account,
            &ticker,
            maker_side,
            q,
            f,
            Dollars::ZERO,
            now_ms,
        );
        let taker_post = self.apply_fill(
            taker.account,
            &ticker,
            taker_side,
            taker_leg,
            f,
            fee,
            now_ms,
        );

        // Trade.
        let trade = TradeRec {
            seq: self.next_trade_seq,
            trade_id: TradeId(uuid::Uuid::new_v4().to_string()),
            ticker: ticker.clone(),
            yes_price,
            count: f,
            taker_outcome: taker_side,
            ts_ms: now_ms,
        };
        self.next_trade_seq += 1;
        if let Some(market) = self.markets.get_mut(&ticker) {
            market.last_price = Some(yes_price);
            market.last_trade_size = f;
            market.volume += f;
            market.volume_notional += yes_price.times(f);
            market.trades.push_back(trade.clone());
            while market.trades.len() > TRADES_KEPT_PER_MARKET {
                market.trades.pop_front();
            }
            let bid = market.book.best_bid(Side::Yes).map(|(p, _)| p);
            let ask = market.book.best_ask(Side::Yes).map(|(p, _)| p);
            let oi = market.open_interest;
            market
                .candles
                .record_trade(now_ms, yes_price, f, bid, ask, oi);
        }
        self.events.push(Event::Trade(trade.clone()));

        for (order, is_taker, fee, post) in [
            (&maker, false, Dollars::ZERO, maker_post),
            (&taker, true, fee, taker_post),
        ] {
            if self.accounts.get(order.account as usize).map(|a| a.kind)
                != Some(AccountKind::Registered)
            {
                continue;
            }
            let outcome = order.outcome();
            let msg = FillMsg {
                trade_id: trade.trade_id.clone(),
                order_id: order.id.clone(),
                market_ticker: ticker.clone(),
                is_taker,
                yes_price_dollars: yes_price,
                count_fp: f,
                fee_cost: Some(fee),
                outcome_side: Some(outcome),
                book_side: Some(order.book_side),
                side: Some(outcome),
                action: Some("buy".to_owned()),
                purchased_side: Some(outcome),
                post_position_fp: Some(post),
                client_order_id: order.client_order_id.clone(),
                exchange_index: Some(0),
                subaccount: None,
                ts: Some(now_ms.div_euclid(1000)),
                ts_ms: Some(now_ms),
            };
            self.record_fill(order.account, &ticker, msg);
        }
        self.emit_user_order(maker_key);
        self.forget_if_done(maker_key);
        self.count_group_match(maker_key, f, now_ms);
        self.count_group_match(taker_key, f, now_ms);
        (yes_price.times(f), fee)
    }

    /// Books a fill of `f` contracts of `outcome` at leg price `x` for `account`; returns
    /// the net position after.
    #[allow(clippy::too_many_arguments)]
    fn apply_fill(
        &mut self,
        account: AccountId,
        ticker: &MarketTicker,
        outcome: Side,
        x: Dollars,
        f: Count,
        fee: Dollars,
        now_ms: i64,
    ) -> Count {
        let Some(a) = self.accounts.get_mut(account as usize) else {
            return Count::ZERO;
        };
        let p = a.positions.entry(ticker.clone()).or_default();
        let old = p.net;
        let opposite = match outcome {
            Side::Yes => Count::from_raw((-old).raw().max(0)),
            Side::No => Count::from_raw(old.raw().max(0)),
        };
        let k = f.min(opposite);
        let o = f - k;
        let mut cash = Dollars::ZERO;
        if k.raw() > 0 {
            let removed = if k == opposite {
                p.cost
            } else {
                Dollars::from_raw(
                    ((i128::from(p.cost.raw()) * i128::from(k.raw())) / i128::from(opposite.raw()))
                        as i64,
                )
            };
            p.cost -= removed;
            let proceeds = Dollars::ONE.times(k) - x.times(k);
            cash += proceeds;
            p.realized_pnl += proceeds - removed;
        }
        if o.raw() > 0 {
            p.cost += x.times(o);
            cash -= x.times(o);
        }
        cash -= fee;
        p.fees += fee;
        p.traded += x.times(f);
        p.volume += f;
        p.net = match outcome {
            Side::Yes => old + f,
            Side::No => old - f,
        };
        p.updated_ms = now_ms;
        let new = p.net;
        a.cash += cash;
        a.updated_ms = now_ms;
        let oi_delta = Count::from_raw(new.raw().max(0) - old.raw().max(0));
        if let Some(m) = self.markets.get_mut(ticker) {
            m.open_interest += oi_delta;
            m.candles.note_open_interest(now_ms, m.open_interest);
        }
        new
    }

    /// Puts the remainder of order `key` on the book and reserves its collateral.
    fn rest(&mut self, key: u64, now_ms: i64) {
        let Some(o) = self.orders.get(&key).cloned() else {
            return;
        };
        let outcome = o.outcome();
        let x = o.leg_price();
        if self.accounts.get(o.account as usize).map(|a| a.kind) == Some(AccountKind::Registered) {
            let (closable, _) = self.closable(o.account, &o.ticker, outcome, o.remaining);
            let reserve = x.times(o.remaining - closable);
            if let Some(a) = self.accounts.get_mut(o.account as usize) {
                a.reserved += reserve;
                a.positions
                    .entry(o.ticker.clone())
                    .or_default()
                    .close_claimed[side_index(outcome)] += closable;
            }
            if let Some(r) = self.orders.get_mut(&key) {
                r.reserved = reserve;
                r.close_left = closable;
            }
        }
        if let Some(market) = self.markets.get_mut(&o.ticker) {
            let _ = market.book.apply_delta(outcome, x, o.remaining);
            market.queues[side_index(outcome)]
                .entry(x)
                .or_default()
                .push_back(key);
            self.events.push(Event::Delta {
                ticker: o.ticker.clone(),
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: o.remaining,
                owner: o.account,
                client_order_id: o.client_order_id.clone(),
                ts_ms: now_ms,
            });
        }
        if let Some(r) = self.orders.get_mut(&key) {
            r.status = OrderStatus::Resting;
            r.updated_ms = now_ms;
        }
    }

    /// Releases collateral for `f` filled contracts of resting order `key` (closing part
    /// first), and everything left once the order is done.
    fn release(&mut self, key: u64, f: Count) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let outcome = o.outcome();
        let from_close = f.min(o.close_left);
        o.close_left -= from_close;
        let from_open = f - from_close;
        let mut release = o.leg_price().times(from_open).min(o.reserved);
        let mut unclaim = from_close;
        if o.remaining.raw() <= 0 || o.status != OrderStatus::Resting {
            release = o.reserved;
            unclaim += o.close_left;
            o.close_left = Count::ZERO;
        }
        o.reserved -= release;
        let (account, ticker) = (o.account, o.ticker.clone());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(outcome)];
                *c = Count::from_raw((*c - unclaim).raw().max(0));
            }
        }
    }

    /// Removes resting order `key` from its book; returns the contracts removed.
    fn cancel_key(&mut self, key: u64, now_ms: i64, reason: UpdateReason) -> Count {
        let Some(o) = self.orders.get(&key) else {
            return Count::ZERO;
        };
        if o.status != OrderStatus::Resting {
            return Count::ZERO;
        }
        let removed = o.remaining;
        self.unbook(key, now_ms);
        if let Some(r) = self.orders.get_mut(&key) {
            r.remaining = Count::ZERO;
            r.status = OrderStatus::Canceled;
            r.updated_ms = now_ms;
            r.last_update_reason = reason;
        }
        self.release(key, Count::ZERO);
        self.emit_user_order(key);
        removed
    }

    /// Takes order `key` out of its level's queue and its resting contracts off the book
    /// (one delta); the order record itself is unchanged.
    fn unbook(&mut self, key: u64, now_ms: i64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        let (outcome, x, removed) = (o.outcome(), o.leg_price(), o.remaining);
        let (ticker, owner, client_order_id) =
            (o.ticker.clone(), o.account, o.client_order_id.clone());
        let Some(market) = self.markets.get_mut(&ticker) else {
            return;
        };
        let ladder = &mut market.queues[side_index(outcome)];
        let mut on_book = false;
        if let Some(queue) = ladder.get_mut(&x) {
            let before = queue.len();
            queue.retain(|k| *k != key);
            on_book = queue.len() != before;
            if queue.is_empty() {
                ladder.remove(&x);
            }
        }
        if on_book && removed.raw() > 0 {
            let _ = market.book.apply_delta(outcome, x, -removed);
            self.events.push(Event::Delta {
                ticker,
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: -removed,
                owner,
                client_order_id,
                ts_ms: now_ms,
            });
        }
    }

    /// Releases all collateral and position claims of order `key` (it is about to re-rest
    /// or is done).
    fn release_all(&mut self, key: u64) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let (release, unclaim) = (o.reserved, o.close_left);
        o.reserved = Dollars::ZERO;
        o.close_left = Count::ZERO;
        let (account, ticker, side) = (o.account, o.ticker.clone(), o.outcome());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(side)];
                *c = Count::from_raw((*c - unclaim).raw().max(0));
            }
        }
    }

    /// Takes `by` (less than its resting count) contracts off resting order `key` in place,
    /// keeping its queue position; releases their collateral (opening part first).
    fn shrink(&mut self, key: u64, by: Count, now_ms: i64) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let by = by.min(o.remaining);
        let (outcome, x) = (o.outcome(), o.leg_price());
        let open = Count::from_raw((o.remaining - o.close_left).raw().max(0));
        let from_open = by.min(open);
        let from_close = by - from_open;
        let release = x.times(from_open).min(o.reserved);
        o.remaining -= by;
        o.reserved -= release;
        o.close_left = Count::from_raw((o.close_left - from_close).raw().max(0));
        let (account, ticker, client_order_id) =
            (o.account, o.ticker.clone(), o.client_order_id.clone());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(outcome)];
                *c = Count::from_raw((*c - from_close).raw().max(0));
            }
        }
        if let Some(market) = self.markets.get_mut(&ticker) {
            let _ = market.book.apply_delta(outcome, x, -by);
            self.events.push(Event::Delta {
                ticker,
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: -by,
                owner: account,
                client_order_id,
                ts_ms: now_ms,
            });
        }
    }

    /// Drops a finished participant order from the maps (registered orders are kept).
    fn forget_if_done(&mut self, key: u64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        if o.status == OrderStatus::Resting {
            return;
        }
        if self.accounts.get(o.account as usize).map(|a| a.kind) == Some(AccountKind::Participant) {
            if let Some(o) = self.orders.remove(&key) {
                self.by_id.remove(&o.id);
            }
        }
    }

    /// Queues a `market_lifecycle_v2` event of `kind` for `ticker`, `fill` setting the fields
    /// that event carries.
    fn emit_lifecycle(
        &mut self,
        ticker: &MarketTicker,
        kind: MarketLifecycleV2MsgEventType,
        fill: impl FnOnce(&mut MarketLifecycleV2Msg),
    ) {
        let mut msg = MarketLifecycleV2Msg {
            event_type: kind,
            market_ticker: ticker.clone(),
            ..MarketLifecycleV2Msg::default()
        };
        fill(&mut msg);
        self.events.push(Event::Lifecycle(Box::new(msg)));
    }

    fn emit_user_order(&mut self, key: u64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        if self.accounts.get(o.account as usize).map(|a| a.kind) != Some(AccountKind::Registered) {
            return;
        }
        let account = self.root(o.account);
        if let Some(msg) = self.user_order_msg(key) {
            self.events.push(Event::UserOrder {
                account,
                msg: Box::new(msg),
            });
        }
    }

    /// Records a fill of registered `account` (its subaccount number filled in) and emits
    /// the `fill` and `market_position` events to its user.
    fn record_fill(&mut self, account: AccountId, ticker: &MarketTicker, mut msg: FillMsg) {
        let number = self.subaccount_number(account);
        msg.subaccount = Some(number);
        let seq = self.next_fill_seq;
        self.next_fill_seq += 1;
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.fills.push(FillRec {
                seq,
                fill_id: uuid::Uuid::new_v4().to_string(),
                msg: msg.clone(),
            });
        }
        let root = self.root(account);
        self.events.push(Event::Fill { account: root, msg });
        let pos = self.position_msg(account, ticker);
        self.events.push(Event::Position {
            account: root,
            msg: pos,
        });
    }

    /// Emits a ticker event when best bid/ask, last, volume or open interest changed.
    pub fn emit_ticker_if_changed(&mut self, ticker: &MarketTicker, now_ms: i64) {
        let Some(m) = self.markets.get_mut(ticker) else {
            return;
        };
        let key = m.ticker_key();
        if key != m.last_ticker {
            m.last_ticker = key;
            let msg = m.ticker_msg(now_ms);
            self.events.push(Event::Ticker(msg));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::schema::MarketStatus;
    use shared::rest::PriceRange;

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }
    fn c(s: &str) -> Count {
        s.parse().unwrap()
    }
    const T: &str = "KXTEST-1";
    const NOW: i64 = 1_780_000_000_000;

    fn seed(ticker: &str, step: &str) -> MarketSeed {
        let market: Market = serde_json::from_value(serde_json::json!({
            "ticker": ticker, "event_ticker": "KXTEST", "status": "active",
        }))
        .unwrap();
        let mut market = market;
        market.status = MarketStatus::Active;
        market.price_ranges = vec![PriceRange {
            start: Dollars::ZERO,
            end: Dollars::ONE,
            step: d(step),
        }];
        MarketSeed {
            market,
            series: "KXTEST".into(),
            tick: d(step),
            fair: None,
        }
    }

    pub(super) struct Fx {
        pub(super) e: Engine,
        pub(super) alice: AccountId,
        pub(super) bob: AccountId,
        pub(super) crowd: AccountId,
    }

    pub(super) fn fx() -> Fx {
        let mut e = Engine::new(&[seed(T, "0.01"), seed("KXTEST-DECI", "0.001")]);
        let alice = e.add_account(
            AccountKind::Registered,
            Some("alice".into()),
            Dollars::from_int(100),
        );
        let bob = e.add_account(
            AccountKind::Registered,
            Some("bob".into()),
            Dollars::from_int(100),
        );
        let crowd = e.add_account(AccountKind::Participant, None, Dollars::ZERO);
        Fx {
            e,
            alice,
            bob,
            crowd,
        }
    }

    pub(super) fn req(side: BookSide, price: &str, count: &str) -> CreateOrderV2Request {
        CreateOrderV2Request {
            ticker: T.into(),
            client_order_id: Some(format!("c-{price}-{count}")),
            side,
            count: c(count),
            price: d(price),
            time_in_force: TimeInForce::GoodTillCanceled,
            self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
            expiration_time: None,
            post_only: None,
            reduce_only: None,
            cancel_order_on_pause: None,
            subaccount: None,
            order_group_id: None,
        }
    }
    fn ioc(mut r: CreateOrderV2Request) -> CreateOrderV2Request {
        r.time_in_force = TimeInForce::ImmediateOrCancel;
        r
    }

    fn levels(e: &Engine) -> BookLevels {
        e.levels(&T.into()).unwrap()
    }

    #[test]
    fn fee_formula_is_exact_and_rounds_up_to_the_cent() {
        let table = [
            ("100", "0.50", "1.75"),
            ("1", "0.50", "0.02"),
            ("10", "0.10", "0.07"),
            ("0.01", "0.99", "0.01"),
            ("500", "0.37", "8.16"),
        ];
        for (count, price, fee) in table {
            assert_eq!(taker_fee(c(count), d(price)), d(fee), "{count} @ {price}");
        }
    }

    #[test]
    fn resting_orders_build_two_ladders() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Bid, "0.40", "10"), NOW)
            .unwrap();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.45", "5"), NOW)
            .unwrap();
        let l = levels(&f.e);
        assert_eq!(l.yes, vec![(d("0.40"), c("10"))]);
        assert_eq!(
            l.no,
            vec![(d("0.55"), c("5"))],
            "an ask at YES 0.45 is a NO bid at 0.55"
        );
    }

    #[test]
    fn matching_table() {
        struct Case {
            name: &'static str,
            resting: Vec<(BookSide, &'static str, &'static str)>,
            taker: CreateOrderV2Request,
            fill: &'static str,
            remaining: &'static str,
            avg: Option<&'static str>,
            yes_after: Vec<(&'static str, &'static str)>,
            no_after: Vec<(&'static str, &'static str)>,
        }
        let cases = vec![
            Case {
                name: "no cross rests",
                resting: vec![(BookSide::Ask, "0.50", "10")],
                taker: req(BookSide::Bid, "0.49", "5"),
                fill: "0.00",
                remaining: "5.00",
                avg: None,
                yes_after: vec![("0.49", "5")],
                no_after: vec![("0.50", "10")],
            },
            Case {
                name: "full cross at the maker's price",
                resting: vec![(BookSide::Ask, "0.50", "10")],
                taker: req(BookSide::Bid, "0.55", "4"),
                fill: "4.00",
                remaining: "0.00",
                avg: Some("0.50"),
                yes_after: vec![],
                no_after: vec![("0.50", "6")],
            },
            Case {
                name: "partial fill then rest",
                resting: vec![(BookSide::Ask, "0.50", "3")],
                taker: req(BookSide::Bid, "0.50", "5"),
                fill: "3.00",
                remaining: "2.00",
                avg: Some("0.50"),
                yes_after: vec![("0.50", "2")],
                no_after: vec![],
            },
            Case {
                name: "walks levels best first",
                resting: vec![
                    (BookSide::Ask, "0.52", "2"),
                    (BookSide::Ask, "0.50", "2"),
                    (BookSide::Ask, "0.51", "2"),
                ],
                taker: req(BookSide::Bid, "0.51", "5"),
                fill: "4.00",
                remaining: "1.00",
                avg: Some("0.505"),
                yes_after: vec![("0.51", "1")],
                no_after: vec![("0.48", "2")],
            },
            Case {
                name: "ask crosses yes bids",
                resting: vec![
                    (BookSide::Bid, "0.60", "1.5"),
                    (BookSide::Bid, "0.58", "10"),
                ],
                taker: ioc(req(BookSide::Ask, "0.59", "5")),
                fill: "1.50",
                remaining: "0.00",
                avg: Some("0.60"),
                yes_after: vec![("0.58", "10")],
                no_after: vec![],
            },
            Case {
                name: "IOC remainder is cancelled",
                resting: vec![(BookSide::Ask, "0.50", "3")],
                taker: ioc(req(BookSide::Bid, "0.60", "5")),
                fill: "3.00",
                remaining: "0.00",
                avg: Some("0.50"),
                yes_after: vec![],
                no_after: vec![],
            },
            Case {
                name: "FOK without enough liquidity does nothing",
                resting: vec![(BookSide::Ask, "0.50", "3")],
                taker: {
                    let mut r = req(BookSide::Bid, "0.60", "5");
                    r.time_in_force = TimeInForce::FillOrKill;
                    r
                },
                fill: "0.00",
                remaining: "0.00",
                avg: None,
                yes_after: vec![],
                no_after: vec![("0.50", "3")],
            },
        ];
        for case in cases {
            let mut f = fx();
            for (side, p, n) in &case.resting {
                f.e.place(f.crowd, &req(*side, p, n), NOW).unwrap();
            }
            let r = f.e.place(f.alice, &case.taker, NOW).unwrap();
            assert_eq!(r.fill_count.to_string(), case.fill, "{}", case.name);
            assert_eq!(
                r.remaining_count.to_string(),
                case.remaining,
                "{}",
                case.name
            );
            assert_eq!(r.average_fill_price, case.avg.map(d), "{}", case.name);
            let l = levels(&f.e);
            let want =
                |v: &Vec<(&str, &str)>| v.iter().map(|(p, n)| (d(p), c(n))).collect::<Vec<_>>();
            assert_eq!(l.yes, want(&case.yes_after), "{} yes", case.name);
            assert_eq!(l.no, want(&case.no_after), "{} no", case.name);
        }
    }

    #[test]
    fn price_time_priority_fills_the_oldest_order_first() {
        let mut f = fx();
        let first =
            f.e.place(f.bob, &req(BookSide::Ask, "0.50", "2"), NOW)
                .unwrap();
        let second =
            f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "2"), NOW + 1)
                .unwrap();
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "3"), NOW + 2)
            .unwrap();
        assert_eq!(
            f.e.order_by_id(&first.order_id).unwrap().status,
            OrderStatus::Executed
        );
        let second = f.e.order_by_id(&second.order_id).unwrap();
        assert_eq!(second.remaining, c("1"));
        let bob_fills = &f.e.account(f.bob).unwrap().fills;
        assert_eq!(bob_fills.len(), 1);
        assert!(!bob_fills[0].msg.is_taker);
        assert_eq!(bob_fills[0].msg.outcome_side, Some(Side::No));
        assert_eq!(
            bob_fills[0].msg.fee_cost,
            Some(Dollars::ZERO),
            "makers pay no fee"
        );
        let alice_fills = &f.e.account(f.alice).unwrap().fills;
        assert_eq!(alice_fills.len(), 2);
        assert!(alice_fills
            .iter()
            .all(|x| x.msg.is_taker && x.msg.yes_price_dollars == d("0.50")));
    }

    #[test]
    fn post_only_refuses_to_cross() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "10"), NOW)
            .unwrap();
        let mut r = req(BookSide::Bid, "0.50", "1");
        r.post_only = Some(true);
        assert_eq!(f.e.place(f.alice, &r, NOW), Err(OrderError::PostOnlyCross));
        r.price = d("0.49");
        assert!(f.e.place(f.alice, &r, NOW).is_ok());
        assert_eq!(
            f.e.account(f.alice).unwrap().orders_received,
            1,
            "refused orders are not counted"
        );
    }

    #[test]
    fn validation_refusals() {
        let mut f = fx();
        let mut bad_tick = req(BookSide::Bid, "0.505", "1");
        assert!(matches!(
            f.e.place(f.alice, &bad_tick, NOW),
            Err(OrderError::Invalid(_))
        ));
        bad_tick.ticker = "KXTEST-DECI".into();
        assert!(
            f.e.place(f.alice, &bad_tick, NOW).is_ok(),
            "0.505 is on a deci-cent tick"
        );
        assert!(matches!(
            f.e.place(f.alice, &req(BookSide::Bid, "1.00", "1"), NOW),
            Err(OrderError::Invalid(_))
        ));
        assert!(matches!(
            f.e.place(f.alice, &req(BookSide::Bid, "0.50", "0"), NOW),
            Err(OrderError::Invalid(_))
        ));
        let mut unknown = req(BookSide::Bid, "0.50", "1");
        unknown.ticker = "NOPE".into();
        assert!(matches!(
            f.e.place(f.alice, &unknown, NOW),
            Err(OrderError::MarketNotFound(_))
        ));
        let mut ro = req(BookSide::Bid, "0.50", "1");
        ro.reduce_only = Some(true);
        assert!(
            matches!(f.e.place(f.alice, &ro, NOW), Err(OrderError::Invalid(_))),
            "reduce_only needs IOC"
        );
    }

    #[test]
    fn balance_refusal_and_reservation() {
        let mut f = fx();
        // $100: 150 YES at 0.70 costs $105.
        let r = f.e.place(f.alice, &req(BookSide::Bid, "0.70", "150"), NOW);
        assert!(
            matches!(r, Err(OrderError::InsufficientBalance { .. })),
            "{r:?}"
        );
        // Selling YES at 0.30 = buying NO at 0.70: same cost.
        let r = f.e.place(f.alice, &req(BookSide::Ask, "0.30", "150"), NOW);
        assert!(
            matches!(r, Err(OrderError::InsufficientBalance { .. })),
            "{r:?}"
        );
        // A resting bid reserves its cost.
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "100"), NOW)
            .unwrap();
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("50"));
        assert!(matches!(
            f.e.place(f.alice, &req(BookSide::Bid, "0.50", "101"), NOW),
            Err(OrderError::InsufficientBalance { .. })
        ));
    }

    #[test]
    fn netting_realizes_pnl_and_closing_needs_no_balance() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "100"), NOW)
            .unwrap();
        // Alice buys 100 YES at 0.40 (taker): $40 + fee ceil(0.07*100*0.4*0.6)=1.68.
        f.e.place(f.alice, &ioc(req(BookSide::Bid, "0.40", "100")), NOW)
            .unwrap();
        let a = f.e.account(f.alice).unwrap();
        assert_eq!(a.cash, d("58.32"));
        let p = f.e.position(f.alice, &T.into());
        assert_eq!((p.net, p.cost, p.fees), (c("100"), d("40"), d("1.68")));
        assert_eq!(f.e.market(&T.into()).unwrap().open_interest, c("100"));
        // Spend the rest of the cash so only closing is affordable.
        f.e.place(f.alice, &req(BookSide::Bid, "0.01", "5832"), NOW)
            .unwrap();
        assert_eq!(f.e.account(f.alice).unwrap().available(), Dollars::ZERO);
        // Selling 60 YES at 0.70 closes: allowed with zero available balance.
        let sell =
            f.e.place(f.alice, &req(BookSide::Ask, "0.70", "60"), NOW)
                .unwrap();
        assert_eq!(sell.remaining_count, c("60"));
        // Bob lifts it: Alice (maker) buys 60 NO at 0.30, closing 60 YES.
        f.e.place(f.bob, &ioc(req(BookSide::Bid, "0.70", "60")), NOW)
            .unwrap();
        let p = f.e.position(f.alice, &T.into());
        assert_eq!(p.net, c("40"));
        assert_eq!(p.cost, d("16"), "40 left at 0.40");
        assert_eq!(p.realized_pnl, d("18"), "60 × (0.70 − 0.40)");
        assert_eq!(
            f.e.account(f.alice).unwrap().cash,
            d("58.32") + d("42"),
            "$1 − 0.30 released per closed pair"
        );
        // OI: crowd still holds 100 NO, Alice 40 YES and Bob 60 YES.
        assert_eq!(f.e.market(&T.into()).unwrap().open_interest, c("100"));
        // A sell larger than the position reserves collateral only for the excess:
        // 40 close, 10 open at NO 0.30.
        let before = f.e.account(f.alice).unwrap().reserved;
        f.e.place(f.alice, &req(BookSide::Ask, "0.70", "50"), NOW)
            .unwrap();
        assert_eq!(f.e.account(f.alice).unwrap().reserved - before, d("3"));
    }

    #[test]
    fn self_trade_prevention() {
        let mut f = fx();
        f.e.place(f.alice, &req(BookSide::Ask, "0.50", "5"), NOW)
            .unwrap();
        let r =
            f.e.place(f.alice, &req(BookSide::Bid, "0.50", "5"), NOW)
                .unwrap();
        assert_eq!(
            (r.fill_count, r.remaining_count),
            (Count::ZERO, Count::ZERO),
            "taker_at_cross cancels the taker"
        );
        assert_eq!(
            f.e.order_by_id(&r.order_id).unwrap().status,
            OrderStatus::Canceled
        );
        let mut maker = req(BookSide::Bid, "0.50", "5");
        maker.self_trade_prevention_type = SelfTradePrevention::Maker;
        let r = f.e.place(f.alice, &maker, NOW).unwrap();
        assert_eq!(
            r.remaining_count,
            c("5"),
            "maker mode cancels the resting order and rests"
        );
        assert_eq!(levels(&f.e).no, vec![]);
    }

    #[test]
    fn reduce_only_caps_by_position() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "10"), NOW)
            .unwrap();
        f.e.place(f.alice, &ioc(req(BookSide::Bid, "0.40", "10")), NOW)
            .unwrap();
        f.e.place(f.crowd, &req(BookSide::Bid, "0.39", "100"), NOW)
            .unwrap();
        let mut r = ioc(req(BookSide::Ask, "0.39", "25"));
        r.reduce_only = Some(true);
        let out = f.e.place(f.alice, &r, NOW).unwrap();
        assert_eq!(out.fill_count, c("10"));
        assert_eq!(f.e.position(f.alice, &T.into()).net, Count::ZERO);
    }

    #[test]
    fn cancel_releases_and_refuses_strangers() {
        let mut f = fx();
        let r =
            f.e.place(f.alice, &req(BookSide::Bid, "0.50", "10"), NOW)
                .unwrap();
        assert_eq!(
            f.e.cancel(f.bob, &r.order_id, NOW),
            Err(OrderError::OrderNotFound)
        );
        assert_eq!(
            f.e.cancel(f.alice, &OrderId("nope".into()), NOW),
            Err(OrderError::OrderNotFound)
        );
        let c1 = f.e.cancel(f.alice, &r.order_id, NOW).unwrap();
        assert_eq!(c1.reduced_by, c("10"));
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
        assert!(levels(&f.e).yes.is_empty());
        assert_eq!(
            f.e.cancel(f.alice, &r.order_id, NOW),
            Err(OrderError::OrderNotFound),
            "not resting any more"
        );
        let events = f.e.take_events();
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::Delta { delta, .. } if *delta == -c("10"))));
    }

    #[test]
    fn expiry_cancels() {
        let mut f = fx();
        let mut r = req(BookSide::Bid, "0.50", "10");
        r.expiration_time = Some(NOW / 1000 + 5);
        let out = f.e.place(f.alice, &r, NOW).unwrap();
        assert_eq!(f.e.expire(NOW + 1_000), 0);
        assert_eq!(f.e.expire(NOW + 5_000), 1);
        assert_eq!(
            f.e.order_by_id(&out.order_id).unwrap().status,
            OrderStatus::Canceled
        );
    }

    fn amend_req(price: &str, count: &str) -> AmendOrderV2Request {
        AmendOrderV2Request {
            ticker: T.into(),
            side: Some(BookSide::Bid),
            price: d(price),
            count: c(count),
            ..AmendOrderV2Request::default()
        }
    }

    fn reasons(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::UserOrder { msg, .. } => msg.last_update_reason.clone(),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn amend_keeps_priority_when_shrinking_and_loses_it_on_a_new_price_or_more_size() {
        let mut f = fx();
        let first =
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "10"), NOW)
                .unwrap();
        let second =
            f.e.place(f.bob, &req(BookSide::Bid, "0.40", "5"), NOW)
                .unwrap();
        let key = |f: &Fx, id: &OrderId| f.e.order_by_id(id).unwrap().key;
        assert_eq!(f.e.queue_position(key(&f, &second.order_id)), Some(c("10")));
        f.e.take_events();

        // Same price, smaller: stays first, reserves less.
        let out =
            f.e.amend(f.alice, &first.order_id, &amend_req("0.40", "6"), NOW + 1)
                .unwrap();
        assert_eq!(out.remaining_count, Some(c("6")));
        assert_eq!(
            f.e.queue_position(key(&f, &first.order_id)),
            Some(Count::ZERO)
        );
        assert_eq!(f.e.queue_position(key(&f, &second.order_id)), Some(c("6")));
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("97.60"));
        assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("11"))]);
        assert_eq!(reasons(&f.e.take_events()), vec!["Amend"]);

        // Same price, larger: back of the queue.
        f.e.amend(f.alice, &first.order_id, &amend_req("0.40", "8"), NOW + 2)
            .unwrap();
        assert_eq!(f.e.queue_position(key(&f, &first.order_id)), Some(c("5")));
        assert_eq!(
            f.e.queue_position(key(&f, &second.order_id)),
            Some(Count::ZERO)
        );
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("96.80"));

        // New price: moves level, first at the new one.
        f.e.amend(f.alice, &first.order_id, &amend_req("0.42", "8"), NOW + 3)
            .unwrap();
        assert_eq!(
            levels(&f.e).yes,
            vec![(d("0.40"), c("5")), (d("0.42"), c("8"))]
        );
        assert_eq!(
            f.e.queue_position(key(&f, &first.order_id)),
            Some(Count::ZERO)
        );
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("96.64"));
        let o = f.e.order_by_id(&first.order_id).unwrap();
        assert_eq!(
            (o.yes_price, o.remaining, o.last_update_reason),
            (d("0.42"), c("8"), UpdateReason::Amend)
        );
    }

    #[test]
    fn amend_that_crosses_fills_then_rests_and_refusals_change_nothing() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.45", "3"), NOW)
            .unwrap();
        let mine =
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "5"), NOW)
                .unwrap();
        let out =
            f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "5"), NOW + 1)
                .unwrap();
        assert_eq!(
            (out.fill_count, out.remaining_count, out.average_fill_price),
            (Some(c("3")), Some(c("2")), Some(d("0.45")))
        );
        assert_eq!(levels(&f.e).yes, vec![(d("0.45"), c("2"))]);
        assert!(levels(&f.e).no.is_empty());

        // Total count must exceed what already filled.
        assert!(matches!(
            f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "3"), NOW),
            Err(OrderError::Invalid(_))
        ));
        let mut wrong_side = amend_req("0.45", "5");
        wrong_side.side = Some(BookSide::Ask);
        assert!(matches!(
            f.e.amend(f.alice, &mine.order_id, &wrong_side, NOW),
            Err(OrderError::Invalid(_))
        ));
        assert!(matches!(
            f.e.amend(f.alice, &mine.order_id, &amend_req("0.455", "5"), NOW),
            Err(OrderError::Invalid(_))
        ));
        assert_eq!(
            f.e.amend(f.bob, &mine.order_id, &amend_req("0.45", "5"), NOW),
            Err(OrderError::OrderNotFound)
        );
        assert!(matches!(
            f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "300"), NOW),
            Err(OrderError::InsufficientBalance { .. })
        ));
        assert_eq!(levels(&f.e).yes, vec![(d("0.45"), c("2"))], "unchanged");

        // Post-only orders may not amend into a cross.
        f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "3"), NOW)
            .unwrap();
        let mut po = req(BookSide::Bid, "0.30", "1");
        po.post_only = Some(true);
        let po = f.e.place(f.alice, &po, NOW).unwrap();
        assert_eq!(
            f.e.amend(f.alice, &po.order_id, &amend_req("0.50", "1"), NOW),
            Err(OrderError::PostOnlyCross)
        );
    }

    #[test]
    fn decrease_keeps_priority_and_to_zero_cancels() {
        let mut f = fx();
        let first =
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "10"), NOW)
                .unwrap();
        let second =
            f.e.place(f.bob, &req(BookSide::Bid, "0.40", "5"), NOW)
                .unwrap();
        f.e.take_events();
        let by = DecreaseOrderV2Request {
            reduce_by: Some(c("4")),
            ..DecreaseOrderV2Request::default()
        };
        let out = f.e.decrease(f.alice, &first.order_id, &by, NOW).unwrap();
        assert_eq!(out.remaining_count, c("6"));
        let k = f.e.order_by_id(&first.order_id).unwrap().key;
        assert_eq!(f.e.queue_position(k), Some(Count::ZERO), "still first");
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("97.60"));
        assert_eq!(reasons(&f.e.take_events()), vec!["Decrease"]);
        let to = DecreaseOrderV2Request {
            reduce_to: Some(c("1")),
            ..DecreaseOrderV2Request::default()
        };
        assert_eq!(
            f.e.decrease(f.alice, &first.order_id, &to, NOW)
                .unwrap()
                .remaining_count,
            c("1")
        );
        for bad in [
            DecreaseOrderV2Request::default(),
            DecreaseOrderV2Request {
                reduce_by: Some(c("1")),
                reduce_to: Some(c("0")),
                ..DecreaseOrderV2Request::default()
            },
            DecreaseOrderV2Request {
                reduce_to: Some(c("1")),
                ..DecreaseOrderV2Request::default()
            },
            DecreaseOrderV2Request {
                reduce_by: Some(Count::ZERO),
                ..DecreaseOrderV2Request::default()
            },
        ] {
            assert!(
                matches!(
                    f.e.decrease(f.alice, &first.order_id, &bad, NOW),
                    Err(OrderError::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        let zero = DecreaseOrderV2Request {
            reduce_to: Some(Count::ZERO),
            ..DecreaseOrderV2Request::default()
        };
        f.e.decrease(f.alice, &first.order_id, &zero, NOW).unwrap();
        assert_eq!(
            f.e.order_by_id(&first.order_id).unwrap().status,
            OrderStatus::Canceled
        );
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
        assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("5"))]);
        let k2 = f.e.order_by_id(&second.order_id).unwrap().key;
        assert_eq!(f.e.queue_position(k2), Some(Count::ZERO));
    }

    #[test]
    fn cancel_all_and_queue_positions() {
        let mut f = fx();
        f.e.place(f.crowd, &req(BookSide::Bid, "0.40", "7"), NOW)
            .unwrap();
        let a1 =
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "2"), NOW)
                .unwrap();
        let a2 =
            f.e.place(f.alice, &req(BookSide::Ask, "0.60", "3"), NOW)
                .unwrap();
        f.e.place(f.bob, &req(BookSide::Bid, "0.40", "1"), NOW)
            .unwrap();
        let qp = f.e.queue_positions(f.alice, |_| true);
        let got: Vec<_> = qp
            .iter()
            .map(|q| (q.order_id.clone(), q.queue_position_fp))
            .collect();
        assert_eq!(
            got,
            vec![
                (a1.order_id.clone(), c("7")),
                (a2.order_id.clone(), Count::ZERO)
            ]
        );
        assert!(f.e.queue_positions(f.alice, |_| false).is_empty());
        assert_eq!(f.e.cancel_all(f.alice, NOW), 2);
        assert_eq!(f.e.cancel_all(f.alice, NOW), 0);
        assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
        assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("8"))]);
        assert!(levels(&f.e).no.is_empty());
        assert!(f.e.queue_positions(f.alice, |_| true).is_empty());
    }
}
