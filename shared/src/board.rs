//! Event boards: every market of one Kalshi event side by side, and the prices at which the
//! event's markets contradict each other.
//!
//! A board is read once over REST ([`EventBoardView`], `GET /api/events/{event_ticker}`,
//! from Kalshi's `GetEvent` with nested markets) and then kept live from `ticker` frames
//! (best YES bid and ask with their sizes, last price, volume), which carry everything a row
//! shows. [`Top::of`] reads a row's top of book from a ticker, [`sums`] adds the YES bids and
//! asks of a mutually exclusive event, and [`arbitrage`] finds the baskets that cost less
//! than they must pay:
//!
//! - **Every YES** of a mutually exclusive event: exactly one market resolves YES, so one
//!   YES of each pays $1; buying them at the asks costs `Σ yes_ask`.
//! - **Every NO** of a mutually exclusive event of `n` markets: `n − 1` NOs pay $1; buying
//!   them at the NO asks costs `Σ (1 − yes_bid) = n − Σ yes_bid`.
//! - **A ladder that is not monotone**: on "above X" strikes (`greater`,
//!   `greater_or_equal`), YES of a lower strike is worth at least YES of a higher one. When
//!   the higher strike's YES bid is above the lower strike's YES ask, buying YES low and NO
//!   high costs `ask_low + 1 − bid_high < $1` and pays at least $1. "Below X" strikes
//!   (`less`, `less_or_equal`) mirror it.
//!
//! Prices are dollars before fees; sizes are the contracts at the prices used (the smallest
//! of the legs), so a flag names what can be taken now. Money is exact and every sum is
//! checked: a basket whose sum overflows is not reported.

use serde::{Deserialize, Serialize};

use crate::api::schema::MarketStrikeType;
use crate::ids::{EventTicker, MarketTicker, SeriesTicker};
use crate::num::{Count, Dollars};
use crate::ws::TickerMsg;

/// One event with every market of it, as `GET /api/events/{event_ticker}` answers (from
/// Kalshi's `GetEvent`, `with_nested_markets=true`), e.g.
/// `{"event_ticker":"KXHIGHNY-26DEC08","series_ticker":"KXHIGHNY","title":"…",
/// "sub_title":"…","mutually_exclusive":true,"markets":[…]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventBoardView {
    /// Event.
    pub event_ticker: EventTicker,
    /// Its series.
    pub series_ticker: SeriesTicker,
    /// Title.
    pub title: String,
    /// Subtitle (often the date).
    pub sub_title: String,
    /// Kalshi's `mutually_exclusive`: at most one market of the event resolves YES (the
    /// board treats the event as exhaustive, as Kalshi's brackets and winner markets are).
    pub mutually_exclusive: bool,
    /// The markets, by strike when every market has one (lowest first), else by ticker.
    pub markets: Vec<BoardMarket>,
}

/// One market of an [`EventBoardView`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardMarket {
    /// Market.
    pub market_ticker: MarketTicker,
    /// What YES means (`yes_sub_title`, e.g. `"60° to 61°"`, `"Above 4.25%"`).
    pub label: String,
    /// True while it trades (`active`); only open markets stream tickers and make baskets.
    pub open: bool,
    /// Kalshi's `strike_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_type: Option<MarketStrikeType>,
    /// Kalshi's `floor_strike` (the strike of an "above X" market), in the underlying's
    /// unit; not money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_strike: Option<f64>,
    /// Kalshi's `cap_strike` (the strike of a "below X" market).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_strike: Option<f64>,
    /// The market's ticker fields when the board was read (best YES bid and ask with their
    /// sizes, last price, volume); later `ticker` frames merge over it.
    pub ticker: TickerMsg,
}

impl BoardMarket {
    /// Which way the market's YES runs with its strike, if it is one of a ladder.
    pub fn ladder(&self) -> Option<(Ladder, f64)> {
        match self.strike_type? {
            MarketStrikeType::Greater | MarketStrikeType::GreaterOrEqual => {
                Some((Ladder::Above, self.floor_strike?))
            }
            MarketStrikeType::Less | MarketStrikeType::LessOrEqual => {
                Some((Ladder::Below, self.cap_strike?))
            }
            _ => None,
        }
    }

