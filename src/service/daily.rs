//! `/daily set|status|off|now`: validate and store schedules, report
//! them, post one now. The Discord layer checks channel kinds and
//! permissions, which only it can see.

use super::quiz::resolve;
use super::scheduler::{post_daily, DailyPost, DailyThread, Poster};
use super::{ServiceError, Services};
use crate::domain::bank::pick::{pick_fresh, pick_least_posted, pick_weakest, GroupStudy, PickMode, WEAKEST_REST_DAYS};
use crate::domain::bank::{Filter, InBank};
use crate::domain::schedule::recap::next_recap_after;
use crate::domain::schedule::time::{local_date, next_post_after, parse_zone, TimeOfDay};
use crate::domain::schedule::{now_nonces, thread_name, DailyAsked, Schedule, HISTORY_LEN};
use crate::domain::study::Scope;

/// A channel's daily questions, newest first (`/daily history`).
#[derive(Debug, Clone)]
pub struct History {
    pub guild_id: u64,
    pub channel_id: u64,
    pub entries: Vec<HistoryEntry>,
}

/// One of them: what was asked, its title if still in the banks, and its
/// local date.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub asked: DailyAsked,
    pub title: Option<String>,
    pub date: Option<chrono::NaiveDate>,
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
    /// How the question is chosen.
    pub pick: PickMode,
    /// Open a discussion thread on each post.
    pub thread: bool,
    /// Post a weekly recap on this local weekday.
    pub recap: Option<chrono::Weekday>,
}

impl Services {
    /// Checks what was typed (time, zone, filters) without storing it.
    pub async fn validate(&self, req: &ScheduleRequest) -> Result<(), ServiceError> {
        TimeOfDay::parse(&req.time)?;
        parse_zone(&req.timezone)?;
        resolve(&*self.bank(Scope::Guild(req.guild_id)).await?, &req.filter)?;
        Ok(())
    }

    /// Validates and stores a channel's schedule (replacing any), clearing
    /// a pause, and wakes the scheduler.
    pub async fn set_schedule(&self, req: &ScheduleRequest) -> Result<Schedule, ServiceError> {
        let time = TimeOfDay::parse(&req.time)?;
        let zone = parse_zone(&req.timezone)?;
        let (filter, _) = resolve(&*self.bank(Scope::Guild(req.guild_id)).await?, &req.filter)?;
        let now = self.clock.now();
        let schedule = Schedule {
            filter,
            ping_role: req.ping_role,
            pick: req.pick,
            thread: req.thread,
            recap: req.recap,
            next_recap_at: req.recap.map(|day| next_recap_after(now, day, time, zone).timestamp()),
            ..Schedule::new(req.channel_id, req.guild_id, time, zone, next_post_after(now, time, zone).timestamp())
        };
        self.store.upsert_schedule(&schedule, now.timestamp()).await?;
        self.wake.wake();
        Ok(schedule)
    }

    /// A server's schedules.
    pub async fn schedules(&self, guild_id: u64) -> Result<Vec<Schedule>, ServiceError> {
        Ok(self.store.guild_schedules(guild_id).await?)
    }

    /// Removes a channel's schedule in a server; `false` if the server had
    /// none there (a channel of another server is never touched).
    pub async fn remove_schedule(&self, guild_id: u64, channel_id: u64) -> Result<bool, ServiceError> {
        let removed = self.store.remove_schedule(guild_id, channel_id).await?;
        self.wake.wake();
        Ok(removed)
    }

    /// Stops every schedule of a server the bot was removed from.
    pub async fn forget_guild(&self, guild_id: u64) -> Result<u64, ServiceError> {
        Ok(self.store.remove_guild_schedules(guild_id).await?)
    }

    /// The channel's schedule in a server, or the error to show when there
    /// is none.
    pub async fn schedule(&self, guild_id: u64, channel_id: u64) -> Result<Schedule, ServiceError> {
        let schedule = self.store.schedule(channel_id).await?.filter(|s| s.guild_id == guild_id);
        schedule.ok_or(ServiceError::NoSchedule(channel_id))
    }

