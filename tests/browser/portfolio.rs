//! The live portfolio in a real browser against the built-in exchange: a fill shows live as
//! a position with its average price, mark (the live mid) and unrealized P&L; when the
//! exchange settles the market the position goes flat, the balance and realized P&L
//! change and the settlement appears in the history pane; older fills page in; the fills CSV
//! equals the exchange's fills.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::Context as _;
use desk_testkit::e2e::{run_in_browser_with_sim, sel, testid, Price};
use shared::ids::{MarketTicker, Side};

/// How long a fill, a position or a settlement may take to show up.
const UI_TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread")]
async fn position_marks_live_then_settles_into_history() -> anyhow::Result<()> {
    run_in_browser_with_sim("portfolio_settlement", async |browser, sim| {
        let market = browser.open_first_market().await?;
        let balance_before = browser
            .wait_until("a balance", UI_TIMEOUT, async || {
                Ok(Price::parse(&browser.text_of("balance").await?).ok())
            })
            .await?;

        // Take 2 YES through the ask: a fill and a position, marked at the live mid.
        let through = Price::from_ten_thousandths((market.ask.ten_thousandths() + 500).min(9_900));
        browser.buy_yes(through, "2").await?;
        let row_css = sel(
            "position-row",
            &[
                ("data-market", market.ticker.as_str()),
                ("data-position", "2.00"),
            ],
        );
        browser
            .wait_for_css(&row_css, UI_TIMEOUT)
            .await
            .context("the position never showed up")?;
        browser
            .wait_for_css(
                &sel("fill-row", &[("data-market", market.ticker.as_str())]),
                UI_TIMEOUT,
            )
            .await
            .context("the fill never showed up live")?;
        let mark = browser
            .wait_until("a mark for the position", UI_TIMEOUT, async || {
                Ok(Price::parse(&browser.text_of("position-mark").await?).ok())
            })
            .await?;
        assert!(
            mark > Price::from_ten_thousandths(0) && mark < Price::from_ten_thousandths(10_000),
            "the mark is a price: {mark}"
        );
        let avg = Price::parse(&browser.text_of("position-avg").await?)?;
        assert!(avg <= through, "paid at most the limit: {avg} vs {through}");
        let unrealized = browser.text_of("position-unrealized").await?;
        Price::parse(unrealized.trim().trim_start_matches('-'))
            .with_context(|| format!("unrealized P&L is a dollar amount: {unrealized:?}"))?;
        let balance_after_fill = browser
            .wait_until("the balance to pay for the fill", UI_TIMEOUT, async || {
                let now = Price::parse(&browser.text_of("balance").await?).ok();
                Ok(now.filter(|b| *b != balance_before))
            })
            .await?;
        browser.screenshot("1-position-marked").await?;

        // The exchange settles the market YES: 2 contracts pay $2.
        let ticker = MarketTicker::from(market.ticker.as_str());
        let settled = sim
            .settle_market(&ticker, Side::Yes)
            .map_err(|e| anyhow::anyhow!("settling {ticker}: {e}"))?;
        anyhow::ensure!(settled == 1, "one account held the market, not {settled}");
        browser
            .wait_gone(&row_css, UI_TIMEOUT)
            .await
            .context("the settled position did not go flat live")?;
        browser.click("tab-settlements").await?;
        let settlement_css = sel(
            "settlement-row",
            &[
                ("data-market", market.ticker.as_str()),
                ("data-result", "YES"),
                ("data-revenue", "2.0000"),
            ],
        );
        browser
            .wait_for_css(&settlement_css, UI_TIMEOUT)
            .await
            .context("the settlement never showed up")?;
        let paid_out = Price::from_ten_thousandths(balance_after_fill.ten_thousandths() + 20_000);
        browser
            .wait_until(
                "the balance to grow by the $2 payout",
                UI_TIMEOUT,
                async || {
                    let now = Price::parse(&browser.text_of("balance").await?).ok();
                    Ok(now.filter(|b| *b == paid_out))
                },
            )
            .await?;
        eprintln!("balance {balance_before} → {balance_after_fill} (fill) → {paid_out} (settled)");
        browser.screenshot("2-settled").await?;
        Ok(())
    })
    .await
}

