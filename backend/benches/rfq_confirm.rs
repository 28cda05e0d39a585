//! How fast the market maker's auto-confirm rule answers an accepted quote; writes
//! `bench-results/rfq_confirm.json`.
//!
//! One built-in exchange with two users: the maker runs a real desk (its upstream socket,
//! hub and [`desk_backend::rfq::rules`] with one rule that auto-quotes and auto-confirms
//! `KXDESK`, a 3 s-window series here); the requester talks to the exchange directly with a
//! signed client. Each round: the requester creates an RFQ, waits for the rule's quote,
//! accepts it (YES and NO in turn, so the maker's position stays flat), and the bench reads
//! the maker's rules log for that quote's confirm entry. The entry carries
//!
//! - `reaction_us`: the `quote_accepted` frame reaching the rules task → the confirm handed
//!   to the signed client (the risk checks, including one `GetPositions` round trip);
//! - `answered_us`: the same frame → the exchange's answer to the confirm (adds the RSA-PSS
//!   signature and the round trip, in which the exchange executes the trade).
//!
//! `DESK_RFQ_BENCH_ACCEPTS` sets the number of rounds (default 50).

use std::time::{Duration, Instant};

use desk_backend::kalshi::client::KalshiClient;
use desk_backend::kalshi::ratelimit::{AccountLimits, BucketLimit};
use desk_testkit::desk::DeskBeside;
use desk_testkit::eventually_every;
use serde_json::{json, Value};
use shared::api::ops::{AcceptRFQQuote, AcceptRFQQuotePath, CreateRFQ, GetQuotes, GetQuotesQuery};
use shared::api::schema::{AcceptQuoteRequest, CreateRFQRequest};
use shared::api::{NoPath, NoQuery};
use shared::ids::{MarketTicker, Side};
use shared::num::Count;
use shared::rfq::{RuleAction, RuleLogEntry};

const MARKET: &str = "KXDESK-26DEC31-T50";

/// One pass of `accepts` rounds; with `pace`, a round starts at most every `pace`.
async fn pass(
    requester: &KalshiClient,
    http: &reqwest::Client,
    desk: &str,
    accepts: usize,
    pace: Option<Duration>,
) -> Value {
    let (mut reaction, mut answered) = (Vec::new(), Vec::new());
    let mut not_confirmed = Vec::new();
    for round in 0..accepts {
        let round_started = Instant::now();
        let req = CreateRFQRequest {
            market_ticker: MarketTicker::from(MARKET),
            contracts_fp: Some(Count::from_int(10)),
            // The last round's RFQ may still be open (Kalshi allows one per market).
            replace_existing: Some(true),
            ..CreateRFQRequest::default()
        };
        let rfq = requester
            .send::<CreateRFQ>(&NoPath, &NoQuery {}, Some(&req))
            .await
            .expect("CreateRFQ")
            .id;
        let quote = eventually_every(
            "the rule's quote",
            Duration::from_millis(2),
            Duration::from_secs(10),
            || {
                let (requester, rfq) = (requester.clone(), rfq.clone());
                async move {
                    let q = GetQuotesQuery {
                        rfq_id: Some(rfq),
                        status: Some("open".into()),
                        ..GetQuotesQuery::default()
                    };
                    requester
                        .send::<GetQuotes>(&NoPath, &q, None)
                        .await
                        .ok()
                        .and_then(|r| r.quotes.into_iter().next())
                }
            },
        )
        .await;
        let side = if round % 2 == 0 { Side::Yes } else { Side::No };
        requester
            .send::<AcceptRFQQuote>(
                &AcceptRFQQuotePath {
                    rfq_id: rfq.clone(),
                    quote_id: quote.id.clone(),
                },
                &NoQuery {},
                Some(&AcceptQuoteRequest {
                    accepted_side: Some(side),
                }),
            )
            .await
            .expect("AcceptRFQQuote");
        let entry: RuleLogEntry = eventually_every(
            "the rule's confirm",
            Duration::from_millis(2),
            Duration::from_secs(10),
            || {
                let (http, url, id) = (http.clone(), format!("{desk}/rfq/log"), quote.id.clone());
                async move {
                    let log: Vec<RuleLogEntry> =
                        http.get(url).send().await.ok()?.json().await.ok()?;
                    log.into_iter().find(|e| {
                        e.quote_id.as_deref() == Some(id.as_str())
                            && e.action != RuleAction::Quoted
                            && e.action != RuleAction::QuoteSkipped
                    })
                }
            },
        )
        .await;
        if entry.action == RuleAction::Confirmed {
            reaction.push(entry.reaction_us.unwrap_or(0));
            answered.push(entry.answered_us.unwrap_or(0));
        } else {
            not_confirmed.push(format!("{:?}: {}", entry.action, entry.detail));
        }
        if let Some(pace) = pace {
            tokio::time::sleep_until((round_started + pace).into()).await;
        }
    }
    json!({
        "pace_ms": pace.map(|p| p.as_millis()),
        "accepts": accepts,
        "confirmed": reaction.len(),
        "not_confirmed": not_confirmed,
        "quote_accepted_to_confirm_sent": desk_testkit::bench::summary(reaction, "us"),
        "quote_accepted_to_confirm_answered": desk_testkit::bench::summary(answered, "us"),
    })
}

