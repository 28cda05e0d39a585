#!/usr/bin/env python3
"""Generates the typed Kalshi wire model from the spec files kept in `shared/spec/`.

    python3 scripts/gen_wire.py          # rewrites the three files below
    python3 scripts/gen_wire.py --check  # exits 1 if they are out of date

Outputs (do not edit by hand; re-run this script after updating a spec file):
- `shared/src/api/schema.rs`: one Rust type per OpenAPI component schema.
- `shared/src/api/ops.rs`:    one marker type per OpenAPI operation implementing
                              `crate::api::Operation` (method, path template, path/query/body/
                              response types), plus `ALL_OPERATIONS`.
- `shared/src/ws_msg.rs`:     `msg` payload types of AsyncAPI server messages that `ws.rs`
                              does not write by hand (both the newest and the 2026-03 spec).

Type mapping: `FixedPointDollars` and `*_dollars` strings -> `Dollars`; `FixedPointCount`
and `*_fp` strings -> `Count`; `ticker`/`market_ticker` -> `MarketTicker`, `event_ticker` ->
`EventTicker`, `series_ticker` -> `SeriesTicker`, `order_id` -> `OrderId`, `trade_id` ->
`TradeId`; enums `yes|no` -> `Side`, `bid|ask` -> `BookSide`, `buy|sell` -> `Action`; other
string enums -> generated enums with an `Unknown` catch-all; `oneOf`/`anyOf` -> raw JSON.
Decoding is lenient: required fields default when absent or `null`, optional ones are
`Option`. Requires PyYAML.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "shared" / "spec"
OUT_SCHEMA = ROOT / "shared" / "src" / "api" / "schema.rs"
OUT_OPS = ROOT / "shared" / "src" / "api" / "ops.rs"
OUT_WS = ROOT / "shared" / "src" / "ws_msg.rs"

KEYWORDS = {"type", "match", "ref", "self", "struct", "enum", "fn", "mod", "use", "in",
            "loop", "move", "static", "where", "impl", "trait", "async", "await", "dyn",
            "box", "final", "override", "yield", "crate", "super", "const", "let", "mut",
            "pub", "return", "true", "false", "as", "break", "continue", "else", "extern",
            "for", "if", "unsafe", "while", "abstract", "become", "do", "macro", "priv",
            "typeof", "unsized", "virtual", "try"}

ID_FIELDS = {"ticker": "MarketTicker", "market_ticker": "MarketTicker",
             "event_ticker": "EventTicker", "series_ticker": "SeriesTicker",
             "order_id": "OrderId", "trade_id": "TradeId"}

# Types that implement Default (so a required field may default when absent).
NO_DEFAULT = {"Side", "BookSide", "Action"}

# The legacy-forms table: operations whose answers the desk reads through hand-written
# `crate::rest` types because Kalshi's recorded traffic still carries older forms (January
# 2026: integer cents and counts beside the `_dollars`/`_fp` strings, the
# `{"orderbook":{"yes":…}}` book, `yes_price_fixed` fills); every other operation, and every
# answer the built-in exchange sends, uses the generated type, whose required fields are
# required. operationId -> {"body"|"response": rust path}.
OVERRIDES = {
    "GetMarkets": {"response": "crate::rest::GetMarketsResponse"},
    "GetMarket": {"response": "crate::rest::GetMarketResponse"},
    "GetMarketOrderbook": {"response": "crate::rest::GetMarketOrderbookResponse"},
    "CreateOrderV2": {"body": "crate::rest::CreateOrderV2Request"},
    "GetOrders": {"response": "crate::rest::GetOrdersResponse"},
    "GetOrder": {"response": "crate::rest::GetOrderResponse"},
    "GetBalance": {"response": "crate::rest::GetBalanceResponse"},
    "GetPositions": {"response": "crate::rest::GetPositionsResponse"},
    "GetFills": {"response": "crate::rest::GetFillsResponse"},
}
# Schemas whose generated type is replaced, wherever they are referenced, by a hand-written
# one in `shared` (exact money types where the spec has plain strings, or legacy forms the
# desk must still read). Keep this table small; each entry says why.
SCHEMA_TYPE_OVERRIDES = {
    # `start`/`end`/`step` are dollar strings without the `_dollars` suffix the name-based
    # mapping keys on; the hand type reads them as exact `Dollars`.
    "PriceRange": "crate::rest::PriceRange",
}

# What Kalshi API 3.34 added to operations of the 3.31 spec in shared/spec/ (the fidelity
# issue lists them; no newer machine-readable spec is available). Query parameters are
# OpenAPI parameter objects, merged into the operation's own.
SPEC_ADDITIONS = {
    "GetPositions": {"query": [{
        "name": "settlement_status", "in": "query", "required": False,
        "description": "Settlement status of the markets to return: unsettled (the default), settled or all (Kalshi API 3.34).",
        "schema": {"type": "string", "enum": ["unsettled", "settled", "all"]},
    }]},
}

# Hand-written response types with a `cursor: String` field.
OVERRIDE_CURSOR = {"crate::rest::GetMarketsResponse", "crate::rest::GetOrdersResponse",
                   "crate::rest::GetPositionsResponse", "crate::rest::GetFillsResponse"}

# AsyncAPI payloads modelled by hand in ws.rs (message payload schema -> ws.rs type).
WS_HANDWRITTEN = {
    "subscribedResponsePayload", "unsubscribedResponsePayload", "okResponsePayload",
    "errorResponsePayload", "listSubscriptionsResponsePayload", "orderbookSnapshotPayload",
    "orderbookDeltaPayload", "tickerPayload", "tradePayload", "fillPayload",
    "marketPositionPayload", "userOrderPayload",
}


def camel(name):
    parts = re.split(r"[^A-Za-z0-9]+", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if out and out[0].isdigit():
        out = "N" + out
    return out


def snake_field(name):
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    if s and s[0].isdigit():
        s = "n_" + s
    if s in KEYWORDS:
        s = "r#" + s
    return s


def doc_lines(text, indent=""):
    if not text:
        return []
    out = []
    for line in str(text).strip().splitlines():
        line = line.rstrip().replace("*/", "* /")
        out.append(f"{indent}///{(' ' + line) if line else ''}")
    return out


def first_line(text):
    if not text:
        return ""
    return str(text).strip().splitlines()[0].strip()


class Gen:
    def __init__(self, root_doc, prefix_refs):
        self.doc = root_doc
        self.schemas = root_doc.get("components", {}).get("schemas", {})
        self.items = []  # emitted Rust items (strings)
        self.emitted = set()
        self.prefix_refs = prefix_refs

    def resolve(self, sch):
        seen = 0
        while isinstance(sch, dict) and "$ref" in sch and seen < 20:
            name = sch["$ref"].split("/")[-1]
            sch = self.schemas.get(name, {})
            seen += 1
        return sch

    # ---- example instances (docs) ----
    def example(self, sch, field="", depth=0):
        if depth > 6:
            return None
        if "$ref" in sch:
            name = sch["$ref"].split("/")[-1]
            if name == "FixedPointDollars":
                return "0.5600"
            if name == "FixedPointCount":
                return "10.00"
            return self.example(self.schemas.get(name, {}), field, depth + 1)
        if "example" in sch:
            return sch["example"]
        if "const" in sch:
            return sch["const"]
        if "enum" in sch:
            return sch["enum"][0]
        if "allOf" in sch:
            out = {}
            for part in sch["allOf"]:
                v = self.example(part, field, depth + 1)
                if isinstance(v, dict):
                    out.update(v)
                elif v is not None:
                    return v
            return out
        if "oneOf" in sch or "anyOf" in sch:
            return self.example((sch.get("oneOf") or sch.get("anyOf"))[0], field, depth + 1)
        t = sch.get("type")
        if t == "object" or "properties" in sch:
            out = {}
            req = set(sch.get("required", []))
            for k, v in (sch.get("properties") or {}).items():
                if k in req or depth == 0:
                    out[k] = self.example(v, k, depth + 1)
            return out
        if t == "array":
            v = self.example(sch.get("items", {}), field, depth + 1)
            return [] if v is None else [v]
        if t == "integer":
            return 0
        if t == "number":
            return 0
        if t == "boolean":
            return False
        if t == "string":
            if field.endswith("_dollars"):
                return "0.5600"
            if field.endswith("_fp"):
                return "10.00"
            if sch.get("format") == "date-time":
                return "2026-05-20T12:00:00Z"
            return "string"
        return None

    # ---- types ----
    def string_type(self, sch, field):
        if field.endswith("_dollars") or field == "price_dollars":
            return "Dollars"
        if field.endswith("_fp"):
            return "Count"
        if field in ID_FIELDS:
            return ID_FIELDS[field]
        return "String"

    def enum_type(self, values, name, description):
        vals = [str(v) for v in values]
        sv = set(vals)
        if sv <= {"yes", "no"} and sv:
            return "Side"
        if sv <= {"bid", "ask"} and sv:
            return "BookSide"
        if sv <= {"buy", "sell"} and sv:
            return "Action"
        if name in self.emitted:
            return name
        self.emitted.add(name)
        lines = doc_lines(description) or [f"/// `{name}`."]
        lines.append("///")
        lines.append(f"/// Values: {', '.join('`' + v + '`' for v in vals)}; anything newer decodes as `Unknown`.")
        lines.append("#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]")
        lines.append(f"pub enum {name} {{")
        used = set()
        for v in vals:
            vn = camel(v) or "Empty"
            while vn in used or vn in ("Unknown", "Self", "Crate", "Super"):
                vn += "V"
            used.add(vn)
            lines.append(f"    /// `{v}`")
            lines.append(f"    #[serde(rename = {json.dumps(v)})]")
            lines.append(f"    {vn},")
        lines.append("    /// A value this build does not know.")
        lines.append("    #[default]")
        lines.append("    #[serde(other)]")
        lines.append("    Unknown,")
        lines.append("}")
        self.items.append("\n".join(lines))
        return name

    def rust_type(self, sch, ctx, field):
        """Rust type for `sch`; `ctx` names inline types."""
        if not isinstance(sch, dict):
            return "serde_json::Value"
        if "$ref" in sch:
            name = sch["$ref"].split("/")[-1]
            if name == "FixedPointDollars":
                return "Dollars"
            if name == "FixedPointCount":
                return "Count"
            if name == "PriceLevelDollarsCountFp":
                return "(Dollars, Count)"
            if name in SCHEMA_TYPE_OVERRIDES:
                return SCHEMA_TYPE_OVERRIDES[name]
            target = self.schemas.get(name, {})
            return self.named_type(name, target, field)
        if "allOf" in sch:
            parts = sch["allOf"]
            if len(parts) == 1:
                return self.rust_type(parts[0], ctx, field)
            merged = self.merge_all_of(sch)
            return self.struct_type(ctx, merged)
        if "oneOf" in sch or "anyOf" in sch:
            return "serde_json::Value"
        t = sch.get("type")
        if isinstance(t, list):
            t = [x for x in t if x != "null"][0] if [x for x in t if x != "null"] else None
        if "enum" in sch and t in (None, "string"):
            return self.enum_type(sch["enum"], ctx, sch.get("description"))
        if t == "string":
            return self.string_type(sch, field)
        if t == "integer":
            return "i64"
        if t == "number":
            return "f64"
        if t == "boolean":
            return "bool"
        if t == "array":
            inner = self.rust_type(sch.get("items", {}), ctx + "Item", field)
            return f"Vec<{inner}>"
        if t == "object" or "properties" in sch:
            if sch.get("properties"):
                return self.struct_type(ctx, sch)
            ap = sch.get("additionalProperties")
            if isinstance(ap, dict) and ap:
                inner = self.rust_type(ap, ctx + "Value", field)
                return f"std::collections::BTreeMap<String, {inner}>"
            return "serde_json::Value"
        return "serde_json::Value"

    def named_type(self, name, target, field):
        rname = camel(name)
        if "properties" in target or "allOf" in target or target.get("type") == "object":
            if "allOf" in target:
                merged = self.merge_all_of(target)
                return self.struct_type(rname, merged)
            if not target.get("properties") and not target.get("additionalProperties"):
                return self.struct_type(rname, target)
            return self.struct_type(rname, target) if target.get("properties") else self.rust_type(target, rname, field)
        if "enum" in target:
            return self.enum_type(target["enum"], rname, target.get("description"))
        # primitive alias
        return self.rust_type(target, rname, field)

    def merge_all_of(self, sch):
        props, req, desc = {}, [], sch.get("description")
        for part in sch.get("allOf", []):
            p = self.resolve(part)
            if "allOf" in p:
                p = self.merge_all_of(p)
            props.update(p.get("properties") or {})
            req += p.get("required", [])
            desc = desc or p.get("description")
        props.update(sch.get("properties") or {})
        req += sch.get("required", [])
        return {"type": "object", "properties": props, "required": req, "description": desc}

    def struct_type(self, name, sch, extra_doc=None):
        if name in self.emitted:
            return name
        self.emitted.add(name)
        props = sch.get("properties") or {}
        req = set(sch.get("required", []))
        lines = []
        fields = []
        for key, fs in props.items():
            if not isinstance(fs, dict):
                continue
            rf = snake_field(key)
            ty = self.rust_type(fs, name + camel(key), key)
            fdesc = fs.get("description") or self.resolve(fs).get("description")
            fl = doc_lines(first_line(fdesc) or f"`{key}`.", "    ")
            attrs = []
            bare = rf[2:] if rf.startswith("r#") else rf
            if bare != key:
                attrs.append(f"rename = {json.dumps(key)}")
            base = ty.split("<")[0]
            if key in req and base not in NO_DEFAULT:
                attrs = ["default", "deserialize_with = \"crate::api::null_default\""] + attrs
                fty = ty
            else:
                attrs = ["default", "skip_serializing_if = \"Option::is_none\""] + attrs
                fty = f"Option<{ty}>"
            fields += fl
            fields.append(f"    #[serde({', '.join(attrs)})]")
            fields.append(f"    pub {rf}: {fty},")
        lines += extra_doc or doc_lines(sch.get("description")) or [f"/// `{name}`."]
        ex = self.example(sch, "", 0)
        lines.append("///")
        lines.append("/// ```json")
        lines.append(f"/// {json.dumps(ex, separators=(',', ':'))[:400]}")
        lines.append("/// ```")
        lines.append("#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]")
        lines.append(f"pub struct {name} {{")
        lines += fields
        lines.append("}")
        self.items.append("\n".join(lines))
        return name


HEADER = """// @generated by scripts/gen_wire.py from {src}. Do not edit; re-run the script.
{doc}

