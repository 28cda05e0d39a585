//! Order latency as a browser sees it, and signed requests per order; writes
//! `bench-results/orders.json`.
//!
//! One built-in exchange on loopback (no background flow) and one desk in front of it,
//! with two users: `plain` (no limits) and `limited` (a 1,000-contract position limit, so
//! every order is checked against the account's exposure). Each round, a user places a
//! resting bid far from the market, amends it one tick up, decreases it by one contract and
//! cancels it, through the desk's HTTP API as the browser does, with a `/ws` session open.
//! For each action the bench records
//!
//! - `ack`: the POST (or DELETE) sent → the desk's answer (the exchange's ack relayed);
//! - `frame`: the same start → the order's `order` message on the session's socket (the
//!   exchange's `user_order` frame through the desk's upstream and hub);
//! - `signed_requests`: signed REST requests the desk sent to the exchange for it (every
//!   operation but the exchange-status poll, from the desk's `desk_rest_latency_seconds`
//!   counts). Target: 1.
//!
//! The exchange's own time is the baseline: the same place and cancel signed and sent
//! straight to it (`direct`). The first round of each user is reported apart (`first`):
//! the market's status and tick structure, and the limited user's exposure, are read then.
//!
//! `DESK_ORDERS_BENCH_ROUNDS` sets the rounds per user (default 100). Rounds are paced
//! (one every 500 ms) to stay inside the Basic tier's write budget, which the desk obeys.

// Statistics are floating point here; money never is.
#![allow(clippy::float_arithmetic)]

use std::time::{Duration, Instant};

use desk_backend::kalshi::client::KalshiClient;
use desk_backend::live::hub::Hub;
use desk_backend::team::store::Store;
use desk_testkit::desk::{DeskBeside, LoggedIn};
use futures_util::StreamExt;
use prometheus::core::Collector;
use serde_json::{json, Value};
use shared::api::ops::{CancelOrderV2, CancelOrderV2Path, CancelOrderV2Query};
use shared::auth::{Role, UserLimits};
use shared::ids::{Action, BookSide, MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderTicket, OrderView, PlacedOrder, ServerMsg};
use shared::rest::{CreateOrderV2Request, OrderStatus};
use tokio::sync::mpsc;

const MARKET: &str = "KXDESK-26DEC31-T50";
const PACE: Duration = Duration::from_millis(500);
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// Reads the desk sends on a timer, whatever the orders do (not counted): the exchange's
/// status poll and the market directory's reads of the open markets.
const TIMED: &[&str] = &["GetExchangeStatus", "GetMarkets"];

/// Signed REST requests the desk has sent so far (every operation and status but
/// [`TIMED`]).
fn signed_requests(hub: &Hub) -> u64 {
    hub.metrics()
        .rest_latency
        .collect()
        .iter()
        .flat_map(|family| family.get_metric())
        .filter(|m| {
            !m.get_label()
                .iter()
                .any(|l| l.name() == "operation" && TIMED.contains(&l.value()))
        })
        .map(|m| m.get_histogram().get_sample_count())
        .sum()
}

/// A logged-in user: an HTTP client with its cookie and CSRF header, and the order
/// messages of its `/ws` session with the instant each arrived.
struct User {
    http: reqwest::Client,
    base: String,
    orders: mpsc::UnboundedReceiver<(Instant, OrderView)>,
}

