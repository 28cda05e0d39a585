//! Cluster fan-out against the single-process bridge, one run; writes
//! `bench-results/cluster.json`.
//!
//! ```sh
//! cargo bench -p desk-backend --bench cluster    # needs nats-server (scripts/nats.sh)
//! ```
//!
//! Both sides run the production path end to end over real loopback sockets: a feed server
//! speaking Kalshi's WebSocket protocol (subscribe acks, an `orderbook_snapshot`, then
//! `orderbook_delta` frames with consecutive `seq`) → the desk's upstream task → hub →
//! `/ws` sessions (`http::stream::serve_socket` behind axum) → tokio-tungstenite clients.
//!
//! - **single**: one desk process, 200 sessions.
//! - **cluster**: two replicas in cluster mode on a private `nats-server -js`, 100 sessions
//!   each (the elected leader runs the upstream into its source hub and publishes to NATS;
//!   both replicas' hubs are fed from NATS).
//!
//! Measured: throughput (feed unpaced) and latency from the feed's send to each client's
//! receive at 1,000 and 5,000 frames/s; the ratio cluster / single.

// Statistics and rates are floating point here; money never is.
#![allow(
    clippy::float_arithmetic,
    clippy::manual_is_multiple_of,
    clippy::manual_checked_ops
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_backend::kalshi::client::KalshiClient;
use desk_backend::kalshi::signer::Signer;
use desk_backend::kalshi::upstream::{self, UpstreamConfig};
use desk_backend::live::cluster::{self, ClusterConfig};
use desk_backend::live::hub::Hub;
use desk_testkit::services::NatsServer;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shared::protocol::Environment;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const MARKET: &str = "KXBENCH-1";

fn delta_text(k: u64) -> String {
    let price_milli = 300 + (k % 50) * 7;
    let sign = if (k / 50) % 2 == 0 { "1.00" } else { "-1.00" };
    json!({
        "type": "orderbook_delta", "sid": 2, "seq": k + 2,
        "msg": {"market_ticker": MARKET, "price_dollars": format!("0.{price_milli:03}0"),
                "delta_fp": sign, "side": if k % 2 == 0 { "yes" } else { "no" }}
    })
    .to_string()
}

fn snapshot_text() -> String {
    let levels: Vec<(String, &str)> = (0..50)
        .map(|i| (format!("0.{:03}0", 300 + i * 7), "100.00"))
        .collect();
    json!({"type": "orderbook_snapshot", "sid": 2, "seq": 1,
           "msg": {"market_ticker": MARKET, "yes_dollars_fp": levels, "no_dollars_fp": levels}})
    .to_string()
}

/// Nanoseconds since `base` at which frame k was sent (0 = not yet).
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
    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// A Kalshi-like socket: acks every subscribe, sends the book snapshot on the book
/// subscription, then (once `go` turns true) `frames` deltas paced at `rate` (0 = flat out).
async fn feed(frames: usize, rate: u64, times: Arc<SendTimes>, go: watch::Receiver<bool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind feed");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let (times, mut go) = (times.clone(), go.clone());
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                let mut next_sid = 10;
                let mut has_book = false;
                // Commands until the book is subscribed (account channels come first).
                while !has_book {
                    let Some(Ok(Message::Text(text))) = stream.next().await else {
                        return;
                    };
                    let cmd: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    if cmd["cmd"] != "subscribe" {
                        continue;
                    }
                    for ch in cmd["params"]["channels"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                    {
                        let sid = match ch.as_str() {
                            Some("orderbook_delta") => 2,
                            Some("ticker") => 3,
                            Some("trade") => 4,
                            _ => {
                                next_sid += 1;
                                next_sid
                            }
                        };
                        let ack = json!({"type":"subscribed","id":cmd["id"],"msg":{"channel":ch,"sid":sid}});
                        let _ = sink.send(Message::text(ack.to_string())).await;
                        has_book |= sid == 2;
                    }
                }
                let _ = sink.send(Message::text(snapshot_text())).await;
                let _ = go.wait_for(|g| *g).await;
                let start = Instant::now();
                for k in 0..frames {
                    if rate > 0 {
                        let due = start + Duration::from_nanos(k as u64 * 1_000_000_000 / rate);
                        let now = Instant::now();
                        if due > now + Duration::from_micros(200) {
                            tokio::time::sleep(due - now).await;
                        }
                    }
                    times.ns[k].store(times.now(), Ordering::Release);
                    if sink
                        .send(Message::text(delta_text(k as u64)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                // Hold the socket (and drain commands) until the desk goes.
                while let Some(Ok(_)) = stream.next().await {}
            });
        }
    });
    port
}

