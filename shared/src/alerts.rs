//! Alerts: rules a user keeps on the desk (`/api/alerts/rules`), evaluated by the backend
//! against the live feed whether or not any tab is open, and what a firing looks like on
//! the socket ([`crate::protocol::ServerMsg::Alert`]), in the log (`GET /api/alerts/log`)
//! and in the user's webhook (a JSON POST of [`AlertFired`]).
//!
//! A rule on a level (a price crossing, a spread, a volume burst, the upstream down) fires
//! once per crossing: when its condition turns true, not while it stays true; it fires
//! again only after the condition has been false. The first reading after a rule is made
//! (or the desk starts) is the baseline, so a level already crossed does not fire. A rule
//! on an event (a fill, an exchange cancel, an RFQ, a halt) fires once per event. A muted
//! rule is still evaluated; its firings are logged as muted and delivered nowhere.
//!
//! Prices are YES dollars (`"0.6000"`), sizes fixed-point contracts (`"250.00"`).

use serde::{Deserialize, Serialize};

use crate::ids::MarketTicker;
use crate::num::{Count, Dollars};

/// Most rules one user keeps.
pub const MAX_RULES: usize = 100;
/// Longest volume-burst window, seconds.
pub const MAX_WINDOW_SECS: u32 = 3_600;
/// Longest upstream outage a rule waits for, seconds.
pub const MAX_DOWN_SECS: u32 = 86_400;
/// Longest webhook URL, bytes.
pub const MAX_WEBHOOK_URL: usize = 2_000;

/// Which YES price a [`Condition::PriceCross`] follows (Kalshi's `ticker` fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceField {
    /// Best YES bid (`yes_bid_dollars`).
    Bid,
    /// Best YES ask (`yes_ask_dollars`: 1 − best NO bid).
    Ask,
    /// Last traded YES price (`price_dollars`).
    Last,
}

impl PriceField {
    /// `bid`, `ask`, `last`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceField::Bid => "bid",
            PriceField::Ask => "ask",
            PriceField::Last => "last",
        }
    }
}

/// Which way a level is crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// At or above the level (a spread: at least this wide).
    Above,
    /// At or below the level (a spread: at most this wide).
    Below,
}

impl Direction {
    /// Whether `value` is on this side of `level`.
    pub fn holds(self, value: Dollars, level: Dollars) -> bool {
        match self {
            Direction::Above => value >= level,
            Direction::Below => value <= level,
        }
    }
}

/// What a rule waits for. JSON tagged by `kind`, e.g.
/// `{"kind":"price_cross","market_ticker":"KXDESK-26DEC31-T50","field":"bid","direction":"above","level":"0.6000"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// A market's YES bid, ask or last price reaches `level` from the other side.
    PriceCross {
        /// Market.
        market_ticker: MarketTicker,
        /// Which price.
        field: PriceField,
        /// From below to at-or-above, or from above to at-or-below.
        direction: Direction,
        /// YES dollars, a valid price (0 < level < 1).
        level: Dollars,
    },
    /// A market's YES spread (ask − bid) becomes at least (`above`) or at most (`below`)
    /// `level` wide. A one-sided book has no spread and holds neither.
    Spread {
        /// Market.
        market_ticker: MarketTicker,
        /// Wider (`above`) or narrower (`below`).
        direction: Direction,
        /// Dollars, 0 < level < 1.
        level: Dollars,
    },
    /// At least `contracts` trade in a market within `window_secs` (from the `volume` of
    /// its tickers).
    VolumeBurst {
        /// Market.
        market_ticker: MarketTicker,
        /// Fixed-point contracts, positive.
        contracts: Count,
        /// Seconds, 1..=[`MAX_WINDOW_SECS`].
        window_secs: u32,
    },
    /// One of the account's orders fills (in one market, or any).
    Fill {
        /// Only this market; `None`: any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        market_ticker: Option<MarketTicker>,
    },
    /// The exchange cancels one of the account's orders: a `user_order` frame with status
    /// `canceled` and a `last_update_reason` ending in `Cancel` (`CloseCancel`,
    /// `ExpiryCancel`, `SelfTradeCancel`, `HaltCancel`, …). A cancel the desk asked for
    /// carries no reason.
    ExchangeCancel {
        /// Only this market; `None`: any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        market_ticker: Option<MarketTicker>,
    },
    /// Someone asks for quotes (an RFQ, `communications` `rfq_created`) on a market of the
    /// series.
    Rfq {
        /// Series ticker, e.g. `KXFED`.
        series_ticker: String,
    },
    /// The desk's kill switch or one user's is thrown.
    Halted,
    /// The desk's socket to Kalshi stays down (connecting or down) for `seconds`.
    UpstreamDown {
        /// Seconds, 1..=[`MAX_DOWN_SECS`].
        seconds: u32,
    },
}

