//! The rules' state machine, apart from the desk: readings in ([`Observation`]), firings
//! out ([`Firing`]). No clock of its own (every call says the time) and no I/O, so its
//! hysteresis is tested on its own.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use shared::alerts::{AlertRule, Condition, PriceField};
use shared::auth::Halt;
use shared::ids::{MarketTicker, OrderId, TradeId};
use shared::num::{Count, Dollars};
use shared::protocol::{FillView, OrderView, UpstreamState};
use shared::ws::{RfqCreatedMsg, TickerMsg};

/// Volume readings kept per market (one per `ticker` that moved the volume).
const VOLUME_READINGS: usize = 20_000;
/// Fills and cancels remembered to fire once each.
const SEEN_KEPT: usize = 10_000;

/// Something the desk saw.
#[derive(Clone, Copy, Debug)]
pub enum Observation<'a> {
    /// A market's `ticker` (possibly partial: merged into the last one).
    Ticker(&'a TickerMsg),
    /// One of the account's fills.
    Fill(&'a FillView),
    /// One of the account's orders changed.
    Order(&'a OrderView),
    /// Someone asked for quotes.
    Rfq(&'a RfqCreatedMsg),
    /// The halts in force now (the first reading is the baseline).
    Halts(&'a [Halt]),
    /// The upstream socket's state now.
    Upstream(UpstreamState),
    /// Time passed (for waits and windows).
    Tick,
}

/// A rule that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// Whose rule.
    pub user_id: i64,
    /// Which rule.
    pub rule_id: i64,
    /// The rule in words.
    pub title: String,
    /// What happened.
    pub detail: String,
    /// The market concerned.
    pub market_ticker: Option<MarketTicker>,
    /// The rule is muted.
    pub muted: bool,
}

/// A bounded set: the newest [`SEEN_KEPT`] keys.
#[derive(Debug, Default)]
struct Seen<K: std::hash::Hash + Eq + Clone> {
    set: HashSet<K>,
    order: VecDeque<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Seen<K> {
    /// True the first time `key` is offered.
    fn first(&mut self, key: &K) -> bool {
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key.clone());
        if self.order.len() > SEEN_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// Every user's rules and what they last read.
#[derive(Debug, Default)]
pub struct Evaluator {
    /// `(owner's user id, rule)`.
    rules: Vec<(i64, AlertRule)>,
    /// Each level rule's last reading (absent: no baseline yet).
    held: HashMap<i64, bool>,
    /// Markets some rule follows.
    followed: HashSet<MarketTicker>,
    /// Each followed market's merged ticker.
    tickers: HashMap<MarketTicker, TickerMsg>,
    /// Each followed market's `(ms, volume)` readings, oldest first.
    volumes: HashMap<MarketTicker, VecDeque<(i64, Count)>>,
    /// Halts in force (`None` until the first reading, the baseline).
    halts: Option<HashSet<Option<String>>>,
    /// Since when the upstream has not been live (`None`: live).
    down_since: Option<i64>,
    fills: Seen<TradeId>,
    cancels: Seen<OrderId>,
}

impl Evaluator {
    /// No rules; the upstream taken as not yet live since `now_ms`.
    pub fn new(now_ms: i64) -> Evaluator {
        Evaluator {
            down_since: Some(now_ms),
            ..Evaluator::default()
        }
    }

    /// Replaces the rules. A rule kept keeps its reading; a new price or spread rule takes
    /// its first reading as the baseline; a new volume or upstream rule starts as not
    /// holding. Markets no rule follows any more are forgotten.
    pub fn set_rules(&mut self, rules: Vec<(i64, AlertRule)>) {
        let ids: HashSet<i64> = rules.iter().map(|(_, r)| r.id).collect();
        self.held.retain(|id, _| ids.contains(id));
        for (_, rule) in &rules {
            if matches!(
                rule.condition,
                Condition::VolumeBurst { .. } | Condition::UpstreamDown { .. }
            ) {
                self.held.entry(rule.id).or_insert(false);
            }
        }
        self.rules = rules;
        self.followed = self.markets().into_iter().collect();
        let followed = &self.followed;
        self.tickers.retain(|m, _| followed.contains(m));
        self.volumes.retain(|m, _| followed.contains(m));
    }

    /// The rules, with their owners.
    pub fn rules(&self) -> &[(i64, AlertRule)] {
        &self.rules
    }

    /// Markets whose ticker some rule follows.
    pub fn markets(&self) -> BTreeSet<MarketTicker> {
        self.rules
            .iter()
            .filter_map(|(_, r)| r.condition.market().cloned())
            .collect()
    }

    /// Takes in what the desk saw at `now_ms` and returns the rules that fired.
    pub fn observe(&mut self, seen: Observation<'_>, now_ms: i64) -> Vec<Firing> {
        match seen {
            Observation::Ticker(t) => {
                if !self
                    .rules
                    .iter()
                    .any(|(_, r)| r.condition.market() == Some(&t.market_ticker))
                {
                    return Vec::new();
                }
                let merged = match self.tickers.get_mut(&t.market_ticker) {
                    Some(last) => {
                        last.merge(t.clone());
                        last.clone()
                    }
                    None => {
                        self.tickers.insert(t.market_ticker.clone(), t.clone());
                        t.clone()
                    }
                };
                if let Some(volume) = merged.volume_fp {
                    let readings = self.volumes.entry(t.market_ticker.clone()).or_default();
                    if readings.back().is_none_or(|(_, v)| *v != volume) {
                        readings.push_back((now_ms, volume));
                    }
                    let horizon = now_ms - i64::from(shared::alerts::MAX_WINDOW_SECS) * 1000;
                    while readings.len() > VOLUME_READINGS
                        || readings.get(1).is_some_and(|(at, _)| *at <= horizon)
                    {
                        readings.pop_front();
                    }
                }
                let market = t.market_ticker.clone();
                self.levels(now_ms, |c| c.market() == Some(&market))
            }
            Observation::Tick => self.levels(now_ms, |c| {
                matches!(
                    c,
                    Condition::VolumeBurst { .. } | Condition::UpstreamDown { .. }
                )
            }),
            Observation::Upstream(state) => {
                match (state, self.down_since) {
                    (UpstreamState::Live, _) => self.down_since = None,
                    (_, None) => self.down_since = Some(now_ms),
                    (_, Some(_)) => {}
                }
                self.levels(now_ms, |c| matches!(c, Condition::UpstreamDown { .. }))
            }
            Observation::Fill(f) => {
                if !self.fills.first(&f.trade_id) {
                    return Vec::new();
                }
                let detail = fill_detail(f);
                self.events(
                    |c| match c {
                        Condition::Fill { market_ticker } => {
                            market_ticker.is_none()
                                || market_ticker.as_ref() == f.market_ticker.as_ref()
                        }
                        _ => false,
                    },
                    &detail,
                    f.market_ticker.as_ref(),
                )
            }
            Observation::Order(o) => {
                if !o.cancelled_by_exchange() || !self.cancels.first(&o.order_id) {
                    return Vec::new();
                }
                let detail = format!(
                    "{}: {} order {} at {} in {}",
                    o.update_reason.as_deref().unwrap_or("cancelled"),
                    o.side.as_str().to_uppercase(),
                    o.order_id,
                    o.price,
                    o.market_ticker
                );
                self.events(
                    |c| match c {
                        Condition::ExchangeCancel { market_ticker } => {
                            market_ticker.is_none()
                                || market_ticker.as_ref() == Some(&o.market_ticker)
                        }
                        _ => false,
                    },
                    &detail,
                    Some(&o.market_ticker),
                )
            }
            Observation::Rfq(m) => {
                let series = m.market_ticker.series();
                let contracts = m
                    .contracts_fp
                    .map_or_else(String::new, |c| format!(" for {c} contracts"));
                let detail = format!("RFQ {}{contracts} in {}", m.id, m.market_ticker);
                self.events(
                    |c| matches!(c, Condition::Rfq { series_ticker } if series_ticker.eq_ignore_ascii_case(series)),
                    &detail,
                    Some(&m.market_ticker),
                )
            }
            Observation::Halts(halts) => {
                let now: HashSet<Option<String>> = halts.iter().map(|h| h.user.clone()).collect();
                let Some(before) = self.halts.replace(now) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for halt in halts.iter().filter(|h| !before.contains(&h.user)) {
                    let who = halt
                        .user
                        .as_deref()
                        .map_or_else(|| "the desk".to_owned(), |u| format!("user {u}"));
                    let detail = format!("{who} halted by {}: {}", halt.actor, halt.reason);
                    out.extend(self.events(|c| matches!(c, Condition::Halted), &detail, None));
                }
                out
            }
        }
    }

    /// Fires every rule matching `which` once, with `detail`.
    fn events(
        &self,
        which: impl Fn(&Condition) -> bool,
        detail: &str,
        market: Option<&MarketTicker>,
    ) -> Vec<Firing> {
        self.rules
            .iter()
            .filter(|(_, r)| which(&r.condition))
            .map(|(user_id, r)| firing(*user_id, r, detail.to_owned(), market.cloned()))
            .collect()
    }

    /// Reads every level rule matching `which`: fires those that turned true.
    fn levels(&mut self, now_ms: i64, which: impl Fn(&Condition) -> bool) -> Vec<Firing> {
        let mut out = Vec::new();
        for (user_id, rule) in &self.rules {
            if !rule.condition.is_level() || !which(&rule.condition) {
                continue;
            }
            let Some((holds, detail)) = self.reading(&rule.condition, now_ms) else {
                continue;
            };
            let before = self.held.insert(rule.id, holds);
            if holds && before == Some(false) {
                out.push(firing(
                    *user_id,
                    rule,
                    detail,
                    rule.condition.market().cloned(),
                ));
            }
        }
        out
    }

    /// Whether a level rule's condition holds now, and the value read (`None`: nothing to
    /// read yet, e.g. an empty side of the book).
    fn reading(&self, condition: &Condition, now_ms: i64) -> Option<(bool, String)> {
        let quoted = |d: Option<Dollars>| d.filter(|p| p.is_valid_price());
        match condition {
            Condition::PriceCross {
                market_ticker,
                field,
                direction,
                level,
            } => {
                let t = self.tickers.get(market_ticker)?;
                let value = quoted(match field {
                    PriceField::Bid => t.yes_bid_dollars,
                    PriceField::Ask => t.yes_ask_dollars,
                    PriceField::Last => t.price_dollars,
                })?;
                Some((
                    direction.holds(value, *level),
                    format!("YES {} {value}", field.as_str()),
                ))
            }
            Condition::Spread {
                market_ticker,
                direction,
                level,
            } => {
                let t = self.tickers.get(market_ticker)?;
                let spread = quoted(t.yes_ask_dollars)?.checked_sub(quoted(t.yes_bid_dollars)?)?;
                Some((direction.holds(spread, *level), format!("spread {spread}")))
            }
            Condition::VolumeBurst {
                market_ticker,
                contracts,
                window_secs,
            } => {
                let readings = self.volumes.get(market_ticker)?;
                let (_, latest) = *readings.back()?;
                let from = now_ms - i64::from(*window_secs) * 1000;
                let base = readings
                    .iter()
                    .rev()
                    .find(|(at, _)| *at <= from)
                    .or_else(|| readings.front())
                    .map(|(_, v)| *v)?;
                let traded = latest.checked_sub(base)?;
                Some((
                    traded >= *contracts,
                    format!("{traded} contracts traded within {window_secs} s"),
                ))
            }
            Condition::UpstreamDown { seconds } => {
                let down_ms = self
                    .down_since
                    .map_or(0, |since| now_ms.saturating_sub(since));
                Some((
                    down_ms >= i64::from(*seconds) * 1000,
                    format!("no Kalshi connection for {} s", down_ms / 1000),
                ))
            }
            _ => None,
        }
    }
}

fn firing(user_id: i64, rule: &AlertRule, detail: String, market: Option<MarketTicker>) -> Firing {
    Firing {
        user_id,
        rule_id: rule.id,
        title: rule.condition.describe(),
        detail,
        market_ticker: market,
        muted: rule.muted,
    }
}

fn fill_detail(f: &FillView) -> String {
    let side = f.side.map_or("", |s| s.as_str());
    let price = f
        .yes_price
        .map_or_else(String::new, |p| format!(" at YES {p}"));
    let market = f
        .market_ticker
        .as_ref()
        .map_or_else(String::new, |m| format!(" in {m}"));
    let owner = f
        .owner
        .as_deref()
        .map_or_else(String::new, |o| format!(" ({o})"));
    format!(
        "filled {} {}{price}{market}{owner}",
        f.count,
        side.to_uppercase()
    )
}

#[cfg(test)]
mod tests;
