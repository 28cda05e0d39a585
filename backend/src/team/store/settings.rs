//! Desk-wide settings (table `desk_settings`, one JSON value per name), each user's
//! workspace (table `workspaces`) and the marks that start a trading day (table
//! `day_marks`). Stored, so every replica sharing the database
//! reads the same values and they survive a restart.

use std::str::FromStr as _;

use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::ids::MarketTicker;
use shared::num::Dollars;
use shared::workspace::Workspace;
use sqlx::Row as _;

use super::{now_ms, Result, Store, StoreError};

impl Store {
    /// The setting `name` (`None` when never set).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the stored JSON does not read as `T`.
    pub async fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let value: Option<String> = on_pool!(self, pool => {
            sqlx::query("SELECT value FROM desk_settings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|row| row.try_get("value"))
                .transpose()?
        });
        value
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}")))
            })
            .transpose()
    }

    /// Stores the setting `name` (replacing it), as set by `actor`.
    pub async fn put_setting<T: Serialize>(
        &self,
        name: &str,
        value: &T,
        actor: &str,
    ) -> Result<()> {
        let json = serde_json::to_string(value)
            .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}")))?;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO desk_settings (name, value, updated_by, updated_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                 value = excluded.value, updated_by = excluded.updated_by, \
                 updated_ms = excluded.updated_ms")
                .bind(name).bind(json).bind(actor).bind(now_ms())
                .execute(pool).await?;
            Ok(())
        })
    }

    /// User `user_id`'s workspace (`None` when they never saved one).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the stored JSON does not read as a workspace.
    pub async fn workspace(&self, user_id: i64) -> Result<Option<Workspace>> {
        let body: Option<String> = on_pool!(self, pool => {
            sqlx::query("SELECT body FROM workspaces WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .map(|row| row.try_get("body"))
                .transpose()?
        });
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| StoreError::Corrupt(format!("workspace of user {user_id}: {e}")))
        })
        .transpose()
    }

    /// Stores user `user_id`'s workspace (replacing it). The caller checked it
    /// ([`Workspace::check`]).
    pub async fn put_workspace(&self, user_id: i64, workspace: &Workspace) -> Result<()> {
        let json = serde_json::to_string(workspace)
            .map_err(|e| StoreError::Corrupt(format!("workspace of user {user_id}: {e}")))?;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO workspaces (user_id, body, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, \
                 updated_ms = excluded.updated_ms")
                .bind(user_id).bind(json).bind(now_ms())
                .execute(pool).await?;
            Ok(())
        })
    }

    /// The mark of `ticker` at the start of trading day `day` (`YYYY-MM-DD`, Eastern): the
    /// first one stored for that day, `mark` when none was (and then it is stored).
    pub async fn day_mark(
        &self,
        day: &str,
        ticker: &MarketTicker,
        mark: Dollars,
    ) -> Result<Dollars> {
        let stored: String = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO day_marks (day, market_ticker, mark) VALUES ($1, $2, $3) \
                 ON CONFLICT (day, market_ticker) DO NOTHING")
                .bind(day).bind(ticker.as_str()).bind(mark.to_string())
                .execute(pool).await?;
            sqlx::query("SELECT mark FROM day_marks WHERE day = $1 AND market_ticker = $2")
                .bind(day).bind(ticker.as_str())
                .fetch_one(pool).await?
                .try_get("mark")?
        });
        Dollars::from_str(&stored).map_err(|_| StoreError::Corrupt(stored))
    }
}
