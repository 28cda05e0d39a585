//! The RFQ desk across two desks (requester and market maker) trading with each other on
//! one built-in exchange: the maker's backend rules quote and confirm by themselves.

use std::path::PathBuf;
use std::time::Duration;

use desk_backend::{Application, Config};
use desk_testkit::{eventually, TestKey};
use kalshi_sim::{SimConfig, SimExchange};
use serde_json::{json, Value};
use shared::num::{Count, Dollars};
use shared::protocol::UpstreamState;
use shared::rfq::{RuleAction, RuleLogEntry};
use tokio_util::sync::CancellationToken;

use crate::helpers::{user_session, wait_until, Session};
use shared::auth::{Role, UserLimits};

/// Two desks on one exchange. Dropping it stops everything.
pub struct TwoDesks {
    pub sim: SimExchange,
    pub requester: Session,
    pub maker: Session,
    /// The maker desk's database (to add users).
    pub maker_store: desk_backend::team::store::Store,
    stops: Vec<CancellationToken>,
    _keys: tempfile::TempDir,
}

impl Drop for TwoDesks {
    fn drop(&mut self) {
        for s in &self.stops {
            s.cancel();
        }
        self.sim.shutdown();
    }
}

async fn two_desks() -> TwoDesks {
    let dir = tempfile::tempdir().unwrap();
    let (req_key, mm_key) = (TestKey::rsa(), TestKey::rsa());
    let (req_path, mm_path) = (
        req_key.write(dir.path(), "req.pem"),
        mm_key.write(dir.path(), "mm.pem"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = SimExchange::start(
        SimConfig {
            keys: vec![
                ("requester".into(), req_key.sim_public_key()),
                ("maker".into(), mm_key.sim_public_key()),
            ],
            flow_per_sec: 0,
            seed: 3,
            starting_balance: Dollars::from_int(10_000),
            max_clock_skew_ms: 30_000,
            usage_tier: kalshi_sim::UsageTier::BASIC,
            markets: 0,
        },
        listener,
    )
    .await
    .unwrap();
    sim.set_rfq_participants(false);
    let mut ports = Vec::new();
    let mut stops = Vec::new();
    let mut stores = Vec::new();
    for (id, path) in [("requester", &req_path), ("maker", &mm_path)] {
        let mut config = Config::for_tests(PathBuf::from("/nonexistent-dist"));
        config.api_key_id = Some(id.into());
        config.private_key_path = Some(path.clone());
        config.rest_url = Some(format!("http://127.0.0.1:{}/trade-api/v2", sim.port()));
        config.ws_url = Some(format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port()));
        let app = Application::build(config).await.expect("desk builds");
        assert!(app.sim().is_none(), "uses the shared exchange");
        let hub = app.hub();
        let store = app.store();
        let port = app.port();
        stops.push(app.shutdown_token());
        tokio::spawn(app.run_until_stopped());
        wait_until("upstream live", Duration::from_secs(20), || {
            let hub = hub.clone();
            async move { hub.upstream_state() == UpstreamState::Live }
        })
        .await;
        ports.push(user_session(&store, port, "admin", Role::Admin, UserLimits::default()).await);
        stores.push(store);
    }
    let maker = ports.pop().unwrap();
    let requester = ports.pop().unwrap();
    TwoDesks {
        sim,
        requester,
        maker,
        maker_store: stores.pop().unwrap(),
        stops,
        _keys: dir,
    }
}

async fn api(session: &Session, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = session.http();
    let mut req = client.request(
        method.parse().unwrap(),
        format!("http://127.0.0.1:{}/api{path}", session.port),
    );
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn rules(max_notional: &str) -> Value {
    json!({"rules": [{"id": 7, "scope": "KXDESK", "enabled": true,
        "auto_quote": {"spread": "0.0200", "max_contracts": "50.00"},
        "auto_confirm": {"max_position": "100.00", "max_notional": max_notional, "daily_loss_limit": "500.0000"}}]})
}

/// Waits for the maker's automatic quote on `rfq` as the requester sees it.
async fn maker_quote(desks: &TwoDesks, rfq: &str) -> Value {
    eventually("an automatic quote", Duration::from_secs(10), || async {
        let (_, view) = api(&desks.requester, "GET", "/rfq", None).await;
        view["quotes"].as_array().and_then(|qs| {
            qs.iter()
                .find(|q| q["rfq_id"] == rfq && q["status"] == "open")
                .cloned()
        })
    })
    .await
}

async fn log_entry(port: &Session, action: RuleAction) -> RuleLogEntry {
    eventually(
        &format!("{action:?} in the rules log"),
        Duration::from_secs(10),
        || async {
            let (_, log) = api(port, "GET", "/rfq/log", None).await;
            let log: Vec<RuleLogEntry> = serde_json::from_value(log).unwrap();
            log.into_iter().find(|e| e.action == action)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maker_rules_auto_quote_and_auto_confirm_inside_a_3_second_window_and_both_sides_fill() {
    let desks = two_desks().await;
    desks.sim.set_fast_confirm_series("KXDESK");
    let (s, body) = api(&desks.maker, "PUT", "/rfq/rules", Some(rules("100.0000"))).await;
    assert_eq!(s, 200, "{body}");
    let market = "KXDESK-26DEC31-T50";
    let (s, body) = api(
        &desks.requester,
        "POST",
        "/rfqs",
        Some(json!({"market_ticker": market, "contracts": "10.00"})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let rfq = body["id"].as_str().unwrap().to_owned();
    let quote = maker_quote(&desks, &rfq).await;
    let quoted = log_entry(&desks.maker, RuleAction::Quoted).await;
    assert_eq!(quoted.rule_id, 7);
    let yes: Dollars = serde_json::from_value(quote["yes_bid_dollars"].clone()).unwrap();
    let no: Dollars = serde_json::from_value(quote["no_bid_dollars"].clone()).unwrap();
    assert_eq!(
        yes + no,
        Dollars::ONE - Dollars::from_cents(4),
        "mid ± 2¢ each side"
    );

    let accepted_at = std::time::Instant::now();
    let (s, body) = api(
        &desks.requester,
        "POST",
        &format!("/quotes/{}/accept", quote["id"].as_str().unwrap()),
        Some(json!({"rfq_id": rfq, "side": "yes"})),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    let confirmed = log_entry(&desks.maker, RuleAction::Confirmed).await;
    let reaction = confirmed
        .reaction_ms
        .expect("a confirm carries its reaction time");
    println!(
        "quote_accepted → confirm sent: {reaction} ms (accept request → confirm logged: {} ms)",
        accepted_at.elapsed().as_millis()
    );
    assert!(
        reaction < 3_000,
        "confirm sent {reaction} ms after quote_accepted"
    );
    assert_eq!(confirmed.rule_id, 7);
    // The rule's writes are in the maker's audit log as `rule:7@admin` (the rule and its
    // owner), the accept in the requester's as the person who clicked.
    let (s, audit) = api(&desks.maker, "GET", "/audit?user=rule:7@admin", None).await;
    assert_eq!(s, 200, "{audit}");
    let ops: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert!(
        ops.contains(&"CreateQuote") && ops.contains(&"ConfirmRFQQuote"),
        "{ops:?}"
    );
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["outcome"] != "pending"));
    let (_, audit) = api(
        &desks.requester,
        "GET",
        "/audit?operation=AcceptRFQQuote",
        None,
    )
    .await;
    assert_eq!(audit[0]["actor"], "admin", "{audit}");
    // Fills on both sides, at the quote.
    wait_until("both fills", Duration::from_secs(5), || {
        let sim = desks.sim.clone();
        async move { sim.fills_for("requester").len() == 1 && sim.fills_for("maker").len() == 1 }
    })
    .await;
    let f = &desks.sim.fills_for("requester")[0];
    assert_eq!(f.count_fp, Count::from_int(10));
    assert_eq!(f.yes_price_dollars, no.complement());
    let (_, portfolio) = api(&desks.maker, "GET", "/portfolio", None).await;
    let pos = portfolio["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["market_ticker"] == market)
        .cloned()
        .unwrap();
    assert_eq!(pos["position"], "-10.00", "the maker holds NO: {pos}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_confirm_declines_above_the_notional_limit_and_logs_why() {
    let desks = two_desks().await;
    let (s, _) = api(&desks.maker, "PUT", "/rfq/rules", Some(rules("1.0000"))).await;
    assert_eq!(s, 200);
    let (_, body) = api(
        &desks.requester,
        "POST",
        "/rfqs",
        Some(json!({"market_ticker": "KXDESK-26DEC31-T50", "contracts": "10.00"})),
    )
    .await;
    let rfq = body["id"].as_str().unwrap().to_owned();
    let quote = maker_quote(&desks, &rfq).await;
    let (s, _) = api(
        &desks.requester,
        "POST",
        &format!("/quotes/{}/accept", quote["id"].as_str().unwrap()),
        Some(json!({"rfq_id": rfq, "side": "yes"})),
    )
    .await;
    assert_eq!(s, 204);
    let declined = log_entry(&desks.maker, RuleAction::ConfirmDeclined).await;
    assert!(declined.detail.contains("notional"), "{}", declined.detail);
    assert!(desks.sim.fills_for("maker").is_empty());
    // A bad rule set is refused.
    let (s, _) = api(
        &desks.maker,
        "PUT",
        "/rfq/rules",
        Some(json!({"rules": [{"id": 1, "scope": "", "enabled": true}]})),
    )
    .await;
    assert_eq!(s, 400);
}

/// Reads `b` until the status update of `quote`; returns (status, reason).
async fn status_update(
    b: &mut crate::helpers::Browser,
    quote: &str,
) -> (shared::api::schema::QuoteStatus, Option<String>) {
    use shared::protocol::ServerMsg;
    use shared::rfq::RfqEvent;
    let msg = b
        .until(
            "a quote_status update",
            |m| matches!(m, ServerMsg::Rfq(RfqEvent::QuoteStatus(u)) if u.quote_id == quote),
        )
        .await;
    match msg {
        ServerMsg::Rfq(RfqEvent::QuoteStatus(u)) => (u.status, u.cancellation_reason),
        _ => unreachable!("matched above"),
    }
}

/// An RFQ on `market` (one open RFQ per market and user, as on Kalshi) and a quote on it.
async fn rfq_and_quote(desks: &TwoDesks, market: &str) -> (String, String) {
    let (s, body) = api(
        &desks.requester,
        "POST",
        "/rfqs",
        Some(json!({"market_ticker": market, "contracts": "10.00"})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let rfq = body["id"].as_str().unwrap().to_owned();
    let (s, body) = api(
        &desks.maker,
        "POST",
        "/quotes",
        Some(json!({"rfq_id": rfq, "yes_bid": "0.4000", "no_bid": "0.5000"})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    (rfq, body["id"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_deleted_quotes_reach_both_desks_sessions_as_status_updates() {
    use shared::api::schema::QuoteStatus;
    let desks = two_desks().await;
    desks
        .sim
        .set_confirm_windows(Duration::from_millis(500), Duration::from_millis(500));
    let mut requester = desks.requester.browser().await;
    let mut maker = desks.maker.browser().await;

    // Accepted and never confirmed: Kalshi's channel says nothing, the desks' quote watch
    // reads the cancellation and tells every session why.
    let (rfq, quote) = rfq_and_quote(&desks, "KXDESK-26DEC31-T50").await;
    let (s, body) = api(
        &desks.requester,
        "POST",
        &format!("/quotes/{quote}/accept"),
        Some(json!({"rfq_id": rfq, "side": "yes"})),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    for b in [&mut requester, &mut maker] {
        let (status, reason) = status_update(b, &quote).await;
        assert_eq!(status, QuoteStatus::Cancelled);
        assert_eq!(reason.as_deref(), Some("confirmation window expired"));
    }
    // A confirm now is refused in plain words.
    let (s, body) = api(
        &desks.maker,
        "POST",
        &format!("/quotes/{quote}/confirm"),
        Some(json!({"rfq_id": rfq})),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("confirmation window expired"),
        "{body}"
    );

    // Deleted by the maker: the requester's session hears it too.
    let (_, quote) = rfq_and_quote(&desks, "KXDESK-26DEC31-T60").await;
    let (s, body) = api(&desks.maker, "DELETE", &format!("/quotes/{quote}"), None).await;
    assert_eq!(s, 204, "{body}");
    let (status, reason) = status_update(&mut requester, &quote).await;
    assert_eq!(status, QuoteStatus::Cancelled);
    assert_eq!(reason.as_deref(), Some("deleted"));
}

/// Rules act for their owner: the owner's limits hold as well as the rule's, a rule is
/// changed only by its owner or an admin, every change is audited with the whole set, and
/// a disabled owner stops the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_act_within_their_owners_limits_and_only_owners_change_them() {
    let desks = two_desks().await;
    let port = desks.maker.port;
    let small = UserLimits {
        max_position: Some(Count::from_int(5)),
        ..UserLimits::default()
    };
    let mia = user_session(&desks.maker_store, port, "mia", Role::RfqMaker, small).await;
    let max = user_session(
        &desks.maker_store,
        port,
        "max",
        Role::RfqMaker,
        UserLimits::default(),
    )
    .await;
    let (s, saved) = api(&mia, "PUT", "/rfq/rules", Some(rules("100.0000"))).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["rules"][0]["owner"], "mia");
    // Someone else's rule: neither changed nor removed by another rfq-maker.
    let mut changed = saved.clone();
    changed["rules"][0]["scope"] = json!("*");
    let (s, body) = api(&max, "PUT", "/rfq/rules", Some(changed)).await;
    assert_eq!(s, 403, "{body}");
    let (s, _) = api(&max, "PUT", "/rfq/rules", Some(json!({"rules": []}))).await;
    assert_eq!(s, 403);
    // An RFQ for 10 contracts: the rule's cap is 50, mia's position limit is 5.
    let (_, body) = api(
        &desks.requester,
        "POST",
        "/rfqs",
        Some(json!({"market_ticker": "KXDESK-26DEC31-T50", "contracts": "10.00"})),
    )
    .await;
    assert!(body["id"].is_string(), "{body}");
    let skipped = log_entry(&desks.maker, RuleAction::QuoteSkipped).await;
    assert!(
        skipped.detail.contains("mia") && skipped.detail.contains("limit"),
        "{}",
        skipped.detail
    );
    // The audit names the rule and its owner; the change is recorded with the whole set.
    let (_, audit) = api(&desks.maker, "GET", "/audit?operation=SetRfqRules", None).await;
    let audit: Vec<shared::auth::AuditEntry> = serde_json::from_value(audit).unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].actor, "mia");
    assert!(
        audit[0].body.contains("\"scope\":\"KXDESK\""),
        "{}",
        audit[0].body
    );
    let (_, refused) = api(&desks.maker, "GET", "/audit?user=mia", None).await;
    let refused: Vec<shared::auth::AuditEntry> = serde_json::from_value(refused).unwrap();
    assert!(
        refused
            .iter()
            .any(|r| r.outcome == "refused" && r.operation.starts_with("rule 7")),
        "{refused:?}"
    );
    // Disabling mia stops her rule.
    let mia_id = mia.session.user.as_ref().unwrap().id;
    let (s, _) = api(
        &desks.maker,
        "PATCH",
        &format!("/users/{mia_id}"),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, body) = api(
        &desks.requester,
        "POST",
        "/rfqs",
        Some(json!({"market_ticker": "KXDESK-26DEC31-T60", "contracts": "1.00"})),
    )
    .await;
    assert!(body["id"].is_string(), "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, log) = api(&desks.maker, "GET", "/rfq/log", None).await;
        let log: Vec<RuleLogEntry> = serde_json::from_value(log).unwrap();
        if log.iter().any(|e| e.detail.contains("disabled")) {
            assert!(!log.iter().any(|e| e.action == RuleAction::Quoted));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
