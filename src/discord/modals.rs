//! Modal submits, routed on their `custom_id` like buttons (`custom_id.rs`):
//! the Answer first modal names its question, so a submit works after a
//! restart and on any process.

use poise::serenity_prelude as serenity;
use serenity::{
    ActionRowComponent, CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    ModalInteraction,
};
use tracing::{debug, warn};

use super::answer_view::{self, Answered, Typed};
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
        let text = error.reply_text("modal");
        let answered = match error {
            // Acknowledged already: the explanation is a private follow-up.
            BotError::Deferred(_) => submit
                .create_followup(ctx, CreateInteractionResponseFollowup::new().content(text).ephemeral(true))
                .await
                .map(drop),
            _ => {
                let reply = CreateInteractionResponseMessage::new().content(text).ephemeral(true);
                submit.create_response(ctx, CreateInteractionResponse::Message(reply)).await
            }
        };
        if let Err(e) = answered {
            warn!(error = %e, "could not answer a modal submit");
        }
    }
}

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
    // Storing the words and finding the question may wait on the database:
    // acknowledge first.
    submit.defer_ephemeral(ctx).await?;
    let revealed = data.services.answer_first(&answer).await.after_defer()?;
    let reply = (submit.id, submit.token.as_str());
    answer_view::show(ctx, reply, Answered::Deferred, &revealed, Typed::Now(&answer.text), modal.source).await
}

/// The value of the modal's answer field.
fn typed_text(submit: &ModalInteraction) -> Option<String> {
    submit.data.components.iter().flat_map(|row| &row.components).find_map(|c| match c {
        ActionRowComponent::InputText(input) if input.custom_id == AnswerModal::FIELD => input.value.clone(),
        _ => None,
    })
}
