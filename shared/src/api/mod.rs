//! Every Kalshi REST operation, typed: one [`Operation`] implementation per `operationId` of
//! `shared/spec/kalshi-openapi.yaml` (3.31, 117 operations).
//!
//! An operation is a zero-sized marker type (e.g. [`ops::GetMarkets`]) that names its
//! method, path template and four associated types: [`Operation::Path`] (path parameters),
//! [`Operation::Query`], [`Operation::Body`] and [`Operation::Response`]. The backend's
//! Kalshi client, the built-in exchange and the tests all use the same definitions.
//!
//! ```
//! use shared::api::{ops, Operation};
//! let path = ops::GetMarket::path(&ops::GetMarketPath { ticker: "KXBTCD-26MAY2008-T77299.99".into() });
//! assert_eq!(path, "/markets/KXBTCD-26MAY2008-T77299.99");
//! let q = ops::GetMarketsQuery { limit: Some(100), status: Some(shared::api::schema::GetMarketsQueryStatus::Open), ..Default::default() };
//! assert_eq!(ops::GetMarkets::query_string(&q), "limit=100&status=open");
//! ```
//!
//! # Layout
//! - this module: the [`Operation`] and [`Paginated`] traits, the unit types for "no path /
//!   query / body", [`Empty`] for bodiless answers, and the query-string encoder and decoder
//!   ([`encode_query`], [`decode_query`], with which the built-in exchange reads queries).
//! - [`schema`] (generated): every component schema as a Rust type.
//! - [`ops`] (generated): one marker type per operation, plus [`ops::ALL_OPERATIONS`].
//! - [`limits`]: each operation's rate-limit bucket and cost in tokens.
//!
//! `schema.rs` and `ops.rs` are written by `scripts/gen_wire.py`; re-run it after updating
//! the spec. Operations the desk already models by hand (markets, order book, orders V2,
//! balance, positions, fills) use the [`crate::rest`] types, which also read legacy forms.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

pub mod limits;
pub mod ops;
pub mod schema;

/// An HTTP method of a Kalshi operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl Method {
    /// The upper-case name, as signed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Path parameters: `(name, value)` pairs substituted into the path template.
pub trait PathParams {
    /// The values, by template name (unencoded).
    fn values(&self) -> Vec<(&'static str, String)>;
}

/// One Kalshi REST operation (`operationId`), relative to `/trade-api/v2`.
pub trait Operation {
    /// The spec's `operationId`, e.g. `"GetMarkets"`.
    const OPERATION_ID: &'static str;
    /// HTTP method.
    const METHOD: Method;
    /// Path template, e.g. `"/markets/{ticker}"`.
    const PATH: &'static str;
    /// True when the spec requires the three `KALSHI-ACCESS-*` headers.
    const AUTHENTICATED: bool;
    /// The HTTP statuses the spec documents for this operation, ascending (success and
    /// errors; `429` may come from any operation besides).
    const STATUSES: &'static [u16];
    /// Path parameters ([`NoPath`] when none).
    type Path: PathParams;
    /// Query parameters ([`NoQuery`] when none).
    type Query: Serialize + Default;
    /// JSON request body ([`NoBody`] when none).
    type Body: Serialize;
    /// JSON response body of the success status ([`Empty`] for `204`).
    type Response: DeserializeOwned + Serialize;

    /// The path with parameters substituted and percent-encoded (no query).
    fn path(params: &Self::Path) -> String {
        let mut out = Self::PATH.to_owned();
        for (name, value) in params.values() {
            out = out.replace(&format!("{{{name}}}"), &percent_encode(&value));
        }
        out
    }

    /// The query string (no leading `?`); arrays repeat their key (`form`, `explode`).
    fn query_string(query: &Self::Query) -> String {
        encode_query(query)
    }

    /// Path and query, as sent relative to the base URL.
    fn path_and_query(params: &Self::Path, query: &Self::Query) -> String {
        let q = Self::query_string(query);
        if q.is_empty() {
            Self::path(params)
        } else {
            format!("{}?{q}", Self::path(params))
        }
    }

