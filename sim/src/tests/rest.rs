//! The REST face over real sockets: authentication and Kalshi's errors, markets, order
//! book and pagination, the order lifecycle (create, amend, decrease, batch, cancel all),
//! series, events, market filters and candlesticks, and every spec operation served or
//! answering Kalshi's 501.

use std::time::Duration;

use serde_json::{json, Value};
use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};
use shared::rest::ApiError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::now_ms;

use super::{
    alice, bob, call, connect, d, keys, levels_of, next, next_within, order, raw_call, send,
    spawn_sim, T50, T60,
};

#[tokio::test]
async fn auth_accepts_valid_signatures_and_refuses_the_rest_with_kalshi_errors() {
    let sim = spawn_sim(0, 1).await;
    let (status, body) = call(&sim, &alice(), "GET", "/trade-api/v2/exchange/status", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["trading_active"], json!(true));
    // The query string is not signed.
    let (status, _) = call(&sim, &alice(), "GET", "/trade-api/v2/markets?limit=2", None).await;
    assert_eq!(status, 200);

    let ts = now_ms();
    let path = "/trade-api/v2/portfolio/balance";
    let good = keys()[0].sign(ts, "GET", path);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no headers", vec![]),
        (
            "signature over another path",
            vec![
                ("KALSHI-ACCESS-KEY", "alice".into()),
                ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
                (
                    "KALSHI-ACCESS-SIGNATURE",
                    keys()[0].sign(ts, "GET", "/trade-api/v2/markets"),
                ),
            ],
        ),
        (
            "wrong key's signature",
            vec![
                ("KALSHI-ACCESS-KEY", "alice".into()),
                ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
                ("KALSHI-ACCESS-SIGNATURE", keys()[2].sign(ts, "GET", path)),
            ],
        ),
        (
            "unknown key",
            vec![
                ("KALSHI-ACCESS-KEY", "mallory".into()),
                ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
                ("KALSHI-ACCESS-SIGNATURE", keys()[2].sign(ts, "GET", path)),
            ],
        ),
        (
            "stale timestamp",
            vec![
                ("KALSHI-ACCESS-KEY", "alice".into()),
                ("KALSHI-ACCESS-TIMESTAMP", (ts - 60_000).to_string()),
                (
                    "KALSHI-ACCESS-SIGNATURE",
                    keys()[0].sign(ts - 60_000, "GET", path),
                ),
            ],
        ),
        (
            "timestamp not the signed one",
            vec![
                ("KALSHI-ACCESS-KEY", "alice".into()),
                ("KALSHI-ACCESS-TIMESTAMP", (ts + 1).to_string()),
                ("KALSHI-ACCESS-SIGNATURE", good.clone()),
            ],
        ),
        (
            "garbage signature",
            vec![
                ("KALSHI-ACCESS-KEY", "alice".into()),
                ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
                ("KALSHI-ACCESS-SIGNATURE", "not base64!".into()),
            ],
        ),
    ];
    for (name, headers) in cases {
        let (status, body) = raw_call(&sim, "GET", path, None, &headers).await;
        assert_eq!(status, 401, "{name}");
        let err: ApiError = serde_json::from_value(body.clone()).unwrap();
        assert!(
            !err.code.is_empty() && !err.message.is_empty(),
            "{name}: {body}"
        );
    }
    let (status, _) = raw_call(
        &sim,
        "GET",
        path,
        None,
        &[
            ("KALSHI-ACCESS-KEY", "alice".into()),
            ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
            ("KALSHI-ACCESS-SIGNATURE", good),
        ],
    )
    .await;
    assert_eq!(status, 200, "the same headers, correctly signed, pass");

    // The WebSocket handshake is authenticated too.
    let req = format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port())
        .into_client_request()
        .unwrap();
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    sim.shutdown();
}

