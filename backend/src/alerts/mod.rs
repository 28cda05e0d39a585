//! Alerts evaluated by the desk, so they fire with every tab closed.
//!
//! [`Alerts::run`] follows the hub's fan-out (tickers of the markets rules name, which it
//! marks so the upstream follows them without a tab; fills; orders; RFQs; halts) and the
//! upstream's state, feeds them to the rules' state machine ([`eval::Evaluator`]) and
//! delivers each firing: a row in the user's log (`alert_log`), an `alert` frame to the
//! user's tabs (toast, sound, desktop notification), and a JSON POST to the user's webhook
//! ([`webhook`]) whose outcome is logged and sent again. A muted rule's firings are logged
//! and shown in the log only.
//!
//! Rules and webhooks live in the store: an API change reloads them at once, and every
//! replica re-reads them every [`REREAD`]. In cluster mode every replica evaluates the same
//! replicated feed and shows a firing to the tabs connected to it; only the leader logs it
//! and posts the webhook, so each alert is logged and posted once.
//!
//! A session that fell behind the fan-out skips frames; so can this task. Fills are caught
//! up from the hub's fill ledger (each fires once); a skipped order frame is logged.

pub mod eval;
pub mod webhook;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use shared::alerts::{AlertFired, WebhookDelivery};
use shared::ids::MarketTicker;
use shared::protocol::ServerMsg;
use shared::rfq::RfqEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::live::hub::Hub;
use crate::team::store::{now_ms, Store};
use eval::{Evaluator, Firing, Observation};
use webhook::Webhooks;

/// How often every replica re-reads the rules and webhooks.
pub const REREAD: Duration = Duration::from_secs(5);
/// How often time-based rules (waits, windows) are read.
pub const TICK: Duration = Duration::from_millis(500);

#[derive(Debug)]
struct State {
    eval: Evaluator,
    /// Markets this task marks at the hub.
    marked: BTreeSet<MarketTicker>,
    webhooks: HashMap<i64, String>,
}

/// The alert engine. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Alerts {
    state: Arc<Mutex<State>>,
    /// One reload at a time (marks and unmarks in order).
    reloading: Arc<tokio::sync::Mutex<()>>,
    hub: Hub,
    store: Store,
    webhooks: Webhooks,
}

