//! `/api/audit` (JSON) and `/api/audit.csv` (admin only, see `auth::required`): the audit
//! log filtered by user, operation and time range.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use shared::auth::{AuditEntry, AuditQuery};

use super::{AppState, Error, Result};
use crate::store::Store;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(json))
        .route("/audit.csv", get(csv))
}

fn read(q: std::result::Result<Query<AuditQuery>, QueryRejection>) -> Result<AuditQuery> {
    let Query(mut q) = q.map_err(|e| Error::bad_request("bad_query", e.body_text()))?;
    q.user = q.user.filter(|s| !s.is_empty());
    q.operation = q.operation.filter(|s| !s.is_empty());
    Ok(q)
}

/// `GET /api/audit?user=&operation=&from_ms=&to_ms=&limit=` → [`AuditEntry`]s, newest first.
async fn json(
    State(store): State<Store>,
    q: std::result::Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(store.audit(&read(q)?).await?))
}

/// `GET /api/audit.csv?…` (same filters) → `text/csv` with a header row:
/// `id,ts_ms,actor,operation,client_order_id,outcome,status,error,body`.
async fn csv(
    State(store): State<Store>,
    q: std::result::Result<Query<AuditQuery>, QueryRejection>,
) -> Result<impl IntoResponse> {
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
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV text of `rows`.
pub fn to_csv(rows: &[AuditEntry]) -> String {
    let mut out =
        String::from("id,ts_ms,actor,operation,client_order_id,outcome,status,error,body\n");
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
        };
        let text = to_csv(&[row]);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "1,2,alice,CreateOrderV2,'=cmd,ok,201,,\"{\"\"a\"\":\"\"b,c\"\"}\""
        );
    }
}
