//! Alerts in Chromium at 1280×720: a price rule made in the panel fires once per crossing —
//! a toast with a tone and a desktop notification on the page, a row in the log, and a JSON
//! POST to a webhook on loopback (delivered on its second try, the first answered 500) —
//! and keeps firing with the tab closed; a muted rule only logs; a bad level is refused with
//! the reason.
//!
//! Needs `dist/`, `chromedriver` and `chromium` (all set up by `bash scripts/test.sh`).

use std::time::Duration;

use anyhow::{ensure, Context as _};
use desk_testkit::e2e::{run_in_browser_configured, sel, testid, Browser};
use desk_testkit::webhook::Receiver;
use shared::book::BookLevels;
use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};

const WAIT: Duration = Duration::from_secs(15);
const MARKET: &str = "KXDESK-26DEC31-T50";

/// One YES bid at `bid` cents and a YES ask at `ask` cents (a NO bid at 100 − ask).
fn lay(sim: &kalshi_sim::SimExchange, bid: i64, ask: i64) -> anyhow::Result<()> {
    sim.lay_book(
        &MarketTicker::from(MARKET),
        &BookLevels {
            yes: vec![(Dollars::from_cents(bid), Count::from_int(10))],
            no: vec![(Dollars::from_cents(100 - ask), Count::from_int(10))],
        },
    )
    .map_err(|e| anyhow::anyhow!("laying the book: {e:?}"))
}

/// Waits for a log row whose detail says `detail`; returns its webhook state.
async fn log_row(browser: &Browser, detail: &str) -> anyhow::Result<String> {
    browser
        .wait_until(&format!("a log row saying {detail}"), WAIT, async || {
            for row in browser.find_all(&testid("alert-log-row")).await? {
                if row.text().await?.contains(detail) {
                    return Ok(Some(row.attr("data-webhook").await?.unwrap_or_default()));
                }
            }
            Ok(None)
        })
        .await
}

/// Stands in for the browser's desktop notifications (granted, each recorded) and counts
/// the tones played: headless Chromium shows neither, and its permission prompt cannot be
/// answered, so the page's calls are what the test can see.
async fn watch_notifications(browser: &Browser) -> anyhow::Result<()> {
    browser
        .client()
        .execute(
            "window.__notified = []; window.__tones = 0;
             function Fake(title, options) { window.__notified.push([title, options && options.body]); }
             Fake.permission = 'granted';
             Fake.requestPermission = () => Promise.resolve('granted');
             window.Notification = Fake;
             const proto = window.AudioContext.prototype;
             const real = proto.createOscillator;
             proto.createOscillator = function () { window.__tones += 1; return real.call(this); };",
            Vec::new(),
        )
        .await
        .context("replacing Notification")?;
    Ok(())
}

