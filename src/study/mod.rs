//! What members do with questions: where a question was shown, how they
//! rated themselves, and how a study group compares. Plain data and pure
//! functions; storage lives in `store`, presentation in `discord`.

pub mod review;
pub mod score;
pub mod streak;

use std::fmt;

use chrono::NaiveDate;

use crate::bank::QuestionId;
use crate::level::Level;

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

/// What a rating counts for, fixed when it is made: later edits to the
/// banks or a new time zone do not rewrite the past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worth {
    /// The question's difficulty weight, [`score::weight`].
    pub weight: u32,
    /// A question of the day rated on its day: [`score::ON_TIME_BONUS`].
    pub on_time: bool,
    pub category: String,
    /// The study day it counts toward for streaks: the date in the server's
    /// daily-question zone (UTC without one) when it was made.
    pub day: NaiveDate,
}

impl Worth {
    /// What the rating scores: the weight, plus the on-time bonus.
    pub fn points(&self) -> u32 {
        self.weight + if self.on_time { score::ON_TIME_BONUS } else { 0 }
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
    pub period: score::Period,
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

/// One question a member has rated: their latest level and when it is due
/// for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Studied {
    pub question: QuestionId,
    pub level: Level,
    /// Unix seconds.
    pub due_at: i64,
}

/// What a member sees after rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingSaved {
    /// Distinct questions the member has rated in this scope.
    pub studied: u64,
}
