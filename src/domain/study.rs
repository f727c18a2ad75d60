//! What members do with questions: where a question was shown, how they
//! rated themselves, what a rating is worth, and which study day it falls
//! on. Plain data and pure functions; storage lives in `store`,
//! presentation in `discord`.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::schedule::time::local_date;
use crate::domain::score::Period;

/// Where a question reached a member. Stored with every post and rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `/quiz` in a channel.
    Quiz,
    /// The scheduled question of the day.
    Daily,
    /// `/review`, personal spaced repetition.
    Review,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Quiz, Source::Daily, Source::Review];

    /// Stable key for storage and button ids; never change.
    pub fn key(self) -> &'static str {
        match self {
            Source::Quiz => "quiz",
            Source::Daily => "daily",
            Source::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.key() == s)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Where something happened: a server, or direct messages with the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Guild(u64),
    DirectMessages,
}

impl Scope {
    pub fn from_guild(guild_id: Option<u64>) -> Scope {
        guild_id.map_or(Scope::DirectMessages, Scope::Guild)
    }
}

/// A question shown in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Unique per post: the interaction or message that made it.
    pub id: u64,
    pub scope: Scope,
    pub channel_id: u64,
    pub question: QuestionId,
    pub source: Source,
    /// Unix seconds.
    pub at: i64,
}

/// One click on a level button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// The click's interaction id: a click delivered twice counts once.
    pub id: u64,
    pub scope: Scope,
    pub user_id: u64,
    pub question: QuestionId,
    pub level: Level,
    pub source: Source,
    /// Unix seconds.
    pub at: i64,
}

/// What a member wrote with "Answer first" before comparing it with the
/// guide's answer. It is theirs alone: shown to nobody else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedAnswer {
    /// Where it was written, so `/forget-me` there deletes it.
    pub scope: Scope,
    pub user_id: u64,
    pub question: QuestionId,
    pub text: String,
    /// Unix seconds.
    pub at: i64,
}

/// What a rating counts for, fixed when it is made
/// ([`crate::domain::score::ScoreRule::worth`]): later edits to the banks,
/// the rule or a new time zone do not rewrite the past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worth {
    /// The question's difficulty weight.
    pub weight: u32,
    /// The on-time bonus earned (0 when not rated on the daily's day).
    pub bonus: u32,
    pub category: String,
    /// The study day it counts toward for streaks ([`study_day`]).
    pub day: NaiveDate,
}

impl Worth {
    /// What the rating scores: the weight, plus the on-time bonus.
    pub fn points(&self) -> u32 {
        self.weight + self.bonus
    }
}

/// The one rule for days. A server's study days (streaks, the `/stats`
/// strip, `/review`'s "due today") and a question of the day's on-time
/// bonus are all counted in one zone: the server's, which is the zone of
/// its daily schedule in the lowest channel id (the store's
/// `server_zone`), and UTC in direct messages and in servers without a
/// schedule.
pub fn study_day(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    local_date(at, zone)
}

/// The latest question of the day posted in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyShown {
    pub question: QuestionId,
    /// Unix seconds.
    pub posted_at: i64,
}

/// What a level click needs to know besides the click, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingContext {
    /// The server's zone ([`study_day`]).
    pub zone: Tz,
    /// The latest question of the day in the clicked channel, if any.
    pub daily: Option<DailyShown>,
}

impl RatingContext {
    /// The study day of a click at `at` (unix seconds).
    pub fn day(&self, at: i64) -> NaiveDate {
        study_day(DateTime::from_timestamp(at, 0).unwrap_or_default(), self.zone)
    }

    /// Whether a click at `at` on `question` earns the on-time bonus: it is
    /// the channel's latest question of the day, rated on the study day it
    /// was posted.
    pub fn on_time(&self, question: &QuestionId, at: i64) -> bool {
        self.daily.as_ref().is_some_and(|d| &d.question == question && self.day(d.posted_at) == self.day(at))
    }
}

/// One member's line on the scored leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub user_id: u64,
    pub score: u64,
    /// Distinct questions rated in the period.
    pub studied: u64,
    /// When the member reached this score (unix seconds), for ties: the
    /// first rating of the last question that counts (within the period).
    pub reached: i64,
}

/// Which part of a leaderboard to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRequest<'a> {
    pub guild_id: u64,
    pub period: Period,
    /// An exact category name, or `None` for all.
    pub category: Option<&'a str>,
    /// Unix seconds: rolling periods end here.
    pub now: i64,
    /// Rows to skip, best first.
    pub offset: u64,
    pub limit: u64,
    /// Whose rank to find.
    pub caller: u64,
}

/// A page of a leaderboard, as the store answers it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardSlice {
    /// The rows from the requested offset, best first, at most the limit.
    pub rows: Vec<BoardRow>,
    /// Whether more rows follow.
    pub has_next: bool,
    /// The caller's 1-based rank and row, if they are on the board.
    pub me: Option<(u64, BoardRow)>,
}

/// One question a member has rated in a scope, with their latest level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Studied {
    pub question: QuestionId,
    pub level: Level,
}

/// What a member sees after rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingSaved {
    /// Distinct questions the member has rated in this scope.
    pub studied: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn the_bonus_needs_the_latest_daily_on_its_study_day() {
        let q = QuestionId::derive("bank", "q");
        let other = QuestionId::derive("bank", "other");
        // Posted 09:00 in Los Angeles (17:00 UTC) on 24 November.
        let ctx = RatingContext {
            zone: chrono_tz::America::Los_Angeles,
            daily: Some(DailyShown { question: q.clone(), posted_at: at("2026-11-24T17:00:00Z") }),
        };
        // 23:30 local is still the 24th there, though the 25th in UTC.
        assert!(ctx.on_time(&q, at("2026-11-25T07:30:00Z")));
        assert!(!ctx.on_time(&q, at("2026-11-25T08:30:00Z")), "00:30 local on the 25th");
        assert!(!ctx.on_time(&other, at("2026-11-24T18:00:00Z")));
        let none = RatingContext { zone: Tz::UTC, daily: None };
        assert!(!none.on_time(&q, at("2026-11-24T18:00:00Z")));
        assert_eq!(ctx.day(at("2026-11-25T07:30:00Z")), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }
}
