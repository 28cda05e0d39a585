//! Kill switches in force (table `halts`): the whole desk (scope `desk`) or one user
//! (scope `user:<username>`). Stored, so a halt survives a restart, and read by every
//! replica sharing the database.

use sqlx::Row as _;

pub use shared::auth::Halt;

use super::{now_ms, Result, Store};

fn scope(user: Option<&str>) -> String {
    user.map_or_else(|| "desk".to_owned(), |u| format!("user:{u}"))
}

impl Store {
    /// Puts a halt in force (the desk's when `user` is `None`). `false`: it already was
    /// (the first halt's actor, reason and time are kept).
    pub async fn halt(&self, user: Option<&str>, actor: &str, reason: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query(
                "INSERT INTO halts (scope, actor, reason, since_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (scope) DO NOTHING")
                .bind(scope(user)).bind(actor).bind(reason).bind(now_ms())
                .execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Lifts a halt. `false`: there was none.
    pub async fn rearm(&self, user: Option<&str>) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM halts WHERE scope = $1")
                .bind(scope(user)).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Every halt in force, the desk's first.
    pub async fn halts(&self) -> Result<Vec<Halt>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT scope, actor, reason, since_ms FROM halts ORDER BY scope <> 'desk', scope")
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let scope: String = row.try_get("scope")?;
                out.push(Halt {
                    user: scope.strip_prefix("user:").map(str::to_owned),
                    actor: row.try_get("actor")?,
                    reason: row.try_get("reason")?,
                    since_ms: row.try_get("since_ms")?,
                });
            }
            Ok(out)
        })
    }

    /// The halt that stops `username` (the desk's, else their own), if any.
    pub async fn halt_for(&self, username: &str) -> Result<Option<Halt>> {
        Ok(self
            .halts()
            .await?
            .into_iter()
            .find(|h| h.user.as_deref().is_none_or(|u| u == username)))
    }
}
