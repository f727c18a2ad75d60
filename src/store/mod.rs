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

mod banks;
mod board;
mod claims;
mod contexts;
mod memory;
mod progress;
mod ratings;
mod recaps;
mod reminders;
mod schedules;
mod script;
mod shown;
mod unconfirmed;
mod writer;
mod writes;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use crate::domain::study::Scope;
use crate::measures::{db_error, DATABASE_ERRORS_TOTAL};

/// What can go wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Counted in `quizbot_database_errors_total` as it is made (see the
    /// `From` below): every driver error passes through here.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Holds only the scheme: the rest of a URL may carry a password.
    #[error("unsupported DATABASE_URL scheme {0:?}: expected sqlite://FILE or postgres://HOST/DATABASE")]
    UnsupportedUrl(String),
    /// A stored value this version does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
    /// At start: the first connection failed. Names only the host.
    #[error("cannot reach the database at {host}: {reason}")]
    Unreachable { host: String, reason: String },
    /// The store is shutting down and takes no more writes.
    #[error("the database is closing")]
    Closed,
    /// A write a member waits for did not get its turn within its deadline
    /// ([`WRITE_DEADLINE`] unless the caller gave another): the database is
    /// locked or swamped. It may still be written later; writing it again
    /// is harmless.
    #[error("the database is busy")]
    Busy,
    /// A batch of writes (SQLite, see `writer.rs`) failed as a whole: each
    /// of its writes reports the one cause.
    #[error("database error: {reason}")]
    Batch { reason: String, unavailable: bool },
    /// At start: the SQLite writer's thread could not be started (out of
    /// threads or memory: worth trying again later).
    #[error("cannot start the database writer: {0}")]
    Thread(#[source] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        let error = StoreError::Database(e);
        let class = if error.is_unavailable() {
            db_error::UNAVAILABLE
        } else if error.is_busy() {
            db_error::BUSY
        } else {
            db_error::STATEMENT
        };
        metrics::counter!(DATABASE_ERRORS_TOTAL, "class" => class).increment(1);
        error
    }
}

