//! `/api/orders`: list resting orders, place (CreateOrderV2), cancel (CancelOrderV2).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use shared::ids::{OrderId, Side};
use shared::protocol::{OrderTicket, OrderView, PlacedOrder};
use shared::rest::{CreateOrderV2Request, Order, OrderStatus, SelfTradePrevention};

use super::markets::checked_ticker;
use super::{AppState, Error, Result};
use crate::client::KalshiClient;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list).post(place))
        .route("/orders/{order_id}", delete(cancel))
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
    }
}

/// `GET /api/orders` → resting orders (GetOrders `status=resting`, all pages).
async fn list(State(kalshi): State<KalshiClient>) -> Result<Json<Vec<OrderView>>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let page = kalshi.orders(Some("resting"), cursor.as_deref()).await?;
        out.extend(
            page.orders
                .iter()
                .filter(|o| o.status == OrderStatus::Resting)
                .map(view),
        );
        if page.cursor.is_empty() {
            break;
        }
        cursor = Some(page.cursor);
    }
    Ok(Json(out))
}

/// `POST /api/orders` with an [`OrderTicket`] → 201 [`PlacedOrder`].
///
/// Validated before anything is signed: the market must be open, the price inside
/// (0, 1) and on the market's tick, the count positive.
async fn place(
    State(kalshi): State<KalshiClient>,
    ticket: std::result::Result<Json<OrderTicket>, JsonRejection>,
) -> Result<(StatusCode, Json<PlacedOrder>)> {
    let Json(ticket) = ticket?;
    let ticker = checked_ticker(ticket.market_ticker.0.clone())?;
    if ticket.count.raw() <= 0 {
        return Err(Error::bad_request(
            "invalid_count",
            "count must be more than zero",
        ));
    }
    if !ticket.price.is_valid_price() {
        return Err(Error::bad_request(
            "invalid_price",
            format!("price must be between $0 and $1, got ${}", ticket.price),
        ));
    }
    let market = kalshi.market(&ticker).await?.market;
    if !market.status.is_tradable() {
        return Err(Error::bad_request(
            "market_closed",
            format!("{ticker} is not open for trading"),
        ));
    }
    if !market.is_valid_price(ticket.price) {
        let tick = market.tick_at(ticket.price);
        return Err(Error::bad_request(
            "invalid_price",
            format!("price must be a multiple of ${tick} in this market"),
        ));
    }
    let (book_side, yes_price) = ticket.to_book();
    let client_order_id = uuid::Uuid::new_v4().to_string();
    let request = CreateOrderV2Request {
        ticker,
        client_order_id: Some(client_order_id.clone()),
        side: book_side,
        count: ticket.count,
        price: yes_price,
        time_in_force: ticket.time_in_force,
        self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
        expiration_time: None,
        post_only: ticket.post_only.then_some(true),
        reduce_only: None,
        cancel_order_on_pause: None,
        subaccount: None,
        order_group_id: None,
    };
    tracing::info!(operation = "CreateOrderV2", %client_order_id, market = %request.ticker, "placing order");
    let placed = kalshi.create_order(&request).await?;
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

/// `DELETE /api/orders/{order_id}` (CancelOrderV2) → `{}`.
async fn cancel(
    State(kalshi): State<KalshiClient>,
    Path(order_id): Path<String>,
) -> Result<Json<serde_json::Value>> {
    if order_id.is_empty()
        || order_id.len() > 64
        || !order_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::bad_request("bad_order_id", "not an order id"));
    }
    tracing::info!(operation = "CancelOrderV2", %order_id, "cancelling order");
    kalshi.cancel_order(&OrderId(order_id)).await?;
    Ok(Json(serde_json::json!({})))
}
