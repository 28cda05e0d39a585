//! `/api/audit` (JSON) and `/api/audit.csv` (admin only, see `auth::required`): the audit
//! log filtered by user, operation and time range.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use shared::auth::{AuditEntry, AuditQuery};

use super::error::Params;
use super::{AppState, Result};
use crate::team::store::{AuditTarget, Store};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(json))
        .route("/audit.csv", get(csv))
}

fn read(q: Params<AuditQuery>) -> Result<AuditQuery> {
    let Params(mut q) = q;
    q.user = q.user.filter(|s| !s.is_empty());
    q.operation = q.operation.filter(|s| !s.is_empty());
    Ok(q)
}

/// Runs a desk action (an admin's change to users, limits, halts or rules) between its two
/// audit records: the request first (`target` = method and the desk's path, `record` the
/// body as JSON), then its real outcome (`ok` 200, or the error's status and message).
///
/// # Errors
/// The store's, when the first record cannot be written (the action does not run); the
/// action's own.
pub(super) async fn audited<T>(
    store: &Store,
    actor: &str,
    operation: &str,
    target: (&str, &str),
    record: &serde_json::Value,
    action: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let body = record.to_string();
    let id = store
        .audit_begin(
            actor,
            operation,
            &AuditTarget {
                method: target.0,
                path: target.1,
                body: &body,
                client_order_id: None,
            },
        )
        .await?;
    let result = action.await;
    let (outcome, status, error) = match &result {
        Ok(_) => ("ok", 200, None),
        Err(err) => ("error", err.status().as_u16(), Some(err.to_string())),
    };
    if let Err(err) = store
        .audit_outcome(
            id,
            actor,
            operation,
            outcome,
            Some(status),
            error.as_deref(),
        )
        .await
    {
        tracing::error!(operation, audit_id = id, error = %err, "could not record the outcome of an admin action");
    }
    result
}

/// `GET /api/audit?user=&operation=&from_ms=&to_ms=&limit=` → [`AuditEntry`]s, newest first.
async fn json(State(store): State<Store>, q: Params<AuditQuery>) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(store.audit(&read(q)?).await?))
}

/// `GET /api/audit.csv?…` (same filters) → `text/csv` with a header row:
/// `id,ts_ms,actor,operation,client_order_id,outcome,status,error,body`.
async fn csv(State(store): State<Store>, q: Params<AuditQuery>) -> Result<impl IntoResponse> {
    let rows = store.audit(&read(q)?).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        to_csv(&rows),
    ))
}

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `= + - @`
/// is prefixed with `'` so a spreadsheet does not run it as a formula.
fn field(s: &str) -> String {
    let s = super::exports::formula_safe(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV text of `rows`.
pub fn to_csv(rows: &[AuditEntry]) -> String {
    let mut out =
        String::from("id,ts_ms,actor,operation,client_order_id,outcome,status,error,method,path,body_sha256,body\n");
    for r in rows {
        let cols = [
            r.id.to_string(),
            r.ts_ms.to_string(),
            field(&r.actor),
            field(&r.operation),
            field(r.client_order_id.as_deref().unwrap_or("")),
            field(&r.outcome),
            r.status.map(|s| s.to_string()).unwrap_or_default(),
            field(r.error.as_deref().unwrap_or("")),
            field(r.method.as_deref().unwrap_or("")),
            field(r.path.as_deref().unwrap_or("")),
            field(r.body_sha256.as_deref().unwrap_or("")),
            field(&r.body),
        ];
        out.push_str(&cols.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = AuditEntry {
            id: 1,
            ts_ms: 2,
            actor: "alice".into(),
            operation: "CreateOrderV2".into(),
            body: "{\"a\":\"b,c\"}".into(),
            client_order_id: Some("=cmd".into()),
            outcome: "ok".into(),
            status: Some(201),
            error: None,
            method: Some("POST".into()),
            path: Some("/trade-api/v2/portfolio/events/orders".into()),
            body_sha256: Some("ab".into()),
        };
        let text = to_csv(&[row]);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "1,2,alice,CreateOrderV2,'=cmd,ok,201,,POST,/trade-api/v2/portfolio/events/orders,ab,\"{\"\"a\"\":\"\"b,c\"\"}\""
        );
    }
}
