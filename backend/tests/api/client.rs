//! `KalshiClient::send` and `send_all_pages` — the typed [`Operation`] path — against the
//! built-in exchange, signed with an Ed25519 key.

use std::collections::HashSet;

use desk_backend::kalshi::client::KalshiClient;
use desk_backend::kalshi::signer::{PrivateKey, Signer};
use kalshi_sim::{SimConfig, SimExchange};
use shared::api::{ops, NoPath, NoQuery};
use shared::ids::{BookSide, MarketTicker};
use shared::num::{Count, Dollars};
use shared::rest::{CreateOrderV2Request, SelfTradePrevention, TimeInForce};

/// A built-in exchange with one Ed25519 key `typed`, and a client signing with it.
pub async fn sim_and_client() -> (SimExchange, KalshiClient) {
    let key = PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
    let sim = SimExchange::start(
        SimConfig {
            keys: vec![("typed".into(), key.public_key())],
            flow_per_sec: 0,
            seed: 3,
            starting_balance: Dollars::from_int(500),
            max_clock_skew_ms: 30_000,
            usage_tier: kalshi_sim::UsageTier::BASIC,
            markets: 0,
        },
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}/trade-api/v2", sim.port());
    let client = KalshiClient::new(&base, Signer::from_key("typed", key)).unwrap();
    (sim, client)
}

#[tokio::test]
async fn send_all_pages_collects_every_market_in_small_pages() {
    let (sim, client) = sim_and_client().await;
    let everything = client
        .send::<ops::GetMarkets>(
            &NoPath,
            &ops::GetMarketsQuery {
                limit: Some(1000),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(
        everything.cursor.is_empty(),
        "one page of 1000 holds them all"
    );
    let total = everything.markets.len();
    assert!(total > 7, "the exchange has markets ({total})");

    let pages = client
        .send_all_pages::<ops::GetMarkets>(
            &NoPath,
            ops::GetMarketsQuery {
                limit: Some(3),
                ..Default::default()
            },
            1000,
        )
        .await
        .unwrap();
    assert_eq!(pages.len(), total.div_ceil(3), "pages of 3");
    assert!(pages.iter().all(|p| p.markets.len() <= 3));
    let tickers: Vec<&MarketTicker> = pages
        .iter()
        .flat_map(|p| p.markets.iter().map(|m| &m.ticker))
        .collect();
    assert_eq!(tickers.len(), total);
    assert_eq!(
        tickers.iter().collect::<HashSet<_>>().len(),
        total,
        "no repeats"
    );
    let expected: HashSet<&MarketTicker> = everything.markets.iter().map(|m| &m.ticker).collect();
    assert_eq!(tickers.into_iter().collect::<HashSet<_>>(), expected);

    // `max_pages` bounds the walk.
    let two = client
        .send_all_pages::<ops::GetMarkets>(
            &NoPath,
            ops::GetMarketsQuery {
                limit: Some(3),
                ..Default::default()
            },
            2,
        )
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    sim.shutdown();
}

#[tokio::test]
async fn typed_balance_create_and_cancel() {
    let (sim, client) = sim_and_client().await;
    let balance = client
        .send::<ops::GetBalance>(&NoPath, &ops::GetBalanceQuery::default(), None)
        .await
        .unwrap();
    assert_eq!(balance.balance, 50_000, "$500 in cents");

    let ticker = MarketTicker("KXDESK-26DEC31-T50".into());
    let request = CreateOrderV2Request {
        ticker: ticker.clone(),
        client_order_id: Some("typed-1".into()),
        side: BookSide::Bid,
        count: Count::from_int(2),
        price: Dollars::from_cents(1),
        time_in_force: TimeInForce::default(),
        self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
        expiration_time: None,
        post_only: Some(true),
        reduce_only: None,
        cancel_order_on_pause: None,
        subaccount: None,
        order_group_id: None,
    };
    let placed = client
        .send::<ops::CreateOrderV2>(&NoPath, &NoQuery {}, Some(&request))
        .await
        .unwrap();
    assert_eq!(placed.remaining_count, Count::from_int(2));
    assert_eq!(placed.client_order_id.as_deref(), Some("typed-1"));
    assert_eq!(sim.orders_received("typed"), 1);

    let cancelled = client
        .send::<ops::CancelOrderV2>(
            &ops::CancelOrderV2Path {
                order_id: placed.order_id.clone(),
            },
            &ops::CancelOrderV2Query::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(cancelled.order_id, placed.order_id);
    assert_eq!(cancelled.reduced_by, Count::from_int(2));
    sim.shutdown();
}
