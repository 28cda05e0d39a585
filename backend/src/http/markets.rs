//! `/api/status`, finding markets (`/api/markets`, `/api/series`, `/api/events`), one market
//! (`/api/markets/{ticker}`) and its candles (`/api/markets/{ticker}/candles`), and one
//! event's board (`/api/events/{event_ticker}`).

use std::collections::HashSet;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::ops;
use shared::api::schema::GetEventsQueryStatus;
use shared::board::{self, BoardMarket, EventBoardView};
use shared::ids::{EventTicker, MarketTicker, SeriesTicker};
use shared::protocol::{
    CandlePeriod, CandleView, CandlesView, DeskStatus, EventView, EventsPage, MarketSearch,
    MarketsPage, SeriesList, SeriesView, CANDLES_SHOWN,
};
use shared::rest::{Market, StatusFilter};
use shared::ws::TickerMsg;

use super::{AppState, Error, Result};
use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .route("/markets", get(markets))
        .route("/markets/{ticker}", get(market))
        .route("/markets/{ticker}/candles", get(candles))
        .route("/series", get(series))
        .route("/events", get(events))
        .route("/events/{event_ticker}", get(event_board))
}

/// `GET /api/status` → [`DeskStatus`].
async fn status(State(hub): State<Hub>, State(kalshi): State<KalshiClient>) -> Json<DeskStatus> {
    let trading_active = match hub.exchange() {
        Some(view) => view.trading_active,
        None => kalshi
            .exchange_status()
            .await
            .map(|s| s.trading_active && s.exchange_active)
            .unwrap_or(false),
    };
    Json(DeskStatus {
        environment: hub.environment(),
        upstream: hub.upstream_state(),
        trading_active,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Default markets per Kalshi page.
const DEFAULT_LIMIT: u32 = 50;
/// Most markets per Kalshi page the browser may ask for.
const MAX_LIMIT: u32 = 200;
/// Most Kalshi pages one filtered search reads before answering with its cursor.
const MAX_SCAN_PAGES: usize = 10;
/// Longest text query, bytes.
const MAX_TEXT: usize = 100;

/// Which statuses the search keeps: one of Kalshi's filters, or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    One(StatusFilter),
    Any,
}

fn checked_id(raw: &str, what: &'static str) -> Result<String> {
    if MarketTicker::from(raw).is_well_formed() {
        Ok(raw.to_owned())
    } else {
        Err(Error::bad_request(
            "bad_ticker",
            format!("not a {what}: {raw:?}"),
        ))
    }
}

/// A cursor the desk's directory gave ([`crate::live::directory`]): this prefix and the
/// last market ticker of the page (Kalshi's own cursors never start with it).
const DIRECTORY_CURSOR: &str = "desk:";
/// Most tickers one GetMarkets `tickers=` read asks for.
const TICKERS_PER_READ: usize = 100;

/// A checked [`MarketSearch`]: what goes to Kalshi and what the desk filters itself.
struct Search {
    upstream: Vec<(&'static str, String)>,
    limit: u32,
    local_status: Option<StatusFilter>,
    words: Vec<String>,
    category: Option<String>,
    /// Open markets only, with no filter the directory lacks (tickers, close times) and no
    /// Kalshi cursor: the directory can answer.
    for_directory: bool,
    series: Option<String>,
    event: Option<String>,
    /// The directory cursor's ticker.
    after: Option<String>,
}

impl Search {
    fn new(q: MarketSearch) -> Result<Search> {
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::bad_request(
                "bad_limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let wanted = match q.status.as_deref().map(str::trim) {
            None | Some("") => Wanted::One(StatusFilter::Open),
            Some("any") => Wanted::Any,
            Some(s) => Wanted::One(StatusFilter::parse(s).ok_or_else(|| {
                Error::bad_request(
                    "bad_status",
                    "status must be unopened, open, paused, closed, settled or any",
                )
            })?),
        };
        let text = q.q.unwrap_or_default();
        if text.len() > MAX_TEXT {
            return Err(Error::bad_request(
                "bad_query",
                format!("search text is limited to {MAX_TEXT} characters"),
            ));
        }
        let words = text
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>();
        let category = q
            .category
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if category.as_ref().is_some_and(|c| c.len() > MAX_TEXT) {
            return Err(Error::bad_request("bad_category", "category is too long"));
        }
        let mut upstream: Vec<(&'static str, String)> = vec![("limit", limit.to_string())];
        let mut after = None;
        let mut kalshi_cursor = false;
        if let Some(c) = q.cursor.filter(|c| !c.is_empty()) {
            match c.strip_prefix(DIRECTORY_CURSOR) {
                Some(t) => after = Some(checked_id(t, "market ticker")?),
                None => {
                    kalshi_cursor = true;
                    upstream.push(("cursor", c));
                }
            }
        }
        let series = q
            .series_ticker
            .filter(|s| !s.is_empty())
            .map(|s| checked_id(&s, "series ticker"))
            .transpose()?;
        if let Some(s) = &series {
            upstream.push(("series_ticker", s.clone()));
        }
        let event = q
            .event_ticker
            .filter(|s| !s.is_empty())
            .map(|e| checked_id(&e, "event ticker"))
            .transpose()?;
        if let Some(e) = &event {
            upstream.push(("event_ticker", e.clone()));
        }
        let by_tickers = q.tickers.as_ref().is_some_and(|t| !t.is_empty());
        if let Some(t) = q.tickers.filter(|s| !s.is_empty()) {
            let list = t
                .split(',')
                .map(|t| checked_id(t.trim(), "market ticker"))
                .collect::<Result<Vec<_>>>()?;
            if list.len() > 100 {
                return Err(Error::bad_request("bad_tickers", "at most 100 tickers"));
            }
            upstream.push(("tickers", list.join(",")));
        }
        // Kalshi combines close-time filters only with `closed` or no status: with another
        // status the desk asks by close time and keeps that status itself.
        let by_close = q.min_close_ts.is_some() || q.max_close_ts.is_some();
        if let Some(t) = q.min_close_ts {
            upstream.push(("min_close_ts", t.to_string()));
        }
        if let Some(t) = q.max_close_ts {
            upstream.push(("max_close_ts", t.to_string()));
        }
        let mut local_status = None;
        if let Wanted::One(s) = wanted {
            if by_close && s != StatusFilter::Closed {
                local_status = Some(s);
            } else {
                upstream.push(("status", s.as_str().to_owned()));
            }
        }
        let for_directory = wanted == Wanted::One(StatusFilter::Open)
            && !by_close
            && !by_tickers
            && !kalshi_cursor
            && (!words.is_empty() || category.is_some());
        Ok(Search {
            upstream,
            limit,
            local_status,
            words,
            category,
            for_directory,
            series,
            event,
            after,
        })
    }

    fn query(&self, cursor: Option<&str>) -> String {
        self.upstream
            .iter()
            .filter(|(k, _)| cursor.is_none() || *k != "cursor")
            .map(|(k, v)| (*k, v.as_str()))
            .chain(cursor.map(|c| ("cursor", c)))
            .map(|(k, v)| format!("{k}={}", shared::api::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn filters_locally(&self) -> bool {
        self.local_status.is_some() || !self.words.is_empty() || self.category.is_some()
    }

    fn keeps(&self, m: &Market, series: Option<&HashSet<String>>) -> bool {
        let status_ok = self.local_status.is_none_or(|s| s.matches(m.status));
        let series_ok = series.is_none_or(|set| set.contains(m.event_ticker.series()));
        let text_ok = self.words.is_empty() || {
            let hay = crate::live::directory::search_words(m);
            self.words.iter().all(|w| hay.contains(w.as_str()))
        };
        status_ok && series_ok && text_ok
    }
}

/// `GET /api/markets?`[`MarketSearch`] → [`MarketsPage`] (GetMarkets).
///
/// Without text, category or a status that Kalshi cannot combine with a close-time filter,
/// one Kalshi page is passed through. Otherwise the desk reads Kalshi pages (each
/// `limit` markets) until it has `limit` matches, the list ends, or it has read
/// [`MAX_SCAN_PAGES`] pages, and answers with every match of the pages it read and the
/// Kalshi cursor after the last one (so no market is skipped or repeated). `category`
/// becomes the series of that category (GetSeriesList).
///
/// A search of open markets by text or category is answered from the desk's directory of
/// every open market once it has been read ([`from_directory`]); its cursor is the
/// directory's. A directory cursor while the directory is unread starts over.
async fn markets(
    State(kalshi): State<KalshiClient>,
    State(hub): State<Hub>,
    Query(q): Query<MarketSearch>,
) -> Result<Json<MarketsPage>> {
    let search = Search::new(q)?;
    let series = match &search.category {
        Some(category) => {
            let query = ops::GetSeriesListQuery {
                category: Some(category.clone()),
                ..Default::default()
            };
            let list = kalshi
                .send::<ops::GetSeriesList>(&shared::api::NoPath, &query, None)
                .await?;
            Some(
                list.series
                    .into_iter()
                    .map(|s| s.ticker.to_string())
                    .collect::<HashSet<_>>(),
            )
        }
        None => None,
    };
    if !search.filters_locally() {
        let page = kalshi.markets_where(&search.query(None)).await?;
        return Ok(Json(MarketsPage {
            markets: page.markets,
            cursor: Some(page.cursor).filter(|c| !c.is_empty()),
        }));
    }
    if search.for_directory {
        if let Some(page) = from_directory(&hub, &kalshi, &search, series.as_ref()).await? {
            return Ok(Json(page));
        }
    }
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_SCAN_PAGES {
        let page = kalshi
            .markets_where(&search.query(cursor.as_deref()))
            .await?;
        found.extend(
            page.markets
                .into_iter()
                .filter(|m| search.keeps(m, series.as_ref())),
        );
        cursor = Some(page.cursor).filter(|c| !c.is_empty());
        if cursor.is_none() || found.len() >= search.limit as usize {
            break;
        }
    }
    Ok(Json(MarketsPage {
        markets: found,
        cursor,
    }))
}

/// The page of `search` from the directory: its next `limit` matches, read from Kalshi
/// (GetMarkets `tickers=`, at most [`TICKERS_PER_READ`] a read, `status=open`: a market
/// that closed since the directory read it is left out), with a directory cursor when
/// more follow. `None` while the directory is unread.
async fn from_directory(
    hub: &Hub,
    kalshi: &KalshiClient,
    search: &Search,
    series_in: Option<&HashSet<String>>,
) -> Result<Option<MarketsPage>> {
    let filter = crate::live::directory::Filter {
        series: search.series.as_deref(),
        event: search.event.as_deref(),
        series_in,
    };
    let Some(found) = hub.directory().search(
        &search.words,
        filter,
        search.after.as_deref(),
        search.limit as usize,
    ) else {
        return Ok(None);
    };
    let mut markets = Vec::with_capacity(found.tickers.len());
    for chunk in found.tickers.chunks(TICKERS_PER_READ) {
        let tickers: Vec<&str> = chunk.iter().map(MarketTicker::as_str).collect();
        let query = format!(
            "status=open&limit={}&tickers={}",
            chunk.len(),
            shared::api::percent_encode(&tickers.join(","))
        );
        markets.extend(kalshi.markets_where(&query).await?.markets);
    }
    markets.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok(Some(MarketsPage {
        markets,
        cursor: found.next.map(|t| format!("{DIRECTORY_CURSOR}{t}")),
    }))
}

/// Checks a ticker from the browser before it goes anywhere.
pub(super) fn checked_ticker(raw: String) -> Result<MarketTicker> {
    let t = MarketTicker(raw);
    if t.is_well_formed() {
        Ok(t)
    } else {
        Err(Error::bad_request("bad_ticker", "not a market ticker"))
    }
}

/// `GET /api/markets/{ticker}` → [`Market`] (GetMarket).
async fn market(
    State(kalshi): State<KalshiClient>,
    Path(ticker): Path<String>,
) -> Result<Json<Market>> {
    let ticker = checked_ticker(ticker)?;
    Ok(Json(kalshi.market(&ticker).await?.market))
}

#[derive(Debug, Deserialize)]
struct SeriesQuery {
    category: Option<String>,
}

/// `GET /api/series[?category=]` → [`SeriesList`] (GetSeriesList), sorted by ticker.
async fn series(
    State(kalshi): State<KalshiClient>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<SeriesList>> {
    let category = q.category.filter(|c| !c.trim().is_empty());
    if category.as_ref().is_some_and(|c| c.len() > MAX_TEXT) {
        return Err(Error::bad_request("bad_category", "category is too long"));
    }
    let query = ops::GetSeriesListQuery {
        category,
        ..Default::default()
    };
    let list = kalshi
        .send::<ops::GetSeriesList>(&shared::api::NoPath, &query, None)
        .await?;
    let mut series: Vec<SeriesView> = list
        .series
        .into_iter()
        .map(|s| SeriesView {
            ticker: s.ticker.to_string(),
            title: s.title,
            category: s.category,
            tags: s.tags,
            frequency: s.frequency,
        })
        .collect();
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok(Json(SeriesList { series }))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    series_ticker: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/events?series_ticker=&status=&cursor=&limit=` → [`EventsPage`] (GetEvents with
/// nested markets, so each event says how many markets it has). `status` is `open`,
/// `closed`, `settled`, `unopened` or absent/`any` for all.
async fn events(
    State(kalshi): State<KalshiClient>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::bad_request(
            "bad_limit",
            "limit must be between 1 and 200",
        ));
    }
    let status = match q.status.as_deref() {
        None | Some("" | "any") => None,
        Some("open") => Some(GetEventsQueryStatus::Open),
        Some("closed") => Some(GetEventsQueryStatus::Closed),
        Some("settled") => Some(GetEventsQueryStatus::Settled),
        Some("unopened") => Some(GetEventsQueryStatus::Unopened),
        Some(_) => {
            return Err(Error::bad_request(
                "bad_status",
                "status must be unopened, open, closed, settled or any",
            ))
        }
    };
    let series_ticker = match q.series_ticker.filter(|s| !s.is_empty()) {
        Some(s) => Some(SeriesTicker::from(checked_id(&s, "series ticker")?)),
        None => None,
    };
    let query = ops::GetEventsQuery {
        limit: Some(i64::from(limit)),
        cursor: q.cursor.filter(|c| !c.is_empty()),
        with_nested_markets: Some(true),
        status,
        series_ticker,
        ..Default::default()
    };
    let page = kalshi
        .send::<ops::GetEvents>(&shared::api::NoPath, &query, None)
        .await?;
    let events = page
        .events
        .into_iter()
        .map(|e| EventView {
            market_count: e.markets.as_ref().map_or(0, Vec::len),
            event_ticker: e.event_ticker.to_string(),
            series_ticker: e.series_ticker.to_string(),
            title: e.title,
            sub_title: e.sub_title,
            category: e.category,
        })
        .collect();
    Ok(Json(EventsPage {
        events,
        cursor: Some(page.cursor).filter(|c| !c.is_empty()),
    }))
}

/// `GET /api/events/{event_ticker}` → [`EventBoardView`]: the event with every market of
/// it and each market's best YES bid and ask (with sizes), last price and volume, by strike
/// (Kalshi's `GetEvent`, `with_nested_markets=true`: one read). The browser then marks the
/// open markets (`marks`) to keep the board live from their tickers.
///
/// # Errors
/// 400 `bad_ticker` for a malformed event ticker; Kalshi's 404 when it has no such event.
async fn event_board(
    State(kalshi): State<KalshiClient>,
    Path(event_ticker): Path<String>,
) -> Result<Json<EventBoardView>> {
    let event_ticker = EventTicker::from(checked_id(&event_ticker, "event ticker")?);
    let read = kalshi
        .send::<ops::GetEvent>(
            &ops::GetEventPath { event_ticker },
            &ops::GetEventQuery {
                with_nested_markets: Some(true),
            },
            None,
        )
        .await?;
    let event = read.event;
    // Nested when asked for; older answers list them beside the event.
    let markets = event
        .markets
        .filter(|m| !m.is_empty())
        .unwrap_or(read.markets);
    let mut markets: Vec<BoardMarket> = markets.into_iter().map(board_market).collect();
    board::sort_markets(&mut markets);
    Ok(Json(EventBoardView {
        event_ticker: event.event_ticker,
        series_ticker: event.series_ticker,
        title: event.title,
        sub_title: event.sub_title,
        mutually_exclusive: event.mutually_exclusive,
        markets,
    }))
}

/// A board row from Kalshi's `Market`: its ticker fields as they were when read.
fn board_market(m: shared::api::schema::Market) -> BoardMarket {
    BoardMarket {
        label: if m.yes_sub_title.is_empty() {
            m.title.clone().unwrap_or_default()
        } else {
            m.yes_sub_title.clone()
        },
        open: m.status.is_tradable(),
        strike_type: m.strike_type,
        floor_strike: m.floor_strike,
        cap_strike: m.cap_strike,
        ticker: TickerMsg {
            market_ticker: m.ticker.clone(),
            price_dollars: Some(m.last_price_dollars),
            yes_bid_dollars: Some(m.yes_bid_dollars),
            yes_ask_dollars: Some(m.yes_ask_dollars),
            yes_bid_size_fp: Some(m.yes_bid_size_fp),
            yes_ask_size_fp: Some(m.yes_ask_size_fp),
            volume_fp: Some(m.volume_fp),
            open_interest_fp: Some(m.open_interest_fp),
            ..TickerMsg::default()
        },
        market_ticker: m.ticker,
    }
}

#[derive(Debug, Deserialize)]
struct CandlesQuery {
    period: Option<String>,
    series_ticker: Option<String>,
}

/// Unix seconds now.
fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `GET /api/markets/{ticker}/candles?period=1m|1h|1d[&series_ticker=]` → [`CandlesView`]:
/// the last [`CANDLES_SHOWN`] periods (GetMarketCandlesticks). The series defaults to the
/// ticker's first segment (Kalshi tickers start with their series ticker).
async fn candles(
    State(kalshi): State<KalshiClient>,
    Path(ticker): Path<String>,
    Query(q): Query<CandlesQuery>,
) -> Result<Json<CandlesView>> {
    let ticker = checked_ticker(ticker)?;
    let period = match q.period.as_deref() {
        None | Some("") => CandlePeriod::Minute,
        Some(p) => CandlePeriod::parse(p)
            .ok_or_else(|| Error::bad_request("bad_period", "period must be 1m, 1h or 1d"))?,
    };
    let series = match q.series_ticker.filter(|s| !s.is_empty()) {
        Some(s) => checked_id(&s, "series ticker")?,
        None => ticker
            .as_str()
            .split('-')
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let span = period.minutes() * 60;
    let end = (now_s().div_euclid(span) + 1) * span;
    let path = ops::GetMarketCandlesticksPath {
        series_ticker: SeriesTicker::from(series),
        ticker: ticker.clone(),
    };
    let query = ops::GetMarketCandlesticksQuery {
        start_ts: end - span * CANDLES_SHOWN,
        end_ts: end,
        period_interval: period.minutes(),
        include_latest_before_start: None,
    };
    let answer = kalshi
        .send::<ops::GetMarketCandlesticks>(&path, &query, None)
        .await?;
    let candles = answer
        .candlesticks
        .into_iter()
        .filter_map(|c| {
            let p = c.price;
            Some(CandleView {
                end_ts: c.end_period_ts,
                open: p.open_dollars?,
                high: p.high_dollars?,
                low: p.low_dollars?,
                close: p.close_dollars?,
                volume: c.volume_fp,
                open_interest: c.open_interest_fp,
            })
        })
        .collect();
    Ok(Json(CandlesView {
        market_ticker: ticker,
        period,
        candles,
    }))
}
