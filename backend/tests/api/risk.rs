//! Issue-level risk controls over HTTP, on SQLite and PostgreSQL: the kill switch (the
//! desk's and a user's: sweep, refusals, every session told, stored across a restart),
//! own-orders-only changes, and the audit log's hash chain (targets, outcomes as second
//! records, `kalshi-desk audit verify`).

use std::time::Duration;

use desk_backend::{Application, Config};
use reqwest::Method;
use secrecy::ExposeSecret as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use shared::auth::{AuditEntry, DayPnl, Halt, Role, UserLimits};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{FillsPage, OrderTicket, OrderView, ServerMsg};

use crate::helpers::{dist_dir, on_both, spawn_app_on, wait_until, Db, Session, TestApp};

const MARKET: &str = "KXDESK-26DEC31-T50";

fn ticket(price_cents: i64, count: i64, subaccount: Option<u32>) -> Value {
    serde_json::to_value(OrderTicket {
        post_only: true,
        subaccount,
        ..OrderTicket::limit(
            MarketTicker(MARKET.into()),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(price_cents),
            Count::from_int(count),
        )
    })
    .unwrap()
}

/// Orders resting in the first `subaccounts` subaccounts, as the exchange has them.
async fn resting_in(app: &TestApp, subaccounts: u32) -> Vec<OrderView> {
    let mut out = Vec::new();
    for sub in 0..subaccounts {
        let (status, body) = app
            .session
            .send(Method::GET, &format!("/api/orders?subaccount={sub}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        out.extend(serde_json::from_str::<Vec<OrderView>>(&body).unwrap());
    }
    out
}

/// Orders resting in the primary.
async fn resting(app: &TestApp) -> Vec<OrderView> {
    resting_in(app, 1).await
}

async fn place(who: &Session, t: Value) -> (u16, Value) {
    let (status, body) = who.send(Method::POST, "/api/orders", Some(t)).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn audit(app: &TestApp, query: &str) -> Vec<AuditEntry> {
    let (status, body) = app
        .session
        .send(Method::GET, &format!("/api/audit?{query}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A desk without flow whose database outlives it (SQLite in a file, kept with the
/// returned directory; or the PostgreSQL schema), and the database's URL.
async fn on_a_database_file(db: Db) -> (TestApp, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = format!("sqlite://{}", dir.path().join("desk.db").display());
    let mut db_url = String::new();
    let app = spawn_app_on(db, |c| {
        c.sim_flow = 0;
        if db == Db::Sqlite {
            c.team.db_url = secrecy::SecretString::from(file.clone());
        }
        db_url = c.team.db_url.expose_secret().to_owned();
    })
    .await;
    (app, db_url, dir)
}

/// A funded subaccount 1.
async fn subaccount_one(app: &TestApp) {
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
}

/// One desk halt: every resting order in every subaccount cancelled, new orders refused,
/// every session told within a second, audited; it holds across a restart on the same
/// database (as do the RFQ rules), and re-arming is a second audited action.
async fn the_desk_halt_sweeps_refuses_and_survives_a_restart(db: Db) {
    let (app, db_url, _dir) = on_a_database_file(db).await;
    subaccount_one(&app).await;
    let tess = app.user("tess", Role::Trader, UserLimits::default()).await;
    assert_eq!(place(&tess, ticket(1, 3, None)).await.0, 201);
    assert_eq!(place(&tess, ticket(2, 4, Some(1))).await.0, 201);
    assert_eq!(place(&app.session, ticket(3, 5, None)).await.0, 201);
    assert_eq!(resting_in(&app, 2).await.len(), 3);
    let mut screen = tess.browser().await;

    let (status, body) = app
        .session
        .send(
            Method::POST,
            "/api/admin/halt",
            Some(json!({"reason": "fat finger upstream"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let halted = tokio::time::Instant::now();
    let frame = screen
        .until(
            "a halts frame",
            |m| matches!(m, ServerMsg::Halts { halts } if halts.iter().any(|h| h.user.is_none())),
        )
        .await;
    assert!(
        halted.elapsed() < Duration::from_secs(1),
        "the screen heard of the halt {:?} after the answer: {frame:?}",
        halted.elapsed()
    );
    assert!(
        resting_in(&app, 2).await.is_empty(),
        "the sweep left orders"
    );
    let (status, body) = place(&tess, ticket(1, 1, None)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "halted");
    assert!(body["message"].as_str().unwrap().contains("fat finger"));
    // An admin is stopped too; a trader who is not refused is nobody.
    assert_eq!(place(&app.session, ticket(1, 1, None)).await.0, 403);
    let record = audit(&app, "operation=HaltDesk").await;
    assert_eq!(record.len(), 1, "{record:?}");
    assert_eq!(record[0].actor, "admin");
    assert_eq!(record[0].outcome, "ok");
    assert_eq!(record[0].path.as_deref(), Some("/api/admin/halt"));

    // The RFQ rules are stored with it.
    let rules = json!({"rules": [{
        "id": 4, "scope": "KXDESK", "enabled": true,
        "auto_quote": {"spread": "0.0300", "max_contracts": "5.00"}
    }]});
    let (status, body) = app
        .session
        .send(Method::PUT, "/api/rfq/rules", Some(rules))
        .await;
    assert_eq!(status, 200, "{body}");
    let saved: Value = serde_json::from_str(&body).unwrap();

    // A restart on the same database: still halted, the same rules.
    app.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut config = Config::for_tests(dist_dir());
    config.sim_flow = 0;
    config.team.db_url = secrecy::SecretString::from(db_url);
    let again = Application::build(config).await.expect("desk restarts");
    let port = again.port();
    let hub = again.hub();
    let stop = again.shutdown_token();
    tokio::spawn(again.run_until_stopped());
    assert_eq!(hub.halts().len(), 1, "the halt is read at start");
    wait_until("upstream live", Duration::from_secs(20), || {
        let hub = hub.clone();
        async move { hub.upstream_state() == shared::protocol::UpstreamState::Live }
    })
    .await;
    let tess = Session::login(port, "tess", crate::helpers::PASSWORD)
        .await
        .unwrap();
    let admin = Session::login(port, "admin", crate::helpers::PASSWORD)
        .await
        .unwrap();
    let (status, _) = place(&tess, ticket(1, 1, None)).await;
    assert_eq!(status, 403, "halted after the restart");
    let (status, body) = admin.send(Method::GET, "/api/rfq/rules", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        saved,
        "the rules after the restart"
    );
    let (status, body) = tess.send(Method::GET, "/api/halts", None).await;
    assert_eq!(status, 200);
    let halts: Vec<Halt> = serde_json::from_str(&body).unwrap();
    assert_eq!(halts[0].reason, "fat finger upstream");
    let (status, body) = tess
        .send(Method::POST, "/api/admin/rearm", Some(json!({})))
        .await;
    assert_eq!(status, 403, "only an admin re-arms: {body}");
    let (status, body) = admin
        .send(Method::POST, "/api/admin/rearm", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(place(&tess, ticket(1, 1, None)).await.0, 201);
    stop.cancel();
}
on_both!(
    desk_halt,
    the_desk_halt_sweeps_refuses_and_survives_a_restart
);

/// A user's halt cancels that user's resting orders only and stops only them.
async fn a_user_halt_stops_one_user(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let tess = app.user("tess", Role::Trader, UserLimits::default()).await;
    let tara = app.user("tara", Role::Trader, UserLimits::default()).await;
    assert_eq!(place(&tess, ticket(1, 3, None)).await.0, 201);
    assert_eq!(place(&tara, ticket(2, 4, None)).await.0, 201);
    let (status, body) = app
        .session
        .send(
            Method::POST,
            "/api/admin/halt",
            Some(json!({"user": "tess", "reason": "review"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let left = resting(&app).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].owner.as_deref(), Some("tara"));
    assert_eq!(place(&tess, ticket(1, 1, None)).await.0, 403);
    assert_eq!(place(&tara, ticket(1, 1, None)).await.0, 201);
    let (status, _) = app
        .session
        .send(
            Method::POST,
            "/api/admin/halt",
            Some(json!({"user": "nobody", "reason": "x"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .session
        .send(
            Method::POST,
            "/api/admin/rearm",
            Some(json!({"user": "tess"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(place(&tess, ticket(1, 1, None)).await.0, 201);
    let records = audit(&app, "operation=HaltUser").await;
    assert_eq!(records.len(), 2, "the 404 is recorded with its outcome too");
    assert!(records
        .iter()
        .any(|r| r.outcome == "error" && r.status == Some(404)));
}
on_both!(user_halt, a_user_halt_stops_one_user);

/// A trader amends, decreases and cancels only their own orders; an admin may touch
/// anyone's; a trader's cancel-all leaves others' orders resting.
async fn traders_change_only_their_own_orders(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let tess = app.user("tess", Role::Trader, UserLimits::default()).await;
    let tara = app.user("tara", Role::Trader, UserLimits::default()).await;
    let (_, placed) = place(&tess, ticket(1, 3, None)).await;
    let id = placed["order_id"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        (Method::DELETE, format!("/api/orders/{id}"), None),
        (
            Method::POST,
            format!("/api/orders/{id}/amend"),
            Some(json!({"price": "0.02", "remaining": "3"})),
        ),
        (
            Method::POST,
            format!("/api/orders/{id}/decrease"),
            Some(json!({"reduce_by": "1"})),
        ),
        (
            Method::POST,
            "/api/orders/cancel".to_owned(),
            Some(json!({"order_ids": [id]})),
        ),
    ] {
        let (status, answer) = tara.send(method.clone(), &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert!(answer.contains("not_your_order"), "{answer}");
    }
    let (status, body) = tara.send(Method::DELETE, "/api/orders", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        resting(&app).await.len(),
        1,
        "tara's cancel-all left tess's order"
    );
    let (status, body) = tess
        .send(
            Method::POST,
            &format!("/api/orders/{id}/decrease"),
            Some(json!({"reduce_by": "1"})),
        )
        .await;
    assert_eq!(status, 200, "her own: {body}");
    let (status, body) = app
        .session
        .send(Method::DELETE, &format!("/api/orders/{id}"), None)
        .await;
    assert_eq!(status, 200, "an admin may: {body}");
    assert!(resting(&app).await.is_empty());
    let refusals = audit(&app, "user=tara").await;
    assert_eq!(refusals.len(), 4, "{refusals:?}");
}
on_both!(own_orders, traders_change_only_their_own_orders);

/// Every write to Kalshi is recorded with its method, exact path and query and body hash,
/// its outcome as a second chained record; admin actions with their real outcome; the
/// chain verifies, through the store and through `kalshi-desk audit verify`.
async fn the_audit_log_names_targets_and_proves_itself(db: Db) {
    let (app, db_url, _dir) = on_a_database_file(db).await;
    subaccount_one(&app).await;
    let (_, placed) = place(&app.session, ticket(1, 2, Some(1))).await;
    let id = placed["order_id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .session
        .send(
            Method::DELETE,
            &format!("/api/orders/{id}?subaccount=1"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .session
        .send(
            Method::POST,
            "/api/users",
            Some(json!({"username": "tess", "password": "short", "role": "trader"})),
        )
        .await;
    assert_eq!(status, 400, "a refused admin action");

    let create = audit(&app, "operation=CreateOrderV2").await;
    assert_eq!(create.len(), 1);
    let c = &create[0];
    assert_eq!(c.method.as_deref(), Some("POST"));
    assert!(
        c.path.as_deref().unwrap().starts_with("/trade-api/v2/"),
        "{c:?}"
    );
    let hash = sha2::Sha256::digest(c.body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(c.body_sha256.as_deref(), Some(hash.as_str()));
    assert_eq!(c.outcome, "ok");
    let cancel = audit(&app, "operation=CancelOrderV2").await;
    assert_eq!(
        cancel[0].path.as_deref(),
        Some(format!("/trade-api/v2/portfolio/events/orders/{id}?subaccount=1").as_str()),
        "the exact path and query sent"
    );
    let users = audit(&app, "operation=CreateUser").await;
    assert_eq!(users[0].outcome, "error", "{users:?}");
    assert_eq!(users[0].status, Some(400));
    assert!(!users[0].body.contains("short"), "no password in the log");

    let verdict = app.store.audit_verify().await.unwrap();
    assert_eq!(verdict.first_break, None);
    assert!(verdict.records >= 6, "{verdict:?}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-desk"))
        .args(["audit", "verify"])
        .env("DESK_DB_URL", &db_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("audit chain intact"), "{text}");
}
on_both!(audit_chain, the_audit_log_names_targets_and_proves_itself);

/// A ticket of `who` taking `count` contracts at the best price on `side` of `market`:
/// buying YES at the YES ask (1 − best NO bid), or selling YES at the best YES bid.
fn take(app: &TestApp, market: &str, action: Action, count: i64) -> Value {
    let book = app.sim.book(&market.into()).unwrap();
    let price = match action {
        Action::Buy => book.no.last().unwrap().0.complement(),
        Action::Sell => book.yes.last().unwrap().0,
    };
    serde_json::to_value(OrderTicket::limit(
        market.into(),
        action,
        Side::Yes,
        price,
        Count::from_int(count),
    ))
    .unwrap()
}

/// A resting order for `count` YES that cannot fill: a sell at 99¢ or a buy at 1¢.
fn resting_order(market: &str, action: Action, count: i64) -> Value {
    let cents = if action == Action::Sell { 99 } else { 1 };
    serde_json::to_value(OrderTicket {
        post_only: true,
        ..OrderTicket::limit(
            market.into(),
            action,
            Side::Yes,
            Dollars::from_cents(cents),
            Count::from_int(count),
        )
    })
    .unwrap()
}

fn rest_sell(market: &str, count: i64) -> Value {
    resting_order(market, Action::Sell, count)
}

fn rest_buy(market: &str, count: i64) -> Value {
    resting_order(market, Action::Buy, count)
}

async fn day_pnl(who: &Session) -> DayPnl {
    let (status, body) = who.send(Method::GET, "/api/pnl/today", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The daily loss limits, the user's and the desk's: the day's P&L (fills today at the
/// mid, settlements at their value, less fees) is exact; at the limit the user (or, for the
/// desk's limit, everyone) may only reduce a position, never add or cross zero; the desk's
/// limit is an audited admin setting read by every check.
async fn at_the_daily_loss_limit_only_reductions_pass(db: Db) {
    const LIVE: &str = "KXDESK-26DEC31-T60";
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let tess = app
        .user(
            "tess",
            Role::Trader,
            UserLimits {
                max_daily_loss: Some(Dollars::from_int(1)),
                ..UserLimits::default()
            },
        )
        .await;
    // Tess holds 2 YES in a live market, and 10 YES in a market that then settles NO.
    assert_eq!(place(&tess, take(&app, LIVE, Action::Buy, 2)).await.0, 201);
    let (status, order) = place(&tess, take(&app, MARKET, Action::Buy, 10)).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(day_pnl(&tess).await.user_limit, Some(Dollars::from_int(1)));
    app.sim.settle_market(&MARKET.into(), Side::No).unwrap();

    // Her P&L: the settled 10 at $0, the live 2 at the mid, less every fee.
    let (status, body) = tess.send(Method::GET, "/api/fills", None).await;
    assert_eq!(status, 200, "{body}");
    let fills: FillsPage = serde_json::from_str(&body).unwrap();
    let book = app.sim.book(&LIVE.into()).unwrap();
    let mid = Dollars::from_raw(
        (book.yes.last().unwrap().0.raw() + book.no.last().unwrap().0.complement().raw()) / 2,
    );
    let mut want = Dollars::ZERO;
    for f in &fills.fills {
        let mark = if f.market_ticker.as_ref().map(MarketTicker::as_str) == Some(LIVE) {
            mid
        } else {
            Dollars::ZERO
        };
        want = want + (mark - f.yes_price.unwrap()).times(f.count) - f.fee.unwrap_or_default();
    }
    let pnl = day_pnl(&tess).await;
    assert_eq!(pnl.user, want, "{fills:?}");
    assert!(pnl.user < Dollars::from_int(-1), "{pnl:?}");
    assert!(pnl.desk.is_none(), "a trader does not see the desk's P&L");

    // At her limit: adding is refused, in any market; reducing passes, crossing zero not.
    let (status, body) = place(&tess, take(&app, LIVE, Action::Buy, 1)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("over_limit")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("daily loss limit"),
        "{body}"
    );
    let (status, body) = place(&tess, rest_buy("KXDESK-26DEC31-T70", 1)).await;
    assert_eq!(status, 403, "another market: {body}");
    let (status, body) = place(&tess, rest_sell(LIVE, 3)).await;
    assert_eq!(status, 403, "selling 3 of 2 crosses zero: {body}");
    assert_eq!(place(&tess, rest_sell(LIVE, 1)).await.0, 201, "a reduction");
    let (status, body) = place(&tess, rest_sell(LIVE, 2)).await;
    assert_eq!(
        status, 403,
        "with the resting sell, 2 more cross zero: {body}"
    );
    assert_eq!(
        place(&tess, rest_sell(LIVE, 1)).await.0,
        201,
        "down to flat"
    );

    // The desk's limit: anyone (the admin too) may only reduce once the account is at it.
    assert_eq!(place(&app.session, rest_buy(LIVE, 1)).await.0, 201);
    let una = app.user("una", Role::Trader, UserLimits::default()).await;
    let (status, body) = una
        .send(
            Method::PUT,
            "/api/admin/desk-limits",
            Some(json!({"max_daily_loss": "1.00"})),
        )
        .await;
    assert_eq!(status, 403, "admins only: {body}");
    let (status, body) = app
        .session
        .send(
            Method::PUT,
            "/api/admin/desk-limits",
            Some(json!({"max_daily_loss": "-1.00"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .session
        .send(
            Method::PUT,
            "/api/admin/desk-limits",
            Some(json!({"max_daily_loss": "1.00"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let desk = day_pnl(&app.session).await;
    assert_eq!(desk.desk_limit, Some(Dollars::from_int(1)));
    assert!(desk.desk.unwrap() <= Dollars::from_int(-1), "{desk:?}");
    for who in [&una, &app.session] {
        let (status, body) = place(who, rest_buy(LIVE, 1)).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("the desk's P&L"),
            "{body}"
        );
    }
    let entries = audit(&app, "operation=SetDeskLimits").await;
    assert_eq!(
        entries.iter().filter(|e| e.status == Some(200)).count(),
        1,
        "{entries:?}"
    );
    // Lifted, the desk trades again.
    let (status, body) = app
        .session
        .send(Method::PUT, "/api/admin/desk-limits", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(place(&una, rest_buy(LIVE, 1)).await.0, 201);
    app.shutdown.cancel();
}

on_both!(loss_limits, at_the_daily_loss_limit_only_reductions_pass);
