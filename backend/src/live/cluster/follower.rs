//! Every replica's feed: the local hub, filled only from NATS.
//!
//! Market events are applied in version order per market; anything that breaks the
//! order (a gap after lost messages, a new leader, a NATS reconnect, a silent leader)
//! marks the market's book stale on this replica and asks the leader for a snapshot,
//! buffering the events that arrive meanwhile. Account events come from the JetStream
//! stream through an ordered consumer that resumes after the last stream sequence it saw,
//! so a NATS restart loses none; fills are de-duplicated by trade id.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt as _;
use shared::ids::MarketTicker;
use shared::protocol::{ServerMsg, UpstreamState};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    AccountWire, Ctx, LeaderBeat, MarketWire, WatchReply, WatchRequest, LEADER_SILENCE,
    REPLICA_BEAT,
};
use crate::kalshi::upstream::FillDedupe;
use crate::live::hub::UpstreamCommand;

/// Events buffered per market while its snapshot is on the way.
const PENDING_CAP: usize = 20_000;

/// What the follower's loop reacts to (besides commands and NATS client events).
enum Input {
    Market(MarketTicker, bytes::Bytes),
    Beat(LeaderBeat),
    Reply(WatchReply),
}

/// One watched market.
struct MarketSync {
    /// The leader version the local book reflects; `None` while awaiting a snapshot.
    version: Option<u64>,
    /// Events that arrived while awaiting the snapshot: (version, message).
    pending: Vec<(u64, ServerMsg)>,
    /// When a snapshot was last asked for.
    asked: Option<Instant>,
    /// Forwards the market's subject into the loop.
    task: JoinHandle<()>,
}

struct Follower {
    ctx: Arc<Ctx>,
    inputs: mpsc::Sender<Input>,
    markets: HashMap<MarketTicker, MarketSync>,
    /// The current leader's term, and when it last beat.
    epoch: Option<u64>,
    leader_seen: Instant,
    leader_alive: bool,
    /// NATS is connected (as far as the client's events tell).
    connected: bool,
}

/// Runs until `cancel`.
pub(super) async fn run(
    ctx: Arc<Ctx>,
    mut commands: mpsc::Receiver<UpstreamCommand>,
    mut nats_events: mpsc::UnboundedReceiver<async_nats::Event>,
    cancel: CancellationToken,
) {
    let (inputs, mut rx) = mpsc::channel(65_536);
    ctx.local.set_upstream_state(UpstreamState::Connecting);
    let beats = tokio::spawn(forward_beats(ctx.clone(), inputs.clone(), cancel.clone()));
    let reconnected = Arc::new(tokio::sync::Notify::new());
    let account = tokio::spawn(consume_account(
        ctx.clone(),
        reconnected.clone(),
        cancel.clone(),
    ));
    let mut f = Follower {
        ctx,
        inputs,
        markets: HashMap::new(),
        epoch: None,
        leader_seen: Instant::now(),
        leader_alive: false,
        connected: true,
    };
    // What the local hub watches and marks (each asks the leader for the market).
    let mut watched: HashSet<MarketTicker> = HashSet::new();
    let mut marked: HashSet<MarketTicker> = HashSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heartbeat = Instant::now();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            cmd = commands.recv() => match cmd {
                // A mark is a watch at the leader (book and ticker): replicas share the
                // leader's one market subscription.
                Some(UpstreamCommand::Watch(m)) => {
                    watched.insert(m.clone());
                    f.watch(m).await;
                }
                Some(UpstreamCommand::Mark(m)) => {
                    marked.insert(m.clone());
                    f.watch(m).await;
                }
                Some(UpstreamCommand::Unwatch(m)) => {
                    watched.remove(&m);
                    if !marked.contains(&m) {
                        f.unwatch(&m);
                    }
                }
                Some(UpstreamCommand::Unmark(m)) => {
                    marked.remove(&m);
                    if !watched.contains(&m) {
                        f.unwatch(&m);
                    }
                }
                None => break,
            },
            input = rx.recv() => match input {
                Some(Input::Market(m, payload)) => f.on_market(&m, &payload),
                Some(Input::Beat(beat)) => f.on_beat(beat),
                Some(Input::Reply(reply)) => f.on_reply(reply),
                None => break,
            },
            event = nats_events.recv() => match event {
                Some(async_nats::Event::Disconnected) => {
                    tracing::warn!("cluster: NATS disconnected");
                    f.connected = false;
                    f.lose_leader();
                }
                Some(async_nats::Event::Connected) => {
                    tracing::info!("cluster: NATS connected");
                    if !f.connected {
                        // The server may have restarted: its consumers are gone.
                        reconnected.notify_one();
                    }
                    f.connected = true;
                }
                Some(other) => tracing::debug!(event = %other, "cluster: NATS event"),
                None => {}
            },
            _ = tick.tick() => {
                if f.leader_alive && f.leader_seen.elapsed() > LEADER_SILENCE {
                    tracing::warn!(epoch = ?f.epoch, "cluster: leader silent; books stale until a leader answers");
                    f.lose_leader();
                }
                if last_heartbeat.elapsed() >= REPLICA_BEAT {
                    last_heartbeat = Instant::now();
                    f.send_watch(true);
                }
            }
        }
    }
    for (_, m) in f.markets.drain() {
        m.task.abort();
    }
    beats.abort();
    let _ = account.await;
}

