//! A Kalshi-sized market universe: the market finder's text search end to end, and the
//! desk's memory; writes `bench-results/universe.json`.
//!
//! Two processes of the real binary, as in production: the built-in exchange on its own
//! (`kalshi-desk sim --markets N`, default 50,000 generated markets beside its own, with
//! background flow) and a desk in front of it (`kalshi-desk serve --env demo` with URL
//! overrides and a throwaway key), so the desk's resident memory is its own. The bench
//!
//! 1. waits for the desk's directory of open markets (`desk_directory_markets` on its
//!    metrics listener) and records how long the first read took;
//! 2. sends `DESK_UNIVERSE_BENCH_SEARCHES` (default 200) text searches to
//!    `GET /api/markets?q=…` as a logged-in browser does, from a fixed list of what traders
//!    type (a city, a coin, a team, a release, two words, a ticker prefix, a word that
//!    matches nothing), each followed by its second page when it has one, and records the
//!    time to the whole answer (`search`). Requests are paced [`PACE`] apart, as a trader
//!    types: back to back they would measure Kalshi's rate limit instead (GetMarkets costs
//!    10 of the Basic tier's 200 read tokens a second, so 20 searches a second at most);
//! 3. sends the same searches with `status=any`, which the directory does not answer: the
//!    path every text search took before it (up to ten GetMarkets pages of the list,
//!    paced [`SCAN_PACE`] apart), for comparison (`scan`);
//! 4. reads the desk's `VmRSS` and `VmHWM` (peak) from `/proc` after the directory read and
//!    after the searches.
//!
//! Targets (#17): search p95 ≤ 100 ms end to end; desk memory ≤ 200 MB.
//! `DESK_UNIVERSE_BENCH_MARKETS` sets N.

#![allow(clippy::float_arithmetic)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use desk_testkit::bench::{env_u64, summary};
use desk_testkit::keys::TestKey;
use serde_json::{json, Value};
use shared::protocol::MarketsPage;

/// What traders type into the finder.
const QUERIES: &[&str] = &[
    "chicago",
    "bitcoin",
    "boston",
    "cpi",
    "high temp miami",
    "nasdaq above",
    "wins by over",
    "unemployment",
    "denver",
    "over 210.5",
    "kxhighny",
    "seattle at",
    "gold",
    "ethereum above 3200",
    "mortgage rate",
    "no-such-market-anywhere",
];

/// Time between two searches.
const PACE: Duration = Duration::from_millis(250);
/// Time between two scans (each up to ten Kalshi reads).
const SCAN_PACE: Duration = Duration::from_millis(700);
/// Scans sent (each query of [`QUERIES`] twice).
const SCANS: usize = 32;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `VmRSS` and `VmHWM` of `pid`, MB (10^6 bytes).
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib * 1024.0 / 1e6)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Kills the child when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A metric's value from a Prometheus text page.
fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    let markets = env_u64("DESK_UNIVERSE_BENCH_MARKETS", 50_000);
    let searches = env_u64("DESK_UNIVERSE_BENCH_SEARCHES", 200);
    desk_testkit::bench::run(
        "universe",
        "market finder text search end to end and desk memory with a Kalshi-sized universe",
        async move { bench(markets, searches).await },
    );
}

