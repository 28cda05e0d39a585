//! The account context: resting orders, positions and recent fills of the selected
//! subaccount, its order groups, and the counters that make REST loads run again.

use std::collections::VecDeque;

use leptos::prelude::*;
use shared::groups::OrderGroupView;
use shared::ids::{OrderId, TradeId};
use shared::protocol::{FillView, OrderView, PositionView};
use shared::ws::OrderGroupUpdatesMsg;

use super::rules::{self, FillRow};
use super::toasts::Toasts;

/// The account context. `Copy`; get it with [`use_account`].
#[derive(Clone, Copy)]
pub struct Account {
    /// The account's resting orders.
    pub orders: RwSignal<Vec<OrderView>>,
    /// Positions (seeded by `/api/portfolio`, updated by `position` frames).
    pub positions: RwSignal<Vec<PositionView>>,
    /// Recent fills, newest first.
    pub fills: RwSignal<VecDeque<FillRow>>,
    /// Bumped to make the portfolio/orders/fills resources reload.
    pub reloads: RwSignal<u64>,
    /// The selected subaccount (0 = primary): scopes the ticket, open orders and
    /// positions.
    pub subaccount: RwSignal<u32>,
    /// Order groups of the selected subaccount (seeded by `/api/order_groups`, updated by
    /// `order_group` frames).
    pub order_groups: RwSignal<Vec<OrderGroupView>>,
    /// Bumped to make the order groups and subaccount balances reload.
    pub groups_reload: RwSignal<u64>,
    /// Fills already announced by a toast.
    toasted_fills: StoredValue<VecDeque<TradeId>>,
}

/// The account context.
pub fn use_account() -> Account {
    use_context::<Account>().expect("Account is provided by App before any component renders")
}

impl Account {
    /// Nothing loaded, primary subaccount.
    pub fn new() -> Self {
        Account {
            orders: RwSignal::new(Vec::new()),
            positions: RwSignal::new(Vec::new()),
            fills: RwSignal::new(VecDeque::new()),
            reloads: RwSignal::new(0),
            subaccount: RwSignal::new(0),
            order_groups: RwSignal::new(Vec::new()),
            groups_reload: RwSignal::new(0),
            toasted_fills: StoredValue::new(VecDeque::new()),
        }
    }

    /// Makes the portfolio, orders and fills load again.
    pub fn reload(&self) {
        self.reloads.update(|n| *n += 1);
    }

    /// Switches the desk to subaccount `n`: its orders, positions and groups reload.
    pub fn set_subaccount(&self, n: u32) {
        if self.subaccount.get_untracked() == n {
            return;
        }
        self.subaccount.set(n);
        self.orders.set(Vec::new());
        self.positions.set(Vec::new());
        self.order_groups.set(Vec::new());
        self.reload();
        self.groups_reload.update(|x| *x += 1);
    }

    /// An `order_group` frame (Kalshi's `order_group_updates`): updates the row of a known
    /// group; a new group reloads the list (the frame does not name its subaccount).
    pub fn apply_order_group(&self, m: &OrderGroupUpdatesMsg, toasts: Toasts) {
        let out = self
            .order_groups
            .try_update(|groups| rules::apply_order_group(groups, m))
            .unwrap_or_default();
        if out.reload {
            self.groups_reload.update(|x| *x += 1);
        }
        if let Some(text) = out.toast {
            toasts.toast("info", text);
        }
    }

    /// An `order` frame: upsert while resting, drop otherwise (only the selected
    /// subaccount's orders are kept).
    pub fn apply_order(&self, o: OrderView) {
        if o.subaccount != self.subaccount.get_untracked() {
            return;
        }
        self.orders.update(|orders| rules::upsert_order(orders, o));
    }

    /// Removes one order locally (after a successful cancel).
    pub fn forget_order(&self, id: &OrderId) {
        self.orders.update(|orders| rules::forget_order(orders, id));
    }

    /// A `fill` frame: row, toast, and a portfolio reload. The toast is deduped on its own:
    /// a REST reload may list the fill before its frame arrives.
    pub fn apply_fill(&self, f: &FillView, toasts: Toasts) {
        let row = FillRow::from_view(f);
        self.fills.update(|fills| {
            rules::push_fill(fills, row.clone());
        });
        let fresh = self
            .toasted_fills
            .try_update_value(|seen| rules::first_sighting(seen, &row.trade_id));
        if fresh == Some(true) {
            toasts.toast("fill", row.toast_text());
            self.reload();
        }
    }

    /// Replaces the fills with a REST load, keeping socket fills the load does not know yet.
    pub fn seed_fills(&self, rest: &[FillView]) {
        self.fills
            .update(|fills| *fills = rules::seed_fills(fills, rest));
    }

    /// A `position` frame (only the selected subaccount's positions are kept).
    pub fn apply_position(&self, p: PositionView) {
        if p.subaccount != self.subaccount.get_untracked() {
            return;
        }
        let went_flat = self
            .positions
            .try_update(|positions| rules::apply_position(positions, p));
        if went_flat == Some(true) {
            self.reload();
        }
    }
}

impl Default for Account {
    fn default() -> Self {
        Self::new()
    }
}
