//! The use cases behind `/daily`: validate and store schedules, report
//! them, post one now. Plain Rust types; the Discord layer checks channel
//! kinds and permissions, which only it can see.

use crate::bank::Filter;
use crate::quiz::{Quiz, QuizError};
use crate::schedule::clock::Clock;
use crate::schedule::runner::{post_daily, DailyPost, PostError, Poster, Wake};
use crate::schedule::time::{local_date, next_post_after, parse_zone, TimeError, TimeOfDay};
use crate::schedule::Schedule;
use crate::store::StoreError;

/// Why a `/daily` action could not be done. All but `Store` are shown to
/// the member as they are.
#[derive(Debug, thiserror::Error)]
pub enum DailyError {
    #[error(transparent)]
    Time(#[from] TimeError),
    #[error(transparent)]
    Quiz(#[from] QuizError),
    #[error("There is no daily question in <#{0}>. Set one with `/daily set`.")]
    NoSchedule(u64),
    #[error("Could not post: {0}")]
    Post(#[from] PostError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DailyError {
    pub fn is_user_facing(&self) -> bool {
        match self {
            DailyError::Store(_) => false,
            DailyError::Quiz(e) => e.is_user_facing(),
            _ => true,
        }
    }
}

/// What `/daily set` asks for, as typed.
#[derive(Debug, Clone)]
pub struct ScheduleRequest {
    pub guild_id: u64,
    pub channel_id: u64,
    pub time: String,
    pub timezone: String,
    pub filter: Filter,
    pub ping_role: Option<u64>,
}

/// Schedules plus what they need: the quiz, the clock, the scheduler's
/// wake-up. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Daily {
    quiz: Quiz,
    clock: Clock,
    wake: Wake,
}

impl Daily {
    pub fn new(quiz: Quiz, clock: Clock, wake: Wake) -> Self {
        Daily { quiz, clock, wake }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Checks what was typed (time, zone, filters) without storing it.
    pub fn validate(&self, req: &ScheduleRequest) -> Result<(), DailyError> {
        TimeOfDay::parse(&req.time)?;
        parse_zone(&req.timezone)?;
        self.quiz.resolve(&req.filter)?;
        Ok(())
    }

    /// Validates and stores a channel's schedule (replacing any), clearing
    /// a pause, and wakes the scheduler.
    pub async fn set(&self, req: &ScheduleRequest) -> Result<Schedule, DailyError> {
        let time = TimeOfDay::parse(&req.time)?;
        let zone = parse_zone(&req.timezone)?;
        let (filter, _) = self.quiz.resolve(&req.filter)?;
        let now = self.clock.now();
        let schedule = Schedule {
            channel_id: req.channel_id,
            guild_id: req.guild_id,
            time,
            zone,
            filter,
            ping_role: req.ping_role,
            next_due_at: next_post_after(now, time, zone).timestamp(),
            last_posted_at: None,
            failure: None,
            failing_days: 0,
            paused: false,
        };
        self.quiz.store().upsert_schedule(&schedule, now.timestamp()).await?;
        self.wake.wake();
        Ok(schedule)
    }

    /// A server's schedules.
    pub async fn status(&self, guild_id: u64) -> Result<Vec<Schedule>, DailyError> {
        Ok(self.quiz.store().guild_schedules(guild_id).await?)
    }

    /// Removes a channel's schedule; `false` if there was none.
    pub async fn off(&self, channel_id: u64) -> Result<bool, DailyError> {
        let removed = self.quiz.store().remove_schedule(channel_id).await?;
        self.wake.wake();
        Ok(removed)
    }

    /// Stops every schedule of a server the bot was removed from.
    pub async fn forget_guild(&self, guild_id: u64) -> Result<u64, DailyError> {
        Ok(self.quiz.store().remove_guild_schedules(guild_id).await?)
    }

    /// The channel's schedule, or the error to show when there is none.
    pub async fn schedule(&self, channel_id: u64) -> Result<Schedule, DailyError> {
        self.quiz.store().schedule(channel_id).await?.ok_or(DailyError::NoSchedule(channel_id))
    }

    /// Posts the channel's next question now, outside the schedule (which
    /// keeps its next time). `nonce` must be fresh: it names this post.
    pub async fn post_now<P: Poster>(&self, poster: &P, schedule: &Schedule, nonce: &str) -> Result<u64, DailyError> {
        let question = self.quiz.next_question(schedule.channel_id, &schedule.filter).await?;
        let post = DailyPost {
            channel_id: schedule.channel_id,
            guild_id: schedule.guild_id,
            question,
            date: local_date(self.clock.now(), schedule.zone),
            nonce,
            ping_role: schedule.ping_role,
        };
        Ok(post_daily(&self.quiz, poster, &post, &self.clock).await??)
    }
}
