//! Profit and loss since the start of the trading day (midnight US Eastern), realized plus
//! unrealized at the mid: what the daily loss limits ([`crate::team::limits`]) are checked
//! against and what `GET /api/pnl/today` shows.
//!
//! In YES terms a fill of `q` contracts (YES positive: buying NO is selling YES at
//! `1 − no price`) at YES price `p` has made `q × (mark − p) − fee` by now, where the mark
//! is the market's YES mid (`(yes bid + yes ask) / 2`, one side or the last price when the
//! book is one-sided) or its settlement value ($1 or $0) once it has a result. Round trips
//! within the day come out as their realized difference; open contracts at the mark.
//!
//! - A **user's** P&L counts the fills today of the orders they placed through the desk
//!   (`order_owners`). Positions are the account's, not a user's: what a user carried into
//!   the day, and fills of RFQ quotes, count only in the desk's.
//! - The **desk's** counts every fill of the account today, plus each position carried
//!   into the day (today's position less today's fills) marked from the first mark the desk
//!   stored for it that day (`day_marks`, the first writer among the replicas wins) to now.
//!   A desk that was down at midnight starts those marks when it first looks.
//!
//! Everything is exact ([`Dollars`], micro-dollars) and checked: an overflow is an error,
//! which refuses the order it was checked for.

use std::collections::{HashMap, HashSet};

use shared::api::ops::{
    GetFills, GetFillsQuery, GetMarkets, GetMarketsQuery, GetPositions, GetPositionsQuery,
};
use shared::api::NoPath;
use shared::auth::{DayPnl, DeskLimits, UserView};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::Dollars;
use shared::rest::{Fill, Market};

use crate::http::{Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::team::store::Store;

/// The setting that holds [`DeskLimits`].
pub const DESK_LIMITS: &str = "limits";

/// The trading day (`YYYY-MM-DD`, US Eastern) that `now_ms` falls in, and its start (Unix
/// ms): midnight in New York, daylight saving time included.
pub fn trading_day(now_ms: i64) -> (String, i64) {
    let eastern = jiff::tz::TimeZone::get("America/New_York").unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(now) = jiff::Timestamp::from_millisecond(now_ms) else {
        return ("1970-01-01".to_owned(), 0);
    };
    let zoned = now.to_zoned_datetime(eastern);
    let start = zoned
        .start_of_day()
        .map_or(0, |z| z.timestamp().as_millisecond());
    (zoned.date().to_string(), start)
}

/// The YES position change of `fill`, hundredths of a contract (YES positive).
pub fn yes_delta(fill: &Fill) -> i64 {
    let outcome = fill
        .outcome_side
        .or(fill.book_side.map(shared::ids::BookSide::outcome))
        .or(fill.side)
        .unwrap_or(Side::Yes);
    let count = fill.contracts().raw();
    match (fill.action.unwrap_or(Action::Buy), outcome) {
        (Action::Buy, Side::Yes) | (Action::Sell, Side::No) => count,
        (Action::Sell, Side::Yes) | (Action::Buy, Side::No) => -count,
    }
}

/// A market's YES mark: $1 / $0 once it has a result, else the mid of its YES bid and
/// ask, else the one side quoted, else the last price. `None` when it has none of these.
pub fn mark(market: &Market) -> Option<Dollars> {
    match market.result.as_deref() {
        Some("yes") => return Some(Dollars::ONE),
        Some("no") => return Some(Dollars::ZERO),
        _ => {}
    }
    let quoted = |d: Option<Dollars>| d.filter(|p| p.is_valid_price());
    match (
        quoted(market.yes_bid_dollars),
        quoted(market.yes_ask_dollars),
    ) {
        (Some(bid), Some(ask)) => Some(Dollars::from_raw((bid.raw() + ask.raw()) / 2)),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => market.last_price_dollars,
    }
}

/// `Σ q × (mark − p) − fee` over `fills` (see the module docs). A fill whose market has no
/// mark counts at its own price (zero unrealized). `None` on overflow.
pub fn fills_pnl<'a>(
    fills: impl IntoIterator<Item = &'a Fill>,
    marks: &HashMap<MarketTicker, Dollars>,
) -> Option<Dollars> {
    let mut total = Dollars::ZERO;
    for fill in fills {
        let Some(price) = fill.yes_price() else {
            continue;
        };
        let mark = fill
            .market()
            .and_then(|t| marks.get(t))
            .copied()
            .unwrap_or(price);
        let edge = mark.checked_sub(price)?;
        let made = edge.checked_times(shared::num::Count::from_raw(yes_delta(fill)))?;
        total = total
            .checked_add(made)?
            .checked_sub(fill.fee_cost.unwrap_or_default())?;
    }
    Some(total)
}

