//! The desk screen: top bar; markets left; the open market (header, book, tape) center;
//! ticket right; orders, positions and fills below; order groups and subaccounts (whose
//! selector scopes the ticket, orders and positions) under them; the RFQ desk; and for
//! admins the users and audit panes. What the user's role cannot do is not shown.

use leptos::prelude::*;
use shared::ids::MarketTicker;
use shared::rest::Market;
use shared::workspace::Edge;

use crate::api;
use crate::components::admin::{AuditPane, UsersPane};
use crate::components::groups::OrderGroups;
use crate::components::layout::Splitter;
use crate::components::market_list::MarketList;
use crate::components::market_view::MarketView;
use crate::components::orders::OpenOrders;
use crate::components::portfolio::{History, Portfolio};
use crate::components::subaccounts::Subaccounts;
use crate::components::ticket::Ticket;
use crate::components::toasts::Toasts;
use crate::components::top_bar::TopBar;
use crate::state::{use_connection, use_market, AdminOpen};

/// Reads `#TICKER` from the address bar (deep link to a market).
fn ticker_from_hash() -> Option<MarketTicker> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let raw = hash.trim_start_matches('#');
    let decoded = js_sys::decode_uri_component(raw).ok().map(String::from)?;
    let ticker = MarketTicker::from(decoded.trim());
    ticker.is_well_formed().then_some(ticker)
}

fn set_hash(ticker: &MarketTicker) {
    if let Some(location) = web_sys::window().map(|w| w.location()) {
        if location.hash().ok().as_deref() != Some(&format!("#{ticker}")) {
            let _ = location.set_hash(ticker.as_str());
        }
    }
}

/// The one page.
#[component]
pub fn DeskPage() -> impl IntoView {
    let connection = use_connection();
    let market = use_market();
    let admin_open = AdminOpen(RwSignal::new(false));
    provide_context(admin_open);
    let (can_trade, can_rfq, is_admin) = (
        crate::auth::can_trade(),
        crate::auth::can_rfq(),
        crate::auth::is_admin(),
    );
    crate::components::watchlist::Watchlist::install();
    let workspace = crate::state::WorkspaceState::install(crate::state::use_toasts());
    let alerts = crate::components::alerts::AlertsState::install(crate::state::use_toasts());
    let layout = Memo::new(move |_| workspace.layout());

    let status = LocalResource::new(api::status);
    Effect::new(move |_| match status.get() {
        Some(Ok(s)) => {
            if connection.environment.get_untracked().is_none() {
                connection.environment.set(Some(s.environment));
            }
            if connection.upstream.get_untracked().is_none() {
                connection.upstream.set(Some(s.upstream));
            }
            connection.trading_active.set(Some(s.trading_active));
        }
        Some(Err(e)) => leptos::logging::warn!("GET /api/status failed: {e}"),
        None => {}
    });

    if let Some(t) = ticker_from_hash() {
        market.select(t);
    }
    // A link or the address bar changing `#TICKER` opens that market too.
    let hash_listener = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(t) = ticker_from_hash() {
            market.select(t);
        }
    });
    on_cleanup(move || hash_listener.remove());
    Effect::new(move |_| {
        if let Some(t) = market.selected.get() {
            set_hash(&t);
        }
    });

    let detail = LocalResource::new(move || {
        let open = market.selected.get();
        async move {
            match open {
                Some(t) => api::market(&t).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let market = Signal::derive(move || {
        let open = market.selected.get();
        detail
            .get()
            .and_then(Result::ok)
            .flatten()
            .filter(|m: &Market| Some(&m.ticker) == open.as_ref())
    });

    view! {
        <div class="desk">
            <TopBar/>
            <main
                class=move || layout.with(crate::components::layout::grid_class)
                style=move || layout.with(crate::components::layout::grid_style)
                data-testid="desk-grid"
                data-layout=move || layout.with(|l| l.name.clone())
            >
                <aside class="pane pane-markets">
                    <MarketList/>
                </aside>
                <section class="pane pane-market">
                    <Splitter edge=Edge::Left/>
                    <MarketView detail=detail market=market/>
                    <Splitter edge=Edge::Right/>
                </section>
                <aside class="pane pane-ticket">
                    <Show when=move || can_trade.get() fallback=|| view! {
                        <div class="muted read-only" data-testid="read-only-note">"Read only: your role cannot place orders."</div>
                    }>
                        <Ticket market=market/>
                    </Show>
                </aside>
                <div class="bottom-row">
                    <Splitter edge=Edge::Bottom/>
                    <section class="pane pane-orders">
                        <OpenOrders/>
                    </section>
                    <section class="pane pane-portfolio">
                        <Portfolio/>
                    </section>
                    <section class="pane pane-fills">
                        <History/>
                    </section>
                </div>
                <div class="accounts-row">
                    <Show when=move || can_trade.get()>
                        <section class="pane pane-groups">
                            <OrderGroups/>
                        </section>
                    </Show>
                    <section class="pane pane-subaccounts">
                        <Subaccounts/>
                    </section>
                </div>
            </main>
            <Show when=move || can_rfq.get()>
                <crate::components::rfq_desk::RfqDesk/>
            </Show>
            <Show when=move || is_admin.get() && admin_open.0.get()>
                <div class="admin-overlay" data-testid="admin">
                    <div class="admin-row">
                        <UsersPane/>
                        <AuditPane/>
                    </div>
                </div>
            </Show>
            <Show when=move || alerts.open.get()>
                <crate::components::alerts::AlertsPanel/>
            </Show>
            <Toasts/>
        </div>
    }
}
