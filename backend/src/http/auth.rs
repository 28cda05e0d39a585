//! The browser boundary: sessions, CSRF, origins and roles for every `/api` route, plus
//! `/api/session`, `/api/login`, `/api/logout`, `/api/bootstrap` and the admin's `/api/users`.
//!
//! [`guard`] runs before every `/api` handler: it lets only the login routes through
//! without a session (401 otherwise), checks the `Origin` of every state-changing request
//! (403 `bad_origin`), its `x-csrf-token` header (403 `bad_csrf`) and the role's permission
//! for the route (403 `forbidden`, recorded in the audit log as `refused`). Handlers then
//! take [`CurrentUser`] and [`Acting`], the signed client writing on the user's behalf.
//!
//! Cookie: `desk_session=<token>; HttpOnly; SameSite=Strict; Path=/` (+ `Secure` when
//! configured). The store keeps only the token's SHA-256.

use super::error::Body;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use secrecy::SecretString;
use shared::auth::{
    BootstrapRequest, LoginRequest, NewUser, Permissions, Role, SessionView, UserLimits, UserPatch,
    UserView,
};

use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::team::auth::{self as domain, Actor, Bootstrap, LoginLimiter};
use crate::team::store::{now_ms, Store};

/// Name of the session cookie.
pub const COOKIE: &str = "desk_session";
/// Header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Session and origin policy (from `TeamConfig`), shared by every request. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    /// Add `Secure` to the cookie (behind TLS).
    pub cookie_secure: bool,
    /// Origins accepted besides the request's own host, e.g. `https://desk.example.com`.
    pub allowed_origins: Arc<[String]>,
    /// Idle lifetime of a session, milliseconds.
    pub idle_ms: i64,
    /// Absolute lifetime of a session, milliseconds.
    pub max_ms: i64,
    /// The first-run bootstrap token.
    pub bootstrap: Bootstrap,
    /// Login rate limits.
    pub limiter: LoginLimiter,
}

/// The logged-in user of this request (set by [`guard`]).
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The user as stored now.
    pub user: UserView,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The session token's hash (its store key).
    pub token_hash: String,
}

impl CurrentUser {
    /// The user's permissions.
    pub fn permissions(&self) -> Permissions {
        self.user.role.permissions()
    }

    /// The user as the audit log's actor.
    pub fn actor(&self) -> Actor {
        Actor::User(self.user.username.clone())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| Error::Unauthorized("log in first".to_owned()))
    }
}

/// The signed Kalshi client acting for the logged-in user: every write it sends is
/// audited under their name first.
#[derive(Clone, Debug)]
pub struct Acting(pub KalshiClient);

impl FromRequestParts<AppState> for Acting {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Acting(state.kalshi.acting_as(user.actor())))
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/session", get(session))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/bootstrap", post(bootstrap))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", patch(update_user))
}

/// What a route needs beyond a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Open to anyone (the login routes).
    Public,
    /// Any logged-in user (reads, logout).
    Session,
    /// `trade` permission: orders and order groups.
    Trade,
    /// `rfq` permission: the RFQ desk and its rules.
    Rfq,
    /// `admin`: users, the audit log, subaccounts.
    Admin,
}

/// The permission `method path` needs; `path` is below `/api` (e.g. `/orders/abc`).
/// Unknown writes need admin, so a new route is closed until it is listed here.
pub fn required(method: &Method, path: &str) -> Need {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let read = *method == Method::GET || *method == Method::HEAD;
    match (first, read) {
        ("session", true) | ("login" | "bootstrap", false) => Need::Public,
        ("users" | "audit" | "audit.csv" | "admin", _) => Need::Admin,
        (_, true) => Need::Session,
        // A user's own things: their layouts and their alerts (the handlers scope them).
        ("logout" | "workspace" | "alerts", false) => Need::Session,
        ("orders" | "order_groups", false) => Need::Trade,
        ("rfqs" | "quotes" | "rfq", false) => Need::Rfq,
        (_, false) => Need::Admin,
    }
}

fn allowed(need: Need, p: Permissions) -> bool {
    match need {
        Need::Public | Need::Session => true,
        Need::Trade => p.trade,
        Need::Rfq => p.rfq,
        Need::Admin => p.admin,
    }
}

