//! The desk's own database: users, sessions, who placed which order, and the audit log.
//!
//! Embedded SQLite by default (`sqlite://desk.db`, created if missing), PostgreSQL when
//! the URL says `postgres://…`. [`Store`] is an enum over the two pools; every query is
//! written once, with `$1, $2, …` placeholders (which both SQLite and PostgreSQL bind by
//! position), and run on either pool by the `on_pool!` macro. Migrations are embedded
//! from `backend/migrations/{sqlite,postgres}` and run at [`Store::connect`].
//!
//! No compile-time database: plain `sqlx::query` with `bind`, rows read by column name.

use std::borrow::Cow;
use std::str::FromStr as _;
use std::time::Duration;

use futures_util::future::BoxFuture;
use shared::auth::{Role, UserLimits, UserPatch, UserView};
use shared::num::{Count, Dollars};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::Row as _;

/// Result of a store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or could not be reached.
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique value taken (e.g. a username).
    #[error("{0}")]
    Conflict(String),
    /// A URL that is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL (use sqlite://PATH, sqlite::memory: or postgres://…)")]
    BadUrl,
    /// A stored value this version cannot read (say, an unknown role).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
}

/// Migrations compiled into the binary: `(version, description, sql)`.
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "team",
        include_str!("../../../migrations/sqlite/0001_team.sql"),
    ),
    (
        2,
        "allowed_subaccounts",
        include_str!("../../../migrations/sqlite/0002_allowed_subaccounts.sql"),
    ),
    (
        3,
        "audit_chain_and_halts",
        include_str!("../../../migrations/sqlite/0003_audit_chain_and_halts.sql"),
    ),
    (
        4,
        "loss limits and desk settings",
        include_str!("../../../migrations/sqlite/0004_loss_limits_and_desk_settings.sql"),
    ),
    (
        5,
        "workspaces",
        include_str!("../../../migrations/sqlite/0005_workspaces.sql"),
    ),
    (
        6,
        "alerts",
        include_str!("../../../migrations/sqlite/0006_alerts.sql"),
    ),
    (
        7,
        "pnl_history",
        include_str!("../../../migrations/sqlite/0007_pnl_history.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "team",
        include_str!("../../../migrations/postgres/0001_team.sql"),
    ),
    (
        2,
        "allowed_subaccounts",
        include_str!("../../../migrations/postgres/0002_allowed_subaccounts.sql"),
    ),
    (
        3,
        "audit_chain_and_halts",
        include_str!("../../../migrations/postgres/0003_audit_chain_and_halts.sql"),
    ),
    (
        4,
        "loss limits and desk settings",
        include_str!("../../../migrations/postgres/0004_loss_limits_and_desk_settings.sql"),
    ),
    (
        5,
        "workspaces",
        include_str!("../../../migrations/postgres/0005_workspaces.sql"),
    ),
    (
        6,
        "alerts",
        include_str!("../../../migrations/postgres/0006_alerts.sql"),
    ),
    (
        7,
        "pnl_history",
        include_str!("../../../migrations/postgres/0007_pnl_history.sql"),
    ),
];

/// The database: SQLite or PostgreSQL. Cheap to clone (pools are shared).
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite; for an in-memory database, with the connection that keeps it alive.
    Sqlite(SqlitePool, Option<MemoryKeeper>),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// An idle connection to an in-memory SQLite database, held for the store's lifetime so the
/// database outlives any one pool connection.
#[derive(Clone, Debug)]
pub struct MemoryKeeper(std::sync::Arc<tokio::sync::Mutex<Option<sqlx::SqliteConnection>>>);

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool, _) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    crate::kalshi::signer::now_ms()
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Users table columns every user query reads.
const USER_COLUMNS: &str = "u.id, u.username, u.role, u.disabled, u.max_order_notional, \
                            u.max_position, u.allowed_series, u.allowed_subaccounts, u.max_daily_loss, \
                            u.created_ms";

/// A stored session: its user and CSRF token.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// The user (as stored now: role and limits are always current).
    pub user: UserView,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Last request, Unix ms.
    pub last_seen_ms: i64,
}

