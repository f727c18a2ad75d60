//! `/quiz [category] [difficulty]`.

use poise::serenity_prelude as serenity;
use tracing::warn;

use crate::discord::{render, BotError, Context};
use crate::domain::bank::shown::{self, fit};
use crate::domain::bank::Filter;
use crate::domain::level::Level;
use crate::domain::study::{Post, Source};

/// Discord allows at most 25 autocomplete choices.
const MAX_CHOICES: usize = 25;

/// Difficulty as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Difficulty {
    #[name = "🟢 Beginner"]
    Beginner,
    #[name = "🟡 Intermediate"]
    Intermediate,
    #[name = "🔴 Advanced"]
    Advanced,
}

impl From<Difficulty> for Level {
    fn from(d: Difficulty) -> Level {
        match d {
            Difficulty::Beginner => Level::Beginner,
            Difficulty::Intermediate => Level::Intermediate,
            Difficulty::Advanced => Level::Advanced,
        }
    }
}

pub(super) async fn autocomplete_category(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let (scope, _) = super::reach(ctx);
    // Autocomplete cannot show an error: no banks, no suggestions.
    let choices = match ctx.data().services.bank(scope).await {
        Ok(bank) => bank
            .suggest_categories(partial, MAX_CHOICES)
            .into_iter()
            .map(|c| serenity::AutocompleteChoice::new(fit(c, shown::CATEGORY), fit(c, shown::CATEGORY)))
            .collect(),
        Err(e) => {
            warn!(error = %e, "no category suggestions");
            Vec::new()
        }
    };
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Post an interview question with a Reveal button.
#[poise::command(slash_command, install_context = "Guild|User", interaction_context = "Guild|BotDm|PrivateChannel")]
pub async fn quiz(
    ctx: Context<'_>,
    #[description = "Only questions from this category"]
    #[autocomplete = "autocomplete_category"]
    category: Option<String>,
    #[description = "Only questions of this difficulty"] difficulty: Option<Difficulty>,
) -> Result<(), BotError> {
    let filter =
        Filter { category: category.filter(|c| !c.trim().is_empty()), difficulty: difficulty.map(Level::from) };
    let services = &ctx.data().services;
    // Where the bot is not (a server that did not install it, a DM
    // between members), the question is the member's alone.
    let (scope, member_only) = super::reach(ctx);
    let channel_id = ctx.channel_id().get();
    let chosen = services.next_question(scope, channel_id, &filter).await?;
    // Noted before it is shown, so a /quiz right after this one already
    // avoids it; if sending fails, the cost is one question skipped.
    let post = Post {
        id: super::interaction_id(ctx),
        scope,
        channel_id,
        question: chosen.question().id.clone(),
        source: Source::Quiz,
        at: services.clock().now_unix(),
    };
    services.posted(&post);
    let (embed, buttons) = render::question_message(chosen.bank(), chosen.question(), Source::Quiz);
    ctx.send(poise::CreateReply::default().embed(embed).components(buttons).ephemeral(member_only)).await?;
    Ok(())
}
