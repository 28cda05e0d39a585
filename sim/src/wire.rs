//! Wire helpers of the simulator. Every shape it sends is a `shared` type: WebSocket frames
//! are [`shared::ws::ServerFrame`] (aliased [`OutFrame`] here), REST bodies are
//! `shared::rest` / `shared::api::schema` types.

/// Every frame the simulator sends, tagged by `type` exactly like Kalshi's.
pub type OutFrame = shared::ws::ServerFrame;

/// RFC 3339 (UTC, microseconds) for a Unix time in milliseconds.
pub fn rfc3339_ms(ts_ms: i64) -> String {
    let nanos = i128::from(ts_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// RFC 3339 (UTC, whole seconds) for a Unix time in milliseconds.
pub fn rfc3339_s(ts_ms: i64) -> String {
    rfc3339_ms(ts_ms.div_euclid(1000) * 1000)
}
