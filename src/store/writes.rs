//! The statements of the hot writes (a level click, a post, a typed
//! answer) inside the caller's transaction: [`Store::record_post`] and
//! [`Store::record_rating`] run them directly (PostgreSQL) or through the
//! group-commit writer (SQLite, `writer.rs`).
//!
//! A level click is two scripts (`script.rs`), each one trip to SQLite:
//! the first records the click and reads the member's history of the
//! question; the rules of the domain then say which earlier click it
//! replaces and what the member's memory becomes; the second writes all
//! that follows (the latest level, name, study day, memory, board rows)
//! and counts what the member studied. Twelve statements, one trip each,
//! became two trips (README, Performance).
//!
//! What reaches the disk is every page a click changes, each index
//! included, and the commit waits for all of it. So the second script
//! touches only the board rows the click changed (`board.rs`), and
//! migration 0021 dropped an index no query used: from about 56 pages a
//! click to about 32, measured on a copy of the schema with 5,000 members
//! of ten ratings each.
//!
//! [`Store::record_post`]: super::Store::record_post
//! [`Store::record_rating`]: super::Store::record_rating

use std::sync::LazyLock;

use sqlx::Row;

use super::board::{period_values, recompute_click_sql, recompute_member_sql};
use super::memory::level_of;
use super::progress::day_number;
use super::script::{self, Arg, Outcome};
use super::{id_from_key, id_key, scope_key, StoreError};
use crate::domain::review::{after_click, AfterClick, Click, Memory, Retention};
use crate::domain::score::Period;
use crate::domain::study::{Post, Rating, RatingSaved, Scope, TypedAnswer, Worth};

/// The SQLite writer's transaction, opened by the first write of each
/// batch (`writer.rs`); a level click sends it in the same trip to SQLite
/// as its first statements: every statement is a trip to the connection's
/// thread and back (`script.rs`), an empty `BEGIN` too.
pub(super) const BEGIN: &str = "BEGIN";

/// The statements of [`Store::record_post`]: the post, and its question's
/// count in the channel (once, however often the post is recorded).
pub(super) async fn write_post(conn: &mut sqlx::AnyConnection, post: &Post) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO posts (id, guild_id, channel_id, question_id, source, posted_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id_key(post.id))
    .bind(scope_key(post.scope))
    .bind(id_key(post.channel_id))
    .bind(post.question.as_str())
    .bind(post.source.key())
    .bind(post.at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        sqlx::query(
            "INSERT INTO post_counts (channel_id, question_id, shown) VALUES ($1, $2, 1)
             ON CONFLICT (channel_id, question_id) DO UPDATE SET shown = post_counts.shown + 1",
        )
        .bind(id_key(post.channel_id))
        .bind(post.question.as_str())
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The statement of [`Store::record_typed_answer`]: the member's latest
/// answer to the question replaces the one before.
///
/// [`Store::record_typed_answer`]: super::Store::record_typed_answer
pub(super) async fn write_typed_answer(conn: &mut sqlx::AnyConnection, answer: &TypedAnswer) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO typed_answers (user_id, question_id, guild_id, answer, written_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, question_id) DO UPDATE SET
            guild_id = excluded.guild_id, answer = excluded.answer, written_at = excluded.written_at",
    )
    .bind(id_key(answer.user_id))
    .bind(answer.question.as_str())
    .bind(scope_key(answer.scope))
    .bind(&answer.text)
    .bind(answer.at)
    .execute(conn)
    .await?;
    Ok(())
}

// The values of a click's scripts, by position: the click's own (`$1`–`$14`,
// [`click_args`]), then what the first script decided (`$15`–`$21`,
// [`decided_args`]), then the board's periods (from `$22`). The first
// script is bound with the click's own, the second with all of them,
// always: PostgreSQL keeps a prepared statement's parameter count and
// types from its first use (`script.rs`), and SQLite leaves a `$n` beyond
// the values bound NULL without a word.
const CLICK_ARGS: usize = 14;
const DECIDED_ARGS: usize = 7;
const FIRST_PERIOD: usize = CLICK_ARGS + DECIDED_ARGS + 1;
const ALL_ARGS: usize = FIRST_PERIOD - 1 + 3 * Period::ALL.len();

/// PostgreSQL only: locks the member's all-time board row (see
/// [`lock_member`]) before anything else of the click.
static LOCK_CLICKER: LazyLock<String> = LazyLock::new(|| lock_member_sql(2, 3));

