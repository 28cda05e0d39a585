//! Socket-level tests of the simulated exchange: real sockets on 127.0.0.1 port 0, real
//! 2048-bit RSA keys made once per test binary, signed by the test kit's Kalshi signer (the
//! desk's own signer is not used on purpose). This file holds the shared kit (keys,
//! signed calls, socket helpers); the tests sit in `rest` (authentication, markets, the
//! order lifecycle, browsing), `socket` (sequencing, commands, private channels, flow,
//! fan-out), `groups` (order groups and subaccounts) and `rfq`.

use std::sync::OnceLock;
use std::time::Duration;

use desk_testkit::TestKey;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::num::{Count, Dollars};
use shared::ws::decode;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{now_ms, SimConfig, SimExchange};

mod groups;
mod rest;
mod rfq;
mod socket;

const T50: &str = "KXDESK-26DEC31-T50";
const T60: &str = "KXDESK-26DEC31-T60";

/// Three keys: alice and bob are registered, the third is a stranger.
fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| (0..3).map(|_| TestKey::rsa()).collect())
}

/// `key`'s public half as the exchange holds it. (The test kit's `sim_public_key` names the
/// copy of this crate the kit links, not the one under test.)
fn public(key: &TestKey) -> crate::PublicKey {
    crate::PublicKey::from_pem(&key.public_pem()).expect("SPKI PEM")
}

struct Who {
    key_id: &'static str,
    key: &'static TestKey,
}
fn alice() -> Who {
    Who {
        key_id: "alice",
        key: &keys()[0],
    }
}
fn bob() -> Who {
    Who {
        key_id: "bob",
        key: &keys()[1],
    }
}

async fn spawn_sim(flow_per_sec: u32, seed: u64) -> SimExchange {
    let ks = keys();
    let config = SimConfig {
        keys: vec![
            ("alice".into(), public(&ks[0])),
            ("bob".into(), public(&ks[1])),
        ],
        flow_per_sec,
        seed,
        starting_balance: Dollars::from_int(1_000),
        max_clock_skew_ms: 30_000,
        usage_tier: crate::UsageTier::BASIC,
        markets: 0,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimExchange::start(config, listener).await.unwrap()
}

/// A signed REST call; `path` may carry a query (not signed).
async fn call(
    sim: &SimExchange,
    who: &Who,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let ts = now_ms();
    let signed_path = path.split('?').next().unwrap_or(path);
    let sig = who.key.sign(ts, method, signed_path);
    raw_call(
        sim,
        method,
        path,
        body,
        &[
            ("KALSHI-ACCESS-KEY", who.key_id.to_owned()),
            ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
            ("KALSHI-ACCESS-SIGNATURE", sig),
        ],
    )
    .await
}

async fn raw_call(
    sim: &SimExchange,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let url = format!("http://127.0.0.1:{}{path}", sim.port());
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn order(ticker: &str, side: &str, price: &str, count: &str, tif: &str) -> Value {
    json!({"ticker": ticker, "side": side, "price": price, "count": count, "time_in_force": tif,
           "self_trade_prevention_type": "taker_at_cross", "client_order_id": format!("t-{side}-{price}-{count}")})
}

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(sim: &SimExchange, who: &Who) -> Ws {
    let ts = now_ms();
    let mut req = format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port())
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert("KALSHI-ACCESS-KEY", who.key_id.parse().unwrap());
    h.insert("KALSHI-ACCESS-TIMESTAMP", ts.to_string().parse().unwrap());
    h.insert(
        "KALSHI-ACCESS-SIGNATURE",
        who.key.sign(ts, "GET", "/trade-api/ws/v2").parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON frame (pings skipped), or `None` after `wait`.
async fn next_within(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert!(
                decode(t.as_str()).is_ok(),
                "shared::ws::decode reads every frame: {t}"
            );
            return Some(v);
        }
    }
}

async fn next(ws: &mut Ws) -> Value {
    next_within(ws, Duration::from_secs(5))
        .await
        .expect("a frame within 5 s")
}

fn levels_of(v: &Value, key: &str) -> Vec<(Dollars, Count)> {
    serde_json::from_value(v.get(key).cloned().unwrap_or(json!([]))).unwrap()
}
