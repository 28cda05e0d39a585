//! The position limit under random concurrent traffic: a trader with a 10-contract limit
//! places, amends and cancels orders in one market in random rounds sent all at once, while
//! the exchange's participants trade (fills turn resting orders into position); after every
//! round the exchange's worst case — position plus every resting order on one side — is
//! within the limit on both sides. On the desk before the worst-case check, the first round
//! of concurrent places broke it.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::json;
use shared::auth::{Role, UserLimits};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, OrderView, PortfolioView};

use crate::helpers::{spawn_app_with, Session, TestApp};

const MARKET: &str = "KXDESK-26DEC31-T55D";
const LIMIT: i64 = 10;

/// One step of the trader.
#[derive(Clone, Debug)]
enum Step {
    /// Buy `side` at `cents` (near the market, so some fill), `count` contracts.
    Place { side: Side, cents: i64, count: i64 },
    /// Amend the `pick`th resting order to `count` remaining.
    Amend { pick: usize, count: i64 },
    /// Cancel the `pick`th resting order.
    Cancel { pick: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), 20i64..80, 1i64..7).prop_map(|(yes, cents, count)| Step::Place {
            side: if yes { Side::Yes } else { Side::No },
            cents,
            count,
        }),
        2 => (0usize..8, 1i64..9).prop_map(|(pick, count)| Step::Amend { pick, count }),
        1 => (0usize..8).prop_map(|pick| Step::Cancel { pick }),
    ]
}

async fn resting(trader: &Session) -> Vec<OrderView> {
    let (status, body) = trader.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Vec<OrderView>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.market_ticker.as_str() == MARKET)
        .collect()
}

async fn run(trader: &Session, orders: &[OrderView], s: &Step) -> u16 {
    match s {
        Step::Place { side, cents, count } => {
            let t = OrderTicket::limit(
                MarketTicker(MARKET.into()),
                Action::Buy,
                *side,
                Dollars::from_cents(*cents),
                Count::from_int(*count),
            );
            trader
                .send(Method::POST, "/api/orders", serde_json::to_value(t).ok())
                .await
                .0
        }
        Step::Amend { pick, count } => match orders.get(pick % orders.len().max(1)) {
            Some(o) => {
                let body = json!({"price": o.price, "remaining": Count::from_int(*count)});
                let path = format!("/api/orders/{}/amend", o.order_id);
                trader.send(Method::POST, &path, Some(body)).await.0
            }
            None => 0,
        },
        Step::Cancel { pick } => match orders.get(pick % orders.len().max(1)) {
            Some(o) => {
                let path = format!("/api/orders/{}", o.order_id);
                trader.send(Method::DELETE, &path, None).await.0
            }
            None => 0,
        },
    }
}

/// The exchange's worst case in `MARKET`: (position + YES resting, position − NO resting).
async fn worst_case(app: &TestApp, trader: &Session) -> (i64, i64) {
    let (status, body) = app.get("/api/portfolio").await;
    assert_eq!(status, 200, "{body}");
    let portfolio: PortfolioView = serde_json::from_str(&body).expect("portfolio");
    let position = portfolio
        .positions
        .iter()
        .find(|p| p.market_ticker.as_str() == MARKET)
        .map_or(0, |p| p.position.raw());
    let (mut yes, mut no) = (0, 0);
    for o in resting(trader).await {
        match o.side {
            Side::Yes => yes += o.remaining.raw(),
            Side::No => no += o.remaining.raw(),
        }
    }
    ((position + yes) / 100, (position - no) / 100)
}

