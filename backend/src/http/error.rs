//! The browser API's error type: every failure becomes `{"code":…,"message":…}` with a
//! fitting status; internal details are logged, never sent.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::protocol::ApiErrorBody;

use crate::client::KalshiError;

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
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            Error::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, (*code).to_owned(), message.clone())
            }
            Error::NotFound(m) => (StatusCode::NOT_FOUND, "not_found".to_owned(), m.clone()),
            Error::Json(rej) => (
                StatusCode::BAD_REQUEST,
                "bad_json".to_owned(),
                rej.body_text(),
            ),
            Error::Kalshi(KalshiError::Status { status, body }) => {
                if status.is_client_error()
                    && *status != StatusCode::UNAUTHORIZED
                    && *status != StatusCode::FORBIDDEN
                {
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
