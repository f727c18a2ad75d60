//! Spaced repetition for `/review`: when a member should see a question
//! again, from their own self-assessments.
//!
//! The interval starts at the latest level's base (Beginner 1 day,
//! Intermediate 3, Advanced 7). Each consecutive rating at the same or a
//! higher level than the one before doubles it, up to 60 days; a lower level
//! starts again from that level's base. It is deliberately simple and
//! explainable; an FSRS scheduler (crate `fsrs`) could replace
//! [`interval_days`] without changing the storage, which keeps every rating.

use crate::domain::level::Level;

/// Clicks on one question closer together than this (in seconds) are one
/// review: the later replaces the earlier's level. A member who clicks
/// again and again, by change of mind or by script, neither lengthens their
/// interval nor grows their history.
pub const ONE_REVIEW_SECS: i64 = 3_600;

/// The longest interval, in days.
pub const MAX_INTERVAL_DAYS: u32 = 60;

/// The first interval, in days, after rating a question at each level
/// (indexed by [`Level::index`]).
pub const BASE_DAYS: [u32; 3] = [1, 3, 7];

/// The first interval after rating a question at `level`.
pub fn base_days(level: Level) -> u32 {
    BASE_DAYS[level.index()]
}

/// The interval after a member's ratings of one question, oldest first.
/// `None` if they never rated it.
pub fn interval_days(levels: &[Level]) -> Option<u32> {
    let (&first, rest) = levels.split_first()?;
    let mut interval = base_days(first);
    let mut previous = first;
    for &level in rest {
        interval = if level >= previous {
            // Doubling from the higher base, should the level have risen.
            (interval.max(base_days(level)) * 2).min(MAX_INTERVAL_DAYS)
        } else {
            base_days(level)
        };
        previous = level;
    }
    Some(interval)
}

/// When a question is due again: `interval_days` after the latest rating.
pub fn due_at(last_rated_at: i64, levels: &[Level]) -> Option<i64> {
    interval_days(levels).map(|d| last_rated_at + i64::from(d) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;

    #[test]
    fn the_first_rating_sets_the_base_interval() {
        assert_eq!(interval_days(&[Beginner]), Some(1));
        assert_eq!(interval_days(&[Intermediate]), Some(3));
        assert_eq!(interval_days(&[Advanced]), Some(7));
        assert_eq!(interval_days(&[]), None);
    }

    #[test]
    fn same_or_higher_doubles_up_to_sixty_days() {
        assert_eq!(interval_days(&[Intermediate, Intermediate]), Some(6));
        assert_eq!(interval_days(&[Intermediate, Intermediate, Advanced]), Some(14));
        assert_eq!(interval_days(&[Beginner, Advanced]), Some(14), "a jump doubles from the new base");
        assert_eq!(interval_days(&[Advanced; 6]), Some(60));
    }

    #[test]
    fn a_lower_level_resets_to_its_base() {
        assert_eq!(interval_days(&[Advanced, Advanced, Beginner]), Some(1));
        assert_eq!(interval_days(&[Advanced, Intermediate, Intermediate]), Some(6));
    }

    #[test]
    fn due_is_counted_from_the_latest_rating() {
        assert_eq!(due_at(1_000, &[Intermediate]), Some(1_000 + 3 * 86_400));
        assert_eq!(due_at(1_000, &[]), None);
    }
}
