//! Frame-time benchmark of the market page (not a timed test):
//!
//! ```sh
//! trunk build --release --offline
//! cargo bench -p desk-e2e --bench frames      # ~1 min; writes bench-results/frames.json
//! ```
//!
//! Starts the desk on its built-in exchange, opens one market in headless Chromium, points
//! all of the exchange's background flow at that market at `DESK_BENCH_FLOW` events a
//! second (default 1,000; each event moves at least one level, so at least that many book
//! deltas a second reach the page), and records `requestAnimationFrame` deltas for
//! `DESK_BENCH_SECS` seconds (default 30). Writes p50/p95/p99/max frame times, the book
//! updates the page applied per second, and the served wasm's size (raw and gzip -9) to
//! `bench-results/frames.json`.
//!
//! Then the **watchlist grid**: ten markets starred and shown as small ladders, the flow
//! spread over those ten at `DESK_BENCH_GRID_FLOW` events a second (default 5,000), frame
//! deltas recorded the same way (target: ≤ 5% of frames late). A frame is late when it
//! missed a vsync (a delta over 25 ms at 60 Hz). Both phases also
//! report the page's long tasks (≥ 50 ms, `PerformanceObserver`) per second: a lower bound of
//! main-thread busy time.
//!
//! Last, both phases again in a second browser session that records a **Chromium trace**
//! (`DESK_BENCH_TRACE_SECS` seconds each, default 10): the renderer main thread's busy time
//! per second (the union of its top-level tasks) and where it went (script, style and layout,
//! paint), from Chromium's own trace events (`desk_testkit::trace`). Tracing costs the page
//! time, so the frame times come from the untraced session. `DESK_BENCH_TRACE_CATEGORIES`
//! replaces the recorded categories (e.g. add
//! `disabled-by-default-devtools.timeline.invalidationTracking` to see which node and which
//! cause marked each layout; the raw trace is `target/frames-trace.json`).
//!
//! First, on the fresh browser profile (nothing cached), a **cold load**: the bytes on the
//! wire for the page and everything it loaded before the login form was usable (the
//! Resource Timing `transferSize` of the document and each resource: compressed bodies and
//! headers), and the time from navigation start to an interactive login page (the login
//! form rendered by the wasm; polled every few milliseconds, so an upper bound).

use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use desk_testkit::bench::{env_u64, percentile, write_results};
use desk_testkit::e2e::{dist_dir, sel, Browser, ChromeDriver, DEFAULT_TIMEOUT};

/// The market the benchmark watches ($0.01 grid, fair 55c).
const MARKET: &str = "KXDESK-26DEC31-T50";

/// The served `.wasm` in `dist/`: (bytes, gzip -9 bytes).
fn wasm_size() -> anyhow::Result<(u64, u64)> {
    let dist = dist_dir()?;
    let wasm = std::fs::read_dir(&dist)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .context("no .wasm in dist/")?;
    let raw = std::fs::metadata(&wasm)?.len();
    let out = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()
        .context("running gzip")?;
    ensure!(out.status.success(), "gzip failed");
    Ok((raw, u64::try_from(out.stdout.len())?))
}

/// A cold load of the login page: bytes on the wire and time to the interactive form.
async fn cold_load(browser: &Browser, app_url: &str) -> anyhow::Result<serde_json::Value> {
    browser.goto(app_url).await?;
    let started = Instant::now();
    let interactive_ms = loop {
        let probe = browser
            .client()
            .execute(
                "return document.querySelector('[data-testid=login-username]') ? performance.now() : null;",
                Vec::new(),
            )
            .await?;
        if let Some(ms) = probe.as_f64() {
            break ms;
        }
        ensure!(started.elapsed() < DEFAULT_TIMEOUT, "no login form");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let wire = browser
        .client()
        .execute(
            "const nav = performance.getEntriesByType('navigation')[0];
             const res = performance.getEntriesByType('resource');
             return { document: nav.transferSize,
                      resources: res.map(r => [r.name.split('/').pop(), r.transferSize, r.encodedBodySize, r.decodedBodySize]),
                      total: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0) };",
            Vec::new(),
        )
        .await?;
    Ok(serde_json::json!({
        "bytes_on_the_wire": wire["total"],
        "document_bytes": wire["document"],
        "resources": wire["resources"],
        "interactive_login_ms": interactive_ms.round(),
        "target_bytes": 300 * 1000,
    }))
}

