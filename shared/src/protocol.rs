//! The browser ⇄ backend protocol: the JSON API under `/api` and the frames on `/ws`.
//!
//! The browser never talks to Kalshi. It sends [`ClientMsg`]s on `/ws` to choose which
//! markets it watches and receives [`ServerMsg`]s: a book snapshot at once for every market
//! it watches, then level updates, ticker, trades, and its account's orders, fills and
//! positions. Orders go through `POST /api/orders` with an [`OrderTicket`]; the backend
//! validates, signs and forwards it (an allowlist, never a proxy).

use serde::{Deserialize, Serialize};

use crate::book::BookLevels;
use crate::ids::{Action, MarketTicker, OrderId, Side};
use crate::num::{Count, Dollars};
use crate::rest::{Market, OrderStatus, TimeInForce};
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
    /// Application ping; answered by [`ServerMsg::Pong`].
    Ping {
        /// Echoed.
        nonce: u64,
    },
}

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
    /// One of the account's fills.
    Fill(FillMsg),
    /// One of the account's positions changed.
    Position(MarketPositionMsg),
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
    /// An RFQ desk event (`communications` channel, or the backend's quoting rules).
    Rfq(crate::rfq::RfqEvent),
}

/// What a trader asks for in the order ticket (`POST /api/orders`): buy/sell YES/NO at a
/// limit price in that side's own dollars. The backend maps it to a V2 `bid`/`ask`.
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
    /// Contracts.
    pub count: Count,
    /// Lifetime (default GTC).
    #[serde(default)]
    pub time_in_force: TimeInForce,
    /// Refuse to take liquidity.
    #[serde(default)]
    pub post_only: bool,
}

impl OrderTicket {
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

/// `GET /api/portfolio`: balance and positions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioView {
    /// Available balance.
    pub balance: Dollars,
    /// Portfolio value.
    pub portfolio_value: Dollars,
    /// Non-zero positions.
    pub positions: Vec<PositionView>,
}

/// One position row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Net contracts (positive YES, negative NO).
    pub position: Count,
    /// Cost basis.
    pub exposure: Dollars,
    /// Realized P&L.
    pub realized_pnl: Dollars,
}

/// `GET /api/markets`: one page of markets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketsPage {
    /// Markets.
    pub markets: Vec<Market>,
    /// Next page's cursor, if any.
    pub cursor: Option<String>,
}

/// The error body of every `/api` failure: `{"code":"invalid_price","message":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable code.
    pub code: String,
    /// Readable text, safe to show.
    pub message: String,
}
