//! The team desk end to end over HTTP and `/ws`: sessions, CSRF, origins, roles, limits,
//! attribution and the audit log. Every test runs on SQLite and on PostgreSQL.

use std::time::Duration;

use desk_backend::team::store::Store;
use desk_backend::{Application, Config};
use reqwest::Method;
use serde_json::{json, Value};
use shared::auth::{AuditEntry, Role, SessionView, UserLimits, UserView};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{ClientMsg, OrderTicket, OrderView, ServerMsg};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{on_both, spawn_app_on, Browser, Db, Session, TestApp, PASSWORD};

/// Waits until the desk closes `socket` (a close frame, the end of the stream or an error),
/// at most two session re-checks.
async fn assert_socket_closes(socket: &mut Browser, why: &str) {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;
    let limit = desk_backend::http::stream::SESSION_RECHECK * 2 + Duration::from_secs(2);
    let closed = tokio::time::timeout(limit, async {
        loop {
            match socket.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the socket stayed open {limit:?} after {why}"
    );
}

const MARKET: &str = "KXDESK-26DEC31-T50";

fn ticket(market: &str, price_cents: i64, count: i64) -> Value {
    serde_json::to_value(OrderTicket {
        post_only: true,
        ..OrderTicket::limit(
            MarketTicker(market.into()),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(price_cents),
            Count::from_int(count),
        )
    })
    .unwrap()
}

fn key_id(app: &TestApp) -> String {
    app.sim
        .key_ids()
        .into_iter()
        .next()
        .expect("the desk's key")
}

async fn audit(app: &TestApp, query: &str) -> Vec<AuditEntry> {
    let (status, body) = app
        .session
        .send(Method::GET, &format!("/api/audit?{query}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Every write route of the API, with a body that would pass validation where one is
/// needed: a viewer gets 403 on each, and each refusal is in the audit log.
fn write_routes() -> Vec<(Method, String, Option<Value>)> {
    let order = ticket(MARKET, 1, 1);
    vec![
        (Method::POST, "/api/orders".into(), Some(order)),
        (Method::DELETE, "/api/orders".into(), None),
        (
            Method::POST,
            "/api/orders/cancel".into(),
            Some(json!({"order_ids": ["x"]})),
        ),
        (Method::DELETE, "/api/orders/abc".into(), None),
        (
            Method::POST,
            "/api/orders/abc/amend".into(),
            Some(json!({"price": "0.10", "remaining": "1"})),
        ),
        (
            Method::POST,
            "/api/orders/abc/decrease".into(),
            Some(json!({"reduce_by": "1"})),
        ),
        (
            Method::POST,
            "/api/order_groups".into(),
            Some(json!({"contracts_limit": "5"})),
        ),
        (Method::DELETE, "/api/order_groups/g1".into(), None),
        (Method::POST, "/api/order_groups/g1/reset".into(), None),
        (
            Method::PUT,
            "/api/order_groups/g1/limit".into(),
            Some(json!({"contracts_limit": "5"})),
        ),
        (Method::POST, "/api/subaccounts".into(), None),
        (
            Method::POST,
            "/api/subaccounts/transfer".into(),
            Some(json!({"from": 0, "to": 1, "amount": "1.00"})),
        ),
        (
            Method::POST,
            "/api/rfqs".into(),
            Some(json!({"market_ticker": MARKET, "contracts": "10"})),
        ),
        (Method::DELETE, "/api/rfqs/r1".into(), None),
        (
            Method::POST,
            "/api/quotes".into(),
            Some(json!({"rfq_id": "r1", "yes_bid": "0.40", "no_bid": "0.50"})),
        ),
        (Method::DELETE, "/api/quotes/q1".into(), None),
        (
            Method::POST,
            "/api/quotes/q1/accept".into(),
            Some(json!({"accepted_side": "yes"})),
        ),
        (Method::POST, "/api/quotes/q1/confirm".into(), None),
        (
            Method::PUT,
            "/api/rfq/rules".into(),
            Some(json!({"rules": []})),
        ),
        (
            Method::POST,
            "/api/users".into(),
            Some(json!({"username": "eve", "password": "password123", "role": "admin"})),
        ),
        (
            Method::PATCH,
            "/api/users/1".into(),
            Some(json!({"role": "viewer"})),
        ),
    ]
}

async fn viewer_is_refused_every_write(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let viewer = app.user("vera", Role::Viewer, UserLimits::default()).await;
    assert_eq!(viewer.session.user.as_ref().unwrap().role, Role::Viewer);
    assert!(!viewer.session.permissions.trade && !viewer.session.permissions.admin);
    let routes = write_routes();
    for (method, path, body) in &routes {
        let (status, text) = viewer.send(method.clone(), path, body.clone()).await;
        assert_eq!(status, 403, "{method} {path} → {text}");
        let err: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(err["code"], "forbidden", "{method} {path}");
    }
    // Admin-only reads too.
    for path in ["/api/users", "/api/audit", "/api/audit.csv"] {
        let (status, _) = viewer.send(Method::GET, path, None).await;
        assert_eq!(status, 403, "GET {path}");
    }
    // Reads are the viewer's: markets and orders.
    let (status, _) = viewer.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 200);
    // The socket carries only reads (watch, unwatch, ping): a viewer may use all of them.
    let mut ws = viewer.browser().await;
    let market = MarketTicker::from(MARKET);
    ws.send(&ClientMsg::Watch {
        market_ticker: market.clone(),
    })
    .await;
    ws.until(
        "book",
        |m| matches!(m, ServerMsg::Book { market_ticker, .. } if *market_ticker == market),
    )
    .await;
    ws.send(&ClientMsg::Ping { nonce: 9 }).await;
    ws.until("pong", |m| matches!(m, ServerMsg::Pong { nonce: 9 }))
        .await;

    assert_eq!(
        app.sim.orders_received(&key_id(&app)),
        0,
        "nothing reached the exchange"
    );
    let refused = audit(&app, "user=vera").await;
    assert_eq!(refused.len(), routes.len() + 3, "{refused:#?}");
    assert!(refused
        .iter()
        .all(|e| e.outcome == "refused" && e.status == Some(403)));
    for (method, path, _) in &routes {
        let op = format!("{method} {path}");
        assert!(refused.iter().any(|e| e.operation == op), "{op} recorded");
    }
}
on_both!(viewer_refused, viewer_is_refused_every_write);

async fn without_session_bad_csrf_or_foreign_origin_is_refused(db: Db) {
    let app = spawn_app_on(db, |c| {
        c.sim_flow = 0;
        c.team.allowed_origins = vec!["https://desk.example.com".into()];
    })
    .await;
    let base = format!("http://127.0.0.1:{}", app.port);
    let anon = reqwest::Client::new();
    for (method, path) in [
        (Method::GET, "/api/markets"),
        (Method::GET, "/api/orders"),
        (Method::POST, "/api/orders"),
        (Method::DELETE, "/api/orders"),
    ] {
        let resp = anon
            .request(method.clone(), format!("{base}{path}"))
            .json(&ticket(MARKET, 1, 1))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{method} {path}");
    }
    // The session route answers without a user.
    let s: SessionView = anon
        .get(format!("{base}/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(s.user.is_none() && s.csrf_token.is_none() && !s.bootstrap_needed);

    // The admin's cookie with a wrong or missing CSRF token.
    for csrf in [Some("wrong"), None] {
        let mut req = anon
            .post(format!("{base}/api/orders"))
            .header("cookie", &app.session.cookie)
            .json(&ticket(MARKET, 1, 1));
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 403, "csrf {csrf:?}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["code"], "bad_csrf");
    }
    // A foreign Origin on a write, even with cookie and token.
    let resp = app
        .http()
        .post(format!("{base}/api/orders"))
        .header("origin", "http://evil.example")
        .json(&ticket(MARKET, 1, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "bad_origin");
    assert_eq!(app.sim.orders_received(&key_id(&app)), 0);

    // Sockets: no cookie → 401; foreign Origin → 403; the configured origin → accepted.
    let ws_url = format!("ws://127.0.0.1:{}/ws", app.port);
    let refused = tokio_tungstenite::connect_async(ws_url.clone()).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
        "{refused:?}"
    );
    let connect = |origin: &'static str| {
        let mut req = ws_url.clone().into_client_request().unwrap();
        req.headers_mut()
            .insert("cookie", app.session.cookie.parse().unwrap());
        req.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(req)
    };
    let foreign = connect("http://evil.example").await;
    assert!(
        matches!(&foreign, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
        "{foreign:?}"
    );
    assert!(connect("https://desk.example.com").await.is_ok());

    // Wrong passwords: 401, the same answer for an unknown user; then the rate limit.
    let (status, _) = login_status(app.port, "admin", "not-the-password").await;
    assert_eq!(status, 401);
    let (status, _) = login_status(app.port, "nobody", "not-the-password").await;
    assert_eq!(status, 401);
    let mut limited = false;
    for _ in 0..12 {
        if login_status(app.port, "admin", "guess-guess").await.0 == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "login attempts are rate limited");

    // Logout ends the session, and its open socket with it.
    let mut socket = app.session.browser().await;
    let (status, _) = app.session.send(Method::POST, "/api/logout", None).await;
    assert_eq!(status, 204);
    let (status, _) = app.session.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 401);
    assert_socket_closes(&mut socket, "logout").await;
}
on_both!(
    boundary_refusals,
    without_session_bad_csrf_or_foreign_origin_is_refused
);

async fn login_status(port: u16, username: &str, password: &str) -> (u16, String) {
    match Session::login(port, username, password).await {
        Ok(_) => (200, String::new()),
        Err(e) => e,
    }
}

async fn sessions_expire(db: Db) {
    let app = spawn_app_on(db, |c| {
        c.sim_flow = 0;
        c.team.session_max_secs = 1;
    })
    .await;
    let (status, _) = app.session.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (status, _) = app.session.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 401, "past the absolute lifetime");
}
on_both!(expiry, sessions_expire);

async fn trader_over_a_limit_is_refused_before_the_exchange(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let other_series = app
        .sim
        .market_tickers()
        .into_iter()
        .find(|t| t.as_str().starts_with("KXDESKFED-"))
        .expect("a KXDESKFED market");
    let trader = app
        .user(
            "tom",
            Role::Trader,
            UserLimits {
                max_order_notional: Some(Dollars::from_int(5)),
                max_position: Some(Count::from_int(10)),
                allowed_series: vec!["KXDESK".into()],
                ..UserLimits::default()
            },
        )
        .await;
    assert!(trader.session.permissions.trade && !trader.session.permissions.rfq);
    let cases = [
        (ticket(MARKET, 50, 11), "notional"),            // $5.50 > $5
        (ticket(other_series.as_str(), 1, 1), "series"), // KXDESKFED not allowed
        (ticket(MARKET, 1, 11), "position"),             // 11 contracts > 10
    ];
    for (order, what) in &cases {
        let (status, body) = trader
            .send(Method::POST, "/api/orders", Some(order.clone()))
            .await;
        assert_eq!(status, 403, "{what}: {body}");
        let err: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(err["code"], "over_limit", "{what}");
        assert!(
            err["message"].as_str().unwrap().contains(what),
            "{what}: {body}"
        );
    }
    assert_eq!(
        app.sim.orders_received(&key_id(&app)),
        0,
        "nothing reached the exchange"
    );
    let refused = audit(&app, "user=tom").await;
    assert_eq!(refused.len(), 3);
    assert!(refused.iter().all(|e| e.outcome == "refused"));

    // Inside every limit: placed, and attributed to the trader.
    let (status, body) = trader
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 10, 10)))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.sim.orders_received(&key_id(&app)), 1);
    let (_, body) = trader.send(Method::GET, "/api/orders", None).await;
    let orders: Vec<OrderView> = serde_json::from_str(&body).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].owner.as_deref(), Some("tom"));
    // A trader cannot reach the RFQ desk or the admin routes.
    let (status, _) = trader
        .send(
            Method::POST,
            "/api/rfqs",
            Some(json!({"market_ticker": MARKET, "contracts": "10"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = trader.send(Method::POST, "/api/subaccounts", None).await;
    assert_eq!(status, 403);
}
on_both!(limits, trader_over_a_limit_is_refused_before_the_exchange);

async fn audit_has_one_entry_per_order_the_exchange_received(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let trader = app.user("tina", Role::Trader, UserLimits::default()).await;
    let viewer = app.user("vic", Role::Viewer, UserLimits::default()).await;
    for (who, price) in [(&app.session, 1), (&trader, 2), (&trader, 3)] {
        let (status, body) = who
            .send(Method::POST, "/api/orders", Some(ticket(MARKET, price, 1)))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // Refused before sending: a bad price (validation) and a viewer (role).
    let (status, _) = trader
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 100, 1)))
        .await;
    assert_eq!(status, 400);
    let (status, _) = viewer
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 1, 1)))
        .await;
    assert_eq!(status, 403);

    let received = app.sim.orders_received(&key_id(&app));
    assert_eq!(received, 3);
    let creates = audit(&app, "operation=CreateOrderV2").await;
    assert_eq!(
        creates.len(),
        received,
        "one audit entry per order received: {creates:#?}"
    );
    assert!(creates
        .iter()
        .all(|e| e.outcome == "ok" && e.status == Some(200) && e.client_order_id.is_some()));
    let mut actors: Vec<&str> = creates.iter().map(|e| e.actor.as_str()).collect();
    actors.sort_unstable();
    assert_eq!(actors, ["admin", "tina", "tina"]);
    assert!(creates.iter().all(|e| e.body.contains(MARKET)));

    // Every order on the exchange has its owner; the CSV export has the same rows.
    let (_, body) = app.session.send(Method::GET, "/api/orders", None).await;
    let orders: Vec<OrderView> = serde_json::from_str(&body).unwrap();
    assert_eq!(orders.len(), 3);
    let mut owners: Vec<_> = orders
        .iter()
        .map(|o| o.owner.clone().unwrap_or_default())
        .collect();
    owners.sort();
    assert_eq!(owners, ["admin", "tina", "tina"]);
    let (status, csv) = app
        .session
        .send(Method::GET, "/api/audit.csv?operation=CreateOrderV2", None)
        .await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("id,ts_ms,actor,operation,"));
    assert_eq!(csv.lines().count(), 1 + received);
    // Time filters.
    let newest = creates.iter().map(|e| e.ts_ms).max().unwrap();
    assert!(audit(&app, &format!("from_ms={}", newest + 1))
        .await
        .iter()
        .all(|e| e.ts_ms > newest));
    assert_eq!(
        audit(&app, &format!("operation=CreateOrderV2&to_ms={newest}"))
            .await
            .len(),
        received
    );
}
on_both!(
    audit_count,
    audit_has_one_entry_per_order_the_exchange_received
);

