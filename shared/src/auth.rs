//! The team desk's browser types: people, roles, per-user limits, sessions and the audit log.
//!
//! Served by the backend's `/api/session`, `/api/login`, `/api/logout`, `/api/bootstrap`,
//! `/api/users` and `/api/audit` routes (see the backend's `http::auth` and `http::audit`).

use serde::{Deserialize, Serialize};

use crate::num::{Count, Dollars};

/// What a person may do on the desk. Wire form: `"viewer"`, `"trader"`, `"rfq-maker"`,
/// `"admin"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reads everything, writes nothing.
    Viewer,
    /// Places, amends and cancels orders within their limits; manages order groups.
    Trader,
    /// Works the RFQ desk: requests, quotes, accepts, confirms and sets the quoting rules.
    RfqMaker,
    /// Everything, plus users, limits, subaccounts (create, transfer) and the audit log.
    Admin,
}

impl Role {
    /// Every role, least to most.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Trader, Role::RfqMaker, Role::Admin];

    /// The wire name, e.g. `"rfq-maker"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Trader => "trader",
            Role::RfqMaker => "rfq-maker",
            Role::Admin => "admin",
        }
    }

    /// Parses the wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What this role may do.
    pub fn permissions(self) -> Permissions {
        let admin = self == Role::Admin;
        Permissions {
            trade: admin || self == Role::Trader,
            rfq: admin || self == Role::RfqMaker,
            admin,
            others_orders: admin,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The write permissions of a role (reading is everyone's).
/// `{"trade":true,"rfq":false,"admin":false,"others_orders":false}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Orders (place, amend, decrease, cancel) and order groups.
    pub trade: bool,
    /// The RFQ desk: RFQs, quotes, accept, confirm, quoting rules.
    pub rfq: bool,
    /// Users, limits, subaccounts (create, transfer), the audit log, halts.
    pub admin: bool,
    /// Amend, decrease and cancel other users' orders (without it, only one's own).
    #[serde(default)]
    pub others_orders: bool,
}

/// Per-user trading limits, checked before anything is signed. `None` / empty = no limit.
/// `{"max_order_notional":"500.00","max_position":"100.00","allowed_series":["KXDESK"]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLimits {
    /// Largest price × count of one order, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_order_notional: Option<Dollars>,
    /// Largest absolute position in one market after an order fills, contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_position: Option<Count>,
    /// Series the user may trade (the ticker's part before the first `-`); empty = all.
    #[serde(default)]
    pub allowed_series: Vec<String>,
    /// Subaccounts the user may trade (0 = primary); empty = all. The position limit
    /// counts the positions and resting orders of these subaccounts together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_subaccounts: Vec<u32>,
    /// Largest loss in one trading day (Eastern), dollars: at `−max_daily_loss` the user
    /// may only reduce positions. See [`DayPnl`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily_loss: Option<Dollars>,
}

/// The desk's own limits (`GET /api/desk/limits`, `PUT /api/admin/desk-limits`):
/// `{"max_daily_loss":"500.00"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskLimits {
    /// Largest loss of the whole account in one trading day (Eastern), dollars: at
    /// `−max_daily_loss` every user may only reduce positions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily_loss: Option<Dollars>,
}

/// Profit and loss since the start of the trading day (midnight US Eastern), realized plus
/// unrealized at the mid (`GET /api/pnl/today`). Dollars, negative for a loss.
///
/// - The user's: each fill today of an order they placed through the desk, marked at the
///   market's YES mid now (its settlement value once settled), less fees.
/// - The desk's: every fill of the account today marked the same way, plus each position
///   carried into the day marked from its first mark of the day to now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPnl {
    /// The trading day, `YYYY-MM-DD` (Eastern).
    pub day: String,
    /// Its start, Unix ms.
    pub since_ms: i64,
    /// The user's P&L, dollars.
    pub user: Dollars,
    /// The user's limit, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_limit: Option<Dollars>,
    /// The desk's P&L, dollars (admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<Dollars>,
    /// The desk's limit, dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_limit: Option<Dollars>,
}

impl UserLimits {
    /// True when no limit is set (nothing to check).
    pub fn is_unlimited(&self) -> bool {
        self.max_order_notional.is_none()
            && self.max_position.is_none()
            && self.allowed_series.is_empty()
            && self.allowed_subaccounts.is_empty()
            && self.max_daily_loss.is_none()
    }
}

