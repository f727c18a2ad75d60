//! The daily scheduler against a real SQLite file and the shipped bank, with
//! a manual clock and a recording stand-in for the Discord poster.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use quizbot::clock::Clock;
use quizbot::domain::bank::{Filter, QuestionBank, QuestionId};
use quizbot::domain::schedule::time::{next_post_after, parse_zone, TimeOfDay};
use quizbot::domain::schedule::{daily_nonce, thread_name, ClaimOutcome, Schedule};
use quizbot::service::scheduler::{DailyPost, DailyThread, PostError, Poster, RecapPost, ReminderDm, Scheduler};
use quizbot::service::Services;
use quizbot::store::Store;

const GUILD: u64 = 900_000_000_000_000_001;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// What the fake Discord saw.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    channel: u64,
    at: DateTime<Utc>,
    date: NaiveDate,
    nonce: String,
    question: String,
}

/// A weekly recap as the fake Discord saw it.
#[derive(Debug, Clone, PartialEq)]
struct RecapSeen {
    channel: u64,
    at: DateTime<Utc>,
    date: NaiveDate,
    studied: usize,
    top: Vec<u64>,
    hardest: Vec<QuestionId>,
    keepers: Vec<u64>,
}

/// A reminder DM sent: (member, when, due today, nonce).
type Reminded = (u64, DateTime<Utc>, usize, String);

#[derive(Clone)]
struct FakePoster {
    clock: Clock,
    sent: Arc<Mutex<Vec<Sent>>>,
    /// Every attempt, failed or not: (channel, question, nonce).
    attempts: Arc<Mutex<Vec<(u64, String, String)>>>,
    /// Answers per channel: `Err` to fail.
    fail: Arc<Mutex<Option<(u64, PostError)>>>,
    reminded: Arc<Mutex<Vec<Reminded>>>,
    /// Reminder attempts to fail before one succeeds, with this error.
    remind_fails: Arc<Mutex<Vec<PostError>>>,
    /// Weekly recaps posted.
    recaps: Arc<Mutex<Vec<RecapSeen>>>,
    /// Threads opened: (message, name, whether one was there already).
    threads: Arc<Mutex<Vec<(u64, String, bool)>>>,
    /// While set, opening a thread never returns (a process that dies
    /// there); `thread_attempts` counts the calls.
    thread_hang: Arc<std::sync::atomic::AtomicBool>,
    thread_attempts: Arc<std::sync::atomic::AtomicUsize>,
}

