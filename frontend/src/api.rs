//! Typed client for the backend's JSON API under `/api` (same origin as the page).
//!
//! Every call returns [`Result<T>`]; a non-2xx answer carrying the backend's
//! [`ApiErrorBody`] becomes [`ApiError::Rejected`] whose `Display` is the server's
//! readable `message`, so views can show `err.to_string()` as is.

use std::sync::Arc;

use std::cell::RefCell;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::auth::{
    AuditEntry, AuditQuery, BootstrapRequest, LoginRequest, NewUser, SessionView, UserPatch,
    UserView,
};
use shared::groups::{
    CreatedSubaccount, GroupLimit, NewOrderGroup, OrderGroupView, SubaccountBalanceView,
    TransferTicket, TransferView,
};
use shared::ids::{MarketTicker, OrderId};
use shared::protocol::{
    AmendTicket, ApiErrorBody, CancelOrders, CancelledOrders, CandlePeriod, CandlesView,
    DecreaseTicket, DeskStatus, EventsPage, MarketSearch, MarketsPage, OrderTicket, OrderView,
    PlacedOrder, PortfolioView, QueuePositionView, SeriesList,
};
use shared::rest::Market;

/// Why an API call failed. `Clone` so it can sit in a resource; sources stay reachable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The backend refused the request (4xx/5xx with an `ApiErrorBody`); shows its message.
    #[error("{message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Stable code, e.g. `invalid_price`.
        code: String,
        /// Readable text from the server.
        message: String,
    },
    /// A non-2xx answer without a readable error body (proxy page, crash).
    #[error("server answered HTTP {status}")]
    Status {
        /// HTTP status.
        status: u16,
    },
    /// The request never got an answer (network down, backend stopped).
    #[error("network error: cannot reach the desk backend")]
    Network(#[source] Arc<gloo_net::Error>),
    /// A 2xx answer whose JSON did not match the protocol.
    #[error("unreadable answer from the backend")]
    Decode(#[source] Arc<serde_json::Error>),
}

impl From<gloo_net::Error> for ApiError {
    fn from(e: gloo_net::Error) -> Self {
        ApiError::Network(Arc::new(e))
    }
}

/// Result of an API call.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Percent-encodes one path segment or query value (tickers are `[A-Z0-9._-]`, but a
/// cursor is opaque).
fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T> {
    let status = resp.status();
    if status == 401 && CSRF.with(|c| c.borrow().is_some()) {
        // The session ended (expired, logged out elsewhere, user disabled): back to login.
        set_csrf(None);
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    }
    let text = resp.text().await?;
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_str::<ApiErrorBody>(&text) {
            Ok(body) => ApiError::Rejected {
                status,
                code: body.code,
                message: body.message,
            },
            Err(_) => ApiError::Status { status },
        });
    }
    serde_json::from_str(&text).map_err(|e| ApiError::Decode(Arc::new(e)))
}

thread_local! {
    /// The session's CSRF token (from `GET /api/session` or the login answer).
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the session's CSRF token; every write sends it as `x-csrf-token`.
pub fn set_csrf(token: Option<String>) {
    CSRF.with(|c| *c.borrow_mut() = token);
}

/// A state-changing request carrying the `x-csrf-token` header.
fn write(method: Method, url: &str) -> RequestBuilder {
    let builder = RequestBuilder::new(url).method(method);
    match CSRF.with(|c| c.borrow().clone()) {
        Some(token) => builder.header("x-csrf-token", &token),
        None => builder,
    }
}

/// `GET /api/session`: who is logged in (no user when nobody is).
pub async fn session() -> Result<SessionView> {
    get("/api/session").await
}

/// `POST /api/login` → the new session (the cookie is set by the answer).
pub async fn login(username: &str, password: &str) -> Result<SessionView> {
    let body = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    };
    decode(
        write(Method::POST, "/api/login")
            .json(&body)?
            .send()
            .await?,
    )
    .await
}

