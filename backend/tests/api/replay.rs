//! Kalshi's real recorded traffic through the desk: a scripted upstream serves the recorded
//! live WebSocket session (`ws-2026-05-20-live-replay`) in its recorded order to the desk's
//! real upstream task, and the recorded REST bodies (`rest-2026-01-prod-golden`) to every
//! read the desk makes; a `/ws` session and the `/api` routes must show what was recorded.
//!
//! The recording's quirks: an `ok` to `update_subscription` with `seq` 2 before the
//! `orderbook_snapshot` with `seq` 1, a snapshot of an empty book without level keys, an
//! `error` code 13 with a `sid` and no `id`, lifecycle frames for multivariate markets,
//! `ticker` frames without `seq`, a `user_order` on the `fill` sid. Its frames are a sample
//! of one session, so their order is not proof of Kalshi's wire order: the desk is also
//! given the `ok` after the snapshot. Either way: at most one resync, no reconnect, the
//! right book, the lifecycle events shown.
//!
//! The only liberty the script takes: a recorded `subscribed` reply carries the id of the
//! desk's own command for that channel (the recording's ids answered someone else's).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use desk_backend::config::{Config, KalshiEnv};
use desk_backend::Application;
use desk_testkit::contract::{fixtures_dir, recorded_frames};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use shared::auth::{Role, UserLimits};
use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg};
use tokio::sync::mpsc;

use crate::helpers::{user_session, Browser};

/// The recorded market with a book snapshot.
const BOOK_MARKET: &str = "KXMVESPORTSMULTIGAMEEXTENDED-S202686B833AA711-D1F4C9913CF";

fn recorded_rest(name: &str) -> Value {
    let path = fixtures_dir()
        .join("rest-2026-01-prod-golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("recorded JSON");
    v["response"].clone()
}

fn recording(ok_after_snapshot: bool) -> Vec<Value> {
    let path = fixtures_dir()
        .join("ws-2026-05-20-live-replay")
        .join("kalshi_live_replay_20260520.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut frames: Vec<Value> = recorded_frames(&text)
        .iter()
        .map(|f| serde_json::from_str(f).expect("recorded frame is JSON"))
        .collect();
    if ok_after_snapshot {
        let ok = frames
            .iter()
            .position(|f| f["type"] == "ok")
            .expect("an ok");
        let snap = frames
            .iter()
            .position(|f| f["type"] == "orderbook_snapshot")
            .expect("a snapshot");
        let frame = frames.remove(ok);
        frames.insert(snap, frame);
    }
    frames
}

/// What the scripted upstream saw.
#[derive(Default)]
struct Script {
    /// `update_subscription` `get_snapshot` commands (resyncs).
    snapshots_asked: AtomicUsize,
    /// Connections accepted.
    connections: AtomicUsize,
    ok_after_snapshot: bool,
}

async fn rest(Path(path): Path<String>) -> impl IntoResponse {
    let file = match path.as_str() {
        "exchange/status" => "exchange_status_response",
        "exchange/schedule" => "exchange_schedule_response",
        "exchange/user_data_timestamp" => "user_data_timestamp_response",
        "markets" => "markets_list_response",
        "markets/trades" => "trades_list_response",
        "events" => "events_list_response",
        "portfolio/balance" => "portfolio_balance_response",
        "portfolio/positions" => "portfolio_positions_response",
        "portfolio/fills" => "portfolio_fills_response",
        "portfolio/orders" => "portfolio_orders_response",
        "portfolio/orders/queue_positions" => "order_queue_positions_response",
        "portfolio/settlements" => "portfolio_settlements_response",
        "portfolio/order_groups" => "order_groups_list_response",
        "portfolio/summary/total_resting_order_value" => {
            "portfolio_total_resting_order_value_response"
        }
        p if p.starts_with("markets/") && p.ends_with("/orderbook") => "orderbook_response",
        p if p.starts_with("markets/") => "market_single_response",
        p if p.starts_with("events/") => "event_single_response",
        p if p.starts_with("series/") => "series_single_response",
        p if p.starts_with("portfolio/orders/") => "portfolio_order_single_response",
        p if p.starts_with("portfolio/order_groups/") => "order_group_single_response",
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"code": "not_found", "message": format!("no recording of {path}")})),
            )
        }
    };
    (StatusCode::OK, Json(recorded_rest(file)))
}

async fn upgrade(State(script): State<Arc<Script>>, ws: WebSocketUpgrade) -> impl IntoResponse {
    ws.on_upgrade(move |socket| replay(script, socket))
}