impl Poster for FakePoster {
    async fn post(&self, post: &DailyPost<'_>) -> Result<u64, PostError> {
        let attempt = (post.channel_id, post.question.id.to_string(), post.nonce.to_string());
        self.attempts.lock().unwrap().push(attempt);
        if let Some((channel, err)) = self.fail.lock().unwrap().clone() {
            if channel == post.channel_id {
                return Err(err);
            }
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(Sent {
            channel: post.channel_id,
            at: self.clock.now(),
            date: post.date,
            nonce: post.nonce.to_string(),
            question: post.question.id.to_string(),
        });
        Ok(1_000 + sent.len() as u64)
    }

    async fn find_post(&self, channel_id: u64, question: &QuestionId, since: i64) -> Result<Option<u64>, PostError> {
        let sent = self.sent.lock().unwrap();
        let found = sent
            .iter()
            .position(|p| p.channel == channel_id && p.question == question.as_str() && p.at.timestamp() >= since);
        Ok(found.map(|i| 1_001 + i as u64))
    }

    async fn post_recap(&self, recap: &RecapPost<'_>) -> Result<u64, PostError> {
        let mut recaps = self.recaps.lock().unwrap();
        recaps.push(RecapSeen {
            channel: recap.channel_id,
            at: self.clock.now(),
            date: recap.date,
            studied: recap.summary.studied,
            top: recap.top.iter().map(|l| l.row.user_id).collect(),
            hardest: recap.hardest.iter().map(|(q, _)| q.question().id.clone()).collect(),
            keepers: recap.summary.streak_keepers.clone(),
        });
        Ok(7_000 + recaps.len() as u64)
    }

    async fn open_thread(&self, thread: &DailyThread<'_>) -> Result<u64, PostError> {
        use std::sync::atomic::Ordering;
        self.thread_attempts.fetch_add(1, Ordering::SeqCst);
        if self.thread_hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let mut threads = self.threads.lock().unwrap();
        let known = threads.iter().any(|t| t.0 == thread.message_id);
        threads.push((thread.message_id, thread.name.to_string(), known));
        Ok(thread.message_id)
    }

    async fn remind(&self, dm: &ReminderDm<'_>) -> Result<u64, PostError> {
        if let Some(error) = self.remind_fails.lock().unwrap().pop() {
            return Err(error);
        }
        let mut reminded = self.reminded.lock().unwrap();
        reminded.push((dm.user_id, self.clock.now(), dm.due.today, dm.nonce.to_string()));
        Ok(5_000 + reminded.len() as u64)
    }
}

struct World {
    _dir: tempfile::TempDir,
    url: String,
    bank: Arc<QuestionBank>,
    store: Store,
    services: Services,
    clock: Clock,
    poster: FakePoster,
}

impl World {
    async fn new(start: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("quizbot.db").display());
        let bank =
            Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap());
        let store = Store::connect(&url, 4).await.unwrap();
        let clock = Clock::manual(utc(start));
        let services = Services::new(bank.clone(), store.clone(), clock.clone());
        let poster = FakePoster {
            clock: clock.clone(),
            sent: Arc::default(),
            attempts: Arc::default(),
            fail: Arc::default(),
            reminded: Arc::default(),
            remind_fails: Arc::default(),
            threads: Arc::default(),
            recaps: Arc::default(),
            thread_hang: Arc::default(),
            thread_attempts: Arc::default(),
        };
        World { _dir: dir, url, bank, store, services, clock, poster }
    }

    /// A fresh scheduler, as after a restart (new process, new holder id).
    async fn scheduler(&self) -> Scheduler<FakePoster> {
        let store = Store::connect(&self.url, 4).await.unwrap();
        Scheduler::new(Services::new(self.bank.clone(), store, self.clock.clone()), self.poster.clone())
    }

    async fn set(&self, channel: u64, time: &str, zone: &str) {
        self.set_with_thread(channel, time, zone, false).await;
    }

    async fn set_with_thread(&self, channel: u64, time: &str, zone: &str, thread: bool) {
        let (time, zone) = (TimeOfDay::parse(time).unwrap(), parse_zone(zone).unwrap());
        let due = next_post_after(self.clock.now(), time, zone).timestamp();
        let schedule = Schedule { thread, ..Schedule::new(channel, GUILD, time, zone, due) };
        self.store.upsert_schedule(&schedule, self.clock.now_unix()).await.unwrap();
    }

    fn sent(&self) -> Vec<Sent> {
        self.poster.sent.lock().unwrap().clone()
    }

    /// Runs the scheduler as its loop would: tick, jump the clock to the
    /// next due time, until `until`.
    async fn run_until(&self, scheduler: &Scheduler<FakePoster>, until: DateTime<Utc>) {
        for _ in 0..10_000 {
            let next = scheduler.tick().await.unwrap();
            match next {
                // As the loop does, wait at least a second for what stays due.
                Some(t) if t <= until => self.clock.set(t.max(self.clock.now() + Duration::seconds(1))),
                _ => {
                    self.clock.set(until);
                    scheduler.tick().await.unwrap();
                    return;
                }
            }
        }
        panic!("the scheduler made no progress");
    }
}

#[tokio::test]
async fn posts_at_local_nine_across_a_dst_change() {
    let w = World::new("2026-03-07T12:00:00Z").await;
    w.set(10, "09:00", "America/New_York").await;
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-03-09T23:00:00Z")).await;
    let at: Vec<DateTime<Utc>> = w.sent().iter().map(|p| p.at).collect();
    // EST (UTC-5) before the change on 2026-03-08, EDT (UTC-4) from it.
    assert_eq!(at, [utc("2026-03-07T14:00:00Z"), utc("2026-03-08T13:00:00Z"), utc("2026-03-09T13:00:00Z")]);
    let sent = w.sent();
    assert_ne!(sent[0].question, sent[1].question, "no repeat until the pool is used up");
    assert_eq!(sent[0].nonce, daily_nonce(10, NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()));
}

