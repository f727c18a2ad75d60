//! Several statements in one trip to the database, for the level click.
//!
//! sqlx's SQLite driver runs each connection on a thread of its own, and
//! every statement is a round trip to that thread: the statement is sent,
//! the thread wakes, runs it and sends the outcome back, and the task that
//! waits wakes in turn. On this project's 2-core machine such a trip costs
//! far more than the statement itself (a one-row upsert), so a level click
//! of a dozen statements spent most of its time travelling (issue 16's
//! profile; numbers in the README's Performance section).
//!
//! SQLite prepares a text of several statements and runs them in turn,
//! binding each `$n` to the same list of arguments in every statement
//! (sqlx-sqlite 0.8's `arguments.rs`): one trip for the whole text. sqlx
//! marks that way of using a query as deprecated (launchbadge/sqlx#3108),
//! and sqlx is pinned at 0.8.6 (Cargo.toml); the store tests run every
//! script on both backends, so a driver that stops doing it fails them.
//! PostgreSQL's protocol takes one statement per message: there the
//! statements go one by one, each with the whole list of arguments
//! (PostgreSQL accepts declared parameters a statement does not use). It
//! also caches each prepared statement by its text, with as many
//! parameters as its first use bound: a script's statement must not share
//! its text with a statement bound elsewhere with fewer values.

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Either, Executor};

use super::{AnyQuery, StoreError};

/// A value bound to a script's `$n`, owned so that one list serves every
/// statement of the script.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Int(i64),
    Real(f64),
    Text(String),
    NoText,
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        v.map_or(Arg::NoText, Arg::from)
    }
}

/// What one statement of a script did.
#[derive(Default)]
pub(super) struct Outcome {
    pub changed: u64,
    pub rows: Vec<sqlx::any::AnyRow>,
}

/// Runs `statements` in order on `conn` (inside the caller's
/// transaction), binding `$1`… to `args` in each; one outcome per
/// statement, in the same order.
pub(super) async fn run(
    conn: &mut AnyConnection,
    statements: &[&str],
    args: &[Arg],
) -> Result<Vec<Outcome>, StoreError> {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        let text = statements.join(";\n");
        let mut outcomes = Vec::with_capacity(statements.len());
        let mut current = Outcome::default();
        let mut steps = (&mut *conn).fetch_many(bind(sqlx::query(&text), args));
        while let Some(step) = steps.try_next().await? {
            match step {
                Either::Right(row) => current.rows.push(row),
                Either::Left(done) => {
                    current.changed = done.rows_affected();
                    outcomes.push(std::mem::take(&mut current));
                }
            }
        }
        if outcomes.len() != statements.len() {
            return Err(StoreError::Corrupt(format!(
                "a script of {} statements reported {} outcomes",
                statements.len(),
                outcomes.len()
            )));
        }
        Ok(outcomes)
    } else {
        let mut outcomes = Vec::with_capacity(statements.len());
        for statement in statements {
            let mut current = Outcome::default();
            let mut steps = (&mut *conn).fetch_many(bind(sqlx::query(statement), args));
            while let Some(step) = steps.try_next().await? {
                match step {
                    Either::Right(row) => current.rows.push(row),
                    Either::Left(done) => current.changed += done.rows_affected(),
                }
            }
            outcomes.push(current);
        }
        Ok(outcomes)
    }
}

fn bind<'q>(query: AnyQuery<'q>, args: &'q [Arg]) -> AnyQuery<'q> {
    args.iter().fold(query, |query, arg| match arg {
        Arg::Int(v) => query.bind(*v),
        Arg::Real(v) => query.bind(*v),
        Arg::Text(v) => query.bind(v.as_str()),
        Arg::NoText => query.bind(None::<&str>),
    })
}
