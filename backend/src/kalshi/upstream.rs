//! The one authenticated Kalshi WebSocket, shared by every browser session.
//!
//! One owned task ([`run`]) holds the connection. It subscribes the account channels
//! (`fill`, `user_orders`, `market_positions`, `communications`, `order_group_updates`) once per connection and the market channels
//! (`orderbook_delta`, `ticker`, `trade`) for the markets browsers watch, adding and
//! removing markets with `update_subscription` so N watchers of one market cost one
//! upstream subscription. Books are kept exactly: `seq` is checked per `sid` (control
//! frames included); a gap, a malformed frame or a delta that does not fit marks the sid's
//! books stale and asks for `get_snapshot`. On disconnect it reconnects with backoff and
//! replays every subscription.
//!
//! A connection that delivers no data frame for [`UpstreamConfig::receive_timeout`] is
//! treated as dead even while pings flow (Kalshi sockets have stalled silently). After
//! every reconnect the account is reconciled over REST (orders, fills since the last one
//! seen, positions), so a fill that happened while the socket was down is still shown
//! once, and never twice (fills are de-duplicated by trade id across connections).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::book::BookLevels;
use shared::ids::{MarketTicker, Seq, Sid, Side, TradeId};
use shared::protocol::{
    FillView, LifecycleView, OrderView, PositionView, ServerMsg, UpstreamState,
};
use shared::rfq::RfqEvent;
use shared::ws::{
    self, Channel, Command, CommandBody, Incoming, ServerFrame, SubscribeParams, UnsubscribeParams,
    UpdateAction, UpdateSubscriptionParams, UserOrderMsg,
};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::kalshi::signer::Signer;
use crate::live::hub::{DeltaOutcome, Hub, UpstreamCommand};
use shared::backoff::Backoff;

/// Bytes read from Kalshi's socket at a time: about a hundred book deltas. tungstenite
/// zero-fills this much of its read buffer on every read attempt (the default 128 KiB costs
/// a 128 KiB fill for each frame when frames come one at a time).
pub const READ_CHUNK: usize = 16 * 1024;

/// The upstream socket's settings: reads of [`READ_CHUNK`], tungstenite's defaults else.
pub fn socket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(READ_CHUNK)
}

/// Upstream connection settings.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// `wss://…/trade-api/ws/v2` (or `ws://127.0.0.1:N/trade-api/ws/v2` for the built-in exchange).
    pub ws_url: String,
    /// Signs the handshake.
    pub signer: Signer,
    /// No data frame for this long (pings do not count) → reconnect.
    pub receive_timeout: Duration,
    /// REST client for the reconciliation after a reconnect (`None`: skip it).
    pub kalshi: Option<KalshiClient>,
    /// Set when a cluster replica takes the socket over from a leader that stopped
    /// ([`crate::live::cluster`]): the fills the cluster already showed, and since when.
    pub takeover: Option<Takeover>,
}

/// What a new cluster leader knows of the fills its predecessor published.
#[derive(Clone, Debug, Default)]
pub struct Takeover {
    /// Trade ids already shown (the replica's fill ledger): never published again.
    pub known_fills: Vec<TradeId>,
    /// Unix seconds: fills at or after this time that are not known were missed while no
    /// replica held the socket, and are published on the first connect. Earlier ones are
    /// history, as on a single desk's first connect.
    pub since_ts: i64,
}

