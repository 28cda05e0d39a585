//! CSV exports (any session, `?subaccount=N`): `/api/fills.csv` (GetFills),
//! `/api/settlements.csv` (GetSettlements) and `/api/orders.csv` (GetOrders, every status),
//! each every row Kalshi has, read page by page (200 a page, at most [`MAX_PAGES`]), newest
//! first, with Kalshi's exact decimal strings (dollars `0.3000`, contracts `2.00`).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use shared::api::ops::{
    GetFills, GetFillsQuery, GetOrders, GetOrdersQuery, GetSettlements, GetSettlementsQuery,
};
use shared::api::{NoPath, Paginated};
use shared::num::Dollars;

use super::error::Params;
use super::orders::SubaccountParam;
use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::team::store::Store;

/// Most Kalshi pages one export reads (200 rows each: 20,000 rows).
pub const MAX_PAGES: usize = 100;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/fills.csv", get(fills))
        .route("/settlements.csv", get(settlements))
        .route("/orders.csv", get(orders))
        .route("/pnl/history.csv", get(pnl_history))
}

/// Every page of `O` from the newest; 400 `too_many_rows` past [`MAX_PAGES`].
async fn all_pages<O: Paginated<Path = NoPath>>(
    kalshi: &KalshiClient,
    query: O::Query,
) -> Result<Vec<O::Response>> {
    let pages = kalshi
        .send_all_pages::<O>(&NoPath, query, MAX_PAGES)
        .await?;
    if pages.len() == MAX_PAGES && pages.last().and_then(O::next_cursor).is_some() {
        return Err(Error::bad_request(
            "too_many_rows",
            format!(
                "more than {} rows; export a subaccount at a time",
                MAX_PAGES * 200
            ),
        ));
    }
    Ok(pages)
}

/// A text field a spreadsheet could run as a formula (`= + - @` first) gets a leading `'`.
pub(super) fn formula_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// `rows` as CSV with a header row from their field names, served as `name`.
fn csv_file<T: Serialize>(name: &str, rows: &[T]) -> Result<impl IntoResponse + use<T>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.serialize(row)
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("writing {name}: {e}")))?;
    }
    let body = out
        .into_inner()
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("writing {name}: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    ))
}

/// One row of `fills.csv`.
#[derive(Serialize)]
struct FillRow {
    trade_id: String,
    order_id: String,
    market_ticker: String,
    side: &'static str,
    yes_price: String,
    count: String,
    is_taker: bool,
    fee: String,
    created_time: String,
    ts_ms: Option<i64>,
    owner: String,
}

/// `GET /api/fills.csv?subaccount=N` → every fill: `trade_id,order_id,market_ticker,side,
/// yes_price,count,is_taker,fee,created_time,ts_ms,owner` (the desk user whose order it was).
async fn fills(
    State(kalshi): State<KalshiClient>,
    State(store): State<Store>,
    q: Params<SubaccountParam>,
) -> Result<impl IntoResponse> {
    let subaccount = SubaccountParam::read(q)?;
    let pages = all_pages::<GetFills>(
        &kalshi,
        GetFillsQuery {
            limit: Some(200),
            subaccount,
            ..Default::default()
        },
    )
    .await?;
    let fills: Vec<_> = pages.into_iter().flat_map(|p| p.fills).collect();
    let rows: Vec<FillRow> = super::portfolio::fill_views(&store, &fills)
        .await?
        .into_iter()
        .map(|v| FillRow {
            trade_id: v.trade_id.to_string(),
            order_id: v.order_id.to_string(),
            market_ticker: v.market_ticker.map(|t| t.to_string()).unwrap_or_default(),
            side: v.side.map_or("", |s| s.as_str()),
            yes_price: v.yes_price.map(|p| p.to_string()).unwrap_or_default(),
            count: v.count.to_string(),
            is_taker: v.is_taker,
            fee: v.fee.map(|f| f.to_string()).unwrap_or_default(),
            created_time: v.created_time.unwrap_or_default(),
            ts_ms: v.ts_ms,
            owner: formula_safe(v.owner.as_deref().unwrap_or("")),
        })
        .collect();
    csv_file("fills.csv", &rows)
}

/// One row of `settlements.csv`.
#[derive(Serialize)]
struct SettlementRow {
    market_ticker: String,
    event_ticker: String,
    market_result: String,
    yes_count: String,
    yes_total_cost: String,
    no_count: String,
    no_total_cost: String,
    revenue: String,
    fee_cost: String,
    settled_time: String,
}

