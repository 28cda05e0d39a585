//! The Kalshi REST client: every call signed, typed by `shared::rest`.
//!
//! Paths are relative to the base URL (which ends in `/trade-api/v2`); the signed path is
//! the URL's full path without the query, as Kalshi requires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::ids::{MarketTicker, OrderId};
use shared::rest::{
    ApiError, CancelOrderV2Response, CreateOrderV2Request, CreateOrderV2Response, ExchangeStatus,
    GetBalanceResponse, GetFillsResponse, GetMarketOrderbookResponse, GetMarketResponse,
    GetMarketsResponse, GetOrdersResponse, GetPositionsResponse,
};

use shared::api::{Method as ApiMethod, Operation, Paginated};

use crate::kalshi::ratelimit::{AccountLimits, RateBudget};
use crate::kalshi::signer::{Signer, SignerError};
use crate::metrics::Metrics;
use crate::team::auth::Actor;
use crate::team::store::Store;
use shared::backoff::Backoff;

/// Retries of a call answered 429 (any call: Kalshi did not act on it) or a transient 5xx
/// (reads only: a write may have happened).
const MAX_RETRIES: u32 = 5;

/// A failed Kalshi call.
#[derive(Debug, thiserror::Error)]
pub enum KalshiError {
    /// Kalshi answered with a non-2xx status (its error body, if it sent one).
    #[error("Kalshi answered {status}: {}", .body.message)]
    Status {
        /// HTTP status.
        status: StatusCode,
        /// Kalshi's error body.
        body: ApiError,
    },
    /// The request never got an answer.
    #[error("request to Kalshi failed")]
    Transport(#[source] reqwest::Error),
    /// A 2xx body that did not match the expected type.
    #[error("unexpected response body from Kalshi for {operation}")]
    Decode {
        /// Which call.
        operation: &'static str,
        /// The decoder's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignerError),
    /// A base URL without an `http(s)://host` part.
    #[error("invalid Kalshi base URL {0:?}")]
    BaseUrl(String),
    /// An audited client asked to write without saying for whom; nothing was sent.
    #[error("refusing to send {operation} without an actor for the audit log")]
    Unattributed {
        /// Which call.
        operation: &'static str,
    },
    /// The audit record could not be written before the request; nothing was sent.
    #[error("the audit log could not be written; {operation} was not sent")]
    Audit {
        /// Which call.
        operation: &'static str,
        /// The store's failure.
        #[source]
        source: crate::team::store::StoreError,
    },
}

/// Signed client for one Kalshi key. Cheap to clone.
///
/// With an audit store ([`KalshiClient::with_audit`]) every write (any non-GET) needs an
/// actor ([`KalshiClient::acting_as`]) and is recorded in the store *before* it is signed
/// and sent, then completed with its outcome; if the record cannot be written, nothing is
/// sent ([`KalshiError::Audit`]). This is the only write path, so no route can skip it.
#[derive(Clone, Debug)]
pub struct KalshiClient {
    http: reqwest::Client,
    base: String,
    base_path: String,
    signer: Signer,
    metrics: Arc<Metrics>,
    budget: Arc<RateBudget>,
    audit: Option<Store>,
    actor: Option<Actor>,
}

impl KalshiClient {
    /// A client for `base_url` (e.g. `https://external-api.kalshi.com/trade-api/v2`).
    ///
    /// # Errors
    /// [`KalshiError::BaseUrl`] for a malformed URL, [`KalshiError::Transport`] if the
    /// HTTP client cannot be built.
    pub fn new(base_url: &str, signer: Signer) -> Result<KalshiClient, KalshiError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let after_scheme = base
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(|| KalshiError::BaseUrl(base.clone()))?;
        let base_path = after_scheme
            .find('/')
            .map_or(String::new(), |i| after_scheme[i..].to_owned());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(KalshiError::Transport)?;
        Ok(KalshiClient {
            http,
            base,
            base_path,
            signer,
            metrics: Metrics::new(),
            budget: Arc::default(),
            audit: None,
            actor: None,
        })
    }

    /// Records every write in `store` before sending it (see the type's docs).
    pub fn with_audit(mut self, store: Store) -> Self {
        self.audit = Some(store);
        self
    }

    /// This client, writing on behalf of `actor`.
    pub fn acting_as(&self, actor: Actor) -> KalshiClient {
        let mut client = self.clone();
        client.actor = Some(actor);
        client
    }

    /// Who this client writes for, if anyone.
    pub fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }

