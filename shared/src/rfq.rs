//! The RFQ desk's browser ⇄ backend types: live RFQ/quote events (forwarded from Kalshi's
//! `communications` channel), the quoting/confirmation rules the backend runs for a market
//! maker, and the log of everything those rules did.
//!
//! Sides: a quote bids for YES (`yes_bid`) and for NO (`no_bid`). The requester who
//! accepts `yes` buys YES at `1 − no_bid` (the quoter buys NO at `no_bid`); accepting `no`
//! buys NO at `1 − yes_bid`.

use serde::{Deserialize, Serialize};

use crate::api::schema::{Quote, QuoteStatus, RFQ};
use crate::ids::{MarketTicker, Side};
use crate::num::{Count, Dollars};
use crate::ws_msg::{
    QuoteAcceptedMsg, QuoteCreatedMsg, QuoteExecutedMsg, RfqCreatedMsg, RfqDeletedMsg,
};

/// A live RFQ desk event (`{"type":"rfq","event":"quote_created",…}` on `/ws`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RfqEvent {
    /// Someone asked for quotes.
    RfqCreated(RfqCreatedMsg),
    /// An RFQ was withdrawn or closed.
    RfqDeleted(RfqDeletedMsg),
    /// A quote on our RFQ, or our own quote.
    QuoteCreated(QuoteCreatedMsg),
    /// A quote was accepted (ours to confirm, or our acceptance).
    QuoteAccepted(QuoteAcceptedMsg),
    /// A quote executed.
    QuoteExecuted(QuoteExecutedMsg),
    /// A quote's status changed without a channel message (Kalshi sends none when a quote
    /// is cancelled: deleted, replaced, its RFQ closed, or its confirmation window passed).
    /// The backend learns it from `GetQuotes` and tells every session.
    QuoteStatus(QuoteStatusUpdate),
    /// A rule acted (or declined to).
    Rule(RuleLogEntry),
    /// The rules changed.
    Rules(RuleSet),
}

/// A quote's new status, read from `GetQuotes` (`Quote.status`, `Quote.cancellation_reason`).
///
/// ```json
/// {"type":"rfq","event":"quote_status","quote_id":"7c…","rfq_id":"4f…",
///  "status":"cancelled","cancellation_reason":"confirmation window expired"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteStatusUpdate {
    /// The quote.
    pub quote_id: String,
    /// Its RFQ.
    pub rfq_id: String,
    /// `open`, `accepted`, `confirmed`, `executed` or `cancelled`.
    pub status: QuoteStatus,
    /// Why it was cancelled, as the exchange says (e.g. "confirmation window expired",
    /// "deleted", "replaced", "rfq closed").
    #[serde(default)]
    pub cancellation_reason: Option<String>,
}

/// `GET /api/rfq`: everything the RFQ screen needs at load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RfqDeskView {
    /// Our public communications id (to tell our RFQs/quotes from others').
    pub communications_id: String,
    /// Open RFQs of everyone, and ours.
    pub rfqs: Vec<RFQ>,
    /// Our quotes and quotes on our RFQs.
    pub quotes: Vec<Quote>,
}

/// `GET /api/rfq/book/{ticker}`: the top of a market's book, shown beside an RFQ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTop {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Best YES bid.
    pub yes_bid: Option<Dollars>,
    /// Best YES ask (1 − best NO bid).
    pub yes_ask: Option<Dollars>,
    /// Mid, rounded to the cent.
    pub mid: Option<Dollars>,
}

/// `POST /api/rfqs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRfq {
    /// Market.
    pub market_ticker: MarketTicker,
    /// Contracts wanted.
    pub contracts: Count,
}

/// `POST /api/quotes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewQuote {
    /// The RFQ.
    pub rfq_id: String,
    /// Our YES bid ($0 = none).
    pub yes_bid: Dollars,
    /// Our NO bid ($0 = none).
    pub no_bid: Dollars,
}

/// `POST /api/quotes/{quote_id}/accept`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptQuote {
    /// The RFQ the quote answers.
    pub rfq_id: String,
    /// The side we buy.
    pub side: Side,
}

/// `POST /api/quotes/{quote_id}/confirm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmQuote {
    /// The RFQ the quote answers.
    pub rfq_id: String,
}

/// `{"id":"…"}` answer of the create routes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// Exchange id.
    pub id: String,
}

/// Automatic quoting of incoming RFQs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoQuote {
    /// Distance of each bid from the live mid.
    pub spread: Dollars,
    /// RFQs larger than this are not quoted.
    pub max_contracts: Count,
}

/// Automatic confirmation of our accepted quotes, within risk limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoConfirm {
    /// |position| in the market after the trade may not exceed this.
    pub max_position: Count,
    /// Our cost of one trade (contracts × our price) may not exceed this.
    pub max_notional: Dollars,
    /// Money at risk (our cost) across today's automatic confirms may not exceed this.
    pub daily_loss_limit: Dollars,
}

