//! Finding markets on the built-in exchange: GetMarkets with its filters, GetSeriesList,
//! GetSeries, GetEvents, GetEvent, and GetMarketCandlesticks (candles from the exchange's
//! own trades, [`super::engine::candles`]). Shapes and parameters per `kalshi-openapi.yaml`
//! 3.31; malformed parameters are a Kalshi-shaped 400, unknown tickers a 404.

use std::ops::Bound;

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::api::ops;
use shared::api::schema::{
    BidAskDistribution, EventData, FeeType, GetEventResponse, GetEventsResponse,
    GetMarketCandlesticksResponse, GetSeriesListResponse, GetSeriesResponse, MarketCandlestick,
    PriceDistribution, Series,
};
use shared::api::schema::{
    GetEventsQueryStatus, GetMarketsQueryMveFilter, GetMarketsQueryStatus, GetMarketsResponse,
};
use shared::ids::{EventTicker, MarketTicker, SeriesTicker};
use shared::num::Count;
use shared::rest::StatusFilter;

use super::engine::candles::{Candle, Ohlc};
use super::engine::MarketState;
use super::error::{Result, SimError};
use super::markets::{EventSeed, SeriesSeed};
use super::rest::{comma_list, page_limit, KalshiQuery};
use super::Sim;

/// Most candles one GetMarketCandlesticks call may span.
pub const MAX_CANDLES: i64 = 5_000;

/// A market's `close_time` as Unix seconds (`None` when absent or unreadable).
fn close_ts(m: &MarketState) -> Option<i64> {
    let text = Some(m.info.close_time.as_str()).filter(|t| !t.is_empty())?;
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// The 400 for a `status` outside `allowed`.
fn bad_status(allowed: &[StatusFilter]) -> SimError {
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    SimError::BadRequest(format!("status must be one of {}", names.join(", ")))
}

/// `GET /markets` (GetMarkets): `limit` (1–1000, default 100), `cursor`, `status` (one of
/// `unopened`, `open`, `paused`, `closed`, `settled`), `event_ticker`, `series_ticker`,
/// `tickers`, `min_close_ts`/`max_close_ts` (only with `status=closed` or no status, as
/// Kalshi documents), `mve_filter` (`only`/`exclude`); ordered by ticker, cursor = the
/// last ticker returned.
pub async fn get_markets(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetMarketsQuery>,
) -> Result<Json<GetMarketsResponse>> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let status = match q.status {
        None => None,
        Some(GetMarketsQueryStatus::Unopened) => Some(StatusFilter::Unopened),
        Some(GetMarketsQueryStatus::Open) => Some(StatusFilter::Open),
        Some(GetMarketsQueryStatus::Paused) => Some(StatusFilter::Paused),
        Some(GetMarketsQueryStatus::Closed) => Some(StatusFilter::Closed),
        Some(GetMarketsQueryStatus::Settled) => Some(StatusFilter::Settled),
        Some(GetMarketsQueryStatus::Unknown) => return Err(bad_status(&StatusFilter::ALL)),
    };
    let (min_close, max_close) = (q.min_close_ts, q.max_close_ts);
    if (min_close.is_some() || max_close.is_some())
        && status.is_some_and(|s| s != StatusFilter::Closed)
    {
        return Err(SimError::BadRequest(
            "min_close_ts and max_close_ts combine only with status=closed or no status".to_owned(),
        ));
    }
    let mve = match q.mve_filter {
        None => None,
        Some(GetMarketsQueryMveFilter::Only) => Some(true),
        Some(GetMarketsQueryMveFilter::Exclude) => Some(false),
        Some(GetMarketsQueryMveFilter::Unknown) => {
            return Err(SimError::BadRequest(
                "mve_filter must be only or exclude".to_owned(),
            ))
        }
    };
    let events = comma_list(q.event_ticker.as_ref().map(EventTicker::as_str));
    let series = q.series_ticker;
    let tickers = comma_list(q.tickers.as_deref());
    let cursor = q.cursor;
    let core = sim.lock();
    let mut page = Vec::new();
    let mut more = false;
    let after = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Bound::Excluded(MarketTicker(c)),
        None => Bound::Unbounded,
    };
    let markets = core.engine.markets();
    // With `tickers`, only those markets are looked at (ordered, once each).
    let candidates: Box<dyn Iterator<Item = (&MarketTicker, &MarketState)>> = match &tickers {
        Some(list) => {
            let mut list: Vec<MarketTicker> = list
                .iter()
                .map(|t| MarketTicker::from(t.as_str()))
                .collect();
            list.sort();
            list.dedup();
            let after = after.clone();
            Box::new(
                list.into_iter()
                    .filter(move |t| match &after {
                        Bound::Excluded(c) => t > c,
                        _ => true,
                    })
                    .filter_map(|t| markets.get_key_value(&t)),
            )
        }
        None => Box::new(markets.range((after, Bound::Unbounded))),
    };
    for (_, m) in candidates {
        let close = close_ts(m);
        let keep = status.is_none_or(|s| s.matches(m.info.status))
            && events
                .as_ref()
                .is_none_or(|e| e.iter().any(|e| e == m.info.event_ticker.as_str()))
            && series.as_ref().is_none_or(|s| s.as_str() == m.series)
            && min_close.is_none_or(|t| close.is_some_and(|c| c > t))
            && max_close.is_none_or(|t| close.is_some_and(|c| c < t))
            && mve.is_none_or(|only| {
                let is_mve = sim
                    .catalog
                    .event(m.info.event_ticker.as_str())
                    .is_some_and(|e| e.multivariate);
                is_mve == only
            });
        if !keep {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(m.served());
    }
    let cursor = if more {
        page.last()
            .map(|m| m.ticker.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetMarketsResponse {
        markets: page,
        cursor,
    }))
}

