//! The store suites run on both backends: a temporary SQLite file, and a
//! fresh schema on the PostgreSQL server named by `TEST_DATABASE_URL`
//! (default: the local server's `test` database). Each test gets its own
//! schema, so tests run in parallel; the schema is dropped afterwards.
//!
//! Outside CI an unreachable PostgreSQL skips those tests with a line on
//! stderr; with `CI=true` it fails them.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::RecvTimeoutError;

use quizbot::store::Store;
use sqlx::{Connection, Executor};

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Where a test's data lives.
pub struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// Server URL and schema to drop when the test ends.
    schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("quizbot.db").display());
        TestDb { url, _dir: Some(dir), schema: None }
    }

    /// A new empty schema on the test server, or `None` (with a note on
    /// stderr) when the server is unreachable outside CI.
    pub async fn postgres() -> Option<TestDb> {
        sqlx::any::install_default_drivers();
        let server = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
        let mut admin = match sqlx::AnyConnection::connect(&server).await {
            Ok(conn) => conn,
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipped: PostgreSQL at {server} is unreachable ({e}); set TEST_DATABASE_URL");
                return None;
            }
            Err(e) => panic!("PostgreSQL at {server} is unreachable in CI: {e}"),
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let schema = format!("t{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos);
        admin.execute(format!("CREATE SCHEMA {schema}").as_str()).await.expect("create a test schema");
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options[search_path]={schema}");
        Some(TestDb { url, _dir: None, schema: Some((server, schema)) })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection pool on this database (migrations applied).
    pub async fn store(&self) -> Store {
        Store::connect(&self.url, 4).await.expect("connect and migrate")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, schema)) = self.schema.take() else { return };
        // Drop runs inside the test's runtime, which cannot block: a thread
        // with its own runtime does the cleanup. A cleanup that still hangs
        // leaves the schema behind rather than the test run.
        let (done, finished) = std::sync::mpsc::channel();
        let left = format!("test schema {schema} was left behind");
        std::thread::spawn(move || {
            let dropped = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(drop_schema(&server, &schema)),
                Err(_) => false,
            };
            let _ = done.send(dropped);
        });
        match finished.recv_timeout(CLEANUP_PATIENCE) {
            Ok(true) => {}
            Ok(false) => eprintln!("{left}: it could not be dropped"),
            Err(RecvTimeoutError::Timeout) => eprintln!("{left}: dropping it took over {CLEANUP_PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => eprintln!("{left}: its cleanup panicked"),
        }
    }
}

const CLEANUP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Drops a test's schema even while other sessions still hold locks in it.
///
/// A bot killed mid-transaction leaves its backend idle in that transaction,
/// holding its locks, until PostgreSQL sees the socket close. Through the
/// e2e tests' proxy that close never comes: the proxy runs on the test's
/// runtime, which is blocked here, so `DROP SCHEMA` would wait forever (CI
/// once hung on exactly that). Those sessions are ended first, and each
/// `DROP` gives up after a moment so that any newcomer is ended too.
/// Returns whether the schema is gone.
async fn drop_schema(server: &str, schema: &str) -> bool {
    let Ok(mut conn) = sqlx::AnyConnection::connect(server).await else { return false };
    let _ = conn.execute("SET lock_timeout = '2s'").await;
    for _ in 0..5 {
        let _ = sqlx::query(END_SESSIONS_IN_SCHEMA).bind(schema).execute(&mut conn).await;
        if conn.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str()).await.is_ok() {
            return true;
        }
    }
    false
}

/// Ends every other session holding a lock on the schema or on anything in it.
const END_SESSIONS_IN_SCHEMA: &str = "
    SELECT count(pg_terminate_backend(holders.pid)) FROM (
        SELECT DISTINCT l.pid FROM pg_locks l
        JOIN pg_namespace n ON n.nspname = $1
        LEFT JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND (c.relnamespace = n.oid
               OR (l.classid = 'pg_namespace'::regclass AND l.objid = n.oid))
    ) holders";

/// Runs each named `async fn(TestDb)` once per backend, as
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::backends::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::backends::TestDb::postgres().await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}
