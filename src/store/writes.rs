//! The statements of the two hot writes, a post and a level click, inside
//! the caller's transaction: [`Store::record_post`] and
//! [`Store::record_rating`] run them directly (PostgreSQL) or through the
//! group-commit writer (SQLite, `writer.rs`).
//!
//! [`Store::record_post`]: super::Store::record_post
//! [`Store::record_rating`]: super::Store::record_rating

use super::board::{recompute_member, remember_name};
use super::memory::update_memory;
use super::progress::add_study_day;
use super::{id_key, scope_key, AnyQuery, StoreError};
use crate::domain::review::ONE_REVIEW_SECS;
use crate::domain::study::{Post, Rating, RatingSaved, TypedAnswer, Worth};

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

/// The statements of [`Store::record_rating`], inside the caller's
/// transaction.
pub(super) async fn write_rating(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rating: &Rating,
    worth: &Worth,
    name: Option<&str>,
) -> Result<RatingSaved, StoreError> {
    lock_member(tx, scope_key(rating.scope), id_key(rating.user_id)).await?;
    let stored = insert_rating(tx, rating, worth).await?;
    let (guild, user) = (scope_key(rating.scope), id_key(rating.user_id));
    if stored != Stored::Duplicate {
        if let Some(name) = name {
            remember_name(tx, guild, user, name, rating.at).await?;
        }
        if stored == Stored::New {
            add_study_day(tx, guild, user, worth.day, 1).await?;
        }
        update_memory(tx, user, rating.question.as_str()).await?;
    }
    // Also for a duplicate: it replaces the lock's placeholder, if any.
    recompute_member(tx, guild, user, rating.at).await?;
    let studied = studied_in(&mut **tx, scope_key(rating.scope), id_key(rating.user_id)).await?;
    Ok(RatingSaved { studied })
}

/// Binds a click's history columns, `$1` to `$9`: id, server, member,
/// question, level, source, time, points, category.
fn bind_event<'q>(query: AnyQuery<'q>, rating: &'q Rating, worth: &'q Worth) -> AnyQuery<'q> {
    query
        .bind(id_key(rating.id))
        .bind(scope_key(rating.scope))
        .bind(id_key(rating.user_id))
        .bind(rating.question.as_str())
        .bind(rating.level.key())
        .bind(rating.source.key())
        .bind(rating.at)
        .bind(i64::from(worth.points()))
        .bind(&worth.category)
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
    sqlx::query(
        "INSERT INTO board_totals (guild_id, user_id, period, category, score, studied, reached, valid_until)
         VALUES ($1, $2, 'a', '', 0, 0, 0, 0)
         ON CONFLICT (guild_id, user_id, period, category) DO UPDATE SET valid_until = board_totals.valid_until",
    )
    .bind(guild)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What became of a click in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    /// A new review of the question.
    New,
    /// Within [`ONE_REVIEW_SECS`] of the member's last click on the
    /// question: that click's level was replaced, the history did not grow.
    Merged,
    /// Already recorded (same interaction id): nothing changed.
    Duplicate,
}

/// Records a click in the history, then makes it the member's latest level
/// for the question when it is the newest. A click soon after the last one
/// on the same question replaces it ([`ONE_REVIEW_SECS`]), so clicking again
/// and again grows neither the history nor the work of the clicks after.
pub(super) async fn insert_rating(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rating: &Rating,
    worth: &Worth,
) -> Result<Stored, StoreError> {
    let guild = scope_key(rating.scope);
    let user = id_key(rating.user_id);
    // Writes first, reads after: on SQLite a transaction that reads before
    // it writes fails at once ("database is locked") when another
    // connection wrote meanwhile, instead of waiting its turn.
    let insert = sqlx::query(
        "INSERT INTO rating_events (id, guild_id, user_id, question_id, level, source, rated_at, points, category)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
    );
    let inserted = bind_event(insert, rating, worth).execute(&mut **tx).await?.rows_affected();
    if inserted == 0 {
        return Ok(Stored::Duplicate);
    }
    // The member's last click on the question before this one, within the
    // window, takes this one's level, and this one's row goes.
    let merge = sqlx::query(
        "UPDATE rating_events SET level = $5, source = $6, rated_at = $7, points = $8, category = $9
         WHERE id = (SELECT id FROM rating_events
                     WHERE guild_id = $2 AND user_id = $3 AND question_id = $4 AND id <> $1
                       AND rated_at <= $7 AND rated_at > $10
                     ORDER BY rated_at DESC, id DESC LIMIT 1)",
    );
    let merged =
        bind_event(merge, rating, worth).bind(rating.at - ONE_REVIEW_SECS).execute(&mut **tx).await?.rows_affected();
    let stored = if merged == 1 {
        sqlx::query("DELETE FROM rating_events WHERE id = $1").bind(id_key(rating.id)).execute(&mut **tx).await?;
        Stored::Merged
    } else {
        Stored::New
    };
    // Out-of-order deliveries are fine: the newest click sets the level,
    // the oldest the first time, the latest on-time one the bonus.
    sqlx::query(
        "INSERT INTO ratings (guild_id, user_id, question_id, level, source, first_rated_at, rated_at,
                              weight, category, bonus_at, bonus)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)
         ON CONFLICT (guild_id, user_id, question_id) DO UPDATE SET
            level = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.level ELSE ratings.level END,
            source = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.source ELSE ratings.source END,
            rated_at = CASE WHEN excluded.rated_at >= ratings.rated_at THEN excluded.rated_at ELSE ratings.rated_at END,
            first_rated_at = CASE WHEN excluded.first_rated_at < ratings.first_rated_at
                                  THEN excluded.first_rated_at ELSE ratings.first_rated_at END,
            weight = excluded.weight,
            category = excluded.category,
            bonus = CASE WHEN excluded.bonus_at > ratings.bonus_at THEN excluded.bonus ELSE ratings.bonus END,
            bonus_at = CASE WHEN excluded.bonus_at > ratings.bonus_at THEN excluded.bonus_at ELSE ratings.bonus_at END",
    )
    .bind(guild)
    .bind(user)
    .bind(rating.question.as_str())
    .bind(rating.level.key())
    .bind(rating.source.key())
    .bind(rating.at)
    .bind(i64::from(worth.weight))
    .bind(&worth.category)
    .bind(if worth.bonus > 0 { rating.at } else { 0 })
    .bind(i64::from(worth.bonus))
    .execute(&mut **tx)
    .await?;
    Ok(stored)
}

pub(super) async fn studied_in<'c, E>(executor: E, guild: i64, user: i64) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let n: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ratings WHERE guild_id = $1 AND user_id = $2")
            .bind(guild)
            .bind(user)
            .fetch_one(executor)
            .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
