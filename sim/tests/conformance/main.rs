//! The built-in exchange judged by Kalshi's own contracts: every REST answer of every
//! operation it serves and every WebSocket frame it sends, while orders rest, fill, amend
//! and cancel, RFQs and quotes flow, order groups trigger and markets settle, is validated
//! against `shared/spec/kalshi-openapi.yaml` / `kalshi-asyncapi.yaml` (JSON Schema, formats
//! on); statuses must be ones Kalshi documents for the operation. Exceptions only through
//! `shared/spec/errata.yaml`, each proven by a real recording (`errata_are_proven`).
//!
//! Run: `cargo test -p kalshi-sim --test conformance -- --nocapture` (prints the figures).

mod fuzz;
mod kit;

use std::collections::BTreeSet;
use std::time::Duration;

use desk_testkit::contract::{contract, fixtures_dir, recorded_frames};
use serde_json::{json, Value};

use kit::{world, Socket, Trader};

const T50: &str = "KXDESK-26DEC31-T50";
const T60: &str = "KXDESK-26DEC31-T60";
const SETTLE: &str = "KXDESK-26DEC31-T40";

fn order(ticker: &str, side: &str, price: &str, count: &str) -> Value {
    json!({
        "ticker": ticker, "side": side, "price": price, "count": count,
        "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross",
        "client_order_id": uuid(),
    })
}

