//! Socket-level tests of the simulated exchange: real sockets on 127.0.0.1 port 0, real
//! 2048-bit RSA keys made once per test binary, signed by the test kit's Kalshi signer (the
//! desk's own signer is not used on purpose).

use std::sync::OnceLock;
use std::time::Duration;

use desk_testkit::TestKey;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::book::{BookLevels, OrderBook};
use shared::ids::{MarketTicker, Sid, Side};
use shared::num::{Count, Dollars};
use shared::rest::ApiError;
use shared::ws::{decode, Incoming, ServerFrame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::engine::{AccountKind, Engine, Event};
use super::flow::Flow;
use super::hub::Hub;
use super::markets::seed_markets;
use super::{now_ms, SimConfig, SimExchange};

const T50: &str = "KXDESK-26DEC31-T50";
const T60: &str = "KXDESK-26DEC31-T60";

/// Three keys: alice and bob are registered, the third is a stranger.
fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| (0..3).map(|_| TestKey::rsa()).collect())
}

/// `key`'s public half as the exchange holds it. (The test kit's `sim_public_key` names the
/// copy of this crate the kit links, not the one under test.)
fn public(key: &TestKey) -> crate::PublicKey {
    crate::PublicKey::from_pem(&key.public_pem()).expect("SPKI PEM")
}

struct Who {
    key_id: &'static str,
    key: &'static TestKey,
}
fn alice() -> Who {
    Who {
        key_id: "alice",
        key: &keys()[0],
    }
}
fn bob() -> Who {
    Who {
        key_id: "bob",
        key: &keys()[1],
    }
}

