//! Command line and environment configuration (clap derive, every flag also an env var).
//!
//! `kalshi-desk serve` runs the desk; `kalshi-desk sim` runs the built-in exchange alone.
//! With no Kalshi key configured the desk runs on the built-in exchange and says so.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use shared::auth::Role;
use shared::protocol::Environment;

/// Kalshi Desk: a trading desk for Kalshi, with a built-in simulated exchange.
#[derive(Debug, Parser)]
#[command(name = "kalshi-desk", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start
pub enum Command {
    /// Run the desk (web UI + API); on the built-in exchange unless a Kalshi key is set.
    Serve(Config),
    /// Run the built-in simulated exchange alone, for any Kalshi client.
    Sim(SimArgs),
    /// Manage the desk's users (e.g. the first admin) directly in its database.
    User(UserArgs),
    /// Check the desk's audit log.
    Audit(AuditArgs),
    /// Write brotli (`.br`) and gzip (`.gz`) forms beside the built frontend's wasm,
    /// JavaScript and CSS, which the desk then serves to browsers that accept them (the
    /// README's commands run it after `trunk build`).
    Precompress(PrecompressArgs),
}

/// `kalshi-desk precompress`.
#[derive(Debug, Clone, Args)]
pub struct PrecompressArgs {
    /// The built frontend.
    #[arg(long, default_value = "dist")]
    pub dist: PathBuf,
}

/// `kalshi-desk audit …`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The desk's database (the same URL `serve` uses).
    #[arg(long, env = "DESK_DB_URL", default_value = "sqlite://desk.db", value_parser = parse_secret)]
    pub db_url: SecretString,
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// Audit log commands.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; report the first record that does not fit
    /// (exit status 1) or how many records it checked.
    Verify,
}

/// `kalshi-desk user …`.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    /// The desk's database (the same URL `serve` uses).
    #[arg(long, env = "DESK_DB_URL", default_value = "sqlite://desk.db", value_parser = parse_secret)]
    pub db_url: SecretString,
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// User management commands.
#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from `DESK_USER_PASSWORD` if set, else from the
    /// first line of stdin (never from the command line, which other users can see).
    Add {
        /// Login name: 1–64 of a-z, 0-9, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// Role: viewer, trader, rfq-maker or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the users (name, role, disabled).
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}: viewer, trader, rfq-maker or admin"))
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(s.to_owned()))
}

/// The team desk's settings: database, cookies, origins, session lifetime.
#[derive(Debug, Clone, Args)]
pub struct TeamConfig {
    /// The desk's database: `sqlite://PATH` (created if missing), `sqlite::memory:` or
    /// `postgres://user@host/db`. May hold a password, so it is never logged.
    #[arg(long, env = "DESK_DB_URL", default_value = "sqlite://desk.db", value_parser = parse_secret)]
    pub db_url: SecretString,
    /// Mark the session cookie `Secure` (set this behind a TLS reverse proxy).
    #[arg(long, env = "DESK_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,
    /// Origins allowed besides the request's own host (e.g. `https://desk.example.com`
    /// behind a proxy that rewrites Host); comma-separated in the environment.
    #[arg(
        long = "allowed-origin",
        env = "DESK_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// A session ends after this many seconds without a request.
    #[arg(long, env = "DESK_SESSION_IDLE_SECS", default_value_t = 12 * 3600)]
    pub session_idle_secs: u64,
    /// A session ends this many seconds after login, however busy.
    #[arg(long, env = "DESK_SESSION_MAX_SECS", default_value_t = 12 * 3600)]
    pub session_max_secs: u64,
}

/// Which Kalshi to trade on (`KALSHI_ENV`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KalshiEnv {
    /// `https://external-api.kalshi.com` — real money.
    Prod,
    /// `https://external-api.demo.kalshi.co` — Kalshi's demo.
    Demo,
    /// The built-in simulated exchange.
    Sim,
}