const INSERT_CLICK: &str =
    "INSERT INTO rating_events (id, guild_id, user_id, question_id, level, source, rated_at, points, category)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING";

/// PostgreSQL only: locks the member's memory of the question (a
/// placeholder where there is none), so that two clicks of one member on
/// one question in two servers replay one after the other, the second
/// seeing the first's click. The second script replaces the placeholder.
const LOCK_MEMORY: &str =
    "INSERT INTO memories (user_id, question_id, stability, difficulty, reviews, last_level, last_review_at, due_at)
     VALUES ($3, $4, 0, 0, 0, '', 0, 0)
     ON CONFLICT (user_id, question_id) DO UPDATE SET due_at = memories.due_at";

/// The member's clicks on the question, everywhere (the memory is theirs
/// across servers), with their retention setting.
const HISTORY: &str = "SELECT id, guild_id, level, rated_at,
        (SELECT retention FROM member_settings WHERE user_id = $3) AS retention
     FROM rating_events WHERE user_id = $3 AND question_id = $4";

/// The category the member's latest level for the question counts in so
/// far (none before their first click on it in the server): while it
/// stays the click's, the click changes only that category's board rows.
const PREVIOUS_CATEGORY: &str =
    "SELECT category FROM ratings WHERE guild_id = $2 AND user_id = $3 AND question_id = $4";

/// The replaced click takes this one's level and time; this one goes.
const REPLACE_EARLIER: &str =
    "UPDATE rating_events SET level = $5, source = $6, rated_at = $7, points = $8, category = $9
     WHERE id = $15";
const DROP_CLICK: &str = "DELETE FROM rating_events WHERE id = $1";

/// The member's latest level for the question. Out-of-order deliveries are
/// fine: the newest click sets the level, the oldest the first time, the
/// latest on-time one the bonus.
const LATEST: &str = "INSERT INTO ratings (guild_id, user_id, question_id, level, source, first_rated_at, rated_at,
                          weight, category, bonus_at, bonus)
     VALUES ($2, $3, $4, $5, $6, $7, $7, $10, $9, $11, $12)
     ON CONFLICT (guild_id, user_id, question_id) DO UPDATE SET
        level = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.level ELSE ratings.level END,
        source = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.source ELSE ratings.source END,
        rated_at = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.rated_at ELSE ratings.rated_at END,
        first_rated_at = CASE WHEN excluded.first_rated_at < ratings.first_rated_at
                              THEN excluded.first_rated_at ELSE ratings.first_rated_at END,
        weight = excluded.weight,
        category = excluded.category,
        bonus = CASE WHEN excluded.bonus_at > ratings.bonus_at THEN excluded.bonus ELSE ratings.bonus END,
        bonus_at = CASE WHEN excluded.bonus_at > ratings.bonus_at THEN excluded.bonus_at ELSE ratings.bonus_at END";

