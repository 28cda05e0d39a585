//! The WebSocket face: snapshots, deltas and `seq` with control frames, command errors,
//! private channels, trades and ticker, the live flow kept in step, shutdown and the
//! bounded fan-out.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shared::book::{BookLevels, OrderBook};
use shared::ids::{MarketTicker, Sid, Side};
use shared::num::{Count, Dollars};
use shared::ws::{decode, Incoming, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

use crate::engine::{AccountKind, Engine, Event};
use crate::flow::Flow;
use crate::hub::Hub;
use crate::markets::seed_markets;

use super::{
    alice, bob, call, connect, d, levels_of, next, next_within, order, send, spawn_sim, T50, T60,
};

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
