//! `/api/order_groups` and `/api/subaccounts`: order groups (create with a contracts limit,
//! list, trigger, reset, change limit, delete) and subaccounts (create, balances of all,
//! transfer between them, transfers). Each route maps to the named Kalshi operation,
//! signed through [`KalshiClient::send`]; bodies and ids are checked before signing.
//!
//! Group routes take `?subaccount=N` (the group's subaccount; default the primary).

use super::error::{Body, Params};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use shared::api::ops::{
    ApplySubaccountTransfer, CreateOrderGroup, CreateSubaccount, DeleteOrderGroup,
    DeleteOrderGroupPath, DeleteOrderGroupQuery, GetOrderGroups, GetOrderGroupsQuery,
    GetSubaccountBalances, GetSubaccountTransfers, GetSubaccountTransfersQuery, ResetOrderGroup,
    ResetOrderGroupPath, ResetOrderGroupQuery, TriggerOrderGroup, TriggerOrderGroupPath,
    TriggerOrderGroupQuery, UpdateOrderGroupLimit, UpdateOrderGroupLimitPath,
    UpdateOrderGroupLimitQuery,
};
use shared::api::schema::{
    ApplySubaccountTransferRequest, CreateOrderGroupRequest, CreateSubaccountRequest,
    EmptyResponse, UpdateOrderGroupLimitRequest,
};
use shared::api::{NoPath, NoQuery};
use shared::groups::{
    is_valid_group_limit, CreatedSubaccount, GroupLimit, NewOrderGroup, OrderGroupView,
    SubaccountBalanceView, TransferTicket, TransferView,
};
use shared::num::{Count, Dollars};

use super::auth::Acting;
use super::orders::SubaccountParam;
use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/order_groups", get(list_groups).post(create_group))
        .route(
            "/order_groups/{order_group_id}",
            axum::routing::delete(delete_group),
        )
        .route(
            "/order_groups/{order_group_id}/trigger",
            post(trigger_group),
        )
        .route("/order_groups/{order_group_id}/reset", post(reset_group))
        .route("/order_groups/{order_group_id}/limit", put(update_limit))
        .route("/subaccounts", get(balances).post(create_subaccount))
        .route("/subaccounts/transfer", post(transfer))
        .route("/subaccounts/transfers", get(transfers))
}

type Q = Params<SubaccountParam>;

/// An order group id from the browser: 1–64 of `A-Z a-z 0-9 - _`.
fn checked_group_id(raw: String) -> Result<String> {
    if shared::protocol::is_plain_id(&raw) {
        Ok(raw)
    } else {
        Err(Error::bad_request(
            "bad_order_group_id",
            "not an order group id",
        ))
    }
}

fn checked_limit(limit: Count) -> Result<Count> {
    if is_valid_group_limit(limit) {
        Ok(limit)
    } else {
        Err(Error::bad_request(
            "invalid_limit",
            "the contracts limit must be a whole number of contracts, 1 to 1,000,000",
        ))
    }
}

/// `GET /api/order_groups[?subaccount=N]` → the groups of that subaccount (default the
/// primary) (GetOrderGroups).
async fn list_groups(Acting(kalshi): Acting, q: Q) -> Result<Json<Vec<OrderGroupView>>> {
    let subaccount = SubaccountParam::read(q)?.unwrap_or(0);
    let answer = kalshi
        .send::<GetOrderGroups>(
            &NoPath,
            &GetOrderGroupsQuery {
                subaccount: Some(subaccount),
            },
            None,
        )
        .await?;
    let number = u32::try_from(subaccount).unwrap_or(0);
    Ok(Json(
        answer
            .order_groups
            .unwrap_or_default()
            .into_iter()
            .map(|g| OrderGroupView {
                order_group_id: g.id,
                contracts_limit: g.contracts_limit_fp.unwrap_or_default(),
                triggered: !g.is_auto_cancel_enabled,
                subaccount: number,
            })
            .collect(),
    ))
}

