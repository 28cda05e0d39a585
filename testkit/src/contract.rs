//! Kalshi's published contracts as JSON Schema validators: every response of every operation
//! of `shared/spec/kalshi-openapi.yaml` and every message of `shared/spec/kalshi-asyncapi.yaml`,
//! checked with the `jsonschema` crate (formats such as `date-time` and `uuid` on), minus the
//! exceptions listed in `shared/spec/errata.yaml`.
//!
//! OpenAPI 3.0 schemas are turned into JSON Schema 2020-12 first: `nullable: true` becomes
//! "or `null`", everything else is already JSON Schema. `$ref`s keep their
//! `#/components/schemas/...` form, resolved inside one document that carries the converted
//! components.
//!
//! A [`Violation`] names the operation or frame type, where in the instance it failed, the
//! schema keyword's location and the validator's message; [`Errata::excuses`] tells whether a
//! listed exception covers it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The repository's `shared/spec/` folder.
pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join("spec")
}

/// The repository's recorded Kalshi payloads (`shared/tests/fixtures/`).
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join("tests")
        .join("fixtures")
}

fn load_yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    serde_json::to_value(yaml).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Keywords whose value is one schema.
const ONE_SCHEMA: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP: &[&str] = &["properties", "patternProperties", "$defs", "definitions"];