/// The session token from the `Cookie` header(s), if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the request's `Origin` (if it has one) is its own host or an allowed origin.
/// A request without `Origin` passes: browsers send it on every cross-site write and every
/// WebSocket, so only non-browser clients omit it.
pub fn origin_ok(headers: &HeaderMap, policy: &AuthPolicy) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers.get(header::ORIGIN).is_none();
    };
    if policy
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/') == origin)
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Reads the request's session: `None` when there is none, it is unknown, the user is
/// disabled, or it expired (then it is deleted).
pub async fn load_session(
    store: &Store,
    policy: &AuthPolicy,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let hash = domain::token_hash(&token);
    let Some(row) = store.session(&hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if row.user.disabled
        || now - row.last_seen_ms > policy.idle_ms
        || now - row.created_ms > policy.max_ms
    {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    // One write a minute at most per session for the idle clock.
    if now - row.last_seen_ms > 60_000 {
        store.touch_session(&hash, now).await?;
    }
    Ok(Some(CurrentUser {
        user: row.user,
        csrf_token: row.csrf_token,
        token_hash: hash,
    }))
}

/// The `/api` gatekeeper (see the module docs).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Below the `/api` nest the path arrives without its prefix.
    let path = req.uri().path();
    let path = path.strip_prefix("/api").unwrap_or(path).to_owned();
    let method = req.method().clone();
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if write && !origin_ok(req.headers(), &state.auth) {
        return Error::forbidden("bad_origin", "cross-origin request refused").into_response();
    }
    let need = required(&method, &path);
    if need == Need::Public {
        return next.run(req).await;
    }
    let user = match load_session(&state.store, &state.auth, req.headers()).await {
        Ok(Some(user)) => user,
        Ok(None) => return Error::Unauthorized("log in first".to_owned()).into_response(),
        Err(err) => return err.into_response(),
    };
    let operation = format!("{method} /api{path}");
    let refuse = |code: &'static str, message: String| {
        let store = state.store.clone();
        let actor = user.user.username.clone();
        let operation = operation.clone();
        async move {
            if let Err(err) = store.audit_refused(&actor, &operation, 403, &message).await {
                tracing::error!(error = %err, "could not record a refusal in the audit log");
            }
            Error::forbidden(code, message).into_response()
        }
    };
    if write {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !domain::same_secret(sent, &user.csrf_token) {
            return refuse("bad_csrf", "missing or wrong x-csrf-token".to_owned()).await;
        }
    }
    if !allowed(need, user.permissions()) {
        let message = format!(
            "a {} may not do this ({operation})",
            user.user.role.as_str()
        );
        tracing::info!(user = %user.user.username, %operation, "refused by role");
        return refuse("forbidden", message).await;
    }
    req.extensions_mut().insert(user);
    next.run(req).await
}

fn session_cookie(token: &str, policy: &AuthPolicy) -> HeaderValue {
    let secure = if policy.cookie_secure { "; Secure" } else { "" };
    let max_age = policy.max_ms / 1000;
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/"))
}

fn clear_cookie(policy: &AuthPolicy) -> HeaderValue {
    let secure = if policy.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/; Max-Age=0"))
}

async fn view_of(state: &AppState, user: Option<CurrentUser>) -> Result<SessionView> {
    let bootstrap_needed = user.is_none() && state.store.user_count().await? == 0;
    Ok(match user {
        Some(u) => SessionView {
            permissions: u.permissions(),
            csrf_token: Some(u.csrf_token),
            user: Some(u.user),
            bootstrap_needed,
        },
        None => SessionView {
            bootstrap_needed,
            ..SessionView::default()
        },
    })
}

/// `GET /api/session` → [`SessionView`]: the user, their permissions and CSRF token, or
/// no user (never 401).
async fn session(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<SessionView>> {
    let user = load_session(&state.store, &state.auth, &headers).await?;
    Ok(Json(view_of(&state, user).await?))
}

/// Starts a session for `user`: a cookie and the session view.
async fn start_session(state: &AppState, user: UserView) -> Result<Response> {
    let token = domain::new_token();
    let csrf = domain::new_token();
    let hash = domain::token_hash(&token);
    state
        .store
        .create_session(&hash, user.id, &csrf, now_ms())
        .await?;
    tracing::info!(user = %user.username, role = %user.role, "logged in");
    let current = CurrentUser {
        user,
        csrf_token: csrf,
        token_hash: hash,
    };
    let view = view_of(state, Some(current)).await?;
    let mut resp = Json(view).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&token, &state.auth));
    Ok(resp)
}