fn series_json(s: &SeriesSeed, volume: Option<Count>) -> Series {
    Series {
        ticker: MarketTicker::from(s.ticker.as_str()),
        frequency: s.frequency.clone(),
        title: s.title.clone(),
        category: s.category.clone(),
        categories: vec![s.category.clone()],
        tags: s.tags.clone(),
        fee_type: FeeType::Quadratic,
        fee_multiplier: 1.0,
        volume_fp: volume,
        ..Series::default()
    }
}

fn series_volume(sim: &Sim, ticker: &str) -> Count {
    let core = sim.lock();
    core.engine
        .markets()
        .values()
        .filter(|m| m.series == ticker)
        .fold(Count::ZERO, |sum, m| sum + m.volume)
}

/// `GET /series` (GetSeriesList): `category` (exact match in `categories`), `tags`
/// (comma-separated; any), `include_volume`; ordered by ticker. Not paginated (as the spec).
pub async fn get_series_list(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetSeriesListQuery>,
) -> Result<Json<GetSeriesListResponse>> {
    let category = q.category;
    let tags = comma_list(q.tags.as_deref());
    let volume = q.include_volume.unwrap_or(false);
    let mut series: Vec<Series> = sim
        .catalog
        .series
        .iter()
        .filter(|s| category.as_ref().is_none_or(|c| *c == s.category))
        .filter(|s| {
            tags.as_ref()
                .is_none_or(|t| t.iter().any(|t| s.tags.contains(t)))
        })
        .map(|s| series_json(s, volume.then(|| series_volume(&sim, &s.ticker))))
        .collect();
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok(Json(GetSeriesListResponse { series }))
}

/// `GET /series/{series_ticker}` (GetSeries): `include_volume`.
pub async fn get_series(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::GetSeriesQuery>,
) -> Result<Json<GetSeriesResponse>> {
    let volume = q.include_volume.unwrap_or(false);
    let s = sim
        .catalog
        .series(&ticker)
        .ok_or_else(|| SimError::NotFound(format!("series {ticker} not found")))?;
    Ok(Json(GetSeriesResponse {
        series: series_json(s, volume.then(|| series_volume(&sim, &s.ticker))),
    }))
}

/// An event's status from its markets (GetEvents `status`): open while any market
/// trades, unopened while all are, settled once all are, closed otherwise.
fn event_status(markets: &[&MarketState]) -> StatusFilter {
    let all = |f: StatusFilter| markets.iter().all(|m| f.matches(m.info.status));
    if markets.iter().any(|m| m.info.status.is_tradable()) {
        StatusFilter::Open
    } else if all(StatusFilter::Unopened) {
        StatusFilter::Unopened
    } else if all(StatusFilter::Settled) {
        StatusFilter::Settled
    } else {
        StatusFilter::Closed
    }
}

pub(crate) fn markets_json(markets: &[&MarketState]) -> Vec<shared::api::schema::Market> {
    markets.iter().map(|m| m.served()).collect()
}

