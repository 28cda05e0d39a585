//! Market data beyond finding markets: books and candles of several markets at once
//! (`GetMarketOrderbooks`, `BatchGetMarketCandlesticks`, `GetMarketCandlesticksByEvent`),
//! event metadata and forecasts (`GetEventMetadata`, `GetEventForecastPercentilesHistory`),
//! multivariate events (`GetMultivariateEvents`), fee changes (`GetSeriesFeeChanges`,
//! `GetEventFeeChanges`: the exchange never changes fees, so none) and the search helpers
//! (`GetTagsForSeriesCategories`, `GetFiltersForSports`). All public, per the spec.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::api::ops;
use shared::api::schema::{
    BatchGetMarketCandlesticksResponse, GetEventCandlesticksResponse, GetEventFeeChangesResponse,
    GetEventForecastPercentilesHistoryResponse, GetEventMetadataResponse,
    GetFiltersBySportsResponse, GetIncentiveProgramsResponse, GetMarketOrderbooksResponse,
    GetMultivariateEventCollectionsResponse, GetMultivariateEventsResponse,
    GetSeriesFeeChangesResponse, GetTagsForSeriesCategoriesResponse, MarketCandlesticksResponse,
    MarketMetadata, MarketOrderbookFp, OrderbookCountFp, SettlementSource,
};
use shared::ids::MarketTicker;

use super::browse::{event_json, markets_json, markets_of, CandleParams, CandleRange};
use super::error::{Result, SimError};
use super::rest::{page_limit, split_commas, KalshiQuery};
use super::Sim;

/// Most markets one batch call may name (Kalshi: 100).
const MAX_BATCH: usize = 100;

/// The `name` list (each value repeated or comma-separated): 1..=[`MAX_BATCH`] tickers.
fn tickers(values: &[String], name: &str) -> Result<Vec<MarketTicker>> {
    let list = split_commas(values.iter().map(String::as_str));
    if list.is_empty() {
        return Err(SimError::BadRequest(format!("{name} is required")));
    }
    if list.len() > MAX_BATCH {
        return Err(SimError::BadRequest(format!(
            "{name} names {} markets; at most {MAX_BATCH}",
            list.len()
        )));
    }
    Ok(list.into_iter().map(MarketTicker::from).collect())
}

