//! The leaderboard score: the one place its numbers live.
//!
//! Each distinct question a member rated in the period scores its
//! difficulty's weight (🟢 1, 🟡 2, 🔴 3); rating a daily question on its
//! study day (see [`crate::domain::study::study_day`]) adds
//! [`ON_TIME_BONUS`]. Ties go to whoever reached their score first.
//!
//! A rating's points are fixed when it is made ([`ScoreRule::worth`]) and
//! stored with it; the store's SQL only adds up what it was given, and the
//! leaderboard's footer is written from the same rule
//! ([`ScoreRule::formula`]).

use chrono::NaiveDate;

use crate::domain::level::Level;
use crate::domain::study::Worth;

/// Points for rating the question of the day on its day.
pub const ON_TIME_BONUS: u32 = 1;

/// Points per question studied, by difficulty (Beginner first).
pub const WEIGHTS: [u32; 3] = [1, 2, 3];

/// How ratings score. [`ScoreRule::STANDARD`] is the bot's; tests build
/// others to show that everything follows the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreRule {
    /// Points per question studied, indexed by [`Level::index`].
    pub weights: [u32; 3],
    /// Points for a question of the day rated on its day.
    pub on_time_bonus: u32,
}

impl ScoreRule {
    pub const STANDARD: ScoreRule = ScoreRule { weights: WEIGHTS, on_time_bonus: ON_TIME_BONUS };

    /// Points for studying a question of this difficulty.
    pub fn weight(&self, difficulty: Level) -> u32 {
        self.weights[difficulty.index()]
    }

    /// What a rating of a question counts for, fixed when it is made.
    pub fn worth(&self, difficulty: Level, on_time: bool, category: &str, day: NaiveDate) -> Worth {
        Worth {
            weight: self.weight(difficulty),
            bonus: if on_time { self.on_time_bonus } else { 0 },
            category: category.to_string(),
            day,
        }
    }

    /// The rule as the leaderboard's footer states it.
    pub fn formula(&self) -> String {
        let weights: Vec<String> = Level::ALL.iter().map(|l| format!("{} {}", l.marker(), self.weight(*l))).collect();
        format!(
            "Score: {} per question studied, +{} for a question of the day rated on its day. Ties: first to reach it.",
            weights.join(" · "),
            self.on_time_bonus
        )
    }
}

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
        let day = NaiveDate::default();
        let rule = ScoreRule::STANDARD;
        assert_eq!(rule.worth(Level::Beginner, false, "", day).points(), 1);
        assert_eq!(rule.worth(Level::Intermediate, false, "", day).points(), 2);
        assert_eq!(rule.worth(Level::Advanced, true, "", day).points(), 4);
        let generous = ScoreRule { on_time_bonus: 5, ..rule };
        assert_eq!(generous.worth(Level::Advanced, true, "", day).points(), 8);
    }

    #[test]
    fn the_formula_is_written_from_the_rule() {
        let text = ScoreRule::STANDARD.formula();
        assert_eq!(
            text,
            "Score: 🟢 1 · 🟡 2 · 🔴 3 per question studied, +1 for a question of the day rated on its day. Ties: first to reach it."
        );
        assert!(ScoreRule { on_time_bonus: 5, weights: [2, 4, 6] }
            .formula()
            .contains("🟡 4 · 🔴 6 per question studied, +5"));
        assert!(text.chars().count() <= 2048, "fits an embed footer");
    }
}
