//! Members' review reminders (`reminders`) and the claim that sends each
//! day's reminder once (`reminder_sends`), as `schedules.rs` does for daily
//! posts.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::claims::REMINDER_SENDS;
use super::{id_from_key, id_key, Store, StoreError};
use crate::domain::schedule::reminder::{Reminder, ReminderState, TurnedOff};
use crate::domain::schedule::time::{parse_zone, TimeOfDay};
use crate::domain::schedule::DayClaim;

const COLUMNS: &str = "user_id, local_minutes, timezone, next_due_at, pending_date";

impl Store {
    /// Turns the member's reminder on (again) at `time` in `zone`, first due
    /// at `next_due_at`.
    pub async fn set_reminder(&self, reminder: &Reminder, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reminders (user_id, local_minutes, timezone, next_due_at, pending_date, enabled, turned_off,
                                    updated_at)
             VALUES ($1, $2, $3, $4, NULL, 1, NULL, $5)
             ON CONFLICT (user_id) DO UPDATE SET local_minutes = excluded.local_minutes,
                timezone = excluded.timezone, next_due_at = excluded.next_due_at, pending_date = NULL, enabled = 1,
                turned_off = NULL, updated_at = excluded.updated_at",
        )
        .bind(id_key(reminder.user_id))
        .bind(i64::from(reminder.time.minutes()))
        .bind(reminder.zone.name())
        .bind(reminder.next_due_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Turns the member's reminder off. `false` if there was none.
    pub async fn remove_reminder(&self, user_id: u64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM reminders WHERE user_id = $1").bind(id_key(user_id)).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// The member's reminder, if they have one (or the bot turned it off
    /// and has not told them yet).
    pub async fn reminder(&self, user_id: u64) -> Result<Option<ReminderState>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}, enabled, turned_off FROM reminders WHERE user_id = $1"))
            .bind(id_key(user_id))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let enabled: i64 = row.try_get("enabled")?;
        if enabled == 0 {
            let why: Option<String> = row.try_get("turned_off")?;
            return Ok(why.as_deref().and_then(TurnedOff::parse).map(|why| ReminderState::TurnedOff { why }));
        }
        Ok(Some(ReminderState::On(reminder_from_row(&row)?)))
    }

    /// Why the bot turned the member's reminder off, once: the row goes
    /// with the telling. A read first, so that the usual answer, none,
    /// takes no write lock.
    pub async fn take_reminder_notice(&self, user_id: u64) -> Result<Option<TurnedOff>, StoreError> {
        let user = id_key(user_id);
        let pending: Option<Option<String>> =
            sqlx::query_scalar("SELECT turned_off FROM reminders WHERE user_id = $1 AND enabled = 0")
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        if pending.flatten().is_none() {
            return Ok(None);
        }
        let taken: Option<String> = sqlx::query_scalar(
            "DELETE FROM reminders WHERE user_id = $1 AND enabled = 0 AND turned_off IS NOT NULL RETURNING turned_off",
        )
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.as_deref().and_then(TurnedOff::parse))
    }

    /// Turns a reminder off because it cannot be delivered; the member is
    /// told why the next time they use the bot.
    pub async fn turn_off_reminder(&self, user_id: u64, why: TurnedOff, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE reminders SET enabled = 0, turned_off = $2, updated_at = $3 WHERE user_id = $1")
            .bind(id_key(user_id))
            .bind(why.key())
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Reminders due at `now`, soonest first, at most `limit`.
    pub async fn due_reminders(&self, now: i64, limit: u32) -> Result<Vec<Reminder>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reminders WHERE enabled = 1 AND next_due_at <= $1
             ORDER BY next_due_at, user_id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(reminder_from_row).collect()
    }

    /// When the next reminder is due, if any is on.
    pub async fn next_reminder_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MIN(next_due_at) FROM reminders WHERE enabled = 1").fetch_one(&self.pool).await?)
    }

    /// Moves a reminder the scheduler read (due at `seen`) on to
    /// `next_due_at`, with `pending` the local date a retry is for. A
    /// reminder changed by `/remind set` meanwhile keeps the change.
    pub async fn reminder_next(
        &self,
        r: &Reminder,
        next_due_at: i64,
        pending: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE reminders SET next_due_at = $2, pending_date = $3 WHERE user_id = $1 AND next_due_at = $4")
            .bind(id_key(r.user_id))
            .bind(next_due_at)
            .bind(pending.map(day_key))
            .bind(r.next_due_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Claims the member's reminder for `date` (`claims.rs`).
    pub async fn claim_reminder(
        &self,
        user_id: u64,
        date: NaiveDate,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<DayClaim, StoreError> {
        REMINDER_SENDS.claim(&self.pool, user_id, date, holder, now, lease_until).await
    }

    /// Marks the day's reminder handled: sent as `message_id`, or `0` when
    /// nothing was due. `false` if the claim is no longer the holder's.
    pub async fn complete_reminder(
        &self,
        user_id: u64,
        date: NaiveDate,
        holder: &str,
        message_id: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        REMINDER_SENDS.complete(&self.pool, user_id, date, holder, message_id, now).await
    }

    /// Keeps the claim until `lease_until` (a retry is due before then).
    pub async fn extend_reminder(
        &self,
        user_id: u64,
        date: NaiveDate,
        holder: &str,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        REMINDER_SENDS.extend(&self.pool, user_id, date, holder, lease_until).await
    }

    /// Gives the claim up (the DM was refused for good).
    pub async fn release_reminder(&self, user_id: u64, date: NaiveDate, holder: &str) -> Result<(), StoreError> {
        REMINDER_SENDS.release(&self.pool, user_id, date, holder).await
    }
}

fn day_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn reminder_from_row(row: &AnyRow) -> Result<Reminder, StoreError> {
    let minutes: i64 = row.try_get("local_minutes")?;
    let zone: String = row.try_get("timezone")?;
    Ok(Reminder {
        user_id: id_from_key(row.try_get("user_id")?)?,
        time: u16::try_from(minutes)
            .ok()
            .and_then(TimeOfDay::from_minutes)
            .ok_or_else(|| StoreError::Corrupt(format!("local_minutes {minutes}")))?,
        zone: parse_zone(&zone).map_err(|_| StoreError::Corrupt(format!("timezone {zone:?}")))?,
        next_due_at: row.try_get("next_due_at")?,
        pending: row
            .try_get::<Option<String>, _>("pending_date")?
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| StoreError::Corrupt(format!("pending_date {d:?}")))
            })
            .transpose()?,
    })
}