    /// The strike the board sorts by: the floor, else the cap.
    pub fn strike(&self) -> Option<f64> {
        self.floor_strike.or(self.cap_strike)
    }
}

/// The direction of a ladder of strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ladder {
    /// YES pays when the value is above the strike: YES falls as the strike rises.
    Above,
    /// YES pays when the value is below the strike: YES rises with the strike.
    Below,
}

/// Orders `markets` by strike, lowest first, when every one has a strike; else by ticker.
pub fn sort_markets(markets: &mut [BoardMarket]) {
    if markets.iter().all(|m| m.strike().is_some()) {
        markets.sort_by(|a, b| {
            let (x, y) = (a.strike().unwrap_or(0.0), b.strike().unwrap_or(0.0));
            x.total_cmp(&y)
                .then_with(|| a.market_ticker.cmp(&b.market_ticker))
        });
    } else {
        markets.sort_by(|a, b| a.market_ticker.cmp(&b.market_ticker));
    }
}

/// One price with the contracts at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Dollars.
    pub price: Dollars,
    /// Contracts at the price (`None`: the frame did not say, as before Kalshi sent sizes).
    pub size: Option<Count>,
}

/// A market's top of book as a board reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top {
    /// Best YES bid (`None`: no bid, which Kalshi sends as $0).
    pub bid: Option<Quote>,
    /// Best YES ask (`None`: no ask, which Kalshi sends as $1).
    pub ask: Option<Quote>,
}

impl Top {
    /// Reads the best YES bid and ask of a (merged) ticker. A bid of $0, an ask of $1 or a
    /// side whose size is 0 is no quote.
    pub fn of(ticker: &TickerMsg) -> Top {
        let quote = |price: Option<Dollars>, size: Option<Count>, none: Dollars| {
            let price = price.filter(|p| *p != none)?;
            if size.is_some_and(|s| s.raw() <= 0) {
                return None;
            }
            Some(Quote { price, size })
        };
        Top {
            bid: quote(
                ticker.yes_bid_dollars,
                ticker.yes_bid_size_fp,
                Dollars::ZERO,
            ),
            ask: quote(ticker.yes_ask_dollars, ticker.yes_ask_size_fp, Dollars::ONE),
        }
    }
}

/// The sums of a mutually exclusive event's YES bids and asks, against the $1 one YES of
/// each pays. `None` where a market has no quote on that side (the basket cannot be bought).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    /// Σ best YES bid.
    pub yes_bids: Option<Dollars>,
    /// Σ best YES ask.
    pub yes_asks: Option<Dollars>,
}

/// Adds the best YES bids and asks of `tops` (one per open market of the event).
pub fn sums(tops: &[Top]) -> Sums {
    let add = |side: fn(&Top) -> Option<Quote>| {
        tops.iter().try_fold(Dollars::ZERO, |sum, top| {
            side(top).and_then(|q| sum.checked_add(q.price))
        })
    };
    if tops.is_empty() {
        return Sums::default();
    }
    Sums {
        yes_bids: add(|t| t.bid),
        yes_asks: add(|t| t.ask),
    }
}

/// A basket of the event's markets that costs less than it must pay, at prices on the
/// book now (dollars per set, before fees).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arbitrage {
    /// Buy one YES of every market of a mutually exclusive event at the asks.
    EveryYes {
        /// `Σ yes_ask`.
        cost: Dollars,
        /// $1: one market resolves YES.
        pays: Dollars,
        /// Sets available at those prices (the smallest ask size).
        sets: Option<Count>,
    },
    /// Buy one NO of every market of a mutually exclusive event of `n` markets (at
    /// `1 − yes_bid`).
    EveryNo {
        /// `n − Σ yes_bid`.
        cost: Dollars,
        /// `n − 1` dollars: every market but one resolves NO.
        pays: Dollars,
        /// Sets available (the smallest bid size).
        sets: Option<Count>,
    },
    /// A ladder that is not monotone: buy YES of `buy_yes` at its ask and NO of
    /// `buy_no` at `1 −` its YES bid; one of them pays $1 whatever happens.
    Ladder {
        /// The market whose YES is worth more (the lower "above" strike).
        buy_yes: MarketTicker,
        /// Its YES ask.
        yes_ask: Dollars,
        /// The market whose YES is worth less, bid higher.
        buy_no: MarketTicker,
        /// Its YES bid.
        yes_bid: Dollars,
        /// `yes_ask + 1 − yes_bid`, below $1.
        cost: Dollars,
        /// Sets available (the smaller of the two sizes).
        sets: Option<Count>,
    },
}

