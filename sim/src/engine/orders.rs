//! Order lifecycle: place, cancel, amend, decrease, cancel all, expiry and queue
//! positions; resting an order, reserving and releasing its collateral, taking it off the
//! book; the `user_order` message.

use shared::api::schema::{
    AmendOrderV2Request, AmendOrderV2Response, DecreaseOrderV2Request, DecreaseOrderV2Response,
    OrderQueuePosition,
};
use shared::ids::{OrderId, Side};
use shared::num::{Count, Dollars};
use shared::rest::OrderStatus;
use shared::rest::{
    CancelOrderV2Response, CreateOrderV2Request, CreateOrderV2Response, TimeInForce,
};
use shared::ws::UserOrderMsg;

use super::matching::averages;
use super::{
    leg_price, side_index, taker_fee, AccountId, AccountKind, Engine, Event, MarketState,
    OrderError, OrderRec, UpdateReason,
};
use crate::wire::rfc3339_ms;

impl Engine {
    /// Places a Create Order V2 request for `account` at engine time `now_ms`.
    ///
    /// # Errors
    /// [`OrderError`] when the request is refused; nothing changes then.
    pub fn place(
        &mut self,
        account: AccountId,
        req: &CreateOrderV2Request,
        now_ms: i64,
    ) -> Result<CreateOrderV2Response, OrderError> {
        let kind = self
            .accounts
            .get(account as usize)
            .map(|a| a.kind)
            .ok_or(OrderError::Invalid("unknown account"))?;
        let market = self
            .markets
            .get(&req.ticker)
            .ok_or_else(|| OrderError::MarketNotFound(req.ticker.clone()))?;
        if !market.info.status.is_tradable() {
            return Err(OrderError::MarketClosed(req.ticker.clone()));
        }
        self.refuse_if_paused()?;
        if !req.price.is_valid_price() {
            return Err(OrderError::Invalid(
                "price must be strictly between 0 and 1",
            ));
        }
        if !market.info.grid().is_valid_price(req.price) {
            return Err(OrderError::Invalid("price is not on the market's tick"));
        }
        if req.count.raw() <= 0 {
            return Err(OrderError::Invalid("count must be positive"));
        }
        if req.count > Count::from_int(1_000_000) {
            return Err(OrderError::Invalid("count too large"));
        }
        let account = self.resolve_subaccount(account, req.subaccount.map(i64::from))?;
        let order_group = self.group_for_new_order(account, req.order_group_id.as_deref())?;
        let reduce_only = req.reduce_only.unwrap_or(false);
        if reduce_only && req.time_in_force != TimeInForce::ImmediateOrCancel {
            return Err(OrderError::Invalid(
                "reduce_only requires time_in_force immediate_or_cancel",
            ));
        }
        let post_only = req.post_only.unwrap_or(false);
        if post_only && req.time_in_force != TimeInForce::GoodTillCanceled {
            return Err(OrderError::Invalid(
                "post_only requires time_in_force good_till_canceled",
            ));
        }
        let expiration_ms = match req.expiration_time {
            None => None,
            Some(_) if req.time_in_force != TimeInForce::GoodTillCanceled => {
                return Err(OrderError::Invalid(
                    "expiration_time requires time_in_force good_till_canceled",
                ))
            }
            Some(secs) if secs.saturating_mul(1000) <= now_ms => {
                return Err(OrderError::Invalid("expiration_time is in the past"))
            }
            Some(secs) => Some(secs.saturating_mul(1000)),
        };
        if req.client_order_id.as_ref().is_some_and(|c| c.len() > 64) {
            return Err(OrderError::Invalid(
                "client_order_id longer than 64 characters",
            ));
        }

        let outcome = req.side.outcome();
        let x = leg_price(outcome, req.price);
        let crosses = market
            .book
            .best_bid(outcome.opposite())
            .is_some_and(|(q, _)| q + x >= Dollars::ONE);
        if post_only && crosses {
            return Err(OrderError::PostOnlyCross);
        }

        let mut count = req.count;
        if reduce_only {
            let net = self.position(account, &req.ticker).net;
            let closable = match outcome {
                Side::Yes => (-net).raw().max(0),
                Side::No => net.raw().max(0),
            };
            count = count.min(Count::from_raw(closable));
        }

        if kind == AccountKind::Registered {
            let (closable, _) = self.closable(account, &req.ticker, outcome, count);
            let mut need = x.times(count - closable);
            if crosses {
                need += taker_fee(count, req.price);
            }
            let available = self.accounts[account as usize].available();
            if need > available {
                return Err(OrderError::InsufficientBalance { need, available });
            }
        }

        // Accepted.
        let key = self.next_key;
        self.next_key += 1;
        let id = OrderId(uuid::Uuid::new_v4().to_string());
        let order = OrderRec {
            key,
            id: id.clone(),
            account,
            client_order_id: req.client_order_id.clone(),
            ticker: req.ticker.clone(),
            book_side: req.side,
            yes_price: req.price,
            initial: req.count,
            remaining: count,
            filled: Count::ZERO,
            status: OrderStatus::Resting,
            stp: req.self_trade_prevention_type,
            taker_fill_cost: Dollars::ZERO,
            maker_fill_cost: Dollars::ZERO,
            taker_fees: Dollars::ZERO,
            reserved: Dollars::ZERO,
            close_left: Count::ZERO,
            created_ms: now_ms,
            updated_ms: now_ms,
            expiration_ms,
            last_update_reason: UpdateReason::Placed,
            post_only,
            order_group: order_group.clone(),
            cancel_on_pause: req.cancel_order_on_pause.unwrap_or(false),
        };
        self.orders.insert(key, order);
        self.by_id.insert(id.clone(), key);
        if let Some(g) = order_group.as_ref().and_then(|g| self.groups.get_mut(g)) {
            g.orders.push(key);
        }
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.orders_received += 1;
            if kind == AccountKind::Registered {
                a.orders.push(key);
            }
        }

