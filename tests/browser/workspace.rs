//! The trader's workspace on a laptop screen: at 1280×720 the default layout shows at least
//! ten ladder levels a side and the whole order ticket, and at 1024×720 it still does
//! without a horizontal scrollbar.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::{ensure, Context as _};
use desk_testkit::e2e::{run_in_browser_configured, sel, Browser};
use shared::book::BookLevels;
use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};

const WAIT: Duration = Duration::from_secs(15);
const MARKET: &str = "KXDESK-26DEC31-T50";

/// What the first screen shows: ladder levels per side fully in view (inside the ladder's
/// scroll box and the viewport), whether the ticket's every field and its submit button
/// are in view, and the page's width against the viewport's.
#[derive(Debug, serde::Deserialize)]
struct FirstScreen {
    yes_levels: u32,
    no_levels: u32,
    ticket_whole: bool,
    page_width: u32,
    viewport_width: u32,
}

async fn first_screen(browser: &Browser) -> anyhow::Result<FirstScreen> {
    let js = r#"
        const vh = window.innerHeight, vw = window.innerWidth;
        const inside = (el, box) => {
            const r = el.getBoundingClientRect();
            return r.height > 0 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5
                && r.left >= box.left - 0.5 && r.right <= box.right + 0.5
                && r.bottom <= vh + 0.5 && r.right <= vw + 0.5;
        };
        const ladder = document.querySelector('[data-testid=ladder]').getBoundingClientRect();
        const count = side => [...document.querySelectorAll(`[data-testid=ladder-level][data-side=${side}]`)]
            .filter(el => inside(el, ladder)).length;
        const pane = document.querySelector('.pane-ticket').getBoundingClientRect();
        const fields = ['ticket-action', 'ticket-side', 'ticket-price', 'ticket-count',
                        'ticket-tif', 'ticket-submit']
            .map(id => document.querySelector(`[data-testid=${id}]`));
        return {
            yes_levels: count('yes'),
            no_levels: count('no'),
            ticket_whole: fields.every(el => el && inside(el, pane)),
            page_width: document.documentElement.scrollWidth,
            viewport_width: vw,
        };
    "#;
    let value = browser
        .client()
        .execute(js, Vec::new())
        .await
        .context("measuring the first screen")?;
    serde_json::from_value(value).context("the first screen's measures")
}

/// Twelve levels a side in the market (the background flow is off, so they stay).
fn deep_book(sim: &kalshi_sim::SimExchange) -> anyhow::Result<()> {
    let level = |cents: i64| (Dollars::from_cents(cents), Count::from_int(10 + cents));
    sim.lay_book(
        &MarketTicker::from(MARKET),
        &BookLevels {
            yes: (30..42).map(level).collect(),
            no: (40..52).map(level).collect(),
        },
    )
    .map_err(|e| anyhow::anyhow!("laying the book: {e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_laptop_screen_shows_ten_levels_a_side_and_the_whole_ticket() -> anyhow::Result<()> {
    run_in_browser_configured(
        "laptop-layout",
        |c| c.sim_flow = 0,
        async |browser, sim| {
            deep_book(sim)?;
            for (width, name) in [(1280, "1-1280x720"), (1024, "2-1024x720")] {
                browser.set_viewport(width, 720).await?;
                let url = browser.client().current_url().await?;
                let mut base = url.to_string();
                if let Some(i) = base.find('#') {
                    base.truncate(i);
                }
                browser.goto(&format!("{base}#{MARKET}")).await?;
                browser
                    .wait_for_css(&sel("ladder", &[("data-ticker", MARKET)]), WAIT)
                    .await?;
                let screen = browser
                    .wait_until("twelve levels a side in the book", WAIT, async || {
                        let levels = browser
                            .find_all(&sel("ladder-level", &[("data-side", "no")]))
                            .await?
                            .len();
                        if levels < 12 {
                            return Ok(None);
                        }
                        Ok(Some(first_screen(browser).await?))
                    })
                    .await?;
                browser.screenshot(name).await?;
                eprintln!("[laptop-layout] {width}×720: {screen:?}");
                ensure!(
                    screen.yes_levels >= 10 && screen.no_levels >= 10,
                    "{width}×720: {screen:?}"
                );
                ensure!(
                    screen.ticket_whole,
                    "{width}×720: the ticket is cut: {screen:?}"
                );
                ensure!(
                    screen.page_width <= screen.viewport_width,
                    "{width}×720: a horizontal scrollbar: {screen:?}"
                );
            }
            Ok(())
        },
    )
    .await
}