/// Configuration of `kalshi-desk serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on. Keep loopback unless behind a TLS reverse proxy.
    #[arg(long, env = "DESK_LISTEN", default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// Port of the web UI and API (0 = any free port).
    #[arg(long, env = "DESK_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Directory of the built frontend (`trunk build --release` output).
    #[arg(long, env = "DESK_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Kalshi environment. Required with a key; without a key the desk runs `sim`.
    #[arg(long = "env", env = "KALSHI_ENV", value_enum)]
    pub kalshi_env: Option<KalshiEnv>,
    /// Kalshi API key id.
    #[arg(long, env = "KALSHI_API_KEY_ID")]
    pub api_key_id: Option<String>,
    /// Path of the API key's private key: RSA (PKCS#1 or PKCS#8 PEM) or Ed25519 (PKCS#8 PEM).
    #[arg(long, env = "KALSHI_PRIVATE_KEY_PATH")]
    pub private_key_path: Option<PathBuf>,
    /// Override the REST base URL (ends in `/trade-api/v2`).
    #[arg(long, env = "KALSHI_REST_URL")]
    pub rest_url: Option<String>,
    /// Override the WebSocket URL (ends in `/trade-api/ws/v2`).
    #[arg(long, env = "KALSHI_WS_URL")]
    pub ws_url: Option<String>,
    /// Built-in exchange: background participant events per second.
    #[arg(long, env = "DESK_SIM_FLOW", default_value_t = 20)]
    pub sim_flow: u32,
    /// Built-in exchange: RNG seed (fixed seeds make runs repeatable).
    #[arg(long, env = "DESK_SIM_SEED", default_value_t = 7)]
    pub sim_seed: u64,
    /// Built-in exchange: generated markets beside its own (a Kalshi-sized universe of
    /// weather, financial, economic, game and combo markets; e.g. 50000).
    #[arg(long, env = "DESK_SIM_MARKETS", default_value_t = 0)]
    pub sim_markets: usize,
    /// Upstream receive timeout, milliseconds: no data frame for this long (pings do not
    /// count) and the socket is replaced.
    #[arg(
        long,
        env = "DESK_UPSTREAM_RECEIVE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub upstream_receive_timeout_ms: u64,
    /// Most distinct markets the desk watches at once over every session (each is one
    /// upstream order book subscription); a session asking for one more is refused.
    #[arg(long, env = "DESK_MAX_MARKETS", default_value_t = crate::live::hub::MAX_MARKETS)]
    pub max_markets: usize,
    /// Most sockets (tabs) one login session may hold open.
    #[arg(
        long,
        env = "DESK_MAX_SOCKETS_PER_SESSION",
        default_value_t = crate::http::stream::MAX_SOCKETS_PER_SESSION
    )]
    pub max_sockets_per_session: usize,
    /// Serve `/metrics` on this loopback address (e.g. `127.0.0.1:9464`) instead of the
    /// desk's port, which then answers it 404. A non-loopback address is refused.
    #[arg(long, env = "DESK_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Users, sessions, audit log.
    #[command(flatten)]
    pub team: TeamConfig,
    /// Several replicas behind one upstream socket (NATS).
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Cluster mode: several desk replicas share one Kalshi socket through NATS
/// ([`crate::live::cluster`]). Without `--nats-url` the desk is a single process (the default).
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// NATS server with JetStream, e.g. `nats://127.0.0.1:4222`; setting it turns cluster
    /// mode on. Every replica needs the same key, the same PostgreSQL `DESK_DB_URL` and an
    /// upstream of its own to sign for (Kalshi, or an external `kalshi-desk sim`).
    /// May hold credentials (`nats://user:pass@host`), so it is never logged.
    #[arg(long, env = "DESK_NATS_URL", value_parser = parse_secret)]
    pub nats_url: Option<SecretString>,
    /// Cluster name (1–32 of A-Z a-z 0-9 _ -): replicas with the same name form one desk.
    #[arg(long = "cluster", env = "DESK_CLUSTER", default_value = "desk")]
    pub name: String,
    /// This replica's name in the cluster (default: `replica-` and 8 random hex digits).
    #[arg(long, env = "DESK_REPLICA_ID")]
    pub replica_id: Option<String>,
    /// Leader lease, milliseconds: a replica that stops is replaced within about this long.
    #[arg(long, env = "DESK_LEASE_MS", default_value_t = 5000)]
    pub lease_ms: u64,
}

