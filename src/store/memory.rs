//! Each member's memory of each question (`memories`, FSRS: see
//! `domain::review`) and their review settings (`member_settings`).
//!
//! A memory is the member's, across servers and DMs, so it is keyed by
//! member and question only. It is never updated by a delta: every click
//! replays the member's whole history of that question (a handful of rows,
//! through `rating_events_by_member_question`), so a click delivered late,
//! a merged double click or a `/forget-me` in one server all end in the
//! memory the remaining history implies.

use sqlx::Row;

use super::{id_key, Store, StoreError};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::review::{Memory, Retention, Review};

/// Memories replayed per transaction at start.
const REPLAY_BATCH: i64 = 500;

impl Store {
    /// The member's memory of every question they rated anywhere, soonest
    /// due first.
    pub async fn memories(&self, user_id: u64) -> Result<Vec<(QuestionId, Memory)>, StoreError> {
        let rows = sqlx::query(
            "SELECT question_id, stability, difficulty, reviews, last_level, last_review_at, due_at
             FROM memories WHERE user_id = $1 ORDER BY due_at, question_id",
        )
        .bind(id_key(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(question_memory_from).collect()
    }

    /// The memories of every member of a server of the questions they
    /// rated there (retired ratings left out): the group's knowledge, for
    /// `weakest` daily picks.
    pub async fn group_memories(&self, guild_id: u64) -> Result<Vec<(QuestionId, Memory)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.question_id, m.stability, m.difficulty, m.reviews, m.last_level, m.last_review_at, m.due_at
             FROM ratings r JOIN memories m ON m.user_id = r.user_id AND m.question_id = r.question_id
             WHERE r.guild_id = $1 AND r.retired = 0",
        )
        .bind(id_key(guild_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(question_memory_from).collect()
    }

    /// The member's target retention (the default if they never set one).
    pub async fn retention(&self, user_id: u64) -> Result<Retention, StoreError> {
        let percent: Option<i64> = sqlx::query_scalar("SELECT retention FROM member_settings WHERE user_id = $1")
            .bind(id_key(user_id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(percent.and_then(Retention::from_percent).unwrap_or_default())
    }

    /// Sets the member's target retention and moves every question's due
    /// time to match, in one transaction. Each memory is replayed under its
    /// row lock (`update_memory`), in question order like every other
    /// writer of several memories, so a click committing meanwhile is
    /// neither lost nor rescheduled from a stale state, and no two such
    /// writers deadlock on PostgreSQL.
    pub async fn set_retention(&self, user_id: u64, retention: Retention) -> Result<(), StoreError> {
        let user = id_key(user_id);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO member_settings (user_id, retention) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET retention = excluded.retention",
        )
        .bind(user)
        .bind(i64::from(retention.percent()))
        .execute(&mut *tx)
        .await?;
        let questions: Vec<String> =
            sqlx::query_scalar("SELECT question_id FROM memories WHERE user_id = $1 ORDER BY question_id")
                .bind(user)
                .fetch_all(&mut *tx)
                .await?;
        for question in &questions {
            update_memory(&mut tx, user, question).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replays the histories that migration 0013 queued (every member and
    /// question rated before memories were kept), a batch per transaction,
    /// each starting with its first write. Cheap when there are none.
    pub(super) async fn replay_queued_memories(&self) -> Result<u64, StoreError> {
        let mut replayed = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            // A write first (SQLite: a transaction that reads first fails
            // when another wrote meanwhile): claim the batch by deleting it.
            let batch: Vec<(i64, String)> = sqlx::query_as(
                "DELETE FROM memories_to_replay WHERE (user_id, question_id) IN
                    (SELECT user_id, question_id FROM memories_to_replay ORDER BY user_id, question_id LIMIT $1)
                 RETURNING user_id, question_id",
            )
            .bind(REPLAY_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if batch.is_empty() {
                tx.commit().await?;
                return Ok(replayed);
            }
            for (user, question) in &batch {
                update_memory(&mut tx, *user, question).await?;
            }
            tx.commit().await?;
            replayed += batch.len() as u64;
        }
    }
}

/// Recomputes the member's memory of a question from all their clicks on
/// it, in every scope, in the caller's transaction: stored, or deleted when
/// no click is left. The memory row is locked first (a placeholder where
/// there is none), so that on PostgreSQL two clicks of one member on one
/// question in two servers replay one after the other, the second seeing
/// the first's click.
pub(super) async fn update_memory(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: i64,
    question: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memories (user_id, question_id, stability, difficulty, reviews, last_level, last_review_at, due_at)
         VALUES ($1, $2, 0, 0, 0, '', 0, 0)
         ON CONFLICT (user_id, question_id) DO UPDATE SET due_at = memories.due_at",
    )
    .bind(user)
    .bind(question)
    .execute(&mut **tx)
    .await?;
    let rows = sqlx::query(
        "SELECT level, rated_at,
                (SELECT retention FROM member_settings WHERE user_id = $1) AS retention
         FROM rating_events WHERE user_id = $1 AND question_id = $2",
    )
    .bind(user)
    .bind(question)
    .fetch_all(&mut **tx)
    .await?;
    let mut reviews = Vec::with_capacity(rows.len());
    let mut retention = Retention::default();
    for row in &rows {
        retention = row.try_get::<Option<i64>, _>("retention")?.and_then(Retention::from_percent).unwrap_or_default();
        reviews.push(Review { level: level_of(row.try_get("level")?)?, at: row.try_get("rated_at")? });
    }
    match Memory::replay(&reviews, retention) {
        Some(memory) => {
            sqlx::query(
                "UPDATE memories SET stability = $3, difficulty = $4, reviews = $5, last_level = $6,
                        last_review_at = $7, due_at = $8
                 WHERE user_id = $1 AND question_id = $2",
            )
            .bind(user)
            .bind(question)
            .bind(f64::from(memory.stability))
            .bind(f64::from(memory.difficulty))
            .bind(i64::from(memory.reviews))
            .bind(memory.last_level.key())
            .bind(memory.last_review_at)
            .bind(memory.due_at)
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM memories WHERE user_id = $1 AND question_id = $2")
                .bind(user)
                .bind(question)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// A row of `memories`: its question and the memory.
fn question_memory_from(row: &sqlx::any::AnyRow) -> Result<(QuestionId, Memory), StoreError> {
    let question: String = row.try_get("question_id")?;
    let question =
        QuestionId::parse(&question).ok_or_else(|| StoreError::Corrupt(format!("question id {question:?}")))?;
    Ok((question, memory_from(row)?))
}

fn memory_from(row: &sqlx::any::AnyRow) -> Result<Memory, StoreError> {
    let stability: f64 = row.try_get("stability")?;
    let difficulty: f64 = row.try_get("difficulty")?;
    let reviews: i64 = row.try_get("reviews")?;
    Ok(Memory {
        // Stored from f32s: the round trip is exact.
        stability: stability as f32,
        difficulty: difficulty as f32,
        reviews: u32::try_from(reviews).unwrap_or(0),
        last_level: level_of(row.try_get("last_level")?)?,
        last_review_at: row.try_get("last_review_at")?,
        due_at: row.try_get("due_at")?,
    })
}

pub(super) fn level_of(key: String) -> Result<Level, StoreError> {
    Level::parse(&key).ok_or_else(|| StoreError::Corrupt(format!("level {key:?}")))
}