/// A rule's condition that cannot be kept ([`Condition::check`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRule(pub String);

impl Condition {
    /// The market whose ticker the rule follows (`None`: account or desk events).
    pub fn market(&self) -> Option<&MarketTicker> {
        match self {
            Condition::PriceCross { market_ticker, .. }
            | Condition::Spread { market_ticker, .. }
            | Condition::VolumeBurst { market_ticker, .. } => Some(market_ticker),
            _ => None,
        }
    }

    /// Whether the rule fires on a level being crossed (once per crossing) rather than
    /// on each event.
    pub fn is_level(&self) -> bool {
        matches!(
            self,
            Condition::PriceCross { .. }
                | Condition::Spread { .. }
                | Condition::VolumeBurst { .. }
                | Condition::UpstreamDown { .. }
        )
    }

    /// Refuses what cannot fire or be followed.
    ///
    /// # Errors
    /// [`BadRule`] naming the field: a malformed ticker, a level outside (0, 1), no
    /// contracts, a window or wait out of range, an empty series.
    pub fn check(&self) -> Result<(), BadRule> {
        let ticker = |t: &MarketTicker| {
            if t.is_well_formed() {
                Ok(())
            } else {
                Err(BadRule(format!(
                    "market_ticker {t:?} is not a Kalshi ticker"
                )))
            }
        };
        let level_ok = |l: Dollars| {
            if l.is_valid_price() {
                Ok(())
            } else {
                Err(BadRule(format!("level {l} must be above $0 and below $1")))
            }
        };
        match self {
            Condition::PriceCross {
                market_ticker,
                level,
                ..
            }
            | Condition::Spread {
                market_ticker,
                level,
                ..
            } => {
                ticker(market_ticker)?;
                level_ok(*level)
            }
            Condition::VolumeBurst {
                market_ticker,
                contracts,
                window_secs,
            } => {
                ticker(market_ticker)?;
                if contracts.raw() <= 0 {
                    return Err(BadRule("contracts must be positive".to_owned()));
                }
                if !(1..=MAX_WINDOW_SECS).contains(window_secs) {
                    return Err(BadRule(format!(
                        "window_secs must be 1 to {MAX_WINDOW_SECS}"
                    )));
                }
                Ok(())
            }
            Condition::Fill { market_ticker } | Condition::ExchangeCancel { market_ticker } => {
                market_ticker.as_ref().map_or(Ok(()), ticker)
            }
            Condition::Rfq { series_ticker } => {
                let ok = !series_ticker.is_empty()
                    && series_ticker.len() <= 64
                    && series_ticker
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                if ok {
                    Ok(())
                } else {
                    Err(BadRule(format!(
                        "series_ticker {series_ticker:?} is not a Kalshi series ticker"
                    )))
                }
            }
            Condition::Halted => Ok(()),
            Condition::UpstreamDown { seconds } => {
                if (1..=MAX_DOWN_SECS).contains(seconds) {
                    Ok(())
                } else {
                    Err(BadRule(format!("seconds must be 1 to {MAX_DOWN_SECS}")))
                }
            }
        }
    }

