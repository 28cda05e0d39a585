//! `spawn_app()` and a small `/ws` client.

use std::path::PathBuf;
use std::time::Duration;

use desk_backend::live::hub::Hub;
use desk_backend::team::store::Store;
use desk_backend::{Application, Config};
use desk_testkit::services::PgSchema;
use futures_util::{SinkExt, StreamExt};
use kalshi_sim::SimExchange;
use shared::auth::{Role, SessionView, UserLimits};
use shared::book::{BookLevels, OrderBook};
use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// A running desk on its built-in exchange, with a logged-in admin.
pub struct TestApp {
    pub port: u16,
    /// Where `/metrics` is served when it has its own address.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub sim: SimExchange,
    pub hub: Hub,
    pub shutdown: CancellationToken,
    /// The desk's database.
    pub store: Store,
    /// The logged-in admin's session (cookie and CSRF header on every request).
    pub session: Session,
    /// The PostgreSQL schema of a desk on PostgreSQL (dropped last).
    pub _schema: Option<PgSchema>,
}

/// Which database a test desk uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    /// A private in-memory SQLite database.
    Sqlite,
    /// A fresh schema on the test PostgreSQL server.
    Postgres,
}

/// `name::sqlite` and `name::postgres`, each running `body(Db)`.
macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body(crate::helpers::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body(crate::helpers::Db::Postgres).await;
            }
        }
    };
}
pub(crate) use on_both;

/// The password every test user gets.
pub const PASSWORD: &str = "correct-horse-battery";

/// A logged-in desk session: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub port: u16,
    pub cookie: String,
    pub csrf: String,
    pub session: SessionView,
}

impl Session {
    /// Logs `username` in through `POST /api/login`.
    pub async fn login(
        port: u16,
        username: &str,
        password: &str,
    ) -> Result<Session, (u16, String)> {
        let resp = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("desk answers");
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_owned());
        let text = resp.text().await.unwrap_or_default();
        if status != 200 {
            return Err((status, text));
        }
        let session: SessionView = serde_json::from_str(&text).expect("a SessionView");
        Ok(Session {
            port,
            cookie: cookie.expect("a session cookie"),
            csrf: session.csrf_token.clone().expect("a CSRF token"),
            session,
        })
    }

    /// A client sending this session's cookie and CSRF header on every request.
    pub fn http(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", self.cookie.parse().unwrap());
        headers.insert("x-csrf-token", self.csrf.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// `method path` with an optional JSON body; status and body text.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String) {
        let mut req = self
            .http()
            .request(method, format!("http://127.0.0.1:{}{path}", self.port));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("desk answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// A `/ws` client with this session's cookie (and the desk's own Origin).
    pub async fn browser(&self) -> Browser {
        self.try_browser().await.expect("ws connects")
    }

    /// As [`Session::browser`], or the HTTP status the upgrade was refused with.
    pub async fn try_browser(&self) -> Result<Browser, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let mut req = format!("ws://127.0.0.1:{}/ws", self.port)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("cookie", self.cookie.parse().unwrap());
        req.headers_mut().insert(
            "origin",
            format!("http://127.0.0.1:{}", self.port).parse().unwrap(),
        );
        let ws = match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => ws,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                return Err(resp.status().as_u16())
            }
            Err(e) => panic!("ws connect: {e}"),
        };
        let mut b = Browser {
            ws,
            books: Default::default(),
            fills: Vec::new(),
        };
        match b.next().await {
            ServerMsg::Hello { .. } => {}
            other => panic!("first frame must be hello, got {other:?}"),
        }
        Ok(b)
    }
}

/// Adds `username` with `role` (and `limits`) straight through the store, then logs in.
pub async fn user_session(
    store: &Store,
    port: u16,
    username: &str,
    role: Role,
    limits: UserLimits,
) -> Session {
    desk_backend::team::auth::add_user(
        store,
        username,
        secrecy::SecretString::from(PASSWORD),
        role,
        &limits,
    )
    .await
    .expect("user added");
    Session::login(port, username, PASSWORD)
        .await
        .expect("logs in")
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
    spawn_app_on(Db::Sqlite, change).await
}

/// As [`spawn_app_with`], on the given database.
pub async fn spawn_app_on(db: Db, change: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_tests(dist_dir());
    let schema = match db {
        Db::Sqlite => None,
        Db::Postgres => {
            let schema = PgSchema::create().await;
            config.team.db_url = secrecy::SecretString::from(schema.url.clone());
            Some(schema)
        }
    };
    change(&mut config);
    let app = Application::build(config).await.expect("desk builds");
    let port = app.port();
    let metrics_addr = app.metrics_addr();
    let store = app.store();
    let sim = app.sim().expect("runs on the built-in exchange");
    let hub = app.hub();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let session = user_session(&store, port, "admin", Role::Admin, UserLimits::default()).await;
    let test = TestApp {
        port,
        metrics_addr,
        sim,
        hub,
        shutdown,
        store,
        session,
        _schema: schema,
    };
    let hub = test.hub.clone();
    wait_until("upstream live", Duration::from_secs(20), || async {
        hub.upstream_state() == shared::protocol::UpstreamState::Live
    })
    .await;
    test
}

impl TestApp {
    /// A `/ws` client logged in as the admin.
    pub async fn browser(&self) -> Browser {
        self.session.browser().await
    }

    /// A client with the admin's cookie and CSRF header.
    pub fn http(&self) -> reqwest::Client {
        self.session.http()
    }

    /// Adds a user and logs them in.
    pub async fn user(&self, username: &str, role: Role, limits: UserLimits) -> Session {
        user_session(&self.store, self.port, username, role, limits).await
    }

    /// Lays one YES bid at `bid` and one NO bid at `1 − ask` (a YES ask at `ask`), `size`
    /// contracts each, in `market` (the participants' orders there replaced).
    pub fn lay(&self, market: &MarketTicker, bid: &str, ask: &str, size: i64) {
        let (bid, ask) = (
            bid.parse::<shared::num::Dollars>().unwrap(),
            ask.parse::<shared::num::Dollars>().unwrap(),
        );
        let size = shared::num::Count::from_int(size);
        self.sim
            .lay_book(
                market,
                &BookLevels {
                    yes: vec![(bid, size)],
                    no: vec![(ask.complement(), size)],
                },
            )
            .unwrap();
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
    pub fills: Vec<shared::protocol::FillView>,
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

/// Waits until `f` answers true; panics naming `what` after `limit`.
pub use desk_testkit::eventually_true as wait_until;

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
        let resp = self
            .http()
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .send()
            .await
            .expect("desk answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// `POST` JSON to a desk path; status and body.
    pub async fn post<T: serde::Serialize>(&self, path: &str, body: &T) -> (u16, String) {
        let resp = self
            .http()
            .post(format!("http://127.0.0.1:{}{path}", self.port))
            .json(body)
            .send()
            .await
            .expect("desk answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }
}
