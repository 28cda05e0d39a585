//! Finding markets and a market's page, in a real browser against the built-in exchange:
//! browse series → event → market, search and filter, paging with Kalshi cursors, a
//! watchlist that survives a reload, click-to-trade, keyboard shortcuts (buy, sell, price
//! ticks on a tapered grid, cancel all, the `?` list, no trading while typing), ticker
//! stats, the depth chart and candles from the exchange's own trades, and the event board
//! (crafted brackets priced below $1 flagged, click-to-trade from the board) at 1280×720.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::{ensure, Context as _};
use desk_testkit::e2e::{run_in_browser, run_in_browser_configured, sel, testid, Browser, Price};
use fantoccini::key::Key;

const WAIT: Duration = Duration::from_secs(15);

/// Waits for the SIM banner and a live stream.
async fn desk_ready(browser: &Browser) -> anyhow::Result<()> {
    browser
        .wait_for_css(&sel("conn-status", &[("data-state", "live")]), WAIT)
        .await
        .context("the desk's stream never went live")?;
    Ok(())
}

/// The `data-ticker` of every market row shown now.
async fn row_tickers(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for row in browser.find_all(&testid("market-row")).await? {
        out.push(browser.attr(&row, "data-ticker", "a market row").await?);
    }
    Ok(out)
}

/// Waits until the market rows satisfy `ok`; returns them.
async fn rows_until(
    browser: &Browser,
    what: &str,
    ok: impl Fn(&[String]) -> bool,
) -> anyhow::Result<Vec<String>> {
    browser
        .wait_until(what, WAIT, async || {
            let rows = row_tickers(browser).await?;
            Ok(ok(&rows).then_some(rows))
        })
        .await
}

