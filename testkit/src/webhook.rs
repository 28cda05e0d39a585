//! A webhook receiver on loopback: records each JSON POST it accepts, and answers the first
//! N tries with 500 (to see a sender retry) or every try (to see it give up).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

#[derive(Debug, Default)]
struct Shared {
    accepted: Mutex<Vec<serde_json::Value>>,
    tries: AtomicUsize,
    fail_first: AtomicUsize,
}

/// A running receiver at [`Receiver::url`]; stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<serde_json::Value>,
) -> StatusCode {
    let n = shared.tries.fetch_add(1, Ordering::SeqCst);
    if n < shared.fail_first.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    shared
        .accepted
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(body);
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Listens on 127.0.0.1; its first `fail_first` tries get a 500 (`usize::MAX`: all).
    ///
    /// # Errors
    /// The port could not be bound.
    pub async fn start(fail_first: usize) -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let shared = Arc::new(Shared {
            fail_first: AtomicUsize::new(fail_first),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, shared, task })
    }

    /// The bodies it accepted, oldest first.
    pub fn accepted(&self) -> Vec<serde_json::Value> {
        self.shared
            .accepted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every POST it got, accepted or not.
    pub fn tries(&self) -> usize {
        self.shared.tries.load(Ordering::SeqCst)
    }

    /// From now, the next `n` tries get a 500.
    pub fn fail_next(&self, n: usize) {
        let tries = self.tries();
        self.shared
            .fail_first
            .store(tries.saturating_add(n), Ordering::SeqCst);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
