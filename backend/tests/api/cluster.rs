//! Several replicas behind one upstream socket, for real: a private
//! `nats-server -js` per test, replicas in runtimes of their own on one PostgreSQL schema,
//! one built-in exchange. Replicas are killed abruptly (their runtime dropped: no lease
//! released) and NATS is killed with SIGKILL and started again.

use std::path::PathBuf;
use std::time::Duration;

use desk_backend::Config;
use desk_testkit::desk::Replica;
use desk_testkit::services::{NatsServer, PgSchema};
use desk_testkit::TestKey;
use kalshi_sim::{SimConfig, SimExchange};
use shared::auth::{Role, UserLimits};
use shared::ids::{Action, MarketTicker, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::protocol::{ClientMsg, OrderTicket, ServerMsg, UpstreamState};
use shared::rest::TimeInForce;
use tokio::time::Instant;

use crate::helpers::{user_session, wait_until, Browser, Session};

const KEY_ID: &str = "cluster-desk";

/// One exchange, one NATS, one database; replicas come and go.
struct Cluster {
    sim: SimExchange,
    nats: NatsServer,
    schema: PgSchema,
    key_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.sim.shutdown();
    }
}

impl Cluster {
    async fn start() -> Cluster {
        // `RUST_LOG=desk_backend=debug` shows the replicas' logs.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let nats =
            NatsServer::start().expect("a private nats-server (bash scripts/test.sh installs it)");
        let schema = PgSchema::create().await;
        let dir = tempfile::tempdir().unwrap();
        let key = TestKey::rsa();
        let key_path = key.write(dir.path(), "desk.pem");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = SimExchange::start(
            SimConfig {
                keys: vec![(KEY_ID.into(), key.sim_public_key())],
                flow_per_sec: 0,
                seed: 5,
                starting_balance: Dollars::from_int(10_000),
                max_clock_skew_ms: 30_000,
                usage_tier: kalshi_sim::UsageTier::BASIC,
                markets: 0,
            },
            listener,
        )
        .await
        .unwrap();
        Cluster {
            sim,
            nats,
            schema,
            key_path,
            _dir: dir,
        }
    }

    fn config(&self, replica: &str) -> Config {
        let mut c = Config::for_tests(PathBuf::from("/nonexistent-dist"));
        c.api_key_id = Some(KEY_ID.into());
        c.private_key_path = Some(self.key_path.clone());
        c.rest_url = Some(format!("http://127.0.0.1:{}/trade-api/v2", self.sim.port()));
        c.ws_url = Some(format!(
            "ws://127.0.0.1:{}/trade-api/ws/v2",
            self.sim.port()
        ));
        c.team.db_url = secrecy::SecretString::from(self.schema.url.clone());
        c.cluster.nats_url = Some(self.nats.url.clone().into());
        c.cluster.replica_id = Some(replica.into());
        c
    }

    async fn replica(&self, name: &str) -> Replica {
        let r = Replica::start(self.config(name))
            .await
            .expect("replica builds");
        r
    }

    fn market(&self) -> MarketTicker {
        self.sim.market_tickers().into_iter().next().unwrap()
    }

    fn exchange_fills(&self) -> Vec<TradeId> {
        self.sim
            .fills_for(KEY_ID)
            .into_iter()
            .map(|f| f.trade_id)
            .collect()
    }
}

async fn leader_within(r: &Replica, limit: Duration) {
    wait_until("replica leads", limit, || async { r.is_leader() }).await;
}

async fn live(r: &Replica) {
    let hub = r.hub.clone();
    wait_until("replica live", Duration::from_secs(15), || {
        let hub = hub.clone();
        async move { hub.upstream_state() == UpstreamState::Live }
    })
    .await;
}

/// Waits until the replica's book of `market` equals the exchange's.
async fn book_matches(cluster: &Cluster, r: &Replica, market: &MarketTicker, what: &str) {
    let (hub, sim, m) = (r.hub.clone(), cluster.sim.clone(), market.clone());
    wait_until(what, Duration::from_secs(15), || {
        let (hub, sim, m) = (hub.clone(), sim.clone(), m.clone());
        async move { hub.book(&m).filter(|b| !b.stale).map(|b| b.levels) == sim.book(&m) }
    })
    .await;
}