async fn bench(markets: u64, searches: u64) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = TestKey::rsa();
    let private = key.write(dir.path(), "bench.key");
    let public = dir.path().join("bench.pub");
    std::fs::write(&public, key.public_pem()).expect("public key");
    let bin = env!("CARGO_BIN_EXE_kalshi-desk");
    let http = reqwest::Client::new();

    // The exchange, on its own.
    let sim_port = free_port();
    let started = Instant::now();
    let sim = Killed(
        Command::new(bin)
            .args(["sim", "--flow", "20", "--port", &sim_port.to_string()])
            .args(["--markets", &markets.to_string()])
            .arg("--key")
            .arg(format!("bench={}", public.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the exchange starts"),
    );
    let rest = format!("http://127.0.0.1:{sim_port}/trade-api/v2");
    wait_for("the exchange", Duration::from_secs(300), || {
        let (http, url) = (http.clone(), format!("{rest}/exchange/status"));
        async move {
            let ok = http.get(url).send().await.ok()?.status().is_success();
            ok.then_some(())
        }
    })
    .await;
    let sim_start_ms = started.elapsed().as_millis();
    let (sim_rss, _) = memory_mb(sim.0.id());

    // The desk in front of it.
    let (port, metrics_port) = (free_port(), free_port());
    let dist = tempfile::tempdir().expect("dist dir");
    std::fs::write(dist.path().join("index.html"), "<!doctype html>").expect("index");
    let started = Instant::now();
    let mut desk = Killed(
        Command::new(bin)
            .args(["serve", "--env", "demo", "--port", &port.to_string()])
            .arg("--dist")
            .arg(dist.path())
            .env("KALSHI_REST_URL", &rest)
            .env(
                "KALSHI_WS_URL",
                format!("ws://127.0.0.1:{sim_port}/trade-api/ws/v2"),
            )
            .env("KALSHI_API_KEY_ID", "bench")
            .env("KALSHI_PRIVATE_KEY_PATH", &private)
            .env(
                "DESK_DB_URL",
                format!("sqlite://{}", dir.path().join("desk.db").display()),
            )
            .env("DESK_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the desk starts"),
    );
    let stdout = desk.0.stdout.take().expect("stdout");
    let (link_tx, link_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(link) = line.split_whitespace().find(|w| w.contains("?token=")) {
                let _ = link_tx.send(link.to_owned());
            }
        }
    });
    let link = tokio::task::spawn_blocking(move || link_rx.recv_timeout(Duration::from_secs(120)))
        .await
        .expect("join")
        .expect("the desk prints a login link");
    let (base, token) = link.split_once("/?token=").expect("a login link");
    let (base, token) = (base.to_owned(), token.to_owned());
    let bootstrap = http
        .post(format!("{base}/api/bootstrap"))
        .json(&json!({"token": token, "username": "bench", "password": "bench-password-1"}))
        .send()
        .await
        .expect("bootstrap");
    assert!(
        bootstrap.status().is_success(),
        "bootstrap: {}",
        bootstrap.status()
    );
    let session = desk_testkit::desk::log_in(&base, "bench", "bench-password-1")
        .await
        .expect("login")
        .http;

    let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let expected = markets as f64;
    let listed = wait_for("the directory", Duration::from_secs(600), || {
        let (http, url) = (http.clone(), metrics_url.clone());
        async move {
            let page = http.get(url).send().await.ok()?.text().await.ok()?;
            metric(&page, "desk_directory_markets").filter(|n| *n >= expected)
        }
    })
    .await;
    let directory_ms = started.elapsed().as_millis();
    let (rss_loaded, _) = memory_mb(desk.0.id());

    let search_page = |q: &'static str, status: Option<&'static str>, cursor: Option<String>| {
        let (http, base) = (session.clone(), base.clone());
        async move {
            let mut url = reqwest::Url::parse(&format!("{base}/api/markets")).expect("url");
            url.query_pairs_mut().append_pair("q", q);
            if let Some(s) = status {
                url.query_pairs_mut().append_pair("status", s);
            }
            if let Some(c) = &cursor {
                url.query_pairs_mut().append_pair("cursor", c);
            }
            let t = Instant::now();
            let resp = http.get(url).send().await.expect("search");
            assert!(resp.status().is_success(), "search {q}: {}", resp.status());
            let page: MarketsPage = resp.json().await.expect("a markets page");
            (
                u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX),
                page,
            )
        }
    };

    let mut times = Vec::new();
    let mut found = Vec::new();
    for i in 0..searches {
        let q = QUERIES[usize::try_from(i).unwrap_or(0) % QUERIES.len()];
        let mut cursor: Option<String> = None;
        for _page in 0..2 {
            tokio::time::sleep(PACE).await;
            let (us, page) = search_page(q, None, cursor).await;
            times.push(us);
            if i < QUERIES.len() as u64 {
                found.push(
                    json!({ "q": q, "markets": page.markets.len(), "more": page.cursor.is_some() }),
                );
            }
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    let mut scans = Vec::new();
    let mut scan_found = 0;
    for i in 0..SCANS {
        tokio::time::sleep(SCAN_PACE).await;
        let (us, page) = search_page(QUERIES[i % QUERIES.len()], Some("any"), None).await;
        scans.push(us);
        scan_found += page.markets.len();
    }
    let (rss_after, peak) = memory_mb(desk.0.id());
    let search = summary(times, "us");
    let p95_ms = search["p95_us"].as_u64().unwrap_or(0) as f64 / 1000.0;
    let scan = summary(scans, "us");
    println!("search p95 {p95_ms:.1} ms; desk rss {rss_after:.0} MB (peak {peak:.0} MB)");
    json!({
        "markets_generated": markets,
        "open_markets_in_directory": listed,
        "exchange_start_ms": sim_start_ms,
        "exchange_rss_mb": sim_rss.round(),
        "directory_first_read_ms": directory_ms,
        "search": search,
        "search_p95_ms": p95_ms,
        "first_queries": found,
        "scan": scan,
        "scan_markets_found_per_search": scan_found as f64 / SCANS as f64,
        "desk_rss_mb_after_directory": rss_loaded.round(),
        "desk_rss_mb_after_searches": rss_after.round(),
        "desk_peak_rss_mb": peak.round(),
        "targets": { "search_p95_ms": 100, "desk_memory_mb": 200 },
        "met": { "search": p95_ms <= 100.0, "memory": peak <= 200.0 },
    })
}
