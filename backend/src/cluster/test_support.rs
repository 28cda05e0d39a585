//! Test support: a private `nats-server` (JetStream, its own port and store directory) that
//! a test can kill and restart, and a desk replica in a runtime of its own that a test can
//! kill abruptly (no lease released, no goodbye), as a crashed process would be.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tokio::sync::watch;

use crate::hub::Hub;
use crate::store::Store;
use crate::{Application, Config};

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