/// Why one connection ended.
#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error("connect failed")]
    Connect(#[source] tokio_tungstenite::tungstenite::Error),
    #[error("socket error")]
    Socket(#[source] tokio_tungstenite::tungstenite::Error),
    #[error("signing the handshake failed")]
    Sign(#[source] crate::kalshi::signer::SignerError),
    #[error("bad upstream URL {0:?}")]
    Url(String),
    #[error("no data frame for {0:?}")]
    Silent(Duration),
    #[error("upstream closed the connection")]
    Closed,
    #[error("terminal subscription error {code}: {msg}")]
    Terminal { code: u32, msg: String },
}

impl ConnError {
    /// Label for the disconnect metric.
    fn reason(&self) -> &'static str {
        match self {
            ConnError::Connect(_) => "connect",
            ConnError::Socket(_) => "socket",
            ConnError::Sign(_) => "sign",
            ConnError::Url(_) => "url",
            ConnError::Silent(_) => "silent",
            ConnError::Closed => "closed",
            ConnError::Terminal { .. } => "terminal",
        }
    }
}

/// Runs the upstream until `cancel` fires, reconnecting forever.
pub async fn run(
    config: UpstreamConfig,
    hub: Hub,
    mut commands: mpsc::Receiver<UpstreamCommand>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(
        Duration::from_millis(250),
        Duration::from_secs(10),
        rand::random(),
    );
    let mut fills_seen = FillDedupe::new(10_000);
    let mut positions = PositionRows::default();
    let takeover_since = config.takeover.as_ref().map(|t| {
        for id in &t.known_fills {
            fills_seen.first_time(id);
        }
        t.since_ts
    });
    let mut connected_before = false;
    loop {
        hub.set_upstream_state(UpstreamState::Connecting);
        let mut conn = Connection::new(&hub, &mut fills_seen, &mut positions, takeover_since);
        let result = tokio::select! {
            () = cancel.cancelled() => return,
            r = conn.run(&config, &mut commands, &mut backoff, &mut connected_before) => r,
        };
        hub.set_upstream_state(UpstreamState::Down);
        hub.mark_stale(&hub.watched_markets());
        let reason = result
            .as_ref()
            .err()
            .map_or("commands_closed", ConnError::reason);
        hub.metrics()
            .upstream_disconnects
            .with_label_values(&[reason])
            .inc();
        if let Err(err) = result {
            tracing::warn!(error = %err, source = ?std::error::Error::source(&err), "upstream connection ended");
        }
        let delay = backoff.next_delay();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// Per-`sid` sequence check. `expected == None` means "waiting for a snapshot".
#[derive(Debug, Default)]
struct Sequencer {
    expected: HashMap<Sid, Option<u64>>,
}

/// What the sequencer says about one frame.
#[derive(Debug, PartialEq, Eq)]
enum SeqCheck {
    /// In order (or unsequenced).
    InOrder,
    /// Before the first snapshot after a (re)subscribe or gap: drop silently.
    Resyncing,
    /// A gap: resync the sid.
    Gap { expected: u64, got: u64 },
}

impl Sequencer {
    fn check(&mut self, sid: Sid, seq: Seq, is_snapshot: bool) -> SeqCheck {
        let slot = self.expected.entry(sid).or_insert(None);
        match *slot {
            None if is_snapshot => {
                *slot = Some(seq.0 + 1);
                SeqCheck::InOrder
            }
            None => SeqCheck::Resyncing,
            Some(e) if e == seq.0 => {
                *slot = Some(e + 1);
                SeqCheck::InOrder
            }
            Some(e) => {
                *slot = None;
                SeqCheck::Gap {
                    expected: e,
                    got: seq.0,
                }
            }
        }
    }
    fn resync(&mut self, sid: Sid) {
        self.expected.insert(sid, None);
    }
}

/// Remembers recent fill trade ids so a fill is never shown twice.
#[derive(Debug)]
pub(crate) struct FillDedupe {
    seen: HashSet<TradeId>,
    order: VecDeque<TradeId>,
    cap: usize,
}

impl FillDedupe {
    pub(crate) fn new(cap: usize) -> Self {
        FillDedupe {
            seen: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }
    /// True the first time a trade id is seen.
    pub(crate) fn first_time(&mut self, id: &TradeId) -> bool {
        if !self.seen.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id.clone());
        if self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

/// State of one live connection.
struct Connection<'a> {
    hub: &'a Hub,
    fills_seen: &'a mut FillDedupe,
    positions: &'a mut PositionRows,
    next_id: u64,
    /// Market-channel sids once subscribed.
    market_sids: HashMap<Channel, Sid>,
    /// Account-channel subscriptions (fill, user_orders, …) by sid.
    account_sids: HashMap<Sid, Channel>,
    /// Command id of an in-flight market subscribe.
    market_subscribe_pending: Option<u64>,
    /// Markets the market sids currently carry.
    subscribed: BTreeSet<MarketTicker>,
    /// Markets browsers watch.
    desired: BTreeSet<MarketTicker>,
    /// Markets browsers mark (their ticker only: the portfolio's marks).
    marked: BTreeSet<MarketTicker>,
    /// The ticker-only subscription of the marked markets nobody watches (a watched
    /// market's ticker comes with its book).
    mark_sid: Option<Sid>,
    /// Command id of an in-flight mark subscribe.
    mark_pending: Option<u64>,
    /// Markets the mark sid carries.
    mark_subscribed: BTreeSet<MarketTicker>,
    seq: Sequencer,
    outbox: Vec<Command>,
    /// The `fill` subscription was just confirmed: reconcile the account over REST.
    fill_channel_confirmed: bool,
    /// [`Takeover::since_ts`] of a cluster takeover.
    takeover_since: Option<i64>,
}

impl<'a> Connection<'a> {
    fn new(
        hub: &'a Hub,
        fills_seen: &'a mut FillDedupe,
        positions: &'a mut PositionRows,
        takeover_since: Option<i64>,
    ) -> Self {
        Connection {
            hub,
            fills_seen,
            positions,
            next_id: 1,
            market_sids: HashMap::new(),
            account_sids: HashMap::new(),
            market_subscribe_pending: None,
            subscribed: BTreeSet::new(),
            desired: hub.watched_markets().into_iter().collect(),
            marked: hub.marked_markets().into_iter().collect(),
            mark_sid: None,
            mark_pending: None,
            mark_subscribed: BTreeSet::new(),
            seq: Sequencer::default(),
            outbox: Vec::new(),
            fill_channel_confirmed: false,
            takeover_since,
        }
    }

    fn command(&mut self, body: CommandBody) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.outbox.push(Command { id, body });
        id
    }

    async fn run(
        &mut self,
        config: &UpstreamConfig,
        commands: &mut mpsc::Receiver<UpstreamCommand>,
        backoff: &mut Backoff,
        connected_before: &mut bool,
    ) -> Result<(), ConnError> {
        let mut request = config
            .ws_url
            .as_str()
            .into_client_request()
            .map_err(|_| ConnError::Url(config.ws_url.clone()))?;
        let path = request.uri().path().to_owned();
        let signing = std::time::Instant::now();
        let auth = config
            .signer
            .sign_blocking_pool("GET", &path)
            .await
            .map_err(ConnError::Sign)?;
        self.hub
            .metrics()
            .signing_seconds
            .observe(signing.elapsed().as_secs_f64());
        for (name, value) in auth.pairs() {
            let value =
                HeaderValue::from_str(value).map_err(|_| ConnError::Url(config.ws_url.clone()))?;
            request.headers_mut().insert(name, value);
        }
        // Nagle off: subscription commands are small and must not wait for an ACK.
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(socket_config()), true)
                .await
                .map_err(ConnError::Connect)?;
        let (mut sink, mut stream) = socket.split();
        tracing::info!(url = %config.ws_url, "upstream connected");
        self.hub.metrics().upstream_connects.inc();
        backoff.reset();

        self.command(CommandBody::Subscribe(SubscribeParams {
            channels: vec![
                Channel::Fill,
                Channel::UserOrders,
                Channel::MarketPositions,
                Channel::Communications,
                Channel::OrderGroupUpdates,
                Channel::MarketLifecycleV2,
                Channel::MultivariateMarketLifecycle,
            ],
            ..SubscribeParams::default()
        }));
        self.reconcile();
        self.reconcile_marks();
        self.hub.set_upstream_state(UpstreamState::Live);

        // The receive timeout guards the market subscriptions, which must carry data; with
        // no market watched only Kalshi's pings (every 10 s) arrive, and they keep an idle
        // socket: it is replaced only when not even a ping came for the timeout.
        let timeout = config.receive_timeout;
        let mut last_data = tokio::time::Instant::now();
        let mut last_frame = last_data;
        let silence = tokio::time::sleep(timeout);
        tokio::pin!(silence);
        loop {
            for cmd in self.outbox.drain(..) {
                let text = serde_json::to_string(&cmd).unwrap_or_default();
                tracing::debug!(%text, "upstream command");
                sink.send(Message::text(text))
                    .await
                    .map_err(ConnError::Socket)?;
            }
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(UpstreamCommand::Watch(m)) => {
                        if self.desired.is_empty() {
                            // Data is due from now on, not since the last frame of an idle socket.
                            last_data = tokio::time::Instant::now();
                        }
                        self.desired.insert(m);
                        self.reconcile();
                        self.reconcile_marks();
                    }
                    Some(UpstreamCommand::Unwatch(m)) => {
                        self.desired.remove(&m);
                        self.reconcile();
                        self.reconcile_marks();
                    }
                    Some(UpstreamCommand::Mark(m)) => { self.marked.insert(m); self.reconcile_marks(); }
                    Some(UpstreamCommand::Unmark(m)) => { self.marked.remove(&m); self.reconcile_marks(); }
                    None => return Ok(()),
                },
                () = &mut silence => {
                    // The timer is re-armed lazily: it fires, then checks the last data frame.
                    let since = if self.desired.is_empty() { last_frame } else { last_data };
                    let due = since + timeout;
                    if tokio::time::Instant::now() >= due {
                        return Err(ConnError::Silent(timeout));
                    }
                    silence.as_mut().reset(due);
                }
                frame = stream.next() => {
                if matches!(frame, Some(Ok(_))) {
                    last_frame = tokio::time::Instant::now();
                }
                match frame {
                    None => return Err(ConnError::Closed),
                    Some(Err(e)) => return Err(ConnError::Socket(e)),
                    Some(Ok(Message::Text(text))) => {
                        last_data = tokio::time::Instant::now();
                        self.hub.metrics().frames_in.inc();
                        self.on_text(text.as_str())?;
                        // Once the `fill` channel is confirmed, every later fill arrives on
                        // the socket; REST covers everything before. The dedupe keeps one.
                        if std::mem::take(&mut self.fill_channel_confirmed) {
                            if let Some(kalshi) = &config.kalshi {
                                let publish_since = if *connected_before { Some(i64::MIN) } else { self.takeover_since };
                                reconcile_account(kalshi, self.hub, self.fills_seen, self.positions, publish_since).await;
                            }
                            *connected_before = true;
                            // Time spent on REST is not silence on the socket.
                            last_data = tokio::time::Instant::now();
                        }
                    }
                    Some(Ok(Message::Close(_))) => return Err(ConnError::Closed),
                    // Pings are answered by tungstenite on the next write/flush; they do
                    // not count as data.
                    Some(Ok(Message::Ping(_))) => sink.flush().await.map_err(ConnError::Socket)?,
                    Some(Ok(_)) => {}
                }
                }
            }
        }
    }

    /// Brings the market subscription in line with what browsers watch.
    fn reconcile(&mut self) {
        if self.market_subscribe_pending.is_some() {
            return;
        }
        let book_sid = self.market_sids.get(&Channel::OrderbookDelta).copied();
        if book_sid.is_none() {
            if self.desired.is_empty() {
                return;
            }
            let markets: Vec<_> = self.desired.iter().cloned().collect();
            self.subscribed = self.desired.clone();
            let id = self.command(CommandBody::Subscribe(SubscribeParams {
                channels: vec![Channel::OrderbookDelta, Channel::Ticker, Channel::Trade],
                market_tickers: Some(markets),
                ..SubscribeParams::default()
            }));
            self.market_subscribe_pending = Some(id);
            return;
        }
        let add: Vec<_> = self.desired.difference(&self.subscribed).cloned().collect();
        let remove: Vec<_> = self.subscribed.difference(&self.desired).cloned().collect();
        let sids: Vec<Sid> = self.market_sids.values().copied().collect();
        for (action, markets) in [
            (UpdateAction::AddMarkets, add),
            (UpdateAction::DeleteMarkets, remove),
        ] {
            for &sid in &sids {
                self.update_markets(sid, action, &markets, false);
            }
        }
        self.subscribed = self.desired.clone();
    }

    /// Adds `markets` to (or deletes them from) subscription `sid`, nothing for none; an
    /// added market's ticker is sent at once with `initial_ticker`.
    fn update_markets(
        &mut self,
        sid: Sid,
        action: UpdateAction,
        markets: &[MarketTicker],
        initial_ticker: bool,
    ) {
        if markets.is_empty() {
            return;
        }
        self.command(CommandBody::UpdateSubscription(UpdateSubscriptionParams {
            sid: Some(sid),
            market_tickers: Some(markets.to_vec()),
            action,
            send_initial_snapshot: initial_ticker.then_some(true),
            ..UpdateSubscriptionParams::default()
        }));
    }

    /// Brings the ticker-only subscription in line with the marked markets nobody
    /// watches: subscribed with an initial ticker of each, markets added (each with its
    /// initial ticker) and deleted as marks change, unsubscribed when none is left.
    fn reconcile_marks(&mut self) {
        if self.mark_pending.is_some() {
            return;
        }
        let target: BTreeSet<MarketTicker> =
            self.marked.difference(&self.desired).cloned().collect();
        let Some(sid) = self.mark_sid else {
            if target.is_empty() {
                return;
            }
            let markets = target.iter().cloned().collect();
            self.mark_subscribed = target;
            let id = self.command(CommandBody::Subscribe(SubscribeParams {
                channels: vec![Channel::Ticker],
                market_tickers: Some(markets),
                send_initial_snapshot: Some(true),
                ..SubscribeParams::default()
            }));
            self.mark_pending = Some(id);
            return;
        };
        if target.is_empty() {
            self.command(CommandBody::Unsubscribe(UnsubscribeParams {
                sids: vec![sid],
            }));
            self.mark_sid = None;
            self.mark_subscribed.clear();
            return;
        }
        let add: Vec<_> = target.difference(&self.mark_subscribed).cloned().collect();
        let remove: Vec<_> = self.mark_subscribed.difference(&target).cloned().collect();
        self.update_markets(sid, UpdateAction::AddMarkets, &add, true);
        self.update_markets(sid, UpdateAction::DeleteMarkets, &remove, false);
        self.mark_subscribed = target;
    }

    fn resync(&mut self, sid: Sid) {
        self.seq.resync(sid);
        self.hub
            .mark_stale(&self.subscribed.iter().cloned().collect::<Vec<_>>());
        self.command(CommandBody::UpdateSubscription(UpdateSubscriptionParams {
            sid: Some(sid),
            action: UpdateAction::GetSnapshot,
            ..UpdateSubscriptionParams::default()
        }));
    }

    /// Subscribes again after Kalshi closed subscription `sid` with a terminal error; false
    /// when `sid` is not one of ours. A market sid takes the whole market subscription with
    /// it (the others are unsubscribed, books go stale until the new snapshots); an account
    /// sid is subscribed again alone, and a new `fill` subscription reconciles over REST.
    fn resubscribe(&mut self, sid: Sid) -> bool {
        if self.mark_sid == Some(sid) {
            tracing::warn!(%sid, "mark subscription closed; subscribing again");
            self.mark_sid = None;
            self.mark_subscribed.clear();
            self.reconcile_marks();
            return true;
        }
        if let Some(channel) = self.account_sids.remove(&sid) {
            tracing::warn!(%sid, channel = channel.as_str(), "account subscription closed; subscribing again");
            self.command(CommandBody::Subscribe(SubscribeParams {
                channels: vec![channel],
                ..SubscribeParams::default()
            }));
            return true;
        }
        if !self.market_sids.values().any(|s| *s == sid) {
            return false;
        }
        tracing::warn!(%sid, "market subscription closed; subscribing again");
        let others: Vec<Sid> = self
            .market_sids
            .drain()
            .map(|(_, s)| s)
            .filter(|s| *s != sid)
            .collect();
        self.seq.resync(sid);
        if !others.is_empty() {
            self.command(CommandBody::Unsubscribe(UnsubscribeParams { sids: others }));
        }
        self.hub
            .mark_stale(&self.subscribed.iter().cloned().collect::<Vec<_>>());
        self.subscribed.clear();
        self.reconcile();
        true
    }

    fn is_book_sid(&self, sid: Sid) -> bool {
        self.market_sids.get(&Channel::OrderbookDelta) == Some(&sid)
    }

    fn on_text(&mut self, text: &str) -> Result<(), ConnError> {
        let incoming = match ws::decode(text) {
            Ok(i) => i,
            Err(err) => {
                tracing::warn!(error = %err, "malformed upstream frame");
                self.hub.metrics().malformed_frames.inc();
                // Its seq still counts; if it was on the book sid its content is lost.
                if let (Some(sid), Some(_)) = (err.sid, err.seq) {
                    if self.is_book_sid(sid) {
                        self.resync(sid);
                    }
                }
                return Ok(());
            }
        };
        let frame = match incoming {
            Incoming::Known(f) => f,
            Incoming::Unknown { kind, sid, seq, .. } => {
                tracing::debug!(%kind, "unmodelled upstream frame");
                if let (Some(sid), Some(seq)) = (sid, seq) {
                    self.sequence(sid, seq, false);
                }
                return Ok(());
            }
        };
        if let (Some(sid), Some(seq)) = (frame.sid(), frame.seq()) {
            let is_snapshot = matches!(frame, ServerFrame::OrderbookSnapshot { .. });
            if !self.sequence(sid, seq, is_snapshot) {
                return Ok(());
            }
        }
        self.on_frame(frame)
    }

    /// Checks one sequenced frame; false when it must not be applied.
    fn sequence(&mut self, sid: Sid, seq: Seq, is_snapshot: bool) -> bool {
        if !self.is_book_sid(sid) {
            return true; // other channels: ordering is informational here
        }
        match self.seq.check(sid, seq, is_snapshot) {
            SeqCheck::InOrder => true,
            SeqCheck::Resyncing => false,
            SeqCheck::Gap { expected, got } => {
                tracing::warn!(%sid, expected, got, "sequence gap; resyncing");
                self.hub.metrics().seq_gaps.inc();
                self.resync(sid);
                // A snapshot that arrives out of order still restarts the sequence.
                if is_snapshot {
                    return self.seq.check(sid, seq, true) == SeqCheck::InOrder;
                }
                false
            }
        }
    }

    /// `communications` frames go to every session (the RFQ screen) and the quoting rules.
    fn publish_rfq(&self, event: RfqEvent) {
        self.hub.publish_account(ServerMsg::Rfq(event));
    }

    fn on_frame(&mut self, frame: ServerFrame) -> Result<(), ConnError> {
        match frame {
            ServerFrame::Subscribed { id, msg } if id.is_some() && id == self.mark_pending => {
                self.mark_pending = None;
                self.mark_sid = Some(msg.sid);
                self.reconcile_marks();
            }
            ServerFrame::Subscribed { id, msg } => {
                if let Some(channel) = Channel::from_name(&msg.channel) {
                    if channel == Channel::Fill {
                        self.fill_channel_confirmed = true;
                    }
                    if channel.is_market_scoped() {
                        self.market_sids.insert(channel, msg.sid);
                        if channel == Channel::OrderbookDelta {
                            self.seq.resync(msg.sid);
                        }
                    } else {
                        self.account_sids.insert(msg.sid, channel);
                    }
                }
                if self.market_subscribe_pending.is_some()
                    && self.market_subscribe_pending == id
                    && self.market_sids.len() == 3
                {
                    self.market_subscribe_pending = None;
                    self.reconcile();
                }
            }
            ServerFrame::Error { id, sid, msg, .. } => {
                tracing::warn!(?id, ?sid, code = msg.code, msg = %msg.msg, "upstream error reply");
                if ws::error_code::is_terminal(msg.code) {
                    // Kalshi closed one subscription (channel error, buffer overflow) and
                    // kept the socket: subscribe again. Without a sid we know, reconnect.
                    let resubscribed = sid.is_some_and(|sid| self.resubscribe(sid));
                    if !resubscribed {
                        return Err(ConnError::Terminal {
                            code: msg.code,
                            msg: msg.msg,
                        });
                    }
                    self.hub
                        .metrics()
                        .upstream_resubscribes
                        .with_label_values(&[&msg.code.to_string()])
                        .inc();
                    return Ok(());
                }
                if self.market_subscribe_pending.is_some() && self.market_subscribe_pending == id {
                    self.market_subscribe_pending = None;
                    self.market_sids.clear();
                    self.subscribed.clear();
                }
                if self.mark_pending.is_some() && self.mark_pending == id {
                    // Tried again on the next change of marks.
                    self.mark_pending = None;
                    self.mark_subscribed.clear();
                }
            }
            ServerFrame::OrderbookSnapshot { msg, .. } => {
                let levels = BookLevels {
                    yes: msg.levels(Side::Yes),
                    no: msg.levels(Side::No),
                };
                self.hub.apply_snapshot(&msg.market_ticker, levels);
            }
            ServerFrame::OrderbookDelta { sid, msg, .. } => {
                let (Some(price), Some(delta)) = (msg.level_price(), msg.level_delta()) else {
                    tracing::warn!(market = %msg.market_ticker, "delta without price or count");
                    self.resync(sid);
                    return Ok(());
                };
                if self
                    .hub
                    .apply_delta(&msg.market_ticker, msg.side, price, delta)
                    == DeltaOutcome::Diverged
                {
                    self.resync(sid);
                }
            }
            ServerFrame::Ticker { msg, .. } => self
                .hub
                .publish_market(msg.market_ticker.clone(), ServerMsg::Ticker(msg)),
            ServerFrame::Trade { msg, .. } => self
                .hub
                .publish_market(msg.market_ticker.clone(), ServerMsg::Trade(msg)),
            ServerFrame::Fill { msg, .. } if self.fills_seen.first_time(&msg.trade_id) => {
                self.hub.publish_fill(FillView::from_msg(&msg));
            }
            ServerFrame::MarketPosition { msg, .. } => {
                let row = self.positions.row_of(&msg);
                self.hub.publish_account(ServerMsg::Position(row))
            }
            ServerFrame::UserOrder { msg, .. } => {
                self.hub.publish_account(ServerMsg::Order(order_view(&msg)))
            }
            ServerFrame::OrderGroupUpdates { msg, .. } => {
                self.hub.publish_account(ServerMsg::OrderGroup(msg))
            }
            ServerFrame::RfqCreated { msg, .. } => self.publish_rfq(RfqEvent::RfqCreated(msg)),
            ServerFrame::RfqDeleted { msg, .. } => self.publish_rfq(RfqEvent::RfqDeleted(msg)),
            ServerFrame::QuoteCreated { msg, .. } => self.publish_rfq(RfqEvent::QuoteCreated(msg)),
            ServerFrame::QuoteAccepted { msg, .. } => {
                self.publish_rfq(RfqEvent::QuoteAccepted(msg))
            }
            ServerFrame::QuoteExecuted { msg, .. } => {
                self.publish_rfq(RfqEvent::QuoteExecuted(msg))
            }
            ServerFrame::MarketLifecycleV2 { msg, .. } => self
                .hub
                .publish_account(ServerMsg::Lifecycle(LifecycleView::from(&msg))),
            ServerFrame::MultivariateMarketLifecycle { msg, .. } => self
                .hub
                .publish_account(ServerMsg::Lifecycle(LifecycleView::from(&msg))),
            ServerFrame::EventLifecycle { msg, .. } => self
                .hub
                .publish_account(ServerMsg::Lifecycle(LifecycleView::from(&msg))),
            // Acks, and channels the desk does not subscribe to (indices, fee updates, …).
            _ => {}
        }
        Ok(())
    }
}

