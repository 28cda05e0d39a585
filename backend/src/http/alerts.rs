//! `/api/alerts/*`: the logged-in user's own alert rules, webhook and alert log
//! ([`shared::alerts`]). Any role may keep alerts: they read the feed, never trade.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared::alerts::{
    AlertFired, AlertRule, AlertRulePatch, AlertSettings, NewAlertRule, WebhookTest, MAX_RULES,
};

use super::auth::CurrentUser;
use super::error::{Body, Params};
use super::{AppState, Error, Result};
use crate::live::hub::WatchRefused;
use crate::team::store::StoreError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts/rules", get(rules).post(create_rule))
        .route("/alerts/rules/{id}", patch(mute_rule).delete(delete_rule))
        .route("/alerts/settings", get(settings).put(set_settings))
        .route("/alerts/settings/test", post(test_webhook))
        .route("/alerts/log", get(log))
}

/// `GET /api/alerts/rules` → the user's [`AlertRule`]s, oldest first.
async fn rules(State(app): State<AppState>, user: CurrentUser) -> Result<Json<Vec<AlertRule>>> {
    Ok(Json(app.store.alert_rules(user.user.id).await?))
}

/// `POST /api/alerts/rules` with a [`NewAlertRule`] → 201 and the stored rule, in force at
/// once. 400 `invalid_alert` ([`shared::alerts::Condition::check`]), 400 `unknown_market`
/// for a market that is not open ([`crate::live::hub::Hub::check_open`]; `market_unchecked`
/// when the exchange could not be asked), 409 at [`MAX_RULES`] rules.
async fn create_rule(
    State(app): State<AppState>,
    user: CurrentUser,
    Body(new): Body<NewAlertRule>,
) -> Result<(StatusCode, Json<AlertRule>)> {
    new.condition
        .check()
        .map_err(|e| Error::bad_request("invalid_alert", e.0))?;
    if let Some(market) = new.condition.market() {
        match app.hub.check_open(market).await {
            Ok(()) => {}
            Err(WatchRefused::Unknown(_)) => {
                return Err(Error::bad_request(
                    "unknown_market",
                    format!("{market} is not an open market"),
                ))
            }
            Err(e) => return Err(Error::bad_request("market_unchecked", e.to_string())),
        }
    }
    let rule = app
        .store
        .create_alert_rule(user.user.id, &new.condition, new.muted, MAX_RULES)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => Error::Conflict(m),
            e => e.into(),
        })?;
    app.alerts.reload().await;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `PATCH /api/alerts/rules/{id}` with an [`AlertRulePatch`] → 204; 404 when the user has
/// no such rule.
async fn mute_rule(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Body(patch): Body<AlertRulePatch>,
) -> Result<StatusCode> {
    if !app
        .store
        .set_alert_muted(user.user.id, id, patch.muted)
        .await?
    {
        return Err(Error::NotFound(format!("no alert rule {id}")));
    }
    app.alerts.reload().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/alerts/rules/{id}` → 204; 404 when the user has no such rule.
async fn delete_rule(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    if !app.store.delete_alert_rule(user.user.id, id).await? {
        return Err(Error::NotFound(format!("no alert rule {id}")));
    }
    app.alerts.reload().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/alerts/settings` → the user's [`AlertSettings`].
async fn settings(State(app): State<AppState>, user: CurrentUser) -> Result<Json<AlertSettings>> {
    Ok(Json(AlertSettings {
        webhook_url: app.store.alert_webhook(user.user.id).await?,
    }))
}

/// `PUT /api/alerts/settings` with [`AlertSettings`] → them as stored; 400
/// `invalid_webhook` ([`AlertSettings::check`]). An empty URL removes the webhook.
async fn set_settings(
    State(app): State<AppState>,
    user: CurrentUser,
    Body(mut settings): Body<AlertSettings>,
) -> Result<Json<AlertSettings>> {
    settings.webhook_url = settings
        .webhook_url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    settings
        .check()
        .map_err(|e| Error::bad_request("invalid_webhook", e.0))?;
    app.store
        .put_alert_webhook(user.user.id, settings.webhook_url.as_deref())
        .await?;
    app.alerts.reload().await;
    Ok(Json(settings))
}

/// `POST /api/alerts/settings/test` → a sample alert posted to the user's webhook now, and
/// how it went ([`WebhookTest`]; a failure is a 200 that says so). 400 `no_webhook`.
async fn test_webhook(State(app): State<AppState>, user: CurrentUser) -> Result<Json<WebhookTest>> {
    let Some(url) = app.store.alert_webhook(user.user.id).await? else {
        return Err(Error::bad_request("no_webhook", "set a webhook URL first"));
    };
    Ok(Json(WebhookTest {
        delivery: app.alerts.test_webhook(user.user.id, &url).await,
    }))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    limit: Option<i64>,
}

/// `GET /api/alerts/log?limit=N` → the user's newest firings (default 200, at most
/// 1,000), newest first.
async fn log(
    State(app): State<AppState>,
    user: CurrentUser,
    Params(q): Params<LogQuery>,
) -> Result<Json<Vec<AlertFired>>> {
    Ok(Json(
        app.store
            .alert_log(user.user.id, q.limit.unwrap_or(200))
            .await?,
    ))
}
