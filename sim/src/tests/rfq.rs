//! RFQ / quote tests over real sockets with real signatures: three registered users
//! (alice requests, bob quotes, carol watches).

use std::time::Duration;

use serde_json::{json, Value};
use shared::ids::Side;
use shared::num::{Count, Dollars};

use super::super::{SimConfig, SimExchange};
use super::{call, connect, d, keys, next_within, public, send, Who, Ws, T50};

fn carol() -> Who {
    Who {
        key_id: "carol",
        key: &keys()[2],
    }
}

async fn spawn3() -> SimExchange {
    let ks = keys();
    let config = SimConfig {
        keys: vec![
            ("alice".into(), public(&ks[0])),
            ("bob".into(), public(&ks[1])),
            ("carol".into(), public(&ks[2])),
        ],
        flow_per_sec: 0,
        seed: 7,
        starting_balance: Dollars::from_int(1_000),
        max_clock_skew_ms: 30_000,
        usage_tier: crate::UsageTier::BASIC,
        markets: 0,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = SimExchange::start(config, listener).await.unwrap();
    sim.set_rfq_participants(false);
    sim
}

async fn comms(sim: &SimExchange, who: &Who) -> Ws {
    let mut ws = connect(sim, who).await;
    send(
        &mut ws,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["communications"]}}),
    )
    .await;
    let v = next_within(&mut ws, Duration::from_secs(5))
        .await
        .expect("subscribed");
    assert_eq!(v["type"], "subscribed", "{v}");
    ws
}

/// The next frame of `kind`, skipping none: the communications stream is exact.
async fn expect(ws: &mut Ws, kind: &str) -> Value {
    let v = next_within(ws, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("a {kind} frame"));
    assert_eq!(v["type"], kind, "{v}");
    v
}

async fn silent(ws: &mut Ws) {
    if let Some(v) = next_within(ws, Duration::from_millis(300)).await {
        panic!("unexpected frame {v}");
    }
}

const P: &str = "/trade-api/v2/communications";

