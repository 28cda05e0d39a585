//! Alert rules, webhooks and the alert log (tables `alert_rules`, `alert_webhooks`,
//! `alert_log`): what [`crate::alerts`] evaluates and writes.

use shared::alerts::{AlertFired, AlertRule, Condition, WebhookDelivery};
use shared::ids::MarketTicker;
use sqlx::Row as _;

use super::{now_ms, Result, Store, StoreError};

/// Log rows kept per user; older ones are dropped as new ones come.
pub const ALERT_LOG_KEPT: i64 = 1_000;

/// A stored rule's columns: owner, id, condition (JSON), muted, created.
type RuleRow = (i64, i64, String, bool, i64);

fn rule((user_id, id, json, muted, created_ms): RuleRow) -> Result<(i64, AlertRule)> {
    let condition = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("alert rule {id} of user {user_id}: {e}")))?;
    Ok((
        user_id,
        AlertRule {
            id,
            condition,
            muted,
            created_ms,
        },
    ))
}

fn delivery(json: Option<String>) -> Option<WebhookDelivery> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

impl Store {
    /// The rules of `user_id`, or of every enabled user (`None`), oldest first.
    async fn rule_rows(&self, user_id: Option<i64>) -> Result<Vec<RuleRow>> {
        let sql = match user_id {
            Some(_) => {
                "SELECT r.user_id, r.id, r.condition, r.muted, r.created_ms FROM alert_rules r \
                        WHERE r.user_id = $1 ORDER BY r.id"
            }
            None => {
                "SELECT r.user_id, r.id, r.condition, r.muted, r.created_ms FROM alert_rules r \
                     JOIN users u ON u.id = r.user_id WHERE NOT u.disabled ORDER BY r.id"
            }
        };
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query(sql);
            if let Some(user_id) = user_id {
                query = query.bind(user_id);
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("user_id")?, r.try_get("id")?, r.try_get("condition")?, r.try_get("muted")?, r.try_get("created_ms")?)))
                .collect::<Result<_, sqlx::Error>>()?
        }))
    }

    /// User `user_id`'s rules, oldest first.
    ///
    /// # Errors
    /// The database's; [`StoreError::Corrupt`] for a rule this version cannot read.
    pub async fn alert_rules(&self, user_id: i64) -> Result<Vec<AlertRule>> {
        self.rule_rows(Some(user_id))
            .await?
            .into_iter()
            .map(|row| rule(row).map(|(_, r)| r))
            .collect()
    }

    /// Every enabled user's rules with their owner's id: what the desk evaluates. A rule
    /// this version cannot read is skipped (and logged), not the whole set.
    ///
    /// # Errors
    /// The database's.
    pub async fn all_alert_rules(&self) -> Result<Vec<(i64, AlertRule)>> {
        Ok(self
            .rule_rows(None)
            .await?
            .into_iter()
            .filter_map(|row| {
                rule(row)
                    .map_err(|e| tracing::warn!(error = %e, "alert rule skipped"))
                    .ok()
            })
            .collect())
    }

    /// Stores a new rule of `user_id` unless they already keep `max` rules (then
    /// [`StoreError::Conflict`]). The caller checked it ([`Condition::check`]).
    ///
    /// # Errors
    /// The database's; [`StoreError::Conflict`] at the most rules.
    pub async fn create_alert_rule(
        &self,
        user_id: i64,
        condition: &Condition,
        muted: bool,
        max: usize,
    ) -> Result<AlertRule> {
        let json = serde_json::to_string(condition)
            .map_err(|e| StoreError::Corrupt(format!("alert rule: {e}")))?;
        let created_ms = now_ms();
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        // One statement: two requests at once cannot both pass the count.
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO alert_rules (user_id, condition, muted, created_ms) \
                 SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM alert_rules WHERE user_id = $1) < $5 \
                 RETURNING id")
                .bind(user_id).bind(&json).bind(muted).bind(created_ms).bind(max)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?
        });
        let id = id.ok_or_else(|| {
            StoreError::Conflict(format!("a user keeps at most {max} alert rules"))
        })?;
        Ok(AlertRule {
            id,
            condition: condition.clone(),
            muted,
            created_ms,
        })
    }

    /// Mutes or unmutes rule `id` of `user_id`; `None` when they have no such rule.
    ///
    /// # Errors
    /// The database's.
    pub async fn set_alert_muted(&self, user_id: i64, id: i64, muted: bool) -> Result<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "UPDATE alert_rules SET muted = $1 WHERE id = $2 AND user_id = $3")
            .bind(muted).bind(id).bind(user_id)
            .execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Deletes rule `id` of `user_id`; false when they have no such rule.
    ///
    /// # Errors
    /// The database's.
    pub async fn delete_alert_rule(&self, user_id: i64, id: i64) -> Result<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "DELETE FROM alert_rules WHERE id = $1 AND user_id = $2")
            .bind(id).bind(user_id)
            .execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// User `user_id`'s webhook URL.
    ///
    /// # Errors
    /// The database's.
    pub async fn alert_webhook(&self, user_id: i64) -> Result<Option<String>> {
        Ok(on_pool!(self, pool => {
            sqlx::query("SELECT url FROM alert_webhooks WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get("url"))
                .transpose()?
        }))
    }

    /// Every user's webhook URL (`(user_id, url)`).
    ///
    /// # Errors
    /// The database's.
    pub async fn alert_webhooks(&self) -> Result<Vec<(i64, String)>> {
        Ok(on_pool!(self, pool => {
            sqlx::query("SELECT user_id, url FROM alert_webhooks")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("user_id")?, r.try_get("url")?)))
                .collect::<Result<_, sqlx::Error>>()?
        }))
    }

    /// Sets (or with `None` removes) user `user_id`'s webhook URL. The caller checked it.
    ///
    /// # Errors
    /// The database's.
    pub async fn put_alert_webhook(&self, user_id: i64, url: Option<&str>) -> Result<()> {
        on_pool!(self, pool => {
            match url {
                Some(url) => sqlx::query(
                    "INSERT INTO alert_webhooks (user_id, url, updated_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id) DO UPDATE SET url = excluded.url, \
                     updated_ms = excluded.updated_ms")
                    .bind(user_id).bind(url).bind(now_ms())
                    .execute(pool).await?,
                None => sqlx::query("DELETE FROM alert_webhooks WHERE user_id = $1")
                    .bind(user_id)
                    .execute(pool).await?,
            };
            Ok(())
        })
    }

    /// Logs a firing (its `id` is ignored) and returns it with the id the log gave it;
    /// the user's log keeps its newest [`ALERT_LOG_KEPT`] rows.
    ///
    /// # Errors
    /// The database's.
    pub async fn log_alert(&self, fired: &AlertFired) -> Result<AlertFired> {
        let webhook = fired
            .webhook
            .as_ref()
            .and_then(|w| serde_json::to_string(w).ok());
        let id: i64 = on_pool!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO alert_log (user_id, rule_id, ts_ms, title, detail, market_ticker, muted, webhook) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(fired.user_id).bind(fired.rule_id).bind(fired.ts_ms).bind(&fired.title)
                .bind(&fired.detail).bind(fired.market_ticker.as_ref().map(MarketTicker::as_str))
                .bind(fired.muted).bind(webhook)
                .fetch_one(pool).await?;
            let id: i64 = row.try_get("id")?;
            sqlx::query(
                "DELETE FROM alert_log WHERE user_id = $1 AND id < (SELECT id FROM alert_log \
                 WHERE user_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)")
                .bind(fired.user_id).bind(ALERT_LOG_KEPT - 1)
                .execute(pool).await?;
            id
        });
        Ok(AlertFired {
            id,
            ..fired.clone()
        })
    }

    /// Records how firing `id`'s webhook went.
    ///
    /// # Errors
    /// The database's.
    pub async fn set_alert_delivery(&self, id: i64, delivery: &WebhookDelivery) -> Result<()> {
        let json = serde_json::to_string(delivery)
            .map_err(|e| StoreError::Corrupt(format!("alert delivery: {e}")))?;
        on_pool!(self, pool => sqlx::query("UPDATE alert_log SET webhook = $1 WHERE id = $2")
            .bind(json).bind(id)
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// User `user_id`'s newest `limit` firings, newest first.
    ///
    /// # Errors
    /// The database's.
    pub async fn alert_log(&self, user_id: i64, limit: i64) -> Result<Vec<AlertFired>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, rule_id, ts_ms, title, detail, market_ticker, muted, webhook \
                 FROM alert_log WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(user_id).bind(limit.clamp(1, ALERT_LOG_KEPT))
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(AlertFired {
                    id: r.try_get("id")?,
                    user_id,
                    rule_id: r.try_get("rule_id")?,
                    ts_ms: r.try_get("ts_ms")?,
                    title: r.try_get("title")?,
                    detail: r.try_get("detail")?,
                    market_ticker: r.try_get::<Option<String>, _>("market_ticker")?.map(MarketTicker::from),
                    muted: r.try_get("muted")?,
                    webhook: delivery(r.try_get("webhook")?),
                });
            }
            Ok(out)
        })
    }
}
