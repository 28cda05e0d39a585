//! A desk replica in a runtime of its own that a test can kill abruptly (no lease released,
//! no goodbye), as a crashed process would be.

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
