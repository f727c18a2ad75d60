//! The scheduler loop: sleep until the earliest due schedule, reminder
//! ([`reminders`]) or weekly recap ([`recaps`]), post, repeat.
//!
//! Each wake-up costs one indexed query for the due schedules and one for
//! the next due time; nothing scans every schedule. A change made through
//! `/daily` wakes the loop early; changes by other processes are seen within
//! [`MAX_SLEEP`]. Exactly once per schedule and local date comes from the
//! claim in the database plus the message nonce (see `Claim`).

mod recaps;
mod reminders;
mod threads;

use std::future::Future;

use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::{ServiceError, Services, Stopping};
use crate::domain::bank::{Question, QuestionBank, QuestionId};
use crate::domain::schedule::time::{local_date, local_instant, next_post_after, still_due_today};
use crate::domain::schedule::{daily_nonce, Claim, ClaimOutcome, Schedule, MAX_FAILING_DAYS};
use crate::domain::study::{Post, Scope, Source};
use crate::measures::{scheduled, POSTS_TOTAL, SCHEDULER_LAG_SECONDS};
use crate::store::StoreError;
pub use recaps::RecapPost;
pub use reminders::ReminderDm;

/// How long a claim protects a post in progress before another process may
/// finish it.
pub const LEASE: Duration = Duration::from_secs(60);
/// The longest the loop sleeps, so schedules changed by another process
/// are noticed.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Delay before retrying after a temporary failure (Discord 5xx, network).
pub const RETRY: Duration = Duration::from_secs(60);
/// How much earlier than a claim the channel is searched for its post:
/// this host's clock and Discord's may disagree.
const CLOCK_SLACK: i64 = 60;
/// Daily posts per second by default: under Discord's global limit of 50
/// requests a second per bot, leaving room for the bot's other requests.
pub const DEFAULT_POSTS_PER_SECOND: u32 = 45;
/// A rate limit this short is waited out before the same post is sent
/// again; a longer one reschedules it, so the loop moves on.
const SHORT_WAIT: Duration = Duration::from_secs(5);
/// Rate limits waited out in a row for one post before it is rescheduled.
const MAX_WAITS: u32 = 3;
/// Schedules handled per query.
const BATCH: u32 = 100;
/// Posts in flight at once: enough for the pace at Discord's usual answer
/// time (45 a second × 100 ms ≈ 5), with room for slower answers.
const IN_FLIGHT: usize = 16;

/// What the Discord layer needs to make a daily post.
#[derive(Debug)]
pub struct DailyPost<'a> {
    /// The banks the question comes from (their titles head the post).
    pub bank: &'a QuestionBank,
    pub channel_id: u64,
    pub guild_id: u64,
    pub question: &'a Question,
    /// The local date the post is for (its title names it).
    pub date: NaiveDate,
    /// Message nonce, sent with `enforce_nonce`.
    pub nonce: &'a str,
    pub ping_role: Option<u64>,
}

/// What the Discord layer needs to open a daily post's thread.
#[derive(Debug)]
pub struct DailyThread<'a> {
    pub channel_id: u64,
    pub message_id: u64,
    /// The question's title (the thread's name, shortened to fit).
    pub name: &'a str,
    /// The prompt's nonce, sent with `enforce_nonce`.
    pub nonce: &'a str,
}

/// Why a post could not be made, as far as the scheduler cares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The channel is gone (404) or the bot may not post there (403), or
    /// Discord refused the message: retrying today will not help.
    #[error("{0}")]
    Permanent(String),
    /// Worth retrying shortly.
    #[error("{0}")]
    Temporary(String),
    /// Discord refused it for now (429): send it again after
    /// `retry_after`; `global` when every request of the bot is held.
    #[error("rate limited by Discord for {retry_after:?} (global: {global})")]
    RateLimited { retry_after: Duration, global: bool },
    /// A DM to a member whose DMs are closed to the bot (50007).
    #[error("the member's DMs are closed to the bot")]
    DmsClosed,
    /// Discord says it was done already (a second thread on a message,
    /// 160004).
    #[error("already done")]
    AlreadyDone,
}