macro_rules! read_user {
    ($row:expr) => {{
        let row = $row;
        let role: String = row.try_get("role")?;
        let notional: Option<String> = row.try_get("max_order_notional")?;
        let position: Option<String> = row.try_get("max_position")?;
        let series: String = row.try_get("allowed_series")?;
        let subaccounts: String = row.try_get("allowed_subaccounts")?;
        let loss: Option<String> = row.try_get("max_daily_loss")?;
        UserView {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
            disabled: row.try_get("disabled")?,
            limits: UserLimits {
                max_order_notional: notional
                    .map(|n| Dollars::from_str(&n).map_err(|_| StoreError::Corrupt(n)))
                    .transpose()?,
                max_position: position
                    .map(|n| Count::from_str(&n).map_err(|_| StoreError::Corrupt(n)))
                    .transpose()?,
                allowed_series: series
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                allowed_subaccounts: subaccounts
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|n| n.parse().map_err(|_| StoreError::Corrupt(n.to_owned())))
                    .collect::<std::result::Result<Vec<u32>, StoreError>>()?,
                max_daily_loss: loss
                    .map(|n| Dollars::from_str(&n).map_err(|_| StoreError::Corrupt(n)))
                    .transpose()?,
            },
            created_ms: row.try_get("created_ms")?,
        }
    }};
}

/// The limit columns: max notional, max position, allowed series, allowed subaccounts,
/// max daily loss.
fn limits_columns(
    limits: &UserLimits,
) -> (
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
) {
    (
        limits.max_order_notional.map(|d| d.to_string()),
        limits.max_position.map(|c| c.to_string()),
        limits.allowed_series.join(","),
        limits
            .allowed_subaccounts
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
        limits.max_daily_loss.map(|d| d.to_string()),
    )
}