pub(crate) fn event_json(
    e: &EventSeed,
    nested: Option<Vec<shared::api::schema::Market>>,
) -> EventData {
    EventData {
        event_ticker: e.event_ticker.clone(),
        series_ticker: SeriesTicker::from(e.series_ticker.as_str()),
        sub_title: e.sub_title.clone(),
        title: e.title.clone(),
        mutually_exclusive: e.mutually_exclusive,
        category: Some(e.category.clone()),
        markets: nested,
        ..EventData::default()
    }
}

/// The markets of `event`, in ticker order.
pub(crate) fn markets_of<'a>(
    engine: &'a super::engine::Engine,
    event: &EventSeed,
) -> Vec<&'a MarketState> {
    event
        .markets
        .iter()
        .filter_map(|t| engine.market(t))
        .collect()
}

/// `GET /events` (GetEvents): `limit` (1–200, default 200), `cursor` (the last event
/// ticker), `with_nested_markets`, `status` (`unopened`, `open`, `closed`, `settled`),
/// `series_ticker`, `tickers`, `min_close_ts` (some market closes later). Multivariate
/// events are left out, as on Kalshi.
pub async fn get_events(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetEventsQuery>,
) -> Result<Json<GetEventsResponse>> {
    let limit = page_limit(q.limit, 200, 200)?;
    let nested = q.with_nested_markets.unwrap_or(false);
    let status = match q.status {
        None => None,
        Some(GetEventsQueryStatus::Unopened) => Some(StatusFilter::Unopened),
        Some(GetEventsQueryStatus::Open) => Some(StatusFilter::Open),
        Some(GetEventsQueryStatus::Closed) => Some(StatusFilter::Closed),
        Some(GetEventsQueryStatus::Settled) => Some(StatusFilter::Settled),
        Some(GetEventsQueryStatus::Unknown) => {
            return Err(bad_status(&[
                StatusFilter::Unopened,
                StatusFilter::Open,
                StatusFilter::Closed,
                StatusFilter::Settled,
            ]))
        }
    };
    let series = q.series_ticker;
    let tickers = comma_list(q.tickers.as_deref());
    let min_close = q.min_close_ts;
    let cursor = q.cursor;
    let core = sim.lock();
    let mut events = Vec::new();
    let mut more = false;
    for e in sim
        .catalog
        .events_after(cursor.as_deref())
        .iter()
        .filter(|e| !e.multivariate)
    {
        let markets = markets_of(&core.engine, e);
        let keep = series
            .as_ref()
            .is_none_or(|s| s.as_str() == e.series_ticker)
            && tickers
                .as_ref()
                .is_none_or(|t| t.iter().any(|t| t == e.event_ticker.as_str()))
            && status.is_none_or(|s| event_status(&markets) == s)
            && min_close.is_none_or(|t| markets.iter().any(|m| close_ts(m).is_some_and(|c| c > t)));
        if !keep {
            continue;
        }
        if events.len() == limit {
            more = true;
            break;
        }
        events.push(event_json(e, nested.then(|| markets_json(&markets))));
    }
    let cursor = if more {
        events
            .last()
            .map(|e: &EventData| e.event_ticker.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetEventsResponse {
        events,
        milestones: None,
        cursor,
    }))
}

/// `GET /events/{event_ticker}` (GetEvent): the event and its markets (top-level
/// `markets`, and nested too with `with_nested_markets=true`).
pub async fn get_event(
    State(sim): State<Sim>,
    Path(ticker): Path<String>,
    KalshiQuery(q): KalshiQuery<ops::GetEventQuery>,
) -> Result<Json<GetEventResponse>> {
    let nested = q.with_nested_markets.unwrap_or(false);
    let e = sim
        .catalog
        .event(&ticker)
        .ok_or_else(|| SimError::NotFound(format!("event {ticker} not found")))?;
    let core = sim.lock();
    let markets = markets_json(&markets_of(&core.engine, e));
    Ok(Json(GetEventResponse {
        event: event_json(e, nested.then(|| markets.clone())),
        markets,
    }))
}

/// `name`'s value, or the 400 saying it is required.
pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T> {
    value.ok_or_else(|| SimError::BadRequest(format!("{name} is required")))
}

fn bid_ask(o: Option<&Ohlc>, fallback: &Ohlc) -> BidAskDistribution {
    let o = o.unwrap_or(fallback);
    BidAskDistribution {
        open_dollars: o.open,
        low_dollars: o.low,
        high_dollars: o.high,
        close_dollars: o.close,
    }
}

