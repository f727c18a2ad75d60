//! The weekly recap of a daily-question channel: once a week, on the local
//! weekday the admins chose, at the schedule's time, a summary of the
//! group's week. The rules are here; the numbers come from the store.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use super::base36;
use super::time::{local_instant, TimeOfDay};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::study::study_day;

/// Days in a recap's week.
pub const WEEK_DAYS: usize = 7;
/// Members on the recap's podium.
pub const TOP: usize = 5;
/// The hardest questions shown, each with its Reveal button.
pub const HARDEST: usize = 3;

/// The first recap strictly after `now`: the next `weekday` at `time` in
/// `tz` (daylight saving included, as for daily posts).
pub fn next_recap_after(now: DateTime<Utc>, weekday: Weekday, time: TimeOfDay, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    (0..=14u64)
        .filter_map(|n| today.checked_add_days(Days::new(n)))
        .filter(|d| d.weekday() == weekday)
        .map(|d| local_instant(d, time, tz))
        .find(|t| *t > now)
        .unwrap_or(now + chrono::Duration::days(7))
}

/// The local days a recap on `date` covers: the seven before it.
pub fn week_before(date: NaiveDate) -> [NaiveDate; WEEK_DAYS] {
    let mut days = [date; WEEK_DAYS];
    for (i, day) in days.iter_mut().enumerate() {
        *day = date.checked_sub_days(Days::new((WEEK_DAYS - i) as u64)).unwrap_or(date);
    }
    days
}

/// The nonce naming one channel's recap of one week: at most 25
/// characters.
pub fn recap_nonce(channel_id: u64, date: NaiveDate) -> String {
    format!("w{}{}", base36(channel_id), date.format("%Y%m%d"))
}

/// One level click of the week, as the recap sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekRating {
    pub user_id: u64,
    pub question: QuestionId,
    pub level: Level,
    /// Unix seconds.
    pub at: i64,
}

/// A question the group found hard: the mean of its levels (0 = all 🟢,
/// 2 = all 🔴) and how many ratings it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Hard {
    pub question: QuestionId,
    pub mean_level: f64,
    pub ratings: usize,
}

/// The week in numbers, but for the podium (the leaderboard's).
#[derive(Debug, Clone, PartialEq)]
pub struct WeekSummary {
    /// Ratings this week, and the week before.
    pub studied: usize,
    pub studied_before: usize,
    /// Ratings per local day, oldest first, split by level.
    pub per_day: [[u32; 3]; WEEK_DAYS],
    /// Members who studied on each of the seven days.
    pub streak_keepers: Vec<u64>,
    /// Every question rated in the week, hardest first (the recap shows
    /// the first [`HARDEST`] its banks still hold).
    pub hardest: Vec<Hard>,
}

impl WeekSummary {
    /// Sums up the week's ratings (`week`, in the recap's zone `tz`) for a
    /// recap on `date`; `studied_before` counts the week before.
    pub fn of(week: &[WeekRating], studied_before: usize, date: NaiveDate, tz: Tz) -> WeekSummary {
        let days = week_before(date);
        let day_of = |at: i64| DateTime::from_timestamp(at, 0).map(|t| study_day(t, tz));
        let mut per_day = [[0u32; 3]; WEEK_DAYS];
        let mut studied_on: HashMap<u64, HashSet<NaiveDate>> = HashMap::new();
        let mut levels: BTreeMap<&QuestionId, (u32, usize)> = BTreeMap::new();
        let mut studied = 0;
        for r in week {
            let Some(day) = day_of(r.at) else { continue };
            let Some(i) = days.iter().position(|d| *d == day) else { continue };
            studied += 1;
            per_day[i][r.level.index()] += 1;
            studied_on.entry(r.user_id).or_default().insert(day);
            let entry = levels.entry(&r.question).or_default();
            entry.0 += r.level.index() as u32;
            entry.1 += 1;
        }
        let mut streak_keepers: Vec<u64> =
            studied_on.into_iter().filter(|(_, d)| d.len() == WEEK_DAYS).map(|(u, _)| u).collect();
        streak_keepers.sort_unstable();
        let mut hardest: Vec<Hard> = levels
            .into_iter()
            .map(|(q, (sum, n))| Hard { question: q.clone(), mean_level: f64::from(sum) / n as f64, ratings: n })
            .collect();
        // Lowest levels first; among equals, the one more members rated.
        hardest.sort_by(|a, b| {
            a.mean_level.total_cmp(&b.mean_level).then(b.ratings.cmp(&a.ratings)).then(a.question.cmp(&b.question))
        });
        WeekSummary { studied, studied_before, per_day, streak_keepers, hardest }
    }

