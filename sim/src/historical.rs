//! Kalshi's historical tier (`GetHistoricalCutoff`, `GetHistoricalMarkets`,
//! `GetHistoricalMarket`, `GetMarketCandlesticksHistorical`, `GetTradesHistorical`,
//! `GetFillsHistorical`, `GetHistoricalOrders`, `GetHistoricalPositions`): what happened
//! before the cutoff. The exchange's cutoff is its start: markets that settled before it (the
//! synthetic October markets) are historical; every trade, fill, order and position it made
//! itself is newer, so those lists are empty.

use axum::extract::{Path, State};
use axum::Json;
use shared::api::ops;
use shared::api::schema::{
    GetFillsResponse, GetHistoricalCutoffResponse, GetMarketCandlesticksHistoricalResponse,
    GetMarketResponse, GetMarketsResponse, GetOrdersResponse, GetPositionsResponse,
    GetTradesResponse, Market, MarketStatus,
};
use shared::ids::MarketTicker;

use super::browse::{CandleParams, CandleRange};
use super::error::{Result, SimError};
use super::rest::{comma_list, page_limit, KalshiQuery};
use super::wire::rfc3339_ms;
use super::Sim;

/// Whether `m` settled before `cutoff_ms` (its `settlement_ts`, RFC 3339).
fn settled_before(m: &Market, cutoff_ms: i64) -> bool {
    m.status == MarketStatus::Finalized
        && m.settlement_ts.as_deref().is_some_and(|ts| {
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
                .is_ok_and(|t| t.unix_timestamp() * 1000 < cutoff_ms)
        })
}

/// The historical markets, by ticker.
fn historical(sim: &Sim) -> Vec<Market> {
    let cutoff = sim.started_ms();
    sim.lock()
        .engine
        .markets()
        .values()
        .map(|m| m.served())
        .filter(|m| settled_before(m, cutoff))
        .collect()
}

/// `GET /historical/cutoff` (GetHistoricalCutoff).
pub async fn cutoff(State(sim): State<Sim>) -> Json<GetHistoricalCutoffResponse> {
    let ts = rfc3339_ms(sim.started_ms());
    Json(GetHistoricalCutoffResponse {
        market_settled_ts: ts.clone(),
        trades_created_ts: ts.clone(),
        orders_updated_ts: ts.clone(),
        market_positions_last_updated_ts: Some(ts),
    })
}

/// `GET /historical/markets` (GetHistoricalMarkets): `limit` (1–1000), `cursor` (the last
/// ticker), `tickers`, `event_ticker`, `series_ticker`.
pub async fn markets(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetHistoricalMarketsQuery>,
) -> Result<Json<GetMarketsResponse>> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let tickers = comma_list(q.tickers.as_deref());
    let (event, series, cursor) = (q.event_ticker, q.series_ticker, q.cursor);
    let mut markets: Vec<Market> = historical(&sim)
        .into_iter()
        .filter(|m| {
            cursor.as_deref().is_none_or(|c| m.ticker.as_str() > c)
                && tickers
                    .as_ref()
                    .is_none_or(|t| t.iter().any(|t| t == m.ticker.as_str()))
                && event.as_ref().is_none_or(|e| *e == m.event_ticker)
                && series
                    .as_ref()
                    .is_none_or(|s| m.event_ticker.as_str().split('-').next() == Some(s.as_str()))
        })
        .collect();
    let more = markets.len() > limit;
    markets.truncate(limit);
    let cursor = match (more, markets.last()) {
        (true, Some(m)) => m.ticker.to_string(),
        _ => String::new(),
    };
    Ok(Json(GetMarketsResponse { markets, cursor }))
}

/// `GET /historical/markets/{ticker}` (GetHistoricalMarket).
pub async fn market(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
) -> Result<Json<GetMarketResponse>> {
    historical(&sim)
        .into_iter()
        .find(|m| m.ticker.as_str() == ticker)
        .map(|market| Json(GetMarketResponse { market }))
        .ok_or_else(|| SimError::NotFound(format!("no historical market {ticker}")))
}

/// `GET /historical/markets/{ticker}/candlesticks` (GetMarketCandlesticksHistorical): the
/// exchange kept no candles of markets that settled before it started, so none.
pub async fn candlesticks(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
    // `GetMarketCandlesticksHistoricalQuery` holds only the range, read as `CandleParams`.
    KalshiQuery(range): KalshiQuery<CandleParams>,
) -> Result<Json<GetMarketCandlesticksHistoricalResponse>> {
    let _ = CandleRange::read(range)?;
    if !historical(&sim).iter().any(|m| m.ticker.as_str() == ticker) {
        return Err(SimError::NotFound(format!("no historical market {ticker}")));
    }
    Ok(Json(GetMarketCandlesticksHistoricalResponse {
        ticker: MarketTicker::from(ticker.as_str()),
        candlesticks: Vec::new(),
    }))
}

/// `GET /historical/trades` (GetTradesHistorical): none before the cutoff.
pub async fn trades(
    KalshiQuery(q): KalshiQuery<ops::GetTradesHistoricalQuery>,
) -> Result<Json<GetTradesResponse>> {
    let _ = page_limit(q.limit, 100, 1000)?;
    Ok(Json(GetTradesResponse {
        trades: Vec::new(),
        cursor: String::new(),
    }))
}

/// `GET /historical/fills` (GetFillsHistorical): none before the cutoff.
pub async fn fills(
    KalshiQuery(q): KalshiQuery<ops::GetFillsHistoricalQuery>,
) -> Result<Json<GetFillsResponse>> {
    let _ = page_limit(q.limit, 100, 1000)?;
    Ok(Json(GetFillsResponse {
        fills: Vec::new(),
        cursor: String::new(),
    }))
}

/// `GET /historical/orders` (GetHistoricalOrders): none before the cutoff.
pub async fn orders(
    KalshiQuery(q): KalshiQuery<ops::GetHistoricalOrdersQuery>,
) -> Result<Json<GetOrdersResponse>> {
    let _ = page_limit(q.limit, 100, 1000)?;
    Ok(Json(GetOrdersResponse {
        orders: Vec::new(),
        cursor: String::new(),
    }))
}

/// `GET /historical/positions` (GetHistoricalPositions): none before the cutoff.
pub async fn positions(
    KalshiQuery(q): KalshiQuery<ops::GetHistoricalPositionsQuery>,
) -> Result<Json<GetPositionsResponse>> {
    let _ = page_limit(q.limit, 100, 1000)?;
    Ok(Json(GetPositionsResponse {
        cursor: Some(String::new()),
        market_positions: Vec::new(),
        event_positions: Vec::new(),
    }))
}
