//! The browser's order routes against the built-in exchange: the full ticket, amend,
//! decrease, batch cancel, cancel all (whole account or one market) and queue positions,
//! each validated before anything is signed.

use shared::ids::{Action, MarketTicker, OrderId, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{
    AmendTicket, CancelOrders, CancelledOrders, DecreaseTicket, OrderTicket, OrderView,
    PlacedOrder, QueuePositionView, ServerMsg,
};
use shared::rest::{SelfTradePrevention, TimeInForce};

use std::time::Duration;

use crate::helpers::{spawn_app_with, wait_until, TestApp};

const T50: &str = "KXDESK-26DEC31-T50";
const T60: &str = "KXDESK-26DEC31-T60";

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}

async fn delete(app: &TestApp, path: &str) -> (u16, String) {
    let resp = app
        .http()
        .delete(format!("http://127.0.0.1:{}{path}", app.port))
        .send()
        .await
        .expect("desk answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn place(app: &TestApp, ticket: &OrderTicket) -> PlacedOrder {
    let (status, body) = app.post("/api/orders", ticket).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn resting(app: &TestApp) -> Vec<OrderView> {
    let (status, body) = app.get("/api/orders").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A buy-YES ticket `below` dollars under the market's best bid.
fn low_bid(app: &TestApp, market: &str, below: &str, count: i64) -> OrderTicket {
    let best = app.sim.book(&market.into()).unwrap().yes.last().unwrap().0;
    OrderTicket::limit(
        market.into(),
        Action::Buy,
        Side::Yes,
        best - d(below),
        Count::from_int(count),
    )
}

/// Placing an order is one signed request to the exchange: the market's status and tick
/// structure come from the desk's cache (read once for three orders), and the market's
/// lifecycle frame (its settlement here) drops it, so the next order reads the market again
/// and is refused by the desk before anything is signed for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_read_the_market_once_until_its_lifecycle_changes() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let key = app.sim.key_ids()[0].clone();
    let market_reads = || {
        app.hub
            .metrics()
            .rest_latency
            .with_label_values(&["GetMarket", "200"])
            .get_sample_count()
    };
    let (reads, orders) = (market_reads(), app.sim.orders_received(&key));
    for _ in 0..3 {
        place(&app, &low_bid(&app, T50, "0.05", 1)).await;
    }
    assert_eq!(app.sim.orders_received(&key) - orders, 3);
    assert_eq!(market_reads() - reads, 1, "one GetMarket for three orders");

    app.sim.settle_market(&T50.into(), Side::Yes).unwrap();
    let info = app.hub.market_info().clone();
    wait_until(
        "the settlement's lifecycle frame",
        Duration::from_secs(10),
        || {
            let info = info.clone();
            async move { info.cached(&T50.into()).is_none() }
        },
    )
    .await;
    let ticket = OrderTicket::limit(T50.into(), Action::Buy, Side::Yes, d("0.10"), Count::ONE);
    let (status, body) = app.post("/api/orders", &ticket).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("market_closed"), "{body}");
    assert_eq!(
        market_reads() - reads,
        2,
        "read again after its lifecycle changed"
    );
    assert_eq!(
        app.sim.orders_received(&key) - orders,
        3,
        "nothing sent for it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_options_are_checked_before_signing_and_reach_the_exchange() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let key = app.sim.key_ids()[0].clone();
    let now_s = desk_backend::kalshi::signer::now_ms() / 1000;
    let base = low_bid(&app, T50, "0.05", 2);
    for (ticket, message) in [
        (
            OrderTicket {
                reduce_only: true,
                ..base.clone()
            },
            "reduce-only orders must be immediate or cancel (IOC)",
        ),
        (
            OrderTicket {
                expiration_ts: Some(now_s - 5),
                ..base.clone()
            },
            "expiration must be in the future",
        ),
        (
            OrderTicket {
                post_only: true,
                time_in_force: TimeInForce::FillOrKill,
                ..base.clone()
            },
            "post-only orders must be good till cancelled",
        ),
    ] {
        let (status, body) = app.post("/api/orders", &ticket).await;
        assert_eq!(status, 400, "{body}");
        let err: shared::protocol::ApiErrorBody = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("invalid_options", message)
        );
    }
    assert_eq!(app.sim.orders_received(&key), 0, "nothing was signed");

    // Every option reaches the exchange: a browser-chosen client id, an expiry, maker STP.
    let ticket = OrderTicket {
        expiration_ts: Some(now_s + 3600),
        self_trade_prevention: SelfTradePrevention::Maker,
        cancel_order_on_pause: true,
        client_order_id: Some("desk-test-1".into()),
        ..base.clone()
    };
    let placed = place(&app, &ticket).await;
    assert_eq!(placed.client_order_id, "desk-test-1");
    assert_eq!(placed.remaining, Count::from_int(2));
    let orders = resting(&app).await;
    let o = orders
        .iter()
        .find(|o| o.order_id == placed.order_id)
        .unwrap();
    assert_eq!(o.client_order_id.as_deref(), Some("desk-test-1"));

    // An exchange refusal comes back in plain words.
    let (status, body) = app
        .post(
            "/api/orders",
            &OrderTicket {
                count: Count::from_int(900_000),
                ..base
            },
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("insufficient_balance"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amend_decrease_batch_cancel_cancel_all_and_queue_positions() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let market = MarketTicker::from(T50);
    let mut browser = app.watching(&market).await;
    let first = place(&app, &low_bid(&app, T50, "0.05", 10)).await;

    // Queue position: behind the participants already resting at that price.
    let (status, body) = app.get("/api/orders/queue_positions").await;
    assert_eq!(status, 200, "{body}");
    let qp: Vec<QueuePositionView> = serde_json::from_str(&body).unwrap();
    let mine = qp.iter().find(|q| q.order_id == first.order_id).unwrap();
    assert_eq!(mine.market_ticker, market);

    // Amend to one tick under the best bid, 8 resting: the ladder and the live row move.
    let best = app.sim.book(&market).unwrap().yes.last().unwrap().0;
    let new_price = best - d("0.01");
    let amend_path = format!("/api/orders/{}/amend", first.order_id.0);
    for (bad, message) in [
        (
            AmendTicket {
                price: d("0.455"),
                remaining: Count::from_int(8),
            },
            "price must be a multiple of $0.01",
        ),
        (
            AmendTicket {
                price: new_price,
                remaining: Count::ZERO,
            },
            "the new count must be more than zero",
        ),
    ] {
        let (status, body) = app.post(&amend_path, &bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(message), "{body}");
    }
    let level_before = app
        .sim
        .book(&market)
        .unwrap()
        .yes
        .iter()
        .find(|(p, _)| *p == new_price)
        .map_or(Count::ZERO, |(_, c)| *c);
    let (status, body) = app
        .post(
            &amend_path,
            &AmendTicket {
                price: new_price,
                remaining: Count::from_int(8),
            },
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let view: OrderView = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (view.price, view.remaining),
        (new_price, Count::from_int(8))
    );
    let level_after = app
        .sim
        .book(&market)
        .unwrap()
        .yes
        .iter()
        .find(|(p, _)| *p == new_price)
        .map(|(_, c)| *c);
    assert_eq!(level_after, Some(level_before + Count::from_int(8)));
    browser
        .until("the amended order's frame", |m| {
            matches!(m, ServerMsg::Order(o) if o.order_id == first.order_id && o.price == new_price)
        })
        .await;
    let (_, body) = app.get("/api/orders/queue_positions").await;
    let qp: Vec<QueuePositionView> = serde_json::from_str(&body).unwrap();
    let mine = qp.iter().find(|q| q.order_id == first.order_id).unwrap();
    assert_eq!(mine.ahead, level_before, "back of its new level");

    // Decrease keeps it there.
    let decrease_path = format!("/api/orders/{}/decrease", first.order_id.0);
    let (status, body) = app
        .post(
            &decrease_path,
            &DecreaseTicket {
                reduce_by: Some(Count::from_int(3)),
                reduce_to: None,
            },
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"5.00\""), "{body}");
    let (status, body) = app.post(&decrease_path, &DecreaseTicket::default()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("give exactly one of reduce by or reduce to"));

    // Batch cancel: one of ours and an unknown id.
    let second = place(&app, &low_bid(&app, T50, "0.06", 4)).await;
    let (status, body) = app
        .post(
            "/api/orders/cancel",
            &CancelOrders {
                order_ids: vec![second.order_id.clone(), OrderId("no-such-order".into())],
                subaccount: None,
            },
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out: CancelledOrders = serde_json::from_str(&body).unwrap();
    assert_eq!(out.cancelled, vec![second.order_id.clone()]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].order_id.0, "no-such-order");
    let (status, _) = app
        .post(
            "/api/orders/cancel",
            &CancelOrders {
                order_ids: vec![],
                subaccount: None,
            },
        )
        .await;
    assert_eq!(status, 400);

    // Cancel all in one market, then everywhere.
    let other = place(&app, &low_bid(&app, T60, "0.05", 1)).await;
    let (status, body) = delete(&app, &format!("/api/orders?market_ticker={T50}")).await;
    assert_eq!(status, 200, "{body}");
    let out: CancelledOrders = serde_json::from_str(&body).unwrap();
    assert_eq!(out.cancelled, vec![first.order_id.clone()]);
    let ids: Vec<OrderId> = resting(&app)
        .await
        .into_iter()
        .map(|o| o.order_id)
        .collect();
    assert_eq!(ids, vec![other.order_id.clone()]);
    let (status, body) = delete(&app, "/api/orders").await;
    assert_eq!(status, 200, "{body}");
    assert!(resting(&app).await.is_empty());
    let (status, _) = delete(&app, "/api/orders?market_ticker=bad%20ticker").await;
    assert_eq!(status, 400);
}
