//! The trader's workspace on a laptop screen: at 1280×720 the default layout shows at least
//! ten ladder levels a side and the whole order ticket, and at 1024×720 it still does
//! without a horizontal scrollbar; a layout made by hand (a splitter dragged, a pane
//! collapsed, saved under a name) is restored after logging out and in; keyboard shortcuts
//! are the user's own (rebound, conflicts refused, kept on the desk); prices read in cents,
//! percent or dollars; the watchlist grid shows small live ladders; the row under the market
//! is put in the trader's order.
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

/// At 1280×720, opens [`MARKET`] and waits for its ladder; returns the desk's URL.
async fn open_on_a_laptop(browser: &Browser) -> anyhow::Result<String> {
    browser.set_viewport(1280, 720).await?;
    let mut url = browser.client().current_url().await?.to_string();
    if let Some(i) = url.find('#') {
        url.truncate(i);
    }
    browser.goto(&format!("{url}#{MARKET}")).await?;
    browser
        .wait_for_css(&sel("ladder", &[("data-ticker", MARKET)]), WAIT)
        .await?;
    Ok(url)
}

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

/// The width of the market finder, CSS px.
async fn markets_width(browser: &Browser) -> anyhow::Result<f64> {
    browser
        .client()
        .execute(
            "const p = document.querySelector('.pane-markets'); \
             return p && p.offsetParent ? p.getBoundingClientRect().width : 0;",
            Vec::new(),
        )
        .await?
        .as_f64()
        .context("a width")
}

/// The workspace the desk has stored for the page's user (read with the page's session).
async fn stored_workspace(browser: &Browser) -> anyhow::Result<shared::workspace::Workspace> {
    let value = browser
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/workspace').then(r => r.json()).then(done, e => done(String(e)));",
            Vec::new(),
        )
        .await
        .context("reading /api/workspace in the page")?;
    serde_json::from_value(value).context("a workspace")
}

/// A layout made by hand — the finder dragged 100 px wider, the depth/candles/tape column
/// collapsed, saved as "Wide finder" — is the layout after logging out and in again;
/// edits go to the layout in use, which "reset" returns to the default sizes, and switching
/// layouts switches sizes.
#[tokio::test(flavor = "multi_thread")]
async fn a_layout_is_restored_after_logging_out_and_in() -> anyhow::Result<()> {
    use fantoccini::actions::{InputSource as _, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    run_in_browser_configured(
        "layout-restore",
        |c| c.sim_flow = 0,
        async |browser, _sim| {
            let url = open_on_a_laptop(browser).await?;
            let before = markets_width(browser).await?;
            ensure!(
                (before - 260.0).abs() < 1.5,
                "the default finder is 260 px: {before}"
            );

            let handle = browser.wait_for("splitter-left").await?;
            let drag = MouseActions::new("mouse".to_owned())
                .then(PointerAction::MoveToElement {
                    element: handle,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                })
                .then(PointerAction::MoveBy {
                    duration: Some(Duration::from_millis(150)),
                    x: 50.0,
                    y: 0.0,
                })
                .then(PointerAction::MoveBy {
                    duration: Some(Duration::from_millis(150)),
                    x: 50.0,
                    y: 0.0,
                })
                .then(PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                });
            browser
                .client()
                .perform_actions(drag)
                .await
                .context("dragging the splitter")?;
            let wide = browser
                .wait_until("the finder 100 px wider", WAIT, async || {
                    let w = markets_width(browser).await?;
                    Ok(((w - 360.0).abs() < 1.5).then_some(w))
                })
                .await?;

            browser.click("layout-toggle").await?;
            browser.click("layout-show-side").await?;
            browser.fill("layout-name", "Wide finder").await?;
            browser.click("layout-save").await?;
            browser
                .wait_for_css(&sel("desk-grid", &[("data-layout", "Wide finder")]), WAIT)
                .await?;
            browser.screenshot("1-wide-finder").await?;
            // Stored before logging out.
            browser
                .wait_until("the layout stored on the desk", WAIT, async || {
                    let ws = stored_workspace(browser).await?;
                    let l = ws.layout();
                    Ok((ws.active == "Wide finder"
                        && l.markets_px == 360
                        && l.is_collapsed(shared::workspace::Pane::Side))
                    .then_some(()))
                })
                .await?;

            browser.click("logout").await?;
            browser.wait_for("login-form").await?;
            browser.log_in(&url, desk_testkit::e2e::E2E_USER).await?;
            let grid = browser
                .wait_for_css(&sel("desk-grid", &[("data-layout", "Wide finder")]), WAIT)
                .await
                .context("the saved layout after logging in again")?;
            let class = browser.attr(&grid, "class", "the desk grid").await?;
            ensure!(class.contains("collapse-side"), "{class}");
            let again = markets_width(browser).await?;
            ensure!(
                (again - wide).abs() < 1.5,
                "{again} px after login, {wide} before"
            );

            // Edits go to the layout in use: "Default" was dragged too. Reset it; the
            // named copy keeps its width.
            browser.click("layout-toggle").await?;
            browser.select("layout-select", "Default").await?;
            browser
                .wait_for_css(&sel("desk-grid", &[("data-layout", "Default")]), WAIT)
                .await?;
            browser.click("layout-reset").await?;
            browser
                .wait_until("the default sizes again", WAIT, async || {
                    let w = markets_width(browser).await?;
                    Ok(((w - 260.0).abs() < 1.5).then_some(()))
                })
                .await?;
            browser.select("layout-select", "Wide finder").await?;
            browser
                .wait_until("the wide finder again", WAIT, async || {
                    let w = markets_width(browser).await?;
                    Ok(((w - wide).abs() < 1.5).then_some(()))
                })
                .await?;
            Ok(())
        },
    )
    .await
}

