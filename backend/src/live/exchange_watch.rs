//! Whether Kalshi is trading: `GetExchangeStatus` read every [`POLL`] (one read of the
//! budget each time), published to every session as [`ServerMsg::Exchange`] when it
//! changes, so each screen shows a trading pause (Kalshi's weekly maintenance, or a halt)
//! within one poll, with the resume time when Kalshi gives one.

use std::time::Duration;

use shared::protocol::ExchangeView;
use tokio_util::sync::CancellationToken;

use crate::kalshi::client::KalshiClient;
use crate::live::hub::Hub;

/// How often the exchange's status is read.
pub const POLL: Duration = Duration::from_secs(5);

/// Reads the status until `shutdown`; a failed read keeps the last known state.
pub async fn run(hub: Hub, kalshi: KalshiClient, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match kalshi.exchange_status().await {
            Ok(status) => hub.set_exchange(ExchangeView {
                exchange_active: status.exchange_active,
                trading_active: status.trading_active && status.exchange_active,
                resumes_at: status.exchange_estimated_resume_time,
            }),
            Err(err) => tracing::debug!(error = %err, "exchange status unavailable"),
        }
    }
}
