//! `/api/portfolio` (GetBalance + GetPositions) and `/api/fills` (GetFills).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::num::Dollars;
use shared::protocol::{PortfolioView, PositionView};
use shared::rest::Fill;

use super::{AppState, Result};
use crate::client::KalshiClient;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolio", get(portfolio))
        .route("/fills", get(fills))
}

/// `GET /api/portfolio` → balance, portfolio value and non-zero positions.
async fn portfolio(State(kalshi): State<KalshiClient>) -> Result<Json<PortfolioView>> {
    let (balance, positions) = tokio::try_join!(kalshi.balance(), kalshi.positions())?;
    let positions = positions
        .market_positions
        .iter()
        .filter(|p| !p.net().is_zero())
        .map(|p| PositionView {
            market_ticker: p.ticker.clone(),
            position: p.net(),
            exposure: p.market_exposure_dollars.unwrap_or_default(),
            realized_pnl: p.realized_pnl_dollars.unwrap_or_default(),
        })
        .collect();
    Ok(Json(PortfolioView {
        balance: balance.balance(),
        portfolio_value: Dollars::from_cents(balance.portfolio_value),
        positions,
    }))
}

/// `GET /api/fills` → the newest page of fills.
async fn fills(State(kalshi): State<KalshiClient>) -> Result<Json<Vec<Fill>>> {
    Ok(Json(kalshi.fills(None).await?.fills))
}
