//! Orders in a real browser: live book, a resting order on the ladder, amend, decrease,
//! cancel (one, selected, all) and ticket validation, against the built-in exchange.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::{ensure, Context as _};
use desk_testkit::e2e::{run_in_browser, sel, testid, Browser, Price};

/// How long the simulated exchange may take to move the open book.
const BOOK_CHANGE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long an order may take to show up in, or leave, the blotter and the ladder.
const ORDER_TIMEOUT: Duration = Duration::from_secs(15);

/// Waits for the desk to say it is on the simulated exchange with a live stream, opens the first
/// market and waits for its ladder. Returns the market's ticker.
async fn open_first_market(browser: &Browser) -> anyhow::Result<String> {
    browser
        .wait_until(
            "the environment banner to say SIM",
            ORDER_TIMEOUT,
            async || {
                let banner = browser.text_of("env-banner").await?;
                Ok(banner.contains("SIM").then_some(()))
            },
        )
        .await?;
    browser
        .wait_for_css(
            &sel("conn-status", &[("data-state", "live")]),
            ORDER_TIMEOUT,
        )
        .await
        .context("the desk's stream never went live")?;

    let row = browser.wait_for("market-row").await?;
    let ticker = browser
        .attr(&row, "data-ticker", "the first market row")
        .await?;
    row.click().await.context("clicking the first market row")?;
    browser.wait_for("ladder").await?;
    Ok(ticker)
}

