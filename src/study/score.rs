//! The leaderboard score.
//!
//! Each distinct question a member rated in the period scores its
//! difficulty's weight (🟢 1, 🟡 2, 🔴 3); rating a daily question on the day
//! it was posted adds 1. Ties go to whoever reached their score first.

use crate::level::Level;

/// Points for studying a question of this difficulty.
pub fn weight(difficulty: Level) -> u32 {
    match difficulty {
        Level::Beginner => 1,
        Level::Intermediate => 2,
        Level::Advanced => 3,
    }
}

/// Points for rating the question of the day on its day.
pub const ON_TIME_BONUS: u32 = 1;

/// The formula as the leaderboard's footer states it.
pub const FORMULA: &str = "Score: 🟢 1 · 🟡 2 · 🔴 3 per question studied, +1 for a question of the day rated on its day. Ties: first to reach it.";

/// One studied question's points.
pub fn points(difficulty: Level, daily_on_time: bool) -> u32 {
    weight(difficulty) + if daily_on_time { ON_TIME_BONUS } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_bonus() {
        assert_eq!(points(Level::Beginner, false), 1);
        assert_eq!(points(Level::Intermediate, false), 2);
        assert_eq!(points(Level::Advanced, true), 4);
        assert!(FORMULA.chars().count() <= 2048, "fits an embed footer");
    }
}