/// `GET /markets/orderbooks` (GetMarketOrderbooks): `tickers` (repeated or
/// comma-separated, at most 100); every level of each book, ascending.
pub async fn orderbooks(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetMarketOrderbooksQuery>,
) -> Result<Json<GetMarketOrderbooksResponse>> {
    let tickers = tickers(&q.tickers, "tickers")?;
    let core = sim.lock();
    let orderbooks = tickers
        .into_iter()
        .map(|t| {
            let levels = core
                .engine
                .levels(&t)
                .ok_or_else(|| SimError::BadRequest(format!("market {t} not found")))?;
            Ok(MarketOrderbookFp {
                ticker: t,
                orderbook_fp: OrderbookCountFp {
                    yes_dollars: levels.yes,
                    no_dollars: levels.no,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(GetMarketOrderbooksResponse { orderbooks }))
}

/// `market_tickers` of BatchGetMarketCandlesticks, repeated or comma-separated. The spec (and
/// so the generated `BatchGetMarketCandlesticksQuery`) has one comma-separated string; the
/// exchange has always taken the key repeated too, so it reads a list here.
#[derive(Debug, Deserialize)]
pub(crate) struct MarketTickers {
    #[serde(default)]
    market_tickers: Vec<String>,
    include_latest_before_start: Option<bool>,
}

/// `GET /markets/candlesticks` (BatchGetMarketCandlesticks): `market_tickers` (at most 100,
/// repeated or comma-separated) and the candle range of GetMarketCandlesticks.
pub async fn batch_candlesticks(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<MarketTickers>,
    KalshiQuery(range): KalshiQuery<CandleParams>,
) -> Result<Json<BatchGetMarketCandlesticksResponse>> {
    let tickers = tickers(&q.market_tickers, "market_tickers")?;
    // Accepted (a malformed one is a 400) and ignored, as by GetMarketCandlesticks.
    let _ = q.include_latest_before_start;
    let range = CandleRange::read(range)?;
    let core = sim.lock();
    let markets = tickers
        .into_iter()
        .map(|t| {
            let m = core
                .engine
                .market(&t)
                .ok_or_else(|| SimError::BadRequest(format!("market {t} not found")))?;
            Ok(MarketCandlesticksResponse {
                market_ticker: t,
                candlesticks: range.of(m),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(BatchGetMarketCandlesticksResponse { markets }))
}

/// `GET /series/{series_ticker}/events/{ticker}/candlesticks` (GetMarketCandlesticksByEvent):
/// the candles of every market of the event, in ticker order.
pub async fn event_candlesticks(
    State(sim): State<Sim>,
    Path((series, event)): Path<(String, String)>,
    // `GetMarketCandlesticksByEventQuery` holds only the range, read as `CandleParams`.
    KalshiQuery(range): KalshiQuery<CandleParams>,
) -> Result<Json<GetEventCandlesticksResponse>> {
    let range = CandleRange::read(range)?;
    let e = sim
        .catalog
        .event(&event)
        .filter(|e| e.series_ticker == series)
        .ok_or_else(|| {
            SimError::BadRequest(format!("event {event} of series {series} not found"))
        })?;
    let core = sim.lock();
    let markets = markets_of(&core.engine, e);
    Ok(Json(GetEventCandlesticksResponse {
        market_tickers: markets.iter().map(|m| m.info.ticker.to_string()).collect(),
        market_candlesticks: markets.iter().map(|m| range.of(m)).collect(),
        adjusted_end_ts: range.end(),
    }))
}

/// `GET /events/{event_ticker}/metadata` (GetEventMetadata): no images, one settlement
/// source per synthetic series.
pub async fn event_metadata(
    State(sim): State<Sim>,
    Path(event): Path<String>,
) -> Result<Json<GetEventMetadataResponse>> {
    let e = sim
        .catalog
        .event(&event)
        .ok_or_else(|| SimError::NotFound(format!("event {event} not found")))?;
    let core = sim.lock();
    let market_details = markets_of(&core.engine, e)
        .iter()
        .map(|m| MarketMetadata {
            market_ticker: m.info.ticker.clone(),
            image_url: String::new(),
            color_code: String::new(),
        })
        .collect();
    Ok(Json(GetEventMetadataResponse {
        image_url: String::new(),
        featured_image_url: None,
        market_details,
        settlement_sources: vec![SettlementSource {
            name: Some("Kalshi Desk simulated exchange".to_owned()),
            url: None,
        }],
        competition: None,
        competition_scope: None,
    }))
}

/// `GET /series/{series_ticker}/events/{ticker}/forecast_percentile_history`
/// (GetEventForecastPercentilesHistory): the exchange publishes no forecasts, so none.
pub async fn forecast_history(
    State(sim): State<Sim>,
    Path((series, event)): Path<(String, String)>,
    KalshiQuery(q): KalshiQuery<ops::GetEventForecastPercentilesHistoryQuery>,
    KalshiQuery(range): KalshiQuery<CandleParams>,
) -> Result<Json<GetEventForecastPercentilesHistoryResponse>> {
    let _ = CandleRange::read(range)?;
    if q.percentiles.is_empty() {
        return Err(SimError::BadRequest("percentiles is required".to_owned()));
    }
    sim.catalog
        .event(&event)
        .filter(|e| e.series_ticker == series)
        .ok_or_else(|| {
            SimError::BadRequest(format!("event {event} of series {series} not found"))
        })?;
    Ok(Json(GetEventForecastPercentilesHistoryResponse {
        forecast_history: Vec::new(),
    }))
}

/// `GET /events/multivariate` (GetMultivariateEvents): the combo events GetEvents leaves
/// out; `limit` (1–200), `cursor` (the last event ticker), `series_ticker`,
/// `collection_ticker` (none match: the exchange has no collections),
/// `with_nested_markets`.
pub async fn multivariate_events(
    State(sim): State<Sim>,
    KalshiQuery(q): KalshiQuery<ops::GetMultivariateEventsQuery>,
) -> Result<Json<GetMultivariateEventsResponse>> {
    let limit = page_limit(q.limit, 100, 200)?;
    let nested = q.with_nested_markets.unwrap_or(false);
    let (series, collection, cursor) = (q.series_ticker, q.collection_ticker, q.cursor);
    let core = sim.lock();
    let mut events = Vec::new();
    let mut more = false;
    for e in sim.catalog.events.iter().filter(|e| e.multivariate) {
        if cursor
            .as_deref()
            .is_some_and(|c| e.event_ticker.as_str() <= c)
            || series
                .as_ref()
                .is_some_and(|s| s.as_str() != e.series_ticker)
            || collection.is_some()
        {
            continue;
        }
        if events.len() == limit {
            more = true;
            break;
        }
        let markets = markets_of(&core.engine, e);
        events.push(event_json(e, nested.then(|| markets_json(&markets))));
    }
    let cursor = if more {
        events
            .last()
            .map(|e| e.event_ticker.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Json(GetMultivariateEventsResponse { events, cursor }))
}

/// `GET /series/fee_changes` (GetSeriesFeeChanges): none.
pub async fn series_fee_changes(
    // Read for a malformed `show_historical` (a 400); with no fee changes nothing is filtered.
    KalshiQuery(_): KalshiQuery<ops::GetSeriesFeeChangesQuery>,
) -> Result<Json<GetSeriesFeeChangesResponse>> {
    Ok(Json(GetSeriesFeeChangesResponse {
        series_fee_change_arr: Vec::new(),
    }))
}

/// `GET /events/fee_changes` (GetEventFeeChanges): none.
pub async fn event_fee_changes(
    KalshiQuery(q): KalshiQuery<ops::GetEventFeeChangesQuery>,
) -> Result<Json<GetEventFeeChangesResponse>> {
    let _ = page_limit(q.limit, 100, 1000)?;
    Ok(Json(GetEventFeeChangesResponse {
        event_fee_changes: Vec::new(),
        cursor: String::new(),
    }))
}

/// `GET /incentive_programs` (GetIncentivePrograms): the exchange runs none.
pub async fn incentive_programs(
    KalshiQuery(q): KalshiQuery<ops::GetIncentiveProgramsQuery>,
) -> Result<Json<GetIncentiveProgramsResponse>> {
    let _ = page_limit(q.limit, 100, 10_000)?;
    Ok(Json(GetIncentiveProgramsResponse {
        incentive_programs: Vec::new(),
        next_cursor: None,
    }))
}

/// `GET /multivariate_event_collections` (GetMultivariateEventCollections): the exchange's
/// combo markets are recorded ones; it offers no collection to build new combos from.
pub async fn multivariate_collections(
    KalshiQuery(q): KalshiQuery<ops::GetMultivariateEventCollectionsQuery>,
) -> Result<Json<GetMultivariateEventCollectionsResponse>> {
    let _ = page_limit(q.limit, 100, 200)?;
    Ok(Json(GetMultivariateEventCollectionsResponse {
        multivariate_contracts: Vec::new(),
        cursor: None,
    }))
}

/// `GET /search/tags_by_categories` (GetTagsForSeriesCategories): each category's tags, from
/// the series the exchange lists.
pub async fn tags_by_categories(
    State(sim): State<Sim>,
) -> Json<GetTagsForSeriesCategoriesResponse> {
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &sim.catalog.series {
        let list = tags.entry(s.category.clone()).or_default();
        for t in &s.tags {
            if !list.contains(t) {
                list.push(t.clone());
            }
        }
    }
    Json(GetTagsForSeriesCategoriesResponse {
        tags_by_categories: tags,
    })
}

/// `GET /search/filters_by_sport` (GetFiltersForSports): the exchange lists no sports
/// series with filters.
pub async fn filters_by_sport() -> Json<GetFiltersBySportsResponse> {
    Json(GetFiltersBySportsResponse {
        filters_by_sports: BTreeMap::new(),
        sport_ordering: Vec::new(),
    })
}