async fn spawn_sim(flow_per_sec: u32, seed: u64) -> SimExchange {
    let ks = keys();
    let config = SimConfig {
        keys: vec![
            ("alice".into(), public(&ks[0])),
            ("bob".into(), public(&ks[1])),
        ],
        flow_per_sec,
        seed,
        starting_balance: Dollars::from_int(1_000),
        max_clock_skew_ms: 30_000,
        usage_tier: crate::UsageTier::BASIC,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimExchange::start(config, listener).await.unwrap()
}

/// A signed REST call; `path` may carry a query (not signed).
async fn call(
    sim: &SimExchange,
    who: &Who,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let ts = now_ms();
    let signed_path = path.split('?').next().unwrap_or(path);
    let sig = who.key.sign(ts, method, signed_path);
    raw_call(
        sim,
        method,
        path,
        body,
        &[
            ("KALSHI-ACCESS-KEY", who.key_id.to_owned()),
            ("KALSHI-ACCESS-TIMESTAMP", ts.to_string()),
            ("KALSHI-ACCESS-SIGNATURE", sig),
        ],
    )
    .await
}

async fn raw_call(
    sim: &SimExchange,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let url = format!("http://127.0.0.1:{}{path}", sim.port());
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn order(ticker: &str, side: &str, price: &str, count: &str, tif: &str) -> Value {
    json!({"ticker": ticker, "side": side, "price": price, "count": count, "time_in_force": tif,
           "self_trade_prevention_type": "taker_at_cross", "client_order_id": format!("t-{side}-{price}-{count}")})
}

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(sim: &SimExchange, who: &Who) -> Ws {
    let ts = now_ms();
    let mut req = format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port())
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert("KALSHI-ACCESS-KEY", who.key_id.parse().unwrap());
    h.insert("KALSHI-ACCESS-TIMESTAMP", ts.to_string().parse().unwrap());
    h.insert(
        "KALSHI-ACCESS-SIGNATURE",
        who.key.sign(ts, "GET", "/trade-api/ws/v2").parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON frame (pings skipped), or `None` after `wait`.
async fn next_within(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert!(
                decode(t.as_str()).is_ok(),
                "shared::ws::decode reads every frame: {t}"
            );
            return Some(v);
        }
    }
}

async fn next(ws: &mut Ws) -> Value {
    next_within(ws, Duration::from_secs(5))
        .await
        .expect("a frame within 5 s")
}

fn levels_of(v: &Value, key: &str) -> Vec<(Dollars, Count)> {
    serde_json::from_value(v.get(key).cloned().unwrap_or(json!([]))).unwrap()
}

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
        super::engine::taker_fee(Count::ONE, ask)
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

#[tokio::test]
async fn ws_snapshot_deltas_sequencing_and_control_frames() {
    let sim = spawn_sim(0, 4).await;
    let mut ws = connect(&sim, &alice()).await;
    send(&mut ws, json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"], "market_ticker": T50}})).await;
    let sub = next(&mut ws).await;
    assert_eq!(sub["type"], json!("subscribed"));
    assert_eq!(sub["id"], json!(1));
    let sid = sub["msg"]["sid"].as_u64().unwrap();
    let snap = next(&mut ws).await;
    assert_eq!(
        (
            snap["type"].as_str(),
            snap["sid"].as_u64(),
            snap["seq"].as_u64()
        ),
        (Some("orderbook_snapshot"), Some(sid), Some(1))
    );
    let want = sim.book(&T50.into()).unwrap();
    assert_eq!(levels_of(&snap["msg"], "yes_dollars_fp"), want.yes);
    assert_eq!(levels_of(&snap["msg"], "no_dollars_fp"), want.no);
    assert!(snap["msg"]["market_id"].is_string());
    let mut book = OrderBook::from_levels(&BookLevels {
        yes: want.yes.clone(),
        no: want.no.clone(),
    });

    // Our resting order and a stranger's: deltas with consecutive seq; only ours has a client id.
    let low = (want.yes.last().unwrap().0 - d("0.03")).to_string();
    call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", &low, "2", "good_till_canceled")),
    )
    .await;
    call(
        &sim,
        &bob(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T50, "bid", &low, "3", "good_till_canceled")),
    )
    .await;
    let mut seq = 1;
    for (count, own) in [("2.00", true), ("3.00", false)] {
        let delta = next(&mut ws).await;
        seq += 1;
        assert_eq!(
            (delta["type"].as_str(), delta["seq"].as_u64()),
            (Some("orderbook_delta"), Some(seq)),
            "{delta}"
        );
        assert_eq!(delta["msg"]["delta_fp"], json!(count));
        assert_eq!(delta["msg"]["side"], json!("yes"));
        assert_eq!(delta["msg"]["client_order_id"].is_string(), own, "{delta}");
        assert!(delta["msg"]["ts_ms"].is_i64());
        book.apply_delta(
            Side::Yes,
            d(delta["msg"]["price_dollars"].as_str().unwrap()),
            count.parse().unwrap(),
        )
        .unwrap();
    }
    assert_eq!(
        book.levels(),
        sim.book(&T50.into()).unwrap(),
        "snapshot + deltas = the exchange's book"
    );

    // update_subscription: ok consumes a seq, then the new market's snapshot follows.
    send(&mut ws, json!({"id": 2, "cmd": "update_subscription", "params": {"sids": [sid], "market_tickers": [T60], "action": "add_markets"}})).await;
    let ok = next(&mut ws).await;
    seq += 1;
    assert_eq!(
        (
            ok["type"].as_str(),
            ok["id"].as_u64(),
            ok["sid"].as_u64(),
            ok["seq"].as_u64()
        ),
        (Some("ok"), Some(2), Some(sid), Some(seq))
    );
    assert_eq!(ok["msg"]["market_tickers"], json!([T50, T60]));
    let snap = next(&mut ws).await;
    seq += 1;
    assert_eq!(
        (
            snap["type"].as_str(),
            snap["msg"]["market_ticker"].as_str(),
            snap["seq"].as_u64()
        ),
        (Some("orderbook_snapshot"), Some(T60), Some(seq))
    );

    // get_snapshot: fresh snapshots carrying the command id, continuing the seq.
    send(&mut ws, json!({"id": 3, "cmd": "update_subscription", "params": {"sid": sid, "action": "get_snapshot"}})).await;
    for _ in 0..2 {
        let snap = next(&mut ws).await;
        seq += 1;
        assert_eq!(
            (
                snap["type"].as_str(),
                snap["id"].as_u64(),
                snap["seq"].as_u64()
            ),
            (Some("orderbook_snapshot"), Some(3), Some(seq))
        );
    }

    // Fault injection: one seq is skipped.
    sim.skip_next_seq();
    call(
        &sim,
        &bob(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T60, "bid", "0.05", "1", "good_till_canceled")),
    )
    .await;
    let delta = next(&mut ws).await;
    assert_eq!(
        delta["seq"].as_u64(),
        Some(seq + 2),
        "a gap of one: {delta}"
    );
    seq += 2;

    send(&mut ws, json!({"id": 4, "cmd": "list_subscriptions"})).await;
    let list = next(&mut ws).await;
    assert_eq!(
        list["msg"],
        json!([{"channel": "orderbook_delta", "sid": sid}])
    );
    send(
        &mut ws,
        json!({"id": 5, "cmd": "unsubscribe", "params": {"sids": [sid]}}),
    )
    .await;
    let unsub = next(&mut ws).await;
    assert_eq!(
        (
            unsub["type"].as_str(),
            unsub["sid"].as_u64(),
            unsub["seq"].as_u64()
        ),
        (Some("unsubscribed"), Some(sid), Some(seq + 1))
    );
    call(
        &sim,
        &bob(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(T60, "bid", "0.05", "1", "good_till_canceled")),
    )
    .await;
    assert!(
        next_within(&mut ws, Duration::from_millis(300))
            .await
            .is_none(),
        "nothing after unsubscribe"
    );
    sim.shutdown();
}