/// `POST /api/order_groups` with a [`NewOrderGroup`] → 201 [`OrderGroupView`]
/// (CreateOrderGroup).
async fn create_group(
    Acting(kalshi): Acting,
    Body(new): Body<NewOrderGroup>,
) -> Result<(StatusCode, Json<OrderGroupView>)> {
    let limit = checked_limit(new.contracts_limit)?;
    if new
        .subaccount
        .is_some_and(|n| n > shared::protocol::MAX_SUBACCOUNT)
    {
        return Err(Error::bad_request(
            "invalid_subaccount",
            format!(
                "subaccount must be 0 to {}",
                shared::protocol::MAX_SUBACCOUNT
            ),
        ));
    }
    let request = CreateOrderGroupRequest {
        subaccount: new.subaccount.map(i64::from),
        contracts_limit: None,
        contracts_limit_fp: Some(limit),
        exchange_index: None,
    };
    tracing::info!(operation = "CreateOrderGroup", "creating order group");
    let created = kalshi
        .send::<CreateOrderGroup>(&NoPath, &NoQuery {}, Some(&request))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OrderGroupView {
            order_group_id: created.order_group_id,
            contracts_limit: limit,
            triggered: false,
            subaccount: u32::try_from(created.subaccount).unwrap_or(0),
        }),
    ))
}

/// `DELETE /api/order_groups/{order_group_id}[?subaccount=N]` (DeleteOrderGroup; cancels
/// its orders) → `{}`.
async fn delete_group(
    Acting(kalshi): Acting,
    Path(id): Path<String>,
    q: Q,
) -> Result<Json<EmptyResponse>> {
    let order_group_id = checked_group_id(id)?;
    let subaccount = SubaccountParam::read(q)?;
    tracing::info!(operation = "DeleteOrderGroup", %order_group_id, "deleting order group");
    kalshi
        .send::<DeleteOrderGroup>(
            &DeleteOrderGroupPath { order_group_id },
            &DeleteOrderGroupQuery {
                subaccount,
                exchange_index: None,
            },
            None,
        )
        .await?;
    Ok(Json(EmptyResponse {}))
}

/// `POST /api/order_groups/{order_group_id}/trigger[?subaccount=N]` (TriggerOrderGroup:
/// cancels its orders, blocks new ones until reset) → `{}`.
async fn trigger_group(
    Acting(kalshi): Acting,
    Path(id): Path<String>,
    q: Q,
) -> Result<Json<EmptyResponse>> {
    let order_group_id = checked_group_id(id)?;
    let subaccount = SubaccountParam::read(q)?;
    tracing::info!(operation = "TriggerOrderGroup", %order_group_id, "triggering order group");
    kalshi
        .send::<TriggerOrderGroup>(
            &TriggerOrderGroupPath { order_group_id },
            &TriggerOrderGroupQuery {
                subaccount,
                exchange_index: None,
            },
            Some(&EmptyResponse {}),
        )
        .await?;
    Ok(Json(EmptyResponse {}))
}

/// `POST /api/order_groups/{order_group_id}/reset[?subaccount=N]` (ResetOrderGroup) → `{}`.
async fn reset_group(
    Acting(kalshi): Acting,
    Path(id): Path<String>,
    q: Q,
) -> Result<Json<EmptyResponse>> {
    let order_group_id = checked_group_id(id)?;
    let subaccount = SubaccountParam::read(q)?;
    tracing::info!(operation = "ResetOrderGroup", %order_group_id, "resetting order group");
    kalshi
        .send::<ResetOrderGroup>(
            &ResetOrderGroupPath { order_group_id },
            &ResetOrderGroupQuery {
                subaccount,
                exchange_index: None,
            },
            Some(&EmptyResponse {}),
        )
        .await?;
    Ok(Json(EmptyResponse {}))
}

/// `PUT /api/order_groups/{order_group_id}/limit[?subaccount=N]` with a [`GroupLimit`]
/// (UpdateOrderGroupLimit; a limit already reached triggers the group) → `{}`.
async fn update_limit(
    Acting(kalshi): Acting,
    Path(id): Path<String>,
    q: Q,
    Body(GroupLimit { contracts_limit }): Body<GroupLimit>,
) -> Result<Json<EmptyResponse>> {
    let order_group_id = checked_group_id(id)?;
    let subaccount = SubaccountParam::read(q)?;
    let limit = checked_limit(contracts_limit)?;
    tracing::info!(operation = "UpdateOrderGroupLimit", %order_group_id, "changing order group limit");
    kalshi
        .send::<UpdateOrderGroupLimit>(
            &UpdateOrderGroupLimitPath { order_group_id },
            &UpdateOrderGroupLimitQuery {
                subaccount,
                exchange_index: None,
            },
            Some(&UpdateOrderGroupLimitRequest {
                contracts_limit: None,
                contracts_limit_fp: Some(limit),
            }),
        )
        .await?;
    Ok(Json(EmptyResponse {}))
}