#[tokio::test]
async fn a_restart_just_after_the_post_does_not_post_again() {
    let w = World::new("2026-11-24T07:59:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    let first = w.scheduler().await;
    w.clock.set(utc("2026-11-24T08:00:00Z"));
    first.tick().await.unwrap();
    assert_eq!(w.sent().len(), 1);
    drop(first);
    w.clock.advance(Duration::seconds(5));
    let second = w.scheduler().await;
    second.tick().await.unwrap();
    w.run_until(&second, utc("2026-11-24T22:00:00Z")).await;
    assert_eq!(w.sent().len(), 1);
}

#[tokio::test]
async fn downtime_over_the_post_time_posts_once_on_return_the_same_day() {
    let w = World::new("2026-11-24T07:00:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    // The bot was down from 07:00 to 15:00 UTC (16:00 local).
    w.clock.set(utc("2026-11-24T15:00:00Z"));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-24T22:00:00Z")).await;
    let sent = w.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].at, utc("2026-11-24T15:00:00Z"));
    assert_eq!(sent[0].date, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
}

#[tokio::test]
async fn days_missed_entirely_are_skipped_not_spammed() {
    let w = World::new("2026-11-24T07:00:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    // Back three days later at 07:00 local, before that day's post.
    w.clock.set(utc("2026-11-27T06:00:00Z"));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-27T09:00:00Z")).await;
    let sent = w.sent();
    assert_eq!(sent.len(), 1, "only the day it came back: {sent:?}");
    assert_eq!(sent[0].at, utc("2026-11-27T08:00:00Z"));
}

#[tokio::test]
async fn a_post_interrupted_by_a_crash_is_finished_once_with_the_same_nonce() {
    let w = World::new("2026-11-24T07:59:30Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    // A process claimed today's post and died before posting.
    let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let q = w.bank.questions()[0].id.clone();
    let nonce = daily_nonce(10, date);
    let now = w.clock.now_unix();
    let claimed = w.store.claim_daily(10, date, &q, &nonce, "dead", now, now + 60).await.unwrap();
    assert!(matches!(claimed, ClaimOutcome::Won(_)));
    w.clock.set(utc("2026-11-24T08:00:00Z"));
    let s = w.scheduler().await;
    s.tick().await.unwrap();
    assert!(w.sent().is_empty(), "the lease still protects the claim");
    w.run_until(&s, utc("2026-11-24T20:00:00Z")).await;
    let sent = w.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].question.as_str(), sent[0].nonce.as_str()), (q.as_str(), nonce.as_str()));
    assert_eq!(sent[0].at, utc("2026-11-24T08:00:30Z"), "right when the lease ran out");
}

#[tokio::test]
async fn failing_days_show_and_pause_after_three_while_others_go_on() {
    let w = World::new("2026-11-24T07:00:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    w.set(11, "09:00", "Europe/Berlin").await;
    *w.poster.fail.lock().unwrap() = Some((10, PostError::Permanent("Missing permission: Send Messages".into())));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-24T12:00:00Z")).await;
    let failing = w.store.schedule(10).await.unwrap().unwrap();
    assert_eq!(failing.failure.as_deref(), Some("Missing permission: Send Messages"));
    assert_eq!((failing.failing_days, failing.paused), (1, false));
    w.run_until(&s, utc("2026-11-28T12:00:00Z")).await;
    let paused = w.store.schedule(10).await.unwrap().unwrap();
    assert_eq!((paused.failing_days, paused.paused), (3, true));
    let healthy = w.sent().iter().filter(|p| p.channel == 11).count();
    assert_eq!(healthy, 5, "the other channel posted every day");
    assert!(w.sent().iter().all(|p| p.channel == 11));
}

#[tokio::test]
async fn temporary_failures_are_retried_the_same_day() {
    let w = World::new("2026-11-24T07:59:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    *w.poster.fail.lock().unwrap() = Some((10, PostError::Temporary("502 Bad Gateway".into())));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-24T08:00:30Z")).await;
    assert!(w.sent().is_empty());
    *w.poster.fail.lock().unwrap() = None;
    w.run_until(&s, utc("2026-11-24T09:00:00Z")).await;
    let sent = w.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].at, utc("2026-11-24T08:01:00Z"));
}