async fn run(accepts: usize) -> Value {
    let beside = DeskBeside::start("maker", "requester", 5, |sim| {
        sim.set_rfq_participants(false);
        sim.set_fast_confirm_series("KXDESK");
    })
    .await
    .expect("the exchange and the maker's desk start");
    let (port, store) = (beside.port, beside.store.clone());
    let desk = format!("http://127.0.0.1:{port}/api");
    let http = desk_testkit::desk::log_in_new_user(
        &store,
        &format!("http://127.0.0.1:{port}"),
        "maker",
        shared::auth::Role::Admin,
        &shared::auth::UserLimits::default(),
    )
    .await
    .expect("the maker logs in")
    .http;
    let rules = json!({"rules": [{"id": 1, "scope": "KXDESK", "enabled": true,
        "auto_quote": {"spread": "0.0200", "max_contracts": "100.00"},
        "auto_confirm": {"max_position": "1000.00", "max_notional": "1000.0000",
                         "daily_loss_limit": "100000.0000"}}]});
    let resp = http
        .put(format!("{desk}/rfq/rules"))
        .json(&rules)
        .send()
        .await
        .expect("PUT rules");
    assert!(
        resp.status().is_success(),
        "rules refused: {}",
        resp.status()
    );

    let requester = beside.direct.clone();
    let fast = BucketLimit {
        refill_rate: 1000,
        bucket_capacity: 1000,
    };
    requester.budget().set_limits(&AccountLimits {
        usage_tier: "bench".into(),
        read: fast,
        write: fast,
    });

    // Paced first, at 2 rounds a second (4 writes): the budget never runs dry.
    let paced = pass(
        &requester,
        &http,
        &desk,
        accepts,
        Some(Duration::from_millis(500)),
    )
    .await;
    // Back to back: quotes and confirms share the maker's write budget (Basic tier,
    // 10 a second, as the exchange does not serve GetAccountApiLimits), so confirms queue.
    let back_to_back = pass(&requester, &http, &desk, accepts, None).await;
    let fills = beside.sim.fills_for("maker").len();
    beside.stop.cancel();
    beside.sim.shutdown();
    json!({
        "maker_fills": fills,
        "confirm_window_ms": 3000,
        "paced": paced,
        "back_to_back": back_to_back,
    })
}

fn main() {
    let accepts = std::env::var("DESK_RFQ_BENCH_ACCEPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_usize);
    desk_testkit::bench::run(
        "rfq_confirm",
        "quote_accepted (as the maker's backend receives it) → auto-confirm sent / answered, built-in exchange on loopback",
        run(accepts),
    );
}
