//! Modal submits, routed on their `custom_id` like buttons (`custom_id.rs`):
//! the Answer first modal names its question, so a submit works after a
//! restart and on any process.

use poise::serenity_prelude as serenity;
use serenity::{ActionRowComponent, ModalInteraction};
use tracing::debug;

use super::answer_view::{self, Typed};
use super::custom_id::AnswerModal;
use super::render::compare::TYPED_MAX;
use super::{AfterDefer, BotError, Data};
use crate::domain::bank::shown::fit;
use crate::domain::study::{Scope, TypedAnswer};
use crate::service::ServiceError;

/// Answers every submit exactly once: the compare view, or an ephemeral
/// explanation.
pub async fn handle_submit(ctx: &serenity::Context, data: &Data, submit: &ModalInteraction) {
    let result = match AnswerModal::decode(&submit.data.custom_id) {
        Some(modal) => answer_first(ctx, data, submit, modal).await,
        None => {
            debug!(custom_id = %submit.data.custom_id, "unknown modal");
            Err(BotError::Service(ServiceError::QuestionGone))
        }
    };
    if let Err(error) = result {
        super::buttons::tell_failure(ctx, (submit.id, &submit.token), error, "modal").await;
    }
}

/// How long a submit is worked on before it is acknowledged first.
const QUICK: std::time::Duration = std::time::Duration::from_millis(1_500);

/// Stores what the member wrote, then shows it above the guide's answer,
/// with the level buttons.
async fn answer_first(
    ctx: &serenity::Context,
    data: &Data,
    submit: &ModalInteraction,
    modal: AnswerModal,
) -> Result<(), BotError> {
    // Discord caps the field at 4,000 characters; a modified client is not
    // trusted to.
    let text = fit(typed_text(submit).unwrap_or_default().trim(), TYPED_MAX);
    let answer = TypedAnswer {
        scope: if modal.personal { Scope::DirectMessages } else { Scope::from_guild(submit.guild_id.map(|g| g.get())) },
        user_id: submit.user.id.get(),
        question: modal.question,
        text,
        at: data.services.clock().now_unix(),
    };
    // Answered directly when quick, like a level click (one request, the
    // submit's budget is the level click's); past [`QUICK`] (a member's
    // servers' banks read in DMs, a busy database) acknowledged first, so
    // the 3 s deadline cannot take the member's words with it.
    let reply = (submit.id, submit.token.as_str());
    let work = data.services.answer_first(&answer);
    tokio::pin!(work);
    let (revealed, deferred) = match tokio::time::timeout(QUICK, &mut work).await {
        Ok(revealed) => (revealed?, false),
        Err(_) => {
            submit.defer_ephemeral(ctx).await?;
            super::measure::acknowledged();
            (work.await.after_defer()?, true)
        }
    };
    answer_view::show(ctx, reply, deferred, &revealed, Typed::Now(&answer.text), modal.source).await
}

/// The value of the modal's answer field.
fn typed_text(submit: &ModalInteraction) -> Option<String> {
    submit.data.components.iter().flat_map(|row| &row.components).find_map(|c| match c {
        ActionRowComponent::InputText(input) if input.custom_id == AnswerModal::FIELD => input.value.clone(),
        _ => None,
    })
}
