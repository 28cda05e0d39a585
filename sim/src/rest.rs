//! REST handlers under `/trade-api/v2` (OpenAPI 3.31 shapes). Queries are read into the
//! generated query structs by [`KalshiQuery`] ([`query`]): leniently (unknown parameters
//! ignored) but malformed values are a 400 with a clear message.

pub(crate) mod query;

pub(crate) use query::{comma_list, number_cursor, page_limit, split_commas, KalshiQuery};

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use shared::api::ops;
use shared::api::schema::{
    self, EventPosition, ExchangeStatus, Fill, GetBalanceResponse, GetFillsResponse,
    GetOrderResponse, GetOrdersResponse, GetPositionsResponse, MarketPosition, Order, OrderType,
    SelfTradePreventionType,
};
use shared::ids::{Action, BookSide, EventTicker, MarketTicker, OrderId, Side};
use shared::num::{Count, Dollars};
use shared::rest::{CreateOrderV2Request, OrderStatus, SelfTradePrevention};

use super::auth::Caller;
use super::engine::{AccountId, Engine, OrderRec};
use super::error::{Result, SimError};
use super::wire::rfc3339_ms;
use super::Sim;
use shared::api::schema::{
    AmendOrderV2Request, BatchCancelOrdersV2Request, BatchCancelOrdersV2Response,
    BatchCancelOrdersV2ResponseOrdersItem, BatchCreateOrdersV2Response,
    BatchCreateOrdersV2ResponseOrdersItem, DecreaseOrderV2Request, ErrorResponse,
    GetMarketOrderbookResponse, GetMarketResponse, GetOrderQueuePositionResponse,
    GetOrderQueuePositionsResponse, GetSettlementsResponse, GetTradesResponse, OrderbookCountFp,
    Trade,
};

/// The exchange index (shard) of everything this exchange holds: one shard, index 0.
pub(crate) const EXCHANGE_INDEX: i64 = 0;

/// `GET /exchange/status` (GetExchangeStatus): during a trading pause `trading_active` is
/// false and `exchange_estimated_resume_time` says when it ends (when known); the
/// exchange itself stays active (cancels still work).
pub async fn exchange_status(State(sim): State<Sim>) -> Json<ExchangeStatus> {
    let pause = sim.pause();
    Json(ExchangeStatus {
        exchange_active: true,
        trading_active: pause.is_none(),
        intra_exchange_transfers_active: Some(true),
        exchange_estimated_resume_time: pause.and_then(|p| p.ends_ms).map(rfc3339_ms),
        exchange_index_statuses: None,
    })
}

/// `GET /markets/{ticker}` (GetMarket).
pub async fn get_market(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
) -> Result<Json<GetMarketResponse>> {
    let core = sim.lock();
    let m = core
        .engine
        .market(&MarketTicker::from(ticker.as_str()))
        .ok_or_else(|| SimError::NotFound(format!("market {ticker} not found")))?;
    Ok(Json(GetMarketResponse { market: m.served() }))
}

/// `GET /markets/{ticker}/orderbook` (GetMarketOrderbook): `depth` (0/absent = all) best
/// levels per side, ascending price, in `orderbook_fp`.
pub async fn get_orderbook(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::GetMarketOrderbookQuery>,
) -> Result<Json<GetMarketOrderbookResponse>> {
    let depth = match q.depth {
        None | Some(0) => usize::MAX,
        Some(d) if (1..=100).contains(&d) => usize::try_from(d).unwrap_or(usize::MAX),
        Some(d) => {
            return Err(SimError::BadRequest(format!(
                "depth must be between 0 and 100, got {d}"
            )))
        }
    };
    let core = sim.lock();
    let levels = core
        .engine
        .levels(&MarketTicker::from(ticker.as_str()))
        .ok_or_else(|| SimError::NotFound(format!("market {ticker} not found")))?;
    let best = |v: Vec<(Dollars, Count)>| {
        let skip = v.len().saturating_sub(depth);
        v.into_iter().skip(skip).collect::<Vec<_>>()
    };
    Ok(Json(GetMarketOrderbookResponse {
        orderbook_fp: OrderbookCountFp {
            yes_dollars: best(levels.yes),
            no_dollars: best(levels.no),
        },
    }))
}

