//! Leader election: a lease in a JetStream key-value bucket.
//!
//! Key `leader` in bucket `desk_<cluster>_leader` (history 1, `max_age` = the lease, file
//! storage). A replica becomes leader when `create` succeeds (the key is absent: never
//! set, deleted by a leader that stopped, or expired by `max_age` because its holder
//! stopped renewing). The holder renews with `update` against the revision it last wrote
//! every quarter lease; `WrongLastRevision` means another replica holds it now, and no
//! successful renewal for 4/5 of the lease means it may have expired: either way the
//! leader stops its term at once. Because the server expires the key, replicas need no
//! agreement on clocks.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{leader, Ctx};

const KEY: &str = "leader";

/// The lease's value: who holds it and for which term.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Lease {
    replica: String,
    epoch: u64,
}

/// Runs until `cancel`: contends for the lease, and serves terms while holding it.
pub(super) async fn run(ctx: Arc<Ctx>, cancel: CancellationToken) {
    let js = jetstream::new(ctx.client.clone());
    let poll = (ctx.config.lease / 5).max(Duration::from_millis(200));
    let mut warned = false;
    // Looked up once and kept while it works: a contender polls every `poll`.
    let mut store: Option<kv::Store> = None;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        if store.is_none() {
            match bucket(&ctx, &js).await {
                Ok(s) => {
                    warned = false;
                    store = Some(s);
                }
                Err(err) if !warned => {
                    tracing::warn!(error = %err, "lease bucket unavailable (is NATS running with JetStream?); retrying");
                    warned = true;
                }
                Err(err) => tracing::debug!(error = %err, "lease bucket unavailable"),
            }
        }
        if let Some(kv) = &store {
            let epoch = rand::random::<u64>() | 1;
            let value = lease_value(&ctx, epoch);
            match kv.create(KEY, value.clone()).await {
                Ok(revision) => hold(&ctx, kv, revision, epoch, value, &cancel).await,
                Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(err) => {
                    // The bucket may be gone (a NATS restarted without its store): look again.
                    tracing::debug!(error = %err, "lease: create failed");
                    store = None;
                }
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

fn lease_value(ctx: &Ctx, epoch: u64) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&Lease {
            replica: ctx.config.replica_id.clone(),
            epoch,
        })
        .unwrap_or_default(),
    )
}

/// The lease bucket, created on first use (the same config from every replica).
async fn bucket(ctx: &Ctx, js: &jetstream::Context) -> Result<kv::Store, async_nats::Error> {
    let name = ctx.names.bucket();
    match tokio::time::timeout(Duration::from_secs(2), js.get_key_value(name.clone())).await {
        Ok(Ok(store)) => return Ok(store),
        Ok(Err(_)) => {}
        Err(elapsed) => return Err(Box::new(elapsed)),
    }
    // The bucket's stream, made directly rather than with `create_key_value`, which first
    // reads the account's JetStream info in a shape older servers (Debian's 2.9) do not
    // send. These are the settings a KV bucket's stream has.
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        description: Some("Kalshi Desk: which replica holds the upstream socket".to_owned()),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age: ctx.config.lease,
        max_message_size: 4096,
        storage: jetstream::stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        ..jetstream::stream::Config::default()
    };
    let made = tokio::time::timeout(Duration::from_secs(2), async {
        js.get_or_create_stream(config).await?;
        Ok::<_, async_nats::Error>(js.get_key_value(name).await?)
    })
    .await;
    match made {
        Ok(r) => r,
        Err(elapsed) => Err(Box::new(elapsed)),
    }
}

/// Holds the lease for one term: runs the leader's duties and renews until the lease is
/// lost, cannot be renewed in time, or the desk stops (then the lease is released).
async fn hold(
    ctx: &Arc<Ctx>,
    store: &kv::Store,
    mut revision: u64,
    epoch: u64,
    value: Bytes,
    cancel: &CancellationToken,
) {
    let lease = ctx.config.lease;
    tracing::info!(replica = %ctx.config.replica_id, epoch, "leader: this replica holds the upstream socket");
    ctx.local.metrics().cluster_leader.set(1);
    ctx.local.metrics().cluster_terms.inc();
    ctx.is_leader.send_replace(true);
    let term = cancel.child_token();
    let duties = tokio::spawn(leader::run(ctx.clone(), epoch, term.clone()));
    let mut last_renewal = Instant::now();
    let mut tick = tokio::time::interval(lease / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let released = loop {
        tokio::select! {
            () = cancel.cancelled() => break true,
            _ = tick.tick() => {
                match tokio::time::timeout(lease / 4, store.update(KEY, value.clone(), revision)).await {
                    Ok(Ok(r)) => {
                        revision = r;
                        last_renewal = Instant::now();
                    }
                    Ok(Err(err)) if err.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                        tracing::warn!("leader: the lease is held by another replica now; stepping down");
                        break false;
                    }
                    other => {
                        let error = match other {
                            Ok(Err(err)) => err.to_string(),
                            _ => "timed out".to_owned(),
                        };
                        if last_renewal.elapsed() >= lease * 4 / 5 {
                            tracing::warn!(%error, "leader: cannot renew the lease in time; stepping down");
                            break false;
                        }
                        tracing::debug!(%error, "leader: lease renewal failed; retrying");
                    }
                }
            }
        }
    };
    term.cancel();
    let _ = duties.await;
    if released {
        // Let the next replica take over now rather than after the lease runs out.
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            store.delete_expect_revision(KEY, Some(revision)),
        )
        .await;
    }
    ctx.is_leader.send_replace(false);
    ctx.local.metrics().cluster_leader.set(0);
    tracing::info!(epoch, "leader: term ended");
}
