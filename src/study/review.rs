//! Spaced repetition for `/review`: when a member should see a question
//! again, from their own self-assessments.
//!
//! The interval starts at the latest level's base (Beginner 1 day,
//! Intermediate 3, Advanced 7). Each consecutive rating at the same or a
//! higher level than the one before doubles it, up to 60 days; a lower level
//! starts again from that level's base. It is deliberately simple and
//! explainable; an FSRS scheduler (crate `fsrs`) could replace
//! [`interval_days`] without changing the storage, which keeps every rating.

use crate::level::Level;

/// The longest interval, in days.
pub const MAX_INTERVAL_DAYS: u32 = 60;

/// The first interval after rating a question at `level`.
pub fn base_days(level: Level) -> u32 {
    match level {
        Level::Beginner => 1,
        Level::Intermediate => 3,
        Level::Advanced => 7,
    }
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

/// One question's place in a member's review queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due<Q> {
    pub question: Q,
    /// Unix seconds.
    pub due_at: i64,
}

/// A member's questions with when each is due, most overdue first, from
/// their ratings `(question, level, at)` in any order.
pub fn queue<Q: Clone + Eq + std::hash::Hash>(ratings: &[(Q, Level, i64)]) -> Vec<Due<Q>> {
    let mut by_question: std::collections::HashMap<&Q, Vec<(i64, Level)>> = std::collections::HashMap::new();
    for (q, level, at) in ratings {
        by_question.entry(q).or_default().push((*at, *level));
    }
    let mut out: Vec<Due<Q>> = by_question
        .into_iter()
        .filter_map(|(q, mut history)| {
            history.sort_by_key(|(at, _)| *at);
            let levels: Vec<Level> = history.iter().map(|(_, l)| *l).collect();
            let last = history.last()?.0;
            Some(Due { question: q.clone(), due_at: due_at(last, &levels)? })
        })
        .collect();
    out.sort_by_key(|d| d.due_at);
    out
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
    fn the_queue_puts_the_most_overdue_first() {
        let day = 86_400;
        let ratings = [
            ("a", Advanced, 0),       // due day 7
            ("b", Beginner, 2 * day), // due day 3
            ("a", Advanced, 8 * day), // a again: due day 8 + 14
            ("c", Intermediate, day), // due day 4
        ];
        let queue = queue(&ratings);
        let order: Vec<(&str, i64)> = queue.iter().map(|d| (d.question, d.due_at / day)).collect();
        assert_eq!(order, [("b", 3), ("c", 4), ("a", 22)]);
    }

    #[test]
    fn due_is_counted_from_the_latest_rating() {
        assert_eq!(due_at(1_000, &[Intermediate]), Some(1_000 + 3 * 86_400));
        assert_eq!(due_at(1_000, &[]), None);
    }
}
