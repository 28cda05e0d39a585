//! The browser API's error type: every failure becomes `{"code":…,"message":…}` with a
//! fitting status; internal details are logged, never sent.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::protocol::ApiErrorBody;

use crate::kalshi::client::KalshiError;

/// A JSON request body, the one body extractor of the browser API: a body that is not the
/// expected JSON is refused with the API's error body (`{"code","message"}`, 400 or 415),
/// never axum's plain-text rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(Body(value))
    }
}

/// A query string read into `T`, the one query extractor of the browser API: a query that
/// does not read as `T` is refused with the API's error body (400 `bad_query`), never
/// axum's plain-text rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<T>(pub T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| Error::bad_request("bad_query", e.body_text()))?;
        Ok(Params(value))
    }
}

/// Result of an API handler.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed browser API request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request is invalid; `message` says why in plain words.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Readable text.
        message: String,
    },
    /// 404: no such market/order.
    #[error("{0}")]
    NotFound(String),
    /// 401 `unauthorized`: no valid session (log in first).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a session without the permission, a bad CSRF token or a foreign origin;
    /// `code` says which (`forbidden`, `bad_csrf`, `bad_origin`, `over_limit`).
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Readable text.
        message: String,
    },
    /// 409 `conflict`: e.g. a username already taken.
    #[error("{0}")]
    Conflict(String),
    /// 429 `too_many_attempts`: login attempts over the rate limit.
    #[error("too many login attempts; wait a minute")]
    TooManyAttempts,
    /// 500: the desk's database failed; details go to the log only.
    #[error(transparent)]
    Store(#[from] crate::team::store::StoreError),
    /// 400: the JSON body did not parse.
    #[error(transparent)]
    Json(#[from] JsonRejection),
    /// Kalshi (or the built-in exchange) refused or failed; status mapped in `into_response`.
    #[error(transparent)]
    Kalshi(#[from] KalshiError),
    /// 500: anything else; details go to the log only.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    /// A 403 with a code and message.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Error {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error answers.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } | Error::Json(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Error::Kalshi(KalshiError::Audit { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Kalshi(KalshiError::Status { status, .. }) if passes_through(*status) => *status,
            Error::Kalshi(KalshiError::Unattributed { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Kalshi(_) => StatusCode::BAD_GATEWAY,
            Error::Store(_) | Error::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }
}

/// Kalshi's refusals the browser sees as they are, with Kalshi's code and message: the
/// client errors (the request itself was refused), except 401/403 (those are about the
/// desk's key, not the trader), and `503` (trading paused: retry later).
fn passes_through(status: StatusCode) -> bool {
    (status.is_client_error()
        && status != StatusCode::UNAUTHORIZED
        && status != StatusCode::FORBIDDEN)
        || status == StatusCode::SERVICE_UNAVAILABLE
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            Error::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, (*code).to_owned(), message.clone())
            }
            Error::NotFound(m) => (StatusCode::NOT_FOUND, "not_found".to_owned(), m.clone()),
            Error::Unauthorized(m) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized".to_owned(),
                m.clone(),
            ),
            Error::Forbidden { code, message } => {
                (StatusCode::FORBIDDEN, (*code).to_owned(), message.clone())
            }
            Error::Conflict(m) => (StatusCode::CONFLICT, "conflict".to_owned(), m.clone()),
            Error::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts".to_owned(),
                self.to_string(),
            ),
            Error::Kalshi(err @ KalshiError::Audit { source, .. }) => {
                tracing::error!(error = %err, source = %source, "audit log unavailable; request not sent");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit_unavailable".to_owned(),
                    err.to_string(),
                )
            }
            Error::Store(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(err), "store error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal".to_owned(),
                    "internal error".to_owned(),
                )
            }
            Error::Json(rej) => (
                StatusCode::BAD_REQUEST,
                "bad_json".to_owned(),
                rej.body_text(),
            ),
            Error::Kalshi(KalshiError::Status { status, body }) => {
                if passes_through(*status) {
                    let code = if body.code.is_empty() {
                        "exchange_rejected".to_owned()
                    } else {
                        body.code.clone()
                    };
                    let message = if body.message.is_empty() {
                        format!("exchange rejected the request ({status})")
                    } else {
                        body.message.clone()
                    };
                    (*status, code, message)
                } else {
                    tracing::error!(%status, code = %body.code, message = %body.message, "exchange error");
                    (
                        StatusCode::BAD_GATEWAY,
                        "exchange_error".to_owned(),
                        format!("the exchange answered {status}"),
                    )
                }
            }
            Error::Kalshi(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(err), "exchange unreachable");
                (
                    StatusCode::BAD_GATEWAY,
                    "exchange_unreachable".to_owned(),
                    "the exchange could not be reached".to_owned(),
                )
            }
            Error::Unexpected(err) => {
                tracing::error!(error = ?err, "unexpected error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal".to_owned(),
                    "internal error".to_owned(),
                )
            }
        };
        (status, Json(ApiErrorBody { code, message })).into_response()
    }
}
