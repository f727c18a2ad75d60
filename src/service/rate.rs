//! A level click: what it is worth, stored.
//!
//! The hot path of the bot: one bank lookup, one store read (the server's
//! zone and the channel's latest question of the day, in one statement),
//! one write. The day rule is [`crate::domain::study::study_day`].

use std::time::Duration;

use tokio::time::Instant;

use super::{ServiceError, Services};
use crate::domain::bank::InBank;
use crate::domain::study::{Rating, RatingSaved, Source};
use crate::store::WRITE_DEADLINE;

/// The pause after a try that found the database out of reach, before the
/// next: a restarting database is not asked again at once, nor a member
/// kept waiting long after it is back.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// What a member sees after rating: the question (for its buttons) and
/// their progress.
#[derive(Debug)]
pub struct Rated {
    pub question: InBank,
    pub saved: RatingSaved,
}

impl Services {
    /// Stores a member's self-assessed level for a question the scope has,
    /// with what it is worth on the leaderboard. `channel_id` is where the
    /// click happened: a question of the day earns its bonus only there, on
    /// its study day. `name` is the member's display name, kept for boards.
    pub async fn rate(&self, rating: &Rating, channel_id: u64, name: Option<&str>) -> Result<Rated, ServiceError> {
        self.try_rate(rating, channel_id, name, WRITE_DEADLINE).await
    }

    /// [`Services::rate`] for a member who can wait until `until` (a click
    /// the caller acknowledges if it takes long): a member's level is not
    /// theirs to click again because the database was busy, locked or
    /// restarting. Each try waits for its turn until `until`
    /// ([`crate::store::Store::record_rating_within`]), so a try is made
    /// again only once it has ended (a pool's wait, a lock held past
    /// SQLite's busy timeout, a connection refused), never beside itself;
    /// storing a click twice would be harmless all the same (its id makes
    /// the second a no-op). Not when the store is closing: the bot is
    /// stopping.
    pub async fn rate_until(
        &self,
        rating: &Rating,
        channel_id: u64,
        name: Option<&str>,
        until: Instant,
    ) -> Result<Rated, ServiceError> {
        loop {
            let patience = until.saturating_duration_since(Instant::now());
            match self.try_rate(rating, channel_id, name, patience).await {
                Err(e) if e.is_unavailable() && !e.is_closing() && Instant::now() + RETRY_PAUSE < until => {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                outcome => return outcome,
            }
        }
    }

    async fn try_rate(
        &self,
        rating: &Rating,
        channel_id: u64,
        name: Option<&str>,
        patience: Duration,
    ) -> Result<Rated, ServiceError> {
        let found = self.question(rating.scope, rating.user_id, &rating.question).await?;
        let question = found.question();
        let context = self.store.rating_context(rating.scope, channel_id).await?;
        let on_time = rating.source == Source::Daily && context.on_time(&question.id, rating.at);
        let worth = self.score.worth(question.difficulty, on_time, &question.category, context.day(rating.at));
        let saved = self.store.record_rating_within(rating, &worth, name, patience).await?;
        Ok(Rated { question: found, saved })
    }
}
