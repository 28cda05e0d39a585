//! The WebSocket endpoint `/trade-api/ws/v2`: one session task per connection.
//!
//! The session owns the socket. It reads commands and hands them to the hub (under the
//! core lock), drains its bounded queue onto the socket, pings every 10 s (adjustable, see
//! [`super::faults`]) with body `heartbeat` (AsyncAPI `heartbeatPing`), answers client
//! pings, obeys injected socket faults, and on overflow sends error 25 on the overflowing
//! subscription and closes.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use shared::ws::{error_code, ErrorMsg};
use tokio::sync::{mpsc, oneshot};

use super::auth::Caller;
use super::engine::AccountId;
use super::error::SimError;
use super::faults::SocketFault;
use super::hub::QUEUE_CAPACITY;
use super::wire::OutFrame;
use super::{now_ms, Sim};

/// How often a session checks whether a heartbeat ping is due.
const HEARTBEAT_CHECK: Duration = Duration::from_millis(50);

/// `GET /trade-api/ws/v2` (authenticated by the middleware) → upgrade.
pub async fn upgrade(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, SimError> {
    let ws = ws.map_err(|e| SimError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let tracker = sim.sessions.clone();
    Ok(ws.on_upgrade(move |socket| async move {
        tracker.track_future(session(sim, caller.0, socket)).await;
    }))
}

/// Sends one frame, stamped with `sending_ts_ms` (Unix ms as it leaves; Kalshi API 3.34)
/// after its own fields.
async fn send(socket: &mut WebSocket, frame: &OutFrame) -> bool {
    match serde_json::to_string(frame) {
        Ok(mut text) => {
            if text.ends_with('}') {
                text.pop();
                text.push_str(&format!(",\"sending_ts_ms\":{}}}", now_ms()));
            }
            socket.send(Message::Text(text.into())).await.is_ok()
        }
        Err(e) => {
            tracing::warn!(error = %e, "unserializable frame dropped");
            true
        }
    }
}

async fn session(sim: Sim, account: AccountId, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::channel::<OutFrame>(QUEUE_CAPACITY);
    let (overflow_tx, mut overflow_rx) = oneshot::channel();
    let conn = sim.lock().hub.add(account, tx, overflow_tx);
    let mut faults = sim.faults.socket.subscribe();
    let mut stalled = false;
    let mut last_ping = tokio::time::Instant::now();
    let mut heartbeat = tokio::time::interval(HEARTBEAT_CHECK);
    loop {
        tokio::select! {
            biased;
            () = sim.token.cancelled() => {
                let _ = socket.send(Message::Close(Some(CloseFrame { code: 1001, reason: "server shutting down".into() }))).await;
                break;
            }
            sid = &mut overflow_rx => {
                if let Ok(sid) = sid {
                    let frame = OutFrame::Error {
                        id: None,
                        sid: Some(sid),
                        seq: None,
                        msg: ErrorMsg { code: error_code::BUFFER_OVERFLOW, msg: "Subscription buffer overflow".to_owned(), market_ticker: None },
                    };
                    let _ = send(&mut socket, &frame).await;
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1008, reason: "subscription buffer overflow".into() }))).await;
                }
                break;
            }
            fault = faults.recv() => match fault {
                Ok(SocketFault::Drop) => break,
                Ok(SocketFault::Stall) => stalled = true,
                Ok(SocketFault::Raw(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(_) => {}
            },
            frame = rx.recv() => {
                let Some(frame) = frame else { break };
                // A stalled socket drains its queue (no overflow) but sends nothing.
                if !stalled && !send(&mut socket, &frame).await {
                    break;
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let now = now_ms();
                        let mut core = sim.lock();
                        let core = &mut *core;
                        core.hub.command(conn, text.as_str(), &core.engine, now);
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        let now = now_ms();
                        let mut core = sim.lock();
                        let core = &mut *core;
                        core.hub.command(conn, &text, &core.engine, now);
                    }
                    Some(Ok(Message::Ping(payload))) => {
                        if socket.send(Message::Pong(payload)).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                }
            }
            _ = heartbeat.tick() => {
                if last_ping.elapsed() >= sim.faults.heartbeat() {
                    last_ping = tokio::time::Instant::now();
                    if socket.send(Message::Ping(Bytes::from_static(b"heartbeat"))).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    sim.lock().hub.remove(conn);
}
