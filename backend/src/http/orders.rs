//! `/api/orders`: list resting orders, place (CreateOrderV2), cancel (CancelOrderV2),
//! amend (AmendOrderV2), decrease (DecreaseOrderV2), cancel a batch (BatchCancelOrdersV2),
//! cancel all (CancelAllOrders, or a batch of one market's resting orders) and queue
//! positions (GetOrderQueuePositions). Every body is validated before anything is signed.

use super::error::{Body, Params};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use shared::api::ops::{
    AmendOrderV2, AmendOrderV2Path, AmendOrderV2Query, BatchCancelOrdersV2, CancelAllOrders,
    CancelAllOrdersQuery, CancelOrderV2, CancelOrderV2Path, CancelOrderV2Query, DecreaseOrderV2,
    DecreaseOrderV2Path, DecreaseOrderV2Query, GetOrder, GetOrderPath, GetOrderQueuePositions,
    GetOrderQueuePositionsQuery, GetOrders, GetOrdersQuery,
};
use shared::api::schema::{
    AmendOrderV2Request, BatchCancelOrdersV2Request, BatchCancelOrdersV2RequestOrdersItem,
    DecreaseOrderV2Request,
};
use shared::api::NoQuery;
use shared::ids::{Action, BookSide, OrderId, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{
    AmendTicket, CancelFailure, CancelOrders, CancelledOrders, DecreaseTicket, OrderTicket,
    OrderView, PlacedOrder, QueuePositionView, MAX_CANCEL_BATCH,
};
use shared::rest::{CreateOrderV2Request, Market, Order, OrderStatus};

use super::auth::Acting;
use super::auth::CurrentUser;
use super::markets::checked_ticker;
use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;
use crate::team::limits;
use crate::team::store::Store;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list).post(place).delete(cancel_all))
        .route("/orders/cancel", post(cancel_batch))
        .route("/orders/queue_positions", get(queue_positions))
        .route("/orders/{order_id}", delete(cancel))
        .route("/orders/{order_id}/amend", post(amend))
        .route("/orders/{order_id}/decrease", post(decrease))
}

/// The desk's view of a REST order.
pub(crate) fn view(o: &Order) -> OrderView {
    let side = o.outcome();
    let yes_price = o.yes_price().unwrap_or_default();
    OrderView {
        order_id: o.order_id.clone(),
        client_order_id: o.client_order_id.clone().filter(|c| !c.is_empty()),
        market_ticker: o.ticker.clone(),
        side,
        price: if side == Side::Yes {
            yes_price
        } else {
            o.no_price_dollars.unwrap_or(yes_price.complement())
        },
        yes_price,
        remaining: o.remaining(),
        filled: o.filled(),
        status: o.status,
        order_group_id: o.order_group_id.clone().filter(|g| !g.is_empty()),
        subaccount: o.subaccount_number.unwrap_or(0),
        owner: None,
        update_reason: None,
    }
}

/// `?subaccount=N` of the order routes (0 = primary, up to 63).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct SubaccountParam {
    /// The subaccount; what omitting it means is per route.
    pub(super) subaccount: Option<u32>,
}

impl SubaccountParam {
    /// Reads and range-checks the query: 400 `bad_query` / `invalid_subaccount`.
    pub(super) fn read(q: Params<SubaccountParam>) -> Result<Option<i64>> {
        let Params(p) = q;
        Self::check(p.subaccount)
    }

    /// Range-checks a subaccount number: 400 `invalid_subaccount` above
    /// [`shared::protocol::MAX_SUBACCOUNT`].
    pub(super) fn check(subaccount: Option<u32>) -> Result<Option<i64>> {
        match subaccount {
            Some(n) if n > shared::protocol::MAX_SUBACCOUNT => Err(Error::bad_request(
                "invalid_subaccount",
                format!(
                    "subaccount must be 0 to {}",
                    shared::protocol::MAX_SUBACCOUNT
                ),
            )),
            other => Ok(other.map(i64::from)),
        }
    }
}

/// `GET /api/orders[?subaccount=N]` → resting orders of one subaccount, or of all when
/// omitted (GetOrders `status=resting`, all pages).
async fn list(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    q: Params<SubaccountParam>,
) -> Result<Json<Vec<OrderView>>> {
    let subaccount = SubaccountParam::read(q)?;
    let pages = kalshi
        .send_all_pages::<GetOrders>(
            &shared::api::NoPath,
            GetOrdersQuery {
                status: Some("resting".to_owned()),
                limit: Some(200),
                subaccount,
                ..Default::default()
            },
            50,
        )
        .await?;
    let mut orders: Vec<OrderView> = pages
        .iter()
        .flat_map(|p| p.orders.iter())
        .filter(|o| o.status == OrderStatus::Resting)
        .map(view)
        .collect();
    fill_owners(&store, &mut orders).await?;
    Ok(Json(orders))
}

