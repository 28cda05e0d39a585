//! Positions: booking a fill into an account's position (netting, realized P&L, open
//! interest), recording the fill, and the `market_position` message.

use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::ws::{FillMsg, MarketPositionMsg};

use super::{AccountId, Engine, Event, FillRec, Position};

impl Engine {
    /// A position (default when none).
    pub fn position(&self, account: AccountId, ticker: &MarketTicker) -> Position {
        self.accounts
            .get(account as usize)
            .and_then(|a| a.positions.get(ticker))
            .cloned()
            .unwrap_or_default()
    }

    /// The `market_position` message for a position.
    pub fn position_msg(&self, account: AccountId, ticker: &MarketTicker) -> MarketPositionMsg {
        let p = self.position(account, ticker);
        MarketPositionMsg {
            user_id: self
                .accounts
                .get(account as usize)
                .map(|a| a.user_id.clone()),
            market_ticker: ticker.clone(),
            position_fp: p.net,
            position_cost_dollars: Some(p.cost),
            realized_pnl_dollars: Some(p.realized_pnl),
            fees_paid_dollars: Some(p.fees),
            position_fee_cost_dollars: Some(p.fees),
            volume_fp: Some(p.volume),
            subaccount: Some(self.subaccount_number(account)),
        }
    }

    /// Books a fill of `f` contracts of `outcome` at leg price `x` for `account`; returns
    /// the net position after.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_fill(
        &mut self,
        account: AccountId,
        ticker: &MarketTicker,
        outcome: Side,
        x: Dollars,
        f: Count,
        fee: Dollars,
        now_ms: i64,
    ) -> Count {
        let Some(a) = self.accounts.get_mut(account as usize) else {
            return Count::ZERO;
        };
        let p = a.positions.entry(ticker.clone()).or_default();
        let old = p.net;
        let opposite = match outcome {
            Side::Yes => Count::from_raw((-old).raw().max(0)),
            Side::No => Count::from_raw(old.raw().max(0)),
        };
        let k = f.min(opposite);
        let o = f - k;
        let mut cash = Dollars::ZERO;
        if k.raw() > 0 {
            let removed = if k == opposite {
                p.cost
            } else {
                Dollars::from_raw(
                    ((i128::from(p.cost.raw()) * i128::from(k.raw())) / i128::from(opposite.raw()))
                        as i64,
                )
            };
            p.cost -= removed;
            let proceeds = Dollars::ONE.times(k) - x.times(k);
            cash += proceeds;
            p.realized_pnl += proceeds - removed;
        }
        if o.raw() > 0 {
            p.cost += x.times(o);
            cash -= x.times(o);
        }
        cash -= fee;
        p.fees += fee;
        p.traded += x.times(f);
        p.volume += f;
        p.net = match outcome {
            Side::Yes => old + f,
            Side::No => old - f,
        };
        p.updated_ms = now_ms;
        let new = p.net;
        a.cash += cash;
        a.updated_ms = now_ms;
        let oi_delta = Count::from_raw(new.raw().max(0) - old.raw().max(0));
        if let Some(m) = self.markets.get_mut(ticker) {
            m.open_interest += oi_delta;
            m.candles.note_open_interest(now_ms, m.open_interest);
        }
        new
    }

    /// Records a fill of registered `account` (its subaccount number filled in) and emits
    /// the `fill` and `market_position` events to its user.
    pub(super) fn record_fill(
        &mut self,
        account: AccountId,
        ticker: &MarketTicker,
        mut msg: FillMsg,
    ) {
        let number = self.subaccount_number(account);
        msg.subaccount = Some(number);
        let seq = self.next_fill_seq;
        self.next_fill_seq += 1;
        if let Some(a) = self.accounts.get_mut(account as usize) {
            a.fills.push(FillRec {
                seq,
                fill_id: uuid::Uuid::new_v4().to_string(),
                msg: msg.clone(),
            });
        }
        let root = self.root(account);
        self.events.push(Event::Fill { account: root, msg });
        let pos = self.position_msg(account, ticker);
        self.events.push(Event::Position {
            account: root,
            msg: pos,
        });
    }
}
