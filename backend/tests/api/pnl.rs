//! The P&L history against the built-in exchange, on SQLite and PostgreSQL: a round trip
//! realizes its difference less fees, what is still open is unrealized at the mid, a
//! settlement realizes the rest; a user sees their own orders' P&L, an admin the desk's;
//! the CSV is the table.

use reqwest::Method;
use shared::auth::{Role, UserLimits};
use shared::ids::{Action, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::pnl::{PnlHistory, PnlRow};
use shared::protocol::OrderTicket;

use crate::helpers::{on_both, spawn_app_on, Db, Session};

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}

async fn history(session: &Session, query: &str) -> PnlHistory {
    let (status, text) = session
        .send(Method::GET, &format!("/api/pnl/history{query}"), None)
        .await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn trade(session: &Session, market: &MarketTicker, action: Action, price: &str, count: i64) {
    let ticket = OrderTicket::limit(
        market.clone(),
        action,
        Side::Yes,
        d(price),
        Count::from_int(count),
    );
    let (status, text) = session
        .send(
            Method::POST,
            "/api/orders",
            Some(serde_json::to_value(&ticket).unwrap()),
        )
        .await;
    assert_eq!(status, 201, "{text}");
}

fn row<'a>(rows: &'a [PnlRow], key: &str) -> &'a PnlRow {
    rows.iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key} in {rows:?}"))
}

async fn realized_unrealized_by_day_market_and_series(db: Db) {
    let app = spawn_app_on(db, |c| c.sim_flow = 0).await;
    let tara = app.user("tara", Role::Trader, UserLimits::default()).await;
    let markets = app.sim.market_tickers();
    let (a, b) = (&markets[0], &markets[1]);

    // Tara buys 4 at 0.45, sells 3 at 0.60: 3 × 0.15 realized, 1 open at the mid 0.625.
    app.lay(a, "0.40", "0.45", 10);
    trade(&tara, a, Action::Buy, "0.45", 4).await;
    app.lay(a, "0.60", "0.65", 10);
    trade(&tara, a, Action::Sell, "0.60", 3).await;
    // The admin buys 2 of b at 0.30, and b settles YES: 2 × 0.70 realized.
    app.lay(b, "0.25", "0.30", 10);
    trade(&app.session, b, Action::Buy, "0.30", 2).await;
    app.sim.settle_market(b, Side::Yes).unwrap();

    let mine = history(&tara, "").await;
    assert_eq!(mine.scope, "tara");
    assert_eq!(mine.fills, 2, "{mine:?}");
    let ra = row(&mine.markets, a.as_str());
    assert_eq!(ra.realized.checked_add(ra.fees), Some(d("0.45")), "{ra:?}");
    assert_eq!(ra.unrealized, d("0.175"), "{ra:?}");
    assert!(
        mine.markets.iter().all(|r| r.key != b.as_str()),
        "not tara's: {mine:?}"
    );
    let series = a.series();
    assert_eq!(row(&mine.series, series).total, ra.total);
    assert_eq!(mine.days.len(), 1, "one trading day: {mine:?}");
    assert_eq!(mine.days[0].total, ra.total);
    assert_eq!(mine.total.total, ra.total);

    // The desk: both users' fills; b realized at its settlement.
    let (status, _) = tara
        .send(Method::GET, "/api/pnl/history?desk=true", None)
        .await;
    assert_eq!(status, 403);
    let desk = history(&app.session, "?desk=true").await;
    assert_eq!(desk.fills, 3, "{desk:?}");
    let rb = row(&desk.markets, b.as_str());
    assert_eq!(rb.realized.checked_add(rb.fees), Some(d("1.40")), "{rb:?}");
    assert_eq!(rb.unrealized, Dollars::ZERO);
    assert_eq!(row(&desk.markets, a.as_str()), ra);
    let as_admin = history(&app.session, "?user=tara").await;
    assert_eq!(as_admin.markets, mine.markets);

    // Read again: the stored history is not counted twice.
    assert_eq!(history(&tara, "").await.markets, mine.markets);

    // The CSV is the table, with a total row.
    let (status, csv) = tara
        .send(Method::GET, "/api/pnl/history.csv?by=market", None)
        .await;
    assert_eq!(status, 200, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "key,realized,unrealized,fees,total");
    assert_eq!(
        lines[1],
        format!(
            "{},{},{},{},{}",
            ra.key, ra.realized, ra.unrealized, ra.fees, ra.total
        )
    );
    assert!(lines[lines.len() - 1].starts_with("total,"), "{csv}");
}
on_both!(pnl_history, realized_unrealized_by_day_market_and_series);