        let fok_ok = req.time_in_force != TimeInForce::FillOrKill || self.fillable(key) >= count;
        let (stopped, filled_cost, fees) = if fok_ok {
            self.cross(key, now_ms)
        } else {
            (true, Dollars::ZERO, Dollars::ZERO)
        };

        // Rest or cancel the remainder.
        let rest = !stopped && req.time_in_force == TimeInForce::GoodTillCanceled;
        let Some(o) = self.orders.get(&key) else {
            return Err(OrderError::OrderNotFound);
        };
        let remaining = o.remaining;
        let filled = o.filled;
        let client_order_id = o.client_order_id.clone();
        if remaining.raw() > 0 {
            if rest {
                self.rest(key, now_ms);
            } else if let Some(o) = self.orders.get_mut(&key) {
                o.remaining = Count::ZERO;
                o.status = OrderStatus::Canceled;
                o.updated_ms = now_ms;
                o.last_update_reason = UpdateReason::Canceled;
            }
        } else if let Some(o) = self.orders.get_mut(&key) {
            o.status = if o.filled == o.initial {
                OrderStatus::Executed
            } else {
                OrderStatus::Canceled
            };
        }
        if reduce_only && count < req.count {
            if let Some(o) = self.orders.get_mut(&key) {
                if o.status == OrderStatus::Executed {
                    o.status = OrderStatus::Canceled;
                }
            }
        }
        self.emit_user_order(key);
        self.emit_ticker_if_changed(&req.ticker, now_ms);
        let remaining_after = self.orders.get(&key).map_or(Count::ZERO, |o| o.remaining);
        self.forget_if_done(key);

