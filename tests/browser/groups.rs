//! Order groups and subaccounts in a real browser against the built-in exchange: a group
//! with a contracts limit triggers when orders placed into it match the limit, its resting
//! order disappears live and the group resets; a new subaccount is funded by a transfer
//! (both balances change) and scopes the ticket, the open orders and the portfolio.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::Context as _;
use desk_testkit::e2e::{run_in_browser, sel, testid, Browser, Price};

/// How long an order, a group state or a balance may take to show up.
const UI_TIMEOUT: Duration = Duration::from_secs(15);

/// The balance shown for subaccount `n` in the subaccounts pane.
async fn sub_balance(browser: &Browser, n: &str) -> anyhow::Result<Option<Price>> {
    let rows = browser
        .find_all(&sel("subaccount-balance", &[("data-subaccount", n)]))
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let text = row
        .find(fantoccini::Locator::Css(&testid(
            "subaccount-balance-value",
        )))
        .await?
        .text()
        .await?;
    Ok(Price::parse(&text).ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn order_group_triggers_at_its_limit_cancels_live_and_resets() -> anyhow::Result<()> {
    run_in_browser("order_group", async |browser| {
        let desk_testkit::e2e::OpenMarket { bid, ask, .. } = browser.open_first_market().await?;

        // A group with a limit of 2 contracts.
        browser.fill("group-limit", "2").await?;
        browser.click("group-create").await?;
        let row = browser
            .wait_for_css(&sel("order-group", &[("data-state", "armed")]), UI_TIMEOUT)
            .await
            .context("the new group never showed up armed")?;
        let group = browser.attr(&row, "data-group-id", "the group row").await?;
        let group_css = |state: &str| {
            sel(
                "order-group",
                &[("data-group-id", group.as_str()), ("data-state", state)],
            )
        };
        eprintln!("order group {group}");

        // A resting bid in the group, well under the market.
        browser.select("ticket-order-group", &group).await?;
        let low = bid
            .cents_below(10)
            .unwrap_or(Price::from_ten_thousandths(100));
        browser.buy_yes(low, "3").await?;
        let resting_css = sel("open-order", &[("data-price", &low.to_string())]);
        browser
            .wait_for_css(&resting_css, UI_TIMEOUT)
            .await
            .context("the group's resting order never showed up")?;
        browser.screenshot("1-group-armed").await?;

        // Take 5 through the ask in the same group: it matches 2, the limit, and triggers.
        let through = Price::from_ten_thousandths((ask.ten_thousandths() + 500).min(9_900));
        browser.select("ticket-order-group", &group).await?;
        browser.buy_yes(through, "5").await?;
        browser
            .wait_for_css(&group_css("triggered"), UI_TIMEOUT)
            .await
            .context("the group never showed triggered")?;
        browser
            .wait_gone(&resting_css, UI_TIMEOUT)
            .await
            .context("the group's resting order was not cancelled live")?;
        browser.screenshot("2-group-triggered").await?;

        // New orders into it are refused until reset.
        browser.select("ticket-order-group", &group).await?;
        browser.buy_yes(low, "1").await?;
        browser
            .wait_until("the exchange's refusal", UI_TIMEOUT, async || {
                let text = browser.text_of("ticket-error").await.unwrap_or_default();
                Ok(text.contains("triggered").then_some(()))
            })
            .await?;

        // Reset from its row.
        browser
            .wait_for_css(&group_css("triggered"), UI_TIMEOUT)
            .await?
            .find(fantoccini::Locator::Css(&testid("group-reset")))
            .await?
            .click()
            .await?;
        browser
            .wait_for_css(&group_css("armed"), UI_TIMEOUT)
            .await
            .context("the group never showed armed again after reset")?;
        browser.screenshot("3-group-reset").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn subaccount_is_funded_by_transfer_and_scopes_orders() -> anyhow::Result<()> {
    run_in_browser("subaccounts", async |browser| {
        let bid = browser.open_first_market().await?.bid;
        let primary_before = browser
            .wait_until("the primary balance", UI_TIMEOUT, async || {
                sub_balance(browser, "0").await
            })
            .await?;

        browser.click("subaccount-create").await?;
        browser
            .wait_until("subaccount 1 to appear", UI_TIMEOUT, async || {
                sub_balance(browser, "1").await
            })
            .await?;

        // Move $25 from the primary to subaccount 1: both balances change.
        browser.fill("transfer-amount", "25.00").await?;
        browser.select("transfer-from", "0").await?;
        browser.select("transfer-to", "1").await?;
        browser.click("transfer-submit").await?;
        let funded = Price::parse("25.00")?;
        browser
            .wait_until("subaccount 1 to hold $25", UI_TIMEOUT, async || {
                Ok(sub_balance(browser, "1").await?.filter(|b| *b == funded))
            })
            .await?;
        let want = primary_before.ten_thousandths() - funded.ten_thousandths();
        browser
            .wait_until("the primary to be $25 lower", UI_TIMEOUT, async || {
                Ok(sub_balance(browser, "0")
                    .await?
                    .filter(|b| b.ten_thousandths() == want))
            })
            .await?;
        browser.wait_for("transfer-row").await?;
        browser.screenshot("1-funded").await?;

        // Trade in subaccount 1: the ticket says so, the order is listed there only.
        browser.select("subaccount-select", "1").await?;
        browser
            .wait_until("the ticket to name subaccount 1", UI_TIMEOUT, async || {
                let text = browser.text_of("ticket-subaccount").await?;
                Ok(text.contains("Subaccount 1").then_some(()))
            })
            .await?;
        let low = bid
            .cents_below(10)
            .unwrap_or(Price::from_ten_thousandths(100));
        browser.buy_yes(low, "2").await?;
        let order_css = sel("open-order", &[("data-price", &low.to_string())]);
        browser
            .wait_for_css(&order_css, UI_TIMEOUT)
            .await
            .context("the subaccount's order never showed up")?;
        // Its collateral comes out of subaccount 1's balance.
        let cost = low.ten_thousandths() * 2;
        browser
            .wait_until(
                "the portfolio balance of subaccount 1",
                UI_TIMEOUT,
                async || {
                    let b = Price::parse(&browser.text_of("balance").await?).ok();
                    Ok(b.filter(|b| b.ten_thousandths() == funded.ten_thousandths() - cost))
                },
            )
            .await?;
        browser.screenshot("2-subaccount-order").await?;

        // The primary does not show it; back in subaccount 1 it is there again.
        browser.select("subaccount-select", "0").await?;
        browser
            .wait_gone(&order_css, UI_TIMEOUT)
            .await
            .context("the primary still lists subaccount 1's order")?;
        browser.select("subaccount-select", "1").await?;
        browser
            .wait_for_css(&order_css, UI_TIMEOUT)
            .await
            .context("subaccount 1's order did not come back")?;
        Ok(())
    })
    .await
}