use serde::{{Deserialize, Serialize}};

#[allow(unused_imports)]
use crate::ids::{{Action, BookSide, EventTicker, MarketTicker, OrderId, SeriesTicker, Side, TradeId}};
#[allow(unused_imports)]
use crate::num::{{Count, Dollars}};
"""


def param_example(g, p):
    """An example value of a path or query parameter: its own, its schema's, or one made
    from the schema."""
    if "example" in p:
        return p["example"]
    sch = p.get("schema", {})
    if "example" in sch:
        return sch["example"]
    v = g.example(sch, p["name"], 1)
    return "string" if v is None else v


def gen_rest(check):
    spec = yaml.safe_load(open(SPEC / "kalshi-openapi.yaml"))
    version = spec["info"]["version"]
    g = Gen(spec, True)
    for name, sch in spec["components"]["schemas"].items():
        if name in ("FixedPointDollars", "FixedPointCount", "PriceLevelDollarsCountFp"):
            continue
        desc = sch.get("description")
        extra = doc_lines(desc) or [f"/// Schema `{name}`."]
        extra = [f"/// Schema `{name}` (`kalshi-openapi.yaml` {version})."] + (["///"] + doc_lines(desc) if desc else [])
        if name in SCHEMA_TYPE_OVERRIDES:
            g.emitted.add(camel(name))
            g.items.append("\n".join(extra + ["///", "/// Hand-written (see `SCHEMA_TYPE_OVERRIDES` in `scripts/gen_wire.py`).",
                                               f"pub type {camel(name)} = {SCHEMA_TYPE_OVERRIDES[name]};"]))
            continue
        if "properties" in sch or "allOf" in sch or (sch.get("type") == "object" and not sch.get("additionalProperties")):
            body = g.merge_all_of(sch) if "allOf" in sch else sch
            g.struct_type(camel(name), body, extra)
        elif "enum" in sch:
            g.enum_type(sch["enum"], camel(name), f"Schema `{name}`. {desc or ''}")
        else:
            rt = g.rust_type(sch, camel(name), "")
            if camel(name) not in g.emitted and rt != camel(name):
                g.emitted.add(camel(name))
                g.items.append("\n".join(extra + [f"pub type {camel(name)} = {rt};"]))
    schema_items = list(g.items)
    g.items = []

    params = spec["components"].get("parameters", {})
    ops_out = []
    op_names = []
    op_statuses = []
    for path, item in spec["paths"].items():
        common = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            oid = op["operationId"]
            name = camel(oid)
            op_names.append((oid, name, method.upper(), path))
            ov = OVERRIDES.get(oid, {})
            plist = []
            for p in common + op.get("parameters", []):
                if "$ref" in p:
                    p = params[p["$ref"].split("/")[-1]]
                plist.append(p)
            plist += SPEC_ADDITIONS.get(oid, {}).get("query", [])
            path_ps = [p for p in plist if p["in"] == "path"]
            query_ps = [p for p in plist if p["in"] == "query"]
            summary = op.get("summary", oid)
            # path params
            path_ty = "NoPath"
            if path_ps:
                path_ty = f"{name}Path"
                lines = [f"/// Path parameters of `{oid}` (`{method.upper()} {path}`)."]
                ex = {p["name"]: param_example(g, p) for p in path_ps}
                sent = path
                for k, v in ex.items():
                    sent = sent.replace("{" + k + "}", str(v))
                lines += ["///", "/// Example (values from the spec), and the path it makes:", "///", "/// ```json",
                          f"/// {json.dumps(ex, separators=(',', ':'))[:400]}", "/// ```", "///",
                          f"/// `{sent}`"]
                lines.append("#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]")
                lines.append(f"pub struct {path_ty} {{")
                for p in path_ps:
                    ty = g.rust_type(p.get("schema", {}), path_ty + camel(p["name"]), p["name"])
                    lines += doc_lines(first_line(p.get("description")) or f"`{p['name']}`.", "    ")
                    lines.append(f"    pub {snake_field(p['name'])}: {ty},")
                lines.append("}")
                lines.append(f"impl crate::api::PathParams for {path_ty} {{")
                lines.append("    fn values(&self) -> Vec<(&'static str, String)> {")
                vals = ", ".join(f"({json.dumps(p['name'])}, self.{snake_field(p['name'])}.to_string())" for p in path_ps)
                lines.append(f"        vec![{vals}]")
                lines.append("    }")
                lines.append("}")
                ops_out.append("\n".join(lines))
            query_ty = "NoQuery"
            has_cursor = any(p["name"] == "cursor" for p in query_ps)
            if query_ps:
                query_ty = f"{name}Query"
                lines = [f"/// Query parameters of `{oid}` (`{method.upper()} {path}`); arrays repeat the key."]
                ex = {p["name"]: param_example(g, p) for p in query_ps}
                qs = "&".join(f"{k}={v[0] if isinstance(v, list) and v else (str(v).lower() if isinstance(v, bool) else v)}" for k, v in ex.items())
                lines += ["///", "/// Example (every parameter, values from the spec), and the query string it makes:", "///", "/// ```json",
                          f"/// {json.dumps(ex, separators=(',', ':'))[:400]}", "/// ```", "///",
                          f"/// `?{qs[:300]}`"]
                lines.append("#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]")
                lines.append(f"pub struct {query_ty} {{")
                for p in query_ps:
                    ty = g.rust_type(p.get("schema", {}), query_ty + camel(p["name"]), p["name"])
                    d = first_line(p.get("description")) or f"`{p['name']}`."
                    lines += doc_lines(("Required. " if p.get("required") else "") + d, "    ")
                    rf = snake_field(p["name"])
                    attrs = ["default"]
                    bare = rf[2:] if rf.startswith("r#") else rf
                    if bare != p["name"]:
                        attrs.append(f"rename = {json.dumps(p['name'])}")
                    if p.get("required"):
                        if ty.split("<")[0] in NO_DEFAULT:
                            ty = f"Option<{ty}>"
                            attrs.append("skip_serializing_if = \"Option::is_none\"")
                        lines.append(f"    #[serde({', '.join(attrs)})]")
                        lines.append(f"    pub {rf}: {ty},")
                    else:
                        attrs.append("skip_serializing_if = \"Option::is_none\"")
                        lines.append(f"    #[serde({', '.join(attrs)})]")
                        lines.append(f"    pub {rf}: Option<{ty}>,")
                lines.append("}")
                ops_out.append("\n".join(lines))
            body_ty = "NoBody"
            rb = op.get("requestBody")
            if rb:
                js = rb.get("content", {}).get("application/json", {}).get("schema")
                if js is not None:
                    body_ty = ov.get("body") or ("schema::" + g.rust_type(js, name + "Body", ""))
            resp_ty = "Empty"
            for code in ("200", "201", "202"):
                r = op.get("responses", {}).get(code)
                if r:
                    if "$ref" in r:
                        r = spec["components"]["responses"][r["$ref"].split("/")[-1]]
                    js = r.get("content", {}).get("application/json", {}).get("schema")
                    if js is not None:
                        resp_ty = ov.get("response") or ("schema::" + g.rust_type(js, name + "Response", ""))
                    break
            resp_ty = ov.get("response", resp_ty)
            resp_ty = resp_ty.replace("schema::Vec<", "Vec<schema::")
            body_ty = body_ty.replace("schema::Vec<", "Vec<schema::")
            auth = bool(op.get("security"))
            lines = [f"/// `{oid}`: `{method.upper()} {path}` — {summary}."]
            if op.get("description"):
                lines.append("///")
                lines += doc_lines(first_line(op["description"]))
            lines.append("///")
            lines.append(f"/// Path: [`{path_ty}`], query: [`{query_ty}`], body: [`{body_ty}`], response: [`{resp_ty}`]." if False else
                         f"/// Tag `{(op.get('tags') or ['-'])[0]}`; {'signed' if auth else 'public'}.")
            lines.append("#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]")
            lines.append(f"pub struct {name};")
            lines.append(f"impl Operation for {name} {{")
            lines.append(f"    const OPERATION_ID: &'static str = {json.dumps(oid)};")
            lines.append(f"    const METHOD: Method = Method::{method.capitalize()};")
            lines.append(f"    const PATH: &'static str = {json.dumps(path)};")
            lines.append(f"    const AUTHENTICATED: bool = {'true' if auth else 'false'};")
            statuses = sorted(int(c) for c in op.get("responses", {}) if str(c).isdigit())
            op_statuses.append((oid, statuses))
            lines.append(f"    const STATUSES: &'static [u16] = &[{', '.join(str(c) for c in statuses)}];")
            lines.append(f"    type Path = {path_ty};")
            lines.append(f"    type Query = {query_ty};")
            lines.append(f"    type Body = {body_ty};")
            lines.append(f"    type Response = {resp_ty};")
            lines.append("}")
            ops_out.append("\n".join(lines))
            # cursor pagination
            if has_cursor and resp_ty.startswith(("schema::", "crate::rest::")):
                cur = None
                if resp_ty in OVERRIDE_CURSOR:
                    cur = "string"
                elif resp_ty.startswith("schema::"):
                    rs = spec["components"]["schemas"].get(resp_ty[len("schema::"):])
                    if rs is not None:
                        rs = g.merge_all_of(rs) if "allOf" in rs else rs
                        if "cursor" in (rs.get("properties") or {}):
                            cur = "string" if "cursor" in rs.get("required", []) else "option"
                if cur:
                    get = "Some(r.cursor.as_str())" if cur == "string" else "r.cursor.as_deref()"
                    lines = [f"impl Paginated for {name} {{",
                             "    fn next_cursor(r: &Self::Response) -> Option<&str> {",
                             f"        {get}.filter(|c| !c.is_empty())",
                             "    }",
                             "    fn set_cursor(q: &mut Self::Query, cursor: Option<String>) {",
                             "        q.cursor = cursor;",
                             "    }",
                             "}"]
                    ops_out.append("\n".join(lines))
    # anything the operations created inline goes into schema.rs
    schema_items += g.items
    doc = (f"//! Every component schema of `kalshi-openapi.yaml` {version} as a Rust type.\n"
           "//!\n//! Lenient on decode (absent/`null` required fields default, unknown fields are\n"
           "//! ignored, unknown enum values are `Unknown`); exact on encode (required fields always\n"
           "//! written, absent optional ones skipped).")
    schema_src = HEADER.format(src="shared/spec/kalshi-openapi.yaml", doc=doc) + "\n" + "\n\n".join(schema_items) + "\n"
    ops_doc = (f"//! One type per operation of `kalshi-openapi.yaml` {version} ({len(op_names)} operations),\n"
               "//! each implementing [`Operation`](crate::api::Operation).")
    ops_src = HEADER.format(src="shared/spec/kalshi-openapi.yaml", doc=ops_doc)
    ops_src += "\n#[allow(unused_imports)]\nuse crate::api::schema::{self, *};\nuse crate::api::{Empty, Method, NoBody, NoPath, NoQuery, Operation, Paginated};\n\n"
    ops_src += "\n\n".join(ops_out) + "\n\n"
    ops_src += "/// Every operation: `(operationId, method, path template)`, in spec order.\n"
    ops_src += "pub const ALL_OPERATIONS: &[(&str, Method, &str)] = &[\n"
    for oid, name, m, p in op_names:
        ops_src += f"    ({name}::OPERATION_ID, {name}::METHOD, {name}::PATH),\n"
    ops_src += "];\n\n"
    ops_src += "/// The HTTP statuses the spec documents for `operation_id` (ascending); `None` for an\n"
    ops_src += "/// unknown id. Kalshi's rate limiter may answer `429` to any operation besides these.\n"
    ops_src += "pub fn documented_statuses(operation_id: &str) -> Option<&'static [u16]> {\n"
    ops_src += "    Some(match operation_id {\n"
    for oid, name, m, p in op_names:
        ops_src += f"        {json.dumps(oid)} => {name}::STATUSES,\n"
    ops_src += "        _ => return None,\n    })\n}\n\n"
    ops_src += "/// Whether `operation_id` requires the `KALSHI-ACCESS-*` headers (public market data does\n"
    ops_src += "/// not); `None` for an unknown id.\n"
    ops_src += "pub fn is_authenticated(operation_id: &str) -> Option<bool> {\n"
    ops_src += "    Some(match operation_id {\n"
    for oid, name, m, p in op_names:
        ops_src += f"        {json.dumps(oid)} => {name}::AUTHENTICATED,\n"
    ops_src += "        _ => return None,\n    })\n}\n\n"
    ops_src += "/// Decodes `json` as the success response of `operation_id`; `None` for an unknown id.\n"
    ops_src += "/// Used by the conformance tests and the built-in exchange's self-checks.\n"
    ops_src += "pub fn decode_response(operation_id: &str, json: &serde_json::Value) -> Option<Result<serde_json::Value, serde_json::Error>> {\n"
    ops_src += "    fn go<T: serde::de::DeserializeOwned + Serialize>(v: &serde_json::Value) -> Result<serde_json::Value, serde_json::Error> {\n"
    ops_src += "        serde_json::to_value(serde_json::from_value::<T>(v.clone())?)\n    }\n"
    ops_src += "    Some(match operation_id {\n"
    for oid, name, m, p in op_names:
        ops_src += f"        {json.dumps(oid)} => go::<<{name} as Operation>::Response>(json),\n"
    ops_src += "        _ => return None,\n    })\n}\n\n"
    ops_src += "/// Decodes `json` as the request body of `operation_id` and encodes it again (what we would\n"
    ops_src += "/// send); `None` for an unknown id.\n"
    ops_src += "pub fn reencode_body(operation_id: &str, json: &serde_json::Value) -> Option<Result<serde_json::Value, serde_json::Error>> {\n"
    ops_src += "    fn go<T: serde::de::DeserializeOwned + Serialize>(v: &serde_json::Value) -> Result<serde_json::Value, serde_json::Error> {\n"
    ops_src += "        serde_json::to_value(serde_json::from_value::<T>(v.clone())?)\n    }\n"
    ops_src += "    Some(match operation_id {\n"
    for oid, name, m, p in op_names:
        ops_src += f"        {json.dumps(oid)} => go::<<{name} as Operation>::Body>(json),\n"
    ops_src += "        _ => return None,\n    })\n}\n"
    return schema_src, ops_src


def gen_ws():
    items = []
    names = []
    seen = set()
    for fname in ("kalshi-asyncapi.yaml", "kalshi-asyncapi-2026-03.yaml"):
        spec = yaml.safe_load(open(SPEC / fname))
        g = Gen(spec, False)
        g.emitted = seen
        for mname, msg in spec["components"]["messages"].items():
            ref = (msg.get("payload") or {}).get("$ref", "")
            pname = ref.split("/")[-1]
            if not pname or pname in WS_HANDWRITTEN:
                continue
            payload = spec["components"]["schemas"][pname]
            tconst = ((payload.get("properties") or {}).get("type") or {}).get("const")
            if not tconst:
                continue  # commands are modelled by hand in ws.rs
            m = (payload.get("properties") or {}).get("msg")
            if not isinstance(m, dict):
                continue
            tname = camel(pname[:-len("Payload")] if pname.endswith("Payload") else pname) + "Msg"
            if tname in seen:
                continue
            m = g.resolve(m)
            if "properties" not in m:
                continue
            if pname == "marketLifecycleV2Payload" and "marketMetadataUpdatedPayload" in spec["components"]["schemas"]:
                # `market_lifecycle_v2` frames carry either payload: one struct reads both.
                other = g.resolve(spec["components"]["schemas"]["marketMetadataUpdatedPayload"]["properties"]["msg"])
                props = dict(other.get("properties") or {})
                props.update(m["properties"])
                req = [r for r in m.get("required", []) if r in other.get("required", [])]
                m = dict(m, properties=props, required=req)
            if pname == "marketMetadataUpdatedPayload":
                continue
            extra = [f"/// `msg` of the `{tconst}` frame (AsyncAPI message `{mname}`, schema `{pname}`, `{fname}`).",
                     "///"] + doc_lines(msg.get("summary") or msg.get("description") or payload.get("description"))
            g.struct_type(tname, m, extra)
            names.append(tname)
        items += g.items
    doc = ("//! `msg` payloads of the Kalshi WebSocket frames `ws.rs` does not write by hand, one\n"
           "//! struct per AsyncAPI server message (newest spec, plus the 2026-03 spec's retired ones).\n"
           "//! Re-exported from [`crate::ws`].")
    return HEADER.format(src="shared/spec/kalshi-asyncapi*.yaml", doc=doc) + "\n" + "\n\n".join(items) + "\n"


def rustfmt(src):
    """The source as `rustfmt` (edition 2021) formats it, so the files on disk and `--check`
    agree with `cargo fmt`."""
    out = subprocess.run(["rustfmt", "--edition", "2021", "--emit", "stdout"], input=src,
                         capture_output=True, text=True, check=True)
    return out.stdout


def main():
    check = "--check" in sys.argv
    schema_src, ops_src = gen_rest(check)
    ws_src = gen_ws()
    schema_src, ops_src, ws_src = rustfmt(schema_src), rustfmt(ops_src), rustfmt(ws_src)
    stale = False
    for path, src in ((OUT_SCHEMA, schema_src), (OUT_OPS, ops_src), (OUT_WS, ws_src)):
        if check:
            if not path.exists() or path.read_text() != src:
                print(f"stale: {path.relative_to(ROOT)}")
                stale = True
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(src)
            print(f"wrote {path.relative_to(ROOT)} ({src.count(chr(10))} lines)")
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
