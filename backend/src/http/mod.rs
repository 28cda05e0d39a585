//! The browser-facing HTTP surface: `/api/*` (JSON), `/ws` (live frames), `/metrics`
//! (Prometheus) and the built frontend. Every `/api` route and `/ws` needs a session
//! ([`auth`]: cookie, CSRF header on writes, Origin, role), except the login routes. An allowlist of routes, each mapped to specific Kalshi calls — never a proxy.

mod admin;
mod alerts;
mod audit;
pub mod auth;
mod error;
mod exports;
pub mod frontend;
mod groups;
mod markets;
mod orders;
mod pnl;
mod portfolio;
mod rfq;
pub mod stream;
mod workspace;

use std::path::Path;

use axum::extract::FromRef;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::{Error, Result};
pub(crate) use orders::{cancel_order, view as order_view};

use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;

/// Everything handlers share. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Live books and fan-out.
    pub hub: Hub,
    /// Signed Kalshi REST client.
    pub kalshi: KalshiClient,
    /// Every user's alert rules, evaluated against the live feed.
    pub alerts: crate::alerts::Alerts,
    /// The market maker's RFQ quoting/confirmation rules and their log.
    pub rfq_rules: crate::rfq::rules::RfqRules,
    /// Fires on shutdown; sessions end with it.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Every socket session and side task the desk runs: a stop waits for them.
    pub tasks: tokio_util::task::TaskTracker,
    /// The desk's database: users, sessions, order owners, audit log.
    pub store: crate::team::store::Store,
    /// Session, cookie and origin policy.
    pub auth: auth::AuthPolicy,
    /// Per-market turns for the limit check and send of orders ([`crate::team::limits`]).
    pub gate: crate::team::limits::Gate,
    /// Sockets open per login session ([`stream::SocketSlots`]).
    pub sockets: stream::SocketSlots,
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(
    axum::extract::State(hub): axum::extract::State<Hub>,
) -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        hub.metrics().render(),
    )
}

/// `/metrics` alone, for its own (loopback) address.
pub fn metrics_router(hub: Hub) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(hub)
}

/// `GET /api/limits`: the Kalshi rate-limit budget left (read and write tokens, back-off).
async fn limits(
    axum::extract::State(kalshi): axum::extract::State<KalshiClient>,
) -> axum::Json<crate::kalshi::ratelimit::BudgetView> {
    axum::Json(kalshi.budget().view())
}

/// `listener` with `TCP_NODELAY` set on every accepted connection (the built-in exchange's
/// helper, shared so both servers behave alike).
pub use kalshi_sim::low_latency;

/// The whole router: API, socket and static frontend from `dist`.
///
/// `/metrics` is served here unless `metrics_elsewhere` (then [`metrics_router`] serves it
/// on its own address and this one answers 404).
pub fn router(state: AppState, dist: &Path, metrics_elsewhere: bool) -> Router {
    let api = Router::new()
        .merge(markets::router())
        .merge(orders::router())
        .merge(portfolio::router())
        .merge(groups::router())
        .route("/limits", axum::routing::get(limits))
        .merge(rfq::router())
        .merge(auth::router())
        .merge(audit::router())
        .merge(admin::router())
        .merge(workspace::router())
        .merge(alerts::router())
        .merge(pnl::router())
        .merge(exports::router())
        .fallback(|| async { Error::NotFound("no such API route".to_owned()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ));
    let index = frontend::IndexPage::load(dist);
    let (page, loader) = (index.clone(), index.clone());
    let index_handler = move || {
        let page = page.clone();
        async move { page.html_response() }
    };
    // Unknown paths that are not files get the app (client-side routes, `no-cache`); files
    // are trunk's content-hashed outputs, immutable, in their precompressed form when the
    // browser accepts it and `kalshi-desk precompress` wrote one.
    let files = tower_http::set_header::SetResponseHeader::if_not_present(
        ServeDir::new(dist)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(axum::routing::get(index_handler.clone())),
        header::CACHE_CONTROL,
        frontend::IMMUTABLE,
    );
    let mut app = Router::new().nest("/api", api).merge(stream::router());
    app = if metrics_elsewhere {
        app.route(
            "/metrics",
            axum::routing::get(|| async {
                Error::NotFound("metrics are served elsewhere".to_owned())
            }),
        )
    } else {
        app.route("/metrics", axum::routing::get(metrics))
    };
    app.route("/", axum::routing::get(index_handler.clone()))
        .route("/index.html", axum::routing::get(index_handler))
        .route(index.loader_path(), axum::routing::get(move || async move { loader.loader_response() }))
        .fallback_service(files)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .with_state(state)
}