async fn book_version(browser: &Browser) -> anyhow::Result<u64> {
    let text = browser.text_of("book-version").await?;
    text.trim().parse().context("book-version")
}

/// `requestAnimationFrame` deltas (µs) and long-task milliseconds over `secs` seconds.
async fn record_frames(browser: &Browser, secs: u64) -> anyhow::Result<(Vec<u64>, u64, u64)> {
    browser
        .client()
        .execute(
            "window.__frames = []; window.__long = 0; window.__stop = false; let last = performance.now();
             if (!window.__observer && window.PerformanceObserver) {
               window.__observer = new PerformanceObserver(l => { for (const e of l.getEntries()) window.__long += e.duration; });
               try { window.__observer.observe({ type: 'longtask' }); } catch (e) {}
             }
             const tick = (t) => { window.__frames.push(Math.round((t - last) * 1000)); last = t;
               if (!window.__stop) requestAnimationFrame(tick); };
             requestAnimationFrame(tick);",
            Vec::new(),
        )
        .await?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let out = browser
        .client()
        .execute(
            "window.__stop = true; return [window.__frames.slice(1), Math.round(window.__long)];",
            Vec::new(),
        )
        .await?;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis())?;
    let mut micros: Vec<u64> = out
        .get(0)
        .and_then(serde_json::Value::as_array)
        .context("frames array")?
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    micros.sort_unstable();
    ensure!(!micros.is_empty(), "no animation frames recorded");
    let long_ms = out.get(1).and_then(serde_json::Value::as_u64).unwrap_or(0);
    Ok((micros, long_ms, elapsed_ms))
}

/// p50/p95/p99/max; late frames — those that missed a vsync: a delta over 25 ms, 1.5 frames
/// at 60 Hz — and their share in tenths of a percent; deltas over 16.7 ms (as earlier runs
/// counted them: Chromium coarsens `performance.now()` to 0.1 ms, so an on-time frame reads
/// 16.7 or 16.8 ms); long-task milliseconds per second.
fn frame_stats(micros: &[u64], long_ms: u64, elapsed_ms: u64) -> serde_json::Value {
    let over = micros.iter().filter(|&&m| m > 16_700).count();
    let late = micros.iter().filter(|&&m| m > 25_000).count();
    serde_json::json!({
        "frames": micros.len(),
        "frame_us": {
            "p50": percentile(micros, 50),
            "p95": percentile(micros, 95),
            "p99": percentile(micros, 99),
            "max": micros.last().copied().unwrap_or(0),
        },
        "frames_over_16_7ms": over,
        "late_frames": late,
        "late_permille": late * 1000 / micros.len().max(1),
        "long_task_ms_per_sec": long_ms * 1000 / elapsed_ms.max(1),
    })
}

/// Opens the benchmark's market, waits for its ladder to show a level and points the flow
/// at it (not started: the caller sets the rate).
async fn open_market(
    browser: &Browser,
    app_url: &str,
    sim: &kalshi_sim::SimExchange,
) -> anyhow::Result<()> {
    browser.goto(&format!("{app_url}#{MARKET}")).await?;
    browser
        .wait_for_css(&sel("ladder", &[("data-ticker", MARKET)]), DEFAULT_TIMEOUT)
        .await?;
    browser
        .wait_for_css(
            &sel("ladder-level", &[("data-side", "yes")]),
            DEFAULT_TIMEOUT,
        )
        .await?;
    ensure!(sim.set_flow_focus(Some(MARKET.into())), "{MARKET} has flow");
    Ok(())
}

