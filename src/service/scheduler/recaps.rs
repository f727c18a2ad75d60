//! The scheduler's third duty: each channel's weekly recap (see
//! `domain::schedule::recap`), on the chosen local weekday at the
//! schedule's time, exactly once per week: a claim per channel and recap
//! date, and a nonce naming them, as for daily posts.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures_util::StreamExt;
use tracing::{info, warn};

use super::{PostError, Poster, Scheduler, Stopping, BATCH, IN_FLIGHT, LEASE, RETRY};
use crate::domain::bank::InBank;
use crate::domain::schedule::recap::{next_recap_after, recap_nonce, week_before, Hard, WeekSummary, HARDEST, TOP};
use crate::domain::schedule::reminder::RETRY_WINDOW_SECS;
use crate::domain::schedule::time::{local_date, local_instant, still_due_today, TimeOfDay};
use crate::domain::schedule::DayClaim;
use crate::domain::schedule::Schedule;
use crate::domain::score::Period;
use crate::domain::study::Scope;
use crate::measures::scheduled;
use crate::service::leaderboard::{BoardLine, BoardQuery};
use crate::service::ServiceError;
use crate::store::StoreError;

/// What the Discord layer needs to post a recap.
#[derive(Debug)]
pub struct RecapPost<'a> {
    pub channel_id: u64,
    /// The recap's local date; the week is the seven days before.
    pub date: chrono::NaiveDate,
    pub summary: &'a WeekSummary,
    /// The week's podium (at most [`TOP`]).
    pub top: &'a [BoardLine],
    /// The hardest questions the banks still hold (at most [`HARDEST`]),
    /// each with its numbers.
    pub hardest: &'a [(InBank, Hard)],
    /// Message nonce, sent with `enforce_nonce`.
    pub nonce: &'a str,
}

impl<P: Poster> Scheduler<P> {
    /// Posts every recap due now.
    pub(super) async fn recap_due(&self) -> Result<(), StoreError> {
        loop {
            let now = self.services.clock.now();
            let due = self.services.store.due_recaps(now.timestamp(), BATCH).await?;
            let (count, full) = (due.len(), due.len() == BATCH as usize);
            let failed = std::sync::atomic::AtomicUsize::new(0);
            futures_util::stream::iter(due)
                .for_each_concurrent(IN_FLIGHT, |(s, pending)| {
                    let failed = &failed;
                    async move {
                        if self.stop.as_ref().is_some_and(Stopping::is_set) {
                            return;
                        }
                        if let Err(e) = self.recap(&s, pending, now).await {
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            warn!(channel = s.channel_id, error = %e, "weekly recap failed");
                        }
                    }
                })
                .await;
            let all_failed = count > 0 && failed.into_inner() == count;
            if !full || all_failed || self.stop.as_ref().is_some_and(Stopping::is_set) {
                return Ok(());
            }
        }
    }

