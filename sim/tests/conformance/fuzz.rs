//! Bad input of every kind, generated: every operation the exchange serves, with random
//! path ids, random query parameters and bodies that are valid ones mutated at random
//! (fields dropped, retyped, nulled, out of range, or the whole body replaced by arbitrary
//! JSON). Whatever comes in: never a 5xx, every answer in Kalshi's shapes, and a refused
//! request leaves the exchange's state exactly as it was.
//!
//! `PROPTEST_CASES=20000 cargo test -p kalshi-sim --test conformance fuzz` runs it longer.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use shared::api::ops::ALL_OPERATIONS;

use crate::kit::world;

const T50: &str = "KXDESK-26DEC31-T50";

/// Arbitrary JSON: scalars of every kind, nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e12f64..1.0e12).prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("0.5000"),
            Just("-1"),
            Just("1e400"),
            Just("0.00001"),
            Just("99999999999.99"),
            Just(""),
            Just("yes"),
            Just("bid"),
            Just(T50),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid body of each write the exchange serves, to mutate.
fn base_body(operation: &str) -> Value {
    let order = json!({
        "ticker": T50, "side": "bid", "price": "0.0200", "count": "1.00",
        "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross",
    });
    match operation {
        "CreateOrderV2" => order,
        "BatchCreateOrdersV2" => json!({"orders": [order.clone(), order]}),
        "BatchCancelOrdersV2" => {
            json!({"orders": [{"order_id": "00000000-0000-4000-8000-000000000000"}]})
        }
        "AmendOrderV2" => json!({"ticker": T50, "side": "bid", "price": "0.0300", "count": "2.00"}),
        "DecreaseOrderV2" => json!({"reduce_by": "1.00"}),
        "CreateOrderGroup" => json!({"contracts_limit_fp": "5.00"}),
        "UpdateOrderGroupLimit" => json!({"contracts_limit_fp": "6.00"}),
        "ApplySubaccountTransfer" => json!({"client_transfer_id": "x", "from_subaccount": 0,
                                            "to_subaccount": 1, "amount_cents": 100}),
        "UpdateSubaccountNetting" => json!({"subaccount_number": 0, "enabled": true}),
        "CreateRFQ" => json!({"market_ticker": T50, "contracts": 1, "rest_remainder": false}),
        "CreateQuote" => json!({"rfq_id": "x", "yes_bid": "0.4000", "no_bid": "0.5000",
                                "rest_remainder": false}),
        "AcceptRFQQuote" | "AcceptQuote" => json!({"accepted_side": "yes"}),
        "CreateApiKey" => json!({"name": "k", "public_key": "-----BEGIN PUBLIC KEY-----"}),
        "GenerateApiKey" => json!({"name": "k", "key_type": "rsa"}),
        "ProposeBlockTrade" => json!({"buyer_user_id": "x", "seller_user_id": "y",
                                      "market_ticker": T50, "price_centi_cents": 5000,
                                      "centicount": 100, "maker_side": "yes",
                                      "expiration_ts": "2030-01-01T00:00:00Z"}),
        _ => json!({}),
    }
}

/// One way to spoil a valid body.
fn mutated(base: Value) -> impl Strategy<Value = Value> {
    let keys: Vec<String> = base
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let pick = if keys.is_empty() {
        vec!["x".to_owned()]
    } else {
        keys
    };
    let b1 = base.clone();
    let b2 = base.clone();
    let b3 = base;
    prop_oneof![
        // A field dropped.
        prop::sample::select(pick.clone()).prop_map(move |k| {
            let mut v = b1.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove(&k);
            }
            v
        }),
        // A field given any value.
        (prop::sample::select(pick), any_json()).prop_map(move |(k, x)| {
            let mut v = b2.clone();
            if let Some(m) = v.as_object_mut() {
                m.insert(k, x);
            }
            v
        }),
        // An unknown field added.
        ("[a-z_]{1,10}", any_json()).prop_map(move |(k, x)| {
            let mut v = b3.clone();
            if let Some(m) = v.as_object_mut() {
                m.insert(k, x);
            }
            v
        }),
        // Anything at all.
        any_json(),
    ]
}

