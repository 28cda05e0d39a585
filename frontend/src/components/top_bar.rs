//! Top bar: environment banner (SIM / DEMO / PROD) and the connection badge.

use leptos::prelude::*;
use shared::protocol::Environment;

use crate::state::{use_desk, ConnState};

/// Environment banner, connection badge, exchange state.
#[component]
pub fn TopBar() -> impl IntoView {
    let desk = use_desk();
    let env = desk.environment;
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
    let conn = Memo::new(move |_| desk.conn_state());
    let conn_text = move || match conn.get() {
        ConnState::Live => "LIVE",
        ConnState::Connecting => "CONNECTING…",
        ConnState::Down => "DOWN — retrying",
    };
    let halted = move || desk.trading_active.get() == Some(false);

    view! {
        <header class="top-bar">
            <div class="brand">"Kalshi Desk"</div>
            <div class=env_class data-testid="env-banner" data-env=move || env.get().map_or("", Environment::label)>
                <span class="env-label">{env_label}</span>
                <span class="env-note">{env_note}</span>
            </div>
            <Show when=halted>
                <div class="halted" data-testid="trading-halted">"TRADING PAUSED"</div>
            </Show>
            <div class="spacer"></div>
            <div class="conn-status" data-testid="conn-status" data-state=move || conn.get().as_str()>
                <span class="dot"></span>
                <span class="conn-text">{conn_text}</span>
            </div>
        </header>
    }
}
