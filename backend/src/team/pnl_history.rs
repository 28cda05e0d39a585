//! The P&L history's data: the account's fills and settlements read from Kalshi into the
//! desk's store — the whole history on first start ([`backfill`]), then what is new before
//! each history is computed ([`sync`]) — and the history of a user or of the desk
//! ([`compute`], the arithmetic in [`shared::pnl`]).
//!
//! A user's history counts the fills of the orders they placed through the desk
//! (`order_owners`); their settlements close what those fills left open. The desk's counts
//! every fill of the account, whoever placed it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use shared::api::ops::{GetSettlements, GetSettlementsQuery};
use shared::api::schema::SettlementMarketResult;
use shared::api::NoPath;
use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};
use shared::pnl::{PnlFill, PnlHistory, PnlSettlement};
use shared::rest::Fill;
use tokio_util::sync::CancellationToken;

use crate::http::{Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::team::pnl::{fills_since, marks, trading_day, yes_delta};
use crate::team::store::{now_ms, Store, StoredFill};

/// Reads what Kalshi has from a little before the newest stored fill and settlement (all of
/// it the first time) into the store.
///
/// # Errors
/// Kalshi's or the store's; what was stored before the error stays.
pub async fn sync(kalshi: &KalshiClient, store: &Store) -> Result<()> {
    // Kalshi's `min_ts` is whole seconds, and a fill may be written a moment late: overlap.
    const OVERLAP_MS: i64 = 120_000;
    let subaccounts = crate::team::limits::subaccount_numbers(kalshi).await;
    let since = store
        .latest_fill_ms()
        .await?
        .map_or(0, |ms| ms.saturating_sub(OVERLAP_MS).max(0));
    let fills = fills_since(kalshi, &subaccounts, since).await?;
    let stored: Vec<StoredFill> = fills.iter().filter_map(stored_fill).collect();
    store.store_fills(&stored).await?;

    let since_s = store
        .latest_settlement_ms()
        .await?
        .map_or(0, |ms| ms.saturating_sub(OVERLAP_MS).max(0) / 1000);
    for &n in &subaccounts {
        let pages = kalshi
            .send_all_pages::<GetSettlements>(
                &NoPath,
                GetSettlementsQuery {
                    limit: Some(200),
                    min_ts: (since_s > 0).then_some(since_s),
                    subaccount: Some(n),
                    ..Default::default()
                },
                1_000,
            )
            .await?;
        for s in pages.iter().flat_map(|p| &p.settlements) {
            let value = match s.market_result {
                SettlementMarketResult::Yes => Dollars::ONE,
                SettlementMarketResult::No => Dollars::ZERO,
                _ => match s.value {
                    Some(cents) => Dollars::from_cents(cents),
                    None => continue,
                },
            };
            store
                .store_settlement(&PnlSettlement {
                    market_ticker: s.ticker.clone(),
                    ts_ms: time_ms(Some(&s.settled_time)).unwrap_or_else(now_ms),
                    value,
                })
                .await?;
        }
    }
    Ok(())
}

/// Fills the store with the account's history at start, retrying every minute until it
/// has (a desk started while Kalshi is unreachable catches up once it is).
pub async fn backfill(kalshi: KalshiClient, store: Store, cancel: CancellationToken) {
    loop {
        match sync(&kalshi, &store).await {
            Ok(()) => {
                tracing::info!("P&L history back-filled from the exchange");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "P&L history back-fill failed; retrying in a minute")
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

/// An RFC 3339 time as Unix ms.
fn time_ms(text: Option<&str>) -> Option<i64> {
    text?
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// A Kalshi fill as the history stores it (`None`: no market or price to count).
fn stored_fill(f: &Fill) -> Option<StoredFill> {
    Some(StoredFill {
        trade_id: f.trade_id.to_string(),
        order_id: f.order_id.to_string(),
        fill: PnlFill {
            market_ticker: f.market()?.clone(),
            ts_ms: f
                .ts
                .map(|s| s.saturating_mul(1000))
                .or_else(|| time_ms(f.created_time.as_deref()))
                .unwrap_or_else(now_ms),
            yes_delta: Count::from_raw(yes_delta(f)),
            yes_price: f.yes_price()?,
            fee: f.fee_cost.unwrap_or_default(),
        },
    })
}

/// Whose history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every fill of the account.
    Desk,
    /// The fills of one user's orders.
    User(String),
}

/// The history of `scope` from the stored fills and settlements, open contracts marked at
/// Kalshi's marks now.
///
/// # Errors
/// The store's or Kalshi's (the marks); a 400 when a sum overflows.
pub async fn compute(kalshi: &KalshiClient, store: &Store, scope: &Scope) -> Result<PnlHistory> {
    let stored = store.stored_fills().await?;
    let fills: Vec<PnlFill> = match scope {
        Scope::Desk => stored.into_iter().map(|s| s.fill).collect(),
        Scope::User(name) => {
            let ids: Vec<String> = stored.iter().map(|s| s.order_id.clone()).collect();
            let mine: HashSet<String> = store
                .order_owners(&[], &ids)
                .await?
                .into_iter()
                .filter(|(_, _, owner)| owner == name)
                .filter_map(|(_, order_id, _)| order_id)
                .collect();
            stored
                .into_iter()
                .filter(|s| mine.contains(&s.order_id))
                .map(|s| s.fill)
                .collect()
        }
    };
    let settlements = store.stored_settlements().await?;
    let settled: HashSet<&MarketTicker> = settlements.iter().map(|s| &s.market_ticker).collect();
    let open: HashSet<MarketTicker> = fills
        .iter()
        .map(|f| &f.market_ticker)
        .filter(|m| !settled.contains(m))
        .cloned()
        .collect();
    let marks: HashMap<MarketTicker, Dollars> = marks(kalshi, open).await?;
    let now = now_ms();
    let (today, _) = trading_day(now);
    let tables = shared::pnl::history(&fills, &settlements, &marks, |ts| trading_day(ts).0, &today)
        .ok_or_else(|| {
            Error::bad_request("overflow", "the P&L does not fit the desk's arithmetic")
        })?;
    Ok(PnlHistory {
        scope: match scope {
            Scope::Desk => "desk".to_owned(),
            Scope::User(name) => name.clone(),
        },
        as_of_ms: now,
        fills: fills.len(),
        days: tables.days,
        markets: tables.markets,
        series: tables.series,
        total: tables.total,
    })
}