impl ClusterArgs {
    /// The cluster configuration, when cluster mode is on.
    pub fn resolve(&self) -> Option<crate::live::cluster::ClusterConfig> {
        use secrecy::ExposeSecret as _;
        let nats_url = self
            .nats_url
            .clone()
            .filter(|u| !u.expose_secret().trim().is_empty())?;
        Some(crate::live::cluster::ClusterConfig {
            nats_url,
            name: self.name.clone(),
            replica_id: self.replica_id.clone().unwrap_or_else(|| {
                format!(
                    "replica-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                )
            }),
            lease: std::time::Duration::from_millis(self.lease_ms),
        })
    }
}

/// Configuration of `kalshi-desk sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// Port (0 = any free port; the chosen one is printed).
    #[arg(long, default_value_t = 8090)]
    pub port: u16,
    /// A registered API key: `KEY_ID=path/to/public.pem`, RSA or Ed25519 (repeatable).
    #[arg(long = "key", value_parser = parse_key_arg)]
    pub keys: Vec<(String, PathBuf)>,
    /// Background participant events per second.
    #[arg(long, default_value_t = 20)]
    pub flow: u32,
    /// RNG seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Generated markets beside the exchange's own: a Kalshi-sized universe of series,
    /// events, plain and combo markets (e.g. 50000).
    #[arg(long, default_value_t = 0)]
    pub markets: usize,
    /// Serve the fault-injection API (`POST /faults`, see `docs/built-in-exchange.md`) on this port of
    /// 127.0.0.1 (always loopback, whatever `--listen` says).
    #[arg(long)]
    pub fault_admin_port: Option<u16>,
    /// Every account's API usage tier, which sizes its rate limits (`GetAccountApiLimits`):
    /// basic (Kalshi's default: 200 read / 100 write tokens a second), advanced, expert,
    /// premier, paragon, prime or prestige.
    #[arg(long, default_value = "basic", value_parser = parse_tier)]
    pub usage_tier: kalshi_sim::UsageTier,
}

fn parse_tier(s: &str) -> Result<kalshi_sim::UsageTier, String> {
    kalshi_sim::UsageTier::named(s).ok_or_else(|| {
        let names: Vec<&str> = kalshi_sim::UsageTier::ALL.iter().map(|t| t.name).collect();
        format!("unknown usage tier {s:?} (one of {})", names.join(", "))
    })
}

fn parse_key_arg(s: &str) -> Result<(String, PathBuf), String> {
    let (id, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KEY_ID=path, got {s:?}"))?;
    if id.is_empty() || path.is_empty() {
        return Err(format!("expected KEY_ID=path, got {s:?}"));
    }
    Ok((id.to_owned(), PathBuf::from(path)))
}

/// Where the desk's upstream is, after resolving the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Real Kalshi (prod or demo) with the configured key.
    Kalshi {
        /// Prod or demo.
        environment: Environment,
        /// REST base, ending in `/trade-api/v2`.
        rest_url: String,
        /// WebSocket URL.
        ws_url: String,
        /// Key id.
        key_id: String,
        /// Private key file.
        key_path: PathBuf,
    },
    /// The built-in exchange, started in-process. It registers the configured key when
    /// one is given (`KALSHI_ENV=sim` with a key), else a throwaway key made at start.
    Sim {
        /// Key id and private key file, if configured.
        key: Option<(String, PathBuf)>,
    },
}

