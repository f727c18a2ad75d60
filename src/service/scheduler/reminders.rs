//! The scheduler's second duty: each member's review reminder, a DM at
//! their local time on the days reviews are due, exactly once per member
//! and local date. It shares the daily posts' loop and pace (one budget of
//! Discord requests), and their claim-then-send-with-a-nonce design: a
//! claim per member and day in the database, the DM sent with a nonce
//! naming that day, so a retry or a takeover within Discord's nonce window
//! returns the first DM. A member whose DMs are closed (50007) has the
//! reminder turned off, and is told the next time they use the bot.

use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use tracing::{info, warn};

use super::{PostError, Poster, Scheduler, Stopping, BATCH, IN_FLIGHT, LEASE, RETRY};
use crate::domain::schedule::reminder::{reminder_nonce, Reminder, ReminderClaim, DMS_CLOSED};
use crate::domain::schedule::time::{local_date, next_post_after, still_due_today};
use crate::domain::study::Scope;
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
    /// Handles every reminder due now.
    pub(super) async fn remind_due(&self) -> Result<(), StoreError> {
        loop {
            let now = self.services.clock.now();
            let due = self.services.store.due_reminders(now.timestamp(), BATCH).await?;
            let full = due.len() == BATCH as usize;
            futures_util::stream::iter(due)
                .for_each_concurrent(IN_FLIGHT, |reminder| async move {
                    if self.stop.as_ref().is_some_and(Stopping::is_set) {
                        return;
                    }
                    if let Err(e) = self.remind(&reminder, now).await {
                        warn!(user = reminder.user_id, error = %e, "review reminder failed");
                    }
                })
                .await;
            if !full || self.stop.as_ref().is_some_and(Stopping::is_set) {
                return Ok(());
            }
        }
    }

    async fn remind(&self, r: &Reminder, batch_now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = self.services.clock.now().max(batch_now);
        let store = &self.services.store;
        let due_at = Utc.timestamp_opt(r.next_due_at, 0).single().unwrap_or(now);
        let next = next_post_after(now, r.time, r.zone).timestamp();
        if !still_due_today(due_at, now, r.zone) {
            info!(user = r.user_id, "missed review reminder skipped");
            return store.reminder_done(r.user_id, next).await;
        }
        let date = local_date(due_at, r.zone);
        let lease_until = now.timestamp() + LEASE.as_secs() as i64;
        match store.claim_reminder(r.user_id, date, &self.holder, now.timestamp(), lease_until).await? {
            ReminderClaim::Won => {}
            ReminderClaim::Done => return store.reminder_done(r.user_id, next).await,
            ReminderClaim::Held { until } => return store.reminder_done(r.user_id, until.min(next)).await,
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
            return store.reminder_done(r.user_id, next).await;
        }
        let nonce = reminder_nonce(r.user_id, date);
        let dm = ReminderDm { user_id: r.user_id, due, nonce: &nonce };
        self.pace.wait().await;
        match self.poster.remind(&dm).await {
            Ok(message_id) => {
                info!(user = r.user_id, %date, due = due.today, "review reminder sent");
                let sent_at = self.services.clock.now_unix();
                if !store.complete_reminder(r.user_id, date, &self.holder, message_id, sent_at).await? {
                    warn!(user = r.user_id, %date, "the reminder's claim was taken over while sending");
                }
                store.reminder_done(r.user_id, next).await
            }
            Err(PostError::DmsClosed) => {
                info!(user = r.user_id, "the member's DMs are closed; their reminder is turned off");
                store.release_reminder(r.user_id, date, &self.holder).await?;
                store.turn_off_reminder(r.user_id, DMS_CLOSED, now.timestamp()).await
            }
            Err(PostError::Permanent(reason)) => {
                warn!(user = r.user_id, %reason, "review reminder refused; trying again tomorrow");
                store.release_reminder(r.user_id, date, &self.holder).await?;
                store.reminder_done(r.user_id, next).await
            }
            Err(error) => {
                // The same DM (same nonce) again shortly: Discord returns
                // the first one if it was made after all.
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
                store.reminder_done(r.user_id, retry).await
            }
        }
    }
}