/// The peer address axum's `ConnectInfo` recorded (0.0.0.0 when served without it).
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn client_ip(peer: Peer) -> IpAddr {
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(ConnectInfo(a))| {
        a.ip()
    })
}

/// `POST /api/login` with a [`LoginRequest`] → [`SessionView`] and the session cookie.
/// 401 `unauthorized` for a wrong name or password or a disabled user (the same answer for
/// each), 429 `too_many_attempts` past the per-IP / per-username rate limit.
async fn login(
    State(state): State<AppState>,
    ip: Peer,
    Body(req): Body<LoginRequest>,
) -> Result<Response> {
    let ip = client_ip(ip);
    if !state.auth.limiter.allow(ip, &req.username) {
        tracing::warn!(%ip, user = %req.username, "login rate limited");
        return Err(Error::TooManyAttempts);
    }
    let found = state.store.user_with_hash(&req.username).await?;
    let password = SecretString::from(req.password);
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = domain::verify_password(password, hash)
                .await
                .map_err(auth_error)?;
            (Some(user), ok)
        }
        None => {
            domain::verify_decoy(password).await.map_err(auth_error)?;
            (None, false)
        }
    };
    match user {
        Some(user) if ok && !user.disabled => start_session(&state, user).await,
        _ => {
            tracing::info!(user = %req.username, %ip, "login refused");
            Err(Error::Unauthorized("wrong username or password".to_owned()))
        }
    }
}

/// `POST /api/logout` → 204 and a cleared cookie; the session is deleted.
async fn logout(State(state): State<AppState>, user: CurrentUser) -> Result<Response> {
    state.store.delete_session(&user.token_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state.auth));
    Ok(resp)
}

/// `POST /api/bootstrap` with a [`BootstrapRequest`] → the first admin, logged in. Only
/// while the desk has no users and with the token printed at start: 403 `bad_bootstrap`
/// otherwise (rate limited like a login).
async fn bootstrap(
    State(state): State<AppState>,
    ip: Peer,
    Body(req): Body<BootstrapRequest>,
) -> Result<Response> {
    if !state.auth.limiter.allow(client_ip(ip), "(bootstrap)") {
        return Err(Error::TooManyAttempts);
    }
    if state.store.user_count().await? != 0 || !state.auth.bootstrap.take(&req.token) {
        return Err(Error::forbidden(
            "bad_bootstrap",
            "the bootstrap token is wrong, used, or the desk already has users",
        ));
    }
    let created = domain::add_user(
        &state.store,
        &req.username,
        SecretString::from(req.password),
        Role::Admin,
        &UserLimits::default(),
    )
    .await;
    match created {
        Ok(user) => {
            tracing::warn!(user = %user.username, "first admin created with the bootstrap token");
            start_session(&state, user).await
        }
        Err(err) => {
            state.auth.bootstrap.restore(&req.token);
            Err(auth_error(err))
        }
    }
}

fn auth_error(err: domain::AuthError) -> Error {
    match err {
        domain::AuthError::BadUsername | domain::AuthError::WeakPassword => {
            Error::bad_request("invalid_user", err.to_string())
        }
        domain::AuthError::Store(crate::team::store::StoreError::Conflict(m)) => Error::Conflict(m),
        domain::AuthError::Store(e) => Error::Store(e),
        domain::AuthError::Hash => Error::Unexpected(anyhow::anyhow!("password hashing failed")),
        domain::AuthError::Busy => Error::TooManyAttempts,
    }
}

/// `GET /api/users` (admin) → every [`UserView`].
async fn list_users(State(store): State<Store>) -> Result<Json<Vec<UserView>>> {
    Ok(Json(store.users().await?))
}

