//! WebSocket subscriptions and fan-out.
//!
//! The hub lives under the same lock as the engine, so a snapshot and the deltas after it
//! are sequenced atomically with the book changes they describe. It never blocks: every
//! frame goes into the connection's bounded queue with `try_send`; a full queue is
//! Kalshi's terminal "Subscription buffer overflow" (error 25): the connection is dropped
//! from the hub and told which subscription overflowed, and its session sends the error
//! and closes. Memory is bounded by `connections × QUEUE_CAPACITY` frames.
//!
//! Commands follow the AsyncAPI (`kalshi-asyncapi.yaml`, "Error Codes Reference"):
//! `subscribe`, `unsubscribe`, `list_subscriptions`, `update_subscription`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use shared::ids::{MarketTicker, Seq, Sid};
use shared::ws::{
    error_code, Channel, ErrorMsg, OrderbookDeltaMsg, OrderbookSnapshotMsg, SubscribedMsg,
};
use tokio::sync::{mpsc, oneshot};

use super::engine::{AccountId, Engine, Event};
use super::wire::{rfc3339_s, OutFrame};
use shared::ws::{OkMarketsMsg, OkMsg, TickerMsg};

mod comms;

/// Frames a connection may have queued before it counts as overflowing.
pub const QUEUE_CAPACITY: usize = 4_096;

/// A connection's id in the hub.
pub type ConnId = u64;

#[derive(Debug)]
struct Sub {
    channel: Channel,
    /// `None` = every market (ticker/trade without a list, private channels).
    markets: Option<BTreeSet<MarketTicker>>,
    seq: u64,
    skip: bool,
    /// Fault injection: the next frame repeats the previous `seq`.
    repeat: bool,
}

impl Sub {
    fn next_seq(&mut self) -> Seq {
        if std::mem::take(&mut self.repeat) && self.seq > 0 {
            return Seq(self.seq);
        }
        self.seq += if self.skip { 2 } else { 1 };
        self.skip = false;
        Seq(self.seq)
    }
    fn wants(&self, ticker: &MarketTicker) -> bool {
        self.markets.as_ref().is_none_or(|m| m.contains(ticker))
    }
}

#[derive(Debug)]
struct Conn {
    account: AccountId,
    tx: mpsc::Sender<OutFrame>,
    overflow: Option<oneshot::Sender<Sid>>,
    subs: BTreeMap<Sid, Sub>,
    next_sid: u64,
    dead: bool,
}

impl Conn {
    /// Queues a frame; on overflow marks the connection dead and signals its session.
    fn send(&mut self, frame: OutFrame, sid: Option<Sid>) {
        if self.dead {
            return;
        }
        match self.tx.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dead = true;
                let book_sid = self
                    .subs
                    .iter()
                    .find(|(_, s)| s.channel == Channel::OrderbookDelta)
                    .map(|(sid, _)| *sid);
                let sid = book_sid.or(sid).unwrap_or(Sid(0));
                if let Some(tx) = self.overflow.take() {
                    let _ = tx.send(sid);
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.dead = true,
        }
    }
    fn error(&mut self, id: Option<u64>, sid: Option<Sid>, code: u32, msg: &str) {
        let frame = OutFrame::Error {
            id,
            sid,
            seq: None,
            msg: ErrorMsg {
                code,
                msg: msg.to_owned(),
                market_ticker: None,
            },
        };
        self.send(frame, sid);
    }
}

/// Every live connection and its subscriptions.
#[derive(Debug, Default)]
pub struct Hub {
    conns: HashMap<ConnId, Conn>,
    next_conn: ConnId,
}