/// Types `key` into the "press a key" prompt of `command`'s row in the shortcut list.
async fn rebind(browser: &Browser, command: &str, key: &str) -> anyhow::Result<()> {
    let row = sel("shortcut-row", &[("data-command", command)]);
    let button = browser
        .wait_for_css(
            &format!("{row} {}", desk_testkit::e2e::testid("shortcut-change")),
            WAIT,
        )
        .await?;
    button.click().await?;
    button.send_keys(key).await.context("pressing the new key")
}

/// The trader's own keys: Buy moved from B to J (the list shows it; J buys, B no longer
/// does), Sell refused the key Y because it already sets the side, and the keys are the
/// user's on the desk: a reload keeps them.
#[tokio::test(flavor = "multi_thread")]
async fn shortcuts_are_rebound_and_conflicts_refused() -> anyhow::Result<()> {
    use desk_testkit::e2e::testid;
    run_in_browser_configured(
        "rebind-keys",
        |c| c.sim_flow = 0,
        async |browser, _sim| {
            let url = open_on_a_laptop(browser).await?;
            browser.click("shortcuts-button").await?;
            rebind(browser, "buy", "j").await?;
            let buy_keys = format!(
                "{} {}",
                sel("shortcut-row", &[("data-command", "buy")]),
                testid("shortcut-keys")
            );
            browser.wait_text(&buy_keys, "J", WAIT).await?;
            rebind(browser, "sell", "y").await?;
            let why = browser
                .wait_text(&testid("shortcut-refused"), "YES", WAIT)
                .await?;
            ensure!(why.contains("Y already does"), "{why}");
            let sell_keys = format!(
                "{} {}",
                sel("shortcut-row", &[("data-command", "sell")]),
                testid("shortcut-keys")
            );
            let sell = browser.wait_for_css(&sell_keys, WAIT).await?.text().await?;
            ensure!(sell == "S", "Sell keeps S: {sell}");
            browser.screenshot("1-shortcuts").await?;
            browser
                .press(&fantoccini::key::Key::Escape.to_string())
                .await?;

            // B is free now; J buys.
            browser.fill("ticket-price", "0.05").await?;
            browser.fill("ticket-count", "1").await?;
            browser.press("b").await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            ensure!(
                browser.find_all(&testid("open-order")).await?.is_empty(),
                "B no longer buys"
            );
            browser.press("j").await?;
            browser
                .wait_until("the J order to rest", WAIT, async || {
                    Ok((!browser.find_all(&testid("open-order")).await?.is_empty()).then_some(()))
                })
                .await?;

            // Stored on the desk: after a reload the list still says J.
            browser.goto(&format!("{url}#{MARKET}")).await?;
            browser.client().refresh().await?;
            browser.wait_for("shortcuts-button").await?.click().await?;
            browser.wait_text(&buy_keys, "J", WAIT).await?;
            Ok(())
        },
    )
    .await
}

