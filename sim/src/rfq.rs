//! Communications: RFQs and quotes (`/communications/...`, `kalshi-openapi.yaml` 3.31) and
//! the `communications` WebSocket channel.
//!
//! Kalshi's rules as modelled here:
//! - a user has at most [`MAX_OPEN_RFQS`](book::MAX_OPEN_RFQS) open RFQs; the next one is refused (400);
//! - a quote whose `yes_bid + no_bid` exceeds $1 is refused (400);
//! - a maker's new quote on an RFQ replaces (cancels) its previous open quote there;
//! - the requester accepts a side; the quoter must confirm within the window
//!   ([`CONFIRM_WINDOW_MS`](book::CONFIRM_WINDOW_MS), or [`FAST_CONFIRM_WINDOW_MS`](book::FAST_CONFIRM_WINDOW_MS) for high-volatility series and
//!   combo (`KXMVE…`) markets; tests shorten both with
//!   [`SimExchange::set_confirm_windows`]); a late confirm is refused with "confirmation
//!   window expired" and the quote is cancelled;
//! - expiry: the RFQ task sweeps every 100 ms and cancels accepted quotes whose window has
//!   passed (`cancellation_reason` "confirmation window expired"); deleted quotes are
//!   cancelled ("deleted"), a closed RFQ cancels its live quotes ("rfq closed") and emits
//!   `rfq_deleted`. Kalshi's channel has no quote-cancelled message, so these changes show
//!   in `GetQuotes`/`GetQuote` (with `updated_ts`; `GetQuotes` honours `min_ts`), which the
//!   desk polls.
//! - confirmation executes at once: the requester buys the accepted side (YES at
//!   `1 − no_bid`, NO at `1 − yes_bid`), the quoter the other, and both get fills and
//!   position updates; the RFQ closes and its other quotes are cancelled.
//!
//! Visibility: RFQ events reach every `communications` subscriber; quote events only the
//! RFQ's creator and the quote's creator (see `hub/comms.rs`).
//!
//! Simulated counterparties (when enabled): one participant quotes on registered users'
//! RFQs around the live mid and confirms at once when accepted; it also asks for quotes on
//! open markets now and then and accepts a registered user's quote near the mid.

mod book;
mod participants;
mod routes;

use std::time::Duration;

use crate::engine::Engine;
use crate::{now_ms, Sim, SimExchange};

use book::TICK;
pub use book::{CommsEvent, RfqBook};
pub(crate) use routes::routes;

fn with_rfq<R>(sim: &Sim, f: impl FnOnce(&mut RfqBook, &mut Engine, i64) -> R) -> R {
    let now = now_ms();
    let mut core = sim.lock();
    let core = &mut *core;
    let out = f(&mut core.rfq, &mut core.engine, now);
    core.publish(now);
    let events = core.rfq.take_events();
    if !events.is_empty() {
        core.hub.publish_comms(&events);
    }
    out
}

/// The RFQ task: expiry and the simulated counterparty.
pub(crate) async fn run(sim: Sim) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = sim.token.cancelled() => break,
            _ = tick.tick() => {}
        }
        with_rfq(&sim, |book, engine, now| {
            book.execute_due(engine, now);
            if book.sweep_expired {
                book.expire(now);
            }
            book.participants_step(engine, now);
        });
    }
}

impl SimExchange {
    /// Markets of `series` get the short (3 s) confirmation window, like Kalshi's
    /// high-volatility markets.
    pub fn set_fast_confirm_series(&self, series: &str) {
        self.inner.lock().rfq.fast_series.insert(series.to_owned());
    }

    /// The execution timer a confirm starts (default 200 ms; zero executes at once).
    pub fn set_execution_delay(&self, delay: Duration) {
        self.inner.lock().rfq.execution_delay_ms =
            i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    }

    /// Confirmation windows: `ordinary` for most markets, `fast` for high-volatility
    /// series ([`Self::set_fast_confirm_series`]) and combo markets. Kalshi's are 30 s and
    /// 3 s (the defaults); tests shorten them instead of waiting.
    pub fn set_confirm_windows(&self, ordinary: Duration, fast: Duration) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut core = self.inner.lock();
        core.rfq.window_ms = ms(ordinary);
        core.rfq.fast_window_ms = ms(fast);
    }

    /// Whether accepted quotes are cancelled as soon as their window passes (default), or
    /// only when next touched (accept/confirm). Off lets a test act on a quote that still
    /// reads `accepted` after its deadline, e.g. to see a late confirm refused.
    pub fn set_rfq_expiry_sweep(&self, on: bool) {
        self.inner.lock().rfq.sweep_expired = on;
    }

    /// Turns the simulated RFQ counterparty on or off.
    pub fn set_rfq_participants(&self, on: bool) {
        self.inner.lock().rfq.participants_on = on;
    }
}
