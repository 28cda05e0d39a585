//! Every per-user limit the desk enforces on orders, amends, RFQ quotes and quote accepts,
//! in one place, on the worst case.
//!
//! - **Subaccounts**: a user with `allowed_subaccounts` trades only those; others are
//!   refused.
//! - **Series**: a ticker's series (its part before the first `-`) must be allowed.
//! - **Notional**: price × contracts of one order, checked arithmetic (an overflow refuses).
//! - **Position** (worst case): for the order's market, the account's net position across
//!   every subaccount the user may trade, plus every resting order there that adds to the
//!   order's direction, plus the order itself, must stay within `max_position` — unless the
//!   order moves the worst case toward zero. An amend counts its new remaining instead of its
//!   old one. The figures come from the live [`ExposureBook`] (no request) once it tracks
//!   the market; a market's first check, and any check the book would refuse, reads them
//!   over REST instead ([`exposure`]).
//!
//! **Concurrency.** [`Gate::market`] serializes the check *and the send* of every order,
//! amend, quote and accept in one market on this desk: a second order cannot be checked
//! until the first has been answered by Kalshi and its answer is in the [`ExposureBook`]
//! (so it rests, or filled, where the next check reads it). Orders in different markets do
//! not wait for each other. In cluster mode each replica has its own gate: two replicas can
//! each let one order through at the same instant (documented in `docs/team.md`).
//!
//! - **Daily loss** (the user's `max_daily_loss`, and the desk's): once the day's P&L
//!   ([`crate::team::pnl`]) is at or below minus the limit, only orders that reduce a position in
//!   the worst case ([`Exposure::reduces`]) go through, for the user (or, for the desk's
//!   limit, for everyone).
//! - **Halts**: nothing new while the desk or the user is halted ([`crate::team::halts`]).
//!
//! A refusal is `403 over_limit` (or `403 halted`) with the reason, recorded in the audit
//! log before the answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::api::ops::{
    GetOrders, GetOrdersQuery, GetPositions, GetPositionsQuery, GetSubaccountBalances,
};
use shared::api::{NoPath, NoQuery};
use shared::auth::UserView;
use shared::ids::{MarketTicker, OrderId};
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;
use tokio::sync::OwnedMutexGuard;

