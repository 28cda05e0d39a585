//! Subaccounts (Kalshi's `CreateSubaccount`, `GetSubaccountBalances`,
//! `ApplySubaccountTransfer`, `GetSubaccountTransfers`): a user's primary account is
//! subaccount 0; numbered subaccounts 1–63 are created in order, each an engine
//! [`Account`](super::Account) of its own (cash, reserved collateral, positions, orders,
//! fills) that starts with $0. Money moves between them only by transfers, in whole
//! cents, and only out of the available balance (cash not held by resting orders).
//!
//! Private events of a subaccount go to the user's connections (the events carry the
//! primary account) with the subaccount number in the frame (`subaccount`,
//! `subaccount_number`).

use shared::api::schema::SubaccountTransfer;
use shared::num::Dollars;

use super::{Account, AccountId, AccountKind, Engine, OrderError};

/// Most numbered subaccounts a user may have (Kalshi: 63, plus the primary).
pub const MAX_SUBACCOUNTS: u32 = 63;

/// One applied transfer, with the client's idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferRec {
    /// The client's `client_transfer_id` (a repeat is answered without moving money).
    pub client_transfer_id: String,
    /// The wire form (`GetSubaccountTransfers`).
    pub transfer: SubaccountTransfer,
}

impl Engine {
    /// The user's primary account of `account` (itself for a primary account).
    pub fn root(&self, account: AccountId) -> AccountId {
        self.accounts
            .get(account as usize)
            .map_or(account, |a| a.root)
    }

    /// The primary account of the registered user with Kalshi user id `user_id`.
    pub fn account_of_user(&self, user_id: &str) -> Option<AccountId> {
        self.accounts
            .iter()
            .position(|a| {
                a.user_id == user_id && a.kind == AccountKind::Registered && a.subaccount == 0
            })
            .and_then(|i| AccountId::try_from(i).ok())
    }

    /// The subaccount number of `account` (0 = primary).
    pub fn subaccount_number(&self, account: AccountId) -> u32 {
        self.accounts
            .get(account as usize)
            .map_or(0, |a| a.subaccount)
    }

