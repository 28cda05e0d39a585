//! Every fault the built-in exchange can inject, and the desk's recovery from it. Each test
//! fails if recovery breaks: the books must end equal to the exchange's, fresh.

use std::time::Duration;

use shared::protocol::{ServerMsg, UpstreamState};
use shared::ws::Channel;

use crate::helpers::{spawn_app, spawn_app_with, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_upstream_reconnects_replays_subscriptions_and_resyncs_books() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    assert_eq!(app.connects(), 1);
    app.sim.drop_connections();
    browser
        .until(
            "stale mark",
            |m| matches!(m, ServerMsg::Stale { market_ticker } if *market_ticker == market),
        )
        .await;
    browser
        .until("fresh snapshot after reconnect", |m| {
            matches!(m, ServerMsg::Book { market_ticker, stale: false, .. } if *market_ticker == market)
        })
        .await;
    app.wait_connects(2).await;
    let subs = app.sim.orderbook_subscriptions();
    assert_eq!(subs.len(), 1, "subscription replayed once: {subs:?}");
    assert!(subs[0].contains(&market), "{subs:?}");
    app.assert_books_settle(&market, &mut browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upstream_that_still_pings_is_replaced() {
    let app = spawn_app_with(|c| c.upstream_receive_timeout_ms = 1_500).await;
    app.sim.set_heartbeat(Duration::from_millis(200)); // pings keep flowing
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    app.sim.stall_connections();
    app.wait_connects(2).await;
    assert!(
        app.hub
            .metrics()
            .upstream_disconnects
            .with_label_values(&["silent"])
            .get()
            >= 1,
        "ended by the data receive timeout"
    );
    app.assert_books_settle(&market, &mut browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_pings_do_not_end_a_connection_that_carries_data() {
    let app = spawn_app_with(|c| c.upstream_receive_timeout_ms = 1_500).await;
    app.sim.set_heartbeat(Duration::from_secs(3_600));
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    browser.drain(Duration::from_secs(4)).await;
    assert_eq!(app.connects(), 1, "no reconnect while data flows");
    assert_eq!(app.hub.upstream_state(), UpstreamState::Live);
    app.assert_books_settle(&market, &mut browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_seq_marks_the_book_stale_until_a_fresh_snapshot() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    browser.drain(Duration::from_millis(300)).await;
    app.sim.repeat_next_seq();
    browser
        .until(
            "stale mark",
            |m| matches!(m, ServerMsg::Stale { market_ticker } if *market_ticker == market),
        )
        .await;
    browser
        .until("fresh snapshot", |m| {
            matches!(m, ServerMsg::Book { market_ticker, stale: false, .. } if *market_ticker == market)
        })
        .await;
    assert!(app.hub.metrics().seq_gaps.get() >= 1);
    assert_eq!(app.connects(), 1, "resynced without reconnecting");
    app.assert_books_settle(&market, &mut browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_upstream_frames_are_counted_and_the_bridge_goes_on() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    for raw in [
        "not json at all",
        r#"{"type":"orderbook_delta","sid":"#,
        r#"{"type":"orderbook_delta","msg":{"price_dollars":[]}}"#,
        r#"{"type":"ticker","sid":99,"seq":1,"msg":7}"#,
    ] {
        app.sim.send_raw_frame(raw);
    }
    let hub = app.hub.clone();
    wait_until("malformed frames counted", Duration::from_secs(10), || {
        let hub = hub.clone();
        async move { hub.metrics().malformed_frames.get() >= 3 }
    })
    .await;
    assert_eq!(app.connects(), 1, "no reconnect for a bad frame");
    app.assert_books_settle(&market, &mut browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_error_on_the_book_sid_resubscribes_on_the_same_socket() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(200);
    browser.drain(Duration::from_millis(300)).await;
    app.sim.close_subscriptions(Channel::OrderbookDelta, 10);
    browser
        .until(
            "stale mark",
            |m| matches!(m, ServerMsg::Stale { market_ticker } if *market_ticker == market),
        )
        .await;
    browser
        .until("fresh snapshot after resubscribing", |m| {
            matches!(m, ServerMsg::Book { market_ticker, stale: false, .. } if *market_ticker == market)
        })
        .await;
    assert_eq!(app.connects(), 1, "resubscribed without reconnecting");
    let resubscribes = app
        .hub
        .metrics()
        .upstream_resubscribes
        .with_label_values(&["10"])
        .get();
    assert_eq!(resubscribes, 1);
    app.assert_books_settle(&market, &mut browser).await;
    let subs = app.sim.orderbook_subscriptions();
    assert_eq!(subs.len(), 1, "one book subscription again: {subs:?}");
    assert!(subs[0].contains(&market), "{subs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_error_on_an_account_channel_resubscribes_that_channel() {
    let app = spawn_app().await;
    let market = app.first_market();
    let _browser = app.watching(&market).await;
    let sim = app.sim.clone();
    wait_until("fill subscribed", Duration::from_secs(10), || {
        let sim = sim.clone();
        async move { sim.subscription_count(Channel::Fill) == 1 }
    })
    .await;
    app.sim.close_subscriptions(Channel::Fill, 25);
    let hub = app.hub.clone();
    wait_until("fill resubscribed", Duration::from_secs(10), || {
        let (sim, hub) = (sim.clone(), hub.clone());
        async move {
            sim.subscription_count(Channel::Fill) == 1
                && hub
                    .metrics()
                    .upstream_resubscribes
                    .with_label_values(&["25"])
                    .get()
                    == 1
        }
    })
    .await;
    assert_eq!(app.connects(), 1, "resubscribed without reconnecting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_error_on_an_unknown_sid_replaces_the_socket() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    app.sim.set_flow(100);
    app.sim.send_raw_frame(
        r#"{"type":"error","sid":999,"msg":{"code":25,"msg":"Subscription buffer overflow"}}"#,
    );
    app.wait_connects(2).await;
    assert!(
        app.hub
            .metrics()
            .upstream_disconnects
            .with_label_values(&["terminal"])
            .get()
            >= 1
    );
    app.assert_books_settle(&market, &mut browser).await;
    let subs = app.sim.orderbook_subscriptions();
    assert!(subs.iter().any(|s| s.contains(&market)), "{subs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_429_and_5xx_bursts_are_retried_counted_and_shown_in_the_budget() {
    let app = spawn_app().await;
    app.sim.fail_rest(429, 3);
    let (status, body) = app.get("/api/portfolio").await;
    assert_eq!(status, 200, "{body}");
    assert!(app.hub.metrics().rest_429.get() >= 3);
    app.sim.fail_rest(503, 3);
    let (status, body) = app.get("/api/fills").await;
    assert_eq!(status, 200, "reads retry 5xx: {body}");
    let (status, limits) = app.get("/api/limits").await;
    assert_eq!(status, 200);
    let limits: serde_json::Value = serde_json::from_str(&limits).unwrap();
    assert!(limits["read_rate"].as_u64().unwrap() > 0, "{limits}");
    assert!(limits.get("write_remaining").is_some(), "{limits}");
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    for name in [
        "desk_upstream_state 2",
        "desk_upstream_connects_total 1",
        "desk_rest_429_total",
        "desk_rest_latency_seconds_bucket{operation=\"GetBalance\",status=\"200\"",
        "desk_signing_seconds_count",
        "desk_browser_frames_out_total",
        "desk_conflations_total",
        "desk_seq_gaps_total",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loopback_fault_admin_api_injects_faults_and_refuses_bad_ones() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.watching(&market).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = kalshi_sim::faults::serve_admin(app.sim.clone(), listener)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        http.post(format!("http://{addr}/faults"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for bad in [
        r#"{"fault":"close_channel","channel":"nope","code":10}"#,
        r#"{"fault":"close_channel","channel":"fill","code":7}"#,
        r#"{"fault":"rest","status":200,"count":1}"#,
        r#"{"fault":"explode"}"#,
        "not json",
    ] {
        let r = post(bad).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(
            !r.text().await.unwrap().is_empty(),
            "a plain reason for {bad}"
        );
    }
    assert_eq!(app.connects(), 1, "refused faults did nothing");
    let r = post(r#"{"fault":"flow","per_sec":200}"#).await.unwrap();
    assert_eq!(r.status(), 204);
    let r = post(r#"{"fault":"drop"}"#).await.unwrap();
    assert_eq!(r.status(), 204);
    app.wait_connects(2).await;
    app.assert_books_settle(&market, &mut browser).await;

    let outside = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    assert!(
        kalshi_sim::faults::serve_admin(app.sim.clone(), outside)
            .await
            .is_err(),
        "only loopback"
    );
}

/// A desk that watches nothing keeps its socket while Kalshi's pings arrive: no reconnect
/// and no REST re-read of the account every receive timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_socket_that_gets_pings_is_kept() {
    let app = spawn_app_with(|c| c.upstream_receive_timeout_ms = 1_000).await;
    app.sim.set_heartbeat(Duration::from_millis(200));
    wait_until("upstream live", Duration::from_secs(10), || async {
        app.hub.upstream_state() == UpstreamState::Live
    })
    .await;
    let reads = rest_reads(&app);
    // Four receive timeouts with no market watched and no data frame.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(app.connects(), 1, "no reconnect while pings arrive");
    assert_eq!(
        rest_reads(&app) - reads,
        0,
        "no account re-read over REST (GetOrders/GetFills/GetPositions)"
    );
    // A socket with nothing watched and no pings either is replaced.
    app.sim.set_heartbeat(Duration::from_secs(3_600));
    app.wait_connects(2).await;
}

/// Reconciliation reads the desk made (one per reconnect: orders, fills, positions).
fn rest_reads(app: &crate::helpers::TestApp) -> u64 {
    ["GetOrders", "GetFills", "GetPositions"]
        .iter()
        .map(|op| {
            app.hub
                .metrics()
                .rest_latency
                .with_label_values(&[op, "200"])
                .get_sample_count()
        })
        .sum()
}

/// A trading pause reaches every session as `exchange` frames (paused with its resume
/// time, then trading again), and an order during it is refused in Kalshi's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trading_pause_is_shown_and_orders_wait_for_it() {
    let app = spawn_app().await;
    let mut browser = app.browser().await;
    app.sim.pause_trading(Some(Duration::from_secs(600)));
    let paused = browser
        .until(
            "paused",
            |m| matches!(m, ServerMsg::Exchange(v) if !v.trading_active),
        )
        .await;
    let ServerMsg::Exchange(view) = paused else {
        unreachable!("matched above")
    };
    assert!(view.resumes_at.is_some(), "{view:?}");
    let market = app.first_market();
    let (status, body) = app
        .post(
            "/api/orders",
            &serde_json::json!({"market_ticker": market, "action": "buy", "side": "yes",
                                "price": "0.02", "count": "1"}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("paused"), "{body}");
    // A new session learns the state at once.
    let mut late = app.browser().await;
    late.until(
        "paused on hello",
        |m| matches!(m, ServerMsg::Exchange(v) if !v.trading_active),
    )
    .await;
    assert!(app.sim.resume_trading());
    browser
        .until(
            "trading again",
            |m| matches!(m, ServerMsg::Exchange(v) if v.trading_active),
        )
        .await;
}
