//! A user's webhook: each alert as a JSON POST ([`shared::alerts::AlertFired`]), tried up to
//! [`ATTEMPTS`] times.
//!
//! A 2xx answer is delivered. A connection failure, a timeout, a 5xx, 408 or 429 is tried
//! again after [`RETRY_AFTER`]; any other answer (a 4xx: the receiver refuses it) is final.
//! Redirects are not followed. The URL may hold the receiver's secret, so it is never
//! logged nor put in an error: errors name the failure (`HTTP 500 Internal Server Error`,
//! `could not connect: Connection refused (os error 111)`, `no answer within 5 s`).

use std::time::Duration;

use serde::Serialize;
use shared::alerts::WebhookDelivery;

/// Tries per alert.
pub const ATTEMPTS: u32 = 3;
/// Wait before the second and third tries.
pub const RETRY_AFTER: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(2)];
/// Longest wait for one answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Posts to webhooks.
#[derive(Clone, Debug)]
pub struct Webhooks {
    http: reqwest::Client,
}

impl Webhooks {
    /// A client with [`TIMEOUT`], no redirects, no proxy from the environment.
    ///
    /// # Errors
    /// reqwest's, building its client.
    pub fn new() -> anyhow::Result<Webhooks> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("kalshi-desk-alerts/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Webhooks { http })
    }

    /// POSTs `body` as JSON to `url` until it is delivered or [`ATTEMPTS`] tries failed.
    pub async fn deliver<T: Serialize + ?Sized>(&self, url: &str, body: &T) -> WebhookDelivery {
        let mut error = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                let wait = RETRY_AFTER
                    .get(attempt as usize - 2)
                    .copied()
                    .unwrap_or(Duration::from_secs(2));
                tokio::time::sleep(wait).await;
            }
            match self.http.post(url).json(body).send().await {
                Ok(answer) if answer.status().is_success() => {
                    return WebhookDelivery::Delivered {
                        attempt,
                        status: answer.status().as_u16(),
                    }
                }
                Ok(answer) => {
                    let status = answer.status();
                    error = format!(
                        "HTTP {} {}",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("")
                    )
                    .trim_end()
                    .to_owned();
                    let again = status.is_server_error()
                        || status == reqwest::StatusCode::REQUEST_TIMEOUT
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !again {
                        return WebhookDelivery::Failed {
                            attempts: attempt,
                            error,
                        };
                    }
                }
                Err(err) => error = describe(&err),
            }
        }
        WebhookDelivery::Failed {
            attempts: ATTEMPTS,
            error,
        }
    }
}

/// What went wrong, without the URL.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    // The innermost cause names it (`Connection refused (os error 111)`, a DNS failure).
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = if err.is_connect() {
        "could not connect"
    } else if err.is_request() || err.is_body() {
        "the request failed"
    } else {
        "no usable answer"
    };
    let cause = cause.to_string();
    if cause.contains("://") {
        // A cause that repeats the URL says nothing the kind does not.
        what.to_owned()
    } else {
        format!("{what}: {cause}")
    }
}
