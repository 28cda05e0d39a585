//! The RFQ desk panel: ask for quotes; incoming RFQs with the market's book and mid and a
//! one-action quote; our RFQs with quotes arriving live (accept YES or NO); our quotes with
//! status and a confirm countdown (confirm in one action); the backend's auto-quote /
//! auto-confirm rules with their log.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::rfq::{
    AcceptQuote, AutoConfirm, AutoQuote, ConfirmQuote, NewQuote, NewRfq, Rule, RuleAction,
    RuleLogEntry, RuleSet,
};

use crate::api;
use crate::components::rfq::{now_ms, window_ms, QuoteRow, RfqRow, RfqState};
use crate::state::{use_account, use_market, use_toasts, Toasts};

fn use_rfq() -> RfqState {
    use_context::<RfqState>().expect("RfqState is installed by App before the RFQ desk renders")
}

fn money(d: Option<Dollars>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("${d}"))
}

fn count(c: Option<Count>) -> String {
    c.map_or_else(|| "—".to_owned(), |c| c.to_string())
}

/// Shows a refused action on a quote beside it (and as a toast).
fn refused(
    s: RfqState,
    toasts: Toasts,
    quote_id: &str,
    result: api::Result<()>,
    what: &'static str,
) {
    if let Err(e) = result {
        let text = format!("{what} refused: {e}");
        s.refuse(quote_id, text.clone());
        toasts.toast("reject", text);
    }
}

/// Shows an action's failure as a toast.
fn report(result: api::Result<()>, what: &'static str) {
    if let Err(e) = result {
        use_desk_toast(format!("{what}: {e}"));
    }
}

fn use_desk_toast(text: String) {
    if let Some(toasts) = use_context::<Toasts>() {
        toasts.toast("reject", text);
    }
}

/// The panel.
#[component]
pub fn RfqDesk() -> impl IntoView {
    let s = use_rfq();
    let account = use_account();
    // Read again whenever the account is (after a reconnect, or a session that fell behind).
    let seed = LocalResource::new(move || {
        account.reloads.track();
        api::rfq_desk()
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = seed.get() {
            s.seed(view);
        }
    });
    let rules = LocalResource::new(api::rfq_rules);
    Effect::new(move |_| {
        if let Some(Ok(r)) = rules.get() {
            s.rules.set(r);
        }
    });
    let log = LocalResource::new(api::rfq_log);
    Effect::new(move |_| {
        if let Some(Ok(mut l)) = log.get() {
            l.reverse();
            s.log.set(l);
        }
    });
    let tick =
        set_interval_with_handle(move || s.now_ms.set(now_ms()), Duration::from_millis(200)).ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });

    view! {
        <section class="pane rfq-desk" data-testid="rfq-desk">
            <div class="pane-head">
                <span class="pane-title">"RFQ desk"</span>
                <span class="muted" data-testid="rfq-comms-id">{move || s.comms_id.get()}</span>
            </div>
            <div class="rfq-grid">
                <div class="rfq-col">
                    <NewRfqForm/>
                    <h3>"Incoming RFQs"</h3>
                    <IncomingRfqs/>
                </div>
                <div class="rfq-col">
                    <h3>"My RFQs"</h3>
                    <MyRfqs/>
                    <h3>"My quotes"</h3>
                    <MyQuotes/>
                </div>
                <div class="rfq-col">
                    <h3>"Rules"</h3>
                    <RulesEditor/>
                </div>
            </div>
        </section>
    }
}

