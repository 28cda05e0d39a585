//! The connection context: which Kalshi, whether it trades, the desk's kill switches, and
//! the state of the browser socket and of the backend's upstream.

use leptos::prelude::*;
use shared::protocol::{Environment, UpstreamState};

/// Socket state of the browser ⇄ backend connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketState {
    /// Opening (first attempt or a retry).
    Connecting,
    /// Open.
    Open,
    /// Closed after repeated failures; still retrying.
    Failed,
}

/// The connection badge's three states (`data-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Socket open and upstream live.
    Live,
    /// Socket or upstream (re)connecting.
    Connecting,
    /// Socket failing or upstream down.
    Down,
}

impl ConnState {
    /// The badge state of a socket and an upstream.
    pub fn of(socket: SocketState, upstream: Option<UpstreamState>) -> Self {
        match (socket, upstream) {
            (SocketState::Open, Some(UpstreamState::Live)) => ConnState::Live,
            (SocketState::Open, Some(UpstreamState::Down)) => ConnState::Down,
            (SocketState::Open, _) | (SocketState::Connecting, _) => ConnState::Connecting,
            (SocketState::Failed, _) => ConnState::Down,
        }
    }

    /// `live` / `connecting` / `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Live => "live",
            ConnState::Connecting => "connecting",
            ConnState::Down => "down",
        }
    }
}

/// The connection context. `Copy`; get it with [`use_connection`].
#[derive(Clone, Copy)]
pub struct Connection {
    /// Which Kalshi (from `/api/status` or the socket's `hello`).
    pub environment: RwSignal<Option<Environment>>,
    /// Exchange trading active (from `/api/status` and `exchange` frames).
    pub trading_active: RwSignal<Option<bool>>,
    /// The desk's kill switches in force (`halts` frames).
    pub halts: RwSignal<Vec<shared::auth::Halt>>,
    /// When a trading pause should end (RFC 3339), when Kalshi says.
    pub resumes_at: RwSignal<Option<String>>,
    /// Browser socket state.
    pub socket: RwSignal<SocketState>,
    /// Backend's upstream state (from `hello`/`upstream`).
    pub upstream: RwSignal<Option<UpstreamState>>,
}

/// The connection context.
pub fn use_connection() -> Connection {
    use_context::<Connection>().expect("Connection is provided by App before any component renders")
}

impl Connection {
    /// Nothing known yet; the socket is connecting.
    pub fn new() -> Self {
        Connection {
            environment: RwSignal::new(None),
            trading_active: RwSignal::new(None),
            halts: RwSignal::new(Vec::new()),
            resumes_at: RwSignal::new(None),
            socket: RwSignal::new(SocketState::Connecting),
            upstream: RwSignal::new(None),
        }
    }

    /// The connection badge state (tracked).
    pub fn conn_state(&self) -> ConnState {
        ConnState::of(self.socket.get(), self.upstream.get())
    }
}

impl Default for Connection {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_is_live_only_with_an_open_socket_and_a_live_upstream() {
        use SocketState as S;
        use UpstreamState as U;
        let cases = [
            (S::Open, Some(U::Live), ConnState::Live),
            (S::Open, Some(U::Down), ConnState::Down),
            (S::Open, None, ConnState::Connecting),
            (S::Connecting, Some(U::Live), ConnState::Connecting),
            (S::Failed, Some(U::Live), ConnState::Down),
        ];
        for (socket, upstream, want) in cases {
            assert_eq!(
                ConnState::of(socket, upstream),
                want,
                "{socket:?} {upstream:?}"
            );
        }
    }
}