/// Sets each order's `owner` from the desk's records (by client order id, else order id).
pub(crate) async fn fill_owners(store: &Store, orders: &mut [OrderView]) -> Result<()> {
    let coids: Vec<String> = orders
        .iter()
        .filter_map(|o| o.client_order_id.clone())
        .collect();
    let ids: Vec<String> = orders
        .iter()
        .map(|o| o.order_id.as_str().to_owned())
        .collect();
    let owners = store.order_owners(&coids, &ids).await?;
    for o in orders.iter_mut() {
        o.owner = owners
            .iter()
            .find(|(c, id, _)| {
                Some(c) == o.client_order_id.as_ref() || id.as_deref() == Some(o.order_id.as_str())
            })
            .map(|(_, _, u)| u.clone());
    }
    Ok(())
}

/// The signed change in YES position (contracts) an order makes if it fills entirely:
/// buying YES or selling NO adds, selling YES or buying NO subtracts.
fn position_delta(action: Action, side: Side, count: Count) -> i64 {
    match (action, side) {
        (Action::Buy, Side::Yes) | (Action::Sell, Side::No) => count.raw(),
        (Action::Sell, Side::Yes) | (Action::Buy, Side::No) => -count.raw(),
    }
}

/// `POST /api/orders` with an [`OrderTicket`] → 201 [`PlacedOrder`].
///
/// 400 `invalid_price` unless `price` lies strictly between $0 and $1.
fn check_price_range(price: Dollars) -> Result<()> {
    if price.is_valid_price() {
        return Ok(());
    }
    Err(Error::bad_request(
        "invalid_price",
        format!("price must be between $0 and $1, got ${price}"),
    ))
}

/// 400 `invalid_price` unless `price` sits on `market`'s tick grid (its price ranges).
fn check_tick(market: &Market, price: Dollars) -> Result<()> {
    if market.is_valid_price(price) {
        return Ok(());
    }
    let tick = market.tick_at(price);
    Err(Error::bad_request(
        "invalid_price",
        format!("price must be a multiple of ${tick} in this market"),
    ))
}

