//! Reference data around events: milestones (`GetMilestones`, `GetMilestone`), structured
//! targets (`GetStructuredTargets`, `GetStructuredTarget`) and live data
//! (`GetLiveDataByMilestone`, `GetLiveData`, `GetLiveDatas`, `GetEventLiveData`). The
//! exchange holds one of each, for its January rain market: the month as a `weather`
//! milestone, Central Park's station as a structured target, and the month's rainfall so
//! far as live data.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use shared::api::ops;
use shared::api::schema::{
    EventLiveData, GetEventLiveDataResponse, GetLiveDataResponse, GetLiveDatasResponse,
    GetMilestoneResponse, GetMilestonesResponse, GetStructuredTargetResponse,
    GetStructuredTargetsResponse, LiveData, Milestone, StructuredTarget,
};

use super::browse::required;
use super::error::{Result, SimError};
use super::rest::{page_limit, split_commas, KalshiQuery};
use super::Sim;

/// The one milestone's id.
pub const MILESTONE_ID: &str = "6f1c2a4e-8d3b-4e51-9a7c-0b2d4e6f8a10";
/// The one structured target's id.
pub const TARGET_ID: &str = "0c9e7d5b-3a1f-4c2e-8b6d-4f2a1c3e5d70";
/// The event they belong to.
const EVENT: &str = "KXDESKRAIN-27JAN";

fn milestone() -> Milestone {
    Milestone {
        id: MILESTONE_ID.to_owned(),
        category: "Climate and Weather".to_owned(),
        r#type: "weather".to_owned(),
        start_date: "2027-01-01T05:00:00Z".to_owned(),
        end_date: Some("2027-02-01T05:00:00Z".to_owned()),
        related_event_tickers: vec![EVENT.to_owned()],
        title: "Central Park rainfall, January 2027".to_owned(),
        notification_message: "January rainfall in Central Park".to_owned(),
        source_id: Some(TARGET_ID.to_owned()),
        source_ids: None,
        details: json!({"city": "New York", "station": "Central Park", "unit": "inches"}),
        primary_event_tickers: vec![EVENT.to_owned()],
        last_updated_ts: "2026-12-01T00:00:00Z".to_owned(),
    }
}

fn target() -> StructuredTarget {
    StructuredTarget {
        id: Some(TARGET_ID.to_owned()),
        name: Some("Central Park".to_owned()),
        r#type: Some("weather_station".to_owned()),
        details: Some(json!({"city": "New York", "station_id": "USW00094728"})),
        source_id: None,
        source_ids: None,
        last_updated_ts: Some("2026-12-01T00:00:00Z".to_owned()),
    }
}

fn live_data() -> LiveData {
    LiveData {
        r#type: "weather".to_owned(),
        details: json!({"status": "scheduled", "precipitation_inches": "0.00"}),
        milestone_id: MILESTONE_ID.to_owned(),
    }
}

/// GetMilestones' required `limit`, read as an option: the generated `GetMilestonesQuery`
/// declares it `i64` with `#[serde(default)]`, so a missing one would read as 0, and Kalshi
/// answers it with a 400.
#[derive(Debug, Deserialize)]
pub(crate) struct MilestonesLimit {
    limit: Option<i64>,
}