/// A configuration that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Key id without key file or the other way round.
    #[error("set both KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH, or neither (to run on the built-in exchange)")]
    HalfAKey,
    /// A key but no environment: no silent default between real money and demo.
    #[error(
        "a Kalshi key is configured but KALSHI_ENV is not: set KALSHI_ENV=prod or KALSHI_ENV=demo"
    )]
    EnvRequired,
    /// prod/demo asked for without a key.
    #[error("KALSHI_ENV={0:?} needs KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH")]
    KeyRequired(KalshiEnv),
    /// A URL override that points at another environment than `KALSHI_ENV` says (say,
    /// `KALSHI_ENV=sim` with a Kalshi host): the label on every screen would lie.
    #[error("KALSHI_ENV={env:?} but {url} is Kalshi's {host_env:?} host: the label must match where orders go")]
    EnvMismatch {
        /// What `KALSHI_ENV` says.
        env: KalshiEnv,
        /// The override.
        url: String,
        /// Whose host it is.
        host_env: Environment,
    },
    /// `DESK_METRICS_LISTEN` on an address other machines can reach.
    #[error("DESK_METRICS_LISTEN={0} is not a loopback address")]
    MetricsNotLoopback(std::net::SocketAddr),
}

/// Whose host `url` is: Kalshi's production (`kalshi.com`), its demo (`kalshi.co`), or
/// neither (`None`: the built-in exchange, a proxy, …).
pub fn kalshi_host(url: &str) -> Option<Environment> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if under("kalshi.com") {
        Some(Environment::Prod)
    } else if under("kalshi.co") {
        Some(Environment::Demo)
    } else {
        None
    }
}

impl Config {
    /// Resolves where the desk trades.
    ///
    /// # Errors
    /// [`ConfigError`] for half-configured keys or a key without `KALSHI_ENV`.
    pub fn upstream(&self) -> Result<Upstream, ConfigError> {
        let key = match (&self.api_key_id, &self.private_key_path) {
            (Some(id), Some(path)) => Some((id.clone(), path.clone())),
            (None, None) => None,
            _ => return Err(ConfigError::HalfAKey),
        };
        let env = self.kalshi_env.unwrap_or(KalshiEnv::Sim);
        let wanted = match env {
            KalshiEnv::Prod => Some(Environment::Prod),
            KalshiEnv::Demo => Some(Environment::Demo),
            KalshiEnv::Sim => None,
        };
        if let Some(addr) = self.metrics_listen.filter(|a| !a.ip().is_loopback()) {
            return Err(ConfigError::MetricsNotLoopback(addr));
        }
        for url in [&self.rest_url, &self.ws_url].into_iter().flatten() {
            if let Some(host_env) = kalshi_host(url) {
                if Some(host_env) != wanted {
                    return Err(ConfigError::EnvMismatch {
                        env,
                        url: url.clone(),
                        host_env,
                    });
                }
            }
        }
        match (self.kalshi_env, key) {
            (None | Some(KalshiEnv::Sim), None) => Ok(Upstream::Sim { key: None }),
            (Some(KalshiEnv::Sim), Some(key)) => Ok(Upstream::Sim { key: Some(key) }),
            (None, Some(_)) => Err(ConfigError::EnvRequired),
            (Some(env @ (KalshiEnv::Prod | KalshiEnv::Demo)), None) => {
                Err(ConfigError::KeyRequired(env))
            }
            (Some(env @ (KalshiEnv::Prod | KalshiEnv::Demo)), Some((key_id, key_path))) => {
                let (environment, rest, ws) = if env == KalshiEnv::Prod {
                    (
                        Environment::Prod,
                        "https://external-api.kalshi.com/trade-api/v2",
                        "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
                    )
                } else {
                    (
                        Environment::Demo,
                        "https://external-api.demo.kalshi.co/trade-api/v2",
                        "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
                    )
                };
                Ok(Upstream::Kalshi {
                    environment,
                    rest_url: self.rest_url.clone().unwrap_or_else(|| rest.to_owned()),
                    ws_url: self.ws_url.clone().unwrap_or_else(|| ws.to_owned()),
                    key_id,
                    key_path,
                })
            }
        }
    }