/// A desk `/ws` endpoint for `hub` on a fresh port.
async fn serve(hub: Hub, cancel: CancellationToken) -> u16 {
    let app = {
        let (hub, cancel) = (hub.clone(), cancel.clone());
        axum::Router::new().route(
            "/ws",
            axum::routing::get(move |ws: axum::extract::ws::WebSocketUpgrade| {
                let (hub, cancel) = (hub.clone(), cancel.clone());
                async move {
                    ws.on_upgrade(move |socket| {
                        desk_backend::http::stream::serve_socket(socket, hub, None, cancel)
                    })
                }
            }),
        )
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind desk");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(desk_backend::http::low_latency(listener), app)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await;
    });
    port
}

/// What one client saw after `go`.
struct Seen {
    latencies_ns: Vec<u64>,
    levels: usize,
    last_ns: u64,
    snapshots_after_start: usize,
}

/// One browser: connects, watches, reports when its first book arrived (`ready`), then
/// counts `level` frames until `frames` of them or 3 s of silence.
async fn client(
    port: u16,
    frames: usize,
    times: Arc<SendTimes>,
    ready: tokio::sync::mpsc::Sender<()>,
    mut go: watch::Receiver<bool>,
) -> Seen {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("tcp");
    let _ = tcp.set_nodelay(true);
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://127.0.0.1:{port}/ws"), tcp)
        .await
        .expect("handshake");
    ws.send(Message::text(
        json!({"op":"watch","market_ticker":MARKET}).to_string(),
    ))
    .await
    .expect("watch");
    let mut seen = Seen {
        latencies_ns: Vec::with_capacity(frames),
        levels: 0,
        last_ns: 0,
        snapshots_after_start: 0,
    };
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            return seen;
        };
        if t.contains("\"type\":\"book\"") && t.contains(MARKET) {
            break;
        }
    }
    let _ = ready.send(()).await;
    let _ = go.wait_for(|g| *g).await;
    while seen.levels < frames {
        let next = tokio::time::timeout(Duration::from_secs(3), ws.next()).await;
        let Ok(Some(Ok(Message::Text(t)))) = next else {
            break;
        };
        let now = times.now();
        if t.contains("\"type\":\"book\"") {
            seen.snapshots_after_start += 1;
            continue;
        }
        if !t.contains("\"type\":\"level\"") {
            continue;
        }
        if let Some(sent) = times.ns.get(seen.levels).map(|s| s.load(Ordering::Acquire)) {
            if sent > 0 && seen.snapshots_after_start == 0 {
                seen.latencies_ns.push(now.saturating_sub(sent));
            }
        }
        seen.levels += 1;
        seen.last_ns = now;
    }
    let _ = ws.close(None).await;
    seen
}

#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    frames_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    sessions_complete: usize,
    sessions_resnapshotted: usize,
}

/// Nearest-rank percentile of `sorted` nanoseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], pct: usize) -> f64 {
    desk_testkit::bench::percentile(sorted, pct) as f64 / 1e6
}

fn key() -> Signer {
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key");
    Signer::from_key("bench", key)
}

fn upstream_config(feed_port: u16, signer: &Signer) -> UpstreamConfig {
    UpstreamConfig {
        ws_url: format!("ws://127.0.0.1:{feed_port}/trade-api/ws/v2"),
        signer: signer.clone(),
        receive_timeout: Duration::from_secs(30),
        kalshi: None,
        takeover: None,
    }
}