/// Brings the account up to date over REST after a (re)connect: fills newer than the
/// last one seen (paged until a known trade id), the newest orders and every position.
/// Fresh fills at or after `publish_since` (unix seconds) are published; on a single
/// desk's first connect (`None`) they only seed the dedupe (history, not news).
async fn reconcile_account(
    kalshi: &KalshiClient,
    hub: &Hub,
    fills_seen: &mut FillDedupe,
    positions: &mut PositionRows,
    publish_since: Option<i64>,
) {
    let mut fresh = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let page = match kalshi.fills(cursor.as_deref()).await {
            Ok(p) => p,
            Err(err) => {
                tracing::warn!(operation = "GetFills", error = %err, "reconciliation: fills");
                break;
            }
        };
        let mut known = false;
        for fill in &page.fills {
            if fills_seen.first_time(&fill.trade_id) {
                // A fill without a market cannot be shown.
                fresh.extend(Some(FillView::new(fill, None)).filter(|f| f.market_ticker.is_some()));
            } else {
                known = true;
            }
        }
        if known || page.cursor.is_empty() {
            break;
        }
        cursor = Some(page.cursor);
    }
    if let Some(since) = publish_since {
        // REST lists newest first; show them oldest first.
        let news = fresh.into_iter().rev().filter(|f| {
            since == i64::MIN || f.ts_ms.is_some_and(|ms| ms >= since.saturating_mul(1000))
        });
        for msg in news {
            tracing::info!(trade_id = %msg.trade_id, "fill recovered over REST after reconnect");
            hub.metrics().fills_reconciled.inc();
            hub.publish_fill(msg);
        }
    }
    match kalshi.orders(None, None).await {
        Ok(page) => {
            for order in page.orders.iter().rev() {
                hub.publish_account(ServerMsg::Order(crate::http::order_view(order)));
            }
        }
        Err(err) => tracing::warn!(operation = "GetOrders", error = %err, "reconciliation: orders"),
    }
    match kalshi.positions().await {
        Ok(page) => {
            for p in &page.market_positions {
                let row = positions.remember(PositionView::from_rest(p, 0));
                hub.publish_account(ServerMsg::Position(row));
            }
        }
        Err(err) => {
            tracing::warn!(operation = "GetPositions", error = %err, "reconciliation: positions");
        }
    }
}

