//! The browser ⇄ backend socket on `/ws`: connect, reconnect with backoff, watch the open
//! market's book, mark every market with an open position (`marks`: their tickers alone,
//! whose mid marks the position; a portfolio of a thousand markets subscribes no book) and
//! the open event board's markets (their tickers are the board's rows), and dispatch every
//! [`ServerMsg`] into the [`crate::state`] contexts from the socket's own message callback,
//! one frame at a time (no frame is skipped between renders).
//!
//! After every (re)connect the socket re-sends `watch` for the open market, which the
//! backend answers with a fresh `book` snapshot, and `marks`, answered with the last ticker
//! of each market.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use leptos::logging::warn;
use leptos::prelude::*;
use shared::backoff::Backoff;
use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg, MAX_MARKED};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use crate::state::{Desk, SocketState};

/// Failed attempts in a row before the badge says "down" instead of "connecting".
const FAILURES_BEFORE_DOWN: u32 = 2;
/// Application ping period (keeps idle proxies from closing the socket).
const PING_EVERY: Duration = Duration::from_secs(20);

type Handler<T> = Closure<dyn FnMut(T)>;

/// One live connection and the callbacks it owns.
struct Conn {
    ws: WebSocket,
    _on_open: Handler<Event>,
    _on_message: Handler<MessageEvent>,
    _on_close: Handler<CloseEvent>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        // Closing an already closed socket is a no-op.
        let _ = self.ws.close();
    }
}

struct Inner {
    desk: Desk,
    conn: Option<Conn>,
    backoff: Backoff,
    failures: u32,
    connected_before: bool,
    /// The markets the server currently streams to this socket.
    watched: BTreeSet<MarketTicker>,
    /// The markets this socket last marked (`None`: not yet on this socket).
    marked: Option<BTreeSet<MarketTicker>>,
    nonce: u64,
}

/// Handle to the socket task; cheap to clone.
#[derive(Clone)]
pub struct DeskSocket(Rc<RefCell<Inner>>);

/// Starts the socket and keeps it open for the page's lifetime; follows the open market
/// and the held positions.
pub fn start(desk: Desk) -> DeskSocket {
    let socket = DeskSocket(Rc::new(RefCell::new(Inner {
        desk,
        conn: None,
        backoff: Backoff::new(
            Duration::from_millis(500),
            Duration::from_secs(5),
            js_sys::Math::random().to_bits(),
        ),
        failures: 0,
        connected_before: false,
        watched: BTreeSet::new(),
        marked: None,
        nonce: 0,
    })));
    socket.connect();

    let follow = socket.clone();
    Effect::new(move |_| {
        let (books, marks) = wanted_markets(desk, true);
        follow.follow(books);
        follow.mark(marks);
    });

    let pinger = socket.clone();
    set_interval(move || pinger.ping(), PING_EVERY);
    socket
}

fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss:"
    } else {
        "ws:"
    };
    Some(format!("{scheme}//{}/ws", location.host().ok()?))
}

impl DeskSocket {
    fn connect(&self) {
        let desk = self.0.borrow().desk;
        self.0.borrow_mut().conn = None;
        desk.connection
            .socket
            .set(if self.0.borrow().failures >= FAILURES_BEFORE_DOWN {
                SocketState::Failed
            } else {
                SocketState::Connecting
            });
        let Some(url) = socket_url() else {
            warn!("no window location: cannot open the desk socket");
            return;
        };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(e) => {
                warn!("cannot open {url}: {e:?}");
                self.schedule_reconnect();
                return;
            }
        };

        let me = self.clone();
        let on_open: Handler<Event> = Closure::new(move |_: Event| me.opened());
        let on_message: Handler<MessageEvent> =
            Closure::new(move |ev: MessageEvent| match ev.data().as_string() {
                Some(text) => match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(msg) => dispatch(desk, msg),
                    Err(e) => warn!("unreadable socket frame ({e}): {text}"),
                },
                None => warn!("ignoring a binary socket frame"),
            });
        let me = self.clone();
        let on_close: Handler<CloseEvent> = Closure::new(move |_: CloseEvent| me.closed());
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.0.borrow_mut().conn = Some(Conn {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
    }

    fn opened(&self) {
        let (desk, reconnected, selected) = {
            let mut inner = self.0.borrow_mut();
            inner.backoff.reset();
            inner.failures = 0;
            inner.watched.clear();
            inner.marked = None;
            let reconnected = inner.connected_before;
            inner.connected_before = true;
            (inner.desk, reconnected, wanted_markets(inner.desk, false))
        };
        desk.connection.socket.set(SocketState::Open);
        // The server forgot our subscriptions with the old socket: watch and mark again
        // (a fresh book, the last tickers).
        let (books, marks) = selected;
        self.follow(books);
        self.mark(marks);
        if reconnected {
            // Orders, fills and positions may have changed while we were away.
            desk.account.reload();
        }
    }

    fn closed(&self) {
        let desk = {
            let mut inner = self.0.borrow_mut();
            inner.failures = inner.failures.saturating_add(1);
            inner.watched.clear();
            inner.marked = None;
            inner.desk
        };
        desk.connection.upstream.set(None);
        desk.connection
            .socket
            .set(if self.0.borrow().failures >= FAILURES_BEFORE_DOWN {
                SocketState::Failed
            } else {
                SocketState::Connecting
            });
        self.schedule_reconnect();
    }

    fn schedule_reconnect(&self) {
        let delay = self.0.borrow_mut().backoff.next_delay();
        let me = self.clone();
        set_timeout(move || me.connect(), delay);
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        let inner = self.0.borrow();
        let Some(conn) = inner
            .conn
            .as_ref()
            .filter(|c| c.ws.ready_state() == WebSocket::OPEN)
        else {
            return false;
        };
        match serde_json::to_string(msg) {
            Ok(text) => conn.ws.send_with_str(&text).is_ok(),
            Err(e) => {
                warn!("cannot encode {msg:?}: {e}");
                false
            }
        }
    }

    /// Makes the server stream exactly `wanted`: unwatch what is no longer wanted, watch
    /// what is new.
    fn follow(&self, wanted: BTreeSet<MarketTicker>) {
        let watched = self.0.borrow().watched.clone();
        for old in watched.difference(&wanted) {
            self.send(&ClientMsg::Unwatch {
                market_ticker: old.clone(),
            });
            self.0.borrow_mut().watched.remove(old);
        }
        for new in wanted.difference(&watched) {
            if self.send(&ClientMsg::Watch {
                market_ticker: new.clone(),
            }) {
                self.0.borrow_mut().watched.insert(new.clone());
            }
        }
        let (desk, watched) = {
            let inner = self.0.borrow();
            (inner.desk, inner.watched.clone())
        };
        desk.market.keep_books(&watched);
    }

    /// Makes the server send the tickers of exactly `wanted` (the first [`MAX_MARKED`]),
    /// when that differs from what this socket last marked.
    fn mark(&self, wanted: BTreeSet<MarketTicker>) {
        let wanted: BTreeSet<MarketTicker> = wanted.into_iter().take(MAX_MARKED).collect();
        if self.0.borrow().marked.as_ref() == Some(&wanted) {
            return;
        }
        let msg = ClientMsg::Marks {
            market_tickers: wanted.iter().cloned().collect(),
        };
        if self.send(&msg) {
            self.0.borrow_mut().marked = Some(wanted);
        }
    }

    fn ping(&self) {
        let nonce = {
            let mut inner = self.0.borrow_mut();
            inner.nonce += 1;
            inner.nonce
        };
        self.send(&ClientMsg::Ping { nonce });
    }
}

