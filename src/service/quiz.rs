//! `/quiz` and Reveal: choose a question for a channel, note that it was
//! shown, and give a member its answer with their previous level.

use tracing::warn;

use super::{ServiceError, Services};
use crate::domain::bank::pick::pick_least_posted;
use crate::domain::bank::shown::{self, fit};
use crate::domain::bank::{Filter, InBank, Question, QuestionBank, QuestionId};
use crate::domain::level::Level;
use crate::domain::study::{Post, Scope, Source, TypedAnswer};
use crate::store::StoreError;

/// What Reveal shows: the question, the level the member gave it last,
/// and in `/review` what they last wrote for it with Answer first.
#[derive(Debug)]
pub struct Revealed {
    pub question: InBank,
    pub previous: Option<Level>,
    pub last_written: Option<String>,
}

impl Services {
    /// The exact name of a category typed in any case, or the error
    /// listing the valid ones.
    pub async fn category(&self, scope: Scope, given: &str) -> Result<String, ServiceError> {
        exact_category(&*self.bank(scope).await?, given)
    }

    /// Chooses the next question for a channel among those matching
    /// `filter`, preferring ones posted there least often. Nothing is
    /// recorded: call [`Services::posted`] once the question is on screen.
    pub async fn next_question(&self, scope: Scope, channel_id: u64, filter: &Filter) -> Result<InBank, ServiceError> {
        let bank = self.bank(scope).await?;
        let (_, pool) = resolve(&bank, filter)?;
        let counts = self.store.post_counts(channel_id).await?;
        let picked = pick_least_posted(&pool, &counts, &mut rand::thread_rng()).map(|q| q.id.clone());
        picked.and_then(|id| InBank::find(&bank, &id)).ok_or(ServiceError::QuestionGone)
    }

    /// Records that a question was shown, so the channel's cycle moves on;
    /// without waiting for the disk (see [`Store::record_post_later`]): the
    /// record only steers which question comes next.
    ///
    /// [`Store::record_post_later`]: crate::store::Store::record_post_later
    pub fn posted(&self, post: &Post) {
        self.store.record_post_later(post);
    }

    /// The question a button names, if the scope still has it. In DMs
    /// that includes the banks of the servers the member studied in, which
    /// their `/review` there offers ([`Services::review_bank`]); those are
    /// read only for a question the built-in banks do not have.
    pub async fn question(&self, scope: Scope, user_id: u64, id: &QuestionId) -> Result<InBank, ServiceError> {
        if let Some(found) = InBank::find(&self.bank(scope).await?, id) {
            return Ok(found);
        }
        if scope == Scope::DirectMessages {
            if let Some(found) = InBank::find(&self.review_bank(scope, user_id).await?, id) {
                return Ok(found);
            }
        }
        Err(ServiceError::QuestionGone)
    }

    /// A question's answer for one member, with the level they gave it last
    /// (highlighted on the buttons) and, in `/review`, what they wrote for
    /// it last time. Those are niceties: a failure to read them is logged
    /// and the answer shown without.
    pub async fn reveal(
        &self,
        scope: Scope,
        user_id: u64,
        id: &QuestionId,
        source: Source,
    ) -> Result<Revealed, ServiceError> {
        let question = self.question(scope, user_id, id).await?;
        let previous = nicety(self.store.latest_level(scope, user_id, id).await, "previous level");
        let last_written = match source {
            Source::Review => nicety(self.store.typed_answer(user_id, id).await, "last typed answer"),
            Source::Quiz | Source::Daily => None,
        };
        Ok(Revealed { question, previous, last_written })
    }

    /// Answer first: keeps what the member wrote (theirs alone), then gives
    /// them the answer to compare, as Reveal does. Their words are stored
    /// before the answer is shown, so nothing they typed is lost to a
    /// failure after.
    pub async fn answer_first(&self, answer: &TypedAnswer) -> Result<Revealed, ServiceError> {
        let question = self.question(answer.scope, answer.user_id, &answer.question).await?;
        self.store.record_typed_answer(answer).await?;
        let previous =
            nicety(self.store.latest_level(answer.scope, answer.user_id, &answer.question).await, "previous level");
        Ok(Revealed { question, previous, last_written: None })
    }
}

/// What a read that only adds to an answer returned; `None`, logged, when
/// it failed.
fn nicety<T>(read: Result<Option<T>, StoreError>, what: &str) -> Option<T> {
    read.unwrap_or_else(|e| {
        warn!(error = %e, "could not read the member's {what}");
        None
    })
}

/// The exact name of a category of `bank` typed in any case, or the error
/// listing the valid ones.
fn exact_category(bank: &QuestionBank, given: &str) -> Result<String, ServiceError> {
    bank.find_category(given)
        .map(String::from)
        .ok_or_else(|| ServiceError::UnknownCategory { given: given.to_string(), valid: category_names(bank) })
}

/// Checks a filter against `bank`: the category's exact name filled in,
/// and the matching questions — or why none match.
pub(super) fn resolve<'b>(
    bank: &'b QuestionBank,
    filter: &Filter,
) -> Result<(Filter, Vec<&'b Question>), ServiceError> {
    let mut filter = filter.clone();
    if let Some(given) = &filter.category {
        filter.category = Some(exact_category(bank, given)?);
    }
    let pool = bank.matching(&filter);
    if pool.is_empty() {
        return Err(ServiceError::EmptyPool { filter: describe(&filter), valid: category_names(bank) });
    }
    Ok((filter, pool))
}

fn category_names(bank: &QuestionBank) -> Vec<String> {
    bank.categories().into_iter().map(String::from).collect()
}

/// "🟡 Intermediate questions in \"Monitoring & Logging\"", for messages.
fn describe(filter: &Filter) -> String {
    let level = filter.difficulty.map(|d| format!("{} {} questions", d.marker(), d.name()));
    let category = filter.category.as_deref().map(|c| fit(c, shown::CATEGORY));
    match (level, &category) {
        (Some(l), Some(c)) => format!("{l} in \"{c}\""),
        (Some(l), None) => l,
        (None, Some(c)) => format!("questions in \"{c}\""),
        (None, None) => "any question (no banks loaded)".into(),
    }
}
