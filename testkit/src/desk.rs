//! A desk replica in a runtime of its own that a test can kill abruptly (no lease released,
//! no goodbye), as a crashed process would be; and a user logged in over HTTP, for benches
//! that drive a desk as the browser does.

use anyhow::Context as _;
use desk_backend::live::hub::Hub;
use desk_backend::team::store::Store;
use desk_backend::{Application, Config};
use tokio::sync::watch;

/// One desk replica in a runtime of its own.
pub struct Replica {
    /// Its HTTP port.
    pub port: u16,
    /// Its live hub.
    pub hub: Hub,
    /// Its database handle.
    pub store: Store,
    leader: Option<watch::Receiver<bool>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// Builds and starts a desk from `config` on a fresh two-thread runtime.
    ///
    /// # Errors
    /// When the desk does not build.
    pub async fn start(config: Config) -> anyhow::Result<Replica> {
        tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("replica runtime")?;
            let app = match runtime.block_on(Application::build(config)) {
                Ok(app) => app,
                Err(err) => {
                    runtime.shutdown_background();
                    return Err(err);
                }
            };
            let (port, hub, store) = (app.port(), app.hub(), app.store());
            let leader = app.watch_leadership();
            runtime.spawn(app.run_until_stopped());
            Ok(Replica {
                port,
                hub,
                store,
                leader,
                runtime: Some(runtime),
            })
        })
        .await
        .context("replica start task")?
    }

    /// Whether it holds the upstream socket now.
    pub fn is_leader(&self) -> bool {
        self.leader.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Stops it abruptly: every task dropped, sockets closed by the OS, the lease left
    /// to expire (a crash, not a shutdown).
    pub fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A user logged in through `POST /api/login`.
#[derive(Clone, Debug)]
pub struct LoggedIn {
    /// Sends the session cookie and the CSRF header on every request.
    pub http: reqwest::Client,
    /// The session cookie (`name=value`), for a `/ws` upgrade.
    pub cookie: String,
}

/// Adds `username` (with `role` and `limits`) to `store` and logs in at `base`
/// (`http://host:port`).
///
/// # Errors
/// The store's, a refused login, or an answer without a cookie or CSRF token.
pub async fn log_in_new_user(
    store: &Store,
    base: &str,
    username: &str,
    role: shared::auth::Role,
    limits: &shared::auth::UserLimits,
) -> anyhow::Result<LoggedIn> {
    let password = "correct-horse-battery";
    desk_backend::team::auth::add_user(
        store,
        username,
        secrecy::SecretString::from(password),
        role,
        limits,
    )
    .await
    .context("add the user")?;
    log_in(base, username, password).await
}

/// Logs `username` in through `POST /api/login` on the desk at `base`.
///
/// # Errors
/// A refused login, or an answer without a cookie or CSRF token.
pub async fn log_in(base: &str, username: &str, password: &str) -> anyhow::Result<LoggedIn> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .context("login")?
        .error_for_status()
        .context("login refused")?;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?
        .to_owned();
    let session: shared::auth::SessionView = resp.json().await.context("session body")?;
    let csrf = session.csrf_token.context("no CSRF token")?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.parse().context("cookie header")?);
    headers.insert("x-csrf-token", csrf.parse().context("csrf header")?);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .context("client")?;
    Ok(LoggedIn { http, cookie })
}

/// A desk on a built-in exchange of its own beside a second account a client signs for
/// directly (to compare the desk with the exchange itself), running until `stop`.
pub struct DeskBeside {
    /// The exchange (no background flow).
    pub sim: kalshi_sim::SimExchange,
    /// The desk's HTTP port.
    pub port: u16,
    /// The desk's hub.
    pub hub: Hub,
    /// The desk's database.
    pub store: Store,
    /// Cancels the desk.
    pub stop: tokio_util::sync::CancellationToken,
    /// A signed client of the second account, straight to the exchange.
    pub direct: desk_backend::kalshi::client::KalshiClient,
    _keys: tempfile::TempDir,
}

impl DeskBeside {
    /// Starts the exchange with accounts `desk_id` and `direct_id` (throwaway RSA keys,
    /// $100,000 each, `seed`), lets `prepare` adjust it, then starts the desk on `desk_id`
    /// and waits until its upstream socket is live.
    ///
    /// # Errors
    /// When the exchange or the desk does not start, or the upstream is not live in 20 s.
    pub async fn start(
        desk_id: &str,
        direct_id: &str,
        seed: u64,
        prepare: impl FnOnce(&kalshi_sim::SimExchange),
    ) -> anyhow::Result<DeskBeside> {
        let keys = tempfile::tempdir().context("key dir")?;
        let (desk_key, direct_key) = (crate::TestKey::rsa(), crate::TestKey::rsa());
        let desk_pem = desk_key.write(keys.path(), "desk.pem");
        let direct_pem = direct_key.write(keys.path(), "direct.pem");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind")?;
        let sim = kalshi_sim::SimExchange::start(
            kalshi_sim::SimConfig {
                keys: vec![
                    (desk_id.to_owned(), desk_key.sim_public_key()),
                    (direct_id.to_owned(), direct_key.sim_public_key()),
                ],
                flow_per_sec: 0,
                seed,
                starting_balance: shared::num::Dollars::from_int(100_000),
                max_clock_skew_ms: 30_000,
                usage_tier: kalshi_sim::UsageTier::BASIC,
                markets: 0,
            },
            listener,
        )
        .await?;
        prepare(&sim);
        let rest = format!("http://127.0.0.1:{}/trade-api/v2", sim.port());
        let mut config = Config::for_tests(std::path::PathBuf::from("/nonexistent-dist"));
        config.api_key_id = Some(desk_id.to_owned());
        config.private_key_path = Some(desk_pem);
        config.rest_url = Some(rest.clone());
        config.ws_url = Some(format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port()));
        let app = Application::build(config).await?;
        let (port, hub, store, stop) = (app.port(), app.hub(), app.store(), app.shutdown_token());
        tokio::spawn(app.run_until_stopped());
        crate::try_eventually(
            "the desk's upstream",
            std::time::Duration::from_secs(20),
            || {
                let hub = hub.clone();
                async move {
                    (hub.upstream_state() == shared::protocol::UpstreamState::Live).then_some(())
                }
            },
        )
        .await?;
        let key = desk_backend::kalshi::signer::load_private_key(&direct_pem)
            .context("the direct key")?;
        let direct = desk_backend::kalshi::client::KalshiClient::new(
            &rest,
            desk_backend::kalshi::signer::Signer::from_key(direct_id, key),
        )
        .context("the direct client")?;
        Ok(DeskBeside {
            sim,
            port,
            hub,
            store,
            stop,
            direct,
            _keys: keys,
        })
    }
}