impl User {
    async fn log_in(store: &Store, port: u16, name: &str, limits: UserLimits) -> User {
        let base = format!("http://127.0.0.1:{port}");
        let LoggedIn { http, cookie } =
            desk_testkit::desk::log_in_new_user(store, &base, name, Role::Trader, &limits)
                .await
                .expect("logs in");

        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let mut req = format!("ws://127.0.0.1:{port}/ws")
            .into_client_request()
            .expect("ws request");
        req.headers_mut()
            .insert("cookie", cookie.parse().expect("cookie header"));
        req.headers_mut()
            .insert("origin", base.parse().expect("origin header"));
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("ws connects");
        let (tx, orders) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = ws.next().await {
                let at = Instant::now();
                let Ok(text) = frame.to_text() else { continue };
                if let Ok(ServerMsg::Order(view)) = serde_json::from_str::<ServerMsg>(text) {
                    if tx.send((at, view)).is_err() {
                        break;
                    }
                }
            }
        });
        User { http, base, orders }
    }

    /// Sends `method path` (JSON `body`), then waits for the order message `wanted`
    /// accepts: (ack µs, frame µs, answer body).
    async fn act(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        wanted: impl Fn(&OrderView) -> bool,
    ) -> (u64, u64, String) {
        while self.orders.try_recv().is_ok() {}
        let start = Instant::now();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("desk answers");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let ack = start.elapsed();
        assert!(status.is_success(), "{path}: {status} {text}");
        let frame = tokio::time::timeout(FRAME_WAIT, async {
            loop {
                match self.orders.recv().await {
                    Some((at, view)) if wanted(&view) => break at.duration_since(start),
                    Some(_) => {}
                    None => panic!("the session closed"),
                }
            }
        })
        .await
        .expect("the order's frame");
        (micros(ack), micros(frame), text)
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Latencies and request counts of one action over the rounds.
#[derive(Default)]
struct Samples {
    ack: Vec<u64>,
    frame: Vec<u64>,
    requests: Vec<u64>,
}

impl Samples {
    fn push(&mut self, (ack, frame): (u64, u64), requests: u64) {
        self.ack.push(ack);
        self.frame.push(frame);
        self.requests.push(requests);
    }

    fn report(self) -> Value {
        let n = self.requests.len().max(1) as f64;
        let total: u64 = self.requests.iter().sum();
        json!({
            "ack": desk_testkit::bench::summary(self.ack, "us"),
            "frame": desk_testkit::bench::summary(self.frame, "us"),
            "signed_requests_per_action": (total as f64 / n * 100.0).round() / 100.0,
            "signed_requests_max": self.requests.iter().max(),
        })
    }
}

/// One user's rounds: place, amend, decrease, cancel. The first round reported apart.
async fn rounds(user: &mut User, hub: &Hub, rounds: usize, tag: &str) -> Value {
    let actions = ["place", "amend", "decrease", "cancel"];
    let mut first = serde_json::Map::new();
    let mut steady: Vec<Samples> = actions.iter().map(|_| Samples::default()).collect();
    for round in 0..rounds {
        let started = Instant::now();
        let coid = format!("{tag}-{round}");
        let ticket = OrderTicket {
            client_order_id: Some(coid.clone()),
            ..OrderTicket::limit(
                MarketTicker::from(MARKET),
                Action::Buy,
                Side::Yes,
                Dollars::from_cents(3),
                Count::from_int(10),
            )
        };
        let mut results = Vec::new();
        let before = signed_requests(hub);
        let (ack, frame, text) = user
            .act(
                reqwest::Method::POST,
                "/api/orders",
                serde_json::to_value(&ticket).ok(),
                |o| o.client_order_id.as_deref() == Some(coid.as_str()),
            )
            .await;
        let placed: PlacedOrder = serde_json::from_str(&text).expect("a placed order");
        let id = placed.order_id;
        results.push(((ack, frame), signed_requests(hub) - before));

        let before = signed_requests(hub);
        let body = json!({"price": Dollars::from_cents(4), "remaining": Count::from_int(10)});
        let (ack, frame, _) = user
            .act(
                reqwest::Method::POST,
                &format!("/api/orders/{id}/amend"),
                Some(body),
                |o| o.order_id == id && o.yes_price == Dollars::from_cents(4),
            )
            .await;
        results.push(((ack, frame), signed_requests(hub) - before));

        let before = signed_requests(hub);
        let body = json!({"reduce_by": Count::ONE});
        let (ack, frame, _) = user
            .act(
                reqwest::Method::POST,
                &format!("/api/orders/{id}/decrease"),
                Some(body),
                |o| o.order_id == id && o.remaining == Count::from_int(9),
            )
            .await;
        results.push(((ack, frame), signed_requests(hub) - before));

        let before = signed_requests(hub);
        let (ack, frame, _) = user
            .act(
                reqwest::Method::DELETE,
                &format!("/api/orders/{id}"),
                None,
                |o| o.order_id == id && o.status == OrderStatus::Canceled,
            )
            .await;
        results.push(((ack, frame), signed_requests(hub) - before));

        for (i, (times, requests)) in results.into_iter().enumerate() {
            if round == 0 {
                first.insert(
                    actions[i].to_owned(),
                    json!({"ack_us": times.0, "frame_us": times.1, "signed_requests": requests}),
                );
            } else {
                steady[i].push(times, requests);
            }
        }
        tokio::time::sleep_until((started + PACE).into()).await;
    }
    let mut out = serde_json::Map::new();
    for (name, samples) in actions.iter().zip(steady) {
        out.insert((*name).to_owned(), samples.report());
    }
    out.insert("first".to_owned(), Value::Object(first));
    Value::Object(out)
}

/// The same place and cancel signed and sent straight to the exchange (ack only).
async fn direct(client: &KalshiClient, rounds: usize) -> Value {
    let (mut place, mut cancel) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let started = Instant::now();
        let ticket = OrderTicket::limit(
            MarketTicker::from(MARKET),
            Action::Buy,
            Side::Yes,
            Dollars::from_cents(3),
            Count::from_int(10),
        );
        let request = CreateOrderV2Request {
            ticker: ticket.market_ticker.clone(),
            client_order_id: Some(format!("direct-{round}")),
            side: BookSide::Bid,
            count: ticket.count,
            price: ticket.price,
            time_in_force: ticket.time_in_force,
            self_trade_prevention_type: ticket.self_trade_prevention,
            expiration_time: None,
            post_only: None,
            reduce_only: None,
            cancel_order_on_pause: None,
            subaccount: None,
            order_group_id: None,
        };
        let t = Instant::now();
        let placed = client.create_order(&request).await.expect("CreateOrderV2");
        place.push(micros(t.elapsed()));
        let t = Instant::now();
        client
            .send::<CancelOrderV2>(
                &CancelOrderV2Path {
                    order_id: placed.order_id,
                },
                &CancelOrderV2Query::default(),
                None,
            )
            .await
            .expect("CancelOrderV2");
        cancel.push(micros(t.elapsed()));
        tokio::time::sleep_until((started + PACE).into()).await;
    }
    json!({
        "place_ack": desk_testkit::bench::summary(place, "us"),
        "cancel_ack": desk_testkit::bench::summary(cancel, "us"),
    })
}

