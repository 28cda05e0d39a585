//! Kalshi Desk in the browser: a Leptos CSR app served by the desk backend.
//!
//! # Layout
//! - [`api`]: typed client for `/api` (status, markets, orders, portfolio, fills); non-2xx
//!   answers become [`api::ApiError`] carrying the server's readable message.
//! - [`ws`]: the `/ws` socket: reconnect with backoff, `watch` the open market, dispatch
//!   every `ServerMsg` into the [`state`] contexts from the message callback.
//! - [`state`]: the live client state as small `Copy` contexts (connection, market data
//!   with the book as a keyed store, account, ticket, toasts), and the rules for applying
//!   frames as plain functions (book version, order upsert, fill dedupe) with unit tests.
//! - [`format`]: money/time display helpers (exact, no floats for money).
//! - [`auth`]: the session (user, role, permissions, CSRF token) as context; components
//!   hide what the user may not do.
//! - [`pages`]: the login page, and the desk page: top bar, market list, market view,
//!   ticket, account panes, and the admin's users and audit panes.
//! - [`components`]: the pieces those pages are made of.
//!
//! Data flows: REST loads (`LocalResource`s) and socket frames → context signals →
//! components. The ticket posts through `api`; the backend's `order`/`fill`/`position`
//! frames then update the account panes live.

use leptos::prelude::*;

pub mod api;
pub mod auth;
pub mod components;
pub mod format;
pub mod pages;
pub mod state;
pub mod ws;

/// The whole application: reads the session; shows the login page until someone is
/// logged in, then provides the [`state`] contexts, starts the socket and renders the desk.
#[component]
pub fn App() -> impl IntoView {
    let auth = auth::Auth(RwSignal::new(None));
    provide_context(auth);
    leptos::task::spawn_local(async move {
        // A failed read (the desk restarting, a dropped connection) is tried again before
        // the login page shows: a reload under load must not look like a logout.
        for wait_ms in [250, 1_000, 0] {
            match api::session().await {
                Ok(view) => return auth.set(view),
                Err(e) => leptos::logging::warn!("GET /api/session failed: {e}"),
            }
            if wait_ms > 0 {
                gloo_timers::future::TimeoutFuture::new(wait_ms).await;
            }
        }
        auth.set(shared::auth::SessionView::default());
    });
    let checked = move || auth.0.with(Option::is_some);
    view! {
        <Show when=checked fallback=|| view! { <div class="loading">"…"</div> }>
            <Show when=move || auth.logged_in() fallback=|| view! { <pages::login::LoginPage/> }>
                <LoggedIn/>
            </Show>
        </Show>
    }
}

/// The desk for a logged-in user: state, socket, page.
#[component]
fn LoggedIn() -> impl IntoView {
    let desk = state::Desk::provide();
    components::rfq::RfqState::install();
    let _socket = ws::start(desk);
    view! { <pages::desk::DeskPage/> }
}

/// Mounts [`App`] on `<body>`.
pub fn run() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
