//! The RFQ desk in two real browsers: a requester and a market maker, each on their own desk
//! (their own Kalshi key, so two Kalshi users) against one built-in exchange.
//!
//! Covered: request → quote → accept YES (and NO) → confirm → fills and positions on both
//! sides; refusals shown on the screen (a quote whose bids add up to more than $1, a late
//! confirm, a second open RFQ on one market); expired, deleted, replaced and withdrawn items changing
//! status live; and the maker's rules, set in the rules editor, quoting and confirming by
//! themselves inside a 3-second window, with their effect and log on screen.
//!
//! Needs `dist/` (built by `bash scripts/test.sh`), `chromedriver` and `chromium`.

use std::time::Duration;

use anyhow::{ensure, Context as _};
use desk_testkit::e2e::{run_two_desks, sel, testid, Browser, TwoDesks};

/// A $0.01-tick market of the exchange's synthetic series.
const T50: &str = "KXDESK-26DEC31-T50";
/// Another one, for a second trade.
const T60: &str = "KXDESK-26DEC31-T60";

/// How long a live update may take to reach a browser (through the exchange, the desk's
/// upstream socket, and for cancellations the desk's once-a-second quote poll).
const LIVE: Duration = Duration::from_secs(20);

/// Waits until the desk's stream is live and the RFQ screen has loaded.
async fn desk_ready(b: &Browser) -> anyhow::Result<()> {
    b.wait_for_css(&sel("conn-status", &[("data-state", "live")]), LIVE)
        .await
        .context("the desk's stream never went live")?;
    b.wait_until("the RFQ desk to load", LIVE, async || {
        Ok((!b.text_of("rfq-comms-id").await?.trim().is_empty()).then_some(()))
    })
    .await
}

fn in_row(row: &str, id: &str) -> String {
    format!("{row} {}", testid(id))
}

fn my_rfq(rfq: &str) -> String {
    sel("my-rfq", &[("data-rfq-id", rfq)])
}

fn incoming(rfq: &str) -> String {
    sel("incoming-rfq", &[("data-rfq-id", rfq)])
}

fn quote_on_my_rfq(quote: &str) -> String {
    sel("rfq-quote", &[("data-quote-id", quote)])
}

fn my_quote(quote: &str) -> String {
    sel("my-quote", &[("data-quote-id", quote)])
}

/// The requester asks for quotes in the UI; returns the new RFQ's id.
async fn request_quotes(b: &Browser, market: &str, contracts: &str) -> anyhow::Result<String> {
    let row = sel("my-rfq", &[("data-market", market), ("data-open", "true")]);
    let mut before = Vec::new();
    for r in b.find_all(&row).await? {
        before.push(b.attr(&r, "data-rfq-id", "an RFQ row").await?);
    }
    b.fill("rfq-new-market", market).await?;
    b.fill("rfq-new-contracts", contracts).await?;
    b.click("rfq-new-submit").await?;
    b.wait_until(
        &format!("a new RFQ on {market} in My RFQs"),
        LIVE,
        async || {
            for r in b.find_all(&row).await? {
                let id = b.attr(&r, "data-rfq-id", "an RFQ row").await?;
                if !before.contains(&id) {
                    return Ok(Some(id));
                }
            }
            Ok(None)
        },
    )
    .await
}

/// The maker quotes on `rfq` in the UI (once the row shows the market's mid).
async fn quote(b: &Browser, rfq: &str, yes: &str, no: &str) -> anyhow::Result<()> {
    let row = incoming(rfq);
    b.wait_until("the RFQ's book and mid", LIVE, async || {
        let book = b.wait_for_css(&in_row(&row, "incoming-book"), LIVE).await?;
        Ok(book.attr("data-mid").await?.filter(|m| !m.is_empty()))
    })
    .await?;
    b.fill_css(&in_row(&row, "quote-yes"), yes).await?;
    b.fill_css(&in_row(&row, "quote-no"), no).await?;
    b.click_css(&in_row(&row, "quote-send")).await
}

/// The id of the newest quote with `status` on our RFQ `rfq`, as the requester sees it.
async fn quote_on(b: &Browser, rfq: &str, status: &str) -> anyhow::Result<String> {
    let css = format!(
        "{} {}",
        my_rfq(rfq),
        sel("rfq-quote", &[("data-status", status)])
    );
    let el = b
        .wait_for_css(&css, LIVE)
        .await
        .with_context(|| format!("no {status} quote on RFQ {rfq}"))?;
    b.attr(&el, "data-quote-id", "a quote row").await
}

