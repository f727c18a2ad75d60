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

/// Which ratings a leaderboard counts: rolling windows, so a board never
/// empties out at midnight on the first of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    All,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Week, Period::Month, Period::All];

    /// The earliest rating time (unix seconds) counted at `now`.
    pub fn since(self, now: i64) -> i64 {
        self.window().map_or(0, |w| now - w)
    }

    /// The window's length in seconds; `None` for all time.
    pub fn window(self) -> Option<i64> {
        match self {
            Period::Week => Some(7 * 86_400),
            Period::Month => Some(30 * 86_400),
            Period::All => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "last 7 days",
            Period::Month => "last 30 days",
            Period::All => "all time",
        }
    }

    /// Stable one-letter code for button ids.
    pub fn code(self) -> char {
        match self {
            Period::Week => 'w',
            Period::Month => 'm',
            Period::All => 'a',
        }
    }

    pub fn from_code(c: char) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.code() == c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_rolling_windows() {
        assert_eq!(Period::Week.since(1_000_000), 1_000_000 - 604_800);
        assert_eq!(Period::All.since(1_000_000), 0);
        for p in Period::ALL {
            assert_eq!(Period::from_code(p.code()), Some(p));
        }
    }

    #[test]
    fn weights_and_bonus() {
        let day = chrono::NaiveDate::default();
        let worth =
            |d, on_time| crate::study::Worth { weight: weight(d), on_time, category: String::new(), day }.points();
        assert_eq!(worth(Level::Beginner, false), 1);
        assert_eq!(worth(Level::Intermediate, false), 2);
        assert_eq!(worth(Level::Advanced, true), 4);
        assert!(FORMULA.chars().count() <= 2048, "fits an embed footer");
    }
}
