//! Quote status changes that Kalshi's `communications` channel does not announce.
//!
//! The channel says when a quote is created, accepted and executed, but nothing when one is
//! cancelled: deleted by its maker, replaced by the maker's newer quote, cancelled because
//! its RFQ closed, or because the maker did not confirm within the window (30 s, or 3 s on
//! high-volatility and combo markets). One task ([`run`]) tracks every live quote the desk
//! has heard of from the hub's fan-out ([`QuoteTracker::observe`]) and, while any is live,
//! polls `GetQuotes` (`user_filter=self` and `rfq_user_filter=self`, `min_ts` = the last poll)
//! every [`POLL_EVERY`]. Each change becomes [`RfqEvent::QuoteStatus`] for every session, so
//! the RFQ screen shows "cancelled — confirmation window expired" live.
//!
//! Cost: two reads a second from the desk's read budget, only while a quote is live.

use std::collections::HashMap;
use std::time::Duration;

use shared::api::ops::{GetQuotes, GetQuotesQuery};
use shared::api::schema::{Quote, QuoteStatus, UserFilter};
use shared::api::NoPath;
use shared::protocol::ServerMsg;
use shared::rfq::{QuoteStatusUpdate, RfqEvent};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;

/// How often live quotes are re-read.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// Quotes asked for per poll and filter (newest first).
const POLL_LIMIT: i64 = 200;

/// Seconds subtracted from the last poll's time for `min_ts` (whole seconds, clock skew).
const MIN_TS_SLACK_S: i64 = 2;

/// One live quote the desk knows of.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tracked {
    rfq_id: String,
    status: QuoteStatus,
}

fn is_live(status: QuoteStatus) -> bool {
    matches!(
        status,
        QuoteStatus::Open | QuoteStatus::Accepted | QuoteStatus::Confirmed
    )
}

/// The live quotes and the statuses the sessions were last told.
#[derive(Debug, Default)]
pub struct QuoteTracker {
    live: HashMap<String, Tracked>,
}

impl QuoteTracker {
    /// Whether any quote is live (and so worth polling for).
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Follows the channel: created → open, accepted → accepted, executed → done.
    pub fn observe(&mut self, event: &RfqEvent) {
        let mut set = |id: &str, rfq_id: &str, status: QuoteStatus| {
            if is_live(status) {
                self.live.insert(
                    id.to_owned(),
                    Tracked {
                        rfq_id: rfq_id.to_owned(),
                        status,
                    },
                );
            } else {
                self.live.remove(id);
            }
        };
        match event {
            RfqEvent::QuoteCreated(m) => set(&m.quote_id, &m.rfq_id, QuoteStatus::Open),
            RfqEvent::QuoteAccepted(m) => set(&m.quote_id, &m.rfq_id, QuoteStatus::Accepted),
            RfqEvent::QuoteExecuted(m) => set(&m.quote_id, &m.rfq_id, QuoteStatus::Executed),
            RfqEvent::QuoteStatus(u) => set(&u.quote_id, &u.rfq_id, u.status),
            _ => {}
        }
    }

    /// Compares quotes read from the exchange with what the sessions were told; returns
    /// the changes (and stops tracking quotes that are no longer live).
    pub fn reconcile(&mut self, quotes: &[Quote]) -> Vec<QuoteStatusUpdate> {
        let mut changes = Vec::new();
        for q in quotes {
            let Some(known) = self.live.get(&q.id) else {
                continue;
            };
            if known.status == q.status || q.status == QuoteStatus::Unknown {
                continue;
            }
            changes.push(QuoteStatusUpdate {
                quote_id: q.id.clone(),
                rfq_id: known.rfq_id.clone(),
                status: q.status,
                cancellation_reason: q.cancellation_reason.clone(),
            });
            if is_live(q.status) {
                self.live.insert(
                    q.id.clone(),
                    Tracked {
                        rfq_id: known.rfq_id.clone(),
                        status: q.status,
                    },
                );
            } else {
                self.live.remove(&q.id);
            }
        }
        changes
    }
}

fn now_s() -> i64 {
    crate::kalshi::signer::now_ms().div_euclid(1000)
}