/// Prices read in cents by default (`55¢`, the way Kalshi traders read them); the Layout
/// menu switches them to percent or Kalshi's dollars, money amounts stay in dollars, and
/// the choice is kept on the desk.
#[tokio::test(flavor = "multi_thread")]
async fn prices_show_in_cents_percent_or_dollars() -> anyhow::Result<()> {
    use desk_testkit::e2e::{testid, Price};
    run_in_browser_configured(
        "price-format",
        |c| c.sim_flow = 0,
        async |browser, _sim| {
            let url = browser.client().current_url().await?.to_string();
            browser.goto(&format!("{url}#{MARKET}")).await?;
            let bid = browser
                .wait_text(&testid("best-yes-bid"), "¢", WAIT)
                .await?;
            let price = Price::parse(&bid)?;
            let balance = browser.wait_text(&testid("balance"), ".", WAIT).await?;
            ensure!(!balance.contains('¢'), "money stays in dollars: {balance}");
            let level = browser
                .wait_for_css(&sel("ladder-level", &[("data-side", "yes")]), WAIT)
                .await?
                .text()
                .await?;
            ensure!(level.contains('¢'), "the ladder in cents: {level}");

            browser.click("layout-toggle").await?;
            browser.select("price-format", "percent").await?;
            let percent = browser
                .wait_text(&testid("best-yes-bid"), "%", WAIT)
                .await?;
            ensure!(percent == bid.replace('¢', "%"), "{percent} vs {bid}");
            browser.select("price-format", "dollars").await?;
            browser
                .wait_text(&testid("best-yes-bid"), &price.to_string(), WAIT)
                .await?;
            browser.screenshot("1-dollars").await?;
            browser.client().refresh().await?;
            browser
                .wait_text(&testid("best-yes-bid"), &price.to_string(), WAIT)
                .await
                .context("the format is kept after a reload")?;
            Ok(())
        },
    )
    .await
}

