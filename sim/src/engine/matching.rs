//! Matching: crossing an incoming order against the opposite ladder (price-time
//! priority), executing each fill at the resting price, and Kalshi's taker fee.

use shared::ids::{MarketTicker, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;
use shared::rest::SelfTradePrevention;
use shared::ws::FillMsg;

use super::{
    side_index, AccountId, AccountKind, Engine, Event, TradeRec, UpdateReason,
    TRADES_KEPT_PER_MARKET,
};

/// Kalshi's taker fee for `count` contracts at YES price `price`:
/// `ceil(0.07 × C × P × (1 − P))` rounded up to the next cent, exact integer math.
pub fn taker_fee(count: Count, price: Dollars) -> Dollars {
    // 0.07 × (c/100) × (p/1e6) × ((1e6 − p)/1e6) dollars, in cents:
    // 7 × c × p × (1e6 − p) / 1e14.
    let c = i128::from(count.raw().max(0));
    let p = i128::from(price.raw().clamp(0, Dollars::ONE.raw()));
    let numerator = 7 * c * p * (i128::from(Dollars::ONE.raw()) - p);
    let denominator: i128 = 100_000_000_000_000;
    let cents = (numerator + denominator - 1) / denominator;
    Dollars::from_cents(i64::try_from(cents).unwrap_or(i64::MAX / 10_000))
}

/// Volume-weighted average fill price and fee per contract, when anything filled.
pub(super) fn averages(
    filled: Count,
    cost: Dollars,
    fees: Dollars,
) -> (Option<Dollars>, Option<Dollars>) {
    if filled.raw() <= 0 {
        return (None, None);
    }
    let per = |total: Dollars| {
        let v = (i128::from(total.raw()) * 100) / i128::from(filled.raw());
        Dollars::from_raw(i64::try_from(v).unwrap_or(i64::MAX))
    };
    (Some(per(cost)), Some(per(fees)))
}

impl Engine {
    pub(super) fn closable(
        &self,
        account: AccountId,
        ticker: &MarketTicker,
        outcome: Side,
        count: Count,
    ) -> (Count, Count) {
        let p = self.position(account, ticker);
        let opposite = match outcome {
            Side::Yes => (-p.net).raw().max(0),
            Side::No => p.net.raw().max(0),
        };
        let free = (opposite - p.close_claimed[side_index(outcome)].raw()).max(0);
        (count.min(Count::from_raw(free)), Count::from_raw(opposite))
    }

    /// Matches taker order `key` (not on the book) against the opposite ladder, best level
    /// first, until it is filled, no longer crosses, or self-trade prevention stops it.
    /// Returns whether it was stopped, the YES notional filled and the taker fees.
    pub(super) fn cross(&mut self, key: u64, now_ms: i64) -> (bool, Dollars, Dollars) {
        let mut filled_cost = Dollars::ZERO;
        let mut fees = Dollars::ZERO;
        loop {
            let Some(o) = self.orders.get(&key) else {
                return (false, filled_cost, fees);
            };
            if o.remaining.raw() <= 0 {
                return (false, filled_cost, fees);
            }
            let (remaining, account, stp) = (o.remaining, o.account, o.stp);
            let (outcome, x) = (o.outcome(), o.leg_price());
            let Some(market) = self.markets.get(&o.ticker) else {
                return (false, filled_cost, fees);
            };
            let Some((&q, queue)) = market.queues[side_index(outcome.opposite())]
                .iter()
                .next_back()
            else {
                return (false, filled_cost, fees);
            };
            if q + x < Dollars::ONE {
                return (false, filled_cost, fees);
            }
            let Some(maker) = queue.front().and_then(|k| self.orders.get(k)) else {
                return (false, filled_cost, fees);
            };
            let maker_key = maker.key;
            if self.root(maker.account) == self.root(account) {
                match stp {
                    SelfTradePrevention::TakerAtCross => return (true, filled_cost, fees),
                    SelfTradePrevention::Maker => {
                        self.cancel_key(maker_key, now_ms, UpdateReason::SelfTrade);
                        continue;
                    }
                }
            }
            let mut f = remaining.min(maker.remaining);
            for room in [
                self.group_room(key, now_ms),
                self.group_room(maker_key, now_ms),
            ]
            .into_iter()
            .flatten()
            {
                f = f.min(room);
            }
            if f.raw() <= 0 {
                return (true, filled_cost, fees);
            }
            let (cost, fee) = self.execute(key, maker_key, f, q, now_ms);
            filled_cost += cost;
            fees += fee;
        }
    }

    /// Contracts the taker order `key` could fill right now (for fill-or-kill), honouring
    /// its self-trade prevention.
    pub(super) fn fillable(&self, key: u64) -> Count {
        let Some(o) = self.orders.get(&key) else {
            return Count::ZERO;
        };
        let Some(m) = self.markets.get(&o.ticker) else {
            return Count::ZERO;
        };
        let x = o.leg_price();
        let opp = o.outcome().opposite();
        let mut total = Count::ZERO;
        for (&q, queue) in m.queues[side_index(opp)].iter().rev() {
            if q + x < Dollars::ONE {
                break;
            }
            for k in queue {
                let Some(r) = self.orders.get(k) else {
                    continue;
                };
                if self.root(r.account) == self.root(o.account) {
                    match o.stp {
                        SelfTradePrevention::TakerAtCross => return total,
                        SelfTradePrevention::Maker => continue,
                    }
                }
                total += r.remaining;
                if total >= o.remaining {
                    return total;
                }
            }
        }
        total
    }

    /// Matches `f` contracts between taker `taker_key` and the maker at the front of level
    /// `q` (maker's leg price). Returns the YES notional of the fill and the taker's fee.
    fn execute(
        &mut self,
        taker_key: u64,
        maker_key: u64,
        f: Count,
        q: Dollars,
        now_ms: i64,
    ) -> (Dollars, Dollars) {
        let (Some(maker), Some(taker)) = (
            self.orders.get(&maker_key).cloned(),
            self.orders.get(&taker_key).cloned(),
        ) else {
            return (Dollars::ZERO, Dollars::ZERO);
        };
        let maker_side = maker.outcome();
        let taker_side = taker.outcome();
        let yes_price = match maker_side {
            Side::Yes => q,
            Side::No => q.complement(),
        };
        let taker_leg = q.complement();
        let fee = taker_fee(f, yes_price);
        let ticker = maker.ticker.clone();

        // Maker order and its level.
        if let Some(m) = self.orders.get_mut(&maker_key) {
            m.remaining -= f;
            m.filled += f;
            m.maker_fill_cost += q.times(f);
            m.updated_ms = now_ms;
            m.last_update_reason = UpdateReason::Trade;
            if m.remaining.raw() <= 0 {
                m.status = OrderStatus::Executed;
            }
        }
        let maker_done = self
            .orders
            .get(&maker_key)
            .is_some_and(|m| m.remaining.raw() <= 0);
        if let Some(market) = self.markets.get_mut(&ticker) {
            let _ = market.book.apply_delta(maker_side, q, -f);
            if maker_done {
                let ladder = &mut market.queues[side_index(maker_side)];
                if let Some(queue) = ladder.get_mut(&q) {
                    queue.retain(|k| *k != maker_key);
                    if queue.is_empty() {
                        ladder.remove(&q);
                    }
                }
            }
            self.events.push(Event::Delta {
                ticker: ticker.clone(),
                market_id: market.market_id.clone(),
                side: maker_side,
                price: q,
                delta: -f,
                owner: maker.account,
                client_order_id: maker.client_order_id.clone(),
                ts_ms: now_ms,
            });
        }
        self.release(maker_key, f);

        // Taker order.
        if let Some(t) = self.orders.get_mut(&taker_key) {
            t.remaining -= f;
            t.filled += f;
            t.taker_fill_cost += taker_leg.times(f);
            t.taker_fees += fee;
            t.updated_ms = now_ms;
            t.last_update_reason = UpdateReason::Trade;
        }

        // Money and positions.
        let maker_post = self.apply_fill(
            maker.account,
            &ticker,
            maker_side,
            q,
            f,
            Dollars::ZERO,
            now_ms,
        );
        let taker_post = self.apply_fill(
            taker.account,
            &ticker,
            taker_side,
            taker_leg,
            f,
            fee,
            now_ms,
        );

        // Trade.
        let trade = TradeRec {
            seq: self.next_trade_seq,
            trade_id: TradeId(uuid::Uuid::new_v4().to_string()),
            ticker: ticker.clone(),
            yes_price,
            count: f,
            taker_outcome: taker_side,
            ts_ms: now_ms,
        };
        self.next_trade_seq += 1;
        if let Some(market) = self.markets.get_mut(&ticker) {
            market.last_price = Some(yes_price);
            market.last_trade_size = f;
            market.volume += f;
            market.volume_notional += yes_price.times(f);
            market.trades.push_back(trade.clone());
            while market.trades.len() > TRADES_KEPT_PER_MARKET {
                market.trades.pop_front();
            }
            let bid = market.book.best_bid(Side::Yes).map(|(p, _)| p);
            let ask = market.book.best_ask(Side::Yes).map(|(p, _)| p);
            let oi = market.open_interest;
            market
                .candles
                .record_trade(now_ms, yes_price, f, bid, ask, oi);
        }
        self.events.push(Event::Trade(trade.clone()));

        for (order, is_taker, fee, post) in [
            (&maker, false, Dollars::ZERO, maker_post),
            (&taker, true, fee, taker_post),
        ] {
            if self.accounts.get(order.account as usize).map(|a| a.kind)
                != Some(AccountKind::Registered)
            {
                continue;
            }
            let outcome = order.outcome();
            let msg = FillMsg {
                trade_id: trade.trade_id.clone(),
                order_id: order.id.clone(),
                market_ticker: ticker.clone(),
                is_taker,
                yes_price_dollars: yes_price,
                count_fp: f,
                fee_cost: Some(fee),
                outcome_side: Some(outcome),
                book_side: Some(order.book_side),
                side: Some(outcome),
                action: Some("buy".to_owned()),
                purchased_side: Some(outcome),
                post_position_fp: Some(post),
                client_order_id: order.client_order_id.clone(),
                exchange_index: Some(0),
                subaccount: None,
                ts: Some(now_ms.div_euclid(1000)),
                ts_ms: Some(now_ms),
            };
            self.record_fill(order.account, &ticker, msg);
        }
        self.emit_user_order(maker_key);
        self.forget_if_done(maker_key);
        self.count_group_match(maker_key, f, now_ms);
        self.count_group_match(taker_key, f, now_ms);
        (yes_price.times(f), fee)
    }
}