/// `POST /api/bootstrap`: creates the first admin with the one-time token and logs in.
pub async fn bootstrap(token: &str, username: &str, password: &str) -> Result<SessionView> {
    let body = BootstrapRequest {
        token: token.to_owned(),
        username: username.to_owned(),
        password: password.to_owned(),
    };
    decode(
        write(Method::POST, "/api/bootstrap")
            .json(&body)?
            .send()
            .await?,
    )
    .await
}

/// `POST /api/logout`.
pub async fn logout() -> Result<()> {
    let resp = write(Method::POST, "/api/logout").send().await?;
    if resp.ok() {
        Ok(())
    } else {
        decode::<serde_json::Value>(resp).await.map(|_| ())
    }
}

/// `GET /api/users` (admin).
pub async fn users() -> Result<Vec<UserView>> {
    get("/api/users").await
}

/// `POST /api/users` (admin).
pub async fn create_user(user: &NewUser) -> Result<UserView> {
    decode(write(Method::POST, "/api/users").json(user)?.send().await?).await
}

/// `PATCH /api/users/{id}` (admin).
pub async fn update_user(id: i64, patch: &UserPatch) -> Result<UserView> {
    decode(
        write(Method::PATCH, &format!("/api/users/{id}"))
            .json(patch)?
            .send()
            .await?,
    )
    .await
}

/// `GET /api/pnl/today`: the caller's day P&L and limits (the desk's too for an admin).
pub async fn pnl_today() -> Result<shared::auth::DayPnl> {
    get("/api/pnl/today").await
}

/// `GET /api/desk/limits`.
pub async fn desk_limits() -> Result<shared::auth::DeskLimits> {
    get("/api/desk/limits").await
}

/// `PUT /api/admin/desk-limits` (admin).
pub async fn set_desk_limits(limits: &shared::auth::DeskLimits) -> Result<()> {
    let resp = write(Method::PUT, "/api/admin/desk-limits")
        .json(limits)?
        .send()
        .await?;
    decode::<serde_json::Value>(resp).await.map(|_| ())
}

/// `POST /api/admin/halt` (`rearm` false) or `/api/admin/rearm`: the desk's kill switch
/// (`user` absent) or one user's. The answer is not needed: every screen hears the change
/// on its socket.
pub async fn set_halt(user: Option<String>, reason: String, rearm: bool) -> Result<()> {
    let path = if rearm {
        "/api/admin/rearm"
    } else {
        "/api/admin/halt"
    };
    let body = shared::auth::HaltRequest { user, reason };
    let resp = write(Method::POST, path).json(&body)?.send().await?;
    decode::<serde_json::Value>(resp).await.map(|_| ())
}

/// The query string of an audit filter (no `?`).
pub fn audit_query(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    if let Some(u) = q.user.as_deref().filter(|u| !u.is_empty()) {
        parts.push(format!("user={}", encode(u)));
    }
    if let Some(o) = q.operation.as_deref().filter(|o| !o.is_empty()) {
        parts.push(format!("operation={}", encode(o)));
    }
    if let Some(f) = q.from_ms {
        parts.push(format!("from_ms={f}"));
    }
    if let Some(t) = q.to_ms {
        parts.push(format!("to_ms={t}"));
    }
    if let Some(l) = q.limit {
        parts.push(format!("limit={l}"));
    }
    parts.join("&")
}