/// The watchlist grid: three starred markets as small live ladders side by side; a new
/// level in one book shows in its ladder; clicking a NO level of another opens that market
/// with the ticket set to it.
#[tokio::test(flavor = "multi_thread")]
async fn the_watchlist_grid_shows_small_live_ladders() -> anyhow::Result<()> {
    use desk_testkit::e2e::testid;
    const STARRED: [&str; 3] = [
        "KXDESK-26DEC31-T40",
        "KXDESK-26DEC31-T50",
        "KXDESKFED-26DEC16-T3.50",
    ];
    run_in_browser_configured(
        "watch-grid",
        |c| c.sim_flow = 0,
        async |browser, sim| {
            browser.set_viewport(1280, 720).await?;
            browser
                .client()
                .execute(
                    "localStorage.setItem('kalshi-desk.watchlist', JSON.stringify(arguments[0]));",
                    vec![serde_json::json!(STARRED)],
                )
                .await?;
            browser.client().refresh().await?;
            browser.click("tab-watchlist").await?;
            browser
                .wait_for_css(&format!("{}:not([disabled])", testid("grid-open")), WAIT)
                .await?
                .click()
                .await?;
            browser
                .wait_until("three small ladders with levels", WAIT, async || {
                    let ladders = browser.find_all(&testid("mini-ladder")).await?.len();
                    let levels = browser.find_all(&testid("mini-level")).await?.len();
                    Ok((ladders == 3 && levels >= 3 * 2 * 3).then_some(()))
                })
                .await?;

            // A book of our making in the first market: its ladder follows.
            let level = |cents: i64| (Dollars::from_cents(cents), Count::from_int(cents));
            sim.lay_book(
                &MarketTicker::from(STARRED[0]),
                &BookLevels {
                    yes: vec![level(21), level(22), level(23)],
                    no: vec![level(61), level(62)],
                },
            )
            .map_err(|e| anyhow::anyhow!("laying the book: {e:?}"))?;
            let first = sel("mini-ladder", &[("data-ticker", STARRED[0])]);
            browser
                .wait_for_css(
                    &format!(
                        "{first} {}",
                        sel(
                            "mini-level",
                            &[("data-side", "yes"), ("data-price", "0.2300")]
                        )
                    ),
                    WAIT,
                )
                .await
                .context("the laid level in the small ladder")?;
            browser.screenshot("1-grid").await?;

            let second = sel("mini-ladder", &[("data-ticker", STARRED[2])]);
            let no_level = browser
                .wait_for_css(
                    &format!("{second} {}", sel("mini-level", &[("data-side", "no")])),
                    WAIT,
                )
                .await?;
            let price = browser.attr(&no_level, "data-price", "a NO level").await?;
            no_level.click().await?;
            browser
                .wait_text(&testid("market-ticker"), STARRED[2], WAIT)
                .await?;
            let side = browser.wait_for("ticket-side").await?.prop("value").await?;
            let typed = browser
                .wait_for("ticket-price")
                .await?
                .prop("value")
                .await?;
            ensure!(side.as_deref() == Some("no"), "{side:?}");
            ensure!(
                typed.as_deref() == Some(price.as_str()),
                "{typed:?} vs {price}"
            );
            browser.click("grid-close").await?;
            browser
                .wait_for_css(&sel("ladder", &[("data-ticker", STARRED[2])]), WAIT)
                .await?;
            Ok(())
        },
    )
    .await
}

/// The row under the market is the trader's to arrange: the history pane moved from the
/// right end to the left in the Layout menu stands left of the orders, and stays there after
/// a reload (stored with the layout).
#[tokio::test(flavor = "multi_thread")]
async fn the_row_under_the_market_is_rearranged_and_kept() -> anyhow::Result<()> {
    use shared::workspace::RowPane;
    /// The row's panes, left to right, by their on-screen x.
    async fn row_order(browser: &Browser) -> anyhow::Result<Vec<String>> {
        let value = browser
            .client()
            .execute(
                "return [['orders','.pane-orders'],['portfolio','.pane-portfolio'],['history','.pane-fills']]\
                 .map(([n, s]) => [n, document.querySelector(s).getBoundingClientRect().left])\
                 .sort((a, b) => a[1] - b[1]).map(p => p[0]);",
                Vec::new(),
            )
            .await?;
        serde_json::from_value(value).context("the row's order")
    }
    run_in_browser_configured(
        "row-order",
        |c| c.sim_flow = 0,
        async |browser, _sim| {
            open_on_a_laptop(browser).await?;
            ensure!(row_order(browser).await? == ["orders", "portfolio", "history"]);
            browser.click("layout-toggle").await?;
            browser.click("row-left-history").await?;
            browser.click("row-left-history").await?;
            browser
                .wait_until("the history pane at the left", WAIT, async || {
                    let order = row_order(browser).await?;
                    Ok((order == ["history", "orders", "portfolio"]).then_some(()))
                })
                .await?;
            browser
                .wait_until("the order stored", WAIT, async || {
                    let stored = stored_workspace(browser).await?;
                    Ok((stored.layout().row
                        == [RowPane::History, RowPane::Orders, RowPane::Portfolio])
                    .then_some(()))
                })
                .await?;
            browser.client().refresh().await?;
            browser.wait_for("ladder").await?;
            browser
                .wait_until("the order after a reload", WAIT, async || {
                    let order = row_order(browser).await?;
                    Ok((order == ["history", "orders", "portfolio"]).then_some(()))
                })
                .await?;
            browser.screenshot("row-order").await?;
            Ok(())
        },
    )
    .await
}