/// Sends a daily post; implemented by the Discord layer.
pub trait Poster: Send + Sync + 'static {
    /// Posts and returns the message id.
    fn post(&self, post: &DailyPost<'_>) -> impl Future<Output = Result<u64, PostError>> + Send;

    /// The daily post of `question` this bot made in `channel_id` at or
    /// after `since` (unix seconds), if there is one: an attempt whose
    /// answer never arrived may have made it, and past Discord's nonce
    /// window ("a few minutes") sending it again would post it twice.
    fn find_post(
        &self,
        channel_id: u64,
        question: &QuestionId,
        since: i64,
    ) -> impl Future<Output = Result<Option<u64>, PostError>> + Send;

    /// Opens the discussion thread on a daily post and posts its one-line
    /// prompt; returns the thread's id. A thread already on the message
    /// (an earlier attempt made it) counts as made.
    fn open_thread(&self, thread: &DailyThread<'_>) -> impl Future<Output = Result<u64, PostError>> + Send;

    /// Posts a channel's weekly recap; returns the message id.
    fn post_recap(&self, recap: &RecapPost<'_>) -> impl Future<Output = Result<u64, PostError>> + Send;

    /// Sends a member their review reminder in a DM; returns the message id.
    fn remind(&self, dm: &ReminderDm<'_>) -> impl Future<Output = Result<u64, PostError>> + Send;
}

/// Posts and records the post (so the channel's cycle moves on). The
/// outer error is the database's, the inner the post's.
pub(super) async fn post_daily<P: Poster>(
    services: &Services,
    poster: &P,
    post: &DailyPost<'_>,
) -> Result<Result<u64, PostError>, StoreError> {
    let message_id = match poster.post(post).await {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    record_post(services, post, message_id).await?;
    Ok(Ok(message_id))
}

/// Counts a scheduled message Discord accepted (`kind`: a value of
/// [`scheduled`]), and how long after it was due: `due` is its local time on
/// the day it is for, so a retry counts from the first try.
fn count_post(kind: &'static str, due: DateTime<Utc>, posted: DateTime<Utc>) {
    metrics::counter!(POSTS_TOTAL, "kind" => kind).increment(1);
    let lag = (posted - due).to_std().unwrap_or_default();
    metrics::histogram!(SCHEDULER_LAG_SECONDS, "kind" => kind).record(lag.as_secs_f64());
}

/// Records a post made, so the channel's cycle moves on.
async fn record_post(services: &Services, post: &DailyPost<'_>, message_id: u64) -> Result<(), StoreError> {
    let shown = Post {
        id: message_id,
        scope: Scope::Guild(post.guild_id),
        channel_id: post.channel_id,
        question: post.question.id.clone(),
        source: Source::Daily,
        at: services.clock.now_unix(),
    };
    services.store.record_post(&shown).await
}

/// Wakes the scheduler after a schedule changed. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub(super) fn wake(&self) {
        self.0.notify_one();
    }
}

/// Spaces posts evenly, at most `rate` a second, so that a burst of
/// schedules due at 09:00 stays under Discord's global limit instead of
/// collecting 429s (and, past 10,000 refused requests in ten minutes, a
/// ban). Real time, not the bot's clock: Discord counts real seconds.
#[derive(Debug)]
struct Pace {
    gap: Duration,
    next: std::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    fn new(rate: u32) -> Pace {
        let gap = Duration::from_secs(1) / rate.max(1);
        Pace { gap, next: std::sync::Mutex::new(tokio::time::Instant::now()) }
    }

    /// Waits for the next free slot and takes it.
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.gap;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Sends nothing for `pause` (a global 429).
    fn hold(&self, pause: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next = (*next).max(tokio::time::Instant::now() + pause);
    }
}

/// Posts each schedule's question of the day, exactly once per local
/// date, through a [`Poster`].
pub struct Scheduler<P> {
    services: Services,
    poster: P,
    /// Names this process in claims.
    holder: String,
    /// Set by [`Scheduler::run`]: a tick stops between two posts once set.
    stop: Option<Stopping>,
    pace: Pace,
}

impl<P: Poster> Scheduler<P> {
    pub fn new(services: Services, poster: P) -> Self {
        let holder = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        Scheduler { services, poster, holder, stop: None, pace: Pace::new(DEFAULT_POSTS_PER_SECOND) }
    }

    /// At most `posts_per_second` posts a second (1 or more).
    pub fn with_rate(mut self, posts_per_second: u32) -> Self {
        self.pace = Pace::new(posts_per_second);
        self
    }

    /// Runs until `stop` is set; a post in progress is finished first.
    /// Database errors are logged and retried.
    pub async fn run(mut self, mut stop: Stopping) {
        self.stop = Some(stop.clone());
        info!("daily scheduler started");
        while !stop.is_set() {
            let sleep_until = match self.tick().await {
                Ok(next) => next,
                Err(e) => {
                    warn!(error = %e, "scheduler could not read schedules; retrying");
                    None
                }
            };
            let now = self.services.clock.now();
            let cap = now + chrono::Duration::from_std(MAX_SLEEP).unwrap_or(chrono::Duration::seconds(60));
            // Whatever is still due after a tick failed to be handled: give
            // it a second rather than spinning on it.
            let floor = now + chrono::Duration::seconds(1);
            let until = sleep_until.map_or(cap, |t| t.clamp(floor, cap));
            tokio::select! {
                _ = self.services.clock.sleep_until(until) => {}
                _ = self.services.wake.0.notified() => debug!("scheduler woken"),
                _ = stop.wait() => {}
            }
        }
        info!("daily scheduler stopped");
    }

    /// Handles every schedule due now; returns when the next one is due.
    pub async fn tick(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let store = &self.services.store;
        loop {
            let now = self.services.clock.now();
            let due = store.due_schedules(now.timestamp(), BATCH).await?;
            let full = due.len() == BATCH as usize;
            // Several at once, each waiting for its slot in the pace: Discord
            // takes about 100 ms to answer a post, so one at a time would
            // post ten a second, not the pace's 45.
            futures_util::stream::iter(due)
                .for_each_concurrent(IN_FLIGHT, |schedule| async move {
                    if self.stop.as_ref().is_some_and(Stopping::is_set) {
                        // The rest stay due for the next start, or another process.
                        return;
                    }
                    if let Err(e) = self.handle(&schedule, now).await {
                        warn!(channel = schedule.channel_id, error = %e, "daily post failed");
                    }
                })
                .await;
            if self.stop.as_ref().is_some_and(Stopping::is_set) {
                return Ok(None);
            }
            if !full {
                break;
            }
        }
        self.remind_due().await?;
        self.recap_due().await?;
        let next = [store.next_due_at().await?, store.next_reminder_at().await?, store.next_recap_at().await?]
            .into_iter()
            .flatten()
            .min();
        Ok(next.and_then(|t| Utc.timestamp_opt(t, 0).single()))
    }

    async fn handle(&self, s: &Schedule, batch_now: DateTime<Utc>) -> Result<(), StoreError> {
        // The batch's posts before this one took time: leases and retries
        // count from now.
        let now = self.services.clock.now().max(batch_now);
        let store = &self.services.store;
        let due = Utc.timestamp_opt(s.next_due_at, 0).single().unwrap_or(now);
        let next = next_post_after(now, s.time, s.zone).timestamp();
        // A retry is for the day it was due, even past local midnight.
        let date = match s.pending {
            Some(date) => date,
            None if !still_due_today(due, now, s.zone) => {
                // The bot was down through the whole local day: skip, don't spam.
                info!(channel = s.channel_id, "missed daily post skipped");
                return store.schedule_posted(s.channel_id, next, None).await;
            }
            None => local_date(due, s.zone),
        };
        let picked = match self.services.daily_question(s).await {
            Ok(q) => q,
            Err(ServiceError::Store(e)) => return Err(e),
            Err(e) => return self.failed(s, &e.to_string(), next).await,
        };
        let nonce = daily_nonce(s.channel_id, date);
        let lease_until = now.timestamp() + LEASE.as_secs() as i64;
        let claim = store
            .claim_daily(s.channel_id, date, &picked.question().id, &nonce, &self.holder, now.timestamp(), lease_until)
            .await?;
        let claim = match claim {
            ClaimOutcome::Won(claim) => claim,
            // A restart after the post: move on to the next day.
            ClaimOutcome::Posted => {
                // A process that stopped after the post may have left its
                // thread unopened.
                self.thread_if_wanted(s, date).await?;
                return store.schedule_posted(s.channel_id, next, None).await;
            }
            // Another process is posting: look again when its lease ends.
            ClaimOutcome::Held { until } => return store.schedule_retry(s.channel_id, until.min(next), date).await,
        };
        // A claim taken over from a dead process keeps its question.
        let chosen = picked.sibling(&claim.question).unwrap_or(picked);
        let question = chosen.question();
        let post = DailyPost {
            bank: chosen.bank(),
            channel_id: s.channel_id,
            guild_id: s.guild_id,
            question,
            date,
            nonce: &claim.nonce,
            ping_role: s.ping_role,
        };
        if claim.may_be_posted(now.timestamp()) {
            // From the claim (the day's due time if the claim predates
            // claim times), a minute early for clocks that disagree.
            let since = if claim.claimed_at > 0 { claim.claimed_at } else { due.timestamp() } - CLOCK_SLACK;
            match self.poster.find_post(s.channel_id, &claim.question, since).await {
                Ok(Some(message_id)) => {
                    info!(channel = s.channel_id, %date, "the day's post was already in the channel");
                    record_post(&self.services, &post, message_id).await?;
                    return self.completed(s, &claim, message_id, next).await;
                }
                Ok(None) => {}
                Err(e) => return self.post_failed(s, &claim, e, now, next).await,
            }
        }
        // Looking and waiting out rate limits take time: the lease starts
        // again before the post goes out.
        let lease_until = self.services.clock.now_unix() + LEASE.as_secs() as i64;
        if !store.extend_daily(&claim, lease_until).await? {
            warn!(channel = s.channel_id, %date, "the claim was taken over before posting; its new holder posts");
            return Ok(());
        }
        match self.send(&post).await? {
            Ok(message_id) => {
                info!(channel = s.channel_id, %date, question = %question.id, "daily question posted");
                count_post(scheduled::DAILY, local_instant(date, s.time, s.zone), self.services.clock.now());
                self.completed(s, &claim, message_id, next).await
            }
            Err(e) => self.post_failed(s, &claim, e, now, next).await,
        }
    }

    /// Marks the claim done and moves the schedule on to `next`.
    async fn completed(&self, s: &Schedule, claim: &Claim, message_id: u64, next: i64) -> Result<(), StoreError> {
        let store = &self.services.store;
        let posted_at = self.services.clock.now_unix();
        if !store.complete_daily(claim, message_id, posted_at).await? {
            warn!(channel = s.channel_id, date = %claim.local_date, "the claim was taken over while posting; its new holder completes it");
        }
        self.thread_if_wanted(s, claim.local_date).await?;
        store.schedule_posted(s.channel_id, next, Some(posted_at)).await
    }

    /// Posts at the pace, waiting out short rate limits as Discord asks:
    /// the same post again, as if the refused request was never sent.
    async fn send(&self, post: &DailyPost<'_>) -> Result<Result<u64, PostError>, StoreError> {
        let mut waits = 0;
        loop {
            self.pace.wait().await;
            match post_daily(&self.services, &self.poster, post).await? {
                Err(PostError::RateLimited { retry_after, global })
                    if retry_after <= SHORT_WAIT && waits < MAX_WAITS =>
                {
                    waits += 1;
                    warn!(channel = post.channel_id, ?retry_after, global, "rate limited by Discord; waiting as asked");
                    if global {
                        self.pace.hold(retry_after);
                    } else {
                        tokio::time::sleep(retry_after).await;
                    }
                }
                outcome => return Ok(outcome),
            }
        }
    }

    async fn post_failed(
        &self,
        s: &Schedule,
        claim: &Claim,
        error: PostError,
        now: DateTime<Utc>,
        next: i64,
    ) -> Result<(), StoreError> {
        let store = &self.services.store;
        match error {
            PostError::Temporary(reason) => {
                // Discord may have made the message all the same: keep the
                // claim and send the same post (question, nonce) again, so
                // that Discord answers with that message if it exists.
                let retry = now.timestamp() + RETRY.as_secs() as i64;
                store.extend_daily(claim, retry + LEASE.as_secs() as i64).await?;
                warn!(channel = s.channel_id, %reason, "daily post failed; retrying the same post");
                store.schedule_retry(s.channel_id, retry, claim.local_date).await
            }
            PostError::RateLimited { retry_after, global } => {
                // Nothing was sent: the same post, once Discord allows it.
                if global {
                    self.pace.hold(retry_after);
                }
                let retry = now.timestamp() + i64::try_from(retry_after.as_secs()).unwrap_or(i64::MAX / 2) + 1;
                store.extend_daily(claim, retry + LEASE.as_secs() as i64).await?;
                warn!(channel = s.channel_id, ?retry_after, "daily post rate limited; retrying the same post");
                store.schedule_retry(s.channel_id, retry, claim.local_date).await
            }
            error @ (PostError::Permanent(_) | PostError::DmsClosed | PostError::AlreadyDone) => {
                store.release_daily(claim).await?;
                self.failed(s, &error.to_string(), next).await
            }
        }
    }

    /// Counts a failing day; the third in a row pauses the schedule.
    async fn failed(&self, s: &Schedule, reason: &str, next: i64) -> Result<(), StoreError> {
        let days = s.failing_days + 1;
        let pause = days >= MAX_FAILING_DAYS;
        warn!(channel = s.channel_id, reason, days, pause, "daily post failed");
        self.services.store.schedule_failed(s.channel_id, reason, days, pause, next).await
    }
}
