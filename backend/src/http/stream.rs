//! `/ws`: one browser session per socket.
//!
//! A session is one `select!` over the browser's frames, the hub's fan-out and a
//! cancellation token ([`run_session`]); it is generic over `Sink`/`Stream` so tests drive
//! it with channels. A session that falls behind the fan-out (`Lagged`) is sent fresh
//! snapshots of everything it watches instead of a growing queue, the desk-wide state
//! (halts, the exchange's trading state) and `account_reload`, so the browser reads the
//! account events it skipped (orders, fills, positions, RFQs) from the exchange again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use shared::ids::MarketTicker;
use shared::protocol::{ClientMsg, ServerMsg, UpstreamState, MAX_MARKED};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::live::hub::{Hub, HubEvent};

/// Most markets one session may watch at once.
pub const MAX_WATCHED: usize = 256;
/// Largest browser frame accepted: a `marks` frame of [`MAX_MARKED`] tickers of Kalshi's
/// longest (128 bytes), quoted and comma-separated, with room to spare.
pub const MAX_FRAME: usize = 16 * 1024 + MAX_MARKED * 132;
/// Bytes read from a browser socket at a time. tungstenite zero-fills this much of its read
/// buffer on every read attempt, including the one that finds nothing, and a session polls
/// its socket each time it wakes to send: at the default 128 KiB that fill was 44% of all
/// instructions of the socket fan-out (`scripts/profile_bridge.sh`). Browser frames are small
/// commands; a larger one is still read whole, in several reads.
pub const READ_CHUNK: usize = 4 * 1024;

/// The desk's settings for a browser socket: frames up to [`MAX_FRAME`], reads of
/// [`READ_CHUNK`].
pub fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_FRAME).read_buffer_size(READ_CHUNK)
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

/// How many sockets each login session holds open (keyed by the hash of its token):
/// at most `max` per session, so one stolen or runaway cookie cannot open thousands.
#[derive(Clone, Debug)]
pub struct SocketSlots {
    open: Arc<Mutex<HashMap<String, usize>>>,
    max: usize,
}

/// Most sockets one login session may hold open, unless configured.
pub const MAX_SOCKETS_PER_SESSION: usize = 16;

impl Default for SocketSlots {
    fn default() -> Self {
        SocketSlots::new(MAX_SOCKETS_PER_SESSION)
    }
}

impl SocketSlots {
    /// At most `max` sockets per session.
    pub fn new(max: usize) -> SocketSlots {
        SocketSlots {
            open: Arc::default(),
            max,
        }
    }

    /// A slot for one more socket of the session `key`, `None` at its most. The slot is
    /// given back when the returned guard drops.
    fn take(&self, key: String) -> Option<SocketSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            slots: self.clone(),
            key,
        })
    }
}

/// One socket's place in [`SocketSlots`].
struct SocketSlot {
    slots: SocketSlots,
    key: String,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// `GET /ws`: 403 `bad_origin` when the browser's `Origin` is neither this host nor an
/// allowed origin (cross-site WebSocket hijacking), 401 without a valid session, 403
/// `too_many_sockets` when the session already holds its most sockets; then the session
/// runs until either side ends. The session watcher starts only once the socket is
/// upgraded, and ends with it.
async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<super::AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::response::IntoResponse as _;
    let super::AppState {
        hub,
        shutdown: cancel,
        store,
        auth: policy,
        sockets: slots,
        tasks,
        ..
    } = app;
    if !super::auth::origin_ok(&headers, &policy) {
        tracing::warn!(origin = ?headers.get(axum::http::header::ORIGIN), "socket from a foreign origin refused");
        return super::Error::forbidden("bad_origin", "cross-origin socket refused")
            .into_response();
    }
    let user_id = match super::auth::load_session(&store, &policy, &headers).await {
        Ok(Some(current)) => current.user.id,
        Ok(None) => return super::Error::Unauthorized("log in first".to_owned()).into_response(),
        Err(err) => return err.into_response(),
    };
    let key = super::auth::cookie_token(&headers)
        .map(|t| crate::team::auth::token_hash(&t))
        .unwrap_or_default();
    let Some(slot) = slots.take(key) else {
        tracing::warn!("socket refused: its session holds its most sockets");
        return super::Error::forbidden(
            "too_many_sockets",
            format!("a session holds at most {} sockets", slots.max),
        )
        .into_response();
    };
    configure(ws).on_upgrade(move |socket| {
        let session = tasks.clone();
        tasks.track_future(async move {
            // The socket lives only as long as its session: logout, a disabled user or an
            // expired session ends it within one re-check.
            let session_over = cancel.child_token();
            // Counted before the socket says hello; the watcher uncounts itself on exit.
            hub.metrics().session_watchers.inc();
            let watcher = session.spawn(watch_session(
                store,
                policy,
                headers,
                session_over.clone(),
                hub.metrics().clone(),
            ));
            serve_socket(socket, hub, Some(user_id), session_over.clone()).await;
            session_over.cancel();
            let _ = watcher.await;
            drop(slot);
        })
    })
}