/// A parse failure of a command: its error code and text.
struct CmdError(u32, &'static str);

fn snapshot_msg(engine: &Engine, ticker: &MarketTicker) -> Option<OrderbookSnapshotMsg> {
    let m = engine.market(ticker)?;
    let levels = m.book.levels();
    Some(OrderbookSnapshotMsg {
        market_ticker: ticker.clone(),
        market_id: Some(m.market_id.clone()),
        yes_dollars_fp: (!levels.yes.is_empty()).then_some(levels.yes),
        no_dollars_fp: (!levels.no.is_empty()).then_some(levels.no),
        yes: None,
        no: None,
    })
}

fn ticker_frame(engine: &Engine, sid: Sid, ticker: &MarketTicker, now_ms: i64) -> Option<OutFrame> {
    let m = engine.market(ticker)?;
    Some(OutFrame::Ticker {
        sid,
        seq: None,
        msg: TickerMsg {
            time: Some(rfc3339_s(now_ms)),
            ..m.ticker_msg(now_ms)
        },
    })
}

/// `market_ticker` / `market_tickers` of a params object: `Ok(None)` when neither is given.
fn markets_param(params: &Value) -> Result<Option<Vec<MarketTicker>>, CmdError> {
    let mut out = Vec::new();
    let mut given = false;
    if let Some(v) = params.get("market_ticker") {
        given = true;
        let t = v.as_str().ok_or(CmdError(
            error_code::INVALID_PARAMETER,
            "market_ticker must be a string",
        ))?;
        out.push(MarketTicker::from(t));
    }
    if let Some(v) = params.get("market_tickers") {
        given = true;
        let arr = v.as_array().ok_or(CmdError(
            error_code::INVALID_PARAMETER,
            "market_tickers must be an array",
        ))?;
        for t in arr {
            let t = t.as_str().ok_or(CmdError(
                error_code::INVALID_PARAMETER,
                "market_tickers must hold strings",
            ))?;
            out.push(MarketTicker::from(t));
        }
    }
    if !given || out.is_empty() {
        return Ok(None);
    }
    Ok(Some(out))
}

impl Hub {
    /// Registers a connection; frames for it go into `tx`, an overflow is reported on
    /// `overflow` with the subscription it hit.
    pub fn add(
        &mut self,
        account: AccountId,
        tx: mpsc::Sender<OutFrame>,
        overflow: oneshot::Sender<Sid>,
    ) -> ConnId {
        self.next_conn += 1;
        let id = self.next_conn;
        self.conns.insert(
            id,
            Conn {
                account,
                tx,
                overflow: Some(overflow),
                subs: BTreeMap::new(),
                next_sid: 1,
                dead: false,
            },
        );
        id
    }

    /// Forgets a connection.
    pub fn remove(&mut self, id: ConnId) {
        self.conns.remove(&id);
    }

    /// Number of live connections (tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Drops every connection (shutdown).
    pub fn clear(&mut self) {
        self.conns.clear();
    }

    /// The market list of every open `orderbook_delta` subscription, across connections.
    pub fn orderbook_subscriptions(&self) -> Vec<Vec<MarketTicker>> {
        self.conns
            .values()
            .flat_map(|c| c.subs.values())
            .filter(|s| s.channel == Channel::OrderbookDelta)
            .map(|s| s.markets.iter().flatten().cloned().collect())
            .collect()
    }

    /// Open subscriptions on `channel`, across connections.
    pub fn subscription_count(&self, channel: Channel) -> usize {
        self.conns
            .values()
            .flat_map(|c| c.subs.values())
            .filter(|s| s.channel == channel)
            .count()
    }

    /// Fault injection: the next sequenced frame of every `orderbook_delta` subscription
    /// skips one `seq`.
    pub fn skip_next_seq(&mut self) {
        for conn in self.conns.values_mut() {
            for sub in conn.subs.values_mut() {
                if sub.channel == Channel::OrderbookDelta {
                    sub.skip = true;
                }
            }
        }
    }

    /// Fault injection: the next sequenced frame of every `orderbook_delta` subscription
    /// repeats the previous frame's `seq` (a duplicate).
    pub fn repeat_next_seq(&mut self) {
        for conn in self.conns.values_mut() {
            for sub in conn.subs.values_mut() {
                if sub.channel == Channel::OrderbookDelta {
                    sub.repeat = true;
                }
            }
        }
    }

    /// Fault injection: closes every subscription on `channel`, on every connection, with
    /// a terminal error frame (`code` 10 "channel error" or 25 "buffer overflow") carrying
    /// its `sid`, as Kalshi does when it ends one subscription but keeps the socket.
    pub fn close_subscriptions(&mut self, channel: Channel, code: u32) {
        for conn in self.conns.values_mut() {
            let sids: Vec<Sid> = conn
                .subs
                .iter()
                .filter(|(_, s)| s.channel == channel)
                .map(|(sid, _)| *sid)
                .collect();
            for sid in sids {
                conn.subs.remove(&sid);
                let text = if code == error_code::BUFFER_OVERFLOW {
                    "Subscription buffer overflow"
                } else {
                    "Channel error"
                };
                conn.error(None, Some(sid), code, text);
            }
        }
        self.reap();
    }

    fn reap(&mut self) {
        self.conns.retain(|_, c| !c.dead);
    }

    /// Fans engine events out to the subscriptions that want them.
    pub fn publish(&mut self, events: &[Event], now_ms: i64) {
        if self.conns.is_empty() {
            return;
        }
        for event in events {
            for conn in self.conns.values_mut() {
                if conn.dead {
                    continue;
                }
                let mut out: Vec<(OutFrame, Sid)> = Vec::new();
                for (&sid, sub) in conn.subs.iter_mut() {
                    let frame = match (event, sub.channel) {
                        (
                            Event::Delta {
                                ticker,
                                market_id,
                                side,
                                price,
                                delta,
                                owner,
                                client_order_id,
                                ts_ms,
                            },
                            Channel::OrderbookDelta,
                        ) if sub.wants(ticker) => OutFrame::OrderbookDelta {
                            sid,
                            seq: sub.next_seq(),
                            msg: OrderbookDeltaMsg {
                                market_ticker: ticker.clone(),
                                market_id: Some(market_id.clone()),
                                price_dollars: Some(*price),
                                delta_fp: Some(*delta),
                                side: *side,
                                client_order_id: if *owner == conn.account {
                                    client_order_id.clone()
                                } else {
                                    None
                                },
                                ts_ms: Some(*ts_ms),
                                price: None,
                                delta: None,
                            },
                        },
                        (Event::Trade(t), Channel::Trade) if sub.wants(&t.ticker) => {
                            OutFrame::Trade {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: t.msg(),
                            }
                        }
                        (Event::Ticker(msg), Channel::Ticker) if sub.wants(&msg.market_ticker) => {
                            let ts = msg.ts_ms.unwrap_or(now_ms);
                            OutFrame::Ticker {
                                sid,
                                seq: None,
                                msg: TickerMsg {
                                    time: Some(rfc3339_s(ts)),
                                    ..msg.clone()
                                },
                            }
                        }
                        (Event::Lifecycle(msg), Channel::MarketLifecycleV2)
                            if sub.wants(&msg.market_ticker) =>
                        {
                            OutFrame::MarketLifecycleV2 {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: (**msg).clone(),
                            }
                        }
                        (Event::Fill { account, msg }, Channel::Fill)
                            if *account == conn.account && sub.wants(&msg.market_ticker) =>
                        {
                            OutFrame::Fill {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: msg.clone(),
                            }
                        }
                        (Event::UserOrder { account, msg }, Channel::UserOrders)
                            if *account == conn.account && sub.wants(&msg.ticker) =>
                        {
                            OutFrame::UserOrder {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: (**msg).clone(),
                            }
                        }
                        (Event::Position { account, msg }, Channel::MarketPositions)
                            if *account == conn.account && sub.wants(&msg.market_ticker) =>
                        {
                            OutFrame::MarketPosition {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: msg.clone(),
                            }
                        }
                        (Event::OrderGroup { account, msg }, Channel::OrderGroupUpdates)
                            if *account == conn.account =>
                        {
                            OutFrame::OrderGroupUpdates {
                                sid,
                                seq: Some(sub.next_seq()),
                                msg: msg.clone(),
                            }
                        }
                        _ => continue,
                    };
                    out.push((frame, sid));
                }
                for (frame, sid) in out {
                    conn.send(frame, Some(sid));
                }
            }
        }
        self.reap();
    }

    /// Handles one text frame from connection `id` (a command), queueing the replies.
    pub fn command(&mut self, id: ConnId, text: &str, engine: &Engine, now_ms: i64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                conn.error(
                    None,
                    None,
                    error_code::UNABLE_TO_PROCESS,
                    "Unable to process message",
                );
                self.reap();
                return;
            }
        };
        let cmd_id = value.get("id").and_then(Value::as_u64);
        let params = value.get("params").filter(|p| p.is_object());
        let result = match value.get("cmd").and_then(Value::as_str) {
            Some("subscribe") => subscribe(conn, cmd_id, params, engine, now_ms),
            Some("unsubscribe") => unsubscribe(conn, cmd_id, params),
            Some("list_subscriptions") => {
                let list = conn
                    .subs
                    .iter()
                    .map(|(sid, s)| SubscribedMsg {
                        channel: s.channel.as_str().to_owned(),
                        sid: *sid,
                    })
                    .collect();
                conn.send(
                    OutFrame::Ok {
                        id: cmd_id,
                        sid: None,
                        seq: None,
                        msg: OkMsg::List(list).to_value(),
                    },
                    None,
                );
                Ok(())
            }
            Some("update_subscription") => {
                update_subscription(conn, cmd_id, params, engine, now_ms)
            }
            _ => Err((
                None,
                CmdError(error_code::UNKNOWN_COMMAND, "Unknown command"),
            )),
        };
        if let Err((sid, CmdError(code, msg))) = result {
            conn.error(cmd_id, sid, code, msg);
        }
        self.reap();
    }
}

