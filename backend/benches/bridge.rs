//! Bridge benchmarks, one run, side by side; writes `bench-results/bridge.json`.
//!
//! ```sh
//! cargo bench -p desk-backend --bench bridge
//! ```
//!
//! 1. Fan-out over real sockets (module `sockets`): a feed server → the desk's upstream read
//!    → the production `/ws` path → N WebSocket clients, against a plain tokio-tungstenite
//!    relay over the same sockets; throughput for 1, 10, 100, 500 sessions and latency at
//!    5,000 frames/s into 100 sessions (also while signing 100 orders/s).
//!    In process, without sockets, to isolate the bridge's own cost: one producer feeds N
//!    sessions (1, 10, 100, 500). "desk" is the real path
//!    after the socket read: `shared::ws::decode` → `Hub::apply_delta` (exact book, version,
//!    JSON once) → broadcast → `run_session` (filter, version floor) → the session's sink.
//!    "relay" forwards the raw frame text through the same kind of broadcast to the same
//!    sinks without parsing: the ceiling. Sinks are in-process channels (no kernel socket
//!    on either side), so the ratio isolates the bridge's own cost.
//! 2. Book delta apply (ns/delta): `OrderBook` (a `BTreeMap` ladder) against a dense tick
//!    array (O(1)) and a bare `BTreeMap<i64, i64>`.
//! 3. Signing: RSA-2048 PSS signatures/s (the desk's `Signer`, which uses OpenSSL, and the
//!    pure-Rust `rsa` crate; one core) against
//!    `openssl speed -seconds 3 rsa2048` (sign/s, one core), and the fan-out p99 while 100
//!    orders/s are signed on the blocking pool.
//! 4. Resident memory with 100 sessions watching 50 books each.
//!
//! With `DESK_BRIDGE_PROFILE=desk|relay` it runs only one paced socket fan-out
//! (`DESK_BRIDGE_PROFILE_SESSIONS`, default 100; `DESK_BRIDGE_PROFILE_FRAMES`, default
//! 1,000; `DESK_BRIDGE_PROFILE_RATE`, default 100 frames/s) and writes nothing: the run `scripts/profile_bridge.sh` gives
//! to callgrind to count instructions per delivered frame.

// Statistics and rates are floating point here; money never is.
#![allow(
    clippy::float_arithmetic,
    clippy::manual_is_multiple_of,
    clippy::manual_checked_ops
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use desk_backend::http::stream::{run_session, SessionInput};
use desk_backend::kalshi::signer::Signer;
use desk_backend::live::hub::{Hub, FANOUT_CAPACITY};
use futures_channel::mpsc as fmpsc;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shared::book::{BookLevels, OrderBook};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{Environment, UpstreamState};

use shared::ws::{Incoming, ServerFrame};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

const MARKET: &str = "KXBENCH-1";

fn delta_text(k: u64) -> String {
    // Levels cycle over 50 prices, +1 then -1 so the book stays bounded.
    let price_milli = 300 + (k % 50) * 7; // subpenny: 0.300, 0.307, …
    let sign = if (k / 50) % 2 == 0 { "1.00" } else { "-1.00" };
    json!({
        "type": "orderbook_delta", "sid": 2, "seq": k + 2,
        "msg": {"market_ticker": MARKET, "price_dollars": format!("0.{price_milli:03}0"),
                "delta_fp": sign, "side": if k % 2 == 0 { "yes" } else { "no" }}
    })
    .to_string()
}

fn seed_levels() -> BookLevels {
    let mut levels = BookLevels::default();
    for i in 0..50 {
        let p = Dollars::from_raw(300_000 + i * 7_000);
        levels.yes.push((p, Count::from_int(100)));
        levels.no.push((p, Count::from_int(100)));
    }
    levels
}

/// Nanoseconds since `base` for frame k (0 = not sent yet).
struct SendTimes {
    base: Instant,
    ns: Vec<AtomicU64>,
}