impl Follower {
    async fn watch(&mut self, market: MarketTicker) {
        if self.markets.contains_key(&market) {
            return;
        }
        // Subscribe first: events published after the leader reads our request are
        // then certain to reach us.
        let subject = self.ctx.names.market(&market);
        let sub = self.ctx.client.subscribe(subject).await;
        let task = match sub {
            Ok(mut sub) => {
                let inputs = self.inputs.clone();
                let m = market.clone();
                tokio::spawn(async move {
                    while let Some(msg) = sub.next().await {
                        if inputs
                            .send(Input::Market(m.clone(), msg.payload))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                })
            }
            Err(err) => {
                tracing::warn!(%market, error = %err, "cluster: cannot subscribe the market");
                tokio::spawn(async {})
            }
        };
        self.markets.insert(
            market,
            MarketSync {
                version: None,
                pending: Vec::new(),
                asked: None,
                task,
            },
        );
        self.send_watch(false);
    }

    fn unwatch(&mut self, market: &MarketTicker) {
        if let Some(m) = self.markets.remove(market) {
            m.task.abort();
        }
        self.send_watch(false);
    }

    /// Sends the watched set; asks for snapshots of every market awaiting one (on a
    /// heartbeat, only of those not asked for within the last beat).
    fn send_watch(&mut self, heartbeat: bool) {
        let now = Instant::now();
        let mut snapshots = Vec::new();
        for (m, sync) in &mut self.markets {
            let due = sync
                .asked
                .is_none_or(|t| !heartbeat || now.duration_since(t) >= REPLICA_BEAT);
            if sync.version.is_none() && due {
                sync.asked = Some(now);
                snapshots.push(m.clone());
            }
        }
        let request = WatchRequest {
            replica: self.ctx.config.replica_id.clone(),
            markets: self
                .markets
                .keys()
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            snapshots,
        };
        let Ok(payload) = serde_json::to_vec(&request) else {
            return;
        };
        let client = self.ctx.client.clone();
        let subject = self.ctx.names.watch();
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            match client.request(subject, payload.into()).await {
                Ok(msg) => match serde_json::from_slice::<WatchReply>(&msg.payload) {
                    Ok(reply) => {
                        let _ = inputs.send(Input::Reply(reply)).await;
                    }
                    Err(err) => tracing::warn!(error = %err, "cluster: malformed watch reply"),
                },
                // No leader yet, or NATS away: the next heartbeat asks again.
                Err(err) => tracing::debug!(error = %err, "cluster: watch request unanswered"),
            }
        });
    }

    /// Every book goes stale and waits for a snapshot (from this leader or the next).
    fn resync_all(&mut self) {
        let markets: Vec<MarketTicker> = self.markets.keys().cloned().collect();
        self.ctx.local.mark_stale(&markets);
        for sync in self.markets.values_mut() {
            sync.version = None;
            sync.pending.clear();
            sync.asked = None;
        }
    }

    fn lose_leader(&mut self) {
        self.leader_alive = false;
        self.ctx.local.set_upstream_state(UpstreamState::Connecting);
        self.resync_all();
    }

    fn on_beat(&mut self, beat: LeaderBeat) {
        let now = Instant::now();
        if Some(beat.epoch) == self.epoch {
            if beat.resigned {
                tracing::info!(replica = %beat.replica, "cluster: the leader resigned");
                self.epoch = None;
                self.lose_leader();
                return;
            }
            self.leader_seen = now;
            if !self.leader_alive {
                self.leader_alive = true;
                self.resync_all();
                self.send_watch(false);
            }
            self.ctx.local.set_upstream_state(beat.state);
            return;
        }
        if beat.resigned {
            return;
        }
        // Another term: adopt it once the current leader is gone (a deposed leader's
        // last beats must not take the replica back).
        if self.epoch.is_none()
            || !self.leader_alive
            || now.duration_since(self.leader_seen) > LEADER_SILENCE / 2
        {
            tracing::info!(replica = %beat.replica, epoch = beat.epoch, "cluster: following a new leader");
            self.epoch = Some(beat.epoch);
            self.leader_seen = now;
            self.leader_alive = true;
            self.ctx.local.metrics().cluster_leader_changes.inc();
            self.resync_all();
            self.ctx.local.set_upstream_state(beat.state);
            self.send_watch(false);
        }
    }

    fn on_reply(&mut self, reply: WatchReply) {
        if Some(reply.epoch) != self.epoch || !self.leader_alive {
            return;
        }
        for book in reply.books {
            let Some(sync) = self.markets.get_mut(&book.market) else {
                continue;
            };
            if sync.version.is_some() {
                continue; // a Book event got here first
            }
            self.ctx.local.apply_snapshot(&book.market, book.levels);
            if book.stale {
                self.ctx
                    .local
                    .mark_stale(std::slice::from_ref(&book.market));
            }
            sync.version = Some(book.v);
            let mut pending = std::mem::take(&mut sync.pending);
            pending.sort_by_key(|(v, _)| *v);
            for (v, msg) in pending {
                self.apply(&book.market, v, msg);
            }
        }
    }

    fn on_market(&mut self, market: &MarketTicker, payload: &[u8]) {
        let wire: MarketWire = match serde_json::from_slice(payload) {
            Ok(w) => w,
            Err(err) => {
                tracing::warn!(%market, error = %err, "cluster: malformed market event ignored");
                self.ctx.local.metrics().malformed_frames.inc();
                return;
            }
        };
        if Some(wire.e) != self.epoch || !self.leader_alive {
            return; // another term's (a deposed leader, or one not adopted yet)
        }
        self.apply(market, wire.v, wire.m);
    }

    /// Applies one event of the current term in version order.
    fn apply(&mut self, market: &MarketTicker, v: u64, msg: ServerMsg) {
        let local = &self.ctx.local;
        let Some(sync) = self.markets.get_mut(market) else {
            return;
        };
        match msg {
            ServerMsg::Book { levels, stale, .. } => {
                local.apply_snapshot(market, levels);
                if stale {
                    local.mark_stale(std::slice::from_ref(market));
                }
                sync.version = Some(v);
                sync.pending.clear();
            }
            msg @ (ServerMsg::Level { .. } | ServerMsg::Stale { .. }) => match sync.version {
                None => {
                    if sync.pending.len() >= PENDING_CAP {
                        sync.pending.clear();
                        sync.asked = None;
                    }
                    sync.pending.push((v, msg));
                }
                Some(cur) if v <= cur => {} // already in the snapshot
                Some(cur) if v == cur + 1 => {
                    sync.version = Some(v);
                    match msg {
                        ServerMsg::Level {
                            side, price, count, ..
                        } => local.set_level(market, side, price, count),
                        _ => local.mark_stale(std::slice::from_ref(market)),
                    }
                }
                Some(cur) => {
                    tracing::warn!(%market, expected = cur + 1, got = v, "cluster: market events lost; asking for a snapshot");
                    local.metrics().seq_gaps.inc();
                    local.mark_stale(std::slice::from_ref(market));
                    sync.version = None;
                    sync.pending = vec![(v, msg)];
                    sync.asked = None;
                    self.send_watch(false);
                }
            },
            other => local.publish_market(market.clone(), other),
        }
    }
}