        let (average_fill_price, average_fee_paid) = averages(filled, filled_cost, fees);
        Ok(CreateOrderV2Response {
            order_id: id,
            client_order_id,
            fill_count: filled,
            remaining_count: remaining_after,
            average_fill_price,
            average_fee_paid,
            ts_ms: now_ms,
        })
    }

    /// Cancels `account`'s resting order `id` (CancelOrderV2).
    ///
    /// # Errors
    /// [`OrderError::OrderNotFound`] when the order is unknown, someone else's or not resting.
    pub fn cancel(
        &mut self,
        account: AccountId,
        id: &OrderId,
        now_ms: i64,
    ) -> Result<CancelOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        let order = self.orders.get(&key).ok_or(OrderError::OrderNotFound)?;
        let client_order_id = order.client_order_id.clone();
        let ticker = order.ticker.clone();
        let reduced_by = self.cancel_key(key, now_ms, UpdateReason::Canceled);
        self.emit_ticker_if_changed(&ticker, now_ms);
        self.forget_if_done(key);
        Ok(CancelOrderV2Response {
            order_id: id.clone(),
            client_order_id,
            reduced_by,
            ts_ms: now_ms,
        })
    }

    /// `account`'s resting order `id`, by engine key.
    fn resting_key(&self, account: AccountId, id: &OrderId) -> Result<u64, OrderError> {
        let key = *self.by_id.get(id).ok_or(OrderError::OrderNotFound)?;
        let order = self.orders.get(&key).ok_or(OrderError::OrderNotFound)?;
        if order.account != account || order.status != OrderStatus::Resting {
            return Err(OrderError::OrderNotFound);
        }
        Ok(key)
    }

    /// Amends `account`'s resting order `id` (AmendOrderV2): a new price, a new total count
    /// (`filled + resting`), and/or a new expiry (`0` removes it).
    ///
    /// Same price and no more contracts keeps the order's place in its queue; a new price or
    /// a larger size takes it off the book and re-enters it like a new order (it may cross
    /// and fill, and then rests at the back of its level). Frames say `Amend`.
    ///
    /// # Errors
    /// [`OrderError`] when refused; nothing changes then.
    pub fn amend(
        &mut self,
        account: AccountId,
        id: &OrderId,
        req: &AmendOrderV2Request,
        now_ms: i64,
    ) -> Result<AmendOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        self.refuse_if_paused()?;
        let o = self
            .orders
            .get(&key)
            .cloned()
            .ok_or(OrderError::OrderNotFound)?;
        if !req.ticker.as_str().is_empty() && req.ticker != o.ticker {
            return Err(OrderError::Invalid("ticker does not match the order"));
        }
        if req.side.is_some_and(|s| s != o.book_side) {
            return Err(OrderError::Invalid("side does not match the order"));
        }
        if req
            .client_order_id
            .as_deref()
            .is_some_and(|c| !c.is_empty() && o.client_order_id.as_deref() != Some(c))
        {
            return Err(OrderError::Invalid(
                "client_order_id does not match the order",
            ));
        }
        if req
            .updated_client_order_id
            .as_ref()
            .is_some_and(|c| c.len() > 64)
        {
            return Err(OrderError::Invalid(
                "updated_client_order_id longer than 64 characters",
            ));
        }
        let market = self
            .markets
            .get(&o.ticker)
            .ok_or_else(|| OrderError::MarketNotFound(o.ticker.clone()))?;
        if !market.info.status.is_tradable() {
            return Err(OrderError::MarketClosed(o.ticker.clone()));
        }
        if !req.price.is_valid_price() {
            return Err(OrderError::Invalid(
                "price must be strictly between 0 and 1",
            ));
        }
        if !market.info.grid().is_valid_price(req.price) {
            return Err(OrderError::Invalid("price is not on the market's tick"));
        }
        if req.count <= o.filled {
            return Err(OrderError::Invalid(
                "count (the new total) must be more than the filled count",
            ));
        }
        if req.count > Count::from_int(1_000_000) {
            return Err(OrderError::Invalid("count too large"));
        }
        let expiration_ms = match req.expiration_time {
            None => o.expiration_ms,
            Some(0) => None,
            Some(secs) if secs.saturating_mul(1000) <= now_ms => {
                return Err(OrderError::Invalid("expiration_time is in the past"))
            }
            Some(secs) => Some(secs.saturating_mul(1000)),
        };
        let new_remaining = req.count - o.filled;
        let updated_client_order_id = req
            .updated_client_order_id
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| o.client_order_id.clone());

        if req.price == o.yes_price && new_remaining <= o.remaining {
            // Keeps its place in the queue.
            let by = o.remaining - new_remaining;
            if by.raw() > 0 {
                self.shrink(key, by, now_ms);
            }
            if let Some(r) = self.orders.get_mut(&key) {
                r.initial = req.count;
                r.expiration_ms = expiration_ms;
                r.client_order_id = updated_client_order_id.clone();
                r.updated_ms = now_ms;
                r.last_update_reason = UpdateReason::Amend;
            }
            self.emit_user_order(key);
            self.emit_ticker_if_changed(&o.ticker, now_ms);
            let changed = by.raw() > 0;
            return Ok(AmendOrderV2Response {
                order_id: id.clone(),
                client_order_id: updated_client_order_id,
                remaining_count: changed.then_some(new_remaining),
                fill_count: changed.then_some(Count::ZERO),
                average_fill_price: None,
                average_fee_paid: None,
                ts_ms: now_ms,
            });
        }

        // Loses its place: checked like a new order for the new price and size.
        let outcome = o.outcome();
        let x = leg_price(outcome, req.price);
        let crosses = market
            .book
            .best_bid(outcome.opposite())
            .is_some_and(|(q, _)| q + x >= Dollars::ONE);
        if o.post_only && crosses {
            return Err(OrderError::PostOnlyCross);
        }
        if self.accounts.get(account as usize).map(|a| a.kind) == Some(AccountKind::Registered) {
            let p = self.position(account, &o.ticker);
            let opposite = match outcome {
                Side::Yes => (-p.net).raw().max(0),
                Side::No => p.net.raw().max(0),
            };
            let claimed_by_others = (p.close_claimed[side_index(outcome)] - o.close_left)
                .raw()
                .max(0);
            let free = Count::from_raw((opposite - claimed_by_others).max(0));
            let mut need = x.times(new_remaining - new_remaining.min(free));
            if crosses {
                need += taker_fee(new_remaining, req.price);
            }
            let available = self.accounts[account as usize].available() + o.reserved;
            if need > available {
                return Err(OrderError::InsufficientBalance { need, available });
            }
        }

        self.unbook(key, now_ms);
        self.release_all(key);
        if let Some(r) = self.orders.get_mut(&key) {
            r.yes_price = req.price;
            r.remaining = new_remaining;
            r.initial = req.count;
            r.expiration_ms = expiration_ms;
            r.client_order_id = updated_client_order_id.clone();
            r.updated_ms = now_ms;
        }
        let (stopped, cost, fees) = self.cross(key, now_ms);
        let remaining = self.orders.get(&key).map_or(Count::ZERO, |r| r.remaining);
        if remaining.raw() > 0 && !stopped {
            self.rest(key, now_ms);
        } else if let Some(r) = self.orders.get_mut(&key) {
            r.status = if remaining.raw() > 0 {
                OrderStatus::Canceled
            } else {
                OrderStatus::Executed
            };
            r.remaining = Count::ZERO;
        }
        let (remaining, filled) = self
            .orders
            .get(&key)
            .map_or((Count::ZERO, Count::ZERO), |r| (r.remaining, r.filled));
        if let Some(r) = self.orders.get_mut(&key) {
            r.updated_ms = now_ms;
            r.last_update_reason = UpdateReason::Amend;
        }
        self.emit_user_order(key);
        self.emit_ticker_if_changed(&o.ticker, now_ms);
        self.forget_if_done(key);
        let fill_count = filled - o.filled;
        let (average_fill_price, average_fee_paid) = averages(fill_count, cost, fees);
        Ok(AmendOrderV2Response {
            order_id: id.clone(),
            client_order_id: updated_client_order_id,
            remaining_count: Some(remaining),
            fill_count: Some(fill_count),
            average_fill_price,
            average_fee_paid,
            ts_ms: now_ms,
        })
    }

    /// Decreases `account`'s resting order `id` (DecreaseOrderV2) by `reduce_by` or to
    /// `reduce_to` resting contracts, keeping its place in the queue; down to zero cancels
    /// it. Frames say `Decrease`.
    ///
    /// # Errors
    /// [`OrderError`] when refused; nothing changes then.
    pub fn decrease(
        &mut self,
        account: AccountId,
        id: &OrderId,
        req: &DecreaseOrderV2Request,
        now_ms: i64,
    ) -> Result<DecreaseOrderV2Response, OrderError> {
        let key = self.resting_key(account, id)?;
        let o = self
            .orders
            .get(&key)
            .cloned()
            .ok_or(OrderError::OrderNotFound)?;
        if req
            .market_ticker
            .as_ref()
            .is_some_and(|t| !t.as_str().is_empty() && *t != o.ticker)
        {
            return Err(OrderError::Invalid(
                "market_ticker does not match the order",
            ));
        }
        let by = match (req.reduce_by, req.reduce_to) {
            (Some(by), None) if by.raw() > 0 => by.min(o.remaining),
            (Some(_), None) => return Err(OrderError::Invalid("reduce_by must be positive")),
            (None, Some(to)) if to.raw() >= 0 && to < o.remaining => o.remaining - to,
            (None, Some(_)) => {
                return Err(OrderError::Invalid(
                    "reduce_to must be at least 0 and less than the resting count",
                ))
            }
            _ => {
                return Err(OrderError::Invalid(
                    "exactly one of reduce_by or reduce_to is required",
                ))
            }
        };
        if by >= o.remaining {
            self.cancel_key(key, now_ms, UpdateReason::Decrease);
        } else {
            self.shrink(key, by, now_ms);
            if let Some(r) = self.orders.get_mut(&key) {
                r.updated_ms = now_ms;
                r.last_update_reason = UpdateReason::Decrease;
            }
            self.emit_user_order(key);
        }
        self.emit_ticker_if_changed(&o.ticker, now_ms);
        let remaining_count = self.orders.get(&key).map_or(Count::ZERO, |r| r.remaining);
        self.forget_if_done(key);
        Ok(DecreaseOrderV2Response {
            order_id: id.clone(),
            client_order_id: o.client_order_id,
            remaining_count,
            ts_ms: now_ms,
        })
    }

    /// Cancels every resting order of `account` (CancelAllOrders); returns how many.
    pub fn cancel_all(&mut self, account: AccountId, now_ms: i64) -> usize {
        let keys: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.account == account && o.status == OrderStatus::Resting)
            .map(|o| o.key)
            .collect();
        let mut tickers = Vec::new();
        for &key in &keys {
            if let Some(o) = self.orders.get(&key) {
                if !tickers.contains(&o.ticker) {
                    tickers.push(o.ticker.clone());
                }
            }
            self.cancel_key(key, now_ms, UpdateReason::Canceled);
            self.forget_if_done(key);
        }
        for t in &tickers {
            self.emit_ticker_if_changed(t, now_ms);
        }
        keys.len()
    }

    /// Contracts ahead of resting order `key` at its price level (price-time priority).
    pub fn queue_position(&self, key: u64) -> Option<Count> {
        let o = self.orders.get(&key)?;
        if o.status != OrderStatus::Resting {
            return None;
        }
        let queue =
            self.markets.get(&o.ticker)?.queues[side_index(o.outcome())].get(&o.leg_price())?;
        let mut ahead = Count::ZERO;
        for k in queue {
            if *k == key {
                return Some(ahead);
            }
            ahead += self.orders.get(k).map_or(Count::ZERO, |r| r.remaining);
        }
        None
    }

    /// Queue positions of `account`'s resting orders (GetOrderQueuePositions), oldest
    /// first, in the markets `keep` accepts.
    pub fn queue_positions(
        &self,
        account: AccountId,
        keep: impl Fn(&MarketState) -> bool,
    ) -> Vec<OrderQueuePosition> {
        let Some(a) = self.accounts.get(account as usize) else {
            return Vec::new();
        };
        a.orders
            .iter()
            .filter_map(|&key| {
                let o = self.orders.get(&key)?;
                if !self.markets.get(&o.ticker).is_some_and(&keep) {
                    return None;
                }
                Some(OrderQueuePosition {
                    order_id: o.id.clone(),
                    market_ticker: o.ticker.clone(),
                    queue_position_fp: self.queue_position(key)?,
                })
            })
            .collect()
    }

    /// Cancels resting orders whose `expiration_time` has passed; returns how many.
    pub fn expire(&mut self, now_ms: i64) -> usize {
        let due: Vec<u64> = self
            .orders
            .values()
            .filter(|o| {
                o.status == OrderStatus::Resting && o.expiration_ms.is_some_and(|e| e <= now_ms)
            })
            .map(|o| o.key)
            .collect();
        for &key in &due {
            let ticker = self.orders.get(&key).map(|o| o.ticker.clone());
            self.cancel_key(key, now_ms, UpdateReason::Expiry);
            if let Some(t) = ticker {
                self.emit_ticker_if_changed(&t, now_ms);
            }
            self.forget_if_done(key);
        }
        due.len()
    }

    /// The `user_order` message for an order.
    pub fn user_order_msg(&self, key: u64) -> Option<UserOrderMsg> {
        let o = self.orders.get(&key)?;
        let outcome = o.outcome();
        Some(UserOrderMsg {
            order_id: o.id.clone(),
            user_id: self
                .accounts
                .get(o.account as usize)
                .map(|a| a.user_id.clone()),
            ticker: o.ticker.clone(),
            status: o.status,
            outcome_side: Some(outcome),
            book_side: Some(o.book_side),
            side: Some(outcome),
            yes_price_dollars: o.yes_price,
            fill_count_fp: o.filled,
            remaining_count_fp: o.remaining,
            initial_count_fp: o.initial,
            client_order_id: Some(o.client_order_id.clone().unwrap_or_default()),
            order_group_id: o.order_group.clone(),
            created_ts_ms: Some(o.created_ms),
            last_updated_ts_ms: Some(o.updated_ms),
            last_update_reason: o.last_update_reason.kalshi().map(str::to_owned),
            subaccount_number: Some(self.subaccount_number(o.account)),
            exchange_index: Some(0),
            is_yes: Some(outcome == Side::Yes),
            taker_fill_cost_dollars: Some(o.taker_fill_cost),
            maker_fill_cost_dollars: Some(o.maker_fill_cost),
            taker_fees_dollars: Some(o.taker_fees),
            maker_fees_dollars: Some(Dollars::ZERO),
            created_time: Some(rfc3339_ms(o.created_ms)),
            self_trade_prevention_type: Some(o.stp),
        })
    }

    // ----- internals -------------------------------------------------------------------

    /// Puts the remainder of order `key` on the book and reserves its collateral.
    fn rest(&mut self, key: u64, now_ms: i64) {
        let Some(o) = self.orders.get(&key).cloned() else {
            return;
        };
        let outcome = o.outcome();
        let x = o.leg_price();
        if self.accounts.get(o.account as usize).map(|a| a.kind) == Some(AccountKind::Registered) {
            let (closable, _) = self.closable(o.account, &o.ticker, outcome, o.remaining);
            let reserve = x.times(o.remaining - closable);
            if let Some(a) = self.accounts.get_mut(o.account as usize) {
                a.reserved += reserve;
                a.positions
                    .entry(o.ticker.clone())
                    .or_default()
                    .close_claimed[side_index(outcome)] += closable;
            }
            if let Some(r) = self.orders.get_mut(&key) {
                r.reserved = reserve;
                r.close_left = closable;
            }
        }
        if let Some(market) = self.markets.get_mut(&o.ticker) {
            let _ = market.book.apply_delta(outcome, x, o.remaining);
            market.queues[side_index(outcome)]
                .entry(x)
                .or_default()
                .push_back(key);
            self.events.push(Event::Delta {
                ticker: o.ticker.clone(),
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: o.remaining,
                owner: o.account,
                client_order_id: o.client_order_id.clone(),
                ts_ms: now_ms,
            });
        }
        if let Some(r) = self.orders.get_mut(&key) {
            r.status = OrderStatus::Resting;
            r.updated_ms = now_ms;
        }
    }

    /// Releases collateral for `f` filled contracts of resting order `key` (closing part
    /// first), and everything left once the order is done.
    pub(super) fn release(&mut self, key: u64, f: Count) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let outcome = o.outcome();
        let from_close = f.min(o.close_left);
        o.close_left -= from_close;
        let from_open = f - from_close;
        let mut release = o.leg_price().times(from_open).min(o.reserved);
        let mut unclaim = from_close;
        if o.remaining.raw() <= 0 || o.status != OrderStatus::Resting {
            release = o.reserved;
            unclaim += o.close_left;
            o.close_left = Count::ZERO;
        }
        o.reserved -= release;
        let (account, ticker) = (o.account, o.ticker.clone());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(outcome)];
                *c = Count::from_raw((*c - unclaim).raw().max(0));
            }
        }
    }

    /// Removes resting order `key` from its book; returns the contracts removed.
    pub(super) fn cancel_key(&mut self, key: u64, now_ms: i64, reason: UpdateReason) -> Count {
        let Some(o) = self.orders.get(&key) else {
            return Count::ZERO;
        };
        if o.status != OrderStatus::Resting {
            return Count::ZERO;
        }
        let removed = o.remaining;
        self.unbook(key, now_ms);
        if let Some(r) = self.orders.get_mut(&key) {
            r.remaining = Count::ZERO;
            r.status = OrderStatus::Canceled;
            r.updated_ms = now_ms;
            r.last_update_reason = reason;
        }
        self.release(key, Count::ZERO);
        self.emit_user_order(key);
        removed
    }

    /// Takes order `key` out of its level's queue and its resting contracts off the book
    /// (one delta); the order record itself is unchanged.
    fn unbook(&mut self, key: u64, now_ms: i64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        let (outcome, x, removed) = (o.outcome(), o.leg_price(), o.remaining);
        let (ticker, owner, client_order_id) =
            (o.ticker.clone(), o.account, o.client_order_id.clone());
        let Some(market) = self.markets.get_mut(&ticker) else {
            return;
        };
        let ladder = &mut market.queues[side_index(outcome)];
        let mut on_book = false;
        if let Some(queue) = ladder.get_mut(&x) {
            let before = queue.len();
            queue.retain(|k| *k != key);
            on_book = queue.len() != before;
            if queue.is_empty() {
                ladder.remove(&x);
            }
        }
        if on_book && removed.raw() > 0 {
            let _ = market.book.apply_delta(outcome, x, -removed);
            self.events.push(Event::Delta {
                ticker,
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: -removed,
                owner,
                client_order_id,
                ts_ms: now_ms,
            });
        }
    }

    /// Releases all collateral and position claims of order `key` (it is about to re-rest
    /// or is done).
    fn release_all(&mut self, key: u64) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let (release, unclaim) = (o.reserved, o.close_left);
        o.reserved = Dollars::ZERO;
        o.close_left = Count::ZERO;
        let (account, ticker, side) = (o.account, o.ticker.clone(), o.outcome());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(side)];
                *c = Count::from_raw((*c - unclaim).raw().max(0));
            }
        }
    }

    /// Takes `by` (less than its resting count) contracts off resting order `key` in place,
    /// keeping its queue position; releases their collateral (opening part first).
    fn shrink(&mut self, key: u64, by: Count, now_ms: i64) {
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        let by = by.min(o.remaining);
        let (outcome, x) = (o.outcome(), o.leg_price());
        let open = Count::from_raw((o.remaining - o.close_left).raw().max(0));
        let from_open = by.min(open);
        let from_close = by - from_open;
        let release = x.times(from_open).min(o.reserved);
        o.remaining -= by;
        o.reserved -= release;
        o.close_left = Count::from_raw((o.close_left - from_close).raw().max(0));
        let (account, ticker, client_order_id) =
            (o.account, o.ticker.clone(), o.client_order_id.clone());
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.reserved -= release;
            if let Some(p) = a.positions.get_mut(&ticker) {
                let c = &mut p.close_claimed[side_index(outcome)];
                *c = Count::from_raw((*c - from_close).raw().max(0));
            }
        }
        if let Some(market) = self.markets.get_mut(&ticker) {
            let _ = market.book.apply_delta(outcome, x, -by);
            self.events.push(Event::Delta {
                ticker,
                market_id: market.market_id.clone(),
                side: outcome,
                price: x,
                delta: -by,
                owner: account,
                client_order_id,
                ts_ms: now_ms,
            });
        }
    }

    /// Drops a finished participant order from the maps (registered orders are kept).
    pub(super) fn forget_if_done(&mut self, key: u64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        if o.status == OrderStatus::Resting {
            return;
        }
        if self.accounts.get(o.account as usize).map(|a| a.kind) == Some(AccountKind::Participant) {
            if let Some(o) = self.orders.remove(&key) {
                self.by_id.remove(&o.id);
            }
        }
    }

    pub(super) fn emit_user_order(&mut self, key: u64) {
        let Some(o) = self.orders.get(&key) else {
            return;
        };
        if self.accounts.get(o.account as usize).map(|a| a.kind) != Some(AccountKind::Registered) {
            return;
        }
        let account = self.root(o.account);
        if let Some(msg) = self.user_order_msg(key) {
            self.events.push(Event::UserOrder {
                account,
                msg: Box::new(msg),
            });
        }
    }
}
