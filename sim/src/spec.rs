//! Which of the spec's operations the built-in exchange serves, and a Kalshi-shaped `501`
//! for every other one, with the reason.
//!
//! The operations come from [`shared::api::ops::ALL_OPERATIONS`] (every `operationId` of
//! `kalshi-openapi.yaml`), so the list stays complete when the spec grows: an operation not
//! in [`IMPLEMENTED`] is routed by its method and path template to an answer of
//! `501 {"code":"not_implemented","message":"<OperationId> is not implemented by the built-in exchange"}`.
//! A path that is no Kalshi operation at all stays a `404 not_found`.
//!
//! # Implemented (96 operations)
//!
//! - `GetExchangeStatus`: `GET /exchange/status`
//! - `GetSeriesFeeChanges`: `GET /series/fee_changes`
//! - `GetExchangeSchedule`: `GET /exchange/schedule`
//! - `GetUserDataTimestamp`: `GET /exchange/user_data_timestamp`
//! - `GetMarketCandlesticks`: `GET /series/{series_ticker}/markets/{ticker}/candlesticks`
//! - `GetTrades`: `GET /markets/trades`
//! - `GetMarketOrderbook`: `GET /markets/{ticker}/orderbook`
//! - `GetMarketOrderbooks`: `GET /markets/orderbooks`
//! - `GetSeries`: `GET /series/{series_ticker}`
//! - `GetSeriesList`: `GET /series`
//! - `GetMarkets`: `GET /markets`
//! - `GetMarket`: `GET /markets/{ticker}`
//! - `BatchGetMarketCandlesticks`: `GET /markets/candlesticks`
//! - `GetMarketCandlesticksByEvent`: `GET /series/{series_ticker}/events/{ticker}/candlesticks`
//! - `GetEvents`: `GET /events`
//! - `GetMultivariateEvents`: `GET /events/multivariate`
//! - `GetEventFeeChanges`: `GET /events/fee_changes`
//! - `GetEvent`: `GET /events/{event_ticker}`
//! - `GetEventMetadata`: `GET /events/{event_ticker}/metadata`
//! - `GetEventForecastPercentilesHistory`: `GET /series/{series_ticker}/events/{ticker}/forecast_percentile_history`
//! - `GetOrders`: `GET /portfolio/orders`
//! - `GetOrder`: `GET /portfolio/orders/{order_id}`
//! - `GetOrderQueuePositions`: `GET /portfolio/orders/queue_positions`
//! - `GetOrderQueuePosition`: `GET /portfolio/orders/{order_id}/queue_position`
//! - `CreateOrderV2`: `POST /portfolio/events/orders`
//! - `CancelAllOrders`: `DELETE /portfolio/events/orders`
//! - `BatchCreateOrdersV2`: `POST /portfolio/events/orders/batched`
//! - `BatchCancelOrdersV2`: `DELETE /portfolio/events/orders/batched`
//! - `CancelOrderV2`: `DELETE /portfolio/events/orders/{order_id}`
//! - `AmendOrderV2`: `POST /portfolio/events/orders/{order_id}/amend`
//! - `DecreaseOrderV2`: `POST /portfolio/events/orders/{order_id}/decrease`
//! - `GetOrderGroups`: `GET /portfolio/order_groups`
//! - `CreateOrderGroup`: `POST /portfolio/order_groups/create`
//! - `GetOrderGroup`: `GET /portfolio/order_groups/{order_group_id}`
//! - `DeleteOrderGroup`: `DELETE /portfolio/order_groups/{order_group_id}`
//! - `ResetOrderGroup`: `PUT /portfolio/order_groups/{order_group_id}/reset`
//! - `TriggerOrderGroup`: `PUT /portfolio/order_groups/{order_group_id}/trigger`
//! - `UpdateOrderGroupLimit`: `PUT /portfolio/order_groups/{order_group_id}/limit`
//! - `GetBalance`: `GET /portfolio/balance`
//! - `CreateSubaccount`: `POST /portfolio/subaccounts`
//! - `ApplySubaccountTransfer`: `POST /portfolio/subaccounts/transfer`
//! - `GetSubaccountBalances`: `GET /portfolio/subaccounts/balances`
//! - `GetSubaccountTransfers`: `GET /portfolio/subaccounts/transfers`
//! - `UpdateSubaccountNetting`: `PUT /portfolio/subaccounts/netting`
//! - `GetSubaccountNetting`: `GET /portfolio/subaccounts/netting`
//! - `GetPositions`: `GET /portfolio/positions`
//! - `GetSettlements`: `GET /portfolio/settlements`
//! - `GetDeposits`: `GET /portfolio/deposits`
//! - `GetWithdrawals`: `GET /portfolio/withdrawals`
//! - `GetPortfolioRestingOrderTotalValue`: `GET /portfolio/summary/total_resting_order_value`
//! - `GetFills`: `GET /portfolio/fills`
//! - `GetCommunicationsID`: `GET /communications/id`
//! - `GetBlockTradeProposals`: `GET /communications/block-trade-proposals`
//! - `ProposeBlockTrade`: `POST /communications/block-trade-proposals`
//! - `AcceptBlockTradeProposal`: `POST /communications/block-trade-proposals/{block_trade_proposal_id}/accept`
//! - `GetRFQs`: `GET /communications/rfqs`
//! - `CreateRFQ`: `POST /communications/rfqs`
//! - `GetRFQ`: `GET /communications/rfqs/{rfq_id}`
//! - `DeleteRFQ`: `DELETE /communications/rfqs/{rfq_id}`
//! - `GetRFQQuote`: `GET /communications/rfqs/{rfq_id}/quotes/{quote_id}`
//! - `DeleteRFQQuote`: `DELETE /communications/rfqs/{rfq_id}/quotes/{quote_id}`
//! - `AcceptRFQQuote`: `PUT /communications/rfqs/{rfq_id}/quotes/{quote_id}/accept`
//! - `ConfirmRFQQuote`: `PUT /communications/rfqs/{rfq_id}/quotes/{quote_id}/confirm`
//! - `GetQuotes`: `GET /communications/quotes`
//! - `CreateQuote`: `POST /communications/quotes`
//! - `GetQuote`: `GET /communications/quotes/{quote_id}`
//! - `DeleteQuote`: `DELETE /communications/quotes/{quote_id}`
//! - `AcceptQuote`: `PUT /communications/quotes/{quote_id}/accept`
//! - `ConfirmQuote`: `PUT /communications/quotes/{quote_id}/confirm`
//! - `GetApiKeys`: `GET /api_keys`
//! - `CreateApiKey`: `POST /api_keys`
//! - `GenerateApiKey`: `POST /api_keys/generate`
//! - `DeleteApiKey`: `DELETE /api_keys/{api_key}`
//! - `GetAccountApiLimits`: `GET /account/limits`
//! - `GetAccountApiUsageLevelVolumeProgress`: `GET /account/api_usage_level/volume_progress`
//! - `GetAccountEndpointCosts`: `GET /account/endpoint_costs`
//! - `GetTagsForSeriesCategories`: `GET /search/tags_by_categories`
//! - `GetFiltersForSports`: `GET /search/filters_by_sport`
//! - `GetLiveDataByMilestone`: `GET /live_data/milestone/{milestone_id}`
//! - `GetLiveData`: `GET /live_data/{type}/milestone/{milestone_id}`
//! - `GetLiveDatas`: `GET /live_data/batch`
//! - `GetEventLiveData`: `GET /live_data/events/{event_ticker}`
//! - `GetStructuredTargets`: `GET /structured_targets`
//! - `GetStructuredTarget`: `GET /structured_targets/{structured_target_id}`
//! - `GetMilestone`: `GET /milestones/{milestone_id}`
//! - `GetMilestones`: `GET /milestones`
//! - `GetMultivariateEventCollections`: `GET /multivariate_event_collections`
//! - `GetIncentivePrograms`: `GET /incentive_programs`
//! - `GetHistoricalCutoff`: `GET /historical/cutoff`
//! - `GetMarketCandlesticksHistorical`: `GET /historical/markets/{ticker}/candlesticks`
//! - `GetFillsHistorical`: `GET /historical/fills`
//! - `GetHistoricalOrders`: `GET /historical/orders`
//! - `GetHistoricalPositions`: `GET /historical/positions`
//! - `GetTradesHistorical`: `GET /historical/trades`
//! - `GetHistoricalMarkets`: `GET /historical/markets`
//! - `GetHistoricalMarket`: `GET /historical/markets/{ticker}`
//!
//! # Answered with 501 (21 operations)
//!
//! FCM only: a futures commission merchant's subtraders, caps and positions:
//! - `GetFCMFills`: `GET /fcm/fills`
//! - `GetFCMOrders`: `GET /fcm/orders`
//! - `ListFCMSubtraders`: `GET /fcm/subtraders`
//! - `CreateFCMSubtrader`: `POST /fcm/subtraders`
//! - `GetFCMEventContractDailyCap`: `GET /fcm/subtraders/event_contract_daily_cap`
//! - `UpdateFCMEventContractDailyCap`: `PUT /fcm/subtraders/event_contract_daily_cap`
//! - `DeleteFCMEventContractDailyCap`: `DELETE /fcm/subtraders/event_contract_daily_cap`
//! - `GetFCMSubtraderBlockedCategories`: `GET /fcm/subtraders/blocked_categories`
//! - `UpdateFCMSubtraderBlockedCategories`: `PUT /fcm/subtraders/blocked_categories`
//! - `GetFCMPositions`: `GET /fcm/positions`
//!
//! Margin only: balances moved between the event-contract and the margined exchange instances, and margin allocation targets (the exchange has one instance):
//! - `IntraExchangeInstanceTransfer`: `POST /portfolio/intra_exchange_instance_transfer`
//! - `GetIntraExchangeInstanceTransfers`: `GET /portfolio/intra_exchange_instance_transfers`
//! - `GetIntraExchangeInstanceTransfer`: `GET /portfolio/intra_exchange_instance_transfers/{transfer_id}`
//! - `GetTargetBalanceAllocation`: `GET /portfolio/target_balance_allocation`
//! - `SetTargetBalanceAllocation`: `POST /portfolio/target_balance_allocation`
//!
//! Usage levels, earned on Kalshi by volume (the exchange's tier is its configuration, `usage_tier`):
//! - `UpgradeAccountApiUsageLevel`: `POST /account/api_usage_level/upgrade`
//!
//! Multivariate collections: the exchange's combo markets are recorded ones, with no collection to build new combos from (the list answers empty):
//! - `GetMultivariateEventCollection`: `GET /multivariate_event_collections/{collection_ticker}`
//! - `CreateMarketInMultivariateEventCollection`: `POST /multivariate_event_collections/{collection_ticker}`
//!
//! Sports and weather-station feeds the exchange does not have:
//! - `GetGameStats`: `GET /live_data/milestone/{milestone_id}/game_stats`
//! - `GetWeatherIndex`: `GET /live_data/weather/{city}`
//! - `GetWeatherIndexCalibrations`: `GET /live_data/weather/{city}/calibrations`