async fn new_rfq(sim: &SimExchange, who: &Who, contracts: i64) -> String {
    let (s, b) = call(
        sim,
        who,
        "POST",
        &format!("{P}/rfqs"),
        // One open RFQ per market and user: a new one replaces an earlier one.
        Some(
            json!({"market_ticker": T50, "contracts": contracts, "rest_remainder": false,
                    "replace_existing": true}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

async fn new_quote(sim: &SimExchange, who: &Who, rfq: &str, yes: &str, no: &str) -> (u16, Value) {
    call(
        sim,
        who,
        "POST",
        &format!("{P}/quotes"),
        Some(json!({"rfq_id": rfq, "yes_bid": yes, "no_bid": no, "rest_remainder": false})),
    )
    .await
}

#[tokio::test]
async fn rfq_quote_accept_confirm_executes_with_fills_on_both_sides_and_kalshi_visibility() {
    let sim = spawn3().await;
    let (mut a, mut b, mut c) = (
        comms(&sim, &super::alice()).await,
        comms(&sim, &super::bob()).await,
        comms(&sim, &carol()).await,
    );
    let rfq = new_rfq(&sim, &super::alice(), 10).await;
    for ws in [&mut a, &mut b, &mut c] {
        let v = expect(ws, "rfq_created").await;
        assert_eq!(v["msg"]["id"], rfq.as_str());
        assert_eq!(v["msg"]["contracts_fp"], "10.00");
    }
    let (s, body) = new_quote(&sim, &super::bob(), &rfq, "0.4000", "0.5500").await;
    assert_eq!(s, 201, "{body}");
    let quote = body["id"].as_str().unwrap().to_owned();
    for ws in [&mut a, &mut b] {
        let v = expect(ws, "quote_created").await;
        assert_eq!(v["msg"]["quote_id"], quote.as_str());
        assert_eq!(v["msg"]["yes_bid_dollars"], "0.4000");
    }
    silent(&mut c).await;
    // Only the requester may accept; only the quoter may confirm.
    let accept = format!("{P}/rfqs/{rfq}/quotes/{quote}/accept");
    let (s, _) = call(
        &sim,
        &super::bob(),
        "PUT",
        &accept,
        Some(json!({"accepted_side": "yes"})),
    )
    .await;
    assert_eq!(s, 400);
    let (s, body) = call(
        &sim,
        &super::alice(),
        "PUT",
        &accept,
        Some(json!({"accepted_side": "yes"})),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    for ws in [&mut a, &mut b] {
        let v = expect(ws, "quote_accepted").await;
        assert_eq!(v["msg"]["accepted_side"], "yes");
    }
    silent(&mut c).await;
    let confirm = format!("{P}/rfqs/{rfq}/quotes/{quote}/confirm");
    let (s, _) = call(&sim, &super::alice(), "PUT", &confirm, None).await;
    assert_eq!(s, 400);
    let (s, body) = call(&sim, &super::bob(), "PUT", &confirm, None).await;
    assert_eq!(s, 204, "{body}");
    let ea = expect(&mut a, "quote_executed").await;
    let eb = expect(&mut b, "quote_executed").await;
    assert_ne!(
        ea["msg"]["order_id"], eb["msg"]["order_id"],
        "each side sees its own order id"
    );
    for ws in [&mut a, &mut b, &mut c] {
        expect(ws, "rfq_deleted").await;
    }
    // Fills: alice bought YES at 1 − 0.55 = 0.45; bob bought NO at 0.55.
    let fa = sim.fills_for("alice");
    let fb = sim.fills_for("bob");
    assert_eq!(fa.len(), 1);
    assert_eq!(fb.len(), 1);
    assert_eq!(fa[0].outcome_side, Some(Side::Yes));
    assert_eq!(fa[0].yes_price_dollars, d("0.45"));
    assert_eq!(fa[0].count_fp, Count::from_int(10));
    assert!(fa[0].is_taker);
    assert_eq!(fb[0].outcome_side, Some(Side::No));
    assert!(!fb[0].is_taker);
    assert_eq!(fa[0].order_id.0, ea["msg"]["order_id"].as_str().unwrap());
    // Positions follow.
    let (_, pos) = call(
        &sim,
        &super::alice(),
        "GET",
        "/trade-api/v2/portfolio/positions",
        None,
    )
    .await;
    let p = pos["market_positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ticker"] == T50)
        .cloned()
        .unwrap();
    assert_eq!(p["position_fp"], "10.00", "{p}");
    // Statuses.
    let (_, q) = call(
        &sim,
        &super::bob(),
        "GET",
        &format!("{P}/quotes/{quote}"),
        None,
    )
    .await;
    assert_eq!(q["quote"]["status"], "executed");
    let (_, r) = call(
        &sim,
        &super::alice(),
        "GET",
        &format!("{P}/rfqs/{rfq}"),
        None,
    )
    .await;
    assert_eq!(r["rfq"]["status"], "closed");
    // Carol cannot see the quote.
    let (s, _) = call(&sim, &carol(), "GET", &format!("{P}/quotes/{quote}"), None).await;
    assert_eq!(s, 404);
    let (_, id) = call(&sim, &super::alice(), "GET", &format!("{P}/id"), None).await;
    assert_eq!(id["communications_id"], ea["msg"]["rfq_creator_id"]);
    sim.shutdown();
}

#[tokio::test]
async fn rfq_refusals_quote_above_a_dollar_a_second_rfq_on_a_market_late_confirm_and_replacement() {
    let sim = spawn3().await;
    let rfq = new_rfq(&sim, &super::alice(), 5).await;
    // yes + no above $1.
    let (s, body) = new_quote(&sim, &super::bob(), &rfq, "0.5000", "0.5100").await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("exceed"),
        "{body}"
    );
    // Exactly $1 is fine; a second quote replaces the first.
    let (s, first) = new_quote(&sim, &super::bob(), &rfq, "0.5000", "0.5000").await;
    assert_eq!(s, 201);
    let (s, second) = new_quote(&sim, &super::bob(), &rfq, "0.4800", "0.5000").await;
    assert_eq!(s, 201);
    let (_, q1) = call(
        &sim,
        &super::bob(),
        "GET",
        &format!("{P}/quotes/{}", first["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(q1["quote"]["status"], "cancelled");
    let (_, list) = call(
        &sim,
        &super::alice(),
        "GET",
        &format!("{P}/quotes?rfq_id={rfq}&status=open"),
        None,
    )
    .await;
    let open = list["quotes"].as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], second["id"]);

    // Late confirm: a 3 s market.
    sim.set_fast_confirm_series("KXDESK");
    let quote = second["id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &sim,
        &super::alice(),
        "PUT",
        &format!("{P}/quotes/{quote}/accept"),
        Some(json!({"accepted_side": "no"})),
    )
    .await;
    assert_eq!(s, 204);
    tokio::time::sleep(Duration::from_millis(3_300)).await;
    let (s, body) = call(
        &sim,
        &super::bob(),
        "PUT",
        &format!("{P}/quotes/{quote}/confirm"),
        None,
    )
    .await;
    assert_eq!(s, 400, "{body}");
    let (_, q) = call(
        &sim,
        &super::bob(),
        "GET",
        &format!("{P}/quotes/{quote}"),
        None,
    )
    .await;
    assert_eq!(q["quote"]["status"], "cancelled");
    assert!(sim.fills_for("alice").is_empty());

    // One open RFQ per market: a second on T50 is a 409; deleting the first makes room.
    let (s, body) = call(
        &sim,
        &super::alice(),
        "POST",
        &format!("{P}/rfqs"),
        Some(json!({"market_ticker": T50, "contracts": 1, "rest_remainder": false})),
    )
    .await;
    assert_eq!(s, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("already open"),
        "{body}"
    );
    let (s, _) = call(
        &sim,
        &super::alice(),
        "DELETE",
        &format!("{P}/rfqs/{rfq}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (_, r) = call(
        &sim,
        &super::alice(),
        "GET",
        &format!("{P}/rfqs/{rfq}"),
        None,
    )
    .await;
    assert_eq!(r["rfq"]["status"], "closed");
    new_rfq(&sim, &super::alice(), 1).await;
    let (_, mine) = call(
        &sim,
        &super::alice(),
        "GET",
        &format!("{P}/rfqs?user_filter=self&status=open&limit=1000"),
        None,
    )
    .await;
    assert_eq!(mine["rfqs"].as_array().unwrap().len(), 1);
    sim.shutdown();
}

#[tokio::test]
async fn simulated_counterparty_quotes_on_my_rfq_and_confirms_when_accepted() {
    let sim = spawn3().await;
    sim.set_rfq_participants(true);
    let mut a = comms(&sim, &super::alice()).await;
    let rfq = new_rfq(&sim, &super::alice(), 3).await;
    expect(&mut a, "rfq_created").await;
    let v = loop {
        let v = next_within(&mut a, Duration::from_secs(5))
            .await
            .expect("a quote");
        if v["type"] == "quote_created" && v["msg"]["rfq_id"] == rfq.as_str() {
            break v;
        }
    };
    let quote = v["msg"]["quote_id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &sim,
        &super::alice(),
        "PUT",
        &format!("{P}/quotes/{quote}/accept"),
        Some(json!({"accepted_side": "yes"})),
    )
    .await;
    assert_eq!(s, 204);
    loop {
        let v = next_within(&mut a, Duration::from_secs(5))
            .await
            .expect("execution");
        if v["type"] == "quote_executed" {
            break;
        }
    }
    assert_eq!(sim.fills_for("alice").len(), 1);
    sim.shutdown();
}

async fn quote_of(sim: &SimExchange, who: &Who, id: &str) -> Value {
    let (s, body) = call(sim, who, "GET", &format!("{P}/quotes/{id}"), None).await;
    assert_eq!(s, 200, "{body}");
    body["quote"].clone()
}

/// RFQ, quote (0.40 / 0.50) and accept YES; returns the quote id.
async fn accepted_quote(sim: &SimExchange) -> String {
    let rfq = new_rfq(sim, &super::alice(), 5).await;
    let (s, body) = new_quote(sim, &super::bob(), &rfq, "0.4000", "0.5000").await;
    assert_eq!(s, 201, "{body}");
    let quote = body["id"].as_str().unwrap().to_owned();
    let (s, body) = call(
        sim,
        &super::alice(),
        "PUT",
        &format!("{P}/quotes/{quote}/accept"),
        Some(json!({"accepted_side": "yes"})),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    quote
}

async fn confirm_refused_as_late(sim: &SimExchange, quote: &str) {
    let (s, body) = call(
        sim,
        &super::bob(),
        "PUT",
        &format!("{P}/quotes/{quote}/confirm"),
        None,
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("confirmation window expired"),
        "{body}"
    );
}

#[tokio::test]
async fn accepted_quotes_expire_after_the_window_and_get_quotes_reads_changes_since_min_ts() {
    let sim = spawn3().await;
    sim.set_confirm_windows(Duration::from_millis(300), Duration::from_millis(300));
    let quote = accepted_quote(&sim).await;
    assert_eq!(
        quote_of(&sim, &super::bob(), &quote).await["status"],
        "accepted"
    );
    // The RFQ task cancels it once the window passes (polled; no timing assertion).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let q = loop {
        let q = quote_of(&sim, &super::alice(), &quote).await;
        if q["status"] == "cancelled" {
            break q;
        }
        assert!(tokio::time::Instant::now() < deadline, "never expired: {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(q["cancellation_reason"], "confirmation window expired");
    assert!(q["cancelled_ts"].is_string(), "{q}");
    // A confirm after the sweep is still refused as late, in those words.
    confirm_refused_as_late(&sim, &quote).await;
    assert!(sim.fills_for("bob").is_empty());

    // GetQuotes min_ts (Unix seconds): only quotes updated since then.
    let now_s = super::super::now_ms() / 1000;
    for (min_ts, expect_it) in [(now_s - 60, true), (now_s + 60, false)] {
        let (s, list) = call(
            &sim,
            &super::bob(),
            "GET",
            &format!("{P}/quotes?user_filter=self&min_ts={min_ts}"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{list}");
        let found = list["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == quote.as_str());
        assert_eq!(found, expect_it, "min_ts {min_ts}: {list}");
    }
    let (s, _) = call(
        &sim,
        &super::bob(),
        "GET",
        &format!("{P}/quotes?min_ts=soon"),
        None,
    )
    .await;
    assert_eq!(s, 400);

    // Without the sweep an accepted quote reads "accepted" past its window until touched;
    // the late confirm is refused and cancels it.
    sim.set_rfq_expiry_sweep(false);
    let quote = accepted_quote(&sim).await;
    // Not a timing assertion: waiting out the 300 ms window is what makes it late.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        quote_of(&sim, &super::bob(), &quote).await["status"],
        "accepted"
    );
    confirm_refused_as_late(&sim, &quote).await;
    let q = quote_of(&sim, &super::bob(), &quote).await;
    assert_eq!(q["status"], "cancelled");
    assert_eq!(q["cancellation_reason"], "confirmation window expired");
    sim.shutdown();
}