/// Runs one measurement: `ports` desk endpoints with `per_port` sessions each.
async fn measure(
    ports: &[u16],
    per_port: usize,
    frames: usize,
    times: Arc<SendTimes>,
    go: &watch::Sender<bool>,
) -> Outcome {
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(1024);
    let mut clients = Vec::new();
    for &port in ports {
        for _ in 0..per_port {
            clients.push(tokio::spawn(client(
                port,
                frames,
                times.clone(),
                ready_tx.clone(),
                go.subscribe(),
            )));
        }
    }
    let total = clients.len();
    for _ in 0..total {
        if tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
            .await
            .is_err()
        {
            eprintln!("  not every session got its first book in 30 s");
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start_ns = times.now();
    go.send_replace(true);
    let mut all = Vec::new();
    let (mut complete, mut resnapshotted, mut last) = (0, 0, start_ns);
    for c in clients {
        if let Ok(seen) = c.await {
            complete += usize::from(seen.levels == frames);
            resnapshotted += usize::from(seen.snapshots_after_start > 0);
            last = last.max(seen.last_ns);
            all.extend(seen.latencies_ns);
        }
    }
    all.sort_unstable();
    Outcome {
        frames_per_sec: frames as f64 / ((last - start_ns) as f64 / 1e9),
        p50_ms: percentile_ms(&all, 50),
        p99_ms: percentile_ms(&all, 99),
        sessions_complete: complete,
        sessions_resnapshotted: resnapshotted,
    }
}

async fn run_single(signer: &Signer, sessions: usize, frames: usize, rate: u64) -> Outcome {
    let times = SendTimes::new(frames);
    let (go, go_rx) = watch::channel(false);
    let feed_port = feed(frames, rate, times.clone(), go_rx).await;
    let cancel = CancellationToken::new();
    let (hub, commands) = Hub::new(Environment::Sim);
    tokio::spawn(upstream::run(
        upstream_config(feed_port, signer),
        hub.clone(),
        commands,
        cancel.clone(),
    ));
    let port = serve(hub, cancel.clone()).await;
    let out = measure(&[port], sessions, frames, times, &go).await;
    cancel.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    out
}

async fn run_cluster(
    signer: &Signer,
    nats: &NatsServer,
    replicas: usize,
    per_replica: usize,
    frames: usize,
    rate: u64,
) -> Outcome {
    let times = SendTimes::new(frames);
    let (go, go_rx) = watch::channel(false);
    let feed_port = feed(frames, rate, times.clone(), go_rx).await;
    let cancel = CancellationToken::new();
    let name = format!("bench{}", rand::random::<u32>());
    let mut ports = Vec::new();
    let mut leaders = Vec::new();
    for i in 0..replicas {
        let (hub, commands) = Hub::new(Environment::Sim);
        let kalshi =
            KalshiClient::new("http://127.0.0.1:9/trade-api/v2", signer.clone()).expect("client");
        let handle = cluster::start(
            ClusterConfig {
                nats_url: nats.url.clone().into(),
                name: name.clone(),
                replica_id: format!("r{i}"),
                lease: Duration::from_secs(5),
            },
            hub.clone(),
            commands,
            upstream_config(feed_port, signer),
            kalshi,
            cancel.clone(),
        )
        .await
        .expect("cluster starts");
        if i == 0 {
            let mut l = handle.is_leader.clone();
            let _ = tokio::time::timeout(Duration::from_secs(10), l.wait_for(|l| *l)).await;
        }
        leaders.push(handle.is_leader);
        ports.push(serve(hub, cancel.clone()).await);
    }
    let out = measure(&ports, per_replica, frames, times, &go).await;
    cancel.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
    out
}

fn row(o: &Outcome) -> serde_json::Value {
    json!({"frames_per_sec_per_session": o.frames_per_sec, "p50_ms": o.p50_ms, "p99_ms": o.p99_ms,
           "sessions_complete": o.sessions_complete, "sessions_resnapshotted": o.sessions_resnapshotted})
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let nats = NatsServer::start()
        .expect("nats-server (bash scripts/test.sh installs it; or set NATS_SERVER)");
    let signer = key();
    let mut results = Vec::new();
    rt.block_on(async {
        for (label, frames, rate) in [
            ("unpaced", 10_000usize, 0u64),
            ("1000 frames/s", 5_000, 1_000),
            ("5000 frames/s", 20_000, 5_000),
        ] {
            let single = run_single(&signer, 200, frames, rate).await;
            let cluster = run_cluster(&signer, &nats, 2, 100, frames, rate).await;
            eprintln!(
                "{label:>14}: single 1x200 {:>8.0} fr/s p50 {:>6.1} p99 {:>6.1} ms ({} complete, {} resnapshotted) | \
                 cluster 2x100 {:>8.0} fr/s p50 {:>6.1} p99 {:>6.1} ms ({} complete, {} resnapshotted) | ratio {:.2}x",
                single.frames_per_sec, single.p50_ms, single.p99_ms, single.sessions_complete, single.sessions_resnapshotted,
                cluster.frames_per_sec, cluster.p50_ms, cluster.p99_ms, cluster.sessions_complete, cluster.sessions_resnapshotted,
                cluster.frames_per_sec / single.frames_per_sec,
            );
            results.push(json!({
                "load": label, "frames": frames, "rate_frames_per_sec": rate,
                "single_process_200_sessions": row(&single),
                "cluster_2_replicas_x_100_sessions": row(&cluster),
                "throughput_ratio_cluster_over_single": cluster.frames_per_sec / single.frames_per_sec,
                "added_p50_ms": cluster.p50_ms - single.p50_ms,
                "added_p99_ms": cluster.p99_ms - single.p99_ms,
            }));
        }
    });
    let out = json!({
        "machine": desk_testkit::bench::machine(),
        "nats_server": std::process::Command::new(desk_testkit::services::nats_server_binary().unwrap_or_default())
            .arg("--version").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()),
        "runs": results,
    });
    desk_testkit::bench::write_results("cluster", &out);
    rt.shutdown_timeout(Duration::from_secs(2));
}
