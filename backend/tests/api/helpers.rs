//! `spawn_app()` and a small `/ws` client.

use std::path::PathBuf;
use std::time::Duration;

use desk_backend::hub::Hub;
use desk_backend::sim::SimExchange;
use desk_backend::{Application, Config};
use futures_util::{SinkExt, StreamExt};
use shared::book::{BookLevels, OrderBook};
use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// A running desk on its built-in exchange.
pub struct TestApp {
    pub port: u16,
    pub sim: SimExchange,
    pub hub: Hub,
    pub shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.sim.shutdown();
    }
}

/// Starts the desk (sim mode, port 0, seeded flow) and waits until its upstream is live.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with a chance to change the configuration.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_tests(dist_dir());
    change(&mut config);
    let app = Application::build(config).await.expect("desk builds");
    let test = TestApp {
        port: app.port(),
        sim: app.sim().expect("runs on the built-in exchange"),
        hub: app.hub(),
        shutdown: app.shutdown_token(),
    };
    tokio::spawn(app.run_until_stopped());
    let hub = test.hub.clone();
    wait_until("upstream live", Duration::from_secs(20), || async {
        hub.upstream_state() == shared::protocol::UpstreamState::Live
    })
    .await;
    test
}

impl TestApp {
    pub async fn browser(&self) -> Browser {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/ws", self.port))
            .await
            .expect("ws connects");
        let mut b = Browser {
            ws,
            books: Default::default(),
            fills: Vec::new(),
        };
        match b.next().await {
            ServerMsg::Hello { .. } => {}
            other => panic!("first frame must be hello, got {other:?}"),
        }
        b
    }

    pub fn first_market(&self) -> MarketTicker {
        self.sim
            .market_tickers()
            .into_iter()
            .next()
            .expect("the exchange has markets")
    }
}

/// The frontend dist directory (only its presence matters to most tests).
pub fn dist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

/// A browser session over a real socket that keeps the books it is sent.
pub struct Browser {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub books: std::collections::HashMap<MarketTicker, OrderBook>,
    /// Every fill frame received, in order.
    pub fills: Vec<shared::ws::FillMsg>,
}

impl Browser {
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_text(&serde_json::to_string(msg).unwrap()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next frame (20 s at most), applied to the local books.
    pub async fn next(&mut self) -> ServerMsg {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("a frame within 20 s")
                .expect("socket open")
                .expect("socket ok");
            if let Message::Text(text) = frame {
                let msg: ServerMsg = serde_json::from_str(text.as_str()).expect("a ServerMsg");
                self.apply(&msg);
                return msg;
            }
        }
    }

    fn apply(&mut self, msg: &ServerMsg) {
        match msg {
            ServerMsg::Book {
                market_ticker,
                levels,
                ..
            } => {
                self.books
                    .insert(market_ticker.clone(), OrderBook::from_levels(levels));
            }
            ServerMsg::Level {
                market_ticker,
                side,
                price,
                count,
            } => {
                self.books
                    .entry(market_ticker.clone())
                    .or_default()
                    .set_level(*side, *price, *count);
            }
            ServerMsg::Fill(f) => self.fills.push(f.clone()),
            _ => {}
        }
    }

    /// Reads frames until one matches (bounded).
    pub async fn until(&mut self, what: &str, mut f: impl FnMut(&ServerMsg) -> bool) -> ServerMsg {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {what} within 30 s"
            );
            let msg = self.next().await;
            if f(&msg) {
                return msg;
            }
        }
    }

    pub fn levels(&self, market: &MarketTicker) -> Option<BookLevels> {
        self.books.get(market).map(OrderBook::levels)
    }

    /// Drains frames already queued (applies them) without waiting long.
    pub async fn drain(&mut self, for_how_long: Duration) {
        let end = tokio::time::Instant::now() + for_how_long;
        while tokio::time::Instant::now() < end {
            match tokio::time::timeout(Duration::from_millis(50), self.ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Ok(msg) = serde_json::from_str::<ServerMsg>(text.as_str()) {
                        self.apply(&msg);
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(None | Some(Err(_))) => panic!("socket closed"),
                Err(_) => {}
            }
        }
    }
}

/// Polls `f` every 50 ms until it is true; panics naming `what` after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TestApp {
    /// A browser watching `market`, past its first book.
    pub async fn watching(&self, market: &MarketTicker) -> Browser {
        let mut b = self.browser().await;
        b.send(&ClientMsg::Watch {
            market_ticker: market.clone(),
        })
        .await;
        b.until(
            "initial book",
            |m| matches!(m, ServerMsg::Book { market_ticker, .. } if market_ticker == market),
        )
        .await;
        b
    }

    /// Upstream connections established so far.
    pub fn connects(&self) -> u64 {
        self.hub.metrics().upstream_connects.get()
    }

    /// Waits until the upstream has connected at least `n` times and is live again.
    pub async fn wait_connects(&self, n: u64) {
        let hub = self.hub.clone();
        wait_until(
            &format!("{n} upstream connections"),
            Duration::from_secs(30),
            || {
                let hub = hub.clone();
                async move {
                    hub.metrics().upstream_connects.get() >= n
                        && hub.upstream_state() == shared::protocol::UpstreamState::Live
                }
            },
        )
        .await;
    }

    /// Stops the flow and waits until the backend's book of `market` is fresh and equals
    /// the exchange's; then checks the browser's copy too.
    pub async fn assert_books_settle(&self, market: &MarketTicker, browser: &mut Browser) {
        self.sim.set_flow(0);
        let (hub, sim, m) = (self.hub.clone(), self.sim.clone(), market.clone());
        wait_until(
            "backend book == exchange book",
            Duration::from_secs(30),
            || {
                let (hub, sim, m) = (hub.clone(), sim.clone(), m.clone());
                async move {
                    hub.book(&m)
                        .is_some_and(|b| !b.stale && Some(b.levels) == sim.book(&m))
                }
            },
        )
        .await;
        browser.drain(Duration::from_millis(500)).await;
        assert_eq!(
            browser.levels(market),
            self.sim.book(market),
            "browser book == exchange book"
        );
    }

    /// `GET` a desk path; status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = reqwest::get(format!("http://127.0.0.1:{}{path}", self.port))
            .await
            .expect("desk answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// `POST` JSON to a desk path; status and body.
    pub async fn post<T: serde::Serialize>(&self, path: &str, body: &T) -> (u16, String) {
        let resp = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}{path}", self.port))
            .json(body)
            .send()
            .await
            .expect("desk answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }
}
