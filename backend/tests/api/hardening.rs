//! The desk's own resources under a careless or hostile client: only markets that exist
//! are subscribed upstream, the desk watches at most its configured number of markets, a
//! login session holds at most its number of sockets (each with one session watcher,
//! started after the upgrade and ended with the socket), and `/metrics` can live on its own
//! loopback address.

use std::time::Duration;

use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg};

use crate::helpers::{spawn_app_with, wait_until, Browser, TestApp};

async fn watch(b: &mut Browser, market: &str) -> ServerMsg {
    b.send(&ClientMsg::Watch {
        market_ticker: MarketTicker::from(market),
    })
    .await;
    b.until("a book or an error", |m| {
        matches!(m, ServerMsg::Error { .. })
            || matches!(m, ServerMsg::Book { market_ticker, .. } if market_ticker.as_str() == market)
    })
    .await
}

fn error_code(msg: &ServerMsg) -> Option<&str> {
    match msg {
        ServerMsg::Error { code, .. } => Some(code.as_str()),
        _ => None,
    }
}

fn subscribed(app: &TestApp, market: &str) -> bool {
    app.sim
        .orderbook_subscriptions()
        .iter()
        .flatten()
        .any(|m| m.as_str() == market)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_markets_that_exist_are_subscribed_and_the_desk_caps_how_many() {
    let app = spawn_app_with(|c| {
        c.sim_flow = 0;
        c.max_markets = 2;
    })
    .await;
    let tickers = app.sim.market_tickers();
    let mut b = app.browser().await;

    let ghost = "KXDESK-26DEC31-T999";
    let reply = watch(&mut b, ghost).await;
    assert_eq!(error_code(&reply), Some("unknown_market"), "{reply:?}");
    assert!(app.hub.watched_markets().is_empty());
    // Asked once: a second try is refused from memory, and never reaches the exchange.
    let reply = watch(&mut b, ghost).await;
    assert_eq!(error_code(&reply), Some("unknown_market"), "{reply:?}");
    assert!(!subscribed(&app, ghost));

    for t in &tickers[..2] {
        let reply = watch(&mut b, t.as_str()).await;
        assert_eq!(error_code(&reply), None, "{reply:?}");
    }
    // The desk's third market is refused, for every session; a watched one is not.
    let mut other = app.browser().await;
    let reply = watch(&mut other, tickers[2].as_str()).await;
    assert_eq!(error_code(&reply), Some("desk_market_limit"), "{reply:?}");
    let reply = watch(&mut other, tickers[0].as_str()).await;
    assert_eq!(error_code(&reply), None, "{reply:?}");
    assert_eq!(app.hub.watched_markets().len(), 2);

    // One market let go by every session makes room.
    b.send(&ClientMsg::Unwatch {
        market_ticker: tickers[1].clone(),
    })
    .await;
    let hub = app.hub.clone();
    wait_until("the market is let go", Duration::from_secs(5), || {
        let hub = hub.clone();
        async move { hub.watched_markets().len() == 1 }
    })
    .await;
    let reply = watch(&mut other, tickers[2].as_str()).await;
    assert_eq!(error_code(&reply), None, "{reply:?}");
    app.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_holds_at_most_its_sockets_each_with_one_watcher() {
    let app = spawn_app_with(|c| {
        c.sim_flow = 0;
        c.max_sockets_per_session = 2;
    })
    .await;
    let watchers = app.hub.metrics().session_watchers.clone();
    let first = app.browser().await;
    let second = app.browser().await;
    assert_eq!(watchers.get(), 2, "one watcher per upgraded socket");
    assert_eq!(
        app.session.try_browser().await.err(),
        Some(403),
        "a third socket of one session is refused"
    );
    assert_eq!(watchers.get(), 2, "a refused socket starts no watcher");
    // Another login session has sockets of its own.
    let other = app
        .user("tess", shared::auth::Role::Viewer, Default::default())
        .await;
    let mut theirs = other.browser().await;
    theirs.send(&ClientMsg::Ping { nonce: 1 }).await;
    drop(first);
    let probe = watchers.clone();
    wait_until(
        "the closed socket's watcher ends",
        Duration::from_secs(5),
        || {
            let probe = probe.clone();
            async move { probe.get() == 2 }
        },
    )
    .await;
    let again = app.session.try_browser().await;
    assert!(again.is_ok(), "a slot is free again");
    drop((second, again, theirs));
    wait_until("every watcher ends", Duration::from_secs(5), || {
        let probe = watchers.clone();
        async move { probe.get() == 0 }
    })
    .await;
    app.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_live_on_their_own_loopback_address() {
    let app = spawn_app_with(|c| {
        c.sim_flow = 0;
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let addr = app.metrics_addr.expect("a metrics address");
    assert_ne!(addr.port(), app.port);
    let (status, _) = app.get("/metrics").await;
    assert_eq!(status, 404, "not on the desk's port");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("desk_browser_sessions"), "{text}");
    let (status, _) = app.get("/api/session").await;
    assert_eq!(status, 200, "the desk's port serves the desk");
    app.shutdown.cancel();
}
