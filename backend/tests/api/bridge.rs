//! The bridge: books equal the exchange's, gaps resync, sessions share subscriptions,
//! bad browser frames do not end a session.

use std::collections::HashSet;
use std::time::Duration;

use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg};

use crate::helpers::{spawn_app, spawn_app_with, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_seconds_of_flow_the_desk_book_equals_the_exchange_book() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.browser().await;
    browser
        .send(&ClientMsg::Watch {
            market_ticker: market.clone(),
        })
        .await;
    browser
        .until(
            "initial book",
            |m| matches!(m, ServerMsg::Book { market_ticker, .. } if *market_ticker == market),
        )
        .await;
    app.sim.set_flow(200);
    let mut levels_seen = 0;
    let end = tokio::time::Instant::now() + Duration::from_secs(4);
    while tokio::time::Instant::now() < end {
        if matches!(browser.next().await, ServerMsg::Level { .. }) {
            levels_seen += 1;
        }
    }
    assert!(levels_seen > 0, "the book moved while we watched");
    app.sim.set_flow(0);
    // Quiet now: the backend's book and the browser's copy must both equal the exchange's.
    let (hub, sim, m) = (app.hub.clone(), app.sim.clone(), market.clone());
    wait_until(
        "backend book == exchange book",
        Duration::from_secs(10),
        || {
            let (hub, sim, m) = (hub.clone(), sim.clone(), m.clone());
            async move { hub.book(&m).map(|b| b.levels) == sim.book(&m) }
        },
    )
    .await;
    browser.drain(Duration::from_millis(500)).await;
    assert_eq!(
        browser.levels(&market),
        app.sim.book(&market),
        "browser book == exchange book"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seq_gap_marks_the_book_stale_and_a_fresh_snapshot_restores_it() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut browser = app.browser().await;
    browser
        .send(&ClientMsg::Watch {
            market_ticker: market.clone(),
        })
        .await;
    browser
        .until("initial book", |m| matches!(m, ServerMsg::Book { .. }))
        .await;
    app.sim.set_flow(200);
    app.sim.skip_next_seq();
    browser
        .until(
            "stale mark",
            |m| matches!(m, ServerMsg::Stale { market_ticker } if *market_ticker == market),
        )
        .await;
    browser
        .until("fresh snapshot", |m| matches!(m, ServerMsg::Book { market_ticker, stale: false, .. } if *market_ticker == market))
        .await;
    app.sim.set_flow(0);
    let (hub, sim, m) = (app.hub.clone(), app.sim.clone(), market.clone());
    wait_until(
        "backend book == exchange book after resync",
        Duration::from_secs(10),
        || {
            let (hub, sim, m) = (hub.clone(), sim.clone(), m.clone());
            async move {
                hub.book(&m)
                    .is_some_and(|b| !b.stale && Some(b.levels) == sim.book(&m))
            }
        },
    )
    .await;
    browser.drain(Duration::from_millis(500)).await;
    assert_eq!(browser.levels(&market), app.sim.book(&market));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_watching_one_market_cost_one_upstream_subscription() {
    let app = spawn_app().await;
    let market = app.first_market();
    let mut a = app.browser().await;
    let mut b = app.browser().await;
    for browser in [&mut a, &mut b] {
        browser
            .send(&ClientMsg::Watch {
                market_ticker: market.clone(),
            })
            .await;
        browser
            .until("book", |m| matches!(m, ServerMsg::Book { .. }))
            .await;
    }
    assert_eq!(app.hub.watcher_count(&market), 2);
    let subs = app.sim.orderbook_subscriptions();
    assert_eq!(
        subs.len(),
        1,
        "one orderbook_delta subscription upstream: {subs:?}"
    );
    assert_eq!(
        subs[0].iter().filter(|m| **m == market).count(),
        1,
        "the market once: {subs:?}"
    );
    // A second market joins the same subscription (update_subscription), not a new one.
    let other = app.sim.market_tickers().into_iter().nth(1).unwrap();
    a.send(&ClientMsg::Watch {
        market_ticker: other.clone(),
    })
    .await;
    a.until(
        "second book",
        |m| matches!(m, ServerMsg::Book { market_ticker, .. } if *market_ticker == other),
    )
    .await;
    let subs = app.sim.orderbook_subscriptions();
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert!(
        subs[0].contains(&other) && subs[0].contains(&market),
        "{subs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_browser_frames_get_an_error_frame_and_the_session_lives() {
    let app = spawn_app().await;
    let mut browser = app.browser().await;
    for bad in [
        "garbage",
        "{}",
        r#"{"op":"watch"}"#,
        r#"{"op":"watch","market_ticker":"../../etc"}"#,
        r#"{"op":"transfer","to":"x"}"#,
    ] {
        browser.send_text(bad).await;
        let reply = browser
            .until("error reply", |m| matches!(m, ServerMsg::Error { .. }))
            .await;
        let ServerMsg::Error { code, .. } = reply else {
            unreachable!()
        };
        assert!(!code.is_empty());
    }
    browser.send(&ClientMsg::Ping { nonce: 42 }).await;
    browser
        .until("pong", |m| *m == ServerMsg::Pong { nonce: 42 })
        .await;
}

/// A portfolio of a thousand markets is marked from the ticker channel: no order book is
/// subscribed upstream; each market's last ticker arrives at once and later ones as they
/// change; a second session marking the same markets gets the desk's last tickers without
/// asking the exchange again; after the marks are dropped no ticker of them is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_marked_markets_subscribe_tickers_not_books() {
    let app = spawn_app_with(|c| {
        c.sim_flow = 0;
        c.sim_markets = 1_200;
    })
    .await;
    let directory = app.hub.directory().clone();
    wait_until("the directory", Duration::from_secs(30), || {
        let directory = directory.clone();
        async move { directory.open_markets().is_some() }
    })
    .await;
    let markets: Vec<MarketTicker> = app.sim.market_tickers().into_iter().take(1_000).collect();
    let marks = ClientMsg::Marks {
        market_tickers: markets.clone(),
    };
    let initial = |mut browser: crate::helpers::Browser| async move {
        let mut seen = HashSet::new();
        while seen.len() < 1_000 {
            if let ServerMsg::Ticker(t) = browser.next().await {
                assert!(t.yes_bid_dollars.is_some(), "{t:?}");
                seen.insert(t.market_ticker);
            }
        }
        browser
    };
    let mut browser = app.browser().await;
    browser.send(&marks).await;
    let mut browser = initial(browser).await;
    assert!(
        app.sim.orderbook_subscriptions().iter().all(Vec::is_empty),
        "no book is subscribed for marks"
    );
    assert_eq!(app.hub.marked_markets().len(), 1_000);

    let mut second = app.browser().await;
    second.send(&marks).await;
    let second = initial(second).await;
    drop(second);

    // Flow in one marked market reaches the session as tickers.
    let hot = markets[0].clone();
    assert!(app.sim.set_flow_focus(Some(hot.clone())));
    app.sim.set_flow(100);
    browser
        .until(
            "a later ticker of the marked market",
            |m| matches!(m, ServerMsg::Ticker(t) if t.market_ticker == hot),
        )
        .await;

    // Marks dropped: nothing more of them.
    browser
        .send(&ClientMsg::Marks {
            market_tickers: Vec::new(),
        })
        .await;
    browser.send(&ClientMsg::Ping { nonce: 7 }).await;
    browser
        .until("the pong after the marks", |m| {
            matches!(m, ServerMsg::Pong { nonce: 7 })
        })
        .await;
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(1);
    while tokio::time::Instant::now() < quiet_until {
        let next = tokio::time::timeout(Duration::from_millis(200), browser.next()).await;
        if let Ok(ServerMsg::Ticker(t)) = next {
            panic!("a ticker after the marks were dropped: {}", t.market_ticker);
        }
    }
    wait_until("the last marker left", Duration::from_secs(10), || {
        let hub = app.hub.clone();
        async move { hub.marked_markets().is_empty() }
    })
    .await;

    // A market that is not open is refused by name.
    browser
        .send(&ClientMsg::Marks {
            market_tickers: vec![MarketTicker::from("KXNOSUCH-26DEC31-T1")],
        })
        .await;
    browser
        .until("the refusal", |m| {
            matches!(m, ServerMsg::Error { code, message } if code == "unknown_market" && message.contains("KXNOSUCH"))
        })
        .await;
}
