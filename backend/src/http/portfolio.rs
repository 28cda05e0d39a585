//! `/api/portfolio` (GetBalance + GetPositions) and `/api/fills` (GetFills), each for one
//! subaccount with `?subaccount=N`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use shared::api::ops::{
    GetBalance, GetBalanceQuery, GetFills, GetFillsQuery, GetPositions, GetPositionsQuery,
};
use shared::api::NoPath;
use shared::num::Dollars;
use shared::protocol::{FillView, PortfolioView, PositionView};

use super::orders::SubaccountParam;
use super::{AppState, Result};
use crate::client::KalshiClient;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolio", get(portfolio))
        .route("/fills", get(fills))
}

/// `GET /api/portfolio[?subaccount=N]` → balance, portfolio value and non-zero positions
/// of that subaccount (default the primary).
async fn portfolio(
    State(kalshi): State<KalshiClient>,
    q: std::result::Result<Query<SubaccountParam>, QueryRejection>,
) -> Result<Json<PortfolioView>> {
    let subaccount = SubaccountParam::read(q)?;
    let balance_query = GetBalanceQuery {
        subaccount,
        ..Default::default()
    };
    let positions_query = GetPositionsQuery {
        limit: Some(200),
        subaccount,
        ..Default::default()
    };
    let (balance, positions) = tokio::try_join!(
        kalshi.send::<GetBalance>(&NoPath, &balance_query, None),
        kalshi.send::<GetPositions>(&NoPath, &positions_query, None),
    )?;
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

/// `GET /api/fills[?subaccount=N]` → the newest page of fills (of every subaccount when
/// omitted).
async fn fills(
    State(kalshi): State<KalshiClient>,
    State(store): State<crate::store::Store>,
    q: std::result::Result<Query<SubaccountParam>, QueryRejection>,
) -> Result<Json<Vec<FillView>>> {
    let subaccount = SubaccountParam::read(q)?;
    let page = kalshi
        .send::<GetFills>(
            &NoPath,
            &GetFillsQuery {
                limit: Some(200),
                subaccount,
                ..Default::default()
            },
            None,
        )
        .await?;
    let ids: Vec<String> = page.fills.iter().map(|f| f.order_id.as_str().to_owned()).collect();
    let owners = store.order_owners(&[], &ids).await?;
    Ok(Json(
        page.fills
            .into_iter()
            .map(|fill| {
                let owner = owners
                    .iter()
                    .find(|(_, id, _)| id.as_deref() == Some(fill.order_id.as_str()))
                    .map(|(_, _, u)| u.clone());
                FillView { fill, owner }
            })
            .collect(),
    ))
}
