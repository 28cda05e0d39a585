//! The RFQ desk's live state: RFQs (incoming and ours), quotes (ours and on ours), the
//! backend rules and their log. Seeded by `GET /api/rfq`, then updated frame by frame by
//! [`apply`] from the socket's message callback.

use std::cell::Cell;
use std::collections::HashMap;

use leptos::prelude::*;
use shared::api::schema::{Quote, QuoteStatus, RFQStatus, RFQ};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::rfq::{RfqDeskView, RfqEvent, RuleLogEntry, RuleSet};

/// Rule log entries kept.
pub const LOG_CAP: usize = 200;

/// One RFQ row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RfqRow {
    /// Exchange id.
    pub id: String,
    /// Market.
    pub market: MarketTicker,
    /// Contracts asked for.
    pub contracts: Option<Count>,
    /// Still open.
    pub open: bool,
    /// Ours.
    pub mine: bool,
}

/// Quote status as shown (`open`, `accepted`, `executed`, `cancelled`, …).
pub type QuoteStatusText = &'static str;

/// One quote row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteRow {
    /// Exchange id.
    pub id: String,
    /// Its RFQ.
    pub rfq_id: String,
    /// Market.
    pub market: MarketTicker,
    /// YES bid.
    pub yes_bid: Dollars,
    /// NO bid.
    pub no_bid: Dollars,
    /// Contracts.
    pub contracts: Option<Count>,
    /// Status.
    pub status: QuoteStatusText,
    /// Ours (we quoted).
    pub mine: bool,
    /// Accepted side.
    pub accepted_side: Option<Side>,
    /// Browser time the acceptance became known, ms.
    pub accepted_at_ms: Option<i64>,
    /// Why it was cancelled (`deleted`, `replaced`, `rfq closed`, `confirmation window
    /// expired`), as the exchange says.
    pub reason: Option<String>,
}

/// The RFQ desk state. `Copy`.
#[derive(Clone, Copy)]
pub struct RfqState {
    /// Our communications id.
    pub comms_id: RwSignal<String>,
    /// RFQs, newest first.
    pub rfqs: RwSignal<Vec<RfqRow>>,
    /// Quotes, newest first.
    pub quotes: RwSignal<Vec<QuoteRow>>,
    /// Backend rules.
    pub rules: RwSignal<RuleSet>,
    /// Rule log, newest first.
    pub log: RwSignal<Vec<RuleLogEntry>>,
    /// Browser clock, ms (ticks for countdowns).
    pub now_ms: RwSignal<i64>,
    /// The last refusal of an action on a quote (accept, confirm, withdraw), by quote id.
    pub refusals: RwSignal<HashMap<String, String>>,
}

thread_local! {
    static INSTALLED: Cell<Option<RfqState>> = const { Cell::new(None) };
}

/// Browser time, ms.
pub fn now_ms() -> i64 {
    // Whole milliseconds since the epoch fit an i64 exactly.
    js_sys::Date::now() as i64
}

impl RfqState {
    /// Creates the state, provides it as context and makes it the target of [`apply`].
    pub fn install() -> RfqState {
        let s = RfqState {
            comms_id: RwSignal::new(String::new()),
            rfqs: RwSignal::new(Vec::new()),
            quotes: RwSignal::new(Vec::new()),
            rules: RwSignal::new(RuleSet::default()),
            log: RwSignal::new(Vec::new()),
            now_ms: RwSignal::new(now_ms()),
            refusals: RwSignal::new(HashMap::new()),
        };
        provide_context(s);
        INSTALLED.with(|c| c.set(Some(s)));
        s
    }

    /// Seeds from `GET /api/rfq`.
    pub fn seed(&self, view: RfqDeskView) {
        let me = view.communications_id.clone();
        self.comms_id.set(view.communications_id);
        self.rfqs
            .set(view.rfqs.iter().map(|r| rfq_row(r, &me)).collect());
        self.quotes
            .set(view.quotes.iter().map(|q| quote_row(q, &me)).collect());
    }

    fn upsert_rfq(&self, row: RfqRow) {
        self.rfqs
            .update(|v| match v.iter_mut().find(|r| r.id == row.id) {
                Some(r) => *r = row,
                None => v.insert(0, row),
            });
    }

    /// Shows `text` beside the quote `id` (an action on it was refused).
    pub fn refuse(&self, id: &str, text: String) {
        self.refusals.update(|m| {
            m.insert(id.to_owned(), text);
        });
    }

    /// The last refusal shown for quote `id`.
    pub fn refusal(&self, id: &str) -> Option<String> {
        self.refusals.with(|m| m.get(id).cloned())
    }

    fn update_quote(&self, id: &str, f: impl FnOnce(&mut QuoteRow)) {
        self.quotes.update(|v| {
            if let Some(q) = v.iter_mut().find(|q| q.id == id) {
                f(q);
            }
        });
    }
}

