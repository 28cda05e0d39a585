//! Order groups (Kalshi's `/portfolio/order_groups` operations and the
//! `order_group_updates` channel).
//!
//! A group belongs to one subaccount of a user and has a contracts limit. Every contract
//! an order of the group matches (as maker or taker) counts toward the limit over a
//! rolling [`GROUP_WINDOW_MS`] window; when the matched contracts reach the limit the group
//! **triggers**: every resting order of the group is cancelled (`last_update_reason`
//! `OrderGroupTriggered`), and new orders into the group are refused
//! ([`OrderError::GroupTriggered`]) until the group is **reset**, which also clears the
//! matched counter. A trader can trigger a group by hand, lower or raise its limit (a
//! limit at or below what already matched in the window triggers it at once), and delete
//! it (its resting orders are cancelled). An order that triggers its own group while
//! taking liquidity matches only up to the limit; the rest of it is cancelled.
//!
//! The spec's `is_auto_cancel_enabled` is served as "armed": `true` until the group
//! triggers, `false` from then until it is reset.

use std::collections::VecDeque;

use shared::num::Count;
use shared::rest::OrderStatus;
use shared::ws::{OrderGroupUpdatesMsg, OrderGroupUpdatesMsgEventType};

use super::{AccountId, Engine, Event, OrderError, UpdateReason};

/// The rolling window over which a group's matched contracts count, ms (Kalshi: 15 s).
pub const GROUP_WINDOW_MS: i64 = 15_000;

/// One order group.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderGroupRec {
    /// Group id (UUID).
    pub id: String,
    /// The subaccount's account that owns it.
    pub account: AccountId,
    /// Contracts limit over the window (whole contracts, at least 1).
    pub limit: Count,
    /// Matched contracts in the window: (engine time ms, contracts), oldest first.
    window: VecDeque<(i64, Count)>,
    /// True from a trigger until a reset.
    pub triggered: bool,
    /// Engine keys of the orders placed into it, oldest first.
    pub orders: Vec<u64>,
}

impl OrderGroupRec {
    /// Contracts matched in the window ending at `now_ms`.
    pub fn matched(&self, now_ms: i64) -> Count {
        self.window
            .iter()
            .filter(|(t, _)| *t > now_ms - GROUP_WINDOW_MS)
            .fold(Count::ZERO, |a, (_, c)| a + *c)
    }
    fn prune(&mut self, now_ms: i64) {
        while self
            .window
            .front()
            .is_some_and(|(t, _)| *t <= now_ms - GROUP_WINDOW_MS)
        {
            self.window.pop_front();
        }
    }
}

/// A valid group limit: whole contracts, at least one.
///
/// # Errors
/// [`OrderError::Invalid`] otherwise.
pub fn check_limit(limit: Count) -> Result<Count, OrderError> {
    if limit.raw() < Count::from_int(1).raw() || limit.raw() % Count::from_int(1).raw() != 0 {
        return Err(OrderError::Invalid(
            "contracts_limit must be a whole number of contracts, at least 1",
        ));
    }
    if limit > Count::from_int(1_000_000) {
        return Err(OrderError::Invalid("contracts_limit too large"));
    }
    Ok(limit)
}

impl Engine {
    /// Creates an order group for subaccount `subaccount` (`None` = primary) of the user
    /// `root` (CreateOrderGroup); returns its id and subaccount number.
    ///
    /// # Errors
    /// An unknown subaccount or a limit that is not a whole number ≥ 1.
    pub fn create_group(
        &mut self,
        root: AccountId,
        subaccount: Option<i64>,
        limit: Count,
        now_ms: i64,
    ) -> Result<(String, u32), OrderError> {
        let account = self.resolve_subaccount(root, subaccount)?;
        let limit = check_limit(limit)?;
        let id = uuid::Uuid::new_v4().to_string();
        self.groups.insert(
            id.clone(),
            OrderGroupRec {
                id: id.clone(),
                account,
                limit,
                window: VecDeque::new(),
                triggered: false,
                orders: Vec::new(),
            },
        );
        self.emit_group(&id, OrderGroupUpdatesMsgEventType::Created, now_ms);
        Ok((id, self.subaccount_number(account)))
    }