/// A position whose market is not the one on screen is marked from that market's ticker:
/// the socket marks every position's market (no book is watched for it), so after another
/// market is opened the mark still follows the flow in the position's market.
#[tokio::test(flavor = "multi_thread")]
async fn a_position_in_another_market_is_marked_from_its_ticker() -> anyhow::Result<()> {
    run_in_browser_with_sim("portfolio_marks", async |browser, sim| {
        let market = browser.open_first_market().await?;
        let through = Price::from_ten_thousandths((market.ask.ten_thousandths() + 500).min(9_900));
        browser.buy_yes(through, "2").await?;
        browser
            .wait_for_css(
                &sel("position-row", &[("data-market", market.ticker.as_str())]),
                UI_TIMEOUT,
            )
            .await
            .context("the position never showed up")?;

        // Open another market: the position's book is no longer watched.
        let rows = browser.find_all(&testid("market-row")).await?;
        let mut other = None;
        for row in rows {
            let ticker = browser.attr(&row, "data-ticker", "a market row").await?;
            if ticker != market.ticker {
                other = Some(ticker);
                break;
            }
        }
        let other = other.context("a second market in the list")?;
        browser
            .click_css(&sel("market-row", &[("data-ticker", other.as_str())]))
            .await?;
        browser
            .wait_for_css(
                &format!(
                    "{}.selected",
                    sel("market-row", &[("data-ticker", other.as_str())])
                ),
                UI_TIMEOUT,
            )
            .await
            .context("the other market did not open")?;
        let before = browser
            .wait_until("a mark for the position", UI_TIMEOUT, async || {
                Ok(Price::parse(&browser.text_of("position-mark").await?).ok())
            })
            .await?;

        // Trade the position's market: its ticker moves the mark.
        anyhow::ensure!(
            sim.set_flow_focus(Some(MarketTicker::from(market.ticker.as_str()))),
            "{} takes flow",
            market.ticker
        );
        sim.set_flow(100);
        let after = browser
            .wait_until(
                "the mark to follow its market",
                Duration::from_secs(30),
                async || {
                    let now = Price::parse(&browser.text_of("position-mark").await?).ok();
                    Ok(now.filter(|m| *m != before))
                },
            )
            .await?;
        browser.screenshot("1-marked-from-ticker").await?;
        anyhow::ensure!(
            after > Price::from_ten_thousandths(0) && after < Price::from_ten_thousandths(10_000),
            "the mark is a price: {after}"
        );
        Ok(())
    })
    .await
}

/// The Fills pane's CSV link downloads exactly the exchange's fills of the desk: two buys
/// through the ask, then the file's rows (trade id, price, count as exact decimal strings)
/// equal the exchange's records. At 1280×720.
#[tokio::test(flavor = "multi_thread")]
async fn the_fills_csv_equals_the_exchanges_fills() -> anyhow::Result<()> {
    desk_testkit::e2e::run_in_browser_configured(
        "fills_csv",
        |c| c.sim_flow = 0,
        async |browser, sim| {
            browser.set_viewport(1280, 720).await?;
            let market = browser.open_first_market().await?;
            let through =
                Price::from_ten_thousandths((market.ask.ten_thousandths() + 500).min(9_900));
            browser.buy_yes(through, "2").await?;
            browser
                .wait_text(&testid("fills-count"), "1", UI_TIMEOUT)
                .await?;
            browser.buy_yes(through, "1").await?;
            browser
                .wait_until("two fills or more in the pane", UI_TIMEOUT, async || {
                    let n: usize = browser.text_of("fills-count").await?.trim().parse()?;
                    Ok((n >= 2).then_some(n))
                })
                .await?;
            let csv = browser.download("fills-csv").await?;
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            let mut rows: Vec<(String, String, String)> = reader
                .deserialize::<std::collections::HashMap<String, String>>()
                .map(|r| {
                    let r = r?;
                    Ok((
                        r["trade_id"].clone(),
                        r["yes_price"].clone(),
                        r["count"].clone(),
                    ))
                })
                .collect::<anyhow::Result<_>>()?;
            let mut exchange: Vec<(String, String, String)> = sim
                .key_ids()
                .iter()
                .flat_map(|k| sim.fills_for(k))
                .map(|f| {
                    (
                        f.trade_id.to_string(),
                        f.yes_price_dollars.to_string(),
                        f.count_fp.to_string(),
                    )
                })
                .collect();
            rows.sort();
            exchange.sort();
            anyhow::ensure!(
                !rows.is_empty() && rows == exchange,
                "{rows:?} vs {exchange:?}"
            );
            Ok(())
        },
    )
    .await
}