/// Waits until both browsers show quote `q` with `status`.
async fn both_see(d: &TwoDesks<'_>, q: &str, status: &str) -> anyhow::Result<()> {
    d.maker
        .wait_for_css(
            &sel("my-quote", &[("data-quote-id", q), ("data-status", status)]),
            LIVE,
        )
        .await
        .with_context(|| format!("the maker never saw quote {q} {status}"))?;
    d.requester
        .wait_for_css(
            &sel(
                "rfq-quote",
                &[("data-quote-id", q), ("data-status", status)],
            ),
            LIVE,
        )
        .await
        .with_context(|| format!("the requester never saw quote {q} {status}"))?;
    Ok(())
}

/// Waits until `b` shows a fill on `market` for `side` and the position `position`.
async fn fill_and_position(
    b: &Browser,
    market: &str,
    side: &str,
    position: &str,
) -> anyhow::Result<()> {
    b.wait_for_css(
        &sel(
            "fill-row",
            &[
                ("data-market", market),
                ("data-side", side),
                ("data-count", "10.00"),
            ],
        ),
        LIVE,
    )
    .await
    .with_context(|| format!("no {side} fill on {market}"))?;
    b.wait_for_css(
        &sel(
            "position-row",
            &[("data-market", market), ("data-position", position)],
        ),
        LIVE,
    )
    .await
    .with_context(|| format!("no position {position} on {market}"))?;
    Ok(())
}

/// One manual round: RFQ, quote, accept `side`, confirm, executed on both screens.
async fn manual_round(d: &TwoDesks<'_>, market: &str, side: &str) -> anyhow::Result<()> {
    let rfq = request_quotes(d.requester, market, "10").await?;
    quote(d.maker, &rfq, "0.40", "0.50").await?;
    d.maker
        .wait_text(
            &in_row(&incoming(&rfq), "incoming-my-quote"),
            "quoted",
            LIVE,
        )
        .await?;
    let q = quote_on(d.requester, &rfq, "open").await?;
    d.requester
        .click_css(&in_row(&quote_on_my_rfq(&q), &format!("accept-{side}")))
        .await?;
    d.maker
        .wait_for_css(
            &sel(
                "my-quote",
                &[("data-quote-id", &q), ("data-status", "accepted")],
            ),
            LIVE,
        )
        .await?;
    d.maker
        .wait_text(
            &in_row(&my_quote(&q), "confirm-countdown"),
            "confirm within",
            LIVE,
        )
        .await?;
    d.maker
        .click_css(&in_row(&my_quote(&q), "quote-confirm"))
        .await?;
    both_see(d, &q, "executed").await?;
    // The RFQ is done: closed for the requester, gone from the maker's incoming list.
    d.requester
        .wait_for_css(
            &sel("my-rfq", &[("data-rfq-id", &rfq), ("data-open", "false")]),
            LIVE,
        )
        .await?;
    d.maker.wait_gone(&incoming(&rfq), LIVE).await
}