/// Validated before anything is signed: the market must be open, the price inside
/// (0, 1) and on the market's tick, the count positive.
async fn place(
    Acting(kalshi): Acting,
    State(hub): State<Hub>,
    State(store): State<Store>,
    State(gate): State<limits::Gate>,
    user: CurrentUser,
    Body(ticket): Body<OrderTicket>,
) -> Result<(StatusCode, Json<PlacedOrder>)> {
    let ticker = checked_ticker(ticket.market_ticker.0.clone())?;
    // One order at a time in this market, from the limit check to Kalshi's answer.
    let _turn = gate.market(&ticker).await;
    if ticket.count.raw() > 0 {
        limits::check(
            &store,
            &kalshi,
            hub.exposure(),
            &user.user,
            limits::Check {
                operation: "POST /api/orders",
                ticker: &ticker,
                price: ticket.price,
                count: ticket.count,
                deltas: &[position_delta(ticket.action, ticket.side, ticket.count)],
                subaccount: ticket.subaccount.map(i64::from),
                replaces: None,
            },
        )
        .await?;
    }
    ticket
        .check_options(crate::kalshi::signer::now_ms().div_euclid(1000))
        .map_err(|m| Error::bad_request("invalid_options", m))?;
    if ticket.count.raw() <= 0 {
        return Err(Error::bad_request(
            "invalid_count",
            "count must be more than zero",
        ));
    }
    check_price_range(ticket.price)?;
    let market = hub.market_info().get(&kalshi, &ticker).await?;
    if !market.status.is_tradable() {
        return Err(Error::bad_request(
            "market_closed",
            format!("{ticker} is not open for trading"),
        ));
    }
    check_tick(&market, ticket.price)?;
    let (book_side, yes_price) = ticket.to_book();
    let client_order_id = ticket
        .client_order_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let request = CreateOrderV2Request {
        ticker,
        client_order_id: Some(client_order_id.clone()),
        side: book_side,
        count: ticket.count,
        price: yes_price,
        time_in_force: ticket.time_in_force,
        self_trade_prevention_type: ticket.self_trade_prevention,
        expiration_time: ticket.expiration_ts,
        post_only: ticket.post_only.then_some(true),
        reduce_only: ticket.reduce_only.then_some(true),
        cancel_order_on_pause: ticket.cancel_order_on_pause.then_some(true),
        subaccount: ticket.subaccount,
        order_group_id: ticket.order_group_id.clone(),
    };
    tracing::info!(operation = "CreateOrderV2", %client_order_id, market = %request.ticker, user = %user.user.username, "placing order");
    store
        .record_order_owner(&client_order_id, &user.user.username, request.ticker.as_str())
        .await
        .map_err(|e| match e {
            crate::team::store::StoreError::Db(ref db) if matches!(db, sqlx::Error::Database(d) if d.is_unique_violation()) => {
                Error::bad_request("duplicate_client_order_id", "that client order id was used before")
            }
            other => Error::Store(other),
        })?;
    let placed = kalshi.create_order(&request).await?;
    // In the book before the market's turn ends: the next check counts it.
    hub.exposure().placed(&OrderView {
        order_id: placed.order_id.clone(),
        client_order_id: Some(client_order_id.clone()),
        market_ticker: request.ticker.clone(),
        side: book_side.outcome(),
        price: ticket.price,
        yes_price,
        remaining: placed.remaining_count,
        filled: placed.fill_count,
        status: status_after(placed.remaining_count),
        order_group_id: ticket.order_group_id.clone(),
        subaccount: ticket.subaccount.unwrap_or(0),
        owner: None,
        update_reason: None,
    });
    if let Err(err) = store
        .set_order_id(&client_order_id, placed.order_id.as_str())
        .await
    {
        tracing::error!(error = %err, "could not record the order id of a placed order");
    }
    Ok((
        StatusCode::CREATED,
        Json(PlacedOrder {
            order_id: placed.order_id,
            client_order_id,
            filled: placed.fill_count,
            remaining: placed.remaining_count,
        }),
    ))
}

/// An order's status after Kalshi answered a place or an amend with `remaining` contracts
/// still on the book: resting, or done (filled, or an IOC's rest cancelled).
fn status_after(remaining: Count) -> OrderStatus {
    if remaining.raw() > 0 {
        OrderStatus::Resting
    } else {
        OrderStatus::Executed
    }
}

/// An order id from the browser: 1–64 of `A-Z a-z 0-9 -`.
fn checked_order_id(raw: String) -> Result<OrderId> {
    if raw.is_empty()
        || raw.len() > 64
        || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::bad_request("bad_order_id", "not an order id"));
    }
    Ok(OrderId(raw))
}

/// `DELETE /api/orders/{order_id}[?subaccount=N]` (CancelOrderV2; the order's subaccount,
/// default the primary) → `{}`. Only one's own orders unless the role allows others'.
async fn cancel(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    user: CurrentUser,
    Path(order_id): Path<String>,
    q: Params<SubaccountParam>,
) -> Result<Json<serde_json::Value>> {
    let order_id = checked_order_id(order_id)?;
    let subaccount = SubaccountParam::read(q)?;
    ensure_own(
        &store,
        &user,
        "DELETE /api/orders/{order_id}",
        &order_id,
        None,
    )
    .await?;
    cancel_order(&kalshi, &order_id, subaccount).await?;
    Ok(Json(serde_json::json!({})))
}

