//! A Kalshi client for conformance tests: every REST answer and every WebSocket frame it
//! receives is checked against Kalshi's contract as it arrives, and recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_testkit::contract::{contract, Violation};
use desk_testkit::keys::TestKey;
use futures_util::{SinkExt as _, StreamExt as _};
use kalshi_sim::{SimConfig, SimExchange};
use serde_json::Value;
use shared::num::Dollars;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What the conformance run saw.
#[derive(Debug, Default)]
pub struct Record {
    /// Every contract violation not excused by the errata.
    pub violations: Vec<Violation>,
    /// `operationId` → statuses answered (each answer validated).
    pub operations: BTreeMap<String, BTreeSet<u16>>,
    /// Frame `type` → frames received (each validated).
    pub frames: BTreeMap<String, usize>,
    /// Answers that carried a `Retry-After` header (Kalshi sends none).
    pub retry_after: usize,
}

/// The shared record.
pub type Recorder = Arc<Mutex<Record>>;

fn record(rec: &Recorder) -> std::sync::MutexGuard<'_, Record> {
    rec.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One Kalshi user of the exchange.
#[derive(Clone)]
pub struct Trader {
    pub key_id: String,
    key: Arc<TestKey>,
    port: u16,
    http: reqwest::Client,
    rec: Recorder,
}

/// An exchange with registered users, and the recorder their clients share.
pub struct World {
    pub sim: SimExchange,
    pub rec: Recorder,
    pub traders: Vec<Trader>,
}

/// Starts an exchange with one Ed25519 key per name (RSA for the first, so both
/// verifications run), each account funded with $1,000 and on API usage tier `tier`.
pub async fn world(names: &[&str], flow_per_sec: u32, tier: &str) -> World {
    let keys: Vec<(String, Arc<TestKey>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let key = if i == 0 {
                TestKey::rsa()
            } else {
                TestKey::ed25519()
            };
            ((*n).to_owned(), Arc::new(key))
        })
        .collect();
    let config = SimConfig {
        keys: keys
            .iter()
            .map(|(n, k)| {
                let public = k.sim_public_key();
                (n.clone(), public)
            })
            .collect(),
        flow_per_sec,
        seed: 11,
        starting_balance: Dollars::from_int(1_000),
        max_clock_skew_ms: 30_000,
        usage_tier: kalshi_sim::UsageTier::named(tier).expect("a usage tier"),
        markets: 0,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let sim = SimExchange::start(config, listener).await.expect("start");
    let rec = Recorder::default();
    let http = reqwest::Client::new();
    let traders = keys
        .into_iter()
        .map(|(key_id, key)| Trader {
            key_id,
            key,
            port: sim.port(),
            http: http.clone(),
            rec: rec.clone(),
        })
        .collect();
    World { sim, rec, traders }
}