/// `GET /markets/trades` (GetTrades): `ticker`, `min_ts`/`max_ts` (Unix s), `limit`,
/// `cursor`; newest first.
pub async fn get_trades(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetTradesQuery>,
) -> Result<Json<GetTradesResponse>> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let cursor: Option<u64> = number_cursor(q.cursor.as_deref())?;
    let (min_ts, max_ts, ticker) = (q.min_ts, q.max_ts, q.ticker);
    let core = sim.lock();
    let mut all: Vec<&super::engine::TradeRec> = core
        .engine
        .markets()
        .values()
        .filter(|m| ticker.as_ref().is_none_or(|t| *t == m.info.ticker))
        .flat_map(|m| m.trades.iter())
        .filter(|t| cursor.is_none_or(|c| t.seq < c))
        .filter(|t| {
            min_ts.is_none_or(|s| t.ts_ms >= s * 1000)
                && max_ts.is_none_or(|s| t.ts_ms <= s * 1000 + 999)
        })
        .collect();
    all.sort_by_key(|t| std::cmp::Reverse(t.seq));
    let more = all.len() > limit;
    all.truncate(limit);
    let trades: Vec<Trade> = all
        .iter()
        .map(|t| Trade {
            trade_id: t.trade_id.clone(),
            ticker: t.ticker.clone(),
            count_fp: t.count,
            yes_price_dollars: t.yes_price,
            no_price_dollars: t.yes_price.complement(),
            taker_side: Some(t.taker_outcome),
            taker_outcome_side: Some(t.taker_outcome),
            taker_book_side: Some(BookSide::for_outcome(t.taker_outcome)),
            created_time: rfc3339_ms(t.ts_ms),
            is_block_trade: false,
        })
        .collect();
    let cursor = if more {
        all.last().map(|t| t.seq.to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetTradesResponse { trades, cursor }))
}

/// `POST /portfolio/events/orders` (CreateOrderV2) → 201.
pub async fn create_order(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateOrderV2Request = serde_json::from_slice(&body)
        .map_err(|e| SimError::BadRequest(format!("invalid CreateOrderV2 body: {e}")))?;
    if !req.ticker.is_well_formed() {
        return Err(SimError::BadRequest(format!(
            "malformed ticker {:?}",
            req.ticker.as_str()
        )));
    }
    let out = sim.with_engine(|engine, now| engine.place(caller.0, &req, now))?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `DELETE /portfolio/events/orders/{order_id}` (CancelOrderV2).
pub async fn cancel_order(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::CancelOrderV2Query>,
) -> Result<impl IntoResponse> {
    let out = sim.with_engine(|engine, now| {
        let account = target(engine, caller.0, q.subaccount)?;
        engine
            .cancel(account, &OrderId(order_id), now)
            .map_err(SimError::from)
    })?;
    Ok(Json(out))
}

/// Most orders in one batch call (Kalshi scales this with the tier; the sim uses one cap).
pub const MAX_BATCH: usize = 100;

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| SimError::BadRequest(format!("invalid {what} body: {e}")))
}

/// The account a `subaccount` query names, default the primary (the spec's
/// `SubaccountQueryDefaultPrimary`); 400 for a subaccount the caller has not created.
pub(super) fn target(
    engine: &Engine,
    caller: AccountId,
    subaccount: Option<i64>,
) -> Result<AccountId> {
    Ok(engine.resolve_subaccount(caller, subaccount)?)
}

/// The accounts a `subaccount` query names: that one, or all of the caller's when omitted
/// (the spec's `SubaccountQuery`).
pub(super) fn scope(
    engine: &Engine,
    caller: AccountId,
    subaccount: Option<i64>,
) -> Result<Vec<AccountId>> {
    match subaccount {
        None => Ok(engine.family(caller)),
        Some(n) => Ok(vec![engine.resolve_subaccount(caller, Some(n))?]),
    }
}

/// A per-item error of a batch answer, as Kalshi's `ErrorResponse`.
fn item_error(e: SimError) -> ErrorResponse {
    let (_, code) = e.status_and_code();
    ErrorResponse {
        code: Some(code.to_owned()),
        message: Some(e.to_string()),
        details: None,
    }
}