/// A post at 23:59 whose retry falls after local midnight is still that
/// day's post: its date, its nonce; the next day's comes at its own time.
#[tokio::test]
async fn a_retry_after_midnight_is_still_the_days_post() {
    let w = World::new("2026-11-24T23:58:00Z").await;
    w.set(10, "23:59", "UTC").await;
    *w.poster.fail.lock().unwrap() = Some((10, PostError::Temporary("502 Bad Gateway".into())));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-24T23:59:30Z")).await;
    assert!(w.sent().is_empty());
    *w.poster.fail.lock().unwrap() = None;
    w.run_until(&s, utc("2026-11-25T23:59:30Z")).await;
    let sent = w.sent();
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!((sent[0].at, sent[0].date), (utc("2026-11-25T00:00:00Z"), day(24)));
    assert_eq!(sent[0].nonce, daily_nonce(10, day(24)));
    assert_eq!((sent[1].at, sent[1].date), (utc("2026-11-25T23:59:00Z"), day(25)));
}

/// Discord may have made a message whose answer was lost (a 502, a reset):
/// the retry sends that very post again — same question, same nonce — so
/// that Discord answers with the message it made, and the channel and the
/// database agree on the day's question.
#[tokio::test]
async fn a_retry_after_a_temporary_failure_sends_the_same_post() {
    let w = World::new("2026-11-24T07:59:00Z").await;
    w.set(10, "09:00", "Europe/Berlin").await;
    let s = w.scheduler().await;
    // Three days (a retry that picked afresh would pick the same question
    // on all three by chance once in 400 runs).
    for day in ["2026-11-24", "2026-11-25", "2026-11-26"] {
        *w.poster.fail.lock().unwrap() = Some((10, PostError::Temporary("502 Bad Gateway".into())));
        w.run_until(&s, utc(&format!("{day}T08:00:30Z"))).await;
        *w.poster.fail.lock().unwrap() = None;
        w.run_until(&s, utc(&format!("{day}T09:00:00Z"))).await;
        // Read by a store of its own, as a restarted bot would: `w.store`
        // kept what it read the day before, and on SQLite a store is told
        // only of the writes made through it (`contexts.rs`), not of the
        // scheduler's store's.
        let reader = Store::connect(&w.url, 1).await.unwrap();
        let posted = reader.rating_context(quizbot::domain::study::Scope::Guild(GUILD), 10).await.unwrap();
        reader.close().await;
        let posted = posted.daily.map(|d| d.question.to_string());
        assert_eq!(posted.as_ref(), w.sent().last().map(|p| &p.question), "the database agrees with the channel");
    }
    let attempts = w.poster.attempts.lock().unwrap().clone();
    for sent in w.sent() {
        let tries: Vec<_> = attempts.iter().filter(|a| a.2 == sent.nonce).collect();
        assert_eq!(tries.len(), 2, "failed once, then posted: {tries:?}");
        assert!(tries.iter().all(|t| t.1 == sent.question), "the retry sent the same question: {tries:?}");
    }
    assert_eq!(w.sent().len(), 3);
}

/// A world whose daily question (channel 10, 09:00 Berlin) was posted on
/// 24 November, and three ratings: on its day, the next local day, and of
/// another question claiming to be the daily one. Returns the posted and
/// the other question's weights.
async fn rate_around_the_daily(w: &World, services: &Services) -> (u64, u64) {
    use quizbot::domain::level::Level;
    use quizbot::domain::score::ScoreRule;
    use quizbot::domain::study::{Rating, Scope, Source};

    w.set(10, "09:00", "Europe/Berlin").await;
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-11-24T08:00:00Z")).await;
    let posted = w.sent()[0].question.clone();
    let question = w.bank.questions().iter().find(|q| q.id.as_str() == posted).unwrap();
    let other = w.bank.questions().iter().find(|q| q.id.as_str() != posted).unwrap();
    let rate = |id: u64, user: u64, q: &quizbot::domain::bank::Question, at: &str| Rating {
        id,
        scope: Scope::Guild(GUILD),
        user_id: user,
        question: q.id.clone(),
        level: Level::Intermediate,
        source: Source::Daily,
        at: utc(at).timestamp(),
    };
    // The same day (local), in the channel: bonus.
    services.rate(&rate(1, 7, question, "2026-11-24T20:00:00Z"), 10, None).await.unwrap();
    // The next local day (00:30 Berlin): no bonus.
    services.rate(&rate(2, 8, question, "2026-11-24T23:30:00Z"), 10, None).await.unwrap();
    // Another question claiming to be the daily one: no bonus.
    services.rate(&rate(3, 9, other, "2026-11-24T20:00:00Z"), 10, None).await.unwrap();
    let weight = |q: &quizbot::domain::bank::Question| u64::from(ScoreRule::STANDARD.weight(q.difficulty));
    (weight(question), weight(other))
}

