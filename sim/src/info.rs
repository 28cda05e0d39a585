//! Exchange and account information: `GetExchangeSchedule`, `GetUserDataTimestamp`,
//! `GetAccountApiLimits`, `GetAccountEndpointCosts`, `GetAccountApiUsageLevelVolumeProgress`
//! and `GetPortfolioRestingOrderTotalValue` (the status itself is in `rest`, with the pause).
//!
//! The schedule: trading around the clock, with Kalshi's weekly maintenance window on
//! Thursdays 03:00–05:00 Eastern listed for the coming four weeks, plus a pause in progress
//! (started by a test or the fault API) as a window of its own.

use axum::extract::State;
use axum::{Extension, Json};
use shared::api::schema::{
    AccountApiUsageLevelVolumeGoal, AccountApiUsageLevelVolumeProgress, DailySchedule,
    GetAccountApiLimitsResponse, GetAccountApiUsageLevelVolumeProgressResponse,
    GetAccountEndpointCostsResponse, GetExchangeScheduleResponse,
    GetPortfolioRestingOrderTotalValueResponse, GetUserDataTimestampResponse, IndexedBalance,
    MaintenanceWindow, Schedule, WeeklySchedule,
};
use shared::num::{Count, Dollars};

use super::auth::Caller;
use super::error::{Result, SimError};
use super::rest::EXCHANGE_INDEX;
use super::wire::{rfc3339_ms, rfc3339_s};
use super::{now_ms, ratelimit, Sim};

/// A week, milliseconds.
const WEEK_MS: i64 = 7 * 24 * 3_600_000;
/// The weekly maintenance window: Thursday 08:00–10:00 UTC (03:00–05:00 Eastern
/// standard time). The Unix epoch was a Thursday, so windows start at `8 h + k weeks`.
const MAINTENANCE_START_MS: i64 = 8 * 3_600_000;
const MAINTENANCE_LEN_MS: i64 = 2 * 3_600_000;

/// The next `n` weekly maintenance windows that have not ended at `now_ms`.
pub fn weekly_maintenance(now_ms: i64, n: usize) -> Vec<(i64, i64)> {
    let first = (now_ms - MAINTENANCE_START_MS - MAINTENANCE_LEN_MS).div_euclid(WEEK_MS) + 1;
    (0..n)
        .filter_map(|k| i64::try_from(k).ok())
        .map(|k| {
            let start = MAINTENANCE_START_MS + (first + k) * WEEK_MS;
            (start, start + MAINTENANCE_LEN_MS)
        })
        .collect()
}

/// `GET /exchange/schedule` (GetExchangeSchedule).
pub async fn exchange_schedule(State(sim): State<Sim>) -> Json<GetExchangeScheduleResponse> {
    let now = now_ms();
    let day = || {
        vec![DailySchedule {
            open_time: "00:00".to_owned(),
            close_time: "24:00".to_owned(),
        }]
    };
    let mut windows: Vec<(i64, i64)> = Vec::new();
    if let Some(pause) = sim.pause() {
        windows.push((
            pause.started_ms,
            pause
                .ends_ms
                .unwrap_or(pause.started_ms + MAINTENANCE_LEN_MS),
        ));
    }
    windows.extend(weekly_maintenance(now, 4));
    Json(GetExchangeScheduleResponse {
        schedule: Schedule {
            standard_hours: vec![WeeklySchedule {
                start_time: "2026-01-01T00:00:00Z".to_owned(),
                end_time: "2100-01-01T00:00:00Z".to_owned(),
                monday: day(),
                tuesday: day(),
                wednesday: day(),
                thursday: day(),
                friday: day(),
                saturday: day(),
                sunday: day(),
            }],
            maintenance_windows: windows
                .into_iter()
                .map(|(start, end)| MaintenanceWindow {
                    start_datetime: rfc3339_s(start),
                    end_datetime: rfc3339_s(end),
                })
                .collect(),
        },
    })
}

/// `GET /exchange/user_data_timestamp` (GetUserDataTimestamp): the exchange's user data is
/// always current.
pub async fn user_data_timestamp() -> Json<GetUserDataTimestampResponse> {
    Json(GetUserDataTimestampResponse {
        as_of_time: rfc3339_ms(now_ms()),
    })
}