/// CancelOrderV2 of one order in `subaccount` (`None`: the primary).
///
/// # Errors
/// Kalshi's.
pub(crate) async fn cancel_order(
    kalshi: &KalshiClient,
    order_id: &OrderId,
    subaccount: Option<i64>,
) -> Result<()> {
    tracing::info!(operation = "CancelOrderV2", %order_id, "cancelling order");
    kalshi
        .send::<CancelOrderV2>(
            &CancelOrderV2Path {
                order_id: order_id.clone(),
            },
            &CancelOrderV2Query {
                subaccount,
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok(())
}

/// Refuses (403 `not_your_order`, audited) when `user` may not touch others' orders and the
/// desk does not record `order_id` (or `client_order_id`) as theirs. An order the desk did
/// not place has no owner, so only a role with `others_orders` may touch it.
///
/// # Errors
/// 403 `not_your_order`; the store's.
pub(crate) async fn ensure_own(
    store: &Store,
    user: &CurrentUser,
    operation: &str,
    order_id: &OrderId,
    client_order_id: Option<&str>,
) -> Result<()> {
    if user.user.role.permissions().others_orders {
        return Ok(());
    }
    let coids: Vec<String> = client_order_id.iter().map(|c| (*c).to_owned()).collect();
    let owners = store
        .order_owners(&coids, &[order_id.as_str().to_owned()])
        .await?;
    if owners.iter().any(|(_, _, u)| *u == user.user.username) {
        return Ok(());
    }
    let message = format!(
        "order {order_id} is not {}'s; only an admin may change others' orders",
        user.user.username
    );
    store
        .audit_refused(&user.user.username, operation, 403, &message)
        .await?;
    Err(Error::forbidden("not_your_order", message))
}

/// The caller's order, which must still be resting.
async fn resting_order(kalshi: &KalshiClient, order_id: &OrderId) -> Result<Order> {
    let order = kalshi
        .send::<GetOrder>(
            &GetOrderPath {
                order_id: order_id.clone(),
            },
            &NoQuery {},
            None,
        )
        .await?
        .order;
    if order.status != OrderStatus::Resting {
        return Err(Error::bad_request(
            "not_resting",
            "the order is no longer resting",
        ));
    }
    Ok(order)
}

/// `POST /api/orders/{order_id}/amend` with an [`AmendTicket`] → the order's new
/// [`OrderView`] (AmendOrderV2 with `count = filled + remaining`).
///
/// Validated before signing: price inside (0, 1) and on the market's tick, remaining > 0,
/// the order resting.
async fn amend(
    Acting(kalshi): Acting,
    State(hub): State<Hub>,
    State(store): State<Store>,
    State(gate): State<limits::Gate>,
    user: CurrentUser,
    Path(order_id): Path<String>,
    Body(ticket): Body<AmendTicket>,
) -> Result<Json<OrderView>> {
    let order_id = checked_order_id(order_id)?;
    if ticket.remaining.raw() <= 0 {
        return Err(Error::bad_request(
            "invalid_count",
            "the new count must be more than zero",
        ));
    }
    check_price_range(ticket.price)?;
    // The order as the account frames describe it; Kalshi's own answer when the desk has
    // not seen it (then read again inside the market's turn: it may change meanwhile).
    let book = hub.exposure();
    let ticker = match book.order(&order_id) {
        Some(o) => o.market_ticker,
        None => resting_order(&kalshi, &order_id).await?.ticker,
    };
    let _turn = gate.market(&ticker).await;
    let order = match book.order(&order_id) {
        Some(o) if o.status == OrderStatus::Resting && o.remaining.raw() > 0 => o,
        Some(_) => {
            return Err(Error::bad_request(
                "not_resting",
                "the order is no longer resting",
            ))
        }
        None => view(&resting_order(&kalshi, &order_id).await?),
    };
    ensure_own(
        &store,
        &user,
        "POST /api/orders/{order_id}/amend",
        &order_id,
        order.client_order_id.as_deref(),
    )
    .await?;
    let outcome = order.side;
    let yes_price = match outcome {
        Side::Yes => ticket.price,
        Side::No => ticket.price.complement(),
    };
    let market = hub.market_info().get(&kalshi, &order.market_ticker).await?;
    check_tick(&market, yes_price)?;
    // The amended order must fit the limits as a whole: its new remaining replaces what it
    // had resting in the worst case.
    let yes_remaining = match outcome {
        Side::Yes => ticket.remaining.raw(),
        Side::No => -ticket.remaining.raw(),
    };
    let subaccount = (order.subaccount != 0).then(|| i64::from(order.subaccount));
    limits::check(
        &store,
        &kalshi,
        book,
        &user.user,
        limits::Check {
            operation: "POST /api/orders/{order_id}/amend",
            ticker: &order.market_ticker,
            price: ticket.price,
            count: order.filled + ticket.remaining,
            deltas: &[yes_remaining],
            subaccount,
            replaces: Some(&order_id),
        },
    )
    .await?;
    let request = AmendOrderV2Request {
        ticker: order.market_ticker.clone(),
        side: Some(BookSide::for_outcome(outcome)),
        price: yes_price,
        count: order.filled + ticket.remaining,
        client_order_id: order.client_order_id.clone(),
        updated_client_order_id: None,
        expiration_time: None,
        exchange_index: None,
    };
    tracing::info!(operation = "AmendOrderV2", %order_id, "amending order");
    let out = kalshi
        .send::<AmendOrderV2>(
            &AmendOrderV2Path {
                order_id: order_id.clone(),
            },
            &AmendOrderV2Query { subaccount },
            Some(&request),
        )
        .await?;
    let remaining = out.remaining_count.unwrap_or(ticket.remaining);
    let filled = order.filled + out.fill_count.unwrap_or_default();
    let amended = OrderView {
        client_order_id: out.client_order_id.or(order.client_order_id),
        price: ticket.price,
        yes_price,
        remaining,
        filled,
        status: status_after(remaining),
        owner: None,
        update_reason: None,
        ..order
    };
    book.amended(&amended);
    Ok(Json(amended))
}

/// `POST /api/orders/{order_id}/decrease[?subaccount=N]` with a [`DecreaseTicket`] →
/// `{"remaining":…}` (DecreaseOrderV2; keeps the order's place in the queue).
async fn decrease(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    user: CurrentUser,
    Path(order_id): Path<String>,
    q: Params<SubaccountParam>,
    Body(ticket): Body<DecreaseTicket>,
) -> Result<Json<serde_json::Value>> {
    let order_id = checked_order_id(order_id)?;
    let subaccount = SubaccountParam::read(q)?;
    match (ticket.reduce_by, ticket.reduce_to) {
        (Some(by), None) if by.raw() > 0 => {}
        (Some(_), None) => {
            return Err(Error::bad_request(
                "invalid_count",
                "reduce by must be more than zero",
            ))
        }
        (None, Some(to)) if to.raw() >= 0 => {}
        (None, Some(_)) => {
            return Err(Error::bad_request(
                "invalid_count",
                "reduce to must be zero or more",
            ))
        }
        _ => {
            return Err(Error::bad_request(
                "invalid_count",
                "give exactly one of reduce by or reduce to",
            ))
        }
    }
    ensure_own(
        &store,
        &user,
        "POST /api/orders/{order_id}/decrease",
        &order_id,
        None,
    )
    .await?;
    let request = DecreaseOrderV2Request {
        reduce_by: ticket.reduce_by,
        reduce_to: ticket.reduce_to,
        exchange_index: None,
        market_ticker: None,
    };
    tracing::info!(operation = "DecreaseOrderV2", %order_id, "decreasing order");
    let out = kalshi
        .send::<DecreaseOrderV2>(
            &DecreaseOrderV2Path { order_id },
            &DecreaseOrderV2Query { subaccount },
            Some(&request),
        )
        .await?;
    Ok(Json(
        serde_json::json!({ "remaining": out.remaining_count }),
    ))
}

/// BatchCancelOrdersV2 over `ids` of `subaccount` (at most [`MAX_CANCEL_BATCH`]).
async fn batch_cancel(
    kalshi: &KalshiClient,
    ids: Vec<OrderId>,
    subaccount: Option<i64>,
) -> Result<CancelledOrders> {
    let mut out = CancelledOrders::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let request = BatchCancelOrdersV2Request {
        orders: ids
            .into_iter()
            .map(|order_id| BatchCancelOrdersV2RequestOrdersItem {
                order_id,
                subaccount,
                ..Default::default()
            })
            .collect(),
    };
    tracing::info!(
        operation = "BatchCancelOrdersV2",
        orders = request.orders.len(),
        "cancelling orders"
    );
    let answer = kalshi
        .send::<BatchCancelOrdersV2>(&shared::api::NoPath, &NoQuery {}, Some(&request))
        .await?;
    for item in answer.orders {
        match item.error {
            None => out.cancelled.push(item.order_id),
            Some(e) => out.failed.push(CancelFailure {
                order_id: item.order_id,
                message: e.message.or(e.code).unwrap_or_else(|| "refused".to_owned()),
            }),
        }
    }
    Ok(out)
}

/// `POST /api/orders/cancel` with [`CancelOrders`] → [`CancelledOrders`]
/// (BatchCancelOrdersV2).
async fn cancel_batch(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    user: CurrentUser,
    Body(CancelOrders {
        order_ids,
        subaccount,
    }): Body<CancelOrders>,
) -> Result<Json<CancelledOrders>> {
    if subaccount.is_some_and(|n| n > shared::protocol::MAX_SUBACCOUNT) {
        return Err(Error::bad_request(
            "invalid_subaccount",
            format!(
                "subaccount must be 0 to {}",
                shared::protocol::MAX_SUBACCOUNT
            ),
        ));
    }
    if order_ids.is_empty() || order_ids.len() > MAX_CANCEL_BATCH {
        return Err(Error::bad_request(
            "invalid_batch",
            format!("select 1 to {MAX_CANCEL_BATCH} orders"),
        ));
    }
    let ids = order_ids
        .into_iter()
        .map(|id| checked_order_id(id.0))
        .collect::<Result<Vec<_>>>()?;
    for id in &ids {
        ensure_own(&store, &user, "POST /api/orders/cancel", id, None).await?;
    }
    Ok(Json(
        batch_cancel(&kalshi, ids, subaccount.map(i64::from)).await?,
    ))
}

/// `?market_ticker=&subaccount=` of cancel-all.
#[derive(Debug, serde::Deserialize)]
struct CancelAllParams {
    market_ticker: Option<String>,
    subaccount: Option<u32>,
}

/// `DELETE /api/orders[?market_ticker=…][&subaccount=N]` → [`CancelledOrders`]: every
/// resting order of one subaccount, or of all when omitted (CancelAllOrders), or one
/// market's resting orders (GetOrders, then BatchCancelOrdersV2 per subaccount).
async fn cancel_all(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    user: CurrentUser,
    params: Params<CancelAllParams>,
) -> Result<Json<CancelledOrders>> {
    let Params(params) = params;
    if params
        .subaccount
        .is_some_and(|n| n > shared::protocol::MAX_SUBACCOUNT)
    {
        return Err(Error::bad_request(
            "invalid_subaccount",
            format!(
                "subaccount must be 0 to {}",
                shared::protocol::MAX_SUBACCOUNT
            ),
        ));
    }
    let subaccount = params.subaccount.map(i64::from);
    let market = params
        .market_ticker
        .filter(|t| !t.is_empty())
        .map(checked_ticker)
        .transpose()?;
    if !user.user.role.permissions().others_orders {
        // Only the caller's own resting orders, one by one.
        let out = crate::team::halts::cancel_owned(
            &kalshi,
            &store,
            &user.user.username,
            market.as_ref(),
            subaccount,
        )
        .await?;
        return Ok(Json(out));
    }
    let Some(ticker) = market else {
        tracing::info!(operation = "CancelAllOrders", "cancelling every order");
        kalshi
            .send::<CancelAllOrders>(
                &shared::api::NoPath,
                &CancelAllOrdersQuery { subaccount },
                None,
            )
            .await?;
        return Ok(Json(CancelledOrders::default()));
    };
    let pages = kalshi
        .send_all_pages::<GetOrders>(
            &shared::api::NoPath,
            GetOrdersQuery {
                ticker: Some(ticker),
                status: Some("resting".to_owned()),
                limit: Some(200),
                subaccount,
                ..Default::default()
            },
            50,
        )
        .await?;
    let mut by_subaccount: std::collections::BTreeMap<u32, Vec<OrderId>> =
        std::collections::BTreeMap::new();
    for o in pages.into_iter().flat_map(|p| p.orders) {
        if o.status == OrderStatus::Resting {
            by_subaccount
                .entry(o.subaccount_number.unwrap_or(0))
                .or_default()
                .push(o.order_id);
        }
    }
    let mut out = CancelledOrders::default();
    for (number, ids) in by_subaccount {
        for chunk in ids.chunks(MAX_CANCEL_BATCH) {
            let part = batch_cancel(&kalshi, chunk.to_vec(), Some(i64::from(number))).await?;
            out.cancelled.extend(part.cancelled);
            out.failed.extend(part.failed);
        }
    }
    Ok(Json(out))
}

/// `GET /api/orders/queue_positions[?subaccount=N]` → [`QueuePositionView`] per resting
/// order of that subaccount (default the primary) (GetOrderQueuePositions).
async fn queue_positions(
    Acting(kalshi): Acting,
    q: Params<SubaccountParam>,
) -> Result<Json<Vec<QueuePositionView>>> {
    let subaccount = SubaccountParam::read(q)?;
    let answer = kalshi
        .send::<GetOrderQueuePositions>(
            &shared::api::NoPath,
            &GetOrderQueuePositionsQuery {
                subaccount,
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok(Json(
        answer
            .queue_positions
            .into_iter()
            .map(|q| QueuePositionView {
                order_id: q.order_id,
                market_ticker: q.market_ticker,
                ahead: q.queue_position_fp,
            })
            .collect(),
    ))
}