#[tokio::test]
async fn markets_orderbook_pagination_and_unknown_routes() {
    let sim = spawn_sim(0, 2).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let (status, body) = call(
            &sim,
            &alice(),
            "GET",
            &format!("/trade-api/v2/markets?status=open&limit=3&cursor={cursor}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let page = body["markets"].as_array().unwrap();
        assert!(page.len() <= 3);
        for m in page {
            assert_eq!(m["status"], json!("active"));
            let bid = d(m["yes_bid_dollars"].as_str().unwrap());
            let ask = d(m["yes_ask_dollars"].as_str().unwrap());
            assert!(bid < ask, "{m}");
            seen.push(m["ticker"].as_str().unwrap().to_owned());
        }
        cursor = body["cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert!(seen.len() >= 6);
    let tickers: Vec<String> = sim.market_tickers().iter().map(|t| t.to_string()).collect();
    assert_eq!(
        seen, tickers,
        "pages cover every open market once, in order"
    );

    let (_, body) = call(
        &sim,
        &alice(),
        "GET",
        "/trade-api/v2/markets?series_ticker=KXDESK",
        None,
    )
    .await;
    assert_eq!(body["markets"].as_array().unwrap().len(), 5);
    let (_, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/markets?tickers={T50},{T60}"),
        None,
    )
    .await;
    assert_eq!(body["markets"].as_array().unwrap().len(), 2);

    let (status, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/markets/{T50}/orderbook"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let book = sim.book(&T50.into()).unwrap();
    assert_eq!(levels_of(&body["orderbook_fp"], "yes_dollars"), book.yes);
    assert_eq!(levels_of(&body["orderbook_fp"], "no_dollars"), book.no);
    let (_, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/markets/{T50}/orderbook?depth=2"),
        None,
    )
    .await;
    assert_eq!(
        levels_of(&body["orderbook_fp"], "yes_dollars"),
        book.yes[book.yes.len() - 2..].to_vec(),
        "best two, ascending"
    );

    let (status, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/markets/{T50}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["market"]["ticker"].as_str()),
        (200, Some(T50))
    );
    for (path, want) in [
        ("/trade-api/v2/markets/NOPE-1", 404),
        ("/trade-api/v2/no/such/thing", 404),
        ("/trade-api/v2/markets?limit=5000", 400),
        ("/trade-api/v2/markets?limit=abc", 400),
        ("/trade-api/v2/portfolio/orders?status=weird", 400),
    ] {
        let (status, body) = call(&sim, &alice(), "GET", path, None).await;
        assert_eq!(status, want, "{path}: {body}");
        assert!(
            ApiError::from_body(&body.to_string()).is_some_and(|e| !e.code.is_empty()),
            "{path}: {body}"
        );
    }
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/exchange/status",
        None,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    sim.shutdown();
}

#[tokio::test]
async fn order_lifecycle_over_rest() {
    let sim = spawn_sim(0, 3).await;
    let book = sim.book(&T50.into()).unwrap();
    let (best_bid, _) = *book.yes.last().unwrap();
    let (best_no, _) = *book.no.last().unwrap();
    let ask = best_no.complement();
    let low = (best_bid - d("0.05")).to_string();

    // Rest a bid well below the market.
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", &low, "10.50", "good_till_canceled")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["fill_count"].as_str(),
            body["remaining_count"].as_str()
        ),
        (Some("0.00"), Some("10.50"))
    );
    let id = body["order_id"].as_str().unwrap().to_owned();
    let (_, bal) = call(
        &sim,
        &alice(),
        "GET",
        "/trade-api/v2/portfolio/balance",
        None,
    )
    .await;
    let reserved = d(&low).times("10.50".parse().unwrap());
    assert_eq!(
        d(bal["balance_dollars"].as_str().unwrap()),
        Dollars::from_int(1_000) - reserved
    );
    assert_eq!(
        bal["balance"].as_i64().unwrap(),
        (Dollars::from_int(1_000) - reserved).raw() / 10_000
    );
    let (_, list) = call(
        &sim,
        &alice(),
        "GET",
        "/trade-api/v2/portfolio/orders?status=resting",
        None,
    )
    .await;
    let o = &list["orders"][0];
    assert_eq!(
        (
            o["order_id"].as_str(),
            o["outcome_side"].as_str(),
            o["book_side"].as_str()
        ),
        (Some(id.as_str()), Some("yes"), Some("bid"))
    );
    assert_eq!(o["remaining_count_fp"], json!("10.50"));
    let (status, _) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &sim,
        &bob(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "someone else's order");

    // Cancel: a stranger cannot, the owner can, once.
    let (status, body) = call(
        &sim,
        &bob(),
        "DELETE",
        &format!("/trade-api/v2/portfolio/events/orders/{id}"),
        None,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, body) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("/trade-api/v2/portfolio/events/orders/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reduced_by"], json!("10.50"));
    let (status, _) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("/trade-api/v2/portfolio/events/orders/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Take one contract at the ask.
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(
            T50,
            "bid",
            &ask.to_string(),
            "1",
            "immediate_or_cancel",
        )),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fill_count"], json!("1.00"));
    assert_eq!(d(body["average_fill_price"].as_str().unwrap()), ask);
    let fills = sim.fills_for("alice");
    assert_eq!(fills.len(), 1);
    assert!(fills[0].is_taker);
    let (_, body) = call(&sim, &alice(), "GET", "/trade-api/v2/portfolio/fills", None).await;
    let f = &body["fills"][0];
    assert_eq!(
        (
            f["count_fp"].as_str(),
            f["outcome_side"].as_str(),
            f["is_taker"].as_bool()
        ),
        (Some("1.00"), Some("yes"), Some(true))
    );
    assert_eq!(
        d(f["fee_cost"].as_str().unwrap()),
        crate::engine::taker_fee(Count::ONE, ask)
    );
    let (_, body) = call(
        &sim,
        &alice(),
        "GET",
        "/trade-api/v2/portfolio/positions",
        None,
    )
    .await;
    let p = &body["market_positions"][0];
    assert_eq!(
        (p["ticker"].as_str(), p["position_fp"].as_str()),
        (Some(T50), Some("1.00"))
    );
    assert_eq!(d(p["market_exposure_dollars"].as_str().unwrap()), ask);
    let (_, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/markets/trades?ticker={T50}&limit=1"),
        None,
    )
    .await;
    assert_eq!(
        d(body["trades"][0]["yes_price_dollars"].as_str().unwrap()),
        ask
    );
    assert_eq!(body["trades"][0]["taker_outcome_side"], json!("yes"));

    // Refusals.
    let mut post_only = order(T50, "bid", &ask.to_string(), "1", "good_till_canceled");
    post_only["post_only"] = json!(true);
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(post_only),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("post_only_cross"))
    );
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", "0.90", "5000", "good_till_canceled")),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("insufficient_balance"))
    );
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", "0.505", "1", "good_till_canceled")),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameters")),
        "off tick: {body}"
    );
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", "0.50", "1.001", "good_till_canceled")),
    )
    .await;
    assert_eq!(status, 400, "three decimals: {body}");
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(json!("{not json")),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameters"))
    );
    assert_eq!(sim.orders_received("alice"), 2);
    assert_eq!(sim.orders_received("bob"), 0);
    sim.shutdown();
}

