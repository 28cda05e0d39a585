//! Market settlement: the exchange side of Kalshi's `GetSettlements`
//! (`GET /portfolio/settlements`, `kalshi-openapi.yaml` 3.31) and of a market going
//! `finalized`.
//!
//! Settling a market with result YES or NO:
//! 1. cancels every resting order in it (collateral released, `user_order` frames with
//!    reason `Settled`), so the book is empty;
//! 2. pays each holder of the winning side $1 a contract (`revenue`), zeroes every position
//!    in the market and moves `revenue − cost basis` into the position's realized P&L
//!    (fees were paid at trade time and stay in `fees`);
//! 3. records one [`SettlementRec`] per registered account that held a position (also a
//!    flat one that traded), and emits `market_position` frames showing the flat position;
//! 4. marks the market `finalized` with its `result`, so orders are refused
//!    (`market_closed`).

use shared::api::schema::{MarketResult, MarketStatus, Settlement, SettlementMarketResult};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::ws_msg::MarketLifecycleV2MsgEventType;

use super::{AccountKind, Engine, Event, OrderError, UpdateReason};
use crate::wire::rfc3339_ms;

/// One settlement of one account, as `GetSettlements` serves it.
#[derive(Clone, Debug, PartialEq)]
pub struct SettlementRec {
    /// Engine-wide settlement sequence (the `GetSettlements` cursor across subaccounts).
    pub seq: u64,
    /// Settled, Unix ms (the `min_ts`/`max_ts` filters).
    pub settled_ms: i64,
    /// The wire form.
    pub settlement: Settlement,
}

impl Engine {
    /// Settles `ticker` with `result` at `now_ms` (see the module docs); returns how many
    /// registered accounts got a settlement record.
    ///
    /// # Errors
    /// [`OrderError::MarketNotFound`] for an unknown market, [`OrderError::MarketClosed`]
    /// for one already settled (`determined`, `finalized`, `settled`); nothing changes then.
    pub fn settle(
        &mut self,
        ticker: &MarketTicker,
        result: Side,
        now_ms: i64,
    ) -> Result<usize, OrderError> {
        let market = self
            .markets
            .get(ticker)
            .ok_or_else(|| OrderError::MarketNotFound(ticker.clone()))?;
        if matches!(
            market.info.status,
            MarketStatus::Determined | MarketStatus::Finalized
        ) {
            return Err(OrderError::MarketClosed(ticker.clone()));
        }
        let resting: Vec<u64> = market
            .resting_keys(Side::Yes)
            .chain(market.resting_keys(Side::No))
            .collect();
        let event_ticker = market.info.event_ticker.clone();
        for key in resting {
            self.cancel_key(key, now_ms, UpdateReason::Closed);
            self.forget_if_done(key);
        }

        let mut recorded = 0;
        for index in 0..self.accounts.len() {
            let Some(account) = self.accounts.get_mut(index) else {
                continue;
            };
            let Some(p) = account.positions.get_mut(ticker) else {
                continue;
            };
            let held = p.net;
            let cost = p.cost;
            let (yes_count, no_count) = if held.is_negative() {
                (Count::ZERO, held.abs())
            } else {
                (held, Count::ZERO)
            };
            let won = match result {
                Side::Yes => yes_count,
                Side::No => no_count,
            };
            let revenue = Dollars::ONE.times(won);
            account.cash += revenue;
            p.realized_pnl += revenue - cost;
            p.net = Count::ZERO;
            p.cost = Dollars::ZERO;
            p.close_claimed = [Count::ZERO; 2];
            p.updated_ms = now_ms;
            let fees = p.fees;
            account.updated_ms = now_ms;
            if account.kind != AccountKind::Registered {
                continue;
            }
            let (yes_cost, no_cost) = if held.is_negative() {
                (Dollars::ZERO, cost)
            } else {
                (cost, Dollars::ZERO)
            };
            let seq = self.next_settlement_seq;
            self.next_settlement_seq += 1;
            account.settlements.push(SettlementRec {
                seq,
                settled_ms: now_ms,
                settlement: Settlement {
                    ticker: ticker.clone(),
                    exchange_index: 0,
                    event_ticker: event_ticker.clone(),
                    market_result: match result {
                        Side::Yes => SettlementMarketResult::Yes,
                        Side::No => SettlementMarketResult::No,
                    },
                    yes_count_fp: yes_count,
                    yes_total_cost_dollars: yes_cost,
                    no_count_fp: no_count,
                    no_total_cost_dollars: no_cost,
                    revenue: revenue.raw() / Dollars::from_cents(1).raw(),
                    settled_time: rfc3339_ms(now_ms),
                    fee_cost: fees,
                    value: Some(if result == Side::Yes { 100 } else { 0 }),
                },
            });
            recorded += 1;
            let id = super::AccountId::try_from(index).unwrap_or(super::AccountId::MAX);
            let root = self.root(id);
            let msg = self.position_msg(id, ticker);
            self.events.push(Event::Position { account: root, msg });
        }

        if let Some(m) = self.markets.get_mut(ticker) {
            m.info.status = MarketStatus::Finalized;
            let (market_result, value) = match result {
                Side::Yes => (MarketResult::Yes, Dollars::ONE),
                Side::No => (MarketResult::No, Dollars::ZERO),
            };
            m.info.result = market_result;
            m.info.settlement_value_dollars = Some(value);
            m.info.settlement_ts = Some(rfc3339_ms(now_ms));
            m.info.updated_time = rfc3339_ms(now_ms);
            m.open_interest = Count::ZERO;
        }
        // Kalshi announces the outcome, then the payout.
        let value = match result {
            Side::Yes => "1.0000",
            Side::No => "0.0000",
        };
        let now_s = now_ms.div_euclid(1000);
        self.emit_lifecycle(ticker, MarketLifecycleV2MsgEventType::Determined, |m| {
            m.determination_ts = Some(now_s);
            m.result = Some(match result {
                Side::Yes => "yes".to_owned(),
                Side::No => "no".to_owned(),
            });
            m.settlement_value = Some(value.to_owned());
        });
        self.emit_lifecycle(ticker, MarketLifecycleV2MsgEventType::Settled, |m| {
            m.settled_ts = Some(now_s);
        });
        self.emit_ticker_if_changed(ticker, now_ms);
        Ok(recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fx, req};
    use super::*;
    use shared::ids::BookSide;

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn settling_pays_winners_zeroes_positions_and_refuses_orders() {
        let mut f = fx();
        let ticker = MarketTicker::from("KXTEST-1");
        // Alice buys 10 YES at 0.40 from the crowd's resting ask.
        f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "10"), NOW)
            .unwrap();
        f.e.place(f.alice, &req(BookSide::Bid, "0.40", "10"), NOW)
            .unwrap();
        // And rests a bid that the settlement cancels.
        f.e.place(f.alice, &req(BookSide::Bid, "0.01", "5"), NOW)
            .unwrap();
        let before = f.e.position(f.alice, &ticker);
        assert_eq!(before.net, Count::from_int(10));
        let cash_before = f.e.account(f.alice).unwrap().cash;
        f.e.take_events();

