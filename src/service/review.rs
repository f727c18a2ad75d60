//! `/review` and `/review-settings`: the member's own spaced-repetition
//! queue, timed by their memory of each question (`domain::review`).

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use rand::seq::SliceRandom;

use super::{ServiceError, Services};
use crate::domain::bank::InBank;
use crate::domain::review::{Memory, Retention};
use crate::domain::schedule::time::end_of_day;
use crate::domain::study::{study_day, Scope};

/// How many of the member's questions are due, counted over the questions
/// the scope sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DueCounts {
    /// Due by the end of today, local time (overdue ones included).
    pub today: usize,
    /// Due by the end of the seventh day from today.
    pub week: usize,
}

/// What `/review` offers.
#[derive(Debug, Clone)]
pub enum ReviewPick {
    /// The most overdue question, and the predicted probability (0 to 1)
    /// that the member recalls it now.
    Due { question: InBank, memory: Memory, recall: f64, due: DueCounts },
    /// Nothing is due: a question the member never rated.
    Fresh { question: InBank, next_due_at: Option<i64>, due: DueCounts },
    /// Nothing due and nothing new.
    Nothing { next_due_at: Option<i64>, due: DueCounts },
}

impl Services {
    /// The member's next review, now.
    pub async fn review(&self, scope: Scope, user_id: u64) -> Result<ReviewPick, ServiceError> {
        let now = self.clock.now();
        let bank = self.review_bank(scope, user_id).await?;
        // Soonest due first, as the store answers them; questions this scope
        // does not see are left out.
        let memories: Vec<(InBank, Memory)> = self
            .store
            .memories(user_id)
            .await?
            .into_iter()
            .filter_map(|(id, memory)| InBank::find(&bank, &id).map(|q| (q, memory)))
            .collect();
        let zone = self.zone(scope).await?;
        let due = due_counts(memories.iter().map(|(_, m)| m), now, zone);
        if let Some((question, memory)) = memories.first().filter(|(_, m)| m.due_at <= now.timestamp()) {
            let recall = memory.recall_at(now.timestamp());
            return Ok(ReviewPick::Due { question: question.clone(), memory: *memory, recall, due });
        }
        let next_due_at = memories.first().map(|(_, m)| m.due_at);
        let seen: std::collections::HashSet<_> = memories.iter().map(|(q, _)| &q.question().id).collect();
        let fresh: Vec<_> = bank.questions().iter().filter(|q| !seen.contains(&q.id)).collect();
        let picked = fresh.choose(&mut rand::thread_rng()).and_then(|q| InBank::find(&bank, &q.id));
        Ok(match picked {
            Some(question) => ReviewPick::Fresh { question, next_due_at, due },
            None => ReviewPick::Nothing { next_due_at, due },
        })
    }

    /// How many of the member's questions are due, as their `/review` in
    /// `scope` sees them, counting days in `zone`.
    pub async fn reviews_due(&self, scope: Scope, user_id: u64, zone: Tz) -> Result<DueCounts, ServiceError> {
        let bank = self.review_bank(scope, user_id).await?;
        let memories = self.store.memories(user_id).await?;
        let seen = memories.iter().filter(|(id, _)| bank.get(id).is_some()).map(|(_, m)| m);
        Ok(due_counts(seen, self.clock.now(), zone))
    }

    /// The member's target retention.
    pub async fn retention(&self, user_id: u64) -> Result<Retention, ServiceError> {
        Ok(self.store.retention(user_id).await?)
    }

    /// Sets the member's target retention; every question they studied is
    /// due again by it.
    pub async fn set_retention(&self, user_id: u64, retention: Retention) -> Result<(), ServiceError> {
        Ok(self.store.set_retention(user_id, retention).await?)
    }
}

/// Counts the memories due by the end of today and of the week, in `zone`.
pub(super) fn due_counts<'m>(memories: impl Iterator<Item = &'m Memory>, now: DateTime<Utc>, zone: Tz) -> DueCounts {
    let today = study_day(now, zone);
    let end_today = end_of_day(today, zone).timestamp();
    let end_week = today.checked_add_days(Days::new(6)).map_or(i64::MAX, |d| end_of_day(d, zone).timestamp());
    let mut counts = DueCounts::default();
    for memory in memories {
        counts.today += usize::from(memory.due_at < end_today);
        counts.week += usize::from(memory.due_at < end_week);
    }
    counts
}