/// `GET /api/audit?…` (admin).
pub async fn audit(q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    get(&format!("/api/audit?{}", audit_query(q))).await
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T> {
    decode(
        Request::get(url)
            .header("Accept", "application/json")
            .send()
            .await?,
    )
    .await
}

/// `GET /api/limits`: the Kalshi rate-limit budget left.
pub async fn limits() -> Result<shared::protocol::BudgetView> {
    get("/api/limits").await
}

/// `GET /api/status`.
pub async fn status() -> Result<DeskStatus> {
    get("/api/status").await
}

/// `GET /api/markets?limit=…&cursor=…`: one page of markets.
pub async fn markets(limit: u32, cursor: Option<&str>) -> Result<MarketsPage> {
    let mut url = format!("/api/markets?limit={limit}");
    if let Some(c) = cursor.filter(|c| !c.is_empty()) {
        url.push_str("&cursor=");
        url.push_str(&encode(c));
    }
    get(&url).await
}

/// `GET /api/markets?…`: find markets (text, category, status, close time, series,
/// event, tickers) — one page, with the Kalshi cursor of the next.
pub async fn search_markets(q: &MarketSearch) -> Result<MarketsPage> {
    get(&format!("/api/markets?{}", q.to_query())).await
}

/// `GET /api/series[?category=…]`: series, sorted by ticker.
pub async fn series(category: Option<&str>) -> Result<SeriesList> {
    match category.filter(|c| !c.is_empty()) {
        Some(c) => get(&format!("/api/series?category={}", encode(c))).await,
        None => get("/api/series").await,
    }
}

/// `GET /api/events?series_ticker=…&cursor=…`: one page of a series' events (any status).
pub async fn events(series_ticker: &str, cursor: Option<&str>) -> Result<EventsPage> {
    let mut url = format!(
        "/api/events?limit=50&series_ticker={}",
        encode(series_ticker)
    );
    if let Some(c) = cursor.filter(|c| !c.is_empty()) {
        url.push_str("&cursor=");
        url.push_str(&encode(c));
    }
    get(&url).await
}

/// `GET /api/markets/{ticker}/candles?period=…`: recent candles of one market.
pub async fn candles(ticker: &MarketTicker, period: CandlePeriod) -> Result<CandlesView> {
    get(&format!(
        "/api/markets/{}/candles?period={}",
        encode(ticker.as_str()),
        period.as_str()
    ))
    .await
}

/// `GET /api/markets/{ticker}`.
pub async fn market(ticker: &MarketTicker) -> Result<Market> {
    get(&format!("/api/markets/{}", encode(ticker.as_str()))).await
}

/// `GET /api/events/{event_ticker}`: the event's board (every market, by strike).
pub async fn event_board(
    event: &shared::ids::EventTicker,
) -> Result<shared::board::EventBoardView> {
    get(&format!("/api/events/{}", encode(event.as_str()))).await
}

/// `GET /api/workspace`: the user's layouts (the default until they save one).
pub async fn workspace() -> Result<shared::workspace::Workspace> {
    get("/api/workspace").await
}

/// `PUT /api/workspace`: stores the user's layouts; answers them as stored.
pub async fn save_workspace(
    workspace: &shared::workspace::Workspace,
) -> Result<shared::workspace::Workspace> {
    let resp = write(Method::PUT, "/api/workspace")
        .json(workspace)?
        .send()
        .await?;
    decode(resp).await
}

/// `?subaccount=N` for a scoped route.
fn sub_query(subaccount: u32) -> String {
    format!("subaccount={subaccount}")
}

/// `GET /api/orders?subaccount=N`: one subaccount's resting orders.
pub async fn orders(subaccount: u32) -> Result<Vec<OrderView>> {
    get(&format!("/api/orders?{}", sub_query(subaccount))).await
}

/// `POST /api/orders`: place an order (201 → [`PlacedOrder`]).
pub async fn place_order(ticket: &OrderTicket) -> Result<PlacedOrder> {
    let req = write(Method::POST, "/api/orders")
        .header("Accept", "application/json")
        .json(ticket)?;
    decode(req.send().await?).await
}

/// `DELETE /api/orders/{order_id}?subaccount=N` (200 `{}`).
pub async fn cancel_order(order_id: &OrderId, subaccount: u32) -> Result<()> {
    let resp = write(
        Method::DELETE,
        &format!(
            "/api/orders/{}?{}",
            encode(order_id.as_str()),
            sub_query(subaccount)
        ),
    )
    .header("Accept", "application/json")
    .send()
    .await?;
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(());
    }
    decode::<serde_json::Value>(resp).await.map(|_| ())
}

