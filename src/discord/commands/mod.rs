//! The slash commands, one file per group, listed in one place.

mod bank;
mod daily;
mod forget;
mod leaderboard;
mod quiz;
mod remind;
mod review;
mod stats;

use super::permissions::manages_server;
use super::{BotError, Context, Data, CONTENT_MAX};
use crate::domain::bank::render::split_chunks;
use crate::domain::study::Scope;

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, BotError>> {
    vec![
        quiz::quiz(),
        review::review(),
        review::review_settings(),
        remind::remind(),
        stats::stats(),
        leaderboard::leaderboard(),
        daily::daily(),
        bank::bank(),
        forget::forget_me(),
    ]
}

/// The scope a command counts in, and whether the bot may answer only the
/// member (it is not where the command ran: `reach`).
pub(crate) fn reach(ctx: Context<'_>) -> (Scope, bool) {
    match ctx {
        poise::Context::Application(app) => {
            let (guild, owners) = (app.interaction.guild_id, &app.interaction.authorizing_integration_owners);
            let context = app.interaction.context;
            (super::reach::scope(guild, owners), super::reach::member_only(guild, owners, context))
        }
        poise::Context::Prefix(_) => (Scope::from_guild(ctx.guild_id().map(|g| g.get())), false),
    }
}

/// The id of the invocation: unique, so it keys what the command creates.
pub(crate) fn interaction_id(ctx: Context<'_>) -> u64 {
    match ctx {
        poise::Context::Application(app) => app.interaction.id.get(),
        poise::Context::Prefix(prefix) => prefix.msg.id.get(),
    }
}

/// The member may manage the server; Discord's own gate can be widened by
/// the server, and subcommands cannot have one of their own, so the
/// command checks again.
fn may_manage(ctx: Context<'_>) -> bool {
    let poise::Context::Application(app) = ctx else {
        return false;
    };
    manages_server(app.interaction.member.as_ref().and_then(|m| m.permissions))
}

/// Acknowledges the command before work that may outlast Discord's 3 s:
/// "thinking…" for everyone to see. The interaction's latency
/// (`measure.rs`) is the time to here.
async fn defer(ctx: Context<'_>) -> Result<(), BotError> {
    ctx.defer().await?;
    super::measure::acknowledged();
    Ok(())
}

/// [`defer`], seen only by the caller.
async fn defer_ephemeral(ctx: Context<'_>) -> Result<(), BotError> {
    ctx.defer_ephemeral().await?;
    super::measure::acknowledged();
    Ok(())
}

/// Answers only the caller; a text longer than a message (say, the status
/// of 25 schedules) goes out as several messages, split between lines.
async fn tell(ctx: Context<'_>, text: impl Into<String>) -> Result<(), BotError> {
    for part in split_chunks(&text.into(), CONTENT_MAX) {
        ctx.send(poise::CreateReply::default().content(part).ephemeral(true)).await?;
    }
    Ok(())
}

/// The server of an admin-only command: refuses direct messages ("`what`
/// per server") and members without Manage Server ("cannot `change`");
/// `None` when the caller was already answered.
async fn admin_guild(ctx: Context<'_>, what: &str, change: &str) -> Result<Option<u64>, BotError> {
    let Some(guild) = ctx.guild_id() else {
        tell(ctx, format!("{what} per server: run this in a server.")).await?;
        return Ok(None);
    };
    if !may_manage(ctx) {
        tell(ctx, format!("Only members with the **Manage Server** permission can {change}.")).await?;
        return Ok(None);
    }
    Ok(Some(guild.get()))
}
