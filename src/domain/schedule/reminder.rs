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
    /// Unix seconds of the next reminder.
    pub next_due_at: i64,
}

/// A member's reminder as `/remind` shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReminderState {
    On(Reminder),
    /// The bot turned it off (`why`), and the member has not been told.
    TurnedOff {
        why: String,
    },
}

/// What an attempt to claim a day's reminder found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderClaim {
    /// Ours to send: fresh, or taken over from a holder whose lease ran out.
    Won,
    /// That day's reminder was handled (sent, or nothing was due).
    Done,
    /// Another holder is sending; its lease ends at this unix second.
    Held { until: i64 },
}

/// Why the bot turns a reminder off by itself: the member's DMs are closed
/// to it (Discord's 50007).
pub const DMS_CLOSED: &str = "I could not send you a DM (your DMs are closed to me), so your review reminders are off. Allow DMs from this server's members or from apps, then run `/remind` again.";

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
