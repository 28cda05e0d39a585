//! Both kinds of Kalshi API key, end to end: the desk configured with an Ed25519 or an
//! RSA key file (`KALSHI_ENV=sim`) registers it with the built-in exchange, goes live and
//! trades through `/api/orders`; the exchange refuses a wrong Ed25519 signature.

use std::path::PathBuf;

use desk_backend::config::KalshiEnv;
use desk_backend::kalshi::signer::{PublicKey, Signer};
use desk_testkit::TestKey;
use kalshi_sim::{SimConfig, SimExchange};
use shared::ids::{Action, MarketTicker, OrderId, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, OrderView, PlacedOrder};
use shared::rest::TimeInForce;

use crate::helpers::spawn_app_with;

/// The desk on the built-in exchange with the key file at `key`, placing and cancelling
/// one resting order through the browser API.
async fn place_and_cancel_with_key(key_id: &str, key: PathBuf) {
    let id = key_id.to_owned();
    let app = spawn_app_with(move |c| {
        c.kalshi_env = Some(KalshiEnv::Sim);
        c.api_key_id = Some(id);
        c.private_key_path = Some(key);
        c.sim_flow = 0;
    })
    .await;
    let base = format!("http://127.0.0.1:{}", app.port);
    let http = app.http();
    let ticket = OrderTicket {
        time_in_force: TimeInForce::default(),
        post_only: true,
        ..OrderTicket::limit(
            MarketTicker("KXDESK-26DEC31-T50".into()),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(1),
            Count::from_int(3),
        )
    };
    let res = http
        .post(format!("{base}/api/orders"))
        .json(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let placed: PlacedOrder = res.json().await.unwrap();
    assert_eq!(placed.remaining, Count::from_int(3));
    assert_eq!(app.sim.orders_received(key_id), 1, "signed with {key_id}");

    let resting = |orders: &[OrderView], id: &OrderId| orders.iter().any(|o| o.order_id == *id);
    let orders: Vec<OrderView> = http
        .get(format!("{base}/api/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(resting(&orders, &placed.order_id));

    let res = http
        .delete(format!("{base}/api/orders/{}", placed.order_id.0))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let orders: Vec<OrderView> = http
        .get(format!("{base}/api/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!resting(&orders, &placed.order_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_trades_with_an_ed25519_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::ed25519().write(dir.path(), "ed.pem");
    place_and_cancel_with_key("desk-ed25519", key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_trades_with_an_rsa_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::rsa().write(dir.path(), "rsa.pem");
    place_and_cancel_with_key("desk-rsa", key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_refuses_a_wrong_ed25519_signature() {
    let dir = tempfile::tempdir().unwrap();
    let registered = TestKey::ed25519().write(dir.path(), "a.pem");
    let other = TestKey::ed25519().write(dir.path(), "b.pem");
    let public = desk_backend::kalshi::signer::load_private_key(&registered)
        .unwrap()
        .public_key();
    assert!(matches!(public, PublicKey::Ed25519(_)));
    let sim = SimExchange::start(
        SimConfig {
            keys: vec![("ed".into(), public)],
            flow_per_sec: 0,
            seed: 1,
            starting_balance: Dollars::from_int(100),
            max_clock_skew_ms: 30_000,
            usage_tier: kalshi_sim::UsageTier::BASIC,
            markets: 0,
        },
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    let path = "/trade-api/v2/portfolio/balance";
    let status = |signer: Signer| {
        let url = format!("http://127.0.0.1:{}{path}", sim.port());
        async move {
            let headers = signer.sign_blocking_pool("GET", path).await.unwrap();
            let mut req = reqwest::Client::new().get(url);
            for (k, v) in headers.pairs() {
                req = req.header(k, v);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let (ok, _) = status(Signer::from_pem_file("ed", &registered).unwrap()).await;
    assert_eq!(ok, 200);
    let (refused, body) = status(Signer::from_pem_file("ed", &other).unwrap()).await;
    assert_eq!(refused, 401, "{body}");
    let error: shared::rest::ApiError = serde_json::from_str(&body).expect("a Kalshi error body");
    assert!(body.contains("signature"), "{error:?}");
    sim.shutdown();
}