/// OpenAPI 3.0 schema → JSON Schema 2020-12 (`nullable`, and the annotations 2020-12 reads
/// differently: `example`, `discriminator`).
pub fn openapi_to_json_schema(schema: &Value) -> Value {
    let Value::Object(obj) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    let mut nullable = false;
    for (key, value) in obj {
        match key.as_str() {
            "nullable" => nullable = value.as_bool().unwrap_or(false),
            "example" | "discriminator" | "xml" | "externalDocs" => {}
            k if ONE_SCHEMA.contains(&k) => {
                out.insert(key.clone(), openapi_to_json_schema(value));
            }
            k if SCHEMA_LIST.contains(&k) => {
                let list = value
                    .as_array()
                    .map(|items| items.iter().map(openapi_to_json_schema).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            k if SCHEMA_MAP.contains(&k) => {
                let map = value
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(name, s)| (name.clone(), openapi_to_json_schema(s)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(map));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if nullable {
        json!({"anyOf": [Value::Object(out), {"type": "null"}]})
    } else {
        Value::Object(out)
    }
}

/// One way an instance breaks the contract.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// `"GetMarket 200"`, `"frame user_order"`, `"GetMarket status"`.
    pub subject: String,
    /// JSON pointer into the instance, e.g. `/market/created_time`.
    pub instance_path: String,
    /// JSON pointer of the failing keyword in the schema document, e.g.
    /// `/components/schemas/Market/properties/created_time/format`.
    pub schema_path: String,
    /// The validator's message.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: at {:?}: {} [schema {}]",
            self.subject, self.instance_path, self.message, self.schema_path
        )
    }
}

/// One operation of the OpenAPI document.
#[derive(Clone, Debug)]
pub struct Operation {
    /// `operationId`.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// Path template relative to `/trade-api/v2`, e.g. `/markets/{ticker}`.
    pub path: String,
    /// Documented status codes, with whether each has a JSON body schema.
    pub statuses: BTreeMap<u16, bool>,
    /// True when the spec lists a security requirement (the `KALSHI-ACCESS-*` headers).
    pub authenticated: bool,
    /// True when the operation declares query parameters.
    pub has_query: bool,
}

impl Operation {
    /// Whether `path` (no query, relative to `/trade-api/v2`) matches the template; returns
    /// the number of literal segments (more = more specific) when it does.
    fn matches(&self, path: &str) -> Option<usize> {
        shared::api::match_template(&self.path, path)
    }
}

type Validators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

/// Kalshi's REST and WebSocket contracts, compiled lazily per schema.
pub struct Contract {
    openapi: Value,
    asyncapi: Value,
    operations: Vec<Operation>,
    /// Frame `type` → the AsyncAPI message keys whose `name` it is.
    messages: HashMap<String, Vec<String>>,
    validators: Validators,
    errata: Errata,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("operations", &self.operations.len())
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

/// The contract, loaded once per test binary.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(Contract::load)
}

impl Contract {
    fn load() -> Contract {
        let dir = spec_dir();
        let openapi = load_yaml(&dir.join("kalshi-openapi.yaml"));
        let asyncapi = load_yaml(&dir.join("kalshi-asyncapi.yaml"));
        let mut operations = Vec::new();
        for (path, item) in openapi["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                let statuses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(code, resp)| {
                        let code: u16 = code.parse().ok()?;
                        let resp = resolve(&openapi, resp);
                        Some((
                            code,
                            resp["content"]["application/json"]["schema"].is_object(),
                        ))
                    })
                    .collect();
                let has_query = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(item["parameters"].as_array().into_iter().flatten())
                    .map(|p| resolve(&openapi, p))
                    .any(|p| p["in"] == "query");
                operations.push(Operation {
                    has_query,
                    id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    statuses,
                    authenticated: op["security"].as_array().is_some_and(|s| !s.is_empty()),
                });
            }
        }
        // A frame's `type` is its payload's `type` constant; a message's `name` usually
        // equals it, but not always (`list_subscriptions` replies are `"type": "ok"`).
        let mut messages: HashMap<String, Vec<String>> = HashMap::new();
        for (key, msg) in asyncapi["components"]["messages"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let payload = resolve(&asyncapi, &msg["payload"]);
            let ty = payload["properties"]["type"]["const"]
                .as_str()
                .or_else(|| msg["name"].as_str());
            if let Some(ty) = ty {
                messages.entry(ty.to_owned()).or_default().push(key.clone());
            }
        }
        Contract {
            openapi,
            asyncapi,
            operations,
            messages,
            validators: Mutex::new(HashMap::new()),
            errata: Errata::load(&dir.join("errata.yaml")),
        }
    }

    /// Every operation of the OpenAPI document, in spec order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation `id`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The listed exceptions.
    pub fn errata(&self) -> &Errata {
        &self.errata
    }

    /// The operation a request hits: `method` and `path` relative to `/trade-api/v2`
    /// (a query is ignored); the most specific template wins (`/markets/trades` over
    /// `/markets/{ticker}`).
    pub fn find_operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let path = path.split('?').next().unwrap_or(path);
        self.operations
            .iter()
            .filter(|o| o.method.eq_ignore_ascii_case(method))
            .filter_map(|o| o.matches(path).map(|n| (n, o)))
            .max_by_key(|(n, _)| *n)
            .map(|(_, o)| o)
    }

    /// Every frame `type` the AsyncAPI document defines a message for.
    pub fn frame_types(&self) -> BTreeSet<&str> {
        self.messages.keys().map(String::as_str).collect()
    }

    fn validator(&self, key: &str, doc: &Value, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut cache = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = cache.get(key) {
            return v.clone();
        }
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        root.insert("components".to_owned(), doc["components"].clone());
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("schema for {key} does not compile: {e}"));
        let v = Arc::new(validator);
        cache.insert(key.to_owned(), v.clone());
        v
    }

    fn openapi_components(&self) -> &Value {
        static CONVERTED: OnceLock<Value> = OnceLock::new();
        CONVERTED.get_or_init(|| {
            let schemas = self.openapi["components"]["schemas"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, s)| (k.clone(), openapi_to_json_schema(s)))
                        .collect::<Map<_, _>>()
                })
                .unwrap_or_default();
            json!({"components": {"schemas": schemas}})
        })
    }

    /// Checks one REST answer: its status is one the operation documents (429 is
    /// documented for every operation by Kalshi's rate-limit page, see the errata), and a
    /// JSON body validates against that status's schema. `path` is relative to
    /// `/trade-api/v2`.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<Violation> {
        let mut out = self.check_response_strict(method, path, status, body);
        out.retain(|v| !self.errata.excuses(v));
        out
    }

    /// [`Contract::check_response`] without the errata: every way the answer breaks the
    /// letter of the spec.
    pub fn check_response_strict(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<Violation> {
        let Some(op) = self.find_operation(method, path) else {
            return vec![Violation {
                subject: format!("{method} {path}"),
                instance_path: String::new(),
                schema_path: String::new(),
                message: "no operation of the spec has this method and path".to_owned(),
            }];
        };
        let mut out = Vec::new();
        // 429 is how Kalshi answers any request its rate limiter refuses: the spec's
        // `RateLimitError` response ("The default cost is 10 tokens per request") applies to
        // every operation, though only a few reference it. And a query that breaks the
        // operation's own parameter schema is a `400` (`BadRequestError`, "invalid input")
        // even where the operation lists no 400 (e.g. GetBalance's `subaccount`): there is
        // no other answer to give.
        let undocumented_but_general = status == 429 || (status == 400 && op.has_query);
        if !undocumented_but_general && !op.statuses.contains_key(&status) {
            out.push(Violation {
                subject: format!("{} status", op.id),
                instance_path: String::new(),
                schema_path: format!("/paths/{}/{}/responses", op.path, method.to_lowercase()),
                message: format!(
                    "status {status} is not documented (documented: {:?})",
                    op.statuses.keys().collect::<Vec<_>>()
                ),
            });
        }
        let schema = self.response_schema(op, status);
        if let Some(schema) = schema {
            let key = format!("{} {status}", op.id);
            let converted = openapi_to_json_schema(&schema);
            let validator = self.validator(&key, self.openapi_components(), &converted);
            out.extend(collect(&key, &validator, body));
        } else if status >= 400 {
            // Undocumented error body: Kalshi's errors are `ErrorResponse` everywhere.
            let key = "ErrorResponse".to_owned();
            let schema = json!({"$ref": "#/components/schemas/ErrorResponse"});
            let validator = self.validator(&key, self.openapi_components(), &schema);
            out.extend(collect(&format!("{} {status}", op.id), &validator, body));
        }
        out
    }

    /// The JSON body schema of `status` for `op` (an error status without one: none).
    fn response_schema(&self, op: &Operation, status: u16) -> Option<Value> {
        let spec_op = &self.openapi["paths"][&op.path][op.method.to_lowercase()];
        let resp = spec_op["responses"].get(status.to_string())?;
        let resp = resolve(&self.openapi, resp);
        let schema = &resp["content"]["application/json"]["schema"];
        schema.is_object().then(|| schema.clone())
    }

    /// Checks one WebSocket text frame the server sent: its `type` is an AsyncAPI message
    /// name and it validates against that message's payload (any of them, where several
    /// messages share a name).
    pub fn check_frame(&self, frame: &Value) -> Vec<Violation> {
        self.frame_violations(frame, true)
    }

    /// [`Contract::check_frame`] without the errata.
    pub fn check_frame_strict(&self, frame: &Value) -> Vec<Violation> {
        self.frame_violations(frame, false)
    }

    fn frame_violations(&self, frame: &Value, excused: bool) -> Vec<Violation> {
        let ty = frame["type"].as_str().unwrap_or("");
        let subject = format!("frame {ty}");
        let Some(keys) = self.messages.get(ty) else {
            return vec![Violation {
                subject,
                instance_path: "/type".to_owned(),
                schema_path: "/components/messages".to_owned(),
                message: format!("{ty:?} is not a message of the AsyncAPI document"),
            }];
        };
        let mut best: Option<Vec<Violation>> = None;
        for key in keys {
            let msg = &self.asyncapi["components"]["messages"][key];
            let payload = msg["payload"].clone();
            let validator = self.validator(&format!("message {key}"), &self.asyncapi, &payload);
            let mut found = collect(&subject, &validator, frame);
            if excused {
                found.retain(|v| !self.errata.excuses(v));
            }
            if found.is_empty() {
                return found;
            }
            if best.as_ref().is_none_or(|b| found.len() < b.len()) {
                best = Some(found);
            }
        }
        best.unwrap_or_default()
    }
}

fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        v = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
    }
    v
}

fn collect(subject: &str, validator: &jsonschema::Validator, instance: &Value) -> Vec<Violation> {
    validator
        .iter_errors(instance)
        .map(|e| Violation {
            subject: subject.to_owned(),
            instance_path: e.instance_path().to_string(),
            schema_path: e.schema_path().to_string(),
            message: e.to_string(),
        })
        .collect()
}

/// The exceptions to Kalshi's published contract (`shared/spec/errata.yaml`): places where
/// the spec is provably wrong, each with the real recording that proves it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Errata {
    /// The entries, in file order.
    pub entries: Vec<Erratum>,
}

/// One exception.
#[derive(Clone, Debug, Deserialize)]
pub struct Erratum {
    /// A short name.
    pub id: String,
    /// Which document: `openapi` or `asyncapi`.
    pub document: String,
    /// A violation is excused when its schema path ends with this (e.g.
    /// `/components/schemas/marketTicker/pattern`) or, for a status, equals
    /// `status <code>`.
    pub schema_path_suffix: String,
    /// Why the spec is wrong.
    pub reason: String,
    /// The recording that proves it: a file under `shared/tests/fixtures/` and what to
    /// check in it.
    pub proof: Proof,
}

/// Where a recording shows the spec is wrong.
#[derive(Clone, Debug, Deserialize)]
pub struct Proof {
    /// Path under `shared/tests/fixtures/`.
    pub file: String,
    /// Text the recording contains (the evidence, e.g. a ticker with a `.`).
    pub contains: String,
    /// For a WebSocket recording: the frame `type` whose recorded instance must break the
    /// contract exactly at this erratum's schema path.
    #[serde(default)]
    pub frame_type: Option<String>,
    /// For a REST recording: the operation whose recorded body must break the contract
    /// at this erratum's schema path (the body is the file's `response`).
    #[serde(default)]
    pub operation: Option<String>,
}

impl Errata {
    fn load(path: &Path) -> Errata {
        if !path.exists() {
            return Errata::default();
        }
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
    }

    /// The entry that excuses `v`, if any.
    pub fn excuse(&self, v: &Violation) -> Option<&Erratum> {
        self.entries.iter().find(|e| {
            if let Some(code) = e.schema_path_suffix.strip_prefix("status ") {
                v.subject.ends_with(" status") && v.message.starts_with(&format!("status {code} "))
            } else {
                v.schema_path.ends_with(&e.schema_path_suffix)
            }
        })
    }

    /// Whether a listed exception covers `v`.
    pub fn excuses(&self, v: &Violation) -> bool {
        self.excuse(v).is_some()
    }
}

/// Splits a WebSocket recording in the `;;`-separated format of
/// `ws-2026-05-20-live-replay` into its frames (each one JSON text).
pub fn recorded_frames(text: &str) -> Vec<String> {
    text.split("\n;;")
        .map(str::trim)
        .map(|s| s.trim_start_matches(";;").trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
