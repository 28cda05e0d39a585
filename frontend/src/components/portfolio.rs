//! Account panes.
//!
//! - [`Portfolio`]: balance, portfolio value, resting-order value (live from the open
//!   orders), unrealized P&L at the live mid of each position's market (the socket marks
//!   every market with a position: its ticker, not its book), realized P&L and fees;
//!   positions live from `position`
//!   frames with their average price, mark and P&L.
//! - [`History`]: fills (live from `fill` frames) and settlements, each a tab, each paging
//!   back with Kalshi's cursors ("Older").
//!
//! REST reloads after fills, positions going flat (closed or settled) and reconnects.

use leptos::prelude::*;
use shared::api::schema::{Settlement, SettlementMarketResult};
use shared::num::Dollars;
use shared::protocol::{PortfolioView, PositionView};

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::format::{opt, rfc3339_time};
use crate::state::{use_account, use_market, FillRow, FillTime};

/// Balance, portfolio value, P&L and positions.
#[component]
pub fn Portfolio() -> impl IntoView {
    let data = use_market();
    let account = use_account();
    let loaded = LocalResource::new(move || {
        account.reloads.track();
        api::portfolio(account.subaccount.get())
    });
    // Today's P&L against the user's daily loss limit: read again after each fill.
    let today = LocalResource::new(move || {
        account.reloads.track();
        account.fills.track();
        api::pnl_today()
    });
    let today_text = move || match today.get() {
        Some(Ok(d)) => match d.user_limit {
            Some(l) => format!("{} (limit −{l})", d.user),
            None => d.user.to_string(),
        },
        _ => "—".to_owned(),
    };
    let today_negative = move || matches!(today.get(), Some(Ok(d)) if d.user.is_negative());
    let totals = RwSignal::new(None::<PortfolioView>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = loaded.get() {
            account.positions.set(
                p.positions
                    .iter()
                    .filter(|p| !p.position.is_zero())
                    .cloned()
                    .collect(),
            );
            totals.set(Some(p));
        }
    });
    let resting_value = move || {
        account.orders.with(|orders| {
            orders
                .iter()
                .filter(|o| o.subaccount == account.subaccount.get())
                .fold(Dollars::ZERO, |sum, o| sum + o.price.times(o.remaining))
        })
    };
    // Unrealized P&L over the positions whose market has a mark; `None` while none has.
    let unrealized = move || {
        let marks = data.marks.get();
        account.positions.with(|positions| {
            positions
                .iter()
                .filter_map(|p| marks.get(&p.market_ticker).map(|m| p.unrealized_pnl(*m)))
                .reduce(|a, b| a + b)
        })
    };
    let field =
        move |f: fn(&PortfolioView) -> Dollars| move || opt(totals.with(|t| t.as_ref().map(f)));

    view! {
        <div class="portfolio-pane">
            <div class="pane-head">
                <span class="pane-title">"Portfolio"</span>
            </div>
            <div class="totals">
                <span class="k">"Balance $"</span>
                <span class="v money" data-testid="balance">{field(|t| t.balance)}</span>
                <span class="k">"Portfolio value $"</span>
                <span class="v money" data-testid="portfolio-value">{field(|t| t.portfolio_value)}</span>
                <span class="k">"Resting orders $"</span>
                <span class="v money" data-testid="resting-value">{move || resting_value().to_string()}</span>
            </div>
            <div class="totals">
                <span class="k">"Unrealized $"</span>
                <span class="v money" data-testid="unrealized-total"
                    class:neg=move || unrealized().is_some_and(Dollars::is_negative)>
                    {move || opt(unrealized())}
                </span>
                <span class="k">"Realized $"</span>
                <span class="v money" data-testid="realized-total"
                    class:neg=move || totals.with(|t| t.as_ref().is_some_and(|t| t.realized_pnl.is_negative()))>
                    {field(|t| t.realized_pnl)}
                </span>
                <span class="k">"Fees $"</span>
                <span class="v money" data-testid="fees-total">{field(|t| t.fees_paid)}</span>
                <span class="k" title="Since midnight US Eastern: your fills today at the mid, less fees">"Today $"</span>
                <span class="v money" data-testid="day-pnl" class:neg=today_negative>{today_text}</span>
            </div>
            <LoadStatus resource=loaded what="portfolio"/>
            <table class="grid" data-testid="positions">
                <thead>
                    <tr>
                        <th>"Market"</th>
                        <th class="num">"Position"</th>
                        <th class="num" title="Cost basis ÷ contracts held">"Avg"</th>
                        <th class="num" title="Mid of the best YES bid and ask, live">"Mark"</th>
                        <th class="num" title="At the mark, less cost basis">"Unrealized"</th>
                        <th class="num">"Realized"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || account.positions.get()
                        key=|p| (p.market_ticker.clone(), p.position, p.exposure, p.realized_pnl)
                        let:position
                    >
                        <PositionRow position=position/>
                    </For>
                </tbody>
            </table>
            <Show when=move || account.positions.with(Vec::is_empty)>
                <div class="empty">"No open positions."</div>
            </Show>
        </div>
    }
}