    /// The account of subaccount `number` of the user `root` (`None` or `0` = primary).
    ///
    /// # Errors
    /// [`OrderError::NoSuchSubaccount`] for a number the user has not created.
    pub fn resolve_subaccount(
        &self,
        root: AccountId,
        number: Option<i64>,
    ) -> Result<AccountId, OrderError> {
        let root = self.root(root);
        match number {
            None | Some(0) => Ok(root),
            Some(n) => usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| {
                    self.accounts
                        .get(root as usize)?
                        .subaccounts
                        .get(i)
                        .copied()
                })
                .ok_or(OrderError::NoSuchSubaccount(n)),
        }
    }

    /// Sets netting of subaccount `number` of the user `root` (UpdateSubaccountNetting).
    ///
    /// # Errors
    /// [`OrderError::NoSuchSubaccount`] for a number the user has not created.
    pub fn set_netting(
        &mut self,
        root: AccountId,
        number: i64,
        enabled: bool,
    ) -> Result<(), OrderError> {
        let account = self.resolve_subaccount(root, Some(number))?;
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.netting = enabled;
        }
        Ok(())
    }

    /// Every account of the user `root`: the primary first, then subaccounts 1, 2, …
    pub fn family(&self, root: AccountId) -> Vec<AccountId> {
        let root = self.root(root);
        let mut out = vec![root];
        if let Some(a) = self.accounts.get(root as usize) {
            out.extend(a.subaccounts.iter().copied());
        }
        out
    }

    /// Creates the next numbered subaccount of the user `root` (CreateSubaccount), with
    /// no cash; returns its number (1–63).
    ///
    /// # Errors
    /// [`OrderError::Invalid`] once the user has [`MAX_SUBACCOUNTS`].
    pub fn create_subaccount(&mut self, root: AccountId, now_ms: i64) -> Result<u32, OrderError> {
        let root = self.root(root);
        let (kind, key_id, user_id, count) = {
            let a = self
                .accounts
                .get(root as usize)
                .ok_or(OrderError::Invalid("unknown account"))?;
            (
                a.kind,
                a.key_id.clone(),
                a.user_id.clone(),
                a.subaccounts.len(),
            )
        };
        let number = u32::try_from(count + 1).unwrap_or(u32::MAX);
        if number > MAX_SUBACCOUNTS {
            return Err(OrderError::Invalid(
                "at most 63 subaccounts per user (64 with the primary)",
            ));
        }
        let id = AccountId::try_from(self.accounts.len()).unwrap_or(AccountId::MAX);
        self.accounts.push(Account {
            kind,
            root,
            subaccount: number,
            subaccounts: Vec::new(),
            transfers: Vec::new(),
            key_id,
            user_id,
            cash: Dollars::ZERO,
            reserved: Dollars::ZERO,
            positions: std::collections::BTreeMap::new(),
            fills: Vec::new(),
            orders: Vec::new(),
            settlements: Vec::new(),
            orders_received: 0,
            netting: false,
            updated_ms: now_ms,
        });
        if let Some(a) = self.accounts.get_mut(root as usize) {
            a.subaccounts.push(id);
        }
        Ok(number)
    }

    /// Moves `amount_cents` of available cash from subaccount `from` to `to` of the user
    /// `root` (ApplySubaccountTransfer). A repeated `client_transfer_id` changes nothing
    /// and answers like the first call.
    ///
    /// # Errors
    /// [`OrderError::NoSuchSubaccount`], [`OrderError::Invalid`] (same account, amount not
    /// positive), [`OrderError::InsufficientBalance`] (more than `from`'s available
    /// balance); nothing moves then.
    pub fn transfer(
        &mut self,
        root: AccountId,
        client_transfer_id: &str,
        from: i64,
        to: i64,
        amount_cents: i64,
        now_ms: i64,
    ) -> Result<SubaccountTransfer, OrderError> {
        let root = self.root(root);
        if let Some(done) = self.accounts.get(root as usize).and_then(|a| {
            a.transfers
                .iter()
                .find(|t| t.client_transfer_id == client_transfer_id)
        }) {
            return Ok(done.transfer.clone());
        }
        let source = self.resolve_subaccount(root, Some(from))?;
        let target = self.resolve_subaccount(root, Some(to))?;
        if source == target {
            return Err(OrderError::Invalid(
                "from_subaccount and to_subaccount must differ",
            ));
        }
        if amount_cents <= 0 || amount_cents > 100_000_000_000 {
            return Err(OrderError::Invalid("amount_cents must be positive"));
        }
        let amount = Dollars::from_cents(amount_cents);
        let available = self.accounts[source as usize].available();
        if amount > available {
            return Err(OrderError::InsufficientBalance {
                need: amount,
                available,
            });
        }
        if self.accounts[root as usize].kind != AccountKind::Registered {
            return Err(OrderError::Invalid("unknown account"));
        }
        for (id, delta) in [(source, -amount), (target, amount)] {
            if let Some(a) = self.accounts.get_mut(id as usize) {
                a.cash += delta;
                a.updated_ms = now_ms;
            }
        }
        let transfer = SubaccountTransfer {
            transfer_id: uuid::Uuid::new_v4().to_string(),
            from_subaccount: from,
            to_subaccount: to,
            amount_cents,
            created_ts: now_ms.div_euclid(1000),
            exchange_index: 0,
        };
        if let Some(a) = self.accounts.get_mut(root as usize) {
            a.transfers.push(TransferRec {
                client_transfer_id: client_transfer_id.to_owned(),
                transfer: transfer.clone(),
            });
        }
        Ok(transfer)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fx, req};
    use super::*;
    use shared::ids::BookSide;
    use shared::num::Count;

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn subaccounts_are_numbered_in_order_and_start_empty() {
        let mut f = fx();
        assert_eq!(f.e.create_subaccount(f.alice, NOW), Ok(1));
        assert_eq!(f.e.create_subaccount(f.alice, NOW), Ok(2));
        assert_eq!(f.e.create_subaccount(f.bob, NOW), Ok(1));
        let one = f.e.resolve_subaccount(f.alice, Some(1)).unwrap();
        assert_ne!(one, f.alice);
        assert_eq!(f.e.root(one), f.alice);
        assert_eq!(f.e.subaccount_number(one), 1);
        assert_eq!(f.e.account(one).unwrap().cash, Dollars::ZERO);
        assert_eq!(f.e.family(f.alice).len(), 3);
        assert_eq!(
            f.e.resolve_subaccount(f.alice, Some(3)),
            Err(OrderError::NoSuchSubaccount(3))
        );
        assert_eq!(f.e.resolve_subaccount(f.alice, Some(0)), Ok(f.alice));
        for _ in 2..MAX_SUBACCOUNTS {
            f.e.create_subaccount(f.alice, NOW).unwrap();
        }
        assert!(f.e.create_subaccount(f.alice, NOW).is_err(), "64th refused");
    }

    #[test]
    fn transfers_move_available_cash_once_per_client_id() {
        let mut f = fx();
        f.e.create_subaccount(f.alice, NOW).unwrap();
        let one = f.e.resolve_subaccount(f.alice, Some(1)).unwrap();
        let t = f.e.transfer(f.alice, "t-1", 0, 1, 2_500, NOW).unwrap();
        assert_eq!(
            (t.from_subaccount, t.to_subaccount, t.amount_cents),
            (0, 1, 2_500)
        );
        assert_eq!(f.e.account(one).unwrap().cash, Dollars::from_int(25));
        assert_eq!(f.e.account(f.alice).unwrap().cash, Dollars::from_int(75));
        // Idempotent.
        let again = f.e.transfer(f.alice, "t-1", 0, 1, 2_500, NOW).unwrap();
        assert_eq!(again.transfer_id, t.transfer_id);
        assert_eq!(f.e.account(one).unwrap().cash, Dollars::from_int(25));
        // Refusals change nothing.
        let table = [
            ("same", 1, 1, 100),
            ("unknown", 0, 5, 100),
            ("zero", 1, 0, 0),
            ("negative", 1, 0, -5),
            ("too much", 1, 0, 2_501),
        ];
        for (name, from, to, cents) in table {
            assert!(
                f.e.transfer(f.alice, name, from, to, cents, NOW).is_err(),
                "{name}"
            );
        }
        assert_eq!(f.e.account(one).unwrap().cash, Dollars::from_int(25));
        assert_eq!(f.e.account(f.alice).unwrap().transfers.len(), 1);
        // Resting orders hold collateral: it cannot be transferred out.
        let mut r = req(BookSide::Bid, "0.50", "40");
        r.subaccount = Some(1);
        f.e.place(f.alice, &r, NOW).unwrap();
        assert_eq!(f.e.account(one).unwrap().available(), Dollars::from_int(5));
        assert!(matches!(
            f.e.transfer(f.alice, "t-2", 1, 0, 600, NOW),
            Err(OrderError::InsufficientBalance { .. })
        ));
        f.e.transfer(f.alice, "t-3", 1, 0, 500, NOW).unwrap();
        assert_eq!(f.e.account(one).unwrap().available(), Dollars::ZERO);
    }

    #[test]
    fn orders_fills_and_positions_are_scoped_to_the_subaccount() {
        let mut f = fx();
        f.e.create_subaccount(f.alice, NOW).unwrap();
        let one = f.e.resolve_subaccount(f.alice, Some(1)).unwrap();
        let mut r = req(BookSide::Bid, "0.40", "10");
        r.subaccount = Some(1);
        // No cash in the subaccount yet.
        assert!(matches!(
            f.e.place(f.alice, &r, NOW),
            Err(OrderError::InsufficientBalance { .. })
        ));
        r.subaccount = Some(2);
        assert_eq!(
            f.e.place(f.alice, &r, NOW),
            Err(OrderError::NoSuchSubaccount(2))
        );
        f.e.transfer(f.alice, "fund", 0, 1, 1_000, NOW).unwrap();
        r.subaccount = Some(1);
        let placed = f.e.place(f.alice, &r, NOW).unwrap();
        let o = f.e.order_by_id(&placed.order_id).unwrap();
        assert_eq!(o.account, one);
        assert_eq!(f.e.account(one).unwrap().reserved, Dollars::from_int(4));
        assert_eq!(f.e.account(f.alice).unwrap().reserved, Dollars::ZERO);
        f.e.take_events();
        // Bob sells into it: the fill and position land in subaccount 1 and the events go
        // to alice's connections, marked subaccount 1.
        f.e.place(f.bob, &req(BookSide::Ask, "0.40", "10"), NOW)
            .unwrap();
        assert_eq!(
            f.e.position(one, &"KXTEST-1".into()).net,
            Count::from_int(10)
        );
        assert!(f.e.position(f.alice, &"KXTEST-1".into()).net.is_zero());
        assert_eq!(f.e.account(one).unwrap().fills.len(), 1);
        let events = f.e.take_events();
        let mine: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                super::super::Event::Fill { account, msg } if *account == f.alice => {
                    Some(msg.subaccount)
                }
                _ => None,
            })
            .collect();
        assert_eq!(mine, vec![Some(1)]);
        assert!(events.iter().any(|e| matches!(e,
            super::super::Event::UserOrder { account, msg }
                if *account == f.alice && msg.subaccount_number == Some(1))));
    }
}