pub(crate) fn candle_json(c: &Candle) -> MarketCandlestick {
    MarketCandlestick {
        end_period_ts: c.end_ts,
        yes_bid: bid_ask(c.yes_bid.as_ref(), &c.price),
        yes_ask: bid_ask(c.yes_ask.as_ref(), &c.price),
        price: PriceDistribution {
            open_dollars: Some(c.price.open),
            low_dollars: Some(c.price.low),
            high_dollars: Some(c.price.high),
            close_dollars: Some(c.price.close),
            min_dollars: Some(c.price.low),
            max_dollars: Some(c.price.high),
            ..PriceDistribution::default()
        },
        volume_fp: c.volume,
        open_interest_fp: c.open_interest,
    }
}

/// The range parameters every candlestick operation requires (`start_ts`, `end_ts`,
/// `period_interval`), read as options. The generated `*CandlesticksQuery` structs declare
/// them `i64` with `#[serde(default)]`, so a missing one would read as 0; Kalshi answers it
/// with a 400, so the handlers read these beside the generated struct.
#[derive(Clone, Copy, Debug, Deserialize)]
pub(crate) struct CandleParams {
    start_ts: Option<i64>,
    end_ts: Option<i64>,
    period_interval: Option<i64>,
}

/// The candle query every candlestick operation takes: required `start_ts`, `end_ts` (Unix
/// s; candles whose period ends in between) and `period_interval` (1, 60 or 1440 minutes),
/// at most [`MAX_CANDLES`] periods; `include_latest_before_start` is accepted and ignored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CandleRange {
    start: i64,
    end: i64,
    period: i64,
}

impl CandleRange {
    /// Reads and checks the query.
    pub(crate) fn read(p: CandleParams) -> Result<CandleRange> {
        let start = required(p.start_ts, "start_ts")?;
        let end = required(p.end_ts, "end_ts")?;
        let period = required(p.period_interval, "period_interval")?;
        if ![1, 60, 1440].contains(&period) {
            return Err(SimError::BadRequest(format!(
                "period_interval must be 1, 60 or 1440, got {period}"
            )));
        }
        if start > end {
            return Err(SimError::BadRequest(
                "start_ts must not be after end_ts".to_owned(),
            ));
        }
        if end.saturating_sub(start) / (period * 60) > MAX_CANDLES {
            return Err(SimError::BadRequest(format!(
                "the range spans more than {MAX_CANDLES} candles"
            )));
        }
        Ok(CandleRange { start, end, period })
    }

    /// The market's candles in the range (periods without trades left out).
    pub(crate) fn of(self, m: &MarketState) -> Vec<MarketCandlestick> {
        m.candles
            .query(self.period, self.start, self.end)
            .iter()
            .map(candle_json)
            .collect()
    }

    /// The range's end, Unix seconds.
    pub(crate) fn end(self) -> i64 {
        self.end
    }
}

/// `GET /series/{series_ticker}/markets/{ticker}/candlesticks` (GetMarketCandlesticks):
/// required `start_ts`, `end_ts` (Unix s; candles whose period ends in between) and
/// `period_interval` (1, 60 or 1440 minutes); at most [`MAX_CANDLES`] periods a call.
/// `include_latest_before_start` is accepted and ignored. Periods without trades are
/// left out.
pub async fn get_candlesticks(
    State(sim): State<Sim>,
    Path((series, ticker)): Path<(String, String)>,
    // Read for a malformed `include_latest_before_start` (a 400); the range is below.
    KalshiQuery(_): KalshiQuery<ops::GetMarketCandlesticksQuery>,
    KalshiQuery(range): KalshiQuery<CandleParams>,
) -> Result<Json<GetMarketCandlesticksResponse>> {
    let range = CandleRange::read(range)?;
    let core = sim.lock();
    let m = core
        .engine
        .market(&MarketTicker::from(ticker.as_str()))
        .ok_or_else(|| SimError::NotFound(format!("market {ticker} not found")))?;
    if m.series != series {
        return Err(SimError::NotFound(format!(
            "market {ticker} is not in series {series}"
        )));
    }
    let candlesticks = range.of(m);
    Ok(Json(GetMarketCandlesticksResponse {
        ticker: MarketTicker::from(ticker.as_str()),
        candlesticks,
    }))
}