#[component]
fn PositionRow(position: PositionView) -> impl IntoView {
    let data = use_market();
    let side = if position.position.is_negative() {
        "NO"
    } else {
        "YES"
    };
    let ticker = position.market_ticker.clone();
    let mark_of = position.market_ticker.clone();
    let mark = Memo::new(move |_| data.marks.with(|m| m.get(&mark_of).copied()));
    let row = position.clone();
    let unrealized = Memo::new(move |_| mark.get().map(|m| row.unrealized_pnl(m)));
    view! {
        <tr
            class:short=position.position.is_negative()
            data-testid="position-row"
            data-market=position.market_ticker.to_string()
            data-position=position.position.to_string()
        >
            <td class="link" on:click=move |_| data.select(ticker.clone())>{position.market_ticker.to_string()}</td>
            <td class="num">{format!("{} {side}", position.position.abs())}</td>
            <td class="num" data-testid="position-avg">{let avg = position.average_price(); move || crate::format::opt_price(avg)}</td>
            <td class="num" data-testid="position-mark">{move || crate::format::opt_price(mark.get())}</td>
            <td class="num" data-testid="position-unrealized"
                class:neg=move || unrealized.get().is_some_and(Dollars::is_negative)>
                {move || opt(unrealized.get())}
            </td>
            <td class="num" class:neg=position.realized_pnl.is_negative()>{position.realized_pnl.to_string()}</td>
        </tr>
    }
}

/// Which list the history pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HistoryTab {
    Fills,
    Settlements,
    Pnl,
}

/// Fills and settlements, newest first, each paging back with "Older"; and the P&L history.
#[component]
pub fn History() -> impl IntoView {
    let tab = RwSignal::new(HistoryTab::Fills);
    let tab_button = move |t: HistoryTab, id: &'static str, label: &'static str| {
        view! {
            <button class="finder-tab" class:active=move || tab.get() == t data-testid=id
                on:click=move |_| tab.set(t)>{label}</button>
        }
    };
    view! {
        <div class="fills-pane">
            <div class="finder-tabs">
                {tab_button(HistoryTab::Fills, "tab-fills", "Fills")}
                {tab_button(HistoryTab::Settlements, "tab-settlements", "Settlements")}
                {tab_button(HistoryTab::Pnl, "tab-pnl", "P&L")}
            </div>
            {move || match tab.get() {
                HistoryTab::Fills => view! { <Fills/> }.into_any(),
                HistoryTab::Settlements => view! { <Settlements/> }.into_any(),
                HistoryTab::Pnl => view! { <crate::components::pnl::PnlPane/> }.into_any(),
            }}
        </div>
    }
}

/// "Older" below a list: loads the page after `cursor` while one is left.
#[component]
fn OlderButton(
    /// The next page's cursor (`None`: nothing older).
    cursor: RwSignal<Option<String>>,
    /// Loads the page after this cursor.
    load: Callback<String>,
    /// Test id.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || cursor.with(Option::is_some)>
            <button class="btn older" data-testid=testid
                on:click=move |_| {
                    if let Some(c) = cursor.get_untracked() {
                        load.run(c);
                    }
                }>"Older"</button>
        </Show>
    }
}