/// The name the member rated under, for boards (the newest wins).
const NAME: &str = "INSERT INTO member_names (guild_id, user_id, name, updated_at) VALUES ($2, $3, $13, $7)
     ON CONFLICT (guild_id, user_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= member_names.updated_at";

/// A new review counts toward the member's study day (streaks).
const STUDY_DAY: &str = "INSERT INTO study_days (guild_id, user_id, day, ratings) VALUES ($2, $3, $14, 1)
     ON CONFLICT (guild_id, user_id, day) DO UPDATE SET ratings = study_days.ratings + excluded.ratings";

const SET_MEMORY: &str =
    "INSERT INTO memories (user_id, question_id, stability, difficulty, reviews, last_level, last_review_at, due_at)
     VALUES ($3, $4, $16, $17, $18, $19, $20, $21)
     ON CONFLICT (user_id, question_id) DO UPDATE SET
        stability = excluded.stability, difficulty = excluded.difficulty, reviews = excluded.reviews,
        last_level = excluded.last_level, last_review_at = excluded.last_review_at, due_at = excluded.due_at";
const DROP_MEMORY: &str = "DELETE FROM memories WHERE user_id = $3 AND question_id = $4";

/// The member's board rows, all recomputed as of the click (`board.rs`):
/// after a click that moved a question to another category (its bank
/// changed), and for a redelivered one (on PostgreSQL it may have left
/// the placeholder of the member's row lock, `LOCK_CLICKER`).
static BOARD: LazyLock<[String; 2]> = LazyLock::new(|| recompute_member_sql(2, 3, FIRST_PERIOD));

/// Only the member's board rows the click changed: its category's and the
/// all-categories ones (`board.rs`).
static BOARD_OF_CLICK: LazyLock<String> = LazyLock::new(|| recompute_click_sql(2, 3, 9, FIRST_PERIOD));

/// How many questions the member rated in the server.
static STUDIED: LazyLock<String> = LazyLock::new(|| studied_sql(2, 3));

/// The statements of [`Store::record_rating`], inside the caller's
/// transaction.
///
/// [`Store::record_rating`]: super::Store::record_rating
/// `begin`: the click opens the SQLite writer's transaction ([`BEGIN`]).
pub(super) async fn write_rating(
    conn: &mut sqlx::AnyConnection,
    rating: &Rating,
    worth: &Worth,
    name: Option<&str>,
    begin: bool,
) -> Result<RatingSaved, StoreError> {
    let postgres = !conn.backend_name().eq_ignore_ascii_case("sqlite");
    let first = click_args(rating, worth, name);
    // SQLite: the writer (`writer.rs`) is the only writer, and the
    // database's one write lock is held from the first statement to the
    // commit; row locks mean nothing there.
    // Only the SQLite writer opens its transaction with a click.
    debug_assert!(!(postgres && begin), "BEGIN is the SQLite writer's");
    let lead = if postgres {
        Lead::Lock
    } else if begin {
        Lead::Begin
    } else {
        Lead::Nothing
    };
    let inserted = insert_click(conn, rating, &first, lead).await?;

    let mut statements: Vec<&str> = Vec::with_capacity(12);
    if let Stored::Inserted(after) = &inserted.stored {
        if after.replaces.is_some() {
            statements.extend([REPLACE_EARLIER, DROP_CLICK]);
        }
        statements.push(LATEST);
        if name.is_some() {
            statements.push(NAME);
        }
        if after.replaces.is_none() {
            statements.push(STUDY_DAY);
        }
        statements.push(if inserted.memory.is_some() { SET_MEMORY } else { DROP_MEMORY });
    }
    let same_category = matches!(&inserted.stored, Stored::Inserted(_))
        && inserted.previous_category.as_deref().is_none_or(|c| c == worth.category.as_str());
    if same_category {
        statements.push(&BOARD_OF_CLICK);
    } else {
        statements.extend(BOARD.iter().map(String::as_str));
    }
    statements.push(&STUDIED);
    let outcomes = script::run(conn, &statements, &all_args(first, rating, &inserted)).await?;
    let studied = match outcomes.last().and_then(|o| o.rows.first()) {
        Some(row) => row.try_get::<i64, _>("n")?,
        None => return Err(StoreError::Corrupt("no count of studied questions".into())),
    };
    Ok(RatingSaved { studied: u64::try_from(studied).unwrap_or(0) })
}

/// `$1`–`$14`: id, server, member, question, level, source, time, points,
/// category, weight, bonus time (0 without a bonus), bonus, name, study day.
fn click_args(rating: &Rating, worth: &Worth, name: Option<&str>) -> [Arg; CLICK_ARGS] {
    [
        Arg::Int(id_key(rating.id)),
        Arg::Int(scope_key(rating.scope)),
        Arg::Int(id_key(rating.user_id)),
        Arg::from(rating.question.as_str()),
        Arg::from(rating.level.key()),
        Arg::from(rating.source.key()),
        Arg::Int(rating.at),
        Arg::Int(i64::from(worth.points())),
        Arg::from(worth.category.as_str()),
        Arg::Int(i64::from(worth.weight)),
        Arg::Int(if worth.bonus > 0 { rating.at } else { 0 }),
        Arg::Int(i64::from(worth.bonus)),
        Arg::from(name),
        Arg::Int(day_number(worth.day)),
    ]
}

/// Every value of the second script: the click's own, what the first
/// script decided, and the periods' as of the click.
fn all_args(first: [Arg; CLICK_ARGS], rating: &Rating, inserted: &Inserted) -> Vec<Arg> {
    let mut args = Vec::with_capacity(ALL_ARGS);
    args.extend(first);
    args.extend(decided_args(inserted));
    for (key, since, window) in period_values(&Period::ALL, rating.at) {
        args.extend([Arg::Text(key), Arg::Int(since), Arg::Int(window)]);
    }
    debug_assert_eq!(args.len(), ALL_ARGS);
    args
}

/// `$15`–`$21`: the replaced click (0 for none), then the memory:
/// stability, difficulty, reviews, last level, last review, due.
fn decided_args(inserted: &Inserted) -> [Arg; DECIDED_ARGS] {
    let replaced = match &inserted.stored {
        Stored::Inserted(AfterClick { replaces: Some(id), .. }) => id_key(*id),
        _ => 0,
    };
    let memory = inserted.memory.unwrap_or(Memory {
        stability: 0.0,
        difficulty: 0.0,
        reviews: 0,
        last_level: crate::domain::level::Level::Beginner,
        last_review_at: 0,
        due_at: 0,
    });
    [
        Arg::Int(replaced),
        Arg::Real(f64::from(memory.stability)),
        Arg::Real(f64::from(memory.difficulty)),
        Arg::Int(i64::from(memory.reviews)),
        Arg::from(memory.last_level.key()),
        Arg::Int(memory.last_review_at),
        Arg::Int(memory.due_at),
    ]
}

/// What a click's first script starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    Nothing,
    /// The SQLite writer's transaction ([`BEGIN`]).
    Begin,
    /// PostgreSQL: the member's row lock, in a trip of its own
    /// ([`LOCK_CLICKER`]), then the memory's once the click is known to be
    /// new.
    Lock,
}

