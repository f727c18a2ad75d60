//! `/leaderboard`, first version: members ranked by questions studied.

use poise::serenity_prelude as serenity;

use crate::discord::{render, BotError, Context};

/// How many members the board shows.
const BOARD_SIZE: u32 = 10;

/// Show this server's members ranked by questions studied.
#[poise::command(slash_command, install_context = "Guild", interaction_context = "Guild")]
pub async fn leaderboard(ctx: Context<'_>) -> Result<(), BotError> {
    let Some(guild_id) = ctx.guild_id() else {
        ctx.send(
            poise::CreateReply::default()
                .content("The leaderboard is per server: run it in a server.")
                .ephemeral(true),
        )
        .await?;
        return Ok(());
    };
    let standings = ctx.data().quiz.leaderboard(guild_id.get(), BOARD_SIZE).await?;
    let reply = poise::CreateReply::default()
        .embed(render::leaderboard_embed(&standings))
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    ctx.send(reply).await?;
    Ok(())
}