/// Every fill of the account since `since_ms` (Unix ms), in each of `subaccounts`.
///
/// # Errors
/// Kalshi's, of `GetFills`.
pub async fn fills_since(
    kalshi: &KalshiClient,
    subaccounts: &[i64],
    since_ms: i64,
) -> Result<Vec<Fill>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for &n in subaccounts {
        let mut cursor = None;
        loop {
            let page = kalshi
                .send::<GetFills>(
                    &NoPath,
                    &GetFillsQuery {
                        min_ts: Some(since_ms.div_euclid(1000)),
                        limit: Some(1000),
                        cursor: cursor.take(),
                        subaccount: Some(n),
                        ..Default::default()
                    },
                    None,
                )
                .await?;
            for fill in page.fills {
                // `min_ts` is whole seconds: keep only what is inside the day.
                let inside = fill.ts.is_none_or(|s| s.saturating_mul(1000) >= since_ms);
                if inside && seen.insert(fill.trade_id.clone()) {
                    out.push(fill);
                }
            }
            if page.cursor.is_empty() {
                break;
            }
            cursor = Some(page.cursor);
        }
    }
    Ok(out)
}

/// The marks of `tickers` ([`mark`]), from `GetMarkets` 100 tickers at a time.
///
/// # Errors
/// Kalshi's, of `GetMarkets`.
pub async fn marks(
    kalshi: &KalshiClient,
    tickers: impl IntoIterator<Item = MarketTicker>,
) -> Result<HashMap<MarketTicker, Dollars>> {
    let tickers: Vec<MarketTicker> = tickers
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut out = HashMap::new();
    for chunk in tickers.chunks(100) {
        let list: Vec<&str> = chunk.iter().map(MarketTicker::as_str).collect();
        let page = kalshi
            .send::<GetMarkets>(
                &NoPath,
                &GetMarketsQuery {
                    tickers: Some(list.join(",")),
                    limit: Some(1000),
                    ..Default::default()
                },
                None,
            )
            .await?;
        for market in &page.markets {
            if let Some(m) = mark(market) {
                out.insert(market.ticker.clone(), m);
            }
        }
    }
    Ok(out)
}

/// The account's net YES position per market now, over `subaccounts` (hundredths).
async fn positions(
    kalshi: &KalshiClient,
    subaccounts: &[i64],
) -> Result<HashMap<MarketTicker, i64>> {
    let mut out: HashMap<MarketTicker, i64> = HashMap::new();
    for &n in subaccounts {
        let mut cursor = None;
        loop {
            let page = kalshi
                .send::<GetPositions>(
                    &NoPath,
                    &GetPositionsQuery {
                        subaccount: Some(n),
                        limit: Some(1000),
                        cursor: cursor.take(),
                        ..Default::default()
                    },
                    None,
                )
                .await?;
            for p in &page.market_positions {
                let slot = out.entry(p.ticker.clone()).or_default();
                *slot = slot.checked_add(p.net().raw()).ok_or_else(overflow)?;
            }
            if page.cursor.is_empty() {
                break;
            }
            cursor = Some(page.cursor);
        }
    }
    Ok(out)
}

fn overflow() -> Error {
    Error::forbidden(
        "over_limit",
        "the day's P&L does not fit the desk's arithmetic",
    )
}

