//! Two replicas of one desk (cluster mode over NATS) in two real browsers: while the
//! exchange trades, both pages show the same live book, and it is the exchange's.
//!
//! Needs `dist/`, `chromedriver`, `chromium`, `nats-server` and PostgreSQL (all set up by
//! `bash scripts/test.sh`).

use std::time::Duration;

use desk_testkit::e2e::{run_on_two_replicas, sel, Browser};

async fn open(browser: &Browser, ticker: &str) -> anyhow::Result<()> {
    browser
        .wait_for_css(
            &sel("conn-status", &[("data-state", "live")]),
            Duration::from_secs(20),
        )
        .await?;
    let row = browser
        .wait_for_css(
            &sel("market-row", &[("data-ticker", ticker)]),
            Duration::from_secs(20),
        )
        .await?;
    row.click().await?;
    browser.wait_for("ladder").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_show_the_same_live_book_in_two_browsers() -> anyhow::Result<()> {
    run_on_two_replicas("cluster_books", async |d| {
        let ticker = d
            .sim
            .market_tickers()
            .into_iter()
            .next()
            .map(|t| t.to_string())
            .unwrap_or_default();
        open(d.first, &ticker).await?;
        open(d.second, &ticker).await?;
        let before = d.first.ladder_levels().await?;

        // The exchange trades: both pages move.
        d.sim.set_flow_focus(Some(ticker.as_str().into()));
        d.sim.set_flow(100);
        d.first
            .wait_until(
                "the book to move on replica 1",
                Duration::from_secs(20),
                async || Ok((d.first.ladder_levels().await? != before).then_some(())),
            )
            .await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        d.sim.set_flow(0);

        // Quiet again: the two pages agree level for level, with each other and the exchange.
        // The exchange's book is read on every try: deltas sent just before the flow stopped
        // may still be on their way, and two pages can agree on a level one delta old.
        let mut last = (Vec::new(), Vec::new());
        let settled = d
            .first
            .wait_until(
                "both ladders to agree with the exchange's book",
                Duration::from_secs(20),
                async || {
                    let (a, b) = (
                        d.first.ladder_levels().await?,
                        d.second.ladder_levels().await?,
                    );
                    let book = d.sim.book(&ticker.as_str().into()).unwrap_or_default();
                    let exchange_yes: Vec<String> = book
                        .yes
                        .iter()
                        .map(|(p, c)| format!("yes|{p}|{c}"))
                        .collect();
                    let shown_yes: Vec<String> = a
                        .iter()
                        .filter(|l| l.starts_with("yes|"))
                        .cloned()
                        .collect();
                    let agree = !shown_yes.is_empty()
                        && a == b
                        && shown_yes.iter().all(|l| exchange_yes.contains(l));
                    last = (a.clone(), exchange_yes);
                    Ok(agree.then_some(a))
                },
            )
            .await;
        let settled = match settled {
            Ok(levels) => levels,
            Err(e) => anyhow::bail!(
                "{e}: the page shows {:?}, the exchange holds {:?}",
                last.0,
                last.1
            ),
        };
        d.first.screenshot("cluster-replica-1").await?;
        d.second.screenshot("cluster-replica-2").await?;
        eprintln!(
            "both replicas show {} levels, equal to the exchange's",
            settled.len()
        );
        Ok(())
    })
    .await
}