use axum::routing::{on, MethodFilter};
use axum::Router;
use shared::api::ops::{documented_statuses, ALL_OPERATIONS};
use shared::api::{match_template, Method};
use shared::rest::API_PREFIX;

use super::error::SimError;

/// The `operationId`s the exchange serves (its router's Kalshi routes). Adding a route for
/// a spec operation means adding its id here, or the 501 route would overlap it.
pub const IMPLEMENTED: &[&str] = &[
    "GetExchangeStatus",
    "GetMarkets",
    "GetTrades",
    "GetMarket",
    "GetMarketOrderbook",
    "CreateOrderV2",
    "CancelOrderV2",
    "GetOrders",
    "GetOrder",
    "GetBalance",
    "GetPositions",
    "GetFills",
    "GetSettlements",
    "GetCommunicationsID",
    "GetRFQs",
    "CreateRFQ",
    "GetRFQ",
    "DeleteRFQ",
    "GetRFQQuote",
    "DeleteRFQQuote",
    "AcceptRFQQuote",
    "ConfirmRFQQuote",
    "GetQuotes",
    "CreateQuote",
    "GetQuote",
    "DeleteQuote",
    "AcceptQuote",
    "ConfirmQuote",
    "AmendOrderV2",
    "DecreaseOrderV2",
    "CancelAllOrders",
    "BatchCreateOrdersV2",
    "BatchCancelOrdersV2",
    "GetOrderQueuePositions",
    "GetOrderQueuePosition",
    "GetOrderGroups",
    "CreateOrderGroup",
    "GetOrderGroup",
    "DeleteOrderGroup",
    "ResetOrderGroup",
    "TriggerOrderGroup",
    "UpdateOrderGroupLimit",
    "CreateSubaccount",
    "GetSubaccountBalances",
    "ApplySubaccountTransfer",
    "GetSubaccountTransfers",
    "GetSeriesList",
    "GetSeries",
    "GetEvents",
    "GetEvent",
    "GetMarketCandlesticks",
    "GetExchangeSchedule",
    "GetUserDataTimestamp",
    "GetAccountApiLimits",
    "GetAccountEndpointCosts",
    "GetAccountApiUsageLevelVolumeProgress",
    "GetPortfolioRestingOrderTotalValue",
    "GetApiKeys",
    "CreateApiKey",
    "GenerateApiKey",
    "DeleteApiKey",
    "GetMarketOrderbooks",
    "BatchGetMarketCandlesticks",
    "GetMarketCandlesticksByEvent",
    "GetEventForecastPercentilesHistory",
    "GetSeriesFeeChanges",
    "GetEventFeeChanges",
    "GetMultivariateEvents",
    "GetEventMetadata",
    "GetTagsForSeriesCategories",
    "GetFiltersForSports",
    "GetMilestones",
    "GetMilestone",
    "GetStructuredTargets",
    "GetStructuredTarget",
    "GetLiveDataByMilestone",
    "GetLiveData",
    "GetLiveDatas",
    "GetEventLiveData",
    "GetSubaccountNetting",
    "UpdateSubaccountNetting",
    "GetDeposits",
    "GetWithdrawals",
    "GetIncentivePrograms",
    "GetMultivariateEventCollections",
    "GetHistoricalCutoff",
    "GetHistoricalMarkets",
    "GetHistoricalMarket",
    "GetMarketCandlesticksHistorical",
    "GetTradesHistorical",
    "GetFillsHistorical",
    "GetHistoricalOrders",
    "GetHistoricalPositions",
    "GetBlockTradeProposals",
    "ProposeBlockTrade",
    "AcceptBlockTradeProposal",
];

