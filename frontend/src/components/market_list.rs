//! Left pane: the market list with a text filter; clicking a row opens the market.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::MarketsPage;
use shared::rest::Market;

use crate::api;
use crate::components::load_status::LoadStatus;
use crate::format::opt;
use crate::state::use_desk;

/// Markets per page.
const PAGE: u32 = 200;

/// Market list with filter and "load more".
#[component]
pub fn MarketList() -> impl IntoView {
    let first = LocalResource::new(|| api::markets(PAGE, None));
    let markets = RwSignal::new(Vec::<Market>::new());
    let cursor = RwSignal::new(None::<String>);
    let more_error = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let filter = RwSignal::new(String::new());

    let absorb = move |page: MarketsPage, replace: bool| {
        markets.update(|list| {
            if replace {
                list.clear();
            }
            for m in page.markets {
                if list.iter().all(|x| x.ticker != m.ticker) {
                    list.push(m);
                }
            }
        });
        cursor.set(page.cursor.filter(|c| !c.is_empty()));
    };
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            absorb(page, true);
        }
    });
    let load_more = move |_| {
        let Some(c) = cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        spawn_local(async move {
            match api::markets(PAGE, Some(&c)).await {
                Ok(page) => {
                    more_error.set(None);
                    absorb(page, false);
                }
                Err(e) => more_error.set(Some(e.to_string())),
            }
            loading_more.set(false);
        });
    };

    let shown = Memo::new(move |_| {
        let needle = filter.get().trim().to_lowercase();
        markets.with(|list| {
            list.iter()
                .filter(|m| {
                    needle.is_empty()
                        || m.ticker.as_str().to_lowercase().contains(&needle)
                        || m.title.to_lowercase().contains(&needle)
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    view! {
        <div class="market-list-pane">
            <div class="pane-head">
                <span class="pane-title">"Markets"</span>
                <span class="muted">{move || format!("{} / {}", shown.with(Vec::len), markets.with(Vec::len))}</span>
            </div>
            <input
                class="filter"
                data-testid="market-filter"
                type="search"
                placeholder="Filter ticker or title…"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            <LoadStatus resource=first what="markets"/>
            <div class="market-list" data-testid="market-list">
                <div class="market-row market-row-head">
                    <span>"Market"</span>
                    <span class="num">"YES bid"</span>
                    <span class="num">"YES ask"</span>
                    <span></span>
                    <span class="num">"Last"</span>
                    <span class="num">"Volume"</span>
                </div>
                <For each=move || shown.get() key=|m| m.ticker.clone() let:market>
                    <MarketRow market=market/>
                </For>
                <Show when=move || markets.with(|l| !l.is_empty()) && shown.with(Vec::is_empty)>
                    <div class="empty">"No market matches the filter."</div>
                </Show>
            </div>
            <Show when=move || cursor.with(Option::is_some)>
                <button class="btn btn-ghost load-more" data-testid="markets-more" disabled=move || loading_more.get() on:click=load_more>
                    {move || if loading_more.get() { "Loading…" } else { "Load more markets" }}
                </button>
            </Show>
            {move || more_error.get().map(|e| view! { <div class="load-error">{e}</div> })}
        </div>
    }
}

/// One market row; live quotes from `ticker` frames win over the REST snapshot.
#[component]
fn MarketRow(market: Market) -> impl IntoView {
    let desk = use_desk();
    let ticker = market.ticker.clone();
    let live = {
        let ticker = ticker.clone();
        Memo::new(move |_| desk.tickers.with(|t| t.get(&ticker).cloned()))
    };
    let m = StoredValue::new(market);
    let bid = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.yes_bid_dollars))
            .or(m.with_value(|m| m.yes_bid_dollars)))
    };
    let ask = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.yes_ask_dollars))
            .or(m.with_value(|m| m.yes_ask_dollars)))
    };
    let last = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.price_dollars))
            .or(m.with_value(|m| m.last_price_dollars)))
    };
    let vol = move || {
        opt(live
            .with(|l| l.as_ref().and_then(|l| l.volume_fp))
            .or(m.with_value(|m| m.volume_fp)))
    };
    let is_selected = {
        let ticker = ticker.clone();
        move || desk.selected.with(|s| s.as_ref() == Some(&ticker))
    };
    let select = {
        let ticker = ticker.clone();
        move |_| desk.select(ticker.clone())
    };
    let title = m.with_value(|m| m.title.clone());
    let hover = title.clone();
    let tradable = m.with_value(|m| m.status.is_tradable());

    view! {
        <div
            class="market-row"
            class:selected=is_selected
            class:closed=!tradable
            data-testid="market-row"
            data-ticker=ticker.to_string()
            title=hover
            on:click=select
        >
            <span class="m-ticker">{ticker.to_string()}</span>
            <span class="num bid">{bid}</span>
            <span class="num ask">{ask}</span>
            <span class="m-title">{title}</span>
            <span class="num">{last}</span>
            <span class="num muted">{vol}</span>
        </div>
    }
}