/// One rule: what to do for a market or a whole series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Id (stable, shown in the log).
    pub id: u32,
    /// A market ticker, or a series ticker (matches every market of it), or `*`.
    pub scope: String,
    /// Auto-quote, when set.
    #[serde(default)]
    pub auto_quote: Option<AutoQuote>,
    /// Auto-confirm, when set.
    #[serde(default)]
    pub auto_confirm: Option<AutoConfirm>,
    /// Off = ignored.
    pub enabled: bool,
    /// The desk user it acts for (set by the desk: whoever created it, or the user an admin
    /// names). Its quotes and confirms must fit the owner's limits as well as its own; a
    /// disabled, halted or removed owner stops it. Absent only on a rule not yet saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Rule {
    /// Whether the rule covers `ticker`: the exact market, its series (`KXDESK` covers
    /// `KXDESK-26DEC31-T50`), or `*`.
    pub fn covers(&self, ticker: &MarketTicker) -> bool {
        let t = ticker.as_str();
        self.scope == "*"
            || self.scope == t
            || t.strip_prefix(self.scope.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
    }
}

/// The rule set (`GET`/`PUT /api/rfq/rules`). The first enabled rule that covers a market
/// and has the needed part decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Rules, in priority order.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The first enabled rule covering `ticker` with an auto-quote part.
    pub fn quoting(&self, ticker: &MarketTicker) -> Option<(&Rule, &AutoQuote)> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.covers(ticker))
            .find_map(|r| r.auto_quote.as_ref().map(|q| (r, q)))
    }
    /// The first enabled rule covering `ticker` with an auto-confirm part.
    pub fn confirming(&self, ticker: &MarketTicker) -> Option<(&Rule, &AutoConfirm)> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.covers(ticker))
            .find_map(|r| r.auto_confirm.as_ref().map(|c| (r, c)))
    }
}

/// What a rule did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Sent a quote.
    Quoted,
    /// Did not quote (reason in `detail`).
    QuoteSkipped,
    /// Sent a confirm.
    Confirmed,
    /// Did not confirm (a limit; reason in `detail`).
    ConfirmDeclined,
    /// The exchange refused what the rule sent.
    Failed,
}

/// One entry of the rules log (`GET /api/rfq/log`, and live as [`RfqEvent::Rule`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleLogEntry {
    /// When, Unix ms.
    pub ts_ms: i64,
    /// The rule.
    pub rule_id: u32,
    /// What it did.
    pub action: RuleAction,
    /// Market.
    pub market_ticker: MarketTicker,
    /// RFQ.
    pub rfq_id: String,
    /// Quote, if any.
    #[serde(default)]
    pub quote_id: Option<String>,
    /// Readable detail (prices, limits).
    pub detail: String,
    /// For confirms: milliseconds from the `quote_accepted` frame reaching the backend to
    /// the confirm request being sent.
    #[serde(default)]
    pub reaction_ms: Option<u64>,
    /// The same, in microseconds (for measurements; `reaction_ms` rounds down). The confirm
    /// is "sent" when handed to the signed client, before its signature and round trip.
    #[serde(default)]
    pub reaction_us: Option<u64>,
    /// For confirms: microseconds from the `quote_accepted` frame reaching the backend to
    /// the exchange's answer to the confirm (signature and round trip included).
    #[serde(default)]
    pub answered_us: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_matches_market_series_or_everything() {
        let t = MarketTicker::from("KXDESK-26DEC31-T50");
        let rule = |scope: &str| Rule {
            owner: None,
            id: 1,
            scope: scope.into(),
            auto_quote: None,
            auto_confirm: None,
            enabled: true,
        };
        assert!(rule("KXDESK").covers(&t));
        assert!(rule("KXDESK-26DEC31-T50").covers(&t));
        assert!(rule("*").covers(&t));
        assert!(!rule("KXDES").covers(&t));
        assert!(!rule("KXDESK-26DEC31-T5").covers(&t));
    }

    #[test]
    fn events_are_tagged_inside_the_rfq_frame() {
        let e = RfqEvent::QuoteAccepted(QuoteAcceptedMsg {
            quote_id: "q".into(),
            ..Default::default()
        });
        let v = serde_json::to_value(crate::protocol::ServerMsg::Rfq(e.clone())).unwrap();
        assert_eq!(v["type"], "rfq");
        assert_eq!(v["event"], "quote_accepted");
        let back: crate::protocol::ServerMsg = serde_json::from_value(v).unwrap();
        assert_eq!(back, crate::protocol::ServerMsg::Rfq(e));
    }
}
