//! The leader's term: the upstream socket, and its events published to NATS.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use futures_util::StreamExt as _;
use shared::ids::MarketTicker;
use shared::protocol::{ServerMsg, UpstreamState};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    envelope, Ctx, LeaderBeat, WatchReply, WatchRequest, WireBook, LEADER_BEAT, REPLICA_TTL,
};
use crate::kalshi::upstream::{self, Takeover};
use crate::live::hub::{Hub, HubEvent};

/// One account event for the stream: payload and, for a fill, its dedupe id.
struct AccountItem {
    payload: Bytes,
    msg_id: Option<String>,
}

/// Which replicas watch which markets; the source hub's watcher count per market is the
/// number of replicas watching it.
#[derive(Debug, Default)]
struct Registry {
    replicas: HashMap<String, (BTreeSet<MarketTicker>, Instant)>,
}

impl Registry {
    /// Records `replica`'s full set; returns the markets it added and dropped.
    fn update(
        &mut self,
        replica: &str,
        markets: BTreeSet<MarketTicker>,
        now: Instant,
    ) -> (Vec<MarketTicker>, Vec<MarketTicker>) {
        let entry = self
            .replicas
            .entry(replica.to_owned())
            .or_insert_with(|| (BTreeSet::new(), now));
        let added = markets.difference(&entry.0).cloned().collect();
        let dropped = entry.0.difference(&markets).cloned().collect();
        *entry = (markets, now);
        (added, dropped)
    }

    /// Forgets replicas silent since `before`; returns the markets they watched.
    fn expire(&mut self, before: Instant) -> Vec<MarketTicker> {
        let gone: Vec<String> = self
            .replicas
            .iter()
            .filter(|(_, (_, seen))| *seen < before)
            .map(|(id, _)| id.clone())
            .collect();
        let mut dropped = Vec::new();
        for id in gone {
            tracing::info!(replica = %id, "leader: replica silent; dropping its subscriptions");
            if let Some((markets, _)) = self.replicas.remove(&id) {
                dropped.extend(markets);
            }
        }
        dropped
    }
}