async fn book_version(browser: &Browser) -> anyhow::Result<u64> {
    let text = browser.text_of("book-version").await?;
    text.trim()
        .parse()
        .with_context(|| format!("book-version is not an integer: {text:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn live_book_then_rest_and_cancel_an_order() -> anyhow::Result<()> {
    run_in_browser("order_roundtrip", async |browser| {
        let ticker = open_first_market(browser).await?;

        // The book is live: the count of applied updates moves on its own.
        let first = book_version(browser).await?;
        let moved = browser
            .wait_until(
                &format!("the {ticker} book to change (book-version was {first})"),
                BOOK_CHANGE_TIMEOUT,
                async || Ok(book_version(browser).await.ok().filter(|v| *v > first)),
            )
            .await?;
        eprintln!("{ticker}: book-version {first} -> {moved}");
        browser.screenshot("1-live-book").await?;

        // A buy-yes limit 5 cents under the best yes bid rests without trading.
        let best = browser
            .wait_until("a best yes bid", ORDER_TIMEOUT, async || {
                Ok(Price::parse(&browser.text_of("best-yes-bid").await?).ok())
            })
            .await?;
        let price = best
            .cents_below(5)
            .unwrap_or(Price::from_ten_thousandths(100));
        eprintln!("{ticker}: best yes bid {best}, buying 3 yes at {price}");
        browser.select("ticket-action", "buy").await?;
        browser.select("ticket-side", "yes").await?;
        browser.fill("ticket-price", &price.two_decimals()).await?;
        browser.fill("ticket-count", "3").await?;
        browser.click("ticket-submit").await?;

        let price_attr = price.to_string();
        let order_css = sel("open-order", &[("data-price", &price_attr)]);
        let order = browser
            .wait_for_css(&order_css, ORDER_TIMEOUT)
            .await
            .context("the order never showed up among the open orders")?;
        let mine_css = sel(
            "ladder-level",
            &[
                ("data-side", "yes"),
                ("data-price", &price_attr),
                ("data-mine", "true"),
            ],
        );
        browser
            .wait_for_css(&mine_css, ORDER_TIMEOUT)
            .await
            .context("the ladder does not mark the resting order as mine")?;
        browser.screenshot("2-order-resting").await?;

        // Cancel it from its own row.
        order
            .find(fantoccini::Locator::Css(&testid("cancel-order")))
            .await
            .context("the open order row has no cancel button")?
            .click()
            .await
            .context("clicking cancel")?;
        browser
            .wait_gone(&order_css, ORDER_TIMEOUT)
            .await
            .context("the cancelled order stayed among the open orders")?;
        browser
            .wait_gone(&mine_css, ORDER_TIMEOUT)
            .await
            .context("the ladder still marks the cancelled order's level as mine")?;
        browser.screenshot("3-order-cancelled").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn ticket_rejects_a_price_above_one_dollar() -> anyhow::Result<()> {
    run_in_browser("ticket_validation", async |browser| {
        open_first_market(browser).await?;

        browser.select("ticket-action", "buy").await?;
        browser.select("ticket-side", "yes").await?;
        browser.fill("ticket-price", "1.50").await?;
        browser.fill("ticket-count", "3").await?;
        browser.click("ticket-submit").await?;

        let message = browser
            .wait_until("a ticket error", ORDER_TIMEOUT, async || {
                let text = browser.text_of("ticket-error").await?;
                Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
            })
            .await?;
        eprintln!("ticket error: {message:?}");
        ensure!(
            message.len() < 200 && !message.contains('{') && !message.contains("Err("),
            "the ticket error should read as a sentence, not a dump: {message:?}"
        );
        browser.screenshot("1-price-rejected").await?;

        // Give a wrongly accepted order time to arrive, then check none did.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let orders = browser.find_all(&testid("open-order")).await?;
        ensure!(
            orders.is_empty(),
            "an order was placed despite the invalid price ({} open orders)",
            orders.len()
        );
        Ok(())
    })
    .await
}

/// The best YES bid, `cents` cents lower (at least one cent).
async fn below_best_bid(browser: &Browser, cents: u32) -> anyhow::Result<Price> {
    let best = browser
        .wait_until("a best yes bid", ORDER_TIMEOUT, async || {
            Ok(Price::parse(&browser.text_of("best-yes-bid").await?).ok())
        })
        .await?;
    Ok(best
        .cents_below(cents)
        .unwrap_or(Price::from_ten_thousandths(100)))
}

fn order_row(price: Price) -> String {
    sel("open-order", &[("data-price", &price.to_string())])
}

fn my_level(price: Price) -> String {
    sel(
        "ladder-level",
        &[
            ("data-side", "yes"),
            ("data-price", &price.to_string()),
            ("data-mine", "true"),
        ],
    )
}

/// Clicks the element with `data-testid=id` inside the first element matching `row_css`.
async fn click_in(browser: &Browser, row_css: &str, id: &str) -> anyhow::Result<()> {
    let row = browser.wait_for_css(row_css, ORDER_TIMEOUT).await?;
    row.find(fantoccini::Locator::Css(&testid(id)))
        .await
        .with_context(|| format!("{row_css} has no {id}"))?
        .click()
        .await
        .with_context(|| format!("clicking {id} in {row_css}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn amend_a_resting_order_and_see_the_ladder_and_row_move() -> anyhow::Result<()> {
    run_in_browser("order_amend", async |browser| {
        let ticker = open_first_market(browser).await?;
        let first = below_best_bid(browser, 5).await?;
        let second = first
            .cents_below(1)
            .unwrap_or(Price::from_ten_thousandths(100));
        eprintln!("{ticker}: resting 3 at {first}, then amending to 4 at {second}");
        browser.buy_yes(first, "3").await?;
        browser
            .wait_for_css(&order_row(first), ORDER_TIMEOUT)
            .await
            .context("the order never showed up among the open orders")?;
        browser
            .wait_for_css(&my_level(first), ORDER_TIMEOUT)
            .await
            .context("the ladder does not mark the resting order as mine")?;

        // Its queue position shows as a number of contracts.
        let queue = queue_ahead(browser, first).await?;
        eprintln!("queue position: {queue} contracts ahead");
        browser.screenshot("1-resting").await?;

        // Amend price and count inline.
        click_in(browser, &order_row(first), "amend-order").await?;
        browser.fill("amend-price", &second.two_decimals()).await?;
        browser.fill("amend-count", "4").await?;
        browser.click("amend-submit").await?;
        browser
            .wait_for_css(
                &sel(
                    "open-order",
                    &[
                        ("data-price", &second.to_string()),
                        ("data-remaining", "4.00"),
                    ],
                ),
                ORDER_TIMEOUT,
            )
            .await
            .context("the row never showed the amended price and count")?;
        browser
            .wait_for_css(&my_level(second), ORDER_TIMEOUT)
            .await
            .context("the ladder does not show the amended order at its new price")?;
        browser
            .wait_gone(&my_level(first), ORDER_TIMEOUT)
            .await
            .context("the ladder still marks the old price as mine")?;
        browser.screenshot("2-amended").await?;

        // A bad amend is refused in plain words before anything is sent.
        click_in(browser, &order_row(second), "amend-order").await?;
        browser.fill("amend-price", "1.50").await?;
        browser.click("amend-submit").await?;
        refused_then_cancel_all(browser, "price must be strictly between $0 and $1").await
    })
    .await
}

/// Checks the inline edit's error reads `expected` (refused before anything was sent), then
/// cancels everything and waits for the open orders to empty.
async fn refused_then_cancel_all(browser: &Browser, expected: &str) -> anyhow::Result<()> {
    let message = browser
        .wait_until("an edit error", ORDER_TIMEOUT, async || {
            let text = browser.text_of("amend-error").await?;
            Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
        })
        .await?;
    ensure!(message == expected, "edit error: {message:?}");
    browser.click("cancel-all").await?;
    browser
        .wait_gone(&testid("open-order"), ORDER_TIMEOUT)
        .await
        .context("cancel all left orders open")
}

/// The queue position shown in the open-order row at `price`, in contracts ahead.
async fn queue_ahead(browser: &Browser, price: Price) -> anyhow::Result<Price> {
    browser
        .wait_until(
            "a queue position for the order",
            ORDER_TIMEOUT,
            async || {
                let row = browser
                    .wait_for_css(&order_row(price), ORDER_TIMEOUT)
                    .await?;
                let cell = row
                    .find(fantoccini::Locator::Css(&testid("queue-position")))
                    .await?;
                Ok(Price::parse(&cell.text().await?).ok())
            },
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn decrease_a_resting_order_and_keep_its_place_in_the_queue() -> anyhow::Result<()> {
    run_in_browser("order_decrease", async |browser| {
        let ticker = open_first_market(browser).await?;
        let price = below_best_bid(browser, 3).await?;
        eprintln!("{ticker}: resting 5 at {price}, then decreasing by 2");
        browser.buy_yes(price, "5").await?;
        browser
            .wait_for_css(&my_level(price), ORDER_TIMEOUT)
            .await
            .context("the ladder does not mark the resting order as mine")?;
        let ahead = queue_ahead(browser, price).await?;
        browser.screenshot("1-resting").await?;

        // Decrease by 2 inline: 3 left, at the same price.
        click_in(browser, &order_row(price), "amend-order").await?;
        browser.fill("decrease-count", "2").await?;
        browser.click("decrease-submit").await?;
        browser
            .wait_for_css(
                &sel(
                    "open-order",
                    &[
                        ("data-price", &price.to_string()),
                        ("data-remaining", "3.00"),
                    ],
                ),
                ORDER_TIMEOUT,
            )
            .await
            .context("the row never showed 3 left after decreasing 5 by 2")?;
        browser
            .wait_for_css(&my_level(price), ORDER_TIMEOUT)
            .await
            .context("the ladder no longer marks the decreased order as mine")?;
        // A decrease keeps the order's place: new orders join behind it, so the contracts
        // ahead can only have shrunk (fills and cancels ahead), never grown.
        let after = queue_ahead(browser, price).await?;
        ensure!(
            after <= ahead,
            "the decrease lost queue priority: {ahead} ahead before, {after} after"
        );
        browser.screenshot("2-decreased").await?;

        // Decreasing by all that rests is refused in plain words before anything is sent.
        click_in(browser, &order_row(price), "amend-order").await?;
        browser.fill("decrease-count", "3").await?;
        browser.click("decrease-submit").await?;
        refused_then_cancel_all(
            browser,
            "decrease by less than the 3.00 resting, or cancel the order",
        )
        .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_selected_then_cancel_all() -> anyhow::Result<()> {
    run_in_browser("order_batch_cancel", async |browser| {
        open_first_market(browser).await?;

        // Ticket options are checked before sending.
        browser.select("ticket-tif", "ioc").await?;
        browser.click("ticket-post-only").await?;
        let first = below_best_bid(browser, 5).await?;
        browser.buy_yes(first, "1").await?;
        let message = browser
            .wait_until("a ticket error", ORDER_TIMEOUT, async || {
                let text = browser.text_of("ticket-error").await?;
                Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
            })
            .await?;
        ensure!(
            message == "post-only orders must be good till cancelled",
            "ticket error: {message:?}"
        );
        browser.click("ticket-post-only").await?;
        browser.select("ticket-tif", "gtc").await?;
        browser.fill("ticket-expiration", "60").await?;

        // Two resting orders; cancel one of them by selection.
        let second = first
            .cents_below(1)
            .unwrap_or(Price::from_ten_thousandths(100));
        browser.buy_yes(first, "1").await?;
        browser
            .wait_for_css(&order_row(first), ORDER_TIMEOUT)
            .await?;
        browser.buy_yes(second, "2").await?;
        browser
            .wait_for_css(&order_row(second), ORDER_TIMEOUT)
            .await?;
        browser.screenshot("1-two-resting").await?;
        click_in(browser, &order_row(first), "select-order").await?;
        browser.click("cancel-selected").await?;
        browser
            .wait_gone(&order_row(first), ORDER_TIMEOUT)
            .await
            .context("the selected order was not cancelled")?;
        ensure!(
            !browser.find_all(&order_row(second)).await?.is_empty(),
            "cancel selected also removed the unselected order"
        );
        browser.screenshot("2-one-cancelled").await?;

        // Cancel all clears the rest.
        browser.click("cancel-all").await?;
        browser
            .wait_gone(&testid("open-order"), ORDER_TIMEOUT)
            .await
            .context("cancel all left orders open")?;
        browser
            .wait_gone(&my_level(second), ORDER_TIMEOUT)
            .await
            .context("the ladder still marks a cancelled order as mine")?;
        browser.screenshot("3-all-cancelled").await?;
        Ok(())
    })
    .await
}

/// Kalshi pauses trading (its weekly maintenance): every screen says so with the resume
/// time, the open market's header shows the lifecycle event, and both clear when trading
/// resumes.
#[tokio::test(flavor = "multi_thread")]
async fn a_trading_pause_shows_on_the_screen_until_trading_resumes() -> anyhow::Result<()> {
    desk_testkit::e2e::run_in_browser_with_sim("trading_pause", async |browser, sim| {
        open_first_market(browser).await?;
        sim.pause_trading(Some(Duration::from_secs(600)));
        // The desk reads the exchange's status every 5 s.
        let banner = browser
            .wait_text(&testid("trading-halted"), "TRADING PAUSED", ORDER_TIMEOUT)
            .await?;
        ensure!(banner.contains("resumes"), "no resume time: {banner:?}");
        browser
            .wait_text(&testid("market-lifecycle"), "trading paused", ORDER_TIMEOUT)
            .await?;
        browser.screenshot("paused").await?;
        ensure!(sim.resume_trading(), "trading was paused");
        browser
            .wait_gone(&testid("trading-halted"), ORDER_TIMEOUT)
            .await?;
        browser
            .wait_text(
                &testid("market-lifecycle"),
                "trading resumed",
                ORDER_TIMEOUT,
            )
            .await?;
        Ok(())
    })
    .await
}
