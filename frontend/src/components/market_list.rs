//! Left pane: finding markets. Three tabs:
//!
//! - **Markets**: search by text, category, status and close date, a page at a time with
//!   Kalshi cursors ("Load more" follows the cursor).
//! - **Browse**: series (by category) → a series' events (paged) → an event's markets.
//! - **Watchlist**: the starred markets ([`super::watchlist`]), saved across reloads.
//!
//! Clicking a market row opens the market. Tab state lives in this component, so switching
//! tabs keeps each tab's filters and place.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{EventView, MarketSearch, MarketsPage, SeriesView};
use shared::rest::{Market, StatusFilter};

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::components::watchlist::{use_watchlist, WatchStar};
use crate::components::windowed::Windowed;
use crate::format::{opt, opt_price};
use crate::state::{rules, use_market};

/// Which tab is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Search,
    Browse,
    Watch,
}

/// The search form's fields, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Filters {
    text: String,
    category: String,
    status: String,
    closes_before: String,
    page_size: u32,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            text: String::new(),
            category: String::new(),
            status: StatusFilter::Open.as_str().to_owned(),
            closes_before: String::new(),
            page_size: 25,
        }
    }
}

/// `YYYY-MM-DD` → Unix seconds at 00:00 UTC that day.
fn date_ts(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    // A timestamp, not money: `Date.parse` answers a double of milliseconds.
    let ms = js_sys::Date::parse(text);
    if !shape_ok || ms.is_nan() {
        return Err(format!(
            "close date must look like 2026-12-31, not {text:?}"
        ));
    }
    Ok(Some((ms as i64).div_euclid(1000)))
}

impl Filters {
    fn query(&self, cursor: Option<String>) -> Result<MarketSearch, String> {
        let text = self.text.trim();
        Ok(MarketSearch {
            limit: Some(self.page_size),
            cursor,
            status: Some(self.status.clone()),
            q: (!text.is_empty()).then(|| text.to_owned()),
            category: (!self.category.is_empty()).then(|| self.category.clone()),
            max_close_ts: date_ts(&self.closes_before)?,
            ..MarketSearch::default()
        })
    }
}

/// A list of markets filled page by page from a [`MarketSearch`], with "Load more".
#[derive(Clone, Copy)]
struct Paged {
    markets: RwSignal<Vec<Market>>,
    cursor: RwSignal<Option<String>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    /// Bumped on every new first page, so a late answer to an old query is dropped.
    generation: RwSignal<u64>,
}

impl Paged {
    fn new() -> Paged {
        Paged {
            markets: RwSignal::new(Vec::new()),
            cursor: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            generation: RwSignal::new(0),
        }
    }

    fn absorb(&self, page: MarketsPage, replace: bool) {
        self.markets.update(|list| {
            if replace {
                list.clear();
            }
            let known: std::collections::HashSet<shared::ids::MarketTicker> =
                list.iter().map(|m| m.ticker.clone()).collect();
            list.extend(
                page.markets
                    .into_iter()
                    .filter(|m| !known.contains(&m.ticker)),
            );
        });
        self.cursor.set(page.cursor.filter(|c| !c.is_empty()));
    }

    /// Loads the first page of `q` (or the next page when `more`).
    fn load(self, q: MarketSearch, more: bool) {
        if !more {
            self.generation.update(|g| *g += 1);
        }
        let generation = self.generation.get_untracked();
        self.loading.set(true);
        spawn_local(async move {
            let answer = api::search_markets(&q).await;
            if self.generation.get_untracked() != generation {
                return;
            }
            match answer {
                Ok(page) => {
                    self.error.set(None);
                    self.absorb(page, !more);
                }
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.loading.set(false);
        });
    }
}

/// The finder: tabs over search, browse and watchlist.
#[component]
pub fn MarketList() -> impl IntoView {
    let tab = RwSignal::new(Tab::Search);
    let watch = use_watchlist();
    let filters = RwSignal::new(Filters::default());
    let browse = BrowseState::new();
    let tab_button = move |t: Tab, id: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                class="finder-tab"
                class:active=move || tab.get() == t
                data-testid=id
                on:click=move |_| tab.set(t)
            >
                {label}
                {move || (t == Tab::Watch).then(|| format!(" ({})", watch.len()))}
            </button>
        }
    };
    view! {
        <div class="market-list-pane">
            <div class="finder-tabs">
                {tab_button(Tab::Search, "tab-search", "Markets")}
                {tab_button(Tab::Browse, "tab-browse", "Browse")}
                {tab_button(Tab::Watch, "tab-watchlist", "Watchlist")}
            </div>
            {move || match tab.get() {
                Tab::Search => view! { <SearchTab filters=filters/> }.into_any(),
                Tab::Browse => view! { <BrowseTab state=browse/> }.into_any(),
                Tab::Watch => view! { <WatchTab/> }.into_any(),
            }}
        </div>
    }
}

