//! When a daily question is due, in the schedule's own time zone.
//!
//! A schedule says "09:00 in Europe/Berlin"; this module turns that into
//! UTC instants, getting daylight-saving days right:
//! - a time that does not exist that day (02:30 on a spring-forward day)
//!   posts at the first valid instant after the gap;
//! - a time that occurs twice (fall back) posts at the earlier one, once;
//! - the next post is recomputed after every post, never "now + 24 h".

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A local wall-clock time, `HH:MM` in 24-hour form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

/// Input that names no time of day or no IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("\"{0}\" is not a time: use 24-hour HH:MM, like 09:00 or 18:30")]
    BadTime(String),
    #[error("\"{0}\" is not an IANA time zone: use a name like Europe/Berlin, America/New_York or UTC")]
    UnknownZone(String),
    #[error("\"{0}\" is an abbreviation, which can be ambiguous and ignores daylight saving: use an IANA name like America/New_York or Europe/London")]
    Abbreviation(String),
}

impl TimeOfDay {
    pub fn new(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }

    /// Accepts `H:MM` and `HH:MM` only: "9am" or "25:00" are refused
    /// rather than guessed at.
    pub fn parse(s: &str) -> Result<TimeOfDay, TimeError> {
        let bad = || TimeError::BadTime(s.to_string());
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let digits =
            |p: &str, max_len: usize| !p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
            return Err(bad());
        }
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        TimeOfDay::new(h, m).ok_or_else(bad)
    }

    pub fn hour(self) -> u8 {
        self.hour
    }

    pub fn minute(self) -> u8 {
        self.minute
    }

    /// Minutes after midnight, as stored.
    pub fn minutes(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }

    pub fn from_minutes(minutes: u16) -> Option<TimeOfDay> {
        TimeOfDay::new(u8::try_from(minutes / 60).ok()?, u8::try_from(minutes % 60).ok()?)
    }

    fn naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.hour), u32::from(self.minute), 0).unwrap_or(NaiveTime::MIN)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for TimeOfDay {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeOfDay::parse(s)
    }
}

/// Parses an IANA zone name. Abbreviations ("EST", "CET") are refused even
/// where the database knows them: they are fixed offsets or ambiguous.
pub fn parse_zone(name: &str) -> Result<Tz, TimeError> {
    let name = name.trim();
    let tz: Tz = name.parse().map_err(|_| TimeError::UnknownZone(name.to_string()))?;
    let canonical = tz.name();
    if canonical.contains('/') || canonical == "UTC" {
        Ok(tz)
    } else {
        Err(TimeError::Abbreviation(name.to_string()))
    }
}

/// IANA zone names containing `partial` (case-insensitive), for
/// autocomplete; exact-prefix matches first.
pub fn suggest_zones(partial: &str, limit: usize) -> Vec<&'static str> {
    let needle = partial.trim().to_lowercase().replace(' ', "_");
    let all = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).filter(|n| n.contains('/') || *n == "UTC");
    let (mut prefix, mut inside): (Vec<&str>, Vec<&str>) = all
        .filter(|n| n.to_lowercase().contains(&needle))
        .partition(|n| n.to_lowercase().starts_with(&needle) || n.to_lowercase().contains(&format!("/{needle}")));
    prefix.append(&mut inside);
    prefix.truncate(limit);
    prefix
}

/// The instant `time` happens on local `date` in `tz`: the earlier of two
/// (fall back), or the first valid instant after a gap (spring forward).
pub fn local_instant(date: NaiveDate, time: TimeOfDay, tz: Tz) -> DateTime<Utc> {
    let wanted = NaiveDateTime::new(date, time.naive());
    let mut candidate = wanted;
    // Gaps last at most a day (Samoa skipped 2011-12-30); step by minutes.
    for _ in 0..=(48 * 60) {
        match tz.from_local_datetime(&candidate) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(early, _) => return early.with_timezone(&Utc),
            LocalResult::None => candidate += Duration::minutes(1),
        }
    }
    // Unreachable with real zone data; treat the wall time as UTC.
    Utc.from_utc_datetime(&wanted)
}