/// How often an open socket's session is checked again.
pub const SESSION_RECHECK: Duration = Duration::from_secs(5);

/// Re-reads the socket's session (its cookie in `headers`) every [`SESSION_RECHECK`] and
/// cancels `over` once the session is gone (logged out, user disabled, expired); returns
/// when `over` is cancelled. A store error keeps the socket and is logged. Takes one off
/// `session_watchers` (which the caller counted) when it returns.
async fn watch_session(
    store: crate::team::store::Store,
    policy: super::auth::AuthPolicy,
    headers: axum::http::HeaderMap,
    over: CancellationToken,
    metrics: Arc<crate::metrics::Metrics>,
) {
    let _count = scopeguard(move || metrics.session_watchers.dec());
    let mut tick = tokio::time::interval(SESSION_RECHECK);
    tick.tick().await;
    loop {
        tokio::select! {
            () = over.cancelled() => return,
            _ = tick.tick() => match super::auth::load_session(&store, &policy, &headers).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    tracing::info!("session ended: closing its socket");
                    over.cancel();
                    return;
                }
                Err(err) => tracing::warn!(error = %err, "could not re-check a socket's session"),
            },
        }
    }
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

/// Serves one upgraded browser socket: [`run_session`] over its text frames until either
/// side ends. When `cancel` ended it (the desk stops, the login session is over) the
/// browser gets a close frame, 1001 "going away", rather than a dropped connection.
/// Public for the bridge benchmark, which serves real sockets through it.
pub async fn serve_socket(
    socket: WebSocket,
    hub: Hub,
    user_id: Option<i64>,
    cancel: CancellationToken,
) {
    let (sink, stream) = socket.split();
    let mut sink = Box::pin(
        sink.with(|text: Utf8Bytes| async move { Ok::<_, axum::Error>(Message::Text(text)) }),
    );
    let stream = stream.filter_map(|m| async move {
        match m {
            Ok(Message::Text(t)) => Some(SessionInput::Text(t.to_string())),
            Ok(Message::Binary(_)) => Some(SessionInput::Text(String::new())),
            Ok(Message::Close(_)) | Err(_) => Some(SessionInput::Closed),
            Ok(_) => None,
        }
    });
    // The socket's read side has a task of its own, woken only when the browser sends:
    // polled from the session's loop, it was read (and its buffer zero-filled) each time
    // the session woke to send. The channel ends when the socket does.
    let (tx, rx) = tokio::sync::mpsc::channel::<SessionInput>(8);
    let reader = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(input) = stream.next().await {
            let closed = input == SessionInput::Closed;
            if tx.send(input).await.is_err() || closed {
                break;
            }
        }
    });
    let inputs = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|input| (input, rx))
    });
    run_session(
        hub,
        user_id,
        sink.as_mut(),
        Box::pin(inputs),
        cancel.clone(),
    )
    .await;
    reader.abort();
    if cancel.is_cancelled() {
        let close = Message::Close(Some(axum::extract::ws::CloseFrame {
            code: axum::extract::ws::close_code::AWAY,
            reason: "going away".into(),
        }));
        // Best effort: the browser may already be gone.
        let _ = sink.as_mut().get_pin_mut().send(close).await;
    }
}

/// What a session reads from its browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionInput {
    /// A text frame.
    Text(String),
    /// The browser went away.
    Closed,
}

