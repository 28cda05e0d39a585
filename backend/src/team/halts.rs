//! The kill switch: the whole desk's, or one user's.
//!
//! A halt is a row in the store ([`Store::halt`]), so it survives a restart and holds on
//! every replica that shares the database. While one is in force:
//! - [`crate::team::limits::check`] refuses the halted user's (or, for the desk, everyone's) new
//!   orders, amends, quotes, accepts and confirms (`403 halted`), reading the store on each
//!   check — so a halt taken on one replica holds on the others at once;
//! - the RFQ rules take no action for a halted owner (or at all, for the desk);
//! - every screen shows it: [`watch`] reads the store every [`POLL`] and the hub sends
//!   [`ServerMsg::Halts`](shared::protocol::ServerMsg::Halts) to every session when it
//!   changed (the replica that took the action publishes at once).
//!
//! Taking a halt also cancels resting orders ([`sweep`]): the desk's, every resting order
//! in every subaccount (`CancelAllOrders`); a user's, every resting order the desk records
//! as theirs. Orders already checked before the halt and still on their way to Kalshi are
//! waited for first ([`crate::team::limits::Gate::drain`]), so none rests afterwards.

use std::time::Duration;

use shared::api::ops::{CancelAllOrders, CancelAllOrdersQuery, GetOrders, GetOrdersQuery};
use shared::api::NoPath;
use shared::ids::MarketTicker;
use shared::protocol::{CancelFailure, CancelledOrders};
use shared::rest::OrderStatus;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;
use crate::team::store::Store;

/// How often the store's halts are read into the hub.
pub const POLL: Duration = Duration::from_millis(400);

/// Reads the halts in force into `hub` until `shutdown`; a failed read keeps the last.
pub async fn watch(hub: Hub, store: Store, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match store.halts().await {
            Ok(halts) => hub.set_halts(halts),
            Err(err) => tracing::warn!(error = %err, "could not read the halts"),
        }
    }
}

/// Cancels resting orders for a halt: all of them (`user` = `None`: `CancelAllOrders`,
/// every subaccount), or those the desk records as `user`'s ([`cancel_owned`]).
///
/// # Errors
/// Kalshi's, for the desk's cancel-all or a read; a single failed cancel is listed instead.
pub async fn sweep(
    kalshi: &KalshiClient,
    store: &Store,
    user: Option<&str>,
) -> crate::http::Result<CancelledOrders> {
    match user {
        None => {
            kalshi
                .send::<CancelAllOrders>(&NoPath, &CancelAllOrdersQuery { subaccount: None }, None)
                .await?;
            Ok(CancelledOrders::default())
        }
        Some(user) => cancel_owned(kalshi, store, user, None, None).await,
    }
}

/// Cancels `user`'s resting orders (as the desk records owners), optionally only in
/// `market` and `subaccount`: found with `GetOrders` in each subaccount, cancelled one by
/// one with `CancelOrderV2`.
///
/// # Errors
/// Kalshi's or the store's, for the reads; a single failed cancel is listed instead.
pub async fn cancel_owned(
    kalshi: &KalshiClient,
    store: &Store,
    user: &str,
    market: Option<&MarketTicker>,
    subaccount: Option<i64>,
) -> crate::http::Result<CancelledOrders> {
    let resting: Vec<_> = resting_everywhere(kalshi)
        .await?
        .into_iter()
        .filter(|(o, n)| {
            subaccount.is_none_or(|s| s == *n) && market.is_none_or(|m| *m == o.ticker)
        })
        .collect();
    // One read of the owners for every order found.
    let coids: Vec<String> = resting
        .iter()
        .filter_map(|(o, _)| o.client_order_id.clone())
        .collect();
    let ids: Vec<String> = resting
        .iter()
        .map(|(o, _)| o.order_id.as_str().to_owned())
        .collect();
    let owners = store.order_owners(&coids, &ids).await?;
    let mut out = CancelledOrders::default();
    for (order, number) in resting {
        let theirs = owners.iter().any(|(coid, id, owner)| {
            owner == user
                && (Some(coid) == order.client_order_id.as_ref()
                    || id.as_deref() == Some(order.order_id.as_str()))
        });
        if !theirs {
            continue;
        }
        match crate::http::cancel_order(kalshi, &order.order_id, Some(number)).await {
            Ok(()) => out.cancelled.push(order.order_id),
            Err(err) => out.failed.push(CancelFailure {
                order_id: order.order_id,
                message: err.to_string(),
            }),
        }
    }
    Ok(out)
}

/// Every resting order of the account with its subaccount number, read per subaccount.
///
/// # Errors
/// Kalshi's.
pub async fn resting_everywhere(
    kalshi: &KalshiClient,
) -> crate::http::Result<Vec<(shared::rest::Order, i64)>> {
    let numbers = crate::team::limits::subaccount_numbers(kalshi).await;
    let mut out = Vec::new();
    for n in numbers {
        let pages = kalshi
            .send_all_pages::<GetOrders>(
                &NoPath,
                GetOrdersQuery {
                    status: Some("resting".to_owned()),
                    limit: Some(200),
                    subaccount: Some(n),
                    ..Default::default()
                },
                50,
            )
            .await?;
        for o in pages.into_iter().flat_map(|p| p.orders) {
            if o.status == OrderStatus::Resting && i64::from(o.subaccount_number.unwrap_or(0)) == n
            {
                out.push((o, n));
            }
        }
    }
    Ok(out)
}
