//! The real services the tests run against: a private `nats-server` (JetStream, its own port
//! and store directory) that a test can kill and restart, and a PostgreSQL schema of the
//! test's own.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// The `nats-server` binary: `NATS_SERVER`, else the first on `PATH`, `/usr/sbin`,
/// `/usr/local/bin` (Debian's package `nats-server`; `bash scripts/test.sh` installs it).
///
/// # Errors
/// When none is found.
pub fn nats_server_binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("NATS_SERVER").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/bin")]);
    for dir in dirs {
        let candidate = dir.join("nats-server");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("nats-server not found (install Debian's nats-server, or set NATS_SERVER; bash scripts/test.sh does)")
}

/// A `nats-server -js` of the test's own on 127.0.0.1; killed on drop.
#[derive(Debug)]
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    /// Its port (kept across restarts).
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts one on a free port with a fresh store directory, and waits until it accepts.
    ///
    /// # Errors
    /// No binary, or it does not come up within 10 s.
    pub fn start() -> anyhow::Result<NatsServer> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::tempdir().context("NATS store dir")?;
        let mut server = NatsServer {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            dir,
            child: None,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new(nats_server_binary()?)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                bail!("nats-server did not listen on {} within 10 s", self.port);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Ok(())
    }

    /// Kills the server (SIGKILL: no goodbye to clients).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills it and starts it again on the same port and store directory.
    ///
    /// # Errors
    /// As [`NatsServer::start`].
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The PostgreSQL server the tests use: `DESK_TEST_PG_URL`, default
/// `postgres://postgres@127.0.0.1:5432/test` (`bash scripts/test.sh` starts one).
pub fn pg_base_url() -> String {
    std::env::var("DESK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema of its own on the test server (`search_path` set through the URL's `options`);
/// dropped, with everything in it, on drop.
#[derive(Debug)]
pub struct PgSchema {
    /// The schema's name.
    pub name: String,
    /// A URL whose connections use only this schema.
    pub url: String,
}

impl PgSchema {
    /// Creates `t_<random>` on the test server.
    ///
    /// # Panics
    /// When the server does not answer: the PostgreSQL half of the store tests needs it
    /// (`bash scripts/test.sh` starts one).
    pub async fn create() -> PgSchema {
        use sqlx::Connection as _;
        let base = pg_base_url();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {base} is needed for the store tests (bash scripts/test.sh starts one): {e}")
        });
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create a test schema");
        let _ = conn.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        PgSchema { name, url }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (pg_base_url(), self.name.clone());
        // A thread of its own: drop may run inside (or outside) any runtime.
        let _ = std::thread::spawn(move || {
            use sqlx::Connection as _;
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