    /// True when a request of this operation carries a JSON body.
    fn has_body() -> bool {
        std::any::type_name::<Self::Body>() != std::any::type_name::<NoBody>()
    }
}

/// A cursor-paginated operation: its query has `cursor`, its response a next `cursor`.
pub trait Paginated: Operation {
    /// The next page's cursor; `None` (or empty) at the end.
    fn next_cursor(response: &Self::Response) -> Option<&str>;
    /// Sets the query's `cursor`.
    fn set_cursor(query: &mut Self::Query, cursor: Option<String>);
}

/// No path parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoPath;

impl PathParams for NoPath {
    fn values(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// No query parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoQuery {}

/// No request body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoBody {}

/// A response with no (or an ignorable) body: `204 No Content`, `{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Decodes `null` or a missing value as `T::default()` (used by generated required fields).
///
/// # Errors
/// When the value is present and not a `T`.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Whether `path` (no query) fits the path `template` (`/markets/{ticker}`): the number of
/// literal segments it matched (more = a more specific template), or `None`.
///
/// ```
/// use shared::api::match_template;
/// assert_eq!(match_template("/markets/{ticker}", "/markets/trades"), Some(1));
/// assert_eq!(match_template("/markets/trades", "/markets/trades"), Some(2));
/// assert_eq!(match_template("/markets/{ticker}", "/markets"), None);
/// ```
pub fn match_template(template: &str, path: &str) -> Option<usize> {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
    if template.len() != actual.len() {
        return None;
    }
    let mut literal = 0;
    for (t, a) in template.iter().zip(&actual) {
        if t.starts_with('{') {
            if a.is_empty() {
                return None;
            }
        } else if t == a {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved characters kept).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a query string (no leading `?`) into a query struct, the inverse of
/// [`encode_query`]: a repeated key fills a `Vec` field, an empty value (`limit=`) reads as
/// absent, unknown keys are ignored.
///
/// ```
/// use shared::api::{decode_query, ops::GetTradesQuery};
/// let q: GetTradesQuery = decode_query("limit=5&cursor=&junk=1").unwrap();
/// assert_eq!((q.limit, q.cursor), (Some(5), None));
/// let e = decode_query::<GetTradesQuery>("limit=ten").unwrap_err();
/// assert_eq!(e, "limit: invalid digit found in string");
/// ```
///
/// # Errors
/// A malformed value, or a required parameter missing: the message names the parameter.
pub fn decode_query<Q: DeserializeOwned>(raw: &str) -> Result<Q, String> {
    let present: Vec<&str> = raw
        .split('&')
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(_, value)| !value.is_empty())
        })
        .collect();
    let joined = present.join("&");
    let form = serde_html_form::Deserializer::from_bytes(joined.as_bytes());
    serde_path_to_error::deserialize(form).map_err(|e| e.to_string())
}

/// Encodes a flat query struct: `null`s skipped, arrays repeat the key, in field order.
pub fn encode_query<Q: Serialize>(query: &Q) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(query) else {
        return String::new();
    };
    let mut parts = Vec::new();
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    };
    for (key, value) in &map {
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    if let Some(v) = scalar(item) {
                        parts.push(format!("{}={}", percent_encode(key), percent_encode(&v)));
                    }
                }
            }
            other => {
                if let Some(v) = scalar(other) {
                    parts.push(format!("{}={}", percent_encode(key), percent_encode(&v)));
                }
            }
        }
    }
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::ops::{
        GetEventForecastPercentilesHistoryQuery, GetMarketOrderbooksQuery, GetMarketsQuery,
        GetQuotesQuery, GetStructuredTargetsQuery, GetTradesQuery,
    };
    use super::schema::{GetMarketsQueryMveFilter, GetMarketsQueryStatus, UserFilter};
    use super::{decode_query, encode_query};

    fn round_trip<Q>(query: &Q)
    where
        Q: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let text = encode_query(query);
        let back: Q = decode_query(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(&back, query, "{text}");
    }

    #[test]
    fn decode_query_inverts_encode_query() {
        round_trip(&GetMarketsQuery {
            limit: Some(250),
            cursor: Some("KXDESK-26DEC31-T50".into()),
            event_ticker: Some("KXDESK-26DEC31".into()),
            min_close_ts: Some(-5),
            status: Some(GetMarketsQueryStatus::Closed),
            tickers: Some("A-1,B 2&c=3".into()),
            mve_filter: Some(GetMarketsQueryMveFilter::Exclude),
            ..Default::default()
        });
        round_trip(&GetMarketOrderbooksQuery {
            tickers: vec!["KXA-1".into(), "KXB-2".into()],
        });
        round_trip(&GetEventForecastPercentilesHistoryQuery {
            percentiles: vec![10, 50, 90],
            start_ts: 1_700_000_000,
            end_ts: 1_700_086_400,
            period_interval: 60,
        });
        round_trip(&GetStructuredTargetsQuery {
            ids: Some(vec!["x".into(), "y".into()]),
            r#type: Some("weather_station".into()),
            page_size: Some(3),
            ..Default::default()
        });
        round_trip(&GetQuotesQuery {
            user_filter: Some(UserFilter::SelfV),
            min_ts: Some(0),
            ..Default::default()
        });
        round_trip(&GetTradesQuery::default());
    }

    #[test]
    fn decode_query_reads_leniently_and_names_a_bad_parameter() {
        let q: GetTradesQuery = decode_query("limit=&ticker=T&junk=1&min_ts=7").unwrap();
        assert_eq!(
            q,
            GetTradesQuery {
                ticker: Some("T".into()),
                min_ts: Some(7),
                ..Default::default()
            }
        );
        let q: GetMarketOrderbooksQuery = decode_query("tickers=A&tickers=&tickers=B").unwrap();
        assert_eq!(q.tickers, ["A", "B"]);
        for (raw, message) in [
            ("limit=abc", "limit: invalid digit found in string"),
            ("min_ts=1.5", "min_ts: invalid digit found in string"),
            (
                "is_block_trade=yes",
                r#"is_block_trade: invalid value: string "yes", expected "true", "on" or "false""#,
            ),
            ("limit=1&limit=2", "limit: unsupported value"),
        ] {
            assert_eq!(
                decode_query::<GetTradesQuery>(raw).unwrap_err(),
                message,
                "{raw}"
            );
        }
    }
}