impl StoreError {
    /// Whether the database is out of reach (down, restarting, network),
    /// as opposed to refusing a statement: worth trying again shortly.
    /// SQLite's "database is locked" (SQLITE_BUSY and its extended
    /// codes): another writer held the lock past the busy timeout.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| db.message().contains("locked") && code & 0xff == 5),
            _ => false,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } | StoreError::Closed | StoreError::Busy => true,
            StoreError::Batch { unavailable, .. } => *unavailable,
            StoreError::Database(e) => match e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL: connection exceptions (08…) and operator
                // intervention such as a shutdown (57P…).
                sqlx::Error::Database(db) => {
                    db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// How long a statement waits for a pooled connection. Below Discord's 3 s
/// deadline, so that with the database gone an interaction still gets its
/// "try again" reply in time.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a member's write (a level click, a shown question) may wait for
/// the database before the member is told to try again: inside Discord's
/// 3 s, with room for the answer's own round trip.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(2);

/// How long SQLite waits for another writer's lock. Below
/// [`WRITE_DEADLINE`], so that a batch stuck behind a lock fails and frees
/// the writer for the clicks queued after it.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 1_500;

/// How long the first connection at start may take.
const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on the database; cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite only: the group-commit writer for ratings and posts (see
    /// `writer.rs`). PostgreSQL takes concurrent writers as they come.
    writer: Option<writer::Writer>,
    /// `/quiz` posts not yet confirmed on disk (`unconfirmed.rs`).
    unconfirmed: unconfirmed::Unconfirmed,
    /// How often each question was shown in the channels used last, on
    /// SQLite (`shown.rs`).
    shown: shown::Shown,
    /// What a level click in a channel needs to know, on SQLite
    /// (`contexts.rs`).
    contexts: contexts::Contexts,
}

impl Store {
    /// Connects, creating a SQLite file if missing, and applies migrations.
    /// A database out of reach is [`StoreError::Unreachable`], naming the
    /// host; the pool reconnects by itself if it goes away later.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let url = normalize_url(url)?;
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        // One plain connection first: the pool would retry a refused
        // connection until its timeout and report only that it timed out.
        let unreachable = |reason: String| StoreError::Unreachable { host: host_of(&url), reason };
        match tokio::time::timeout(FIRST_CONNECT_TIMEOUT, options.connect()).await {
            Err(_) => return Err(unreachable(format!("no answer within {FIRST_CONNECT_TIMEOUT:?}"))),
            Ok(Err(e @ (sqlx::Error::Io(_) | sqlx::Error::Tls(_)))) => return Err(unreachable(e.to_string())),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
        }
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A pooled SQLite connection is a file handle that cannot drop
            // like a socket; checking it each time it is taken from the
            // pool is one more trip to its thread (`script.rs`).
            .test_before_acquire(!sqlite)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                        prepare_sqlite(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let writer = if sqlite { Some(writer::Writer::start(pool.clone(), options).await?) } else { None };
        // SQLite has one process, so every post is recorded here.
        let shown = shown::Shown::new(sqlite);
        let contexts = contexts::Contexts::new(sqlite);
        let store = Store { pool, writer, unconfirmed: Default::default(), shown, contexts };
        let replayed = store.replay_queued_memories().await?;
        if replayed > 0 {
            tracing::info!(replayed, "members' rating histories replayed into review memories (migration 0013)");
        }
        Ok(store)
    }

    /// What the database holds, for the start-up log line: a typo in
    /// `DATABASE_URL` then shows as an empty database, not as lost data.
    pub async fn summary(&self) -> Result<Summary, StoreError> {
        let (ratings, schedules): (i64, i64) = sqlx::query_as(
            "SELECT CAST((SELECT COUNT(*) FROM rating_events) AS BIGINT),
                    CAST((SELECT COUNT(*) FROM schedules) AS BIGINT)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Summary { ratings: u64::try_from(ratings).unwrap_or(0), schedules: u64::try_from(schedules).unwrap_or(0) })
    }

    /// Whether the database answers: one `SELECT 1`, for `/healthz`, which
    /// bounds how long it waits. On SQLite it is answered from a pooled
    /// connection without touching the file's lock, so a busy writer does
    /// not make the bot look down.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; writes queued before the call are written
    /// first, later ones fail with [`StoreError::Closed`] or as out of
    /// reach.
    pub async fn close(&self) {
        // `/quiz`'s post records (`Store::record_post_later`) first, then
        // whatever the writer still holds.
        if tokio::time::timeout(WRITE_DEADLINE, self.unconfirmed.settled()).await.is_err() {
            tracing::warn!("some shown questions were not recorded before closing");
        }
        if let Some(writer) = &self.writer {
            writer.flush().await;
        }
        self.pool.close().await;
    }
}

/// Every SQLite connection's settings: the pool's and the writer's own.
async fn prepare_sqlite(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    // A level click changes a row or two in each of some 20 tables and
    // indexes, and every page it changes goes to the log and to disk
    // before the member hears back: 1 KiB pages write a quarter of the
    // bytes of the default 4 KiB (issue 16). Only a new file takes it; an
    // existing one keeps its page size (the README says how to convert).
    conn.execute("PRAGMA page_size = 1024").await?;
    // WAL lets readers run beside the writer; FULL keeps an acknowledged
    // rating on disk through a power cut.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str()).await?;
    // The writer checkpoints between its batches (writer.rs), not inside
    // whichever commit crosses a threshold.
    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
    Ok(())
}

/// What a database holds ([`Store::summary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Level clicks ever recorded.
    pub ratings: u64,
    pub schedules: u64,
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

/// Where a database URL points, without credentials or parameters:
/// `host:port` for a server, the file for SQLite. The one way a database
/// URL is shown to anyone, since the rest may carry a password.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = if url.starts_with("sqlite:") { rest.find('?') } else { rest.find(['/', '?']) };
    let authority = &rest[..end.unwrap_or(rest.len())];
    authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_string()
}

/// `$first, $first+1, …` for `n` values: the list of an `IN (…)`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds ids in turn, for the [`placeholders`] of an `IN (…)` list.
fn bind_ids<'q>(query: AnyQuery<'q>, ids: impl IntoIterator<Item = i64>) -> AnyQuery<'q> {
    ids.into_iter().fold(query, |query, id| query.bind(id))
}

fn bind_texts<'q>(query: AnyQuery<'q>, texts: impl IntoIterator<Item = &'q str>) -> AnyQuery<'q> {
    texts.into_iter().fold(query, |query, t| query.bind(t))
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
    fn hosts_are_named_without_credentials() {
        assert_eq!(host_of("postgres://bot:hunter2@db.internal:5432/quiz?sslmode=require"), "db.internal:5432");
        assert_eq!(host_of("postgres://localhost/quiz"), "localhost");
        assert_eq!(host_of("postgres://db/quiz?password=p@ss"), "db");
        assert_eq!(host_of("sqlite://data/quizbot.db?mode=rwc"), "data/quizbot.db");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(normalize_url("sqlite://quizbot.db").unwrap(), "sqlite://quizbot.db?mode=rwc");
        assert_eq!(normalize_url("sqlite://a.db?cache=shared").unwrap(), "sqlite://a.db?cache=shared&mode=rwc");
        assert_eq!(normalize_url("sqlite://a.db?mode=ro").unwrap(), "sqlite://a.db?mode=ro");
        assert_eq!(normalize_url("postgres://bot@db/quiz").unwrap(), "postgres://bot@db/quiz");
        assert!(matches!(normalize_url("mysql://x"), Err(StoreError::UnsupportedUrl(_))));
    }
}
