//! The simulator's HTTP errors, always answered as Kalshi's error body (OpenAPI schema
//! `ErrorResponse`): `{"code":"…","message":"…"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::rest::ApiError;

use super::engine::OrderError;

/// `Result` of a simulator handler.
pub type Result<T, E = SimError> = std::result::Result<T, E>;

/// Why a request failed. Each variant names its status and `code`.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// 401 `authentication_error`: missing/unknown key, bad signature or stale timestamp.
    #[error("authentication failed: {0}")]
    Unauthorized(&'static str),
    /// 400 `invalid_parameters`: a malformed body or query.
    #[error("{0}")]
    BadRequest(String),
    /// 404 `not_found`: no such route or resource.
    #[error("{0}")]
    NotFound(String),
    /// 403 `forbidden`: the key may not do this (a read-only key writing).
    #[error("{0}")]
    Forbidden(String),
    /// 409 `conflict`: the resource exists already or cannot change so (a second open RFQ
    /// on one market).
    #[error("{0}")]
    Conflict(String),
    /// 429 `too_many_requests`: the account's rate-limit bucket cannot cover the request's
    /// cost (no `Retry-After`, as on Kalshi).
    #[error("too many requests: the rate-limit bucket of this account is empty")]
    RateLimited,
    /// Order refusals; status per [`OrderError`] variant.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// 501 `not_implemented`: a spec operation the exchange does not serve (its `operationId`).
    #[error("{0} is not implemented by the built-in exchange")]
    NotImplemented(&'static str),
}

impl SimError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            SimError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "authentication_error"),
            SimError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_parameters"),
            SimError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            SimError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            SimError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            SimError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            SimError::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, "not_implemented"),
            SimError::Order(e) => match e {
                OrderError::MarketNotFound(_) => (StatusCode::NOT_FOUND, "market_not_found"),
                OrderError::MarketClosed(_) => (StatusCode::BAD_REQUEST, "market_closed"),
                OrderError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_parameters"),
                OrderError::InsufficientBalance { .. } => {
                    (StatusCode::BAD_REQUEST, "insufficient_balance")
                }
                OrderError::PostOnlyCross => (StatusCode::CONFLICT, "post_only_cross"),
                OrderError::TradingPaused => (StatusCode::SERVICE_UNAVAILABLE, "trading_is_paused"),
                OrderError::OrderNotFound => (StatusCode::NOT_FOUND, "not_found"),
                OrderError::GroupNotFound => (StatusCode::NOT_FOUND, "not_found"),
                OrderError::GroupTriggered(_) => (StatusCode::BAD_REQUEST, "order_group_triggered"),
                OrderError::NoSuchSubaccount(_) => (StatusCode::BAD_REQUEST, "invalid_parameters"),
            },
        }
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ApiError {
            code: code.to_owned(),
            message: self.to_string(),
            details: None,
        };
        (status, Json(body)).into_response()
    }
}
