//! `/metrics`: the desk's Prometheus counters, gauges and histograms.
//!
//! One [`Metrics`] per desk (its own registry, so tests in one process do not mix),
//! shared by the upstream task, the hub, browser sessions and the REST client.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// Every metric the desk exports. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Upstream socket state: 0 down, 1 connecting, 2 live.
    pub upstream_state: IntGauge,
    /// Upstream connections established.
    pub upstream_connects: IntCounter,
    /// Upstream connections ended, by reason.
    pub upstream_disconnects: IntCounterVec,
    /// Upstream subscriptions subscribed again after a terminal error, by error code.
    pub upstream_resubscribes: IntCounterVec,
    /// Upstream frames received (text).
    pub frames_in: IntCounter,
    /// Frames sent to browsers.
    pub frames_out: IntCounter,
    /// Open browser sessions.
    pub sessions: IntGauge,
    /// Running session watchers (one per upgraded socket).
    pub session_watchers: IntGauge,
    /// Fan-out events waiting for a session when it reads one (queue depth).
    pub session_queue_depth: Histogram,
    /// Sessions that fell behind and were sent fresh snapshots instead.
    pub conflations: IntCounter,
    /// Sequence gaps (and duplicates) on book sids.
    pub seq_gaps: IntCounter,
    /// Malformed upstream frames.
    pub malformed_frames: IntCounter,
    /// REST latency by operation and status.
    pub rest_latency: HistogramVec,
    /// REST answers with status 429.
    pub rest_429: IntCounter,
    /// Time to sign one request (on the blocking pool), seconds.
    pub signing_seconds: Histogram,
    /// Fills recovered over REST after a reconnect (not seen on the socket).
    pub fills_reconciled: IntCounter,
    /// Position-limit exposure reads, by source: `memory` (the live book), `rest_seed`
    /// (a market's first check), `rest_confirm` (memory would have refused).
    pub exposure_reads: IntCounterVec,
    /// Open markets in the finder's directory (0 until its first read).
    pub directory_markets: IntGauge,
    /// Cluster mode: 1 while this replica holds the upstream socket.
    pub cluster_leader: IntGauge,
    /// Cluster mode: terms this replica has led.
    pub cluster_terms: IntCounter,
    /// Cluster mode: new leaders this replica started following.
    pub cluster_leader_changes: IntCounter,
    /// Cluster mode: NATS publishes that failed (market events dropped, account events
    /// retried).
    pub cluster_publish_errors: IntCounter,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // Only fails for invalid names or duplicate registration: fixed at compile time here.
    r.unwrap_or_else(|e| unreachable!("metric definition: {e}"))
}

impl Metrics {
    /// A fresh registry with every desk metric registered.
    pub fn new() -> Arc<Metrics> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = must(IntCounter::new(name, help));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = must(IntGauge::new(name, help));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let upstream_disconnects = must(IntCounterVec::new(
            Opts::new(
                "desk_upstream_disconnects_total",
                "Upstream connections ended, by reason",
            ),
            &["reason"],
        ));
        must(registry.register(Box::new(upstream_disconnects.clone())));
        let upstream_resubscribes = must(IntCounterVec::new(
            Opts::new(
                "desk_upstream_resubscribes_total",
                "Upstream subscriptions subscribed again after a terminal error, by code",
            ),
            &["code"],
        ));
        must(registry.register(Box::new(upstream_resubscribes.clone())));
        let exposure_reads = must(IntCounterVec::new(
            Opts::new(
                "desk_exposure_reads_total",
                "Position-limit exposure reads by source (memory, rest_seed, rest_confirm)",
            ),
            &["source"],
        ));
        must(registry.register(Box::new(exposure_reads.clone())));
        let session_queue_depth = must(Histogram::with_opts(
            HistogramOpts::new(
                "desk_session_queue_depth",
                "Fan-out events queued for a session when it reads one",
            )
            .buckets(vec![0.0, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0]),
        ));
        must(registry.register(Box::new(session_queue_depth.clone())));
        let rest_latency = must(HistogramVec::new(
            HistogramOpts::new(
                "desk_rest_latency_seconds",
                "Kalshi REST latency by operation and status",
            )
            .buckets(prometheus::exponential_buckets(0.001, 2.0, 14).unwrap_or_default()),
            &["operation", "status"],
        ));
        must(registry.register(Box::new(rest_latency.clone())));
        let signing_seconds = must(Histogram::with_opts(
            HistogramOpts::new("desk_signing_seconds", "Time to sign one request")
                .buckets(prometheus::exponential_buckets(0.0001, 2.0, 12).unwrap_or_default()),
        ));
        must(registry.register(Box::new(signing_seconds.clone())));
        Arc::new(Metrics {
            upstream_state: gauge(
                "desk_upstream_state",
                "Upstream socket state: 0 down, 1 connecting, 2 live",
            ),
            upstream_connects: counter(
                "desk_upstream_connects_total",
                "Upstream connections established",
            ),
            upstream_disconnects,
            upstream_resubscribes,
            exposure_reads,
            directory_markets: gauge(
                "desk_directory_markets",
                "Open markets in the finder's directory (0 until its first read)",
            ),
            frames_in: counter("desk_upstream_frames_in_total", "Upstream frames received"),
            frames_out: counter("desk_browser_frames_out_total", "Frames sent to browsers"),
            sessions: gauge("desk_browser_sessions", "Open browser sessions"),
            session_watchers: gauge(
                "desk_session_watchers",
                "Running session watchers (one per upgraded socket)",
            ),
            session_queue_depth,
            conflations: counter(
                "desk_conflations_total",
                "Sessions that fell behind and got fresh snapshots",
            ),
            seq_gaps: counter("desk_seq_gaps_total", "Sequence gaps on book sids"),
            malformed_frames: counter(
                "desk_upstream_malformed_frames_total",
                "Malformed upstream frames",
            ),
            rest_latency,
            rest_429: counter("desk_rest_429_total", "Kalshi REST answers with status 429"),
            signing_seconds,
            fills_reconciled: counter(
                "desk_fills_reconciled_total",
                "Fills recovered over REST after a reconnect",
            ),
            cluster_leader: gauge(
                "desk_cluster_leader",
                "1 while this replica holds the upstream socket",
            ),
            cluster_terms: counter("desk_cluster_terms_total", "Terms this replica has led"),
            cluster_leader_changes: counter(
                "desk_cluster_leader_changes_total",
                "New cluster leaders this replica started following",
            ),
            cluster_publish_errors: counter(
                "desk_cluster_publish_errors_total",
                "NATS publishes that failed",
            ),
            registry,
        })
    }

    /// Records one REST call.
    pub fn observe_rest(&self, operation: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.rest_latency
            .with_label_values(&[operation, status.as_str()])
            .observe(elapsed.as_secs_f64());
        if status == "429" {
            self.rest_429.inc();
        }
    }

    /// Everything in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
