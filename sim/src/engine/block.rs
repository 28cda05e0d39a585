//! Negotiated (RFQ) trades: two accounts trade `count` contracts at an agreed price off the
//! book. The YES buyer pays `yes_price`, the NO buyer `1 − yes_price`; the RFQ's requester
//! is the taker (pays Kalshi's taker fee), the quoter is the maker. Both get a fill and a
//! position update; the trade is public like any other.

use shared::ids::{BookSide, MarketTicker, OrderId, Side, TradeId};
use shared::num::{Count, Dollars};
use shared::ws::FillMsg;

use super::{
    taker_fee, AccountId, AccountKind, Engine, Event, OrderError, TradeRec, TRADES_KEPT_PER_MARKET,
};

/// One party's side of a negotiated trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockFill {
    /// The account.
    pub account: AccountId,
    /// The order id the exchange made for its side (what its fill carries).
    pub order_id: OrderId,
    /// Its client order id.
    pub client_order_id: String,
}

impl Engine {
    /// Executes a negotiated trade. `taker` buys `taker_side`, `maker` buys the other
    /// outcome; `yes_price` is the YES leg price.
    ///
    /// # Errors
    /// An unknown or closed market, an invalid price or count, or a registered party
    /// without the cash for its side; nothing changes then.
    #[allow(clippy::too_many_arguments)]
    pub fn block_trade(
        &mut self,
        taker: AccountId,
        taker_side: Side,
        maker: AccountId,
        ticker: &MarketTicker,
        yes_price: Dollars,
        count: Count,
        now_ms: i64,
    ) -> Result<(BlockFill, BlockFill), OrderError> {
        let market = self
            .markets
            .get(ticker)
            .ok_or_else(|| OrderError::MarketNotFound(ticker.clone()))?;
        if !market.info.status.is_tradable() {
            return Err(OrderError::MarketClosed(ticker.clone()));
        }
        if !yes_price.is_valid_price() {
            return Err(OrderError::Invalid("price must be between $0.01 and $0.99"));
        }
        if count.raw() <= 0 {
            return Err(OrderError::Invalid("count must be positive"));
        }
        let maker_side = match taker_side {
            Side::Yes => Side::No,
            Side::No => Side::Yes,
        };
        let leg = |side: Side| match side {
            Side::Yes => yes_price,
            Side::No => yes_price.complement(),
        };
        let fee = taker_fee(count, yes_price);
        for (account, side, fee) in [(taker, taker_side, fee), (maker, maker_side, Dollars::ZERO)] {
            let a = self
                .accounts
                .get(account as usize)
                .ok_or(OrderError::Invalid("unknown account"))?;
            if a.kind != AccountKind::Registered {
                continue;
            }
            let net = a.positions.get(ticker).map_or(Count::ZERO, |p| p.net);
            let opposite = match side {
                Side::Yes => Count::from_raw((-net).raw().max(0)),
                Side::No => Count::from_raw(net.raw().max(0)),
            };
            let opening = count - count.min(opposite);
            let need = leg(side).times(opening) + fee;
            if need > a.available() {
                return Err(OrderError::InsufficientBalance {
                    need,
                    available: a.available(),
                });
            }
        }
        let taker_post = self.apply_fill(
            taker,
            ticker,
            taker_side,
            leg(taker_side),
            count,
            fee,
            now_ms,
        );
        let maker_post = self.apply_fill(
            maker,
            ticker,
            maker_side,
            leg(maker_side),
            count,
            Dollars::ZERO,
            now_ms,
        );
        let trade = TradeRec {
            seq: self.next_trade_seq,
            trade_id: TradeId(uuid::Uuid::new_v4().to_string()),
            ticker: ticker.clone(),
            yes_price,
            count,
            taker_outcome: taker_side,
            ts_ms: now_ms,
        };
        self.next_trade_seq += 1;
        if let Some(market) = self.markets.get_mut(ticker) {
            market.last_price = Some(yes_price);
            market.last_trade_size = count;
            market.volume += count;
            market.volume_notional += yes_price.times(count);
            market.trades.push_back(trade.clone());
            while market.trades.len() > TRADES_KEPT_PER_MARKET {
                market.trades.pop_front();
            }
        }
        self.events.push(Event::Trade(trade.clone()));
        let mut out = Vec::with_capacity(2);
        for (account, side, is_taker, fee, post) in [
            (taker, taker_side, true, fee, taker_post),
            (maker, maker_side, false, Dollars::ZERO, maker_post),
        ] {
            let order_id = OrderId(uuid::Uuid::new_v4().to_string());
            let client_order_id = format!("rfq-{}", uuid::Uuid::new_v4());
            let registered = self.accounts.get(account as usize).map(|a| a.kind)
                == Some(AccountKind::Registered);
            if registered {
                let msg = FillMsg {
                    trade_id: trade.trade_id.clone(),
                    order_id: order_id.clone(),
                    market_ticker: ticker.clone(),
                    is_taker,
                    yes_price_dollars: yes_price,
                    count_fp: count,
                    fee_cost: Some(fee),
                    outcome_side: Some(side),
                    book_side: Some(BookSide::for_outcome(side)),
                    side: Some(side),
                    action: Some("buy".to_owned()),
                    purchased_side: Some(side),
                    post_position_fp: Some(post),
                    client_order_id: Some(client_order_id.clone()),
                    exchange_index: Some(0),
                    subaccount: None,
                    ts: Some(now_ms.div_euclid(1000)),
                    ts_ms: Some(now_ms),
                };
                self.record_fill(account, ticker, msg);
            }
            out.push(BlockFill {
                account,
                order_id,
                client_order_id,
            });
        }
        self.emit_ticker_if_changed(ticker, now_ms);
        let maker_fill = out.pop().ok_or(OrderError::Invalid("internal"))?;
        let taker_fill = out.pop().ok_or(OrderError::Invalid("internal"))?;
        Ok((taker_fill, maker_fill))
    }
}