    /// What the rule waits for, in words: `KXDESK-26DEC31-T50 YES bid at or above 0.6000`.
    pub fn describe(&self) -> String {
        let side = |d: Direction| match d {
            Direction::Above => "at or above",
            Direction::Below => "at or below",
        };
        match self {
            Condition::PriceCross {
                market_ticker,
                field,
                direction,
                level,
            } => format!(
                "{market_ticker} YES {} {} {level}",
                field.as_str(),
                side(*direction)
            ),
            Condition::Spread {
                market_ticker,
                direction,
                level,
            } => {
                let how = match direction {
                    Direction::Above => "at least",
                    Direction::Below => "at most",
                };
                format!("{market_ticker} spread {how} {level}")
            }
            Condition::VolumeBurst {
                market_ticker,
                contracts,
                window_secs,
            } => format!("{market_ticker} trades {contracts} contracts within {window_secs} s"),
            Condition::Fill {
                market_ticker: Some(m),
            } => format!("a fill in {m}"),
            Condition::Fill {
                market_ticker: None,
            } => "any fill".to_owned(),
            Condition::ExchangeCancel {
                market_ticker: Some(m),
            } => format!("the exchange cancels an order in {m}"),
            Condition::ExchangeCancel {
                market_ticker: None,
            } => "the exchange cancels an order".to_owned(),
            Condition::Rfq { series_ticker } => format!("an RFQ in series {series_ticker}"),
            Condition::Halted => "the desk or a user halted".to_owned(),
            Condition::UpstreamDown { seconds } => {
                format!("the Kalshi connection down for {seconds} s")
            }
        }
    }
}

/// A stored rule (`GET /api/alerts/rules` lists them):
/// `{"id":7,"condition":{"kind":"halted"},"muted":false,"created_ms":1780000000000}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    /// The desk's id of the rule.
    pub id: i64,
    /// What it waits for.
    pub condition: Condition,
    /// Muted: evaluated and logged, delivered nowhere.
    pub muted: bool,
    /// When it was made, Unix ms.
    pub created_ms: i64,
}

/// `POST /api/alerts/rules`: `{"condition":{…}}`, optionally `"muted":true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAlertRule {
    /// What it waits for.
    pub condition: Condition,
    /// Made muted.
    #[serde(default)]
    pub muted: bool,
}

/// `PATCH /api/alerts/rules/{id}`: `{"muted":true}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRulePatch {
    /// Mute or unmute.
    pub muted: bool,
}

/// Where a user's alerts go besides the desk's pages (`GET`/`PUT /api/alerts/settings`):
/// `{"webhook_url":"https://hooks.example.com/desk"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    /// An `http` or `https` URL that receives each alert as a JSON POST; `None`: no webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl AlertSettings {
    /// Refuses a webhook URL that is not plain `http(s)://host…` (no credentials in it,
    /// at most [`MAX_WEBHOOK_URL`] bytes).
    ///
    /// # Errors
    /// [`BadRule`] saying what is wrong.
    pub fn check(&self) -> Result<(), BadRule> {
        let Some(url) = &self.webhook_url else {
            return Ok(());
        };
        if url.len() > MAX_WEBHOOK_URL {
            return Err(BadRule(format!(
                "webhook_url is longer than {MAX_WEBHOOK_URL} bytes"
            )));
        }
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| BadRule("webhook_url must start with http:// or https://".to_owned()))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') || url.chars().any(char::is_whitespace) {
            return Err(BadRule(
                "webhook_url needs a host and no user:password in it".to_owned(),
            ));
        }
        Ok(())
    }
}

/// How a firing's webhook POST went (absent: the user has no webhook, or it was muted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WebhookDelivery {
    /// Still trying.
    Pending,
    /// The receiver answered 2xx.
    Delivered {
        /// Which try, from 1.
        attempt: u32,
        /// Its HTTP status.
        status: u16,
    },
    /// Every try failed; `error` says how the last one did.
    Failed {
        /// Tries made.
        attempts: u32,
        /// E.g. `HTTP 500 Internal Server Error` or `connection refused`.
        error: String,
    },
}