    async fn recap(
        &self,
        s: &Schedule,
        pending: Option<NaiveDate>,
        batch_now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let store = &self.services.store;
        let Some(seen) = s.next_recap_at else { return Ok(()) };
        let Some(weekday) = s.recap else {
            // A recap time without a day (not something `/daily set`
            // writes): never due again.
            return store.recap_moved(s.channel_id, seen, i64::MAX, None).await;
        };
        let now = self.services.clock.now().max(batch_now);
        let due_at = Utc.timestamp_opt(seen, 0).single().unwrap_or(now);
        let next = next_recap_after(now, weekday, s.time, s.zone).timestamp();
        // A retry keeps the date it is for, even past local midnight.
        let date = match pending {
            Some(date) => date,
            None if !still_due_today(due_at, now, s.zone) => {
                info!(channel = s.channel_id, "missed weekly recap skipped");
                return store.recap_moved(s.channel_id, seen, next, None).await;
            }
            None => local_date(due_at, s.zone),
        };
        let lease_until = now.timestamp() + LEASE.as_secs() as i64;
        let claimed_at = match store.claim_recap(s.channel_id, date, &self.holder, now.timestamp(), lease_until).await?
        {
            DayClaim::Won { claimed_at } => claimed_at,
            DayClaim::Done => return store.recap_moved(s.channel_id, seen, next, None).await,
            DayClaim::Held { until } => {
                return store.recap_moved(s.channel_id, seen, until.min(next), Some(date)).await;
            }
        };
        if now.timestamp() - claimed_at > RETRY_WINDOW_SECS {
            // An earlier attempt may have been posted past the nonce's
            // reach: better no recap this week than two.
            warn!(channel = s.channel_id, %date, "a recap retried past the nonce window is given up");
            store.complete_recap(s.channel_id, date, &self.holder, 0, now.timestamp()).await?;
            return store.recap_moved(s.channel_id, seen, next, None).await;
        }
        let summary = self.week_summary(s, date).await?;
        let top = match self
            .services
            .leaderboard(&BoardQuery {
                guild_id: s.guild_id,
                period: Period::Week,
                category: None,
                page: 0,
                caller: None,
            })
            .await
        {
            Ok(board) => board.lines.into_iter().take(TOP).collect(),
            Err(ServiceError::Store(e)) => return Err(e),
            Err(_) => Vec::new(),
        };
        let hardest: Vec<(InBank, Hard)> = match self.services.bank(Scope::Guild(s.guild_id)).await {
            Ok(bank) => summary
                .hardest
                .iter()
                .filter_map(|h| InBank::find(&bank, &h.question).map(|q| (q, h.clone())))
                .take(HARDEST)
                .collect(),
            Err(ServiceError::Store(e)) => return Err(e),
            Err(_) => Vec::new(),
        };
        let nonce = recap_nonce(s.channel_id, date);
        let post = RecapPost {
            channel_id: s.channel_id,
            date,
            summary: &summary,
            top: &top,
            hardest: &hardest,
            nonce: &nonce,
        };
        self.pace.wait().await;
        match self.poster.post_recap(&post).await {
            Ok(message_id) => {
                info!(channel = s.channel_id, %date, studied = summary.studied, "weekly recap posted");
                super::count_post(scheduled::RECAP, local_instant(date, s.time, s.zone), self.services.clock.now());
                store
                    .complete_recap(s.channel_id, date, &self.holder, message_id, self.services.clock.now_unix())
                    .await?;
                store.recap_moved(s.channel_id, seen, next, None).await
            }
            Err(error @ (PostError::Permanent(_) | PostError::DmsClosed | PostError::AlreadyDone)) => {
                warn!(channel = s.channel_id, %error, "weekly recap refused; next week's will try again");
                store.release_recap(s.channel_id, date, &self.holder).await?;
                store.recap_moved(s.channel_id, seen, next, None).await
            }
            Err(error) => {
                // The same recap (same nonce, same date) again shortly.
                let wait = match error {
                    PostError::RateLimited { retry_after, global } => {
                        if global {
                            self.pace.hold(retry_after);
                        }
                        i64::try_from(retry_after.as_secs()).unwrap_or(i64::MAX / 2) + 1
                    }
                    _ => RETRY.as_secs() as i64,
                };
                let retry = now.timestamp() + wait;
                warn!(channel = s.channel_id, %error, "weekly recap failed; retrying");
                store.extend_recap(s.channel_id, date, &self.holder, retry + LEASE.as_secs() as i64).await?;
                store.recap_moved(s.channel_id, seen, retry, Some(date)).await
            }
        }
    }

    /// The week before `date` (local days in the schedule's zone), and the
    /// count of the week before that.
    async fn week_summary(&self, s: &Schedule, date: chrono::NaiveDate) -> Result<WeekSummary, StoreError> {
        let store = &self.services.store;
        let days = week_before(date);
        let midnight = TimeOfDay::new(0, 0).unwrap_or(s.time);
        let from = local_instant(days[0], midnight, s.zone).timestamp();
        let to = local_instant(date, midnight, s.zone).timestamp();
        let before_from = days[0].checked_sub_days(chrono::Days::new(7)).unwrap_or(days[0]);
        let before = local_instant(before_from, midnight, s.zone).timestamp();
        let week = store.week_ratings(s.guild_id, from, to).await?;
        let studied_before = store.count_ratings(s.guild_id, before, from).await?;
        Ok(WeekSummary::of(&week, usize::try_from(studied_before).unwrap_or(usize::MAX), date, s.zone))
    }
}