#[tokio::test]
async fn rating_the_question_of_the_day_on_its_day_earns_the_bonus() {
    use quizbot::domain::score::Period;
    use quizbot::domain::study::BoardRequest;

    let w = World::new("2026-11-24T07:59:00Z").await;
    let (weight, other) = rate_around_the_daily(&w, &w.services).await;
    let now = utc("2026-11-25T00:00:00Z").timestamp();
    let request =
        BoardRequest { guild_id: GUILD, period: Period::All, category: None, now, offset: 0, limit: 10, caller: 0 };
    let board = w.store.board_page(&request).await.unwrap().rows;
    let score = |user: u64| board.iter().find(|r| r.user_id == user).unwrap().score;
    assert_eq!(score(7), weight + 1);
    assert_eq!(score(8), weight);
    assert_eq!(score(9), other);
}

#[tokio::test]
async fn the_leaderboard_follows_the_score_rule() {
    use quizbot::domain::score::{Period, ScoreRule};
    use quizbot::service::leaderboard::BoardQuery;

    let w = World::new("2026-11-24T07:59:00Z").await;
    let rule = ScoreRule { on_time_bonus: 5, ..ScoreRule::STANDARD };
    let services = w.services.clone().with_score_rule(rule);
    let (weight, other) = rate_around_the_daily(&w, &services).await;
    w.clock.set(utc("2026-11-25T00:00:00Z"));
    let query = BoardQuery { guild_id: GUILD, period: Period::All, category: None, page: 0, caller: Some(7) };
    let page = services.leaderboard(&query).await.unwrap();
    let score = |user: u64| page.lines.iter().find(|l| l.row.user_id == user).unwrap().row.score;
    assert_eq!(score(7), weight + 5, "the bonus of the rule in force");
    assert_eq!(score(8), weight);
    assert_eq!(score(9), other);
    assert_eq!(page.lines[0].row.user_id, 7);
    assert!(page.score.formula().contains("+5 for a question of the day"), "{}", page.score.formula());
}

/// A member who studied one question on 2026-03-06 (a Beginner rating,
/// due again within hours) and keeps it due by rating it Beginner each
/// day the test says.
async fn rate_beginner(w: &World, id: u64, user: u64, at: DateTime<Utc>) {
    use quizbot::domain::level::Level;
    use quizbot::domain::study::{Rating, Scope, Source};
    let question = w.bank.questions()[0].id.clone();
    let rating = Rating {
        id,
        scope: Scope::DirectMessages,
        user_id: user,
        question,
        level: Level::Beginner,
        source: Source::Review,
        at: at.timestamp(),
    };
    w.services.rate(&rating, 1, None).await.unwrap();
}

#[tokio::test]
async fn reminders_come_once_a_day_at_local_time_across_a_dst_change_and_only_when_reviews_are_due() {
    let w = World::new("2026-03-06T12:00:00Z").await;
    const MEMBER: u64 = 4_200;
    const IDLE: u64 = 4_300;
    rate_beginner(&w, 1, MEMBER, w.clock.now()).await;
    w.services.set_reminder(MEMBER, "08:30", "America/New_York").await.unwrap();
    // A member with a reminder and nothing studied gets no DM.
    w.services.set_reminder(IDLE, "08:30", "America/New_York").await.unwrap();
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-03-09T23:00:00Z")).await;
    let reminded = w.poster.reminded.lock().unwrap().clone();
    let at: Vec<DateTime<Utc>> = reminded.iter().map(|r| r.1).collect();
    // 08:30 EST (UTC-5) before the change on 2026-03-08, EDT (UTC-4) from it.
    assert_eq!(
        at,
        [
            // The first day too: the rating of 07:00 local is due by evening.
            utc("2026-03-06T13:30:00Z"),
            utc("2026-03-07T13:30:00Z"),
            utc("2026-03-08T12:30:00Z"),
            utc("2026-03-09T12:30:00Z")
        ],
        "{reminded:?}"
    );
    assert!(reminded.iter().all(|r| r.0 == MEMBER && r.2 == 1), "{reminded:?}");
    let nonces: std::collections::HashSet<_> = reminded.iter().map(|r| r.3.clone()).collect();
    assert_eq!(nonces.len(), 4, "one nonce per day");
    // A restart the same day sends nothing more.
    let again = w.scheduler().await;
    w.run_until(&again, utc("2026-03-09T23:30:00Z")).await;
    assert_eq!(w.poster.reminded.lock().unwrap().len(), 4);
    // Reviewed and known (Advanced): nothing due the next morning, no DM.
    {
        use quizbot::domain::level::Level;
        use quizbot::domain::study::{Rating, Scope, Source};
        let question = w.bank.questions()[0].id.clone();
        let rating = Rating {
            id: 2,
            scope: Scope::DirectMessages,
            user_id: MEMBER,
            question,
            level: Level::Advanced,
            source: Source::Review,
            at: w.clock.now_unix(),
        };
        w.services.rate(&rating, 1, None).await.unwrap();
    }
    w.run_until(&again, utc("2026-03-10T23:00:00Z")).await;
    assert_eq!(w.poster.reminded.lock().unwrap().len(), 4, "nothing due, no reminder");
}

