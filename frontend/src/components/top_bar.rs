//! Top bar: environment banner (SIM / DEMO / PROD), the Kalshi rate-limit budget, the
//! connection badge, and who is logged in (with Log out).

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{BudgetView, Environment};

use crate::api;
use crate::state::{use_admin_open, use_connection, ConnState};

/// How often the budget is read from `/api/limits`.
const BUDGET_REFRESH: Duration = Duration::from_secs(2);

/// The read/write request budget left on the desk's Kalshi key, refreshed every two
/// seconds; amber below a quarter, red while a 429 back-off runs.
#[component]
fn RateBudget() -> impl IntoView {
    let budget = RwSignal::new(None::<BudgetView>);
    let refresh = move || {
        spawn_local(async move {
            if let Ok(b) = api::limits().await {
                budget.set(Some(b));
            }
        });
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(refresh, BUDGET_REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let level = move || {
        budget.with(|b| match b {
            None => "unknown",
            Some(b) if b.backoff_ms > 0 => "backoff",
            Some(b)
                if b.read_remaining * 4 < b.read_rate || b.write_remaining * 4 < b.write_rate =>
            {
                "low"
            }
            Some(_) => "ok",
        })
    };
    let text = move || {
        budget.with(|b| match b {
            None => "API budget …".to_owned(),
            Some(b) if b.backoff_ms > 0 => format!(
                "429 back-off {}.{} s",
                b.backoff_ms / 1000,
                b.backoff_ms % 1000 / 100
            ),
            Some(b) => format!(
                "API R {}/{} · W {}/{}",
                b.read_remaining, b.read_rate, b.write_remaining, b.write_rate
            ),
        })
    };
    let title = move || {
        budget.with(|b| {
            b.as_ref().map_or(String::new(), |b| {
                format!(
                    "Kalshi rate limits ({}): read and write requests left now / per second",
                    b.tier
                )
            })
        })
    };
    view! {
        <div class="rate-budget" data-testid="rate-budget" data-level=level title=title>
            {text}
        </div>
    }
}

/// `2026-12-03T10:00:00Z` → `2026-12-03 10:00 UTC` (the desk shows Kalshi's time as given).
fn resume_time(rfc3339: &str) -> String {
    let minutes: String = rfc3339.replace('T', " ").chars().take(16).collect();
    format!("{minutes} UTC")
}

/// Environment banner, connection badge, exchange state.
#[component]
pub fn TopBar() -> impl IntoView {
    let connection = use_connection();
    let env = connection.environment;
    let env_class = move || match env.get() {
        Some(Environment::Sim) => "env-banner env-sim",
        Some(Environment::Demo) => "env-banner env-demo",
        Some(Environment::Prod) => "env-banner env-prod",
        None => "env-banner env-unknown",
    };
    let env_label = move || env.get().map_or("…", Environment::label);
    let env_note = move || match env.get() {
        Some(Environment::Sim) => "SIMULATED EXCHANGE — paper trading",
        Some(Environment::Demo) => "Kalshi demo — test funds",
        Some(Environment::Prod) => "LIVE — real money",
        None => "connecting to desk…",
    };
    let auth = crate::auth::use_auth();
    let conn = Memo::new(move |_| connection.conn_state());
    let conn_text = move || match conn.get() {
        ConnState::Live => "LIVE",
        ConnState::Connecting => "CONNECTING…",
        ConnState::Down => "DOWN — retrying",
    };
    let halted = move || connection.trading_active.get() == Some(false);
    // The kill switch that stops this user: the desk's, else their own.
    let stopped = move || {
        let me = auth.username();
        connection.halts.with(|hs| {
            hs.iter()
                .find(|h| h.user.is_none() || h.user == me)
                .map(|h| match &h.user {
                    None => format!("DESK HALTED by {}: {}", h.actor, h.reason),
                    Some(u) => format!("{u} HALTED by {}: {}", h.actor, h.reason),
                })
        })
    };
    let admin_open = use_admin_open();
    let user = move || auth.username().unwrap_or_default();
    let role = move || {
        auth.0.with(|s| {
            s.as_ref()
                .and_then(|s| s.user.as_ref())
                .map_or("", |u| u.role.as_str())
        })
    };
    let logout = move |_| {
        spawn_local(async move {
            if let Err(e) = api::logout().await {
                leptos::logging::warn!("logout failed: {e}");
            }
            // A fresh page: no state, no socket, the login form.
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
    };

    view! {
        <header class="top-bar">
            <div class="brand">"Kalshi Desk"</div>
            <div class=env_class data-testid="env-banner" data-env=move || env.get().map_or("", Environment::label)>
                <span class="env-label">{env_label}</span>
                <span class="env-note">{env_note}</span>
            </div>
            <Show when=halted>
                <div class="halted" data-testid="trading-halted"
                    title="Kalshi has paused trading: new orders, amends and RFQs wait; cancels work">
                    "TRADING PAUSED"
                    {move || connection.resumes_at.get().map(|t| format!(" — resumes {}", resume_time(&t)))}
                </div>
            </Show>
            {move || stopped().map(|text| view! {
                <div class="desk-halted" data-testid="desk-halted" role="alert"
                    title="New orders, amends, quotes and accepts are refused; cancels work">
                    {text}
                </div>
            })}
            <div class="spacer"></div>
            <crate::components::layout::LayoutMenu/>
            <RateBudget/>
            <div class="conn-status" data-testid="conn-status" data-state=move || conn.get().as_str()>
                <span class="dot"></span>
                <span class="conn-text">{conn_text}</span>
            </div>
            <div class="session">
                <crate::components::alerts::AlertsButton/>
                <Show when=move || auth.permissions().admin>
                    <button class="btn btn-ghost btn-small" data-testid="admin-toggle"
                        class:active=move || admin_open.0.get()
                        on:click=move |_| admin_open.0.update(|o| *o = !*o)>
                        {move || if admin_open.0.get() { "Close admin" } else { "Admin" }}
                    </button>
                </Show>
                <span class="session-user" data-testid="session-user" data-role=role>{user}</span>
                <button class="logout" data-testid="logout" on:click=logout>"Log out"</button>
            </div>
        </header>
    }
}
