//! `/api/admin/*` (admin only), `/api/halts`, `/api/desk/limits` and `/api/pnl/today`: the
//! kill switch ([`crate::team::halts`]) and the daily loss limits ([`crate::team::pnl`]).

use super::error::Body;
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use shared::auth::{DayPnl, DeskLimits, Halt, HaltRequest};
use shared::protocol::CancelledOrders;

use super::auth::{Acting, CurrentUser};
use super::{AppState, Error, Result};
use crate::live::hub::Hub;
use crate::team::limits::Gate;
use crate::team::store::Store;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/halts", get(list))
        .route("/admin/halt", post(halt))
        .route("/admin/rearm", post(rearm))
        .route("/desk/limits", get(desk_limits))
        .route("/admin/desk-limits", put(set_desk_limits))
        .route("/pnl/today", get(pnl_today))
}

/// `GET /api/desk/limits` (any session) → the desk's [`DeskLimits`].
async fn desk_limits(State(store): State<Store>) -> Result<Json<DeskLimits>> {
    Ok(Json(crate::team::pnl::desk_limits(&store).await?))
}

/// `PUT /api/admin/desk-limits` with [`DeskLimits`] → the limits now stored (every replica
/// reads them at its next check). Audited as `SetDeskLimits`; 400 `invalid_limit` for a
/// negative loss limit.
async fn set_desk_limits(
    State(store): State<Store>,
    admin: CurrentUser,
    Body(limits): Body<DeskLimits>,
) -> Result<Json<DeskLimits>> {
    super::audit::audited(
        &store,
        &admin.user.username,
        "SetDeskLimits",
        ("PUT", "/api/admin/desk-limits"),
        &serde_json::json!(limits),
        async {
            if limits.max_daily_loss.is_some_and(|d| d.is_negative()) {
                return Err(Error::bad_request(
                    "invalid_limit",
                    "a daily loss limit is a positive number of dollars",
                ));
            }
            store
                .put_setting(crate::team::pnl::DESK_LIMITS, &limits, &admin.user.username)
                .await?;
            tracing::warn!(admin = %admin.user.username, ?limits, "desk limits set");
            Ok(limits.clone())
        },
    )
    .await
    .map(Json)
}

/// `GET /api/pnl/today` (any session) → the caller's [`DayPnl`] (the desk's too for an
/// admin).
async fn pnl_today(
    State(store): State<Store>,
    Acting(kalshi): Acting,
    user: CurrentUser,
) -> Result<Json<DayPnl>> {
    Ok(Json(
        crate::team::pnl::day_pnl(&store, &kalshi, &user.user).await?,
    ))
}

/// `POST /api/admin/halt` answer: the halts now in force and what the sweep cancelled.
#[derive(Debug, serde::Serialize)]
struct Halted {
    halts: Vec<Halt>,
    swept: CancelledOrders,
}

/// `GET /api/halts` (any session) → the [`Halt`]s in force, the desk's first.
async fn list(State(store): State<Store>) -> Result<Json<Vec<Halt>>> {
    Ok(Json(store.halts().await?))
}

/// The request, checked: a user that exists, a reason of at most 200 characters.
async fn checked(store: &Store, req: &HaltRequest) -> Result<()> {
    if req.reason.chars().count() > 200 {
        return Err(Error::bad_request(
            "invalid_reason",
            "a reason is at most 200 characters",
        ));
    }
    if let Some(user) = &req.user {
        if store.user_with_hash(user).await?.is_none() {
            return Err(Error::NotFound(format!("no user {user}")));
        }
    }
    Ok(())
}

/// `POST /api/admin/halt` with a [`HaltRequest`] → the halts and the sweep. Stores the
/// halt (every check refuses from then on), shows it on every screen, waits for orders
/// already checked to be answered, then cancels the resting orders it covers. Audited as
/// `HaltDesk` / `HaltUser` with its real outcome; halting twice keeps the first halt and
/// sweeps again.
async fn halt(
    State(store): State<Store>,
    State(hub): State<Hub>,
    State(gate): State<Gate>,
    Acting(kalshi): Acting,
    admin: CurrentUser,
    Body(req): Body<HaltRequest>,
) -> Result<Json<Halted>> {
    let operation = if req.user.is_some() {
        "HaltUser"
    } else {
        "HaltDesk"
    };
    let reason = if req.reason.trim().is_empty() {
        "halted by an admin".to_owned()
    } else {
        req.reason.trim().to_owned()
    };
    let record = serde_json::json!({"user": req.user, "reason": reason});
    super::audit::audited(
        &store,
        &admin.user.username,
        operation,
        ("POST", "/api/admin/halt"),
        &record,
        async {
            checked(&store, &req).await?;
            store
                .halt(req.user.as_deref(), &admin.user.username, &reason)
                .await?;
            let halts = store.halts().await?;
            hub.set_halts(halts.clone());
            tracing::warn!(admin = %admin.user.username, user = ?req.user, %reason, "halt");
            gate.drain().await;
            let swept = crate::team::halts::sweep(&kalshi, &store, req.user.as_deref()).await?;
            Ok(Halted { halts, swept })
        },
    )
    .await
    .map(Json)
}

/// `POST /api/admin/rearm` with a [`HaltRequest`] (its `user`; the reason is ignored) →
/// the halts still in force. Audited as `RearmDesk` / `RearmUser`; 404 when that halt was
/// not in force.
async fn rearm(
    State(store): State<Store>,
    State(hub): State<Hub>,
    admin: CurrentUser,
    Body(req): Body<HaltRequest>,
) -> Result<Json<Vec<Halt>>> {
    let operation = if req.user.is_some() {
        "RearmUser"
    } else {
        "RearmDesk"
    };
    super::audit::audited(
        &store,
        &admin.user.username,
        operation,
        ("POST", "/api/admin/rearm"),
        &serde_json::json!({"user": req.user}),
        async {
            checked(&store, &req).await?;
            if !store.rearm(req.user.as_deref()).await? {
                return Err(Error::NotFound("that halt is not in force".to_owned()));
            }
            let halts = store.halts().await?;
            hub.set_halts(halts.clone());
            tracing::warn!(admin = %admin.user.username, user = ?req.user, "re-armed");
            Ok(halts)
        },
    )
    .await
    .map(Json)
}