#[tokio::test(flavor = "multi_thread")]
async fn rfq_quote_accept_confirm_fills_both_sides_for_yes_and_no() -> anyhow::Result<()> {
    run_two_desks("rfq_roundtrip", async |d| {
        desk_ready(d.requester).await?;
        desk_ready(d.maker).await?;

        // YES: the requester buys 10 YES at 1 − 0.50; the maker holds 10 NO.
        manual_round(&d, T50, "yes").await?;
        fill_and_position(d.requester, T50, "yes", "10.00").await?;
        fill_and_position(d.maker, T50, "no", "-10.00").await?;

        // NO: the requester buys 10 NO at 1 − 0.40; the maker holds 10 YES.
        manual_round(&d, T60, "no").await?;
        fill_and_position(d.requester, T60, "no", "-10.00").await?;
        fill_and_position(d.maker, T60, "yes", "10.00").await?;

        let fills = d.sim.fills_for("requester");
        ensure!(
            fills.len() == 2,
            "the exchange has {} requester fills",
            fills.len()
        );
        d.requester.screenshot("requester").await?;
        d.maker.screenshot("maker").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn rfq_refusals_are_shown_plainly() -> anyhow::Result<()> {
    run_two_desks("rfq_refusals", async |d| {
        desk_ready(d.requester).await?;
        desk_ready(d.maker).await?;
        // Short windows, and no background expiry: the accepted quote still reads
        // "accepted" after its window, so the maker can click a confirm that is late.
        d.sim
            .set_confirm_windows(Duration::from_secs(1), Duration::from_secs(1));
        d.sim.set_rfq_expiry_sweep(false);

        let rfq = request_quotes(d.requester, T50, "10").await?;
        // YES bid + NO bid above $1: refused by the exchange, said on the RFQ's row.
        quote(d.maker, &rfq, "0.50", "0.51").await?;
        let said = d
            .maker
            .wait_text(&in_row(&incoming(&rfq), "quote-error"), "$1.00", LIVE)
            .await?;
        ensure!(said.contains("must not exceed"), "quote refusal: {said:?}");

        // A valid quote, accepted, confirmed after the window: refused, and the quote ends
        // cancelled with the reason on both screens.
        quote(d.maker, &rfq, "0.48", "0.50").await?;
        let q = quote_on(d.requester, &rfq, "open").await?;
        d.requester
            .click_css(&in_row(&quote_on_my_rfq(&q), "accept-yes"))
            .await?;
        let accepted = sel(
            "my-quote",
            &[("data-quote-id", &q), ("data-status", "accepted")],
        );
        d.maker.wait_for_css(&accepted, LIVE).await?;
        // Not a timing assertion: waiting out the 1 s window is what makes the confirm late.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        d.maker
            .click_css(&in_row(&accepted, "quote-confirm"))
            .await?;
        let said = d
            .maker
            .wait_text(
                &in_row(&my_quote(&q), "my-quote-error"),
                "confirmation window expired",
                LIVE,
            )
            .await?;
        ensure!(
            said.starts_with("Confirm refused"),
            "late confirm: {said:?}"
        );
        both_see(&d, &q, "cancelled").await?;
        d.requester
            .wait_text(
                &in_row(&quote_on_my_rfq(&q), "rfq-quote-reason"),
                "confirmation window expired",
                LIVE,
            )
            .await?;
        ensure!(
            d.sim.fills_for("requester").is_empty(),
            "a late confirm must not trade"
        );

        // A second open RFQ on the same market: Kalshi's 409, said in plain words.
        d.requester.fill("rfq-new-market", T50).await?;
        d.requester.fill("rfq-new-contracts", "5").await?;
        d.requester.click("rfq-new-submit").await?;
        let said = d
            .requester
            .wait_text(&testid("rfq-error"), "already open", LIVE)
            .await?;
        ensure!(said.contains(T50), "second RFQ: {said:?}");
        d.requester.screenshot("refusals").await?;
        d.maker.screenshot("late-confirm").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_deleted_replaced_and_withdrawn_items_change_status_live() -> anyhow::Result<()> {
    run_two_desks("rfq_expiry", async |d| {
        desk_ready(d.requester).await?;
        desk_ready(d.maker).await?;
        d.sim
            .set_confirm_windows(Duration::from_secs(1), Duration::from_secs(1));

        // Accepted, never confirmed: the exchange cancels it when the window passes, and
        // both screens say so without a reload.
        let rfq = request_quotes(d.requester, T50, "10").await?;
        quote(d.maker, &rfq, "0.45", "0.50").await?;
        let q = quote_on(d.requester, &rfq, "open").await?;
        d.requester
            .click_css(&in_row(&quote_on_my_rfq(&q), "accept-no"))
            .await?;
        both_see(&d, &q, "cancelled").await?;
        d.maker
            .wait_text(
                &in_row(&my_quote(&q), "my-quote-reason"),
                "confirmation window expired",
                LIVE,
            )
            .await?;

        // Replaced: a second quote on the same RFQ cancels the first.
        let rfq2 = request_quotes(d.requester, T60, "10").await?;
        quote(d.maker, &rfq2, "0.40", "0.50").await?;
        let first = quote_on(d.requester, &rfq2, "open").await?;
        quote(d.maker, &rfq2, "0.41", "0.50").await?;
        both_see(&d, &first, "cancelled").await?;
        d.requester
            .wait_text(
                &in_row(&quote_on_my_rfq(&first), "rfq-quote-reason"),
                "replaced",
                LIVE,
            )
            .await?;
        let second = quote_on(d.requester, &rfq2, "open").await?;

        // Deleted: the maker withdraws the second.
        d.maker
            .click_css(&in_row(&my_quote(&second), "quote-delete"))
            .await?;
        both_see(&d, &second, "cancelled").await?;
        d.requester
            .wait_text(
                &in_row(&quote_on_my_rfq(&second), "rfq-quote-reason"),
                "deleted",
                LIVE,
            )
            .await?;

        // Withdrawn RFQ: closed for the requester, gone from the maker's list, and its live
        // quote cancelled on both screens.
        quote(d.maker, &rfq2, "0.42", "0.50").await?;
        let third = quote_on(d.requester, &rfq2, "open").await?;
        d.requester
            .click_css(&in_row(&my_rfq(&rfq2), "rfq-delete"))
            .await?;
        d.requester
            .wait_for_css(
                &sel("my-rfq", &[("data-rfq-id", &rfq2), ("data-open", "false")]),
                LIVE,
            )
            .await?;
        d.maker.wait_gone(&incoming(&rfq2), LIVE).await?;
        both_see(&d, &third, "cancelled").await?;
        d.maker.screenshot("expired").await?;
        Ok(())
    })
    .await
}

/// Ticks (or unticks) a checkbox to `on`.
async fn set_checkbox(b: &Browser, id: &str, on: bool) -> anyhow::Result<()> {
    let el = b.wait_for(id).await?;
    let checked = el.prop("checked").await?.is_some_and(|v| v == "true");
    if checked != on {
        el.click().await.with_context(|| format!("clicking {id}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn maker_rules_from_the_editor_quote_and_confirm_inside_a_3_second_window(
) -> anyhow::Result<()> {
    run_two_desks("rfq_auto_confirm", async |d| {
        desk_ready(d.requester).await?;
        desk_ready(d.maker).await?;
        // KXDESK is a high-volatility series here: a 3 s window, too short for a person.
        d.sim.set_fast_confirm_series("KXDESK");

        let m = d.maker;
        m.wait_text(&testid("rules-current"), "No rules", LIVE)
            .await?;
        m.fill("rule-scope", "KXDESK").await?;
        set_checkbox(m, "rule-auto-quote", true).await?;
        m.fill("rule-spread", "0.02").await?;
        m.fill("rule-max-contracts", "100").await?;
        set_checkbox(m, "rule-auto-confirm", true).await?;
        m.fill("rule-max-position", "200").await?;
        m.fill("rule-max-notional", "100").await?;
        m.fill("rule-daily-loss", "500").await?;
        m.click("rules-save").await?;
        let effect = sel("rule-effect", &[("data-rule-id", "1")]);
        let said = m.wait_text(&effect, "auto-confirm", LIVE).await?;
        ensure!(
            said.contains("Rule 1 on KXDESK") && said.contains("auto-quote mid ± $0.02"),
            "current effect: {said:?}"
        );

        // The requester asks; the maker's rule quotes by itself.
        let rfq = request_quotes(d.requester, T50, "10").await?;
        let q = quote_on(d.requester, &rfq, "open").await?;
        m.wait_for_css(
            &sel(
                "rule-log-entry",
                &[
                    ("data-action", "quoted"),
                    ("data-rule-id", "1"),
                    ("data-quote-id", &q),
                ],
            ),
            LIVE,
        )
        .await?;

        // Accepted: the maker's rule confirms inside the 3 s window (the exchange refuses
        // anything later), so the trade executes without the maker touching anything.
        d.requester
            .click_css(&in_row(&quote_on_my_rfq(&q), "accept-yes"))
            .await?;
        let confirmed = m
            .wait_for_css(
                &sel(
                    "rule-log-entry",
                    &[
                        ("data-action", "confirmed"),
                        ("data-rule-id", "1"),
                        ("data-quote-id", &q),
                    ],
                ),
                LIVE,
            )
            .await?;
        let reaction = m
            .attr(&confirmed, "data-reaction-ms", "the confirm's log entry")
            .await?;
        eprintln!("[rfq_auto_confirm] quote_accepted → confirm sent: {reaction} ms");
        both_see(&d, &q, "executed").await?;
        fill_and_position(d.requester, T50, "yes", "10.00").await?;
        fill_and_position(m, T50, "no", "-10.00").await?;
        // The rule's current effect counts what it did.
        m.wait_for_css(
            &sel(
                "rule-effect",
                &[
                    ("data-rule-id", "1"),
                    ("data-quoted", "1"),
                    ("data-confirmed", "1"),
                    ("data-failed", "0"),
                ],
            ),
            LIVE,
        )
        .await?;
        m.screenshot("rules").await?;
        Ok(())
    })
    .await
}