/// Every spec operation is either served (never a 404/501 "no such endpoint") or answers
/// Kalshi's 501 naming it; paths and methods that are no Kalshi operation stay 404.
#[tokio::test]
async fn every_spec_operation_is_served_or_answers_a_kalshi_501() {
    let sim = spawn_sim(0, 4).await;
    for &(id, method, template) in shared::api::ops::ALL_OPERATIONS {
        let mut path = template.to_owned();
        while let Some(start) = path.find('{') {
            let end = path[start..]
                .find('}')
                .map_or(path.len(), |e| start + e + 1);
            path.replace_range(start..end, "X-1");
        }
        let body = (method != shared::api::Method::Get).then(|| json!({}));
        let full = format!("/trade-api/v2{path}");
        let (status, reply) = call(&sim, &alice(), method.as_str(), &full, body).await;
        let error = ApiError::from_body(&reply.to_string());
        if crate::spec::IMPLEMENTED.contains(&id) {
            assert_ne!(status, 501, "{id} {method} {full}: {reply}");
            let unrouted = error.is_some_and(|e| e.message.starts_with("no such endpoint"));
            assert!(
                !unrouted,
                "{id} is listed as implemented but not routed: {reply}"
            );
        } else {
            assert_eq!(status, 501, "{id} {method} {full}: {reply}");
            let error = error.expect("a Kalshi error body");
            assert_eq!(error.code, "not_implemented");
            assert_eq!(
                error.message,
                format!("{id} is not implemented by the built-in exchange")
            );
        }
    }
    for (method, path) in [
        ("GET", "/trade-api/v2/no/such/thing"),
        ("PATCH", "/trade-api/v2/portfolio/balance"),
        ("GET", "/trade-api/v2/api_keys/extra/segment"),
        ("PUT", "/trade-api/v2/markets"),
    ] {
        let (status, body) = call(&sim, &alice(), method, path, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}"
        );
    }
    // Unsigned requests to an unimplemented operation are still refused first.
    let (status, _) = raw_call(&sim, "GET", "/trade-api/v2/api_keys", None, &[]).await;
    assert_eq!(status, 401);
    sim.shutdown();
}

