//! Fault injection: what tests (and the soak test) do to the desk's upstream.
//!
//! Socket faults go to every connection open at that moment through a broadcast
//! ([`SocketFault`]); the heartbeat interval and REST failure bursts are shared atomics read
//! by every session and request. Steered through [`super::SimExchange`]'s methods.

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::rest::{ApiError, API_PREFIX};
use tokio::sync::broadcast;

use super::Sim;

/// Default interval of the server's heartbeat pings (Kalshi: 10 s).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(10);

/// A fault delivered to every socket open when it is injected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocketFault {
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Keep answering and pinging, but send no data frame any more (a silent stall).
    Stall,
    /// Send this text frame as is (a malformed frame).
    Raw(String),
}

/// Shared fault switches.
#[derive(Debug)]
pub(crate) struct Faults {
    pub(crate) socket: broadcast::Sender<SocketFault>,
    heartbeat_ms: AtomicU64,
    rest_failures_left: AtomicU32,
    rest_failure_status: AtomicU16,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            socket: broadcast::channel(64).0,
            heartbeat_ms: AtomicU64::new(duration_ms(DEFAULT_HEARTBEAT)),
            rest_failures_left: AtomicU32::new(0),
            rest_failure_status: AtomicU16::new(0),
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Faults {
    /// Sends a fault to every open socket.
    pub(crate) fn socket(&self, fault: SocketFault) {
        let _ = self.socket.send(fault);
    }

    /// Current heartbeat interval.
    pub(crate) fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.load(Ordering::Relaxed).max(1))
    }

    pub(crate) fn set_heartbeat(&self, every: Duration) {
        self.heartbeat_ms
            .store(duration_ms(every), Ordering::Relaxed);
    }

    pub(crate) fn fail_rest(&self, status: StatusCode, count: u32) {
        self.rest_failure_status
            .store(status.as_u16(), Ordering::Relaxed);
        self.rest_failures_left.store(count, Ordering::Relaxed);
    }

    /// Takes one failure from the burst, if one is left.
    fn take_rest_failure(&self) -> Option<StatusCode> {
        self.rest_failures_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .ok()?;
        StatusCode::from_u16(self.rest_failure_status.load(Ordering::Relaxed)).ok()
    }
}

/// Middleware (outermost): answers REST calls under `/trade-api/v2` with the injected
/// status while a burst lasts, as Kalshi would (`{"code":…,"message":…}`).
pub(crate) async fn rest_faults(State(sim): State<Sim>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(API_PREFIX) {
        if let Some(status) = sim.faults.take_rest_failure() {
            let code = if status == StatusCode::TOO_MANY_REQUESTS {
                "too_many_requests"
            } else {
                "internal_server_error"
            };
            let body = ApiError {
                code: code.to_owned(),
                message: format!("injected fault: {status}"),
                details: None,
            };
            return (status, Json(body)).into_response();
        }
    }
    next.run(req).await
}

/// One fault for [`admin_router`]'s `POST /faults`, as JSON tagged by `fault`:
/// `{"fault":"drop"}`, `{"fault":"stall"}`, `{"fault":"skip_seq"}`, `{"fault":"repeat_seq"}`,
/// `{"fault":"raw","text":"not json"}`, `{"fault":"rest","status":429,"count":5}`,
/// `{"fault":"heartbeat","every_ms":60000}`,
/// `{"fault":"close_channel","channel":"orderbook_delta","code":10}`,
/// `{"fault":"flow","per_sec":200}`,
/// `{"fault":"settle","market_ticker":"KXDESKRAIN-26DEC-T3","result":"yes"}` (not a fault:
/// the market settles, see [`super::SimExchange::settle_market`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultRequest {
    /// Drop every socket without a close frame.
    Drop,
    /// Every socket keeps pinging but sends no data frame.
    Stall,
    /// The next frame on every book sid skips a `seq`.
    SkipSeq,
    /// The next frame on every book sid repeats the previous `seq`.
    RepeatSeq,
    /// Send this text frame on every socket.
    Raw {
        /// The frame, as is.
        text: String,
    },
    /// Answer the next `count` REST calls with `status` (e.g. 429, 503).
    Rest {
        /// HTTP status, 400–599.
        status: u16,
        /// How many calls.
        count: u32,
    },
    /// Heartbeat ping interval, ms (a long one delays pings).
    Heartbeat {
        /// Interval in milliseconds (≥ 1).
        every_ms: u64,
    },
    /// End every subscription on `channel` with terminal error `code` (10 or 25).
    CloseChannel {
        /// Channel name, e.g. `orderbook_delta`.
        channel: String,
        /// 10 (channel error) or 25 (buffer overflow).
        code: u32,
    },
    /// Background participant events per second.
    Flow {
        /// Events per second (0 stops the flow).
        per_sec: u32,
    },
    /// Settle a market (ends its trading; pays the winning side).
    Settle {
        /// Market.
        market_ticker: shared::ids::MarketTicker,
        /// The result: `yes` or `no`.
        result: shared::ids::Side,
    },
    /// Pause trading (maintenance) for `secs` seconds, or until `resume` when absent.
    Pause {
        /// Length of the pause, seconds.
        #[serde(default)]
        secs: Option<u64>,
    },
    /// End a trading pause.
    Resume,
}

/// The fault-injection admin API of a standalone exchange (`kalshi-desk sim
/// --fault-admin-port N`): `POST /faults` with a [`FaultRequest`] → `204`, or `400` with a
/// plain reason. Serve it only on a loopback listener ([`serve_admin`] refuses anything
/// else): it can break every client's connection.
pub fn admin_router(sim: super::SimExchange) -> axum::Router {
    axum::Router::new()
        .route("/faults", axum::routing::post(inject))
        .with_state(sim)
}

async fn inject(
    State(sim): State<super::SimExchange>,
    body: Result<Json<FaultRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(fault) = match body {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    match sim.inject(fault) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(reason) => (StatusCode::BAD_REQUEST, reason).into_response(),
    }
}

/// Serves [`admin_router`] on `listener` until the exchange shuts down.
///
/// # Errors
/// The listener is not bound to a loopback address.
pub async fn serve_admin(
    sim: super::SimExchange,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<std::net::SocketAddr> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        anyhow::bail!("the fault admin API only listens on loopback, not {addr}");
    }
    let stop = sim.inner.token.clone();
    let app = admin_router(sim);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "fault admin server failed");
        }
    });
    Ok(addr)
}