/// Stars ten markets with flow, opens them as the watchlist grid and points the flow at
/// them (not started: the caller sets the rate).
async fn open_grid(
    browser: &Browser,
    app_url: &str,
    sim: &kalshi_sim::SimExchange,
) -> anyhow::Result<Vec<shared::ids::MarketTicker>> {
    let markets: Vec<shared::ids::MarketTicker> = sim
        .market_tickers()
        .into_iter()
        .filter(|t| sim.set_flow_focus(Some(t.clone())))
        .take(10)
        .collect();
    ensure!(markets.len() == 10, "ten open markets: {markets:?}");
    browser
        .client()
        .execute(
            "localStorage.setItem('kalshi-desk.watchlist', JSON.stringify(arguments[0]));",
            vec![serde_json::json!(markets)],
        )
        .await?;
    browser.goto(app_url).await?;
    browser.client().refresh().await?;
    browser.click("tab-watchlist").await?;
    browser
        .wait_for_css("[data-testid=grid-open]:not([disabled])", DEFAULT_TIMEOUT)
        .await?
        .click()
        .await?;
    browser
        .wait_until("ten small ladders", DEFAULT_TIMEOUT, async || {
            let n = browser.find_all("[data-testid=mini-ladder]").await?.len();
            Ok((n == 10).then_some(()))
        })
        .await?;
    ensure!(
        sim.set_flow_focus_on(markets.clone()),
        "the ten markets have flow"
    );
    Ok(markets)
}