/// The notifications shown (title, body) and the tones played since [`watch_notifications`].
async fn notified(browser: &Browser) -> anyhow::Result<(Vec<(String, String)>, u64)> {
    let value = browser
        .client()
        .execute("return [window.__notified, window.__tones];", Vec::new())
        .await?;
    serde_json::from_value(value).context("the recorded notifications")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_price_alert_reaches_the_page_the_log_and_a_webhook_on_loopback() -> anyhow::Result<()> {
    let hook = Receiver::start(1).await?;
    run_in_browser_configured(
        "alerts",
        |c| c.sim_flow = 0,
        async |browser, sim| {
            browser.set_viewport(1280, 720).await?;
            let mut url = browser.client().current_url().await?.to_string();
            if let Some(i) = url.find('#') {
                url.truncate(i);
            }
            lay(sim, 50, 55)?;
            browser.goto(&format!("{url}#{MARKET}")).await?;
            browser
                .wait_for_css(&sel("ladder", &[("data-ticker", MARKET)]), WAIT)
                .await?;

            watch_notifications(browser).await?;
            browser.click("alerts-toggle").await?;
            browser.wait_for("alerts-panel").await?;
            browser.fill("webhook-url", &hook.url).await?;
            browser.click("webhook-save").await?;
            browser
                .wait_text(&testid("webhook-result"), "Webhook saved.", WAIT)
                .await?;

            browser.select("alert-kind", "price_cross").await?;
            browser.fill("alert-market", MARKET).await?;
            browser.select("alert-field", "bid").await?;
            browser.select("alert-direction", "above").await?;
            browser.fill("alert-level", "1.5").await?;
            browser.click("alert-add").await?;
            browser
                .wait_text(&testid("alert-error"), "below $1", WAIT)
                .await?;
            browser.fill("alert-level", "0.60").await?;
            browser.click("alert-add").await?;
            let rule = browser.wait_for("alert-rule").await?;
            let described = rule.text().await?;
            ensure!(
                described.contains(&format!("{MARKET} YES bid at or above 0.6000")),
                "{described}"
            );

            // Below the level first (the rule's baseline), then across it.
            lay(sim, 52, 55)?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            lay(sim, 65, 70)?;
            browser
                .wait_text(
                    &sel("toast", &[("data-kind", "alert")]),
                    "YES bid 0.6500",
                    WAIT,
                )
                .await?;
            let state = browser
                .wait_until("the webhook delivered", WAIT, async || {
                    let state = log_row(browser, "YES bid 0.6500").await?;
                    Ok((state == "delivered").then_some(state))
                })
                .await?;
            ensure!(state == "delivered");
            let delivery = browser.text_of("alert-log-webhook").await?;
            ensure!(
                delivery == "delivered (try 2, HTTP 204)",
                "the first try got a 500: {delivery}"
            );
            ensure!(hook.accepted().len() == 1 && hook.tries() == 2);
            ensure!(hook.accepted()[0]["detail"] == "YES bid 0.6500");
            let (notes, tones) = notified(browser).await?;
            ensure!(
                notes
                    == [(
                        format!("{MARKET} YES bid at or above 0.6000"),
                        "YES bid 0.6500".to_owned()
                    )]
                    && tones == 1,
                "one desktop notification and one tone: {notes:?}, {tones} tones"
            );
            browser.screenshot("alerts").await?;

            // Still above: no second alert.
            lay(sim, 70, 75)?;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            ensure!(
                browser.find_all(&testid("alert-log-row")).await?.len() == 1,
                "one alert while the level holds"
            );

            // The tab closed: the next crossing still reaches the webhook and the log.
            browser.goto("about:blank").await?;
            lay(sim, 50, 55)?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            lay(sim, 64, 70)?;
            browser
                .wait_until("the webhook with no tab open", WAIT, async || {
                    Ok((hook.accepted().len() == 2).then_some(()))
                })
                .await?;
            browser.goto(&format!("{url}#{MARKET}")).await?;
            browser.click("alerts-toggle").await?;
            ensure!(log_row(browser, "YES bid 0.6400").await? == "delivered");

            // Muted: logged as muted, no toast, no notification, no tone, no webhook.
            watch_notifications(browser).await?;
            browser.click("alert-mute").await?;
            browser
                .wait_for_css(&sel("alert-rule", &[("data-muted", "true")]), WAIT)
                .await?;
            lay(sim, 50, 55)?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            lay(sim, 63, 70)?;
            ensure!(log_row(browser, "YES bid 0.6300").await? == "muted");
            let toasts = browser
                .find_all(&sel("toast", &[("data-kind", "alert")]))
                .await?;
            for toast in toasts {
                let text = toast.text().await.context("a toast's text")?;
                ensure!(!text.contains("0.6300"), "a muted alert toasted: {text}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            ensure!(
                hook.accepted().len() == 2,
                "a muted alert reached the webhook"
            );
            let (notes, tones) = notified(browser).await?;
            ensure!(
                notes.is_empty() && tones == 0,
                "a muted alert notified: {notes:?}, {tones} tones"
            );
            Ok(())
        },
    )
    .await
}