    /// Nobody studied: the recap is a nudge, not an empty table.
    pub fn is_empty(&self) -> bool {
        self.studied == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_next_recap_is_the_chosen_local_weekday_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let nine = TimeOfDay::parse("09:00").unwrap();
        // Monday 2026-03-02 09:00 EST is 14:00 UTC; from that Monday's
        // post, the next is Monday 2026-03-09, after the change: 13:00 UTC.
        assert_eq!(next_recap_after(utc("2026-03-01T12:00:00Z"), Weekday::Mon, nine, ny), utc("2026-03-02T14:00:00Z"));
        assert_eq!(next_recap_after(utc("2026-03-02T14:00:00Z"), Weekday::Mon, nine, ny), utc("2026-03-09T13:00:00Z"));
        // The same day, before the time: today.
        assert_eq!(next_recap_after(utc("2026-03-09T12:00:00Z"), Weekday::Mon, nine, ny), utc("2026-03-09T13:00:00Z"));
        assert_eq!(next_recap_after(utc("2026-03-09T12:00:00Z"), Weekday::Fri, nine, ny), utc("2026-03-13T13:00:00Z"));
    }

    #[test]
    fn a_week_sums_up_levels_days_streaks_and_the_hardest_questions() {
        let q = |n: u32| QuestionId::derive("b", &format!("q{n}"));
        let monday = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let day = |n: i64| utc("2026-03-02T12:00:00Z").timestamp() + n * 86_400;
        let mut week = Vec::new();
        // Member 1 studies every day; member 2 on two days.
        for n in 0..7 {
            week.push(WeekRating { user_id: 1, question: q(1), level: Level::Beginner, at: day(n) });
        }
        week.push(WeekRating { user_id: 2, question: q(2), level: Level::Advanced, at: day(0) });
        week.push(WeekRating { user_id: 2, question: q(3), level: Level::Intermediate, at: day(3) });
        week.push(WeekRating { user_id: 3, question: q(3), level: Level::Beginner, at: day(3) });
        // Outside the week: ignored.
        week.push(WeekRating { user_id: 4, question: q(4), level: Level::Beginner, at: day(7) });
        let s = WeekSummary::of(&week, 4, monday, Tz::UTC);
        assert_eq!(s.studied, 10);
        assert_eq!(s.studied_before, 4);
        assert_eq!(s.per_day[0], [1, 0, 1]);
        assert_eq!(s.per_day[3], [2, 1, 0]);
        assert_eq!(s.streak_keepers, [1]);
        let hardest: Vec<_> = s.hardest.iter().map(|h| (h.question.clone(), h.ratings)).collect();
        assert_eq!(hardest, [(q(1), 7), (q(3), 2), (q(2), 1)]);
        assert!(!s.is_empty());
        assert!(WeekSummary::of(&[], 3, monday, Tz::UTC).is_empty());
    }

    #[test]
    fn a_week_is_the_seven_local_days_before_the_recap() {
        let monday = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let days = week_before(monday);
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        assert_eq!(days[6], NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        assert!(recap_nonce(u64::MAX, monday).len() <= 25);
    }
}
