//! Start-up: resolve the upstream, start the built-in exchange when needed, wire the hub,
//! the upstream task and the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use shared::num::Dollars;
use shared::protocol::Environment;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a stop waits for socket sessions and side tasks to end.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

use secrecy::ExposeSecret as _;

use crate::config::{Config, Upstream};
use crate::http::auth::AuthPolicy;
use crate::http::{self, AppState};
use crate::kalshi::client::KalshiClient;
use crate::kalshi::signer::{PrivateKey, Signer};
use crate::kalshi::upstream::{self, UpstreamConfig};
use crate::live::hub::Hub;
use crate::team::auth::{Bootstrap, LoginLimiter};
use crate::team::store::Store;
use kalshi_sim::{SimConfig, SimExchange};

/// A built, bound desk, ready to run.
pub struct Application {
    login_link: Option<String>,
    listener: TcpListener,
    /// `/metrics` on its own address (`DESK_METRICS_LISTEN`).
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    port: u16,
    sim: Option<SimExchange>,
    hub: Hub,
    store: Store,
    bootstrap: Bootstrap,
    shutdown: CancellationToken,
    /// Every socket session and side task (the upstream, watchers, rules): a stop closes
    /// it and waits, at most [`STOP_GRACE`].
    tasks: TaskTracker,
    is_leader: Option<tokio::sync::watch::Receiver<bool>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Generates the throwaway RSA key the desk uses on the built-in exchange.
/// Asks the exchange whether a market exists (`GetMarket`): 404 is no, any other failure
/// is "could not tell".
fn market_check(kalshi: KalshiClient) -> crate::live::hub::MarketCheck {
    Arc::new(move |ticker| {
        let kalshi = kalshi.clone();
        Box::pin(async move {
            let path = shared::api::ops::GetMarketPath { ticker };
            match kalshi
                .send::<shared::api::ops::GetMarket>(&path, &shared::api::NoQuery {}, None)
                .await
            {
                Ok(_) => Some(true),
                Err(crate::kalshi::client::KalshiError::Status { status, .. })
                    if status == reqwest::StatusCode::NOT_FOUND =>
                {
                    Some(false)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not check that a market exists");
                    None
                }
            }
        })
    })
}

fn throwaway_key() -> anyhow::Result<PrivateKey> {
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
        .map(PrivateKey::Rsa)
        .context("generating the built-in exchange key")
}

impl Application {
    /// Resolves the configuration, starts the built-in exchange if no Kalshi key is
    /// configured, binds the desk's port and starts the upstream socket task.
    ///
    /// # Errors
    /// Bad configuration, an unreadable key, or a port that cannot be bound.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let store = Store::connect(config.team.db_url.expose_secret())
            .await
            .context("opening the desk database (DESK_DB_URL)")?;
        tracing::info!(kind = store.kind(), "desk database open");
        let policy = AuthPolicy {
            cookie_secure: config.team.cookie_secure,
            allowed_origins: config.team.allowed_origins.clone().into(),
            idle_ms: i64::try_from(config.team.session_idle_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            max_ms: i64::try_from(config.team.session_max_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            bootstrap: Bootstrap::default(),
            limiter: LoginLimiter::default(),
        };
        let bootstrap_token = if store
            .user_count()
            .await
            .context("reading the users table")?
            == 0
        {
            Some(policy.bootstrap.arm())
        } else {
            None
        };
        let cluster = config.cluster.resolve();
        if cluster.is_some() {
            anyhow::ensure!(
                store.kind() == "postgres",
                "cluster mode (DESK_NATS_URL) needs the replicas' shared PostgreSQL store: \
                 set DESK_DB_URL=postgres://…"
            );
            anyhow::ensure!(
                !matches!(config.upstream()?, Upstream::Sim { .. })
                    || (config.rest_url.is_some() && config.ws_url.is_some()),
                "cluster mode (DESK_NATS_URL) needs one upstream for every replica: Kalshi, or \
                 an external built-in exchange (`kalshi-desk sim`, with KALSHI_ENV=sim, the key \
                 and both KALSHI_REST_URL and KALSHI_WS_URL)"
            );
        }
        let (environment, rest_url, ws_url, signer, sim) = match config.upstream()? {
            Upstream::Kalshi {
                environment,
                rest_url,
                ws_url,
                key_id,
                key_path,
            } => {
                let signer = Signer::from_pem_file(key_id, &key_path)
                    .context("loading the Kalshi API key")?;
                tracing::info!(?environment, %rest_url, "trading on Kalshi");
                (environment, rest_url, ws_url, signer, None)
            }
            // A built-in exchange someone else started (e.g. two desks trading with each
            // other in a test): `KALSHI_ENV=sim` + key + both URL overrides.
            Upstream::Sim {
                key: Some((key_id, path)),
            } if config.rest_url.is_some() && config.ws_url.is_some() => {
                let key = crate::kalshi::signer::load_private_key(&path)
                    .context("loading the API key")?;
                let rest_url = config.rest_url.clone().unwrap_or_default();
                let ws_url = config.ws_url.clone().unwrap_or_default();
                tracing::warn!(%rest_url, "trading on an EXTERNAL simulated exchange (paper trading, not Kalshi)");
                (
                    Environment::Sim,
                    rest_url,
                    ws_url,
                    Signer::from_key(key_id, key),
                    None,
                )
            }
            Upstream::Sim { key } => {
                tracing::warn!(
                    "running on the BUILT-IN SIMULATED EXCHANGE (paper trading, not Kalshi)"
                );
                let (key_id, key) = match key {
                    Some((key_id, path)) => (
                        key_id,
                        crate::kalshi::signer::load_private_key(&path)
                            .context("loading the API key")?,
                    ),
                    None => (
                        format!("desk-{}", uuid::Uuid::new_v4()),
                        tokio::task::spawn_blocking(throwaway_key)
                            .await
                            .context("key generation task")??,
                    ),
                };
                let listener = TcpListener::bind((std::net::IpAddr::from([127, 0, 0, 1]), 0))
                    .await
                    .context("binding the built-in exchange")?;
                let sim = SimExchange::start(
                    SimConfig {
                        keys: vec![(key_id.clone(), key.public_key())],
                        flow_per_sec: config.sim_flow,
                        seed: config.sim_seed,
                        starting_balance: Dollars::from_int(10_000),
                        max_clock_skew_ms: 30_000,
                        usage_tier: kalshi_sim::UsageTier::BASIC,
                        markets: config.sim_markets,
                    },
                    listener,
                )
                .await
                .context("starting the built-in exchange")?;
                let port = sim.port();
                tracing::info!(port, "built-in exchange listening on 127.0.0.1");
                (
                    Environment::Sim,
                    format!("http://127.0.0.1:{port}/trade-api/v2"),
                    format!("ws://127.0.0.1:{port}/trade-api/ws/v2"),
                    Signer::from_key(key_id, key),
                    Some(sim),
                )
            }
        };
        let (hub, commands) = Hub::new(environment);
        let kalshi = KalshiClient::new(&rest_url, signer.clone())?
            .with_observability(hub.metrics().clone(), Arc::default())
            .with_audit(store.clone());
        hub.set_max_markets(config.max_markets);
        hub.set_market_check(market_check(kalshi.clone()));
        {
            let kalshi = kalshi.clone();
            tasks.spawn(async move { kalshi.load_budget().await });
        }
        let upstream_config = UpstreamConfig {
            ws_url,
            signer,
            receive_timeout: Duration::from_millis(config.upstream_receive_timeout_ms.max(100)),
            kalshi: Some(kalshi.clone()),
            takeover: None,
        };
        let is_leader = match cluster {
            // A replica: the elected leader runs the upstream (and the RFQ quote watch);
            // every replica's hub is fed from NATS.
            Some(cluster) => {
                let handle = crate::live::cluster::start(
                    cluster,
                    hub.clone(),
                    commands,
                    upstream_config,
                    kalshi.clone(),
                    shutdown.clone(),
                )
                .await?;
                let replica = handle.task;
                tasks.spawn(async move {
                    let _ = replica.await;
                });
                Some(handle.is_leader)
            }
            None => {
                tasks.spawn(upstream::run(
                    upstream_config,
                    hub.clone(),
                    commands,
                    shutdown.clone(),
                ));
                tasks.spawn(crate::rfq::watch::run(
                    hub.clone(),
                    kalshi.clone(),
                    shutdown.clone(),
                ));
                None
            }
        };
        tasks.spawn(crate::live::exchange_watch::run(
            hub.clone(),
            kalshi.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(crate::live::directory::run(
            hub.directory().clone(),
            kalshi.clone(),
            shutdown.clone(),
        ));
        match store.halts().await {
            Ok(halts) => hub.set_halts(halts),
            Err(err) => tracing::warn!(error = %err, "could not read the halts at start"),
        }
        tasks.spawn(crate::team::halts::watch(
            hub.clone(),
            store.clone(),
            shutdown.clone(),
        ));
        let gate = crate::team::limits::Gate::default();
        let rfq_rules = crate::rfq::rules::RfqRules::new(
            hub.clone(),
            kalshi.clone(),
            store.clone(),
            gate.clone(),
        );
        tasks.spawn(rfq_rules.clone().run(shutdown.clone(), is_leader.clone()));
        tasks.spawn(crate::team::pnl_history::backfill(
            kalshi.clone(),
            store.clone(),
            shutdown.clone(),
        ));
        let alerts = crate::alerts::Alerts::new(hub.clone(), store.clone())?;
        tasks.spawn(alerts.clone().run(shutdown.clone(), is_leader.clone()));
        let bootstrap = policy.bootstrap.clone();
        let state = AppState {
            hub: hub.clone(),
            rfq_rules: rfq_rules.clone(),
            alerts,
            kalshi,
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
            store: store.clone(),
            auth: policy,
            gate,
            sockets: http::stream::SocketSlots::new(config.max_sockets_per_session),
        };
        if !config.dist.join("index.html").exists() {
            tracing::warn!(dist = %config.dist.display(), "no built frontend found; run the README's run command (it builds dist/)");
        }
        let router = http::router(state, &config.dist, config.metrics_listen.is_some());
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics address {addr}"))?,
            ),
            None => None,
        };
        let listener = TcpListener::bind(SocketAddr::new(config.listen, config.port))
            .await
            .with_context(|| format!("binding {}:{}", config.listen, config.port))?;
        let port = listener.local_addr()?.port();
        let login_link = bootstrap_token.map(|token| login_link(config.listen, port, &token));
        Ok(Application {
            login_link,
            listener,
            metrics_listener,
            router,
            port,
            sim,
            hub,
            store,
            bootstrap,
            shutdown,
            tasks,
            is_leader,
        })
    }

    /// Cluster mode: whether this replica holds the upstream socket now (`None`: a
    /// single desk, which always does).
    pub fn is_leader(&self) -> Option<bool> {
        self.is_leader.as_ref().map(|rx| *rx.borrow())
    }

    /// Cluster mode: a receiver of this replica's leadership changes.
    pub fn watch_leadership(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        self.is_leader.clone()
    }

    /// The first-run login link, `http://HOST:PORT/?token=…`, while the desk has no users:
    /// it opens the login page with the one-time bootstrap token filled in. For the person
    /// starting the desk (printed, never logged).
    pub fn login_link(&self) -> Option<&str> {
        self.login_link.as_deref()
    }

    /// The desk's HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where `/metrics` is served when it has its own address.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The built-in exchange's port, when running on it.
    pub fn sim_port(&self) -> Option<u16> {
        self.sim.as_ref().map(SimExchange::port)
    }

    /// The built-in exchange, when running on it (tests inspect and steer it).
    pub fn sim(&self) -> Option<SimExchange> {
        self.sim.clone()
    }

    /// The live hub (tests compare its books with the exchange's).
    pub fn hub(&self) -> Hub {
        self.hub.clone()
    }

    /// The desk's database (tests add users through it).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// Replaces the first-run bootstrap token (when the desk has no users) with a fresh
    /// one and returns it: for an embedding program or a test, which cannot read the
    /// token printed at start. `None` once users exist.
    pub async fn rearm_bootstrap(&self) -> anyhow::Result<Option<String>> {
        if self.store.user_count().await? != 0 {
            return Ok(None);
        }
        Ok(Some(self.bootstrap.arm()))
    }

    /// A token that stops the desk when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The socket sessions and side tasks the desk runs. Once [`Self::run_until_stopped`]
    /// has returned it is closed and, unless a task outlived [`STOP_GRACE`], empty.
    pub fn tasks(&self) -> TaskTracker {
        self.tasks.clone()
    }

    /// Serves until the shutdown token fires or Ctrl-C, then stops: every socket session
    /// ends (its browser gets a close frame), the side tasks end, and this returns once
    /// they all have (at most [`STOP_GRACE`] later; a task still running then is logged).
    ///
    /// # Errors
    /// If the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let signal = async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                _ = tokio::signal::ctrl_c() => { shutdown.cancel(); }
            }
        };
        if let Some(listener) = self.metrics_listener {
            let router = http::metrics_router(self.hub.clone());
            let stop = self.shutdown.clone();
            self.tasks.spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "serving /metrics failed");
                }
            });
        }
        axum::serve(
            crate::http::low_latency(self.listener),
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await
        .context("serving HTTP")?;
        self.shutdown.cancel();
        self.tasks.close();
        if tokio::time::timeout(STOP_GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                running = self.tasks.len(),
                "tasks still running after the stop's grace period"
            );
        }
        if let Some(sim) = &self.sim {
            sim.shutdown();
        }
        Ok(())
    }
}

/// The first-run login link: `http://HOST:PORT/?token=TOKEN`, with a loopback host when the
/// desk listens on every address (the person starting it is on this machine).
fn login_link(listen: std::net::IpAddr, port: u16, token: &str) -> String {
    let host = if listen.is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        listen
    };
    let addr = SocketAddr::new(host, port);
    format!("http://{addr}/?token={token}")
}

#[cfg(test)]
mod tests {
    use super::login_link;

    #[test]
    fn the_login_link_names_a_reachable_host() {
        let any4 = std::net::IpAddr::from([0, 0, 0, 0]);
        assert_eq!(
            login_link(any4, 8080, "t0k"),
            "http://127.0.0.1:8080/?token=t0k"
        );
        let v6: std::net::IpAddr = "::1".parse().unwrap();
        assert_eq!(login_link(v6, 80, "t"), "http://[::1]:80/?token=t");
        let lan = std::net::IpAddr::from([10, 0, 0, 5]);
        assert_eq!(login_link(lan, 8080, "t"), "http://10.0.0.5:8080/?token=t");
    }
}