    /// The user's groups, in id order: of one subaccount, or of all (`None`).
    ///
    /// # Errors
    /// An unknown subaccount.
    pub fn groups_of(
        &self,
        root: AccountId,
        subaccount: Option<i64>,
    ) -> Result<Vec<&OrderGroupRec>, OrderError> {
        let only = subaccount
            .map(|n| self.resolve_subaccount(root, Some(n)))
            .transpose()?;
        let root = self.root(root);
        Ok(self
            .groups
            .values()
            .filter(|g| self.root(g.account) == root && only.is_none_or(|a| a == g.account))
            .collect())
    }

    /// One group of the user: in subaccount `subaccount`, or in any of the user's
    /// subaccounts when `None`.
    ///
    /// # Errors
    /// [`OrderError::GroupNotFound`] for an unknown id, another user's group or a group of
    /// another subaccount; an unknown subaccount.
    pub fn group(
        &self,
        root: AccountId,
        id: &str,
        subaccount: Option<i64>,
    ) -> Result<&OrderGroupRec, OrderError> {
        let only = subaccount
            .map(|n| self.resolve_subaccount(root, Some(n)))
            .transpose()?;
        let g = self.groups.get(id).ok_or(OrderError::GroupNotFound)?;
        if self.root(g.account) != self.root(root) || only.is_some_and(|a| a != g.account) {
            return Err(OrderError::GroupNotFound);
        }
        Ok(g)
    }

    /// Resting order ids of a group, oldest first.
    pub fn group_resting_orders(&self, g: &OrderGroupRec) -> Vec<shared::ids::OrderId> {
        g.orders
            .iter()
            .filter_map(|k| self.orders.get(k))
            .filter(|o| o.status == OrderStatus::Resting)
            .map(|o| o.id.clone())
            .collect()
    }

    /// Triggers group `id` of subaccount `subaccount` (default primary) by hand
    /// (TriggerOrderGroup): cancels its resting orders and blocks new ones until a reset.
    /// Triggering a triggered group changes nothing.
    ///
    /// # Errors
    /// As [`Engine::group`].
    pub fn trigger_group(
        &mut self,
        root: AccountId,
        id: &str,
        subaccount: Option<i64>,
        now_ms: i64,
    ) -> Result<(), OrderError> {
        self.group(root, id, Some(subaccount.unwrap_or(0)))?;
        self.fire(id, now_ms);
        Ok(())
    }

    /// Resets group `id` (ResetOrderGroup): clears the matched counter and takes orders
    /// again.
    ///
    /// # Errors
    /// As [`Engine::group`].
    pub fn reset_group(
        &mut self,
        root: AccountId,
        id: &str,
        subaccount: Option<i64>,
        now_ms: i64,
    ) -> Result<(), OrderError> {
        self.group(root, id, Some(subaccount.unwrap_or(0)))?;
        if let Some(g) = self.groups.get_mut(id) {
            g.window.clear();
            g.triggered = false;
        }
        self.emit_group(id, OrderGroupUpdatesMsgEventType::Reset, now_ms);
        Ok(())
    }

    /// Deletes group `id` (DeleteOrderGroup), cancelling its resting orders.
    ///
    /// # Errors
    /// As [`Engine::group`].
    pub fn delete_group(
        &mut self,
        root: AccountId,
        id: &str,
        subaccount: Option<i64>,
        now_ms: i64,
    ) -> Result<(), OrderError> {
        self.group(root, id, Some(subaccount.unwrap_or(0)))?;
        self.cancel_group_orders(id, now_ms, UpdateReason::OrderGroupDeleted);
        self.emit_group(id, OrderGroupUpdatesMsgEventType::Deleted, now_ms);
        self.groups.remove(id);
        Ok(())
    }

    /// Sets group `id`'s contracts limit (UpdateOrderGroupLimit); a limit at or below the
    /// contracts already matched in the window triggers the group.
    ///
    /// # Errors
    /// As [`Engine::group`], or an invalid limit.
    pub fn set_group_limit(
        &mut self,
        root: AccountId,
        id: &str,
        subaccount: Option<i64>,
        limit: Count,
        now_ms: i64,
    ) -> Result<(), OrderError> {
        self.group(root, id, Some(subaccount.unwrap_or(0)))?;
        let limit = check_limit(limit)?;
        let hit = match self.groups.get_mut(id) {
            Some(g) => {
                g.limit = limit;
                g.prune(now_ms);
                !g.triggered && g.matched(now_ms) >= limit
            }
            None => false,
        };
        self.emit_group(id, OrderGroupUpdatesMsgEventType::LimitUpdated, now_ms);
        if hit {
            self.fire(id, now_ms);
        }
        Ok(())
    }