#[tokio::test]
async fn a_reminder_retried_past_midnight_keeps_its_day_and_one_retried_too_long_is_given_up() {
    use quizbot::domain::schedule::reminder::reminder_nonce;
    let w = World::new("2026-06-01T12:00:00Z").await;
    const MEMBER: u64 = 4_400;
    rate_beginner(&w, 1, MEMBER, w.clock.now()).await;
    w.services.set_reminder(MEMBER, "23:59", "UTC").await.unwrap();
    // 23:59 on June 1st fails once (Discord unreachable); the retry a
    // minute later, after midnight, is still June 1st's reminder.
    w.poster.remind_fails.lock().unwrap().push(PostError::Temporary("timeout".into()));
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-06-02T12:00:00Z")).await;
    let reminded = w.poster.reminded.lock().unwrap().clone();
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0].1, utc("2026-06-02T00:00:00Z"));
    assert_eq!(reminded[0].3, reminder_nonce(MEMBER, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()));
    // June 2nd's still comes at 23:59; it fails for three minutes, past
    // the nonce window, and is given up rather than risk two DMs.
    rate_beginner(&w, 2, MEMBER, w.clock.now()).await;
    for _ in 0..3 {
        w.poster.remind_fails.lock().unwrap().push(PostError::Temporary("timeout".into()));
    }
    w.run_until(&s, utc("2026-06-03T12:00:00Z")).await;
    let reminded = w.poster.reminded.lock().unwrap().clone();
    assert_eq!(reminded.len(), 1, "June 2nd's was given up: {reminded:?}");
    // June 3rd's is back to normal.
    rate_beginner(&w, 3, MEMBER, w.clock.now()).await;
    w.run_until(&s, utc("2026-06-04T00:30:00Z")).await;
    let reminded = w.poster.reminded.lock().unwrap().clone();
    assert_eq!(reminded.len(), 2, "{reminded:?}");
    assert_eq!(reminded[1].1, utc("2026-06-03T23:59:00Z"));
}

/// A process that dies after the post and before its thread: the next one
/// opens the thread, once, and posts nothing again.
#[tokio::test]
async fn a_thread_is_opened_once_per_post_even_after_a_crash_between_the_two() {
    use std::sync::atomic::Ordering;
    let w = World::new("2026-11-24T07:59:00Z").await;
    w.set_with_thread(10, "09:00", "Europe/Berlin", true).await;
    w.set(11, "09:00", "Europe/Berlin").await;
    w.poster.thread_hang.store(true, Ordering::SeqCst);
    let first = w.scheduler().await;
    w.clock.set(utc("2026-11-24T08:00:00Z"));
    let crashed = tokio::spawn(async move { first.tick().await });
    while w.poster.thread_attempts.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    crashed.abort();
    let _ = crashed.await;
    assert_eq!(w.sent().iter().filter(|p| p.channel == 10).count(), 1, "posted before the crash");
    w.poster.thread_hang.store(false, Ordering::SeqCst);
    w.clock.advance(Duration::seconds(70));
    let second = w.scheduler().await;
    w.run_until(&second, utc("2026-11-24T22:00:00Z")).await;
    let sent: Vec<u64> = w.sent().iter().map(|p| p.channel).collect();
    assert_eq!(sent.iter().filter(|c| **c == 10).count(), 1, "not posted again: {sent:?}");
    let threads = w.poster.threads.lock().unwrap().clone();
    assert_eq!(threads.len(), 1, "one thread, on channel 10's post only: {threads:?}");
    let post = w.sent().into_iter().find(|p| p.channel == 10).unwrap();
    let title = &w.bank.get(&QuestionId::parse(&post.question).unwrap()).unwrap().title;
    assert_eq!(threads[0].1, thread_name(title), "named after the question, cut to Discord's 100 characters");
    // The next day: a post and its thread, once each.
    w.run_until(&second, utc("2026-11-25T22:00:00Z")).await;
    assert_eq!(w.poster.threads.lock().unwrap().len(), 2);
    assert_eq!(w.sent().iter().filter(|p| p.channel == 10).count(), 2);
}