/// A path parameter: real-looking ids, tickers, and junk.
fn path_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(T50.to_owned()),
        Just("KXDESK".to_owned()),
        Just("KXDESK-26DEC31".to_owned()),
        Just("00000000-0000-4000-8000-000000000000".to_owned()),
        "[A-Za-z0-9._-]{1,40}",
        "\\PC{1,20}",
    ]
    // "." and ".." are dot segments: the client's URL parser resolves them, so the request
    // would reach another operation than the one the case is checked against.
    .prop_filter("a dot segment", |s| !s.chars().all(|c| c == '.'))
    .prop_map(|s| shared::api::percent_encode(&s))
}

/// A query string of known and unknown parameters with random values.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("limit"),
        Just("cursor"),
        Just("ticker"),
        Just("tickers"),
        Just("market_tickers"),
        Just("status"),
        Just("min_ts"),
        Just("max_ts"),
        Just("subaccount"),
        Just("depth"),
        Just("event_ticker"),
        Just("series_ticker"),
        Just("settlement_status"),
        Just("period_interval"),
        Just("start_ts"),
        Just("end_ts"),
        Just("milestone_ids"),
        Just("with_nested_markets"),
        Just("junk"),
    ];
    let value = prop_oneof![
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("100000".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("true".to_owned()),
        Just(T50.to_owned()),
        "\\PC{0,16}",
    ];
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", shared::api::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// One request: an operation the exchange serves, its path filled in, a query and a body.
fn request() -> impl Strategy<Value = (String, String, Option<Value>)> {
    let served: Vec<(&'static str, &'static str, &'static str)> = ALL_OPERATIONS
        .iter()
        .filter(|(id, _, _)| kalshi_sim::IMPLEMENTED_OPERATIONS.contains(id))
        .map(|&(id, m, p)| (id, m.as_str(), p))
        .collect();
    prop::sample::select(served).prop_flat_map(|(id, method, template)| {
        let params = template.matches('{').count();
        let body = if method == "GET" {
            Just(None).boxed()
        } else {
            mutated(base_body(id)).prop_map(Some).boxed()
        };
        (prop::collection::vec(path_value(), params), query(), body).prop_map(
            move |(values, q, body)| {
                let mut path = template.to_owned();
                for v in values {
                    if let (Some(a), Some(b)) = (path.find('{'), path.find('}')) {
                        path.replace_range(a..=b, &v);
                    }
                }
                if !q.is_empty() {
                    path = format!("{path}?{q}");
                }
                (method.to_owned(), path, body)
            },
        )
    })
}

#[test]
fn generated_bad_input_never_gets_a_5xx_and_a_refusal_changes_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let w = rt.block_on(world(&["alice"], 0, "prestige"));
    w.sim.set_rfq_participants(false);
    w.sim.set_rfq_expiry_sweep(false);
    let alice = w.traders[0].clone();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&request(), |(method, path, body)| {
        let before = w.sim.digest();
        let (status, answer) = rt.block_on(alice.call(&method, &path, body.clone()));
        prop_assert!(status < 500, "{method} {path} {body:?} → {status} {answer}");
        if status >= 400 {
            let after = w.sim.digest();
            prop_assert!(
                before == after,
                "{method} {path} {body:?} was refused ({status} {answer}) but changed the state"
            );
            prop_assert!(
                answer["code"].is_string() && answer["message"].is_string(),
                "{method} {path}: Kalshi's error shape: {answer}"
            );
        }
        Ok::<(), TestCaseError>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Bodies that are not JSON at all, to every write.
    let writes: Vec<(&'static str, &'static str)> = ALL_OPERATIONS
        .iter()
        .filter(|(id, m, _)| kalshi_sim::IMPLEMENTED_OPERATIONS.contains(id) && m.as_str() != "GET")
        .map(|&(_, m, p)| (m.as_str(), p))
        .collect();
    let raw = (prop::sample::select(writes), "\\PC{0,40}");
    let result = runner.run(&raw, |((method, template), text)| {
        let path = template.replace('{', "x").replace('}', "");
        let before = w.sim.digest();
        let (status, answer) = rt.block_on(alice.call_raw(method, &path, &text));
        prop_assert!(status < 500, "{method} {path} {text:?} → {status} {answer}");
        if status >= 400 {
            prop_assert!(
                before == w.sim.digest(),
                "{method} {path} {text:?} changed the state"
            );
        }
        Ok::<(), TestCaseError>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let record = w.rec.lock().unwrap();
    assert!(
        record.violations.is_empty(),
        "{} contract violations, first: {}",
        record.violations.len(),
        record.violations[0]
    );
}
