//! The typed model against the spec files in `shared/spec/` (read at test time):
//!
//! - coverage: every `operationId` of `kalshi-openapi.yaml` and every message of both
//!   AsyncAPI files has a typed counterpart; a gap fails naming it;
//! - conformance: an instance built from each response schema (its `example`s, else
//!   synthesised) decodes into the operation's `Response`; each request body built the same
//!   way decodes into `Body`, and what we encode again validates against the schema
//!   (required fields, enums, types, fixed-point and date-time string formats);
//! - every WebSocket command example decodes into [`shared::ws::Command`] and re-encodes
//!   to something the command schema accepts.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use shared::api::ops;
use shared::ws::{self, Incoming};

fn spec(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("spec")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

/// Follows `$ref`s within one document.
fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..20 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            return s;
        };
        let mut cur = doc;
        for part in r.trim_start_matches("#/").split('/') {
            cur = &cur[part];
        }
        s = cur;
    }
    s
}

/// An instance of schema `s`: `example` where given, otherwise every property filled.
fn instance(doc: &Value, s: &Value, field: &str, depth: usize) -> Value {
    let s = resolve(doc, s);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(ex) = s.get("example") {
        return ex.clone();
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return e.first().cloned().unwrap_or(Value::Null);
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        let mut out = Map::new();
        for p in parts {
            match instance(doc, p, field, depth + 1) {
                Value::Object(o) => out.extend(o),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(out);
    }
    if let Some(parts) = s.get("oneOf").or(s.get("anyOf")).and_then(Value::as_array) {
        return parts
            .first()
            .map_or(Value::Null, |p| instance(doc, p, field, depth + 1));
    }
    let ty = s
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(if s.get("properties").is_some() {
            "object"
        } else {
            ""
        });
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    out.insert(k.clone(), instance(doc, v, k, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = instance(
                doc,
                s.get("items").unwrap_or(&Value::Null),
                field,
                depth + 1,
            );
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; n as usize])
        }
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "string" => {
            if field.ends_with("_dollars") {
                json!("0.5600")
            } else if field.ends_with("_fp") {
                json!("10.00")
            } else if s.get("format").and_then(Value::as_str) == Some("date-time") {
                json!("2026-05-20T12:00:00Z")
            } else if field == "side" {
                // The 2026-03 AsyncAPI gives RFQ legs' `side` no enum; it is `yes`/`no`.
                json!("yes")
            } else {
                // Valid as free text, as a ticker, and as a fixed-point number: several
                // money fields (`fee_cost`, price bands) are plain strings in the spec.
                json!("0.56")
            }
        }
        _ => Value::Null,
    }
}

/// Checks `v` against schema `s`; pushes one line per violation.
fn validate(doc: &Value, s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let s = resolve(doc, s);
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        for p in parts {
            validate(doc, p, v, at, errs);
        }
        return;
    }
    if s.get("oneOf").is_some() || s.get("anyOf").is_some() {
        return;
    }
    if v.is_null() {
        if s.get("nullable") != Some(&json!(true)) && s.get("type").is_some() {
            errs.push(format!("{at}: null for a non-nullable {}", s["type"]));
        }
        return;
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{at}: {v} not in enum {e:?}"));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errs.push(format!("{at}: {v} is not the const {c}"));
        }
    }
    match s.get("type").and_then(Value::as_str) {
        Some("object") | None if s.get("properties").is_some() => {
            let Some(obj) = v.as_object() else {
                errs.push(format!("{at}: not an object"));
                return;
            };
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap_or_default();
                if !obj.contains_key(r) {
                    errs.push(format!("{at}: required `{r}` missing"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, fv) in obj {
                if let Some(fs) = props.and_then(|p| p.get(k)) {
                    validate(doc, fs, fv, &format!("{at}.{k}"), errs);
                }
            }
        }
        Some("array") => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate(
                        doc,
                        s.get("items").unwrap_or(&Value::Null),
                        item,
                        &format!("{at}[{i}]"),
                        errs,
                    );
                }
            }
            None => errs.push(format!("{at}: not an array")),
        },
        Some("string") => match v.as_str() {
            Some(text) => {
                let fmt = s.get("format").and_then(Value::as_str);
                if fmt == Some("date-time") && !(text.len() >= 20 && text.as_bytes()[10] == b'T') {
                    errs.push(format!("{at}: {text:?} is not RFC 3339"));
                }
                let leaf = at.rsplit('.').next().unwrap_or_default();
                if leaf.ends_with("_dollars") && text.parse::<shared::num::Dollars>().is_err() {
                    errs.push(format!("{at}: {text:?} is not a fixed-point dollar string"));
                }
                if leaf.ends_with("_fp") && text.parse::<shared::num::Count>().is_err() {
                    errs.push(format!("{at}: {text:?} is not a fixed-point count string"));
                }
            }
            None => errs.push(format!("{at}: {v} is not a string")),
        },
        Some("integer") if !(v.is_i64() || v.is_u64()) => {
            errs.push(format!("{at}: {v} is not an integer"))
        }
        Some("number") if !v.is_number() => errs.push(format!("{at}: {v} is not a number")),
        Some("boolean") if !v.is_boolean() => errs.push(format!("{at}: {v} is not a boolean")),
        _ => {}
    }
}

