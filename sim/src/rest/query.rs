//! Query parameters: [`KalshiQuery`] reads a request's query string into the operation's
//! generated query struct (`shared::api::ops::*Query`), and the helpers below check what the
//! types cannot (page sizes, cursors, comma-separated lists).
//!
//! Reading rules, as Kalshi: unknown parameters are ignored, an empty value (`limit=`) reads
//! as absent, a repeated key fills a `Vec` field, and a malformed value is a 400
//! (`invalid_parameters`) whose message names the parameter
//! (`limit: invalid digit found in string`).
//!
//! Where a generated struct reads a parameter wrongly for a server (a required one that
//! defaults to 0 when missing, a list the exchange also takes repeated), the handler reads
//! that parameter with a second `KalshiQuery` of a small local struct. Not with
//! `#[serde(flatten)]`: a flattened struct sees every value as a string, so its numbers and
//! booleans would not parse.

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{Result, SimError};

/// The query string read into `T` (see the module doc); rejected with Kalshi's 400 body.
#[derive(Debug)]
pub(crate) struct KalshiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for KalshiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = SimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        let raw = parts.uri.query().unwrap_or_default();
        shared::api::decode_query(raw)
            .map(KalshiQuery)
            .map_err(SimError::BadRequest)
    }
}

/// A page size: `default` when absent, else 1..=`max`.
pub(crate) fn page_limit(limit: Option<i64>, default: usize, max: usize) -> Result<usize> {
    match limit {
        None => Ok(default),
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                SimError::BadRequest(format!(
                    "limit must be an integer between 1 and {max}, got {n}"
                ))
            }),
    }
}

/// A cursor the exchange made from a number (an engine sequence, an offset); `None` when
/// absent.
pub(crate) fn number_cursor<N: FromStr>(cursor: Option<&str>) -> Result<Option<N>> {
    cursor
        .map(|text| {
            text.parse()
                .map_err(|_| SimError::BadRequest(format!("invalid cursor {text:?}")))
        })
        .transpose()
}

/// A comma-separated list parameter (`tickers=A,B`): its items, trimmed, blanks dropped;
/// `None` when absent.
pub(crate) fn comma_list(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| split_commas([v]))
}

/// The items of every value of a list that may be repeated, comma-separated, or both
/// (`tickers=A,B&tickers=C`), trimmed, blanks dropped.
pub(crate) fn split_commas<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use shared::api::ops::{GetMarketOrderbooksQuery, GetTradesQuery};

    use super::*;

    async fn read<T: DeserializeOwned>(query: &str) -> Result<T> {
        let (mut parts, ()) = Request::builder()
            .uri(format!("/trade-api/v2/x?{query}"))
            .body(())
            .expect("request")
            .into_parts();
        KalshiQuery::<T>::from_request_parts(&mut parts, &())
            .await
            .map(|KalshiQuery(q)| q)
    }

    #[tokio::test]
    async fn kalshi_query_reads_like_kalshi() {
        // An empty value is absent; an unknown key is ignored.
        let q: GetTradesQuery = read("limit=&cursor=&ticker=T&junk=1&max_ts=9")
            .await
            .unwrap();
        assert_eq!(
            q,
            GetTradesQuery {
                ticker: Some("T".into()),
                max_ts: Some(9),
                ..GetTradesQuery::default()
            }
        );
        // A repeated key fills a Vec.
        let q: GetMarketOrderbooksQuery = read("tickers=A&tickers=B").await.unwrap();
        assert_eq!(q.tickers, ["A", "B"]);
        // No query at all.
        let q: GetTradesQuery = read("").await.unwrap();
        assert_eq!(q, GetTradesQuery::default());
    }

    #[tokio::test]
    async fn kalshi_query_rejects_a_malformed_value_with_a_400_naming_it() {
        for (query, message) in [
            ("limit=ten", "limit: invalid digit found in string"),
            (
                "min_ts=99999999999999999999",
                "min_ts: number too large to fit in target type",
            ),
        ] {
            let e = read::<GetTradesQuery>(query).await.unwrap_err();
            let response = e.into_response();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
            let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["code"], "invalid_parameters", "{query}");
            assert_eq!(body["message"], message, "{query}");
        }
    }

    #[test]
    fn page_limits_cursors_and_lists() {
        assert_eq!(page_limit(None, 100, 1000).unwrap(), 100);
        assert_eq!(page_limit(Some(1000), 100, 1000).unwrap(), 1000);
        for bad in [0, -1, 1001, i64::MIN] {
            let e = page_limit(Some(bad), 100, 1000).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("limit must be an integer between 1 and 1000, got {bad}")
            );
        }
        assert_eq!(number_cursor::<u64>(Some("42")).unwrap(), Some(42));
        assert_eq!(number_cursor::<u64>(None).unwrap(), None);
        assert_eq!(
            number_cursor::<usize>(Some("-1")).unwrap_err().to_string(),
            r#"invalid cursor "-1""#
        );
        assert_eq!(comma_list(Some(" A, ,B ")).unwrap(), ["A", "B"]);
        assert_eq!(comma_list(None), None);
        assert_eq!(split_commas(["A,B", "C"]), ["A", "B", "C"]);
    }
}