/// Our quotes and quotes on our RFQs updated since `min_ts` (Unix seconds).
async fn read_quotes(
    kalshi: &KalshiClient,
    min_ts: Option<i64>,
) -> Result<Vec<Quote>, crate::kalshi::client::KalshiError> {
    let mut quotes = Vec::new();
    for (mine, on_mine) in [
        (Some(UserFilter::SelfV), None),
        (None, Some(UserFilter::SelfV)),
    ] {
        let query = GetQuotesQuery {
            min_ts,
            limit: Some(POLL_LIMIT),
            user_filter: mine,
            rfq_user_filter: on_mine,
            ..GetQuotesQuery::default()
        };
        quotes.extend(
            kalshi
                .send::<GetQuotes>(&NoPath, &query, None)
                .await?
                .quotes,
        );
    }
    Ok(quotes)
}

/// Tracks live quotes from the hub and publishes their unannounced status changes until
/// `cancel` fires.
pub async fn run(hub: Hub, kalshi: KalshiClient, cancel: CancellationToken) {
    let mut rx = hub.subscribe();
    let mut tracker = QuoteTracker::default();
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Unix seconds of the last successful poll; `None` reads the newest quotes whatever
    // their age (at the start, and after this task fell behind the fan-out).
    let mut last_poll: Option<i64> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            event = rx.recv() => match event {
                Ok(e) => {
                    if let ServerMsg::Rfq(rfq) = &*e.msg {
                        tracker.observe(rfq);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "quote watch fell behind the fan-out; re-reading quotes");
                    last_poll = None;
                }
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick(), if !tracker.is_empty() => {
                let started = now_s();
                match read_quotes(&kalshi, last_poll.map(|t| t - MIN_TS_SLACK_S)).await {
                    Ok(quotes) => {
                        last_poll = Some(started);
                        for update in tracker.reconcile(&quotes) {
                            tracing::info!(quote = %update.quote_id, status = ?update.status, reason = ?update.cancellation_reason, "quote status changed");
                            hub.publish_account(ServerMsg::Rfq(RfqEvent::QuoteStatus(update)));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reading quote statuses failed; retrying"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ws_msg::{QuoteAcceptedMsg, QuoteCreatedMsg, QuoteExecutedMsg};

    fn created(id: &str) -> RfqEvent {
        RfqEvent::QuoteCreated(QuoteCreatedMsg {
            quote_id: id.into(),
            rfq_id: format!("rfq-{id}"),
            ..Default::default()
        })
    }

    fn quote(id: &str, status: QuoteStatus, reason: Option<&str>) -> Quote {
        Quote {
            id: id.into(),
            rfq_id: format!("rfq-{id}"),
            status,
            cancellation_reason: reason.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn reports_each_change_once_and_forgets_finished_quotes() {
        let mut t = QuoteTracker::default();
        assert!(t.is_empty());
        for id in ["a", "b", "c", "d"] {
            t.observe(&created(id));
        }
        t.observe(&RfqEvent::QuoteAccepted(QuoteAcceptedMsg {
            quote_id: "b".into(),
            rfq_id: "rfq-b".into(),
            ..Default::default()
        }));
        t.observe(&RfqEvent::QuoteExecuted(QuoteExecutedMsg {
            quote_id: "d".into(),
            rfq_id: "rfq-d".into(),
            ..Default::default()
        }));
        let read = [
            quote("a", QuoteStatus::Open, None),
            quote(
                "b",
                QuoteStatus::Cancelled,
                Some("confirmation window expired"),
            ),
            quote("c", QuoteStatus::Cancelled, Some("deleted")),
            quote("d", QuoteStatus::Executed, None),
            quote("stranger", QuoteStatus::Cancelled, Some("deleted")),
        ];
        let changes = t.reconcile(&read);
        let got: Vec<(&str, QuoteStatus, Option<&str>)> = changes
            .iter()
            .map(|u| {
                (
                    u.quote_id.as_str(),
                    u.status,
                    u.cancellation_reason.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "b",
                    QuoteStatus::Cancelled,
                    Some("confirmation window expired")
                ),
                ("c", QuoteStatus::Cancelled, Some("deleted")),
            ]
        );
        assert_eq!(changes[0].rfq_id, "rfq-b");
        // Told once: the same read changes nothing; only "a" is still live.
        assert!(t.reconcile(&read).is_empty());
        assert_eq!(t.live.len(), 1);
        // Its own update, seen back on the fan-out, is a no-op.
        t.observe(&RfqEvent::QuoteStatus(changes[0].clone()));
        assert_eq!(t.live.len(), 1);
    }
}