    /// A configuration for tests: built-in exchange, loopback, any free port, seeded flow,
    /// a private in-memory SQLite database.
    pub fn for_tests(dist: PathBuf) -> Config {
        Config {
            listen: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            dist,
            kalshi_env: Some(KalshiEnv::Sim),
            api_key_id: None,
            private_key_path: None,
            rest_url: None,
            ws_url: None,
            sim_flow: 20,
            sim_seed: 42,
            sim_markets: 0,
            upstream_receive_timeout_ms: 30_000,
            max_markets: crate::live::hub::MAX_MARKETS,
            max_sockets_per_session: crate::http::stream::MAX_SOCKETS_PER_SESSION,
            metrics_listen: None,
            team: TeamConfig {
                db_url: SecretString::from("sqlite::memory:"),
                cookie_secure: false,
                allowed_origins: Vec::new(),
                session_idle_secs: 12 * 3600,
                session_max_secs: 12 * 3600,
            },
            cluster: ClusterArgs {
                nats_url: None,
                name: "desk".to_owned(),
                replica_id: None,
                lease_ms: 5000,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        Config::for_tests(PathBuf::from("dist"))
    }

    #[test]
    fn no_silent_default_between_environments() {
        let mut c = base();
        c.kalshi_env = None;
        assert_eq!(c.upstream().unwrap(), Upstream::Sim { key: None });
        c.api_key_id = Some("k".into());
        assert!(matches!(c.upstream(), Err(ConfigError::HalfAKey)));
        c.private_key_path = Some("key.pem".into());
        assert!(matches!(c.upstream(), Err(ConfigError::EnvRequired)));
        c.kalshi_env = Some(KalshiEnv::Demo);
        assert!(matches!(
            c.upstream().unwrap(),
            Upstream::Kalshi {
                environment: Environment::Demo,
                ..
            }
        ));
        let mut c = base();
        c.kalshi_env = Some(KalshiEnv::Prod);
        assert!(matches!(
            c.upstream(),
            Err(ConfigError::KeyRequired(KalshiEnv::Prod))
        ));
    }

    #[test]
    fn the_environment_label_matches_where_orders_go() {
        let mut c = base();
        c.api_key_id = Some("k".into());
        c.private_key_path = Some("key.pem".into());
        for (env, url, ok) in [
            (
                KalshiEnv::Sim,
                "https://external-api.kalshi.com/trade-api/v2",
                false,
            ),
            (
                KalshiEnv::Sim,
                "wss://api.elections.KALSHI.com./trade-api/ws/v2",
                false,
            ),
            (
                KalshiEnv::Sim,
                "https://demo-api.kalshi.co/trade-api/v2",
                false,
            ),
            (KalshiEnv::Sim, "http://127.0.0.1:8090/trade-api/v2", true),
            (KalshiEnv::Sim, "http://notkalshi.com/trade-api/v2", true),
            (
                KalshiEnv::Demo,
                "https://external-api.kalshi.com/trade-api/v2",
                false,
            ),
            (
                KalshiEnv::Prod,
                "https://external-api.demo.kalshi.co/trade-api/v2",
                false,
            ),
            (KalshiEnv::Prod, "https://proxy.internal/trade-api/v2", true),
            (
                KalshiEnv::Demo,
                "https://external-api.demo.kalshi.co/trade-api/v2",
                true,
            ),
        ] {
            c.kalshi_env = Some(env);
            c.rest_url = Some(url.to_owned());
            let got = c.upstream();
            assert_eq!(
                !matches!(got, Err(ConfigError::EnvMismatch { .. })),
                ok,
                "{env:?} {url}: {got:?}"
            );
        }
    }

    #[test]
    fn metrics_listen_only_on_loopback() {
        let mut c = Config::for_tests(PathBuf::from("dist"));
        c.metrics_listen = Some("0.0.0.0:9464".parse().unwrap());
        assert!(matches!(
            c.upstream(),
            Err(ConfigError::MetricsNotLoopback(_))
        ));
        c.metrics_listen = Some("127.0.0.1:9464".parse().unwrap());
        assert!(c.upstream().is_ok());
        c.metrics_listen = Some("[::1]:9464".parse().unwrap());
        assert!(c.upstream().is_ok());
    }
}