/// `(operationId, method, path template)` of every spec operation the exchange does not serve.
pub fn not_implemented() -> impl Iterator<Item = &'static (&'static str, Method, &'static str)> {
    ALL_OPERATIONS
        .iter()
        .filter(|(id, _, _)| !IMPLEMENTED.contains(id))
}

/// The spec operation a request hits: `method` and the full path (with `/trade-api/v2`);
/// the most specific template wins (`/markets/trades` over `/markets/{ticker}`).
pub fn operation_of(method: &str, path: &str) -> Option<&'static str> {
    let path = path.strip_prefix(API_PREFIX)?;
    ALL_OPERATIONS
        .iter()
        .filter(|(_, m, _)| m.as_str() == method)
        .filter_map(|&(id, _, template)| Some((match_template(template, path)?, id)))
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, id)| id)
}

/// The status Kalshi answers for a refusal the exchange classed as `status`, among the ones
/// the spec documents for `operation_id`: an unknown resource is `404` where the operation
/// documents 404, else `400` (e.g. `GetSeries`, `CreateOrderV2` with an unknown market); a
/// malformed id is `400` where documented, else `404` (`CancelOrderV2`); a conflict or a
/// refusal Kalshi does not document for the operation is its `400` (a `503` for trading
/// paused included, where only order placement and amends document it). Statuses every
/// operation may answer (401, 429, 500) and documented ones pass unchanged.
pub fn documented_status(operation_id: &str, status: u16) -> u16 {
    let Some(documented) = documented_statuses(operation_id) else {
        return status;
    };
    let refusal = (400..500).contains(&status) || status == 503;
    if documented.contains(&status) || !refusal || matches!(status, 401 | 429) {
        return status;
    }
    [400, 404]
        .into_iter()
        .find(|s| documented.contains(s))
        .unwrap_or(status)
}