#[tokio::test]
async fn ws_command_errors_carry_kalshi_codes() {
    let sim = spawn_sim(0, 5).await;
    let mut ws = connect(&sim, &alice()).await;
    send(
        &mut ws,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["ticker"]}}),
    )
    .await;
    let sid = next(&mut ws).await["msg"]["sid"].as_u64().unwrap();
    let cases: Vec<(&str, String, u64)> = vec![
        ("not json", "{nope".into(), 1),
        ("unknown command", json!({"id": 2, "cmd": "dance"}).to_string(), 5),
        ("no params", json!({"id": 3, "cmd": "subscribe"}).to_string(), 2),
        ("no channels", json!({"id": 4, "cmd": "subscribe", "params": {}}).to_string(), 3),
        ("unknown channel", json!({"id": 5, "cmd": "subscribe", "params": {"channels": ["weather"]}}).to_string(), 8),
        ("book without markets", json!({"id": 6, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"]}}).to_string(), 14),
        ("unknown sid", json!({"id": 7, "cmd": "unsubscribe", "params": {"sids": [999]}}).to_string(), 7),
        ("sid and sids", json!({"id": 8, "cmd": "update_subscription", "params": {"sid": sid, "sids": [sid], "action": "add_markets"}}).to_string(), 12),
        ("two sids", json!({"id": 9, "cmd": "update_subscription", "params": {"sids": [sid, sid + 1], "action": "add_markets"}}).to_string(), 12),
        ("no action", json!({"id": 10, "cmd": "update_subscription", "params": {"sid": sid}}).to_string(), 15),
        ("unknown action", json!({"id": 11, "cmd": "update_subscription", "params": {"sid": sid, "action": "dance"}}).to_string(), 13),
        ("add without markets", json!({"id": 12, "cmd": "update_subscription", "params": {"sid": sid, "action": "add_markets"}}).to_string(), 14),
    ];
    for (name, text, code) in cases {
        ws.send(Message::text(text)).await.unwrap();
        let err = next(&mut ws).await;
        assert_eq!(
            (err["type"].as_str(), err["msg"]["code"].as_u64()),
            (Some("error"), Some(code)),
            "{name}: {err}"
        );
        assert!(err["msg"]["msg"].is_string());
    }
    // The connection survives its errors.
    send(&mut ws, json!({"id": 13, "cmd": "list_subscriptions"})).await;
    assert_eq!(next(&mut ws).await["type"], json!("ok"));
    sim.shutdown();
}

#[tokio::test]
async fn ws_private_channels_trades_and_ticker() {
    let sim = spawn_sim(0, 6).await;
    let mut ws = connect(&sim, &alice()).await;
    send(&mut ws, json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["fill", "user_orders", "market_positions", "trade", "ticker"]}})).await;
    let mut sids = std::collections::HashMap::new();
    for _ in 0..5 {
        let s = next(&mut ws).await;
        assert_eq!(s["type"], json!("subscribed"));
        sids.insert(
            s["msg"]["channel"].as_str().unwrap().to_owned(),
            s["msg"]["sid"].as_u64().unwrap(),
        );
    }
    // Two levels within three cents hold at least 2 contracts: the IOC fills completely.
    let ask = sim
        .book(&T50.into())
        .unwrap()
        .no
        .last()
        .unwrap()
        .0
        .complement()
        + d("0.03");
    call(
        &sim,
        &alice(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        Some(order(
            T50,
            "bid",
            &ask.to_string(),
            "2",
            "immediate_or_cancel",
        )),
    )
    .await;
    let mut kinds = std::collections::HashMap::new();
    while let Some(f) = next_within(&mut ws, Duration::from_millis(500)).await {
        let kind = f["type"].as_str().unwrap().to_owned();
        match kind.as_str() {
            "fill" => {
                assert_eq!(f["sid"].as_u64(), sids.get("fill").copied());
                assert_eq!(
                    (
                        f["msg"]["is_taker"].as_bool(),
                        f["msg"]["outcome_side"].as_str(),
                        f["msg"]["purchased_side"].as_str()
                    ),
                    (Some(true), Some("yes"), Some("yes"))
                );
                assert!(
                    f["msg"]["post_position_fp"].is_string() && f["msg"]["fee_cost"].is_string()
                );
            }
            "user_order" => {
                assert_eq!(f["msg"]["status"], json!("executed"));
                assert_eq!(f["msg"]["fill_count_fp"], json!("2.00"));
            }
            "market_position" => assert_eq!(
                f["msg"]["position_fp"]
                    .as_str()
                    .map(|p| p.parse::<Count>().unwrap() > Count::ZERO),
                Some(true)
            ),
            "trade" => {
                assert_eq!(
                    (
                        f["msg"]["taker_outcome_side"].as_str(),
                        f["msg"]["taker_book_side"].as_str(),
                        f["msg"]["is_block_trade"].as_bool()
                    ),
                    (Some("yes"), Some("bid"), Some(false))
                );
                assert!(f["seq"].is_u64());
            }
            "ticker" => {
                assert!(
                    f["msg"]["time"].is_string()
                        && f["msg"]["yes_bid_dollars"].is_string()
                        && f["msg"]["volume_fp"].is_string()
                );
                assert!(f.get("seq").is_none());
            }
            other => panic!("unexpected {other}: {f}"),
        }
        *kinds.entry(kind).or_insert(0) += 1;
    }
    for k in ["fill", "user_order", "market_position", "trade", "ticker"] {
        assert!(kinds.contains_key(k), "{k} missing: {kinds:?}");
    }
    // Bob's private channels hear nothing of Alice.
    let mut ws_bob = connect(&sim, &bob()).await;
    send(
        &mut ws_bob,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["fill"]}}),
    )
    .await;
    next(&mut ws_bob).await;
    call(
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
    assert!(next_within(&mut ws_bob, Duration::from_millis(300))
        .await
        .is_none());
    sim.shutdown();
}