impl Trader {
    /// A signed REST call; `path` is relative to `/trade-api/v2` and may carry a query.
    /// The answer is checked against the contract of the operation it hits.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, body.map(|b| b.to_string()), true)
            .await
    }

    /// The same user signing with another of its keys.
    pub fn with_key(&self, key_id: &str, key: TestKey) -> Trader {
        Trader {
            key_id: key_id.to_owned(),
            key: Arc::new(key),
            ..self.clone()
        }
    }

    /// The same user signing with a private key the exchange generated (PKCS#8 PEM).
    pub fn with_private_pem(&self, key_id: &str, pem: &str) -> Trader {
        self.with_key(
            key_id,
            TestKey::from_private_pem(pem).expect("a private key PEM"),
        )
    }

    /// A call without the `KALSHI-ACCESS-*` headers (public market data).
    pub async fn public(&self, method: &str, path: &str) -> (u16, Value) {
        self.send(method, path, None, false).await
    }

    /// A call with a raw (possibly malformed) body.
    pub async fn call_raw(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        self.send(method, path, Some(body.to_owned()), true).await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        signed: bool,
    ) -> (u16, Value) {
        let full = format!("/trade-api/v2{path}");
        let url = format!("http://127.0.0.1:{}{full}", self.port);
        let mut req = self.http.request(method.parse().expect("method"), url);
        if signed {
            for (k, v) in self.key.headers(&self.key_id, method, &full) {
                req = req.header(k, v);
            }
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let retry_after = resp.headers().contains_key("retry-after");
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        let found = if value.is_null() && (status == 204 || status < 300) {
            // A bodiless answer: only the status is checked.
            contract()
                .check_response(method, path, status, &serde_json::json!({}))
                .into_iter()
                .filter(|v| v.subject.ends_with(" status"))
                .collect()
        } else {
            contract().check_response(method, path, status, &value)
        };
        let mut r = record(&self.rec);
        r.retry_after += usize::from(retry_after);
        if let Some(op) = contract().find_operation(method, path) {
            r.operations
                .entry(op.id.clone())
                .or_default()
                .insert(status);
        }
        for v in &found {
            eprintln!("VIOLATION {v}");
        }
        r.violations.extend(found);
        (status, value)
    }

    /// Opens the authenticated socket.
    pub async fn socket(&self) -> Socket {
        let path = "/trade-api/ws/v2";
        let mut req = format!("ws://127.0.0.1:{}{path}", self.port)
            .into_client_request()
            .expect("request");
        for (k, v) in self.key.headers(&self.key_id, "GET", path) {
            req.headers_mut().insert(k, v.parse().expect("header"));
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await.expect("socket");
        Socket {
            ws,
            rec: self.rec.clone(),
            next_id: 1,
            seen: Vec::new(),
        }
    }
}

/// A WebSocket whose every received frame is checked and recorded.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    rec: Recorder,
    next_id: u64,
    /// Every frame received, in order.
    pub seen: Vec<Value>,
}

impl Socket {
    /// Sends a command with the next `id`; returns the id.
    pub async fn command(&mut self, cmd: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let text = serde_json::json!({"id": id, "cmd": cmd, "params": params}).to_string();
        self.ws.send(Message::text(text)).await.expect("send");
        id
    }

    /// Subscribes `channels` (with `market_tickers` when given) and waits for the ack.
    pub async fn subscribe(&mut self, channels: &[&str], markets: Option<&[&str]>) {
        let mut params = serde_json::json!({"channels": channels});
        if let Some(m) = markets {
            params["market_tickers"] = serde_json::json!(m);
        }
        let id = self.command("subscribe", params).await;
        for _ in 0..channels.len() {
            self.expect_where(|v| v["type"] == "subscribed" && v["id"] == id)
                .await;
        }
    }

    /// The next frame within `wait` (text frames only; pings are answered by the library).
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
                .ok()?;
            let Message::Text(text) = msg else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("frame is JSON");
            assert!(
                value["sending_ts_ms"].is_i64(),
                "every frame carries sending_ts_ms (Kalshi API 3.34): {value}"
            );
            let found = contract().check_frame(&value);
            let mut r = record(&self.rec);
            *r.frames
                .entry(value["type"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
            for v in &found {
                eprintln!("VIOLATION {v} in {value}");
            }
            r.violations.extend(found);
            drop(r);
            self.seen.push(value.clone());
            return Some(value);
        }
    }

    /// Reads frames until one satisfies `want` (5 s at most).
    pub async fn expect_where(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no expected frame; saw {:?}", self.tail()));
            if want(&v) {
                return v;
            }
        }
    }

    /// Reads the next frame of `kind` (5 s at most), checking every frame on the way.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(|v| v["type"] == kind).await
    }

    /// Reads (and checks) whatever arrives for `wait`.
    pub async fn drain(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Some(_v) = self
            .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {}
    }

    fn tail(&self) -> Vec<&Value> {
        self.seen.iter().rev().take(5).collect()
    }
}