    /// Writes the audit record of a write about to be sent (method, the exact path and
    /// query, the body); `None` without an audit store.
    async fn audit_begin<B: Serialize>(
        &self,
        operation: &'static str,
        method: &Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Option<(Store, i64)>, KalshiError> {
        let Some(store) = &self.audit else {
            return Ok(None);
        };
        let actor = self
            .actor
            .as_ref()
            .ok_or(KalshiError::Unattributed { operation })?;
        let value = body.and_then(|b| serde_json::to_value(b).ok());
        let client_order_id = value
            .as_ref()
            .and_then(|v| v.get("client_order_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let text = value.map(|v| v.to_string()).unwrap_or_default();
        let full_path = format!("{}{}", self.base_path, path);
        let target = crate::team::store::AuditTarget {
            method: method.as_str(),
            path: &full_path,
            body: &text,
            client_order_id: client_order_id.as_deref(),
        };
        let id = store
            .audit_begin(&actor.label(), operation, &target)
            .await
            .map_err(|source| KalshiError::Audit { operation, source })?;
        Ok(Some((store.clone(), id)))
    }

    /// Reports into `metrics` and spends `budget` (the desk's own, shared with `/metrics`
    /// and `/api/limits`).
    pub fn with_observability(mut self, metrics: Arc<Metrics>, budget: Arc<RateBudget>) -> Self {
        self.metrics = metrics;
        self.budget = budget;
        self
    }

    /// The rate-limit budget this client spends.
    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.budget
    }

    /// One signed call within the rate budget, retried with jittered backoff after a 429
    /// (which also pauses every other call) or, for reads, a 5xx.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, KalshiError> {
        let write = method != Method::GET;
        let record = if write {
            self.audit_begin(operation, &method, path, body).await?
        } else {
            None
        };
        let result = self
            .call_retrying(operation, method, path, body, write)
            .await;
        if let Some((store, id)) = record {
            let (outcome, status, error) = match &result {
                Ok(_) => ("ok", None, None),
                Err(KalshiError::Status { status, body }) => (
                    "error",
                    Some(status.as_u16()),
                    Some(format!("{}: {}", body.code, body.message)),
                ),
                Err(err) => ("error", None, Some(err.to_string())),
            };
            let status = status.or(result.is_ok().then_some(200));
            let actor = self.actor.as_ref().map(Actor::label).unwrap_or_default();
            if let Err(err) = store
                .audit_outcome(id, &actor, operation, outcome, status, error.as_deref())
                .await
            {
                tracing::error!(operation, audit_id = id, error = %err, "could not complete the audit record");
            }
        }
        result
    }

    async fn call_retrying<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&B>,
        write: bool,
    ) -> Result<T, KalshiError> {
        let mut backoff = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(2),
            rand::random(),
        );
        let mut attempt = 0;
        // Batches are billed per order.
        let items = if shared::api::limits::billed_per_item(operation) {
            body.and_then(|b| serde_json::to_value(b).ok())
                .and_then(|v| v.get("orders").and_then(|o| o.as_array()).map(Vec::len))
                .unwrap_or(1)
        } else {
            1
        };
        loop {
            self.budget.acquire(operation, items).await;
            match self.call_once(operation, method.clone(), path, body).await {
                Err(KalshiError::Status { status, .. })
                    if attempt < MAX_RETRIES && retryable(status, write) =>
                {
                    attempt += 1;
                    let delay = backoff.next_delay();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.budget.back_off(backoff.ceiling());
                    }
                    tracing::warn!(operation, %status, attempt, "Kalshi refused; retrying");
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    /// One signed call. `path` is relative to the base and may carry a query.
    async fn call_once<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, KalshiError> {
        let full_path = format!("{}{}", self.base_path, path);
        let signing = Instant::now();
        let auth = self
            .signer
            .sign_blocking_pool(method.as_str(), &full_path)
            .await?;
        self.metrics
            .signing_seconds
            .observe(signing.elapsed().as_secs_f64());
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        for (name, value) in auth.pairs() {
            req = req.header(name, value);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let started = Instant::now();
        let resp = req.send().await.map_err(KalshiError::Transport)?;
        let status = resp.status();
        let text = resp.text().await.map_err(KalshiError::Transport)?;
        self.metrics
            .observe_rest(operation, status.as_u16(), started.elapsed());
        tracing::debug!(operation, %status, elapsed_ms = started.elapsed().as_millis() as u64, "kalshi rest");
        if !status.is_success() {
            let body = ApiError::from_body(&text).unwrap_or_else(|| ApiError {
                code: status.as_str().to_owned(),
                message: status.canonical_reason().unwrap_or("error").to_owned(),
                details: None,
            });
            return Err(KalshiError::Status { status, body });
        }
        let text = if text.trim().is_empty() {
            "{}"
        } else {
            text.as_str()
        };
        serde_json::from_str(text).map_err(|source| KalshiError::Decode { operation, source })
    }

    /// Any Kalshi operation, typed by its [`Operation`] definition, over the one signed
    /// [`call`](Self::call) path.
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub async fn send<O: Operation>(
        &self,
        path: &O::Path,
        query: &O::Query,
        body: Option<&O::Body>,
    ) -> Result<O::Response, KalshiError> {
        let method = match O::METHOD {
            ApiMethod::Get => Method::GET,
            ApiMethod::Post => Method::POST,
            ApiMethod::Put => Method::PUT,
            ApiMethod::Delete => Method::DELETE,
            ApiMethod::Patch => Method::PATCH,
        };
        self.call(
            O::OPERATION_ID,
            method,
            &O::path_and_query(path, query),
            body,
        )
        .await
    }

    /// Every page of a cursor-paginated operation, following `cursor` until it is empty
    /// (at most `max_pages` pages).
    ///
    /// # Errors
    /// The first failed page.
    pub async fn send_all_pages<O: Paginated>(
        &self,
        path: &O::Path,
        mut query: O::Query,
        max_pages: usize,
    ) -> Result<Vec<O::Response>, KalshiError> {
        let mut pages = Vec::new();
        while pages.len() < max_pages {
            let page = self.send::<O>(path, &query, None).await?;
            let next = O::next_cursor(&page).map(str::to_owned);
            pages.push(page);
            match next {
                Some(cursor) => O::set_cursor(&mut query, Some(cursor)),
                None => break,
            }
        }
        Ok(pages)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T, KalshiError> {
        self.call::<(), T>(operation, Method::GET, path, None).await
    }

    /// GetExchangeStatus: `GET /exchange/status`.
    pub async fn exchange_status(&self) -> Result<ExchangeStatus, KalshiError> {
        self.get("GetExchangeStatus", "/exchange/status").await
    }

    /// GetMarkets: `GET /markets?limit=&cursor=&status=`.
    pub async fn markets(
        &self,
        limit: u32,
        cursor: Option<&str>,
        status: Option<&str>,
    ) -> Result<GetMarketsResponse, KalshiError> {
        let mut q = format!("/markets?limit={limit}");
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            q.push_str(&format!("&cursor={}", urlencode(c)));
        }
        if let Some(s) = status {
            q.push_str(&format!("&status={}", urlencode(s)));
        }
        self.get("GetMarkets", &q).await
    }

    /// GetMarkets with any of its filters; `query` is the encoded query string (no `?`).
    pub async fn markets_where(&self, query: &str) -> Result<GetMarketsResponse, KalshiError> {
        self.get("GetMarkets", &format!("/markets?{query}")).await
    }

    /// GetMarket: `GET /markets/{ticker}`.
    pub async fn market(&self, ticker: &MarketTicker) -> Result<GetMarketResponse, KalshiError> {
        self.get(
            "GetMarket",
            &format!("/markets/{}", urlencode(ticker.as_str())),
        )
        .await
    }

    /// GetMarketOrderbook: `GET /markets/{ticker}/orderbook`.
    pub async fn orderbook(
        &self,
        ticker: &MarketTicker,
    ) -> Result<GetMarketOrderbookResponse, KalshiError> {
        self.get(
            "GetMarketOrderbook",
            &format!("/markets/{}/orderbook", urlencode(ticker.as_str())),
        )
        .await
    }

    /// CreateOrderV2: `POST /portfolio/events/orders`.
    pub async fn create_order(
        &self,
        order: &CreateOrderV2Request,
    ) -> Result<CreateOrderV2Response, KalshiError> {
        tracing::info!(operation = "CreateOrderV2", client_order_id = ?order.client_order_id, "placing order");
        self.call(
            "CreateOrderV2",
            Method::POST,
            "/portfolio/events/orders",
            Some(order),
        )
        .await
    }

    /// CancelOrderV2: `DELETE /portfolio/events/orders/{order_id}`.
    pub async fn cancel_order(
        &self,
        order_id: &OrderId,
    ) -> Result<CancelOrderV2Response, KalshiError> {
        let path = format!("/portfolio/events/orders/{}", urlencode(order_id.as_str()));
        self.call::<(), _>("CancelOrderV2", Method::DELETE, &path, None)
            .await
    }

    /// GetOrders: `GET /portfolio/orders?status=&limit=&cursor=`.
    pub async fn orders(
        &self,
        status: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<GetOrdersResponse, KalshiError> {
        let mut q = "/portfolio/orders?limit=200".to_owned();
        if let Some(s) = status {
            q.push_str(&format!("&status={}", urlencode(s)));
        }
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            q.push_str(&format!("&cursor={}", urlencode(c)));
        }
        self.get("GetOrders", &q).await
    }

    /// GetAccountApiLimits: `GET /account/limits`.
    pub async fn account_limits(&self) -> Result<AccountLimits, KalshiError> {
        self.get("GetAccountApiLimits", "/account/limits").await
    }

    /// GetAccountEndpointCosts: `GET /account/endpoint_costs`.
    pub async fn endpoint_costs(
        &self,
    ) -> Result<shared::api::schema::GetAccountEndpointCostsResponse, KalshiError> {
        self.get("GetAccountEndpointCosts", "/account/endpoint_costs")
            .await
    }

    /// Reads the account's rate limits and endpoint costs into the budget (once, at
    /// start-up); an operation Kalshi does not answer leaves the spec's Basic-tier defaults.
    pub async fn load_budget(&self) {
        match self.account_limits().await {
            Ok(limits) => self.budget.set_limits(&limits),
            Err(err) => {
                tracing::info!(error = %err, "no account limits; using Basic-tier defaults");
            }
        }
        match self.endpoint_costs().await {
            Ok(costs) => self.budget.set_costs(&costs),
            Err(err) => {
                tracing::info!(error = %err, "no endpoint costs; using the spec's");
            }
        }
    }

    /// GetBalance: `GET /portfolio/balance`.
    pub async fn balance(&self) -> Result<GetBalanceResponse, KalshiError> {
        self.get("GetBalance", "/portfolio/balance").await
    }

    /// GetPositions: `GET /portfolio/positions`.
    pub async fn positions(&self) -> Result<GetPositionsResponse, KalshiError> {
        self.get("GetPositions", "/portfolio/positions?limit=200")
            .await
    }

    /// GetFills: `GET /portfolio/fills`.
    pub async fn fills(&self, cursor: Option<&str>) -> Result<GetFillsResponse, KalshiError> {
        let mut q = "/portfolio/fills?limit=200".to_owned();
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            q.push_str(&format!("&cursor={}", urlencode(c)));
        }
        self.get("GetFills", &q).await
    }
}

/// Whether a call answered `status` may be sent again: 429 always (Kalshi did not act on
/// it); a transient 5xx (500, 502, 503, 504) only for reads (a write may have happened).
/// Answers that will not change are final: every other 4xx, and `501 Not Implemented`.
fn retryable(status: StatusCode, write: bool) -> bool {
    let transient = matches!(status.as_u16(), 500 | 502 | 503 | 504);
    status == StatusCode::TOO_MANY_REQUESTS || (!write && transient)
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_429_or_read_transient_5xx_are_retried() {
        let table = [
            (429, false, true),
            (429, true, true),
            (503, false, true),
            (502, false, true),
            (500, true, false),
            (501, false, false),
            (505, false, false),
            (400, false, false),
            (404, true, false),
        ];
        for (status, write, want) in table {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(retryable(status, write), want, "{status} write={write}");
        }
    }
}