/// The markets whose book the socket watches (the open market and the open watchlist
/// grid's) and those it marks (every market with an open position, and the open event
/// board's markets) (`track`: inside an effect).
fn wanted_markets(desk: Desk, track: bool) -> (BTreeSet<MarketTicker>, BTreeSet<MarketTicker>) {
    fn read<T: Send + Sync + 'static, R>(
        signal: RwSignal<T>,
        track: bool,
        f: impl FnOnce(&T) -> R,
    ) -> R {
        if track {
            signal.with(f)
        } else {
            signal.with_untracked(f)
        }
    }
    let mut books: BTreeSet<MarketTicker> =
        read(desk.market.selected, track, |s| s.iter().cloned().collect());
    books.extend(read(desk.market.grid, track, Vec::clone));
    let mut marks: BTreeSet<MarketTicker> = read(desk.account.positions, track, |p| {
        p.iter().map(|p| p.market_ticker.clone()).collect()
    });
    marks.extend(read(desk.market.board_markets, track, Vec::clone));
    (books, marks)
}

/// Applies one server frame to the desk's contexts.
fn dispatch(desk: Desk, msg: ServerMsg) {
    let Desk {
        connection,
        market,
        account,
        toasts,
        ..
    } = desk;
    match msg {
        ServerMsg::Hello {
            environment,
            upstream,
        } => {
            connection.environment.set(Some(environment));
            connection.upstream.set(Some(upstream));
        }
        ServerMsg::Upstream { state: upstream } => connection.upstream.set(Some(upstream)),
        ServerMsg::Lifecycle(event) => {
            if let Some(ticker) = event.market_ticker.clone() {
                if market.selected.get_untracked().as_ref() == Some(&ticker) {
                    toasts.toast("info", format!("{ticker}: {}", lifecycle_text(&event)));
                }
                market.apply_lifecycle(ticker, event);
            }
        }
        ServerMsg::Halts { halts } => connection.halts.set(halts),
        // Skipped account events: read orders, positions, fills and RFQs again.
        ServerMsg::AccountReload => account.reload(),
        ServerMsg::Exchange(view) => {
            connection.trading_active.set(Some(view.trading_active));
            connection.resumes_at.set(view.resumes_at);
        }
        ServerMsg::Book {
            market_ticker,
            levels,
            stale,
        } => market.apply_snapshot(&market_ticker, &levels, stale),
        ServerMsg::Level {
            market_ticker,
            side,
            price,
            count,
        } => market.apply_level(&market_ticker, side, price, count),
        ServerMsg::Stale { market_ticker } => market.mark_stale(&market_ticker),
        ServerMsg::Ticker(t) => market.apply_ticker(t),
        ServerMsg::Trade(t) => market.apply_trade(t),
        ServerMsg::Order(o) => account.apply_order(o),
        ServerMsg::Fill(f) => account.apply_fill(&f, toasts),
        ServerMsg::Position(p) => account.apply_position(p),
        ServerMsg::Error { code, message } => {
            warn!("socket error {code}: {message}");
            toasts.toast("reject", message);
        }
        ServerMsg::Pong { .. } => {}
        ServerMsg::Rfq(event) => crate::components::rfq::apply(event),
        ServerMsg::OrderGroup(m) => account.apply_order_group(&m, toasts),
        ServerMsg::Alert(fired) => crate::components::alerts::apply(fired),
    }
}

/// A lifecycle event in a few words: `settled`, `determined: yes`, `trading paused`.
pub fn lifecycle_text(event: &shared::protocol::LifecycleView) -> String {
    match (event.event_type.as_str(), &event.result) {
        ("deactivated", _) => "trading paused".to_owned(),
        ("activated", _) => "trading resumed".to_owned(),
        (kind, Some(result)) => format!("{} — {result}", kind.replace('_', " ")),
        (kind, None) => kind.replace('_', " "),
    }
}
