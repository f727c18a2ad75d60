//! The claim that makes a once-a-day (or once-a-week) message happen once:
//! a row per key and local date, held by one process under a lease, done
//! once its message is recorded. Reminders (`reminder_sends`, per member)
//! and recaps (`recap_posts`, per channel) share it; daily posts keep
//! their own (`schedules.rs`), which also carries the question and nonce.

use chrono::NaiveDate;
use sqlx::{AnyPool, Row};

use super::{id_key, StoreError};
use crate::domain::schedule::DayClaim;

/// A claims table: its name, its key column, and the column recording
/// when the message was made.
pub(super) struct DayClaims {
    pub table: &'static str,
    pub key: &'static str,
    pub done_at: &'static str,
}

pub(super) const REMINDER_SENDS: DayClaims = DayClaims { table: "reminder_sends", key: "user_id", done_at: "sent_at" };
pub(super) const RECAP_POSTS: DayClaims = DayClaims { table: "recap_posts", key: "channel_id", done_at: "posted_at" };

fn day_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl DayClaims {
    /// Claims `key`'s message of `date`: fresh, from a holder whose lease
    /// ended, or our own again. `Won` carries the day's first claim time.
    pub async fn claim(
        &self,
        pool: &AnyPool,
        key: u64,
        date: NaiveDate,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<DayClaim, StoreError> {
        let DayClaims { table, key: column, .. } = self;
        let day = day_key(date);
        let fresh = sqlx::query(&format!(
            "INSERT INTO {table} ({column}, local_date, claimed_by, lease_until, claimed_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT ({column}, local_date) DO NOTHING"
        ))
        .bind(id_key(key))
        .bind(&day)
        .bind(holder)
        .bind(lease_until)
        .bind(now)
        .execute(pool)
        .await?;
        if fresh.rows_affected() == 1 {
            return Ok(DayClaim::Won { claimed_at: now });
        }
        let taken = sqlx::query(&format!(
            "UPDATE {table} SET claimed_by = $3, lease_until = $4
             WHERE {column} = $1 AND local_date = $2 AND message_id IS NULL AND (lease_until <= $5 OR claimed_by = $3)"
        ))
        .bind(id_key(key))
        .bind(&day)
        .bind(holder)
        .bind(lease_until)
        .bind(now)
        .execute(pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT lease_until, message_id, claimed_at FROM {table} WHERE {column} = $1 AND local_date = $2"
        ))
        .bind(id_key(key))
        .bind(&day)
        .fetch_optional(pool)
        .await?;
        match row {
            // Released between our statements: free to claim next time.
            None => Ok(DayClaim::Held { until: now + 1 }),
            Some(row) if row.try_get::<Option<i64>, _>("message_id")?.is_some() => Ok(DayClaim::Done),
            Some(row) if taken.rows_affected() == 1 => Ok(DayClaim::Won { claimed_at: row.try_get("claimed_at")? }),
            Some(row) => Ok(DayClaim::Held { until: row.try_get("lease_until")? }),
        }
    }

    /// Marks the message made (`0`: nothing to send, or given up); `false`
    /// if the claim is no longer the holder's.
    pub async fn complete(
        &self,
        pool: &AnyPool,
        key: u64,
        date: NaiveDate,
        holder: &str,
        message_id: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let DayClaims { table, key: column, done_at } = self;
        let done = sqlx::query(&format!(
            "UPDATE {table} SET message_id = $3, {done_at} = $4
             WHERE {column} = $1 AND local_date = $2 AND claimed_by = $5 AND message_id IS NULL"
        ))
        .bind(id_key(key))
        .bind(day_key(date))
        .bind(id_key(message_id))
        .bind(now)
        .bind(holder)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps the claim until `lease_until` (a retry is due before then);
    /// `false` if it is no longer the holder's.
    pub async fn extend(
        &self,
        pool: &AnyPool,
        key: u64,
        date: NaiveDate,
        holder: &str,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let DayClaims { table, key: column, .. } = self;
        let done = sqlx::query(&format!(
            "UPDATE {table} SET lease_until = $3
             WHERE {column} = $1 AND local_date = $2 AND claimed_by = $4 AND message_id IS NULL"
        ))
        .bind(id_key(key))
        .bind(day_key(date))
        .bind(lease_until)
        .bind(holder)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the claim up (the message was refused for good), so the day
    /// may be claimed afresh; only its holder may.
    pub async fn release(&self, pool: &AnyPool, key: u64, date: NaiveDate, holder: &str) -> Result<(), StoreError> {
        let DayClaims { table, key: column, .. } = self;
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE {column} = $1 AND local_date = $2 AND message_id IS NULL AND claimed_by = $3"
        ))
        .bind(id_key(key))
        .bind(day_key(date))
        .bind(holder)
        .execute(pool)
        .await?;
        Ok(())
    }
}
