//! Kalshi's rate-limit accounting, shared by the desk's budget and the built-in exchange:
//! which bucket an operation draws on and what it costs in tokens.
//!
//! Kalshi bills every request to a read or a write token bucket (sizes per API usage tier,
//! `GetAccountApiLimits`) at a cost of [`DEFAULT_COST`] tokens unless `GetAccountEndpointCosts`
//! lists it; the two batch operations are billed per item and admitted whole. The costs
//! below are the ones the spec's operation descriptions give (`kalshi-openapi.yaml` 3.31,
//! "**Rate limit:** N tokens per request"); the desk replaces them with the account's own
//! answer at start-up.
//!
//! ```
//! use shared::api::limits::{cost, Bucket};
//! assert_eq!(cost("GetMarkets", 1), (Bucket::Read, 10));
//! assert_eq!(cost("CancelOrderV2", 1), (Bucket::Write, 2));
//! assert_eq!(cost("BatchCreateOrdersV2", 7), (Bucket::Write, 70));
//! ```

/// Tokens a request costs unless [`ENDPOINT_COSTS`] lists it ("currently 10").
pub const DEFAULT_COST: u32 = 10;

/// `(operationId, tokens)` of every operation whose cost differs from [`DEFAULT_COST`]; for
/// the batches it is the cost of one item.
pub const ENDPOINT_COSTS: &[(&str, u32)] = &[
    ("GetOrder", 2),
    ("CancelOrderV2", 2),
    ("CancelAllOrders", 2),
    ("BatchCreateOrdersV2", 10),
    ("BatchCancelOrdersV2", 2),
    ("GetRFQQuote", 2),
    ("DeleteRFQQuote", 2),
    ("CreateQuote", 2),
    ("GetQuote", 2),
    ("DeleteQuote", 2),
    ("UpgradeAccountApiUsageLevel", 30),
];

/// Operations billed to the write bucket: order and quote mutations (and the usage-level
/// upgrade, which the spec says uses the write bucket). Everything else is a read.
pub const WRITES: &[&str] = &[
    "CreateOrderV2",
    "AmendOrderV2",
    "DecreaseOrderV2",
    "CancelOrderV2",
    "CancelAllOrders",
    "BatchCreateOrdersV2",
    "BatchCancelOrdersV2",
    "CreateQuote",
    "DeleteQuote",
    "DeleteRFQQuote",
    "AcceptQuote",
    "AcceptRFQQuote",
    "ConfirmQuote",
    "ConfirmRFQQuote",
    "UpgradeAccountApiUsageLevel",
];

/// Operations billed per item of their body's `orders` array.
pub const PER_ITEM: &[&str] = &["BatchCreateOrdersV2", "BatchCancelOrdersV2"];

/// Which bucket a request draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Reads.
    Read,
    /// Order and quote mutations.
    Write,
}

/// The bucket of `operation_id`.
pub fn bucket(operation_id: &str) -> Bucket {
    if WRITES.contains(&operation_id) {
        Bucket::Write
    } else {
        Bucket::Read
    }
}

/// Whether `operation_id` is billed per item of its body's `orders`.
pub fn billed_per_item(operation_id: &str) -> bool {
    PER_ITEM.contains(&operation_id)
}

/// The spec's cost of one request (one item, for a batch) of `operation_id`, in tokens.
pub fn unit_cost(operation_id: &str) -> u32 {
    ENDPOINT_COSTS
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map_or(DEFAULT_COST, |&(_, c)| c)
}

/// Bucket and tokens of one request of `operation_id` carrying `items` (ignored unless the
/// operation is billed per item; an empty batch costs one item).
pub fn cost(operation_id: &str, items: usize) -> (Bucket, u64) {
    (
        bucket(operation_id),
        billed(operation_id, unit_cost(operation_id), items),
    )
}

/// `unit` tokens times the billed items of a request of `operation_id` carrying `items`.
pub fn billed(operation_id: &str, unit: u32, items: usize) -> u64 {
    let n = if billed_per_item(operation_id) {
        u64::try_from(items.max(1)).unwrap_or(u64::MAX)
    } else {
        1
    };
    u64::from(unit).saturating_mul(n)
}

/// The operation a `GetAccountEndpointCosts` entry names: its method and path (with or
/// without `/trade-api/v2`, template or concrete).
pub fn operation_of_endpoint(method: &str, path: &str) -> Option<&'static str> {
    let path = path.strip_prefix(crate::rest::API_PREFIX).unwrap_or(path);
    crate::api::ops::ALL_OPERATIONS
        .iter()
        .find(|(_, m, template)| m.as_str().eq_ignore_ascii_case(method) && *template == path)
        .map(|(id, _, _)| *id)
}
