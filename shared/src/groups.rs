//! The browser ⇄ backend types of order groups and subaccounts (`/api/order_groups`,
//! `/api/subaccounts`). The backend maps each to Kalshi's operations (named per type);
//! live order-group changes reach the browser as
//! [`ServerMsg::OrderGroup`](crate::protocol::ServerMsg::OrderGroup) (Kalshi's
//! `order_group_updates` channel).
//!
//! Units: contracts are [`Count`] (fixed-point, two decimals, as `"10.00"`), money is
//! [`Dollars`] (exact, as `"12.50"`), subaccounts are numbers (0 = primary, 1–63).

use serde::{Deserialize, Serialize};

use crate::num::{Count, Dollars};

/// An order group as the desk shows it (`GET /api/order_groups?subaccount=N`, from
/// Kalshi's GetOrderGroups `OrderGroup`).
///
/// `triggered` is Kalshi's `is_auto_cancel_enabled` read as "armed": a group that hit its
/// limit (or was triggered) is not armed until it is reset.
///
/// `{"order_group_id":"0f5c…","contracts_limit":"10.00","triggered":false,"subaccount":0}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderGroupView {
    /// Kalshi's order group id.
    pub order_group_id: String,
    /// Contracts the group may match over a rolling 15 s window.
    pub contracts_limit: Count,
    /// True from a trigger (limit hit or by hand) until a reset: its orders were cancelled
    /// and new ones are refused.
    pub triggered: bool,
    /// The subaccount that owns it.
    pub subaccount: u32,
}

/// `POST /api/order_groups` (CreateOrderGroup): a new group with a contracts limit, in a
/// subaccount (default the primary).
///
/// `{"contracts_limit":"10","subaccount":1}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrderGroup {
    /// Whole contracts, at least 1.
    pub contracts_limit: Count,
    /// Owning subaccount (0–63; none = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
}

/// `PUT /api/order_groups/{order_group_id}/limit?subaccount=N` (UpdateOrderGroupLimit).
///
/// `{"contracts_limit":"25"}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLimit {
    /// Whole contracts, at least 1.
    pub contracts_limit: Count,
}

/// True for a valid group limit: whole contracts, 1 to 1,000,000.
pub fn is_valid_group_limit(limit: Count) -> bool {
    let one = Count::from_int(1).raw();
    limit.raw() >= one && limit.raw() % one == 0 && limit <= Count::from_int(1_000_000)
}

/// One subaccount's balance (`GET /api/subaccounts`, from Kalshi's GetSubaccountBalances
/// `SubaccountBalance`).
///
/// `{"subaccount":1,"balance":"250.00"}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubaccountBalanceView {
    /// 0 = primary, 1–63.
    pub subaccount: u32,
    /// Available balance, dollars.
    pub balance: Dollars,
}

/// `POST /api/subaccounts` answer (CreateSubaccount): the new subaccount's number.
///
/// `{"subaccount":2}`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSubaccount {
    /// 1–63.
    pub subaccount: u32,
}

/// `POST /api/subaccounts/transfer` (ApplySubaccountTransfer): move whole cents of
/// available cash between two of the user's subaccounts. The backend makes the
/// `client_transfer_id` and answers the balances after the transfer.
///
/// `{"from":0,"to":1,"amount":"250.00"}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTicket {
    /// Source subaccount (0 = primary).
    pub from: u32,
    /// Destination subaccount.
    pub to: u32,
    /// Dollars, whole cents, more than zero.
    pub amount: Dollars,
}

impl TransferTicket {
    /// Checks the ticket (the browser before sending, the backend before signing) and
    /// returns the amount in cents. `Err` is a plain sentence.
    ///
    /// # Errors
    /// The first problem found.
    pub fn cents(&self) -> Result<i64, String> {
        if self.from == self.to {
            return Err("choose two different subaccounts".to_owned());
        }
        if self.from > crate::protocol::MAX_SUBACCOUNT || self.to > crate::protocol::MAX_SUBACCOUNT
        {
            return Err(format!(
                "subaccounts are 0 to {}",
                crate::protocol::MAX_SUBACCOUNT
            ));
        }
        let cent = Dollars::from_cents(1).raw();
        if self.amount.raw() <= 0 {
            return Err("amount must be more than zero".to_owned());
        }
        if self.amount.raw() % cent != 0 {
            return Err("amount must be whole cents".to_owned());
        }
        Ok(self.amount.raw() / cent)
    }
}

/// One transfer between subaccounts (`GET /api/subaccounts/transfers`, from Kalshi's
/// GetSubaccountTransfers `SubaccountTransfer`).
///
/// `{"transfer_id":"…","from":0,"to":1,"amount":"250.00","created_ts":1780000000}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferView {
    /// Kalshi's transfer id.
    pub transfer_id: String,
    /// Source subaccount.
    pub from: u32,
    /// Destination subaccount.
    pub to: u32,
    /// Dollars.
    pub amount: Dollars,
    /// Unix seconds.
    pub created_ts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_ticket_rules() {
        let t = |from, to, amount: &str| TransferTicket {
            from,
            to,
            amount: amount.parse().unwrap(),
        };
        let table = [
            (t(0, 1, "250"), Ok(25_000)),
            (t(1, 0, "0.01"), Ok(1)),
            (t(1, 1, "5"), Err("choose two different subaccounts")),
            (t(0, 64, "5"), Err("subaccounts are 0 to 63")),
            (t(0, 1, "0"), Err("amount must be more than zero")),
            (t(0, 1, "-1"), Err("amount must be more than zero")),
            (t(0, 1, "0.015"), Err("amount must be whole cents")),
        ];
        for (ticket, want) in table {
            assert_eq!(ticket.cents(), want.map_err(str::to_owned), "{ticket:?}");
        }
    }

    #[test]
    fn group_limits_are_whole_contracts() {
        for (text, ok) in [
            ("1", true),
            ("10.00", true),
            ("0", false),
            ("2.5", false),
            ("-3", false),
            ("1000001", false),
        ] {
            assert_eq!(is_valid_group_limit(text.parse().unwrap()), ok, "{text}");
        }
    }

    #[test]
    fn examples_in_the_docs_decode() {
        let g: OrderGroupView = serde_json::from_str(
            r#"{"order_group_id":"g","contracts_limit":"10.00","triggered":false,"subaccount":0}"#,
        )
        .unwrap();
        assert_eq!(g.contracts_limit, Count::from_int(10));
        let n: NewOrderGroup =
            serde_json::from_str(r#"{"contracts_limit":"10","subaccount":1}"#).unwrap();
        assert_eq!(n.subaccount, Some(1));
        let t: TransferTicket =
            serde_json::from_str(r#"{"from":0,"to":1,"amount":"250.00"}"#).unwrap();
        assert_eq!(t.cents(), Ok(25_000));
    }
}
