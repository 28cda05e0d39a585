//! `/api/portfolio` (GetBalance + GetPositions), `/api/fills` (GetFills) and
//! `/api/settlements` (GetSettlements), each for one subaccount with `?subaccount=N`;
//! fills and settlements page with Kalshi's cursors (`?cursor=`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::api::ops::{
    GetBalance, GetBalanceQuery, GetFills, GetFillsQuery, GetPositions, GetPositionsQuery,
    GetSettlements, GetSettlementsQuery,
};
use shared::api::schema::GetPositionsQuerySettlementStatus;
use shared::api::NoPath;
use shared::num::Dollars;
use shared::protocol::{FillView, FillsPage, PortfolioView, PositionView, SettlementsPage};

use super::error::Params;
use super::orders::SubaccountParam;
use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;

/// Positions pages read for one portfolio view (200 markets a page).
const MAX_POSITION_PAGES: usize = 10;

/// Rows of one fills or settlements page unless `?limit=` says otherwise (1–200).
const PAGE_LIMIT: u32 = 100;
/// Most rows one page may ask for.
const MAX_PAGE_LIMIT: u32 = 200;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolio", get(portfolio))
        .route("/fills", get(fills))
        .route("/settlements", get(settlements))
}

/// `?subaccount=N&cursor=C&limit=L`: one subaccount (omitted: per route), the Kalshi
/// cursor of the page to read (omitted: the newest page) and its size (default 100).
#[derive(Debug, serde::Deserialize)]
struct PageParams {
    subaccount: Option<u32>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// A checked [`PageParams`].
struct PageQuery {
    subaccount: Option<i64>,
    cursor: Option<String>,
    limit: i64,
}

impl PageParams {
    /// Reads and checks the query: 400 `bad_query`, `invalid_subaccount`, `bad_limit`
    /// (not 1–200) or `bad_cursor` (a cursor is what an earlier page returned: at most 256
    /// URL-safe characters).
    fn read(q: Params<PageParams>) -> Result<PageQuery> {
        let Params(p) = q;
        let subaccount = SubaccountParam::check(p.subaccount)?;
        let cursor = p.cursor.filter(|c| !c.is_empty());
        if let Some(c) = &cursor {
            let safe = |ch: char| ch.is_ascii_alphanumeric() || "-_=.~+/".contains(ch);
            if c.len() > 256 || !c.chars().all(safe) {
                return Err(Error::bad_request(
                    "bad_cursor",
                    "not a cursor of this list",
                ));
            }
        }
        let limit = p.limit.unwrap_or(PAGE_LIMIT);
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::bad_request(
                "bad_limit",
                format!("limit must be 1 to {MAX_PAGE_LIMIT}"),
            ));
        }
        Ok(PageQuery {
            subaccount,
            cursor,
            limit: i64::from(limit),
        })
    }
}

/// `GET /api/portfolio[?subaccount=N]` → balance, portfolio value and non-zero positions
/// of that subaccount (default the primary), and realized P&L and fees over every market it
/// traded, settled ones included (`GetPositions` with `settlement_status=all`).
async fn portfolio(
    State(kalshi): State<KalshiClient>,
    q: Params<SubaccountParam>,
) -> Result<Json<PortfolioView>> {
    let subaccount = SubaccountParam::read(q)?;
    // `read` checked it is at most `MAX_SUBACCOUNT`.
    let row_subaccount = subaccount.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
    let balance_query = GetBalanceQuery {
        subaccount,
        ..Default::default()
    };
    // Settled markets too: their realized P&L and fees belong in the totals.
    let positions_query = GetPositionsQuery {
        limit: Some(200),
        subaccount,
        settlement_status: Some(GetPositionsQuerySettlementStatus::All),
        ..Default::default()
    };
    let (balance, pages) = tokio::try_join!(
        kalshi.send::<GetBalance>(&NoPath, &balance_query, None),
        kalshi.send_all_pages::<GetPositions>(&NoPath, positions_query, MAX_POSITION_PAGES),
    )?;
    let all = pages.iter().flat_map(|page| page.market_positions.iter());
    let (mut realized_pnl, mut fees_paid) = (Dollars::ZERO, Dollars::ZERO);
    let mut positions = Vec::new();
    for p in all {
        realized_pnl += p.realized_pnl_dollars.unwrap_or_default();
        fees_paid += p.fees_paid_dollars.unwrap_or_default();
        if !p.net().is_zero() {
            positions.push(PositionView::from_rest(p, row_subaccount));
        }
    }
    Ok(Json(PortfolioView {
        balance: balance.balance(),
        portfolio_value: Dollars::from_cents(balance.portfolio_value),
        positions,
        realized_pnl,
        fees_paid,
    }))
}

/// `GET /api/fills[?subaccount=N][&cursor=C][&limit=L]` → one page of fills, newest first (of every
/// subaccount when omitted), and the cursor of the next page.
async fn fills(
    State(kalshi): State<KalshiClient>,
    State(store): State<crate::team::store::Store>,
    q: Params<PageParams>,
) -> Result<Json<FillsPage>> {
    let wanted = PageParams::read(q)?;
    let page = kalshi
        .send::<GetFills>(
            &NoPath,
            &GetFillsQuery {
                limit: Some(wanted.limit),
                subaccount: wanted.subaccount,
                cursor: wanted.cursor,
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok(Json(FillsPage {
        fills: fill_views(&store, &page.fills).await?,
        cursor: Some(page.cursor).filter(|c| !c.is_empty()),
    }))
}

/// Kalshi's fills as the desk's rows, each with the desk user whose order it was.
pub(super) async fn fill_views(
    store: &crate::team::store::Store,
    fills: &[shared::rest::Fill],
) -> Result<Vec<FillView>> {
    let ids: Vec<String> = fills.iter().map(|f| f.order_id.to_string()).collect();
    let owners = store.order_owners(&[], &ids).await?;
    Ok(fills
        .iter()
        .map(|fill| {
            let owner = owners
                .iter()
                .find(|(_, id, _)| id.as_deref() == Some(fill.order_id.as_str()))
                .map(|(_, _, u)| u.clone());
            FillView::new(fill, owner)
        })
        .collect())
}

/// `GET /api/settlements[?subaccount=N][&cursor=C][&limit=L]` → one page of settlements, newest
/// first (of every subaccount when omitted), and the cursor of the next page.
async fn settlements(
    State(kalshi): State<KalshiClient>,
    q: Params<PageParams>,
) -> Result<Json<SettlementsPage>> {
    let wanted = PageParams::read(q)?;
    let page = kalshi
        .send::<GetSettlements>(
            &NoPath,
            &GetSettlementsQuery {
                limit: Some(wanted.limit),
                subaccount: wanted.subaccount,
                cursor: wanted.cursor,
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok(Json(SettlementsPage {
        settlements: page.settlements,
        cursor: page.cursor.filter(|c| !c.is_empty()),
    }))
}
