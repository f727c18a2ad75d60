//! A level click: what it is worth, stored.
//!
//! The hot path of the bot: one bank lookup, one store read (the server's
//! zone and the channel's latest question of the day, in one statement),
//! one write. The day rule is [`crate::domain::study::study_day`].

use std::time::Duration;

use super::{ServiceError, Services};
use crate::domain::bank::InBank;
use crate::domain::study::{Rating, RatingSaved, Source};
use crate::store::WRITE_DEADLINE;

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
        self.rate_within(rating, channel_id, name, WRITE_DEADLINE).await
    }

    /// [`Services::rate`] for a member told to wait (a deferred click): the
    /// write waits up to `patience` for its turn
    /// ([`crate::store::Store::record_rating_within`]).
    pub async fn rate_within(
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
