//! A Kalshi order book: two bid ladders (YES bids and NO bids, each in its own leg's
//! prices). Asks are implied: YES ask = $1 − best NO bid, NO ask = $1 − best YES bid.
//!
//! Used by the backend (books kept from the upstream socket), the built-in exchange
//! (depth it publishes) and the browser (the ladder it draws).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Side;
use crate::num::{Count, Dollars};

/// Why a delta could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The delta would leave a negative count at a level: the book has diverged.
    #[error("{side:?} level {price} would go negative ({have} + {delta})")]
    NegativeLevel {
        /// Ladder.
        side: Side,
        /// Level price.
        price: Dollars,
        /// Count before.
        have: Count,
        /// The delta.
        delta: Count,
    },
    /// A price outside (0, 1).
    #[error("price {0} is outside (0, 1)")]
    PriceOutOfRange(Dollars),
}

/// A whole book as plain levels (ascending price), the form snapshots travel in:
/// `{"yes":[["0.4500","10.00"]],"no":[["0.5000","3.00"]]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookLevels {
    /// YES bids, ascending price.
    pub yes: Vec<(Dollars, Count)>,
    /// NO bids (NO-leg prices), ascending price.
    pub no: Vec<(Dollars, Count)>,
}

/// Two bid ladders keyed by exact price.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderBook {
    yes: BTreeMap<Dollars, Count>,
    no: BTreeMap<Dollars, Count>,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// A book from snapshot levels; zero-count levels are dropped.
    pub fn from_levels(levels: &BookLevels) -> Self {
        let mut book = Self::new();
        for (side, ladder) in [(Side::Yes, &levels.yes), (Side::No, &levels.no)] {
            for &(price, count) in ladder {
                if count.raw() > 0 {
                    book.ladder_mut(side).insert(price, count);
                }
            }
        }
        book
    }

    fn ladder_mut(&mut self, side: Side) -> &mut BTreeMap<Dollars, Count> {
        match side {
            Side::Yes => &mut self.yes,
            Side::No => &mut self.no,
        }
    }

    /// One ladder (price → count).
    pub fn ladder(&self, side: Side) -> &BTreeMap<Dollars, Count> {
        match side {
            Side::Yes => &self.yes,
            Side::No => &self.no,
        }
    }

    /// Adds `delta` to the level at `price`; returns the level's new count (0 = removed).
    ///
    /// # Errors
    /// [`BookError::NegativeLevel`] if the level would go below zero (the book is left
    /// unchanged), [`BookError::PriceOutOfRange`] for a price outside (0, 1).
    pub fn apply_delta(
        &mut self,
        side: Side,
        price: Dollars,
        delta: Count,
    ) -> Result<Count, BookError> {
        if !price.is_valid_price() {
            return Err(BookError::PriceOutOfRange(price));
        }
        let ladder = self.ladder_mut(side);
        let have = ladder.get(&price).copied().unwrap_or_default();
        let now = have + delta;
        if now.is_negative() {
            return Err(BookError::NegativeLevel {
                side,
                price,
                have,
                delta,
            });
        }
        if now.is_zero() {
            ladder.remove(&price);
        } else {
            ladder.insert(price, now);
        }
        Ok(now)
    }

    /// Sets the level at `price` to `count` (0 removes it).
    pub fn set_level(&mut self, side: Side, price: Dollars, count: Count) {
        let ladder = self.ladder_mut(side);
        if count.raw() <= 0 {
            ladder.remove(&price);
        } else {
            ladder.insert(price, count);
        }
    }

    /// Best (highest) bid on one side.
    pub fn best_bid(&self, side: Side) -> Option<(Dollars, Count)> {
        self.ladder(side).iter().next_back().map(|(p, c)| (*p, *c))
    }

    /// Implied best ask on one side: $1 − the other side's best bid.
    pub fn best_ask(&self, side: Side) -> Option<(Dollars, Count)> {
        self.best_bid(side.opposite())
            .map(|(p, c)| (p.complement(), c))
    }

    /// YES spread: implied YES ask − best YES bid.
    pub fn spread(&self) -> Option<Dollars> {
        Some(self.best_ask(Side::Yes)?.0 - self.best_bid(Side::Yes)?.0)
    }

    /// YES mid, rounded down to the micro-dollar.
    pub fn mid(&self) -> Option<Dollars> {
        let bid = self.best_bid(Side::Yes)?.0;
        let ask = self.best_ask(Side::Yes)?.0;
        Some(Dollars::from_raw((bid.raw() + ask.raw()) / 2))
    }

    /// Plain levels, ascending price.
    pub fn levels(&self) -> BookLevels {
        BookLevels {
            yes: self.yes.iter().map(|(p, c)| (*p, *c)).collect(),
            no: self.no.iter().map(|(p, c)| (*p, *c)).collect(),
        }
    }

    /// True when both ladders are empty.
    pub fn is_empty(&self) -> bool {
        self.yes.is_empty() && self.no.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }
    fn c(s: &str) -> Count {
        s.parse().unwrap()
    }

    #[test]
    fn implied_asks_spread_and_mid() {
        let book = OrderBook::from_levels(&BookLevels {
            yes: vec![(d("0.40"), c("5")), (d("0.45"), c("10"))],
            no: vec![(d("0.50"), c("3")), (d("0.52"), c("7"))],
        });
        assert_eq!(book.best_bid(Side::Yes), Some((d("0.45"), c("10"))));
        assert_eq!(book.best_ask(Side::Yes), Some((d("0.48"), c("7"))));
        assert_eq!(book.spread(), Some(d("0.03")));
        assert_eq!(book.mid(), Some(d("0.465")));
    }

    #[test]
    fn deltas_add_remove_and_refuse_negative() {
        let mut book = OrderBook::new();
        assert_eq!(
            book.apply_delta(Side::Yes, d("0.0560"), c("2.50")).unwrap(),
            c("2.50")
        );
        assert_eq!(
            book.apply_delta(Side::Yes, d("0.0560"), c("-2.50"))
                .unwrap(),
            Count::ZERO
        );
        assert!(book.is_empty());
        assert!(book.apply_delta(Side::No, d("0.30"), c("-1")).is_err());
        assert!(book.apply_delta(Side::No, d("1.00"), c("1")).is_err());
        assert!(book.is_empty(), "a refused delta changes nothing");
    }
}