/// `POST /api/users` (admin) with a [`NewUser`] → 201 [`UserView`]; 400 `invalid_user`,
/// 409 `conflict` for a taken name.
async fn create_user(
    State(store): State<Store>,
    admin: CurrentUser,
    Body(new): Body<NewUser>,
) -> Result<(StatusCode, Json<UserView>)> {
    check_limits(&new.limits)?;
    let record =
        serde_json::json!({"username": new.username, "role": new.role, "limits": new.limits});
    let user = super::audit::audited(
        &store,
        &admin.user.username,
        "CreateUser",
        ("POST", "/api/users"),
        &record,
        async {
            domain::add_user(
                &store,
                &new.username,
                SecretString::from(new.password.clone()),
                new.role,
                &new.limits,
            )
            .await
            .map_err(auth_error)
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `PATCH /api/users/{id}` (admin) with a [`UserPatch`] → the [`UserView`]; 404 for no
/// such user. Disabling ends the user's sessions.
async fn update_user(
    State(store): State<Store>,
    admin: CurrentUser,
    Path(id): Path<i64>,
    Body(patch): Body<UserPatch>,
) -> Result<Json<UserView>> {
    if let Some(l) = &patch.limits {
        check_limits(l)?;
    }
    if id == admin.user.id
        && (patch.disabled == Some(true) || patch.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Error::bad_request(
            "self_lockout",
            "an admin cannot disable or demote themselves",
        ));
    }
    super::audit::audited(
        &store,
        &admin.user.username,
        "UpdateUser",
        ("PATCH", &format!("/api/users/{id}")),
        &serde_json::json!({"id": id, "patch": patch}),
        async {
            store
                .update_user(id, &patch)
                .await?
                .ok_or_else(|| Error::NotFound("no such user".to_owned()))
        },
    )
    .await
    .map(Json)
}

fn check_limits(l: &UserLimits) -> Result<()> {
    if l.max_order_notional.is_some_and(|d| d.is_negative())
        || l.max_position.is_some_and(|c| c.is_negative())
    {
        return Err(Error::bad_request(
            "invalid_limits",
            "limits cannot be negative",
        ));
    }
    if l.allowed_subaccounts.iter().any(|n| *n > 63) {
        return Err(Error::bad_request(
            "invalid_limits",
            "a subaccount is 0 (primary) to 63",
        ));
    }
    if l.allowed_series.iter().any(|s| {
        s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }) {
        return Err(Error::bad_request(
            "invalid_limits",
            "a series is 1 to 64 of A-Z, 0-9 and '_'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_route_needs_a_permission() {
        let table = [
            (Method::GET, "/session", Need::Public),
            (Method::POST, "/login", Need::Public),
            (Method::POST, "/bootstrap", Need::Public),
            (Method::GET, "/markets", Need::Session),
            (Method::GET, "/orders", Need::Session),
            (Method::POST, "/logout", Need::Session),
            (Method::PUT, "/workspace", Need::Session),
            (Method::POST, "/alerts/rules", Need::Session),
            (Method::DELETE, "/alerts/rules/7", Need::Session),
            (Method::POST, "/orders", Need::Trade),
            (Method::DELETE, "/orders/abc", Need::Trade),
            (Method::POST, "/orders/abc/amend", Need::Trade),
            (Method::POST, "/order_groups", Need::Trade),
            (Method::PUT, "/order_groups/g/limit", Need::Trade),
            (Method::POST, "/rfqs", Need::Rfq),
            (Method::POST, "/quotes/q/accept", Need::Rfq),
            (Method::PUT, "/rfq/rules", Need::Rfq),
            (Method::POST, "/subaccounts", Need::Admin),
            (Method::POST, "/subaccounts/transfer", Need::Admin),
            (Method::GET, "/users", Need::Admin),
            (Method::PATCH, "/users/3", Need::Admin),
            (Method::GET, "/audit", Need::Admin),
            (Method::GET, "/audit.csv", Need::Admin),
            (Method::POST, "/something_new", Need::Admin),
        ];
        for (method, path, need) in table {
            assert_eq!(required(&method, path), need, "{method} {path}");
        }
    }

    #[test]
    fn cookies_and_origins() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; desk_session=tok; b=2"),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("tok"));
        let policy = AuthPolicy {
            cookie_secure: true,
            allowed_origins: Arc::from(vec!["https://desk.example.com".to_owned()]),
            idle_ms: 1,
            max_ms: 1000,
            bootstrap: Bootstrap::default(),
            limiter: LoginLimiter::default(),
        };
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(origin_ok(&h, &policy), "no Origin");
        for (origin, ok) in [
            ("http://127.0.0.1:8080", true),
            ("https://desk.example.com", true),
            ("http://evil.example", false),
            ("http://127.0.0.1:9999", false),
            ("null", false),
        ] {
            h.insert(header::ORIGIN, HeaderValue::from_static(origin));
            assert_eq!(origin_ok(&h, &policy), ok, "{origin}");
        }
        let c = session_cookie("t", &policy);
        let c = c.to_str().unwrap();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"),
            "{c}"
        );
    }
}