async fn post_json<B: serde::Serialize, T: DeserializeOwned>(url: &str, body: &B) -> Result<T> {
    let req = write(Method::POST, url)
        .header("Accept", "application/json")
        .json(body)?;
    decode(req.send().await?).await
}

/// `POST /api/orders/{order_id}/amend`: new price (the order's side) and resting count.
pub async fn amend_order(order_id: &OrderId, ticket: &AmendTicket) -> Result<OrderView> {
    post_json(
        &format!("/api/orders/{}/amend", encode(order_id.as_str())),
        ticket,
    )
    .await
}

/// `POST /api/orders/{order_id}/decrease?subaccount=N` (keeps queue priority).
pub async fn decrease_order(
    order_id: &OrderId,
    subaccount: u32,
    ticket: &DecreaseTicket,
) -> Result<()> {
    post_json::<_, serde_json::Value>(
        &format!(
            "/api/orders/{}/decrease?{}",
            encode(order_id.as_str()),
            sub_query(subaccount)
        ),
        ticket,
    )
    .await
    .map(|_| ())
}

/// `POST /api/orders/cancel`: cancel these orders of one subaccount in one batch.
pub async fn cancel_orders(order_ids: Vec<OrderId>, subaccount: u32) -> Result<CancelledOrders> {
    post_json(
        "/api/orders/cancel",
        &CancelOrders {
            order_ids,
            subaccount: Some(subaccount),
        },
    )
    .await
}

/// `DELETE /api/orders?subaccount=N[&market_ticker=…]`: cancel every resting order of one
/// subaccount (in one market).
pub async fn cancel_all(market: Option<&MarketTicker>, subaccount: u32) -> Result<CancelledOrders> {
    let url = match market {
        Some(t) => format!(
            "/api/orders?market_ticker={}&{}",
            encode(t.as_str()),
            sub_query(subaccount)
        ),
        None => format!("/api/orders?{}", sub_query(subaccount)),
    };
    let resp = write(Method::DELETE, &url)
        .header("Accept", "application/json")
        .send()
        .await?;
    decode(resp).await
}

/// `GET /api/orders/queue_positions?subaccount=N`: contracts ahead of each resting order.
pub async fn queue_positions(subaccount: u32) -> Result<Vec<QueuePositionView>> {
    get(&format!(
        "/api/orders/queue_positions?{}",
        sub_query(subaccount)
    ))
    .await
}

/// `GET /api/portfolio?subaccount=N`: balance, value and positions of one subaccount.
pub async fn portfolio(subaccount: u32) -> Result<PortfolioView> {
    get(&format!("/api/portfolio?{}", sub_query(subaccount))).await
}

// ----- order groups and subaccounts ----------------------------------------------------

/// `GET /api/order_groups?subaccount=N`.
pub async fn order_groups(subaccount: u32) -> Result<Vec<OrderGroupView>> {
    get(&format!("/api/order_groups?{}", sub_query(subaccount))).await
}

/// `POST /api/order_groups` (201 → the new group).
pub async fn create_order_group(new: &NewOrderGroup) -> Result<OrderGroupView> {
    post_json("/api/order_groups", new).await
}

/// `POST /api/order_groups/{id}/{action}?subaccount=N` for `trigger` and `reset`.
pub async fn order_group_action(id: &str, action: &str, subaccount: u32) -> Result<()> {
    let url = format!(
        "/api/order_groups/{}/{action}?{}",
        encode(id),
        sub_query(subaccount)
    );
    answered(
        write(Method::POST, &url)
            .header("Accept", "application/json")
            .send()
            .await?,
    )
    .await
}

/// `PUT /api/order_groups/{id}/limit?subaccount=N`.
pub async fn set_group_limit(id: &str, subaccount: u32, limit: &GroupLimit) -> Result<()> {
    let req = write(
        Method::PUT,
        &format!(
            "/api/order_groups/{}/limit?{}",
            encode(id),
            sub_query(subaccount)
        ),
    )
    .header("Accept", "application/json")
    .json(limit)?;
    answered(req.send().await?).await
}

