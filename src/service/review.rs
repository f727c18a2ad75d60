//! `/review`: the member's own spaced-repetition queue (see
//! `domain::review` for the intervals).

use chrono::DateTime;
use rand::seq::SliceRandom;

use super::{ServiceError, Services};
use crate::domain::bank::InBank;
use crate::domain::study::{study_day, Scope};

/// What `/review` offers.
#[derive(Debug, Clone)]
pub enum ReviewPick {
    /// The most overdue question.
    Due { question: InBank, due_at: i64, due_today: usize },
    /// Nothing is due: a question the member never rated here.
    Fresh { question: InBank, next_due_at: Option<i64> },
    /// Nothing due and nothing new.
    Nothing { next_due_at: Option<i64> },
}

impl Services {
    /// The member's next review, now.
    pub async fn review(&self, scope: Scope, user_id: u64) -> Result<ReviewPick, ServiceError> {
        let now = self.clock.now();
        let bank = self.bank(scope).await?;
        // Soonest due first, as the store answers them.
        let studied = self.store.studied(scope, user_id).await?;
        let due: Vec<_> =
            studied.iter().filter_map(|s| InBank::find(&bank, &s.question).map(|q| (q, s.due_at))).collect();
        let zone = self.zone(scope).await?;
        let today = study_day(now, zone);
        let due_today = due
            .iter()
            .filter(|(_, at)| DateTime::from_timestamp(*at, 0).is_some_and(|t| study_day(t, zone) <= today))
            .count();
        if let Some((question, due_at)) = due.first().filter(|(_, at)| *at <= now.timestamp()) {
            return Ok(ReviewPick::Due { question: question.clone(), due_at: *due_at, due_today });
        }
        let next_due_at = due.first().map(|(_, at)| *at);
        let seen: std::collections::HashSet<_> = studied.iter().map(|s| &s.question).collect();
        let fresh: Vec<_> = bank.questions().iter().filter(|q| !seen.contains(&q.id)).collect();
        let picked = fresh.choose(&mut rand::thread_rng()).and_then(|q| InBank::find(&bank, &q.id));
        Ok(match picked {
            Some(question) => ReviewPick::Fresh { question, next_due_at },
            None => ReviewPick::Nothing { next_due_at },
        })
    }
}
