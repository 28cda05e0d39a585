//! Identifier newtypes used at the wire boundary.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{}", self.0) }
        }
        impl From<&str> for $name { fn from(s: &str) -> Self { Self(s.to_owned()) } }
        impl From<String> for $name { fn from(s: String) -> Self { Self(s) } }
        impl AsRef<str> for $name { fn as_ref(&self) -> &str { &self.0 } }
    };
}

string_id!(
    /// A market's ticker, e.g. `"KXBTCD-26MAY2008-T77299.99"` (`market_ticker` / `ticker`).
    MarketTicker
);
string_id!(
    /// An event's ticker, e.g. `"KXBTCD-26MAY2008"`.
    EventTicker
);
string_id!(
    /// A series' ticker, e.g. `"KXBTCD"`.
    SeriesTicker
);
string_id!(
    /// An order's exchange id (a UUID string).
    OrderId
);
string_id!(
    /// A trade's id; fills carry the trade id they belong to (`trade_id`).
    TradeId
);

impl MarketTicker {
    /// The series ticker: the part before the first `-` (`KXDESK-26DEC31-T50` → `KXDESK`).
    pub fn series(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// True when the ticker has Kalshi's shape: `^[A-Z0-9._-]+$`, at most 128 bytes.
    pub fn is_well_formed(&self) -> bool {
        !self.0.is_empty()
            && self.0.len() <= 128
            && self.0.bytes().all(|b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
            })
    }
}

impl EventTicker {
    /// The series ticker: the part before the first `-` (`KXDESKFED-26DEC16` → `KXDESKFED`).
    pub fn series(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }
}

/// A WebSocket subscription id (`sid`), assigned by the server per subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sid(pub u64);

/// A per-`sid` sequence number (`seq`); consecutive on one subscription, control frames included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The outcome side of a binary market: `"yes"` or `"no"` (`marketSide`, `outcome_side`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The YES outcome.
    Yes,
    /// The NO outcome.
    No,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Yes => Side::No,
            Side::No => Side::Yes,
        }
    }
    /// `"yes"` / `"no"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Yes => "yes",
            Side::No => "no",
        }
    }
}

/// The single-book side of a V2 order (`BookSide`): `bid` buys YES, `ask` sells YES
/// (economically: buys NO at `1 − price`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookSide {
    /// Buy YES.
    Bid,
    /// Sell YES.
    Ask,
}

impl BookSide {
    /// The outcome side this book side positions for (bid → yes, ask → no).
    pub const fn outcome(self) -> Side {
        match self {
            BookSide::Bid => Side::Yes,
            BookSide::Ask => Side::No,
        }
    }
    /// The book side that positions for `side` (yes → bid, no → ask).
    pub const fn for_outcome(side: Side) -> BookSide {
        match side {
            Side::Yes => BookSide::Bid,
            Side::No => BookSide::Ask,
        }
    }
}

/// Legacy order action (`buy` / `sell`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Buy contracts of the chosen side.
    Buy,
    /// Sell contracts of the chosen side.
    Sell,
}