/// `DELETE /api/order_groups/{id}?subaccount=N` (cancels its orders).
pub async fn delete_order_group(id: &str, subaccount: u32) -> Result<()> {
    no_content(write(
        Method::DELETE,
        &format!("/api/order_groups/{}?{}", encode(id), sub_query(subaccount)),
    ))
    .await
}

/// `GET /api/subaccounts`: every subaccount's balance.
pub async fn subaccounts() -> Result<Vec<SubaccountBalanceView>> {
    get("/api/subaccounts").await
}

/// `POST /api/subaccounts` (201 → its number).
pub async fn create_subaccount() -> Result<CreatedSubaccount> {
    decode(
        write(Method::POST, "/api/subaccounts")
            .header("Accept", "application/json")
            .send()
            .await?,
    )
    .await
}

/// `POST /api/subaccounts/transfer` → every balance after the transfer.
pub async fn transfer(ticket: &TransferTicket) -> Result<Vec<SubaccountBalanceView>> {
    post_json("/api/subaccounts/transfer", ticket).await
}

/// `GET /api/subaccounts/transfers`: newest first.
pub async fn transfers() -> Result<Vec<TransferView>> {
    get("/api/subaccounts/transfers").await
}

/// `?cursor=C` for a page after the first (Kalshi cursors are URL-safe).
fn cursor_query(cursor: Option<&str>) -> String {
    cursor.map_or_else(String::new, |c| format!("?cursor={}", encode(c)))
}

/// `GET /api/fills[?cursor=C]`: one page of fills, newest first (every subaccount).
pub async fn fills(cursor: Option<String>) -> Result<shared::protocol::FillsPage> {
    get(&format!("/api/fills{}", cursor_query(cursor.as_deref()))).await
}

/// `GET /api/settlements[?cursor=C]`: one page of settlements, newest first (every
/// subaccount).
pub async fn settlements(cursor: Option<String>) -> Result<shared::protocol::SettlementsPage> {
    get(&format!(
        "/api/settlements{}",
        cursor_query(cursor.as_deref())
    ))
    .await
}

// ----- RFQ desk -----------------------------------------------------------------------

async fn no_content(req: gloo_net::http::RequestBuilder) -> Result<()> {
    answered(req.header("Accept", "application/json").send().await?).await
}

async fn answered(resp: Response) -> Result<()> {
    if (200..300).contains(&resp.status()) {
        return Ok(());
    }
    decode::<serde_json::Value>(resp).await.map(|_| ())
}

/// `GET /api/rfq`: communications id, open RFQs, our quotes and quotes on our RFQs.
pub async fn rfq_desk() -> Result<shared::rfq::RfqDeskView> {
    get("/api/rfq").await
}

/// `GET /api/rfq/book/{ticker}`: best bid/ask and mid.
pub async fn rfq_book(ticker: &MarketTicker) -> Result<shared::rfq::BookTop> {
    get(&format!("/api/rfq/book/{}", encode(ticker.as_str()))).await
}

/// `POST /api/rfqs`.
pub async fn create_rfq(new: &shared::rfq::NewRfq) -> Result<shared::rfq::Created> {
    post_json("/api/rfqs", new).await
}

/// `DELETE /api/rfqs/{id}`.
pub async fn delete_rfq(id: &str) -> Result<()> {
    no_content(write(Method::DELETE, &format!("/api/rfqs/{}", encode(id)))).await
}

/// `DELETE /api/quotes/{id}` (DeleteQuote: withdraw our quote).
pub async fn delete_quote(id: &str) -> Result<()> {
    no_content(write(
        Method::DELETE,
        &format!("/api/quotes/{}", encode(id)),
    ))
    .await
}

