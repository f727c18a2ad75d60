//! A fresh PostgreSQL schema for a run on `E2E_BENCH_DATABASE_URL`, as the
//! store tests make theirs (`tests/store/backends.rs`): the bot's
//! `DATABASE_URL` names the schema in `search_path`, so its migrations
//! create the tables there and nothing else in the database is touched.
//! The schema is dropped afterwards.

use sqlx::{Connection as _, Executor as _};

pub struct PgSchema {
    server: String,
    schema: String,
    url: String,
}

impl PgSchema {
    /// Creates an empty schema on `server` (a `postgres://` URL).
    pub async fn create(server: &str) -> anyhow::Result<PgSchema> {
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::AnyConnection::connect(server).await?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let schema = format!("bench_e2e_{}_{nanos}", std::process::id());
        admin.execute(format!("CREATE SCHEMA {schema}").as_str()).await?;
        let _ = admin.close().await;
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options[search_path]={schema}");
        Ok(PgSchema { server: server.to_string(), schema, url })
    }

    /// The bot's `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) -> anyhow::Result<()> {
        let mut admin = sqlx::AnyConnection::connect(&self.server).await?;
        admin.execute(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema).as_str()).await?;
        let _ = admin.close().await;
        Ok(())
    }
}
