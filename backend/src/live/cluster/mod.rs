//! Several desk replicas behind one upstream socket, fanned out through NATS.
//!
//! Single-process mode (no `DESK_NATS_URL`) does not use this module at all. With NATS:
//!
//! - **Leadership** ([`election`]): exactly one replica holds the authenticated Kalshi
//!   socket. It holds a lease, the key `leader` in the JetStream key-value bucket
//!   `desk_<cluster>_leader` (history 1, `max_age` = the lease), created with `create`
//!   (fails while another replica holds it) and renewed with a compare-and-set `update`
//!   every quarter lease. A leader that cannot renew for 4/5 of the lease steps down by
//!   itself, so two sockets can overlap for at most a moment; a graceful stop deletes the
//!   lease (`delete_expect_revision`) so another replica takes over at once. Every term has
//!   a random `epoch`; replicas drop events of any other epoch.
//! - **Publishing** ([`leader`]): the leader runs the ordinary [`crate::kalshi::upstream`] task
//!   into a private *source* [`Hub`] whose changes it forwards, already normalized (book
//!   snapshots and absolute level counts stamped with a per-market version, tickers,
//!   trades), to core NATS subjects `desk.<cluster>.md.<market>`; account events (orders,
//!   fills, positions, order groups, RFQ events) go to the JetStream stream
//!   `DESK_<CLUSTER>_ACCOUNT` (subject `desk.<cluster>.acct`), acknowledged and retried, a
//!   fill with `Nats-Msg-Id: fill:<trade_id>` so the stream keeps one copy even when a new
//!   leader publishes it again. The leader beats on `desk.<cluster>.leader` twice a second
//!   (epoch, upstream state).
//! - **Serving** ([`follower`]): every replica, the leader included, serves its browser
//!   sessions from its own local [`Hub`], fed only from NATS. Per watched market it
//!   subscribes the market's subject and checks the version sequence; a gap, a new epoch,
//!   a NATS reconnect or a silent leader makes it ask the leader for a snapshot.
//! - **Subscriptions**: a replica sends the full set of markets its sessions watch to
//!   `desk.<cluster>.ctl.watch` (request/reply) whenever it changes and every 2 s; the
//!   reply carries the snapshots it asked for. The leader counts, per market, the replicas
//!   watching it (a replica silent for [`REPLICA_TTL`] is dropped) and subscribes the
//!   upstream while the count is non-zero. The set is state, not a diff, so a new leader
//!   learns every subscription within one heartbeat.
//! - **Writes** do not cross NATS: every replica holds the key and signs the REST calls it
//!   receives, after the shared (PostgreSQL) audit record, as a single desk does.

mod election;
mod follower;
mod leader;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::book::BookLevels;
use shared::ids::MarketTicker;
use shared::protocol::{Environment, ServerMsg, UpstreamState};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::kalshi::upstream::UpstreamConfig;
use crate::live::hub::{Hub, UpstreamCommand};

/// How often the leader beats.
pub const LEADER_BEAT: Duration = Duration::from_millis(500);
/// A leader not heard from for this long is presumed gone: books go stale.
pub const LEADER_SILENCE: Duration = Duration::from_secs(2);
/// How often a replica re-sends its watched markets (heartbeat).
pub const REPLICA_BEAT: Duration = Duration::from_secs(2);
/// A replica not heard from for this long no longer counts as a watcher.
pub const REPLICA_TTL: Duration = Duration::from_secs(7);
/// The default lease: a dead leader is replaced within about this long plus one poll.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);

/// Cluster settings (`DESK_NATS_URL`, `DESK_CLUSTER`, `DESK_REPLICA_ID`, `DESK_LEASE_MS`).
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// NATS server(s), e.g. `nats://127.0.0.1:4222` (comma-separated for several); may hold
    /// credentials, so it is a secret and never logged.
    pub nats_url: secrecy::SecretString,
    /// Cluster name: 1–32 of `A-Z a-z 0-9 _ -`; names the subjects, stream and bucket,
    /// so several desks (each with its own key) can share one NATS.
    pub name: String,
    /// This replica's name, unique in the cluster (logs, the leader's watcher count).
    pub replica_id: String,
    /// Leader lease; a dead leader is replaced within about this long.
    pub lease: Duration,
}

/// A cluster setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ClusterConfigError {
    /// The cluster name has characters NATS subjects or bucket names cannot carry.
    #[error("cluster name {0:?}: use 1-32 of A-Z a-z 0-9 _ -")]
    Name(String),
    /// The replica id is empty or has spaces.
    #[error("replica id {0:?}: use 1-64 printable characters without spaces")]
    ReplicaId(String),
    /// A lease too short to renew reliably.
    #[error("lease {0:?}: at least 1 s")]
    Lease(Duration),
}

