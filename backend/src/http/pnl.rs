//! `GET /api/pnl/history`: the P&L history of the logged-in user, or (admins) of the desk or
//! of another user ([`crate::team::pnl_history`]); its CSV is in [`super::exports`].

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::pnl::PnlHistory;

use super::auth::CurrentUser;
use super::error::Params;
use super::{AppState, Error, Result};
use crate::team::pnl_history::{self, Scope};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/pnl/history", get(history))
}

/// Whose history: `?desk=true` (the account's), `?user=NAME`, or neither (your own).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ScopeParam {
    /// The desk's (every fill of the account).
    #[serde(default)]
    pub(super) desk: bool,
    /// One user's.
    pub(super) user: Option<String>,
}

impl ScopeParam {
    /// The scope asked for, if `user` may see it: their own, or any for an admin (403
    /// `forbidden` otherwise).
    pub(super) fn scope(&self, user: &CurrentUser) -> Result<Scope> {
        let admin = user.user.role.permissions().admin;
        let scope = match (&self.user, self.desk) {
            (_, true) => Scope::Desk,
            (Some(name), false) => Scope::User(name.clone()),
            (None, false) => Scope::User(user.user.username.clone()),
        };
        if !admin && scope != Scope::User(user.user.username.clone()) {
            return Err(Error::forbidden(
                "forbidden",
                "only an admin sees the desk's or another user's P&L",
            ));
        }
        Ok(scope)
    }
}

/// Reads what is new from Kalshi into the store, then computes `scope`'s history.
pub(super) async fn read(app: &AppState, scope: &Scope) -> Result<PnlHistory> {
    pnl_history::sync(&app.kalshi, &app.store).await?;
    pnl_history::compute(&app.kalshi, &app.store, scope).await
}

/// `GET /api/pnl/history[?desk=true|?user=NAME]` → [`PnlHistory`]: realized and unrealized
/// by trading day, market and series. 403 for a non-admin asking for another's.
async fn history(
    State(app): State<AppState>,
    user: CurrentUser,
    Params(q): Params<ScopeParam>,
) -> Result<Json<PnlHistory>> {
    let scope = q.scope(&user)?;
    Ok(Json(read(&app, &scope).await?))
}