/// A desk user as the API shows it (never the password hash).
/// `{"id":1,"username":"alice","role":"trader","disabled":false,"limits":{…},"created_ms":…}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// Store id.
    pub id: i64,
    /// Login name: 1–64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot log in; their sessions end.
    pub disabled: bool,
    /// Trading limits.
    pub limits: UserLimits,
    /// Created, Unix milliseconds.
    pub created_ms: i64,
}

/// `GET /api/session`: who is logged in, or that nobody is.
/// `{"user":{…},"permissions":{…},"csrf_token":"…","bootstrap_needed":false}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The logged-in user; `None` when there is no (valid) session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    /// What the user may do (all false without a session).
    pub permissions: Permissions,
    /// Send this as the `x-csrf-token` header on every POST/PUT/PATCH/DELETE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// True while the desk has no users: the login page offers the bootstrap form (the
    /// one-time token is printed in the desk's log at start).
    pub bootstrap_needed: bool,
}

/// `POST /api/login` body. `{"username":"alice","password":"…"}`.
#[derive(Clone, Deserialize, Serialize)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password (never logged).
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// `POST /api/bootstrap` body: the one-time token from the desk's log plus the first
/// admin's name and password. `{"token":"…","username":"root","password":"…"}`.
#[derive(Clone, Deserialize, Serialize)]
pub struct BootstrapRequest {
    /// The one-time bootstrap token printed at start.
    pub token: String,
    /// The admin's login name.
    pub username: String,
    /// The admin's password (at least 8 characters).
    pub password: String,
}

impl std::fmt::Debug for BootstrapRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `POST /api/users` body (admin). `{"username":"bob","password":"…","role":"viewer"}`.
#[derive(Clone, Deserialize, Serialize)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Role.
    pub role: Role,
    /// Limits (default none).
    #[serde(default)]
    pub limits: UserLimits,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `PATCH /api/users/{id}` body (admin): each field present is changed.
/// `{"role":"trader"}`, `{"disabled":true}`, `{"limits":{…}}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct UserPatch {
    /// New role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Disable (true) or enable (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Replace the limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<UserLimits>,
}

/// One audit record: a signed write (or a refused attempt), written before the request is
/// sent and completed with its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Store id (increasing).
    pub id: i64,
    /// When it was recorded, Unix milliseconds.
    pub ts_ms: i64,
    /// Who: a username, or `rule:<name>` for an automatic RFQ rule.
    pub actor: String,
    /// Kalshi operation id (e.g. `CreateOrderV2`), or `METHOD /api/path` for a refused request.
    pub operation: String,
    /// The request body sent, as JSON text (empty when none).
    pub body: String,
    /// HTTP method sent (absent for a refusal or a desk action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The exact path and query sent (order, quote, group and RFQ ids included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// SHA-256 (hex) of `body`; absent on records from before the hash chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// The order's client order id, when the body has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// `pending` (sent, no answer yet), `ok`, `error` or `refused` (never sent).
    pub outcome: String,
    /// HTTP status answered (the exchange's, or the desk's for a refusal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// The error, when it failed or was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A kill switch in force: the whole desk's (`user` absent) or one user's. While it holds,
/// new orders, amends that add, quotes and accepts are refused and the RFQ rules stop.
/// `POST /api/admin/halt` / `POST /api/admin/rearm`; sent to every session as
/// `ServerMsg::Halts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// The halted user; absent: the whole desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The admin who halted.
    pub actor: String,
    /// Why (free text, up to 200 characters).
    pub reason: String,
    /// Since when, Unix milliseconds.
    pub since_ms: i64,
}

/// `POST /api/admin/halt` and `POST /api/admin/rearm` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaltRequest {
    /// One user; absent: the whole desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Why (halt only; up to 200 characters).
    #[serde(default)]
    pub reason: String,
}

/// `GET /api/audit?user=&operation=&from_ms=&to_ms=&limit=` filters (all optional; times
/// inclusive, Unix milliseconds; newest first, at most `limit`, default 500, max 10 000).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Exact actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Exact operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Earliest, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    /// Latest, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    /// Most rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_grant_what_the_table_says() {
        for (role, trade, rfq, admin) in [
            (Role::Viewer, false, false, false),
            (Role::Trader, true, false, false),
            (Role::RfqMaker, false, true, false),
            (Role::Admin, true, true, true),
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(
                role.permissions(),
                Permissions {
                    trade,
                    rfq,
                    admin,
                    others_orders: admin
                }
            );
        }
        assert_eq!(Role::parse("root"), None);
    }
}
