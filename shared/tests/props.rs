//! Property tests: `Dollars`/`Count` parse ↔ format round trips and exact arithmetic, and
//! a bounded fuzz run of the two decoders (upstream frames, browser protocol): no input
//! makes them panic. Case counts are bounded so this runs in seconds; for a longer fuzz
//! run: `PROPTEST_CASES=200000 cargo test -p desk-shared --test props`.

use proptest::prelude::*;
use shared::num::{Count, Dollars};

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(n)
}

/// Arbitrary JSON, biased toward Kalshi-shaped frames.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        "[a-z_0-9.\\-]{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("0.5600"),
            Just("-1"),
            Just("10.00"),
            Just("1e9"),
            Just("0.0000001")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("sid".to_owned()),
                    Just("seq".to_owned()),
                    Just("msg".to_owned()),
                    Just("id".to_owned()),
                    Just("market_ticker".to_owned()),
                    Just("price_dollars".to_owned()),
                    Just("delta_fp".to_owned()),
                    Just("side".to_owned()),
                    Just("yes_dollars_fp".to_owned()),
                    Just("code".to_owned()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..8,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A frame with a known `type` and a random body.
fn typed_frame() -> impl Strategy<Value = String> {
    let kinds = prop::sample::select(vec![
        "subscribed",
        "unsubscribed",
        "ok",
        "error",
        "orderbook_snapshot",
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "market_position",
        "user_order",
        "market_lifecycle_v2",
        "event_lifecycle",
        "rfq_created",
        "quote_executed",
        "cfbenchmarks_value",
        "pyth_value",
        "ticker_v2",
        "multivariate_lookup",
        "order_group_updates",
        "snapshot",
        "delta",
        "subscribe",
        "unsubscribe",
        "watch",
        "place_order",
        "pong",
    ]);
    (kinds, json_value(), any::<u32>(), any::<u32>()).prop_map(|(kind, msg, sid, seq)| {
        serde_json::json!({"type": kind, "sid": sid, "seq": seq, "msg": msg}).to_string()
    })
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn dollars_format_parse_round_trip(raw in -1_000_000_000_000_i64..1_000_000_000_000) {
        let d = Dollars::from_raw(raw);
        let text = d.to_string();
        prop_assert_eq!(text.parse::<Dollars>().unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Dollars>(&json).unwrap(), d);
        // Canonical: at least 4 decimals, no trailing zero past the 4th.
        let frac = text.split('.').nth(1).unwrap();
        prop_assert!(frac.len() >= 4 && frac.len() <= 6);
        prop_assert!(frac.len() == 4 || !frac.ends_with('0'));
    }

    #[test]
    fn count_format_parse_round_trip(raw in -1_000_000_000_000_i64..1_000_000_000_000) {
        let c = Count::from_raw(raw);
        let text = c.to_string();
        prop_assert_eq!(text.split('.').nth(1).unwrap().len(), 2);
        prop_assert_eq!(text.parse::<Count>().unwrap(), c);
    }

    #[test]
    fn every_written_form_of_a_price_parses_to_the_same_value(ten_thousandths in 0_i64..=10_000, pad in 0usize..3) {
        let d = Dollars::from_ten_thousandths(ten_thousandths);
        let short = format!("{}.{:04}", ten_thousandths / 10_000, ten_thousandths % 10_000);
        let long = format!("{short}{}", "0".repeat(pad));
        prop_assert_eq!(short.parse::<Dollars>().unwrap(), d);
        prop_assert_eq!(long.parse::<Dollars>().unwrap(), d);
        if ten_thousandths % 100 == 0 {
            // Legacy integer cents decode to the same price.
            prop_assert_eq!(Dollars::from_cents(ten_thousandths / 100), d);
        }
    }

    #[test]
    fn arithmetic_is_exact(a in -1_000_000_000_i64..1_000_000_000, b in -1_000_000_000_i64..1_000_000_000, n in 0_i64..100_000) {
        let (x, y) = (Dollars::from_raw(a), Dollars::from_raw(b));
        prop_assert_eq!((x + y) - y, x);
        prop_assert_eq!(x.checked_add(y), Some(x + y));
        prop_assert_eq!(x.complement().complement(), x);
        prop_assert_eq!((x + y).raw(), a + b);
        // price × whole contracts = exact multiple.
        prop_assert_eq!(x.times(Count::from_int(n)).raw(), a * n);
        let (p, q) = (Count::from_raw(a), Count::from_raw(b));
        prop_assert_eq!((p + q) - q, p);
        prop_assert_eq!(p.min(q), if p <= q { p } else { q });
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,24}") {
        let _ = text.parse::<Dollars>();
        let _ = text.parse::<Count>();
    }
}

proptest! {
    #![proptest_config(cases(768))]

    #[test]
    fn upstream_frame_decoder_never_panics(frame in typed_frame()) {
        let _ = shared::ws::decode(&frame);
    }

    #[test]
    fn upstream_decoder_never_panics_on_arbitrary_json(v in json_value()) {
        let _ = shared::ws::decode(&v.to_string());
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = shared::ws::decode(&text);
        let _ = serde_json::from_str::<shared::protocol::ClientMsg>(&text);
        let _ = serde_json::from_str::<shared::protocol::ServerMsg>(&text);
    }

    #[test]
    fn browser_protocol_decoder_never_panics(frame in typed_frame()) {
        let _ = serde_json::from_str::<shared::protocol::ClientMsg>(&frame);
        let _ = serde_json::from_str::<shared::protocol::ServerMsg>(&frame);
    }
}
