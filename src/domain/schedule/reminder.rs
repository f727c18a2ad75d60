//! Personal review reminders: a DM at the member's local time on the days
//! their reviews are due, exactly once a day (a claim per member and local
//! date, like a daily post's).

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::base36;
use super::time::TimeOfDay;

/// One member's reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub user_id: u64,
    pub time: TimeOfDay,
    pub zone: Tz,
    /// Unix seconds of the next reminder, or of the retry of a pending
    /// one.
    pub next_due_at: i64,
    /// The local date a retry is for: the day it was due, even when the
    /// retry falls after local midnight.
    pub pending: Option<NaiveDate>,
}

/// A member's reminder as `/remind` shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReminderState {
    On(Reminder),
    /// The bot turned it off (`why`), and the member has not been told.
    TurnedOff {
        why: TurnedOff,
    },
}

/// Why the bot turned a reminder off by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnedOff {
    /// Discord refused the DM (50007): the member's DMs are closed to it.
    DmsClosed,
}

impl TurnedOff {
    /// Stable key in storage.
    pub fn key(self) -> &'static str {
        match self {
            TurnedOff::DmsClosed => "dms_closed",
        }
    }

    pub fn parse(key: &str) -> Option<TurnedOff> {
        (key == "dms_closed").then_some(TurnedOff::DmsClosed)
    }
}

/// A reminder attempt this long (seconds) after the day's first claim is
/// not made: Discord's nonce window ("a few minutes") may have passed, so
/// a DM made by an attempt whose answer never arrived would not be
/// recognised, and the member would get two. Missing one day's reminder
/// is the lesser harm.
pub const RETRY_WINDOW_SECS: i64 = 120;

/// The nonce naming one member's reminder on one local date: at most 25
/// characters (base-36 user id, ≤ 13, plus `YYYYMMDD`).
pub fn reminder_nonce(user_id: u64, date: NaiveDate) -> String {
    format!("r{}{}", base36(user_id), date.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_fit_discord_and_differ_from_daily_posts() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert!(reminder_nonce(u64::MAX, d).len() <= 25);
        assert_ne!(reminder_nonce(35, d), super::super::daily_nonce(35, d));
        assert_ne!(reminder_nonce(35, d), reminder_nonce(35, d.succ_opt().unwrap()));
    }
}