/// `GET /milestones` (GetMilestones): required `limit`; filters `category`, `type`,
/// `related_event_ticker`, `cursor`.
pub async fn milestones(
    KalshiQuery(q): KalshiQuery<ops::GetMilestonesQuery>,
    KalshiQuery(MilestonesLimit { limit }): KalshiQuery<MilestonesLimit>,
) -> Result<Json<GetMilestonesResponse>> {
    let _ = page_limit(Some(required(limit, "limit")?), 100, 500)?;
    let m = milestone();
    let keep = |filter: Option<&str>, value: &str| filter.is_none_or(|v| v == value);
    let matches = keep(q.category.as_deref(), &m.category)
        && keep(q.r#type.as_deref(), &m.r#type)
        && keep(q.related_event_ticker.as_deref(), EVENT)
        && q.cursor.is_none();
    Ok(Json(GetMilestonesResponse {
        milestones: if matches { vec![m] } else { Vec::new() },
        cursor: None,
    }))
}

/// `GET /milestones/{milestone_id}` (GetMilestone).
pub async fn milestone_by_id(Path(id): Path<String>) -> Result<Json<GetMilestoneResponse>> {
    if id != MILESTONE_ID {
        return Err(SimError::NotFound(format!("milestone {id} not found")));
    }
    Ok(Json(GetMilestoneResponse {
        milestone: milestone(),
    }))
}

/// `GET /structured_targets` (GetStructuredTargets): filters `ids`, `type`.
pub async fn structured_targets(
    KalshiQuery(q): KalshiQuery<ops::GetStructuredTargetsQuery>,
) -> Result<Json<GetStructuredTargetsResponse>> {
    let t = target();
    let ids = split_commas(q.ids.iter().flatten().map(String::as_str));
    let keep = (ids.is_empty() || ids.iter().any(|id| id == TARGET_ID))
        && q.r#type
            .is_none_or(|v| Some(v.as_str()) == t.r#type.as_deref());
    Ok(Json(GetStructuredTargetsResponse {
        structured_targets: Some(if keep { vec![t] } else { Vec::new() }),
        cursor: None,
    }))
}

/// `GET /structured_targets/{structured_target_id}` (GetStructuredTarget).
pub async fn structured_target(
    Path(id): Path<String>,
) -> Result<Json<GetStructuredTargetResponse>> {
    if id != TARGET_ID {
        return Err(SimError::NotFound(format!(
            "structured target {id} not found"
        )));
    }
    Ok(Json(GetStructuredTargetResponse {
        structured_target: Some(target()),
    }))
}

/// `GET /live_data/milestone/{milestone_id}` (GetLiveDataByMilestone).
pub async fn live_by_milestone(Path(id): Path<String>) -> Result<Json<GetLiveDataResponse>> {
    if id != MILESTONE_ID {
        return Err(SimError::NotFound(format!(
            "no live data for milestone {id}"
        )));
    }
    Ok(Json(GetLiveDataResponse {
        live_data: live_data(),
    }))
}

/// `GET /live_data/{type}/milestone/{milestone_id}` (GetLiveData).
pub async fn live_typed(
    Path((ty, id)): Path<(String, String)>,
) -> Result<Json<GetLiveDataResponse>> {
    if id != MILESTONE_ID || ty != "weather" {
        return Err(SimError::NotFound(format!(
            "no {ty} live data for milestone {id}"
        )));
    }
    Ok(Json(GetLiveDataResponse {
        live_data: live_data(),
    }))
}

/// `GET /live_data/batch` (GetLiveDatas): required `milestone_ids` (repeated or
/// comma-separated); unknown ids are left out.
pub async fn live_batch(
    KalshiQuery(q): KalshiQuery<ops::GetLiveDatasQuery>,
) -> Result<Json<GetLiveDatasResponse>> {
    let ids = split_commas(q.milestone_ids.iter().map(String::as_str));
    Ok(Json(GetLiveDatasResponse {
        live_datas: ids
            .iter()
            .filter(|id| *id == MILESTONE_ID)
            .map(|_| live_data())
            .collect(),
    }))
}

/// `GET /live_data/events/{event_ticker}` (GetEventLiveData).
pub async fn live_event(
    State(sim): State<Sim>,
    Path(event): Path<String>,
) -> Result<Json<GetEventLiveDataResponse>> {
    if event != EVENT || sim.catalog.event(&event).is_none() {
        return Err(SimError::NotFound(format!(
            "no live data for event {event}"
        )));
    }
    let d = live_data();
    Ok(Json(GetEventLiveDataResponse {
        live_data: EventLiveData {
            r#type: d.r#type,
            details: d.details,
            is_historical: Some(false),
            default_range: None,
            range_options: None,
        },
    }))
}
