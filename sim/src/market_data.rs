//! Market data beyond finding markets: books and candles of several markets at once
//! (`GetMarketOrderbooks`, `BatchGetMarketCandlesticks`, `GetMarketCandlesticksByEvent`),
//! event metadata and forecasts (`GetEventMetadata`, `GetEventForecastPercentilesHistory`),
//! multivariate events (`GetMultivariateEvents`), fee changes (`GetSeriesFeeChanges`,
//! `GetEventFeeChanges`: the exchange never changes fees, so none) and the search helpers
//! (`GetTagsForSeriesCategories`, `GetFiltersForSports`). All public, per the spec.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::Json;
use shared::api::schema::{
    BatchGetMarketCandlesticksResponse, GetEventCandlesticksResponse, GetEventFeeChangesResponse,
    GetEventForecastPercentilesHistoryResponse, GetEventMetadataResponse,
    GetFiltersBySportsResponse, GetIncentiveProgramsResponse, GetMarketOrderbooksResponse,
    GetMultivariateEventCollectionsResponse, GetMultivariateEventsResponse,
    GetSeriesFeeChangesResponse, GetTagsForSeriesCategoriesResponse, MarketCandlesticksResponse,
    MarketMetadata, MarketOrderbookFp, OrderbookCountFp, SettlementSource,
};
use shared::ids::MarketTicker;

use super::browse::{bool_param, event_json, markets_json, markets_of, CandleRange};
use super::error::{Result, SimError};
use super::rest::{limit, params, Params};
use super::Sim;

/// Most markets one batch call may name (Kalshi: 100).
const MAX_BATCH: usize = 100;

/// Every value of the query parameter `name`, whether repeated (`a=1&a=2`) or
/// comma-separated (`a=1,2`), blanks dropped.
fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `name` list: 1..=[`MAX_BATCH`] tickers.
fn tickers(pairs: &[(String, String)], name: &str) -> Result<Vec<MarketTicker>> {
    let list = values(pairs, name);
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

type Pairs =
    std::result::Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

fn pairs(q: Pairs) -> Result<Vec<(String, String)>> {
    q.map(|Query(p)| p)
        .map_err(|e| SimError::BadRequest(format!("malformed query string: {e}")))
}

/// `GET /markets/orderbooks` (GetMarketOrderbooks): `tickers` (repeated or
/// comma-separated, at most 100); every level of each book, ascending.
pub async fn orderbooks(
    State(sim): State<Sim>,
    q: Pairs,
) -> Result<Json<GetMarketOrderbooksResponse>> {
    let tickers = tickers(&pairs(q)?, "tickers")?;
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

/// `GET /markets/candlesticks` (BatchGetMarketCandlesticks): `market_tickers` (at most 100)
/// and the candle range of GetMarketCandlesticks.
pub async fn batch_candlesticks(
    State(sim): State<Sim>,
    q: Pairs,
) -> Result<Json<BatchGetMarketCandlesticksResponse>> {
    let pairs = pairs(q)?;
    let tickers = tickers(&pairs, "market_tickers")?;
    let p: HashMap<String, String> = pairs.into_iter().collect();
    let range = CandleRange::read(&p)?;
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
    q: Params,
) -> Result<Json<GetEventCandlesticksResponse>> {
    let p = params(q)?;
    let range = CandleRange::read(&p)?;
    let e = sim
        .catalog
        .event(&event)
        .filter(|e| e.series_ticker == series)
        .ok_or_else(|| {
            SimError::BadRequest(format!("event {event} of series {series} not found"))
        })?;
    let core = sim.lock();
    let markets = markets_of(&core.engine, &e.event_ticker);
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
    let market_details = markets_of(&core.engine, &e.event_ticker)
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
    q: Params,
) -> Result<Json<GetEventForecastPercentilesHistoryResponse>> {
    let p = params(q)?;
    let _ = CandleRange::read(&p)?;
    if p.get("percentiles").is_none_or(String::is_empty) {
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
    q: Params,
) -> Result<Json<GetMultivariateEventsResponse>> {
    let p = params(q)?;
    let limit = limit(&p, 100, 200)?;
    let nested = bool_param(&p, "with_nested_markets")?;
    let series = p.get("series_ticker").filter(|s| !s.is_empty());
    let collection = p.get("collection_ticker").filter(|s| !s.is_empty());
    let cursor = p.get("cursor").filter(|c| !c.is_empty());
    let core = sim.lock();
    let mut events = Vec::new();
    let mut more = false;
    for e in sim.catalog.events.iter().filter(|e| e.multivariate) {
        if cursor.is_some_and(|c| e.event_ticker.as_str() <= c.as_str())
            || series.is_some_and(|s| *s != e.series_ticker)
            || collection.is_some()
        {
            continue;
        }
        if events.len() == limit {
            more = true;
            break;
        }
        let markets = markets_of(&core.engine, &e.event_ticker);
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
pub async fn series_fee_changes(q: Params) -> Result<Json<GetSeriesFeeChangesResponse>> {
    let p = params(q)?;
    let _ = bool_param(&p, "show_historical")?;
    Ok(Json(GetSeriesFeeChangesResponse {
        series_fee_change_arr: Vec::new(),
    }))
}

/// `GET /events/fee_changes` (GetEventFeeChanges): none.
pub async fn event_fee_changes(q: Params) -> Result<Json<GetEventFeeChangesResponse>> {
    let p = params(q)?;
    let _ = limit(&p, 100, 1000)?;
    Ok(Json(GetEventFeeChangesResponse {
        event_fee_changes: Vec::new(),
        cursor: String::new(),
    }))
}

/// `GET /incentive_programs` (GetIncentivePrograms): the exchange runs none.
pub async fn incentive_programs(q: Params) -> Result<Json<GetIncentiveProgramsResponse>> {
    let p = params(q)?;
    let _ = limit(&p, 100, 10_000)?;
    Ok(Json(GetIncentiveProgramsResponse {
        incentive_programs: Vec::new(),
        next_cursor: None,
    }))
}

/// `GET /multivariate_event_collections` (GetMultivariateEventCollections): the exchange's
/// combo markets are recorded ones; it offers no collection to build new combos from.
pub async fn multivariate_collections(
    q: Params,
) -> Result<Json<GetMultivariateEventCollectionsResponse>> {
    let p = params(q)?;
    let _ = limit(&p, 100, 200)?;
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