impl Store {
    /// Opens the database at `url` and runs the migrations. `sqlite://PATH` creates the
    /// file if missing; `sqlite::memory:` is a private in-memory database (one pool
    /// connection, and one more that keeps it alive);
    /// `postgres://…` (or `postgresql://…`) connects to PostgreSQL (its `options` URL
    /// parameter may set e.g. `-c search_path=…`).
    ///
    /// # Errors
    /// [`StoreError::BadUrl`], a connection or a migration failure.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            // sqlx names a `:memory:` database and shares its cache between connections; it
            // lives while one is open. The pool closes a connection whose query was cancelled
            // (a browser that navigated away mid-request), so a connection outside the pool
            // keeps the database.
            let keeper = if memory {
                Some(MemoryKeeper(std::sync::Arc::new(tokio::sync::Mutex::new(
                    Some(sqlx::ConnectOptions::connect(&options).await?),
                ))))
            } else {
                None
            };
            let pool = if memory {
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await?
            } else {
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal))
                    .await?
            };
            Migrator::new(Embedded(SQLITE_MIGRATIONS))
                .await?
                .run(&pool)
                .await?;
            Ok(Store::Sqlite(pool, keeper))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            Store::connect_postgres(options).await
        } else {
            Err(StoreError::BadUrl)
        }
    }

    /// Connects to PostgreSQL with `options` and runs the migrations.
    ///
    /// # Errors
    /// A connection or a migration failure.
    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Migrator::new(Embedded(POSTGRES_MIGRATIONS))
            .await?
            .run(&pool)
            .await?;
        Ok(Store::Postgres(pool))
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(..) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool (and lets an in-memory database go).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        if let Store::Sqlite(_, Some(MemoryKeeper(keeper))) = self {
            if let Some(conn) = keeper.lock().await.take() {
                let _ = sqlx::Connection::close(conn).await;
            }
        }
    }

    // ---- users ----

    /// How many users exist.
    pub async fn user_count(&self) -> Result<i64> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(pool).await?;
            Ok(row.try_get::<i64, _>("n")?)
        })
    }

    /// Adds a user with an already hashed password.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the username is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        limits: &UserLimits,
    ) -> Result<UserView> {
        let (notional, position, series, subaccounts, loss) = limits_columns(limits);
        let created = now_ms();
        let inserted = on_pool!(self, pool => sqlx::query(
            "INSERT INTO users (username, password_hash, role, disabled, max_order_notional, \
             max_position, allowed_series, allowed_subaccounts, max_daily_loss, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(false)
        .bind(notional)
        .bind(position)
        .bind(series)
        .bind(subaccounts)
        .bind(loss)
        .bind(created)
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get::<i64, _>("id")));
        match inserted {
            Ok(id) => Ok(UserView {
                id,
                username: username.to_owned(),
                role,
                disabled: false,
                limits: limits.clone(),
                created_ms: created,
            }),
            Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
                "the username {username:?} is taken"
            ))),
            Err(err) => Err(err.into()),
        }
    }

    /// The user named `username` with their password hash.
    pub async fn user_with_hash(&self, username: &str) -> Result<Option<(UserView, String)>> {
        let sql =
            format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1");
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(username).fetch_optional(pool).await? {
                Some(row) => {
                    let hash: String = row.try_get("password_hash")?;
                    Ok(Some((read_user!(&row), hash)))
                }
                None => Ok(None),
            }
        })
    }

    /// One user by id.
    pub async fn user(&self, id: i64) -> Result<Option<UserView>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(id).fetch_optional(pool).await? {
                Some(row) => Ok(Some(read_user!(&row))),
                None => Ok(None),
            }
        })
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<UserView>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(read_user!(row));
            }
            Ok(out)
        })
    }

    /// Applies `patch` to user `id`; a disabled user's sessions are deleted. `None` when
    /// there is no such user.
    pub async fn update_user(&self, id: i64, patch: &UserPatch) -> Result<Option<UserView>> {
        if let Some(role) = patch.role {
            on_pool!(self, pool => sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(role.as_str()).bind(id).execute(pool).await.map(|_| ())?);
        }
        if let Some(disabled) = patch.disabled {
            on_pool!(self, pool => sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(disabled).bind(id).execute(pool).await.map(|_| ())?);
            if disabled {
                on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id).execute(pool).await.map(|_| ())?);
            }
        }
        if let Some(limits) = &patch.limits {
            let (notional, position, series, subaccounts, loss) = limits_columns(limits);
            on_pool!(self, pool => sqlx::query(
                "UPDATE users SET max_order_notional = $1, max_position = $2, allowed_series = $3, \
                 allowed_subaccounts = $4, max_daily_loss = $5 WHERE id = $6")
                .bind(notional).bind(position).bind(series).bind(subaccounts).bind(loss).bind(id)
                .execute(pool).await.map(|_| ())?);
        }
        self.user(id).await
    }

    // ---- sessions ----

    /// Stores a new session (its token hashed) for `user_id`.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, last_seen_ms) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(user_id).bind(csrf_token).bind(now).bind(now)
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, with its (current) user.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.created_ms AS s_created, s.last_seen_ms \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        );
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(token_hash).fetch_optional(pool).await? {
                Some(row) => Ok(Some(SessionRow {
                    user: read_user!(&row),
                    csrf_token: row.try_get("csrf_token")?,
                    created_ms: row.try_get("s_created")?,
                    last_seen_ms: row.try_get("last_seen_ms")?,
                })),
                None => Ok(None),
            }
        })
    }

    /// Marks the session used at `now`.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
            .bind(now).bind(token_hash).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Deletes one session (logout, expiry).
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    // ---- order attribution ----

    /// Records that `username` placed the order `client_order_id` in `market`.
    pub async fn record_order_owner(
        &self,
        client_order_id: &str,
        username: &str,
        market: &str,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO order_owners (client_order_id, username, market_ticker, created_ms) \
             VALUES ($1, $2, $3, $4)")
            .bind(client_order_id).bind(username).bind(market).bind(now_ms())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Adds the exchange's order id to an attributed order.
    pub async fn set_order_id(&self, client_order_id: &str, order_id: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE order_owners SET order_id = $1 WHERE client_order_id = $2")
            .bind(order_id).bind(client_order_id).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Owners of the given client order ids and order ids: `(client_order_id, order_id,
    /// username)` rows matching either list.
    pub async fn order_owners(
        &self,
        client_order_ids: &[String],
        order_ids: &[String],
    ) -> Result<Vec<(String, Option<String>, String)>> {
        let mut out = Vec::new();
        // Chunks keep the placeholder count well inside both databases' limits.
        for (column, ids) in [
            ("client_order_id", client_order_ids),
            ("order_id", order_ids),
        ] {
            for chunk in ids.chunks(500) {
                if chunk.is_empty() {
                    continue;
                }
                let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT client_order_id, order_id, username FROM order_owners WHERE {column} IN ({})",
                    marks.join(", ")
                );
                on_pool!(self, pool => {
                    let mut q = sqlx::query(&sql);
                    for id in chunk {
                        q = q.bind(id);
                    }
                    for row in q.fetch_all(pool).await? {
                        out.push((
                            row.try_get("client_order_id")?,
                            row.try_get("order_id")?,
                            row.try_get("username")?,
                        ));
                    }
                });
            }
        }
        Ok(out)
    }
}

mod alerts;
mod audit;
mod halts;
mod pnl;
mod settings;

pub use audit::{AuditBreak, AuditTarget, AuditVerdict, GENESIS_HASH};
pub use halts::Halt;
pub use pnl::StoredFill;

#[cfg(test)]
mod tests;