impl SendTimes {
    fn new(n: usize) -> Arc<SendTimes> {
        Arc::new(SendTimes {
            base: Instant::now(),
            ns: (0..n).map(|_| AtomicU64::new(0)).collect(),
        })
    }
    fn mark(&self, k: usize) {
        let ns = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.ns[k].store(ns.max(1), Ordering::Release);
    }
    fn latency_ns(&self, k: usize) -> Option<u64> {
        let sent = self.ns.get(k)?.load(Ordering::Acquire);
        let now = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        (sent > 0).then(|| now.saturating_sub(sent))
    }
}

#[derive(Debug, Default)]
struct RunResult {
    frames_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    conflations: u64,
    /// Process CPU (every thread: feed, path and clients) per frame delivered to one
    /// session, microseconds; 0 where not measured.
    cpu_us_per_delivery: f64,
}

/// What a consumer saw.
struct Seen {
    latencies: Vec<u64>,
    conflated: bool,
}

/// Reads one session's sink; frame k of the feed is the k-th `level` frame (desk) or the
/// k-th frame (relay); `upstream` (desk) / `END` (relay) ends it.
async fn consume<T: std::ops::Deref<Target = str>>(
    mut rx: impl futures_util::Stream<Item = T> + Unpin,
    times: Arc<SendTimes>,
    desk: bool,
) -> Seen {
    let mut k = 0usize;
    let mut seen = Seen {
        latencies: Vec::with_capacity(times.ns.len()),
        conflated: false,
    };
    let mut started = !desk;
    while let Some(text) = rx.next().await {
        if desk {
            if text.contains("\"type\":\"upstream\"") {
                break;
            }
            if text.contains("\"type\":\"book\"") {
                if started {
                    seen.conflated = true;
                }
                started = true;
                continue;
            }
            if !text.contains("\"type\":\"level\"") {
                continue;
            }
        } else if &*text == "END" {
            break;
        }
        if !seen.conflated {
            if let Some(l) = times.latency_ns(k) {
                seen.latencies.push(l);
            }
        }
        k += 1;
    }
    seen
}

/// Waits for every consumer; a consumer that panicked counts as conflated, with no samples.
async fn join_consumers(consumers: Vec<tokio::task::JoinHandle<Seen>>) -> Vec<Seen> {
    let mut seen = Vec::with_capacity(consumers.len());
    for c in consumers {
        seen.push(c.await.unwrap_or(Seen {
            latencies: Vec::new(),
            conflated: true,
        }));
    }
    seen
}

/// Nearest-rank percentile of `sorted` microseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], pct: usize) -> f64 {
    desk_testkit::bench::percentile(sorted, pct) as f64 / 1_000.0
}

fn summarize(seen: Vec<Seen>, frames: usize, elapsed: Duration) -> RunResult {
    let conflations = seen.iter().filter(|s| s.conflated).count() as u64;
    let mut all: Vec<u64> = seen.into_iter().flat_map(|s| s.latencies).collect();
    all.sort_unstable();
    RunResult {
        frames_per_sec: frames as f64 / elapsed.as_secs_f64(),
        p50_us: percentile_ms(&all, 50),
        p99_us: percentile_ms(&all, 99),
        conflations,
        cpu_us_per_delivery: 0.0,
    }
}

/// Paces `frames` at `rate` per second (0 = as fast as possible), calling `send(k)`.
async fn pace(frames: usize, rate: u64, mut send: impl FnMut(usize)) {
    let start = Instant::now();
    for k in 0..frames {
        if rate > 0 {
            let due = start + Duration::from_nanos(k as u64 * 1_000_000_000 / rate);
            let now = Instant::now();
            if due > now + Duration::from_micros(200) {
                tokio::time::sleep(due - now).await;
            }
        }
        send(k);
        if k % 64 == 63 {
            tokio::task::yield_now().await;
        }
    }
}

