//! The team desk in a real browser: the admin (logged in through the login page by the
//! harness) places an order, sees it attributed to them and (opening the admin panes from
//! the top bar) in the audit pane, adds a
//! viewer in the users pane and logs out; the viewer logs in through the login page and
//! sees the desk read only: no ticket, no cancel buttons, no RFQ desk, no admin panes.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::Context as _;
use desk_testkit::e2e::{run_in_browser, sel, testid, Price, E2E_PASSWORD, E2E_USER};

const UI_TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread")]
async fn admin_sees_attribution_and_audit_and_a_viewer_sees_a_read_only_desk() -> anyhow::Result<()>
{
    run_in_browser("team_roles", async |browser| {
        let url = browser.client().current_url().await?.to_string();
        browser
            .wait_for_css(&sel("conn-status", &[("data-state", "live")]), UI_TIMEOUT)
            .await
            .context("the desk's stream never went live")?;
        browser
            .wait_for("admin-toggle")
            .await
            .context("admins have the admin panes")?;
        browser.wait_for("rfq-desk").await?;

        // A resting order, placed through the ticket.
        browser.wait_for("market-row").await?.click().await?;
        browser.wait_for("ladder").await?;
        let bid = browser
            .wait_until("a best yes bid", UI_TIMEOUT, async || {
                Ok(Price::parse(&browser.text_of("best-yes-bid").await?).ok())
            })
            .await?;
        let price = bid.cents_below(5).context("a price below the bid")?;
        browser.select("ticket-action", "buy").await?;
        browser.select("ticket-side", "yes").await?;
        browser.fill("ticket-price", &price.two_decimals()).await?;
        browser.fill("ticket-count", "2").await?;
        browser.click("ticket-submit").await?;
        browser
            .wait_for_css(
                &sel("open-order", &[("data-price", &price.to_string())]),
                UI_TIMEOUT,
            )
            .await
            .context("the order rests")?;

        // Attribution after a reload (the REST list carries the owner), and the audit pane.
        browser.goto(&url).await?;
        browser
            .wait_text(&testid("order-owner"), E2E_USER, UI_TIMEOUT)
            .await
            .context("the order names who placed it")?;
        browser.click("admin-toggle").await?;
        browser
            .wait_for("admin")
            .await
            .context("the admin panes open")?;
        browser.fill("audit-operation", "CreateOrderV2").await?;
        browser.click("audit-apply").await?;
        browser
            .wait_for_css(
                &sel(
                    "audit-row",
                    &[
                        ("data-operation", "CreateOrderV2"),
                        ("data-actor", E2E_USER),
                        ("data-outcome", "ok"),
                    ],
                ),
                UI_TIMEOUT,
            )
            .await
            .context("the order is in the audit log")?;
        let csv = browser.wait_for("audit-csv").await?;
        let href = browser.attr(&csv, "href", "the CSV link").await?;
        anyhow::ensure!(
            href.contains("/api/audit.csv?operation=CreateOrderV2"),
            "CSV link {href}"
        );

        // A viewer, added in the users pane.
        browser.fill("user-new-name", "viv").await?;
        browser.fill("user-new-password", E2E_PASSWORD).await?;
        browser.select("user-new-role", "viewer").await?;
        browser.click("user-add-submit").await?;
        browser
            .wait_for_css(
                &sel(
                    "user-row",
                    &[("data-username", "viv"), ("data-role", "viewer")],
                ),
                UI_TIMEOUT,
            )
            .await
            .context("the new user is listed")?;
        browser.screenshot("team-admin").await?;

        // Log out; log in as the viewer through the login page.
        browser.click("logout").await?;
        browser
            .wait_for("login-form")
            .await
            .context("logout shows the login page")?;
        browser.log_in(&url, "viv").await?;
        browser.wait_for("read-only-note").await?;
        browser
            .wait_for_css(
                &sel("open-order", &[("data-price", &price.to_string())]),
                UI_TIMEOUT,
            )
            .await
            .context("a viewer still sees the orders")?;
        for hidden in [
            "ticket",
            "cancel-order",
            "cancel-all",
            "admin",
            "admin-toggle",
            "rfq-desk",
            "subaccount-create",
            "group-create",
        ] {
            anyhow::ensure!(
                browser.find_all(&testid(hidden)).await?.is_empty(),
                "a viewer must not see {hidden}"
            );
        }
        browser.screenshot("team-viewer").await?;
        Ok(())
    })
    .await
}

/// The kill switch seen on two tabs: an admin halts the desk from the users pane and both
/// tabs show the red HALTED state within a second; re-arming clears it on both.
#[tokio::test(flavor = "multi_thread")]
async fn the_kill_switch_shows_halted_on_every_tab_and_rearms() -> anyhow::Result<()> {
    run_in_browser("kill_switch", async |browser| {
        let client = browser.client();
        let url = client.current_url().await?.to_string();
        let first = client.window().await?;
        let second = client.new_window(true).await?.handle;
        client.switch_to_window(second.clone()).await?;
        browser.goto(&url).await?;
        browser
            .wait_for_css(&sel("conn-status", &[("data-state", "live")]), UI_TIMEOUT)
            .await
            .context("the second tab is live")?;
        client.switch_to_window(first.clone()).await?;
        browser
            .wait_for_css(&sel("conn-status", &[("data-state", "live")]), UI_TIMEOUT)
            .await?;
        browser.click("admin-toggle").await?;
        browser.fill("halt-reason", "news spike").await?;
        browser.click("desk-halt").await?;
        let clicked = std::time::Instant::now();
        let banner = browser
            .wait_text(&testid("desk-halted"), "DESK HALTED", UI_TIMEOUT)
            .await?;
        anyhow::ensure!(banner.contains("news spike"), "{banner:?}");
        client.switch_to_window(second.clone()).await?;
        browser
            .wait_text(&testid("desk-halted"), "DESK HALTED", UI_TIMEOUT)
            .await
            .context("the other tab shows the halt")?;
        let seen = clicked.elapsed();
        anyhow::ensure!(
            seen < Duration::from_secs(1),
            "both tabs showed HALTED only {seen:?} after the click"
        );
        browser.screenshot("halted").await?;
        client.switch_to_window(first).await?;
        browser.click("desk-rearm").await?;
        browser
            .wait_gone(&testid("desk-halted"), UI_TIMEOUT)
            .await
            .context("re-armed")?;
        client.switch_to_window(second).await?;
        browser
            .wait_gone(&testid("desk-halted"), UI_TIMEOUT)
            .await
            .context("re-armed on the other tab")?;
        Ok(())
    })
    .await
}