impl ClusterConfig {
    /// Checks the names and the lease.
    ///
    /// # Errors
    /// [`ClusterConfigError`].
    pub fn validate(&self) -> Result<(), ClusterConfigError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 32
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(ClusterConfigError::Name(self.name.clone()));
        }
        let id_ok = !self.replica_id.is_empty()
            && self.replica_id.len() <= 64
            && self.replica_id.chars().all(|c| c.is_ascii_graphic());
        if !id_ok {
            return Err(ClusterConfigError::ReplicaId(self.replica_id.clone()));
        }
        if self.lease < Duration::from_secs(1) {
            return Err(ClusterConfigError::Lease(self.lease));
        }
        Ok(())
    }
}

/// The NATS names of one cluster.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    prefix: String,
    name: String,
}

impl Names {
    fn new(cluster: &str) -> Names {
        Names {
            prefix: format!("desk.{cluster}"),
            name: cluster.to_owned(),
        }
    }
    /// Market events of one market (core NATS).
    pub(crate) fn market(&self, market: &MarketTicker) -> String {
        format!("{}.md.{}", self.prefix, subject_token(market.as_str()))
    }
    /// Account events (JetStream).
    pub(crate) fn account(&self) -> String {
        format!("{}.acct", self.prefix)
    }
    /// Leader beats.
    pub(crate) fn leader(&self) -> String {
        format!("{}.leader", self.prefix)
    }
    /// Replicas' watched markets (request/reply).
    pub(crate) fn watch(&self) -> String {
        format!("{}.ctl.watch", self.prefix)
    }
    /// The account stream.
    pub(crate) fn stream(&self) -> String {
        format!("DESK_{}_ACCOUNT", self.name.to_ascii_uppercase())
    }
    /// The lease bucket.
    pub(crate) fn bucket(&self) -> String {
        format!("desk_{}_leader", self.name)
    }
}

/// A market ticker as one NATS subject token: `A-Z a-z 0-9 _ -` as they are, every other
/// byte (Kalshi tickers may hold `.`, which separates subject tokens) as `~XX` hex.
pub fn subject_token(ticker: &str) -> String {
    let mut out = String::with_capacity(ticker.len());
    for b in ticker.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    out
}

/// A market event on `desk.<cluster>.md.<market>`: `{"e": epoch, "v": version, "m": msg}`.
/// `v` is the leader's book version after a `Book`, `Level` or `Stale` (consecutive per
/// market within an epoch), 0 for tickers and trades.
#[derive(Debug, Deserialize)]
pub(crate) struct MarketWire {
    pub e: u64,
    pub v: u64,
    pub m: ServerMsg,
}

/// An account event on `desk.<cluster>.acct`: `{"e": epoch, "m": msg}`.
#[derive(Debug, Deserialize)]
pub(crate) struct AccountWire {
    #[allow(dead_code)] // informational: which term published it
    pub e: u64,
    pub m: ServerMsg,
}

/// Encodes a market or account envelope around an already serialized [`ServerMsg`].
pub(crate) fn envelope(epoch: u64, version: Option<u64>, msg_json: &str) -> String {
    match version {
        Some(v) => format!(r#"{{"e":{epoch},"v":{v},"m":{msg_json}}}"#),
        None => format!(r#"{{"e":{epoch},"m":{msg_json}}}"#),
    }
}

/// The leader's beat on `desk.<cluster>.leader`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LeaderBeat {
    pub epoch: u64,
    pub replica: String,
    pub state: UpstreamState,
    /// The leader is stopping (graceful): forget it now rather than after the silence.
    #[serde(default)]
    pub resigned: bool,
}

/// A replica's watched markets, sent to the leader on change and every [`REPLICA_BEAT`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct WatchRequest {
    pub replica: String,
    /// Every market this replica's sessions watch.
    pub markets: Vec<MarketTicker>,
    /// The markets it needs a snapshot of.
    #[serde(default)]
    pub snapshots: Vec<MarketTicker>,
}

/// The leader's answer: its epoch and the snapshots it has (a market it has no book of
/// yet is left out; its `Book` event follows on the market subject).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct WatchReply {
    pub epoch: u64,
    pub books: Vec<WireBook>,
}

/// One book in a [`WatchReply`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct WireBook {
    pub market: MarketTicker,
    /// The leader's book version the levels reflect.
    pub v: u64,
    pub levels: BookLevels,
    pub stale: bool,
}

/// Everything the cluster tasks share.
pub(crate) struct Ctx {
    pub config: ClusterConfig,
    pub names: Names,
    pub client: async_nats::Client,
    pub local: Hub,
    pub upstream: UpstreamConfig,
    pub kalshi: KalshiClient,
    pub environment: Environment,
    /// Unix seconds when this replica started (see [`crate::kalshi::upstream::Takeover`]).
    pub started_s: i64,
    pub is_leader: watch::Sender<bool>,
}

/// A running cluster membership.
#[derive(Debug)]
pub struct ClusterHandle {
    /// Ends when the desk stops.
    pub task: tokio::task::JoinHandle<()>,
    /// Whether this replica holds the upstream socket now.
    pub is_leader: watch::Receiver<bool>,
}