/// The P&L history at 1280×720: buy 4 YES at 45¢ and sell 3 at 60¢ in a laid book; the
/// P&L tab shows the round trip realized (0.45 before fees) and the one left unrealized at
/// the mid (62.5¢: +0.175), by market and by day with its bar; the CSV is the table.
#[tokio::test(flavor = "multi_thread")]
async fn the_pnl_history_shows_a_round_trip_realized_and_the_rest_marked() -> anyhow::Result<()> {
    desk_testkit::e2e::run_in_browser_configured(
        "pnl_history",
        |c| c.sim_flow = 0,
        async |browser, sim| {
            const M: &str = "KXDESK-26DEC31-T50";
            let lay = |bid: i64, ask: i64| {
                sim.lay_book(
                    &MarketTicker::from(M),
                    &shared::book::BookLevels {
                        yes: vec![(
                            shared::num::Dollars::from_cents(bid),
                            shared::num::Count::from_int(10),
                        )],
                        no: vec![(
                            shared::num::Dollars::from_cents(100 - ask),
                            shared::num::Count::from_int(10),
                        )],
                    },
                )
                .map_err(|e| anyhow::anyhow!("laying the book: {e:?}"))
            };
            browser.set_viewport(1280, 720).await?;
            lay(40, 45)?;
            let mut url = browser.client().current_url().await?.to_string();
            if let Some(i) = url.find('#') {
                url.truncate(i);
            }
            browser.goto(&format!("{url}#{M}")).await?;
            browser
                .wait_for_css(&sel("ladder", &[("data-ticker", M)]), UI_TIMEOUT)
                .await?;
            browser.buy_yes(Price::parse("0.45")?, "4").await?;
            browser
                .wait_text(&testid("fills-count"), "1", UI_TIMEOUT)
                .await?;
            lay(60, 65)?;
            browser.select("ticket-action", "sell").await?;
            browser.fill("ticket-price", "0.60").await?;
            browser.fill("ticket-count", "3").await?;
            browser.click("ticket-submit").await?;
            browser
                .wait_text(&testid("fills-count"), "2", UI_TIMEOUT)
                .await?;

            browser.click("tab-pnl").await?;
            browser.select("pnl-by", "market").await?;
            let row = sel("pnl-row", &[("data-key", M)]);
            let cell = |id: &'static str| format!("{row} {}", testid(id));
            browser
                .wait_text(&cell("pnl-unrealized"), "0.1750", UI_TIMEOUT)
                .await?;
            let read = async |id: &'static str| -> anyhow::Result<shared::num::Dollars> {
                let el = browser.wait_for_css(&cell(id), UI_TIMEOUT).await?;
                el.text()
                    .await?
                    .trim()
                    .parse()
                    .map_err(|e| anyhow::anyhow!("{id}: {e:?}"))
            };
            let (realized, fees) = (read("pnl-realized").await?, read("pnl-fees").await?);
            anyhow::ensure!(
                realized.checked_add(fees)
                    == Some("0.45".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?),
                "realized {realized} + fees {fees} is the round trip's 0.45"
            );
            let csv = browser.download("pnl-csv").await?;
            let line = csv
                .lines()
                .find(|l| l.starts_with(M))
                .with_context(|| format!("no {M} row in {csv}"))?;
            let table = browser.wait_for_css(&row, UI_TIMEOUT).await?.text().await?;
            let cells: Vec<&str> = table.split_whitespace().collect();
            anyhow::ensure!(line == cells.join(","), "CSV {line:?} vs table {cells:?}");
            browser.select("pnl-by", "day").await?;
            browser.wait_for_css(&testid("pnl-bar"), UI_TIMEOUT).await?;
            // The README's picture: a taller window and bottom row (as a dragged splitter
            // makes it), the fill notices dismissed.
            browser.set_viewport(1600, 1000).await?;
            browser
                .client()
                .execute(
                    "document.querySelector('[data-testid=desk-grid]').style.setProperty('--bottom-px', '480px');",
                    Vec::new(),
                )
                .await?;
            for close in browser.find_all(&testid("toast-close")).await? {
                let _ = close.click().await;
            }
            browser.screenshot("pnl").await?;
            Ok(())
        },
    )
    .await
}
