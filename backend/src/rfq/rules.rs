//! The market maker's quoting and confirmation rules, run in the backend because a browser
//! round trip can miss a 3-second confirmation window.
//!
//! One task ([`RfqRules::run`]) reads the hub's fan-out like a browser session does. On an
//! `rfq_created` from someone else it asks the first enabled rule with an auto-quote part
//! covering the market, and quotes `mid ± spread` (size cap permitting). On a
//! `quote_accepted` of one of our quotes it asks the first rule with an auto-confirm part
//! and confirms at once when the trade keeps the market's position, the trade's notional
//! and today's money at risk inside the rule's limits.
//!
//! Each rule acts for its owner: before a quote or a confirm the owner must exist, be
//! enabled, hold the RFQ role and not be halted (nor the desk), and the action must fit the
//! owner's own limits ([`crate::team::limits::check`], in the market's turn at the gate orders
//! use) as well as the rule's. A confirm re-reads the quote (`GetQuote`) and acts on what the
//! exchange holds. The audit actor is `rule:<id>@<owner>`. Every action (or refusal) is logged
//! with the rule that took it and published live; a confirm's entry carries the time from
//! the `quote_accepted` frame reaching the backend to the confirm request being sent (and
//! to the exchange's answer). If the task falls behind the fan-out it reads our accepted
//! quotes over REST (`GetQuotes`) so no acceptance is skipped; each is confirmed once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::api::ops::{
    ConfirmRFQQuote, ConfirmRFQQuotePath, CreateQuote, GetCommunicationsID, GetQuote, GetQuotePath,
    GetQuotes, GetQuotesQuery,
};
use shared::api::schema::{CreateQuoteRequest, EmptyResponse, Quote, QuoteStatus, UserFilter};
use shared::api::{NoPath, NoQuery};
use shared::auth::UserView;
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::ServerMsg;
use shared::rfq::{RfqEvent, RuleAction, RuleLogEntry, RuleSet};
use shared::ws_msg::{QuoteAcceptedMsg, RfqCreatedMsg};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;
use crate::team::limits::Gate;
use crate::team::store::Store;

/// Log entries kept.
const LOG_KEPT: usize = 500;

#[derive(Debug, Default)]
struct State {
    rules: RuleSet,
    log: VecDeque<RuleLogEntry>,
    comms_id: Option<String>,
    /// Unix day of `at_risk`.
    day: i64,
    /// Our cost of today's automatic confirms.
    at_risk: Dollars,
    /// Accepted quotes already handed to the confirm rule (newest last), so a quote seen
    /// both on the channel and in a catch-up read is confirmed once.
    handled: VecDeque<String>,
}

/// The setting the rule set is stored under.
const RULES_SETTING: &str = "rfq_rules";

/// How often the stored rules are read again (a change made through another replica).
pub const RULES_REREAD: Duration = Duration::from_secs(1);

/// Accepted quote ids remembered for de-duplication.
const HANDLED_KEPT: usize = 1_000;

/// The rules, their log, and the task that applies them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RfqRules {
    state: Arc<Mutex<State>>,
    hub: Hub,
    kalshi: KalshiClient,
    store: Store,
    gate: Gate,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The mid of a book (YES bid ladder, NO bid ladder, ascending), rounded to the cent.
pub fn mid(yes: &[(Dollars, Count)], no: &[(Dollars, Count)]) -> Option<Dollars> {
    let bid = yes.last().map(|(p, _)| *p);
    let ask = no.last().map(|(p, _)| p.complement());
    let raw = match (bid, ask) {
        (Some(b), Some(a)) => (b.raw() + a.raw()) / 2,
        (Some(b), None) => b.raw(),
        (None, Some(a)) => a.raw(),
        (None, None) => return None,
    };
    let cent = Dollars::from_cents(1).raw();
    Some(Dollars::from_cents(((raw + cent / 2) / cent).clamp(1, 99)))
}

