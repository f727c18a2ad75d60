//! The scheduler's second duty: each member's review reminder, a DM at
//! their local time on the days reviews are due, exactly once per member
//! and local date. It shares the daily posts' loop and pace (one budget of
//! Discord requests), and their claim-then-send-with-a-nonce design: a
//! claim per member and day in the database, the DM sent with a nonce
//! naming that day, so a retry or a takeover within Discord's nonce window
//! returns the first DM; past that window ([`RETRY_WINDOW_SECS`]) the
//! day's reminder is given up rather than risk a second DM. A retry keeps
//! the local date it is for. A member whose DMs are closed (50007) has
//! the reminder turned off, and is told the next time they use the bot.

use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use tracing::{info, warn};

use super::{PostError, Poster, Scheduler, Stopping, BATCH, IN_FLIGHT, LEASE, RETRY};
use crate::domain::schedule::reminder::{reminder_nonce, Reminder, TurnedOff, RETRY_WINDOW_SECS};
use crate::domain::schedule::time::{local_date, local_instant, next_post_after, still_due_today};
use crate::domain::schedule::DayClaim;
use crate::domain::study::Scope;
use crate::measures::scheduled;
use crate::service::review::DueCounts;
use crate::service::ServiceError;
use crate::store::StoreError;

/// What the Discord layer needs to send a reminder.
#[derive(Debug)]
pub struct ReminderDm<'a> {
    pub user_id: u64,
    pub due: DueCounts,
    /// Message nonce, sent with `enforce_nonce`.
    pub nonce: &'a str,
}

impl<P: Poster> Scheduler<P> {
    /// Handles every reminder due now. A batch in which every reminder
    /// failed on the database ends the round, so that an outage does not
    /// spin the loop; the loop tries again after its pause.
    pub(super) async fn remind_due(&self) -> Result<(), StoreError> {
        loop {
            let now = self.services.clock.now();
            let due = self.services.store.due_reminders(now.timestamp(), BATCH).await?;
            let (count, full) = (due.len(), due.len() == BATCH as usize);
            let failed = std::sync::atomic::AtomicUsize::new(0);
            futures_util::stream::iter(due)
                .for_each_concurrent(IN_FLIGHT, |reminder| {
                    let failed = &failed;
                    async move {
                        if self.stop.as_ref().is_some_and(Stopping::is_set) {
                            return;
                        }
                        if let Err(e) = self.remind(&reminder, now).await {
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            warn!(user = reminder.user_id, error = %e, "review reminder failed");
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

    async fn remind(&self, r: &Reminder, batch_now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = self.services.clock.now().max(batch_now);
        let store = &self.services.store;
        let due_at = Utc.timestamp_opt(r.next_due_at, 0).single().unwrap_or(now);
        let next = next_post_after(now, r.time, r.zone).timestamp();
        // A retry keeps the day it is for, even past local midnight.
        let date = match r.pending {
            Some(date) => date,
            None if !still_due_today(due_at, now, r.zone) => {
                info!(user = r.user_id, "missed review reminder skipped");
                return store.reminder_next(r, next, None).await;
            }
            None => local_date(due_at, r.zone),
        };
        let lease_until = now.timestamp() + LEASE.as_secs() as i64;
        let claimed_at = match store.claim_reminder(r.user_id, date, &self.holder, now.timestamp(), lease_until).await?
        {
            DayClaim::Won { claimed_at } => claimed_at,
            DayClaim::Done => return store.reminder_next(r, next, None).await,
            DayClaim::Held { until } => return store.reminder_next(r, until.min(next), Some(date)).await,
        };
        if now.timestamp() - claimed_at > RETRY_WINDOW_SECS {
            // An earlier attempt may have been delivered past the nonce's
            // reach: better no reminder today than two.
            warn!(user = r.user_id, %date, "a reminder retried past the nonce window is given up for the day");
            store.complete_reminder(r.user_id, date, &self.holder, 0, now.timestamp()).await?;
            return store.reminder_next(r, next, None).await;
        }
        let due = match self.services.reviews_due(Scope::DirectMessages, r.user_id, r.zone).await {
            Ok(due) => due,
            Err(ServiceError::Store(e)) => return Err(e),
            Err(e) => {
                warn!(user = r.user_id, error = %e, "could not count a member's reviews");
                DueCounts::default()
            }
        };
        if due.today == 0 {
            // Nothing due: no DM today.
            store.complete_reminder(r.user_id, date, &self.holder, 0, now.timestamp()).await?;
            return store.reminder_next(r, next, None).await;
        }
        let nonce = reminder_nonce(r.user_id, date);
        let dm = ReminderDm { user_id: r.user_id, due, nonce: &nonce };
        // Two requests: the DM channel, then the message.
        self.pace.wait().await;
        self.pace.wait().await;
        match self.poster.remind(&dm).await {
            Ok(message_id) => {
                info!(user = r.user_id, %date, due = due.today, "review reminder sent");
                let due_at = local_instant(date, r.time, r.zone);
                super::count_post(scheduled::REMINDER, due_at, self.services.clock.now());
                let sent_at = self.services.clock.now_unix();
                if !store.complete_reminder(r.user_id, date, &self.holder, message_id, sent_at).await? {
                    warn!(user = r.user_id, %date, "the reminder's claim was taken over while sending");
                }
                store.reminder_next(r, next, None).await
            }
            Err(PostError::DmsClosed) => {
                info!(user = r.user_id, "the member's DMs are closed; their reminder is turned off");
                store.release_reminder(r.user_id, date, &self.holder).await?;
                store.turn_off_reminder(r.user_id, TurnedOff::DmsClosed, now.timestamp()).await
            }
            Err(PostError::Permanent(reason)) => {
                warn!(user = r.user_id, %reason, "review reminder refused; trying again tomorrow");
                store.release_reminder(r.user_id, date, &self.holder).await?;
                store.reminder_next(r, next, None).await
            }
            Err(error) => {
                // The same DM (same nonce) again shortly, for the same day:
                // Discord returns the first one if it was made after all.
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
                warn!(user = r.user_id, %error, "review reminder failed; retrying the same DM");
                store.extend_reminder(r.user_id, date, &self.holder, retry + LEASE.as_secs() as i64).await?;
                store.reminder_next(r, retry, Some(date)).await
            }
        }
    }
}