/// Runs one browser session until the browser leaves, the sink fails or `cancel` fires.
/// Every market it watched is unwatched on the way out.
pub async fn run_session<S, R>(
    hub: Hub,
    user_id: Option<i64>,
    mut sink: S,
    mut stream: R,
    cancel: CancellationToken,
) where
    S: Sink<Utf8Bytes> + Unpin,
    R: Stream<Item = SessionInput> + Unpin,
{
    let mut events = hub.subscribe();
    let metrics = hub.metrics().clone();
    metrics.sessions.inc();
    let mut state = hub.upstream_state();
    // Market → version of the last snapshot sent; older book events are already in it.
    let mut watched: HashMap<MarketTicker, u64> = HashMap::new();
    // Markets whose ticker alone it follows (the portfolio's marks).
    let mut marked: HashSet<MarketTicker> = HashSet::new();
    let hello = ServerMsg::Hello {
        environment: hub.environment(),
        upstream: state,
    };
    if send(&mut sink, &hello).await.is_err() {
        return;
    }
    if let Some(view) = hub.exchange() {
        if send(&mut sink, &ServerMsg::Exchange(view)).await.is_err() {
            return;
        }
    }
    let halts = ServerMsg::Halts { halts: hub.halts() };
    if send(&mut sink, &halts).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            input = stream.next() => match input {
                None | Some(SessionInput::Closed) => break,
                Some(SessionInput::Text(text)) => {
                    let reply = on_client_frame(&hub, &mut watched, &mut marked, &text).await;
                    let mut failed = false;
                    for msg in reply {
                        failed |= send(&mut sink, &msg).await.is_err();
                    }
                    if failed { break; }
                }
            },
            event = events.recv() => {
                // Drain what is already queued into one flush: one socket write for a burst.
                let mut next = Some(event);
                let mut batch = 0usize;
                let mut sent = 0u64;
                let mut outcome = Ok(());
                metrics.session_queue_depth.observe(events.len() as f64);
                while let Some(event) = next.take() {
                    let interest = Interest { watched: &mut watched, marked: &marked, user_id };
                    outcome = deliver(&hub, &mut sink, interest, &mut state, event, &mut sent).await;
                    batch += 1;
                    if outcome.is_err() || batch >= MAX_BATCH {
                        break;
                    }
                    next = match events.try_recv() {
                        Ok(ev) => Some(Ok(ev)),
                        Err(TryRecvError::Empty) => None,
                        Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                        Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
                    };
                }
                metrics.frames_out.inc_by(sent);
                if outcome.is_err() || sink.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    for market in watched.keys() {
        hub.unwatch(market).await;
    }
    hub.unmark(&marked.into_iter().collect::<Vec<_>>()).await;
    metrics.sessions.dec();
}

/// Most hub events written to a session's socket before one flush.
const MAX_BATCH: usize = 64;

/// What a session follows: markets it watches (market → version of the last snapshot
/// sent; older book events are already in it) and markets it marks (their ticker only).
struct Interest<'a> {
    watched: &'a mut HashMap<MarketTicker, u64>,
    marked: &'a HashSet<MarketTicker>,
    /// The session's user: only their own alerts go to it.
    user_id: Option<i64>,
}

/// Writes one hub event to the session (without flushing), or fresh snapshots of everything
/// it watches (and the last ticker of what it marks) when it fell behind. `Err` ends the
/// session (the sink failed or the hub closed).
async fn deliver<S: Sink<Utf8Bytes> + Unpin>(
    hub: &Hub,
    sink: &mut S,
    interest: Interest<'_>,
    state: &mut UpstreamState,
    event: Result<HubEvent, RecvError>,
    sent: &mut u64,
) -> Result<(), ()> {
    match event {
        Ok(ev) => {
            let wanted = match &ev.market {
                Some(m) => match interest.watched.get(m) {
                    Some(floor) => ev.version == 0 || ev.version > *floor,
                    None => matches!(&*ev.msg, ServerMsg::Ticker(_)) && interest.marked.contains(m),
                },
                None => match &*ev.msg {
                    ServerMsg::Alert(alert) => Some(alert.user_id) == interest.user_id,
                    _ => true,
                },
            };
            if wanted {
                sink.feed(ev.text.clone()).await.map_err(|_| ())?;
                *sent += 1;
            }
            if let ServerMsg::Upstream { state: s } = &*ev.msg {
                *state = *s;
            }
            Ok(())
        }
        Err(RecvError::Lagged(skipped)) => {
            tracing::debug!(skipped, "session fell behind; sending fresh snapshots");
            hub.metrics().conflations.inc();
            for market in interest.marked {
                if let Some(t) = hub.last_ticker(market) {
                    send(sink, &ServerMsg::Ticker(t)).await?;
                }
            }
            for (market, floor) in interest.watched.iter_mut() {
                if let Some(snap) = hub.book(market) {
                    *floor = snap.version;
                    let msg = ServerMsg::Book {
                        market_ticker: market.clone(),
                        levels: snap.levels,
                        stale: snap.stale,
                    };
                    send(sink, &msg).await?;
                }
            }
            // Desk-wide state it may have skipped: the kill switches and Kalshi's trading
            // state; and its account, which the browser reads again.
            send(sink, &ServerMsg::Halts { halts: hub.halts() }).await?;
            send(sink, &ServerMsg::AccountReload).await?;
            if let Some(view) = hub.exchange() {
                send(sink, &ServerMsg::Exchange(view)).await?;
            }
            let now = hub.upstream_state();
            if now != *state {
                *state = now;
                send(sink, &ServerMsg::Upstream { state: now }).await?;
            }
            Ok(())
        }
        Err(RecvError::Closed) => Err(()),
    }
}