/// Middleware: rewrites a handler's refusal status to one the spec documents for the
/// request's operation ([`documented_status`]); the Kalshi error body is kept.
pub(crate) async fn documented_statuses_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let operation = operation_of(request.method().as_str(), request.uri().path());
    let mut response = next.run(request).await;
    if let Some(id) = operation {
        let status = response.status().as_u16();
        let wanted = documented_status(id, status);
        if wanted != status {
            if let Ok(code) = axum::http::StatusCode::from_u16(wanted) {
                *response.status_mut() = code;
            }
        }
    }
    response
}

/// One route per operation of [`not_implemented`], each answering its Kalshi-shaped 501.
pub(crate) fn not_implemented_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    not_implemented().fold(Router::new(), |router, &(id, method, path)| {
        let filter = match method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Delete => MethodFilter::DELETE,
            Method::Patch => MethodFilter::PATCH,
        };
        router.route(
            &format!("{API_PREFIX}{path}"),
            on(filter, move || async move { SimError::NotImplemented(id) }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_ids_are_spec_operations_and_the_docs_list_every_operation() {
        for id in IMPLEMENTED {
            assert!(
                ALL_OPERATIONS.iter().any(|(op, _, _)| op == id),
                "{id} is not a spec operation"
            );
        }
        let source = include_str!("spec.rs");
        let (docs, _) = source.split_once("\nuse ").unwrap();
        let (implemented, rest) = docs.split_once("# Answered with 501").unwrap();
        for (id, _, _) in ALL_OPERATIONS {
            let entry = format!("- `{id}`:");
            let listed = if IMPLEMENTED.contains(id) {
                implemented
            } else {
                rest
            };
            assert!(
                listed.contains(&entry),
                "module docs must list {id} in its section"
            );
        }
        assert!(rest.contains(&format!("({} operations)", not_implemented().count())));
    }
}
