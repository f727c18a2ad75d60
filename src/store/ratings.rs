//! Posts and ratings: what was shown where, and every level click.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::Row;

use super::board::recompute_member;
use super::memory::update_memory;
use super::progress::add_study_day;
use super::writer::Plain;
use super::writes::{import_click, lock_member, studied_in, write_post, write_rating, write_typed_answer, Stored};
use super::{id_from_key, id_key, scope_key, Store, StoreError, WRITE_DEADLINE};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::study::{Post, Rating, RatingSaved, Scope, Source, TypedAnswer, Worth};

impl Store {
    /// Remembers that a question was shown in a channel. Recording the same
    /// post twice is harmless.
    pub async fn record_post(&self, post: &Post) -> Result<(), StoreError> {
        let written = self.write_plain(Plain::Post(post.clone())).await;
        // Shown in Discord whether or not the record reached the disk.
        self.shown.shown(post.channel_id, &post.question);
        written
    }

    /// [`Store::record_post`] without waiting for the disk, for `/quiz`: it
    /// answers at once, and the record is committed with the writer's next
    /// batch, or within 100 ms with the other records of that time
    /// (`writer.rs`; PostgreSQL: in a transaction of its own). Until then
    /// [`Store::post_counts`] counts it from memory, so the next `/quiz` in
    /// the channel already avoids the question. A crash in between loses
    /// only the record: the channel may see that question once more sooner
    /// than its turn. A failure is logged.
    pub fn record_post_later(&self, post: &Post) {
        let pending = self.unconfirmed.add(post.channel_id, &post.question);
        self.shown.shown(post.channel_id, &post.question);
        let (store, post) = (self.clone(), post.clone());
        tokio::spawn(async move {
            // No deadline: nobody waits for it, and until it is settled
            // the post is counted from memory.
            let written = match &store.writer {
                Some(writer) => writer.plain_soon(Plain::Post(post)).await,
                None => store.write_plain_now(Plain::Post(post)).await,
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, "could not record a posted question");
            }
            drop(pending);
        });
    }

    /// Keeps what a member wrote with "Answer first", replacing what they
    /// wrote for the question before.
    pub async fn record_typed_answer(&self, answer: &TypedAnswer) -> Result<(), StoreError> {
        self.write_plain(Plain::Answer(answer.clone())).await
    }

    /// What the member last wrote for a question with "Answer first".
    pub async fn typed_answer(&self, user_id: u64, question: &QuestionId) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT answer FROM typed_answers WHERE user_id = $1 AND question_id = $2")
            .bind(id_key(user_id))
            .bind(question.as_str())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A write a member waits for, within [`WRITE_DEADLINE`].
    async fn write_plain(&self, write: Plain) -> Result<(), StoreError> {
        within(WRITE_DEADLINE, self.write_plain_now(write)).await
    }

    /// A write through the SQLite writer, or in a transaction of its own.
    async fn write_plain_now(&self, write: Plain) -> Result<(), StoreError> {
        match &self.writer {
            Some(writer) => writer.plain(write).await,
            None => {
                let pool = self.pool.clone();
                in_own_task(WRITE_DEADLINE, async move {
                    let mut tx = pool.begin().await?;
                    match &write {
                        Plain::Post(post) => write_post(&mut tx, post).await?,
                        Plain::Answer(answer) => write_typed_answer(&mut tx, answer).await?,
                    }
                    tx.commit().await?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// How often each question has been shown in a channel, counting the
    /// posts still on their way to the disk ([`Store::record_post_later`]).
    pub async fn post_counts(&self, channel_id: u64) -> Result<HashMap<QuestionId, u64>, StoreError> {
        if let Some(counts) = self.shown.get(channel_id) {
            return Ok(counts);
        }
        let reading = self.shown.start_reading(channel_id);
        // Read before the database: a post confirmed in between is then
        // counted twice at worst (the question waits a turn longer), never
        // missed.
        let unconfirmed = self.unconfirmed.of(channel_id);
        let rows = sqlx::query("SELECT question_id, shown AS n FROM post_counts WHERE channel_id = $1")
            .bind(id_key(channel_id))
            .fetch_all(&self.pool)
            .await?;
        let mut counts = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("question_id")?;
            let n: i64 = row.try_get("n")?;
            // Ids of questions since removed from the banks are irrelevant.
            if let Some(id) = QuestionId::parse(&id) {
                counts.insert(id, u64::try_from(n).unwrap_or(0));
            }
        }
        for id in unconfirmed {
            *counts.entry(id).or_default() += 1;
        }
        Ok(match reading {
            Some(reading) => reading.finish(counts),
            None => counts,
        })
    }

    /// Stores a level click: appended to the history, and the member's
    /// latest level for the question replaced (the newest click wins); with
    /// the member's display name, remembered for boards. A click already
    /// recorded (same interaction id) changes nothing. [`StoreError::Busy`]
    /// past [`WRITE_DEADLINE`].
    pub async fn record_rating(
        &self,
        rating: &Rating,
        worth: &Worth,
        name: Option<&str>,
    ) -> Result<RatingSaved, StoreError> {
        self.record_rating_within(rating, worth, name, WRITE_DEADLINE).await
    }

    /// [`Store::record_rating`], waiting up to `patience` for its turn (a
    /// level click the member was told to wait for). Given up earlier, the
    /// write would go on while the caller's next try queued a second one
    /// behind it: under a burst, every try would add to the queue it was
    /// waiting in.
    pub async fn record_rating_within(
        &self,
        rating: &Rating,
        worth: &Worth,
        name: Option<&str>,
        patience: Duration,
    ) -> Result<RatingSaved, StoreError> {
        match &self.writer {
            Some(writer) => {
                within(patience, writer.rating(rating.clone(), worth.clone(), name.map(str::to_string))).await
            }
            None => {
                let (pool, rating, worth, name) =
                    (self.pool.clone(), rating.clone(), worth.clone(), name.map(str::to_string));
                in_own_task(patience, async move {
                    let mut tx = pool.begin().await?;
                    let saved = write_rating(&mut tx, &rating, &worth, name.as_deref(), false).await?;
                    tx.commit().await?;
                    Ok(saved)
                })
                .await
            }
        }
    }

    /// Many ratings in one transaction, stored as [`Store::record_rating`]
    /// stores each (imports, benchmarks); derived figures are computed once
    /// per day, question and member rather than once per rating.
    pub async fn import_ratings(&self, ratings: &[(Rating, Worth)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut days: BTreeMap<(i64, i64, NaiveDate), u32> = BTreeMap::new();
        let mut questions = BTreeSet::new();
        let mut members = BTreeMap::new();
        for (rating, worth) in ratings {
            if let Stored::Inserted(after) = import_click(&mut tx, rating, worth).await? {
                let (guild, user) = (scope_key(rating.scope), id_key(rating.user_id));
                if after.replaces.is_none() {
                    *days.entry((guild, user, worth.day)).or_default() += 1;
                }
                questions.insert((user, rating.question.as_str()));
                let latest = members.entry((guild, user)).or_insert(rating.at);
                *latest = rating.at.max(*latest);
            }
        }
        for ((guild, user, day), n) in days {
            add_study_day(&mut tx, guild, user, day, n).await?;
        }
        for (user, question) in questions {
            update_memory(&mut tx, user, question).await?;
        }
        for ((guild, user), at) in members {
            recompute_member(&mut tx, guild, user, at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The member's latest level for a question, if they rated it here.
    pub async fn latest_level(
        &self,
        scope: Scope,
        user_id: u64,
        question: &QuestionId,
    ) -> Result<Option<Level>, StoreError> {
        let row = sqlx::query("SELECT level FROM ratings WHERE guild_id = $1 AND user_id = $2 AND question_id = $3")
            .bind(scope_key(scope))
            .bind(id_key(user_id))
            .bind(question.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let key: String = row.try_get("level")?;
                Level::parse(&key).map(Some).ok_or_else(|| StoreError::Corrupt(format!("level {key:?}")))
            }
        }
    }

    /// Every level click of a member in this scope, oldest first.
    pub async fn rating_history(&self, scope: Scope, user_id: u64) -> Result<Vec<Rating>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, question_id, level, source, rated_at FROM rating_events
             WHERE guild_id = $1 AND user_id = $2 ORDER BY rated_at, id",
        )
        .bind(scope_key(scope))
        .bind(id_key(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let question: String = row.try_get("question_id")?;
                let level: String = row.try_get("level")?;
                let source: String = row.try_get("source")?;
                Ok(Rating {
                    id: id_from_key(row.try_get("id")?)?,
                    scope,
                    user_id,
                    question: QuestionId::parse(&question)
                        .ok_or_else(|| StoreError::Corrupt(format!("question id {question:?}")))?,
                    level: Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?,
                    source: Source::parse(&source).ok_or_else(|| StoreError::Corrupt(format!("source {source:?}")))?,
                    at: row.try_get("rated_at")?,
                })
            })
            .collect()
    }

    /// Distinct questions the member has rated in this scope.
    pub async fn studied_count(&self, scope: Scope, user_id: u64) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        studied_in(&mut *conn, scope_key(scope), id_key(user_id)).await
    }

    /// The questions any member rated in a server (retired ones left out).
    pub async fn rated_in(&self, guild_id: u64) -> Result<HashSet<QuestionId>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT question_id FROM ratings WHERE guild_id = $1 AND retired = 0")
                .bind(id_key(guild_id))
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.iter().filter_map(|id| QuestionId::parse(id)).collect())
    }

    /// The daily questions posted in a channel at or after `since` (unix
    /// seconds).
    pub async fn daily_posted_since(&self, channel_id: u64, since: i64) -> Result<HashSet<QuestionId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT question_id FROM posts WHERE channel_id = $1 AND source = 'daily' AND posted_at >= $2",
        )
        .bind(id_key(channel_id))
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().filter_map(|id| QuestionId::parse(id)).collect())
    }

    /// The servers (not DMs) where the member has rated questions.
    pub async fn servers_studied(&self, user_id: u64) -> Result<Vec<u64>, StoreError> {
        let guilds: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT guild_id FROM ratings WHERE user_id = $1 AND guild_id <> 0 ORDER BY guild_id",
        )
        .bind(id_key(user_id))
        .fetch_all(&self.pool)
        .await?;
        guilds.into_iter().map(id_from_key).collect()
    }

    /// Deletes a member's ratings (history and latest levels) and the
    /// figures derived from them, in one scope or everywhere with `None`.
    /// Returns the rating rows removed.
    ///
    /// One transaction per server the member studied in, found through
    /// `ratings_by_user`: a member of many servers holds SQLite's write lock
    /// for one server's rows at a time, never for a scan of every table.
    pub async fn forget_member(&self, scope: Option<Scope>, user_id: u64) -> Result<u64, StoreError> {
        let user = id_key(user_id);
        if let Some(scope) = scope {
            return self.forget_in(scope_key(scope), user).await;
        }
        let mut removed = 0;
        // Until none is left: a server the member studied in while this ran
        // is found by the next round.
        loop {
            let guilds: Vec<i64> =
                sqlx::query_scalar("SELECT DISTINCT guild_id FROM ratings WHERE user_id = $1 ORDER BY guild_id")
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await?;
            if guilds.is_empty() {
                // What is the member's own rather than a server's. A memory
                // whose clicks are all gone (they were, above) goes; one a
                // click made meanwhile stays with its click.
                let mut tx = self.pool.begin().await?;
                for table in ["member_settings", "typed_answers", "reminders", "reminder_sends"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "DELETE FROM memories WHERE user_id = $1 AND NOT EXISTS
                        (SELECT 1 FROM rating_events e WHERE e.user_id = $1 AND e.question_id = memories.question_id)",
                )
                .bind(user)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(removed);
            }
            for guild in guilds {
                removed += self.forget_in(guild, user).await?;
            }
        }
    }

    /// [`Store::forget_member`] in one server (or direct messages, `0`).
    async fn forget_in(&self, guild: i64, user: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The member's lock first, as a click and a board refresh take it
        // (`writes::lock_member`): on PostgreSQL a click racing this waits
        // for it or it for the click, never both, and no refresh puts the
        // figures back from an older snapshot.
        lock_member(&mut tx, guild, user).await?;
        // The questions whose memories this changes, replayed last from the
        // member's clicks in other scopes (`memory.rs`).
        let questions: Vec<String> = sqlx::query_scalar(
            "SELECT question_id FROM ratings WHERE guild_id = $1 AND user_id = $2 ORDER BY question_id",
        )
        .bind(guild)
        .bind(user)
        .fetch_all(&mut *tx)
        .await?;
        let mut removed = 0;
        // The member's ratings, counted; then what was derived from them
        // (the lock's placeholder too), in the order a click writes them.
        for (table, counted) in [
            ("rating_events", true),
            ("ratings", true),
            ("member_names", false),
            ("study_days", false),
            ("board_totals", false),
            ("typed_answers", false),
        ] {
            let done = sqlx::query(&format!("DELETE FROM {table} WHERE guild_id = $1 AND user_id = $2"))
                .bind(guild)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            if counted {
                removed += done.rows_affected();
            }
        }
        for question in &questions {
            update_memory(&mut tx, user, question).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}

/// A member's write through the SQLite writer, or [`StoreError::Busy`] once
/// `deadline` ([`WRITE_DEADLINE`] for an answer within Discord's 3 s) has
/// passed: the member hears "try again" in time instead of nothing. Giving
/// up is safe there: the writer's task owns the transaction and finishes
/// it.
async fn within<T>(
    deadline: Duration,
    write: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(deadline, write).await.unwrap_or(Err(StoreError::Busy))
}

/// A member's write in a transaction of its own (PostgreSQL), in a task of
/// its own, or [`StoreError::Busy`] after `deadline`. The task goes
/// on to commit or roll back: a transaction dropped half-way would leave
/// its connection idle in the transaction, holding the member's row locks
/// until the connection is used again, and every later write of that
/// member waiting behind them.
async fn in_own_task<T: Send + 'static>(
    deadline: Duration,
    write: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    let mut task = tokio::spawn(write);
    match tokio::time::timeout(deadline, &mut task).await {
        Ok(Ok(result)) => result,
        // A panic in a write: the member is told to try again.
        Ok(Err(_)) => Err(StoreError::Closed),
        Err(_) => Err(StoreError::Busy),
    }
}
