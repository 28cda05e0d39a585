//! The portfolio routes against the built-in exchange: positions with cost basis and P&L,
//! a market settling (winners paid, positions flat, a settlement row), and fills and
//! settlements paging back with Kalshi's cursors; the socket's `fill` and `position` frames
//! carry the same rows as those routes.

use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{
    FillsPage, OrderTicket, PlacedOrder, PortfolioView, ServerMsg, SettlementsPage,
};

use crate::helpers::{spawn_app_with, TestApp};

const T50: &str = "KXDESK-26DEC31-T50";
const T60: &str = "KXDESK-26DEC31-T60";

async fn get<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// Buys `count` YES in `market` at its best ask (the implied YES ask): fills at once.
async fn buy_yes_at_ask(app: &TestApp, market: &str, count: i64) {
    let book = app.sim.book(&market.into()).unwrap();
    let ask = book.no.last().unwrap().0.complement();
    let ticket = OrderTicket::limit(
        market.into(),
        Action::Buy,
        Side::Yes,
        ask,
        Count::from_int(count),
    );
    let (status, body) = app.post("/api/orders", &ticket).await;
    assert_eq!(status, 201, "{body}");
    let placed: PlacedOrder = serde_json::from_str(&body).unwrap();
    assert_eq!(placed.filled, Count::from_int(count), "{placed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_market_pays_the_winners_and_shows_as_a_settlement() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    buy_yes_at_ask(&app, T50, 3).await;
    let before: PortfolioView = get(&app, "/api/portfolio").await;
    let held = before
        .positions
        .iter()
        .find(|p| p.market_ticker.as_str() == T50)
        .expect("a T50 position")
        .clone();
    assert_eq!(held.position, Count::from_int(3));
    assert!(held.exposure > Dollars::ZERO, "{held:?}");
    assert!(
        held.fees_paid > Dollars::ZERO,
        "a taker pays a fee: {held:?}"
    );

    let settled = app
        .sim
        .settle_market(&MarketTicker::from(T50), Side::Yes)
        .unwrap();
    assert_eq!(settled, 1, "one registered account held T50");

    let after: PortfolioView = get(&app, "/api/portfolio").await;
    assert!(
        after
            .positions
            .iter()
            .all(|p| p.market_ticker.as_str() != T50),
        "flat after settling: {after:?}"
    );
    assert_eq!(
        after.balance - before.balance,
        Dollars::from_int(3),
        "3 winning YES pay $3"
    );
    assert_eq!(
        after.realized_pnl - before.realized_pnl,
        Dollars::from_int(3) - held.exposure
    );
    let page: SettlementsPage = get(&app, "/api/settlements").await;
    assert_eq!(page.settlements.len(), 1, "{page:?}");
    let s = &page.settlements[0];
    assert_eq!(s.ticker.as_str(), T50);
    assert_eq!(s.yes_count_fp, Count::from_int(3));
    assert_eq!(s.yes_total_cost_dollars, held.exposure);
    assert_eq!(s.revenue, 300, "cents");
    assert_eq!(s.fee_cost, held.fees_paid);
    assert_eq!(page.cursor, None);

    // The market takes no more orders.
    let ticket = OrderTicket::limit(
        T50.into(),
        Action::Buy,
        Side::Yes,
        "0.4000".parse().unwrap(),
        Count::from_int(1),
    );
    let (status, body) = app.post("/api/orders", &ticket).await;
    assert!((400..500).contains(&status), "{status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_and_settlements_page_back_with_cursors() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    for _ in 0..3 {
        buy_yes_at_ask(&app, T60, 1).await;
    }
    let first: FillsPage = get(&app, "/api/fills?limit=2").await;
    assert_eq!(first.fills.len(), 2);
    let cursor = first.cursor.clone().expect("a next page");
    let second: FillsPage = get(&app, &format!("/api/fills?limit=2&cursor={cursor}")).await;
    assert_eq!(second.fills.len(), 1, "{second:?}");
    assert_eq!(second.cursor, None, "the last page");
    let mut ids: Vec<_> = first
        .fills
        .iter()
        .chain(&second.fills)
        .map(|f| f.trade_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three different fills over two pages");

    buy_yes_at_ask(&app, T50, 1).await;
    app.sim.settle_market(&T50.into(), Side::No).unwrap();
    app.sim.settle_market(&T60.into(), Side::Yes).unwrap();
    let newest: SettlementsPage = get(&app, "/api/settlements?limit=1").await;
    assert_eq!(newest.settlements[0].ticker.as_str(), T60, "newest first");
    let cursor = newest.cursor.expect("an older page");
    let older: SettlementsPage =
        get(&app, &format!("/api/settlements?limit=1&cursor={cursor}")).await;
    assert_eq!(older.settlements[0].ticker.as_str(), T50);
    assert_eq!(
        older.settlements[0].revenue, 0,
        "YES holders of a NO market get nothing"
    );
    assert_eq!(older.cursor, None);

    for bad in [
        "/api/fills?limit=0",
        "/api/fills?limit=201",
        "/api/settlements?cursor=%00%01",
        "/api/settlements?subaccount=64",
    ] {
        let (status, body) = app.get(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("\"code\""), "{bad}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_fills_and_positions_are_the_rest_rows() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    let mut browser = app.browser().await;
    buy_yes_at_ask(&app, T50, 2).await;

    let ServerMsg::Fill(fill) = browser
        .until("the fill frame", |m| matches!(m, ServerMsg::Fill(_)))
        .await
    else {
        unreachable!("until returns the frame it waited for")
    };
    assert_eq!(
        fill.market_ticker.as_ref().map(MarketTicker::as_str),
        Some(T50)
    );
    assert_eq!(fill.side, Some(Side::Yes), "{fill:?}");
    assert_eq!(fill.count, Count::from_int(2));
    assert!(fill.yes_price.is_some() && fill.ts_ms.is_some(), "{fill:?}");
    let page: FillsPage = get(&app, "/api/fills").await;
    let listed = page
        .fills
        .iter()
        .find(|f| f.trade_id == fill.trade_id)
        .expect("REST lists the socket's fill");
    assert_eq!(
        (listed.side, listed.yes_price, listed.count, listed.is_taker),
        (fill.side, fill.yes_price, fill.count, fill.is_taker)
    );

    let ServerMsg::Position(position) = browser
        .until(
            "the T50 position frame",
            |m| matches!(m, ServerMsg::Position(p) if p.market_ticker.as_str() == T50),
        )
        .await
    else {
        unreachable!("until returns the frame it waited for")
    };
    assert_eq!(position.position, Count::from_int(2));
    assert_eq!(position.subaccount, 0);
    let portfolio: PortfolioView = get(&app, "/api/portfolio").await;
    let row = portfolio
        .positions
        .iter()
        .find(|p| p.market_ticker.as_str() == T50)
        .expect("a T50 position");
    assert_eq!(row, &position, "the frame is the portfolio's row");
}

/// The CSV exports hold exactly the exchange's rows: every fill of the desk's key (trade
/// id, price, count, fee as exact decimal strings, the desk user who traded), every
/// settlement, every order whatever its status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_exports_equal_the_exchanges_fills_settlements_and_orders() {
    let app = spawn_app_with(|c| c.sim_flow = 0).await;
    for _ in 0..3 {
        buy_yes_at_ask(&app, T60, 2).await;
    }
    buy_yes_at_ask(&app, T50, 1).await;
    app.sim.settle_market(&T50.into(), Side::No).unwrap();

    let read = |path: &'static str| {
        let app = &app;
        async move {
            let resp = app
                .http()
                .get(format!("http://127.0.0.1:{}{path}", app.port))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{path}");
            let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(kind.starts_with("text/csv"), "{kind}");
            let text = resp.text().await.unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect();
            let rows: Vec<std::collections::HashMap<String, String>> = reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    header
                        .iter()
                        .cloned()
                        .zip(r.iter().map(str::to_owned))
                        .collect()
                })
                .collect();
            rows
        }
    };

    let fills = read("/api/fills.csv").await;
    let mut exchange: Vec<_> = app
        .sim
        .key_ids()
        .iter()
        .flat_map(|k| app.sim.fills_for(k))
        .collect();
    assert_eq!(fills.len(), exchange.len(), "{fills:?}");
    assert_eq!(fills.len(), 4);
    exchange.sort_by(|a, b| a.trade_id.as_str().cmp(b.trade_id.as_str()));
    let mut ours = fills.clone();
    ours.sort_by(|a, b| a["trade_id"].cmp(&b["trade_id"]));
    for (row, fill) in ours.iter().zip(&exchange) {
        assert_eq!(row["trade_id"], fill.trade_id.as_str());
        assert_eq!(row["order_id"], fill.order_id.as_str());
        assert_eq!(row["market_ticker"], fill.market_ticker.as_str());
        assert_eq!(row["yes_price"], fill.yes_price_dollars.to_string());
        assert_eq!(row["count"], fill.count_fp.to_string());
        assert_eq!(row["is_taker"], fill.is_taker.to_string());
        assert_eq!(row["owner"], "admin", "{row:?}");
    }
    assert!(
        fills.iter().all(|r| r["yes_price"].len() == 6),
        "0.xxxx: {fills:?}"
    );

    let settlements = read("/api/settlements.csv").await;
    assert_eq!(settlements.len(), 1, "{settlements:?}");
    assert_eq!(settlements[0]["market_ticker"], T50);
    assert_eq!(settlements[0]["market_result"], "no");
    assert_eq!(settlements[0]["yes_count"], "1.00");
    assert_eq!(settlements[0]["revenue"], "0.0000");

    let orders = read("/api/orders.csv").await;
    assert_eq!(orders.len(), 4, "{orders:?}");
    assert!(
        orders
            .iter()
            .all(|o| o["status"] == "executed" && o["owner"] == "admin"),
        "{orders:?}"
    );

    let (status, body) = app.get("/api/fills.csv?subaccount=99999").await;
    assert_eq!(status, 400, "{body}");
}