type CmdResult = Result<(), (Option<Sid>, CmdError)>;

fn subscribe(
    conn: &mut Conn,
    id: Option<u64>,
    params: Option<&Value>,
    engine: &Engine,
    now_ms: i64,
) -> CmdResult {
    let params = params.ok_or((
        None,
        CmdError(error_code::PARAMS_REQUIRED, "Params required"),
    ))?;
    let names = params
        .get("channels")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or((
            None,
            CmdError(error_code::CHANNELS_REQUIRED, "Channels required"),
        ))?;
    let mut channels = Vec::new();
    for name in names {
        let channel = name.as_str().and_then(Channel::from_name).ok_or((
            None,
            CmdError(error_code::UNKNOWN_CHANNEL, "Unknown channel name"),
        ))?;
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    shard_params(params).map_err(|e| (None, e))?;
    let markets = markets_param(params).map_err(|e| (None, e))?;
    if let Some(list) = &markets {
        if list.iter().any(|t| engine.market(t).is_none()) {
            return Err((
                None,
                CmdError(error_code::INVALID_PARAMETER, "Unknown market ticker"),
            ));
        }
    }
    if channels.contains(&Channel::OrderbookDelta) && markets.is_none() {
        return Err((
            None,
            CmdError(error_code::MARKET_TICKER_REQUIRED, "Market Ticker required"),
        ));
    }
    let initial_ticker = params
        .get("send_initial_snapshot")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for channel in channels {
        let sid = Sid(conn.next_sid);
        conn.next_sid += 1;
        let set = markets
            .as_ref()
            .map(|m| m.iter().cloned().collect::<BTreeSet<_>>());
        conn.subs.insert(
            sid,
            Sub {
                channel,
                markets: set,
                seq: 0,
                skip: false,
                repeat: false,
            },
        );
        conn.send(
            OutFrame::Subscribed {
                id,
                msg: SubscribedMsg {
                    channel: channel.as_str().to_owned(),
                    sid,
                },
            },
            Some(sid),
        );
        match channel {
            Channel::OrderbookDelta => {
                for t in markets.iter().flatten() {
                    send_snapshot(conn, sid, None, t, engine);
                }
            }
            Channel::Ticker if initial_ticker => {
                let list: Vec<MarketTicker> = match &markets {
                    Some(m) => m.clone(),
                    None => engine.markets().keys().cloned().collect(),
                };
                for t in &list {
                    if let Some(frame) = ticker_frame(engine, sid, t, now_ms) {
                        conn.send(frame, Some(sid));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `shard_factor` / `shard_key` (a subscriber's slice of a sharded channel): checked as
/// Kalshi checks them (codes 19–22); the exchange sends every shard's messages anyway.
fn shard_params(params: &Value) -> Result<(), CmdError> {
    let int = |name: &str| params.get(name).map(|v| v.as_i64());
    match (int("shard_factor"), int("shard_key")) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(CmdError(
            error_code::SHARD_FACTOR_REQUIRED,
            "shard_factor is required when shard_key is set",
        )),
        (Some(None), _) | (_, Some(None)) => Err(CmdError(
            error_code::INVALID_PARAMETER,
            "shard_factor and shard_key are integers",
        )),
        (Some(Some(f)), _) if f <= 0 => Err(CmdError(
            error_code::SHARD_FACTOR_ZERO,
            "shard_factor must be > 0",
        )),
        (Some(Some(f)), _) if f > 100 => Err(CmdError(
            error_code::SHARD_FACTOR_TOO_LARGE,
            "shard_factor must be <= 100",
        )),
        (Some(Some(f)), Some(Some(k))) if k < 0 || k >= f => Err(CmdError(
            error_code::SHARD_KEY_RANGE,
            "shard_key must be >= 0 and < shard_factor",
        )),
        _ => Ok(()),
    }
}

fn send_snapshot(
    conn: &mut Conn,
    sid: Sid,
    id: Option<u64>,
    ticker: &MarketTicker,
    engine: &Engine,
) {
    let Some(msg) = snapshot_msg(engine, ticker) else {
        return;
    };
    let Some(sub) = conn.subs.get_mut(&sid) else {
        return;
    };
    let seq = sub.next_seq();
    conn.send(OutFrame::OrderbookSnapshot { id, sid, seq, msg }, Some(sid));
}

fn sids_of(v: &Value) -> Option<Vec<Sid>> {
    v.as_array()?.iter().map(|s| s.as_u64().map(Sid)).collect()
}

fn unsubscribe(conn: &mut Conn, id: Option<u64>, params: Option<&Value>) -> CmdResult {
    let params = params.ok_or((
        None,
        CmdError(error_code::PARAMS_REQUIRED, "Params required"),
    ))?;
    let sids = params
        .get("sids")
        .and_then(sids_of)
        .filter(|s| !s.is_empty())
        .ok_or((None, CmdError(error_code::SIDS_REQUIRED, "Sids required")))?;
    for sid in sids {
        match conn.subs.remove(&sid) {
            Some(mut sub) => {
                let seq = sub.next_seq();
                conn.send(
                    OutFrame::Unsubscribed {
                        id,
                        sid,
                        seq: Some(seq),
                    },
                    Some(sid),
                );
            }
            None => conn.error(
                id,
                Some(sid),
                error_code::UNKNOWN_SID,
                "Subscription id not found",
            ),
        }
    }
    Ok(())
}

fn update_subscription(
    conn: &mut Conn,
    id: Option<u64>,
    params: Option<&Value>,
    engine: &Engine,
    now_ms: i64,
) -> CmdResult {
    let params = params.ok_or((
        None,
        CmdError(error_code::PARAMS_REQUIRED, "Params required"),
    ))?;
    let one = CmdError(
        error_code::EXACTLY_ONE_SID,
        "Exactly one subscription id is required",
    );
    let sid = match (params.get("sid"), params.get("sids")) {
        (Some(s), None) => s.as_u64().map(Sid).ok_or((None, one))?,
        (None, Some(s)) => match sids_of(s).as_deref() {
            Some([only]) => *only,
            _ => return Err((None, one)),
        },
        _ => return Err((None, one)),
    };
    let action = params.get("action").ok_or((
        Some(sid),
        CmdError(error_code::ACTION_REQUIRED, "Action required"),
    ))?;
    let action = action.as_str().unwrap_or_default();
    if !matches!(action, "add_markets" | "delete_markets" | "get_snapshot") {
        return Err((
            Some(sid),
            CmdError(error_code::UNSUPPORTED_ACTION, "Unsupported action"),
        ));
    }
    let channel = conn.subs.get(&sid).map(|s| s.channel).ok_or((
        Some(sid),
        CmdError(error_code::UNKNOWN_SID, "Subscription id not found"),
    ))?;
    if action == "get_snapshot" {
        if channel != Channel::OrderbookDelta {
            return Err((
                Some(sid),
                CmdError(
                    error_code::UNSUPPORTED_ACTION,
                    "get_snapshot is only for orderbook_delta",
                ),
            ));
        }
        let markets: Vec<MarketTicker> = conn
            .subs
            .get(&sid)
            .and_then(|s| s.markets.clone())
            .into_iter()
            .flatten()
            .collect();
        for t in &markets {
            send_snapshot(conn, sid, id, t, engine);
        }
        return Ok(());
    }
    if !channel.is_market_scoped() {
        return Err((
            Some(sid),
            CmdError(
                error_code::UNSUPPORTED_ACTION,
                "Channel is not market scoped",
            ),
        ));
    }
    let tickers = markets_param(params).map_err(|e| (Some(sid), e))?.ok_or((
        Some(sid),
        CmdError(error_code::MARKET_TICKER_REQUIRED, "Market Ticker required"),
    ))?;
    if tickers.iter().any(|t| engine.market(t).is_none()) {
        return Err((
            Some(sid),
            CmdError(error_code::INVALID_PARAMETER, "Unknown market ticker"),
        ));
    }
    let Some(sub) = conn.subs.get_mut(&sid) else {
        return Err((
            Some(sid),
            CmdError(error_code::UNKNOWN_SID, "Subscription id not found"),
        ));
    };
    let mut added = Vec::new();
    if action == "add_markets" {
        if let Some(set) = sub.markets.as_mut() {
            for t in tickers {
                if set.insert(t.clone()) {
                    added.push(t);
                }
            }
        }
    } else {
        let set = sub
            .markets
            .get_or_insert_with(|| engine.markets().keys().cloned().collect());
        for t in &tickers {
            set.remove(t);
        }
    }
    let market_tickers: Vec<MarketTicker> = match &sub.markets {
        Some(set) => set.iter().cloned().collect(),
        None => engine.markets().keys().cloned().collect(),
    };
    let seq = sub.next_seq();
    conn.send(
        OutFrame::Ok {
            id,
            sid: Some(sid),
            seq: Some(seq),
            msg: OkMsg::Markets(OkMarketsMsg {
                market_tickers,
                market_ids: None,
            })
            .to_value(),
        },
        Some(sid),
    );
    if channel == Channel::OrderbookDelta {
        for t in &added {
            send_snapshot(conn, sid, None, t, engine);
        }
    }
    // `send_initial_snapshot` on `add_markets`: the ticker channel sends each added
    // market's ticker at once (as a subscribe with it does).
    let initial_ticker = params
        .get("send_initial_snapshot")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if channel == Channel::Ticker && initial_ticker {
        for t in &added {
            if let Some(frame) = ticker_frame(engine, sid, t, now_ms) {
                conn.send(frame, Some(sid));
            }
        }
    }
    Ok(())
}