/// Forwards leader beats into the follower loop (resubscribing if the subscription ends).
async fn forward_beats(ctx: Arc<Ctx>, inputs: mpsc::Sender<Input>, cancel: CancellationToken) {
    loop {
        match ctx.client.subscribe(ctx.names.leader()).await {
            Ok(mut sub) => {
                while let Some(msg) = sub.next().await {
                    match serde_json::from_slice::<LeaderBeat>(&msg.payload) {
                        Ok(beat) => {
                            if inputs.send(Input::Beat(beat)).await.is_err() {
                                return;
                            }
                        }
                        Err(err) => tracing::warn!(error = %err, "cluster: malformed leader beat"),
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cluster: cannot subscribe leader beats"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Delivers the account stream into the local hub, from now on, resuming after the last
/// stream sequence seen whenever the consumer has to be made again.
async fn consume_account(
    ctx: Arc<Ctx>,
    reconnected: Arc<tokio::sync::Notify>,
    cancel: CancellationToken,
) {
    let js = jetstream::new(ctx.client.clone());
    let mut fills = FillDedupe::new(10_000);
    for f in ctx.local.fills() {
        fills.first_time(&f.trade_id);
    }
    let mut last_seq: Option<u64> = None;
    let mut warned = false;
    loop {
        let attempt = async {
            let stream = js
                .get_or_create_stream(super::leader::account_stream(&ctx))
                .await?;
            let info = stream.get_info().await?;
            let deliver_policy = match last_seq {
                None => consumer::DeliverPolicy::New,
                // The stream was made again (its sequence restarted): read all of it.
                Some(seq) if info.state.last_sequence < seq => consumer::DeliverPolicy::All,
                Some(seq) => consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: seq + 1,
                },
            };
            let consumer = stream
                .create_consumer(consumer::pull::OrderedConfig {
                    deliver_policy,
                    ..Default::default()
                })
                .await?;
            Ok::<_, async_nats::Error>(consumer.messages().await?)
        };
        let attempt = tokio::select! {
            () = cancel.cancelled() => return,
            a = attempt => a,
        };
        match attempt {
            Ok(mut messages) => {
                warned = false;
                if last_seq.is_none() {
                    last_seq = Some(0);
                }
                loop {
                    let next = tokio::select! {
                        () = cancel.cancelled() => return,
                        () = reconnected.notified() => {
                            tracing::info!("cluster: NATS reconnected; resuming the account stream");
                            break;
                        }
                        n = messages.next() => n,
                    };
                    let msg = match next {
                        Some(Ok(msg)) => msg,
                        Some(Err(err)) => {
                            tracing::warn!(error = %err, "cluster: account stream interrupted; resuming");
                            break;
                        }
                        None => break,
                    };
                    if let Ok(info) = msg.info() {
                        last_seq = Some(info.stream_sequence);
                    }
                    match serde_json::from_slice::<AccountWire>(&msg.payload) {
                        Ok(AccountWire {
                            m: ServerMsg::Fill(fill),
                            ..
                        }) => {
                            if fills.first_time(&fill.trade_id) {
                                ctx.local.publish_fill(fill);
                            }
                        }
                        Ok(wire) => ctx.local.publish_account(wire.m),
                        Err(err) => {
                            tracing::warn!(error = %err, "cluster: malformed account event ignored");
                        }
                    }
                }
            }
            Err(err) => {
                if !warned {
                    tracing::warn!(error = %err, "cluster: account stream unavailable; retrying");
                    warned = true;
                }
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}