#[tokio::test]
async fn live_flow_keeps_a_socket_book_in_step_with_the_exchange() {
    let sim = spawn_sim(400, 7).await;
    let mut ws = connect(&sim, &bob()).await;
    let tickers: Vec<MarketTicker> = sim.market_tickers();
    send(&mut ws, json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"], "market_tickers": tickers}})).await;
    let sid = next(&mut ws).await["msg"]["sid"].as_u64().unwrap();
    let mut books: std::collections::HashMap<String, OrderBook> = std::collections::HashMap::new();
    let mut last_seq = 0;
    let mut deltas = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1_500);
    let mut stopped = false;
    loop {
        if !stopped && tokio::time::Instant::now() > deadline {
            sim.set_flow(0);
            stopped = true;
        }
        let Some(f) = next_within(&mut ws, Duration::from_millis(400)).await else {
            if stopped {
                break;
            }
            continue;
        };
        let Ok(Incoming::Known(frame)) = decode(&f.to_string()) else {
            panic!("undecodable {f}")
        };
        assert_eq!(frame.sid(), Some(Sid(sid)));
        let seq = frame.seq().unwrap().0;
        assert_eq!(seq, last_seq + 1, "consecutive seq");
        last_seq = seq;
        match frame {
            ServerFrame::OrderbookSnapshot { msg, .. } => {
                let levels = BookLevels {
                    yes: msg.levels(Side::Yes),
                    no: msg.levels(Side::No),
                };
                books.insert(
                    msg.market_ticker.to_string(),
                    OrderBook::from_levels(&levels),
                );
            }
            ServerFrame::OrderbookDelta { msg, .. } => {
                deltas += 1;
                let book = books
                    .get_mut(msg.market_ticker.as_str())
                    .expect("snapshot first");
                book.apply_delta(
                    msg.side,
                    msg.level_price().unwrap(),
                    msg.level_delta().unwrap(),
                )
                .expect("deltas apply cleanly");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(deltas > 50, "the flow moves books ({deltas} deltas)");
    for t in &tickers {
        assert_eq!(books[t.as_str()].levels(), sim.book(t).unwrap(), "{t}");
        let b = &books[t.as_str()];
        assert!(
            b.best_bid(Side::Yes).is_some() && b.best_bid(Side::No).is_some(),
            "{t} two-sided"
        );
    }
    sim.shutdown();
}

#[tokio::test]
async fn shutdown_closes_sockets() {
    let sim = spawn_sim(0, 8).await;
    let mut ws = connect(&sim, &alice()).await;
    sim.shutdown();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "socket closed");
}

#[test]
fn overflowing_connection_gets_code_25_and_is_dropped() {
    let seeds = seed_markets().unwrap();
    let mut engine = Engine::new(&seeds);
    let mut flow = Flow::new(11, &mut engine, &seeds);
    flow.seed_books(&mut engine, 1_000);
    let mut hub = Hub::default();
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let (otx, mut orx) = tokio::sync::oneshot::channel();
    let conn = hub.add(0, tx, otx);
    hub.command(conn, &json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"], "market_ticker": T50}}).to_string(), &engine, 1_000);
    assert_eq!(hub.len(), 1);
    for i in 0..200 {
        flow.step(&mut engine, 2_000 + i);
        let events = engine.take_events();
        hub.publish(&events, 2_000 + i);
    }
    assert_eq!(
        orx.try_recv().ok(),
        Some(Sid(1)),
        "told which subscription overflowed"
    );
    assert_eq!(hub.len(), 0, "dropped from the fan-out");
}

#[test]
fn flow_fills_a_desk_users_resting_order() {
    let seeds = seed_markets().unwrap();
    let mut engine = Engine::new(&seeds);
    let user = engine.add_account(
        AccountKind::Registered,
        Some("u".into()),
        Dollars::from_int(1_000),
    );
    let mut flow = Flow::new(3, &mut engine, &seeds);
    flow.seed_books(&mut engine, 1_000);
    let ticker = MarketTicker::from(T50);
    let best = engine
        .market(&ticker)
        .unwrap()
        .book
        .best_bid(Side::Yes)
        .unwrap()
        .0;
    let req: shared::rest::CreateOrderV2Request = serde_json::from_value(order(
        T50,
        "bid",
        &best.to_string(),
        "1",
        "good_till_canceled",
    ))
    .unwrap();
    engine.place(user, &req, 1_500).unwrap();
    let mut filled_at = None;
    for i in 0..200_000 {
        flow.step(&mut engine, 2_000 + i);
        if engine
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::Fill { account, .. } if *account == user))
        {
            filled_at = Some(i);
            break;
        }
    }
    assert!(
        filled_at.is_some(),
        "the flow eventually trades against the desk user's bid"
    );
    let fill = &engine.account(user).unwrap().fills[0].msg;
    assert!(!fill.is_taker);
    assert_eq!(fill.yes_price_dollars, best);
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
        if super::spec::IMPLEMENTED.contains(&id) {
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
#[cfg(test)]
mod groups;
#[cfg(test)]
mod rfq;

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
