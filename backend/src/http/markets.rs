//! `/api/status`, `/api/markets`, `/api/markets/{ticker}`.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::ids::MarketTicker;
use shared::protocol::{DeskStatus, MarketsPage};
use shared::rest::Market;

use super::{AppState, Error, Result};
use crate::client::KalshiClient;
use crate::hub::Hub;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .route("/markets", get(markets))
        .route("/markets/{ticker}", get(market))
}

/// `GET /api/status` → [`DeskStatus`].
async fn status(State(hub): State<Hub>, State(kalshi): State<KalshiClient>) -> Json<DeskStatus> {
    let trading_active = kalshi
        .exchange_status()
        .await
        .map(|s| s.trading_active && s.exchange_active)
        .unwrap_or(false);
    Json(DeskStatus {
        environment: hub.environment(),
        upstream: hub.upstream_state(),
        trading_active,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

#[derive(Debug, Deserialize)]
struct MarketsQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /api/markets?limit=&cursor=` → one page of open markets (GetMarkets, `status=open`).
async fn markets(
    State(kalshi): State<KalshiClient>,
    Query(q): Query<MarketsQuery>,
) -> Result<Json<MarketsPage>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let page = kalshi
        .markets(limit, q.cursor.as_deref(), Some("open"))
        .await?;
    let cursor = Some(page.cursor).filter(|c| !c.is_empty());
    Ok(Json(MarketsPage {
        markets: page.markets,
        cursor,
    }))
}

/// Checks a ticker from the browser before it goes anywhere.
pub(super) fn checked_ticker(raw: String) -> Result<MarketTicker> {
    let t = MarketTicker(raw);
    if t.is_well_formed() {
        Ok(t)
    } else {
        Err(Error::bad_request("bad_ticker", "not a market ticker"))
    }
}

/// `GET /api/markets/{ticker}` → [`Market`] (GetMarket).
async fn market(
    State(kalshi): State<KalshiClient>,
    Path(ticker): Path<String>,
) -> Result<Json<Market>> {
    let ticker = checked_ticker(ticker)?;
    Ok(Json(kalshi.market(&ticker).await?.market))
}
