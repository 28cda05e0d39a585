//! The account's fills and settled markets as read from Kalshi (tables `fill_history`,
//! `settlement_history`): what the P&L history is computed from ([`crate::team::pnl_history`]).

use std::str::FromStr as _;

use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};
use shared::pnl::{PnlFill, PnlSettlement};
use sqlx::Row as _;

use super::{Result, Store, StoreError};

/// A stored fill: its order (for its owner) and what the history reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFill {
    /// Kalshi's trade id.
    pub trade_id: String,
    /// The order it filled.
    pub order_id: String,
    /// The fill.
    pub fill: PnlFill,
}

fn exact<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    T::from_str(text).map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

impl Store {
    /// Stores fills not stored yet (a trade id already there is left as it is), in one
    /// transaction (a first back-fill of a long history is one commit, not one per fill).
    ///
    /// # Errors
    /// The database's; nothing is stored then.
    pub async fn store_fills(&self, fills: &[StoredFill]) -> Result<()> {
        if fills.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for f in fills {
                sqlx::query(
                    "INSERT INTO fill_history (trade_id, order_id, market_ticker, ts_ms, yes_delta, yes_price, fee) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (trade_id) DO NOTHING")
                    .bind(&f.trade_id).bind(&f.order_id).bind(f.fill.market_ticker.as_str())
                    .bind(f.fill.ts_ms).bind(f.fill.yes_delta.to_string())
                    .bind(f.fill.yes_price.to_string()).bind(f.fill.fee.to_string())
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest stored fill's time, Unix ms (`None`: none stored).
    ///
    /// # Errors
    /// The database's.
    pub async fn latest_fill_ms(&self) -> Result<Option<i64>> {
        Ok(
            on_pool!(self, pool => sqlx::query("SELECT MAX(ts_ms) AS ts FROM fill_history")
            .fetch_one(pool).await?.try_get::<Option<i64>, _>("ts")?),
        )
    }

    /// Every stored fill, oldest first.
    ///
    /// # Errors
    /// The database's; [`StoreError::Corrupt`] for a row that does not read.
    pub async fn stored_fills(&self) -> Result<Vec<StoredFill>> {
        let rows: Vec<(String, String, String, i64, String, String, String)> = on_pool!(self, pool => {
            sqlx::query("SELECT trade_id, order_id, market_ticker, ts_ms, yes_delta, yes_price, fee \
                         FROM fill_history ORDER BY ts_ms, trade_id")
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get("trade_id")?, r.try_get("order_id")?, r.try_get("market_ticker")?,
                    r.try_get("ts_ms")?, r.try_get("yes_delta")?, r.try_get("yes_price")?, r.try_get("fee")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(trade_id, order_id, market, ts_ms, delta, price, fee)| {
                Ok(StoredFill {
                    trade_id,
                    order_id,
                    fill: PnlFill {
                        market_ticker: MarketTicker::from(market),
                        ts_ms,
                        yes_delta: exact::<Count>(&delta, "a stored fill's count")?,
                        yes_price: exact::<Dollars>(&price, "a stored fill's price")?,
                        fee: exact::<Dollars>(&fee, "a stored fill's fee")?,
                    },
                })
            })
            .collect()
    }

    /// Stores a market's settlement unless it is stored.
    ///
    /// # Errors
    /// The database's.
    pub async fn store_settlement(&self, s: &PnlSettlement) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO settlement_history (market_ticker, ts_ms, value) VALUES ($1, $2, $3) \
             ON CONFLICT (market_ticker) DO NOTHING")
            .bind(s.market_ticker.as_str()).bind(s.ts_ms).bind(s.value.to_string())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The newest stored settlement's time, Unix ms.
    ///
    /// # Errors
    /// The database's.
    pub async fn latest_settlement_ms(&self) -> Result<Option<i64>> {
        Ok(
            on_pool!(self, pool => sqlx::query("SELECT MAX(ts_ms) AS ts FROM settlement_history")
            .fetch_one(pool).await?.try_get::<Option<i64>, _>("ts")?),
        )
    }

    /// Every stored settlement.
    ///
    /// # Errors
    /// The database's; [`StoreError::Corrupt`] for a row that does not read.
    pub async fn stored_settlements(&self) -> Result<Vec<PnlSettlement>> {
        let rows: Vec<(String, i64, String)> = on_pool!(self, pool => {
            sqlx::query("SELECT market_ticker, ts_ms, value FROM settlement_history")
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get("market_ticker")?, r.try_get("ts_ms")?, r.try_get("value")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(market, ts_ms, value)| {
                Ok(PnlSettlement {
                    market_ticker: MarketTicker::from(market),
                    ts_ms,
                    value: Dollars::from_str(&value).map_err(|_| {
                        StoreError::Corrupt(format!("a settlement value {value:?}"))
                    })?,
                })
            })
            .collect()
    }
}
