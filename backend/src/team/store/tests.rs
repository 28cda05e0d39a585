//! Every store test runs twice: on SQLite (a temp file) and on PostgreSQL (a fresh schema).

use super::*;
use desk_testkit::services::PgSchema;
use shared::auth::AuditQuery;

/// Runs `body` on a fresh SQLite file store and on a fresh PostgreSQL schema.
async fn on_both<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let sqlite = Store::connect(&url).await.expect("sqlite store");
    body(sqlite.clone()).await;
    sqlite.close().await;
    let schema = PgSchema::create().await;
    let pg = Store::connect(&schema.url).await.expect("postgres store");
    body(pg.clone()).await;
    pg.close().await;
}

#[tokio::test]
async fn users_round_trip_with_limits_and_unique_names() {
    on_both(|store| async move {
        assert_eq!(store.user_count().await.unwrap(), 0, "{}", store.kind());
        let limits = UserLimits {
            max_order_notional: Some(Dollars::from_str("12.34").unwrap()),
            max_position: Some(Count::from_str("50").unwrap()),
            allowed_series: vec!["KXDESK".into(), "KXDESKFED".into()],
            allowed_subaccounts: vec![0, 2],
            max_daily_loss: Some(Dollars::from_str("250.00").unwrap()),
        };
        let alice = store
            .create_user("alice", "hash-a", Role::Trader, &limits)
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_user("alice", "x", Role::Viewer, &UserLimits::default())
                .await,
            Err(StoreError::Conflict(_))
        ));
        let (read, hash) = store.user_with_hash("alice").await.unwrap().unwrap();
        assert_eq!(read, alice, "{}", store.kind());
        assert_eq!(hash, "hash-a");
        assert_eq!(read.limits, limits);
        let bob = store
            .create_user("bob", "hash-b", Role::Viewer, &UserLimits::default())
            .await
            .unwrap();
        assert_eq!(
            store.users().await.unwrap(),
            vec![alice.clone(), bob.clone()]
        );
        let patched = store
            .update_user(
                bob.id,
                &UserPatch {
                    role: Some(Role::RfqMaker),
                    disabled: Some(true),
                    limits: Some(limits.clone()),
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(patched.role, Role::RfqMaker);
        assert!(patched.disabled);
        assert_eq!(patched.limits, limits);
        assert!(store
            .update_user(9999, &UserPatch::default())
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.user_count().await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn sessions_follow_their_user_and_end_when_disabled() {
    on_both(|store| async move {
        let u = store
            .create_user("carol", "h", Role::Admin, &UserLimits::default())
            .await
            .unwrap();
        store
            .create_session("th1", u.id, "csrf1", 1000)
            .await
            .unwrap();
        let s = store.session("th1").await.unwrap().unwrap();
        assert_eq!(
            (s.user.username.as_str(), s.csrf_token.as_str()),
            ("carol", "csrf1")
        );
        assert_eq!((s.created_ms, s.last_seen_ms), (1000, 1000));
        store.touch_session("th1", 2000).await.unwrap();
        assert_eq!(
            store.session("th1").await.unwrap().unwrap().last_seen_ms,
            2000
        );
        assert!(store.session("nope").await.unwrap().is_none());
        store
            .update_user(
                u.id,
                &UserPatch {
                    disabled: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            store.session("th1").await.unwrap().is_none(),
            "{}",
            store.kind()
        );
        store.create_session("th2", u.id, "c", 1).await.unwrap();
        store.delete_session("th2").await.unwrap();
        assert!(store.session("th2").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn audit_records_filter_and_owners_map() {
    on_both(|store| async move {
        let a = store
            .audit_begin(
                "alice",
                "CreateOrderV2",
                &AuditTarget {
                    method: "POST",
                    path: "/trade-api/v2/portfolio/events/orders",
                    body: "{\"x\":1}",
                    client_order_id: Some("coid-1"),
                },
            )
            .await
            .unwrap();
        store
            .audit_outcome(a, "alice", "CreateOrderV2", "ok", Some(201), None)
            .await
            .unwrap();
        let b = store
            .audit_begin("rule:mm", "CreateQuote", &AuditTarget::default())
            .await
            .unwrap();
        store
            .audit_outcome(b, "rule:mm", "CreateQuote", "error", Some(400), Some("bad"))
            .await
            .unwrap();
        store
            .audit_refused("bob", "POST /api/orders", 403, "viewer")
            .await
            .unwrap();
        let all = store.audit(&AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 3, "{}", store.kind());
        assert_eq!(all[0].outcome, "refused");
        assert_eq!(all[2].client_order_id.as_deref(), Some("coid-1"));
        assert_eq!(all[2].status, Some(201));
        assert_eq!(all[2].method.as_deref(), Some("POST"));
        assert_eq!(
            all[2].path.as_deref(),
            Some("/trade-api/v2/portfolio/events/orders")
        );
        assert_eq!(
            all[2].body_sha256.as_deref(),
            Some("5041bf1f713df204784353e82f6a4a535931cb64f1f4b4a5aeaffcb720918b22")
        );
        let alice = store
            .audit(&AuditQuery {
                user: Some("alice".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(alice.len(), 1);
        let ops = store
            .audit(&AuditQuery {
                operation: Some("CreateQuote".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ops[0].error.as_deref(), Some("bad"));
        let future = store
            .audit(&AuditQuery {
                from_ms: Some(now_ms() + 60_000),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(future.is_empty());
        let window = store
            .audit(&AuditQuery {
                from_ms: Some(0),
                to_ms: Some(now_ms() + 1),
                limit: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(window.len(), 2);

        store
            .record_order_owner("coid-1", "alice", "KXA-1")
            .await
            .unwrap();
        store
            .record_order_owner("coid-2", "bob", "KXA-1")
            .await
            .unwrap();
        store.set_order_id("coid-2", "ord-2").await.unwrap();
        let mut owners = store
            .order_owners(&["coid-1".into()], &["ord-2".into()])
            .await
            .unwrap();
        owners.sort();
        assert_eq!(
            owners,
            vec![
                ("coid-1".into(), None, "alice".into()),
                ("coid-2".into(), Some("ord-2".into()), "bob".into())
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data_and_bad_urls_are_refused() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store
        .create_user("x", "h", Role::Viewer, &UserLimits::default())
        .await
        .unwrap();
    assert_eq!(store.user_count().await.unwrap(), 1);
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::BadUrl)
    ));
}

#[tokio::test]
async fn migrations_are_idempotent_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("again.db").display());
    Store::connect(&url).await.unwrap().close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.user_count().await.unwrap(), 0);
    let schema = PgSchema::create().await;
    Store::connect(&schema.url).await.unwrap().close().await;
    let again = Store::connect(&schema.url).await.unwrap();
    assert_eq!(again.user_count().await.unwrap(), 0);
}

/// Writes a few records: requests with outcomes and a refusal (7 chained records).
async fn some_records(store: &Store) {
    for n in 0..3 {
        let body = format!("{{\"n\":{n}}}");
        let id = store
            .audit_begin(
                "alice",
                "CreateOrderV2",
                &AuditTarget {
                    method: "POST",
                    path: "/trade-api/v2/portfolio/events/orders",
                    body: &body,
                    client_order_id: None,
                },
            )
            .await
            .unwrap();
        store
            .audit_outcome(id, "alice", "CreateOrderV2", "ok", Some(201), None)
            .await
            .unwrap();
    }
    store
        .audit_refused("bob", "POST /api/orders", 403, "over_limit")
        .await
        .unwrap();
}

/// The database's own guard against edits, lifted the way someone with the database's
/// password could.
async fn drop_guards(store: &Store) {
    match store {
        Store::Sqlite(pool, _) => {
            for t in ["audit_no_update", "audit_no_delete"] {
                sqlx::query(&format!("DROP TRIGGER {t}"))
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
        Store::Postgres(pool) => {
            sqlx::query("DROP TRIGGER audit_append_only ON audit")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

async fn exec(store: &Store, sql: &str) -> std::result::Result<(), sqlx::Error> {
    on_pool!(store, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
}

#[tokio::test]
async fn the_audit_chain_verifies_and_the_database_refuses_edits() {
    on_both(|store| async move {
        some_records(&store).await;
        let verdict = store.audit_verify().await.unwrap();
        assert_eq!(verdict.records, 7, "{}", store.kind());
        assert_eq!(verdict.first_break, None);
        let update = exec(&store, "UPDATE audit SET actor = 'mallory'").await;
        assert!(update.is_err(), "{}: an update went through", store.kind());
        let delete = exec(&store, "DELETE FROM audit").await;
        assert!(delete.is_err(), "{}: a delete went through", store.kind());
        assert_eq!(store.audit_verify().await.unwrap().first_break, None);
    })
    .await;
}

#[tokio::test]
async fn audit_verify_names_the_first_edited_or_removed_record() {
    on_both(|store| async move {
        some_records(&store).await;
        drop_guards(&store).await;
        let ids: Vec<i64> = on_pool!(&store, pool => {
            sqlx::query("SELECT id FROM audit ORDER BY id").fetch_all(pool).await.unwrap()
                .iter().map(|r| r.try_get::<i64, _>("id").unwrap()).collect()
        });
        // A changed body.
        exec(
            &store,
            &format!(
                "UPDATE audit SET body = '{{\"n\":9}}' WHERE id = {}",
                ids[2]
            ),
        )
        .await
        .unwrap();
        let verdict = store.audit_verify().await.unwrap();
        let broken = verdict.first_break.expect("a break");
        assert_eq!(broken.id, ids[2], "{}", store.kind());
        assert!(broken.reason.contains("body"), "{}", broken.reason);
        exec(
            &store,
            &format!(
                "UPDATE audit SET body = '{{\"n\":1}}' WHERE id = {}",
                ids[2]
            ),
        )
        .await
        .unwrap();
        assert_eq!(store.audit_verify().await.unwrap().first_break, None);
        // A changed outcome.
        exec(
            &store,
            &format!("UPDATE audit SET status = 500 WHERE id = {}", ids[3]),
        )
        .await
        .unwrap();
        assert_eq!(
            store.audit_verify().await.unwrap().first_break.unwrap().id,
            ids[3]
        );
        exec(
            &store,
            &format!("UPDATE audit SET status = 201 WHERE id = {}", ids[3]),
        )
        .await
        .unwrap();
        // A record removed from the middle: the next one no longer fits.
        exec(&store, &format!("DELETE FROM audit WHERE id = {}", ids[4]))
            .await
            .unwrap();
        let broken = store.audit_verify().await.unwrap().first_break.unwrap();
        assert_eq!(broken.id, ids[5], "{}", store.kind());
        assert!(broken.reason.contains("prev_hash"), "{}", broken.reason);
    })
    .await;
}

#[tokio::test]
async fn audit_verify_sees_a_removed_tail() {
    on_both(|store| async move {
        some_records(&store).await;
        drop_guards(&store).await;
        exec(
            &store,
            "DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)",
        )
        .await
        .unwrap();
        let verdict = store.audit_verify().await.unwrap();
        assert_eq!(verdict.records, 6, "{}", store.kind());
        assert!(
            verdict.first_break.unwrap().reason.contains("removed"),
            "{}",
            store.kind()
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_extend_one_chain() {
    on_both(|store| async move {
        let writers = (0..8).map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    store
                        .audit_refused(&format!("u{w}"), "POST /api/orders", 403, &n.to_string())
                        .await
                        .unwrap();
                }
            })
        });
        for w in writers {
            w.await.unwrap();
        }
        let verdict = store.audit_verify().await.unwrap();
        assert_eq!(verdict.records, 80, "{}", store.kind());
        assert_eq!(verdict.first_break, None, "{}", store.kind());
    })
    .await;
}

#[tokio::test]
async fn halts_are_stored_per_scope() {
    on_both(|store| async move {
        assert!(store.halts().await.unwrap().is_empty());
        assert!(store
            .halt(Some("bob"), "admin", "fat finger")
            .await
            .unwrap());
        assert!(!store.halt(Some("bob"), "admin", "again").await.unwrap());
        assert_eq!(store.halt_for("alice").await.unwrap(), None);
        assert_eq!(
            store.halt_for("bob").await.unwrap().unwrap().reason,
            "fat finger"
        );
        assert!(store.halt(None, "admin", "news").await.unwrap());
        let all = store.halts().await.unwrap();
        assert_eq!(all.len(), 2, "{}", store.kind());
        assert_eq!(all[0].user, None, "the desk's first");
        assert_eq!(
            store.halt_for("alice").await.unwrap().unwrap().reason,
            "news"
        );
        assert!(store.rearm(None).await.unwrap());
        assert!(!store.rearm(None).await.unwrap());
        assert_eq!(store.halt_for("alice").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn settings_replace_and_the_first_day_mark_wins() {
    on_both(|store| async move {
        let limits = shared::auth::DeskLimits {
            max_daily_loss: Some(Dollars::from_str("500").unwrap()),
        };
        assert_eq!(
            store
                .setting::<shared::auth::DeskLimits>("limits")
                .await
                .unwrap(),
            None
        );
        store.put_setting("limits", &limits, "admin").await.unwrap();
        store
            .put_setting("limits", &shared::auth::DeskLimits::default(), "admin")
            .await
            .unwrap();
        assert_eq!(
            store.setting("limits").await.unwrap(),
            Some(shared::auth::DeskLimits::default()),
            "replaced"
        );
        let t = shared::ids::MarketTicker::from("KXT-1");
        let first = Dollars::from_cents(40);
        assert_eq!(
            store.day_mark("2026-12-04", &t, first).await.unwrap(),
            first
        );
        let later = Dollars::from_cents(45);
        assert_eq!(
            store.day_mark("2026-12-04", &t, later).await.unwrap(),
            first,
            "the first writer wins"
        );
        assert_eq!(
            store.day_mark("2026-12-05", &t, later).await.unwrap(),
            later
        );
    })
    .await;
}

/// An in-memory store outlives its pool's connection: the pool closes a connection whose
/// query was cancelled, and the next one must find the same database.
#[tokio::test]
async fn an_in_memory_store_outlives_a_closed_connection() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store
        .create_user("ada", "hash", Role::Admin, &UserLimits::default())
        .await
        .unwrap();
    let Store::Sqlite(pool, _) = &store else {
        panic!("a SQLite store")
    };
    let conn = pool.acquire().await.unwrap().detach();
    sqlx::Connection::close(conn).await.unwrap();
    assert_eq!(store.user_count().await.unwrap(), 1, "the same database");
    store.close().await;
}