/// `GET /account/limits` (GetAccountApiLimits): the tier's buckets, in tokens.
pub async fn account_limits(State(sim): State<Sim>) -> Json<GetAccountApiLimitsResponse> {
    Json(sim.usage_tier().limits())
}

/// `GET /account/endpoint_costs` (GetAccountEndpointCosts).
pub async fn endpoint_costs() -> Json<GetAccountEndpointCostsResponse> {
    Json(GetAccountEndpointCostsResponse {
        default_cost: i64::from(ratelimit::DEFAULT_COST),
        endpoint_costs: ratelimit::endpoint_costs(),
    })
}

/// Trailing-30-day contract volume each volume-based tier takes to earn and to keep.
const VOLUME_GOALS: &[(&str, i64, i64)] = &[
    ("expert", 100_000, 75_000),
    ("premier", 1_000_000, 750_000),
    ("paragon", 5_000_000, 3_750_000),
    ("prime", 25_000_000, 18_750_000),
    ("prestige", 100_000_000, 75_000_000),
];

/// `GET /account/api_usage_level/volume_progress` (GetAccountApiUsageLevelVolumeProgress):
/// the caller's contracts filled over the last 30 days against each tier's goals.
pub async fn volume_progress(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<GetAccountApiUsageLevelVolumeProgressResponse>> {
    let now = now_ms();
    let since = now - 30 * 24 * 3_600_000;
    let core = sim.lock();
    let engine = &core.engine;
    let volume = engine
        .family(caller.0)
        .into_iter()
        .filter_map(|a| engine.account(a))
        .flat_map(|a| a.fills.iter())
        .filter(|f| f.msg.ts_ms.unwrap_or(0) >= since)
        .map(|f| f.msg.count_fp)
        .fold(Count::ZERO, |a, b| a + b);
    Ok(Json(GetAccountApiUsageLevelVolumeProgressResponse {
        volume_progress: vec![AccountApiUsageLevelVolumeProgress {
            computed_ts: now.div_euclid(1000),
            trailing_30d_volume_fp: volume,
            goals: VOLUME_GOALS
                .iter()
                .map(|&(level, earn, keep)| AccountApiUsageLevelVolumeGoal {
                    level: level.to_owned(),
                    earn_volume_goal_fp: Count::from_int(earn),
                    keep_volume_goal_fp: Count::from_int(keep),
                })
                .collect(),
        }],
    }))
}

/// `GET /portfolio/summary/total_resting_order_value` (GetPortfolioRestingOrderTotalValue):
/// what the caller's resting orders would cost if they all filled (price × remaining, each
/// in its own leg), in cents, with the per-exchange-index breakdown in dollars.
pub async fn resting_order_value(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<GetPortfolioRestingOrderTotalValueResponse>> {
    let core = sim.lock();
    let engine = &core.engine;
    let total = engine
        .family(caller.0)
        .into_iter()
        .flat_map(|a| engine.resting_orders(a))
        .try_fold(Dollars::ZERO, |sum, o| {
            sum.checked_add(o.leg_price().times(o.remaining))
        })
        .ok_or_else(|| SimError::BadRequest("resting order value overflows".to_owned()))?;
    let cents = total.raw() / Dollars::from_cents(1).raw();
    Ok(Json(GetPortfolioRestingOrderTotalValueResponse {
        total_resting_order_value: cents,
        resting_order_value_breakdown: vec![IndexedBalance {
            exchange_index: EXCHANGE_INDEX,
            balance: total,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_windows_are_thursday_mornings_not_yet_ended() {
        // Thursday 2026-12-03 09:00 UTC: inside this week's window, which is listed first.
        let now = 1_796_288_400_000;
        let w = weekly_maintenance(now, 2);
        assert_eq!(rfc3339_s(w[0].0), "2026-12-03T08:00:00Z");
        assert_eq!(rfc3339_s(w[0].1), "2026-12-03T10:00:00Z");
        assert_eq!(rfc3339_s(w[1].0), "2026-12-10T08:00:00Z");
        // Just after it ends, the next one leads.
        let after = weekly_maintenance(w[0].1, 1);
        assert_eq!(rfc3339_s(after[0].0), "2026-12-10T08:00:00Z");
    }
}
