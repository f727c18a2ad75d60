//! Weekly recaps: which schedules owe one (`schedules.next_recap_at`), the
//! claim that posts each recap once (`recap_posts`), and the week's
//! ratings they sum up.

use chrono::NaiveDate;
use sqlx::Row;

use super::claims::RECAP_POSTS;
use super::{id_from_key, id_key, Store, StoreError};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::schedule::recap::WeekRating;
use crate::domain::schedule::DayClaim;
use crate::domain::schedule::Schedule;

impl Store {
    /// Schedules whose recap is due at `now`, soonest first, at most
    /// `limit`, each with the recap date a retry is for, if any.
    pub async fn due_recaps(&self, now: i64, limit: u32) -> Result<Vec<(Schedule, Option<NaiveDate>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel_id, recap_pending FROM schedules WHERE paused = 0 AND next_recap_at <= $1
             ORDER BY next_recap_at, channel_id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            let pending: Option<String> = row.try_get("recap_pending")?;
            let pending = pending.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            if let Some(s) = self.schedule(id_from_key(row.try_get("channel_id")?)?).await? {
                due.push((s, pending));
            }
        }
        Ok(due)
    }

    /// When the next recap of any schedule is due.
    pub async fn next_recap_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MIN(next_recap_at) FROM schedules WHERE paused = 0")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Moves a channel's recap (read as due at `seen`) on to `next` (unix
    /// seconds), `pending` the recap date a retry is for.
    pub async fn recap_moved(
        &self,
        channel_id: u64,
        seen: i64,
        next: i64,
        pending: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE schedules SET next_recap_at = $2, recap_pending = $4 WHERE channel_id = $1 AND next_recap_at = $3",
        )
        .bind(id_key(channel_id))
        .bind(next)
        .bind(seen)
        .bind(pending.map(|d| d.format("%Y-%m-%d").to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims the channel's recap of `date` (`claims.rs`).
    pub async fn claim_recap(
        &self,
        channel_id: u64,
        date: NaiveDate,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<DayClaim, StoreError> {
        RECAP_POSTS.claim(&self.pool, channel_id, date, holder, now, lease_until).await
    }

    /// Marks the recap posted (`0`: given up); `false` if the claim is no
    /// longer the holder's.
    pub async fn complete_recap(
        &self,
        channel_id: u64,
        date: NaiveDate,
        holder: &str,
        message_id: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        RECAP_POSTS.complete(&self.pool, channel_id, date, holder, message_id, now).await
    }

    /// Keeps the claim until `lease_until` (a retry is due before then).
    pub async fn extend_recap(
        &self,
        channel_id: u64,
        date: NaiveDate,
        holder: &str,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        RECAP_POSTS.extend(&self.pool, channel_id, date, holder, lease_until).await
    }

    /// Gives a recap's claim up (Discord refused the post for good).
    pub async fn release_recap(&self, channel_id: u64, date: NaiveDate, holder: &str) -> Result<(), StoreError> {
        RECAP_POSTS.release(&self.pool, channel_id, date, holder).await
    }

    /// A server's level clicks from `from` up to `to` (unix seconds).
    pub async fn week_ratings(&self, guild_id: u64, from: i64, to: i64) -> Result<Vec<WeekRating>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, question_id, level, rated_at FROM rating_events
             WHERE guild_id = $1 AND rated_at >= $2 AND rated_at < $3",
        )
        .bind(id_key(guild_id))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .filter_map(|row| {
                let parsed = (|| -> Result<Option<WeekRating>, StoreError> {
                    let question: String = row.try_get("question_id")?;
                    let level: String = row.try_get("level")?;
                    let user: i64 = row.try_get("user_id")?;
                    let (Some(question), Some(level)) = (QuestionId::parse(&question), Level::parse(&level)) else {
                        return Ok(None);
                    };
                    Ok(Some(WeekRating {
                        user_id: u64::try_from(user).unwrap_or(0),
                        question,
                        level,
                        at: row.try_get("rated_at")?,
                    }))
                })();
                parsed.transpose()
            })
            .collect()
    }

    /// How many level clicks a server made from `from` up to `to`.
    pub async fn count_ratings(&self, guild_id: u64, from: i64, to: i64) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM rating_events WHERE guild_id = $1 AND rated_at >= $2 AND rated_at < $3",
        )
        .bind(id_key(guild_id))
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