#[test]
fn random_concurrent_orders_never_take_the_worst_case_past_the_limit() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (app, trader) = rt.block_on(async {
        let app = spawn_app_with(|c| c.sim_flow = 200).await;
        let focused = app.sim.set_flow_focus(Some(MARKET.into()));
        assert!(focused, "{MARKET} is open");
        let trader = app
            .user(
                "lim",
                Role::Trader,
                UserLimits {
                    max_position: Some(Count::from_int(LIMIT)),
                    ..UserLimits::default()
                },
            )
            .await;
        (app, trader)
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(6);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let rounds = prop::collection::vec(prop::collection::vec(step(), 1..6), 1..5);
    let result = runner.run(&rounds, |rounds| {
        rt.block_on(async {
            for round in &rounds {
                let orders = resting(&trader).await;
                let sends = round.iter().map(|s| run(&trader, &orders, s));
                let statuses = futures_util::future::join_all(sends).await;
                prop_assert!(
                    statuses.iter().all(|s| *s < 500),
                    "{round:?} → {statuses:?}"
                );
                let (long, short) = worst_case(&app, &trader).await;
                prop_assert!(
                    long <= LIMIT && short >= -LIMIT,
                    "after {round:?} ({statuses:?}): worst case {long} long / {short} short"
                );
            }
            Ok::<(), TestCaseError>(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Signed requests the desk has sent, per Kalshi operation.
fn sent(app: &TestApp, operation: &str) -> u64 {
    ["200", "201"]
        .iter()
        .map(|status| {
            app.hub
                .metrics()
                .rest_latency
                .with_label_values(&[operation, status])
                .get_sample_count()
        })
        .sum()
}

/// With a position limit, an order is still one signed request once the desk tracks the
/// market's exposure from the account frames: the first check reads it over REST, the next
/// orders and an amend read memory (no `GetOrders`, `GetPositions` or `GetOrder`), and what
/// they add is counted at once — a 10-lot after 2 resting contracts is refused, and that
/// refusal is confirmed over REST before it is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_order_is_one_signed_request_once_the_market_is_tracked() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let trader = app
        .user(
            "one",
            Role::Trader,
            UserLimits {
                max_position: Some(Count::from_int(LIMIT)),
                ..UserLimits::default()
            },
        )
        .await;
    let bid = |cents: i64, count: i64| {
        let t = OrderTicket::limit(
            MarketTicker(MARKET.into()),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(cents),
            Count::from_int(count),
        );
        serde_json::to_value(t).ok()
    };
    let reads = |app: &TestApp| {
        [
            "GetOrders",
            "GetPositions",
            "GetOrder",
            "GetSubaccountBalances",
        ]
        .iter()
        .map(|op| sent(app, op))
        .sum::<u64>()
    };
    let (status, body) = trader.send(Method::POST, "/api/orders", bid(2, 1)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        app.hub.exposure().tracked_markets(),
        1,
        "tracked from the first check"
    );
    let (before_reads, before_orders) = (reads(&app), sent(&app, "CreateOrderV2"));
    for _ in 0..3 {
        let (status, body) = trader.send(Method::POST, "/api/orders", bid(2, 1)).await;
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(sent(&app, "CreateOrderV2") - before_orders, 3);
    assert_eq!(
        reads(&app),
        before_reads,
        "no reads for three limited orders"
    );
    let from = |source: &str| {
        app.hub
            .metrics()
            .exposure_reads
            .with_label_values(&[source])
            .get()
    };
    assert_eq!(
        (from("memory"), from("rest_seed")),
        (3, 1),
        "counted in /metrics"
    );

    // 4 resting: amend one to 3 (6 in all), then a 5-lot would make 11.
    let order = resting(&trader).await.remove(0);
    let before_reads = reads(&app);
    let path = format!("/api/orders/{}/amend", order.order_id);
    let amend = json!({"price": order.price, "remaining": Count::from_int(3)});
    let (status, body) = trader.send(Method::POST, &path, Some(amend)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(reads(&app), before_reads, "an amend reads nothing either");
    let (status, body) = trader.send(Method::POST, "/api/orders", bid(2, 5)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("could reach 11"), "{body}");
    assert!(
        reads(&app) > before_reads,
        "a refusal is confirmed over REST"
    );
    assert_eq!(from("rest_confirm"), 1);
    let (status, body) = trader.send(Method::POST, "/api/orders", bid(2, 4)).await;
    assert_eq!(status, 201, "exactly at the limit: {body}");
}