/// Amend, decrease, queue positions, batch create/cancel and cancel-all over REST, with
/// the `user_orders` frames they cause.
#[tokio::test]
async fn amend_decrease_batch_and_cancel_all_over_rest() {
    let sim = spawn_sim(0, 8).await;
    let mut ws = connect(&sim, &alice()).await;
    send(
        &mut ws,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["user_orders"]}}),
    )
    .await;
    assert_eq!(next(&mut ws).await["type"], json!("subscribed"));
    let best_bid = sim.book(&T50.into()).unwrap().yes.last().unwrap().0;
    let low = best_bid - d("0.05");
    let lower = best_bid - d("0.06");
    let orders = "/trade-api/v2/portfolio/events/orders";

    // Batch create: two good orders and one refused, in request order.
    let mut bad = order(T50, "bid", "0.505", "1", "good_till_canceled");
    bad["client_order_id"] = json!("bad-one");
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{orders}/batched"),
        Some(json!({"orders": [
            order(T50, "bid", &low.to_string(), "10", "good_till_canceled"),
            bad,
            order(T50, "bid", &lower.to_string(), "4", "good_till_canceled"),
        ]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let items = body["orders"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["error"]["code"], json!("invalid_parameters"));
    assert_eq!(items[1]["client_order_id"], json!("bad-one"));
    let id = items[0]["order_id"].as_str().unwrap().to_owned();
    let id2 = items[2]["order_id"].as_str().unwrap().to_owned();
    assert_eq!(items[0]["remaining_count"], json!("10.00"));

    // Queue positions: both behind the seeded participants at their levels.
    let (status, body) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/queue_positions?market_tickers={T50}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let qp = body["queue_positions"].as_array().unwrap();
    assert_eq!(qp.len(), 2);
    assert_eq!(qp[0]["order_id"], json!(id));
    assert_eq!(qp[0]["market_ticker"], json!(T50));
    assert!(qp[0]["queue_position_fp"].is_string());
    let (_, other) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/queue_positions?market_tickers={T60}"),
        None,
    )
    .await;
    assert_eq!(other["queue_positions"], json!([]));
    let (status, single) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/{id}/queue_position"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(single["queue_position_fp"], qp[0]["queue_position_fp"]);

    // Amend to a fresh price one tick under the best bid: alone there, first in the queue.
    let fresh = best_bid - d("0.01");
    let level_before = sim
        .book(&T50.into())
        .unwrap()
        .yes
        .iter()
        .find(|(p, _)| *p == fresh)
        .map_or(Count::ZERO, |(_, c)| *c);
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{orders}/{id}/amend"),
        Some(json!({"ticker": T50, "side": "bid", "price": fresh.to_string(), "count": "8"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["remaining_count"], json!("8.00"));
    let level_after = sim
        .book(&T50.into())
        .unwrap()
        .yes
        .iter()
        .find(|(p, _)| *p == fresh)
        .map(|(_, c)| *c);
    assert_eq!(level_after, Some(level_before + "8".parse().unwrap()));
    let (_, single) = call(
        &sim,
        &alice(),
        "GET",
        &format!("/trade-api/v2/portfolio/orders/{id}/queue_position"),
        None,
    )
    .await;
    assert_eq!(
        single["queue_position_fp"],
        json!(level_before.to_string()),
        "back of the new level"
    );

    // Decrease keeps it there.
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{orders}/{id}/decrease"),
        Some(json!({"reduce_by": "3"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["remaining_count"], json!("5.00"));
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{orders}/{id}/decrease"),
        Some(json!({"reduce_by": "1", "reduce_to": "1"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameters"))
    );
    let (status, _) = call(
        &sim,
        &bob(),
        "POST",
        &format!("{orders}/{id}/amend"),
        Some(json!({"ticker": T50, "side": "bid", "price": fresh.to_string(), "count": "8"})),
    )
    .await;
    assert_eq!(status, 404, "someone else's order");

    // Frames: the batch's two orders, then Amend and Decrease on the first.
    let mut reasons = Vec::new();
    while let Some(f) = next_within(&mut ws, Duration::from_millis(500)).await {
        if f["type"] == json!("user_order") && f["msg"]["order_id"] == json!(id) {
            reasons.push(
                f["msg"]["last_update_reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            );
        }
    }
    // A placement has no `last_update_reason` (Kalshi's enum has none for it).
    assert_eq!(reasons, vec!["", "Amend", "Decrease"]);

    // Batch cancel: one real, one unknown.
    let (status, body) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("{orders}/batched"),
        Some(json!({"orders": [{"order_id": id2}, {"order_id": "nope"}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orders"][0]["reduced_by"], json!("4.00"));
    assert_eq!(body["orders"][1]["error"]["code"], json!("not_found"));

    // Cancel all: 204, nothing resting after.
    let (status, _) = call(&sim, &alice(), "DELETE", orders, None).await;
    assert_eq!(status, 204);
    let (_, list) = call(
        &sim,
        &alice(),
        "GET",
        "/trade-api/v2/portfolio/orders?status=resting",
        None,
    )
    .await;
    assert_eq!(list["orders"], json!([]));
    sim.shutdown();
}

#[tokio::test]
async fn series_events_market_filters_and_candlesticks() {
    let sim = spawn_sim(0, 2).await;
    let get = |path: String| {
        let sim = sim.clone();
        async move { call(&sim, &alice(), "GET", &format!("/trade-api/v2{path}"), None).await }
    };
    // GetSeriesList / GetSeries.
    let (status, body) = get("/series".into()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["series"].as_array().unwrap().len() >= 5);
    let (_, body) = get("/series?category=Economics&include_volume=true".into()).await;
    let series = body["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{body}");
    assert_eq!(series[0]["ticker"], json!("KXDESKFED"));
    assert_eq!(series[0]["volume_fp"], json!("0.00"));
    let (status, _) = get("/series/KXDESKRAIN".into()).await;
    assert_eq!(status, 200);
    // GetSeries documents no 404: an unknown series is Kalshi's 400.
    let (status, body) = get("/series/NOPE".into()).await;
    assert_eq!(status, 400, "{body}");

    // GetEvents: multivariate events left out, status from the markets, cursor paging.
    let (_, body) = get("/events?limit=200".into()).await;
    let events: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_ticker"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"KXDESKRAIN-26OCT"));
    assert!(events.iter().all(|e| !e.starts_with("KXMVE")), "{events:?}");
    let (_, body) =
        get("/events?series_ticker=KXDESKRAIN&status=settled&with_nested_markets=true".into())
            .await;
    let settled = body["events"].as_array().unwrap();
    assert_eq!(settled.len(), 1, "{body}");
    assert_eq!(settled[0]["markets"].as_array().unwrap().len(), 2);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = get(format!("/events?limit=2&cursor={cursor}")).await;
        assert_eq!(status, 200, "{body}");
        for e in body["events"].as_array().unwrap() {
            seen.push(e["event_ticker"].as_str().unwrap().to_owned());
        }
        cursor = body["cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen, events, "pages cover every event once, in order");
    let (status, body) = get("/events/KXDESKFED-26DEC16".into()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["markets"].as_array().unwrap().len(), 4);
    assert_eq!(body["event"]["series_ticker"], json!("KXDESKFED"));
    let (status, _) = get("/events?status=paused".into()).await;
    assert_eq!(status, 400, "GetEvents has no paused status");

    // GetMarkets filters.
    let count = |body: &Value| body["markets"].as_array().unwrap().len();
    let (_, body) = get("/markets?status=settled".into()).await;
    assert_eq!(count(&body), 2, "{body}");
    let (_, body) = get("/markets?status=closed".into()).await;
    assert_eq!(count(&body), 1, "{body}");
    // Before 2026-12-20: the four December Fed markets, the closed October one, the settled
    // October rain markets and the recorded markets (close 2026-01-27).
    let (_, body) = get("/markets?max_close_ts=1797724800".into()).await;
    let tickers: Vec<&str> = body["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ticker"].as_str().unwrap())
        .collect();
    assert!(tickers.contains(&"KXDESKFED-26DEC16-T3.50"), "{tickers:?}");
    assert!(
        !tickers.iter().any(|t| t.starts_with("KXDESK-")),
        "{tickers:?}"
    );
    let (status, body) = get("/markets?status=open&max_close_ts=1797724800".into()).await;
    assert_eq!(
        status, 400,
        "Kalshi combines close-time filters only with closed: {body}"
    );
    let (_, body) = get("/markets?mve_filter=only".into()).await;
    assert_eq!(count(&body), 5, "{body}");
    let (status, _) = get("/markets?status=bogus".into()).await;
    assert_eq!(status, 400);

    // Candlesticks from the exchange's own trades: none yet, then one after a trade.
    let t = "KXDESKFED-26DEC16-T3.50";
    let now = super::now_ms() / 1000;
    let candles = |period: i64| {
        get(format!("/series/KXDESKFED/markets/{t}/candlesticks?start_ts={}&end_ts={}&period_interval={period}", now - 86_400, now + 86_400 * 2))
    };
    let (status, body) = candles(1).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["candlesticks"].as_array().unwrap().is_empty());
    let ask = sim
        .book(&MarketTicker::from(t))
        .unwrap()
        .no
        .last()
        .unwrap()
        .0
        .complement();
    let (status, body) = call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(json!({"ticker": t, "side": "bid", "count": "1.00", "price": ask.to_string(), "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "taker_at_cross"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for period in [1, 60, 1440] {
        let (status, body) = candles(period).await;
        assert_eq!(status, 200, "{body}");
        let list = body["candlesticks"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{period}: {body}");
        let c = &list[0];
        assert_eq!(c["price"]["close_dollars"], json!(ask.to_string()));
        assert_eq!(c["volume_fp"], json!("1.00"));
        assert_eq!(c["end_period_ts"].as_i64().unwrap() % (period * 60), 0);
    }
    let (status, _) = get(format!(
        "/series/KXDESK/markets/{t}/candlesticks?start_ts=0&end_ts=60&period_interval=1"
    ))
    .await;
    assert_eq!(status, 404, "wrong series");
    let (status, _) = get(format!(
        "/series/KXDESKFED/markets/{t}/candlesticks?start_ts=0&end_ts=60&period_interval=5"
    ))
    .await;
    assert_eq!(status, 400, "bad period");
    let (status, _) = get(format!(
        "/series/KXDESKFED/markets/{t}/candlesticks?end_ts=60&period_interval=1"
    ))
    .await;
    assert_eq!(status, 400, "start_ts is required");
    sim.shutdown();
}