        assert_eq!(f.e.settle(&ticker, Side::Yes, NOW + 1), Ok(1));
        let a = f.e.account(f.alice).unwrap();
        assert_eq!(a.reserved, Dollars::ZERO, "resting collateral released");
        assert_eq!(
            a.cash - cash_before,
            Dollars::from_int(10),
            "10 winning YES pay $10"
        );
        let p = f.e.position(f.alice, &ticker);
        assert_eq!(p.net, Count::ZERO);
        assert_eq!(p.cost, Dollars::ZERO);
        assert_eq!(
            p.realized_pnl,
            before.realized_pnl + Dollars::from_int(10) - before.cost
        );
        let rec = &a.settlements[0].settlement;
        assert_eq!(rec.market_result, SettlementMarketResult::Yes);
        assert_eq!(rec.yes_count_fp, Count::from_int(10));
        assert_eq!(rec.yes_total_cost_dollars, before.cost);
        assert_eq!(rec.no_count_fp, Count::ZERO);
        assert_eq!(rec.revenue, 1_000, "cents");
        let levels = f.e.levels(&ticker).unwrap();
        assert!(
            levels.yes.is_empty() && levels.no.is_empty(),
            "book emptied"
        );
        let events = f.e.take_events();
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::Position { msg, .. } if msg.position_fp.is_zero())));
        assert_eq!(
            f.e.settle(&ticker, Side::No, NOW + 2),
            Err(OrderError::MarketClosed(ticker.clone()))
        );
        assert!(matches!(
            f.e.place(f.bob, &req(BookSide::Bid, "0.50", "1"), NOW + 3),
            Err(OrderError::MarketClosed(_))
        ));
    }

    #[test]
    fn a_losing_no_position_realizes_its_cost() {
        let mut f = fx();
        let ticker = MarketTicker::from("KXTEST-1");
        // Bob sells 4 YES at 0.30 into the crowd's bid: he holds 4 NO bought at 0.70.
        f.e.place(f.crowd, &req(BookSide::Bid, "0.30", "4"), NOW)
            .unwrap();
        f.e.place(f.bob, &req(BookSide::Ask, "0.30", "4"), NOW)
            .unwrap();
        let before = f.e.position(f.bob, &ticker);
        assert_eq!(before.net, Count::from_int(-4));
        let cash_before = f.e.account(f.bob).unwrap().cash;
        assert_eq!(f.e.settle(&ticker, Side::Yes, NOW + 1), Ok(1));
        let a = f.e.account(f.bob).unwrap();
        assert_eq!(a.cash, cash_before, "the losing side is paid nothing");
        let rec = &a.settlements[0].settlement;
        assert_eq!(rec.no_count_fp, Count::from_int(4));
        assert_eq!(rec.no_total_cost_dollars, before.cost);
        assert_eq!(rec.revenue, 0);
        assert_eq!(
            f.e.position(f.bob, &ticker).realized_pnl,
            before.realized_pnl - before.cost
        );
    }
}
