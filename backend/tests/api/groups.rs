//! The browser's order-group and subaccount routes against the built-in exchange: create
//! with a limit, list, trigger on the limit with the group's resting orders cancelled live,
//! reset, change limit, delete; subaccounts created, funded by transfer, and scoping the
//! ticket, open orders, portfolio and groups.

use std::time::Duration;

use shared::groups::{
    CreatedSubaccount, GroupLimit, NewOrderGroup, OrderGroupView, SubaccountBalanceView,
    TransferTicket, TransferView,
};
use shared::ids::{Action, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, OrderView, PlacedOrder, PortfolioView, ServerMsg};
use shared::rest::{OrderStatus, TimeInForce};
use shared::ws::OrderGroupUpdatesMsgEventType as E;

use crate::helpers::{spawn_app_with, wait_until, TestApp};

const T50: &str = "KXDESK-26DEC31-T50";

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut req = app
        .http()
        .request(method, format!("http://127.0.0.1:{}{path}", app.port));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("desk answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn get_json<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// A buy-YES limit `below` under the best YES bid (rests).
fn low_bid(app: &TestApp, below: &str, count: i64) -> OrderTicket {
    let best = app.sim.book(&T50.into()).unwrap().yes.last().unwrap().0;
    OrderTicket::limit(
        T50.into(),
        Action::Buy,
        Side::Yes,
        best - d(below),
        Count::from_int(count),
    )
}

/// A buy-YES IOC 5 cents through the best YES ask (takes liquidity).
fn crossing_buy(app: &TestApp, count: i64) -> OrderTicket {
    let best_no = app.sim.book(&T50.into()).unwrap().no.last().unwrap().0;
    let through = (best_no.complement() + d("0.05")).min(d("0.99"));
    OrderTicket {
        time_in_force: TimeInForce::ImmediateOrCancel,
        ..OrderTicket::limit(
            T50.into(),
            Action::Buy,
            Side::Yes,
            through,
            Count::from_int(count),
        )
    }
}

async fn place(app: &TestApp, ticket: &OrderTicket) -> PlacedOrder {
    let (status, body) = app.post("/api/orders", ticket).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_group_triggers_on_its_limit_cancels_live_and_resets() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let mut browser = app.browser().await;

    // Checked before signing.
    for (body, code) in [
        (
            serde_json::json!({"contracts_limit": "2.5"}),
            "invalid_limit",
        ),
        (serde_json::json!({"contracts_limit": "0"}), "invalid_limit"),
        (
            serde_json::json!({"contracts_limit": "5", "subaccount": 64}),
            "invalid_subaccount",
        ),
        (serde_json::json!({"limit": 5}), "bad_json"),
    ] {
        let (status, reply) = send(
            &app,
            reqwest::Method::POST,
            "/api/order_groups",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert!(reply.contains(code), "{body}: {reply}");
    }
    let (status, reply) = send(
        &app,
        reqwest::Method::POST,
        "/api/order_groups/a%20b/trigger",
        None,
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply.contains("bad_order_group_id"));

    let (status, body) = app
        .post(
            "/api/order_groups",
            &NewOrderGroup {
                contracts_limit: Count::from_int(5),
                subaccount: None,
            },
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let group: OrderGroupView = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (group.contracts_limit, group.triggered, group.subaccount),
        (Count::from_int(5), false, 0)
    );
    let id = group.order_group_id.clone();
    browser
        .until("order group created", |m| matches!(m, ServerMsg::OrderGroup(g) if g.order_group_id == id && g.event_type == E::Created))
        .await;
    let listed: Vec<OrderGroupView> = get_json(&app, "/api/order_groups").await;
    assert_eq!(listed, vec![group.clone()]);

    // A resting order in the group, then 5 contracts taken through the group: the limit.
    let resting = place(
        &app,
        &OrderTicket {
            order_group_id: Some(id.clone()),
            ..low_bid(&app, "0.10", 10)
        },
    )
    .await;
    let orders: Vec<OrderView> = get_json(&app, "/api/orders").await;
    assert_eq!(orders[0].order_group_id.as_deref(), Some(id.as_str()));
    let taken = place(
        &app,
        &OrderTicket {
            order_group_id: Some(id.clone()),
            ..crossing_buy(&app, 8)
        },
    )
    .await;
    assert_eq!(
        taken.filled,
        Count::from_int(5),
        "the group matches only up to its limit"
    );
    browser
        .until("order group triggered", |m| matches!(m, ServerMsg::OrderGroup(g) if g.order_group_id == id && g.event_type == E::Triggered))
        .await;
    let cancelled = browser
        .until("the group's resting order cancelled", |m| {
            matches!(m, ServerMsg::Order(o) if o.order_id == resting.order_id && o.status == OrderStatus::Canceled)
        })
        .await;
    assert!(
        matches!(cancelled, ServerMsg::Order(o) if o.order_group_id.as_deref() == Some(id.as_str()))
    );
    let listed: Vec<OrderGroupView> = get_json(&app, "/api/order_groups").await;
    assert!(listed[0].triggered);
    let orders: Vec<OrderView> = get_json(&app, "/api/orders").await;
    assert!(orders.is_empty());

    // Refused until reset.
    let (status, reply) = app
        .post(
            "/api/orders",
            &OrderTicket {
                order_group_id: Some(id.clone()),
                ..low_bid(&app, "0.10", 1)
            },
        )
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply.contains("order_group_triggered"), "{reply}");
    let (status, reply) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/order_groups/{id}/reset"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    browser
        .until(
            "order group reset",
            |m| matches!(m, ServerMsg::OrderGroup(g) if g.event_type == E::Reset),
        )
        .await;
    place(
        &app,
        &OrderTicket {
            order_group_id: Some(id.clone()),
            ..low_bid(&app, "0.10", 1)
        },
    )
    .await;

    // Change the limit, trigger by hand, delete.
    let (status, reply) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/order_groups/{id}/limit"),
        Some(
            serde_json::to_value(GroupLimit {
                contracts_limit: Count::from_int(7),
            })
            .unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    browser
        .until("limit updated", |m| matches!(m, ServerMsg::OrderGroup(g) if g.event_type == E::LimitUpdated && g.contracts_limit_fp == Some(Count::from_int(7))))
        .await;
    let (status, _) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/order_groups/{id}/limit"),
        Some(serde_json::json!({"contracts_limit": "1.5"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/order_groups/{id}/trigger"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    browser
        .until(
            "triggered by hand",
            |m| matches!(m, ServerMsg::OrderGroup(g) if g.event_type == E::Triggered),
        )
        .await;
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/order_groups/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    browser
        .until(
            "deleted",
            |m| matches!(m, ServerMsg::OrderGroup(g) if g.event_type == E::Deleted),
        )
        .await;
    let listed: Vec<OrderGroupView> = get_json(&app, "/api/order_groups").await;
    assert!(listed.is_empty());
    let (status, reply) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/order_groups/{id}/reset"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subaccounts_transfer_and_scope_orders_portfolio_and_groups() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let mut browser = app.browser().await;
    let start: Vec<SubaccountBalanceView> = get_json(&app, "/api/subaccounts").await;
    assert_eq!(start.len(), 1);
    assert_eq!(start[0].subaccount, 0);
    let primary = start[0].balance;

    let (status, body) = send(&app, reqwest::Method::POST, "/api/subaccounts", None).await;
    assert_eq!(status, 201, "{body}");
    let created: CreatedSubaccount = serde_json::from_str(&body).unwrap();
    assert_eq!(created.subaccount, 1);

    for (ticket, code) in [
        (
            TransferTicket {
                from: 0,
                to: 0,
                amount: d("5"),
            },
            "invalid_transfer",
        ),
        (
            TransferTicket {
                from: 0,
                to: 1,
                amount: d("0.001"),
            },
            "invalid_transfer",
        ),
        (
            TransferTicket {
                from: 1,
                to: 0,
                amount: d("5"),
            },
            "insufficient_balance",
        ),
        (
            TransferTicket {
                from: 0,
                to: 9,
                amount: d("5"),
            },
            "invalid_parameters",
        ),
    ] {
        let (status, reply) = app.post("/api/subaccounts/transfer", &ticket).await;
        assert_eq!(status, 400, "{ticket:?}: {reply}");
        assert!(reply.contains(code), "{ticket:?}: {reply}");
    }
    let (status, body) = app
        .post(
            "/api/subaccounts/transfer",
            &TransferTicket {
                from: 0,
                to: 1,
                amount: d("25.00"),
            },
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after: Vec<SubaccountBalanceView> = serde_json::from_str(&body).unwrap();
    assert_eq!(
        after,
        vec![
            SubaccountBalanceView {
                subaccount: 0,
                balance: primary - d("25")
            },
            SubaccountBalanceView {
                subaccount: 1,
                balance: d("25")
            },
        ]
    );
    let transfers: Vec<TransferView> = get_json(&app, "/api/subaccounts/transfers").await;
    assert_eq!(transfers.len(), 1);
    assert_eq!(
        (transfers[0].from, transfers[0].to, transfers[0].amount),
        (0, 1, d("25"))
    );

    // An order in subaccount 1: scoped everywhere.
    let ticket = OrderTicket {
        subaccount: Some(1),
        ..low_bid(&app, "0.10", 10)
    };
    let placed = place(&app, &ticket).await;
    let order = browser
        .until(
            "the subaccount's order",
            |m| matches!(m, ServerMsg::Order(o) if o.order_id == placed.order_id),
        )
        .await;
    assert!(matches!(order, ServerMsg::Order(o) if o.subaccount == 1));
    let sub_orders: Vec<OrderView> = get_json(&app, "/api/orders?subaccount=1").await;
    assert_eq!(sub_orders.len(), 1);
    assert_eq!(sub_orders[0].subaccount, 1);
    let primary_orders: Vec<OrderView> = get_json(&app, "/api/orders?subaccount=0").await;
    assert!(primary_orders.is_empty());
    let all: Vec<OrderView> = get_json(&app, "/api/orders").await;
    assert_eq!(all.len(), 1);
    let p1: PortfolioView = get_json(&app, "/api/portfolio?subaccount=1").await;
    assert_eq!(p1.balance, d("25") - ticket.price.times(ticket.count));
    let p0: PortfolioView = get_json(&app, "/api/portfolio").await;
    assert_eq!(p0.balance, primary - d("25"));
    let (status, _) = app.get("/api/portfolio?subaccount=64").await;
    assert_eq!(status, 400);
    let balances: Vec<SubaccountBalanceView> = get_json(&app, "/api/subaccounts").await;
    assert_eq!(balances[1].balance, p1.balance);

    // Cancel names the subaccount (the primary does not have the order).
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/orders/{}", placed.order_id),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, reply) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/orders/{}?subaccount=1", placed.order_id),
        None,
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    // Groups belong to a subaccount.
    let (status, body) = app
        .post(
            "/api/order_groups",
            &NewOrderGroup {
                contracts_limit: Count::from_int(3),
                subaccount: Some(1),
            },
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let g: OrderGroupView = serde_json::from_str(&body).unwrap();
    assert_eq!(g.subaccount, 1);
    let in_one: Vec<OrderGroupView> = get_json(&app, "/api/order_groups?subaccount=1").await;
    assert_eq!(in_one.len(), 1);
    let in_primary: Vec<OrderGroupView> = get_json(&app, "/api/order_groups").await;
    assert!(in_primary.is_empty());
    let (status, reply) = app
        .post(
            "/api/orders",
            &OrderTicket {
                order_group_id: Some(g.order_group_id.clone()),
                ..low_bid(&app, "0.10", 1)
            },
        )
        .await;
    // CreateOrderV2 documents no 404: Kalshi refuses an unknown group with 400.
    assert_eq!(
        status, 400,
        "a primary order cannot use subaccount 1's group: {reply}"
    );
    place(
        &app,
        &OrderTicket {
            order_group_id: Some(g.order_group_id.clone()),
            subaccount: Some(1),
            ..low_bid(&app, "0.10", 1)
        },
    )
    .await;
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/order_groups/{}/trigger", g.order_group_id),
        None,
    )
    .await;
    assert_eq!(status, 404, "group writes default to the primary");
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!(
            "/api/order_groups/{}/trigger?subaccount=1",
            g.order_group_id
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    wait_until(
        "the trigger to cancel subaccount 1's group order",
        Duration::from_secs(10),
        || async {
            let left: Vec<OrderView> = get_json(&app, "/api/orders?subaccount=1").await;
            left.is_empty()
        },
    )
    .await;
}