fn rfq_row(r: &RFQ, me: &str) -> RfqRow {
    RfqRow {
        id: r.id.clone(),
        market: r.market_ticker.clone(),
        contracts: Some(r.contracts_fp),
        open: r.status == RFQStatus::Open,
        mine: r.creator_id == me,
    }
}

/// The status as the desk shows it (and puts in `data-status`).
pub fn status_text(status: QuoteStatus) -> QuoteStatusText {
    use shared::api::schema::QuoteStatus as S;
    match status {
        S::Open => "open",
        S::Accepted => "accepted",
        S::Confirmed => "confirmed",
        S::Executed => "executed",
        S::Cancelled => "cancelled",
        S::Unknown => "unknown",
    }
}

fn quote_row(q: &Quote, me: &str) -> QuoteRow {
    let status = status_text(q.status);
    QuoteRow {
        id: q.id.clone(),
        rfq_id: q.rfq_id.clone(),
        market: q.market_ticker.clone(),
        yes_bid: q.yes_bid_dollars,
        no_bid: q.no_bid_dollars,
        contracts: Some(q.contracts_fp),
        status,
        mine: q.creator_id == me,
        accepted_side: q.accepted_side,
        accepted_at_ms: (status == "accepted").then(now_ms),
        reason: q.cancellation_reason.clone(),
    }
}

/// Applies one RFQ desk frame (called from the socket's message callback).
pub fn apply(event: RfqEvent) {
    let Some(s) = INSTALLED.with(Cell::get) else {
        return;
    };
    let me = s.comms_id.get_untracked();
    match event {
        RfqEvent::RfqCreated(m) => s.upsert_rfq(RfqRow {
            id: m.id,
            market: m.market_ticker,
            contracts: m.contracts_fp,
            open: true,
            mine: !me.is_empty() && m.creator_id == me,
        }),
        RfqEvent::RfqDeleted(m) => {
            s.rfqs.update(|v| {
                if let Some(r) = v.iter_mut().find(|r| r.id == m.id) {
                    r.open = false;
                }
            });
            // A closed RFQ cancels its live quotes (an executed one has said so first).
            s.quotes.update(|v| {
                for q in v.iter_mut().filter(|q| q.rfq_id == m.id) {
                    if q.status == "open" || q.status == "accepted" {
                        q.status = "cancelled";
                        q.reason = Some("rfq closed".to_owned());
                    }
                }
            });
        }
        RfqEvent::QuoteCreated(m) => {
            let mine = m.quote_creator_id == me;
            s.quotes.update(|v| {
                // A maker's new quote replaces its previous one on the RFQ.
                for q in v.iter_mut() {
                    if q.rfq_id == m.rfq_id && q.status == "open" && q.mine == mine && mine {
                        q.status = "cancelled";
                        q.reason = Some("replaced".to_owned());
                    }
                }
                if !v.iter().any(|q| q.id == m.quote_id) {
                    v.insert(
                        0,
                        QuoteRow {
                            id: m.quote_id.clone(),
                            rfq_id: m.rfq_id.clone(),
                            market: m.market_ticker.clone(),
                            yes_bid: m.yes_bid_dollars,
                            no_bid: m.no_bid_dollars,
                            contracts: m.yes_contracts_offered_fp,
                            status: "open",
                            mine,
                            accepted_side: None,
                            accepted_at_ms: None,
                            reason: None,
                        },
                    );
                }
            });
        }
        RfqEvent::QuoteAccepted(m) => s.update_quote(&m.quote_id, |q| {
            q.status = "accepted";
            q.accepted_side = m.accepted_side;
            q.accepted_at_ms = Some(now_ms());
        }),
        RfqEvent::QuoteExecuted(m) => s.update_quote(&m.quote_id, |q| q.status = "executed"),
        RfqEvent::QuoteStatus(u) => s.update_quote(&u.quote_id, |q| {
            // "executed" is final: a late poll must not turn it back.
            if q.status != "executed" {
                q.status = status_text(u.status);
                q.reason = u.cancellation_reason;
            }
        }),
        RfqEvent::Rule(e) => {
            if let Some(qid) = e.quote_id.clone() {
                if e.action == shared::rfq::RuleAction::Confirmed {
                    s.update_quote(&qid, |q| {
                        if q.status == "accepted" {
                            q.status = "confirmed";
                        }
                    });
                }
            }
            s.log.update(|l| {
                l.insert(0, e);
                l.truncate(LOG_CAP);
            });
        }
        RfqEvent::Rules(r) => s.rules.set(r),
    }
}

/// The confirmation window the desk assumes for a market, ms: 3 s for combo (`KXMVE…`)
/// markets, 30 s otherwise (Kalshi does not say which markets are high-volatility).
pub fn window_ms(market: &MarketTicker) -> i64 {
    if market.as_str().starts_with("KXMVE") {
        3_000
    } else {
        30_000
    }
}
