//! Order groups and subaccounts over real sockets with real signatures: the REST
//! operations, the `order_group_updates` channel and subaccount scoping of orders,
//! balances, positions and fills.

use std::time::Duration;

use serde_json::{json, Value};

use super::{alice, bob, call, connect, d, next_within, order, send, spawn_sim, Ws, T50};

const P: &str = "/trade-api/v2/portfolio";

/// Frames of `kind` until one matches `want` (other frames skipped), within 5 s.
async fn frame_where(ws: &mut Ws, kind: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let v = next_within(ws, left)
            .await
            .unwrap_or_else(|| panic!("no {kind} frame in time"));
        if v["type"] == json!(kind) && want(&v) {
            return v;
        }
    }
}

#[tokio::test]
async fn order_group_lifecycle_over_rest_and_order_group_updates() {
    let sim = spawn_sim(0, 21).await;
    let mut ws = connect(&sim, &alice()).await;
    send(
        &mut ws,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["order_group_updates", "user_orders"]}}),
    )
    .await;
    frame_where(&mut ws, "subscribed", |_| true).await;
    frame_where(&mut ws, "subscribed", |_| true).await;

    // Bad limits are 400s.
    for body in [
        json!({}),
        json!({"contracts_limit": 0}),
        json!({"contracts_limit": 5, "contracts_limit_fp": "6.00"}),
        json!({"contracts_limit_fp": "2.50"}),
    ] {
        let (status, reply) = call(
            &sim,
            &alice(),
            "POST",
            &format!("{P}/order_groups/create"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, reply["code"].clone()),
            (400, json!("invalid_parameters")),
            "{body}"
        );
    }
    let (status, created) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/order_groups/create"),
        Some(json!({"contracts_limit": 10})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["subaccount"], json!(0));
    let g = created["order_group_id"].as_str().unwrap().to_owned();
    let f = frame_where(&mut ws, "order_group_updates", |_| true).await;
    assert_eq!(f["msg"]["event_type"], json!("created"));
    assert_eq!(f["msg"]["order_group_id"], json!(g));
    assert_eq!(f["msg"]["contracts_limit_fp"], json!("10.00"));
    assert!(f["seq"].is_u64());

    // Another user sees neither the group nor its frames.
    let (status, _) = call(&sim, &bob(), "GET", &format!("{P}/order_groups/{g}"), None).await;
    assert_eq!(status, 404);
    let (_, list) = call(&sim, &bob(), "GET", &format!("{P}/order_groups"), None).await;
    assert_eq!(list["order_groups"], json!([]));

    // A resting bid in the group, well under the best bid.
    let book = sim.book(&T50.into()).unwrap();
    let best_bid = book.yes.last().unwrap().0;
    let through = (book.no.last().unwrap().0.complement() + d("0.05")).to_string();
    let p1 = (best_bid - d("0.10")).to_string();
    let mut o = order(T50, "bid", &p1, "20", "good_till_canceled");
    o["order_group_id"] = json!(g);
    let (status, placed) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(o),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let resting = placed["order_id"].as_str().unwrap().to_owned();
    let (_, one) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/order_groups/{g}"),
        None,
    )
    .await;
    assert_eq!(one["orders"], json!([resting]));
    assert_eq!(one["is_auto_cancel_enabled"], json!(true));
    let (_, o) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/orders/{resting}"),
        None,
    )
    .await;
    assert_eq!(o["order"]["order_group_id"], json!(g));

    // Taking 6, then 8 more through the group: the second matches only the 4 left of the
    // limit, the group triggers and its resting order is cancelled.
    let mut take = order(T50, "bid", &through, "6", "immediate_or_cancel");
    take["order_group_id"] = json!(g);
    let (status, first) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(take.clone()),
    )
    .await;
    assert_eq!(
        (status, first["fill_count"].clone()),
        (201, json!("6.00")),
        "{first}"
    );
    take["count"] = json!("8");
    take["client_order_id"] = json!("take-8");
    let (status, second) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(take),
    )
    .await;
    assert_eq!(
        (status, second["fill_count"].clone()),
        (201, json!("4.00")),
        "{second}"
    );
    let f = frame_where(&mut ws, "order_group_updates", |_| true).await;
    assert_eq!(f["msg"]["event_type"], json!("triggered"));
    assert!(f["msg"].get("contracts_limit_fp").is_none());
    frame_where(&mut ws, "user_order", |v| {
        v["msg"]["order_id"] == json!(resting) && v["msg"]["status"] == json!("canceled")
    })
    .await;
    let (_, one) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/order_groups/{g}"),
        None,
    )
    .await;
    assert_eq!(one["is_auto_cancel_enabled"], json!(false));
    assert_eq!(one["orders"], json!([]));

    // Blocked until reset.
    let mut again = order(T50, "bid", &p1, "1", "good_till_canceled");
    again["client_order_id"] = json!("again-1");
    again["order_group_id"] = json!(g);
    let (status, refused) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(again.clone()),
    )
    .await;
    assert_eq!(
        (status, refused["code"].clone()),
        (400, json!("order_group_triggered"))
    );
    let (status, _) = call(
        &sim,
        &alice(),
        "PUT",
        &format!("{P}/order_groups/{g}/reset"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        frame_where(&mut ws, "order_group_updates", |_| true).await["msg"]["event_type"],
        json!("reset")
    );
    let (status, placed) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(again),
    )
    .await;
    assert_eq!(status, 201, "{placed}");

    // Limit change, manual trigger, delete.
    let (status, _) = call(
        &sim,
        &alice(),
        "PUT",
        &format!("{P}/order_groups/{g}/limit"),
        Some(json!({"contracts_limit_fp": "25.00"})),
    )
    .await;
    assert_eq!(status, 200);
    let f = frame_where(&mut ws, "order_group_updates", |_| true).await;
    assert_eq!(
        (
            f["msg"]["event_type"].clone(),
            f["msg"]["contracts_limit_fp"].clone()
        ),
        (json!("limit_updated"), json!("25.00"))
    );
    let (_, list) = call(&sim, &alice(), "GET", &format!("{P}/order_groups"), None).await;
    assert_eq!(
        list["order_groups"][0]["contracts_limit_fp"],
        json!("25.00")
    );
    let (status, _) = call(
        &sim,
        &alice(),
        "PUT",
        &format!("{P}/order_groups/{g}/trigger"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        frame_where(&mut ws, "order_group_updates", |_| true).await["msg"]["event_type"],
        json!("triggered")
    );
    let (status, _) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("{P}/order_groups/{g}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        frame_where(&mut ws, "order_group_updates", |_| true).await["msg"]["event_type"],
        json!("deleted")
    );
    let (status, _) = call(
        &sim,
        &alice(),
        "PUT",
        &format!("{P}/order_groups/{g}/reset"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    sim.shutdown();
}

#[tokio::test]
async fn subaccounts_transfers_and_scoped_orders_balances_positions_fills() {
    let sim = spawn_sim(0, 22).await;
    let mut ws = connect(&sim, &alice()).await;
    send(
        &mut ws,
        json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["fill", "market_positions"]}}),
    )
    .await;
    let (status, made) = call(&sim, &alice(), "POST", &format!("{P}/subaccounts"), None).await;
    assert_eq!((status, made["subaccount_number"].clone()), (201, json!(1)));
    let (_, made) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/subaccounts"),
        Some(json!({})),
    )
    .await;
    assert_eq!(made["subaccount_number"], json!(2));

    // Transfers: validated, idempotent by client_transfer_id, listed newest first.
    let id = "0b7c1f2e-4a56-4c3d-9e8f-1234567890ab";
    let transfer = |from: i64, to: i64, cents: i64, id: &str| json!({"client_transfer_id": id, "from_subaccount": from, "to_subaccount": to, "amount_cents": cents});
    for (body, why) in [
        (transfer(0, 1, 100, "not-a-uuid"), "uuid"),
        (
            transfer(0, 9, 100, "1b7c1f2e-4a56-4c3d-9e8f-1234567890ab"),
            "unknown",
        ),
        (
            transfer(1, 0, 100, "2b7c1f2e-4a56-4c3d-9e8f-1234567890ab"),
            "empty",
        ),
        (
            transfer(0, 0, 100, "3b7c1f2e-4a56-4c3d-9e8f-1234567890ab"),
            "same",
        ),
    ] {
        let (status, reply) = call(
            &sim,
            &alice(),
            "POST",
            &format!("{P}/subaccounts/transfer"),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{why}: {reply}");
    }
    for _ in 0..2 {
        let (status, reply) = call(
            &sim,
            &alice(),
            "POST",
            &format!("{P}/subaccounts/transfer"),
            Some(transfer(0, 1, 25_000, id)),
        )
        .await;
        assert_eq!(status, 200, "{reply}");
    }
    let (_, balances) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/subaccounts/balances"),
        None,
    )
    .await;
    let b = &balances["subaccount_balances"];
    assert_eq!(b.as_array().unwrap().len(), 3);
    assert_eq!(
        (b[0]["subaccount_number"].clone(), b[0]["balance"].clone()),
        (json!(0), json!("750.0000"))
    );
    assert_eq!(
        (b[1]["subaccount_number"].clone(), b[1]["balance"].clone()),
        (json!(1), json!("250.0000"))
    );
    assert_eq!(b[2]["balance"], json!("0.0000"));
    let (_, list) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/subaccounts/transfers"),
        None,
    )
    .await;
    assert_eq!(list["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(list["transfers"][0]["amount_cents"], json!(25_000));
    let (_, list) = call(
        &sim,
        &bob(),
        "GET",
        &format!("{P}/subaccounts/transfers"),
        None,
    )
    .await;
    assert_eq!(list["transfers"], json!([]));

    // An order in subaccount 1, filled by bob.
    let best_bid = sim.book(&T50.into()).unwrap().yes.last().unwrap().0;
    let price = (best_bid - d("0.10")).to_string();
    let mut o = order(T50, "bid", &price, "10", "good_till_canceled");
    o["subaccount"] = json!(1);
    let (status, placed) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(o),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["order_id"].as_str().unwrap().to_owned();
    let (_, mine) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/orders?subaccount=1"),
        None,
    )
    .await;
    assert_eq!(mine["orders"][0]["subaccount_number"], json!(1));
    let (_, primary) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/orders?subaccount=0"),
        None,
    )
    .await;
    assert_eq!(primary["orders"], json!([]));
    let (_, all) = call(&sim, &alice(), "GET", &format!("{P}/orders"), None).await;
    assert_eq!(all["orders"].as_array().unwrap().len(), 1);
    // Cancel/amend default to the primary: the order is not found there.
    let (status, _) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("{P}/events/orders/{order_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, bal1) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/balance?subaccount=1"),
        None,
    )
    .await;
    assert_eq!(
        bal1["balance_dollars"]
            .as_str()
            .map(|s| s.parse::<shared::num::Dollars>().unwrap()),
        Some(d("250") - d(&price).times("10".parse().unwrap()))
    );
    let (status, _) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/balance?subaccount=7"),
        None,
    )
    .await;
    assert_eq!(status, 400);

    let (status, _) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("{P}/events/orders/{order_id}?subaccount=1"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let through = (sim
        .book(&T50.into())
        .unwrap()
        .no
        .last()
        .unwrap()
        .0
        .complement()
        + d("0.05"))
    .to_string();
    let mut take = order(T50, "bid", &through, "10", "immediate_or_cancel");
    take["subaccount"] = json!(1);
    let (status, taken) = call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(take),
    )
    .await;
    assert_eq!(
        (status, taken["fill_count"].clone()),
        (201, json!("10.00")),
        "{taken}"
    );
    let fill = frame_where(&mut ws, "fill", |_| true).await;
    assert_eq!(fill["msg"]["subaccount"], json!(1));
    let pos = frame_where(&mut ws, "market_position", |_| true).await;
    assert_eq!(pos["msg"]["subaccount"], json!(1));
    let (_, p1) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/positions?subaccount=1"),
        None,
    )
    .await;
    assert_eq!(p1["market_positions"][0]["position_fp"], json!("10.00"));
    let (_, p0) = call(&sim, &alice(), "GET", &format!("{P}/positions"), None).await;
    assert_eq!(p0["market_positions"], json!([]));
    let (_, f1) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/fills?subaccount=1"),
        None,
    )
    .await;
    let n1 = f1["fills"].as_array().unwrap().len();
    assert!(n1 >= 1);
    let (_, f0) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/fills?subaccount=0"),
        None,
    )
    .await;
    assert_eq!(f0["fills"], json!([]));
    let (_, fa) = call(&sim, &alice(), "GET", &format!("{P}/fills"), None).await;
    assert_eq!(fa["fills"].as_array().unwrap().len(), n1);

    // Cancel-all of one subaccount leaves the others' orders.
    let mut o1 = order(T50, "bid", &price, "1", "good_till_canceled");
    o1["subaccount"] = json!(1);
    call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(o1),
    )
    .await;
    call(
        &sim,
        &alice(),
        "POST",
        &format!("{P}/events/orders"),
        Some(order(T50, "bid", &price, "1", "good_till_canceled")),
    )
    .await;
    let (status, _) = call(
        &sim,
        &alice(),
        "DELETE",
        &format!("{P}/events/orders?subaccount=1"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, resting) = call(
        &sim,
        &alice(),
        "GET",
        &format!("{P}/orders?status=resting"),
        None,
    )
    .await;
    let resting = resting["orders"].as_array().unwrap();
    assert_eq!(resting.len(), 1);
    assert_eq!(resting[0]["subaccount_number"], json!(0));
    sim.shutdown();
}
