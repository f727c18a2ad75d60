//! Daily schedules and the per-day claim.

use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{id_from_key, id_key, Store, StoreError};
use crate::domain::bank::pick::PickMode;
use crate::domain::bank::{Filter, QuestionId};
use crate::domain::level::Level;
use crate::domain::schedule::time::{parse_zone, TimeOfDay};
use crate::domain::schedule::{Claim, ClaimOutcome, DailyAsked, Schedule};
use crate::domain::study::{DailyShown, RatingContext, Scope};

/// The server's zone (`$1` the guild): its schedule in the lowest channel
/// id. The rule is `domain::study::study_day`'s; this is its one SQL form.
const SERVER_ZONE: &str = "SELECT timezone FROM schedules WHERE guild_id = $1 ORDER BY channel_id LIMIT 1";

const COLUMNS: &str = "channel_id, guild_id, local_minutes, timezone, category, difficulty, ping_role_id,
     next_due_at, last_posted_at, failure, failing_days, paused, thread, thread_failure, pick, recap_weekday,
     next_recap_at, pending_date";

const UPSERT_SCHEDULE: &str =
    "INSERT INTO schedules (channel_id, guild_id, local_minutes, timezone, category, difficulty, ping_role_id,
                                    next_due_at, last_posted_at, failure, failing_days, paused, updated_at, thread,
                                    thread_failure, pick, recap_weekday, next_recap_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, 0, 0, $9, $10, NULL, $11, $12, $13)
             ON CONFLICT (channel_id) DO UPDATE SET
                guild_id = excluded.guild_id, local_minutes = excluded.local_minutes, timezone = excluded.timezone,
                category = excluded.category, difficulty = excluded.difficulty, ping_role_id = excluded.ping_role_id,
                next_due_at = excluded.next_due_at, failure = NULL, failing_days = 0, paused = 0,
                updated_at = excluded.updated_at, thread = excluded.thread, thread_failure = NULL,
                pick = excluded.pick, recap_weekday = excluded.recap_weekday, next_recap_at = excluded.next_recap_at,
                pending_date = NULL";

impl Store {
    /// Creates or replaces a channel's schedule; any failure and pause are
    /// cleared (this is how a paused schedule is resumed).
    pub async fn upsert_schedule(&self, s: &Schedule, now: i64) -> Result<(), StoreError> {
        self.upsert_schedules(std::slice::from_ref(s), now).await
    }