    /// Checks `order_group_id` of a new order of `account`: the group must be the same
    /// subaccount's and not triggered. Returns the id to record on the order.
    pub(super) fn group_for_new_order(
        &self,
        account: AccountId,
        id: Option<&str>,
    ) -> Result<Option<String>, OrderError> {
        let Some(id) = id.filter(|g| !g.is_empty()) else {
            return Ok(None);
        };
        let g = self.groups.get(id).ok_or(OrderError::GroupNotFound)?;
        if g.account != account {
            return Err(OrderError::GroupNotFound);
        }
        if g.triggered {
            return Err(OrderError::GroupTriggered(id.to_owned()));
        }
        Ok(Some(id.to_owned()))
    }

    /// Counts `f` contracts matched by order `key` toward its group's limit; triggers the
    /// group when the limit is reached.
    pub(super) fn count_group_match(&mut self, key: u64, f: Count, now_ms: i64) {
        let Some(id) = self.orders.get(&key).and_then(|o| o.order_group.clone()) else {
            return;
        };
        let hit = match self.groups.get_mut(&id) {
            Some(g) => {
                g.prune(now_ms);
                g.window.push_back((now_ms, f));
                !g.triggered && g.matched(now_ms) >= g.limit
            }
            None => false,
        };
        if hit {
            self.fire(&id, now_ms);
        }
    }

    /// Contracts order `key` may still match before its group's limit (`None` without a
    /// group): a match is cut to this so that a group never matches past its limit.
    pub(super) fn group_room(&self, key: u64, now_ms: i64) -> Option<Count> {
        let id = self.orders.get(&key)?.order_group.as_ref()?;
        let g = self.groups.get(id)?;
        let room = g.limit - g.matched(now_ms);
        Some(if room.is_negative() {
            Count::ZERO
        } else {
            room
        })
    }

    /// Marks group `id` triggered, emits `triggered`, then cancels its resting orders.
    fn fire(&mut self, id: &str, now_ms: i64) {
        match self.groups.get_mut(id) {
            Some(g) if !g.triggered => g.triggered = true,
            _ => return,
        }
        self.emit_group(id, OrderGroupUpdatesMsgEventType::Triggered, now_ms);
        self.cancel_group_orders(id, now_ms, UpdateReason::OrderGroupTriggered);
    }

    fn cancel_group_orders(&mut self, id: &str, now_ms: i64, reason: UpdateReason) {
        let keys = self
            .groups
            .get(id)
            .map(|g| g.orders.clone())
            .unwrap_or_default();
        let mut tickers = Vec::new();
        for key in keys {
            let Some(o) = self.orders.get(&key) else {
                continue;
            };
            if o.status != OrderStatus::Resting {
                continue;
            }
            if !tickers.contains(&o.ticker) {
                tickers.push(o.ticker.clone());
            }
            self.cancel_key(key, now_ms, reason);
        }
        for t in &tickers {
            self.emit_ticker_if_changed(t, now_ms);
        }
        if let Some(g) = self.groups.get_mut(id) {
            let orders = &self.orders;
            g.orders.retain(|k| {
                orders
                    .get(k)
                    .is_some_and(|o| o.status == OrderStatus::Resting)
            });
        }
    }

    fn emit_group(&mut self, id: &str, event_type: OrderGroupUpdatesMsgEventType, now_ms: i64) {
        let Some(g) = self.groups.get(id) else {
            return;
        };
        let with_limit = matches!(
            event_type,
            OrderGroupUpdatesMsgEventType::Created | OrderGroupUpdatesMsgEventType::LimitUpdated
        );
        let msg = OrderGroupUpdatesMsg {
            event_type,
            order_group_id: id.to_owned(),
            contracts_limit_fp: with_limit.then_some(g.limit),
            ts_ms: now_ms,
        };
        let account = self.root(g.account);
        self.events.push(Event::OrderGroup { account, msg });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fx, req};
    use super::*;
    use shared::ids::BookSide;

    const NOW: i64 = 1_780_000_000_000;
    const T: &str = "KXTEST-1";

    fn n(i: i64) -> Count {
        Count::from_int(i)
    }

