//! `/api/workspace`: the logged-in user's own workspace (named layouts of the desk screen,
//! the price format), stored per user so it follows them to any machine.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::workspace::Workspace;

use super::auth::CurrentUser;
use super::error::Body;
use super::{AppState, Error, Result};
use crate::team::store::Store;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/workspace", get(workspace).put(set_workspace))
}

/// `GET /api/workspace` (any session) → the user's [`Workspace`], or the default one when
/// they never saved one.
async fn workspace(State(store): State<Store>, user: CurrentUser) -> Result<Json<Workspace>> {
    Ok(Json(
        store.workspace(user.user.id).await?.unwrap_or_default(),
    ))
}

/// `PUT /api/workspace` with a [`Workspace`] (any session, for their own) → the workspace
/// as stored. 400 `invalid_workspace` when [`Workspace::check`] refuses it (a size out of
/// bounds, duplicate names, too many layouts, `active` naming none).
async fn set_workspace(
    State(store): State<Store>,
    user: CurrentUser,
    Body(workspace): Body<Workspace>,
) -> Result<Json<Workspace>> {
    workspace
        .check()
        .map_err(|why| Error::bad_request("invalid_workspace", why))?;
    store.put_workspace(user.user.id, &workspace).await?;
    Ok(Json(workspace))
}
