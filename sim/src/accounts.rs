//! REST handlers for order groups and subaccounts under `/trade-api/v2/portfolio`
//! (OpenAPI 3.31 shapes; the rules live in the engine's `groups` and `subaccounts`).
//!
//! - Order groups: `GetOrderGroups`, `CreateOrderGroup`, `GetOrderGroup`,
//!   `DeleteOrderGroup`, `ResetOrderGroup`, `TriggerOrderGroup`, `UpdateOrderGroupLimit`.
//! - Subaccounts: `CreateSubaccount`, `GetSubaccountBalances`, `ApplySubaccountTransfer`,
//!   `GetSubaccountTransfers`.
//!
//! `subaccount` queries follow the spec: on `GetOrderGroups`/`GetOrderGroup` an omitted
//! one means every subaccount of the caller, on the group writes it means the primary (0).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use shared::api::schema::{
    ApplySubaccountTransferRequest, ApplySubaccountTransferResponse, CreateOrderGroupRequest,
    CreateOrderGroupResponse, CreateSubaccountResponse, EmptyResponse, GetDepositsResponse,
    GetOrderGroupResponse, GetOrderGroupsResponse, GetSubaccountBalancesResponse,
    GetSubaccountNettingResponse, GetSubaccountTransfersResponse, GetWithdrawalsResponse,
    OrderGroup, SubaccountBalance, SubaccountNettingConfig, UpdateOrderGroupLimitRequest,
    UpdateSubaccountNettingRequest,
};
use shared::api::{ops, Operation};
use shared::num::Count;

use super::auth::Caller;
use super::error::{Result, SimError};
use super::Sim;

use super::rest::{number_cursor, page_limit, KalshiQuery};

fn body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes, what: &str) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| SimError::BadRequest(format!("invalid {what} body: {e}")))
}

/// `contracts_limit` / `contracts_limit_fp`: one of them, equal when both are given.
fn limit_of(whole: Option<i64>, fp: Option<Count>) -> Result<Count> {
    let whole = whole
        .map(|n| {
            if (-1_000_000_000..=1_000_000_000).contains(&n) {
                Ok(Count::from_int(n))
            } else {
                Err(SimError::BadRequest(
                    "contracts_limit out of range".to_owned(),
                ))
            }
        })
        .transpose()?;
    match (whole, fp) {
        (Some(a), Some(b)) if a != b => Err(SimError::BadRequest(
            "contracts_limit and contracts_limit_fp must match".to_owned(),
        )),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(SimError::BadRequest(
            "contracts_limit or contracts_limit_fp is required".to_owned(),
        )),
    }
}

/// The routes of this module (the caller's state is [`Sim`]).
pub(super) fn routes() -> Router<Sim> {
    let p = |op_path: &str| format!("{}{op_path}", shared::rest::API_PREFIX);
    Router::new()
        .route(&p(ops::GetOrderGroups::PATH), get(list_groups))
        .route(&p(ops::CreateOrderGroup::PATH), post(create_group))
        .route(
            &p(ops::GetOrderGroup::PATH),
            get(get_group).delete(delete_group),
        )
        .route(&p(ops::ResetOrderGroup::PATH), put(reset_group))
        .route(&p(ops::TriggerOrderGroup::PATH), put(trigger_group))
        .route(&p(ops::UpdateOrderGroupLimit::PATH), put(update_limit))
        .route(&p(ops::CreateSubaccount::PATH), post(create_subaccount))
        .route(&p(ops::GetSubaccountBalances::PATH), get(balances))
        .route(&p(ops::ApplySubaccountTransfer::PATH), post(transfer))
        .route(&p(ops::GetSubaccountTransfers::PATH), get(transfers))
        .route(
            &p(ops::GetSubaccountNetting::PATH),
            get(netting).put(update_netting),
        )
        .route(&p(ops::GetDeposits::PATH), get(deposits))
        .route(&p(ops::GetWithdrawals::PATH), get(withdrawals))
}