impl Alerts {
    /// No rules yet ([`Alerts::reload`] reads them).
    ///
    /// # Errors
    /// Building the webhook client.
    pub fn new(hub: Hub, store: Store) -> anyhow::Result<Alerts> {
        Ok(Alerts {
            state: Arc::new(Mutex::new(State {
                eval: Evaluator::new(now_ms()),
                marked: BTreeSet::new(),
                webhooks: HashMap::new(),
            })),
            reloading: Arc::default(),
            hub,
            store,
            webhooks: Webhooks::new()?,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads every rule and webhook from the store, marks the markets the rules follow
    /// (and unmarks those they no longer do), and takes the first readings of new ones
    /// from the hub's last tickers. A store error keeps what is in force, and is logged.
    pub async fn reload(&self) {
        let _turn = self.reloading.lock().await;
        let (rules, hooks) = match (
            self.store.all_alert_rules().await,
            self.store.alert_webhooks().await,
        ) {
            (Ok(r), Ok(h)) => (r, h),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "could not read the alert rules");
                return;
            }
        };
        let (add, drop) = {
            let mut s = self.lock();
            s.eval.set_rules(rules);
            s.webhooks = hooks.into_iter().collect();
            let want = s.eval.markets();
            let add: Vec<MarketTicker> = want.difference(&s.marked).cloned().collect();
            let drop: Vec<MarketTicker> = s.marked.difference(&want).cloned().collect();
            s.marked = want;
            (add, drop)
        };
        if !drop.is_empty() {
            self.hub.unmark(&drop).await;
        }
        if !add.is_empty() {
            let marked = self.hub.mark(&add).await;
            for market in &marked.refused {
                tracing::warn!(%market, "an alert rule's market is not open: no readings");
                self.lock().marked.remove(market);
            }
            let now = now_ms();
            let mut s = self.lock();
            for t in &marked.tickers {
                // Baselines: nothing fires on them.
                let _ = s.eval.observe(Observation::Ticker(t), now);
            }
        }
    }

    /// Sends a sample alert to `url` now (the API's "send a test").
    pub async fn test_webhook(&self, user_id: i64, url: &str) -> WebhookDelivery {
        let sample = AlertFired {
            id: 0,
            user_id,
            rule_id: 0,
            ts_ms: now_ms(),
            title: "Test alert from Kalshi Desk".to_owned(),
            detail: "Your webhook receives alerts like this one.".to_owned(),
            market_ticker: None,
            muted: false,
            webhook: None,
        };
        self.webhooks.deliver(url, &sample).await
    }

    /// Evaluates the rules until `cancel` fires. In cluster mode (`leader` given) only the
    /// replica holding the upstream delivers.
    pub async fn run(self, cancel: CancellationToken, leader: Option<watch::Receiver<bool>>) {
        let mut events = self.hub.subscribe();
        let mut upstream = self.hub.watch_upstream_state();
        self.reload().await;
        {
            let now = now_ms();
            let mut s = self.lock();
            let _ = s.eval.observe(Observation::Halts(&self.hub.halts()), now);
            let state = *upstream.borrow_and_update();
            let _ = s.eval.observe(Observation::Upstream(state), now);
        }
        // Just read: the first re-read is one period away.
        let mut reread = tokio::time::interval_at(tokio::time::Instant::now() + REREAD, REREAD);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let fired = tokio::select! {
                () = cancel.cancelled() => break,
                _ = reread.tick() => {
                    self.reload().await;
                    continue;
                }
                _ = tick.tick() => self.lock().eval.observe(Observation::Tick, now_ms()),
                changed = upstream.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let state = *upstream.borrow_and_update();
                    self.lock().eval.observe(Observation::Upstream(state), now_ms())
                }
                event = events.recv() => match event {
                    Ok(event) => self.observe(&event.msg),
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "alerts fell behind the fan-out; catching up fills from the ledger (a skipped order frame cannot be)");
                        let fills = self.hub.fills();
                        let now = now_ms();
                        let mut s = self.lock();
                        fills.iter().flat_map(|f| s.eval.observe(Observation::Fill(f), now)).collect()
                    }
                    Err(RecvError::Closed) => break,
                },
            };
            let leading = leader.as_ref().is_none_or(|l| *l.borrow());
            for firing in fired {
                let this = self.clone();
                tokio::spawn(async move { this.deliver(firing, leading).await });
            }
        }
        let marked: Vec<MarketTicker> = std::mem::take(&mut self.lock().marked)
            .into_iter()
            .collect();
        self.hub.unmark(&marked).await;
    }

    /// Feeds one hub message to the rules.
    fn observe(&self, msg: &ServerMsg) -> Vec<Firing> {
        let now = now_ms();
        let mut s = self.lock();
        match msg {
            ServerMsg::Ticker(t) => s.eval.observe(Observation::Ticker(t), now),
            ServerMsg::Fill(f) => s.eval.observe(Observation::Fill(f), now),
            ServerMsg::Order(o) => s.eval.observe(Observation::Order(o), now),
            ServerMsg::Rfq(RfqEvent::RfqCreated(m)) => s.eval.observe(Observation::Rfq(m), now),
            ServerMsg::Halts { halts } => s.eval.observe(Observation::Halts(halts), now),
            _ => Vec::new(),
        }
    }

    /// Logs a firing, tells the user's tabs, and posts it to their webhook. A replica that
    /// is not `leading` only tells its own tabs (each replica's hub reaches the sessions
    /// connected to it), with no log id.
    async fn deliver(&self, firing: Firing, leading: bool) {
        let url = if firing.muted || !leading {
            None
        } else {
            self.lock().webhooks.get(&firing.user_id).cloned()
        };
        let fired = AlertFired {
            id: 0,
            user_id: firing.user_id,
            rule_id: firing.rule_id,
            ts_ms: now_ms(),
            title: firing.title,
            detail: firing.detail,
            market_ticker: firing.market_ticker,
            muted: firing.muted,
            webhook: url.as_ref().map(|_| WebhookDelivery::Pending),
        };
        let fired = if leading {
            match self.store.log_alert(&fired).await {
                Ok(logged) => logged,
                Err(e) => {
                    tracing::warn!(error = %e, rule = fired.rule_id, "an alert could not be logged; delivering it anyway");
                    fired
                }
            }
        } else {
            fired
        };
        tracing::info!(
            user = fired.user_id,
            rule = fired.rule_id,
            id = fired.id,
            muted = fired.muted,
            "alert fired"
        );
        self.hub.publish_account(ServerMsg::Alert(fired.clone()));
        let Some(url) = url else {
            return;
        };
        let delivery = self.webhooks.deliver(&url, &fired).await;
        if let WebhookDelivery::Failed { attempts, error } = &delivery {
            tracing::warn!(user = fired.user_id, id = fired.id, attempts, %error, "alert webhook failed");
        }
        if fired.id != 0 {
            if let Err(e) = self.store.set_alert_delivery(fired.id, &delivery).await {
                tracing::warn!(error = %e, id = fired.id, "could not log an alert's webhook outcome");
            }
        }
        self.hub.publish_account(ServerMsg::Alert(AlertFired {
            webhook: Some(delivery),
            ..fired
        }));
    }
}