async fn watching(session: &Session, market: &MarketTicker) -> Browser {
    let mut b = session.browser().await;
    b.send(&ClientMsg::Watch {
        market_ticker: market.clone(),
    })
    .await;
    b.until(
        "initial book",
        |m| matches!(m, ServerMsg::Book { market_ticker, .. } if market_ticker == market),
    )
    .await;
    b
}

/// A buy-YES IOC through the best YES ask: takes liquidity, so it fills at once.
async fn take(cluster: &Cluster, session: &Session, market: &MarketTicker) {
    let best_no = cluster.sim.book(market).unwrap().no.last().unwrap().0;
    let through =
        (best_no.complement() + "0.02".parse::<Dollars>().unwrap()).min("0.99".parse().unwrap());
    let ticket = OrderTicket {
        time_in_force: TimeInForce::ImmediateOrCancel,
        ..OrderTicket::limit(
            market.clone(),
            Action::Buy,
            Side::Yes,
            through,
            Count::from_int(1),
        )
    };
    let (status, body) = session
        .send(
            reqwest::Method::POST,
            "/api/orders",
            Some(serde_json::to_value(&ticket).unwrap()),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

fn ids(fills: &[shared::protocol::FillView]) -> Vec<TradeId> {
    fills.iter().map(|f| f.trade_id.clone()).collect()
}

fn sorted(mut v: Vec<TradeId>) -> Vec<TradeId> {
    v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    v
}

/// The same session (cookie) on another replica: sessions live in the shared database.
fn on(session: &Session, r: &Replica) -> Session {
    Session {
        port: r.port,
        ..session.clone()
    }
}

/// Replica `r1`, leading, and `r2` following, both live, and the admin's session on `r1`.
async fn two_live_replicas(cluster: &Cluster) -> (Replica, Replica, Session) {
    let r1 = cluster.replica("r1").await;
    leader_within(&r1, Duration::from_secs(10)).await;
    let r2 = cluster.replica("r2").await;
    live(&r1).await;
    live(&r2).await;
    assert!(!r2.is_leader(), "one leader");
    let admin = user_session(
        &r1.store,
        r1.port,
        "admin",
        Role::Admin,
        UserLimits::default(),
    )
    .await;
    (r1, r2, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_show_identical_books_while_the_exchange_trades() {
    let cluster = Cluster::start().await;
    let market = cluster.market();
    let (r1, r2, admin) = two_live_replicas(&cluster).await;
    let mut b1 = watching(&admin, &market).await;
    let mut b2 = watching(&on(&admin, &r2), &market).await;

    cluster.sim.set_flow_focus(Some(market.clone()));
    cluster.sim.set_flow(200);
    tokio::join!(
        b1.drain(Duration::from_secs(3)),
        b2.drain(Duration::from_secs(3))
    );
    cluster.sim.set_flow(0);
    book_matches(&cluster, &r1, &market, "replica 1 book == exchange book").await;
    book_matches(&cluster, &r2, &market, "replica 2 book == exchange book").await;
    tokio::join!(
        b1.drain(Duration::from_millis(500)),
        b2.drain(Duration::from_millis(500))
    );
    let exchange = cluster.sim.book(&market);
    assert_eq!(
        b1.levels(&market),
        exchange,
        "browser on replica 1 == exchange"
    );
    assert_eq!(
        b2.levels(&market),
        exchange,
        "browser on replica 2 == exchange"
    );
    assert_eq!(
        cluster.sim.orderbook_subscriptions().len(),
        1,
        "two replicas, one upstream book subscription"
    );

    // A fill taken through the follower reaches both replicas' sessions once.
    take(&cluster, &on(&admin, &r2), &market).await;
    let want = cluster.exchange_fills();
    assert_eq!(want.len(), 1);
    for (name, r) in [("r1", &r1), ("r2", &r2)] {
        let hub = r.hub.clone();
        let want = want.clone();
        wait_until(
            &format!("{name} shows the fill"),
            Duration::from_secs(10),
            || {
                let (hub, want) = (hub.clone(), want.clone());
                async move { ids(&hub.fills()) == want }
            },
        )
        .await;
    }
    b1.until("fill on replica 1", |m| matches!(m, ServerMsg::Fill(_)))
        .await;
    b2.until("fill on replica 2", |m| matches!(m, ServerMsg::Fill(_)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_hands_the_upstream_over_within_10s_and_loses_no_fill() {
    let cluster = Cluster::start().await;
    let market = cluster.market();
    let mut r1 = cluster.replica("r1").await;
    leader_within(&r1, Duration::from_secs(10)).await;
    let r2 = cluster.replica("r2").await;
    live(&r2).await;
    let admin = user_session(
        &r2.store,
        r2.port,
        "admin",
        Role::Admin,
        UserLimits::default(),
    )
    .await;
    let mut browser = watching(&admin, &market).await;

    take(&cluster, &admin, &market).await;
    let hub2 = r2.hub.clone();
    wait_until("first fill on replica 2", Duration::from_secs(10), || {
        let hub = hub2.clone();
        async move { hub.fills().len() == 1 }
    })
    .await;

    // Crash the leader, and trade while nobody holds the socket.
    r1.kill();
    let killed = Instant::now();
    take(&cluster, &admin, &market).await;
    leader_within(&r2, Duration::from_secs(10)).await;
    let took = killed.elapsed();
    assert!(took <= Duration::from_secs(10), "takeover took {took:?}");
    live(&r2).await;
    take(&cluster, &admin, &market).await;

    let want = sorted(cluster.exchange_fills());
    assert_eq!(want.len(), 3);
    wait_until(
        "replica 2 fills == exchange fills",
        Duration::from_secs(15),
        || {
            let (hub, want) = (hub2.clone(), want.clone());
            async move { sorted(ids(&hub.fills())) == want }
        },
    )
    .await;
    browser.drain(Duration::from_millis(500)).await;
    assert_eq!(
        sorted(ids(&browser.fills)),
        want,
        "the browser saw every fill once, the one during the handover included"
    );

    // Books: the new leader resubscribed; a replica started again catches up too.
    cluster.sim.set_flow_focus(Some(market.clone()));
    cluster.sim.set_flow(100);
    browser.drain(Duration::from_secs(2)).await;
    cluster.sim.set_flow(0);
    book_matches(&cluster, &r2, &market, "new leader's book == exchange").await;
    let r3 = cluster.replica("r3").await;
    live(&r3).await;
    assert!(!r3.is_leader());
    let _b3 = watching(&on(&admin, &r3), &market).await;
    book_matches(
        &cluster,
        &r3,
        &market,
        "restarted replica's book == exchange",
    )
    .await;
    browser.drain(Duration::from_millis(300)).await;
    assert_eq!(browser.levels(&market), cluster.sim.book(&market));
    wait_until(
        "one upstream subscription",
        Duration::from_secs(10),
        || async { cluster.sim.orderbook_subscriptions().len() == 1 },
    )
    .await;
    eprintln!("takeover took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_mid_stream_heals_without_restarting_replicas() {
    let mut cluster = Cluster::start().await;
    let market = cluster.market();
    let r1 = cluster.replica("r1").await;
    leader_within(&r1, Duration::from_secs(10)).await;
    let r2 = cluster.replica("r2").await;
    live(&r2).await;
    let admin = user_session(
        &r1.store,
        r1.port,
        "admin",
        Role::Admin,
        UserLimits::default(),
    )
    .await;
    let mut b1 = watching(&admin, &market).await;
    let mut b2 = watching(&on(&admin, &r2), &market).await;
    cluster.sim.set_flow_focus(Some(market.clone()));
    cluster.sim.set_flow(100);
    tokio::join!(
        b1.drain(Duration::from_secs(1)),
        b2.drain(Duration::from_secs(1))
    );

    // NATS dies mid-stream; the exchange trades on, and a fill happens meanwhile.
    cluster.nats.kill();
    take(&cluster, &on(&admin, &r2), &market).await;
    tokio::join!(
        b1.drain(Duration::from_secs(1)),
        b2.drain(Duration::from_secs(1))
    );
    cluster.nats.restart().expect("nats-server starts again");
    tokio::join!(
        b1.drain(Duration::from_secs(2)),
        b2.drain(Duration::from_secs(2))
    );
    cluster.sim.set_flow(0);

    let want = cluster.exchange_fills();
    assert_eq!(want.len(), 1);
    for (name, r) in [("r1", &r1), ("r2", &r2)] {
        live(r).await;
        book_matches(
            &cluster,
            r,
            &market,
            &format!("{name} book == exchange after NATS restart"),
        )
        .await;
        let (hub, want) = (r.hub.clone(), want.clone());
        wait_until(
            &format!("{name} shows the fill made while NATS was down"),
            Duration::from_secs(10),
            || {
                let (hub, want) = (hub.clone(), want.clone());
                async move { ids(&hub.fills()) == want }
            },
        )
        .await;
    }
    tokio::join!(
        b1.drain(Duration::from_millis(500)),
        b2.drain(Duration::from_millis(500))
    );
    let exchange = cluster.sim.book(&market);
    assert_eq!(b1.levels(&market), exchange, "browser on replica 1 healed");
    assert_eq!(b2.levels(&market), exchange, "browser on replica 2 healed");
    assert_eq!(ids(&b2.fills), want, "the fill reached the browser once");
    assert_eq!(
        u8::from(r1.is_leader()) + u8::from(r2.is_leader()),
        1,
        "exactly one leader afterwards"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_mode_refuses_a_private_store_or_a_private_exchange() {
    let cluster = Cluster::start().await;
    let mut c = cluster.config("x");
    c.team.db_url = secrecy::SecretString::from("sqlite::memory:");
    let err = Replica::start(c).await.expect_err("SQLite is per process");
    assert!(format!("{err:#}").contains("PostgreSQL"), "{err:#}");
    let mut c = cluster.config("y");
    c.rest_url = None;
    c.ws_url = None;
    let err = Replica::start(c)
        .await
        .expect_err("a built-in exchange per replica");
    assert!(format!("{err:#}").contains("upstream"), "{err:#}");
}

/// The kill switch and the RFQ rules live in the shared database: a halt taken through one
/// replica is refused on the other and shown on its screens, re-arming through the other
/// lifts it on both, and rules saved through one replica are the other's within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halt_and_the_rfq_rules_hold_on_every_replica() {
    let cluster = Cluster::start().await;
    let market = cluster.market();
    let (_r1, r2, admin) = two_live_replicas(&cluster).await;
    let admin2 = on(&admin, &r2);
    let order = serde_json::to_value(OrderTicket {
        post_only: true,
        ..OrderTicket::limit(
            market.clone(),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(1),
            Count::from_int(1),
        )
    })
    .unwrap();
    let mut screen2 = admin2.browser().await;

    let (status, body) = admin
        .send(
            reqwest::Method::POST,
            "/api/admin/halt",
            Some(serde_json::json!({"reason": "drill"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    screen2
        .until(
            "the halt on the other replica's screen",
            |m| matches!(m, ServerMsg::Halts { halts } if halts.iter().any(|h| h.user.is_none())),
        )
        .await;
    let (status, body) = admin2
        .send(reqwest::Method::POST, "/api/orders", Some(order.clone()))
        .await;
    assert_eq!(status, 403, "the other replica refuses: {body}");
    assert!(body.contains("halted"), "{body}");

    let (status, body) = admin2
        .send(
            reqwest::Method::POST,
            "/api/admin/rearm",
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin
        .send(reqwest::Method::POST, "/api/orders", Some(order))
        .await;
    assert_eq!(status, 201, "re-armed through the other replica: {body}");

    let rules = serde_json::json!({"rules": [{
        "id": 3, "scope": "KXDESK", "enabled": true,
        "auto_quote": {"spread": "0.0200", "max_contracts": "10.00"}
    }]});
    let (status, body) = admin
        .send(reqwest::Method::PUT, "/api/rfq/rules", Some(rules))
        .await;
    assert_eq!(status, 200, "{body}");
    wait_until(
        "the rules on the other replica",
        Duration::from_secs(5),
        || {
            let admin2 = admin2.clone();
            async move {
                let (_, body) = admin2
                    .send(reqwest::Method::GET, "/api/rfq/rules", None)
                    .await;
                body.contains("\"id\":3") && body.contains("\"owner\":\"admin\"")
            }
        },
    )
    .await;
}