/// Serves the recording to one connection, then answers resyncs with the empty snapshot.
async fn replay(script: Arc<Script>, socket: WebSocket) {
    script.connections.fetch_add(1, Ordering::SeqCst);
    let (mut sink, mut stream) = socket.split();
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<Value>();
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            if let Message::Text(text) = msg {
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    let _ = cmd_tx.send(v);
                }
            }
        }
    });
    // Channel → the id of the desk's command that subscribed it; resyncs to answer.
    let mut asked: HashMap<String, Value> = HashMap::new();
    let mut pending: Vec<Value> = Vec::new();
    for mut frame in recording(script.ok_after_snapshot) {
        if frame["type"] == "subscribed" {
            let channel = frame["msg"]["channel"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while !asked.contains_key(&channel) {
                match tokio::time::timeout_at(deadline, cmd_rx.recv()).await {
                    Ok(Some(cmd)) => take(&script, cmd, &mut asked, &mut pending),
                    _ => break,
                }
            }
            match asked.get(&channel) {
                Some(id) => frame["id"] = id.clone(),
                None => continue, // the desk never asked for this channel
            }
        }
        while let Ok(cmd) = cmd_rx.try_recv() {
            take(&script, cmd, &mut asked, &mut pending);
        }
        if sink.send(Message::text(frame.to_string())).await.is_err() {
            return;
        }
    }
    // After the recording: a resync gets the (empty) book again, as Kalshi would send it.
    let mut seq = 2;
    loop {
        for cmd in pending.drain(..) {
            let sid = cmd["params"]["sids"][0].clone();
            let snapshot = json!({"type": "orderbook_snapshot", "sid": sid, "seq": seq,
                                  "msg": {"market_ticker": BOOK_MARKET}});
            seq += 1;
            if sink
                .send(Message::text(snapshot.to_string()))
                .await
                .is_err()
            {
                reader.abort();
                return;
            }
        }
        match cmd_rx.recv().await {
            Some(cmd) => take(&script, cmd, &mut asked, &mut pending),
            None => return,
        }
    }
}

/// Notes one command of the desk: the channels it subscribes, or a resync to answer.
fn take(script: &Script, cmd: Value, asked: &mut HashMap<String, Value>, pending: &mut Vec<Value>) {
    if cmd["cmd"] == "subscribe" {
        for ch in cmd["params"]["channels"].as_array().into_iter().flatten() {
            asked.insert(
                ch.as_str().unwrap_or_default().to_owned(),
                cmd["id"].clone(),
            );
        }
    } else if cmd["cmd"] == "update_subscription" && cmd["params"]["action"] == "get_snapshot" {
        script.snapshots_asked.fetch_add(1, Ordering::SeqCst);
        pending.push(cmd);
    }
}

