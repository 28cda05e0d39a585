//! Account panes: balance and portfolio value, positions (live from `position` frames),
//! recent fills (live from `fill` frames). REST reloads after fills and reconnects.

use leptos::prelude::*;
use shared::num::Dollars;
use shared::protocol::PositionView;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::format::opt;
use crate::state::{use_desk, FillRow};

/// Balance, portfolio value and positions.
#[component]
pub fn Portfolio() -> impl IntoView {
    let desk = use_desk();
    let loaded = LocalResource::new(move || {
        desk.account_reload.track();
        api::portfolio(desk.subaccount.get())
    });
    let totals = RwSignal::new(None::<(Dollars, Dollars)>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = loaded.get() {
            totals.set(Some((p.balance, p.portfolio_value)));
            desk.positions.set(
                p.positions
                    .into_iter()
                    .filter(|p| !p.position.is_zero())
                    .collect(),
            );
        }
    });

    view! {
        <div class="portfolio-pane">
            <div class="pane-head">
                <span class="pane-title">"Portfolio"</span>
            </div>
            <div class="totals">
                <span class="k">"Balance $"</span>
                <span class="v money" data-testid="balance">{move || opt(totals.get().map(|t| t.0))}</span>
                <span class="k">"Portfolio value $"</span>
                <span class="v money" data-testid="portfolio-value">{move || opt(totals.get().map(|t| t.1))}</span>
            </div>
            <LoadStatus resource=loaded what="portfolio"/>
            <table class="grid" data-testid="positions">
                <thead>
                    <tr>
                        <th>"Market"</th>
                        <th class="num">"Position"</th>
                        <th class="num">"Exposure"</th>
                        <th class="num">"Realized"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || desk.positions.get()
                        key=|p| (p.market_ticker.clone(), p.position, p.exposure, p.realized_pnl)
                        let:position
                    >
                        <PositionRow position=position/>
                    </For>
                </tbody>
            </table>
            <Show when=move || desk.positions.with(Vec::is_empty)>
                <div class="empty">"No open positions."</div>
            </Show>
        </div>
    }
}

#[component]
fn PositionRow(position: PositionView) -> impl IntoView {
    let desk = use_desk();
    let side = if position.position.is_negative() {
        "NO"
    } else {
        "YES"
    };
    let ticker = position.market_ticker.clone();
    view! {
        <tr
            class:short=position.position.is_negative()
            data-testid="position-row"
            data-market=position.market_ticker.to_string()
            data-position=position.position.to_string()
        >
            <td class="link" on:click=move |_| desk.select(ticker.clone())>{position.market_ticker.to_string()}</td>
            <td class="num">{format!("{} {side}", position.position.abs())}</td>
            <td class="num">{position.exposure.to_string()}</td>
            <td class="num" class:neg=position.realized_pnl.is_negative()>{position.realized_pnl.to_string()}</td>
        </tr>
    }
}

/// Recent fills, newest first.
#[component]
pub fn Fills() -> impl IntoView {
    let desk = use_desk();
    let loaded = LocalResource::new(move || {
        desk.account_reload.track();
        api::fills()
    });
    Effect::new(move |_| {
        if let Some(Ok(fills)) = loaded.get() {
            desk.seed_fills(&fills);
        }
    });
    view! {
        <div class="fills-pane">
            <div class="pane-head">
                <span class="pane-title">"Recent fills"</span>
                <span class="muted">{move || desk.fills.with(|f| f.len())}</span>
            </div>
            <LoadStatus resource=loaded what="fills"/>
            <table class="grid" data-testid="fills">
                <thead>
                    <tr>
                        <th>"Time"</th>
                        <th>"Market"</th>
                        <th>"Side"</th>
                        <th class="num">"Price"</th>
                        <th class="num">"Count"</th>
                        <th>"Liq."</th>
                        <th title="The desk user whose order filled">"By"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || desk.fills.get() key=|f| f.trade_id.clone() let:fill>
                        <FillRowView fill=fill/>
                    </For>
                </tbody>
            </table>
            <Show when=move || desk.fills.with(|f| f.is_empty())>
                <div class="empty">"No fills yet."</div>
            </Show>
        </div>
    }
}

#[component]
fn FillRowView(fill: FillRow) -> impl IntoView {
    let side = fill.side.map_or("", |s| s.as_str());
    let market = fill
        .market_ticker
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let market_attr = market.clone();
    view! {
        <tr class=format!("side-{side}") data-testid="fill-row" data-trade-id=fill.trade_id.to_string()
            data-market=market_attr
            data-side=side data-count=fill.count.to_string()>
            <td class="muted">{fill.time}</td>
            <td>{market}</td>
            <td class="side">{side.to_uppercase()}</td>
            <td class="num">{opt(fill.price)}</td>
            <td class="num">{fill.count.to_string()}</td>
            <td class="muted">{if fill.is_taker { "taker" } else { "maker" }}</td>
            <td class="muted" data-testid="fill-owner">{fill.owner.clone().unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}
