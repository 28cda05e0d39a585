//! The watchlist: starred market tickers, kept in the browser's `localStorage` under
//! [`STORAGE_KEY`] (a JSON array of tickers) so it survives reloads. Provided as context by
//! [`Watchlist::install`]; the star buttons and the finder's Watchlist tab read it.

use leptos::prelude::*;
use shared::ids::MarketTicker;

/// The `localStorage` key.
pub const STORAGE_KEY: &str = "kalshi-desk.watchlist";

/// Most tickers kept (the backend's `tickers` query takes 100).
pub const MAX_WATCHED: usize = 100;

/// Starred markets, in the order they were starred. `Copy`; get it with [`use_watchlist`].
#[derive(Clone, Copy)]
pub struct Watchlist(RwSignal<Vec<MarketTicker>>);

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load() -> Vec<MarketTicker> {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str::<Vec<MarketTicker>>(&text).ok())
        .map(|list| {
            list.into_iter()
                .filter(MarketTicker::is_well_formed)
                .take(MAX_WATCHED)
                .collect()
        })
        .unwrap_or_default()
}

fn save(list: &[MarketTicker]) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(list)) {
        if let Err(e) = s.set_item(STORAGE_KEY, &text) {
            leptos::logging::warn!("saving the watchlist failed: {e:?}");
        }
    }
}

impl Watchlist {
    /// Loads the saved list, provides it as context, and saves every change.
    pub fn install() -> Watchlist {
        let list = Watchlist(RwSignal::new(load()));
        provide_context(list);
        Effect::new(move |_| list.0.with(|l| save(l)));
        list
    }

    /// The starred tickers (tracked).
    pub fn tickers(&self) -> Vec<MarketTicker> {
        self.0.get()
    }

    /// How many are starred (tracked).
    pub fn len(&self) -> usize {
        self.0.with(Vec::len)
    }

    /// True when nothing is starred (tracked).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `ticker` is starred (tracked).
    pub fn contains(&self, ticker: &MarketTicker) -> bool {
        self.0.with(|l| l.contains(ticker))
    }

    /// Stars or unstars `ticker`.
    pub fn toggle(&self, ticker: &MarketTicker) {
        self.0.update(|l| {
            if let Some(i) = l.iter().position(|t| t == ticker) {
                l.remove(i);
            } else if l.len() < MAX_WATCHED {
                l.push(ticker.clone());
            }
        });
    }
}

/// The watchlist from context.
pub fn use_watchlist() -> Watchlist {
    use_context::<Watchlist>()
        .expect("Watchlist is installed by the desk page before the finder renders")
}

/// A star button that adds `ticker` to the watchlist or removes it.
#[component]
pub fn WatchStar(ticker: MarketTicker) -> impl IntoView {
    let list = use_watchlist();
    let t = StoredValue::new(ticker);
    let on = move || t.with_value(|t| list.contains(t));
    view! {
        <button
            type="button"
            class="star"
            class:on=on
            data-testid="watch-toggle"
            data-ticker=t.with_value(ToString::to_string)
            data-on=move || if on() { "true" } else { "false" }
            title=move || if on() { "Remove from the watchlist" } else { "Add to the watchlist" }
            on:click=move |ev| {
                ev.stop_propagation();
                t.with_value(|t| list.toggle(t));
            }
        >
            {move || if on() { "★" } else { "☆" }}
        </button>
    }
}
