//! `/review`: the member's own spaced-repetition queue (see
//! `study::review` for the intervals).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rand::seq::SliceRandom;

use crate::bank::Question;
use crate::quiz::{Quiz, QuizError};
use crate::schedule::time::local_date;
use crate::store::StoreError;
use crate::study::Scope;

/// What `/review` offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewPick<'a> {
    /// The most overdue question.
    Due { question: &'a Question, due_at: i64, due_today: usize },
    /// Nothing is due: a question the member never rated here.
    Fresh { question: &'a Question, next_due_at: Option<i64> },
    /// Nothing due and nothing new.
    Nothing { next_due_at: Option<i64> },
}

impl Quiz {
    /// The time zone a scope's days are counted in: the server's
    /// daily-question zone, else UTC.
    pub async fn study_zone(&self, scope: Scope) -> Result<Tz, StoreError> {
        Ok(match scope {
            Scope::Guild(id) => self.store().guild_schedules(id).await?.first().map_or(Tz::UTC, |s| s.zone),
            Scope::DirectMessages => Tz::UTC,
        })
    }

    /// The member's next review at `now`.
    pub async fn review(&self, scope: Scope, user_id: u64, now: DateTime<Utc>) -> Result<ReviewPick<'_>, QuizError> {
        // Soonest due first, as the store answers them.
        let studied = self.store().studied(scope, user_id).await?;
        let due: Vec<_> = studied.iter().filter_map(|s| self.bank().get(&s.question).map(|q| (q, s.due_at))).collect();
        let zone = self.study_zone(scope).await?;
        let today = local_date(now, zone);
        let due_today = due
            .iter()
            .filter(|(_, at)| DateTime::from_timestamp(*at, 0).is_some_and(|t| local_date(t, zone) <= today))
            .count();
        if let Some(&(question, due_at)) = due.first().filter(|(_, at)| *at <= now.timestamp()) {
            return Ok(ReviewPick::Due { question, due_at, due_today });
        }
        let next_due_at = due.first().map(|(_, at)| *at);
        let seen: std::collections::HashSet<_> = studied.iter().map(|s| &s.question).collect();
        let fresh: Vec<&Question> = self.bank().questions().iter().filter(|q| !seen.contains(&q.id)).collect();
        Ok(match fresh.choose(&mut rand::thread_rng()) {
            Some(question) => ReviewPick::Fresh { question, next_due_at },
            None => ReviewPick::Nothing { next_due_at },
        })
    }
}