    fn group_events(e: &mut Engine) -> Vec<OrderGroupUpdatesMsgEventType> {
        e.take_events()
            .into_iter()
            .filter_map(|ev| match ev {
                Event::OrderGroup { msg, .. } => Some(msg.event_type),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn limits_must_be_whole_contracts() {
        let mut f = fx();
        for bad in ["0", "-1", "1.5", "0.01"] {
            let c: Count = bad.parse().unwrap();
            assert!(f.e.create_group(f.alice, None, c, NOW).is_err(), "{bad}");
        }
        assert!(
            f.e.create_group(f.alice, Some(1), n(5), NOW).is_err(),
            "no subaccount 1"
        );
        let (id, sub) = f.e.create_group(f.alice, None, n(5), NOW).unwrap();
        assert_eq!(sub, 0);
        assert_eq!(f.e.group(f.alice, &id, None).unwrap().limit, n(5));
        assert_eq!(f.e.group(f.bob, &id, None), Err(OrderError::GroupNotFound));
        assert_eq!(
            group_events(&mut f.e),
            vec![OrderGroupUpdatesMsgEventType::Created]
        );
    }

    #[test]
    fn hitting_the_limit_triggers_cancels_and_blocks_until_reset() {
        let mut f = fx();
        let (g, _) = f.e.create_group(f.alice, None, n(10), NOW).unwrap();
        let mut a = req(BookSide::Bid, "0.40", "6");
        a.order_group_id = Some(g.clone());
        let first = f.e.place(f.alice, &a, NOW).unwrap();
        let mut b = req(BookSide::Bid, "0.39", "20");
        b.order_group_id = Some(g.clone());
        let second = f.e.place(f.alice, &b, NOW).unwrap();
        assert_eq!(
            f.e.group_resting_orders(f.e.group(f.alice, &g, None).unwrap())
                .len(),
            2
        );
        group_events(&mut f.e);

        // 6 contracts match: below the limit.
        f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "6"), NOW + 1)
            .unwrap();
        assert!(!f.e.group(f.alice, &g, None).unwrap().triggered);
        assert!(group_events(&mut f.e).is_empty());

        // 4 more reach 10: the group triggers and its other order is cancelled.
        f.e.place(f.crowd, &req(BookSide::Ask, "0.39", "4"), NOW + 2)
            .unwrap();
        let group = f.e.group(f.alice, &g, None).unwrap();
        assert!(group.triggered);
        assert_eq!(group.matched(NOW + 2), n(10));
        let o = f.e.order_by_id(&second.order_id).unwrap();
        assert_eq!(o.status, OrderStatus::Canceled);
        assert_eq!(o.filled, n(4));
        assert_eq!(o.last_update_reason, UpdateReason::OrderGroupTriggered);
        assert_eq!(
            f.e.order_by_id(&first.order_id).unwrap().status,
            OrderStatus::Executed
        );
        assert!(f.e.levels(&T.into()).unwrap().yes.is_empty());
        assert_eq!(
            group_events(&mut f.e),
            vec![OrderGroupUpdatesMsgEventType::Triggered]
        );
        assert_eq!(
            f.e.account(f.alice).unwrap().reserved,
            shared::num::Dollars::ZERO
        );

        // Blocked until reset.
        assert_eq!(
            f.e.place(f.alice, &a, NOW + 3),
            Err(OrderError::GroupTriggered(g.clone()))
        );
        f.e.reset_group(f.alice, &g, None, NOW + 4).unwrap();
        assert_eq!(
            f.e.group(f.alice, &g, None).unwrap().matched(NOW + 4),
            Count::ZERO
        );
        assert!(f.e.place(f.alice, &a, NOW + 5).is_ok());
        assert_eq!(
            group_events(&mut f.e),
            vec![OrderGroupUpdatesMsgEventType::Reset]
        );
    }

    #[test]
    fn a_taker_that_triggers_its_group_stops_and_the_window_rolls() {
        let mut f = fx();
        let (g, _) = f.e.create_group(f.alice, None, n(5), NOW).unwrap();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "3"), NOW)
            .unwrap();
        f.e.place(f.crowd, &req(BookSide::Ask, "0.51", "10"), NOW)
            .unwrap();
        // 3 match now; they leave the window after 15 s.
        let mut t = req(BookSide::Bid, "0.50", "3");
        t.order_group_id = Some(g.clone());
        f.e.place(f.alice, &t, NOW).unwrap();
        let later = NOW + GROUP_WINDOW_MS + 1;
        assert_eq!(
            f.e.group(f.alice, &g, None).unwrap().matched(later),
            Count::ZERO
        );
        // A taker for 8 matches only the 5 its group allows; the rest is cancelled.
        let mut big = req(BookSide::Bid, "0.51", "8");
        big.order_group_id = Some(g.clone());
        let out = f.e.place(f.alice, &big, later).unwrap();
        assert_eq!(out.fill_count, n(5));
        assert_eq!(out.remaining_count, Count::ZERO);
        assert!(f.e.group(f.alice, &g, None).unwrap().triggered);
        assert_eq!(
            f.e.order_by_id(&out.order_id).unwrap().status,
            OrderStatus::Canceled
        );
    }

    #[test]
    fn manual_trigger_limit_change_delete_and_subaccount_scope() {
        let mut f = fx();
        f.e.create_subaccount(f.alice, NOW).unwrap();
        f.e.transfer(f.alice, "fund", 0, 1, 5_000, NOW).unwrap();
        let (g, sub) = f.e.create_group(f.alice, Some(1), n(100), NOW).unwrap();
        assert_eq!(sub, 1);
        // The group is subaccount 1's: primary orders cannot use it, primary-default
        // operations do not find it.
        let mut o = req(BookSide::Bid, "0.30", "5");
        o.order_group_id = Some(g.clone());
        assert_eq!(f.e.place(f.alice, &o, NOW), Err(OrderError::GroupNotFound));
        assert_eq!(
            f.e.trigger_group(f.alice, &g, None, NOW),
            Err(OrderError::GroupNotFound)
        );
        assert_eq!(f.e.groups_of(f.alice, Some(0)).unwrap().len(), 0);
        assert_eq!(f.e.groups_of(f.alice, Some(1)).unwrap().len(), 1);
        assert_eq!(f.e.groups_of(f.alice, None).unwrap().len(), 1);
        o.subaccount = Some(1);
        let placed = f.e.place(f.alice, &o, NOW).unwrap();
        group_events(&mut f.e);

        // Manual trigger cancels.
        f.e.trigger_group(f.alice, &g, Some(1), NOW).unwrap();
        assert_eq!(
            f.e.order_by_id(&placed.order_id).unwrap().status,
            OrderStatus::Canceled
        );
        f.e.reset_group(f.alice, &g, Some(1), NOW).unwrap();
        let again = f.e.place(f.alice, &o, NOW).unwrap();
        // 5 match; lowering the limit to 5 triggers at once.
        f.e.place(f.crowd, &req(BookSide::Ask, "0.30", "5"), NOW)
            .unwrap();
        let mut third = o.clone();
        third.price = "0.20".parse().unwrap();
        let third = f.e.place(f.alice, &third, NOW).unwrap();
        assert_eq!(f.e.order_by_id(&again.order_id).unwrap().filled, n(5));
        group_events(&mut f.e);
        f.e.set_group_limit(f.alice, &g, Some(1), n(6), NOW)
            .unwrap();
        assert!(!f.e.group(f.alice, &g, None).unwrap().triggered);
        f.e.set_group_limit(f.alice, &g, Some(1), n(5), NOW)
            .unwrap();
        assert!(f.e.group(f.alice, &g, None).unwrap().triggered);
        assert_eq!(
            group_events(&mut f.e),
            vec![
                OrderGroupUpdatesMsgEventType::LimitUpdated,
                OrderGroupUpdatesMsgEventType::LimitUpdated,
                OrderGroupUpdatesMsgEventType::Triggered
            ]
        );
        assert_eq!(
            f.e.order_by_id(&third.order_id).unwrap().status,
            OrderStatus::Canceled
        );

        // Delete: gone, and its resting orders cancelled.
        f.e.reset_group(f.alice, &g, Some(1), NOW).unwrap();
        let fourth = f.e.place(f.alice, &o, NOW).unwrap();
        f.e.delete_group(f.alice, &g, Some(1), NOW).unwrap();
        assert_eq!(f.e.group(f.alice, &g, None), Err(OrderError::GroupNotFound));
        assert_eq!(
            f.e.order_by_id(&fourth.order_id).unwrap().status,
            OrderStatus::Canceled
        );
        assert!(f.e.place(f.alice, &o, NOW).is_err());
    }
}
