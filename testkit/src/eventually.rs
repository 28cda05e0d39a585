//! Waiting for something that happens in its own time (a frame, a fill, a leader), without
//! hand-written polling loops.

use std::future::Future;
use std::time::Duration;

/// How often a probe runs.
pub const PROBE_EVERY: Duration = Duration::from_millis(25);

/// Runs `probe` every [`PROBE_EVERY`] until it returns `Some`, and returns that.
///
/// # Panics
/// When `limit` passes first, naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match try_eventually(what, limit, probe).await {
        Ok(value) => value,
        Err(e) => panic!("{e}"),
    }
}

/// As [`eventually`], probing every `every` (a benchmark that waits on the thing it times).
///
/// # Panics
/// When `limit` passes first, naming `what`.
pub async fn eventually_every<T, F, Fut>(
    what: &str,
    every: Duration,
    limit: Duration,
    probe: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match poll(what, every, limit, probe).await {
        Ok(value) => value,
        Err(e) => panic!("{e}"),
    }
}

/// As [`eventually`], for a probe that answers yes or no.
///
/// # Panics
/// When `limit` passes first, naming `what`.
pub async fn eventually_true<F, Fut>(what: &str, limit: Duration, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually(what, limit, || {
        let answer = probe();
        async move { answer.await.then_some(()) }
    })
    .await;
}

/// As [`eventually`], returning an error instead of panicking (for harnesses that must clean
/// up, such as a browser session).
///
/// # Errors
/// `"{what}: not within {limit:?}"` when `limit` passes first.
pub async fn try_eventually<T, F, Fut>(what: &str, limit: Duration, probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll(what, PROBE_EVERY, limit, probe).await
}

async fn poll<T, F, Fut>(
    what: &str,
    every: Duration,
    limit: Duration,
    mut probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("{what}: not within {limit:?}");
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn it_returns_the_first_answer_and_names_what_timed_out() {
        let tries = AtomicU32::new(0);
        let got = eventually("the third try", Duration::from_secs(5), || async {
            let n = tries.fetch_add(1, Ordering::Relaxed) + 1;
            (n == 3).then_some(n)
        })
        .await;
        assert_eq!(got, 3);
        let err = try_eventually("never", Duration::from_millis(60), || async { None::<()> })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "never: not within 60ms");
    }
}
