//! The slash commands, one file per group, listed in one place.

mod daily;
mod forget;
mod leaderboard;
mod quiz;
mod review;
mod stats;

use super::{BotError, Context, Data};

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, BotError>> {
    vec![
        quiz::quiz(),
        review::review(),
        stats::stats(),
        leaderboard::leaderboard(),
        daily::daily(),
        forget::forget_me(),
    ]
}

/// The id of the invocation: unique, so it keys what the command creates.
pub(crate) fn interaction_id(ctx: Context<'_>) -> u64 {
    match ctx {
        poise::Context::Application(app) => app.interaction.id.get(),
        poise::Context::Prefix(prefix) => prefix.msg.id.get(),
    }
}
