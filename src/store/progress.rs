//! A member's own progress in a scope, kept per question and per day so
//! that `/stats` reads a few dozen rows however many times they rated:
//! `ratings` (the latest level of each question) and `study_days` (how
//! many ratings on each local day). When questions are due for review is
//! `memory.rs`.

use chrono::NaiveDate;
use sqlx::Row;

use super::{id_key, scope_key, Store, StoreError};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::study::{Scope, Studied};

impl Store {
    /// Every question the member rated in this scope with their latest
    /// level.
    pub async fn studied(&self, scope: Scope, user_id: u64) -> Result<Vec<Studied>, StoreError> {
        let rows = sqlx::query(
            "SELECT question_id, level FROM ratings WHERE guild_id = $1 AND user_id = $2 ORDER BY question_id",
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

/// Days since 1970-01-01.
pub(super) fn day_number(day: NaiveDate) -> i64 {
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