/// Category names from every series (sorted, unique).
fn categories(list: &[SeriesView]) -> Vec<String> {
    let mut c: Vec<String> = list
        .iter()
        .map(|s| s.category.clone())
        .filter(|c| !c.is_empty())
        .collect();
    c.sort();
    c.dedup();
    c
}

/// The Markets tab: search form, results, "Load more".
#[component]
fn SearchTab(filters: RwSignal<Filters>) -> impl IntoView {
    let paged = Paged::new();
    let form_error = RwSignal::new(None::<String>);
    let all_series = LocalResource::new(|| api::series(None));
    Effect::new(move |_| {
        let f = filters.get();
        match f.query(None) {
            Ok(q) => {
                form_error.set(None);
                paged.load(q, false);
            }
            Err(e) => form_error.set(Some(e)),
        }
    });
    let load_more = move |_| {
        let Some(c) = paged.cursor.get_untracked() else {
            return;
        };
        if let Ok(q) = filters.get_untracked().query(Some(c)) {
            paged.load(q, true);
        }
    };
    let set = move |f: fn(&mut Filters, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            filters.update(|x| f(x, v));
        }
    };
    let category_options = move || {
        all_series
            .get()
            .and_then(Result::ok)
            .map(|l| categories(&l.series))
            .unwrap_or_default()
    };
    view! {
        <div class="finder-form">
            <input
                class="filter"
                data-testid="market-filter"
                type="search"
                placeholder="Search ticker or title…"
                prop:value=move || filters.with(|f| f.text.clone())
                on:input=set(|f, v| f.text = v)
                on:change=set(|f, v| f.text = v)
            />
            <div class="finder-row">
                <select data-testid="filter-category" title="Category" on:change=set(|f, v| f.category = v)>
                    <option value="" selected=move || filters.with(|f| f.category.is_empty())>"All categories"</option>
                    <For each=category_options key=|c| c.clone() let:c>
                        {
                            let value = c.clone();
                            let selected = move || filters.with(|f| f.category == value);
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        }
                    </For>
                </select>
                <select data-testid="filter-status" title="Status" on:change=set(|f, v| f.status = v)>
                    {StatusFilter::ALL
                        .into_iter()
                        .map(|s| s.as_str())
                        .chain(["any"])
                        .map(|s| {
                            let label = if s == "any" { "any status".to_owned() } else { s.to_owned() };
                            view! { <option value=s selected=move || filters.with(|f| f.status == s)>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="finder-row">
                <input
                    class="date-filter"
                    data-testid="filter-closes-before"
                    type="text"
                    placeholder="closes before YYYY-MM-DD"
                    prop:value=move || filters.with(|f| f.closes_before.clone())
                    on:input=set(|f, v| f.closes_before = v)
                    on:change=set(|f, v| f.closes_before = v)
                />
                <select data-testid="page-size" title="Markets per page" on:change=set(|f, v| f.page_size = v.parse().unwrap_or(25))>
                    {[10_u32, 25, 50, 100]
                        .into_iter()
                        .map(|n| view! { <option value=n.to_string() selected=move || filters.with(|f| f.page_size == n)>{format!("{n} / page")}</option> })
                        .collect_view()}
                </select>
            </div>
            {move || form_error.get().map(|e| view! { <div class="load-error" data-testid="filter-error">{e}</div> })}
        </div>
        <div class="pane-head">
            <span class="pane-title">"Markets"</span>
            <span class="muted" data-testid="markets-count">{move || paged.markets.with(Vec::len).to_string()}</span>
            {move || paged.loading.get().then(|| view! { <span class="muted">"loading…"</span> })}
        </div>
        <MarketRows paged=paged empty="No market matches these filters."/>
        <Show when=move || paged.cursor.with(Option::is_some)>
            <button class="btn btn-ghost load-more" data-testid="markets-more" disabled=move || paged.loading.get() on:click=load_more>
                {move || if paged.loading.get() { "Loading…" } else { "Load more markets" }}
            </button>
        </Show>
    }
}

/// The rows of a [`Paged`] list, windowed ([`rules::MARKET_ROWS`]): only the rows in view
/// and a margin either side are in the document, so thousands of loaded markets cost a
/// hundred rows.
#[component]
fn MarketRows(paged: Paged, empty: &'static str) -> impl IntoView {
    let list = Windowed::new(rules::MARKET_ROWS);
    let window = list.window(move || paged.markets.with(Vec::len));
    let shown = move || {
        let ((first, last), _) = window.get();
        paged.markets.with(|markets| {
            markets
                .get(first..last)
                .map(<[Market]>::to_vec)
                .unwrap_or_default()
        })
    };
    view! {
        <div class="market-list" data-testid="market-list" node_ref=list.node on:scroll=list.on_scroll()>
            <div class="market-row market-row-head">
                <span>"Market"</span>
                <span class="num">"YES bid"</span>
                <span class="num">"YES ask"</span>
                <span></span>
                <span class="num">"Last"</span>
                <span class="num">"Volume"</span>
            </div>
            <div data-testid="rows-above" style=move || list.spacer(window.get().0 .0)></div>
            <For each=shown key=|m| m.ticker.clone() let:market>
                <MarketRow market=market/>
            </For>
            <div style=move || {
                let ((_, last), len) = window.get();
                list.spacer(len.saturating_sub(last))
            }></div>
            <Show when=move || !paged.loading.get() && paged.error.with(Option::is_none) && paged.markets.with(Vec::is_empty)>
                <div class="empty" data-testid="markets-empty">{empty}</div>
            </Show>
            {move || paged.error.get().map(|e| view! { <div class="load-error">{e}</div> })}
        </div>
    }
}

/// Where the Browse tab is: a category, a series, an event.
#[derive(Clone, Copy)]
struct BrowseState {
    category: RwSignal<String>,
    series: RwSignal<Option<SeriesView>>,
    event: RwSignal<Option<EventView>>,
}

impl BrowseState {
    fn new() -> BrowseState {
        BrowseState {
            category: RwSignal::new(String::new()),
            series: RwSignal::new(None),
            event: RwSignal::new(None),
        }
    }
}

/// The Browse tab: series → events → markets, with a breadcrumb back up.
#[component]
fn BrowseTab(state: BrowseState) -> impl IntoView {
    let crumbs = move || {
        let series = state.series.get();
        let event = state.event.get();
        view! {
            <div class="crumbs" data-testid="browse-crumbs">
                <button type="button" class="crumb" data-testid="crumb-all" on:click=move |_| { state.series.set(None); state.event.set(None); }>
                    "All series"
                </button>
                {series.clone().map(|s| view! {
                    <span class="muted">" › "</span>
                    <button type="button" class="crumb" data-testid="crumb-series" on:click=move |_| state.event.set(None)>
                        {s.ticker.clone()}
                    </button>
                })}
                {event.map(|e| view! {
                    <span class="muted">" › "</span>
                    <span class="crumb current" data-testid="crumb-event">{e.event_ticker.clone()}</span>
                })}
            </div>
        }
    };
    view! {
        {crumbs}
        {move || match (state.series.get(), state.event.get()) {
            (None, _) => view! { <SeriesPicker state=state/> }.into_any(),
            (Some(s), None) => view! { <EventPicker state=state series=s/> }.into_any(),
            (Some(_), Some(e)) => view! { <EventMarkets event=e/> }.into_any(),
        }}
    }
}

/// Series of a category (GetSeriesList).
#[component]
fn SeriesPicker(state: BrowseState) -> impl IntoView {
    let all = LocalResource::new(|| api::series(None));
    let shown = LocalResource::new(move || {
        let c = state.category.get();
        async move { api::series(Some(&c)).await }
    });
    let category_options = move || {
        all.get()
            .and_then(Result::ok)
            .map(|l| categories(&l.series))
            .unwrap_or_default()
    };
    view! {
        <div class="finder-form">
            <select
                data-testid="browse-category"
                on:change=move |ev| state.category.set(event_target_value(&ev))
            >
                <option value="" selected=move || state.category.with(String::is_empty)>"All categories"</option>
                <For each=category_options key=|c| c.clone() let:c>
                    {
                        let value = c.clone();
                        view! { <option value=c.clone() selected=move || state.category.with(|x| *x == value)>{c.clone()}</option> }
                    }
                </For>
            </select>
        </div>
        <LoadStatus resource=shown what="series"/>
        <div class="market-list" data-testid="series-list">
            {move || shown.get().and_then(Result::ok).map(|l| l.series.into_iter().map(|s| {
                let pick = s.clone();
                view! {
                    <div class="browse-row" data-testid="series-row" data-ticker=s.ticker.clone() on:click=move |_| state.series.set(Some(pick.clone()))>
                        <span class="m-ticker">{s.ticker.clone()}</span>
                        <span class="muted cat">{s.category.clone()}</span>
                        <span class="m-title">{s.title.clone()}</span>
                    </div>
                }
            }).collect_view())}
        </div>
    }
}

/// A series' events (GetEvents), paged with Kalshi cursors.
#[component]
fn EventPicker(state: BrowseState, series: SeriesView) -> impl IntoView {
    let events = RwSignal::new(Vec::<EventView>::new());
    let cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ticker = StoredValue::new(series.ticker.clone());
    let load = move |next: Option<String>| {
        loading.set(true);
        spawn_local(async move {
            let t = ticker.get_value();
            match api::events(&t, next.as_deref()).await {
                Ok(page) => {
                    error.set(None);
                    events.update(|l| l.extend(page.events));
                    cursor.set(page.cursor);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            loading.set(false);
        });
    };
    load(None);
    view! {
        <div class="browse-title">
            <span class="pane-title">{series.title.clone()}</span>
            <span class="muted">{format!(" · {} · {}", series.category, series.frequency)}</span>
        </div>
        <div class="market-list" data-testid="event-list">
            <For each=move || events.get() key=|e| e.event_ticker.clone() let:e>
                {
                    let pick = e.clone();
                    view! {
                        <div class="browse-row" data-testid="event-row" data-ticker=e.event_ticker.clone() on:click=move |_| state.event.set(Some(pick.clone()))>
                            <span class="m-ticker">{e.event_ticker.clone()}</span>
                            <span class="muted cat">{format!("{} markets", e.market_count)}</span>
                            <span class="m-title">{format!("{} {}", e.title, e.sub_title)}</span>
                        </div>
                    }
                }
            </For>
            <Show when=move || !loading.get() && events.with(Vec::is_empty)>
                <div class="empty">"No events in this series."</div>
            </Show>
            {move || error.get().map(|e| view! { <div class="load-error">{e}</div> })}
        </div>
        <Show when=move || cursor.with(Option::is_some)>
            <button class="btn btn-ghost load-more" data-testid="events-more" disabled=move || loading.get()
                on:click=move |_| load(cursor.get_untracked())>
                "Load more events"
            </button>
        </Show>
    }
}

/// An event's markets, every status.
#[component]
fn EventMarkets(event: EventView) -> impl IntoView {
    let paged = Paged::new();
    paged.load(
        MarketSearch {
            event_ticker: Some(event.event_ticker.clone()),
            status: Some("any".to_owned()),
            limit: Some(100),
            ..MarketSearch::default()
        },
        false,
    );
    let data = crate::state::use_market();
    let ticker = shared::ids::EventTicker::from(event.event_ticker.as_str());
    view! {
        <div class="browse-title">
            <span class="pane-title">{event.title.clone()}</span>
            <span class="muted">{format!(" · {}", event.sub_title)}</span>
            <button type="button" class="btn btn-small" data-testid="event-board-open"
                title="Every market of this event in one live board"
                on:click=move |_| data.open_board(ticker.clone())>
                "Event board"
            </button>
        </div>
        <MarketRows paged=paged empty="This event has no markets."/>
    }
}

/// The Watchlist tab: the starred markets, live.
#[component]
fn WatchTab() -> impl IntoView {
    let watch = use_watchlist();
    let market = crate::state::use_market();
    let paged = Paged::new();
    Effect::new(move |_| {
        let list = watch.tickers();
        if list.is_empty() {
            paged.markets.set(Vec::new());
            paged.cursor.set(None);
            return;
        }
        let tickers = list
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        paged.load(
            MarketSearch {
                tickers: Some(tickers),
                status: Some("any".to_owned()),
                limit: Some(100),
                ..MarketSearch::default()
            },
            false,
        );
    });
    view! {
        <div class="pane-head">
            <span class="pane-title">"Watchlist"</span>
            <span class="muted">"saved in this browser"</span>
            <span class="spacer"></span>
            <button type="button" class="btn btn-small" data-testid="grid-open"
                title="A small live ladder of each starred market"
                disabled=move || watch.is_empty()
                on:click=move |_| market.open_grid(watch.tickers())>
                "Grid"
            </button>
        </div>
        <MarketRows paged=paged empty="Star a market (☆) to keep it here."/>
    }
}

/// One market row; live quotes from `ticker` frames win over the REST snapshot.
#[component]
fn MarketRow(market: Market) -> impl IntoView {
    let data = use_market();
    let ticker = market.ticker.clone();
    let live = {
        let ticker = ticker.clone();
        Memo::new(move |_| data.tickers.with(|t| t.get(&ticker).cloned()))
    };
    let m = StoredValue::new(market);
    let bid = move || {
        opt_price(
            live.with(|l| l.as_ref().and_then(|l| l.yes_bid_dollars))
                .or(m.with_value(|m| m.yes_bid_dollars)),
        )
    };
    let ask = move || {
        opt_price(
            live.with(|l| l.as_ref().and_then(|l| l.yes_ask_dollars))
                .or(m.with_value(|m| m.yes_ask_dollars)),
        )
    };
    let last = move || {
        // Kalshi sends $0 as the last price of a market that never traded: shown as "—".
        let volume = live
            .with(|l| l.as_ref().and_then(|l| l.volume_fp))
            .or(m.with_value(|m| m.volume_fp));
        let price = live
            .with(|l| l.as_ref().and_then(|l| l.price_dollars))
            .or(m.with_value(|m| m.last_price_dollars));
        opt_price(price.filter(|_| volume.is_some_and(|v| v.raw() > 0)))
    };
    let vol = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.volume_fp))
            .or(m.with_value(|m| m.volume_fp)))
    };
    let is_selected = {
        let ticker = ticker.clone();
        move || data.selected.with(|s| s.as_ref() == Some(&ticker))
    };
    let select = {
        let ticker = ticker.clone();
        move |_| data.select(ticker.clone())
    };
    let title = m.with_value(|m| m.title.clone());
    let hover = title.clone();
    let tradable = m.with_value(|m| m.status.is_tradable());
    let status = m.with_value(|m| crate::components::market_view::status_text(m.status));

    view! {
        <div
            class="market-row"
            class:selected=is_selected
            class:closed=!tradable
            data-testid="market-row"
            data-ticker=ticker.to_string()
            data-status=status
            title=hover
            on:click=select
        >
            <span class="m-ticker"><WatchStar ticker=ticker.clone()/>{ticker.to_string()}</span>
            <span class="num bid">{bid}</span>
            <span class="num ask">{ask}</span>
            <span class="m-title">{title}</span>
            <span class="num">{last}</span>
            <span class="num muted">{vol}</span>
        </div>
    }
}