async fn value_of(browser: &Browser, id: &str) -> anyhow::Result<String> {
    Ok(browser
        .wait_for(id)
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// Opens a market through the address bar's `#TICKER` and waits for its book.
async fn open_market(browser: &Browser, base: &str, ticker: &str) -> anyhow::Result<()> {
    browser.goto(&format!("{base}#{ticker}")).await?;
    desk_ready(browser).await?;
    browser
        .wait_for_css(&sel("ladder", &[("data-ticker", ticker)]), WAIT)
        .await?;
    browser
        .wait_for_css(&sel("ladder-level", &[("data-side", "yes")]), WAIT)
        .await
        .context("the book never loaded")?;
    Ok(())
}

async fn current_url(browser: &Browser) -> anyhow::Result<String> {
    let url = browser.client().current_url().await?;
    let mut base = url.to_string();
    if let Some(i) = base.find('#') {
        base.truncate(i);
    }
    Ok(base)
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_series_then_event_then_open_a_market() -> anyhow::Result<()> {
    run_in_browser("browse", async |browser| {
        desk_ready(browser).await?;
        browser.click("tab-browse").await?;
        browser.select("browse-category", "Economics").await?;
        let fed = sel("series-row", &[("data-ticker", "KXDESKFED")]);
        browser
            .wait_gone(&sel("series-row", &[("data-ticker", "KXDESK")]), WAIT)
            .await?;
        browser.wait_for_css(&fed, WAIT).await?.click().await?;

        let event = sel("event-row", &[("data-ticker", "KXDESKFED-26DEC16")]);
        browser.wait_for_css(&event, WAIT).await?;
        browser
            .wait_for_css(
                &sel("event-row", &[("data-ticker", "KXDESKFED-26OCT28")]),
                WAIT,
            )
            .await
            .context("the closed event is listed too")?;
        browser.find_all(&event).await?[0].click().await?;

        let rows = rows_until(browser, "the event's four markets", |r| r.len() == 4).await?;
        ensure!(
            rows.iter().all(|t| t.starts_with("KXDESKFED-26DEC16-")),
            "{rows:?}"
        );
        let crumb = browser.text_of("browse-crumbs").await?;
        ensure!(
            crumb.contains("KXDESKFED") && crumb.contains("KXDESKFED-26DEC16"),
            "{crumb}"
        );

        browser
            .wait_for_css(
                &sel("market-row", &[("data-ticker", "KXDESKFED-26DEC16-T3.50")]),
                WAIT,
            )
            .await?
            .click()
            .await?;
        browser
            .wait_for_css(
                &sel("ladder", &[("data-ticker", "KXDESKFED-26DEC16-T3.50")]),
                WAIT,
            )
            .await?;
        browser
            .wait_until("the tapered price grid in the header", WAIT, async || {
                Ok(browser
                    .text_of("market-grid")
                    .await?
                    .contains("tapered_deci_cent")
                    .then_some(()))
            })
            .await?;

        // Back up one level: the series' events again.
        browser.click("crumb-series").await?;
        browser.wait_for_css(&event, WAIT).await?;
        browser.click("crumb-all").await?;
        browser.wait_for_css(&fed, WAIT).await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn search_filter_and_page_with_cursors() -> anyhow::Result<()> {
    run_in_browser("search", async |browser| {
        desk_ready(browser).await?;
        // Text: open markets whose ticker or title has every word.
        browser.fill("market-filter", "central park").await?;
        let rows = rows_until(browser, "the four open rain markets", |r| {
            r.len() == 4 && r.iter().all(|t| t.starts_with("KXDESKRAIN-27JAN"))
        })
        .await?;
        ensure!(rows.len() == 4);
        // Status.
        browser.select("filter-status", "settled").await?;
        rows_until(browser, "the two settled rain markets", |r| {
            r == ["KXDESKRAIN-26OCT-T2", "KXDESKRAIN-26OCT-T4"]
        })
        .await?;
        let settled = browser
            .find_all(&sel("market-row", &[("data-status", "settled")]))
            .await?;
        ensure!(settled.len() == 2, "rows say they are settled");

        // Category.
        browser.fill("market-filter", "").await?;
        browser.select("filter-status", "open").await?;
        browser.select("filter-category", "Sports").await?;
        rows_until(browser, "the five sports combos", |r| {
            r.len() == 5 && r.iter().all(|t| t.starts_with("KXMVE"))
        })
        .await?;

        // Close date (open markets closing before 2026-12-20, with "fed").
        browser.select("filter-category", "").await?;
        browser.fill("market-filter", "fed").await?;
        browser.fill("filter-closes-before", "2026-12-20").await?;
        rows_until(browser, "the four December Fed markets", |r| {
            r.len() == 4 && r.iter().all(|t| t.starts_with("KXDESKFED-26DEC16"))
        })
        .await?;
        browser.fill("filter-closes-before", "2026-13-45").await?;
        let err = browser.text_of("filter-error").await?;
        ensure!(err.contains("2026-12-31"), "a plain message: {err}");
        browser.fill("filter-closes-before", "").await?;
        browser.fill("market-filter", "").await?;

        // Paging with Kalshi cursors: 10 a page over every market (21, any status).
        browser.select("filter-status", "any").await?;
        browser.select("page-size", "10").await?;
        let first = rows_until(browser, "a first page of 10", |r| r.len() == 10).await?;
        browser.click("markets-more").await?;
        let second = rows_until(browser, "two pages", |r| r.len() == 20).await?;
        ensure!(second[..10] == first[..], "load more appends");
        browser.click("markets-more").await?;
        let all = rows_until(browser, "the last page", |r| r.len() == 21).await?;
        browser.wait_gone(&testid("markets-more"), WAIT).await?;
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        ensure!(sorted == all, "each market once, in ticker order: {all:?}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn watchlist_survives_a_reload() -> anyhow::Result<()> {
    run_in_browser("watchlist", async |browser| {
        desk_ready(browser).await?;
        let base = current_url(browser).await?;
        let star = |t: &str| sel("watch-toggle", &[("data-ticker", t)]);
        for t in ["KXDESK-26DEC31-T60", "KXDESKRAIN-27JAN-T3"] {
            browser.wait_for_css(&star(t), WAIT).await?.click().await?;
            browser
                .wait_for_css(
                    &sel("watch-toggle", &[("data-ticker", t), ("data-on", "true")]),
                    WAIT,
                )
                .await?;
        }
        browser.click("tab-watchlist").await?;
        rows_until(browser, "two watched markets", |r| {
            r == ["KXDESK-26DEC31-T60", "KXDESKRAIN-27JAN-T3"]
        })
        .await?;

        browser.goto(&base).await?;
        desk_ready(browser).await?;
        browser.click("tab-watchlist").await?;
        rows_until(browser, "the watchlist after a reload", |r| {
            r == ["KXDESK-26DEC31-T60", "KXDESKRAIN-27JAN-T3"]
        })
        .await?;
        let tab = browser.text_of("tab-watchlist").await?;
        ensure!(tab.contains("(2)"), "{tab}");

        // Unstar one from the watchlist itself.
        browser
            .wait_for_css(&star("KXDESK-26DEC31-T60"), WAIT)
            .await?
            .click()
            .await?;
        rows_until(browser, "one watched market", |r| {
            r == ["KXDESKRAIN-27JAN-T3"]
        })
        .await?;
        browser.goto(&base).await?;
        desk_ready(browser).await?;
        browser.click("tab-watchlist").await?;
        rows_until(browser, "still one after a reload", |r| {
            r == ["KXDESKRAIN-27JAN-T3"]
        })
        .await?;
        Ok(())
    })
    .await
}

/// Resting orders shown now.
async fn open_orders(browser: &Browser) -> anyhow::Result<usize> {
    Ok(browser.find_all(&testid("open-order")).await?.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn click_to_trade_and_keyboard_shortcuts() -> anyhow::Result<()> {
    run_in_browser("shortcuts", async |browser| {
        desk_ready(browser).await?;
        let base = current_url(browser).await?;
        open_market(browser, &base, "KXDESK-26DEC31-T40").await?;

        // Click-to-trade: a NO bid level fills side and price.
        let levels = browser
            .find_all(&sel("ladder-level", &[("data-side", "no")]))
            .await?;
        let level = levels.get(2).context("a third NO level")?;
        let price = browser.attr(level, "data-price", "a NO level").await?;
        level.click().await?;
        ensure!(value_of(browser, "ticket-side").await? == "no");
        ensure!(
            value_of(browser, "ticket-price").await? == price,
            "ticket holds {price}"
        );

        // A YES level, then move the price by ticks.
        let level = browser
            .find_all(&sel("ladder-level", &[("data-side", "yes")]))
            .await?
            .into_iter()
            .nth(2)
            .context("a third YES level")?;
        let yes_price = Price::parse(&browser.attr(&level, "data-price", "a YES level").await?)?;
        level.click().await?;
        ensure!(value_of(browser, "ticket-side").await? == "yes");
        browser.press(&Key::Up.to_string()).await?;
        let up = Price::from_ten_thousandths(yes_price.ten_thousandths() + 100);
        ensure!(
            value_of(browser, "ticket-price").await? == up.to_string(),
            "one cent up"
        );
        browser
            .press(&format!("{}{}", Key::Down, Key::Down))
            .await?;
        let down = yes_price.cents_below(1).context("price above a cent")?;
        ensure!(
            value_of(browser, "ticket-price").await? == down.to_string(),
            "one cent down from the level"
        );

        // B buys: a resting order appears.
        browser.fill("ticket-count", "2").await?;
        let before = open_orders(browser).await?;
        browser.press("b").await?;
        browser
            .wait_until("the B order to rest", WAIT, async || {
                Ok((open_orders(browser).await? > before).then_some(()))
            })
            .await?;
        browser
            .wait_for_css(
                &sel(
                    "ladder-level",
                    &[
                        ("data-side", "yes"),
                        ("data-price", &down.to_string()),
                        ("data-mine", "true"),
                    ],
                ),
                WAIT,
            )
            .await?;

        // S sells YES well above the ask: it rests on the NO ladder.
        let ask = Price::parse(&browser.text_of("best-yes-ask").await?)?;
        let high = Price::from_ten_thousandths((ask.ten_thousandths() / 100 + 5) * 100);
        browser.fill("ticket-price", &high.two_decimals()).await?;
        browser.press("s").await?;
        ensure!(value_of(browser, "ticket-action").await? == "sell");
        browser
            .wait_until("the S order to rest", WAIT, async || {
                Ok((open_orders(browser).await? >= before + 2).then_some(()))
            })
            .await?;

        // Typing in a field never trades: x and b go into the search box.
        browser.fill("market-filter", "xb").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(
            open_orders(browser).await? == before + 2,
            "no shortcut fired while typing"
        );
        browser.fill("market-filter", "").await?;

        // X cancels everything in this market.
        browser.press("x").await?;
        browser
            .wait_until("cancel all in the market", WAIT, async || {
                Ok((open_orders(browser).await? == before).then_some(()))
            })
            .await?;

        // ? lists the shortcuts; Esc closes the list.
        browser.press("?").await?;
        let help = browser.text_of("shortcuts-help").await?;
        for word in ["Buy", "Sell", "tick", "Cancel all"] {
            ensure!(help.contains(word), "the list names {word}: {help}");
        }
        browser.press(&Key::Escape.to_string()).await?;
        browser.wait_gone(&testid("shortcuts-help"), WAIT).await?;

        // Ticks follow the tapered grid: $0.001 below $0.10, $0.01 above.
        open_market(browser, &base, "KXDESKFED-26DEC16-T4.00").await?;
        // Until the market's details arrive the ticket steps by Kalshi's default cent.
        browser
            .wait_until("the market's price grid", WAIT, async || {
                let grid = browser.text_of("market-grid").await?;
                Ok((!grid.is_empty()).then_some(()))
            })
            .await?;
        browser.fill("ticket-price", "0.10").await?;
        for (key, want) in [
            (Key::Down, "0.0990"),
            (Key::Down, "0.0980"),
            (Key::Up, "0.0990"),
            (Key::Up, "0.1000"),
            (Key::Up, "0.1100"),
        ] {
            browser.press(&key.to_string()).await?;
            let got = value_of(browser, "ticket-price").await?;
            ensure!(got == want, "after {key:?}: {got} (want {want})");
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn ticker_stats_depth_chart_and_candles() -> anyhow::Result<()> {
    run_in_browser("charts", async |browser| {
        desk_ready(browser).await?;
        let base = current_url(browser).await?;
        open_market(browser, &base, "KXDESKFED-26DEC16-T3.50").await?;

        // Depth: both sides drawn from the live book.
        browser
            .wait_until("the depth chart", WAIT, async || {
                let svg = browser.wait_for("depth-chart").await?;
                let bids: usize = browser
                    .attr(&svg, "data-bid-levels", "depth")
                    .await?
                    .parse()?;
                let asks: usize = browser
                    .attr(&svg, "data-ask-levels", "depth")
                    .await?
                    .parse()?;
                Ok((bids >= 5 && asks >= 5).then_some(()))
            })
            .await?;
        for path in ["depth-bids", "depth-asks"] {
            let d = browser
                .attr(&browser.wait_for(path).await?, "d", path)
                .await?;
            ensure!(d.starts_with('M') && d.ends_with('Z'), "{path}: {d}");
        }

        // Trade through the ticket: buy YES up to two cents through the ask, IOC.
        let ask = Price::parse(&browser.text_of("best-yes-ask").await?)?;
        let limit = Price::from_ten_thousandths((ask.ten_thousandths() / 100 + 2) * 100);
        browser.select("ticket-side", "yes").await?;
        browser.fill("ticket-price", &limit.two_decimals()).await?;
        browser.fill("ticket-count", "3").await?;
        browser.select("ticket-tif", "ioc").await?;
        browser.click("ticket-submit").await?;
        browser
            .wait_until("the fill", WAIT, async || {
                Ok(browser
                    .text_of("ticket-result")
                    .await?
                    .contains("filled")
                    .then_some(()))
            })
            .await?;

        // Ticker stats from live frames (counts parse like prices: exact decimals).
        let three = Price::parse("3")?;
        browser
            .wait_until("volume and open interest", WAIT, async || {
                let vol = Price::parse(&browser.text_of("ticker-volume").await?)?;
                let oi = Price::parse(&browser.text_of("ticker-oi").await?)?;
                let last = browser.text_of("ticker-last").await?;
                let ok = vol >= three && oi.ten_thousandths() > 0 && Price::parse(&last).is_ok();
                Ok(ok.then_some(()))
            })
            .await?;

        // The trades tape (windowed: rows of the trades in view) shows it, YES the taker.
        let row = browser
            .wait_for_css(&sel("trade-row", &[("data-taker", "yes")]), WAIT)
            .await
            .context("the fill on the trades tape")?;
        ensure!(
            row.text().await?.contains("YES"),
            "the tape's row names the taker"
        );

        // Candles: each period shows the trade (its contracts, at or under the limit).
        for period in ["1m", "1h", "1d"] {
            browser
                .wait_for_css(&sel("candle-period", &[("data-period", period)]), WAIT)
                .await?
                .click()
                .await?;
            browser
                .wait_until(&format!("{period} candles"), WAIT, async || {
                    let svg = browser.wait_for("candle-chart").await?;
                    let shown = browser.attr(&svg, "data-period", "candles").await?;
                    let n: usize = browser
                        .attr(&svg, "data-candles", "candles")
                        .await?
                        .parse()?;
                    Ok((shown == period && n >= 1).then_some(()))
                })
                .await?;
            let mut volume = 0;
            let mut lowest = None;
            for c in browser.find_all(&testid("candle")).await? {
                let low = Price::parse(&browser.attr(&c, "data-low", "candle").await?)?;
                let high = Price::parse(&browser.attr(&c, "data-high", "candle").await?)?;
                ensure!(low <= high, "{period}: low above high");
                volume += Price::parse(&browser.attr(&c, "data-volume", "candle").await?)?
                    .ten_thousandths();
                lowest = Some(lowest.map_or(low, |l: Price| l.min(low)));
            }
            ensure!(
                volume >= three.ten_thousandths(),
                "{period}: the trade's contracts are in the candles"
            );
            ensure!(
                lowest.is_some_and(|l| l <= limit),
                "{period}: a candle at or under {limit}"
            );
        }
        browser.screenshot("market-page").await?;
        Ok(())
    })
    .await
}

/// The `data-ticker` of every market row in the page, read in one script (rows come and
/// go as the windowed list scrolls and as tickers update them).
async fn rows_now(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let value = browser
        .client()
        .execute(
            "return [...document.querySelectorAll('[data-testid=market-row]')].map(e => e.dataset.ticker);",
            Vec::new(),
        )
        .await
        .context("reading the market rows")?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// Waits until the finder says it holds `n` markets.
async fn loaded(browser: &Browser, n: usize) -> anyhow::Result<()> {
    browser
        .wait_until(&format!("{n} markets loaded"), WAIT, async || {
            let count: usize = browser.text_of("markets-count").await?.trim().parse()?;
            Ok((count == n).then_some(()))
        })
        .await
}

/// With a Kalshi-sized universe (5,000 generated markets) a text search reaches every open
/// market, and the list stays windowed: with hundreds of markets loaded the page holds
/// about a hundred rows, and scrolling to the end shows the last ones.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_universe_is_searched_whole_and_listed_windowed() -> anyhow::Result<()> {
    run_in_browser_configured(
        "universe",
        |c| {
            c.sim_markets = 5_000;
            c.sim_flow = 5;
        },
        async |browser, _sim| {
            desk_ready(browser).await?;
            browser.select("page-size", "100").await?;
            // The whole text at once: typed key by key, every prefix would be a search of
            // its own, and a late answer could replace the pages loaded below.
            browser
                .client()
                .execute(
                    "const i = document.querySelector('[data-testid=market-filter]'); \
                     i.value = 'high temp'; i.dispatchEvent(new Event('input', { bubbles: true }));",
                    Vec::new(),
                )
                .await
                .context("typing the search")?;
            // Its rows replace the unfiltered list's (which starts with other series).
            browser
                .wait_until("the search's rows", WAIT, async || {
                    let rows = rows_now(browser).await?;
                    Ok((!rows.is_empty() && rows.iter().all(|t| t.starts_with("KXHIGH")))
                        .then_some(()))
                })
                .await?;
            loaded(browser, 100).await?;
            for pages in 2..=5 {
                browser.click("markets-more").await?;
                loaded(browser, pages * 100).await?;
            }
            let top = rows_now(browser).await?;
            ensure!(
                !top.is_empty() && top.len() < 120,
                "500 markets loaded, {} rows in the page",
                top.len()
            );
            ensure!(top.iter().all(|t| t.starts_with("KXHIGH")), "{top:?}");
            browser
                .client()
                .execute(
                    "const l = document.querySelector('[data-testid=market-list]'); l.scrollTop = l.scrollHeight;",
                    Vec::new(),
                )
                .await
                .context("scrolling the list")?;
            let end = browser
                .wait_until("the list's end in view", WAIT, async || {
                    let rows = rows_now(browser).await?;
                    Ok(rows
                        .first()
                        .is_some_and(|t| !top.contains(t))
                        .then_some(rows))
                })
                .await?;
            ensure!(end.len() < 120, "{} rows at the end", end.len());
            ensure!(end.iter().all(|t| t.starts_with("KXHIGH")), "{end:?}");
            browser.screenshot("1-universe-windowed").await?;
            Ok(())
        },
    )
    .await
}

/// The event board at 1280×720: a temperature event's six brackets side by side, live from
/// their tickers; crafted books that offer every bracket at $0.10 raise the "buy every YES"
/// flag with the size available; clicking a bracket's ask opens it with the ticket set to
/// buy YES there, its ask size with that size too; "back to the book" shows the ladder again.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_board_flags_a_bracket_priced_below_a_dollar() -> anyhow::Result<()> {
    run_in_browser_configured(
        "event-board",
        |c| {
            c.sim_markets = 200;
            c.sim_flow = 0;
        },
        async |browser, sim| {
            browser.set_viewport(1280, 720).await?;
            let first = sim
                .market_tickers()
                .into_iter()
                .find(|t| t.as_str().starts_with("KXHIGH"))
                .context("a temperature bracket")?;
            let base = current_url(browser).await?;
            open_market(browser, &base, first.as_str()).await?;
            // Enabled once the market's details (its event) are loaded.
            browser
                .wait_for_css(&format!("{}:not([disabled])", testid("board-toggle")), WAIT)
                .await?
                .click()
                .await?;
            // Read in one script: the rows' tickers at one instant.
            let markets: Vec<String> = browser
                .wait_until("six bracket rows", WAIT, async || {
                    let rows = browser
                        .client()
                        .execute(
                            "return [...document.querySelectorAll('[data-testid=board-row]')].map(r => r.dataset.ticker);",
                            Vec::new(),
                        )
                        .await?;
                    let rows: Vec<String> = serde_json::from_value(rows)?;
                    Ok((rows.len() == 6).then_some(rows))
                })
                .await?;
            ensure!(
                browser.find_all(&testid("board-arb")).await?.is_empty(),
                "no flag on the opening books"
            );
            for (i, m) in markets.iter().enumerate() {
                let size = shared::num::Count::from_int(7 + i64::try_from(i)?);
                sim.lay_book(
                    &shared::ids::MarketTicker::from(m.as_str()),
                    &shared::book::BookLevels {
                        yes: vec![("0.05".parse()?, size)],
                        no: vec![("0.90".parse()?, size)],
                    },
                )
                .map_err(|e| anyhow::anyhow!("laying {m}'s book: {e:?}"))?;
            }
            let flag = browser
                .wait_for_css(&sel("board-arb", &[("data-kind", "every_yes")]), WAIT)
                .await
                .context("the buy-every-YES flag never rose")?
                .text()
                .await?;
            ensure!(
                flag.contains("$0.6000") && flag.contains("7.00 sets"),
                "{flag}"
            );
            browser
                .wait_text(&testid("board-sums"), "Σ YES asks 0.6000", WAIT)
                .await?;
            browser.screenshot("1-event-board").await?;

            // The third bracket's ask: open it, ticket set to buy YES at $0.10.
            let third = &markets[2];
            browser
                .click_css(&format!(
                    "{} {}",
                    sel("board-row", &[("data-ticker", third)]),
                    testid("board-ask")
                ))
                .await?;
            browser
                .wait_text(&testid("market-ticker"), third, WAIT)
                .await?;
            ensure!(value_of(browser, "ticket-price").await? == "0.1000");
            ensure!(value_of(browser, "ticket-action").await? == "buy");
            ensure!(value_of(browser, "ticket-side").await? == "yes");
            // Any cell: the fourth bracket's ask size takes its whole ask (10 contracts).
            let fourth = &markets[3];
            browser
                .click_css(&format!(
                    "{} {}",
                    sel("board-row", &[("data-ticker", fourth)]),
                    testid("board-ask-size")
                ))
                .await?;
            browser
                .wait_text(&testid("market-ticker"), fourth, WAIT)
                .await?;
            ensure!(value_of(browser, "ticket-price").await? == "0.1000");
            ensure!(value_of(browser, "ticket-count").await? == "10.00");
            ensure!(value_of(browser, "ticket-action").await? == "buy");
            browser.click("board-close").await?;
            browser
                .wait_for_css(&sel("ladder", &[("data-ticker", fourth)]), WAIT)
                .await?;
            Ok(())
        },
    )
    .await
}