async fn send<S: Sink<Utf8Bytes> + Unpin>(sink: &mut S, msg: &ServerMsg) -> Result<(), ()> {
    let text = serde_json::to_string(msg).map_err(|_| ())?;
    sink.send(Utf8Bytes::from(text)).await.map_err(|_| ())
}

fn error(code: &str, message: impl Into<String>) -> ServerMsg {
    ServerMsg::Error {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Handles one browser frame; returns what to send back. Bad frames get an error frame
/// and the session goes on.
async fn on_client_frame(
    hub: &Hub,
    watched: &mut HashMap<MarketTicker, u64>,
    marked: &mut HashSet<MarketTicker>,
    text: &str,
) -> Vec<ServerMsg> {
    let msg: ClientMsg = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(err) => return vec![error("bad_frame", format!("unreadable frame: {err}"))],
    };
    match msg {
        ClientMsg::Watch { market_ticker } => {
            if !market_ticker.is_well_formed() {
                return vec![error("bad_ticker", "not a market ticker")];
            }
            if watched.contains_key(&market_ticker) {
                return snapshot(hub, watched, market_ticker).into_iter().collect();
            }
            if watched.len() >= MAX_WATCHED {
                return vec![error(
                    "too_many_markets",
                    format!("at most {MAX_WATCHED} markets per session"),
                )];
            }
            if let Err(refused) = hub.watch(&market_ticker).await {
                let code = match refused {
                    crate::live::hub::WatchRefused::Unknown(_) => "unknown_market",
                    crate::live::hub::WatchRefused::Unchecked(_) => "market_check_failed",
                    crate::live::hub::WatchRefused::TooMany(_) => "desk_market_limit",
                };
                return vec![error(code, refused.to_string())];
            }
            watched.insert(market_ticker.clone(), 0);
            snapshot(hub, watched, market_ticker).into_iter().collect()
        }
        ClientMsg::Unwatch { market_ticker } => {
            if watched.remove(&market_ticker).is_some() {
                hub.unwatch(&market_ticker).await;
            }
            Vec::new()
        }
        ClientMsg::Marks { market_tickers } => mark(hub, marked, market_tickers).await,
        ClientMsg::Ping { nonce } => vec![ServerMsg::Pong { nonce }],
    }
}

/// Replaces what the session marks with `wanted`: unmarks what left, marks what is new,
/// and answers the last ticker of each new market (and an error naming what it refused).
async fn mark(
    hub: &Hub,
    marked: &mut HashSet<MarketTicker>,
    wanted: Vec<MarketTicker>,
) -> Vec<ServerMsg> {
    if wanted.len() > MAX_MARKED {
        return vec![error(
            "too_many_markets",
            format!("at most {MAX_MARKED} marked markets per session"),
        )];
    }
    if let Some(bad) = wanted.iter().find(|t| !t.is_well_formed()) {
        return vec![error("bad_ticker", format!("not a market ticker: {bad:?}"))];
    }
    let wanted: HashSet<MarketTicker> = wanted.into_iter().collect();
    let gone: Vec<MarketTicker> = marked.difference(&wanted).cloned().collect();
    let new: Vec<MarketTicker> = wanted.difference(marked).cloned().collect();
    hub.unmark(&gone).await;
    for market in &gone {
        marked.remove(market);
    }
    let done = hub.mark(&new).await;
    marked.extend(new.into_iter().filter(|m| !done.refused.contains(m)));
    let mut reply: Vec<ServerMsg> = done.tickers.into_iter().map(ServerMsg::Ticker).collect();
    if !done.refused.is_empty() {
        let names: Vec<&str> = done.refused.iter().map(MarketTicker::as_str).collect();
        reply.push(error(
            "unknown_market",
            format!("not an open market, no marks: {}", names.join(", ")),
        ));
    }
    reply
}

fn snapshot(
    hub: &Hub,
    watched: &mut HashMap<MarketTicker, u64>,
    market: MarketTicker,
) -> Option<ServerMsg> {
    let snap = hub.book(&market)?;
    watched.insert(market.clone(), snap.version);
    Some(ServerMsg::Book {
        market_ticker: market,
        levels: snap.levels,
        stale: snap.stale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_channel::mpsc as fmpsc;
    use shared::protocol::Environment;

    #[tokio::test]
    async fn a_session_that_falls_behind_is_told_to_read_its_account_again() {
        let (hub, _upstream_rx) = Hub::new(Environment::Sim);
        let (out_tx, mut out_rx) = fmpsc::channel::<Utf8Bytes>(8);
        let (_in_tx, in_rx) = fmpsc::channel::<SessionInput>(8);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run_session(
            hub.clone(),
            None,
            out_tx,
            in_rx,
            cancel.clone(),
        ));
        // Hello and halts, then the browser stops reading while account events pour in.
        for _ in 0..2 {
            out_rx.next().await.unwrap();
        }
        for nonce in 0..(crate::live::hub::FANOUT_CAPACITY as u64 + 100) {
            hub.publish_account(ServerMsg::Pong { nonce });
        }
        let mut seen = Vec::new();
        let reload = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let msg: ServerMsg = serde_json::from_str(&out_rx.next().await.unwrap()).unwrap();
                if msg == ServerMsg::AccountReload {
                    return;
                }
                seen.push(msg);
            }
        })
        .await;
        assert!(
            reload.is_ok(),
            "no account_reload after {} frames",
            seen.len()
        );
        assert!(
            seen.len() < crate::live::hub::FANOUT_CAPACITY,
            "the skipped events were not replayed one by one"
        );
        // The session may be waiting on a full socket: closing it ends the session.
        drop(out_rx);
        cancel.cancel();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn bad_frames_get_an_error_and_the_session_lives() {
        let (hub, mut upstream_rx) = Hub::new(Environment::Sim);
        let (out_tx, mut out_rx) = fmpsc::channel::<Utf8Bytes>(64);
        let (in_tx, in_rx) = fmpsc::channel::<SessionInput>(64);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run_session(
            hub.clone(),
            None,
            out_tx,
            in_rx,
            cancel.clone(),
        ));
        let mut in_tx = in_tx;
        let hello: ServerMsg = serde_json::from_str(&out_rx.next().await.unwrap()).unwrap();
        assert!(matches!(
            hello,
            ServerMsg::Hello {
                environment: Environment::Sim,
                ..
            }
        ));
        let halts: ServerMsg = serde_json::from_str(&out_rx.next().await.unwrap()).unwrap();
        assert_eq!(halts, ServerMsg::Halts { halts: Vec::new() });
        for bad in [
            "not json",
            "{\"op\":\"launch\"}",
            "{\"op\":\"watch\",\"market_ticker\":\"bad ticker!\"}",
            "",
        ] {
            in_tx
                .send(SessionInput::Text(bad.to_owned()))
                .await
                .unwrap();
            let reply: ServerMsg = serde_json::from_str(&out_rx.next().await.unwrap()).unwrap();
            assert!(
                matches!(reply, ServerMsg::Error { .. }),
                "{bad:?} → {reply:?}"
            );
        }
        in_tx
            .send(SessionInput::Text(
                "{\"op\":\"ping\",\"nonce\":7}".to_owned(),
            ))
            .await
            .unwrap();
        let reply: ServerMsg = serde_json::from_str(&out_rx.next().await.unwrap()).unwrap();
        assert_eq!(
            reply,
            ServerMsg::Pong { nonce: 7 },
            "still alive after bad frames"
        );
        in_tx
            .send(SessionInput::Text(
                "{\"op\":\"watch\",\"market_ticker\":\"KXA-1\"}".to_owned(),
            ))
            .await
            .unwrap();
        assert_eq!(
            upstream_rx.recv().await,
            Some(crate::live::hub::UpstreamCommand::Watch(
                MarketTicker::from("KXA-1")
            ))
        );
        in_tx.send(SessionInput::Closed).await.unwrap();
        task.await.unwrap();
        assert_eq!(
            upstream_rx.recv().await,
            Some(crate::live::hub::UpstreamCommand::Unwatch(
                MarketTicker::from("KXA-1")
            ))
        );
    }
}