/// `GET /api/settlements.csv?subaccount=N` → every settlement: `market_ticker,event_ticker,
/// market_result,yes_count,yes_total_cost,no_count,no_total_cost,revenue,fee_cost,
/// settled_time` (`revenue` in dollars; Kalshi sends it in cents).
async fn settlements(
    State(kalshi): State<KalshiClient>,
    q: Params<SubaccountParam>,
) -> Result<impl IntoResponse> {
    let subaccount = SubaccountParam::read(q)?;
    let pages = all_pages::<GetSettlements>(
        &kalshi,
        GetSettlementsQuery {
            limit: Some(200),
            subaccount,
            ..Default::default()
        },
    )
    .await?;
    let rows: Vec<SettlementRow> = pages
        .into_iter()
        .flat_map(|p| p.settlements)
        .map(|s| SettlementRow {
            market_ticker: s.ticker.to_string(),
            event_ticker: s.event_ticker.to_string(),
            market_result: serde_json::to_value(s.market_result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            yes_count: s.yes_count_fp.to_string(),
            yes_total_cost: s.yes_total_cost_dollars.to_string(),
            no_count: s.no_count_fp.to_string(),
            no_total_cost: s.no_total_cost_dollars.to_string(),
            revenue: Dollars::from_cents(s.revenue).to_string(),
            fee_cost: s.fee_cost.to_string(),
            settled_time: s.settled_time,
        })
        .collect();
    csv_file("settlements.csv", &rows)
}

/// One row of `orders.csv`.
#[derive(Serialize)]
struct OrderRow {
    order_id: String,
    client_order_id: String,
    market_ticker: String,
    side: &'static str,
    price: String,
    yes_price: String,
    remaining: String,
    filled: String,
    status: String,
    subaccount: u32,
    owner: String,
}

/// `GET /api/orders.csv?subaccount=N` → every order, whatever its status: `order_id,
/// client_order_id,market_ticker,side,price,yes_price,remaining,filled,status,subaccount,
/// owner` (`price` on the order's side, as the desk shows it).
async fn orders(
    State(kalshi): State<KalshiClient>,
    State(store): State<Store>,
    q: Params<SubaccountParam>,
) -> Result<impl IntoResponse> {
    let subaccount = SubaccountParam::read(q)?;
    let pages = all_pages::<GetOrders>(
        &kalshi,
        GetOrdersQuery {
            limit: Some(200),
            subaccount,
            ..Default::default()
        },
    )
    .await?;
    let mut orders: Vec<_> = pages
        .iter()
        .flat_map(|p| p.orders.iter())
        .map(super::orders::view)
        .collect();
    super::orders::fill_owners(&store, &mut orders).await?;
    let rows: Vec<OrderRow> = orders
        .into_iter()
        .map(|o| OrderRow {
            order_id: o.order_id.to_string(),
            client_order_id: formula_safe(o.client_order_id.as_deref().unwrap_or("")),
            market_ticker: o.market_ticker.to_string(),
            side: o.side.as_str(),
            price: o.price.to_string(),
            yes_price: o.yes_price.to_string(),
            remaining: o.remaining.to_string(),
            filled: o.filled.to_string(),
            status: serde_json::to_value(o.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            subaccount: o.subaccount,
            owner: formula_safe(o.owner.as_deref().unwrap_or("")),
        })
        .collect();
    csv_file("orders.csv", &rows)
}

/// `?by=day|market|series` beside the P&L history's scope.
#[derive(Debug, Deserialize)]
struct PnlCsvParam {
    #[serde(default)]
    by: shared::pnl::PnlBy,
    #[serde(default)]
    desk: bool,
    user: Option<String>,
}

/// One row of `pnl.csv`.
#[derive(Serialize)]
struct PnlRowCsv {
    key: String,
    realized: String,
    unrealized: String,
    fees: String,
    total: String,
}

/// `GET /api/pnl/history.csv?by=day|market|series[&desk=true|&user=NAME]` → the P&L table
/// (`day`/`market`/`series`, `realized,unrealized,fees,total` in dollars) and a `total` row,
/// exactly as `GET /api/pnl/history` has it.
async fn pnl_history(
    State(app): State<super::AppState>,
    user: super::auth::CurrentUser,
    Params(q): Params<PnlCsvParam>,
) -> Result<impl IntoResponse> {
    let scope = super::pnl::ScopeParam {
        desk: q.desk,
        user: q.user,
    }
    .scope(&user)?;
    let history = super::pnl::read(&app, &scope).await?;
    let rows: Vec<PnlRowCsv> = history
        .rows(q.by)
        .iter()
        .chain(std::iter::once(&history.total))
        .map(|r| PnlRowCsv {
            key: formula_safe(&r.key),
            realized: r.realized.to_string(),
            unrealized: r.unrealized.to_string(),
            fees: r.fees.to_string(),
            total: r.total.to_string(),
        })
        .collect();
    let name = format!("pnl-by-{}.csv", q.by.as_str());
    csv_file(&name, &rows)
}
