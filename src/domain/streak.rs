//! Study streaks: consecutive days with at least one rating.

use chrono::NaiveDate;

/// A member's current and longest streak, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    /// Consecutive days ending today or yesterday (a streak survives until
    /// the end of the day after the last study day).
    pub current: u32,
    pub longest: u32,
}

/// Streaks from the days a member studied (any order, repeats allowed),
/// as seen on `today`. Days after `today` (clock skew) are ignored.
pub fn streaks(days: &[NaiveDate], today: NaiveDate) -> Streak {
    let mut days: Vec<NaiveDate> = days.iter().copied().filter(|d| *d <= today).collect();
    days.sort_unstable();
    days.dedup();
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<NaiveDate> = None;
    for &day in &days {
        run = match previous {
            Some(p) if p.succ_opt() == Some(day) => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(day);
    }
    let current = match previous {
        Some(last) if last == today || last.succ_opt() == Some(today) => run,
        _ => 0,
    };
    Streak { current, longest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn counts_consecutive_days_ending_today_or_yesterday() {
        assert_eq!(streaks(&[d(20), d(21), d(22)], d(22)), Streak { current: 3, longest: 3 });
        assert_eq!(streaks(&[d(20), d(21), d(22)], d(23)), Streak { current: 3, longest: 3 }, "yesterday still counts");
        assert_eq!(streaks(&[d(20), d(21), d(22)], d(24)), Streak { current: 0, longest: 3 }, "a missed day breaks it");
    }

    #[test]
    fn longest_is_kept_and_repeats_do_not_count_twice() {
        let days = [d(1), d(2), d(3), d(4), d(10), d(10), d(11), d(11)];
        assert_eq!(streaks(&days, d(11)), Streak { current: 2, longest: 4 });
    }

    #[test]
    fn crosses_month_ends_and_handles_nothing() {
        let days = [NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(), d(1)];
        assert_eq!(streaks(&days, d(1)), Streak { current: 2, longest: 2 });
        assert_eq!(streaks(&[], d(1)), Streak::default());
        assert_eq!(streaks(&[d(25)], d(24)), Streak::default(), "future days are ignored");
    }
}