#[component]
fn NewRfqForm() -> impl IntoView {
    let data = use_market();
    let market = RwSignal::new(String::new());
    let contracts = RwSignal::new("10".to_owned());
    let error = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(t) = data.selected.get() {
            if market.get_untracked().is_empty() {
                market.set(t.to_string());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ticker = MarketTicker::from(market.get_untracked().trim());
        let Ok(n) = contracts.get_untracked().trim().parse::<Count>() else {
            error.set("contracts must be a number".into());
            return;
        };
        if !ticker.is_well_formed() || n.raw() <= 0 {
            error.set("a market and a positive size are needed".into());
            return;
        }
        error.set(String::new());
        spawn_local(async move {
            if let Err(e) = api::create_rfq(&NewRfq {
                market_ticker: ticker,
                contracts: n,
            })
            .await
            {
                error.set(e.to_string());
            }
        });
    };
    view! {
        <form class="rfq-new" on:submit=submit novalidate=true>
            <input data-testid="rfq-new-market" placeholder="market ticker" prop:value=move || market.get()
                on:input=move |ev| market.set(event_target_value(&ev))/>
            <input data-testid="rfq-new-contracts" placeholder="contracts" inputmode="decimal" prop:value=move || contracts.get()
                on:input=move |ev| contracts.set(event_target_value(&ev))/>
            <button type="submit" class="btn" data-testid="rfq-new-submit">"Request quotes"</button>
            <div class="ticket-error" role="alert" data-testid="rfq-error">{move || error.get()}</div>
        </form>
    }
}

#[component]
fn IncomingRfqs() -> impl IntoView {
    let s = use_rfq();
    let rows = move || {
        s.rfqs
            .get()
            .into_iter()
            .filter(|r| r.open && !r.mine)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="rfq-list" data-testid="rfq-incoming">
            <For each=rows key=|r: &RfqRow| r.id.clone() children=move |r| view! { <IncomingRow rfq=r/> }/>
        </div>
    }
}

#[component]
fn IncomingRow(rfq: RfqRow) -> impl IntoView {
    let s = use_rfq();
    let ticker = rfq.market.clone();
    let book = LocalResource::new(move || {
        let t = ticker.clone();
        async move { api::rfq_book(&t).await }
    });
    let yes = RwSignal::new(String::new());
    let no = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(b)) = book.get() {
            if let (Some(mid), true) = (b.mid, yes.get_untracked().is_empty()) {
                let two = Dollars::from_cents(2);
                let floor = |d: Dollars| if d.raw() > 0 { d } else { Dollars::ZERO };
                yes.set(floor(mid - two).to_string());
                no.set(floor(mid.complement() - two).to_string());
            }
        }
    });
    let book_text = move || match book.get() {
        Some(Ok(b)) => format!(
            "bid {} · ask {} · mid {}",
            money(b.yes_bid),
            money(b.yes_ask),
            money(b.mid)
        ),
        Some(Err(e)) => format!("book unavailable: {e}"),
        None => "book…".to_owned(),
    };
    let mid_attr = move || match book.get() {
        Some(Ok(b)) => b.mid.map(|m| m.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    let rfq_id = rfq.id.clone();
    let my_quote = move || {
        let id = rfq_id.clone();
        s.quotes
            .get()
            .into_iter()
            .find(|q| q.rfq_id == id && q.mine && q.status == "open")
            .map(|q| format!("quoted {} / {}", q.yes_bid, q.no_bid))
            .unwrap_or_default()
    };
    let id = rfq.id.clone();
    let send = move |_| {
        let (Ok(y), Ok(n)) = (
            yes.get_untracked().trim().parse::<Dollars>(),
            no.get_untracked().trim().parse::<Dollars>(),
        ) else {
            error.set("bids must be dollar amounts".into());
            return;
        };
        error.set(String::new());
        let rfq_id = id.clone();
        spawn_local(async move {
            if let Err(e) = api::create_quote(&NewQuote {
                rfq_id,
                yes_bid: y,
                no_bid: n,
            })
            .await
            {
                error.set(e.to_string());
            }
        });
    };
    view! {
        <div class="rfq-row" data-testid="incoming-rfq" data-rfq-id=rfq.id.clone() data-market=rfq.market.to_string()>
            <div class="rfq-row-head">
                <span class="rfq-market">{rfq.market.to_string()}</span>
                <span class="rfq-size">{count(rfq.contracts)}" ct"</span>
            </div>
            <div class="muted" data-testid="incoming-book" data-mid=mid_attr>{book_text}</div>
            <div class="rfq-quote-form">
                <label>"YES bid"<input data-testid="quote-yes" prop:value=move || yes.get() on:input=move |ev| yes.set(event_target_value(&ev))/></label>
                <label>"NO bid"<input data-testid="quote-no" prop:value=move || no.get() on:input=move |ev| no.set(event_target_value(&ev))/></label>
                <button class="btn" data-testid="quote-send" on:click=send>"Quote"</button>
            </div>
            <div class="muted" data-testid="incoming-my-quote">{my_quote}</div>
            <div class="ticket-error" role="alert" data-testid="quote-error">{move || error.get()}</div>
        </div>
    }
}

#[component]
fn MyRfqs() -> impl IntoView {
    let s = use_rfq();
    let rows = move || {
        s.rfqs
            .get()
            .into_iter()
            .filter(|r| r.mine)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="rfq-list" data-testid="my-rfqs">
            <For each=rows key=|r: &RfqRow| (r.id.clone(), r.open) children=move |r| view! { <MyRfqRow rfq=r/> }/>
        </div>
    }
}

#[component]
fn MyRfqRow(rfq: RfqRow) -> impl IntoView {
    let s = use_rfq();
    let id = rfq.id.clone();
    let quotes = move || {
        let id = id.clone();
        s.quotes
            .get()
            .into_iter()
            .filter(|q| q.rfq_id == id && !q.mine)
            .collect::<Vec<_>>()
    };
    let del_id = rfq.id.clone();
    let delete = move |_| {
        let id = del_id.clone();
        spawn_local(async move { report(api::delete_rfq(&id).await, "Delete RFQ") });
    };
    view! {
        <div class="rfq-row" data-testid="my-rfq" data-rfq-id=rfq.id.clone() data-market=rfq.market.to_string() data-open=rfq.open.to_string()>
            <div class="rfq-row-head">
                <span class="rfq-market">{rfq.market.to_string()}</span>
                <span class="rfq-size">{count(rfq.contracts)}" ct"</span>
                <span class="rfq-status">{if rfq.open { "open" } else { "closed" }}</span>
                <Show when=move || rfq.open>
                    <button class="btn btn-small" data-testid="rfq-delete" on:click=delete.clone()>"Withdraw"</button>
                </Show>
            </div>
            <For each=quotes key=|q: &QuoteRow| (q.id.clone(), q.status) children=move |q| view! { <IncomingQuote quote=q/> }/>
        </div>
    }
}

/// A quote on our RFQ: accept YES (we buy YES at 1 − NO bid) or NO (at 1 − YES bid).
/// A refused accept is shown on the row; a cancelled quote says why.
#[component]
fn IncomingQuote(quote: QuoteRow) -> impl IntoView {
    let s = use_rfq();
    let toasts = use_toasts();
    let (qid, qrfq) = (quote.id.clone(), quote.rfq_id.clone());
    let accept = move |side: Side| {
        let (id, rfq_id) = (qid.clone(), qrfq.clone());
        move |_| {
            let (id, rfq_id) = (id.clone(), rfq_id.clone());
            spawn_local(async move {
                let result = api::accept_quote(&id, &AcceptQuote { rfq_id, side }).await;
                refused(s, toasts, &id, result, "Accept");
            });
        }
    };
    let refusal_id = quote.id.clone();
    let refusal = move || s.refusal(&refusal_id).unwrap_or_default();
    let reason = quote.reason.clone().unwrap_or_default();
    let open = quote.status == "open";
    let buy_yes = (!quote.no_bid.is_zero()).then(|| quote.no_bid.complement());
    let buy_no = (!quote.yes_bid.is_zero()).then(|| quote.yes_bid.complement());
    view! {
        <div class="rfq-quote" data-testid="rfq-quote" data-quote-id=quote.id.clone() data-status=quote.status>
            <span class="rfq-price">"buy YES " {money(buy_yes)}</span>
            <span class="rfq-price">"buy NO " {money(buy_no)}</span>
            <span class="rfq-status" data-testid="rfq-quote-status">{quote.status}</span>
            <span class="muted" data-testid="rfq-quote-reason">{reason}</span>
            <Show when=move || open>
                <button class="btn btn-small btn-yes" data-testid="accept-yes" on:click=accept(Side::Yes)>"Accept YES"</button>
                <button class="btn btn-small btn-no" data-testid="accept-no" on:click=accept(Side::No)>"Accept NO"</button>
            </Show>
            <div class="ticket-error" role="alert" data-testid="rfq-quote-error">{refusal}</div>
        </div>
    }
}

#[component]
fn MyQuotes() -> impl IntoView {
    let s = use_rfq();
    let rows = move || {
        s.quotes
            .get()
            .into_iter()
            .filter(|q| q.mine)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="rfq-list" data-testid="my-quotes">
            <For each=rows key=|q: &QuoteRow| (q.id.clone(), q.status) children=move |q| view! { <MyQuoteRow quote=q/> }/>
        </div>
    }
}

#[component]
fn MyQuoteRow(quote: QuoteRow) -> impl IntoView {
    let s = use_rfq();
    let toasts = use_toasts();
    let accepted = quote.status == "accepted";
    let window = window_ms(&quote.market);
    let at = quote.accepted_at_ms;
    let left = move || at.map(|t| (t + window - s.now_ms.get()).max(0));
    let countdown = move || match left() {
        Some(ms) if ms > 0 => format!("confirm within {}.{} s", ms / 1000, (ms % 1000) / 100),
        Some(_) => "window over".to_owned(),
        None => String::new(),
    };
    let (id, rfq_id) = (quote.id.clone(), quote.rfq_id.clone());
    let confirm = move |_| {
        let (id, rfq_id) = (id.clone(), rfq_id.clone());
        spawn_local(async move {
            let result = api::confirm_quote(&id, &ConfirmQuote { rfq_id }).await;
            refused(s, toasts, &id, result, "Confirm");
        });
    };
    let del_id = quote.id.clone();
    let withdraw = move |_| {
        let id = del_id.clone();
        spawn_local(async move {
            let result = api::delete_quote(&id).await;
            refused(s, toasts, &id, result, "Withdraw");
        });
    };
    let live = accepted || quote.status == "open";
    let refusal_id = quote.id.clone();
    let refusal = move || s.refusal(&refusal_id).unwrap_or_default();
    let reason = quote.reason.clone().unwrap_or_default();
    let side = quote
        .accepted_side
        .map(|s| format!("they bought {}", s.as_str().to_uppercase()))
        .unwrap_or_default();
    view! {
        <div class="rfq-quote" data-testid="my-quote" data-quote-id=quote.id.clone() data-rfq-id=quote.rfq_id.clone() data-status=quote.status>
            <span class="rfq-market">{quote.market.to_string()}</span>
            <span class="rfq-price">{format!("{} / {}", quote.yes_bid, quote.no_bid)}</span>
            <span class="rfq-status" data-testid="my-quote-status">{quote.status}</span>
            <span class="muted" data-testid="my-quote-reason">{reason}</span>
            <span>{side}</span>
            <Show when=move || accepted>
                <span class="countdown" data-testid="confirm-countdown">{countdown}</span>
                <button class="btn btn-small" data-testid="quote-confirm" on:click=confirm.clone()>"Confirm"</button>
            </Show>
            <Show when=move || live>
                <button class="btn btn-small" data-testid="quote-delete" on:click=withdraw.clone()>"Withdraw"</button>
            </Show>
            <div class="ticket-error" role="alert" data-testid="my-quote-error">{refusal}</div>
        </div>
    }
}

/// The log's name for an action (`quoted`, `confirm_declined`, …).
fn action_name(action: RuleAction) -> &'static str {
    match action {
        RuleAction::Quoted => "quoted",
        RuleAction::QuoteSkipped => "quote_skipped",
        RuleAction::Confirmed => "confirmed",
        RuleAction::ConfirmDeclined => "confirm_declined",
        RuleAction::Failed => "failed",
    }
}

