//! The use cases behind `/quiz`, Reveal, the level buttons and the
//! leaderboard, in plain Rust types. The Discord layer decodes an
//! interaction, calls one of these, and renders the result.

use std::sync::Arc;

use crate::bank::pick::pick_least_posted;
use crate::bank::{Filter, Question, QuestionBank, QuestionId};
use crate::store::{Store, StoreError};
use crate::study::score::weight;
use crate::study::{Post, Rating, RatingSaved, Scope, Source, Worth};

/// Why a quiz action could not be done. All but `Store` are the member's
/// to fix and are shown to them as they are.
#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    #[error("There is no category \"{given}\". Categories: {}.", .valid.join(", "))]
    UnknownCategory { given: String, valid: Vec<String> },
    #[error("No question matches {filter}. Categories: {}.", .valid.join(", "))]
    EmptyPool { filter: String, valid: Vec<String> },
    #[error("This question is no longer available.")]
    QuestionGone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl QuizError {
    /// Whether the message is meant for the member (as opposed to a fault
    /// to log and apologise for).
    pub fn is_user_facing(&self) -> bool {
        !matches!(self, QuizError::Store(_))
    }
}

/// Question banks plus storage: everything the quiz needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Quiz {
    bank: Arc<QuestionBank>,
    store: Store,
}

impl Quiz {
    pub fn new(bank: Arc<QuestionBank>, store: Store) -> Self {
        Quiz { bank, store }
    }

    pub fn bank(&self) -> &QuestionBank {
        &self.bank
    }

    /// The shared bank, for holders that outlive a borrow.
    pub fn bank_arc(&self) -> Arc<QuestionBank> {
        self.bank.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The exact name of a loaded category typed in any case, or the error
    /// listing the valid ones.
    pub fn category(&self, given: &str) -> Result<String, QuizError> {
        self.bank
            .find_category(given)
            .map(String::from)
            .ok_or_else(|| QuizError::UnknownCategory { given: given.to_string(), valid: self.category_names() })
    }

    fn category_names(&self) -> Vec<String> {
        self.bank.categories().into_iter().map(String::from).collect()
    }

    /// Checks a filter against the loaded banks: the category's exact name
    /// filled in, and the matching questions — or why none match.
    pub fn resolve(&self, filter: &Filter) -> Result<(Filter, Vec<&Question>), QuizError> {
        let mut filter = filter.clone();
        if let Some(given) = &filter.category {
            filter.category = Some(self.category(given)?);
        }
        let pool = self.bank.matching(&filter);
        if pool.is_empty() {
            return Err(QuizError::EmptyPool { filter: describe(&filter), valid: self.category_names() });
        }
        Ok((filter, pool))
    }

    /// Chooses the next question for a channel among those matching
    /// `filter`, preferring ones posted there least often. Nothing is
    /// recorded: call [`Quiz::posted`] once the question is on screen.
    pub async fn next_question(&self, channel_id: u64, filter: &Filter) -> Result<&Question, QuizError> {
        let (_, pool) = self.resolve(filter)?;
        let counts = self.store.post_counts(channel_id).await?;
        pick_least_posted(&pool, &counts, &mut rand::thread_rng()).ok_or(QuizError::QuestionGone)
    }

    /// Records that a question was shown, so the channel's cycle moves on.
    pub async fn posted(&self, post: &Post) -> Result<(), QuizError> {
        Ok(self.store.record_post(post).await?)
    }

    /// The question a button names, if it is still loaded.
    pub fn question(&self, id: &QuestionId) -> Result<&Question, QuizError> {
        self.bank.get(id).ok_or(QuizError::QuestionGone)
    }

    /// Stores a member's self-assessed level for a loaded question, with
    /// what it is worth on the leaderboard. `channel_id` is where the click
    /// happened: a question of the day earns its bonus only there, on the
    /// day it was posted (in the schedule's time zone). `name` is the
    /// member's display name, kept for boards.
    pub async fn rate(&self, rating: &Rating, channel_id: u64, name: Option<&str>) -> Result<RatingSaved, QuizError> {
        let question = self.question(&rating.question)?;
        let on_time = rating.source == Source::Daily && self.is_todays_daily(rating, channel_id).await?;
        let at = chrono::DateTime::from_timestamp(rating.at, 0).unwrap_or_default();
        let day = crate::schedule::time::local_date(at, self.study_zone(rating.scope).await?);
        let worth = Worth { weight: weight(question.difficulty), on_time, category: question.category.clone(), day };
        Ok(self.store.record_rating(rating, &worth, name).await?)
    }

    async fn is_todays_daily(&self, rating: &Rating, channel_id: u64) -> Result<bool, StoreError> {
        let Some(schedule) = self.store.schedule(channel_id).await? else {
            return Ok(false);
        };
        let Some(at) = chrono::DateTime::from_timestamp(rating.at, 0) else {
            return Ok(false);
        };
        let today = crate::schedule::time::local_date(at, schedule.zone);
        Ok(self.store.daily_question(channel_id, today).await?.as_ref() == Some(&rating.question))
    }

    /// The member's current level for a question, for highlighting.
    pub async fn current_level(
        &self,
        scope: Scope,
        user_id: u64,
        id: &QuestionId,
    ) -> Result<Option<crate::level::Level>, QuizError> {
        Ok(self.store.latest_level(scope, user_id, id).await?)
    }
}

/// "🟡 Intermediate questions in \"Monitoring & Logging\"", for messages.
fn describe(filter: &Filter) -> String {
    let level = filter.difficulty.map(|d| format!("{} {} questions", d.marker(), d.name()));
    match (level, &filter.category) {
        (Some(l), Some(c)) => format!("{l} in \"{c}\""),
        (Some(l), None) => l,
        (None, Some(c)) => format!("questions in \"{c}\""),
        (None, None) => "any question (no banks loaded)".into(),
    }
}
