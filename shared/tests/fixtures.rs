//! Every real recorded Kalshi payload this slice covers decodes (one row per file/frame).
//! Fixtures: `tests/fixtures/` (copied verbatim from recorded prod/demo traffic; see SOURCES.md).

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use shared::ids::Side;
use shared::num::{Count, Dollars};
use shared::rest::{
    ExchangeStatus, GetBalanceResponse, GetFillsResponse, GetMarketOrderbookResponse,
    GetMarketResponse, GetMarketsResponse, GetOrderResponse, GetOrdersResponse,
    GetPositionsResponse, MarketStatus, OrderStatus,
};
use shared::ws::{self, Incoming, ServerFrame};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn rest<T: DeserializeOwned>(name: &str) -> T {
    let path = fixtures()
        .join("rest-2026-01-prod-golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let wrapper: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(wrapper["response"].clone())
        .unwrap_or_else(|e| panic!("{name} does not decode: {e}"))
}

#[test]
fn every_rest_body_of_the_slice_decodes() {
    let markets: GetMarketsResponse = rest("markets_list_response");
    assert!(!markets.markets.is_empty() && !markets.cursor.is_empty());
    assert!(
        markets
            .markets
            .iter()
            .all(|m| m.status != MarketStatus::Other),
        "statuses known"
    );
    let one: GetMarketResponse = rest("market_single_response");
    assert_eq!(one.market.last_price_dollars, Some(Dollars::ZERO));
    let book: GetMarketOrderbookResponse = rest("orderbook_response");
    assert!(
        book.book().yes_dollars.is_empty() && book.book().no_dollars.is_empty(),
        "legacy all-null book"
    );
    let balance: GetBalanceResponse = rest("portfolio_balance_response");
    assert_eq!(
        balance.balance(),
        "100.00".parse().unwrap(),
        "legacy cents only"
    );
    let positions: GetPositionsResponse = rest("portfolio_positions_response");
    assert!(!positions.event_positions.is_empty());
    let fills: GetFillsResponse = rest("portfolio_fills_response");
    assert_eq!(fills.fills[0].contracts(), Count::from_int(32));
    assert_eq!(
        fills.fills[0].yes_price(),
        Some("0.60".parse().unwrap()),
        "transitional *_fixed prices"
    );
    let orders: GetOrdersResponse = rest("portfolio_orders_response");
    assert!(orders.orders.iter().all(|o| o.status != OrderStatus::Other));
    assert_eq!(
        orders.orders[0].filled(),
        Count::from_int(32),
        "legacy integer counts"
    );
    for name in [
        "portfolio_order_single_response",
        "create_order_response",
        "cancel_order_response",
    ] {
        let order: GetOrderResponse = rest(name);
        assert_eq!(
            order.order.yes_price(),
            Some("0.30".parse().unwrap()),
            "{name}"
        );
        assert_eq!(order.order.outcome(), Side::Yes, "{name}");
    }
    let status: ExchangeStatus = rest("exchange_status_response");
    assert!(status.exchange_active && status.trading_active);
}

#[test]
fn every_recorded_websocket_frame_decodes() {
    let text = std::fs::read_to_string(
        fixtures().join("ws-2026-05-20-live-replay/kalshi_live_replay_20260520.txt"),
    )
    .unwrap();
    let frames: Vec<&str> = text
        .split("\n;;")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(frames.len(), 21);
    let mut known = 0;
    let mut unknown = Vec::new();
    for frame in &frames {
        match ws::decode(frame).unwrap_or_else(|e| panic!("{frame}: {e}")) {
            Incoming::Known(f) => {
                known += 1;
                match f {
                    ServerFrame::Trade { msg, seq, .. } => {
                        assert_eq!(seq.map(|s| s.0), Some(2));
                        assert_eq!(msg.count_fp, "5.10".parse().unwrap());
                        assert_eq!(msg.yes_price_dollars.to_string(), "0.6000");
                        assert_eq!(msg.taker(), Some(Side::Yes));
                    }
                    ServerFrame::OrderbookSnapshot { msg, .. } => {
                        assert!(
                            msg.levels(Side::Yes).is_empty() && msg.levels(Side::No).is_empty(),
                            "empty book: keys absent"
                        );
                    }
                    ServerFrame::Error { msg, sid, .. } => {
                        assert_eq!((msg.code, sid.map(|s| s.0)), (13, Some(3)))
                    }
                    ServerFrame::UserOrder { msg, .. } => {
                        assert_eq!(msg.remaining_count_fp, Count::from_int(10));
                        assert_eq!(msg.outcome(), Side::Yes);
                    }
                    ServerFrame::Ticker { msg, .. } => {
                        assert_eq!(msg.yes_bid_size_fp, Some(Count::from_int(400)))
                    }
                    _ => {}
                }
            }
            Incoming::Unknown { kind, .. } => unknown.push(kind),
        }
    }
    assert!(
        unknown.is_empty(),
        "every recorded frame type is typed now: {unknown:?}"
    );
    assert_eq!(known, 21);
}

#[test]
fn a_malformed_frame_still_yields_its_sid_and_seq() {
    let err = ws::decode(
        r#"{"type":"orderbook_delta","sid":4,"seq":9,"msg":{"market_ticker":"X","side":"maybe"}}"#,
    )
    .unwrap_err();
    assert_eq!(
        (
            err.kind.as_deref(),
            err.sid.map(|s| s.0),
            err.seq.map(|s| s.0)
        ),
        (Some("orderbook_delta"), Some(4), Some(9))
    );
    assert!(ws::decode("not json").is_err());
}

/// Every recorded REST body decodes as its operation's typed response (one row per file).
#[test]
fn every_recorded_rest_file_decodes_as_its_operation() {
    let table: &[(&str, &str)] = &[
        ("amend_order_response", "AmendOrderV2"),
        ("batch_create_orders_response", "BatchCreateOrdersV2"),
        // Recorded against the retired V1 `/portfolio/orders` paths (not in 3.31): the body is
        // `{"order":{…}}` with cents and `side`/`action`, read into the same `rest::Order`.
        ("cancel_order_response", "GetOrder"),
        ("create_order_response", "GetOrder"),
        ("event_single_response", "GetEvent"),
        ("events_list_response", "GetEvents"),
        ("exchange_schedule_response", "GetExchangeSchedule"),
        ("exchange_status_response", "GetExchangeStatus"),
        ("market_single_response", "GetMarket"),
        ("markets_list_response", "GetMarkets"),
        ("order_group_create_response", "CreateOrderGroup"),
        ("order_group_single_response", "GetOrderGroup"),
        ("order_groups_list_response", "GetOrderGroups"),
        ("order_queue_positions_response", "GetOrderQueuePositions"),
        ("orderbook_response", "GetMarketOrderbook"),
        ("portfolio_balance_response", "GetBalance"),
        ("portfolio_fills_response", "GetFills"),
        ("portfolio_order_single_response", "GetOrder"),
        ("portfolio_orders_response", "GetOrders"),
        ("portfolio_positions_response", "GetPositions"),
        ("portfolio_settlements_response", "GetSettlements"),
        (
            "portfolio_total_resting_order_value_response",
            "GetPortfolioRestingOrderTotalValue",
        ),
        ("series_fee_changes_response", "GetSeriesFeeChanges"),
        ("series_single_response", "GetSeries"),
        ("trades_list_response", "GetTrades"),
        ("user_data_timestamp_response", "GetUserDataTimestamp"),
    ];
    let dir = fixtures().join("rest-2026-01-prod-golden");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with("_response.json"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        table.len(),
        "a fixture file without a row: {files:?}"
    );
    let mut failures = Vec::new();
    for (file, op) in table {
        let text = std::fs::read_to_string(dir.join(format!("{file}.json"))).unwrap();
        let wrapper: serde_json::Value = serde_json::from_str(&text).unwrap();
        match shared::api::ops::decode_response(op, &wrapper["response"]) {
            Some(Ok(_)) => {}
            Some(Err(e)) => failures.push(format!("{file} as {op}: {e}")),
            None => failures.push(format!("{file}: no operation {op}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