/// What became of a click in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stored {
    /// Recorded: a new review of the question, or in place of an earlier
    /// click within the hour ([`after_click`]).
    Inserted(AfterClick),
    /// Already recorded (same interaction id): nothing changes.
    Duplicate,
}

/// What the first script found.
struct Inserted {
    stored: Stored,
    /// The member's memory of the question with this click in it.
    memory: Option<Memory>,
    /// The category of the member's latest level for the question in the
    /// server, before this click ([`PREVIOUS_CATEGORY`]).
    previous_category: Option<String>,
}

/// The first script: records the click and reads the member's history of
/// the question; then where the click lands in it, and the memory that
/// follows. [`Lead::Lock`] (PostgreSQL, where statements go one by one
/// anyway) takes the member's row lock first, and the memory's once the
/// click is known to be new: a redelivered click leaves no placeholder
/// behind.
async fn insert_click(
    conn: &mut sqlx::AnyConnection,
    rating: &Rating,
    args: &[Arg; CLICK_ARGS],
    lead: Lead,
) -> Result<Inserted, StoreError> {
    let duplicate = Inserted { stored: Stored::Duplicate, memory: None, previous_category: None };
    let mut outcomes = if lead == Lead::Lock {
        let inserted = script::run(conn, &[LOCK_CLICKER.as_str(), INSERT_CLICK], args).await?;
        if inserted.get(1).is_none_or(|insert| insert.changed == 0) {
            return Ok(duplicate);
        }
        script::run(conn, &[LOCK_MEMORY, HISTORY, PREVIOUS_CATEGORY], args).await?
    } else {
        let (statements, insert): (&[&str], usize) = match lead {
            Lead::Begin => (&[BEGIN, INSERT_CLICK, HISTORY, PREVIOUS_CATEGORY], 1),
            _ => (&[INSERT_CLICK, HISTORY, PREVIOUS_CATEGORY], 0),
        };
        let outcomes = script::run(conn, statements, args).await?;
        if outcomes.get(insert).is_none_or(|insert| insert.changed == 0) {
            return Ok(duplicate);
        }
        outcomes
    };
    let (Some(previous), Some(history)) = (outcomes.pop(), outcomes.pop()) else {
        return Err(StoreError::Corrupt("a click's first script reported too few outcomes".into()));
    };
    let previous_category = match previous.rows.first() {
        Some(row) => Some(row.try_get::<String, _>("category")?),
        None => None,
    };
    let (clicks, retention) = clicks_of(&history)?;
    let new = Click { id: rating.id, scope: rating.scope, level: rating.level, at: rating.at };
    let after = after_click(&new, &clicks);
    let memory = Memory::replay(&after.reviews, retention);
    Ok(Inserted { stored: Stored::Inserted(after), memory, previous_category })
}