    /// [`Store::upsert_schedule`] for many, in one transaction (imports,
    /// benchmarks).
    pub async fn upsert_schedules(&self, schedules: &[Schedule], now: i64) -> Result<(), StoreError> {
        let _forgetting = self.contexts.forgetting();
        let mut tx = self.pool.begin().await?;
        for s in schedules {
            sqlx::query(UPSERT_SCHEDULE)
                .bind(id_key(s.channel_id))
                .bind(id_key(s.guild_id))
                .bind(i64::from(s.time.minutes()))
                .bind(s.zone.name())
                .bind(s.filter.category.clone())
                .bind(s.filter.difficulty.map(|d| d.key()))
                .bind(s.ping_role.map(id_key))
                .bind(s.next_due_at)
                .bind(now)
                .bind(i64::from(s.thread))
                .bind(s.pick.key())
                .bind(s.recap.map_or(0, |d| i64::from(d.number_from_monday())))
                .bind(s.next_recap_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a channel's schedule in a server; its past posts stay.
    /// `false` if that server had none there.
    pub async fn remove_schedule(&self, guild_id: u64, channel_id: u64) -> Result<bool, StoreError> {
        let _forgetting = self.contexts.forgetting();
        let done = sqlx::query("DELETE FROM schedules WHERE channel_id = $1 AND guild_id = $2")
            .bind(id_key(channel_id))
            .bind(id_key(guild_id))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes every schedule of a server (the bot was removed from it).
    pub async fn remove_guild_schedules(&self, guild_id: u64) -> Result<u64, StoreError> {
        let _forgetting = self.contexts.forgetting();
        let done =
            sqlx::query("DELETE FROM schedules WHERE guild_id = $1").bind(id_key(guild_id)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    pub async fn schedule(&self, channel_id: u64) -> Result<Option<Schedule>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM schedules WHERE channel_id = $1"))
            .bind(id_key(channel_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    /// The zone a server's study days are counted in, if it has a daily
    /// schedule (`domain::study::study_day`).
    pub async fn server_zone(&self, guild_id: u64) -> Result<Option<Tz>, StoreError> {
        let zone: Option<String> =
            sqlx::query_scalar(SERVER_ZONE).bind(id_key(guild_id)).fetch_optional(&self.pool).await?;
        zone.map(|z| stored_zone(&z)).transpose()
    }

    /// What a level click in a channel needs besides the click, in one
    /// statement: the server's zone and the channel's latest question of the
    /// day. Direct messages have neither and cost no query; on SQLite it is
    /// read once per channel (`contexts.rs`).
    pub async fn rating_context(&self, scope: Scope, channel_id: u64) -> Result<RatingContext, StoreError> {
        let Scope::Guild(guild_id) = scope else {
            return Ok(RatingContext { zone: Tz::UTC, daily: None });
        };
        let reading = match self.contexts.get(guild_id, channel_id) {
            Ok(kept) => return Ok(kept),
            Err(reading) => reading,
        };
        let row = sqlx::query(&format!(
            "SELECT ({SERVER_ZONE}) AS zone, d.question_id, d.posted_at
             FROM (SELECT 1 AS one) AS k
             LEFT JOIN (SELECT question_id, posted_at FROM daily_posts
                        WHERE channel_id = $2 AND message_id IS NOT NULL
                        ORDER BY local_date DESC LIMIT 1) AS d ON 1 = 1"
        ))
        .bind(id_key(guild_id))
        .bind(id_key(channel_id))
        .fetch_one(&self.pool)
        .await?;
        let zone: Option<String> = row.try_get("zone")?;
        let question: Option<String> = row.try_get("question_id")?;
        let posted_at: Option<i64> = row.try_get("posted_at")?;
        // An id this version cannot read names no question it could rate:
        // no bonus, rather than every click in the channel failing.
        let daily = match (question.as_deref().and_then(QuestionId::parse), posted_at) {
            (Some(question), Some(posted_at)) => Some(DailyShown { question, posted_at }),
            _ => None,
        };
        let context = RatingContext { zone: zone.map(|z| stored_zone(&z)).transpose()?.unwrap_or(Tz::UTC), daily };
        if let Some(reading) = reading {
            self.contexts.keep(reading, &context);
        }
        Ok(context)
    }

    /// A server's schedules, by channel.
    pub async fn guild_schedules(&self, guild_id: u64) -> Result<Vec<Schedule>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM schedules WHERE guild_id = $1 ORDER BY channel_id"))
            .bind(id_key(guild_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// Active schedules due at `now`, earliest first, ties in channel order
    /// (uses `schedules_due`).
    pub async fn due_schedules(&self, now: i64, limit: u32) -> Result<Vec<Schedule>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules WHERE paused = 0 AND next_due_at <= $1
             ORDER BY next_due_at, channel_id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// When the earliest active schedule is due, for the scheduler's sleep.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT next_due_at FROM schedules WHERE paused = 0 ORDER BY next_due_at LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>("next_due_at")).transpose()?)
    }

    /// Moves a schedule on after a post (or a skipped day): next due time,
    /// failure cleared.
    pub async fn schedule_posted(
        &self,
        channel_id: u64,
        next_due_at: i64,
        posted_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let query = match posted_at {
            Some(at) => sqlx::query(
                "UPDATE schedules SET next_due_at = $2, last_posted_at = $3, failure = NULL, failing_days = 0,
                        pending_date = NULL
                 WHERE channel_id = $1",
            )
            .bind(id_key(channel_id))
            .bind(next_due_at)
            .bind(at),
            None => sqlx::query("UPDATE schedules SET next_due_at = $2, pending_date = NULL WHERE channel_id = $1")
                .bind(id_key(channel_id))
                .bind(next_due_at),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Looks at the channel's post for local `date` again at `retry` (unix
    /// seconds), even when that falls on the next local day.
    pub async fn schedule_retry(&self, channel_id: u64, retry: i64, date: NaiveDate) -> Result<(), StoreError> {
        sqlx::query("UPDATE schedules SET next_due_at = $2, pending_date = $3 WHERE channel_id = $1")
            .bind(id_key(channel_id))
            .bind(retry)
            .bind(date.format("%Y-%m-%d").to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Notes a failed day: the reason shows in `/daily status`; the
    /// schedule pauses when `pause` is set.
    pub async fn schedule_failed(
        &self,
        channel_id: u64,
        reason: &str,
        failing_days: u32,
        pause: bool,
        next_due_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE schedules SET failure = $2, failing_days = $3, paused = $4, next_due_at = $5, pending_date = NULL
             WHERE channel_id = $1",
        )
        .bind(id_key(channel_id))
        .bind(reason)
        .bind(i64::from(failing_days))
        .bind(i64::from(pause))
        .bind(next_due_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Tries to claim the post of `date` in a channel for `holder` until
    /// `lease_until`: a fresh claim with `question` and `nonce`, or an
    /// abandoned one (lease over, not posted) taken over with its original
    /// question and nonce — or what stands in the way.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim_daily(
        &self,
        channel_id: u64,
        date: NaiveDate,
        question: &QuestionId,
        nonce: &str,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let day = date.format("%Y-%m-%d").to_string();
        let fresh = sqlx::query(
            "INSERT INTO daily_posts (channel_id, local_date, question_id, nonce, claimed_by, lease_until, claimed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (channel_id, local_date) DO NOTHING",
        )
        .bind(id_key(channel_id))
        .bind(&day)
        .bind(question.as_str())
        .bind(nonce)
        .bind(holder)
        .bind(lease_until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if fresh.rows_affected() == 1 {
            let claim = Claim {
                channel_id,
                local_date: date,
                question: question.clone(),
                nonce: nonce.to_string(),
                holder: holder.to_string(),
                claimed_at: now,
            };
            return Ok(ClaimOutcome::Won(claim));
        }
        let taken = sqlx::query(
            "UPDATE daily_posts SET claimed_by = $3, lease_until = $4
             WHERE channel_id = $1 AND local_date = $2 AND message_id IS NULL
               AND (lease_until <= $5 OR claimed_by = $3)",
        )
        .bind(id_key(channel_id))
        .bind(&day)
        .bind(holder)
        .bind(lease_until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT question_id, nonce, lease_until, message_id, claimed_at FROM daily_posts
             WHERE channel_id = $1 AND local_date = $2",
        )
        .bind(id_key(channel_id))
        .bind(&day)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Released between our two statements: free to claim next time.
            return Ok(ClaimOutcome::Held { until: now + 1 });
        };
        if row.try_get::<Option<i64>, _>("message_id")?.is_some() {
            return Ok(ClaimOutcome::Posted);
        }
        if taken.rows_affected() == 0 {
            return Ok(ClaimOutcome::Held { until: row.try_get("lease_until")? });
        }
        let id: String = row.try_get("question_id")?;
        Ok(ClaimOutcome::Won(Claim {
            channel_id,
            local_date: date,
            question: QuestionId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("question id {id:?}")))?,
            nonce: row.try_get("nonce")?,
            holder: holder.to_string(),
            claimed_at: row.try_get::<Option<i64>, _>("claimed_at")?.unwrap_or(0),
        }))
    }

    /// Marks a claimed day as posted, if the claim is still its holder's.
    /// `false` when another holder took it over meanwhile: that one
    /// completes it (with the same question and nonce).
    pub async fn complete_daily(&self, claim: &Claim, message_id: u64, now: i64) -> Result<bool, StoreError> {
        let _forgetting = self.contexts.forgetting();
        let done = sqlx::query(
            "UPDATE daily_posts SET message_id = $3, posted_at = $4
             WHERE channel_id = $1 AND local_date = $2 AND claimed_by = $5 AND message_id IS NULL",
        )
        .bind(id_key(claim.channel_id))
        .bind(claim.local_date.format("%Y-%m-%d").to_string())
        .bind(id_key(message_id))
        .bind(now)
        .bind(&claim.holder)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps a claim for its holder until `lease_until` (a retry is due
    /// before then). `false` if it is no longer the holder's.
    pub async fn extend_daily(&self, claim: &Claim, lease_until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE daily_posts SET lease_until = $3
             WHERE channel_id = $1 AND local_date = $2 AND claimed_by = $4 AND message_id IS NULL",
        )
        .bind(id_key(claim.channel_id))
        .bind(claim.local_date.format("%Y-%m-%d").to_string())
        .bind(lease_until)
        .bind(&claim.holder)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A server's channel's latest daily questions, newest first, with how
    /// many members of the server rated each.
    pub async fn daily_history(
        &self,
        guild_id: u64,
        channel_id: u64,
        limit: u32,
    ) -> Result<Vec<DailyAsked>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.question_id, p.posted_at, d.local_date,
                    CAST((SELECT COUNT(*) FROM ratings r WHERE r.guild_id = p.guild_id
                          AND r.question_id = p.question_id AND r.retired = 0) AS BIGINT) AS raters
             FROM posts p LEFT JOIN daily_posts d ON d.channel_id = p.channel_id AND d.message_id = p.id
             WHERE p.channel_id = $1 AND p.guild_id = $3 AND p.source = 'daily'
             ORDER BY p.posted_at DESC, p.id DESC LIMIT $2",
        )
        .bind(id_key(channel_id))
        .bind(i64::from(limit))
        .bind(id_key(guild_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let question: String = row.try_get("question_id")?;
                let raters: i64 = row.try_get("raters")?;
                let local_date: Option<String> = row.try_get("local_date")?;
                Ok(DailyAsked {
                    local_date: local_date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    message_id: id_from_key(row.try_get("id")?)?,
                    question: QuestionId::parse(&question)
                        .ok_or_else(|| StoreError::Corrupt(format!("question id {question:?}")))?,
                    posted_at: row.try_get("posted_at")?,
                    raters: u64::try_from(raters).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The day's post in a channel, if it was made and has no thread yet:
    /// its message and question.
    pub async fn daily_without_thread(
        &self,
        channel_id: u64,
        date: NaiveDate,
    ) -> Result<Option<(u64, QuestionId)>, StoreError> {
        let row = sqlx::query(
            "SELECT message_id, question_id FROM daily_posts
             WHERE channel_id = $1 AND local_date = $2 AND message_id IS NOT NULL AND thread_id IS NULL",
        )
        .bind(id_key(channel_id))
        .bind(date.format("%Y-%m-%d").to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let question: String = row.try_get("question_id")?;
        let question =
            QuestionId::parse(&question).ok_or_else(|| StoreError::Corrupt(format!("question id {question:?}")))?;
        Ok(Some((id_from_key(row.try_get("message_id")?)?, question)))
    }

    /// Records the day's post's thread, and that threads work again.
    pub async fn record_thread(&self, channel_id: u64, date: NaiveDate, thread_id: u64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE daily_posts SET thread_id = $3 WHERE channel_id = $1 AND local_date = $2")
            .bind(id_key(channel_id))
            .bind(date.format("%Y-%m-%d").to_string())
            .bind(id_key(thread_id))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE schedules SET thread_failure = NULL WHERE channel_id = $1")
            .bind(id_key(channel_id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Why the channel's last thread could not be made, for `/daily status`.
    pub async fn thread_failed(&self, channel_id: u64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE schedules SET thread_failure = $2 WHERE channel_id = $1")
            .bind(id_key(channel_id))
            .bind(reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives a claim up (the post was refused for good) so the day may be
    /// claimed afresh; only its holder may.
    pub async fn release_daily(&self, claim: &Claim) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM daily_posts
             WHERE channel_id = $1 AND local_date = $2 AND message_id IS NULL AND claimed_by = $3",
        )
        .bind(id_key(claim.channel_id))
        .bind(claim.local_date.format("%Y-%m-%d").to_string())
        .bind(&claim.holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn schedule_from_row(row: &AnyRow) -> Result<Schedule, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(what.to_string());
    let minutes: i64 = row.try_get("local_minutes")?;
    let zone: String = row.try_get("timezone")?;
    let difficulty: Option<String> = row.try_get("difficulty")?;
    let ping: Option<i64> = row.try_get("ping_role_id")?;
    let failing_days: i64 = row.try_get("failing_days")?;
    let paused: i64 = row.try_get("paused")?;
    let thread: i64 = row.try_get("thread")?;
    let pick: String = row.try_get("pick")?;
    let recap: i64 = row.try_get("recap_weekday")?;
    Ok(Schedule {
        channel_id: id_from_key(row.try_get("channel_id")?)?,
        guild_id: id_from_key(row.try_get("guild_id")?)?,
        time: u16::try_from(minutes)
            .ok()
            .and_then(TimeOfDay::from_minutes)
            .ok_or_else(|| corrupt(&format!("local_minutes {minutes}")))?,
        zone: stored_zone(&zone)?,
        filter: Filter {
            category: row.try_get("category")?,
            difficulty: difficulty
                .map(|d| Level::from_str(&d).map_err(|_| corrupt(&format!("difficulty {d:?}"))))
                .transpose()?,
        },
        ping_role: ping.map(id_from_key).transpose()?,
        next_due_at: row.try_get("next_due_at")?,
        last_posted_at: row.try_get("last_posted_at")?,
        failure: row.try_get("failure")?,
        failing_days: u32::try_from(failing_days).unwrap_or(0),
        paused: paused != 0,
        pick: PickMode::parse(&pick).ok_or_else(|| corrupt(&format!("pick {pick:?}")))?,
        thread: thread != 0,
        thread_failure: row.try_get("thread_failure")?,
        recap: match recap {
            0 => None,
            n => Some(weekday(n).ok_or_else(|| corrupt(&format!("recap_weekday {n}")))?),
        },
        next_recap_at: row.try_get("next_recap_at")?,
        pending: row
            .try_get::<Option<String>, _>("pending_date")?
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| corrupt(&format!("pending_date {d:?}"))))
            .transpose()?,
    })
}

fn stored_zone(name: &str) -> Result<Tz, StoreError> {
    parse_zone(name).map_err(|_| StoreError::Corrupt(format!("timezone {name:?}")))
}

/// The weekday numbered `n` from Monday (1) to Sunday (7).
fn weekday(n: i64) -> Option<chrono::Weekday> {
    let n = u8::try_from(n).ok().filter(|n| (1..=7).contains(n))?;
    chrono::Weekday::try_from(n - 1).ok()
}
