//! The communications routes: RFQ and quote REST handlers under
//! `/trade-api/v2/communications`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use shared::api::ops;
use shared::api::schema::UserFilter;
use shared::api::schema::{
    AcceptQuoteRequest, CreateQuoteRequest, CreateQuoteResponse, CreateRFQRequest,
    CreateRFQResponse, GetCommunicationsIDResponse, GetQuoteResponse, GetQuotesResponse,
    GetRFQResponse, GetRFQsResponse, Quote, RFQ,
};
use shared::ids::Side;
use shared::rest::API_PREFIX;

use crate::auth::Caller;
use crate::engine::AccountId;
use crate::error::Result;
use crate::Sim;

use super::book::{bad, comms_id, not_found};
use super::with_rfq;

// ---------------------------------------------------------------------------------------
// REST handlers.

use crate::rest::{number_cursor, page_limit, KalshiQuery};

/// A page's `limit` (default 100, at most 1000) and its start (`cursor`: an offset).
fn paging(limit: Option<i64>, cursor: Option<&str>) -> Result<(usize, usize)> {
    Ok((
        page_limit(limit, 100, 1000)?,
        number_cursor(cursor)?.unwrap_or(0),
    ))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid {what} body: {e}")))
}

fn page<T>(items: Vec<T>, start: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = start + out.len();
    (out, (next < total).then(|| next.to_string()))
}

async fn get_comms_id(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
) -> Json<GetCommunicationsIDResponse> {
    let core = sim.lock();
    Json(GetCommunicationsIDResponse {
        communications_id: comms_id(&core.engine, me),
    })
}

async fn get_rfqs(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetRFQsQuery>,
) -> Result<Json<GetRFQsResponse>> {
    let (lim, start) = paging(q.limit, q.cursor.as_deref())?;
    let only_mine = q.user_filter == Some(UserFilter::SelfV);
    let (status, market) = (q.status, q.market_ticker);
    let core = sim.lock();
    let book = &core.rfq;
    let all: Vec<RFQ> = book
        .rfq_order
        .iter()
        .rev()
        .filter_map(|id| book.rfqs.get(id))
        .filter(|r| r.open || r.creator == me)
        .filter(|r| !only_mine || r.creator == me)
        .filter(|r| market.as_ref().is_none_or(|m| *m == r.ticker))
        .filter(|r| status.as_deref().is_none_or(|s| (s == "open") == r.open))
        .map(|r| book.rfq_wire(&core.engine, r, me))
        .collect();
    let (rfqs, cursor) = page(all, start, lim);
    Ok(Json(GetRFQsResponse { rfqs, cursor }))
}

async fn create_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateRFQRequest = body(&bytes, "CreateRFQ")?;
    let id = with_rfq(&sim, |book, engine, now| {
        book.create_rfq(engine, me, &req, now)
    })?;
    Ok((StatusCode::CREATED, Json(CreateRFQResponse { id })))
}

async fn get_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<GetRFQResponse>> {
    let core = sim.lock();
    let r = core
        .rfq
        .rfqs
        .get(&id)
        .filter(|r| r.open || r.creator == me)
        .ok_or_else(|| not_found("RFQ", &id))?;
    Ok(Json(GetRFQResponse {
        rfq: core.rfq.rfq_wire(&core.engine, r, me),
    }))
}

async fn delete_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.delete_rfq(engine, me, &id, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_quotes(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetQuotesQuery>,
) -> Result<Json<GetQuotesResponse>> {
    let (lim, start) = paging(q.limit, q.cursor.as_deref())?;
    let mine = q.user_filter == Some(UserFilter::SelfV);
    let on_mine = q.rfq_user_filter == Some(UserFilter::SelfV);
    let (status, rfq_id) = (q.status, q.rfq_id);
    let min_ms = q.min_ts.map(|t| t.saturating_mul(1000));
    let core = sim.lock();
    let book = &core.rfq;
    let all: Vec<Quote> = book
        .quote_order
        .iter()
        .rev()
        .filter_map(|id| book.quotes.get(id))
        .filter(|q| q.creator == me || q.rfq_creator == me)
        .filter(|q| !mine || q.creator == me)
        .filter(|q| !on_mine || q.rfq_creator == me)
        .filter(|q| rfq_id.as_deref().is_none_or(|r| r == q.rfq_id))
        .filter(|q| min_ms.is_none_or(|m| q.updated_ms >= m))
        .map(|q| book.quote_wire(&core.engine, q, me))
        .filter(|q| {
            status.as_deref().is_none_or(|s| {
                serde_json::to_value(q.status)
                    .ok()
                    .and_then(|v| v.as_str().map(|v| v == s))
                    == Some(true)
            })
        })
        .collect();
    let (quotes, cursor) = page(all, start, lim);
    Ok(Json(GetQuotesResponse { quotes, cursor }))
}

async fn create_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateQuoteRequest = body(&bytes, "CreateQuote")?;
    let id = with_rfq(&sim, |book, engine, now| {
        book.create_quote(engine, me, &req, now)
    })?;
    Ok((StatusCode::CREATED, Json(CreateQuoteResponse { id })))
}

fn quote_response(
    sim: &Sim,
    me: AccountId,
    id: &str,
    rfq_id: Option<&str>,
) -> Result<Json<GetQuoteResponse>> {
    let core = sim.lock();
    let q = core.rfq.visible_quote(me, id, rfq_id)?;
    Ok(Json(GetQuoteResponse {
        quote: core.rfq.quote_wire(&core.engine, q, me),
    }))
}

async fn get_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<GetQuoteResponse>> {
    quote_response(&sim, me, &id, None)
}

async fn get_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<Json<GetQuoteResponse>> {
    quote_response(&sim, me, &id, Some(&rfq_id))
}

async fn delete_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, _, now| book.delete_quote(me, &id, None, now))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, _, now| {
        book.delete_quote(me, &id, Some(&rfq_id), now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

fn accept_side(bytes: &Bytes) -> Result<Side> {
    let req: AcceptQuoteRequest = body(bytes, "AcceptQuote")?;
    req.accepted_side
        .ok_or_else(|| bad("accepted_side (yes or no) is required"))
}

async fn accept_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<StatusCode> {
    let side = accept_side(&bytes)?;
    with_rfq(&sim, |book, engine, now| {
        book.accept(engine, me, &id, None, side, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn accept_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<StatusCode> {
    let side = accept_side(&bytes)?;
    with_rfq(&sim, |book, engine, now| {
        book.accept(engine, me, &id, Some(&rfq_id), side, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.confirm(engine, me, &id, None, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.confirm(engine, me, &id, Some(&rfq_id), now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The communications routes (merged into the simulator's router, behind its auth layer).
pub(crate) fn routes() -> Router<Sim> {
    let p = |path: &str| format!("{API_PREFIX}/communications{path}");
    Router::new()
        .route(&p("/id"), get(get_comms_id))
        .route(&p("/rfqs"), get(get_rfqs).post(create_rfq))
        .route(&p("/rfqs/{rfq_id}"), get(get_rfq).delete(delete_rfq))
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}"),
            get(get_rfq_quote).delete(delete_rfq_quote),
        )
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}/accept"),
            put(accept_rfq_quote),
        )
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}/confirm"),
            put(confirm_rfq_quote),
        )
        .route(&p("/quotes"), get(get_quotes).post(create_quote))
        .route(
            &p("/quotes/{quote_id}"),
            get(get_quote).delete(delete_quote),
        )
        .route(&p("/quotes/{quote_id}/accept"), put(accept_quote))
        .route(&p("/quotes/{quote_id}/confirm"), put(confirm_quote))
}
