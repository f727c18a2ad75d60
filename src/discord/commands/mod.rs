//! The slash commands, one file per group, listed in one place.

mod leaderboard;
mod quiz;

use super::{BotError, Data};

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, BotError>> {
    vec![quiz::quiz(), leaderboard::leaderboard()]
}