/// The weekly recap: Mondays at 09:00 New York time, before and after the
/// March DST change; an empty first week is a nudge; the second has the
/// expected podium, streak keeper and hardest questions; once, whatever
/// restarts.
#[tokio::test]
async fn the_weekly_recap_comes_on_its_local_weekday_across_dst_once_with_the_weeks_numbers() {
    use quizbot::domain::level::Level;
    use quizbot::domain::study::{Rating, Scope, Source};
    use quizbot::service::daily::ScheduleRequest;
    let w = World::new("2026-03-01T12:00:00Z").await;
    let request = ScheduleRequest {
        guild_id: GUILD,
        channel_id: 10,
        time: "09:00".into(),
        timezone: "America/New_York".into(),
        filter: Filter::default(),
        ping_role: None,
        pick: Default::default(),
        thread: false,
        recap: Some(chrono::Weekday::Mon),
    };
    w.services.set_schedule(&request).await.unwrap();
    // Three 🟢-difficulty questions; the week of Monday 2 March, in New
    // York days (12:00 UTC is 07:00 local).
    let easy: Vec<QuestionId> =
        w.bank.questions().iter().filter(|q| q.difficulty == Level::Beginner).take(3).map(|q| q.id.clone()).collect();
    let day = |n: i64, minute: i64| utc("2026-03-02T12:00:00Z").timestamp() + n * 86_400 + minute * 60;
    let mut id = 100;
    let mut rate = |user: u64, q: usize, level: Level, at: i64| {
        id += 1;
        Rating {
            id,
            scope: Scope::Guild(GUILD),
            user_id: user,
            question: easy[q].clone(),
            level,
            source: Source::Quiz,
            at,
        }
    };
    let mut ratings = Vec::new();
    for n in 0..7 {
        ratings.push(rate(1, 0, Level::Beginner, day(n, 0)));
    }
    for user in 2..=6 {
        ratings.push(rate(user, 1, Level::Advanced, day(1, user as i64)));
    }
    ratings.push(rate(2, 2, Level::Beginner, day(2, 1)));
    ratings.push(rate(3, 2, Level::Intermediate, day(2, 2)));
    for r in &ratings {
        w.services.rate(r, 10, None).await.unwrap();
    }
    let s = w.scheduler().await;
    w.run_until(&s, utc("2026-03-09T23:00:00Z")).await;
    let recaps = w.poster.recaps.lock().unwrap().clone();
    let at: Vec<DateTime<Utc>> = recaps.iter().map(|r| r.at).collect();
    // EST (UTC-5) on 2 March, EDT (UTC-4) on 9 March.
    assert_eq!(at, [utc("2026-03-02T14:00:00Z"), utc("2026-03-09T13:00:00Z")], "{recaps:?}");
    assert_eq!(recaps[0].studied, 0, "the week before the first ratings: a nudge");
    let week = &recaps[1];
    assert_eq!(week.date, NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
    assert_eq!(week.studied, 7 + 5 + 2);
    assert_eq!(week.top, [2, 3, 1, 4, 5], "two questions first; then who got there first");
    assert_eq!(week.keepers, [1], "only member 1 studied every day");
    assert_eq!(week.hardest, [easy[0].clone(), easy[2].clone(), easy[1].clone()]);
    // A restart the same day posts nothing more.
    let again = w.scheduler().await;
    w.run_until(&again, utc("2026-03-10T12:00:00Z")).await;
    assert_eq!(w.poster.recaps.lock().unwrap().len(), 2);
}