/// Every subaccount's balance (GetSubaccountBalances), by number.
async fn balances_of(kalshi: &KalshiClient) -> Result<Vec<SubaccountBalanceView>> {
    let answer = kalshi
        .send::<GetSubaccountBalances>(&NoPath, &NoQuery {}, None)
        .await?;
    let mut out: Vec<SubaccountBalanceView> = answer
        .subaccount_balances
        .into_iter()
        .filter_map(|b| {
            Some(SubaccountBalanceView {
                subaccount: u32::try_from(b.subaccount_number).ok()?,
                balance: b.balance,
            })
        })
        .collect();
    out.sort_by_key(|b| b.subaccount);
    Ok(out)
}

/// `GET /api/subaccounts` → [`SubaccountBalanceView`] of the primary and every subaccount
/// (GetSubaccountBalances).
async fn balances(Acting(kalshi): Acting) -> Result<Json<Vec<SubaccountBalanceView>>> {
    Ok(Json(balances_of(&kalshi).await?))
}

/// `POST /api/subaccounts` → 201 [`CreatedSubaccount`] (CreateSubaccount).
async fn create_subaccount(
    Acting(kalshi): Acting,
) -> Result<(StatusCode, Json<CreatedSubaccount>)> {
    tracing::info!(operation = "CreateSubaccount", "creating subaccount");
    let created = kalshi
        .send::<CreateSubaccount>(
            &NoPath,
            &NoQuery {},
            Some(&CreateSubaccountRequest::default()),
        )
        .await?;
    let subaccount = u32::try_from(created.subaccount_number)
        .map_err(|_| Error::Unexpected(anyhow::anyhow!("subaccount number out of range")))?;
    Ok((StatusCode::CREATED, Json(CreatedSubaccount { subaccount })))
}

/// `POST /api/subaccounts/transfer` with a [`TransferTicket`] → every balance after it
/// (ApplySubaccountTransfer with a fresh `client_transfer_id`, then GetSubaccountBalances).
async fn transfer(
    Acting(kalshi): Acting,
    Body(ticket): Body<TransferTicket>,
) -> Result<Json<Vec<SubaccountBalanceView>>> {
    let amount_cents = ticket
        .cents()
        .map_err(|m| Error::bad_request("invalid_transfer", m))?;
    let client_transfer_id = uuid::Uuid::new_v4().to_string();
    tracing::info!(operation = "ApplySubaccountTransfer", %client_transfer_id, from = ticket.from, to = ticket.to, "transferring between subaccounts");
    kalshi
        .send::<ApplySubaccountTransfer>(
            &NoPath,
            &NoQuery {},
            Some(&ApplySubaccountTransferRequest {
                client_transfer_id,
                from_subaccount: i64::from(ticket.from),
                to_subaccount: i64::from(ticket.to),
                amount_cents,
                exchange_index: None,
            }),
        )
        .await?;
    Ok(Json(balances_of(&kalshi).await?))
}

/// `GET /api/subaccounts/transfers` → the newest transfers first (GetSubaccountTransfers,
/// one page of up to 100).
async fn transfers(Acting(kalshi): Acting) -> Result<Json<Vec<TransferView>>> {
    let answer = kalshi
        .send::<GetSubaccountTransfers>(
            &NoPath,
            &GetSubaccountTransfersQuery {
                limit: Some(100),
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok(Json(
        answer
            .transfers
            .into_iter()
            .map(|t| TransferView {
                transfer_id: t.transfer_id,
                from: u32::try_from(t.from_subaccount).unwrap_or(0),
                to: u32::try_from(t.to_subaccount).unwrap_or(0),
                amount: Dollars::from_cents(t.amount_cents),
                created_ts: t.created_ts,
            })
            .collect(),
    ))
}