/// Serves one term until `cancel`: runs the upstream into a source hub, forwards its
/// events, answers watch requests and beats.
pub(super) async fn run(ctx: Arc<Ctx>, epoch: u64, cancel: CancellationToken) {
    let (source, commands, mut tap) = Hub::new_source(ctx.environment, ctx.local.metrics().clone());
    let mut config = ctx.upstream.clone();
    config.takeover = Some(Takeover {
        known_fills: ctx.local.fills().into_iter().map(|f| f.trade_id).collect(),
        since_ts: ctx.started_s,
    });
    let upstream_task = tokio::spawn(upstream::run(
        config,
        source.clone(),
        commands,
        cancel.clone(),
    ));
    let quotes_task = tokio::spawn(crate::rfq::watch::run(
        source.clone(),
        ctx.kalshi.clone(),
        cancel.clone(),
    ));
    let (account_tx, account_rx) = mpsc::unbounded_channel();
    let account_task = tokio::spawn(publish_account(ctx.clone(), account_rx, cancel.clone()));

    let mut requests = loop {
        match ctx.client.subscribe(ctx.names.watch()).await {
            Ok(s) => break s,
            Err(err) => {
                tracing::warn!(error = %err, "leader: cannot subscribe watch requests; retrying");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    };
    let mut registry = Registry::default();
    let mut state = source.upstream_state();
    let mut beat = tokio::time::interval(LEADER_BEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            event = tap.recv() => {
                let Some(event) = event else { break };
                if let ServerMsg::Upstream { state: s } = *event.msg {
                    state = s;
                    send_beat(&ctx, epoch, state, false).await;
                } else {
                    forward(&ctx, epoch, &event, &account_tx).await;
                }
            }
            request = requests.next() => {
                let Some(request) = request else { break };
                answer(&ctx, epoch, &source, &mut registry, request).await;
            }
            _ = beat.tick() => {
                send_beat(&ctx, epoch, state, false).await;
                let dropped = registry.expire(Instant::now() - REPLICA_TTL);
                for m in dropped {
                    source.unwatch(&m).await;
                }
            }
        }
    }
    send_beat(&ctx, epoch, UpstreamState::Down, true).await;
    let _ = ctx.client.flush().await;
    cancel.cancel();
    let _ = upstream_task.await;
    let _ = quotes_task.await;
    let _ = account_task.await;
}

async fn send_beat(ctx: &Ctx, epoch: u64, state: UpstreamState, resigned: bool) {
    let beat = LeaderBeat {
        epoch,
        replica: ctx.config.replica_id.clone(),
        state,
        resigned,
    };
    let payload = serde_json::to_vec(&beat).unwrap_or_default();
    if let Err(err) = ctx.client.publish(ctx.names.leader(), payload.into()).await {
        tracing::debug!(error = %err, "leader: beat not sent");
    }
}

/// Publishes one source-hub event: market events on core NATS, account events to the
/// stream publisher.
async fn forward(
    ctx: &Ctx,
    epoch: u64,
    event: &HubEvent,
    account: &mpsc::UnboundedSender<AccountItem>,
) {
    match &event.market {
        Some(market) => {
            let payload = envelope(epoch, Some(event.version), &event.text);
            if let Err(err) = ctx
                .client
                .publish(ctx.names.market(market), payload.into())
                .await
            {
                ctx.local.metrics().cluster_publish_errors.inc();
                tracing::debug!(error = %err, "leader: market event not published");
            }
        }
        None => {
            let msg_id = match &*event.msg {
                ServerMsg::Fill(f) => Some(format!("fill:{}", f.trade_id)),
                _ => None,
            };
            let _ = account.send(AccountItem {
                payload: envelope(epoch, None, &event.text).into(),
                msg_id,
            });
        }
    }
}

/// Records a replica's watched markets, (un)subscribes the upstream for the change, and
/// replies with the snapshots it asked for.
async fn answer(
    ctx: &Ctx,
    epoch: u64,
    source: &Hub,
    registry: &mut Registry,
    request: async_nats::Message,
) {
    let Ok(req) = serde_json::from_slice::<WatchRequest>(&request.payload) else {
        tracing::warn!("leader: malformed watch request ignored");
        return;
    };
    let (added, dropped) = registry.update(
        &req.replica,
        req.markets.iter().cloned().collect(),
        Instant::now(),
    );
    for m in &added {
        // Each replica checked the market and its own cap; the source adds only its cap.
        if let Err(refused) = source.watch(m).await {
            tracing::warn!(replica = %req.replica, %refused, "leader: watch refused");
        }
    }
    for m in &dropped {
        source.unwatch(m).await;
    }
    let Some(reply_to) = request.reply else {
        return;
    };
    let books = req
        .snapshots
        .iter()
        .filter_map(|m| {
            source.book(m).map(|b| WireBook {
                market: m.clone(),
                v: b.version,
                levels: b.levels,
                stale: b.stale,
            })
        })
        .collect();
    let reply = WatchReply { epoch, books };
    let payload = serde_json::to_vec(&reply).unwrap_or_default();
    if let Err(err) = ctx.client.publish(reply_to, payload.into()).await {
        tracing::debug!(error = %err, "leader: watch reply not sent");
    }
}

/// The account stream's configuration (the same from every replica).
pub(super) fn account_stream(ctx: &Ctx) -> stream::Config {
    stream::Config {
        name: ctx.names.stream(),
        description: Some("Kalshi Desk: orders, fills, positions, RFQ events".to_owned()),
        subjects: vec![ctx.names.account()],
        max_age: Duration::from_secs(3600),
        max_messages: 100_000,
        duplicate_window: Duration::from_secs(600),
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        ..stream::Config::default()
    }
}

/// Publishes account events to the stream in order, each acknowledged; a failed publish
/// (NATS restarting, the stream missing) is retried until it lands or the term ends.
async fn publish_account(
    ctx: Arc<Ctx>,
    mut items: mpsc::UnboundedReceiver<AccountItem>,
    cancel: CancellationToken,
) {
    let js = jetstream::new(ctx.client.clone());
    let mut stream_ready = false;
    while let Some(item) = tokio::select! {
        () = cancel.cancelled() => None,
        i = items.recv() => i,
    } {
        let mut delay = Duration::from_millis(50);
        loop {
            if !stream_ready {
                match js.get_or_create_stream(account_stream(&ctx)).await {
                    Ok(_) => stream_ready = true,
                    Err(err) => tracing::debug!(error = %err, "leader: account stream not ready"),
                }
            }
            if stream_ready {
                let mut headers = async_nats::HeaderMap::new();
                if let Some(id) = &item.msg_id {
                    headers.insert("Nats-Msg-Id", id.as_str());
                }
                let sent = js
                    .publish_with_headers(ctx.names.account(), headers, item.payload.clone())
                    .await;
                match sent {
                    Ok(ack) => match ack.await {
                        Ok(_) => break,
                        Err(err) => {
                            if err.kind() == jetstream::context::PublishErrorKind::StreamNotFound {
                                stream_ready = false;
                            }
                            tracing::debug!(error = %err, "leader: account event not acknowledged; retrying");
                        }
                    },
                    Err(err) => {
                        tracing::debug!(error = %err, "leader: account event not sent; retrying")
                    }
                }
            }
            ctx.local.metrics().cluster_publish_errors.inc();
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ms: &[&str]) -> BTreeSet<MarketTicker> {
        ms.iter().map(|m| MarketTicker::from(*m)).collect()
    }

    #[test]
    fn registry_reports_changes_and_expires_silent_replicas() {
        let mut r = Registry::default();
        let t0 = Instant::now();
        let (a, d) = r.update("r1", set(&["A", "B"]), t0);
        assert_eq!((a.len(), d.len()), (2, 0));
        let (a, d) = r.update("r1", set(&["B", "C"]), t0);
        assert_eq!(a, vec![MarketTicker::from("C")]);
        assert_eq!(d, vec![MarketTicker::from("A")]);
        let (a, d) = r.update("r1", set(&["B", "C"]), t0);
        assert!(
            a.is_empty() && d.is_empty(),
            "a heartbeat with the same set changes nothing"
        );
        r.update("r2", set(&["C"]), t0 + Duration::from_secs(5));
        let dropped = r.expire(t0 + Duration::from_secs(1));
        assert_eq!(
            dropped,
            vec![MarketTicker::from("B"), MarketTicker::from("C")]
        );
        assert_eq!(r.replicas.len(), 1, "r2 was heard from since");
    }
}
