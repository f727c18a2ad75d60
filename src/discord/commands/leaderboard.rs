//! `/leaderboard [period] [category]`: the study group's board.

use poise::serenity_prelude as serenity;

use super::quiz::autocomplete_category;
use crate::discord::custom_id::category_tag;
use crate::discord::{render, AfterDefer, BotError, Context};
use crate::domain::score::Period;
use crate::domain::study::Scope;
use crate::service::leaderboard::BoardQuery;

/// Which ratings count, as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PeriodChoice {
    #[name = "Last 7 days"]
    Week,
    #[name = "Last 30 days"]
    Month,
    #[name = "All time"]
    All,
}

impl From<PeriodChoice> for Period {
    fn from(p: PeriodChoice) -> Period {
        match p {
            PeriodChoice::Week => Period::Week,
            PeriodChoice::Month => Period::Month,
            PeriodChoice::All => Period::All,
        }
    }
}

/// Show this server's study leaderboard
#[poise::command(slash_command, install_context = "Guild", interaction_context = "Guild")]
pub async fn leaderboard(
    ctx: Context<'_>,
    #[description = "Which ratings count (default: all time)"] period: Option<PeriodChoice>,
    #[description = "Only questions from this category"]
    #[autocomplete = "autocomplete_category"]
    category: Option<String>,
) -> Result<(), BotError> {
    let Some(guild_id) = ctx.guild_id() else {
        let reply = poise::CreateReply::default().content("The leaderboard is per server: run it in a server.");
        ctx.send(reply.ephemeral(true)).await?;
        return Ok(());
    };
    let services = &ctx.data().services;
    let scope = Scope::Guild(guild_id.get());
    let category = match category.filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(services.category(scope, &c).await?),
        None => None,
    };
    let query = BoardQuery {
        guild_id: guild_id.get(),
        period: period.map_or(Period::All, Period::from),
        category,
        page: 0,
        caller: Some(ctx.author().id.get()),
    };
    // A board stale after downtime is recomputed first, which can outlast
    // Discord's 3 s: "thinking…" now, the board when it is ready.
    super::defer(ctx).await?;
    let board = services.leaderboard(&query).await.after_defer()?;
    let (embed, buttons) = render::board_message(&board, query.category.as_deref().map(category_tag), true);
    let reply = poise::CreateReply::default()
        .embed(embed)
        .components(buttons)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    ctx.send(reply).await?;
    Ok(())
}