/// The rows of [`HISTORY`].
fn clicks_of(history: &Outcome) -> Result<(Vec<Click>, Retention), StoreError> {
    let mut retention = Retention::default();
    let mut clicks = Vec::with_capacity(history.rows.len());
    for row in &history.rows {
        retention = row.try_get::<Option<i64>, _>("retention")?.and_then(Retention::from_percent).unwrap_or_default();
        let guild: i64 = row.try_get("guild_id")?;
        clicks.push(Click {
            id: id_from_key(row.try_get("id")?)?,
            scope: if guild == 0 { Scope::DirectMessages } else { Scope::Guild(id_from_key(guild)?) },
            level: level_of(row.try_get("level")?)?,
            at: row.try_get("rated_at")?,
        });
    }
    Ok((clicks, retention))
}

/// An imported click, put into the history and the member's latest levels
/// as a level click is; the caller counts study days, memories and boards
/// once per member afterwards.
pub(super) async fn import_click(
    conn: &mut sqlx::AnyConnection,
    rating: &Rating,
    worth: &Worth,
) -> Result<Stored, StoreError> {
    let first = click_args(rating, worth, None);
    let inserted = insert_click(conn, rating, &first, Lead::Nothing).await?;
    let statements: &[&str] = match &inserted.stored {
        Stored::Duplicate => return Ok(Stored::Duplicate),
        Stored::Inserted(AfterClick { replaces: Some(_), .. }) => &[REPLACE_EARLIER, DROP_CLICK, LATEST],
        Stored::Inserted(_) => &[LATEST],
    };
    script::run(conn, statements, &all_args(first, rating, &inserted)).await?;
    Ok(inserted.stored)
}

/// Locks the member's all-time board row, the first thing a click, a board
/// refresh and `/forget-me` do to a member: with one lock order, on
/// PostgreSQL none of them can deadlock another (a click that locked its
/// history first and its board row last did, against `/forget-me`). A
/// member without the row yet gets a placeholder, so that there is always
/// something to lock; the caller's transaction recomputes or deletes the
/// member's board rows, placeholder included, before it commits.
pub(super) async fn lock_member(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    user: i64,
) -> Result<(), StoreError> {
    sqlx::query(&lock_member_sql(1, 2)).bind(guild).bind(user).execute(&mut **tx).await?;
    Ok(())
}

fn studied_sql(guild: usize, user: usize) -> String {
    format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ratings WHERE guild_id = ${guild} AND user_id = ${user}")
}

fn lock_member_sql(guild: usize, user: usize) -> String {
    format!(
        "INSERT INTO board_totals (guild_id, user_id, period, category, score, studied, reached, valid_until)
         VALUES (${guild}, ${user}, 'a', '', 0, 0, 0, 0)
         ON CONFLICT (guild_id, user_id, period, category) DO UPDATE SET valid_until = board_totals.valid_until"
    )
}

pub(super) async fn studied_in<'c, E>(executor: E, guild: i64, user: i64) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    // Not the click's text: PostgreSQL caches a prepared statement by its
    // text, with the number of values the first use bound.
    let n: i64 = sqlx::query_scalar(&studied_sql(1, 2)).bind(guild).bind(user).fetch_one(executor).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highest `$n` a statement names.
    fn highest_parameter(sql: &str) -> usize {
        sql.split('$')
            .skip(1)
            .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn every_statement_names_only_values_its_script_binds() {
        for sql in [LOCK_CLICKER.as_str(), INSERT_CLICK, LOCK_MEMORY, HISTORY, PREVIOUS_CATEGORY] {
            assert!(highest_parameter(sql) <= CLICK_ARGS, "{sql}");
        }
        let second = [REPLACE_EARLIER, DROP_CLICK, LATEST, NAME, STUDY_DAY, SET_MEMORY, DROP_MEMORY, &STUDIED];
        let boards = BOARD.iter().chain([&*BOARD_OF_CLICK]).map(String::as_str);
        for sql in second.into_iter().chain(boards) {
            assert!(highest_parameter(sql) <= ALL_ARGS, "{sql}");
        }
        assert_eq!(highest_parameter(&BOARD[1]), ALL_ARGS, "the last period's length is the last value");
        assert_eq!(highest_parameter(&BOARD_OF_CLICK), ALL_ARGS);
        assert_eq!(highest_parameter(SET_MEMORY), CLICK_ARGS + DECIDED_ARGS, "the memory's due time");
    }
}
