//! The daily question: per-channel schedules in local time, and the claim
//! that makes each day's post happen exactly once; members' review
//! reminders ([`reminder`]), which work the same way.

pub mod recap;
pub mod reminder;
pub mod time;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::domain::bank::pick::PickMode;
use crate::domain::bank::{Filter, QuestionId};
use time::TimeOfDay;

/// After this many consecutive failing days a schedule pauses until
/// `/daily set` is run again.
pub const MAX_FAILING_DAYS: u32 = 3;

/// One channel's daily question.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub channel_id: u64,
    pub guild_id: u64,
    pub time: TimeOfDay,
    pub zone: Tz,
    pub filter: Filter,
    /// Role mentioned in the post, if any.
    pub ping_role: Option<u64>,
    /// Unix seconds of the next post.
    pub next_due_at: i64,
    pub last_posted_at: Option<i64>,
    /// Why the last attempt failed; `None` when the schedule is healthy.
    pub failure: Option<String>,
    pub failing_days: u32,
    pub paused: bool,
    /// How the question is chosen.
    pub pick: PickMode,
    /// Open a discussion thread on each post.
    pub thread: bool,
    /// Why the last thread could not be made (the post itself went out).
    pub thread_failure: Option<String>,
    /// The local weekday of the weekly recap, if the channel has one.
    pub recap: Option<chrono::Weekday>,
    /// Unix seconds of the next recap.
    pub next_recap_at: Option<i64>,
    /// The local date a retry of a post is for (`next_due_at` is then the
    /// retry's time, which may fall after local midnight).
    pub pending: Option<NaiveDate>,
}

impl Schedule {
    /// A channel's schedule as it starts: healthy, nothing posted yet, no
    /// filter, role, thread or recap; `/daily set` adds the options it
    /// was given.
    pub fn new(channel_id: u64, guild_id: u64, time: TimeOfDay, zone: Tz, next_due_at: i64) -> Schedule {
        Schedule {
            channel_id,
            guild_id,
            time,
            zone,
            filter: Filter::default(),
            ping_role: None,
            next_due_at,
            last_posted_at: None,
            failure: None,
            failing_days: 0,
            paused: false,
            pick: PickMode::default(),
            thread: false,
            thread_failure: None,
            recap: None,
            next_recap_at: None,
            pending: None,
        }
    }
}

/// One daily question a channel was asked, for `/daily history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyAsked {
    /// The post's message.
    pub message_id: u64,
    pub question: QuestionId,
    /// Unix seconds.
    pub posted_at: i64,
    /// The local date of the schedule it was posted for (`None` for a
    /// `/daily now` post).
    pub local_date: Option<NaiveDate>,
    /// Members of the server who rated the question.
    pub raters: u64,
}

/// How many daily questions `/daily history` lists, and per page.
pub const HISTORY_LEN: u32 = 30;
pub const HISTORY_PAGE: usize = 10;

/// A thread's name: the question, within Discord's 100 characters.
pub const THREAD_NAME_MAX: usize = 100;

/// A discussion thread's name: the question's title, cut to fit.
pub fn thread_name(title: &str) -> String {
    crate::domain::bank::shown::fit(title, THREAD_NAME_MAX)
}

/// The nonces of a `/daily now` post and of its thread's prompt, named
/// after the command's interaction, so that neither is mistaken for the
/// day's scheduled post or its prompt (those name a date).
pub fn now_nonces(interaction_id: u64) -> (String, String) {
    (format!("n{interaction_id}"), format!("m{interaction_id}"))
}

/// The nonce of the prompt in a post's thread (`t` + the post's nonce
/// tail): names one prompt, so a retry does not post it twice.
pub fn thread_nonce(channel_id: u64, date: NaiveDate) -> String {
    format!("t{}", &daily_nonce(channel_id, date)[1..])
}

/// The right to make one day's post in one channel. Whoever holds it posts;
/// a holder that dies loses it when the lease ends, and the next holder
/// reuses the same question and nonce, so Discord drops a duplicate. A
/// holder whose post failed for a while keeps it, and retries the same
/// post: if Discord had made the message after all, the nonce returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub channel_id: u64,
    pub local_date: NaiveDate,
    pub question: QuestionId,
    /// Sent as the message nonce with `enforce_nonce`.
    pub nonce: String,
    /// Names the process holding it; only it may complete, extend or
    /// release the claim.
    pub holder: String,
    /// When the day's post was first claimed (unix seconds; 0 if unknown).
    pub claimed_at: i64,
}

impl Claim {
    /// Whether an earlier attempt may have made the post already: the
    /// claim is older than this attempt (a retry, or taken over from a
    /// process that died), so the message may be in the channel.
    pub fn may_be_posted(&self, now: i64) -> bool {
        self.claimed_at < now
    }
}

/// What an attempt to claim a day's post found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Ours to post: fresh, or taken over from a holder whose lease ran out.
    Won(Claim),
    /// That day's post has been made.
    Posted,
    /// Another holder is posting; its lease ends at this unix second.
    Held { until: i64 },
}

/// What an attempt to claim a day's reminder, or a week's recap, found
/// (the store's `claims.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayClaim {
    /// Ours to send: fresh, or taken over from a holder whose lease ran out
    /// (or our own, on a retry); `claimed_at` is the day's first claim.
    Won { claimed_at: i64 },
    /// That day's message was handled (sent, nothing due, or given up).
    Done,
    /// Another holder is sending; its lease ends at this unix second.
    Held { until: i64 },
}

/// The nonce naming exactly one intended post: this channel, this local
/// date. At most 25 characters, as Discord requires (base-36 channel id,
/// ≤ 13 chars, plus `YYYYMMDD`).
pub fn daily_nonce(channel_id: u64, date: NaiveDate) -> String {
    format!("d{}{}", base36(channel_id), date.format("%Y%m%d"))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_fit_discord_and_name_one_post() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let n = daily_nonce(u64::MAX, d);
        assert!(n.len() <= 25, "{n}");
        assert_ne!(daily_nonce(1, d), daily_nonce(2, d));
        assert_ne!(daily_nonce(1, d), daily_nonce(1, d.succ_opt().unwrap()));
        assert_eq!(daily_nonce(35, d), "dz20261124");
        let (post, prompt) = now_nonces(u64::MAX);
        assert!(post.len() <= 25 && prompt.len() <= 25 && post != prompt, "{post} {prompt}");
    }
}