/// RFC 3339 of Unix seconds.
fn rfc3339_s(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn uuid() -> String {
    let b: [u8; 16] = rand_bytes();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0xfff,
        u16::from_be_bytes([b[8], b[9]]) & 0xfff,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

fn rand_bytes() -> [u8; 16] {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&(t as u64).to_be_bytes());
    out[8..].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    out
}

async fn ok(t: &Trader, method: &str, path: &str, body: Option<Value>) -> Value {
    let (s, b) = t.call(method, path, body).await;
    assert!((200..300).contains(&s), "{method} {path}: {s} {b}");
    b
}

async fn all_channels(t: &Trader, markets: &[&str]) -> Socket {
    let mut ws = t.socket().await;
    ws.subscribe(&["orderbook_delta"], Some(markets)).await;
    ws.subscribe(
        &[
            "ticker",
            "trade",
            "fill",
            "market_positions",
            "user_orders",
            "order_group_updates",
            "communications",
            "market_lifecycle_v2",
            "multivariate_market_lifecycle",
        ],
        None,
    )
    .await;
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_and_frame_of_a_trading_session_meets_kalshis_contract() {
    // The session's pace is a script's, not a person's: a tier with room for it.
    let w = world(&["alice", "bob", "carol"], 0, "prestige").await;
    w.sim.set_rfq_participants(false);
    let (alice, bob, carol) = (&w.traders[0], &w.traders[1], &w.traders[2]);
    let mut a_ws = all_channels(alice, &[T50, T60, SETTLE]).await;
    let mut b_ws = all_channels(bob, &[T50, T60, SETTLE]).await;
    let mut c_ws = carol.socket().await;
    c_ws.subscribe(&["communications"], None).await;

    // Public market data, signed and unsigned.
    ok(alice, "GET", "/exchange/status", None).await;
    ok(alice, "GET", "/markets?limit=5", None).await;
    ok(
        alice,
        "GET",
        "/markets?status=open&series_ticker=KXDESK&limit=3",
        None,
    )
    .await;
    let page = ok(alice, "GET", "/markets?limit=2", None).await;
    let cursor = page["cursor"].as_str().unwrap_or_default().to_owned();
    ok(
        alice,
        "GET",
        &format!("/markets?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    ok(alice, "GET", "/markets?status=settled&limit=5", None).await;
    ok(alice, "GET", "/markets?status=closed&limit=5", None).await;
    ok(alice, "GET", &format!("/markets/{T50}"), None).await;
    ok(alice, "GET", &format!("/markets/{T50}/orderbook"), None).await;
    ok(
        alice,
        "GET",
        &format!("/markets/{T50}/orderbook?depth=2"),
        None,
    )
    .await;
    ok(alice, "GET", "/series?limit=5", None).await;
    ok(alice, "GET", "/series/KXDESK", None).await;
    ok(alice, "GET", "/series/KXDESKFED", None).await;
    ok(alice, "GET", "/events?limit=5", None).await;
    ok(
        alice,
        "GET",
        "/events?with_nested_markets=true&limit=2",
        None,
    )
    .await;
    ok(alice, "GET", "/events/KXDESK-26DEC31", None).await;
    let now_s = desk_testkit::keys::now_ms() / 1000;

    // Orders: rest, amend, decrease, fill, cancel, batches.
    ok(alice, "GET", "/portfolio/balance", None).await;
    let placed = ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(T50, "bid", "0.0300", "5.00")),
    )
    .await;
    let id = placed["order_id"].as_str().expect("order_id").to_owned();
    a_ws.expect("user_order").await;
    ok(alice, "GET", &format!("/portfolio/orders/{id}"), None).await;
    ok(alice, "GET", "/portfolio/orders", None).await;
    ok(alice, "GET", "/portfolio/orders?status=resting", None).await;
    ok(
        alice,
        "GET",
        &format!("/portfolio/orders/{id}/queue_position"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/portfolio/orders/queue_positions?market_tickers={T50}"),
        None,
    )
    .await;
    ok(
        alice,
        "POST",
        &format!("/portfolio/events/orders/{id}/amend"),
        Some(json!({"ticker": T50, "side": "bid", "price": "0.0400", "count": "6.00"})),
    )
    .await;
    ok(
        alice,
        "POST",
        &format!("/portfolio/events/orders/{id}/decrease"),
        Some(json!({"reduce_by": "1.00"})),
    )
    .await;
    ok(
        alice,
        "DELETE",
        &format!("/portfolio/events/orders/{id}"),
        None,
    )
    .await;

    // A fill between alice and bob, at a price away from the seeded book.
    let book = ok(alice, "GET", &format!("/markets/{T60}/orderbook"), None).await;
    let _ = book;
    let rest = ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(T60, "bid", "0.9900", "3.00")),
    )
    .await;
    let took = ok(
        bob,
        "POST",
        "/portfolio/events/orders",
        Some(json!({
            "ticker": T60, "side": "ask", "price": "0.0100", "count": "2.00",
            "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "taker_at_cross",
        })),
    )
    .await;
    assert!(took["fill_count"] != "0.00", "{took} after {rest}");
    a_ws.expect("fill").await;
    a_ws.expect("market_position").await;
    b_ws.expect("fill").await;
    ok(alice, "GET", "/portfolio/fills", None).await;
    ok(
        alice,
        "GET",
        &format!("/portfolio/fills?ticker={T60}&limit=10"),
        None,
    )
    .await;
    ok(alice, "GET", "/portfolio/positions", None).await;
    ok(
        alice,
        "GET",
        &format!("/portfolio/positions?ticker={T60}"),
        None,
    )
    .await;
    ok(
        bob,
        "GET",
        "/portfolio/positions?count_filter=position",
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/markets/trades?ticker={T60}&limit=5"),
        None,
    )
    .await;
    ok(alice, "GET", "/markets/trades?limit=5", None).await;
    ok(
        alice,
        "GET",
        &format!(
            "/series/KXDESK/markets/{T60}/candlesticks?start_ts={}&end_ts={}&period_interval=1",
            now_s - 3600,
            now_s + 60
        ),
        None,
    )
    .await;
    let batch = ok(
        alice,
        "POST",
        "/portfolio/events/orders/batched",
        Some(json!({"orders": [order(T50, "bid", "0.0200", "1.00"), order(T50, "ask", "0.9800", "1.00")]})),
    )
    .await;
    let ids: Vec<Value> = batch["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["order_id"].as_str().map(|id| json!({"order_id": id})))
        .collect();
    ok(
        alice,
        "DELETE",
        "/portfolio/events/orders/batched",
        Some(json!({"orders": ids})),
    )
    .await;
    ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(T50, "bid", "0.0200", "1.00")),
    )
    .await;
    let (s, _) = alice.call("DELETE", "/portfolio/events/orders", None).await;
    assert!((200..300).contains(&s));

    // Order groups: create, read, re-limit, trigger by a fill, reset, delete.
    let group = ok(
        alice,
        "POST",
        "/portfolio/order_groups/create",
        Some(json!({"contracts_limit_fp": "1.00"})),
    )
    .await;
    let gid = group["order_group_id"]
        .as_str()
        .expect("group id")
        .to_owned();
    ok(alice, "GET", "/portfolio/order_groups", None).await;
    ok(
        alice,
        "GET",
        &format!("/portfolio/order_groups/{gid}"),
        None,
    )
    .await;
    ok(
        alice,
        "PUT",
        &format!("/portfolio/order_groups/{gid}/limit"),
        Some(json!({"contracts_limit_fp": "2.00"})),
    )
    .await;
    let mut grouped = order(T60, "bid", "0.9700", "2.00");
    grouped["order_group_id"] = json!(gid);
    ok(alice, "POST", "/portfolio/events/orders", Some(grouped)).await;
    ok(
        bob,
        "POST",
        "/portfolio/events/orders",
        Some(json!({
            "ticker": T60, "side": "ask", "price": "0.0100", "count": "2.00",
            "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "taker_at_cross",
        })),
    )
    .await;
    a_ws.expect("order_group_updates").await;
    ok(
        alice,
        "PUT",
        &format!("/portfolio/order_groups/{gid}/trigger"),
        Some(json!({})),
    )
    .await;
    ok(
        alice,
        "PUT",
        &format!("/portfolio/order_groups/{gid}/reset"),
        Some(json!({})),
    )
    .await;
    ok(
        alice,
        "DELETE",
        &format!("/portfolio/order_groups/{gid}"),
        None,
    )
    .await;

    // Subaccounts.
    let sub = ok(alice, "POST", "/portfolio/subaccounts", Some(json!({}))).await;
    let number = sub["subaccount_number"]
        .as_i64()
        .expect("subaccount_number");
    ok(
        alice,
        "POST",
        "/portfolio/subaccounts/transfer",
        Some(json!({"client_transfer_id": uuid(), "from_subaccount": 0, "to_subaccount": number, "amount_cents": 1000})),
    )
    .await;
    ok(alice, "GET", "/portfolio/subaccounts/balances", None).await;
    ok(alice, "GET", "/portfolio/subaccounts/transfers", None).await;

    // RFQs and quotes: create, quote, accept, confirm (execute), and the deprecated routes.
    ok(alice, "GET", "/communications/id", None).await;
    let rfq = ok(
        alice,
        "POST",
        "/communications/rfqs",
        Some(json!({"market_ticker": T50, "contracts": 10, "rest_remainder": false})),
    )
    .await;
    let rfq_id = rfq["id"].as_str().expect("rfq id").to_owned();
    c_ws.expect("rfq_created").await;
    ok(alice, "GET", "/communications/rfqs", None).await;
    ok(
        alice,
        "GET",
        &format!("/communications/rfqs/{rfq_id}"),
        None,
    )
    .await;
    let quote = ok(
        bob,
        "POST",
        "/communications/quotes",
        Some(json!({"rfq_id": rfq_id, "yes_bid": "0.4000", "no_bid": "0.5500", "rest_remainder": false})),
    )
    .await;
    let qid = quote["id"].as_str().expect("quote id").to_owned();
    a_ws.expect("quote_created").await;
    ok(
        bob,
        "GET",
        "/communications/quotes?quote_creator_user_id=",
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/communications/quotes?rfq_id={rfq_id}"),
        None,
    )
    .await;
    ok(bob, "GET", &format!("/communications/quotes/{qid}"), None).await;
    ok(
        alice,
        "GET",
        &format!("/communications/rfqs/{rfq_id}/quotes/{qid}"),
        None,
    )
    .await;
    ok(
        alice,
        "PUT",
        &format!("/communications/rfqs/{rfq_id}/quotes/{qid}/accept"),
        Some(json!({"accepted_side": "yes"})),
    )
    .await;
    b_ws.expect("quote_accepted").await;
    ok(
        bob,
        "PUT",
        &format!("/communications/rfqs/{rfq_id}/quotes/{qid}/confirm"),
        Some(json!({})),
    )
    .await;
    a_ws.expect("quote_executed").await;
    a_ws.drain(Duration::from_millis(300)).await;

    // A second RFQ through the deprecated quote routes, then withdrawn.
    let rfq2 = ok(
        alice,
        "POST",
        "/communications/rfqs",
        Some(json!({"market_ticker": T60, "contracts": 5, "rest_remainder": false})),
    )
    .await;
    let rfq2 = rfq2["id"].as_str().expect("rfq id").to_owned();
    let q2 = ok(
        bob,
        "POST",
        "/communications/quotes",
        Some(json!({"rfq_id": rfq2, "yes_bid": "0.3000", "no_bid": "0.6000", "rest_remainder": false})),
    )
    .await;
    let q2 = q2["id"].as_str().expect("quote id").to_owned();
    ok(
        alice,
        "PUT",
        &format!("/communications/quotes/{q2}/accept"),
        Some(json!({"accepted_side": "no"})),
    )
    .await;
    ok(
        bob,
        "PUT",
        &format!("/communications/quotes/{q2}/confirm"),
        Some(json!({})),
    )
    .await;
    let rfq3 = ok(
        alice,
        "POST",
        "/communications/rfqs",
        Some(json!({"market_ticker": T50, "contracts": 3, "rest_remainder": false})),
    )
    .await;
    let rfq3 = rfq3["id"].as_str().expect("rfq id").to_owned();
    let q3 = ok(
        bob,
        "POST",
        "/communications/quotes",
        Some(json!({"rfq_id": rfq3, "yes_bid": "0.2000", "no_bid": "0.7000", "rest_remainder": false})),
    )
    .await;
    let q3 = q3["id"].as_str().expect("quote id").to_owned();
    ok(bob, "DELETE", &format!("/communications/quotes/{q3}"), None).await;
    let q4 = ok(
        bob,
        "POST",
        "/communications/quotes",
        Some(json!({"rfq_id": rfq3, "yes_bid": "0.2100", "no_bid": "0.7000", "rest_remainder": false})),
    )
    .await;
    let q4 = q4["id"].as_str().expect("quote id").to_owned();
    ok(
        bob,
        "DELETE",
        &format!("/communications/rfqs/{rfq3}/quotes/{q4}"),
        None,
    )
    .await;
    ok(
        alice,
        "DELETE",
        &format!("/communications/rfqs/{rfq3}"),
        None,
    )
    .await;
    c_ws.expect("rfq_deleted").await;

    // A block trade: alice proposes to buy 2 of T50 from bob at $0.50; bob accepts.
    let user_of = |orders: &Value| orders["orders"][0]["user_id"].as_str().map(str::to_owned);
    let alice_id =
        user_of(&ok(alice, "GET", "/portfolio/orders", None).await).expect("alice's user id");
    let bob_id = user_of(&ok(bob, "GET", "/portfolio/orders", None).await).expect("bob's user id");
    let expires = desk_testkit::keys::now_ms() / 1000 + 600;
    let proposal = ok(
        alice,
        "POST",
        "/communications/block-trade-proposals",
        Some(
            json!({"buyer_user_id": alice_id, "seller_user_id": bob_id, "market_ticker": T50,
                    "price_centi_cents": 5000, "centicount": 200, "maker_side": "yes",
                    "expiration_ts": rfc3339_s(expires)}),
        ),
    )
    .await;
    let proposal = proposal["block_trade_proposal_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let seen = ok(bob, "GET", "/communications/block-trade-proposals", None).await;
    assert_eq!(
        seen["block_trade_proposals"][0]["buyer_user_id"], "",
        "the other party is blanked: {seen}"
    );
    ok(
        bob,
        "POST",
        &format!("/communications/block-trade-proposals/{proposal}/accept"),
        Some(json!({})),
    )
    .await;
    let done = ok(
        alice,
        "GET",
        "/communications/block-trade-proposals?status=executed",
        None,
    )
    .await;
    assert_eq!(
        done["block_trade_proposals"][0]["status"], "executed",
        "{done}"
    );
    a_ws.expect_where(|v| v["type"] == "fill" && v["msg"]["market_ticker"] == T50)
        .await;

    // Settlement: a position in SETTLE, then the market settles.
    ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(SETTLE, "bid", "0.9900", "1.00")),
    )
    .await;
    ok(
        bob,
        "POST",
        "/portfolio/events/orders",
        Some(json!({
            "ticker": SETTLE, "side": "ask", "price": "0.0100", "count": "1.00",
            "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "taker_at_cross",
        })),
    )
    .await;
    w.sim
        .settle_market(&SETTLE.into(), shared::ids::Side::Yes)
        .expect("settle");
    ok(alice, "GET", "/portfolio/settlements", None).await;
    ok(alice, "GET", &format!("/markets/{SETTLE}"), None).await;
    // Kalshi API 3.34: positions by settlement status, fills of several markets.
    let held = |v: &Value| -> Vec<String> {
        v["market_positions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["ticker"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let unsettled = ok(alice, "GET", "/portfolio/positions", None).await;
    let settled = ok(
        alice,
        "GET",
        "/portfolio/positions?settlement_status=settled",
        None,
    )
    .await;
    let all = ok(
        alice,
        "GET",
        "/portfolio/positions?settlement_status=all",
        None,
    )
    .await;
    assert!(
        !held(&unsettled).contains(&SETTLE.to_owned()),
        "{unsettled}"
    );
    assert_eq!(held(&settled), vec![SETTLE.to_owned()], "{settled}");
    assert_eq!(held(&all).len(), held(&unsettled).len() + 1, "{all}");
    let both = ok(
        alice,
        "GET",
        &format!("/portfolio/fills?ticker={T60},{SETTLE}"),
        None,
    )
    .await;
    let markets: std::collections::BTreeSet<&str> = both["fills"]
        .as_array()
        .expect("fills")
        .iter()
        .filter_map(|f| f["ticker"].as_str())
        .collect();
    assert_eq!(markets, [SETTLE, T60].into_iter().collect(), "{both}");
    a_ws.drain(Duration::from_millis(500)).await;
    b_ws.drain(Duration::from_millis(200)).await;
    c_ws.drain(Duration::from_millis(100)).await;

    // Socket commands and their replies.
    let sid = a_ws.seen.iter().find_map(|v| {
        (v["type"] == "subscribed" && v["msg"]["channel"] == "orderbook_delta")
            .then(|| v["msg"]["sid"].clone())
    });
    let sid = sid.expect("orderbook sid");
    a_ws.command(
        "update_subscription",
        json!({"sids": [sid], "market_tickers": [T60], "action": "get_snapshot"}),
    )
    .await;
    a_ws.expect("orderbook_snapshot").await;
    a_ws.command("list_subscriptions", json!({})).await;
    a_ws.drain(Duration::from_millis(200)).await;
    a_ws.command("unsubscribe", json!({"sids": [sid]})).await;
    a_ws.expect("unsubscribed").await;
    a_ws.command("no_such_command", json!({})).await;
    a_ws.expect("error").await;
    // Malformed commands: each answered with its documented error code.
    for (cmd, params, code) in [
        ("subscribe", json!(null), 2),
        ("subscribe", json!({}), 3),
        ("unsubscribe", json!({}), 4),
        ("unsubscribe", json!({"sids": [9999]}), 7),
        ("subscribe", json!({"channels": ["no_such_channel"]}), 8),
        ("subscribe", json!({"channels": ["orderbook_delta"]}), 14),
        (
            "update_subscription",
            json!({"sids": [1, 2], "action": "add_markets", "market_tickers": [T50]}),
            12,
        ),
        (
            "update_subscription",
            json!({"sids": [1], "market_tickers": [T50]}),
            15,
        ),
        (
            "update_subscription",
            json!({"sids": [1], "action": "dance", "market_tickers": [T50]}),
            13,
        ),
        (
            "subscribe",
            json!({"channels": ["communications"], "shard_factor": 0}),
            19,
        ),
        (
            "subscribe",
            json!({"channels": ["communications"], "shard_key": 1}),
            20,
        ),
        (
            "subscribe",
            json!({"channels": ["communications"], "shard_factor": 2, "shard_key": 2}),
            21,
        ),
        (
            "subscribe",
            json!({"channels": ["communications"], "shard_factor": 101}),
            22,
        ),
    ] {
        let id = a_ws.command(cmd, params.clone()).await;
        let e = a_ws
            .expect_where(|v| v["type"] == "error" && v["id"] == id)
            .await;
        assert_eq!(e["msg"]["code"], code, "{cmd} {params}: {e}");
    }

    // Exchange and account information.
    ok(alice, "GET", "/exchange/schedule", None).await;
    ok(alice, "GET", "/exchange/user_data_timestamp", None).await;
    let limits = ok(alice, "GET", "/account/limits", None).await;
    assert_eq!(limits["usage_tier"], "prestige");
    ok(alice, "GET", "/account/endpoint_costs", None).await;
    ok(
        alice,
        "GET",
        "/account/api_usage_level/volume_progress",
        None,
    )
    .await;
    ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(T50, "bid", "0.0200", "3.00")),
    )
    .await;
    let value = ok(
        alice,
        "GET",
        "/portfolio/summary/total_resting_order_value",
        None,
    )
    .await;
    assert_eq!(
        value["total_resting_order_value"], 6,
        "3 × $0.02 in cents: {value}"
    );

    // Market data of several markets, events' extras, search helpers.
    ok(
        alice,
        "GET",
        &format!("/markets/orderbooks?tickers={T50},{T60}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/markets/orderbooks?tickers={T50}&tickers={T60}"),
        None,
    )
    .await;
    let range = format!(
        "start_ts={}&end_ts={}&period_interval=1",
        now_s - 3600,
        now_s + 60
    );
    ok(
        alice,
        "GET",
        &format!("/markets/candlesticks?market_tickers={T50},{T60}&{range}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/series/KXDESK/events/KXDESK-26DEC31/candlesticks?{range}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/series/KXDESK/events/KXDESK-26DEC31/forecast_percentile_history?percentiles=5000&{range}"),
        None,
    )
    .await;
    ok(alice, "GET", "/events/KXDESK-26DEC31/metadata", None).await;
    ok(
        alice,
        "GET",
        "/events/multivariate?limit=2&with_nested_markets=true",
        None,
    )
    .await;
    ok(alice, "GET", "/series/fee_changes", None).await;
    ok(alice, "GET", "/events/fee_changes", None).await;
    ok(alice, "GET", "/search/tags_by_categories", None).await;
    ok(alice, "GET", "/search/filters_by_sport", None).await;
    let milestones = ok(alice, "GET", "/milestones?limit=10", None).await;
    let milestone = milestones["milestones"][0]["id"]
        .as_str()
        .expect("a milestone")
        .to_owned();
    ok(alice, "GET", &format!("/milestones/{milestone}"), None).await;
    let targets = ok(alice, "GET", "/structured_targets", None).await;
    let target = targets["structured_targets"][0]["id"]
        .as_str()
        .expect("a target")
        .to_owned();
    ok(alice, "GET", &format!("/structured_targets/{target}"), None).await;
    ok(
        alice,
        "GET",
        &format!("/live_data/milestone/{milestone}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/live_data/weather/milestone/{milestone}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/live_data/batch?milestone_ids={milestone}"),
        None,
    )
    .await;
    ok(alice, "GET", "/live_data/events/KXDESKRAIN-27JAN", None).await;

    // Portfolio extras, programs, collections.
    ok(alice, "GET", "/portfolio/subaccounts/netting", None).await;
    ok(
        alice,
        "PUT",
        "/portfolio/subaccounts/netting",
        Some(json!({"subaccount_number": number, "enabled": true})),
    )
    .await;
    let netting = ok(alice, "GET", "/portfolio/subaccounts/netting", None).await;
    assert!(
        netting["netting_configs"]
            .as_array()
            .expect("configs")
            .iter()
            .any(|c| c["subaccount_number"] == number && c["enabled"] == true),
        "{netting}"
    );
    ok(alice, "GET", "/portfolio/deposits", None).await;
    ok(alice, "GET", "/portfolio/withdrawals", None).await;
    ok(alice, "GET", "/incentive_programs", None).await;
    ok(alice, "GET", "/multivariate_event_collections", None).await;

    // The historical tier: markets settled before the exchange started.
    ok(alice, "GET", "/historical/cutoff", None).await;
    let old = ok(alice, "GET", "/historical/markets", None).await;
    let old_ticker = old["markets"][0]["ticker"]
        .as_str()
        .expect("a historical market")
        .to_owned();
    ok(
        alice,
        "GET",
        &format!("/historical/markets/{old_ticker}"),
        None,
    )
    .await;
    ok(
        alice,
        "GET",
        &format!("/historical/markets/{old_ticker}/candlesticks?{range}"),
        None,
    )
    .await;
    ok(alice, "GET", "/historical/trades", None).await;
    ok(alice, "GET", "/historical/fills", None).await;
    ok(alice, "GET", "/historical/orders", None).await;
    ok(alice, "GET", "/historical/positions", None).await;

    // Public market data needs no key, as on Kalshi.
    for path in [
        "/exchange/status",
        "/markets?limit=2",
        "/series/KXDESK",
        "/events/KXDESK-26DEC31",
    ] {
        let (s, b) = carol.public("GET", path).await;
        assert_eq!(s, 200, "{path}: {b}");
    }
    let (s, _) = carol.public("GET", "/portfolio/balance").await;
    assert_eq!(s, 401, "private data needs a key");

    // API keys: create one with a public key, sign with it, generate one, delete both.
    let fresh = desk_testkit::keys::TestKey::ed25519();
    let created = ok(
        carol,
        "POST",
        "/api_keys",
        Some(json!({"name": "second", "public_key": fresh.public_pem()})),
    )
    .await;
    let fresh_id = created["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_owned();
    let second = carol.with_key(&fresh_id, fresh);
    ok(&second, "GET", "/portfolio/balance", None).await;
    let listed = ok(carol, "GET", "/api_keys", None).await;
    assert_eq!(
        listed["api_keys"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    let generated = ok(
        carol,
        "POST",
        "/api_keys/generate",
        Some(json!({"name": "generated", "key_type": "ed25519", "scopes": ["read"]})),
    )
    .await;
    let generated_id = generated["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_owned();
    let read_only = carol.with_private_pem(
        &generated_id,
        generated["private_key"].as_str().expect("private_key"),
    );
    ok(&read_only, "GET", "/portfolio/balance", None).await;
    let (s, b) = read_only
        .call(
            "POST",
            "/portfolio/events/orders",
            Some(order(T50, "bid", "0.0200", "1.00")),
        )
        .await;
    assert_eq!(s, 403, "a read-only key may not trade: {b}");
    ok(carol, "DELETE", &format!("/api_keys/{generated_id}"), None).await;
    ok(carol, "DELETE", &format!("/api_keys/{fresh_id}"), None).await;
    let (s, _) = second.call("GET", "/portfolio/balance", None).await;
    assert_eq!(s, 401, "a deleted key stops at once");

    // One open RFQ per market: a second is Kalshi's 409.
    let open = ok(
        alice,
        "POST",
        "/communications/rfqs",
        Some(json!({"market_ticker": T60, "contracts": 2, "rest_remainder": false})),
    )
    .await;
    let (s, b) = alice
        .call(
            "POST",
            "/communications/rfqs",
            Some(json!({"market_ticker": T60, "contracts": 2, "rest_remainder": false})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    ok(
        alice,
        "DELETE",
        &format!(
            "/communications/rfqs/{}",
            open["id"].as_str().unwrap_or_default()
        ),
        None,
    )
    .await;

    // A trading pause: status and schedule say so, orders and amends wait, cancels work,
    // cancel_order_on_pause orders go.
    let resting = ok(
        alice,
        "POST",
        "/portfolio/events/orders",
        Some(order(T50, "bid", "0.0200", "1.00")),
    )
    .await;
    let mut cop = order(T50, "bid", "0.0200", "1.00");
    cop["cancel_order_on_pause"] = json!(true);
    let cop = ok(alice, "POST", "/portfolio/events/orders", Some(cop)).await;
    assert_eq!(w.sim.pause_trading(Some(Duration::from_secs(600))), 1);
    let status = ok(alice, "GET", "/exchange/status", None).await;
    assert_eq!(status["trading_active"], false, "{status}");
    assert!(
        status["exchange_estimated_resume_time"].is_string(),
        "{status}"
    );
    let schedule = ok(alice, "GET", "/exchange/schedule", None).await;
    assert!(!schedule["schedule"]["maintenance_windows"]
        .as_array()
        .expect("windows")
        .is_empty());
    let (s, b) = alice
        .call(
            "POST",
            "/portfolio/events/orders",
            Some(order(T50, "bid", "0.0200", "1.00")),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (503, Some("trading_is_paused")),
        "{b}"
    );
    let (s, b) = alice
        .call(
            "POST",
            &format!(
                "/portfolio/events/orders/{}/amend",
                resting["order_id"].as_str().unwrap_or_default()
            ),
            Some(json!({"ticker": T50, "side": "bid", "price": "0.0300", "count": "1.00"})),
        )
        .await;
    assert_eq!(s, 503, "{b}");
    let (s, b) = alice
        .call(
            "POST",
            "/communications/rfqs",
            Some(json!({"market_ticker": T50, "contracts": 1, "rest_remainder": false})),
        )
        .await;
    assert_eq!(s, 400, "CreateRFQ documents no 503: {b}");
    let halted = a_ws
        .expect_where(|v| {
            v["type"] == "user_order"
                && v["msg"]["order_id"] == cop["order_id"]
                && v["msg"]["status"] == "canceled"
        })
        .await;
    assert_eq!(
        halted["msg"]["last_update_reason"], "HaltCancel",
        "{halted}"
    );
    ok(
        alice,
        "DELETE",
        &format!(
            "/portfolio/events/orders/{}",
            resting["order_id"].as_str().unwrap_or_default()
        ),
        None,
    )
    .await;
    assert!(w.sim.resume_trading());
    assert_eq!(
        ok(alice, "GET", "/exchange/status", None).await["trading_active"],
        true
    );

    // Errors: unknown and malformed ids, bad bodies.
    for (method, path, body) in [
        ("GET", "/markets/NO-SUCH-MARKET".to_owned(), None),
        ("GET", "/markets/NO-SUCH-MARKET/orderbook".to_owned(), None),
        ("GET", "/events/NO-SUCH-EVENT".to_owned(), None),
        ("GET", "/series/NOSUCH".to_owned(), None),
        ("GET", format!("/portfolio/orders/{}", uuid()), None),
        ("GET", "/portfolio/orders/not-an-id".to_owned(), None),
        (
            "DELETE",
            format!("/portfolio/events/orders/{}", uuid()),
            None,
        ),
        (
            "DELETE",
            "/portfolio/events/orders/not-an-id".to_owned(),
            None,
        ),
        ("GET", format!("/portfolio/order_groups/{}", uuid()), None),
        ("GET", format!("/communications/rfqs/{}", uuid()), None),
        ("GET", format!("/communications/quotes/{}", uuid()), None),
        (
            "POST",
            "/portfolio/events/orders".to_owned(),
            Some(json!({"ticker": T50})),
        ),
        (
            "POST",
            "/portfolio/events/orders".to_owned(),
            Some(order("NO-SUCH-MARKET", "bid", "0.5000", "1.00")),
        ),
        (
            "POST",
            format!("/portfolio/events/orders/{}/amend", uuid()),
            Some(json!({"ticker": T50, "side": "bid", "price": "0.0400", "count": "6.00"})),
        ),
        (
            "POST",
            format!("/portfolio/events/orders/{}/decrease", uuid()),
            Some(json!({"reduce_by": "1.00"})),
        ),
        ("POST", "/communications/rfqs".to_owned(), Some(json!({}))),
        (
            "POST",
            "/communications/quotes".to_owned(),
            Some(json!({"rfq_id": "x"})),
        ),
        ("GET", "/markets?limit=abc".to_owned(), None),
        ("GET", "/portfolio/fills?limit=100000".to_owned(), None),
    ] {
        let (s, b) = alice.call(method, &path, body).await;
        assert!((400..500).contains(&s), "{method} {path}: {s} {b}");
    }

    let record = w.rec.lock().unwrap();
    let served: BTreeSet<&str> = kalshi_sim::IMPLEMENTED_OPERATIONS.iter().copied().collect();
    let validated: BTreeSet<&str> = record
        .operations
        .iter()
        .filter(|(_, statuses)| statuses.iter().any(|s| (200..300).contains(s)))
        .map(|(id, _)| id.as_str())
        .collect();
    let missing: Vec<_> = served.difference(&validated).collect();
    let known = contract().frame_types();
    let frames: BTreeSet<&str> = record.frames.keys().map(String::as_str).collect();
    println!(
        "conformance: {} of {} operations served; {} validated with a success answer; {} frame types validated: {:?}; {} violations",
        served.len(),
        contract().operations().len(),
        validated.len(),
        frames.len(),
        frames,
        record.violations.len()
    );
    for v in &record.violations {
        println!("  {v}");
    }
    assert!(frames.is_subset(&known), "unknown frame types {frames:?}");
    // Every frame type the exchange sends was seen (and validated).
    let sent: BTreeSet<&str> = [
        "subscribed",
        "unsubscribed",
        "ok",
        "error",
        "orderbook_snapshot",
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "market_position",
        "user_order",
        "order_group_updates",
        "market_lifecycle_v2",
        "rfq_created",
        "rfq_deleted",
        "quote_created",
        "quote_accepted",
        "quote_executed",
    ]
    .into_iter()
    .collect();
    assert_eq!(frames, sent, "frame types seen");
    assert!(
        missing.is_empty(),
        "served but never answered successfully: {missing:?}"
    );
    assert!(
        record.violations.is_empty(),
        "{} contract violations (first: {})",
        record.violations.len(),
        record.violations[0]
    );
}

/// Every erratum is proven: the recording it names contains the evidence and, where it
/// names a frame type or operation, that recorded payload breaks the spec exactly where
/// the erratum says.
#[test]
fn errata_are_proven_by_real_recordings() {
    let errata = contract().errata();
    for e in &errata.entries {
        let path = fixtures_dir().join(&e.proof.file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{}: {}: {err}", e.id, path.display()));
        assert!(
            text.contains(&e.proof.contains),
            "{}: {} does not contain {:?}",
            e.id,
            e.proof.file,
            e.proof.contains
        );
        if let Some(ty) = &e.proof.frame_type {
            let broken = recorded_frames(&text)
                .iter()
                .filter_map(|f| serde_json::from_str::<Value>(f).ok())
                .filter(|f| f["type"] == ty.as_str() && f.to_string().contains(&e.proof.contains))
                .flat_map(|f| contract().check_frame_strict(&f))
                .any(|v| errata.excuse(&v).is_some_and(|x| x.id == e.id));
            assert!(
                broken,
                "{}: no recorded {ty} frame breaks the spec there",
                e.id
            );
        }
        if let Some(op) = &e.proof.operation {
            let recorded: Value = serde_json::from_str(&text).expect("JSON recording");
            let op = contract().operation(op).expect("operation");
            let path = op.path.clone();
            let broken = contract()
                .check_response_strict(&op.method, &path, 200, &recorded["response"])
                .iter()
                .any(|v| errata.excuse(v).is_some_and(|x| x.id == e.id));
            assert!(
                broken,
                "{}: the recorded body does not break the spec there",
                e.id
            );
        }
    }
}

/// Rate limits as Kalshi applies them, on the Basic tier: 200 read tokens a second (20
/// reads at the default cost of 10), cheaper single-order reads, writes in their own bucket,
/// batches billed per item and admitted whole; a refusal is `429` with Kalshi's error body
/// and no `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_kalshis_token_buckets() {
    let w = world(&["alice", "bob"], 0, "basic").await;
    let (alice, bob) = (&w.traders[0], &w.traders[1]);
    let limits = ok(alice, "GET", "/account/limits", None).await;
    assert_eq!(limits["usage_tier"], "basic");
    assert_eq!(limits["read"]["refill_rate"], 200);
    assert_eq!(limits["write"]["bucket_capacity"], 100);
    let costs = ok(alice, "GET", "/account/endpoint_costs", None).await;
    assert_eq!(costs["default_cost"], 10);

    // 60 reads at once overrun the read bucket (two reads already spent 20 of its 200
    // tokens; it refills 200 a second, a few reads' worth while the burst is served).
    let burst = futures_util::future::join_all(
        (0..60).map(|_| alice.call("GET", "/portfolio/balance", None)),
    )
    .await;
    let served = burst.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<&Value> = burst
        .iter()
        .filter(|(s, _)| *s == 429)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(served + refused.len(), 60);
    // 18 fit the bucket; the rest depends on how fast the burst is served, so only
    // loosely: most of the burst must be refused.
    assert!((18..=45).contains(&served), "{served} of 60 reads served");
    assert_eq!(refused[0]["code"], "too_many_requests", "{}", refused[0]);
    // Writes have a bucket of their own: a batch of 10 orders (100 tokens) fits whole...
    let batch = |n: usize| json!({"orders": (0..n).map(|_| order(T50, "bid", "0.0100", "1.00")).collect::<Vec<_>>()});
    ok(
        bob,
        "POST",
        "/portfolio/events/orders/batched",
        Some(batch(10)),
    )
    .await;
    // ...and a batch of 5 right after it is refused whole (it needs 50 tokens; the bucket
    // refills 100 a second).
    let (s, _) = bob
        .call("POST", "/portfolio/events/orders/batched", Some(batch(5)))
        .await;
    assert_eq!(s, 429, "a batch is admitted whole or not at all");
    // 250 ms later at least 25 write tokens are back: ten single cancels (2 tokens each) fit.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let orders = ok(bob, "GET", "/portfolio/orders?status=resting", None).await;
    for o in orders["orders"].as_array().expect("orders").iter().take(10) {
        let id = o["order_id"].as_str().expect("order_id");
        ok(
            bob,
            "DELETE",
            &format!("/portfolio/events/orders/{id}"),
            None,
        )
        .await;
    }
    let record = w.rec.lock().unwrap();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    assert_eq!(record.retry_after, 0, "no Retry-After, as on Kalshi");
}