/// The day so far: its fills and the marks they (and carried positions) are valued at.
pub struct Today {
    /// `YYYY-MM-DD`, Eastern.
    pub day: String,
    /// Its start, Unix ms.
    pub since_ms: i64,
    /// The account's subaccount numbers, read once for the fills and the positions.
    subaccounts: Vec<i64>,
    fills: Vec<Fill>,
    marks: HashMap<MarketTicker, Dollars>,
}

impl Today {
    /// Reads the account's fills today and the marks of their markets.
    ///
    /// # Errors
    /// Kalshi's.
    pub async fn read(kalshi: &KalshiClient) -> Result<Today> {
        let (day, since_ms) = trading_day(crate::kalshi::signer::now_ms());
        let subaccounts = crate::team::limits::subaccount_numbers(kalshi).await;
        let fills = fills_since(kalshi, &subaccounts, since_ms).await?;
        let marks = marks(kalshi, fills.iter().filter_map(|f| f.market().cloned())).await?;
        Ok(Today {
            day,
            since_ms,
            subaccounts,
            fills,
            marks,
        })
    }

    /// `username`'s P&L: the fills of the orders they placed.
    ///
    /// # Errors
    /// The store's; 403 `over_limit` on overflow.
    pub async fn user(&self, store: &Store, username: &str) -> Result<Dollars> {
        let ids: Vec<String> = self
            .fills
            .iter()
            .map(|f| f.order_id.as_str().to_owned())
            .collect();
        let owners = store.order_owners(&[], &ids).await?;
        let mine: HashSet<&str> = owners
            .iter()
            .filter(|(_, _, u)| u == username)
            .filter_map(|(_, id, _)| id.as_deref())
            .collect();
        fills_pnl(
            self.fills
                .iter()
                .filter(|f| mine.contains(f.order_id.as_str())),
            &self.marks,
        )
        .ok_or_else(overflow)
    }

    /// The desk's P&L: every fill today plus the positions carried into the day.
    ///
    /// # Errors
    /// Kalshi's and the store's; 403 `over_limit` on overflow.
    pub async fn desk(&self, store: &Store, kalshi: &KalshiClient) -> Result<Dollars> {
        let mut total = fills_pnl(&self.fills, &self.marks).ok_or_else(overflow)?;
        let mut carried = positions(kalshi, &self.subaccounts).await?;
        for fill in &self.fills {
            if let Some(t) = fill.market() {
                let slot = carried.entry(t.clone()).or_default();
                *slot = slot.checked_sub(yes_delta(fill)).ok_or_else(overflow)?;
            }
        }
        carried.retain(|_, q| *q != 0);
        if carried.is_empty() {
            return Ok(total);
        }
        let now = marks(kalshi, carried.keys().cloned()).await?;
        for (ticker, q) in &carried {
            let Some(&mark) = now.get(ticker) else {
                continue;
            };
            let start = store.day_mark(&self.day, ticker, mark).await?;
            let made = mark
                .checked_sub(start)
                .and_then(|edge| edge.checked_times(shared::num::Count::from_raw(*q)))
                .ok_or_else(overflow)?;
            total = total.checked_add(made).ok_or_else(overflow)?;
        }
        Ok(total)
    }
}

/// The desk's limits as stored (none set: no limit).
///
/// # Errors
/// The store's.
pub async fn desk_limits(store: &Store) -> Result<DeskLimits> {
    Ok(store.setting(DESK_LIMITS).await?.unwrap_or_default())
}

