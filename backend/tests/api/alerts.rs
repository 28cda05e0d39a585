//! Alerts evaluated by the desk with no tab open: a price rule fires once per crossing and
//! reaches a webhook on loopback after a failed try; a muted rule only logs; event rules
//! (fill, exchange cancel, halt, RFQ) fire once per event; a webhook that keeps failing is
//! logged with why. Rules, webhooks and logs are each user's own, on SQLite and PostgreSQL.

use std::time::Duration;

use desk_testkit::eventually::eventually;
use desk_testkit::webhook::Receiver;
use reqwest::Method;
use serde_json::{json, Value};
use shared::alerts::{AlertFired, AlertRule, WebhookDelivery};
use shared::auth::{Role, UserLimits};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::OrderTicket;

use crate::helpers::{on_both, spawn_app_on, spawn_app_with, Db, Session, TestApp};

async fn log(session: &Session) -> Vec<AlertFired> {
    let (status, text) = session.send(Method::GET, "/api/alerts/log", None).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// `POST /api/alerts/rules` with `condition`: status and body.
async fn post_rule(session: &Session, condition: &Value) -> (u16, String) {
    session
        .send(
            Method::POST,
            "/api/alerts/rules",
            Some(json!({ "condition": condition })),
        )
        .await
}

async fn add_rule(session: &Session, condition: Value) -> AlertRule {
    let (status, text) = post_rule(session, &condition).await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Waits until the desk holds a ticker of `market` (the rule's baseline).
async fn followed(app: &TestApp, market: &MarketTicker) {
    eventually(
        "the rule's market followed",
        Duration::from_secs(10),
        || async { app.hub.last_ticker(market).map(|_| ()) },
    )
    .await;
}

async fn log_len(session: &Session, n: usize) -> Vec<AlertFired> {
    eventually(
        &format!("{n} alerts in the log"),
        Duration::from_secs(15),
        || async {
            let rows = log(session).await;
            (rows.len() == n).then_some(rows)
        },
    )
    .await
}

async fn a_price_alert_fires_once_per_crossing_with_no_tab_open(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let tara = app.user("tara", Role::Trader, UserLimits::default()).await;
    let hook = Receiver::start(1).await.unwrap();

    let (status, text) = tara
        .send(
            Method::PUT,
            "/api/alerts/settings",
            Some(json!({"webhook_url": "ftp://127.0.0.1/x"})),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("invalid_webhook"), "{text}");
    let (status, text) = tara
        .send(
            Method::PUT,
            "/api/alerts/settings",
            Some(json!({ "webhook_url": hook.url })),
        )
        .await;
    assert_eq!(status, 200, "{text}");

    let market = app.first_market();
    app.lay(&market, "0.50", "0.55", 10);
    let refused = [
        (
            json!({"kind":"price_cross","market_ticker": market,"field":"bid","direction":"above","level":"1.5000"}),
            "invalid_alert",
        ),
        (
            json!({"kind":"price_cross","market_ticker":"KXNOPE-26DEC31-T1","field":"bid","direction":"above","level":"0.6000"}),
            "unknown_market",
        ),
        (
            json!({"kind":"volume_burst","market_ticker": market,"contracts":"0","window_secs":10}),
            "invalid_alert",
        ),
    ];
    for (condition, code) in refused {
        let (status, text) = post_rule(&tara, &condition).await;
        assert_eq!(status, 400, "{condition}: {text}");
        assert!(text.contains(code), "{text}");
    }
    let rule = add_rule(
        &tara,
        json!({"kind":"price_cross","market_ticker": market,"field":"bid","direction":"above","level":"0.6000"}),
    )
    .await;
    followed(&app, &market).await;

    // Crossing up: one alert, delivered on the webhook's second try (the first got a 500).
    app.lay(&market, "0.65", "0.70", 10);
    let rows = log_len(&tara, 1).await;
    assert_eq!(rows[0].rule_id, rule.id);
    assert_eq!(rows[0].detail, "YES bid 0.6500");
    let delivered = eventually("the webhook delivered", Duration::from_secs(10), || async {
        let rows = log(&tara).await;
        matches!(rows[0].webhook, Some(WebhookDelivery::Delivered { .. })).then_some(rows)
    })
    .await;
    assert_eq!(
        delivered[0].webhook,
        Some(WebhookDelivery::Delivered {
            attempt: 2,
            status: 204
        })
    );
    assert_eq!(hook.tries(), 2);
    let body = hook.accepted();
    assert_eq!(body.len(), 1);
    assert_eq!(body[0]["rule_id"], rule.id);
    assert_eq!(body[0]["detail"], "YES bid 0.6500");

    // Still above: nothing. Back below and up again: the second crossing.
    app.lay(&market, "0.70", "0.75", 10);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(log(&tara).await.len(), 1, "no second alert while it holds");
    app.lay(&market, "0.50", "0.55", 10);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.lay(&market, "0.62", "0.70", 10);
    log_len(&tara, 2).await;
    eventually("two on the webhook", Duration::from_secs(10), || async {
        (hook.accepted().len() == 2).then_some(())
    })
    .await;

    // Muted: logged as muted, delivered nowhere.
    let path = format!("/api/alerts/rules/{}", rule.id);
    let (status, text) = tara
        .send(Method::PATCH, &path, Some(json!({"muted": true})))
        .await;
    assert_eq!(status, 204, "{text}");
    app.lay(&market, "0.50", "0.55", 10);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.lay(&market, "0.63", "0.70", 10);
    let rows = log_len(&tara, 3).await;
    assert!(rows[0].muted && rows[0].webhook.is_none(), "{:?}", rows[0]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(hook.accepted().len(), 2);

    // Another user's view: none of it, and not theirs to change.
    let vera = app.user("vera", Role::Viewer, UserLimits::default()).await;
    assert!(log(&vera).await.is_empty());
    let (status, _) = vera
        .send(Method::PATCH, &path, Some(json!({"muted": false})))
        .await;
    assert_eq!(status, 404);
    let (status, _) = vera.send(Method::DELETE, &path, None).await;
    assert_eq!(status, 404);

    let (status, _) = tara.send(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (_, text) = tara.send(Method::GET, "/api/alerts/rules", None).await;
    assert_eq!(
        serde_json::from_str::<Vec<AlertRule>>(&text).unwrap(),
        vec![]
    );
    assert!(
        app.hub.marked_markets().is_empty(),
        "the desk stops following a market no rule names"
    );
}
on_both!(
    price_alert,
    a_price_alert_fires_once_per_crossing_with_no_tab_open
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_exchange_cancels_halts_and_rfqs_fire_once_each_and_a_dead_webhook_is_reported() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let hook = Receiver::start(usize::MAX).await.unwrap();
    let admin = &app.session;
    let (status, text) = admin
        .send(
            Method::PUT,
            "/api/alerts/settings",
            Some(json!({ "webhook_url": hook.url })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let markets = app.sim.market_tickers();
    let (a, b) = (&markets[0], &markets[1]);
    let series = a.series().to_owned();
    for condition in [
        json!({"kind":"fill","market_ticker": a}),
        json!({"kind":"exchange_cancel"}),
        json!({"kind":"halted"}),
        json!({"kind":"rfq","series_ticker": series}),
    ] {
        add_rule(admin, condition).await;
    }

    // A fill in market a (buying YES at the laid ask).
    app.lay(a, "0.40", "0.45", 10);
    let ticket = OrderTicket::limit(
        a.clone(),
        Action::Buy,
        Side::Yes,
        Dollars::from_cents(45),
        Count::from_int(2),
    );
    let (status, text) = app.post("/api/orders", &ticket).await;
    assert_eq!(status, 201, "{text}");
    let rows = log_len(admin, 1).await;
    assert!(
        rows[0].detail.starts_with("filled 2.00 YES"),
        "{:?}",
        rows[0]
    );

    // The exchange cancels a resting order in market b when b settles.
    let resting = OrderTicket::limit(
        b.clone(),
        Action::Buy,
        Side::Yes,
        Dollars::from_cents(1),
        Count::ONE,
    );
    let (status, text) = app.post("/api/orders", &resting).await;
    assert_eq!(status, 201, "{text}");
    app.sim.settle_market(b, Side::No).unwrap();
    let rows = log_len(admin, 2).await;
    assert!(
        rows[0].detail.starts_with("CloseCancel: YES order"),
        "{:?}",
        rows[0]
    );

    // The desk's kill switch.
    let (status, text) = admin
        .send(
            Method::POST,
            "/api/admin/halt",
            Some(json!({"reason": "news"})),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let rows = log_len(admin, 3).await;
    assert_eq!(rows[0].detail, "the desk halted by admin: news");
    let (status, text) = admin
        .send(Method::POST, "/api/admin/rearm", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{text}");

    // An RFQ on the watched series.
    let (status, text) = app
        .post(
            "/api/rfqs",
            &json!({"market_ticker": a, "contracts": "25.00"}),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let rows = log_len(admin, 4).await;
    assert!(
        rows[0].detail.contains("for 25.00 contracts"),
        "{:?}",
        rows[0]
    );

    // Every try of the dead webhook failed, and the log says how.
    let rows = eventually(
        "every webhook given up",
        Duration::from_secs(20),
        || async {
            let rows = log(admin).await;
            rows.iter()
                .all(|r| matches!(r.webhook, Some(WebhookDelivery::Failed { .. })))
                .then_some(rows)
        },
    )
    .await;
    assert_eq!(
        rows[0].webhook,
        Some(WebhookDelivery::Failed {
            attempts: 3,
            error: "HTTP 500 Internal Server Error".to_owned()
        })
    );
    assert_eq!(hook.tries(), 12, "three tries for each of four alerts");

    // The test button says the same at once; a closed port says it could not connect.
    let (status, text) = admin
        .send(Method::POST, "/api/alerts/settings/test", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("HTTP 500"), "{text}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    admin
        .send(
            Method::PUT,
            "/api/alerts/settings",
            Some(json!({ "webhook_url": url })),
        )
        .await;
    let (_, text) = admin
        .send(Method::POST, "/api/alerts/settings/test", Some(json!({})))
        .await;
    assert!(text.contains("could not connect"), "{text}");
    assert!(!text.contains(&url), "the URL stays out of errors: {text}");
}
