//! Every SQL statement of the bot. Methods are named for what they mean and
//! return domain types; nothing above this module writes SQL or sees sqlx.
//!
//! # One dialect
//! The store talks to SQLite (the embedded default) and PostgreSQL through
//! sqlx's `Any` driver with a single set of migrations and queries. That
//! works because the schema keeps to what both read the same way through
//! `Any`: `BIGINT` for Discord ids, unix-second times and counts, `TEXT` for
//! everything else, keys chosen by the bot (interaction ids, natural
//! composite keys) instead of autoincrement, `$n` placeholders, `ON
//! CONFLICT` upserts, and casts on aggregates. Guild id `0` stands for
//! direct messages, since Discord never issues snowflake 0.

mod board;
mod progress;
mod ratings;
mod schedules;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::study::Scope;

/// What can go wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Holds only the scheme: the rest of a URL may carry a password.
    #[error("unsupported DATABASE_URL scheme {0:?}: expected sqlite://FILE or postgres://HOST/DATABASE")]
    UnsupportedUrl(String),
    /// A stored value this version does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// A handle on the database; cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Connects, creating a SQLite file if missing, and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let url = normalize_url(url)?;
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                        // WAL lets readers run beside the writer; FULL keeps
                        // an acknowledged rating on disk through a power cut.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store { pool };
        store.backfill_due_times().await?;
        Ok(store)
    }

    /// Closes every connection; pending writes finish first.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `sqlite://file` gains `mode=rwc` (create if missing) unless a mode is
/// given; `postgres://` and `postgresql://` pass as they are; other schemes
/// are refused.
fn normalize_url(url: &str) -> Result<String, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_string());
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.contains("mode=") || rest.contains(":memory:") {
            return Ok(url.to_string());
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{sep}mode=rwc"));
    }
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    Err(StoreError::UnsupportedUrl(scheme.to_string()))
}

/// Guild id as stored: `0` for direct messages.
fn scope_key(scope: Scope) -> i64 {
    match scope {
        Scope::Guild(id) => id_key(id),
        Scope::DirectMessages => 0,
    }
}

/// Discord snowflakes fit in 63 bits; stored as BIGINT.
fn id_key(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

fn id_from_key(key: i64) -> Result<u64, StoreError> {
    u64::try_from(key).map_err(|_| StoreError::Corrupt(format!("negative id {key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(normalize_url("sqlite://quizbot.db").unwrap(), "sqlite://quizbot.db?mode=rwc");
        assert_eq!(normalize_url("sqlite://a.db?cache=shared").unwrap(), "sqlite://a.db?cache=shared&mode=rwc");
        assert_eq!(normalize_url("sqlite://a.db?mode=ro").unwrap(), "sqlite://a.db?mode=ro");
        assert_eq!(normalize_url("postgres://bot@db/quiz").unwrap(), "postgres://bot@db/quiz");
        assert!(matches!(normalize_url("mysql://x"), Err(StoreError::UnsupportedUrl(_))));
    }
}