/// The watchlist grid of ten markets under `DESK_BENCH_GRID_FLOW` events a second.
async fn grid(
    browser: &Browser,
    app_url: &str,
    sim: &kalshi_sim::SimExchange,
    secs: u64,
) -> anyhow::Result<serde_json::Value> {
    let flow = env_u64("DESK_BENCH_GRID_FLOW", 5_000);
    let markets = open_grid(browser, app_url, sim).await?;
    sim.set_flow(u32::try_from(flow)?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (micros, long_ms, elapsed_ms) = record_frames(browser, secs).await?;
    sim.set_flow(0);
    Ok(serde_json::json!({
        "markets": markets,
        "flow_events_per_sec": flow,
        "seconds": secs,
        "stats": frame_stats(&micros, long_ms, elapsed_ms),
        "target": {"late_permille": 50},
    }))
}

async fn run(
    browser: &Browser,
    app_url: &str,
    sim: &kalshi_sim::SimExchange,
) -> anyhow::Result<serde_json::Value> {
    let flow = env_u64("DESK_BENCH_FLOW", 1_000);
    let secs = env_u64("DESK_BENCH_SECS", 30);
    let cold = cold_load(browser, app_url).await?;
    browser.log_in(app_url, desk_testkit::e2e::E2E_USER).await?;
    open_market(browser, app_url, sim).await?;
    sim.set_flow(u32::try_from(flow)?);
    // Let the rate settle, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v0 = book_version(browser).await?;
    let (micros, long_ms, elapsed_ms) = record_frames(browser, secs).await?;
    let v1 = book_version(browser).await?;
    sim.set_flow(0);
    let updates_per_sec = (v1 - v0) * 1000 / elapsed_ms.max(1);
    let stats = frame_stats(&micros, long_ms, elapsed_ms);
    let grid = grid(browser, app_url, sim, secs).await?;
    let (wasm, wasm_gzip) = wasm_size()?;
    Ok(serde_json::json!({
        "benchmark": "market page frame times under a fast book",
        "market": MARKET,
        "flow_events_per_sec": flow,
        "seconds": secs,
        "frames": micros.len(),
        "frame_us": stats["frame_us"],
        "frames_over_16_7ms": stats["frames_over_16_7ms"],
        "late_frames": stats["late_frames"],
        "late_permille": stats["late_permille"],
        "long_task_ms_per_sec": stats["long_task_ms_per_sec"],
        "book_updates_applied_per_sec": updates_per_sec,
        "grid": grid,
        "cold_load": cold,
        "wasm_bytes": wasm,
        "wasm_gzip_bytes": wasm_gzip,
        "target": {"p95_us": 16_000, "wasm_gzip_bytes": 300 * 1024},
        "machine": desk_testkit::bench::machine(),
    }))
}

/// Marks a traced window of `secs` seconds as `{name}-start` .. `{name}-end`.
async fn traced_window(browser: &Browser, name: &str, secs: u64) -> anyhow::Result<()> {
    // Let the rate settle first.
    tokio::time::sleep(Duration::from_secs(2)).await;
    desk_testkit::trace::mark(browser, &format!("{name}-start")).await?;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    desk_testkit::trace::mark(browser, &format!("{name}-end")).await
}

/// Both phases again in a browser that records a Chromium trace (in a session of its own,
/// so tracing's cost stays out of the frame times above): main-thread busy time per second.
async fn traced(
    driver: &ChromeDriver,
    app_url: &str,
    sim: &kalshi_sim::SimExchange,
) -> anyhow::Result<serde_json::Value> {
    let secs = env_u64("DESK_BENCH_TRACE_SECS", 10);
    let categories = std::env::var("DESK_BENCH_TRACE_CATEGORIES")
        .unwrap_or_else(|_| desk_testkit::trace::TRACE_CATEGORIES.to_owned());
    let browser = Browser::open_traced(driver, "bench-frames-traced", &categories).await?;
    let result = async {
        browser.log_in(app_url, desk_testkit::e2e::E2E_USER).await?;
        open_market(&browser, app_url, sim).await?;
        sim.set_flow(u32::try_from(env_u64("DESK_BENCH_FLOW", 1_000))?);
        let market = traced_window(&browser, "market", secs).await;
        sim.set_flow(0);
        market?;
        open_grid(&browser, app_url, sim).await?;
        sim.set_flow(u32::try_from(env_u64("DESK_BENCH_GRID_FLOW", 5_000))?);
        let grid = traced_window(&browser, "grid", secs).await;
        sim.set_flow(0);
        grid?;
        let events = browser.trace_events().await?;
        // The raw trace, for DevTools' Performance panel or Perfetto (not kept in git).
        let raw =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/frames-trace.json");
        std::fs::write(
            &raw,
            serde_json::to_vec(&serde_json::json!({ "traceEvents": events }))?,
        )
        .with_context(|| format!("writing {}", raw.display()))?;
        let busy = |name: &str| {
            desk_testkit::trace::main_thread_busy(
                &events,
                &format!("{name}-start"),
                &format!("{name}-end"),
            )
        };
        anyhow::Ok(serde_json::json!({
            "categories": categories,
            "seconds": secs,
            "trace_events": events.len(),
            "market": busy("market")?,
            "grid": busy("grid")?,
        }))
    }
    .await;
    let closed = browser.close().await;
    let report = result?;
    closed?;
    Ok(report)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = desk_backend::Config::for_tests(dist_dir()?);
    config.sim_flow = 0;
    let app = desk_backend::Application::build(config).await?;
    desk_testkit::e2e::add_user(
        &app.store(),
        desk_testkit::e2e::E2E_USER,
        shared::auth::Role::Admin,
    )
    .await?;
    let sim = app.sim().context("runs on the built-in exchange")?;
    let url = format!("http://127.0.0.1:{}/", app.port());
    let stop = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let driver = ChromeDriver::start("bench-frames").await?;
    let browser = Browser::open(&driver, "bench-frames").await?;
    let result = run(&browser, &url, &sim).await;
    let closed = browser.close().await;
    let mut report = result?;
    closed?;
    report["trace"] = traced(&driver, &url, &sim).await?;
    drop(driver);
    stop.cancel();
    println!("{}", serde_json::to_string_pretty(&report)?);
    write_results("frames", &report);
    Ok(())
}
