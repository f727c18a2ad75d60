//! `/remind`: a member's review reminder, a DM at their local time on the
//! days reviews are due. The scheduler sends them (`scheduler/reminders.rs`).

use tracing::warn;

use super::{ServiceError, Services};
use crate::domain::schedule::reminder::{Reminder, ReminderState, TurnedOff};
use crate::domain::schedule::time::{next_post_after, parse_zone, TimeOfDay};

impl Services {
    /// Turns the member's reminder on at `time` (`HH:MM`) in `zone` (an
    /// IANA name); the next one is the first such local time from now.
    pub async fn set_reminder(&self, user_id: u64, time: &str, zone: &str) -> Result<Reminder, ServiceError> {
        let (time, zone) = (TimeOfDay::parse(time)?, parse_zone(zone)?);
        let now = self.clock.now();
        let next_due_at = next_post_after(now, time, zone).timestamp();
        let reminder = Reminder { user_id, time, zone, next_due_at, pending: None };
        self.store.set_reminder(&reminder, now.timestamp()).await?;
        self.wake.wake();
        Ok(reminder)
    }

    /// Turns it off; `false` if the member had none.
    pub async fn remove_reminder(&self, user_id: u64) -> Result<bool, ServiceError> {
        Ok(self.store.remove_reminder(user_id).await?)
    }

    /// The member's reminder, if any.
    pub async fn reminder(&self, user_id: u64) -> Result<Option<ReminderState>, ServiceError> {
        Ok(self.store.reminder(user_id).await?)
    }

    /// Why the bot turned the member's reminder off, if it did and has not
    /// said so yet; told once. A nicety: a failure is logged, not shown.
    pub async fn reminder_notice(&self, user_id: u64) -> Option<TurnedOff> {
        self.store.take_reminder_notice(user_id).await.unwrap_or_else(|e| {
            warn!(error = %e, "could not read a reminder notice");
            None
        })
    }
}
