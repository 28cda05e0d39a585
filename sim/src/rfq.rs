//! Communications: RFQs and quotes (`/communications/...`, `kalshi-openapi.yaml` 3.31) and
//! the `communications` WebSocket channel.
//!
//! Kalshi's rules as modelled here:
//! - a user has at most [`MAX_OPEN_RFQS`] open RFQs; the next one is refused (400);
//! - a quote whose `yes_bid + no_bid` exceeds $1 is refused (400);
//! - a maker's new quote on an RFQ replaces (cancels) its previous open quote there;
//! - the requester accepts a side; the quoter must confirm within the window
//!   ([`CONFIRM_WINDOW_MS`], or [`FAST_CONFIRM_WINDOW_MS`] for high-volatility series and
//!   combo (`KXMVE…`) markets; tests shorten both with
//!   [`SimExchange::set_confirm_windows`]); a late confirm is refused with "confirmation
//!   window expired" and the quote is cancelled;
//! - expiry: the RFQ task sweeps every 100 ms and cancels accepted quotes whose window has
//!   passed (`cancellation_reason` "confirmation window expired"); deleted quotes are
//!   cancelled ("deleted"), a closed RFQ cancels its live quotes ("rfq closed") and emits
//!   `rfq_deleted`. Kalshi's channel has no quote-cancelled message, so these changes show
//!   in `GetQuotes`/`GetQuote` (with `updated_ts`; `GetQuotes` honours `min_ts`), which the
//!   desk polls.
//! - confirmation executes at once: the requester buys the accepted side (YES at
//!   `1 − no_bid`, NO at `1 − yes_bid`), the quoter the other, and both get fills and
//!   position updates; the RFQ closes and its other quotes are cancelled.
//!
//! Visibility: RFQ events reach every `communications` subscriber; quote events only the
//! RFQ's creator and the quote's creator (see `hub/comms.rs`).
//!
//! Simulated counterparties (when enabled): one participant quotes on registered users'
//! RFQs around the live mid and confirms at once when accepted; it also asks for quotes on
//! open markets now and then and accepts a registered user's quote near the mid.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use shared::api::schema::{
    AcceptQuoteRequest, CreateQuoteRequest, CreateQuoteResponse, CreateRFQRequest,
    CreateRFQResponse, GetCommunicationsIDResponse, GetQuoteResponse, GetQuotesResponse,
    GetRFQResponse, GetRFQsResponse, Quote, QuoteStatus, RFQStatus, RFQ,
};
use shared::ids::{EventTicker, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::rest::API_PREFIX;
use shared::ws::{
    QuoteAcceptedMsg, QuoteCreatedMsg, QuoteExecutedMsg, RfqCreatedMsg, RfqDeletedMsg,
};

use super::auth::Caller;
use super::engine::{AccountId, AccountKind, Engine};
use super::error::{Result, SimError};
use super::wire::rfc3339_ms;
use super::{now_ms, Sim, SimExchange};

/// Open RFQs one user may have.
pub const MAX_OPEN_RFQS: usize = 100;
/// Confirmation window of ordinary markets, ms.
pub const CONFIRM_WINDOW_MS: i64 = 30_000;
/// Confirmation window of high-volatility and combo markets, ms.
pub const FAST_CONFIRM_WINDOW_MS: i64 = 3_000;
/// `cancellation_reason` of an accepted quote whose confirmation window passed.
pub const WINDOW_EXPIRED: &str = "confirmation window expired";
/// How often the RFQ task wakes.
const TICK: Duration = Duration::from_millis(100);
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
struct RfqRec {
    id: String,
    creator: AccountId,
    ticker: MarketTicker,
    event_ticker: EventTicker,
    contracts: Count,
    target_cost: Option<Dollars>,
    open: bool,
    rest_remainder: bool,
    created_ms: i64,
    updated_ms: i64,
    cancelled_ms: Option<i64>,
    cancellation_reason: Option<String>,
}

#[derive(Clone, Debug)]
struct QuoteRec {
    id: String,
    rfq_id: String,
    creator: AccountId,
    rfq_creator: AccountId,
    ticker: MarketTicker,
    event_ticker: EventTicker,
    contracts: Count,
    yes_bid: Dollars,
    no_bid: Dollars,
    status: QuoteStatus,
    created_ms: i64,
    updated_ms: i64,
    accepted_side: Option<Side>,
    accepted_ms: Option<i64>,
    deadline_ms: Option<i64>,
    confirmed_ms: Option<i64>,
    /// When a confirmed quote's execution timer ends.
    executes_ms: Option<i64>,
    executed_ms: Option<i64>,
    cancelled_ms: Option<i64>,
    cancellation_reason: Option<String>,
    rfq_creator_order_id: Option<String>,
    creator_order_id: Option<String>,
}

/// Every RFQ and quote, and the simulated counterparty.
#[derive(Debug)]
pub struct RfqBook {
    rfqs: BTreeMap<String, RfqRec>,
    quotes: BTreeMap<String, QuoteRec>,
    /// Creation order (ids), for listing newest first.
    rfq_order: Vec<String>,
    quote_order: Vec<String>,
    fast_series: BTreeSet<String>,
    events: Vec<CommsEvent>,
    participant: AccountId,
    participants_on: bool,
    last_participant_rfq_ms: i64,
    next_market: usize,
    /// Window of ordinary markets, ms.
    window_ms: i64,
    /// Window of high-volatility and combo markets, ms.
    fast_window_ms: i64,
    /// Whether the RFQ task cancels accepted quotes as soon as their window passes
    /// (otherwise only when they are next touched).
    sweep_expired: bool,
    /// How long a confirmed quote waits before it executes ("confirming a quote … will
    /// start a timer for order execution"), ms.
    execution_delay_ms: i64,
}

fn bad(msg: impl Into<String>) -> SimError {
    SimError::BadRequest(msg.into())
}

fn not_found(what: &str, id: &str) -> SimError {
    SimError::NotFound(format!("{what} {id} not found"))
}

/// The public communications id of an account (stable, anonymized).
fn comms_id(engine: &Engine, account: AccountId) -> String {
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

    fn rfq_wire(&self, engine: &Engine, r: &RfqRec, caller: AccountId) -> RFQ {
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

    fn quote_wire(&self, engine: &Engine, q: &QuoteRec, caller: AccountId) -> Quote {
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

    fn open_rfqs_of(&self, account: AccountId) -> usize {
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
    fn close_rfq(&mut self, engine: &Engine, id: &str, now: i64, reason: &str) {
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

    fn visible_quote(
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

    /// One step of the simulated counterparty.
    fn participants_step(&mut self, engine: &mut Engine, now: i64) {
        if !self.participants_on {
            return;
        }
        let me = self.participant;
        // Confirm our accepted quotes at once.
        let to_confirm: Vec<String> = self
            .quotes
            .values()
            .filter(|q| q.creator == me && q.status == QuoteStatus::Accepted)
            .map(|q| q.id.clone())
            .collect();
        for id in to_confirm {
            let _ = self.confirm(engine, me, &id, None, now);
        }
        // Quote on registered users' RFQs, around the mid.
        let to_quote: Vec<(String, MarketTicker)> = self
            .rfqs
            .values()
            .filter(|r| r.open && r.creator != me && now - r.created_ms >= 300)
            .filter(|r| {
                !self
                    .quotes
                    .values()
                    .any(|q| q.rfq_id == r.id && q.creator == me)
            })
            .map(|r| (r.id.clone(), r.ticker.clone()))
            .collect();
        for (rfq_id, ticker) in to_quote {
            let m = mid(engine, &ticker).unwrap_or(Dollars::from_cents(50));
            let spread = Dollars::from_cents(3);
            let floor = Dollars::from_cents(1);
            let yes_bid = (m - spread).max(floor);
            let no_bid = (m.complement() - spread).max(floor);
            let req = CreateQuoteRequest {
                rfq_id,
                yes_bid,
                no_bid,
                ..CreateQuoteRequest::default()
            };
            let _ = self.create_quote(engine, me, &req, now);
        }
        // Accept a registered user's quote on our RFQs when near the mid.
        let ours: Vec<(String, MarketTicker)> = self
            .rfqs
            .values()
            .filter(|r| r.open && r.creator == me)
            .map(|r| (r.id.clone(), r.ticker.clone()))
            .collect();
        for (rfq_id, ticker) in &ours {
            let m = mid(engine, ticker).unwrap_or(Dollars::from_cents(50));
            let near = Dollars::from_cents(3);
            let pick = self.quotes.values().find_map(|q| {
                if q.rfq_id != *rfq_id
                    || q.status != QuoteStatus::Open
                    || now - q.created_ms < 1_000
                {
                    return None;
                }
                if !q.no_bid.is_zero() && q.no_bid.complement() <= m + near {
                    Some((q.id.clone(), Side::Yes))
                } else if !q.yes_bid.is_zero() && q.yes_bid.complement() <= m.complement() + near {
                    Some((q.id.clone(), Side::No))
                } else {
                    None
                }
            });
            if let Some((id, side)) = pick {
                let _ = self.accept(engine, me, &id, None, side, now);
            }
        }
        // Withdraw our RFQs after a minute; ask for a new one every 20 s.
        for (rfq_id, _) in ours {
            if self
                .rfqs
                .get(&rfq_id)
                .is_some_and(|r| now - r.created_ms > 60_000)
            {
                self.close_rfq(engine, &rfq_id, now, "expired");
            }
        }
        if now - self.last_participant_rfq_ms >= 20_000 && self.open_rfqs_of(me) < 2 {
            let open: Vec<MarketTicker> = engine
                .markets()
                .values()
                .filter(|m| m.info.status.is_tradable())
                .map(|m| m.info.ticker.clone())
                .collect();
            if !open.is_empty() {
                self.next_market = (self.next_market + 7) % open.len();
                let req = CreateRFQRequest {
                    market_ticker: open[self.next_market].clone(),
                    contracts_fp: Some(Count::from_int(10 + (now % 5) * 10)),
                    ..CreateRFQRequest::default()
                };
                let _ = self.create_rfq(engine, me, &req, now);
                self.last_participant_rfq_ms = now;
            }
        }
    }
}

fn cancel(q: &mut QuoteRec, now: i64, reason: &str) {
    q.status = QuoteStatus::Cancelled;
    q.cancelled_ms = Some(now);
    q.updated_ms = now;
    q.cancellation_reason = Some(reason.to_owned());
}

/// Runs `f` on the RFQ book and engine under the one lock, then publishes what both produced.
fn with_rfq<R>(sim: &Sim, f: impl FnOnce(&mut RfqBook, &mut Engine, i64) -> R) -> R {
    let now = now_ms();
    let mut core = sim.lock();
    let core = &mut *core;
    let out = f(&mut core.rfq, &mut core.engine, now);
    core.publish(now);
    let events = core.rfq.take_events();
    if !events.is_empty() {
        core.hub.publish_comms(&events);
    }
    out
}

/// The RFQ task: expiry and the simulated counterparty.
pub(crate) async fn run(sim: Sim) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = sim.token.cancelled() => break,
            _ = tick.tick() => {}
        }
        with_rfq(&sim, |book, engine, now| {
            book.execute_due(engine, now);
            if book.sweep_expired {
                book.expire(now);
            }
            book.participants_step(engine, now);
        });
    }
}

impl SimExchange {
    /// Markets of `series` get the short (3 s) confirmation window, like Kalshi's
    /// high-volatility markets.
    pub fn set_fast_confirm_series(&self, series: &str) {
        self.inner.lock().rfq.fast_series.insert(series.to_owned());
    }

    /// The execution timer a confirm starts (default 200 ms; zero executes at once).
    pub fn set_execution_delay(&self, delay: Duration) {
        self.inner.lock().rfq.execution_delay_ms =
            i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    }

    /// Confirmation windows: `ordinary` for most markets, `fast` for high-volatility
    /// series ([`Self::set_fast_confirm_series`]) and combo markets. Kalshi's are 30 s and
    /// 3 s (the defaults); tests shorten them instead of waiting.
    pub fn set_confirm_windows(&self, ordinary: Duration, fast: Duration) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut core = self.inner.lock();
        core.rfq.window_ms = ms(ordinary);
        core.rfq.fast_window_ms = ms(fast);
    }

    /// Whether accepted quotes are cancelled as soon as their window passes (default), or
    /// only when next touched (accept/confirm). Off lets a test act on a quote that still
    /// reads `accepted` after its deadline, e.g. to see a late confirm refused.
    pub fn set_rfq_expiry_sweep(&self, on: bool) {
        self.inner.lock().rfq.sweep_expired = on;
    }

    /// Turns the simulated RFQ counterparty on or off.
    pub fn set_rfq_participants(&self, on: bool) {
        self.inner.lock().rfq.participants_on = on;
    }
}

/// RFQs, quotes and their acceptance wait out a trading pause like orders.
fn refuse_if_paused(engine: &Engine) -> Result<()> {
    match engine.trading_pause() {
        Some(_) => Err(SimError::Order(crate::engine::OrderError::TradingPaused)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// REST handlers.

use super::rest::{params, Params};

fn limit(p: &HashMap<String, String>) -> Result<usize> {
    match p.get("limit").map(String::as_str) {
        None | Some("") => Ok(100),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(bad(format!("limit must be between 1 and 1000, got {t:?}"))),
        },
    }
}

fn offset(p: &HashMap<String, String>) -> Result<usize> {
    match p.get("cursor").map(String::as_str) {
        None | Some("") => Ok(0),
        Some(t) => t.parse().map_err(|_| bad(format!("invalid cursor {t:?}"))),
    }
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid {what} body: {e}")))
}

fn page<T>(items: Vec<T>, start: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = start + out.len();
    (out, (next < total).then(|| next.to_string()))
}

async fn get_comms_id(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
) -> Json<GetCommunicationsIDResponse> {
    let core = sim.lock();
    Json(GetCommunicationsIDResponse {
        communications_id: comms_id(&core.engine, me),
    })
}

async fn get_rfqs(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    q: Params,
) -> Result<Json<GetRFQsResponse>> {
    let p = params(q)?;
    let (lim, start) = (limit(&p)?, offset(&p)?);
    let only_mine = p.get("user_filter").is_some_and(|v| v == "self");
    let status = p.get("status").filter(|s| !s.is_empty()).cloned();
    let market = p.get("market_ticker").filter(|s| !s.is_empty()).cloned();
    let core = sim.lock();
    let book = &core.rfq;
    let all: Vec<RFQ> = book
        .rfq_order
        .iter()
        .rev()
        .filter_map(|id| book.rfqs.get(id))
        .filter(|r| r.open || r.creator == me)
        .filter(|r| !only_mine || r.creator == me)
        .filter(|r| market.as_deref().is_none_or(|m| m == r.ticker.as_str()))
        .filter(|r| status.as_deref().is_none_or(|s| (s == "open") == r.open))
        .map(|r| book.rfq_wire(&core.engine, r, me))
        .collect();
    let (rfqs, cursor) = page(all, start, lim);
    Ok(Json(GetRFQsResponse { rfqs, cursor }))
}

async fn create_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateRFQRequest = body(&bytes, "CreateRFQ")?;
    let id = with_rfq(&sim, |book, engine, now| {
        book.create_rfq(engine, me, &req, now)
    })?;
    Ok((StatusCode::CREATED, Json(CreateRFQResponse { id })))
}

async fn get_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<GetRFQResponse>> {
    let core = sim.lock();
    let r = core
        .rfq
        .rfqs
        .get(&id)
        .filter(|r| r.open || r.creator == me)
        .ok_or_else(|| not_found("RFQ", &id))?;
    Ok(Json(GetRFQResponse {
        rfq: core.rfq.rfq_wire(&core.engine, r, me),
    }))
}

async fn delete_rfq(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.delete_rfq(engine, me, &id, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_quotes(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    q: Params,
) -> Result<Json<GetQuotesResponse>> {
    let p = params(q)?;
    let (lim, start) = (limit(&p)?, offset(&p)?);
    let mine = p.get("user_filter").is_some_and(|v| v == "self");
    let on_mine = p.get("rfq_user_filter").is_some_and(|v| v == "self");
    let status = p.get("status").filter(|s| !s.is_empty()).cloned();
    let rfq_id = p.get("rfq_id").filter(|s| !s.is_empty()).cloned();
    let min_ms = match p.get("min_ts").map(String::as_str) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| bad(format!("min_ts must be a Unix timestamp, got {t:?}")))?
                .saturating_mul(1000),
        ),
    };
    let core = sim.lock();
    let book = &core.rfq;
    let all: Vec<Quote> = book
        .quote_order
        .iter()
        .rev()
        .filter_map(|id| book.quotes.get(id))
        .filter(|q| q.creator == me || q.rfq_creator == me)
        .filter(|q| !mine || q.creator == me)
        .filter(|q| !on_mine || q.rfq_creator == me)
        .filter(|q| rfq_id.as_deref().is_none_or(|r| r == q.rfq_id))
        .filter(|q| min_ms.is_none_or(|m| q.updated_ms >= m))
        .map(|q| book.quote_wire(&core.engine, q, me))
        .filter(|q| {
            status.as_deref().is_none_or(|s| {
                serde_json::to_value(q.status)
                    .ok()
                    .and_then(|v| v.as_str().map(|v| v == s))
                    == Some(true)
            })
        })
        .collect();
    let (quotes, cursor) = page(all, start, lim);
    Ok(Json(GetQuotesResponse { quotes, cursor }))
}

async fn create_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateQuoteRequest = body(&bytes, "CreateQuote")?;
    let id = with_rfq(&sim, |book, engine, now| {
        book.create_quote(engine, me, &req, now)
    })?;
    Ok((StatusCode::CREATED, Json(CreateQuoteResponse { id })))
}

fn quote_response(
    sim: &Sim,
    me: AccountId,
    id: &str,
    rfq_id: Option<&str>,
) -> Result<Json<GetQuoteResponse>> {
    let core = sim.lock();
    let q = core.rfq.visible_quote(me, id, rfq_id)?;
    Ok(Json(GetQuoteResponse {
        quote: core.rfq.quote_wire(&core.engine, q, me),
    }))
}

async fn get_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<GetQuoteResponse>> {
    quote_response(&sim, me, &id, None)
}

async fn get_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<Json<GetQuoteResponse>> {
    quote_response(&sim, me, &id, Some(&rfq_id))
}

async fn delete_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, _, now| book.delete_quote(me, &id, None, now))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, _, now| {
        book.delete_quote(me, &id, Some(&rfq_id), now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

fn accept_side(bytes: &Bytes) -> Result<Side> {
    let req: AcceptQuoteRequest = body(bytes, "AcceptQuote")?;
    req.accepted_side
        .ok_or_else(|| bad("accepted_side (yes or no) is required"))
}

async fn accept_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<StatusCode> {
    let side = accept_side(&bytes)?;
    with_rfq(&sim, |book, engine, now| {
        book.accept(engine, me, &id, None, side, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn accept_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<StatusCode> {
    let side = accept_side(&bytes)?;
    with_rfq(&sim, |book, engine, now| {
        book.accept(engine, me, &id, Some(&rfq_id), side, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.confirm(engine, me, &id, None, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm_rfq_quote(
    State(sim): State<Sim>,
    Extension(Caller(me)): Extension<Caller>,
    Path((rfq_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    with_rfq(&sim, |book, engine, now| {
        book.confirm(engine, me, &id, Some(&rfq_id), now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The communications routes (merged into the simulator's router, behind its auth layer).
pub(crate) fn routes() -> Router<Sim> {
    let p = |path: &str| format!("{API_PREFIX}/communications{path}");
    Router::new()
        .route(&p("/id"), get(get_comms_id))
        .route(&p("/rfqs"), get(get_rfqs).post(create_rfq))
        .route(&p("/rfqs/{rfq_id}"), get(get_rfq).delete(delete_rfq))
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}"),
            get(get_rfq_quote).delete(delete_rfq_quote),
        )
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}/accept"),
            put(accept_rfq_quote),
        )
        .route(
            &p("/rfqs/{rfq_id}/quotes/{quote_id}/confirm"),
            put(confirm_rfq_quote),
        )
        .route(&p("/quotes"), get(get_quotes).post(create_quote))
        .route(
            &p("/quotes/{quote_id}"),
            get(get_quote).delete(delete_quote),
        )
        .route(&p("/quotes/{quote_id}/accept"), put(accept_quote))
        .route(&p("/quotes/{quote_id}/confirm"), put(confirm_quote))
}
