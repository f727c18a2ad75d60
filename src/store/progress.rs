//! A member's own progress, kept per question and per day so that `/stats`
//! and `/review` read a few dozen rows however many times they rated:
//! `ratings.due_at` (when each question is due for review) and `study_days`
//! (how many ratings on each local day).

use chrono::NaiveDate;
use sqlx::Row;

use super::{id_key, scope_key, Store, StoreError};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::review::due_at;
use crate::domain::study::{Scope, Studied};

/// Questions whose due time is recomputed per batch at start.
const BACKFILL_BATCH: i64 = 1_000;

impl Store {
    /// Every question the member rated in this scope with their latest level
    /// and when it is due for review, soonest due first.
    pub async fn studied(&self, scope: Scope, user_id: u64) -> Result<Vec<Studied>, StoreError> {
        let rows = sqlx::query(
            "SELECT question_id, level, due_at FROM ratings
             WHERE guild_id = $1 AND user_id = $2 ORDER BY due_at, question_id",
        )
        .bind(scope_key(scope))
        .bind(id_key(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let question: String = row.try_get("question_id")?;
                let level: String = row.try_get("level")?;
                Ok(Studied {
                    question: QuestionId::parse(&question)
                        .ok_or_else(|| StoreError::Corrupt(format!("question id {question:?}")))?,
                    level: Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?,
                    due_at: row.try_get("due_at")?,
                })
            })
            .collect()
    }

    /// The days a member studied in this scope, with how many ratings each,
    /// oldest first.
    pub async fn study_days(&self, scope: Scope, user_id: u64) -> Result<Vec<(NaiveDate, u32)>, StoreError> {
        let rows = sqlx::query("SELECT day, ratings FROM study_days WHERE guild_id = $1 AND user_id = $2 ORDER BY day")
            .bind(scope_key(scope))
            .bind(id_key(user_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let day: i64 = row.try_get("day")?;
                let n: i64 = row.try_get("ratings")?;
                Ok((date_of(day)?, u32::try_from(n).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    /// The study days of several members of a server, for streaks on a board.
    pub async fn study_days_of(
        &self,
        guild_id: u64,
        users: &[u64],
    ) -> Result<std::collections::HashMap<u64, Vec<NaiveDate>>, StoreError> {
        let mut days: std::collections::HashMap<u64, Vec<NaiveDate>> = std::collections::HashMap::new();
        if users.is_empty() {
            return Ok(days);
        }
        let sql = format!(
            "SELECT user_id, day FROM study_days WHERE guild_id = $1 AND user_id IN ({}) ORDER BY user_id, day",
            super::placeholders(2, users.len())
        );
        let query = super::bind_ids(sqlx::query(&sql).bind(id_key(guild_id)), users.iter().map(|&u| id_key(u)));
        for row in query.fetch_all(&self.pool).await? {
            let user = super::id_from_key(row.try_get("user_id")?)?;
            days.entry(user).or_default().push(date_of(row.try_get("day")?)?);
        }
        Ok(days)
    }

    /// Fills in review due times that migrations could not compute (rows
    /// from before they were stored), in key order, a batch at a time: each
    /// batch is read first, then written in a transaction that starts with
    /// its first write. Cheap when there are none.
    pub(super) async fn backfill_due_times(&self) -> Result<(), StoreError> {
        let mut after = (i64::MIN, i64::MIN, String::new());
        loop {
            let rows = sqlx::query(
                "SELECT guild_id, user_id, question_id FROM ratings
                 WHERE due_at = 0 AND (guild_id > $1 OR (guild_id = $1 AND (user_id > $2
                       OR (user_id = $2 AND question_id > $3))))
                 ORDER BY guild_id, user_id, question_id LIMIT $4",
            )
            .bind(after.0)
            .bind(after.1)
            .bind(&after.2)
            .bind(BACKFILL_BATCH)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut due = Vec::with_capacity(rows.len());
            for row in &rows {
                let key: (i64, i64, String) =
                    (row.try_get("guild_id")?, row.try_get("user_id")?, row.try_get("question_id")?);
                let at = compute_due_at(&self.pool, key.0, key.1, &key.2).await?;
                after = key.clone();
                due.push((key, at));
            }
            let mut tx = self.pool.begin().await?;
            for ((guild, user, question), at) in &due {
                set_due_at(&mut tx, *guild, *user, question, *at).await?;
            }
            tx.commit().await?;
        }
    }
}

/// Counts `n` ratings toward a study day. Runs in the rating's transaction.
pub(super) async fn add_study_day(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    user: i64,
    day: NaiveDate,
    n: u32,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO study_days (guild_id, user_id, day, ratings) VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id, user_id, day) DO UPDATE SET ratings = study_days.ratings + excluded.ratings",
    )
    .bind(guild)
    .bind(user)
    .bind(day_number(day))
    .bind(i64::from(n))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recomputes when a question is next due for the member from all their
/// ratings of it in order, so a click delivered late still lands in its
/// place in the sequence. Runs in the rating's transaction.
pub(super) async fn update_due_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    user: i64,
    question: &str,
) -> Result<(), StoreError> {
    let due = compute_due_at(&mut **tx, guild, user, question).await?;
    set_due_at(tx, guild, user, question, due).await
}

/// When a question is next due for the member, from their clicks on it.
async fn compute_due_at<'c, E>(executor: E, guild: i64, user: i64, question: &str) -> Result<i64, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT level, rated_at FROM rating_events
         WHERE guild_id = $1 AND user_id = $2 AND question_id = $3 ORDER BY rated_at, id",
    )
    .bind(guild)
    .bind(user)
    .bind(question)
    .fetch_all(executor)
    .await?;
    let mut levels = Vec::with_capacity(rows.len());
    let mut last = 0;
    for row in &rows {
        let level: String = row.try_get("level")?;
        levels.push(Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?);
        last = row.try_get("rated_at")?;
    }
    // A question with no events left (cannot happen while ratings mirror
    // them) is due at once rather than stuck at 0, which means "unknown".
    Ok(due_at(last, &levels).unwrap_or(1).max(1))
}

async fn set_due_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    user: i64,
    question: &str,
    due: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE ratings SET due_at = $4 WHERE guild_id = $1 AND user_id = $2 AND question_id = $3")
        .bind(guild)
        .bind(user)
        .bind(question)
        .bind(due)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Days since 1970-01-01.
fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::default()).num_days()
}

fn date_of(day: i64) -> Result<NaiveDate, StoreError> {
    chrono::Duration::try_days(day)
        .and_then(|d| NaiveDate::default().checked_add_signed(d))
        .ok_or_else(|| StoreError::Corrupt(format!("study day {day}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_nonsense_is_an_error() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert_eq!(date_of(day_number(day)).unwrap(), day);
        assert!(date_of(i64::MAX).is_err());
        assert!(date_of(i64::MIN).is_err());
    }
}