fn parse_or<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what} is not a number"))
}

/// Editor of the user's own rule (others' rules are kept as they are) and the live log of
/// what rules did.
#[component]
fn RulesEditor() -> impl IntoView {
    let s = use_rfq();
    let me = StoredValue::new(crate::auth::use_auth().username());
    // The user's own rule: the one they own, else (a desk without owners yet) the first.
    let mine = move |set: &RuleSet| -> Option<Rule> {
        let me = me.get_value();
        set.rules
            .iter()
            .find(|r| r.owner.is_some() && r.owner == me)
            .or_else(|| set.rules.first().filter(|r| r.owner.is_none()))
            .cloned()
    };
    let scope = RwSignal::new("KXDESK".to_owned());
    let spread = RwSignal::new("0.02".to_owned());
    let max_contracts = RwSignal::new("100".to_owned());
    let max_position = RwSignal::new("200".to_owned());
    let max_notional = RwSignal::new("100".to_owned());
    let daily = RwSignal::new("500".to_owned());
    let quote_on = RwSignal::new(false);
    let confirm_on = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    // Load the user's rule into the form when the rules arrive.
    Effect::new(move |_| {
        if let Some(r) = mine(&s.rules.get()) {
            scope.set(r.scope.clone());
            quote_on.set(r.enabled && r.auto_quote.is_some());
            confirm_on.set(r.enabled && r.auto_confirm.is_some());
            if let Some(q) = &r.auto_quote {
                spread.set(q.spread.to_string());
                max_contracts.set(q.max_contracts.to_string());
            }
            if let Some(c) = &r.auto_confirm {
                max_position.set(c.max_position.to_string());
                max_notional.set(c.max_notional.to_string());
                daily.set(c.daily_loss_limit.to_string());
            }
        }
    });
    let build = move || -> Result<RuleSet, String> {
        let auto_quote = quote_on
            .get_untracked()
            .then(|| -> Result<AutoQuote, String> {
                Ok(AutoQuote {
                    spread: parse_or(&spread.get_untracked(), "spread")?,
                    max_contracts: parse_or(&max_contracts.get_untracked(), "size cap")?,
                })
            })
            .transpose()?;
        let auto_confirm = confirm_on
            .get_untracked()
            .then(|| -> Result<AutoConfirm, String> {
                Ok(AutoConfirm {
                    max_position: parse_or(&max_position.get_untracked(), "max position")?,
                    max_notional: parse_or(&max_notional.get_untracked(), "max notional")?,
                    daily_loss_limit: parse_or(&daily.get_untracked(), "daily loss limit")?,
                })
            })
            .transpose()?;
        let mut set = s.rules.get_untracked();
        let id = mine(&set).map_or_else(
            || set.rules.iter().map(|r| r.id).max().unwrap_or(0) + 1,
            |r| r.id,
        );
        let rule = Rule {
            owner: None,
            id,
            scope: scope.get_untracked().trim().to_owned(),
            auto_quote,
            auto_confirm,
            enabled: true,
        };
        match set.rules.iter_mut().find(|r| r.id == id) {
            Some(slot) => {
                *slot = Rule {
                    owner: slot.owner.clone(),
                    ..rule
                }
            }
            None => set.rules.push(rule),
        }
        Ok(set)
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match build() {
            Err(e) => error.set(e),
            Ok(set) => {
                error.set(String::new());
                spawn_local(async move {
                    match api::set_rfq_rules(&set).await {
                        Ok(saved) => s.rules.set(saved),
                        Err(e) => error.set(e.to_string()),
                    }
                });
            }
        }
    };
    // The current effect of each rule: what it is set to do, and what it has done (counted
    // from the log, which names the rule behind every action).
    let effect = move || {
        let set = s.rules.get();
        let log = s.log.get();
        if set.rules.is_empty() {
            return view! {
                <div data-testid="rule-effect" data-rule-id="">"No rules: every quote and confirm is manual."</div>
            }
            .into_any();
        }
        set.rules
            .iter()
            .map(|r| {
                let q = r
                    .auto_quote
                    .as_ref()
                    .map_or("no auto-quote".to_owned(), |q| {
                        format!(
                            "auto-quote mid ± ${} up to {} ct",
                            q.spread, q.max_contracts
                        )
                    });
                let c = r
                    .auto_confirm
                    .as_ref()
                    .map_or("no auto-confirm".to_owned(), |c| {
                        format!(
                            "auto-confirm ≤ {} ct position, ≤ ${} per quote, ≤ ${} today",
                            c.max_position, c.max_notional, c.daily_loss_limit
                        )
                    });
                let mine: Vec<&RuleLogEntry> = log.iter().filter(|e| e.rule_id == r.id).collect();
                let n = |a: RuleAction| mine.iter().filter(|e| e.action == a).count();
                let (quoted, skipped, confirmed, declined, failed) = (
                    n(RuleAction::Quoted),
                    n(RuleAction::QuoteSkipped),
                    n(RuleAction::Confirmed),
                    n(RuleAction::ConfirmDeclined),
                    n(RuleAction::Failed),
                );
                let last = mine
                    .first()
                    .map(|e| format!("; last: {} {}", action_name(e.action), e.market_ticker))
                    .unwrap_or_default();
                let state = if r.enabled { "" } else { " (off)" };
                view! {
                    <div data-testid="rule-effect" data-rule-id=r.id.to_string()
                        data-quoted=quoted.to_string() data-confirmed=confirmed.to_string()
                        data-declined=declined.to_string() data-failed=failed.to_string()>
                        {format!("Rule {} on {}{state}: {q}; {c}. Done: {quoted} quoted, {skipped} skipped, {confirmed} confirmed, {declined} declined, {failed} refused by the exchange{last}", r.id, r.scope)}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <form class="rfq-rules" data-testid="rfq-rules" on:submit=save novalidate=true>
            <label>"Market or series"<input data-testid="rule-scope" prop:value=move || scope.get() on:input=move |ev| scope.set(event_target_value(&ev))/></label>
            <label><input type="checkbox" data-testid="rule-auto-quote" prop:checked=move || quote_on.get() on:change=move |ev| quote_on.set(event_target_checked(&ev))/>"Auto-quote"</label>
            <label>"Spread $"<input data-testid="rule-spread" prop:value=move || spread.get() on:input=move |ev| spread.set(event_target_value(&ev))/></label>
            <label>"Size cap"<input data-testid="rule-max-contracts" prop:value=move || max_contracts.get() on:input=move |ev| max_contracts.set(event_target_value(&ev))/></label>
            <label><input type="checkbox" data-testid="rule-auto-confirm" prop:checked=move || confirm_on.get() on:change=move |ev| confirm_on.set(event_target_checked(&ev))/>"Auto-confirm"</label>
            <label>"Max position"<input data-testid="rule-max-position" prop:value=move || max_position.get() on:input=move |ev| max_position.set(event_target_value(&ev))/></label>
            <label>"Max notional $"<input data-testid="rule-max-notional" prop:value=move || max_notional.get() on:input=move |ev| max_notional.set(event_target_value(&ev))/></label>
            <label>"Daily loss limit $"<input data-testid="rule-daily-loss" prop:value=move || daily.get() on:input=move |ev| daily.set(event_target_value(&ev))/></label>
            <button type="submit" class="btn" data-testid="rules-save">"Save rules"</button>
            <div class="ticket-error" role="alert" data-testid="rules-error">{move || error.get()}</div>
            <div class="rules-effect" data-testid="rules-current">{effect}</div>
        </form>
        <div class="rule-log" data-testid="rule-log">
            <For
                each=move || s.log.get()
                key=|e| (e.ts_ms, e.rfq_id.clone(), e.quote_id.clone(), format!("{:?}", e.action))
                children=move |e| {
                    let action = action_name(e.action);
                    let reaction = e.reaction_ms.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
                    view! {
                        <div class="rule-log-entry" data-testid="rule-log-entry" data-action=action data-rule-id=e.rule_id.to_string() data-quote-id=e.quote_id.clone().unwrap_or_default() data-reaction-ms=e.reaction_ms.map(|m| m.to_string()).unwrap_or_default()>
                            <span class="muted">{crate::format::clock_ms(e.ts_ms)}</span>
                            " rule " {e.rule_id} " " {action} " " {e.market_ticker.to_string()} ": " {e.detail.clone()} {reaction}
                        </div>
                    }
                }
            />
        </div>
    }
}
