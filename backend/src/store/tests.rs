//! Every store test runs twice: on SQLite (a temp file) and on PostgreSQL (a fresh schema).

use super::test_support::PgSchema;
use super::*;

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
            .audit_begin("alice", "CreateOrderV2", "{\"x\":1}", Some("coid-1"))
            .await
            .unwrap();
        store.audit_finish(a, "ok", Some(201), None).await.unwrap();
        let b = store
            .audit_begin("rule:mm", "CreateQuote", "{}", None)
            .await
            .unwrap();
        store
            .audit_finish(b, "error", Some(400), Some("bad"))
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