/// `POST /api/quotes`.
pub async fn create_quote(new: &shared::rfq::NewQuote) -> Result<shared::rfq::Created> {
    post_json("/api/quotes", new).await
}

/// `POST /api/quotes/{id}/accept`.
pub async fn accept_quote(id: &str, body: &shared::rfq::AcceptQuote) -> Result<()> {
    let req = write(Method::POST, &format!("/api/quotes/{}/accept", encode(id)))
        .header("Accept", "application/json")
        .json(body)?;
    answered(req.send().await?).await
}

/// `POST /api/quotes/{id}/confirm`.
pub async fn confirm_quote(id: &str, body: &shared::rfq::ConfirmQuote) -> Result<()> {
    let req = write(Method::POST, &format!("/api/quotes/{}/confirm", encode(id)))
        .header("Accept", "application/json")
        .json(body)?;
    answered(req.send().await?).await
}

/// `GET /api/rfq/rules`.
pub async fn rfq_rules() -> Result<shared::rfq::RuleSet> {
    get("/api/rfq/rules").await
}

/// `PUT /api/rfq/rules`.
pub async fn set_rfq_rules(rules: &shared::rfq::RuleSet) -> Result<shared::rfq::RuleSet> {
    let req = write(Method::PUT, "/api/rfq/rules")
        .header("Accept", "application/json")
        .json(rules)?;
    decode(req.send().await?).await
}

/// `GET /api/rfq/log`.
pub async fn rfq_log() -> Result<Vec<shared::rfq::RuleLogEntry>> {
    get("/api/rfq/log").await
}

// ----- Alerts -------------------------------------------------------------------------

/// `GET /api/alerts/rules`: the user's alert rules.
pub async fn alert_rules() -> Result<Vec<shared::alerts::AlertRule>> {
    get("/api/alerts/rules").await
}

/// `POST /api/alerts/rules`: a new rule, in force at once.
pub async fn create_alert_rule(
    new: &shared::alerts::NewAlertRule,
) -> Result<shared::alerts::AlertRule> {
    post_json("/api/alerts/rules", new).await
}

/// `PATCH /api/alerts/rules/{id}`: mute or unmute.
pub async fn mute_alert_rule(id: i64, muted: bool) -> Result<()> {
    let req = write(Method::PATCH, &format!("/api/alerts/rules/{id}"))
        .json(&shared::alerts::AlertRulePatch { muted })?;
    answered(req.send().await?).await
}

/// `DELETE /api/alerts/rules/{id}`.
pub async fn delete_alert_rule(id: i64) -> Result<()> {
    no_content(write(Method::DELETE, &format!("/api/alerts/rules/{id}"))).await
}

/// `GET /api/alerts/settings`: the user's webhook.
pub async fn alert_settings() -> Result<shared::alerts::AlertSettings> {
    get("/api/alerts/settings").await
}

/// `PUT /api/alerts/settings`: sets (or, empty, removes) the webhook.
pub async fn save_alert_settings(
    settings: &shared::alerts::AlertSettings,
) -> Result<shared::alerts::AlertSettings> {
    let resp = write(Method::PUT, "/api/alerts/settings")
        .json(settings)?
        .send()
        .await?;
    decode(resp).await
}

/// `POST /api/alerts/settings/test`: a sample alert to the webhook now, and how it went.
pub async fn test_alert_webhook() -> Result<shared::alerts::WebhookTest> {
    post_json("/api/alerts/settings/test", &serde_json::json!({})).await
}

/// `GET /api/alerts/log`: the user's newest firings, newest first.
pub async fn alert_log() -> Result<Vec<shared::alerts::AlertFired>> {
    get("/api/alerts/log?limit=200").await
}

/// `GET /api/pnl/history[?desk=true]`: the user's (or the desk's) P&L by day, market and
/// series.
pub async fn pnl_history(desk: bool) -> Result<shared::pnl::PnlHistory> {
    get(if desk {
        "/api/pnl/history?desk=true"
    } else {
        "/api/pnl/history"
    })
    .await
}
