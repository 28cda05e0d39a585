//! The RFQ book: RFQs and quotes, their lifecycle (create, replace, accept, confirm,
//! execute, expire, close) and their wire shapes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shared::api::schema::{
    CreateQuoteRequest, CreateRFQRequest, Quote, QuoteStatus, RFQStatus, RFQ,
};
use shared::ids::{EventTicker, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::ws::{
    QuoteAcceptedMsg, QuoteCreatedMsg, QuoteExecutedMsg, RfqCreatedMsg, RfqDeletedMsg,
};

use crate::engine::{AccountId, AccountKind, Engine};
use crate::error::{Result, SimError};
use crate::wire::rfc3339_ms;

/// Open RFQs one user may have.
pub const MAX_OPEN_RFQS: usize = 100;
/// Confirmation window of ordinary markets, ms.
pub const CONFIRM_WINDOW_MS: i64 = 30_000;
/// Confirmation window of high-volatility and combo markets, ms.
pub const FAST_CONFIRM_WINDOW_MS: i64 = 3_000;
/// `cancellation_reason` of an accepted quote whose confirmation window passed.
pub const WINDOW_EXPIRED: &str = "confirmation window expired";
/// How often the RFQ task wakes.
pub(super) const TICK: Duration = Duration::from_millis(100);
/// The execution timer a confirm starts, ms (the RFQ task runs it out, so a quote executes
/// within one tick after it).
const EXECUTION_DELAY_MS: i64 = 200;

/// Something `communications` subscribers may need to hear about.
#[derive(Clone, Debug, PartialEq)]
pub enum CommsEvent {
    /// An RFQ was created (everyone).
    RfqCreated(RfqCreatedMsg),
    /// An RFQ was deleted or closed (everyone).
    RfqDeleted(RfqDeletedMsg),
    /// A quote was created (RFQ creator and quote creator).
    QuoteCreated {
        /// Who may see it.
        to: [AccountId; 2],
        /// Frame body.
        msg: QuoteCreatedMsg,
    },
    /// A quote was accepted (RFQ creator and quote creator).
    QuoteAccepted {
        /// Who may see it.
        to: [AccountId; 2],
        /// Frame body.
        msg: QuoteAcceptedMsg,
    },
    /// A quote was executed: one event per party, each with that party's order id.
    QuoteExecuted {
        /// Who sees it.
        to: AccountId,
        /// Frame body.
        msg: QuoteExecutedMsg,
    },
}

impl CommsEvent {
    /// Whether a connection of `account` may receive this event.
    pub fn visible_to(&self, account: AccountId) -> bool {
        match self {
            CommsEvent::RfqCreated(_) | CommsEvent::RfqDeleted(_) => true,
            CommsEvent::QuoteCreated { to, .. } | CommsEvent::QuoteAccepted { to, .. } => {
                to.contains(&account)
            }
            CommsEvent::QuoteExecuted { to, .. } => *to == account,
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct RfqRec {
    pub(super) id: String,
    pub(super) creator: AccountId,
    pub(super) ticker: MarketTicker,
    pub(super) event_ticker: EventTicker,
    pub(super) contracts: Count,
    pub(super) target_cost: Option<Dollars>,
    pub(super) open: bool,
    pub(super) rest_remainder: bool,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
    pub(super) cancelled_ms: Option<i64>,
    pub(super) cancellation_reason: Option<String>,
}

#[derive(Clone, Debug)]
pub(super) struct QuoteRec {
    pub(super) id: String,
    pub(super) rfq_id: String,
    pub(super) creator: AccountId,
    pub(super) rfq_creator: AccountId,
    pub(super) ticker: MarketTicker,
    pub(super) event_ticker: EventTicker,
    pub(super) contracts: Count,
    pub(super) yes_bid: Dollars,
    pub(super) no_bid: Dollars,
    pub(super) status: QuoteStatus,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
    pub(super) accepted_side: Option<Side>,
    pub(super) accepted_ms: Option<i64>,
    pub(super) deadline_ms: Option<i64>,
    pub(super) confirmed_ms: Option<i64>,
    /// When a confirmed quote's execution timer ends.
    pub(super) executes_ms: Option<i64>,
    pub(super) executed_ms: Option<i64>,
    pub(super) cancelled_ms: Option<i64>,
    pub(super) cancellation_reason: Option<String>,
    pub(super) rfq_creator_order_id: Option<String>,
    pub(super) creator_order_id: Option<String>,
}

/// Every RFQ and quote, and the simulated counterparty.
#[derive(Debug)]
pub struct RfqBook {
    pub(super) rfqs: BTreeMap<String, RfqRec>,
    pub(super) quotes: BTreeMap<String, QuoteRec>,
    /// Creation order (ids), for listing newest first.
    pub(super) rfq_order: Vec<String>,
    pub(super) quote_order: Vec<String>,
    pub(super) fast_series: BTreeSet<String>,
    pub(super) events: Vec<CommsEvent>,
    pub(super) participant: AccountId,
    pub(super) participants_on: bool,
    pub(super) last_participant_rfq_ms: i64,
    pub(super) next_market: usize,
    /// Window of ordinary markets, ms.
    pub(super) window_ms: i64,
    /// Window of high-volatility and combo markets, ms.
    pub(super) fast_window_ms: i64,
    /// Whether the RFQ task cancels accepted quotes as soon as their window passes
    /// (otherwise only when they are next touched).
    pub(super) sweep_expired: bool,
    /// How long a confirmed quote waits before it executes ("confirming a quote … will
    /// start a timer for order execution"), ms.
    pub(super) execution_delay_ms: i64,
}

pub(super) fn bad(msg: impl Into<String>) -> SimError {
    SimError::BadRequest(msg.into())
}

pub(super) fn not_found(what: &str, id: &str) -> SimError {
    SimError::NotFound(format!("{what} {id} not found"))
}

/// The public communications id of an account (stable, anonymized).
pub(super) fn comms_id(engine: &Engine, account: AccountId) -> String {
    engine
        .account(account)
        .map(|a| a.user_id.replace('-', "").chars().take(16).collect())
        .unwrap_or_default()
}

/// The mid of a market's book, rounded to the cent; `None` without any bid.
pub(crate) fn mid(engine: &Engine, ticker: &MarketTicker) -> Option<Dollars> {
    let levels = engine.levels(ticker)?;
    let yes_bid = levels.yes.last().map(|(p, _)| *p);
    let yes_ask = levels.no.last().map(|(p, _)| p.complement());
    let raw = match (yes_bid, yes_ask) {
        (Some(b), Some(a)) => (b.raw() + a.raw()) / 2,
        (Some(b), None) => b.raw(),
        (None, Some(a)) => a.raw(),
        (None, None) => return None,
    };
    let cent = Dollars::from_cents(1).raw();
    let cents = (raw + cent / 2) / cent;
    Some(Dollars::from_cents(cents.clamp(1, 99)))
}

impl RfqBook {
    /// An empty book; adds the simulated counterparty's account to `engine`.
    pub fn new(engine: &mut Engine, participants_on: bool) -> RfqBook {
        let participant = engine.add_account(AccountKind::Participant, None, Dollars::ZERO);
        RfqBook {
            rfqs: BTreeMap::new(),
            quotes: BTreeMap::new(),
            rfq_order: Vec::new(),
            quote_order: Vec::new(),
            fast_series: BTreeSet::new(),
            events: Vec::new(),
            participant,
            participants_on,
            last_participant_rfq_ms: 0,
            next_market: 0,
            window_ms: CONFIRM_WINDOW_MS,
            fast_window_ms: FAST_CONFIRM_WINDOW_MS,
            sweep_expired: true,
            execution_delay_ms: EXECUTION_DELAY_MS,
        }
    }

    /// Events produced since the last call.
    pub fn take_events(&mut self) -> Vec<CommsEvent> {
        std::mem::take(&mut self.events)
    }

    /// Every RFQ and quote, written out in a fixed order (see `Engine::digest`).
    pub fn digest(&self) -> String {
        format!("{:?}|{:?}", self.rfqs, self.quotes)
    }

    /// The confirmation window of a market, ms.
    pub fn window_ms(&self, engine: &Engine, ticker: &MarketTicker) -> i64 {
        let fast_series = engine
            .market(ticker)
            .is_some_and(|m| self.fast_series.contains(&m.series));
        if fast_series || ticker.as_str().starts_with("KXMVE") {
            self.fast_window_ms
        } else {
            self.window_ms
        }
    }

    pub(super) fn rfq_wire(&self, engine: &Engine, r: &RfqRec, caller: AccountId) -> RFQ {
        RFQ {
            id: r.id.clone(),
            creator_id: comms_id(engine, r.creator),
            market_ticker: r.ticker.clone(),
            contracts_fp: r.contracts,
            target_cost_dollars: r.target_cost,
            target_cost_excludes_fees: None,
            status: if r.open {
                RFQStatus::Open
            } else {
                RFQStatus::Closed
            },
            created_ts: rfc3339_ms(r.created_ms),
            mve_collection_ticker: None,
            mve_selected_legs: None,
            rest_remainder: Some(r.rest_remainder),
            cancellation_reason: r.cancellation_reason.clone(),
            creator_user_id: (caller == r.creator)
                .then(|| engine.account(r.creator).map(|a| a.user_id.clone()))
                .flatten(),
            creator_subaccount: (caller == r.creator).then_some(0),
            cancelled_ts: r.cancelled_ms.map(rfc3339_ms),
            updated_ts: Some(rfc3339_ms(r.updated_ms)),
        }
    }

    pub(super) fn quote_wire(&self, engine: &Engine, q: &QuoteRec, caller: AccountId) -> Quote {
        let mine = caller == q.creator;
        let requester = caller == q.rfq_creator;
        Quote {
            id: q.id.clone(),
            rfq_id: q.rfq_id.clone(),
            creator_id: comms_id(engine, q.creator),
            rfq_creator_id: comms_id(engine, q.rfq_creator),
            market_ticker: q.ticker.clone(),
            contracts_fp: q.contracts,
            yes_bid_dollars: q.yes_bid,
            no_bid_dollars: q.no_bid,
            created_ts: rfc3339_ms(q.created_ms),
            updated_ts: rfc3339_ms(q.updated_ms),
            status: q.status,
            accepted_side: q.accepted_side,
            accepted_ts: q.accepted_ms.map(rfc3339_ms),
            confirmed_ts: q.confirmed_ms.map(rfc3339_ms),
            executed_ts: q.executed_ms.map(rfc3339_ms),
            cancelled_ts: q.cancelled_ms.map(rfc3339_ms),
            rest_remainder: Some(false),
            post_only: mine.then_some(false),
            cancellation_reason: q.cancellation_reason.clone(),
            creator_user_id: mine
                .then(|| engine.account(q.creator).map(|a| a.user_id.clone()))
                .flatten(),
            rfq_creator_user_id: requester
                .then(|| engine.account(q.rfq_creator).map(|a| a.user_id.clone()))
                .flatten(),
            rfq_target_cost_dollars: None,
            target_cost_excludes_fees: None,
            rfq_creator_order_id: if requester {
                q.rfq_creator_order_id.clone()
            } else {
                None
            },
            creator_order_id: if mine {
                q.creator_order_id.clone()
            } else {
                None
            },
            creator_subaccount: mine.then_some(0),
            rfq_creator_subaccount: requester.then_some(0),
            yes_contracts_fp: Some(q.contracts),
            no_contracts_fp: Some(q.contracts),
        }
    }

    pub(super) fn open_rfqs_of(&self, account: AccountId) -> usize {
        self.rfqs
            .values()
            .filter(|r| r.open && r.creator == account)
            .count()
    }

    /// CreateRFQ: at most one open RFQ per market per user (a second is `409` unless it
    /// replaces the first with `replace_existing`).
    ///
    /// # Errors
    /// Unknown/closed market, bad size, or the open-RFQ limit.
    pub fn create_rfq(
        &mut self,
        engine: &Engine,
        account: AccountId,
        req: &CreateRFQRequest,
        now: i64,
    ) -> Result<String> {
        let market = engine
            .market(&req.market_ticker)
            .ok_or_else(|| not_found("market", req.market_ticker.as_str()))?;
        if !market.info.status.is_tradable() {
            return Err(bad(format!(
                "market {} is not open for trading",
                req.market_ticker.as_str()
            )));
        }
        refuse_if_paused(engine)?;
        let contracts = match (req.contracts, req.contracts_fp) {
            (Some(c), Some(fp)) if Count::from_int(c) != fp => {
                return Err(bad("contracts and contracts_fp disagree"))
            }
            (_, Some(fp)) => fp,
            (Some(c), None) => Count::from_int(c),
            (None, None) => return Err(bad("contracts or contracts_fp is required")),
        };
        if contracts.raw() <= 0 {
            return Err(bad("contracts must be positive"));
        }
        if req.replace_existing == Some(true) {
            let mine: Vec<String> = self
                .rfqs
                .values()
                .filter(|r| r.open && r.creator == account && r.ticker == req.market_ticker)
                .map(|r| r.id.clone())
                .collect();
            for id in mine {
                self.close_rfq(engine, &id, now, "replaced");
            }
        }
        if self
            .rfqs
            .values()
            .any(|r| r.open && r.creator == account && r.ticker == req.market_ticker)
        {
            return Err(SimError::Conflict(format!(
                "an RFQ on {} is already open: delete it or send replace_existing",
                req.market_ticker.as_str()
            )));
        }
        if self.open_rfqs_of(account) >= MAX_OPEN_RFQS {
            return Err(bad(format!(
                "too many open RFQs: at most {MAX_OPEN_RFQS} may be open at a time"
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let rec = RfqRec {
            id: id.clone(),
            creator: account,
            ticker: req.market_ticker.clone(),
            event_ticker: market.info.event_ticker.clone(),
            contracts,
            target_cost: req.target_cost_dollars,
            open: true,
            rest_remainder: req.rest_remainder,
            created_ms: now,
            updated_ms: now,
            cancelled_ms: None,
            cancellation_reason: None,
        };
        self.events.push(CommsEvent::RfqCreated(RfqCreatedMsg {
            id: id.clone(),
            creator_id: if req.obscure_creator_id == Some(true) {
                "0".to_owned()
            } else {
                comms_id(engine, account)
            },
            market_ticker: rec.ticker.clone(),
            event_ticker: Some(rec.event_ticker.clone()),
            contracts_fp: Some(contracts),
            target_cost_dollars: rec.target_cost,
            created_ts: rfc3339_ms(now),
            mve_collection_ticker: None,
            mve_selected_legs: None,
        }));
        self.rfqs.insert(id.clone(), rec);
        self.rfq_order.push(id.clone());
        Ok(id)
    }

    /// Closes an open RFQ, cancelling its live quotes; emits `rfq_deleted`.
    pub(super) fn close_rfq(&mut self, engine: &Engine, id: &str, now: i64, reason: &str) {
        let Some(r) = self.rfqs.get_mut(id) else {
            return;
        };
        if !r.open {
            return;
        }
        r.open = false;
        r.updated_ms = now;
        if reason != "executed" {
            r.cancelled_ms = Some(now);
            r.cancellation_reason = Some(reason.to_owned());
        }
        let msg = RfqDeletedMsg {
            id: r.id.clone(),
            creator_id: comms_id(engine, r.creator),
            market_ticker: r.ticker.clone(),
            event_ticker: Some(r.event_ticker.clone()),
            contracts_fp: Some(r.contracts),
            target_cost_dollars: r.target_cost,
            deleted_ts: rfc3339_ms(now),
        };
        for q in self.quotes.values_mut() {
            if q.rfq_id == id
                && matches!(
                    q.status,
                    QuoteStatus::Open | QuoteStatus::Accepted | QuoteStatus::Confirmed
                )
            {
                cancel(q, now, "rfq closed");
            }
        }
        self.events.push(CommsEvent::RfqDeleted(msg));
    }

    /// DeleteRFQ.
    ///
    /// # Errors
    /// Not found (or not the caller's), or already closed.
    pub fn delete_rfq(
        &mut self,
        engine: &Engine,
        account: AccountId,
        id: &str,
        now: i64,
    ) -> Result<()> {
        let r = self
            .rfqs
            .get(id)
            .filter(|r| r.creator == account)
            .ok_or_else(|| not_found("RFQ", id))?;
        if !r.open {
            return Err(bad("RFQ is already closed"));
        }
        self.close_rfq(engine, id, now, "deleted");
        Ok(())
    }

    /// CreateQuote.
    ///
    /// # Errors
    /// Unknown/closed RFQ, own RFQ, bad prices (including `yes_bid + no_bid > $1`).
    pub fn create_quote(
        &mut self,
        engine: &Engine,
        account: AccountId,
        req: &CreateQuoteRequest,
        now: i64,
    ) -> Result<String> {
        let r = self
            .rfqs
            .get(&req.rfq_id)
            .ok_or_else(|| not_found("RFQ", &req.rfq_id))?
            .clone();
        if !r.open {
            return Err(bad("RFQ is not open"));
        }
        refuse_if_paused(engine)?;
        if r.creator == account {
            return Err(bad("cannot quote on your own RFQ"));
        }
        for (name, p) in [("yes_bid", req.yes_bid), ("no_bid", req.no_bid)] {
            if p.is_negative() || p >= Dollars::ONE {
                return Err(bad(format!("{name} must be between $0.00 and $0.99")));
            }
            if p.ten_thousandths().is_none() {
                return Err(bad(format!("{name} has too many decimals")));
            }
        }
        if req.yes_bid.is_zero() && req.no_bid.is_zero() {
            return Err(bad("a quote needs a yes_bid or a no_bid"));
        }
        if req.yes_bid + req.no_bid > Dollars::ONE {
            return Err(bad(format!(
                "yes_bid + no_bid must not exceed $1.00 (got {} + {})",
                req.yes_bid, req.no_bid
            )));
        }
        // A maker's new quote replaces its previous one on this RFQ.
        for q in self.quotes.values_mut() {
            if q.rfq_id == r.id && q.creator == account && q.status == QuoteStatus::Open {
                cancel(q, now, "replaced");
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let q = QuoteRec {
            id: id.clone(),
            rfq_id: r.id.clone(),
            creator: account,
            rfq_creator: r.creator,
            ticker: r.ticker.clone(),
            event_ticker: r.event_ticker.clone(),
            contracts: r.contracts,
            yes_bid: req.yes_bid,
            no_bid: req.no_bid,
            status: QuoteStatus::Open,
            created_ms: now,
            updated_ms: now,
            accepted_side: None,
            accepted_ms: None,
            deadline_ms: None,
            confirmed_ms: None,
            executes_ms: None,
            executed_ms: None,
            cancelled_ms: None,
            cancellation_reason: None,
            rfq_creator_order_id: None,
            creator_order_id: None,
        };
        self.events.push(CommsEvent::QuoteCreated {
            to: [r.creator, account],
            msg: QuoteCreatedMsg {
                quote_id: id.clone(),
                rfq_id: r.id.clone(),
                quote_creator_id: comms_id(engine, account),
                rfq_creator_id: comms_id(engine, r.creator),
                market_ticker: r.ticker.clone(),
                event_ticker: Some(r.event_ticker.clone()),
                yes_bid_dollars: req.yes_bid,
                no_bid_dollars: req.no_bid,
                yes_contracts_offered_fp: Some(r.contracts),
                no_contracts_offered_fp: Some(r.contracts),
                rfq_target_cost_dollars: r.target_cost,
                created_ts: rfc3339_ms(now),
                subaccount: None,
            },
        });
        self.quotes.insert(id.clone(), q);
        self.quote_order.push(id.clone());
        Ok(id)
    }

    pub(super) fn visible_quote(
        &self,
        account: AccountId,
        id: &str,
        rfq_id: Option<&str>,
    ) -> Result<&QuoteRec> {
        self.quotes
            .get(id)
            .filter(|q| q.creator == account || q.rfq_creator == account)
            .filter(|q| rfq_id.is_none_or(|r| r == q.rfq_id))
            .ok_or_else(|| not_found("quote", id))
    }

    /// DeleteQuote (quote creator only; open or accepted quotes).
    ///
    /// # Errors
    /// Not found, or not live.
    pub fn delete_quote(
        &mut self,
        account: AccountId,
        id: &str,
        rfq_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let q = self.visible_quote(account, id, rfq_id)?;
        if q.creator != account {
            return Err(not_found("quote", id));
        }
        let q = self
            .quotes
            .get_mut(id)
            .ok_or_else(|| not_found("quote", id))?;
        if !matches!(q.status, QuoteStatus::Open | QuoteStatus::Accepted) {
            return Err(bad("quote is no longer live"));
        }
        cancel(q, now, "deleted");
        Ok(())
    }

    /// AcceptQuote (RFQ creator only): starts the quoter's confirmation window.
    ///
    /// # Errors
    /// Not found, not open, RFQ closed, or another quote already accepted.
    pub fn accept(
        &mut self,
        engine: &Engine,
        account: AccountId,
        id: &str,
        rfq_id: Option<&str>,
        side: Side,
        now: i64,
    ) -> Result<()> {
        self.expire(now);
        refuse_if_paused(engine)?;
        let q = self.visible_quote(account, id, rfq_id)?;
        if q.rfq_creator != account {
            return Err(bad("only the RFQ's creator may accept its quotes"));
        }
        if q.status != QuoteStatus::Open {
            return Err(bad(format!("quote is not open (status {:?})", q.status)));
        }
        let price = match side {
            Side::Yes => q.no_bid,
            Side::No => q.yes_bid,
        };
        if price.is_zero() {
            return Err(bad("the quote has no bid for the other side of that side"));
        }
        let rfq_open = self.rfqs.get(&q.rfq_id).is_some_and(|r| r.open);
        if !rfq_open {
            return Err(bad("RFQ is not open"));
        }
        let pending = self
            .quotes
            .values()
            .any(|o| o.rfq_id == q.rfq_id && o.status == QuoteStatus::Accepted);
        if pending {
            return Err(bad("another quote on this RFQ awaits confirmation"));
        }
        let window = self.window_ms(engine, &q.ticker);
        let q = self
            .quotes
            .get_mut(id)
            .ok_or_else(|| not_found("quote", id))?;
        q.status = QuoteStatus::Accepted;
        q.accepted_side = Some(side);
        q.accepted_ms = Some(now);
        q.deadline_ms = Some(now + window);
        q.updated_ms = now;
        let msg = QuoteAcceptedMsg {
            quote_id: q.id.clone(),
            rfq_id: q.rfq_id.clone(),
            quote_creator_id: comms_id(engine, q.creator),
            rfq_creator_id: comms_id(engine, q.rfq_creator),
            market_ticker: q.ticker.clone(),
            event_ticker: Some(q.event_ticker.clone()),
            yes_bid_dollars: q.yes_bid,
            no_bid_dollars: q.no_bid,
            accepted_side: Some(side),
            contracts_accepted_fp: Some(q.contracts),
            yes_contracts_offered_fp: Some(q.contracts),
            no_contracts_offered_fp: Some(q.contracts),
            rfq_target_cost_dollars: None,
            subaccount: None,
        };
        self.events.push(CommsEvent::QuoteAccepted {
            to: [q.rfq_creator, q.creator],
            msg,
        });
        Ok(())
    }

    /// ConfirmQuote (quote creator only, inside the window): executes the trade.
    ///
    /// # Errors
    /// Not found, not accepted, window over (the quote is cancelled), or a party cannot pay.
    pub fn confirm(
        &mut self,
        engine: &mut Engine,
        account: AccountId,
        id: &str,
        rfq_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        refuse_if_paused(engine)?;
        let q = self.visible_quote(account, id, rfq_id)?;
        if q.creator != account {
            return Err(bad("only the quote's creator may confirm it"));
        }
        let late = q.status == QuoteStatus::Accepted && q.deadline_ms.is_some_and(|d| now > d);
        let swept = q.status == QuoteStatus::Cancelled
            && q.cancellation_reason.as_deref() == Some(WINDOW_EXPIRED);
        if late || swept {
            self.expire(now);
            return Err(bad(format!("{WINDOW_EXPIRED}; the quote is cancelled")));
        }
        if q.status != QuoteStatus::Accepted {
            return Err(bad(format!(
                "quote is not awaiting confirmation (status {:?})",
                q.status
            )));
        }
        let delay = self.execution_delay_ms;
        let q = self
            .quotes
            .get_mut(id)
            .ok_or_else(|| not_found("quote", id))?;
        q.status = QuoteStatus::Confirmed;
        q.confirmed_ms = Some(now);
        q.executes_ms = Some(now + delay);
        q.updated_ms = now;
        if delay == 0 {
            self.execute(engine, id, now);
        }
        Ok(())
    }

    /// Executes every confirmed quote whose execution timer has run out.
    pub fn execute_due(&mut self, engine: &mut Engine, now: i64) {
        let due: Vec<String> = self
            .quotes
            .values()
            .filter(|q| {
                q.status == QuoteStatus::Confirmed && q.executes_ms.is_some_and(|t| t <= now)
            })
            .map(|q| q.id.clone())
            .collect();
        for id in due {
            self.execute(engine, &id, now);
        }
    }

    /// Executes confirmed quote `id`: the block trade between the RFQ's creator and the
    /// quoter, `quote_executed` to both, the RFQ closed (`rfq_deleted`). A trade the
    /// engine refuses (a balance gone meanwhile) cancels the quote instead.
    fn execute(&mut self, engine: &mut Engine, id: &str, now: i64) {
        let Some(q) = self.quotes.get(id) else {
            return;
        };
        let side = q.accepted_side.unwrap_or(Side::Yes);
        let yes_price = match side {
            Side::Yes => q.no_bid.complement(),
            Side::No => q.yes_bid,
        };
        let (rfq_creator, creator, ticker, contracts) =
            (q.rfq_creator, q.creator, q.ticker.clone(), q.contracts);
        let result = engine.block_trade(
            rfq_creator,
            side,
            creator,
            &ticker,
            yes_price,
            contracts,
            now,
        );
        let Some(q) = self.quotes.get_mut(id) else {
            return;
        };
        let (taker, maker) = match result {
            Ok(fills) => fills,
            Err(e) => {
                tracing::debug!(quote = id, error = %e, "quote execution refused");
                cancel(q, now, "execution failed");
                return;
            }
        };
        q.status = QuoteStatus::Executed;
        q.executed_ms = Some(now);
        q.updated_ms = now;
        q.rfq_creator_order_id = Some(taker.order_id.0.clone());
        q.creator_order_id = Some(maker.order_id.0.clone());
        let q = q.clone();
        for fill in [&taker, &maker] {
            self.events.push(CommsEvent::QuoteExecuted {
                to: fill.account,
                msg: QuoteExecutedMsg {
                    quote_id: q.id.clone(),
                    rfq_id: q.rfq_id.clone(),
                    quote_creator_id: comms_id(engine, q.creator),
                    rfq_creator_id: comms_id(engine, q.rfq_creator),
                    order_id: fill.order_id.clone(),
                    client_order_id: fill.client_order_id.clone(),
                    market_ticker: q.ticker.clone(),
                    executed_ts: rfc3339_ms(now),
                    subaccount: None,
                },
            });
        }
        self.close_rfq(engine, &q.rfq_id, now, "executed");
    }

    /// Cancels accepted quotes whose confirmation window has passed.
    pub fn expire(&mut self, now: i64) -> usize {
        let mut n = 0;
        for q in self.quotes.values_mut() {
            if q.status == QuoteStatus::Accepted && q.deadline_ms.is_some_and(|d| now > d) {
                cancel(q, now, WINDOW_EXPIRED);
                n += 1;
            }
        }
        n
    }
}

pub(super) fn cancel(q: &mut QuoteRec, now: i64, reason: &str) {
    q.status = QuoteStatus::Cancelled;
    q.cancelled_ms = Some(now);
    q.updated_ms = now;
    q.cancellation_reason = Some(reason.to_owned());
}

/// Runs `f` on the RFQ book and engine under the one lock, then publishes what both produced.
/// RFQs, quotes and their acceptance wait out a trading pause like orders.
fn refuse_if_paused(engine: &Engine) -> Result<()> {
    match engine.trading_pause() {
        Some(_) => Err(SimError::Order(crate::engine::OrderError::TradingPaused)),
        None => Ok(()),
    }
}
