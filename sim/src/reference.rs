//! Reference data around events: milestones (`GetMilestones`, `GetMilestone`), structured
//! targets (`GetStructuredTargets`, `GetStructuredTarget`) and live data
//! (`GetLiveDataByMilestone`, `GetLiveData`, `GetLiveDatas`, `GetEventLiveData`). The
//! exchange holds one of each, for its January rain market: the month as a `weather`
//! milestone, Central Park's station as a structured target, and the month's rainfall so
//! far as live data.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::json;
use shared::api::schema::{
    EventLiveData, GetEventLiveDataResponse, GetLiveDataResponse, GetLiveDatasResponse,
    GetMilestoneResponse, GetMilestonesResponse, GetStructuredTargetResponse,
    GetStructuredTargetsResponse, LiveData, Milestone, StructuredTarget,
};

use super::error::{Result, SimError};
use super::rest::{limit, params, Params};
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

/// `GET /milestones` (GetMilestones): required `limit`; filters `category`, `type`,
/// `related_event_ticker`, `cursor`.
pub async fn milestones(q: Params) -> Result<Json<GetMilestonesResponse>> {
    let p = params(q)?;
    if p.get("limit").is_none_or(String::is_empty) {
        return Err(SimError::BadRequest("limit is required".to_owned()));
    }
    let _ = limit(&p, 100, 500)?;
    let m = milestone();
    let keep = |name: &str, value: &str| p.get(name).is_none_or(|v| v.is_empty() || v == value);
    let matches = keep("category", &m.category)
        && keep("type", &m.r#type)
        && keep("related_event_ticker", EVENT)
        && p.get("cursor").is_none_or(String::is_empty);
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
    q: std::result::Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<GetStructuredTargetsResponse>> {
    let Query(pairs) =
        q.map_err(|e| SimError::BadRequest(format!("malformed query string: {e}")))?;
    let t = target();
    let ids: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .flat_map(|(_, v)| v.split(','))
        .filter(|v| !v.is_empty())
        .collect();
    let ty = pairs
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str());
    let keep = (ids.is_empty() || ids.contains(&TARGET_ID))
        && ty.is_none_or(|v| v.is_empty() || Some(v) == t.r#type.as_deref());
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
    q: std::result::Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<GetLiveDatasResponse>> {
    let Query(pairs) =
        q.map_err(|e| SimError::BadRequest(format!("malformed query string: {e}")))?;
    let ids: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "milestone_ids")
        .flat_map(|(_, v)| v.split(','))
        .filter(|v| !v.is_empty())
        .collect();
    Ok(Json(GetLiveDatasResponse {
        live_datas: ids
            .iter()
            .filter(|id| **id == MILESTONE_ID)
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