/// The first instant after local `date` in `tz`: the next day's midnight
/// (or the first valid instant after it).
pub fn end_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    match date.succ_opt() {
        Some(next) => local_instant(next, TimeOfDay { hour: 0, minute: 0 }, tz),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// The local date of an instant in `tz`.
pub fn local_date(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// The next post strictly after `now`: today's local time if still ahead,
/// else tomorrow's.
pub fn next_post_after(now: DateTime<Utc>, time: TimeOfDay, tz: Tz) -> DateTime<Utc> {
    let today = local_date(now, tz);
    let mut date = today;
    loop {
        let at = local_instant(date, time, tz);
        if at > now {
            return at;
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => return at,
        }
    }
}

/// What to do with a post that fell due at `due` when the scheduler gets to
/// it at `now`: post it if it is still the same local day (catch-up after
/// downtime), skip it if its day has passed (no spam of missed days).
pub fn still_due_today(due: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> bool {
    due <= now && local_date(due, tz) == local_date(now, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_local_day_ends_at_the_next_local_midnight() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(end_of_day(day("2026-11-30"), ny), utc("2026-12-01T05:00:00Z"));
        // The day clocks go back lasts 25 hours.
        assert_eq!(end_of_day(day("2026-10-31"), ny), utc("2026-11-01T04:00:00Z"));
        assert_eq!(end_of_day(day("2026-11-01"), ny), utc("2026-11-02T05:00:00Z"));
        assert_eq!(end_of_day(NaiveDate::MAX, Tz::UTC), DateTime::<Utc>::MAX_UTC);
    }

    fn t(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).unwrap()
    }

    fn zone(s: &str) -> Tz {
        parse_zone(s).unwrap()
    }

    #[test]
    fn parses_times_strictly() {
        assert_eq!(t("09:00"), TimeOfDay::new(9, 0).unwrap());
        assert_eq!(t("9:05"), TimeOfDay::new(9, 5).unwrap());
        assert_eq!(t("23:59").to_string(), "23:59");
        for bad in ["25:00", "24:00", "9am", "09:60", "9:5", "0900", "", "-1:00", "09:00:00", "１０:００"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(TimeOfDay::from_minutes(t("18:30").minutes()), Some(t("18:30")));
    }

    #[test]
    fn accepts_iana_names_only() {
        assert!(parse_zone("Europe/Berlin").is_ok());
        assert!(parse_zone("UTC").is_ok());
        assert!(matches!(parse_zone("Mars/Base"), Err(TimeError::UnknownZone(_))));
        assert!(matches!(parse_zone("EST"), Err(TimeError::Abbreviation(_))));
        assert!(matches!(parse_zone("CET"), Err(TimeError::Abbreviation(_))));
        assert!(suggest_zones("berl", 25).contains(&"Europe/Berlin"));
        assert!(suggest_zones("", 25).len() == 25);
        assert!(!suggest_zones("", 500).contains(&"EST"));
    }

    #[test]
    fn new_york_across_both_dst_changes() {
        let ny = zone("America/New_York");
        // 2026-03-08 is the spring-forward day: 09:00 EDT = 13:00 UTC.
        assert_eq!(next_post_after(utc("2026-03-08T05:00:00Z"), t("09:00"), ny), utc("2026-03-08T13:00:00Z"));
        // The day before, still EST: 14:00 UTC.
        assert_eq!(next_post_after(utc("2026-03-07T05:00:00Z"), t("09:00"), ny), utc("2026-03-07T14:00:00Z"));
        // 2026-11-01 falls back: 09:00 EST = 14:00 UTC.
        assert_eq!(next_post_after(utc("2026-11-01T05:00:00Z"), t("09:00"), ny), utc("2026-11-01T14:00:00Z"));
    }

    #[test]
    fn berlin_spring_gap_and_autumn_repeat() {
        let berlin = zone("Europe/Berlin");
        // 2026-03-29: 02:00 → 03:00. 02:30 does not exist: post at 03:00 CEST = 01:00 UTC.
        assert_eq!(next_post_after(utc("2026-03-28T23:00:00Z"), t("02:30"), berlin), utc("2026-03-29T01:00:00Z"));
        // 09:00 stays 09:00 local on both sides.
        assert_eq!(next_post_after(utc("2026-03-28T00:00:00Z"), t("09:00"), berlin), utc("2026-03-28T08:00:00Z"));
        assert_eq!(next_post_after(utc("2026-03-29T00:00:00Z"), t("09:00"), berlin), utc("2026-03-29T07:00:00Z"));
        // 2026-10-25: 03:00 → 02:00; 02:30 happens twice: the first (CEST, 00:30 UTC) only.
        let first = next_post_after(utc("2026-10-24T22:00:00Z"), t("02:30"), berlin);
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        let after = next_post_after(first, t("02:30"), berlin);
        assert_eq!(after, utc("2026-10-26T01:30:00Z"), "the repeated 02:30 must not post again");
    }

    #[test]
    fn sydney_southern_hemisphere() {
        let sydney = zone("Australia/Sydney");
        // DST ends 2026-04-05 (AEDT +11 → AEST +10); starts 2026-10-04.
        assert_eq!(next_post_after(utc("2026-04-03T00:00:00Z"), t("09:00"), sydney), utc("2026-04-03T22:00:00Z"));
        assert_eq!(next_post_after(utc("2026-04-05T00:00:00Z"), t("09:00"), sydney), utc("2026-04-05T23:00:00Z"));
        // 02:30 on 2026-10-04 does not exist (02:00 → 03:00): 03:00 AEDT = 16:00 UTC the day before.
        assert_eq!(next_post_after(utc("2026-10-03T12:00:00Z"), t("02:30"), sydney), utc("2026-10-03T16:00:00Z"));
    }

    #[test]
    fn kolkata_half_hour_offset() {
        let kolkata = zone("Asia/Kolkata");
        assert_eq!(next_post_after(utc("2026-06-01T00:00:00Z"), t("09:00"), kolkata), utc("2026-06-01T03:30:00Z"));
        // Exactly at the post time, the next is tomorrow.
        assert_eq!(next_post_after(utc("2026-06-01T03:30:00Z"), t("09:00"), kolkata), utc("2026-06-02T03:30:00Z"));
    }

    #[test]
    fn catch_up_only_on_the_same_local_day() {
        let ny = zone("America/New_York");
        let due = utc("2026-11-24T14:00:00Z"); // 09:00 EST
        assert!(still_due_today(due, utc("2026-11-24T20:00:00Z"), ny), "15:00 local, same day");
        assert!(!still_due_today(due, utc("2026-11-25T06:00:00Z"), ny), "01:00 the next local day");
        assert!(!still_due_today(due, utc("2026-11-24T13:59:00Z"), ny), "not yet due");
    }
}