/// Fills, newest first: the newest page is live, older pages load on demand.
#[component]
fn Fills() -> impl IntoView {
    let account = use_account();
    let loaded = LocalResource::new(move || {
        account.reloads.track();
        api::fills(None)
    });
    let older = RwSignal::new(Vec::<FillRow>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = loaded.get() {
            account.seed_fills(&page.fills);
            older.set(Vec::new());
            cursor.set(page.cursor);
        }
    });
    let load = Callback::new(move |c: String| {
        leptos::task::spawn_local(async move {
            match api::fills(Some(c)).await {
                Ok(page) => {
                    older.update(|rows| rows.extend(page.fills.iter().map(FillRow::from_view)));
                    cursor.set(page.cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let rows = move || {
        let mut rows: Vec<FillRow> = account.fills.with(|f| f.iter().cloned().collect());
        older.with(|o| {
            for row in o {
                if rows.iter().all(|r| r.trade_id != row.trade_id) {
                    rows.push(row.clone());
                }
            }
        });
        rows
    };
    view! {
        <div class="pane-head">
            <span class="pane-title">"Fills"</span>
            <span class="muted" data-testid="fills-count">{move || rows().len()}</span>
            <span class="spacer"></span>
            <CsvLink what="fills"/>
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
                <For each=rows key=|f| f.trade_id.clone() let:fill>
                    <FillRowView fill=fill/>
                </For>
            </tbody>
        </table>
        <Show when=move || account.fills.with(|f| f.is_empty()) && older.with(Vec::is_empty)>
            <div class="empty">"No fills yet."</div>
        </Show>
        {move || error.get().map(|e| view! { <div class="form-error">{e}</div> })}
        <OlderButton cursor=cursor load=load testid="fills-older"/>
    }
}

/// A fill's time as the table shows it: local `HH:MM:SS`.
fn fill_time(t: &FillTime) -> String {
    match t {
        FillTime::Rfc3339(text) => rfc3339_time(text),
        FillTime::Ms(ms) => crate::format::clock_ms(*ms),
        FillTime::Unknown => String::new(),
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
            <td class="muted">{fill_time(&fill.time)}</td>
            <td>{market}</td>
            <td class="side">{side.to_uppercase()}</td>
            <td class="num">{move || crate::format::opt_price(fill.price)}</td>
            <td class="num">{fill.count.to_string()}</td>
            <td class="muted">{if fill.is_taker { "taker" } else { "maker" }}</td>
            <td class="muted" data-testid="fill-owner">{fill.owner.clone().unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}

/// Settlements, newest first, paging back with "Older".
#[component]
fn Settlements() -> impl IntoView {
    let account = use_account();
    let loaded = LocalResource::new(move || {
        account.reloads.track();
        api::settlements(None)
    });
    let rows = RwSignal::new(Vec::<Settlement>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = loaded.get() {
            rows.set(page.settlements);
            cursor.set(page.cursor);
        }
    });
    let load = Callback::new(move |c: String| {
        leptos::task::spawn_local(async move {
            match api::settlements(Some(c)).await {
                Ok(page) => {
                    rows.update(|r| r.extend(page.settlements));
                    cursor.set(page.cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    view! {
        <div class="pane-head">
            <span class="pane-title">"Settlements"</span>
            <span class="muted">{move || rows.with(Vec::len)}</span>
            <span class="spacer"></span>
            <CsvLink what="settlements"/>
        </div>
        <LoadStatus resource=loaded what="settlements"/>
        <table class="grid" data-testid="settlements">
            <thead>
                <tr>
                    <th>"Settled"</th>
                    <th>"Market"</th>
                    <th>"Result"</th>
                    <th class="num">"Held"</th>
                    <th class="num">"Cost"</th>
                    <th class="num">"Payout"</th>
                    <th class="num" title="Payout less cost and fees">"P&L"</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || rows.get()
                    key=|s| (s.ticker.clone(), s.settled_time.clone(), s.yes_count_fp, s.no_count_fp)
                    let:settlement
                >
                    <SettlementRow settlement=settlement/>
                </For>
            </tbody>
        </table>
        <Show when=move || rows.with(Vec::is_empty)>
            <div class="empty">"No settlements yet."</div>
        </Show>
        {move || error.get().map(|e| view! { <div class="form-error">{e}</div> })}
        <OlderButton cursor=cursor load=load testid="settlements-older"/>
    }
}

#[component]
fn SettlementRow(settlement: Settlement) -> impl IntoView {
    let s = settlement;
    let result = match s.market_result {
        SettlementMarketResult::Yes => "YES",
        SettlementMarketResult::No => "NO",
        SettlementMarketResult::Scalar => "scalar",
        _ => "?",
    };
    let held = match (s.yes_count_fp.is_zero(), s.no_count_fp.is_zero()) {
        (false, true) => format!("{} YES", s.yes_count_fp),
        (true, false) => format!("{} NO", s.no_count_fp),
        (true, true) => "0".to_owned(),
        (false, false) => format!("{} YES / {} NO", s.yes_count_fp, s.no_count_fp),
    };
    let cost = s.yes_total_cost_dollars + s.no_total_cost_dollars;
    let payout = Dollars::from_cents(s.revenue);
    let pnl = payout - cost - s.fee_cost;
    view! {
        <tr data-testid="settlement-row" data-market=s.ticker.to_string() data-result=result
            data-revenue=payout.to_string()>
            <td class="muted">{rfc3339_time(&s.settled_time)}</td>
            <td>{s.ticker.to_string()}</td>
            <td>{result}</td>
            <td class="num">{held}</td>
            <td class="num">{cost.to_string()}</td>
            <td class="num">{payout.to_string()}</td>
            <td class="num" class:neg=pnl.is_negative() data-testid="settlement-pnl">{pnl.to_string()}</td>
        </tr>
    }
}

/// A link that downloads every row of `what` (`fills`, `settlements` or `orders`) for the
/// open subaccount as CSV (`/api/{what}.csv`), with Kalshi's exact decimal strings.
#[component]
pub fn CsvLink(what: &'static str) -> impl IntoView {
    let account = crate::state::use_account();
    view! {
        <a class="btn btn-ghost btn-small csv-link" data-testid=format!("{what}-csv")
            href=move || format!("/api/{what}.csv?subaccount={}", account.subaccount.get())
            download=format!("{what}.csv")
            title=format!("Every {what} row of this subaccount as CSV")>
            "CSV"
        </a>
    }
}
