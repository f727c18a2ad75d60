//! The three-step scale shared by a question's difficulty and a member's
//! self-assessment. One type serves both so that "I studied a 🔴 question at
//! 🟡" compares like with like.

use std::fmt;
use std::str::FromStr;

/// Beginner < Intermediate < Advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];

    /// Position on the scale, 0 for Beginner: the index into per-level
    /// arrays (a member's level mix, score weights, review intervals).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name the guides and the bot show.
    pub fn name(self) -> &'static str {
        ["Beginner", "Intermediate", "Advanced"][self.index()]
    }

    /// The coloured marker the guides put before the name.
    pub fn marker(self) -> &'static str {
        ["🟢", "🟡", "🔴"][self.index()]
    }

    /// [`Level::marker`] as one character, for a button's emoji.
    pub fn emoji(self) -> char {
        ['🟢', '🟡', '🔴'][self.index()]
    }

    /// Stable lower-case key used in storage; never change these, stored
    /// rows depend on them.
    pub fn key(self) -> &'static str {
        ["beginner", "intermediate", "advanced"][self.index()]
    }

    /// Stable one-letter code for button ids; never change these, buttons
    /// already posted depend on them.
    pub fn code(self) -> char {
        ['b', 'i', 'a'][self.index()]
    }

    /// The level a [`Level::code`] names.
    pub fn from_code(code: char) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Parses a key or a display name, case-insensitively.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {0:?} (expected Beginner, Intermediate or Advanced)")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::parse(s).ok_or_else(|| UnknownLevel(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_names_case_insensitively() {
        assert_eq!("Beginner".parse(), Ok(Level::Beginner));
        assert_eq!(" intermediate ".parse(), Ok(Level::Intermediate));
        assert_eq!("ADVANCED".parse(), Ok(Level::Advanced));
        assert!("Expert".parse::<Level>().is_err());
    }

    #[test]
    fn keys_round_trip() {
        for (i, level) in Level::ALL.into_iter().enumerate() {
            assert_eq!(Level::parse(level.key()), Some(level));
            assert_eq!(Level::from_code(level.code()), Some(level));
            assert_eq!(level.index(), i);
            assert_eq!(level.marker(), level.emoji().to_string());
        }
        assert!(Level::Beginner < Level::Advanced);
    }
}
