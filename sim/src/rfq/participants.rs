//! The simulated RFQ counterparty: quotes on registered users' RFQs around the mid,
//! confirms when accepted, asks for quotes now and then and accepts a user's quote near
//! the mid.

use shared::api::schema::{CreateQuoteRequest, CreateRFQRequest, QuoteStatus};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};

use crate::engine::Engine;

use super::book::{mid, RfqBook};

impl RfqBook {
    /// One step of the simulated counterparty.
    pub(super) fn participants_step(&mut self, engine: &mut Engine, now: i64) {
        if !self.participants_on {
            return;
        }
        let me = self.participant;
        // Confirm our accepted quotes at once.
        let to_confirm: Vec<String> = self
            .quotes
            .values()
            .filter(|q| q.creator == me && q.status == QuoteStatus::Accepted)
            .map(|q| q.id.clone())
            .collect();
        for id in to_confirm {
            let _ = self.confirm(engine, me, &id, None, now);
        }
        // Quote on registered users' RFQs, around the mid.
        let to_quote: Vec<(String, MarketTicker)> = self
            .rfqs
            .values()
            .filter(|r| r.open && r.creator != me && now - r.created_ms >= 300)
            .filter(|r| {
                !self
                    .quotes
                    .values()
                    .any(|q| q.rfq_id == r.id && q.creator == me)
            })
            .map(|r| (r.id.clone(), r.ticker.clone()))
            .collect();
        for (rfq_id, ticker) in to_quote {
            let m = mid(engine, &ticker).unwrap_or(Dollars::from_cents(50));
            let spread = Dollars::from_cents(3);
            let floor = Dollars::from_cents(1);
            let yes_bid = (m - spread).max(floor);
            let no_bid = (m.complement() - spread).max(floor);
            let req = CreateQuoteRequest {
                rfq_id,
                yes_bid,
                no_bid,
                ..CreateQuoteRequest::default()
            };
            let _ = self.create_quote(engine, me, &req, now);
        }
        // Accept a registered user's quote on our RFQs when near the mid.
        let ours: Vec<(String, MarketTicker)> = self
            .rfqs
            .values()
            .filter(|r| r.open && r.creator == me)
            .map(|r| (r.id.clone(), r.ticker.clone()))
            .collect();
        for (rfq_id, ticker) in &ours {
            let m = mid(engine, ticker).unwrap_or(Dollars::from_cents(50));
            let near = Dollars::from_cents(3);
            let pick = self.quotes.values().find_map(|q| {
                if q.rfq_id != *rfq_id
                    || q.status != QuoteStatus::Open
                    || now - q.created_ms < 1_000
                {
                    return None;
                }
                if !q.no_bid.is_zero() && q.no_bid.complement() <= m + near {
                    Some((q.id.clone(), Side::Yes))
                } else if !q.yes_bid.is_zero() && q.yes_bid.complement() <= m.complement() + near {
                    Some((q.id.clone(), Side::No))
                } else {
                    None
                }
            });
            if let Some((id, side)) = pick {
                let _ = self.accept(engine, me, &id, None, side, now);
            }
        }
        // Withdraw our RFQs after a minute; ask for a new one every 20 s.
        for (rfq_id, _) in ours {
            if self
                .rfqs
                .get(&rfq_id)
                .is_some_and(|r| now - r.created_ms > 60_000)
            {
                self.close_rfq(engine, &rfq_id, now, "expired");
            }
        }
        if now - self.last_participant_rfq_ms >= 20_000 && self.open_rfqs_of(me) < 2 {
            let open: Vec<MarketTicker> = engine
                .markets()
                .values()
                .filter(|m| m.info.status.is_tradable())
                .map(|m| m.info.ticker.clone())
                .collect();
            if !open.is_empty() {
                self.next_market = (self.next_market + 7) % open.len();
                let req = CreateRFQRequest {
                    market_ticker: open[self.next_market].clone(),
                    contracts_fp: Some(Count::from_int(10 + (now % 5) * 10)),
                    ..CreateRFQRequest::default()
                };
                let _ = self.create_rfq(engine, me, &req, now);
                self.last_participant_rfq_ms = now;
            }
        }
    }
}