/// `GET /api/pnl/today` for `user`: their P&L and limit, and (for admins) the desk's.
///
/// # Errors
/// Kalshi's and the store's.
pub async fn day_pnl(store: &Store, kalshi: &KalshiClient, user: &UserView) -> Result<DayPnl> {
    let today = Today::read(kalshi).await?;
    let desk_limit = desk_limits(store).await?.max_daily_loss;
    let desk = if user.role.permissions().admin {
        Some(today.desk(store, kalshi).await?)
    } else {
        None
    };
    Ok(DayPnl {
        user: today.user(store, &user.username).await?,
        user_limit: user.limits.max_daily_loss,
        desk,
        desk_limit,
        day: today.day,
        since_ms: today.since_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::num::Count;

    fn fill(ticker: &str, side: Side, action: Action, count: i64, yes_cents: i64) -> Fill {
        serde_json::from_value(serde_json::json!({
            "trade_id": format!("t{ticker}{count}{yes_cents}"),
            "order_id": "o1",
            "ticker": ticker,
            "side": side,
            "action": action,
            "count_fp": Count::from_int(count),
            "yes_price_dollars": Dollars::from_cents(yes_cents),
            "is_taker": true,
        }))
        .unwrap()
    }

    #[test]
    fn the_trading_day_starts_at_midnight_in_new_york_summer_and_winter() {
        // 2026-07-01 03:59:59 UTC is still June 30 in New York (EDT, UTC−4).
        let (day, start) = trading_day(1_782_878_399_000);
        assert_eq!(day, "2026-06-30");
        assert_eq!(start, 1_782_792_000_000); // 2026-06-30 04:00 UTC
                                              // 2026-12-04 05:00 UTC is midnight in New York (EST, UTC−5).
        let (day, start) = trading_day(1_796_360_400_000);
        assert_eq!((day.as_str(), start), ("2026-12-04", 1_796_360_400_000));
        let (day, _) = trading_day(1_796_360_399_999);
        assert_eq!(day, "2026-12-03");
    }

    #[test]
    fn fills_are_valued_in_yes_terms_at_the_mark_less_fees() {
        let t = MarketTicker::from("KXT-1");
        let marks = HashMap::from([(t.clone(), Dollars::from_cents(50))]);
        // Bought 10 YES at 60¢: −$1.00 at a 50¢ mark.
        let long = fill("KXT-1", Side::Yes, Action::Buy, 10, 60);
        assert_eq!(fills_pnl([&long], &marks), Some(Dollars::from_cents(-100)));
        // Bought 10 NO at 45¢ (YES 55¢): a YES seller at 55¢ gains 5¢ a contract.
        let no = fill("KXT-1", Side::No, Action::Buy, 10, 55);
        assert_eq!(fills_pnl([&no], &marks), Some(Dollars::from_cents(50)));
        // A round trip, bought at 40¢ and sold at 45¢: 5 × 5¢ realized whatever the mark.
        let buy = fill("KXT-1", Side::Yes, Action::Buy, 5, 40);
        let sell = fill("KXT-1", Side::Yes, Action::Sell, 5, 45);
        assert_eq!(
            fills_pnl([&buy, &sell], &marks),
            Some(Dollars::from_cents(25))
        );
        // Fees come off.
        let mut paid = long.clone();
        paid.fee_cost = Some(Dollars::from_cents(7));
        assert_eq!(fills_pnl([&paid], &marks), Some(Dollars::from_cents(-107)));
        // No mark: zero unrealized.
        assert_eq!(fills_pnl([&long], &HashMap::new()), Some(Dollars::ZERO));
        // Overflow is refused, never wrapped.
        let mut huge = long;
        huge.count_fp = Some(Count::from_raw(i64::MAX));
        assert_eq!(fills_pnl([&huge], &marks), None);
    }

    #[test]
    fn the_mark_is_the_settlement_then_the_mid_then_one_side() {
        let mut m: Market = serde_json::from_value(serde_json::json!({
            "ticker": "KXT-1", "event_ticker": "KXT", "title": "", "yes_sub_title": "",
            "no_sub_title": "", "status": "active",
            "yes_bid_dollars": "0.4000", "yes_ask_dollars": "0.4300",
        }))
        .unwrap();
        assert_eq!(mark(&m), Some(Dollars::from_raw(415_000)));
        m.yes_ask_dollars = Some(Dollars::ZERO);
        assert_eq!(mark(&m), Some(Dollars::from_cents(40)));
        m.result = Some("no".into());
        assert_eq!(mark(&m), Some(Dollars::ZERO));
    }
}
