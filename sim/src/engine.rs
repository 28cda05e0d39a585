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
//!
//! # Layout
//! This file holds the state (markets, orders, accounts, events) and its accessors; the
//! operations on it live beside it, each an `impl Engine` of its own:
//! - `orders`: the order lifecycle (place, cancel, amend, decrease, cancel all, expiry,
//!   queue positions; resting, collateral reservation, `user_order` messages);
//! - `matching`: crossing the opposite ladder, executing fills, the taker fee;
//! - `positions`: netting fills into positions, realized P&L, `market_position` messages;
//! - `groups`, `subaccounts`, `block`, `settlement`, `pause`, `candles`: order groups,
//!   subaccounts and transfers, RFQ block trades, settlement, trading pauses, candlesticks.

use std::collections::{BTreeMap, HashMap, VecDeque};

use shared::api::schema::Market;
use shared::book::{BookLevels, OrderBook};
use shared::ids::{BookSide, MarketTicker, OrderId, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;
use shared::rest::SelfTradePrevention;
use shared::ws::{
    FillMsg, MarketPositionMsg, OrderGroupUpdatesMsg, TickerMsg, TradeMsg, UserOrderMsg,
};
use shared::ws_msg::{MarketLifecycleV2Msg, MarketLifecycleV2MsgEventType};

use super::markets::MarketSeed;

mod block;
pub mod candles;
mod groups;
mod matching;
mod orders;
pub mod pause;
mod positions;
mod settlement;
mod subaccounts;
#[cfg(test)]
mod tests;

pub use groups::OrderGroupRec;
pub use matching::taker_fee;
pub use settlement::SettlementRec;
pub use subaccounts::TransferRec;

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