/// `GET /portfolio/subaccounts/netting` (GetSubaccountNetting): the primary's and every
/// subaccount's setting.
async fn netting(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Json<GetSubaccountNettingResponse> {
    let core = sim.lock();
    let engine = &core.engine;
    let netting_configs = engine
        .family(caller.0)
        .into_iter()
        .filter_map(|id| engine.account(id))
        .map(|a| SubaccountNettingConfig {
            subaccount_number: i64::from(a.subaccount),
            enabled: a.netting,
            exchange_index: 0,
        })
        .collect();
    Json(GetSubaccountNettingResponse { netting_configs })
}

/// `PUT /portfolio/subaccounts/netting` (UpdateSubaccountNetting) → `200` (no body).
async fn update_netting(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<StatusCode> {
    let req: UpdateSubaccountNettingRequest = serde_json::from_slice(&bytes)
        .map_err(|e| SimError::BadRequest(format!("invalid netting body: {e}")))?;
    sim.with_engine(|engine, _| engine.set_netting(caller.0, req.subaccount_number, req.enabled))?;
    Ok(StatusCode::OK)
}

/// `GET /portfolio/deposits` (GetDeposits): money moves in by the exchange's configuration
/// only, so there are none.
async fn deposits(
    KalshiQuery(_): KalshiQuery<ops::GetDepositsQuery>,
) -> Result<Json<GetDepositsResponse>> {
    Ok(Json(GetDepositsResponse {
        deposits: Vec::new(),
        cursor: None,
    }))
}

/// `GET /portfolio/withdrawals` (GetWithdrawals): none.
async fn withdrawals(
    KalshiQuery(_): KalshiQuery<ops::GetWithdrawalsQuery>,
) -> Result<Json<GetWithdrawalsResponse>> {
    Ok(Json(GetWithdrawalsResponse {
        withdrawals: Vec::new(),
        cursor: None,
    }))
}

/// `GET /portfolio/order_groups` (GetOrderGroups): `subaccount` (omitted = all).
async fn list_groups(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetOrderGroupsQuery>,
) -> Result<Json<GetOrderGroupsResponse>> {
    let core = sim.lock();
    let groups = core
        .engine
        .groups_of(caller.0, q.subaccount)?
        .into_iter()
        .map(|g| OrderGroup {
            id: g.id.clone(),
            contracts_limit_fp: Some(g.limit),
            is_auto_cancel_enabled: !g.triggered,
            exchange_index: Some(0),
        })
        .collect();
    Ok(Json(GetOrderGroupsResponse {
        order_groups: Some(groups),
    }))
}

/// `POST /portfolio/order_groups/create` (CreateOrderGroup) → 201.
async fn create_group(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<CreateOrderGroupResponse>)> {
    let req: CreateOrderGroupRequest = body(&bytes, "CreateOrderGroup")?;
    let limit = limit_of(req.contracts_limit, req.contracts_limit_fp)?;
    let (order_group_id, subaccount) =
        sim.with_engine(|engine, now| engine.create_group(caller.0, req.subaccount, limit, now))?;
    Ok((
        StatusCode::CREATED,
        Json(CreateOrderGroupResponse {
            order_group_id,
            subaccount: i64::from(subaccount),
            exchange_index: Some(0),
        }),
    ))
}

/// `GET /portfolio/order_groups/{order_group_id}` (GetOrderGroup): its resting order ids.
async fn get_group(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::GetOrderGroupQuery>,
) -> Result<Json<GetOrderGroupResponse>> {
    let core = sim.lock();
    let g = core.engine.group(caller.0, &id, q.subaccount)?;
    Ok(Json(GetOrderGroupResponse {
        is_auto_cancel_enabled: !g.triggered,
        contracts_limit_fp: Some(g.limit),
        orders: core
            .engine
            .group_resting_orders(g)
            .into_iter()
            .map(|o| o.0)
            .collect(),
        exchange_index: Some(0),
    }))
}

/// `DELETE /portfolio/order_groups/{order_group_id}` (DeleteOrderGroup) → `{}`.
async fn delete_group(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::DeleteOrderGroupQuery>,
) -> Result<Json<EmptyResponse>> {
    let sub = q.subaccount;
    sim.with_engine(|engine, now| engine.delete_group(caller.0, &id, sub, now))?;
    Ok(Json(EmptyResponse {}))
}

/// `PUT /portfolio/order_groups/{order_group_id}/reset` (ResetOrderGroup) → `{}`.
async fn reset_group(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::ResetOrderGroupQuery>,
) -> Result<Json<EmptyResponse>> {
    let sub = q.subaccount;
    sim.with_engine(|engine, now| engine.reset_group(caller.0, &id, sub, now))?;
    Ok(Json(EmptyResponse {}))
}

/// `PUT /portfolio/order_groups/{order_group_id}/trigger` (TriggerOrderGroup) → `{}`.
async fn trigger_group(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::TriggerOrderGroupQuery>,
) -> Result<Json<EmptyResponse>> {
    let sub = q.subaccount;
    sim.with_engine(|engine, now| engine.trigger_group(caller.0, &id, sub, now))?;
    Ok(Json(EmptyResponse {}))
}

/// `PUT /portfolio/order_groups/{order_group_id}/limit` (UpdateOrderGroupLimit) → `{}`.
async fn update_limit(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::UpdateOrderGroupLimitQuery>,
    bytes: Bytes,
) -> Result<Json<EmptyResponse>> {
    let sub = q.subaccount;
    let req: UpdateOrderGroupLimitRequest = body(&bytes, "UpdateOrderGroupLimit")?;
    let limit = limit_of(req.contracts_limit, req.contracts_limit_fp)?;
    sim.with_engine(|engine, now| engine.set_group_limit(caller.0, &id, sub, limit, now))?;
    Ok(Json(EmptyResponse {}))
}

/// `POST /portfolio/subaccounts` (CreateSubaccount) → 201 `{"subaccount_number":N}`.
async fn create_subaccount(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Result<(StatusCode, Json<CreateSubaccountResponse>)> {
    let number = sim.with_engine(|engine, now| engine.create_subaccount(caller.0, now))?;
    Ok((
        StatusCode::CREATED,
        Json(CreateSubaccountResponse {
            subaccount_number: i64::from(number),
        }),
    ))
}

/// `GET /portfolio/subaccounts/balances` (GetSubaccountBalances): the available balance
/// of the primary and every subaccount.
async fn balances(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<GetSubaccountBalancesResponse>> {
    let core = sim.lock();
    let engine = &core.engine;
    let subaccount_balances = engine
        .family(caller.0)
        .into_iter()
        .filter_map(|id| engine.account(id))
        .map(|a| SubaccountBalance {
            subaccount_number: i64::from(a.subaccount),
            exchange_index: 0,
            balance: a.available(),
            updated_ts: a.updated_ms.div_euclid(1000),
        })
        .collect();
    Ok(Json(GetSubaccountBalancesResponse {
        subaccount_balances,
    }))
}

/// `POST /portfolio/subaccounts/transfer` (ApplySubaccountTransfer) → `{}`.
async fn transfer(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Json<ApplySubaccountTransferResponse>> {
    let req: ApplySubaccountTransferRequest = serde_json::from_slice(&bytes)
        .map_err(|e| SimError::BadRequest(format!("invalid ApplySubaccountTransfer body: {e}")))?;
    if uuid::Uuid::parse_str(&req.client_transfer_id).is_err() {
        return Err(SimError::BadRequest(
            "client_transfer_id must be a UUID".to_owned(),
        ));
    }
    sim.with_engine(|engine, now| {
        engine.transfer(
            caller.0,
            &req.client_transfer_id,
            req.from_subaccount,
            req.to_subaccount,
            req.amount_cents,
            now,
        )
    })?;
    Ok(Json(ApplySubaccountTransferResponse {}))
}

/// `GET /portfolio/subaccounts/transfers` (GetSubaccountTransfers): newest first; `limit`
/// (1–1000, default 100), `cursor` (the count of newer transfers already returned).
async fn transfers(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<ops::GetSubaccountTransfersQuery>,
) -> Result<Json<GetSubaccountTransfersResponse>> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let skip: usize = number_cursor(q.cursor.as_deref())?.unwrap_or(0);
    let core = sim.lock();
    let root = core.engine.root(caller.0);
    let all = core
        .engine
        .account(root)
        .map(|a| a.transfers.as_slice())
        .unwrap_or_default();
    let page: Vec<_> = all
        .iter()
        .rev()
        .skip(skip)
        .take(limit)
        .map(|t| t.transfer.clone())
        .collect();
    let next = skip + page.len();
    Ok(Json(GetSubaccountTransfersResponse {
        transfers: page,
        cursor: (next < all.len()).then(|| next.to_string()),
    }))
}
