//! The bounded soak: the upstream is killed every few seconds while the desk's orders
//! trade and the background flow moves the books. At the end the desk's books equal the
//! exchange's exactly, and the fills the desk reported (its ledger and a browser's feed)
//! equal the exchange's: none lost, none doubled. `DESK_SOAK_SECS` lengthens it (default 30).

use std::collections::BTreeSet;
use std::time::Duration;

use shared::ids::{Action, Side, TradeId};
use shared::num::Count;
use shared::protocol::{ClientMsg, OrderTicket, ServerMsg};

use crate::helpers::{spawn_app, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_upstream_killed_every_few_seconds_loses_and_doubles_no_fill_and_books_end_exact() {
    let secs: u64 = std::env::var("DESK_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let app = spawn_app().await;
    let markets: Vec<_> = app.sim.market_tickers().into_iter().take(3).collect();
    let mut browser = app.browser().await;
    for m in &markets {
        browser
            .send(&ClientMsg::Watch {
                market_ticker: m.clone(),
            })
            .await;
        browser
            .until(
                "initial book",
                |msg| matches!(msg, ServerMsg::Book { market_ticker, .. } if market_ticker == m),
            )
            .await;
    }
    app.sim.set_flow(300);
    let start = tokio::time::Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut next_kill = start + Duration::from_secs(3);
    let (mut kills, mut placed, mut i) = (0u64, 0u64, 0usize);
    while tokio::time::Instant::now() < end {
        if tokio::time::Instant::now() >= next_kill {
            app.sim.drop_connections();
            kills += 1;
            next_kill += Duration::from_secs(3);
        }
        let ticket = OrderTicket::limit(
            markets[i % markets.len()].clone(),
            Action::Buy,
            if i % 2 == 0 { Side::Yes } else { Side::No },
            "0.99".parse().unwrap(),
            Count::from_int(1),
        );
        i += 1;
        let (status, body) = app.post("/api/orders", &ticket).await;
        assert!(status < 300, "order refused: {status} {body}");
        placed += 1;
        browser.drain(Duration::from_millis(150)).await;
    }
    app.sim.set_flow(0);
    let key = app
        .sim
        .key_ids()
        .into_iter()
        .next()
        .expect("the desk's key");
    let exchange: BTreeSet<TradeId> = app
        .sim
        .fills_for(&key)
        .into_iter()
        .map(|f| f.trade_id)
        .collect();
    assert!(!exchange.is_empty(), "orders traded ({placed} placed)");
    assert!(kills >= 3, "the upstream was killed {kills} times");
    let (hub, sim, k) = (app.hub.clone(), app.sim.clone(), key.clone());
    wait_until(
        "desk fills == exchange fills",
        Duration::from_secs(30),
        || {
            let (hub, sim, k) = (hub.clone(), sim.clone(), k.clone());
            async move {
                let desk: BTreeSet<_> = hub.fills().into_iter().map(|f| f.trade_id).collect();
                let ex: BTreeSet<_> = sim.fills_for(&k).into_iter().map(|f| f.trade_id).collect();
                desk == ex && hub.upstream_state() == shared::protocol::UpstreamState::Live
            }
        },
    )
    .await;
    let ledger = app.hub.fills();
    let unique: BTreeSet<_> = ledger.iter().map(|f| f.trade_id.clone()).collect();
    assert_eq!(
        unique.len(),
        ledger.len(),
        "no fill doubled in the desk's ledger"
    );
    for m in &markets {
        app.assert_books_settle(m, &mut browser).await;
    }
    browser.drain(Duration::from_millis(500)).await;
    let seen: Vec<_> = browser.fills.iter().map(|f| f.trade_id.clone()).collect();
    let seen_set: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(
        seen.len(),
        seen_set.len(),
        "no fill doubled in the browser's feed"
    );
    let final_exchange: BTreeSet<_> = app
        .sim
        .fills_for(&key)
        .into_iter()
        .map(|f| f.trade_id)
        .collect();
    assert_eq!(seen_set, final_exchange, "browser saw every fill once");
    assert!(app.connects() > kills, "reconnected after every kill");
    eprintln!(
        "soak: {secs}s, {kills} kills, {placed} orders, {} fills, {} recovered over REST",
        ledger.len(),
        app.hub.metrics().fills_reconciled.get()
    );
}