async fn run_desk(sessions: usize, frames: usize, rate: u64) -> RunResult {
    let (hub, mut upstream_rx) = Hub::new(Environment::Sim);
    tokio::spawn(async move { while upstream_rx.recv().await.is_some() {} });
    let market = MarketTicker::from(MARKET);
    let times = SendTimes::new(frames);
    let cancel = CancellationToken::new();
    let mut consumers = Vec::new();
    let mut inputs = Vec::new();
    for _ in 0..sessions {
        let (out_tx, out_rx) = fmpsc::channel::<Utf8Bytes>(FANOUT_CAPACITY);
        let (mut in_tx, in_rx) = fmpsc::channel::<SessionInput>(8);
        tokio::spawn(run_session(
            hub.clone(),
            None,
            out_tx,
            in_rx,
            cancel.clone(),
        ));
        in_tx
            .send(SessionInput::Text(
                json!({"op":"watch","market_ticker":MARKET}).to_string(),
            ))
            .await
            .ok();
        inputs.push(in_tx);
        consumers.push(tokio::spawn(consume(out_rx, times.clone(), true)));
    }
    while hub.watcher_count(&market) < sessions {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The state stays `Connecting` until the end: `Down` is the end marker.
    hub.apply_snapshot(&market, seed_levels());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let texts: Vec<String> = (0..frames as u64).map(delta_text).collect();
    let start = Instant::now();
    let h = hub.clone();
    pace(frames, rate, |k| {
        times.mark(k);
        // What the upstream task does per frame.
        if let Ok(Incoming::Known(ServerFrame::OrderbookDelta { msg, .. })) =
            shared::ws::decode(&texts[k])
        {
            if let (Some(p), Some(d)) = (msg.level_price(), msg.level_delta()) {
                h.apply_delta(&msg.market_ticker, msg.side, p, d);
            }
        }
    })
    .await;
    hub.set_upstream_state(UpstreamState::Down);
    let seen = join_consumers(consumers).await;
    let elapsed = start.elapsed();
    cancel.cancel();
    drop(inputs);
    summarize(seen, frames, elapsed)
}

async fn run_relay(sessions: usize, frames: usize, rate: u64) -> RunResult {
    let (tx, _) = broadcast::channel::<Arc<str>>(FANOUT_CAPACITY);
    let times = SendTimes::new(frames);
    let mut consumers = Vec::new();
    for _ in 0..sessions {
        let (mut out_tx, out_rx) = fmpsc::channel::<String>(FANOUT_CAPACITY);
        let mut rx = tx.subscribe();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(t) => {
                        if out_tx.send(t.to_string()).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        consumers.push(tokio::spawn(consume(out_rx, times.clone(), false)));
    }
    let texts: Vec<Arc<str>> = (0..frames as u64).map(|k| delta_text(k).into()).collect();
    let start = Instant::now();
    pace(frames, rate, |k| {
        times.mark(k);
        let _ = tx.send(texts[k].clone());
    })
    .await;
    let _ = tx.send("END".into());
    let seen = join_consumers(consumers).await;
    summarize(seen, frames, start.elapsed())
}

/// Real sockets end to end: a feed server sends the frames over a WebSocket (upstream in);
/// "desk" reads them like the upstream task (decode → `Hub::apply_delta`) and serves each
/// browser through the production `/ws` path (`http::stream::serve_socket`, axum);
/// "relay" is plain tokio-tungstenite: the same feed read as text, broadcast unparsed, and
/// written to each client socket (draining what is queued before one flush, as the desk
/// does). N tokio-tungstenite clients measure feed send → client receive.
mod sockets {
    use super::*;
    use tokio::net::{TcpListener, TcpStream};
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

    /// Serves one feed connection on a fresh port; sends `texts` paced at `rate` once the
    /// reader connects, marking send times, then `END`.
    async fn feed(
        texts: Arc<Vec<String>>,
        rate: u64,
        times: Arc<SendTimes>,
    ) -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind feed");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            // Wait for "go" (every session is connected and watching).
            while let Some(Ok(m)) = stream.next().await {
                if m.to_text().is_ok_and(|t| t == "go") {
                    break;
                }
            }
            let start = Instant::now();
            for k in 0..texts.len() {
                if rate > 0 {
                    let due = start + Duration::from_nanos(k as u64 * 1_000_000_000 / rate);
                    let now = Instant::now();
                    if due > now + Duration::from_micros(200) {
                        tokio::time::sleep(due - now).await;
                    }
                }
                times.mark(k);
                if sink.send(WsMessage::text(texts[k].clone())).await.is_err() {
                    return;
                }
            }
            let _ = sink.send(WsMessage::text("END")).await;
            let _ = stream.next().await; // hold the socket until the reader closes
        });
        (port, task)
    }

    /// A browser stand-in: a plain-TCP WebSocket client with Nagle off, reading 4 KiB at a
    /// time (tungstenite zero-fills its whole read chunk on every read; a browser does not,
    /// and at the default 128 KiB the clients' fills were half of a profile's instructions).
    async fn connect(url: &str) -> Ws {
        connect_with(url, WebSocketConfig::default().read_buffer_size(4 * 1024)).await
    }

    /// A plain-TCP WebSocket client with Nagle off and `config`.
    async fn connect_with(url: &str, config: WebSocketConfig) -> Ws {
        let addr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let tcp = TcpStream::connect(addr).await.expect("tcp");
        let _ = tcp.set_nodelay(true);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config))
            .await
            .expect("handshake");
        ws
    }

    fn texts_of(ws: Ws) -> impl futures_util::Stream<Item = String> + Unpin {
        Box::pin(
            ws.take_while(|m| futures_util::future::ready(m.is_ok()))
                .filter_map(|m| async move {
                    match m {
                        Ok(WsMessage::Text(t)) => Some(t.to_string()),
                        _ => None,
                    }
                }),
        )
    }

    pub async fn run_desk(sessions: usize, frames: usize, rate: u64) -> RunResult {
        let (hub, mut upstream_rx) = Hub::new(Environment::Sim);
        tokio::spawn(async move { while upstream_rx.recv().await.is_some() {} });
        let market = MarketTicker::from(MARKET);
        let cancel = CancellationToken::new();
        let app = {
            let (hub, cancel) = (hub.clone(), cancel.clone());
            axum::Router::new().route(
                "/ws",
                axum::routing::get(move |ws: axum::extract::ws::WebSocketUpgrade| {
                    let (hub, cancel) = (hub.clone(), cancel.clone());
                    async move {
                        desk_backend::http::stream::configure(ws).on_upgrade(move |socket| {
                            desk_backend::http::stream::serve_socket(socket, hub, None, cancel)
                        })
                    }
                }),
            )
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind desk");
        let port = listener.local_addr().expect("addr").port();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let _ = axum::serve(desk_backend::http::low_latency(listener), app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        });
        let times = SendTimes::new(frames);
        let mut consumers = Vec::new();
        for _ in 0..sessions {
            let mut ws = connect(&format!("ws://127.0.0.1:{port}/ws")).await;
            ws.send(WsMessage::text(
                json!({"op":"watch","market_ticker":MARKET}).to_string(),
            ))
            .await
            .expect("watch");
            consumers.push(tokio::spawn(consume(texts_of(ws), times.clone(), true)));
        }
        while hub.watcher_count(&market) < sessions {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        hub.apply_snapshot(&market, seed_levels());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let texts: Arc<Vec<String>> = Arc::new((0..frames as u64).map(delta_text).collect());
        let (feed_port, feed_task) = feed(texts, rate, times.clone()).await;
        let mut upstream = connect_with(
            &format!("ws://127.0.0.1:{feed_port}/"),
            desk_backend::kalshi::upstream::socket_config(),
        )
        .await;
        upstream.send(WsMessage::text("go")).await.expect("go");
        let start = Instant::now();
        let cpu = desk_testkit::bench::cpu_seconds();
        // The upstream reader: what `upstream.rs` does per frame.
        while let Some(Ok(m)) = upstream.next().await {
            let Ok(text) = m.to_text() else { continue };
            if text == "END" {
                break;
            }
            if let Ok(Incoming::Known(ServerFrame::OrderbookDelta { msg, .. })) =
                shared::ws::decode(text)
            {
                if let (Some(p), Some(d)) = (msg.level_price(), msg.level_delta()) {
                    hub.apply_delta(&msg.market_ticker, msg.side, p, d);
                }
            }
        }
        hub.set_upstream_state(UpstreamState::Down);
        let seen = join_consumers(consumers).await;
        let elapsed = start.elapsed();
        let cpu = cpu_per_delivery(cpu, frames * sessions);
        let _ = upstream.close(None).await;
        let _ = feed_task.await;
        cancel.cancel();
        RunResult {
            cpu_us_per_delivery: cpu,
            ..summarize(seen, frames, elapsed)
        }
    }

    pub async fn run_relay(sessions: usize, frames: usize, rate: u64) -> RunResult {
        let (tx, _) = broadcast::channel::<Arc<str>>(FANOUT_CAPACITY);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("addr").port();
        let accept_tx = tx.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                let mut rx = accept_tx.subscribe();
                tokio::spawn(async move {
                    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    let (mut sink, _stream) = ws.split();
                    loop {
                        let first = match rx.recv().await {
                            Ok(t) => t,
                            Err(broadcast::error::RecvError::Lagged(_)) => continue,
                            Err(broadcast::error::RecvError::Closed) => break,
                        };
                        if sink.feed(WsMessage::text(first.to_string())).await.is_err() {
                            break;
                        }
                        for _ in 1..64 {
                            match rx.try_recv() {
                                Ok(t) => {
                                    if sink.feed(WsMessage::text(t.to_string())).await.is_err() {
                                        return;
                                    }
                                }
                                Err(_) => break,
                            }
                        }
                        if sink.flush().await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let times = SendTimes::new(frames);
        let mut consumers = Vec::new();
        for _ in 0..sessions {
            let ws = connect(&format!("ws://127.0.0.1:{port}/")).await;
            consumers.push(tokio::spawn(consume(texts_of(ws), times.clone(), false)));
        }
        while tx.receiver_count() < sessions {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let texts: Arc<Vec<String>> = Arc::new((0..frames as u64).map(delta_text).collect());
        let (feed_port, feed_task) = feed(texts, rate, times.clone()).await;
        let mut upstream = connect_with(
            &format!("ws://127.0.0.1:{feed_port}/"),
            desk_backend::kalshi::upstream::socket_config(),
        )
        .await;
        upstream.send(WsMessage::text("go")).await.expect("go");
        let start = Instant::now();
        let cpu = desk_testkit::bench::cpu_seconds();
        while let Some(Ok(m)) = upstream.next().await {
            let Ok(text) = m.to_text() else { continue };
            let end = text == "END";
            let _ = tx.send(Arc::from(text));
            if end {
                break;
            }
        }
        let seen = join_consumers(consumers).await;
        let elapsed = start.elapsed();
        let cpu = cpu_per_delivery(cpu, frames * sessions);
        let _ = upstream.close(None).await;
        let _ = feed_task.await;
        accepting.abort();
        RunResult {
            cpu_us_per_delivery: cpu,
            ..summarize(seen, frames, elapsed)
        }
    }

    /// CPU microseconds since `before` per delivery (0 when unreadable).
    fn cpu_per_delivery(before: Option<f64>, deliveries: usize) -> f64 {
        match (before, desk_testkit::bench::cpu_seconds()) {
            (Some(a), Some(b)) => (b - a) * 1e6 / deliveries.max(1) as f64,
            _ => 0.0,
        }
    }
}

fn bench_books() -> serde_json::Value {
    const N: usize = 2_000_000;
    let deltas: Vec<(Side, Dollars, Count)> = (0..N as u64)
        .map(|k| {
            let side = if k % 2 == 0 { Side::Yes } else { Side::No };
            let price =
                Dollars::from_raw(i64::try_from(300_000 + (k * 7919 % 200) * 1_000).unwrap_or(0));
            let d = if (k / 400) % 2 == 0 { 1 } else { -1 };
            (side, price, Count::from_int(d))
        })
        .collect();
    let mut book = OrderBook::from_levels(&seed_levels());
    for (s, p, _) in &deltas[..400] {
        let _ = book.apply_delta(*s, *p, Count::from_int(1_000));
    }
    let t = Instant::now();
    for (s, p, d) in &deltas {
        let _ = std::hint::black_box(book.apply_delta(*s, *p, *d));
    }
    let orderbook_ns = t.elapsed().as_nanos() as f64 / N as f64;

    let mut bt: [BTreeMap<i64, i64>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let t = Instant::now();
    for (s, p, d) in &deltas {
        let ladder = &mut bt[usize::from(*s == Side::No)];
        let e = ladder.entry(p.raw()).or_insert(1_000_000);
        *e += d.raw();
        if *e == 0 {
            ladder.remove(&p.raw());
        }
        std::hint::black_box(&ladder);
    }
    let btree_ns = t.elapsed().as_nanos() as f64 / N as f64;

    // Dense: one slot per 0.001 tick (1,001 per side).
    let mut dense = vec![[0i64; 1_001]; 2];
    let t = Instant::now();
    for (s, p, d) in &deltas {
        let i = usize::try_from(p.raw() / 1_000).unwrap_or(0).min(1_000);
        let slot = &mut dense[usize::from(*s == Side::No)][i];
        let now = *slot + d.raw();
        if now >= 0 {
            *slot = now;
        }
        std::hint::black_box(slot);
    }
    let dense_ns = t.elapsed().as_nanos() as f64 / N as f64;
    json!({
        "deltas": N,
        "orderbook_btreemap_ns_per_delta": orderbook_ns,
        "bare_btreemap_ns_per_delta": btree_ns,
        "dense_tick_array_ns_per_delta": dense_ns,
        "orderbook_vs_bare_btreemap": orderbook_ns / btree_ns,
    })
}

fn rss_mb() -> f64 {
    desk_testkit::bench::rss_mib().unwrap_or(f64::NAN)
}

async fn bench_memory() -> serde_json::Value {
    let before = rss_mb();
    let (hub, mut upstream_rx) = Hub::new(Environment::Sim);
    tokio::spawn(async move { while upstream_rx.recv().await.is_some() {} });
    let cancel = CancellationToken::new();
    let markets: Vec<MarketTicker> = (0..50)
        .map(|i| MarketTicker::from(format!("KXMEM-{i}").as_str()))
        .collect();
    let mut keep = Vec::new();
    for _ in 0..100 {
        let (out_tx, mut out_rx) = fmpsc::channel::<Utf8Bytes>(FANOUT_CAPACITY);
        let (mut in_tx, in_rx) = fmpsc::channel::<SessionInput>(64);
        tokio::spawn(run_session(
            hub.clone(),
            None,
            out_tx,
            in_rx,
            cancel.clone(),
        ));
        tokio::spawn(async move { while out_rx.next().await.is_some() {} });
        for m in &markets {
            in_tx
                .send(SessionInput::Text(
                    json!({"op":"watch","market_ticker":m}).to_string(),
                ))
                .await
                .ok();
        }
        keep.push(in_tx);
    }
    while markets.iter().any(|m| hub.watcher_count(m) < 100) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for m in &markets {
        hub.apply_snapshot(m, seed_levels());
    }
    for k in 0..50_000u64 {
        let m = &markets[(k % 50) as usize];
        let p = Dollars::from_raw(300_000 + i64::try_from(k % 50).unwrap_or(0) * 7_000);
        let d = if (k / 50) % 2 == 0 { 1 } else { -1 };
        hub.apply_delta(m, Side::Yes, p, Count::from_int(d));
        if k % 256 == 0 {
            tokio::task::yield_now().await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mb();
    cancel.cancel();
    json!({"sessions": 100, "books_each": 50, "process_rss_mb": after, "rss_before_mb": before})
}

/// One paced socket fan-out for a profiler (see the module docs); prints what was delivered.
fn profile(rt: &tokio::runtime::Runtime, which: &str) {
    let sessions = desk_testkit::bench::env_u64("DESK_BRIDGE_PROFILE_SESSIONS", 100) as usize;
    let frames = desk_testkit::bench::env_u64("DESK_BRIDGE_PROFILE_FRAMES", 1_000) as usize;
    let rate = desk_testkit::bench::env_u64("DESK_BRIDGE_PROFILE_RATE", 100);
    let result = rt.block_on(async {
        match which {
            "relay" => sockets::run_relay(sessions, frames, rate).await,
            _ => sockets::run_desk(sessions, frames, rate).await,
        }
    });
    println!(
        "{}",
        json!({"path": which, "sessions": sessions, "frames": frames,
               "sessions_conflated": result.conflations, "p50_us": result.p50_us})
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Ok(which) = std::env::var("DESK_BRIDGE_PROFILE") {
        profile(&rt, &which);
        return;
    }
    let machine = json!({
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "os": std::env::consts::OS,
    });
    // Memory first, before other runs grow the allocator's pools.
    let memory = rt.block_on(bench_memory());
    eprintln!("memory: {memory}");
    let mut fanout = Vec::new();
    rt.block_on(async {
        for &n in &[1usize, 10, 100, 500] {
            let frames = if n >= 100 { 20_000 } else { 50_000 };
            let relay = run_relay(n, frames, 0).await;
            let desk = run_desk(n, frames, 0).await;
            eprintln!("fan-out {n:>3}: relay {:>9.0} fr/s, desk {:>9.0} fr/s ({:.2}x), desk conflations {}",
                relay.frames_per_sec, desk.frames_per_sec, desk.frames_per_sec / relay.frames_per_sec, desk.conflations);
            fanout.push(json!({
                "sessions": n, "frames": frames,
                "relay_frames_per_sec": relay.frames_per_sec,
                "desk_frames_per_sec": desk.frames_per_sec,
                "throughput_ratio_desk_over_relay": desk.frames_per_sec / relay.frames_per_sec,
                "relay_p50_us": relay.p50_us, "relay_p99_us": relay.p99_us,
                "desk_p50_us": desk.p50_us, "desk_p99_us": desk.p99_us,
                "desk_sessions_conflated": desk.conflations,
            }));
        }
    });
    // Real sockets: throughput per fan-out, then latency at 5,000 frames/s into 100 sessions,
    // then again while 100 orders/s are signed on the blocking pool.
    let mut socket_fanout = Vec::new();
    rt.block_on(async {
        for &n in &[1usize, 10, 100, 500] {
            let frames = if n >= 100 { 10_000 } else { 20_000 };
            let relay = sockets::run_relay(n, frames, 0).await;
            let desk = sockets::run_desk(n, frames, 0).await;
            eprintln!("sockets fan-out {n:>3}: relay {:>9.0} fr/s, desk {:>9.0} fr/s ({:.2}x), desk conflations {}; CPU per delivery relay {:.2} us, desk {:.2} us",
                relay.frames_per_sec, desk.frames_per_sec, desk.frames_per_sec / relay.frames_per_sec, desk.conflations,
                relay.cpu_us_per_delivery, desk.cpu_us_per_delivery);
            socket_fanout.push(json!({
                "sessions": n, "frames": frames,
                "relay_frames_per_sec": relay.frames_per_sec,
                "desk_frames_per_sec": desk.frames_per_sec,
                "throughput_ratio_desk_over_relay": desk.frames_per_sec / relay.frames_per_sec,
                "relay_p50_us": relay.p50_us, "relay_p99_us": relay.p99_us,
                "desk_p50_us": desk.p50_us, "desk_p99_us": desk.p99_us,
                "desk_sessions_conflated": desk.conflations,
                "relay_sessions_lagged": relay.conflations,
                "relay_cpu_us_per_delivery": relay.cpu_us_per_delivery,
                "desk_cpu_us_per_delivery": desk.cpu_us_per_delivery,
                "cpu_ratio_desk_over_relay": desk.cpu_us_per_delivery / relay.cpu_us_per_delivery,
            }));
        }
    });
    let (paced, signing_latency) = rt.block_on(async {
        let relay = sockets::run_relay(100, 25_000, 5_000).await;
        let desk = sockets::run_desk(100, 25_000, 5_000).await;
        let key = tokio::task::spawn_blocking(|| rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048))
            .await
            .expect("join")
            .expect("key");
        let signer = Signer::from_key("bench", key);
        let stop = CancellationToken::new();
        let signed = Arc::new(AtomicU64::new(0));
        let (s2, st2, n2) = (signer.clone(), stop.clone(), signed.clone());
        let signing = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while !st2.is_cancelled() {
                tick.tick().await;
                let s = s2.clone();
                let n = n2.clone();
                tokio::spawn(async move {
                    if s.sign_blocking_pool("POST", "/trade-api/v2/portfolio/events/orders").await.is_ok() {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        let t = Instant::now();
        let desk_signing = sockets::run_desk(100, 25_000, 5_000).await;
        let sign_rate = signed.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
        stop.cancel();
        let _ = signing.await;
        eprintln!("sockets 5k fr/s x 100: relay p50 {:.0} p99 {:.0} us; desk p50 {:.0} p99 {:.0} us; with signing p50 {:.0} p99 {:.0} us ({sign_rate:.0} sig/s)",
            relay.p50_us, relay.p99_us, desk.p50_us, desk.p99_us, desk_signing.p50_us, desk_signing.p99_us);
        (
            json!({"rate_frames_per_sec": 5_000, "sessions": 100,
                   "relay_p50_us": relay.p50_us, "relay_p99_us": relay.p99_us,
                   "desk_p50_us": desk.p50_us, "desk_p99_us": desk.p99_us,
                   "added_p50_us": desk.p50_us - relay.p50_us, "added_p99_us": desk.p99_us - relay.p99_us}),
            json!({"orders_signed_per_sec": sign_rate, "desk_p50_us": desk_signing.p50_us, "desk_p99_us": desk_signing.p99_us,
                   "added_p50_us_vs_relay": desk_signing.p50_us - relay.p50_us,
                   "added_p99_us_vs_relay": desk_signing.p99_us - relay.p99_us}),
        )
    });
    let books = bench_books();
    eprintln!("books: {books}");
    // Signing rate, one core: the desk's `Signer` (OpenSSL) and the pure-Rust `rsa` crate.
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key");
    let rsa_crate = {
        use rsa::signature::RandomizedSigner;
        let pss = rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(key.clone());
        let n = 100;
        let t = Instant::now();
        for i in 0..n {
            let text = desk_backend::kalshi::signer::signing_text(
                i,
                "POST",
                "/trade-api/v2/portfolio/events/orders",
            );
            let _ = std::hint::black_box(
                pss.try_sign_with_rng(&mut rand::thread_rng(), text.as_bytes()),
            );
        }
        n as f64 / t.elapsed().as_secs_f64()
    };
    let signer = Signer::from_key("bench", key);
    let n: i64 = 2_000;
    let t = Instant::now();
    for i in 0..n {
        let _ = std::hint::black_box(signer.sign_at(
            i,
            "POST",
            "/trade-api/v2/portfolio/events/orders",
        ));
    }
    let desk_signer = n as f64 / t.elapsed().as_secs_f64();
    let openssl = desk_testkit::bench::openssl_rsa2048_sign_per_sec();
    eprintln!("signing: desk signer {desk_signer:.0}/s, rsa crate {rsa_crate:.0}/s, openssl speed {openssl:?}/s");
    let results = json!({
        "machine": machine,
        "fanout_in_process": fanout,
        "fanout_sockets": socket_fanout,
        "latency_sockets_5k_fps_100_sessions": paced,
        "latency_sockets_while_signing_100_per_sec": signing_latency,
        "book_delta_apply": books,
        "signing": {"desk_signer_signs_per_sec_one_core": desk_signer,
                    "rsa_crate_signs_per_sec_one_core": rsa_crate,
                    "openssl_speed_rsa2048_signs_per_sec_one_core": openssl,
                    "ratio_desk_signer_over_openssl": openssl.map(|o| desk_signer / o),
                    "ratio_rsa_crate_over_openssl": openssl.map(|o| rsa_crate / o)},
        "memory": memory,
    });
    desk_testkit::bench::write_results("bridge", &results);
}