/// `DELETE /portfolio/events/orders` (CancelAllOrders) → 204: every resting order of the
/// caller's `subaccount`, or of all its subaccounts when omitted.
pub async fn cancel_all_orders(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::CancelAllOrdersQuery>,
) -> Result<StatusCode> {
    sim.with_engine(|engine, now| {
        for account in scope(engine, caller.0, q.subaccount)? {
            engine.cancel_all(account, now);
        }
        Ok::<_, SimError>(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /portfolio/events/orders/batched` (BatchCreateOrdersV2) → 201, one entry per
/// order in request order; a refused order carries `error` and the rest go on.
pub async fn batch_create_orders(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    // Spec `BatchCreateOrdersV2Request`; each order is read on its own so that one
    // malformed order is that entry's error, not the whole batch's.
    #[derive(serde::Deserialize)]
    struct Batch {
        orders: Vec<serde_json::Value>,
    }
    let req: Batch = json_body(&body, "BatchCreateOrdersV2")?;
    if req.orders.is_empty() || req.orders.len() > MAX_BATCH {
        return Err(SimError::BadRequest(format!(
            "orders must hold 1 to {MAX_BATCH} orders, got {}",
            req.orders.len()
        )));
    }
    let orders = sim.with_engine(|engine, now| {
        req.orders
            .iter()
            .map(|value| {
                let parsed = serde_json::from_value::<CreateOrderV2Request>(value.clone())
                    .map_err(|e| SimError::BadRequest(format!("invalid order: {e}")));
                let client_order_id = value
                    .get("client_order_id")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned);
                let placed = parsed.and_then(|o| {
                    if o.ticker.is_well_formed() {
                        engine.place(caller.0, &o, now).map_err(SimError::from)
                    } else {
                        Err(SimError::BadRequest(format!(
                            "malformed ticker {:?}",
                            o.ticker.as_str()
                        )))
                    }
                });
                match placed {
                    Ok(p) => BatchCreateOrdersV2ResponseOrdersItem {
                        order_id: Some(p.order_id),
                        client_order_id: p.client_order_id,
                        fill_count: Some(p.fill_count),
                        remaining_count: Some(p.remaining_count),
                        average_fill_price: p.average_fill_price,
                        average_fee_paid: p.average_fee_paid,
                        ts_ms: Some(p.ts_ms),
                        error: None,
                    },
                    Err(e) => BatchCreateOrdersV2ResponseOrdersItem {
                        client_order_id,
                        error: Some(item_error(e)),
                        ..Default::default()
                    },
                }
            })
            .collect()
    });
    Ok((
        StatusCode::CREATED,
        Json(BatchCreateOrdersV2Response { orders }),
    ))
}

/// `DELETE /portfolio/events/orders/batched` (BatchCancelOrdersV2) → 200, one entry per
/// order; an order that is unknown, someone else's or not resting carries `error`.
pub async fn batch_cancel_orders(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<BatchCancelOrdersV2Response>> {
    let req: BatchCancelOrdersV2Request = json_body(&body, "BatchCancelOrdersV2")?;
    if req.orders.is_empty() || req.orders.len() > MAX_BATCH {
        return Err(SimError::BadRequest(format!(
            "orders must hold 1 to {MAX_BATCH} orders, got {}",
            req.orders.len()
        )));
    }
    let orders = sim.with_engine(|engine, now| {
        req.orders
            .iter()
            .map(|item| {
                let cancelled = engine
                    .resolve_subaccount(caller.0, item.subaccount)
                    .and_then(|account| engine.cancel(account, &item.order_id, now));
                match cancelled {
                    Ok(c) => BatchCancelOrdersV2ResponseOrdersItem {
                        order_id: c.order_id,
                        client_order_id: c.client_order_id,
                        reduced_by: c.reduced_by,
                        ts_ms: Some(c.ts_ms),
                        error: None,
                    },
                    Err(e) => BatchCancelOrdersV2ResponseOrdersItem {
                        order_id: item.order_id.clone(),
                        error: Some(item_error(e.into())),
                        ..Default::default()
                    },
                }
            })
            .collect()
    });
    Ok(Json(BatchCancelOrdersV2Response { orders }))
}

/// `POST /portfolio/events/orders/{order_id}/amend` (AmendOrderV2).
pub async fn amend_order(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::AmendOrderV2Query>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let req: AmendOrderV2Request = json_body(&body, "AmendOrderV2")?;
    let out = sim.with_engine(|engine, now| {
        let account = target(engine, caller.0, q.subaccount)?;
        engine
            .amend(account, &OrderId(order_id), &req, now)
            .map_err(SimError::from)
    })?;
    Ok(Json(out))
}

/// `POST /portfolio/events/orders/{order_id}/decrease` (DecreaseOrderV2).
pub async fn decrease_order(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::DecreaseOrderV2Query>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let req: DecreaseOrderV2Request = json_body(&body, "DecreaseOrderV2")?;
    let out = sim.with_engine(|engine, now| {
        let account = target(engine, caller.0, q.subaccount)?;
        engine
            .decrease(account, &OrderId(order_id), &req, now)
            .map_err(SimError::from)
    })?;
    Ok(Json(out))
}

/// `GET /portfolio/orders/queue_positions` (GetOrderQueuePositions): `market_tickers`
/// (comma-separated), `event_ticker`, `subaccount`; the caller's resting orders.
pub async fn queue_positions(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetOrderQueuePositionsQuery>,
) -> Result<Json<GetOrderQueuePositionsResponse>> {
    let tickers = comma_list(q.market_tickers.as_deref());
    let event = q.event_ticker;
    let core = sim.lock();
    let account = target(&core.engine, caller.0, q.subaccount)?;
    let queue_positions = core.engine.queue_positions(account, |m| {
        tickers
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == m.info.ticker.as_str()))
            && event.as_ref().is_none_or(|e| *e == m.info.event_ticker)
    });
    Ok(Json(GetOrderQueuePositionsResponse { queue_positions }))
}

/// `GET /portfolio/orders/{order_id}/queue_position` (GetOrderQueuePosition); 404 unless
/// it is the caller's resting order.
pub async fn queue_position(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
) -> Result<Json<GetOrderQueuePositionResponse>> {
    let core = sim.lock();
    let position = core
        .engine
        .order_by_id(&OrderId(order_id.clone()))
        .filter(|o| core.engine.root(o.account) == caller.0)
        .and_then(|o| core.engine.queue_position(o.key))
        .ok_or_else(|| SimError::NotFound(format!("resting order {order_id} not found")))?;
    Ok(Json(GetOrderQueuePositionResponse {
        queue_position_fp: position,
    }))
}

/// An order as `GetOrder`/`GetOrders` answer it (schema `Order`).
fn order_json(engine: &Engine, o: &OrderRec) -> Order {
    let outcome = o.outcome();
    Order {
        order_id: o.id.clone(),
        user_id: engine
            .account(o.account)
            .map(|a| a.user_id.clone())
            .unwrap_or_default(),
        client_order_id: o.client_order_id.clone().unwrap_or_default(),
        ticker: o.ticker.clone(),
        side: Some(outcome),
        action: Some(Action::Buy),
        outcome_side: Some(outcome),
        book_side: Some(o.book_side),
        r#type: OrderType::Limit,
        status: o.status.into(),
        yes_price_dollars: o.yes_price,
        no_price_dollars: o.yes_price.complement(),
        fill_count_fp: o.filled,
        remaining_count_fp: o.remaining,
        initial_count_fp: o.initial,
        taker_fill_cost_dollars: o.taker_fill_cost,
        maker_fill_cost_dollars: o.maker_fill_cost,
        taker_fees_dollars: o.taker_fees,
        maker_fees_dollars: Dollars::ZERO,
        expiration_time: o.expiration_ms.map(rfc3339_ms),
        created_time: Some(rfc3339_ms(o.created_ms)),
        last_update_time: Some(rfc3339_ms(o.updated_ms)),
        self_trade_prevention_type: Some(match o.stp {
            SelfTradePrevention::TakerAtCross => SelfTradePreventionType::TakerAtCross,
            SelfTradePrevention::Maker => SelfTradePreventionType::Maker,
        }),
        order_group_id: o.order_group.clone(),
        cancel_order_on_pause: Some(false),
        subaccount_number: Some(i64::from(engine.subaccount_number(o.account))),
        exchange_index: Some(EXCHANGE_INDEX),
    }
}

/// `GET /portfolio/orders` (GetOrders): `status`, `ticker`, `event_ticker`, `min_ts`,
/// `max_ts`, `subaccount` (omitted = all of the caller's), `limit`, `cursor`; newest first.
pub async fn get_orders(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetOrdersQuery>,
) -> Result<Json<GetOrdersResponse>> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let cursor: Option<u64> = number_cursor(q.cursor.as_deref())?;
    let status = match q.status.as_deref() {
        None => None,
        Some("resting") => Some(OrderStatus::Resting),
        Some("canceled") => Some(OrderStatus::Canceled),
        Some("executed") => Some(OrderStatus::Executed),
        Some(other) => {
            return Err(SimError::BadRequest(format!(
                "unknown status {other:?} (resting, canceled, executed)"
            )))
        }
    };
    let (ticker, event) = (q.ticker, q.event_ticker);
    let (min_ts, max_ts) = (q.min_ts, q.max_ts);
    let core = sim.lock();
    let engine = &core.engine;
    let mut keys: Vec<u64> = scope(engine, caller.0, q.subaccount)?
        .into_iter()
        .filter_map(|a| engine.account(a))
        .flat_map(|a| a.orders.iter().copied())
        .collect();
    keys.sort_unstable();
    let mut orders = Vec::new();
    let mut more = false;
    for key in keys.iter().rev() {
        if cursor.is_some_and(|c| *key >= c) {
            continue;
        }
        let Some(o) = engine.order(*key) else {
            continue;
        };
        if status.is_some_and(|s| s != o.status)
            || ticker.as_ref().is_some_and(|t| *t != o.ticker)
            || event.as_ref().is_some_and(|e| {
                engine
                    .market(&o.ticker)
                    .is_none_or(|m| m.info.event_ticker != *e)
            })
            || min_ts.is_some_and(|s| o.created_ms < s * 1000)
            || max_ts.is_some_and(|s| o.created_ms > s * 1000 + 999)
        {
            continue;
        }
        if orders.len() == limit {
            more = true;
            break;
        }
        orders.push((o.key, order_json(engine, o)));
    }
    let cursor = if more {
        orders
            .last()
            .map(|(k, _)| k.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetOrdersResponse {
        orders: orders.into_iter().map(|(_, o)| o).collect(),
        cursor,
    }))
}

/// `GET /portfolio/orders/{order_id}` (GetOrder); 404 for another account's order.
pub async fn get_order(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
) -> Result<Json<GetOrderResponse>> {
    let core = sim.lock();
    let o = core
        .engine
        .order_by_id(&OrderId(order_id.clone()))
        .filter(|o| core.engine.root(o.account) == caller.0)
        .ok_or_else(|| SimError::NotFound(format!("order {order_id} not found")))?;
    Ok(Json(GetOrderResponse {
        order: order_json(&core.engine, o),
    }))
}

/// Liquidation value of a position: held contracts at the best bid of the held side.
fn position_value(engine: &Engine, ticker: &MarketTicker, net: Count) -> Dollars {
    let Some(m) = engine.market(ticker) else {
        return Dollars::ZERO;
    };
    let (side, n) = if net.is_negative() {
        (Side::No, -net)
    } else {
        (Side::Yes, net)
    };
    m.book
        .best_bid(side)
        .map_or(Dollars::ZERO, |(p, _)| p.times(n))
}

/// `GET /portfolio/balance` (GetBalance): available balance (cash less resting-order
/// collateral) in cents and dollars; `portfolio_value` = balance + positions at the bid;
/// `subaccount` (default the primary).
pub async fn get_balance(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetBalanceQuery>,
) -> Result<Json<GetBalanceResponse>> {
    let core = sim.lock();
    let engine = &core.engine;
    let account = engine
        .account(target(engine, caller.0, q.subaccount)?)
        .ok_or(SimError::Unauthorized("unknown account"))?;
    let available = account.available();
    let positions: Dollars = account
        .positions
        .iter()
        .map(|(t, p)| position_value(engine, t, p.net))
        .fold(Dollars::ZERO, |a, b| a + b);
    let cents = |d: Dollars| d.raw() / Dollars::from_cents(1).raw();
    Ok(Json(GetBalanceResponse {
        balance: cents(available),
        balance_dollars: available,
        portfolio_value: cents(available + account.reserved + positions),
        updated_ts: account.updated_ms.div_euclid(1000),
        balance_breakdown: None,
    }))
}

/// `GET /portfolio/positions` (GetPositions): `ticker`, `event_ticker`, `subaccount`
/// (default the primary), `settlement_status` (`unsettled`, the default: markets not yet
/// settled; `settled`; `all`; Kalshi API 3.34), `limit`, `cursor` (the last ticker returned,
/// within the same `settlement_status`); every market the account has traded.
pub async fn get_positions(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetPositionsQuery>,
) -> Result<Json<GetPositionsResponse>> {
    use schema::GetPositionsQuerySettlementStatus as Settlement;
    let limit = page_limit(q.limit, 100, 1000)?;
    let (cursor, ticker) = (q.cursor, q.ticker);
    let events = comma_list(q.event_ticker.as_ref().map(EventTicker::as_str));
    let settled_wanted: Option<bool> = match q.settlement_status {
        None | Some(Settlement::Unsettled) => Some(false),
        Some(Settlement::Settled) => Some(true),
        Some(Settlement::All) => None,
        Some(Settlement::Unknown) => {
            return Err(SimError::BadRequest(
                "settlement_status must be unsettled, settled or all".to_owned(),
            ))
        }
    };
    let core = sim.lock();
    let engine = &core.engine;
    let account = engine
        .account(target(engine, caller.0, q.subaccount)?)
        .ok_or(SimError::Unauthorized("unknown account"))?;
    let mut market_positions = Vec::new();
    let mut by_event: BTreeMap<EventTicker, EventPosition> = BTreeMap::new();
    let mut more = false;
    for (t, pos) in &account.positions {
        if cursor.as_deref().is_some_and(|c| t.as_str() <= c)
            || ticker.as_ref().is_some_and(|x| x != t)
        {
            continue;
        }
        let market = engine.market(t);
        let settled = market.is_some_and(|m| m.info.status == schema::MarketStatus::Finalized);
        if settled_wanted.is_some_and(|want| want != settled) {
            continue;
        }
        let event = market
            .map(|m| m.info.event_ticker.clone())
            .unwrap_or_default();
        if events
            .as_ref()
            .is_some_and(|e| !e.iter().any(|e| e == event.as_str()))
        {
            continue;
        }
        if market_positions.len() == limit {
            more = true;
            break;
        }
        market_positions.push(MarketPosition {
            ticker: t.clone(),
            exchange_index: EXCHANGE_INDEX,
            total_traded_dollars: pos.traded,
            position_fp: pos.net,
            market_exposure_dollars: pos.cost,
            realized_pnl_dollars: pos.realized_pnl,
            fees_paid_dollars: pos.fees,
            last_updated_ts: rfc3339_ms(pos.updated_ms),
        });
        let e = by_event
            .entry(event.clone())
            .or_insert_with(|| EventPosition {
                event_ticker: event,
                total_cost_dollars: Dollars::ZERO,
                total_cost_shares_fp: Count::ZERO,
                event_exposure_dollars: Dollars::ZERO,
                realized_pnl_dollars: Dollars::ZERO,
                fees_paid_dollars: Dollars::ZERO,
            });
        e.event_exposure_dollars += pos.cost;
        e.realized_pnl_dollars += pos.realized_pnl;
        e.fees_paid_dollars += pos.fees;
        e.total_cost_dollars += pos.traded;
        e.total_cost_shares_fp += pos.volume;
    }
    let cursor = if more {
        market_positions
            .last()
            .map(|m| m.ticker.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetPositionsResponse {
        cursor: Some(cursor),
        market_positions,
        event_positions: by_event.into_values().collect(),
    }))
}

/// The paging and filters `GetFills` and `GetSettlements` share: `limit` (default 100, at
/// most 1000), `cursor` (the engine sequence of the last row returned), `ticker`, `min_ts`
/// and `max_ts` (Unix seconds, inclusive).
struct HistoryQuery {
    limit: usize,
    cursor: Option<u64>,
    /// `ticker`: one market, or up to 100 comma-separated (Kalshi API 3.34).
    tickers: Option<Vec<String>>,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
}

impl HistoryQuery {
    /// Checks the parameters: `ticker` is the raw (comma-separated) list.
    fn new(
        limit: Option<i64>,
        cursor: Option<&str>,
        ticker: Option<&MarketTicker>,
        min_ts: Option<i64>,
        max_ts: Option<i64>,
    ) -> Result<HistoryQuery> {
        Ok(HistoryQuery {
            limit: page_limit(limit, 100, 1000)?,
            cursor: number_cursor(cursor)?,
            tickers: match comma_list(ticker.map(MarketTicker::as_str)) {
                Some(t) if t.len() > 100 => {
                    return Err(SimError::BadRequest(format!(
                        "ticker names {} markets; at most 100",
                        t.len()
                    )))
                }
                other => other,
            },
            min_ts,
            max_ts,
        })
    }

    /// Whether a row (engine sequence `seq`, market `ticker`, time `ts_ms`) is on this page
    /// or a later one.
    fn admits(&self, seq: u64, ticker: &MarketTicker, ts_ms: i64) -> bool {
        self.cursor.is_none_or(|c| seq < c)
            && self
                .tickers
                .as_ref()
                .is_none_or(|t| t.iter().any(|t| t == ticker.as_str()))
            && self.min_ts.is_none_or(|s| ts_ms >= s * 1000)
            && self.max_ts.is_none_or(|s| ts_ms <= s * 1000 + 999)
    }

    /// Newest first, at most `limit` of `rows` (sorted by `seq`), and the cursor of the
    /// next page (empty on the last).
    fn page<T>(&self, mut rows: Vec<T>, seq: impl Fn(&T) -> u64) -> (Vec<T>, String) {
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(seq(r)));
        let more = rows.len() > self.limit;
        rows.truncate(self.limit);
        let cursor = match (more, rows.last()) {
            (true, Some(last)) => seq(last).to_string(),
            _ => String::new(),
        };
        (rows, cursor)
    }
}

/// `GET /portfolio/fills` (GetFills): `ticker`, `order_id`, `min_ts`, `max_ts` (Unix s),
/// `subaccount` (omitted = all of the caller's), `limit`, `cursor`; newest first.
pub async fn get_fills(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetFillsQuery>,
) -> Result<Json<GetFillsResponse>> {
    let query = HistoryQuery::new(
        q.limit,
        q.cursor.as_deref(),
        q.ticker.as_ref(),
        q.min_ts,
        q.max_ts,
    )?;
    let order_id = q.order_id;
    let core = sim.lock();
    let engine = &core.engine;
    let all: Vec<&super::engine::FillRec> = scope(engine, caller.0, q.subaccount)?
        .into_iter()
        .filter_map(|a| engine.account(a))
        .flat_map(|a| a.fills.iter())
        .filter(|f| {
            let m = &f.msg;
            query.admits(f.seq, &m.market_ticker, m.ts_ms.unwrap_or(0))
                && order_id.as_ref().is_none_or(|o| *o == m.order_id)
        })
        .collect();
    let (page, cursor) = query.page(all, |f| f.seq);
    let fills = page
        .into_iter()
        .map(|f| {
            let m = &f.msg;
            let ts = m.ts_ms.unwrap_or(0);
            Fill {
                fill_id: f.fill_id.clone(),
                exchange_index: EXCHANGE_INDEX,
                trade_id: m.trade_id.clone(),
                order_id: m.order_id.clone(),
                ticker: m.market_ticker.clone(),
                market_ticker: m.market_ticker.clone(),
                side: m.outcome_side,
                action: Some(Action::Buy),
                outcome_side: m.outcome_side,
                book_side: m.book_side,
                count_fp: m.count_fp,
                yes_price_dollars: m.yes_price_dollars,
                no_price_dollars: m.yes_price_dollars.complement(),
                is_taker: m.is_taker,
                created_time: Some(rfc3339_ms(ts)),
                fee_cost: m.fee_cost.unwrap_or(Dollars::ZERO),
                subaccount_number: m.subaccount.map(i64::from),
                ts: Some(ts.div_euclid(1000)),
            }
        })
        .collect();
    Ok(Json(GetFillsResponse { fills, cursor }))
}

/// `GET /portfolio/settlements` (GetSettlements): `ticker`, `event_ticker`, `min_ts`,
/// `max_ts` (Unix s), `subaccount` (omitted = all of the caller's), `limit` (default 100,
/// at most 1000), `cursor`; newest first.
pub async fn get_settlements(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetSettlementsQuery>,
) -> Result<Json<GetSettlementsResponse>> {
    let query = HistoryQuery::new(
        q.limit,
        q.cursor.as_deref(),
        q.ticker.as_ref(),
        q.min_ts,
        q.max_ts,
    )?;
    let event = q.event_ticker;
    let core = sim.lock();
    let engine = &core.engine;
    let all: Vec<&super::engine::SettlementRec> = scope(engine, caller.0, q.subaccount)?
        .into_iter()
        .filter_map(|a| engine.account(a))
        .flat_map(|a| a.settlements.iter())
        .filter(|s| {
            query.admits(s.seq, &s.settlement.ticker, s.settled_ms)
                && event
                    .as_ref()
                    .is_none_or(|e| *e == s.settlement.event_ticker)
        })
        .collect();
    let (page, cursor) = query.page(all, |s| s.seq);
    Ok(Json(GetSettlementsResponse {
        settlements: page.into_iter().map(|s| s.settlement.clone()).collect(),
        cursor: Some(cursor),
    }))
}
