//! Finding markets through the desk: series by category, events of a series, market search
//! (text, category, status, close time) with Kalshi cursors, the watchlist's `tickers`
//! query, and candles built by the exchange from its own trades.

use shared::ids::{Action, Side};
use shared::num::Count;
use shared::protocol::{
    CandlesView, EventsPage, MarketSearch, MarketsPage, OrderTicket, SeriesList,
};
use shared::rest::TimeInForce;

use crate::helpers::{spawn_app, TestApp};

async fn get_json<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

async fn search(app: &TestApp, q: &MarketSearch) -> MarketsPage {
    get_json(app, &format!("/api/markets?{}", q.to_query())).await
}

fn tickers(page: &MarketsPage) -> Vec<String> {
    page.markets.iter().map(|m| m.ticker.to_string()).collect()
}

#[tokio::test]
async fn series_then_events_then_markets() {
    let app = spawn_app().await;
    let all: SeriesList = get_json(&app, "/api/series").await;
    let categories: std::collections::BTreeSet<&str> =
        all.series.iter().map(|s| s.category.as_str()).collect();
    assert!(
        categories.contains("Economics") && categories.contains("Sports"),
        "{categories:?}"
    );
    let economics: SeriesList = get_json(&app, "/api/series?category=Economics").await;
    assert_eq!(economics.series.len(), 1);
    assert_eq!(economics.series[0].ticker, "KXDESKFED");

    let events: EventsPage = get_json(&app, "/api/events?series_ticker=KXDESKFED").await;
    let names: Vec<&str> = events
        .events
        .iter()
        .map(|e| e.event_ticker.as_str())
        .collect();
    assert_eq!(names, ["KXDESKFED-26DEC16", "KXDESKFED-26OCT28"]);
    assert_eq!(events.events[0].market_count, 4);
    let open: EventsPage = get_json(&app, "/api/events?series_ticker=KXDESKFED&status=open").await;
    assert_eq!(open.events.len(), 1);
    // Events page with Kalshi cursors.
    let first: EventsPage = get_json(&app, "/api/events?limit=1").await;
    let cursor = first.cursor.clone().expect("more than one event");
    let second: EventsPage = get_json(&app, &format!("/api/events?limit=1&cursor={cursor}")).await;
    assert_ne!(first.events[0].event_ticker, second.events[0].event_ticker);

    let markets = search(
        &app,
        &MarketSearch {
            event_ticker: Some("KXDESKFED-26DEC16".into()),
            status: Some("any".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(markets.markets.len(), 4);
    assert!(markets
        .markets
        .iter()
        .all(|m| m.price_level_structure.as_deref() == Some("tapered_deci_cent")));
}

#[tokio::test]
async fn search_filters_and_pages_with_cursors() {
    let app = spawn_app().await;
    // Paging through every open market, three at a time, sees each once, in order.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = search(
            &app,
            &MarketSearch {
                limit: Some(3),
                cursor: cursor.clone(),
                ..MarketSearch::default()
            },
        )
        .await;
        assert!(page.markets.len() <= 3);
        seen.extend(tickers(&page));
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    let open: Vec<String> = app
        .sim
        .market_tickers()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(seen, open);

    // Text: all words, any case, ticker or title.
    let rain = search(
        &app,
        &MarketSearch {
            q: Some("central PARK january".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(rain.markets.len(), 4, "{:?}", tickers(&rain));
    // Text search pages too: small pages, matches gathered across Kalshi pages.
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let page = search(
            &app,
            &MarketSearch {
                limit: Some(2),
                q: Some("rain".into()),
                status: Some("any".into()),
                cursor: cursor.clone(),
                ..MarketSearch::default()
            },
        )
        .await;
        found.extend(tickers(&page));
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(found.len(), 6, "{found:?}");

    // Category (through the series of that category) and status.
    let sports = search(
        &app,
        &MarketSearch {
            category: Some("Sports".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(sports.markets.len(), 5);
    assert!(sports
        .markets
        .iter()
        .all(|m| m.ticker.as_str().starts_with("KXMVE")));
    let settled = search(
        &app,
        &MarketSearch {
            status: Some("settled".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(
        tickers(&settled),
        ["KXDESKRAIN-26OCT-T2", "KXDESKRAIN-26OCT-T4"]
    );

    // Close time with "open": Kalshi cannot combine them, the desk filters the status.
    let before = search(
        &app,
        &MarketSearch {
            max_close_ts: Some(1_797_724_800), // 2026-12-20
            q: Some("fed".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(before.markets.len(), 4, "{:?}", tickers(&before));
    assert!(before.markets.iter().all(|m| m.status.is_tradable()));

    // The watchlist's query: exactly these tickers, any status.
    let watch = search(
        &app,
        &MarketSearch {
            tickers: Some("KXDESK-26DEC31-T50,KXDESKRAIN-26OCT-T2".into()),
            status: Some("any".into()),
            ..MarketSearch::default()
        },
    )
    .await;
    assert_eq!(
        tickers(&watch),
        ["KXDESK-26DEC31-T50", "KXDESKRAIN-26OCT-T2"]
    );

    // Bad input is a plain 400.
    for bad in [
        "/api/markets?status=sideways",
        "/api/markets?limit=0",
        "/api/markets?tickers=not%20a%20ticker",
        "/api/events?status=bogus",
        "/api/markets/KXDESK-26DEC31-T50/candles?period=2h",
    ] {
        let (status, body) = app.get(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("\"message\""), "{body}");
    }
}

#[tokio::test]
async fn candles_from_the_exchanges_own_trades() {
    let app = spawn_app().await;
    let t = "KXDESKFED-26DEC16-T3.50";
    let ask = app
        .sim
        .book(&t.into())
        .unwrap()
        .no
        .last()
        .unwrap()
        .0
        .complement();
    let mut ticket = OrderTicket::limit(t.into(), Action::Buy, Side::Yes, ask, Count::from_int(2));
    ticket.time_in_force = TimeInForce::ImmediateOrCancel;
    let (status, body) = app.post("/api/orders", &ticket).await;
    assert_eq!(status, 201, "{body}");
    for period in ["1m", "1h", "1d"] {
        let view: CandlesView =
            get_json(&app, &format!("/api/markets/{t}/candles?period={period}")).await;
        assert_eq!(view.period.as_str(), period);
        let last = view.candles.last().expect("a candle after a trade");
        assert!(last.low <= last.close && last.close <= last.high);
        assert!(last.volume >= Count::from_int(2), "{last:?}");
        assert!(view.candles.iter().any(|c| c.low <= ask && ask <= c.high));
    }
}

/// With a Kalshi-sized universe, a text search of open markets is answered from the desk's
/// directory of every open market: every match of the whole universe, in ticker order,
/// paged with the directory's cursor, the same markets the slow path (Kalshi's pages, read
/// by the desk) finds; a market that settles leaves the directory by its lifecycle frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_search_covers_the_whole_universe_from_the_directory() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.sim_flow = 0;
        c.sim_markets = 3_000;
    })
    .await;
    let directory = app.hub.directory().clone();
    crate::helpers::wait_until(
        "the directory's first read",
        std::time::Duration::from_secs(30),
        || {
            let directory = directory.clone();
            async move { directory.open_markets().is_some_and(|n| n >= 3_000) }
        },
    )
    .await;
    let open = directory.open_markets().unwrap();

    let all_pages = |q: MarketSearch| {
        let app = &app;
        async move {
            let (mut found, mut cursors, mut cursor) = (Vec::new(), Vec::new(), None);
            loop {
                let page = search(
                    app,
                    &MarketSearch {
                        cursor: cursor.clone(),
                        ..q.clone()
                    },
                )
                .await;
                found.extend(page.markets);
                cursor = page.cursor;
                match &cursor {
                    Some(c) => cursors.push(c.clone()),
                    None => break,
                }
            }
            (found, cursors)
        }
    };
    let words = MarketSearch {
        q: Some("HIGH temp".into()),
        limit: Some(40),
        ..MarketSearch::default()
    };
    let (fast, cursors) = all_pages(words.clone()).await;
    assert!(fast.len() > 40, "several pages: {}", fast.len());
    assert!(
        cursors.iter().all(|c| c.starts_with("desk:")),
        "{cursors:?}"
    );
    let found: Vec<String> = fast.iter().map(|m| m.ticker.to_string()).collect();
    let mut sorted = found.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(found, sorted, "ticker order, each once");
    for m in &fast {
        let text = format!("{} {}", m.ticker, m.title).to_lowercase();
        assert!(text.contains("temp") && text.contains("high"), "{text}");
        assert!(m.status.is_tradable());
    }
    // The slow path (status=any reads Kalshi's pages) finds the same open markets.
    let (slow, _) = all_pages(MarketSearch {
        status: Some("any".into()),
        limit: Some(200),
        ..words
    })
    .await;
    let slow: Vec<String> = slow
        .iter()
        .filter(|m| m.status.is_tradable())
        .map(|m| m.ticker.to_string())
        .collect();
    assert_eq!(found, slow);

    // A settled market leaves the directory.
    let gone = fast[0].ticker.clone();
    app.sim.settle_market(&gone, Side::Yes).unwrap();
    crate::helpers::wait_until(
        "the settlement's lifecycle frame",
        std::time::Duration::from_secs(10),
        || {
            let directory = directory.clone();
            async move { directory.open_markets() == Some(open - 1) }
        },
    )
    .await;
}

/// The first generated temperature event (six mutually exclusive brackets).
fn bracket_event(app: &TestApp) -> String {
    let market = app
        .sim
        .market_tickers()
        .into_iter()
        .find(|t| t.as_str().starts_with("KXHIGH"))
        .expect("the universe has temperature brackets");
    let (event, _) = market.as_str().rsplit_once('-').unwrap();
    event.to_owned()
}

#[tokio::test]
async fn an_event_board_lists_every_bracket_and_flags_a_basket_that_pays_more_than_it_costs() {
    use shared::board::{self, Arbitrage, EventBoardView, Top};
    use shared::protocol::{ClientMsg, ServerMsg};

    let app = crate::helpers::spawn_app_with(|c| {
        c.sim_flow = 0;
        c.sim_markets = 200;
    })
    .await;
    let event = bracket_event(&app);
    let read: EventBoardView = get_json(&app, &format!("/api/events/{event}")).await;
    assert!(read.mutually_exclusive, "{read:?}");
    assert_eq!(read.markets.len(), 6, "{read:?}");
    let strikes: Vec<f64> = read.markets.iter().filter_map(|m| m.strike()).collect();
    assert!(strikes.is_sorted(), "by strike: {strikes:?}");
    assert!(read
        .markets
        .iter()
        .all(|m| m.open && m.ticker.yes_bid_dollars.is_some()));
    // The opening books price the brackets near $1 in all: no basket.
    assert!(board::arbitrage(&read, |t| read
        .markets
        .iter()
        .find(|m| &m.market_ticker == t)
        .map(|m| Top::of(&m.ticker)))
    .is_empty());

    // Two tabs mark the board's markets: one ticker subscription at the exchange.
    let markets: Vec<_> = read
        .markets
        .iter()
        .map(|m| m.market_ticker.clone())
        .collect();
    let marks = ClientMsg::Marks {
        market_tickers: markets.clone(),
    };
    let before = app.sim.subscription_count(shared::ws::Channel::Ticker);
    let (mut tab, mut other) = (app.browser().await, app.browser().await);
    tab.send(&marks).await;
    other.send(&marks).await;
    for t in [&mut tab, &mut other] {
        let mut seen = std::collections::HashSet::new();
        while seen.len() < markets.len() {
            if let ServerMsg::Ticker(m) = t.next().await {
                seen.insert(m.market_ticker);
            }
        }
    }
    assert_eq!(
        app.sim.subscription_count(shared::ws::Channel::Ticker),
        before + 1,
        "one ticker subscription for the event, whatever the tabs"
    );

    // Every bracket offered at $0.10 (Σ asks $0.60), 7 contracts the thinnest.
    for (i, m) in markets.iter().enumerate() {
        app.lay(m, "0.05", "0.10", 7 + i as i64);
    }
    let last = markets.last().unwrap().clone();
    tab.until("the last bracket's new ask", |m| {
        matches!(m, ServerMsg::Ticker(t) if t.market_ticker == last
            && t.yes_ask_dollars == Some("0.10".parse().unwrap()))
    })
    .await;
    let read: EventBoardView = get_json(&app, &format!("/api/events/{event}")).await;
    let found = board::arbitrage(&read, |t| {
        read.markets
            .iter()
            .find(|m| &m.market_ticker == t)
            .map(|m| Top::of(&m.ticker))
    });
    assert_eq!(
        found,
        vec![Arbitrage::EveryYes {
            cost: "0.60".parse().unwrap(),
            pays: shared::num::Dollars::ONE,
            sets: Some(Count::from_int(7)),
        }]
    );

    let (status, body) = app.get("/api/events/NOT A TICKER").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.get("/api/events/KXNOSUCH-26DEC31").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn an_above_ladder_bid_over_a_lower_strikes_ask_is_flagged_with_its_size() {
    use shared::board::{self, Arbitrage, EventBoardView, Ladder, Top};
    use shared::num::Dollars;

    let app = crate::helpers::spawn_app_with(|c| {
        c.sim_flow = 0;
        c.sim_markets = 200;
    })
    .await;
    let market = app
        .sim
        .market_tickers()
        .into_iter()
        .find(|t| t.as_str().starts_with("KXBTCD"))
        .expect("the universe has a daily bitcoin ladder");
    let (event, _) = market.as_str().rsplit_once('-').unwrap();
    let path = format!("/api/events/{event}");
    let read: EventBoardView = get_json(&app, &path).await;
    assert!(!read.mutually_exclusive);
    assert!(read.markets.len() >= 5, "{read:?}");
    let strikes: Vec<f64> = read
        .markets
        .iter()
        .map(|m| match m.ladder() {
            Some((Ladder::Above, strike)) => strike,
            other => panic!("an above-X ladder: {other:?}"),
        })
        .collect();
    assert!(strikes.is_sorted(), "{strikes:?}");
    let top_of = |read: &EventBoardView, t: &shared::ids::MarketTicker| {
        read.markets
            .iter()
            .find(|m| &m.market_ticker == t)
            .map(|m| Top::of(&m.ticker))
    };
    assert!(board::arbitrage(&read, |t| top_of(&read, t)).is_empty());

    // The third strike bid two cents over the second's ask: YES of the second is worth at
    // least YES of the third, so YES low + NO high costs less than the $1 it pays.
    let (low, high) = (&read.markets[1], &read.markets[2]);
    let ask = Top::of(&low.ticker)
        .ask
        .expect("the second strike is offered");
    let bid = ask.price.checked_add(Dollars::from_cents(2)).unwrap();
    let over = bid.checked_add(Dollars::from_cents(1)).unwrap();
    assert!(over < Dollars::ONE);
    app.lay(&high.market_ticker, &bid.to_string(), &over.to_string(), 3);
    let read: EventBoardView = get_json(&app, &path).await;
    let found = board::arbitrage(&read, |t| top_of(&read, t));
    assert_eq!(
        found,
        vec![Arbitrage::Ladder {
            buy_yes: low.market_ticker.clone(),
            yes_ask: ask.price,
            buy_no: high.market_ticker.clone(),
            yes_bid: bid,
            cost: Dollars::ONE.checked_sub(Dollars::from_cents(2)).unwrap(),
            sets: Some(ask.size.unwrap().min(Count::from_int(3))),
        }]
    );
}