fn operations(doc: &Value) -> Vec<(String, String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                out.push((
                    id.to_owned(),
                    method.to_uppercase(),
                    path.clone(),
                    op.clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn every_openapi_operation_is_typed() {
    let doc = spec("kalshi-openapi.yaml");
    let ops_in_spec = operations(&doc);
    let typed: BTreeSet<(&str, &str, &str)> = ops::ALL_OPERATIONS
        .iter()
        .map(|(id, m, p)| (*id, m.as_str(), *p))
        .collect();
    let missing: Vec<String> = ops_in_spec
        .iter()
        .filter(|(id, m, p, _)| !typed.contains(&(id.as_str(), m.as_str(), p.as_str())))
        .map(|(id, m, p, _)| format!("{id} ({m} {p})"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a typed counterpart: {missing:#?}"
    );
    assert_eq!(ops_in_spec.len(), 117, "the 3.31 spec has 117 operations");
    assert_eq!(
        ops::ALL_OPERATIONS.len(),
        ops_in_spec.len(),
        "no stale typed operations"
    );
}

fn success_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    for code in ["200", "201", "202"] {
        if let Some(r) = op["responses"].get(code) {
            return resolve(doc, r).pointer("/content/application~1json/schema");
        }
    }
    None
}

#[test]
fn every_response_schema_instance_decodes() {
    let doc = spec("kalshi-openapi.yaml");
    let mut failures = Vec::new();
    for (id, _, _, op) in operations(&doc) {
        let Some(schema) = success_schema(&doc, &op) else {
            continue;
        };
        let inst = instance(&doc, schema, "", 0);
        match ops::decode_response(&id, &inst) {
            Some(Ok(_)) => {}
            Some(Err(e)) => failures.push(format!("{id}: {e}\n  instance: {inst}")),
            None => failures.push(format!("{id}: no typed operation")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} responses do not decode:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_request_body_we_encode_validates() {
    let doc = spec("kalshi-openapi.yaml");
    let mut failures = Vec::new();
    let mut checked = 0;
    for (id, _, _, op) in operations(&doc) {
        let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
            continue;
        };
        let inst = instance(&doc, schema, "", 0);
        match ops::reencode_body(&id, &inst) {
            Some(Ok(encoded)) => {
                let mut errs = Vec::new();
                validate(&doc, schema, &encoded, &id, &mut errs);
                failures.extend(errs);
                checked += 1;
            }
            Some(Err(e)) => {
                failures.push(format!("{id}: example body does not decode: {e}\n  {inst}"))
            }
            None => failures.push(format!("{id}: no typed operation")),
        }
    }
    assert!(checked >= 24, "only {checked} request bodies checked");
    assert!(
        failures.is_empty(),
        "{} request problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// AsyncAPI messages that are not JSON frames: WebSocket control frames, answered by the
/// transport (tungstenite) and never decoded by us.
const TRANSPORT_MESSAGES: &[&str] = &[
    "incomingPing",
    "incomingPong",
    "outgoingPing",
    "outgoingPong",
];

fn check_asyncapi(file: &str) -> (usize, usize) {
    let doc = spec(file);
    let mut failures = Vec::new();
    let (mut frames, mut commands) = (0, 0);
    for (name, msg) in doc["components"]["messages"].as_object().unwrap() {
        if TRANSPORT_MESSAGES.contains(&name.as_str()) {
            continue;
        }
        let payload = resolve(&doc, &msg["payload"]);
        let inst = instance(&doc, payload, "", 0);
        if payload.pointer("/properties/cmd").is_some() {
            commands += 1;
            match serde_json::from_value::<ws::Command>(inst.clone()) {
                Ok(cmd) => {
                    let encoded = serde_json::to_value(&cmd).unwrap();
                    let mut errs = Vec::new();
                    validate(&doc, payload, &encoded, name, &mut errs);
                    failures.extend(errs);
                }
                Err(e) => failures.push(format!("{file} command {name}: {e}\n  {inst}")),
            }
            continue;
        }
        frames += 1;
        let kind = payload
            .pointer("/properties/type/const")
            .and_then(Value::as_str);
        match ws::decode(&inst.to_string()) {
            Ok(Incoming::Known(frame)) => {
                let back = serde_json::to_value(&frame).unwrap();
                if back.get("type").and_then(Value::as_str) != kind {
                    failures.push(format!("{file} {name}: decoded as {:?}", back.get("type")));
                }
            }
            Ok(Incoming::Unknown { kind, .. }) => {
                failures.push(format!("{file} {name}: type {kind:?} has no typed frame"))
            }
            Err(e) => failures.push(format!("{file} {name}: {e}\n  {inst}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} WebSocket gaps:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (frames, commands)
}

#[test]
fn every_asyncapi_message_is_typed_newest() {
    let (frames, commands) = check_asyncapi("kalshi-asyncapi.yaml");
    assert_eq!(
        (frames, commands),
        (31, 9),
        "message counts of the newest AsyncAPI (plus 4 ping/pong)"
    );
}

#[test]
fn every_asyncapi_message_is_typed_2026_03() {
    check_asyncapi("kalshi-asyncapi-2026-03.yaml");
}

#[test]
fn every_channel_and_error_code_is_typed() {
    let doc = spec("kalshi-asyncapi.yaml");
    for (name, _) in doc["channels"].as_object().unwrap() {
        if name == "root" || name == "control_frames" {
            continue;
        }
        assert!(
            ws::Channel::from_name(name).is_some(),
            "channel {name} is not typed"
        );
    }
    let codes = doc
        .pointer("/x-error-codes/codes")
        .and_then(Value::as_array)
        .unwrap();
    for c in codes {
        let code = c["code"].as_u64().unwrap() as u32;
        let row =
            ws::error_code::lookup(code).unwrap_or_else(|| panic!("error code {code} not typed"));
        assert_eq!(row.name, c["name"].as_str().unwrap());
    }
    assert_eq!(codes.len(), ws::error_code::ALL.len());
    let terminal: Vec<u32> = ws::error_code::ALL
        .iter()
        .filter(|e| e.terminal)
        .map(|e| e.code)
        .collect();
    assert_eq!(terminal, vec![10, 25]);
    assert!(terminal.iter().all(|&c| ws::error_code::is_terminal(c)));
}

#[test]
fn seed_era_frames_decode_into_the_same_types() {
    let legacy = [
        r#"{"type":"ticker_v2","sid":3,"seq":8,"msg":{"market_ticker":"INXD-23SEP29-B4355","price":52,"yes_bid":51,"yes_ask":53,"volume_delta":10,"ts":1695925200}}"#,
        r#"{"type":"multivariate_lookup","sid":4,"seq":1,"msg":{"collection_ticker":"KXMVE","event_ticker":"KXMVE-1","market_ticker":"KXMVE-1-A","selected_markets":[{"event_ticker":"E","market_ticker":"M","side":"yes"}]}}"#,
        r#"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M","yes":[[45,10]],"no":[[50,3]]}}"#,
        r#"{"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"M","price":45,"delta":-4,"side":"yes"}}"#,
    ];
    for text in legacy {
        assert!(matches!(ws::decode(text), Ok(Incoming::Known(_))), "{text}");
    }
    let Ok(Incoming::Known(ws::ServerFrame::TickerV2 { msg, .. })) = ws::decode(legacy[0]) else {
        panic!("ticker_v2")
    };
    assert_eq!(msg.last_price(), Some("0.52".parse().unwrap()));
    assert!(matches!(
        ws::decode(r#"{"type":"brand_new_2027","sid":9,"seq":1,"msg":{"x":1}}"#),
        Ok(Incoming::Unknown { .. })
    ));
}