use crate::http::{Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::live::exposure::{ExposureBook, ReadSource, Seed};
use crate::team::store::Store;

/// Per-market locks: one order at a time from check to Kalshi's answer.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    markets: Arc<Mutex<HashMap<MarketTicker, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Gate {
    /// Waits for, and holds, the market's turn. Keep the guard until Kalshi has answered
    /// the order the check was for.
    pub async fn market(&self, ticker: &MarketTicker) -> OwnedMutexGuard<()> {
        let lock = {
            let mut map = self
                .markets
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(ticker.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Waits until every market's current turn is over: an order checked before this call
    /// has been answered by Kalshi when it returns (a halt uses it before its sweep).
    pub async fn drain(&self) {
        let locks: Vec<_> = self
            .markets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for lock in locks {
            drop(lock.lock().await);
        }
    }
}

/// What one check looks at: a fill of `count` contracts at `price` (the leg's own price,
/// dollars) moving the YES position in `ticker` by one of `deltas` (hundredths of a
/// contract, YES positive; a quote can fill either way, so it names both).
#[derive(Clone, Copy, Debug)]
pub struct Check<'a> {
    /// The desk route, for the audit record of a refusal.
    pub operation: &'a str,
    /// Market.
    pub ticker: &'a MarketTicker,
    /// The leg's price, dollars.
    pub price: Dollars,
    /// Contracts of the order (for its notional).
    pub count: Count,
    /// Position changes a full fill can make (hundredths, YES positive).
    pub deltas: &'a [i64],
    /// The subaccount it trades in (`None`: the primary).
    pub subaccount: Option<i64>,
    /// An amend: the order it replaces (its resting contracts are not counted twice).
    pub replaces: Option<&'a OrderId>,
}

/// The position changes a quote can make if accepted in full (hundredths, YES positive):
/// accepted YES, the maker buys NO at its NO bid (down); accepted NO, it buys YES at its
/// YES bid (up). A zero bid cannot be accepted.
pub fn quote_deltas(yes_bid: Dollars, no_bid: Dollars, count: Count) -> Vec<i64> {
    [(no_bid, -count.raw()), (yes_bid, count.raw())]
        .into_iter()
        .filter(|(bid, _)| !bid.is_zero())
        .map(|(_, delta)| delta)
        .collect()
}

pub use crate::live::exposure::Exposure;

/// The subaccounts `user` may trade (`None`: every one).
fn allowed(user: &UserView) -> Option<&[u32]> {
    let list = &user.limits.allowed_subaccounts;
    (!list.is_empty()).then_some(list.as_slice())
}

/// The account's subaccount numbers (`GetSubaccountBalances`), the primary (0) always
/// among them; only the primary when the read fails.
pub async fn subaccount_numbers(kalshi: &KalshiClient) -> Vec<i64> {
    let mut numbers: Vec<i64> = kalshi
        .send::<GetSubaccountBalances>(&NoPath, &NoQuery {}, None)
        .await
        .map(|b| {
            b.subaccount_balances
                .iter()
                .map(|s| s.subaccount_number)
                .collect()
        })
        .unwrap_or_default();
    if !numbers.contains(&0) {
        numbers.insert(0, 0);
    }
    numbers
}

/// The exposure in `ticker` over `subaccounts` (every one when `None`), leaving out the
/// resting contracts of `replaces`: from the live book when it tracks the market and
/// `accept` takes its figures, else read over REST (every subaccount's resting orders with
/// `GetOrders`, then positions with `GetPositions`), which also starts tracking the
/// market. A refusal is thus always confirmed by Kalshi's own figures, and the book may be
/// cautious (count a fill twice for a moment) without refusing anyone for it.
///
/// # Errors
/// Kalshi's errors of the reads; 403 when a sum overflows.
pub async fn exposure(
    book: &ExposureBook,
    kalshi: &KalshiClient,
    ticker: &MarketTicker,
    subaccounts: Option<&[u32]>,
    replaces: Option<&OrderId>,
    accept: impl Fn(Exposure) -> bool,
) -> Result<Exposure> {
    let source = match book.read(ticker, subaccounts, replaces) {
        Some(live) if accept(live) => {
            book.count(ReadSource::Memory);
            return Ok(live);
        }
        Some(_) => ReadSource::RestConfirm,
        None => ReadSource::RestSeed,
    };
    book.count(source);
    let token = book.begin_seed(ticker);
    let seed = read_market(kalshi, ticker).await?;
    let out = seed.exposure(subaccounts, replaces).ok_or_else(overflow)?;
    if book.finish_seed(token, seed) {
        tracing::debug!(market = %ticker, "tracking the market's exposure from the account frames");
    }
    Ok(out)
}

/// Every subaccount's resting orders in `ticker`, then every subaccount's position there.
/// Orders first: one that fills between the two reads is counted twice (too cautious),
/// never not at all.
async fn read_market(kalshi: &KalshiClient, ticker: &MarketTicker) -> Result<Seed> {
    let numbers = subaccount_numbers(kalshi).await;
    let mut seed = Seed::default();
    for n in &numbers {
        // Per subaccount: whether an omitted `subaccount` means "all" or "the primary"
        // differs between Kalshi's operations, so never rely on it.
        let orders = kalshi
            .send::<GetOrders>(
                &NoPath,
                &GetOrdersQuery {
                    ticker: Some(ticker.clone()),
                    status: Some("resting".to_owned()),
                    limit: Some(1000),
                    subaccount: Some(*n),
                    ..Default::default()
                },
                None,
            )
            .await?;
        seed.orders.extend(
            orders
                .orders
                .iter()
                .filter(|o| {
                    i64::from(o.subaccount_number.unwrap_or(0)) == *n
                        && o.status == OrderStatus::Resting
                })
                .map(crate::http::order_view),
        );
    }
    for n in &numbers {
        let page = kalshi
            .send::<GetPositions>(
                &NoPath,
                &GetPositionsQuery {
                    ticker: Some(ticker.clone()),
                    subaccount: Some(*n),
                    limit: Some(10),
                    ..Default::default()
                },
                None,
            )
            .await?;
        let sub = u32::try_from(*n).unwrap_or(0);
        for p in page.market_positions.iter().filter(|p| &p.ticker == ticker) {
            let slot = seed.positions.entry(sub).or_default();
            *slot = slot.checked_add(p.net().raw()).ok_or_else(overflow)?;
        }
    }
    Ok(seed)
}

fn overflow() -> Error {
    Error::forbidden(
        "over_limit",
        "the exposure does not fit the desk's arithmetic",
    )
}

/// Refuses (403 `over_limit`, recorded in the audit log) what breaks `user`'s limits; see
/// the module docs. Hold [`Gate::market`] from before this check until Kalshi answers.
///
/// # Errors
/// `403 over_limit` with the reason; Kalshi's errors of the reads it makes.
pub async fn check(
    store: &Store,
    kalshi: &KalshiClient,
    book: &ExposureBook,
    user: &UserView,
    order: Check<'_>,
) -> Result<()> {
    let limits = &user.limits;
    let name = &user.username;
    ensure_not_halted(store, user, order.operation).await?;
    let refuse = |message: String| async move {
        store
            .audit_refused(name, order.operation, 403, &message)
            .await?;
        tracing::info!(user = %name, %message, "refused by the user's limits");
        Err(Error::forbidden("over_limit", message))
    };
    let subaccount = u32::try_from(order.subaccount.unwrap_or(0)).unwrap_or(u32::MAX);
    if let Some(list) = allowed(user) {
        if !list.contains(&subaccount) {
            return refuse(format!(
                "{name} may not trade subaccount {subaccount} (allowed: {list:?})"
            ))
            .await;
        }
    }
    let series = order.ticker.series();
    if !limits.allowed_series.is_empty() && !limits.allowed_series.iter().any(|s| s == series) {
        return refuse(format!(
            "{name} may not trade series {series} (allowed: {})",
            limits.allowed_series.join(", ")
        ))
        .await;
    }
    if let Some(max) = limits.max_order_notional {
        match order.price.checked_times(order.count) {
            Some(notional) if notional <= max => {}
            Some(notional) => {
                return refuse(format!(
                    "order notional ${notional} is over {name}'s limit of ${max}"
                ))
                .await
            }
            None => return refuse("the order's notional does not fit".to_owned()).await,
        }
    }
    let mut read: Option<Exposure> = None;
    if let Some(max) = limits.max_position {
        let fits = |e: Exposure| {
            order
                .deltas
                .iter()
                .all(|&d| e.admits(d, max.raw()) == Some(true))
        };
        let exposure = exposure(
            book,
            kalshi,
            order.ticker,
            allowed(user),
            order.replaces,
            fits,
        )
        .await?;
        read = Some(exposure);
        for &delta in order.deltas {
            match exposure.admits(delta, max.raw()) {
                Some(true) => {}
                Some(false) => {
                    let worst = if delta >= 0 {
                        exposure.position + exposure.yes_resting + delta
                    } else {
                        exposure.position - exposure.no_resting + delta
                    };
                    return refuse(format!(
                        "the position in {} could reach {} contracts (position {}, resting {} YES / {} NO, this order {}), over {name}'s limit of {max}",
                        order.ticker,
                        Count::from_raw(worst),
                        Count::from_raw(exposure.position),
                        Count::from_raw(exposure.yes_resting),
                        Count::from_raw(exposure.no_resting),
                        Count::from_raw(delta),
                    ))
                    .await;
                }
                None => return refuse("the exposure does not fit".to_owned()).await,
            }
        }
    }
    if let Some(why) = loss_limit_reached(store, kalshi, user).await? {
        let reduces = |e: Exposure| order.deltas.iter().all(|&d| e.reduces(d));
        let exposure = match read {
            Some(e) if reduces(e) => e,
            _ => {
                exposure(
                    book,
                    kalshi,
                    order.ticker,
                    allowed(user),
                    order.replaces,
                    reduces,
                )
                .await?
            }
        };
        if !order.deltas.iter().all(|&d| exposure.reduces(d)) {
            return refuse(format!(
                "{why}: only orders that reduce a position (in {}: position {}, resting {} YES / {} NO)",
                order.ticker,
                Count::from_raw(exposure.position),
                Count::from_raw(exposure.yes_resting),
                Count::from_raw(exposure.no_resting),
            ))
            .await;
        }
    }
    Ok(())
}

/// Why `user` (or the whole desk) may only reduce now: the day's P&L is at or below minus
/// their daily loss limit ([`crate::team::pnl`]). `None` when neither limit is set or reached.
///
/// # Errors
/// Kalshi's and the store's; 403 `over_limit` when the P&L does not fit.
pub async fn loss_limit_reached(
    store: &Store,
    kalshi: &KalshiClient,
    user: &UserView,
) -> Result<Option<String>> {
    let desk_max = crate::team::pnl::desk_limits(store).await?.max_daily_loss;
    let user_max = user.limits.max_daily_loss;
    if desk_max.is_none() && user_max.is_none() {
        return Ok(None);
    }
    let today = crate::team::pnl::Today::read(kalshi).await?;
    let reached = |pnl: Dollars, max: Dollars| {
        Dollars::ZERO
            .checked_sub(max)
            .is_none_or(|floor| pnl <= floor)
    };
    if let Some(max) = user_max {
        let pnl = today.user(store, &user.username).await?;
        if reached(pnl, max) {
            return Ok(Some(format!(
                "{}'s P&L today is ${pnl}, at the daily loss limit of ${max}",
                user.username
            )));
        }
    }
    if let Some(max) = desk_max {
        let pnl = today.desk(store, kalshi).await?;
        if reached(pnl, max) {
            return Ok(Some(format!(
                "the desk's P&L today is ${pnl}, at its daily loss limit of ${max}"
            )));
        }
    }
    Ok(None)
}

/// Refuses (403 `halted`, audited) while the desk or `user` is halted ([`crate::team::halts`]),
/// reading the store so a halt taken on another replica holds at once.
///
/// # Errors
/// 403 `halted`; the store's.
pub async fn ensure_not_halted(store: &Store, user: &UserView, operation: &str) -> Result<()> {
    let name = &user.username;
    let Some(halt) = store.halt_for(name).await? else {
        return Ok(());
    };
    let message = match &halt.user {
        None => format!("the desk is halted ({}: {})", halt.actor, halt.reason),
        Some(u) => format!("{u} is halted ({}: {})", halt.actor, halt.reason),
    };
    store.audit_refused(name, operation, 403, &message).await?;
    Err(Error::forbidden("halted", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_counts_resting_orders_and_lets_reductions_through() {
        let e = |position, yes_resting, no_resting| Exposure {
            position,
            yes_resting,
            no_resting,
        };
        // (exposure, delta, max, admitted) in hundredths of a contract; max 10 contracts.
        let table = [
            (e(0, 0, 0), 1_000, 1_000, true),
            (e(0, 1_000, 0), 1_000, 1_000, false), // a second resting 10-lot
            (e(500, 400, 0), 200, 1_000, false),
            (e(0, 1_000, 0), -1_000, 1_000, true), // the other way has room
            (e(-2_000, 0, 0), 500, 1_000, true),   // over the limit, reducing
            (e(-2_000, 0, 0), -100, 1_000, false), // over the limit, adding
            (e(i64::MAX, 1, 0), 1, 1_000, false),
        ];
        for (exposure, delta, max, want) in table {
            assert_eq!(
                exposure.admits(delta, max).unwrap_or(false),
                want,
                "{exposure:?} {delta}"
            );
        }
    }

    #[test]
    fn at_the_loss_limit_only_a_reduction_that_does_not_cross_zero_passes() {
        let e = |position, yes_resting, no_resting| Exposure {
            position,
            yes_resting,
            no_resting,
        };
        let table = [
            (e(500, 0, 0), -500, true),    // flat
            (e(500, 0, 0), -200, true),    // smaller
            (e(500, 0, 0), -600, false),   // crosses to short
            (e(500, 0, 400), -200, false), // with the resting sells, crosses
            (e(500, 0, 0), 100, false),    // adds
            (e(0, 0, 0), 100, false),      // opens
            (e(0, 0, 0), -100, false),
            (e(-500, 0, 0), 500, true),
            (e(-500, 300, 0), 300, false),
            (e(-500, 0, 0), 0, true),
        ];
        for (exposure, delta, want) in table {
            assert_eq!(exposure.reduces(delta), want, "{exposure:?} {delta}");
        }
    }
}