impl Arbitrage {
    /// What a set pays minus what it costs, dollars.
    pub fn edge(&self) -> Dollars {
        let (cost, pays) = match self {
            Arbitrage::EveryYes { cost, pays, .. } | Arbitrage::EveryNo { cost, pays, .. } => {
                (*cost, *pays)
            }
            Arbitrage::Ladder { cost, .. } => (*cost, Dollars::ONE),
        };
        pays.checked_sub(cost).unwrap_or(Dollars::ZERO)
    }

    /// `every_yes`, `every_no` or `ladder`.
    pub fn kind(&self) -> &'static str {
        match self {
            Arbitrage::EveryYes { .. } => "every_yes",
            Arbitrage::EveryNo { .. } => "every_no",
            Arbitrage::Ladder { .. } => "ladder",
        }
    }
}

fn smallest(sizes: impl IntoIterator<Item = Option<Count>>) -> Option<Count> {
    sizes
        .into_iter()
        .try_fold(None::<Count>, |least, size| {
            let size = size?;
            Some(Some(least.map_or(size, |l| l.min(size))))
        })
        .flatten()
}

/// Every basket of `board` that costs less than it pays at `top`'s prices (`top` gives each
/// market's top of book; a market without one, or closed, leaves its baskets out). Baskets
/// of a mutually exclusive event come first, then ladder pairs by edge, largest first.
pub fn arbitrage(
    board: &EventBoardView,
    top: impl Fn(&MarketTicker) -> Option<Top>,
) -> Vec<Arbitrage> {
    let open: Vec<(&BoardMarket, Top)> = board
        .markets
        .iter()
        .filter(|m| m.open)
        .map(|m| (m, top(&m.market_ticker).unwrap_or_default()))
        .collect();
    let mut found = Vec::new();
    if board.mutually_exclusive && open.len() >= 2 && open.len() == board.markets.len() {
        let tops: Vec<Top> = open.iter().map(|(_, t)| *t).collect();
        let Sums { yes_bids, yes_asks } = sums(&tops);
        if let Some(cost) = yes_asks.filter(|c| *c < Dollars::ONE) {
            found.push(Arbitrage::EveryYes {
                cost,
                pays: Dollars::ONE,
                sets: smallest(tops.iter().map(|t| t.ask.and_then(|q| q.size))),
            });
        }
        let n = i64::try_from(tops.len()).unwrap_or(i64::MAX);
        let basket = yes_bids.and_then(|bids| {
            let n = Dollars::ONE.raw().checked_mul(n).map(Dollars::from_raw)?;
            Some((n.checked_sub(bids)?, n.checked_sub(Dollars::ONE)?))
        });
        if let Some((cost, pays)) = basket.filter(|(cost, pays)| cost < pays) {
            found.push(Arbitrage::EveryNo {
                cost,
                pays,
                sets: smallest(tops.iter().map(|t| t.bid.and_then(|q| q.size))),
            });
        }
    }
    let mut ladder = Vec::new();
    // Every pair of strikes of one ladder, whatever order the board lists them in.
    for (i, a) in open.iter().enumerate() {
        let Some((dir, a_strike)) = a.0.ladder() else {
            continue;
        };
        for b in open.iter().skip(i + 1) {
            let Some((b_dir, b_strike)) = b.0.ladder() else {
                continue;
            };
            if b_dir != dir || a_strike == b_strike {
                continue;
            }
            let ((low, low_top), (high, high_top)) =
                if a_strike < b_strike { (a, b) } else { (b, a) };
            // The market whose YES is worth more: the lower strike of an "above" ladder,
            // the higher of a "below" one.
            let (rich, rich_top, poor, poor_top) = match dir {
                Ladder::Above => (low, low_top, high, high_top),
                Ladder::Below => (high, high_top, low, low_top),
            };
            let (Some(ask), Some(bid)) = (rich_top.ask, poor_top.bid) else {
                continue;
            };
            if bid.price <= ask.price {
                continue;
            }
            let Some(cost) = ask
                .price
                .checked_add(Dollars::ONE)
                .and_then(|c| c.checked_sub(bid.price))
            else {
                continue;
            };
            ladder.push(Arbitrage::Ladder {
                buy_yes: rich.market_ticker.clone(),
                yes_ask: ask.price,
                buy_no: poor.market_ticker.clone(),
                yes_bid: bid.price,
                cost,
                sets: smallest([ask.size, bid.size]),
            });
        }
    }
    ladder.sort_by_key(|a| std::cmp::Reverse(a.edge()));
    found.extend(ladder);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(ticker: &str, strike: Option<(MarketStrikeType, f64)>) -> BoardMarket {
        BoardMarket {
            market_ticker: MarketTicker::from(ticker),
            label: ticker.to_owned(),
            open: true,
            strike_type: strike.map(|(t, _)| t),
            floor_strike: strike
                .filter(|(t, _)| matches!(t, MarketStrikeType::Greater))
                .map(|(_, s)| s),
            cap_strike: strike
                .filter(|(t, _)| matches!(t, MarketStrikeType::Less))
                .map(|(_, s)| s),
            ticker: TickerMsg {
                market_ticker: MarketTicker::from(ticker),
                ..TickerMsg::default()
            },
        }
    }

    fn board(mutually_exclusive: bool, markets: Vec<BoardMarket>) -> EventBoardView {
        EventBoardView {
            event_ticker: EventTicker::from("KXEV-26DEC31"),
            series_ticker: SeriesTicker::from("KXEV"),
            title: "t".to_owned(),
            sub_title: String::new(),
            mutually_exclusive,
            markets,
        }
    }

    fn top(bid: (&str, &str), ask: (&str, &str)) -> Top {
        let d = |s: &str| s.parse::<Dollars>().unwrap();
        let c = |s: &str| s.parse::<Count>().unwrap();
        Top::of(&TickerMsg {
            yes_bid_dollars: Some(d(bid.0)),
            yes_bid_size_fp: Some(c(bid.1)),
            yes_ask_dollars: Some(d(ask.0)),
            yes_ask_size_fp: Some(c(ask.1)),
            ..TickerMsg::default()
        })
    }

    #[test]
    fn a_bracket_priced_below_a_dollar_is_a_basket_of_every_yes() {
        let b = board(
            true,
            vec![market("A", None), market("B", None), market("C", None)],
        );
        let tops = [
            top(("0.20", "5"), ("0.25", "10")),
            top(("0.30", "7"), ("0.35", "4")),
            top(("0.30", "9"), ("0.36", "20")),
        ];
        let found = arbitrage(&b, |t| {
            ["A", "B", "C"]
                .iter()
                .position(|x| t.as_str() == *x)
                .map(|i| tops[i])
        });
        assert_eq!(
            found,
            vec![Arbitrage::EveryYes {
                cost: "0.96".parse().unwrap(),
                pays: Dollars::ONE,
                sets: Some("4".parse().unwrap()),
            }]
        );
        assert_eq!(found[0].edge(), "0.04".parse().unwrap());
        assert_eq!(
            sums(&tops),
            Sums {
                yes_bids: Some("0.80".parse().unwrap()),
                yes_asks: Some("0.96".parse().unwrap()),
            }
        );
    }

    #[test]
    fn bids_above_a_dollar_are_a_basket_of_every_no() {
        let b = board(true, vec![market("A", None), market("B", None)]);
        let tops = [
            top(("0.55", "3"), ("0.60", "3")),
            top(("0.50", "8"), ("0.52", "1")),
        ];
        let found = arbitrage(&b, |t| Some(tops[usize::from(t.as_str() == "B")]));
        // Two NOs cost 0.45 + 0.50 = 0.95 and pay $1.
        assert_eq!(
            found,
            vec![Arbitrage::EveryNo {
                cost: "0.95".parse().unwrap(),
                pays: Dollars::ONE,
                sets: Some("3".parse().unwrap()),
            }]
        );
    }

    #[test]
    fn a_fair_bracket_or_a_missing_quote_flags_nothing() {
        let b = board(true, vec![market("A", None), market("B", None)]);
        let fair = [
            top(("0.40", "3"), ("0.45", "3")),
            top(("0.50", "8"), ("0.58", "1")),
        ];
        assert!(arbitrage(&b, |t| Some(fair[usize::from(t.as_str() == "B")])).is_empty());
        // B has no ask (Kalshi sends $1): every YES cannot be bought.
        let one_sided = [
            top(("0.10", "3"), ("0.20", "3")),
            top(("0.50", "8"), ("1", "0")),
        ];
        assert!(arbitrage(&b, |t| Some(one_sided[usize::from(t.as_str() == "B")])).is_empty());
        assert_eq!(sums(&one_sided).yes_asks, None);
        // Not mutually exclusive: cheap YESes are no basket.
        let cheap = [
            top(("0.10", "3"), ("0.20", "3")),
            top(("0.10", "8"), ("0.20", "1")),
        ];
        let b = board(false, vec![market("A", None), market("B", None)]);
        assert!(arbitrage(&b, |t| Some(cheap[usize::from(t.as_str() == "B")])).is_empty());
    }

    #[test]
    fn an_above_ladder_bid_higher_up_than_asked_lower_down_is_flagged() {
        use MarketStrikeType::Greater;
        let mut markets = vec![
            market("T60", Some((Greater, 60.0))),
            market("T40", Some((Greater, 40.0))),
            market("T50", Some((Greater, 50.0))),
        ];
        sort_markets(&mut markets);
        assert_eq!(markets[0].market_ticker.as_str(), "T40");
        let b = board(false, markets);
        let tops = |t: &MarketTicker| {
            Some(match t.as_str() {
                "T40" => top(("0.70", "5"), ("0.72", "5")),
                // T50's YES is bid above T40's ask: not monotone.
                "T50" => top(("0.75", "2"), ("0.80", "6")),
                _ => top(("0.30", "1"), ("0.35", "1")),
            })
        };
        let found = arbitrage(&b, tops);
        assert_eq!(
            found,
            vec![Arbitrage::Ladder {
                buy_yes: MarketTicker::from("T40"),
                yes_ask: "0.72".parse().unwrap(),
                buy_no: MarketTicker::from("T50"),
                yes_bid: "0.75".parse().unwrap(),
                cost: "0.97".parse().unwrap(),
                sets: Some("2".parse().unwrap()),
            }]
        );
        assert_eq!(found[0].kind(), "ladder");
    }

    #[test]
    fn a_below_ladder_runs_the_other_way() {
        use MarketStrikeType::Less;
        let b = board(
            false,
            vec![
                market("B40", Some((Less, 40.0))),
                market("B50", Some((Less, 50.0))),
            ],
        );
        // Below 40 is bid 0.50 while below 50 (worth more) is offered at 0.45.
        let found = arbitrage(&b, |t| {
            Some(match t.as_str() {
                "B40" => top(("0.50", "3"), ("0.55", "3")),
                _ => top(("0.40", "3"), ("0.45", "9")),
            })
        });
        assert_eq!(found.len(), 1);
        assert!(
            matches!(&found[0], Arbitrage::Ladder { buy_yes, buy_no, .. }
            if buy_yes.as_str() == "B50" && buy_no.as_str() == "B40")
        );
        assert_eq!(found[0].edge(), "0.05".parse().unwrap());
    }
}