/// One firing of a rule: the socket's `alert` frame (sent to its user's tabs only), a log
/// row and the webhook's JSON body, e.g.
/// `{"id":12,"user_id":3,"rule_id":7,"ts_ms":1780000000000,"title":"KXDESK-26DEC31-T50 YES bid at or above 0.6000","detail":"YES bid 0.6500","market_ticker":"KXDESK-26DEC31-T50","muted":false,"webhook":{"state":"pending"}}`.
/// Sent again with the same `id` once its webhook is delivered or has failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFired {
    /// The log's id of this firing.
    pub id: i64,
    /// Whose rule.
    pub user_id: i64,
    /// Which rule.
    pub rule_id: i64,
    /// When it fired, Unix ms.
    pub ts_ms: i64,
    /// The rule, in words ([`Condition::describe`]).
    pub title: String,
    /// What happened: the value that crossed, the fill, the cancel, …
    pub detail: String,
    /// The market concerned, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<MarketTicker>,
    /// Fired while the rule was muted (delivered nowhere).
    #[serde(default)]
    pub muted: bool,
    /// The webhook's delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookDelivery>,
}

/// `POST /api/alerts/settings/test`'s answer: a sample alert sent to the webhook now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTest {
    /// How it went.
    pub delivery: WebhookDelivery,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> MarketTicker {
        MarketTicker::from(s)
    }

    #[test]
    fn conditions_read_as_the_docs_show_and_check_their_fields() {
        let c: Condition = serde_json::from_str(
            r#"{"kind":"price_cross","market_ticker":"KXDESK-26DEC31-T50","field":"bid","direction":"above","level":"0.6000"}"#,
        )
        .expect("reads");
        assert!(c.check().is_ok());
        assert_eq!(
            c.describe(),
            "KXDESK-26DEC31-T50 YES bid at or above 0.6000"
        );
        assert_eq!(c.market(), Some(&t("KXDESK-26DEC31-T50")));
        let bad = Condition::PriceCross {
            market_ticker: t("KXDESK-26DEC31-T50"),
            field: PriceField::Last,
            direction: Direction::Below,
            level: Dollars::ONE,
        };
        assert!(bad.check().unwrap_err().0.contains("below $1"));
        let burst = Condition::VolumeBurst {
            market_ticker: t("KXDESK-26DEC31-T50"),
            contracts: Count::ZERO,
            window_secs: 10,
        };
        assert!(burst.check().unwrap_err().0.contains("contracts"));
        assert!(Condition::UpstreamDown { seconds: 0 }.check().is_err());
        assert!(Condition::Rfq {
            series_ticker: "KX FED".into()
        }
        .check()
        .is_err());
        let halted: Condition = serde_json::from_str(r#"{"kind":"halted"}"#).expect("reads");
        assert_eq!(halted, Condition::Halted);
        assert!(!halted.is_level());
    }

    #[test]
    fn a_series_is_the_tickers_first_part() {
        assert_eq!(t("KXFED-26DEC-T4.00").series(), "KXFED");
        assert_eq!(t("KXFED").series(), "KXFED");
    }

    #[test]
    fn webhook_urls_are_plain_http_without_credentials() {
        let ok = |u: &str| {
            AlertSettings {
                webhook_url: Some(u.to_owned()),
            }
            .check()
        };
        assert!(ok("http://127.0.0.1:9000/hook").is_ok());
        assert!(ok("https://hooks.example.com/a?b=c").is_ok());
        assert!(ok("ftp://example.com").is_err());
        assert!(ok("https://user:pw@example.com/").is_err());
        assert!(ok("https:///path").is_err());
        assert!(AlertSettings::default().check().is_ok());
    }
}