/// The last position row sent for each (subaccount, market), so a `market_position` frame
/// that omits a money field keeps its value (see [`PositionView::from_msg`]). Flat
/// positions are forgotten.
#[derive(Default)]
struct PositionRows(HashMap<(u32, MarketTicker), PositionView>);

impl PositionRows {
    /// The desk's row of a `market_position` frame.
    fn row_of(&mut self, msg: &ws::MarketPositionMsg) -> PositionView {
        let key = (msg.subaccount.unwrap_or(0), msg.market_ticker.clone());
        let row = PositionView::from_msg(msg, self.0.get(&key));
        self.remember(row)
    }

    /// Keeps `row` as its market's last (forgets a flat one) and hands it back.
    fn remember(&mut self, row: PositionView) -> PositionView {
        let key = (row.subaccount, row.market_ticker.clone());
        if row.position.is_zero() {
            self.0.remove(&key);
        } else {
            self.0.insert(key, row.clone());
        }
        row
    }
}

/// The desk's view of a `user_order` frame.
pub fn order_view(msg: &UserOrderMsg) -> OrderView {
    let side = msg.outcome();
    let price = match side {
        Side::Yes => msg.yes_price_dollars,
        Side::No => msg.yes_price_dollars.complement(),
    };
    OrderView {
        order_id: msg.order_id.clone(),
        client_order_id: msg.client_order_id.clone(),
        market_ticker: msg.ticker.clone(),
        side,
        price,
        yes_price: msg.yes_price_dollars,
        remaining: msg.remaining_count_fp,
        filled: msg.fill_count_fp,
        status: msg.status,
        order_group_id: msg.order_group_id.clone().filter(|g| !g.is_empty()),
        subaccount: msg.subaccount_number.unwrap_or(0),
        owner: None,
        update_reason: msg.last_update_reason.clone().filter(|r| !r.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequencer_accepts_order_flags_gaps_and_waits_for_a_snapshot() {
        let mut s = Sequencer::default();
        let sid = Sid(1);
        assert_eq!(
            s.check(sid, Seq(5), false),
            SeqCheck::Resyncing,
            "nothing before the first snapshot"
        );
        assert_eq!(s.check(sid, Seq(6), true), SeqCheck::InOrder);
        assert_eq!(s.check(sid, Seq(7), false), SeqCheck::InOrder);
        assert_eq!(
            s.check(sid, Seq(9), false),
            SeqCheck::Gap {
                expected: 8,
                got: 9
            }
        );
        assert_eq!(s.check(sid, Seq(10), false), SeqCheck::Resyncing);
        assert_eq!(s.check(sid, Seq(11), true), SeqCheck::InOrder);
        assert_eq!(s.check(sid, Seq(12), false), SeqCheck::InOrder);
        assert_eq!(
            s.check(Sid(2), Seq(1), true),
            SeqCheck::InOrder,
            "sids are independent"
        );
    }

    #[test]
    fn fills_are_deduplicated_by_trade_id() {
        let mut d = FillDedupe::new(2);
        assert!(d.first_time(&TradeId::from("a")));
        assert!(!d.first_time(&TradeId::from("a")));
        assert!(d.first_time(&TradeId::from("b")));
        assert!(d.first_time(&TradeId::from("c")));
        assert!(
            d.first_time(&TradeId::from("a")),
            "forgotten beyond the cap"
        );
    }
}