async fn nothing_is_sent_when_the_audit_cannot_be_written(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let drop_audit = "DROP TABLE audit";
    match &app.store {
        Store::Sqlite(pool, _) => sqlx::query(drop_audit).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::query(drop_audit).execute(pool).await.map(|_| ()),
    }
    .unwrap();
    let (status, body) = app
        .session
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 1, 1)))
        .await;
    assert_eq!(status, 503, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["code"], "audit_unavailable");
    assert!(err["message"].as_str().unwrap().contains("not sent"));
    assert_eq!(app.sim.orders_received(&key_id(&app)), 0);
}
on_both!(
    audit_first,
    nothing_is_sent_when_the_audit_cannot_be_written
);

async fn admins_manage_users(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let (status, body) = app
        .session
        .send(
            Method::POST,
            "/api/users",
            Some(json!({"username": "una", "password": PASSWORD, "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let una: UserView = serde_json::from_str(&body).unwrap();
    assert!(!body.contains("argon2") && !body.contains(PASSWORD));
    let (status, _) = app
        .session
        .send(
            Method::POST,
            "/api/users",
            Some(json!({"username": "una", "password": PASSWORD, "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 409, "a taken name");
    let (status, _) = app
        .session
        .send(
            Method::POST,
            "/api/users",
            Some(json!({"username": "Bad Name", "password": PASSWORD, "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 400);
    let session = Session::login(app.port, "una", PASSWORD).await.unwrap();
    assert!(!session.session.permissions.trade);
    // Re-role: the next request already has the new permissions.
    let (status, body) = app
        .session
        .send(
            Method::PATCH,
            &format!("/api/users/{}", una.id),
            Some(json!({"role": "trader", "limits": {"max_order_notional": "2.00"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = session.send(Method::GET, "/api/session", None).await;
    let view: SessionView = serde_json::from_str(&body).unwrap();
    assert!(view.permissions.trade);
    assert_eq!(
        view.user.unwrap().limits.max_order_notional,
        Some(Dollars::from_int(2))
    );
    // Disable: sessions end (an open socket too), login refused.
    let mut socket = session.browser().await;
    let (status, _) = app
        .session
        .send(
            Method::PATCH,
            &format!("/api/users/{}", una.id),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = session.send(Method::GET, "/api/orders", None).await;
    assert_eq!(status, 401);
    assert_socket_closes(&mut socket, "disabling the user").await;
    assert_eq!(login_status(app.port, "una", PASSWORD).await.0, 401);
    let (_, body) = app.session.send(Method::GET, "/api/users", None).await;
    let users: Vec<UserView> = serde_json::from_str(&body).unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| (u.username.as_str(), u.disabled))
            .collect::<Vec<_>>(),
        [("admin", false), ("una", true)]
    );
    // No admin locks themselves out.
    let me = users[0].id;
    let (status, _) = app
        .session
        .send(
            Method::PATCH,
            &format!("/api/users/{me}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, 400);
    // Admin changes are audited.
    let changes = audit(&app, "user=admin").await;
    assert!(changes.iter().any(|e| e.operation == "CreateUser"));
    assert!(changes.iter().any(|e| e.operation == "UpdateUser"));
}
on_both!(users, admins_manage_users);

async fn the_bootstrap_token_creates_the_first_admin_once(db: Db) {
    let mut config = Config::for_tests(crate::helpers::dist_dir());
    config.sim_flow = 0;
    let _schema = match db {
        Db::Sqlite => None,
        Db::Postgres => {
            let s = desk_testkit::services::PgSchema::create().await;
            config.team.db_url = secrecy::SecretString::from(s.url.clone());
            Some(s)
        }
    };
    let app = Application::build(config).await.unwrap();
    let port = app.port();
    let token = app.rearm_bootstrap().await.unwrap().expect("no users yet");
    let stop = app.shutdown_token();
    let sim = app.sim().unwrap();
    tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let s: SessionView = http
        .get(format!("{base}/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(s.bootstrap_needed);
    let post = |token: String, name: &'static str| {
        http.post(format!("{base}/api/bootstrap"))
            .json(&json!({"token": token, "username": name, "password": PASSWORD}))
            .send()
    };
    assert_eq!(
        post("wrong".into(), "root")
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let ok = post(token.clone(), "root").await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));
    let view: SessionView = ok.json().await.unwrap();
    assert_eq!(view.user.unwrap().role, Role::Admin);
    assert_eq!(
        post(token, "root2").await.unwrap().status().as_u16(),
        403,
        "used up"
    );
    let s: SessionView = http
        .get(format!("{base}/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!s.bootstrap_needed);
    assert!(Session::login(port, "root", PASSWORD).await.is_ok());
    stop.cancel();
    sim.shutdown();
}
on_both!(bootstrap, the_bootstrap_token_creates_the_first_admin_once);

async fn rfq_maker_over_a_limit_cannot_quote_or_accept(db: Db) {
    let app = spawn_app_on(db, |_| {}).await;
    // An RFQ of the desk's account; the exchange's simulated counterparty quotes on it.
    let (status, body) = app
        .session
        .send(
            Method::POST,
            "/api/rfqs",
            Some(json!({"market_ticker": MARKET, "contracts": "10.00"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rfq_id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = app
        .user(
            "rita",
            Role::RfqMaker,
            UserLimits {
                max_order_notional: Some(Dollars::from_int(2)),
                ..UserLimits::default()
            },
        )
        .await;
    // Quoting 10 contracts at a $0.50 NO bid commits $5: over her $2.
    let (status, body) = rita
        .send(
            Method::POST,
            "/api/quotes",
            Some(json!({"rfq_id": rfq_id, "yes_bid": "0.4000", "no_bid": "0.5000"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("over_limit"), "{body}");

    // Accepting the counterparty's quote buys 10 contracts at about $0.50: also over.
    let mut quote_id = None;
    for _ in 0..100 {
        let (_, body) = app.session.send(Method::GET, "/api/rfq", None).await;
        let desk: Value = serde_json::from_str(&body).unwrap();
        quote_id = desk["quotes"].as_array().and_then(|qs| {
            qs.iter()
                .find(|q| q["rfq_id"] == rfq_id.as_str())
                .and_then(|q| q["id"].as_str().map(str::to_owned))
        });
        if quote_id.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let quote_id = quote_id.expect("the counterparty quotes on the RFQ within 10 s");
    let (status, body) = rita
        .send(
            Method::POST,
            &format!("/api/quotes/{quote_id}/accept"),
            Some(json!({"rfq_id": rfq_id, "side": "yes"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("over_limit"), "{body}");

    // Both refusals are in the audit log, and nothing of hers was sent.
    let hers = audit(&app, "user=rita").await;
    assert_eq!(hers.len(), 2, "{hers:?}");
    assert!(hers.iter().all(|e| e.outcome == "refused"), "{hers:?}");
}
on_both!(rfq_limits, rfq_maker_over_a_limit_cannot_quote_or_accept);

/// Contracts resting on the exchange for the desk's account in `market`, over every
/// subaccount (the exchange's own view, not the desk's).
async fn resting_contracts(app: &TestApp, market: &str) -> i64 {
    let mut total = 0;
    for sub in 0..2u32 {
        let (status, body) = app
            .session
            .send(Method::GET, &format!("/api/orders?subaccount={sub}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        let orders: Vec<OrderView> = serde_json::from_str(&body).unwrap_or_default();
        total += orders
            .iter()
            .filter(|o| o.market_ticker.as_str() == market)
            .map(|o| o.remaining.raw())
            .sum::<i64>();
    }
    total / 100
}

/// The position limit holds on the worst case: resting orders count, every subaccount
/// counts, concurrent orders cannot both pass, amends are checked, and a user trades only
/// the subaccounts their limits allow.
async fn the_position_limit_holds_on_the_worst_case(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    // A funded subaccount 1.
    let (status, body) = app
        .session
        .send(Method::POST, "/api/subaccounts", None)
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .session
        .send(
            Method::POST,
            "/api/subaccounts/transfer",
            Some(json!({"from": 0, "to": 1, "amount": "100.00"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ten = || UserLimits {
        max_position: Some(Count::from_int(10)),
        ..UserLimits::default()
    };
    let trader = app.user("tess", Role::Trader, ten()).await;

    // A resting 10-lot fits; a second one does not.
    let (status, body) = trader
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 1, 10)))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = trader
        .send(Method::POST, "/api/orders", Some(ticket(MARKET, 1, 10)))
        .await;
    assert_eq!(status, 403, "a second resting 10-lot: {body}");
    assert!(body.contains("resting"), "{body}");
    // Nor the same 10-lot in another subaccount: the limit spans them.
    let mut in_one = ticket(MARKET, 1, 10);
    in_one["subaccount"] = json!(1);
    let (status, body) = trader
        .send(Method::POST, "/api/orders", Some(in_one.clone()))
        .await;
    assert_eq!(status, 403, "the same 10-lot in subaccount 1: {body}");
    assert_eq!(resting_contracts(&app, MARKET).await, 10);

    // Eight concurrent 4-lots in another market: at most two (8 contracts) get through.
    let other = "KXDESK-26DEC31-T60";
    let rita = app.user("tara", Role::Trader, ten()).await;
    let sends = (0..8).map(|_| rita.send(Method::POST, "/api/orders", Some(ticket(other, 1, 4))));
    let answers = futures_util::future::join_all(sends).await;
    let placed = answers.iter().filter(|(s, _)| *s == 201).count();
    assert!(
        answers.iter().all(|(s, _)| *s == 201 || *s == 403),
        "{answers:?}"
    );
    assert_eq!(placed, 2, "{answers:?}");
    assert_eq!(resting_contracts(&app, other).await, 8);

    // An amend that would take a 4-lot to 8 (12 in all) is refused; to 6 (10) is fine.
    let (_, body) = rita.send(Method::GET, "/api/orders", None).await;
    let orders: Vec<OrderView> = serde_json::from_str(&body).unwrap();
    let order = orders
        .iter()
        .find(|o| o.market_ticker.as_str() == other)
        .expect("a resting 4-lot");
    let amend = |count: i64| json!({"price": "0.01", "remaining": Count::from_int(count)});
    let path = format!("/api/orders/{}/amend", order.order_id);
    let (status, body) = rita.send(Method::POST, &path, Some(amend(8))).await;
    assert_eq!(status, 403, "amend to 12 in all: {body}");
    let (status, body) = rita.send(Method::POST, &path, Some(amend(6))).await;
    assert_eq!(status, 200, "amend to 10 in all: {body}");

    // A trader limited to the primary may not trade subaccount 1.
    let primary_only = app
        .user(
            "pat",
            Role::Trader,
            UserLimits {
                allowed_subaccounts: vec![0],
                ..UserLimits::default()
            },
        )
        .await;
    let (status, body) = primary_only
        .send(Method::POST, "/api/orders", Some(in_one))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("subaccount 1"), "{body}");
}
on_both!(worst_case, the_position_limit_holds_on_the_worst_case);

/// Each user's workspace is their own, stored on the desk: the default until saved, kept
/// across a new login, refused when the screen could not lay it out, and a viewer may keep
/// one too.
async fn each_user_keeps_a_workspace_of_their_own(db: Db) {
    use shared::workspace::{Pane, PriceFormat, Workspace};
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let viewer = app.user("vera", Role::Viewer, UserLimits::default()).await;
    let (status, text) = viewer.send(Method::GET, "/api/workspace", None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Workspace>(&text).unwrap(),
        Workspace::default()
    );

    let mut mine = Workspace::default();
    let mut wide = mine.layout();
    wide.markets_px = 420;
    wide.toggle(Pane::Side);
    wide.ticket_left = true;
    mine.set_layout(wide);
    mine.save_as("Wide finder");
    mine.prices = PriceFormat::Cents;
    let body = serde_json::to_value(&mine).unwrap();
    let (status, text) = viewer.send(Method::PUT, "/api/workspace", Some(body)).await;
    assert_eq!(status, 200, "{text}");

    // A new session (another machine) reads it back; another user still has the default.
    let again = Session::login(app.port, "vera", PASSWORD).await.unwrap();
    let (_, text) = again.send(Method::GET, "/api/workspace", None).await;
    assert_eq!(serde_json::from_str::<Workspace>(&text).unwrap(), mine);
    let (_, text) = app.session.send(Method::GET, "/api/workspace", None).await;
    assert_eq!(
        serde_json::from_str::<Workspace>(&text).unwrap(),
        Workspace::default()
    );

    let mut bad = mine.clone();
    bad.layouts[0].ticket_px = 40;
    let (status, text) = again
        .send(
            Method::PUT,
            "/api/workspace",
            Some(serde_json::to_value(&bad).unwrap()),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("invalid_workspace") && text.contains("ticket_px"),
        "{text}"
    );
    let (_, text) = again.send(Method::GET, "/api/workspace", None).await;
    assert_eq!(
        serde_json::from_str::<Workspace>(&text).unwrap(),
        mine,
        "a refused workspace changes nothing"
    );
}
on_both!(workspace, each_user_keeps_a_workspace_of_their_own);