/// Connects to NATS (retrying in the background until it answers) and starts the
/// election, the leader's duties while elected, and the follower feeding `local`.
///
/// `commands` are the local hub's watch/unwatch requests; `upstream` is how a leader
/// connects to Kalshi; `kalshi` is the REST client a leader's RFQ quote watch uses.
///
/// # Errors
/// An invalid [`ClusterConfig`] or NATS URL.
pub async fn start(
    config: ClusterConfig,
    local: Hub,
    commands: mpsc::Receiver<UpstreamCommand>,
    upstream: UpstreamConfig,
    kalshi: KalshiClient,
    cancel: CancellationToken,
) -> anyhow::Result<ClusterHandle> {
    config.validate()?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::new()
        .name(format!("kalshi-desk {}", config.replica_id))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .request_timeout(Some(Duration::from_secs(2)))
        .reconnect_delay_callback(|attempt| {
            let exp = u32::try_from(attempt.min(4)).unwrap_or(4);
            Duration::from_millis(100 * 2u64.pow(exp)).min(Duration::from_secs(1))
        })
        .event_callback(move |event| {
            let tx = events_tx.clone();
            async move {
                let _ = tx.send(event);
            }
        })
        .connect(secrecy::ExposeSecret::expose_secret(&config.nats_url))
        .await
        // Not the URL itself: it may hold a password.
        .map_err(|err| anyhow::anyhow!("connecting to NATS (DESK_NATS_URL): {}", err.kind()))?;
    tracing::info!(
        cluster = %config.name,
        replica = %config.replica_id,
        "cluster mode: NATS fan-out, leader election"
    );
    let (is_leader, is_leader_rx) = watch::channel(false);
    let environment = local.environment();
    let started_s = time::OffsetDateTime::now_utc().unix_timestamp();
    let ctx = Arc::new(Ctx {
        names: Names::new(&config.name),
        config,
        client,
        local,
        upstream,
        kalshi,
        environment,
        started_s,
        is_leader,
    });
    let task = tokio::spawn(async move {
        let follower = tokio::spawn(follower::run(
            ctx.clone(),
            commands,
            events_rx,
            cancel.clone(),
        ));
        election::run(ctx.clone(), cancel.clone()).await;
        let _ = follower.await;
        let _ = ctx.client.flush().await;
    });
    Ok(ClusterHandle {
        task,
        is_leader: is_leader_rx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_become_one_subject_token() {
        assert_eq!(
            subject_token("KXBTC-25DEC31-T100000"),
            "KXBTC-25DEC31-T100000"
        );
        assert_eq!(
            subject_token("KXHIGHNY-25DEC02-B45.5"),
            "KXHIGHNY-25DEC02-B45~2E5"
        );
        assert_eq!(subject_token("A*B>C D"), "A~2AB~3EC~20D");
        let names = Names::new("team1");
        assert_eq!(
            names.market(&MarketTicker::from("X.Y")),
            "desk.team1.md.X~2EY"
        );
        assert_eq!(names.stream(), "DESK_TEAM1_ACCOUNT");
        assert_eq!(names.bucket(), "desk_team1_leader");
    }

    #[test]
    fn bad_names_and_leases_are_refused() {
        let ok = ClusterConfig {
            nats_url: "nats://127.0.0.1:4222".to_owned().into(),
            name: "desk".into(),
            replica_id: "a-1".into(),
            lease: DEFAULT_LEASE,
        };
        assert!(ok.validate().is_ok());
        for name in ["", "a.b", "a b", "a*", &"x".repeat(33)] {
            let c = ClusterConfig {
                name: name.to_owned(),
                ..ok.clone()
            };
            assert!(
                matches!(c.validate(), Err(ClusterConfigError::Name(_))),
                "{name:?}"
            );
        }
        let c = ClusterConfig {
            replica_id: "a b".into(),
            ..ok.clone()
        };
        assert!(matches!(
            c.validate(),
            Err(ClusterConfigError::ReplicaId(_))
        ));
        let c = ClusterConfig {
            lease: Duration::from_millis(200),
            ..ok
        };
        assert!(matches!(c.validate(), Err(ClusterConfigError::Lease(_))));
    }

    #[test]
    fn envelopes_decode_back() {
        let msg = ServerMsg::Stale {
            market_ticker: MarketTicker::from("M"),
        };
        let json = serde_json::to_string(&msg).unwrap();
        let wire: MarketWire = serde_json::from_str(&envelope(7, Some(3), &json)).unwrap();
        assert_eq!((wire.e, wire.v), (7, 3));
        assert!(matches!(wire.m, ServerMsg::Stale { .. }));
        let wire: AccountWire = serde_json::from_str(&envelope(7, None, &json)).unwrap();
        assert_eq!(wire.e, 7);
    }
}