/// A scripted Kalshi on a free port; returns its port.
async fn scripted_kalshi(script: Arc<Script>) -> u16 {
    let app = Router::new()
        .route("/trade-api/ws/v2", get(upgrade))
        .route("/trade-api/v2/{*path}", get(rest))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

struct ReplayDesk {
    port: u16,
    hub: desk_backend::live::hub::Hub,
    shutdown: tokio_util::sync::CancellationToken,
    session: crate::helpers::Session,
    _dir: tempfile::TempDir,
}

impl Drop for ReplayDesk {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn desk_on(kalshi_port: u16) -> ReplayDesk {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.pem");
    std::fs::write(&key, desk_testkit::keys::TestKey::ed25519().private_pem()).expect("key file");
    let mut config = Config::for_tests(PathBuf::from("/nonexistent-dist"));
    config.kalshi_env = Some(KalshiEnv::Demo);
    config.api_key_id = Some("replay".into());
    config.private_key_path = Some(key);
    config.rest_url = Some(format!("http://127.0.0.1:{kalshi_port}/trade-api/v2"));
    config.ws_url = Some(format!("ws://127.0.0.1:{kalshi_port}/trade-api/ws/v2"));
    let app = Application::build(config).await.expect("desk builds");
    let port = app.port();
    let hub = app.hub();
    let store = app.store();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let session = user_session(&store, port, "admin", Role::Admin, UserLimits::default()).await;
    ReplayDesk {
        port,
        hub,
        shutdown,
        session,
        _dir: dir,
    }
}

async fn replay_through_the_desk(ok_after_snapshot: bool) {
    let script = Arc::new(Script {
        ok_after_snapshot,
        ..Script::default()
    });
    let kalshi = scripted_kalshi(script.clone()).await;
    let desk = desk_on(kalshi).await;
    let mut browser: Browser = desk.session.browser().await;
    let market = MarketTicker::from(BOOK_MARKET);
    browser
        .send(&ClientMsg::Watch {
            market_ticker: market.clone(),
        })
        .await;

    // The empty recorded book, live (not stale) on the session.
    browser
        .until("the recorded (empty) book", |m| {
            matches!(m, ServerMsg::Book { market_ticker, stale: false, levels, .. }
                if *market_ticker == market && levels.yes.is_empty() && levels.no.is_empty())
        })
        .await;
    // The lifecycle frames, shown: a settled market, a combo created, an event created.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        if let ServerMsg::Lifecycle(l) = browser
            .until("lifecycle events", |m| matches!(m, ServerMsg::Lifecycle(_)))
            .await
        {
            seen.push(l);
        }
    }
    assert!(
        seen.iter().any(|l| l.event_type == "settled"
            && l.market_ticker.as_ref().map(MarketTicker::as_str)
                == Some("KXATPGTOTAL-26MAY19BLALLA-17")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.event_type == "created"), "{seen:?}");
    assert!(
        seen.iter().any(|l| l.event_type == "event_created"),
        "{seen:?}"
    );
    // The rest of the recording reaches the session too: the RFQ and the order.
    browser
        .until("the recorded user_order", |m| {
            matches!(m, ServerMsg::Order(_))
        })
        .await;
    browser.drain(Duration::from_millis(500)).await;

    let metrics = desk.hub.metrics();
    assert_eq!(metrics.upstream_connects.get(), 1, "no reconnect");
    assert_eq!(script.connections.load(Ordering::SeqCst), 1, "no reconnect");
    let resyncs = script.snapshots_asked.load(Ordering::SeqCst);
    assert!(resyncs <= 1, "{resyncs} resyncs: at most one, never a loop");
    assert!(metrics.seq_gaps.get() <= 1);
    let book = desk.hub.book(&market).expect("the watched book");
    assert!(!book.stale, "the book ends fresh");
    assert!(book.levels.yes.is_empty() && book.levels.no.is_empty());

    // Every read the desk makes, answered from the REST recordings.
    let get = |path: &'static str| {
        let http = desk.session.http();
        let url = format!("http://127.0.0.1:{}{path}", desk.port);
        async move {
            let resp = http.get(url).send().await.expect("request");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    let status = get("/api/status").await;
    assert_eq!(status["trading_active"], true, "{status}");
    let markets = get("/api/markets?limit=5").await;
    assert_eq!(
        markets["markets"].as_array().map(Vec::len),
        Some(5),
        "{markets}"
    );
    let one = get("/api/markets/KXMVENFLSINGLEGAME-S202513E70FA7695-688BECB3826").await;
    assert_eq!(
        one["ticker"], "KXMVENFLSINGLEGAME-S202513E70FA7695-688BECB3826",
        "{one}"
    );
    let events = get("/api/events?limit=5").await;
    assert!(events.to_string().contains("KXELONMARS-99"), "{events}");
    let portfolio = get("/api/portfolio").await;
    assert_eq!(
        portfolio["balance"], "100.0000",
        "legacy cents: {portfolio}"
    );
    assert_eq!(
        portfolio["positions"].as_array().map(Vec::len),
        Some(
            recorded_rest("portfolio_positions_response")["market_positions"]
                .as_array()
                .map_or(0, |p| p.iter().filter(|p| p["position"] != 0).count())
        ),
        "{portfolio}"
    );
    let fills = get("/api/fills").await;
    assert_eq!(fills["fills"].as_array().map(Vec::len), Some(5), "{fills}");
    assert_eq!(
        fills["fills"][0]["yes_price"], "0.6000",
        "legacy yes_price_fixed: {fills}"
    );
    assert_eq!(
        fills["fills"][0]["count"], "32.00",
        "legacy integer count: {fills}"
    );
    let settlements = get("/api/settlements").await;
    assert_eq!(
        settlements["settlements"].as_array().map(Vec::len),
        Some(1),
        "{settlements}"
    );
    let groups = get("/api/order_groups").await;
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups}");
    let orders = get("/api/orders").await;
    assert!(orders.is_array(), "{orders}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_live_session_in_its_recorded_order() {
    replay_through_the_desk(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_live_session_with_the_ok_after_the_snapshot() {
    replay_through_the_desk(true).await;
}
