//! The private view of an answer, shared by Reveal and by an Answer first
//! submit: the member's own words (what they just wrote, or in `/review`
//! what they wrote last time), the guide's answer, and the level buttons
//! on the last message.

use poise::serenity_prelude as serenity;
use serenity::builder::Builder;
use serenity::{CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage};

use super::render::compare::{pack, typed_embed};
use super::{render, AfterDefer, BotError};
use crate::domain::study::Source;
use crate::service::quiz::Revealed;
use crate::service::ServiceError;

/// Where the member's words go.
pub enum Typed<'a> {
    /// Just written with Answer first: above the guide's answer.
    Now(&'a str),
    /// Nothing new: in `/review`, what they wrote last time goes below the
    /// answer.
    Before,
}

/// Answers the interaction (`id`, `token`) with the view, as few
/// ephemeral messages as Discord's limits allow (usually one); once
/// `deferred` (ephemerally), every message is a follow-up, the first
/// completing the "thinking" message. A failure
/// once the interaction is acknowledged is [`BotError::Deferred`], so the
/// member is told in a follow-up, not by a second response Discord refuses.
pub async fn show(
    ctx: &serenity::Context,
    (id, token): (serenity::InteractionId, &str),
    deferred: bool,
    revealed: &Revealed,
    typed: Typed<'_>,
    source: Source,
) -> Result<(), BotError> {
    let question = revealed.question.question();
    let mut embeds = render::answer_embeds(revealed.question.bank(), question);
    match typed {
        Typed::Now(text) => embeds.insert(0, typed_embed("✍️ Your answer", text)),
        Typed::Before => {
            if let Some(text) = &revealed.last_written {
                embeds.push(typed_embed("✍️ Last time you wrote", text));
            }
        }
    }
    let prompt = render::rate_prompt(revealed.previous);
    let buttons = render::level_buttons(question, source, revealed.previous);
    let messages = pack(embeds);
    let last = messages.len().checked_sub(1).ok_or(ServiceError::QuestionGone)?;
    for (i, embeds) in messages.into_iter().enumerate() {
        if i == 0 && !deferred {
            let mut msg = CreateInteractionResponseMessage::new().embeds(embeds).ephemeral(true);
            if i == last {
                msg = msg.content(prompt.clone()).components(buttons.clone());
            }
            CreateInteractionResponse::Message(msg).execute(ctx, (id, token)).await?;
        } else {
            let mut msg = CreateInteractionResponseFollowup::new().embeds(embeds).ephemeral(true);
            if i == last {
                msg = msg.content(prompt.clone()).components(buttons.clone());
            }
            msg.execute(ctx, (None, token)).await.after_defer()?;
        }
    }
    Ok(())
}
