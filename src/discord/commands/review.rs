//! `/review`: the member's most overdue question, privately.

use crate::discord::{render, BotError, Context};
use crate::domain::study::{Scope, Source};
use crate::service::review::ReviewPick;

/// Review your most overdue question (spaced repetition, only you see it)
#[poise::command(slash_command, install_context = "Guild", interaction_context = "Guild|BotDm")]
pub async fn review(ctx: Context<'_>) -> Result<(), BotError> {
    let data = ctx.data();
    let scope = Scope::from_guild(ctx.guild_id().map(|g| g.get()));
    let pick = data.services.review(scope, ctx.author().id.get()).await?;
    let next = |at: Option<i64>| at.map_or(String::new(), |t| format!(" Your next review is due <t:{t}:R>."));
    let (text, question) = match pick {
        ReviewPick::Due { question, due_at, due_today } => {
            let plural = if due_today == 1 { "" } else { "s" };
            (format!("📅 **{due_today}** question{plural} due today. This one was due <t:{due_at}:R>:"), Some(question))
        }
        ReviewPick::Fresh { question, next_due_at } => (
            format!("Nothing is due.{} Here is a question you have not studied yet:", next(next_due_at)),
            Some(question),
        ),
        ReviewPick::Nothing { next_due_at } => {
            (format!("Nothing is due and you have studied every question.{}", next(next_due_at)), None)
        }
    };
    let mut reply = poise::CreateReply::default().content(text).ephemeral(true);
    if let Some(question) = question {
        let (embed, buttons) = render::question_message(question.bank(), question.question(), Source::Review);
        reply = reply.embed(embed).components(buttons);
    }
    ctx.send(reply).await?;
    Ok(())
}