async fn run(n: usize) -> Value {
    let desk = DeskBeside::start("desk", "direct", 7, |_| {})
        .await
        .expect("the exchange and the desk start");
    let (port, hub, store) = (desk.port, desk.hub.clone(), desk.store.clone());
    let mut plain = User::log_in(&store, port, "plain", UserLimits::default()).await;
    let limited = UserLimits {
        max_position: Some(Count::from_int(1000)),
        ..UserLimits::default()
    };
    let mut limited = User::log_in(&store, port, "limited", limited).await;
    let plain_result = rounds(&mut plain, &hub, n, "plain").await;
    let limited_result = rounds(&mut limited, &hub, n, "limited").await;

    let direct_result = direct(&desk.direct, n).await;
    desk.stop.cancel();
    desk.sim.shutdown();
    json!({
        "rounds_per_user": n,
        "plain_user": plain_result,
        "limited_user": limited_result,
        "direct_to_the_exchange": direct_result,
    })
}

fn main() {
    let n = desk_testkit::bench::env_u64("DESK_ORDERS_BENCH_ROUNDS", 100);
    desk_testkit::bench::run(
        "orders",
        "orders through the desk as a browser sends them (POST → answer, POST → order frame on /ws) and signed requests per action; built-in exchange on loopback",
        run(usize::try_from(n).unwrap_or(100)),
    );
}
