//! Trading pauses (Kalshi's weekly maintenance, or a pause "in case issues are detected"):
//! while trading is paused new orders and amends are refused (`503`), cancels and decreases
//! still work, and every resting order placed with `cancel_order_on_pause` is cancelled
//! when the pause starts (`last_update_reason` `HaltCancel`).

use shared::rest::OrderStatus;
use shared::ws_msg::MarketLifecycleV2MsgEventType;

use super::{Engine, OrderError, UpdateReason};

/// A trading pause in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// When it started, Unix ms.
    pub started_ms: i64,
    /// When trading resumes by itself, Unix ms; `None` = until resumed.
    pub ends_ms: Option<i64>,
}

impl Engine {
    /// The pause in progress, if any.
    pub fn trading_pause(&self) -> Option<Pause> {
        self.pause
    }

    /// Pauses trading from `now_ms` until `ends_ms` (or until [`Engine::resume_trading`]);
    /// cancels the resting `cancel_order_on_pause` orders. Returns how many it cancelled.
    pub fn pause_trading(&mut self, now_ms: i64, ends_ms: Option<i64>) -> usize {
        self.pause = Some(Pause {
            started_ms: now_ms,
            ends_ms,
        });
        self.announce_trading(false);
        let mut keys: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.cancel_on_pause && o.status == OrderStatus::Resting)
            .map(|o| o.key)
            .collect();
        keys.sort_unstable();
        let mut tickers = Vec::new();
        for &key in &keys {
            if let Some(o) = self.orders.get(&key) {
                if !tickers.contains(&o.ticker) {
                    tickers.push(o.ticker.clone());
                }
            }
            self.cancel_key(key, now_ms, UpdateReason::Halt);
            self.forget_if_done(key);
        }
        for t in &tickers {
            self.emit_ticker_if_changed(t, now_ms);
        }
        keys.len()
    }

    /// Ends the pause; false when trading was not paused.
    pub fn resume_trading(&mut self) -> bool {
        let was = self.pause.take().is_some();
        if was {
            self.announce_trading(true);
        }
        was
    }

    /// A `market_lifecycle_v2` `deactivated` (`activated`) event for every open market.
    fn announce_trading(&mut self, active: bool) {
        let kind = if active {
            MarketLifecycleV2MsgEventType::Activated
        } else {
            MarketLifecycleV2MsgEventType::Deactivated
        };
        let open: Vec<_> = self
            .markets
            .values()
            .filter(|m| m.info.status.is_tradable())
            .map(|m| m.info.ticker.clone())
            .collect();
        for ticker in &open {
            self.emit_lifecycle(ticker, kind, |m| m.is_deactivated = Some(!active));
        }
    }

    /// Ends a pause whose end time has come; true when it did.
    pub fn resume_if_due(&mut self, now_ms: i64) -> bool {
        match self.pause {
            Some(Pause {
                ends_ms: Some(end), ..
            }) if end <= now_ms => self.resume_trading(),
            _ => false,
        }
    }

    /// [`OrderError::TradingPaused`] while trading is paused.
    pub(super) fn refuse_if_paused(&self) -> Result<(), OrderError> {
        match self.pause {
            Some(_) => Err(OrderError::TradingPaused),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::ids::BookSide;

    use super::super::tests::{fx, req};
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn a_pause_refuses_orders_and_amends_keeps_cancels_and_cancels_cancel_on_pause_orders() {
        let mut f = fx();
        let keep =
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "5"), NOW)
                .unwrap();
        let mut r = req(BookSide::Bid, "0.41", "5");
        r.cancel_order_on_pause = Some(true);
        let cop = f.e.place(f.alice, &r, NOW).unwrap();
        f.e.take_events();
        assert_eq!(f.e.pause_trading(NOW + 1, Some(NOW + 1_000)), 1);
        assert_eq!(
            f.e.order_by_id(&cop.order_id).unwrap().last_update_reason,
            UpdateReason::Halt
        );
        assert_eq!(
            f.e.place(f.alice, &req(BookSide::Bid, "0.40", "1"), NOW + 2),
            Err(OrderError::TradingPaused)
        );
        assert!(
            f.e.cancel(f.alice, &keep.order_id, NOW + 3).is_ok(),
            "cancels work"
        );
        assert!(!f.e.resume_if_due(NOW + 999));
        assert!(f.e.resume_if_due(NOW + 1_000));
        assert!(f
            .e
            .place(f.alice, &req(BookSide::Bid, "0.40", "1"), NOW + 4)
            .is_ok());
    }
}