    /// A channel's last daily questions (newest first), with the question's
    /// title where its bank still has it, in the server's zone for dates.
    pub async fn daily_history(&self, guild_id: u64, channel_id: u64) -> Result<History, ServiceError> {
        let bank = self.bank(Scope::Guild(guild_id)).await?;
        let zone = self.zone(Scope::Guild(guild_id)).await?;
        let asked = self.store.daily_history(guild_id, channel_id, HISTORY_LEN).await?;
        let entries = asked
            .into_iter()
            .map(|a| {
                let title = bank.get(&a.question).map(|q| q.title.clone());
                // The day it was the question of, in its schedule's zone;
                // a `/daily now` post's, in the server's.
                let posted = chrono::DateTime::from_timestamp(a.posted_at, 0).map(|t| local_date(t, zone));
                let date = a.local_date.or(posted);
                HistoryEntry { asked: a, title, date }
            })
            .collect();
        Ok(History { guild_id, channel_id, entries })
    }

    /// The question a schedule posts next, by its pick mode; `weakest` and
    /// `fresh` fall back to the channel's cycle when they have nothing to
    /// offer (nobody studied yet; the group studied everything).
    pub async fn daily_question(&self, s: &Schedule) -> Result<InBank, ServiceError> {
        let bank = self.bank(Scope::Guild(s.guild_id)).await?;
        let (_, pool) = resolve(&bank, &s.filter)?;
        let counts = self.store.post_counts(s.channel_id).await?;
        let now = self.clock.now_unix();
        // What the group knows, read first: the pick itself awaits nothing.
        let (studies, rested, rated) = match s.pick {
            PickMode::Rotate => Default::default(),
            PickMode::Weakest => {
                let memories = self.store.group_memories(s.guild_id).await?;
                let studies: Vec<GroupStudy> = memories
                    .into_iter()
                    .map(|(question, memory)| GroupStudy { question, recall: memory.recall_at(now) })
                    .collect();
                let since = now - WEAKEST_REST_DAYS * 86_400;
                (studies, self.store.daily_posted_since(s.channel_id, since).await?, Default::default())
            }
            PickMode::Fresh => (Vec::new(), Default::default(), self.store.rated_in(s.guild_id).await?),
        };
        let mut rng = rand::thread_rng();
        let grouped = match s.pick {
            PickMode::Rotate => None,
            PickMode::Weakest => pick_weakest(&pool, &studies, &rested),
            PickMode::Fresh => pick_fresh(&pool, &rated, &counts, &mut rng),
        };
        let picked = grouped.or_else(|| pick_least_posted(&pool, &counts, &mut rng)).map(|q| q.id.clone());
        picked.and_then(|id| InBank::find(&bank, &id)).ok_or(ServiceError::QuestionGone)
    }

    /// Posts the channel's next question now, outside the schedule (which
    /// keeps its next time), with its discussion thread if the schedule
    /// wants one. `interaction_id` names the post (the `/daily now`
    /// command's). A thread Discord refuses does not undo the post: it is
    /// reported in [`PostedNow::thread_missing`].
    pub async fn post_now<P: Poster>(
        &self,
        poster: &P,
        schedule: &Schedule,
        interaction_id: u64,
    ) -> Result<PostedNow, ServiceError> {
        let chosen = self.daily_question(schedule).await?;
        let (nonce, prompt_nonce) = now_nonces(interaction_id);
        let post = DailyPost {
            bank: chosen.bank(),
            channel_id: schedule.channel_id,
            guild_id: schedule.guild_id,
            question: chosen.question(),
            date: local_date(self.clock.now(), schedule.zone),
            nonce: &nonce,
            ping_role: schedule.ping_role,
        };
        let message_id = post_daily(self, poster, &post).await??;
        let mut thread_missing = None;
        if schedule.thread {
            let name = thread_name(&chosen.question().title);
            let thread = DailyThread { channel_id: schedule.channel_id, message_id, name: &name, nonce: &prompt_nonce };
            if let Err(e) = poster.open_thread(&thread).await {
                thread_missing = Some(e.to_string());
            }
        }
        Ok(PostedNow { message_id, thread_missing })
    }
}

/// What `/daily now` made.
#[derive(Debug)]
pub struct PostedNow {
    pub message_id: u64,
    /// Why the discussion thread the schedule asks for is missing.
    pub thread_missing: Option<String>,
}