impl RfqRules {
    /// No rules yet. Rules check their owners in `store` and take the market's turn at
    /// `gate` (the one orders use) around each quote and confirm.
    pub fn new(hub: Hub, kalshi: KalshiClient, store: Store, gate: Gate) -> RfqRules {
        RfqRules {
            state: Arc::new(Mutex::new(State::default())),
            hub,
            kalshi,
            store,
            gate,
        }
    }

    /// The rule's owner, when they may act now: a user that exists, is enabled, has the
    /// RFQ role and is not halted (nor the desk). `Err`: why the rule stands still.
    async fn owner(&self, owner: Option<&str>) -> Result<UserView, String> {
        let Some(name) = owner else {
            return Err("the rule has no owner".to_owned());
        };
        let user = match self.store.user_with_hash(name).await {
            Ok(Some((u, _))) if u.disabled => {
                return Err(format!("owner {name} is disabled: the rule is off"))
            }
            Ok(Some((u, _))) if !u.role.permissions().rfq => {
                return Err(format!(
                    "owner {name} no longer has the RFQ role: the rule is off"
                ))
            }
            Ok(Some((u, _))) => u,
            Ok(None) => return Err(format!("owner {name} no longer exists: the rule is off")),
            Err(e) => return Err(format!("owner {name} unknown: {e}")),
        };
        match self.store.halt_for(name).await {
            Ok(None) => Ok(user),
            Ok(Some(h)) => Err(format!(
                "halted ({}: {}): the rule stands still",
                h.actor, h.reason
            )),
            Err(e) => Err(format!("halts unknown: {e}")),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current rules.
    pub fn rules(&self) -> RuleSet {
        self.lock().rules.clone()
    }

    /// Stores `rules` (set by `actor`) and applies them: they survive a restart and every
    /// replica sharing the database picks them up within [`RULES_REREAD`].
    ///
    /// # Errors
    /// The store's; nothing changed then.
    pub async fn save(
        &self,
        rules: RuleSet,
        actor: &str,
    ) -> Result<(), crate::team::store::StoreError> {
        self.store.put_setting(RULES_SETTING, &rules, actor).await?;
        self.set_rules(rules);
        Ok(())
    }

    /// Reads the stored rules and applies them when they differ from the ones in force
    /// (a store error keeps those, and is logged).
    pub async fn reload(&self) {
        match self.store.setting::<RuleSet>(RULES_SETTING).await {
            Ok(Some(stored)) if stored != self.rules() => self.set_rules(stored),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the stored RFQ rules"),
        }
    }

    /// Replaces the rules and tells every session.
    pub fn set_rules(&self, rules: RuleSet) {
        self.lock().rules = rules.clone();
        self.hub
            .publish_account(ServerMsg::Rfq(RfqEvent::Rules(rules)));
    }

    /// The log, oldest first.
    pub fn log(&self) -> Vec<RuleLogEntry> {
        self.lock().log.iter().cloned().collect()
    }

    /// Our communications id, once known.
    pub fn communications_id(&self) -> Option<String> {
        self.lock().comms_id.clone()
    }

    fn record(&self, entry: RuleLogEntry) {
        tracing::info!(rule = entry.rule_id, action = ?entry.action, rfq = %entry.rfq_id, detail = %entry.detail, reaction_ms = ?entry.reaction_ms, "rfq rule");
        {
            let mut s = self.lock();
            s.log.push_back(entry.clone());
            while s.log.len() > LOG_KEPT {
                s.log.pop_front();
            }
        }
        self.hub
            .publish_account(ServerMsg::Rfq(RfqEvent::Rule(entry)));
    }

    /// Applies the rules to the hub's stream until `cancel` fires. In cluster mode
    /// (`leader` given) only the replica holding the upstream acts, so an RFQ is quoted
    /// once; every replica keeps its rules in step with the store.
    pub async fn run(self, cancel: CancellationToken, leader: Option<watch::Receiver<bool>>) {
        self.reload().await;
        let mut rx = self.hub.subscribe();
        let mut reread = tokio::time::interval(RULES_REREAD);
        while self.communications_id().is_none() {
            match self
                .kalshi
                .send::<GetCommunicationsID>(&NoPath, &NoQuery {}, None)
                .await
            {
                Ok(r) => self.lock().comms_id = Some(r.communications_id),
                Err(e) => {
                    tracing::warn!(error = %e, "communications id unavailable; retrying");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return,
                _ = reread.tick() => {
                    self.reload().await;
                    continue;
                }
                e = rx.recv() => e,
            };
            if leader.as_ref().is_some_and(|l| !*l.borrow()) {
                continue;
            }
            let event = match event {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => {
                    // A skipped `quote_accepted` would miss its window: read our accepted
                    // quotes instead and confirm those not handled yet.
                    tracing::warn!(
                        skipped = n,
                        "rfq rules fell behind the fan-out; reading accepted quotes"
                    );
                    let this = self.clone();
                    tokio::spawn(async move { this.catch_up().await });
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let ServerMsg::Rfq(rfq) = &*event.msg else {
                continue;
            };
            let me = self.communications_id().unwrap_or_default();
            match rfq {
                RfqEvent::QuoteAccepted(m) if m.quote_creator_id == me => {
                    let at = Instant::now();
                    if self.first_time(&m.quote_id) {
                        let (this, m) = (self.clone(), m.clone());
                        tokio::spawn(async move { this.on_accepted(m, at).await });
                    }
                }
                RfqEvent::RfqCreated(m) if m.creator_id != me => {
                    let (this, m) = (self.clone(), m.clone());
                    tokio::spawn(async move { this.on_rfq(m).await });
                }
                _ => {}
            }
        }
    }

    /// Whether `quote_id` is new to the confirm rule (and remembers it).
    fn first_time(&self, quote_id: &str) -> bool {
        let mut s = self.lock();
        if s.handled.iter().any(|q| q == quote_id) {
            return false;
        }
        s.handled.push_back(quote_id.to_owned());
        while s.handled.len() > HANDLED_KEPT {
            s.handled.pop_front();
        }
        true
    }

    /// After falling behind the fan-out: our accepted quotes (`GetQuotes`, `user_filter=self`,
    /// `status=accepted`) go to the confirm rule unless it has seen them.
    async fn catch_up(&self) {
        let query = GetQuotesQuery {
            user_filter: Some(UserFilter::SelfV),
            status: Some("accepted".into()),
            limit: Some(100),
            ..GetQuotesQuery::default()
        };
        let at = Instant::now();
        match self.kalshi.send::<GetQuotes>(&NoPath, &query, None).await {
            Ok(r) => {
                for m in r.quotes.iter().filter_map(accepted_msg) {
                    if self.first_time(&m.quote_id) {
                        let this = self.clone();
                        tokio::spawn(async move { this.on_accepted(m, at).await });
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading accepted quotes failed"),
        }
    }

    fn entry(
        rule_id: u32,
        action: RuleAction,
        ticker: &MarketTicker,
        rfq_id: &str,
        quote_id: Option<&str>,
        detail: String,
    ) -> RuleLogEntry {
        RuleLogEntry {
            ts_ms: now_ms(),
            rule_id,
            action,
            market_ticker: ticker.clone(),
            rfq_id: rfq_id.to_owned(),
            quote_id: quote_id.map(str::to_owned),
            detail,
            reaction_ms: None,
            reaction_us: None,
            answered_us: None,
        }
    }

    async fn on_rfq(&self, m: RfqCreatedMsg) {
        let Some((rule_id, quote, owner)) = self
            .lock()
            .rules
            .quoting(&m.market_ticker)
            .map(|(r, q)| (r.id, q.clone(), r.owner.clone()))
        else {
            return;
        };
        let t = &m.market_ticker;
        let skip =
            |detail: String| Self::entry(rule_id, RuleAction::QuoteSkipped, t, &m.id, None, detail);
        let owner = match self.owner(owner.as_deref()).await {
            Ok(u) => u,
            Err(why) => {
                self.record(skip(why));
                return;
            }
        };
        let Some(contracts) = m.contracts_fp else {
            self.record(skip("RFQ by target cost only; not quoted".into()));
            return;
        };
        if contracts > quote.max_contracts {
            self.record(skip(format!(
                "size {contracts} above cap {}",
                quote.max_contracts
            )));
            return;
        }
        let book = match self.kalshi.orderbook(t).await {
            Ok(b) => b,
            Err(e) => {
                self.record(skip(format!("no order book: {e}")));
                return;
            }
        };
        let (yes, no) = book
            .orderbook_fp
            .map(|b| (b.yes_dollars, b.no_dollars))
            .unwrap_or_default();
        let Some(mid) = mid(&yes, &no) else {
            self.record(skip("empty book: no mid".into()));
            return;
        };
        let floor = |p: Dollars| {
            if p.raw() < Dollars::from_cents(1).raw() {
                Dollars::ZERO
            } else {
                p
            }
        };
        let yes_bid = floor(mid - quote.spread);
        let no_bid = floor(mid.complement() - quote.spread);
        if yes_bid.is_zero() && no_bid.is_zero() {
            self.record(skip(format!(
                "spread {} leaves no bid around mid {mid}",
                quote.spread
            )));
            return;
        }
        // The owner's own limits, on the worst case (a quote fills one way or the other).
        let deltas = crate::team::limits::quote_deltas(yes_bid, no_bid, contracts);
        let _turn = self.gate.market(t).await;
        let operation = format!("rule {rule_id}: CreateQuote");
        if let Err(e) = crate::team::limits::check(
            &self.store,
            &self.kalshi,
            self.hub.exposure(),
            &owner,
            crate::team::limits::Check {
                operation: &operation,
                ticker: t,
                price: yes_bid.max(no_bid),
                count: contracts,
                deltas: &deltas,
                subaccount: None,
                replaces: None,
            },
        )
        .await
        {
            self.record(skip(format!("owner {}'s limits: {e}", owner.username)));
            return;
        }
        let req = CreateQuoteRequest {
            rfq_id: m.id.clone(),
            yes_bid,
            no_bid,
            ..CreateQuoteRequest::default()
        };
        match self
            .kalshi
            .acting_as(crate::team::auth::Actor::Rule(format!(
                "{rule_id}@{}",
                owner.username
            )))
            .send::<CreateQuote>(&NoPath, &NoQuery {}, Some(&req))
            .await
        {
            Ok(r) => self.record(Self::entry(
                rule_id,
                RuleAction::Quoted,
                t,
                &m.id,
                Some(&r.id),
                format!("mid {mid}: yes bid {yes_bid}, no bid {no_bid} for {contracts}"),
            )),
            Err(e) => self.record(Self::entry(
                rule_id,
                RuleAction::Failed,
                t,
                &m.id,
                None,
                format!("quote refused: {e}"),
            )),
        }
    }

    async fn on_accepted(&self, m: QuoteAcceptedMsg, at: Instant) {
        let Some((rule_id, limits, owner)) = self
            .lock()
            .rules
            .confirming(&m.market_ticker)
            .map(|(r, c)| (r.id, c.clone(), r.owner.clone()))
        else {
            return;
        };
        let t = &m.market_ticker;
        let decline = |detail: String| {
            Self::entry(
                rule_id,
                RuleAction::ConfirmDeclined,
                t,
                &m.rfq_id,
                Some(&m.quote_id),
                detail,
            )
        };
        // What the exchange holds now, not what the frame said.
        let quote_path = GetQuotePath {
            quote_id: m.quote_id.clone(),
        };
        let m = match self
            .kalshi
            .send::<GetQuote>(&quote_path, &NoQuery {}, None)
            .await
        {
            Ok(r) => match accepted_msg(&r.quote) {
                Some(fresh) if fresh.market_ticker == m.market_ticker => fresh,
                _ => {
                    self.record(decline(format!(
                        "the exchange has the quote {:?}, not accepted",
                        r.quote.status
                    )));
                    return;
                }
            },
            Err(e) => {
                self.record(decline(format!("quote unreadable: {e}")));
                return;
            }
        };
        let owner = match self.owner(owner.as_deref()).await {
            Ok(u) => u,
            Err(why) => {
                self.record(decline(why));
                return;
            }
        };
        let Some(accepted) = m.accepted_side else {
            self.record(decline("accepted side missing".into()));
            return;
        };
        // The requester bought `accepted`; we buy the other side at our bid for it.
        let (our_side, our_price) = match accepted {
            Side::Yes => (Side::No, m.no_bid_dollars),
            Side::No => (Side::Yes, m.yes_bid_dollars),
        };
        let contracts = m
            .contracts_accepted_fp
            .or(m.yes_contracts_offered_fp)
            .unwrap_or(Count::ZERO);
        let Some(notional) = our_price.checked_times(contracts) else {
            self.record(decline("notional does not fit".into()));
            return;
        };
        let _turn = self.gate.market(t).await;
        let operation = format!("rule {rule_id}: ConfirmRFQQuote");
        let delta = match our_side {
            Side::Yes => contracts.raw(),
            Side::No => -contracts.raw(),
        };
        if let Err(e) = crate::team::limits::check(
            &self.store,
            &self.kalshi,
            self.hub.exposure(),
            &owner,
            crate::team::limits::Check {
                operation: &operation,
                ticker: t,
                price: our_price,
                count: contracts,
                deltas: &[delta],
                subaccount: None,
                replaces: None,
            },
        )
        .await
        {
            self.record(decline(format!("owner {}'s limits: {e}", owner.username)));
            return;
        }
        if notional > limits.max_notional {
            self.record(decline(format!(
                "notional {notional} above limit {}",
                limits.max_notional
            )));
            return;
        }
        // The primary's position in the market, from the live exposure book (no request once
        // the market is tracked); a decline it would give is confirmed over REST first.
        let after_of = |net: i64| match our_side {
            Side::Yes => net.checked_add(contracts.raw()),
            Side::No => net.checked_sub(contracts.raw()),
        };
        let within = |e: crate::live::exposure::Exposure| {
            after_of(e.position).is_some_and(|a| a.abs() <= limits.max_position.raw())
        };
        let net = match crate::team::limits::exposure(
            self.hub.exposure(),
            &self.kalshi,
            t,
            Some(&[0]),
            None,
            within,
        )
        .await
        {
            Ok(e) => e.position,
            Err(e) => {
                self.record(decline(format!("position unknown: {e}")));
                return;
            }
        };
        let Some(after) = after_of(net).map(Count::from_raw) else {
            self.record(decline("position does not fit".into()));
            return;
        };
        if after.abs() > limits.max_position {
            self.record(decline(format!(
                "position would be {after}, limit {}",
                limits.max_position
            )));
            return;
        }
        {
            let mut s = self.lock();
            let today = now_ms().div_euclid(86_400_000);
            if s.day != today {
                s.day = today;
                s.at_risk = Dollars::ZERO;
            }
            if s.at_risk + notional > limits.daily_loss_limit {
                let at_risk = s.at_risk;
                drop(s);
                self.record(decline(format!(
                    "today's risk {at_risk} + {notional} above daily limit {}",
                    limits.daily_loss_limit
                )));
                return;
            }
            s.at_risk += notional;
        }
        let path = ConfirmRFQQuotePath {
            rfq_id: m.rfq_id.clone(),
            quote_id: m.quote_id.clone(),
        };
        let elapsed = at.elapsed();
        let reaction = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let reaction_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let result = self
            .kalshi
            .acting_as(crate::team::auth::Actor::Rule(format!(
                "{rule_id}@{}",
                owner.username
            )))
            .send::<ConfirmRFQQuote>(&path, &NoQuery {}, Some(&EmptyResponse::default()))
            .await;
        let answered = at.elapsed();
        let total = answered.as_millis();
        let mut entry = match result {
            Ok(_) => Self::entry(
                rule_id,
                RuleAction::Confirmed,
                t,
                &m.rfq_id,
                Some(&m.quote_id),
                format!(
                    "bought {contracts} {our_side:?} at {our_price}; position {after}; confirm sent {reaction} ms after quote_accepted, answered at {total} ms"
                ),
            ),
            Err(e) => {
                self.lock().at_risk -= notional;
                Self::entry(
                    rule_id,
                    RuleAction::Failed,
                    t,
                    &m.rfq_id,
                    Some(&m.quote_id),
                    format!("confirm refused: {e}"),
                )
            }
        };
        entry.reaction_ms = Some(reaction);
        entry.reaction_us = Some(reaction_us);
        entry.answered_us = Some(u64::try_from(answered.as_micros()).unwrap_or(u64::MAX));
        self.record(entry);
    }
}

/// The `quote_accepted` message an accepted quote read over REST stands for.
fn accepted_msg(q: &Quote) -> Option<QuoteAcceptedMsg> {
    (q.status == QuoteStatus::Accepted).then(|| QuoteAcceptedMsg {
        quote_id: q.id.clone(),
        rfq_id: q.rfq_id.clone(),
        quote_creator_id: q.creator_id.clone(),
        rfq_creator_id: q.rfq_creator_id.clone(),
        market_ticker: q.market_ticker.clone(),
        yes_bid_dollars: q.yes_bid_dollars,
        no_bid_dollars: q.no_bid_dollars,
        accepted_side: q.accepted_side,
        contracts_accepted_fp: Some(q.contracts_fp),
        yes_contracts_offered_fp: q.yes_contracts_fp,
        no_contracts_offered_fp: q.no_contracts_fp,
        ..QuoteAcceptedMsg::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_quote_read_over_rest_stands_for_its_quote_accepted() {
        let q = Quote {
            id: "q1".into(),
            rfq_id: "r1".into(),
            market_ticker: MarketTicker::from("KXDESK-26DEC31-T50"),
            yes_bid_dollars: d("0.40"),
            no_bid_dollars: d("0.55"),
            contracts_fp: Count::from_int(10),
            status: QuoteStatus::Accepted,
            accepted_side: Some(Side::No),
            ..Quote::default()
        };
        let m = accepted_msg(&q).expect("accepted");
        assert_eq!((m.quote_id.as_str(), m.rfq_id.as_str()), ("q1", "r1"));
        assert_eq!(m.accepted_side, Some(Side::No));
        assert_eq!(m.contracts_accepted_fp, Some(Count::from_int(10)));
        assert_eq!(m.yes_bid_dollars, d("0.40"));
        for other in [
            QuoteStatus::Open,
            QuoteStatus::Executed,
            QuoteStatus::Cancelled,
        ] {
            assert!(accepted_msg(&Quote {
                status: other,
                ..q.clone()
            })
            .is_none());
        }
    }

    #[tokio::test]
    async fn each_accepted_quote_goes_to_the_confirm_rule_once() {
        let (hub, _commands) = Hub::new(shared::protocol::Environment::Sim);
        let signer = crate::kalshi::signer::Signer::from_key(
            "k",
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
        );
        let kalshi = KalshiClient::new("http://127.0.0.1:9/trade-api/v2", signer).unwrap();
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let rules = RfqRules::new(hub, kalshi, store, Gate::default());
        assert!(rules.first_time("a"));
        assert!(rules.first_time("b"));
        assert!(
            !rules.first_time("a"),
            "seen on the channel, then in a catch-up read"
        );
        for i in 0..HANDLED_KEPT {
            rules.first_time(&format!("x{i}"));
        }
        assert!(
            rules.first_time("a"),
            "bounded memory: the oldest are forgotten"
        );
    }

    fn d(s: &str) -> Dollars {
        s.parse().unwrap()
    }

    #[test]
    fn mid_is_between_best_bid_and_implied_ask_rounded_to_the_cent() {
        let c = Count::from_int(1);
        assert_eq!(mid(&[(d("0.40"), c)], &[(d("0.55"), c)]), Some(d("0.43")));
        assert_eq!(mid(&[(d("0.40"), c)], &[]), Some(d("0.40")));
        assert_eq!(mid(&[], &[(d("0.70"), c)]), Some(d("0.30")));
        assert_eq!(mid(&[], &[]), None);
    }
}
