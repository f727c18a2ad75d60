//! Store tests with the real migrations, on SQLite and on PostgreSQL.

use crate::backends::TestDb;
use crate::on_both_backends;

use chrono::NaiveDate;
use quizbot::domain::bank::QuestionId;
use quizbot::domain::level::Level;
use quizbot::domain::review::{Memory, Retention, Review};
use quizbot::domain::score::Period;
use quizbot::domain::study::{BoardRequest, BoardRow, Post, Rating, Scope, Source, Studied, Worth};
use quizbot::store::Store;
use sqlx::Connection;

const GUILD: u64 = 900_000_000_000_000_001;
const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
const HOUR: i64 = 3_600;

fn q(n: u32) -> QuestionId {
    QuestionId::derive("bank", &format!("question {n}"))
}

fn worth() -> Worth {
    Worth { weight: 1, bonus: 0, category: "C".into(), day: day(0) }
}

/// The study day `n` days after 2026-11-01.
fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + chrono::Days::new(n)
}

/// The whole board for a period as of `now`, as the store pages it.
async fn board(store: &Store, guild: u64, period: Period, category: Option<&str>, now: i64) -> Vec<BoardRow> {
    let mut rows = Vec::new();
    loop {
        let request =
            BoardRequest { guild_id: guild, period, category, now, offset: rows.len() as u64, limit: 2, caller: 0 };
        let page = store.board_page(&request).await.unwrap();
        rows.extend(page.rows);
        if !page.has_next {
            return rows;
        }
    }
}

fn rating(id: u64, user: u64, question: u32, level: Level, at: i64) -> Rating {
    Rating { id, scope: Scope::Guild(GUILD), user_id: user, question: q(question), level, source: Source::Quiz, at }
}

/// The write-ahead log is folded into the database file within seconds
/// (by the store's checkpoint task: SQLite's own is off): a copy of the
/// file alone holds every rating.
#[tokio::test]
async fn sqlite_folds_its_log_into_the_database_file() {
    use sqlx::{ConnectOptions as _, Connection as _};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quizbot.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()), 2).await.unwrap();
    for i in 0..50u32 {
        let click = rating(u64::from(i) + 1, 7, i, Level::Beginner, 100 + i64::from(i));
        store.record_rating(&click, &worth(), None).await.unwrap();
    }
    let copy = dir.path().join("copy.db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // Copied mid-checkpoint, the file may be torn: then try again.
        let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
        std::fs::copy(&path, &copy).unwrap();
        let stored = async {
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(&copy).connect().await.ok()?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rating_events").fetch_one(&mut conn).await.ok()?;
            let _ = conn.close().await;
            Some(n)
        }
        .await;
        if stored == Some(50) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the database file alone holds {stored:?} of 50 ratings");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Under a steady stream of clicks, with members reading beside it, the
/// write-ahead log starts again from its beginning after each checkpoint
/// instead of growing by every click: checkpointed beside the writer, a
/// write came during every checkpoint and the log grew by the whole of
/// each click (tens of MB within seconds).
#[tokio::test]
async fn a_steady_stream_of_clicks_keeps_the_log_small() {
    const CLICKS: u32 = 2_000;
    const MAX_LOG: u64 = 16 << 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quizbot.db");
    let store = std::sync::Arc::new(Store::connect(&format!("sqlite://{}", path.display()), 3).await.unwrap());
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = tokio::spawn({
        let (store, reading) = (store.clone(), reading.clone());
        async move {
            let mut n = 0u32;
            while reading.load(std::sync::atomic::Ordering::Relaxed) {
                store.latest_level(Scope::Guild(GUILD), u64::from(n % 50) + 1, &q(n % 50)).await.unwrap();
                n += 1;
                tokio::task::yield_now().await;
            }
        }
    });
    let wal = dir.path().join("quizbot.db-wal");
    let mut largest = 0;
    for i in 0..CLICKS {
        let click = rating(u64::from(i) + 1, u64::from(i % 500) + 1, i, Level::Beginner, 100 + i64::from(i));
        store.record_rating(&click, &worth(), None).await.unwrap();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    reader.await.unwrap();
    assert!(largest < MAX_LOG, "the log reached {largest} bytes over {CLICKS} clicks");
    assert_eq!(store.summary().await.unwrap().ratings, u64::from(CLICKS));
}

/// One click that cannot be stored (its member's history holds a level
/// this version does not know) fails alone: the clicks queued with it are
/// stored and answered.
#[tokio::test]
async fn a_click_that_fails_does_not_fail_the_clicks_written_with_it() {
    use sqlx::{ConnectOptions as _, Connection as _};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quizbot.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()), 2).await.unwrap();
    let mut raw = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).connect().await.unwrap();
    sqlx::query(
        "INSERT INTO rating_events (id, guild_id, user_id, question_id, level, source, rated_at, points, category)
         VALUES (1, $1, 7, $2, 'expert', 'quiz', 50, 1, 'C')",
    )
    .bind(GUILD as i64)
    .bind(q(1).as_str())
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();

    // Past the one-review window, so the click adds to the corrupt history.
    let bad = rating(2, 7, 1, Level::Beginner, 50 + HOUR);
    let good: Vec<Rating> = (0..20).map(|i| rating(10 + i, 100 + i, 1, Level::Advanced, 100)).collect();
    let tasks: Vec<_> = std::iter::once(bad)
        .chain(good)
        .map(|click| {
            let store = store.clone();
            tokio::spawn(async move { (click.user_id, store.record_rating(&click, &worth(), None).await) })
        })
        .collect();
    for task in tasks {
        let (user, saved) = task.await.unwrap();
        match user {
            7 => assert!(
                matches!(saved, Err(quizbot::store::StoreError::Corrupt(_))),
                "the bad click reports its own error: {saved:?}"
            ),
            _ => assert_eq!(saved.unwrap().studied, 1),
        }
    }
    for i in 0..20 {
        assert_eq!(store.studied_count(Scope::Guild(GUILD), 100 + i).await.unwrap(), 1);
    }
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 0, "nothing of the bad click stayed");
}

#[tokio::test]
async fn creates_the_file_and_migrates_twice_without_harm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    let first = Store::connect(&url, 2).await.unwrap();
    first.record_rating(&rating(1, 7, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    first.close().await;
    assert!(path.exists());
    // Reopening applies no migration twice and keeps the data.
    let again = Store::connect(&url, 2).await.unwrap();
    assert_eq!(again.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 1);
}

async fn latest_level_wins_and_counts_never_double(db: TestDb) {
    let store = db.store().await;
    let saved = store.record_rating(&rating(1, 7, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    assert_eq!(saved.studied, 1);
    let saved = store.record_rating(&rating(2, 7, 1, Level::Advanced, 200), &worth(), None).await.unwrap();
    assert_eq!(saved.studied, 1, "re-rating the same question is not a new question");
    assert_eq!(store.latest_level(Scope::Guild(GUILD), 7, &q(1)).await.unwrap(), Some(Level::Advanced));
    let saved = store.record_rating(&rating(3, 7, 2, Level::Intermediate, 300), &worth(), None).await.unwrap();
    assert_eq!(saved.studied, 2);
}

async fn a_redelivered_click_is_recorded_once(db: TestDb) {
    let store = db.store().await;
    store.record_rating(&rating(10, 7, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    store.record_rating(&rating(11, 7, 1, Level::Advanced, 100 + HOUR), &worth(), None).await.unwrap();
    // The first click arrives again: it must not undo the newer level.
    let saved = store.record_rating(&rating(10, 7, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    assert_eq!(saved.studied, 1);
    assert_eq!(store.latest_level(Scope::Guild(GUILD), 7, &q(1)).await.unwrap(), Some(Level::Advanced));
    let history = store.rating_history(Scope::Guild(GUILD), 7).await.unwrap();
    assert_eq!(history, [rating(10, 7, 1, Level::Beginner, 100), rating(11, 7, 1, Level::Advanced, 100 + HOUR)]);
}

/// Clicking again and again (a change of mind, or a script) within the
/// one-review window replaces the last click: the history, the study days
/// and the review interval do not grow with the clicks.
async fn repeated_clicks_are_one_review(db: TestDb) {
    let store = db.store().await;
    for i in 0..100 {
        let level = if i % 2 == 0 { Level::Advanced } else { Level::Beginner };
        store.record_rating(&rating(100 + i, 7, 1, level, 1_000 + i as i64), &worth(), None).await.unwrap();
    }
    let history = store.rating_history(Scope::Guild(GUILD), 7).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].level, Level::Beginner, "the last click's level");
    assert_eq!(store.latest_level(Scope::Guild(GUILD), 7, &q(1)).await.unwrap(), Some(Level::Beginner));
    assert_eq!(store.study_days(Scope::Guild(GUILD), 7).await.unwrap(), [(day(0), 1)]);
    let memories = store.memories(7).await.unwrap();
    let once = Memory::replay(&[Review { level: Level::Beginner, at: 1_099 }], Retention::DEFAULT).unwrap();
    assert_eq!(memories, [(q(1), once)], "one Beginner review, not 100");
    // An hour after the last click, a click is a new review.
    store.record_rating(&rating(500, 7, 1, Level::Beginner, 1_099 + HOUR), &worth(), None).await.unwrap();
    assert_eq!(store.rating_history(Scope::Guild(GUILD), 7).await.unwrap().len(), 2);
}

async fn servers_and_direct_messages_are_kept_apart(db: TestDb) {
    let store = db.store().await;
    store.record_rating(&rating(1, 7, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    let dm = Rating { scope: Scope::DirectMessages, ..rating(2, 7, 2, Level::Beginner, 100) };
    let saved = store.record_rating(&dm, &worth(), None).await.unwrap();
    assert_eq!(saved.studied, 1);
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 1);
    assert_eq!(store.studied_count(Scope::Guild(GUILD + 1), 7).await.unwrap(), 0);
    assert_eq!(store.latest_level(Scope::DirectMessages, 7, &q(1)).await.unwrap(), None);
}

async fn leaderboard_ranks_by_questions_studied_then_who_got_there_first(db: TestDb) {
    let store = db.store().await;
    // user 1: 2 questions, reaching 2 at t=300; user 2: 2 questions at t=250; user 3: 1.
    for (id, user, question, at) in
        [(1, 1, 1, 100), (2, 1, 2, 300), (3, 2, 1, 150), (4, 2, 2, 250), (5, 3, 1, 50), (6, 2, 2, 900)]
    {
        store.record_rating(&rating(id, user, question, Level::Beginner, at), &worth(), None).await.unwrap();
    }
    // Another server does not count.
    let elsewhere = Rating { scope: Scope::Guild(GUILD + 1), ..rating(7, 3, 5, Level::Beginner, 10) };
    store.record_rating(&elsewhere, &worth(), None).await.unwrap();
    let board = board(&store, GUILD, Period::All, None, 1_000).await;
    let line = |user_id, n, reached| BoardRow { user_id, score: n, studied: n, reached };
    assert_eq!(board, [line(2, 2, 250), line(1, 2, 300), line(3, 1, 50)]);
    // The caller's rank comes with any page.
    let request = BoardRequest {
        guild_id: GUILD,
        period: Period::All,
        category: None,
        now: 1_000,
        offset: 0,
        limit: 1,
        caller: 3,
    };
    let page = store.board_page(&request).await.unwrap();
    assert_eq!((page.rows.len(), page.has_next), (1, true));
    assert_eq!(page.me, Some((3, line(3, 1, 50))));
    let empty = store.board_page(&BoardRequest { guild_id: GUILD + 2, ..request }).await.unwrap();
    assert_eq!(empty, Default::default());
}

async fn post_counts_per_channel(db: TestDb) {
    let store = db.store().await;
    let post = |id: u64, channel: u64, n: u32| Post {
        id,
        scope: Scope::Guild(GUILD),
        channel_id: channel,
        question: q(n),
        source: Source::Quiz,
        at: 1,
    };
    for p in [post(1, 10, 1), post(2, 10, 1), post(3, 10, 2), post(4, 11, 3)] {
        store.record_post(&p).await.unwrap();
    }
    store.record_post(&post(1, 10, 1)).await.unwrap(); // the same post again
    let counts = store.post_counts(10).await.unwrap();
    assert_eq!(counts.get(&q(1)), Some(&2));
    assert_eq!(counts.get(&q(2)), Some(&1));
    assert_eq!(counts.get(&q(3)), None);
    // Once read, the channel's counts follow the posts recorded after (on
    // SQLite from memory, not read again).
    store.record_post(&post(5, 10, 2)).await.unwrap();
    store.record_post_later(&post(6, 10, 3));
    let counts = store.post_counts(10).await.unwrap();
    assert_eq!((counts.get(&q(1)), counts.get(&q(2))), (Some(&2), Some(&2)), "{counts:?}");
    // Twice at worst, if its commit lands between the two reads of
    // PostgreSQL's `post_counts`.
    assert!(counts.get(&q(3)).is_some_and(|c| (1..=2).contains(c)), "{counts:?}");
    assert_eq!(store.post_counts(11).await.unwrap().get(&q(3)), Some(&1));
    // The record still on its way holds its transaction open: dropping the
    // test's schema would wait for it while blocking the task that
    // finishes it.
    store.close().await;
}

/// `/quiz` does not wait for its post's record, yet the channel's next
/// `/quiz` already counts it, and closing the store writes it: once.
async fn a_post_recorded_later_counts_at_once_and_is_written_once(db: TestDb) {
    let store = db.store().await;
    let post = Post { id: 1, scope: Scope::Guild(GUILD), channel_id: 10, question: q(1), source: Source::Quiz, at: 1 };
    store.record_post_later(&post);
    store.record_post_later(&Post { id: 2, question: q(2), ..post.clone() });
    // Counted at once; twice at worst, if its commit lands between the
    // two reads of `post_counts` (never missed).
    let counts = store.post_counts(10).await.unwrap();
    for n in [1, 2] {
        assert!(counts.get(&q(n)).is_some_and(|c| (1..=2).contains(c)), "{counts:?}");
    }
    store.close().await;
    let store = db.store().await;
    let counts = store.post_counts(10).await.unwrap();
    assert_eq!((counts.get(&q(1)), counts.get(&q(2))), (Some(&1), Some(&1)), "on disk, once: {counts:?}");
}

/// A `/quiz` post record nobody waits for still reaches the disk by
/// itself, without a later write or a close to take it along (the writer
/// holds such records back for company, `writer.rs`).
async fn a_post_recorded_later_reaches_the_disk_by_itself(db: TestDb) {
    let store = db.store().await;
    let post = Post { id: 1, scope: Scope::Guild(GUILD), channel_id: 10, question: q(1), source: Source::Quiz, at: 1 };
    store.record_post_later(&post);
    // Another connection sees only what is on disk.
    let mut other = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    let on_disk = "SELECT CAST(COUNT(*) AS BIGINT) FROM posts WHERE channel_id = 10";
    let mut waited = std::time::Duration::ZERO;
    while sqlx::query_scalar::<_, i64>(on_disk).fetch_one(&mut other).await.unwrap() == 0 {
        assert!(waited < std::time::Duration::from_secs(10), "the post record never reached the disk");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += std::time::Duration::from_millis(20);
    }
}

/// An import and a level click run the same statements on one connection
/// (PostgreSQL keeps each prepared statement's parameters from its first
/// use): each works after the other.
async fn imports_and_clicks_share_a_connection(db: TestDb) {
    let store = Store::connect(db.url(), 1).await.unwrap();
    let t = 1_700_000_000;
    store.import_ratings(&[(rating(1, 7, 1, Level::Beginner, t), worth())]).await.unwrap();
    store.record_rating(&rating(2, 7, 1, Level::Advanced, t + 10), &worth(), None).await.unwrap();
    store.record_rating(&rating(3, 7, 2, Level::Advanced, t + 20), &worth(), None).await.unwrap();
    store.import_ratings(&[(rating(4, 7, 2, Level::Beginner, t + 30), worth())]).await.unwrap();
    let history = store.rating_history(Scope::Guild(GUILD), 7).await.unwrap();
    let levels: Vec<(u64, Level)> = history.iter().map(|r| (r.id, r.level)).collect();
    assert_eq!(levels, [(1, Level::Advanced), (3, Level::Beginner)], "each merged into the click before it");
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 2);
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_a_message() {
    let err = Store::connect("mysql://bot:hunter2@localhost/quiz", 1).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("unsupported DATABASE_URL scheme \"mysql\""), "{msg}");
    assert!(!msg.contains("hunter2"), "the password leaked: {msg}");
}

/// Records a rating of a question of `weight` in `category`, as the
/// question of the day on its day if `on_time`.
#[allow(clippy::too_many_arguments)]
async fn rate(store: &Store, id: u64, user: u64, question: u32, at: i64, weight: u32, on_time: bool, category: &str) {
    let worth = Worth { weight, bonus: u32::from(on_time), category: category.into(), day: day(0) };
    store.record_rating(&rating(id, user, question, Level::Beginner, at), &worth, None).await.unwrap();
}

async fn board_scores_distinct_questions_with_their_bonus_in_the_period(db: TestDb) {
    let store = db.store().await;
    // Questions: 1 (weight 1, "A"), 2 (3, "B"), 3 (3, "B"), 4 (2, "A").
    // user 1: q1, then q1 again as the on-time daily (+1), q2 → 1+1+3 = 5.
    rate(&store, 1, 1, 1, 100, 1, false, "A").await;
    rate(&store, 2, 1, 1, 110, 1, true, "A").await;
    rate(&store, 3, 1, 2, 120, 3, false, "B").await;
    // user 2: q1 on time at 90, q3 at 130 → 5 all time, reached at 130.
    rate(&store, 4, 2, 1, 90, 1, true, "A").await;
    rate(&store, 5, 2, 3, 130, 3, false, "B").await;
    // user 3: q1 and q4, long ago.
    rate(&store, 6, 3, 1, 50, 1, false, "A").await;
    rate(&store, 7, 3, 4, 60, 2, false, "A").await;

    let line = |user_id, score, studied, reached| BoardRow { user_id, score, studied, reached };
    let all = board(&store, GUILD, Period::All, None, 1_000).await;
    assert_eq!(all, [line(1, 5, 2, 120), line(2, 5, 2, 130), line(3, 3, 2, 60)], "a tie goes to who got there first");

    // The last 7 days as of t=100 + 7 days: user 2's q1 (and its bonus) is
    // before the period.
    let recent = board(&store, GUILD, Period::Week, None, 100 + WEEK).await;
    assert_eq!(recent, [line(1, 5, 2, 120), line(2, 3, 1, 130)]);

    // One category only.
    let a = board(&store, GUILD, Period::All, Some("A"), 1_000).await;
    assert_eq!(a, [line(3, 3, 2, 60), line(2, 2, 1, 90), line(1, 2, 1, 100)]);
    assert!(board(&store, GUILD + 1, Period::All, None, 1_000).await.is_empty());
}

async fn a_click_delivered_late_does_not_undo_newer_state(db: TestDb) {
    let store = db.store().await;
    rate(&store, 2, 1, 1, 200, 1, false, "A").await;
    // An older, on-time click arrives after the newer one.
    let late = Rating { level: Level::Advanced, ..rating(1, 1, 1, Level::Advanced, 100) };
    store.record_rating(&late, &Worth { weight: 1, bonus: 1, category: "A".into(), day: day(0) }, None).await.unwrap();
    assert_eq!(store.latest_level(Scope::Guild(GUILD), 1, &q(1)).await.unwrap(), Some(Level::Beginner));
    let board = board(&store, GUILD, Period::All, None, 1_000).await;
    assert_eq!(board, [BoardRow { user_id: 1, score: 2, studied: 1, reached: 100 }], "its bonus and first time count");
}

async fn forgetting_a_member_removes_their_rows_in_one_scope_or_everywhere(db: TestDb) {
    let store = db.store().await;
    rate(&store, 1, 7, 1, 100, 1, false, "A").await;
    rate(&store, 2, 7, 1, 100 + HOUR, 1, false, "A").await;
    rate(&store, 3, 8, 1, 100, 1, false, "A").await;
    let dm = Rating { scope: Scope::DirectMessages, ..rating(4, 7, 2, Level::Beginner, 100) };
    store.record_rating(&dm, &worth(), None).await.unwrap();

    // Two events and one latest level in the server.
    assert_eq!(store.forget_member(Some(Scope::Guild(GUILD)), 7).await.unwrap(), 3);
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 0);
    assert_eq!(store.studied_count(Scope::DirectMessages, 7).await.unwrap(), 1, "DMs are another scope");
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 8).await.unwrap(), 1, "others keep theirs");
    assert_eq!(store.forget_member(None, 7).await.unwrap(), 2);
    assert!(store.rating_history(Scope::DirectMessages, 7).await.unwrap().is_empty());
    assert_eq!(board(&store, GUILD, Period::All, None, 1_000).await.len(), 1, "only member 8 is left on the board");
    assert!(store.study_days(Scope::Guild(GUILD), 7).await.unwrap().is_empty());
}

/// `/forget-me` racing the same member's clicks: on PostgreSQL each
/// transaction locks the member in one order, so neither deadlocks (an
/// aborted transaction would be an error here), and afterwards the
/// member's figures agree with what is left of their ratings.
async fn forgetting_while_clicking_never_deadlocks(db: TestDb) {
    let store = db.store().await;
    for round in 0..40u64 {
        let clicks: Vec<_> = (0..6u64)
            .map(|i| {
                let store = store.clone();
                let click = rating(
                    10_000 + round * 10 + i,
                    7,
                    (i % 3) as u32 + 1,
                    Level::Beginner,
                    1_000 + (round * 10 + i) as i64 * HOUR,
                );
                tokio::spawn(async move { store.record_rating(&click, &worth(), Some("seven")).await.map(|_| ()) })
            })
            .collect();
        let forget = {
            let store = store.clone();
            let scope = if round % 2 == 0 { Some(Scope::Guild(GUILD)) } else { None };
            tokio::spawn(async move { store.forget_member(scope, 7).await.map(|_| ()) })
        };
        for task in clicks.into_iter().chain([forget]) {
            task.await.unwrap().unwrap();
        }
        let studied = store.studied_count(Scope::Guild(GUILD), 7).await.unwrap();
        let on_board = board(&store, GUILD, Period::All, None, i64::MAX / 8)
            .await
            .iter()
            .filter(|r| r.user_id == 7)
            .map(|r| r.studied)
            .sum::<u64>();
        assert_eq!(on_board, studied, "round {round}: the board agrees with the ratings left");
    }
}

async fn names_are_kept_per_server_and_the_newest_wins(db: TestDb) {
    let store = db.store().await;
    store.record_rating(&rating(1, 7, 1, Level::Beginner, 100), &worth(), Some("Ada")).await.unwrap();
    store.record_rating(&rating(2, 7, 2, Level::Beginner, 300), &worth(), Some("Ada L.")).await.unwrap();
    // A click from before the rename, delivered late, does not undo it.
    store.record_rating(&rating(3, 7, 3, Level::Beginner, 200), &worth(), Some("Ada")).await.unwrap();
    store.record_rating(&rating(4, 8, 1, Level::Beginner, 100), &worth(), None).await.unwrap();
    let elsewhere = Rating { scope: Scope::Guild(GUILD + 1), ..rating(5, 8, 1, Level::Beginner, 100) };
    store.record_rating(&elsewhere, &worth(), Some("Bo")).await.unwrap();
    let names = store.member_names(GUILD, &[7, 8, 9]).await.unwrap();
    assert_eq!(names.get(&7).map(String::as_str), Some("Ada L."));
    assert_eq!(names.get(&8), None, "a name from another server is not this server's");
    store.forget_member(Some(Scope::Guild(GUILD)), 7).await.unwrap();
    assert!(store.member_names(GUILD, &[7]).await.unwrap().is_empty());
}

async fn rolling_periods_drop_what_leaves_the_window(db: TestDb) {
    let store = db.store().await;
    let t = 1_700_000_000;
    rate(&store, 1, 1, 1, t, 3, false, "A").await; // member 1: q1 (3) at t
    rate(&store, 2, 1, 2, t + 3 * DAY, 1, false, "A").await; // and q2 (1) 3 days later
    rate(&store, 3, 2, 1, t + DAY, 2, true, "B").await; // member 2: q1 (2 + bonus) on day 1
    let line = |user_id, score, studied, reached| BoardRow { user_id, score, studied, reached };
    let week = |now| {
        let store = store.clone();
        async move { board(&store, GUILD, Period::Week, None, now).await }
    };
    assert_eq!(week(t + 3 * DAY).await, [line(1, 4, 2, t + 3 * DAY), line(2, 3, 1, t + DAY)]);
    // Exactly 7 days after q1 it still counts; a second later it does not.
    assert_eq!(week(t + WEEK).await, [line(1, 4, 2, t + 3 * DAY), line(2, 3, 1, t + DAY)]);
    // The upkeep task recomputes member 1 (only their week moved), once.
    assert_eq!(store.refresh_stale_boards(t + WEEK + 1, 100).await.unwrap(), 1);
    assert_eq!(store.refresh_stale_boards(t + WEEK + 1, 100).await.unwrap(), 0);
    assert_eq!(week(t + WEEK + 1).await, [line(2, 3, 1, t + DAY), line(1, 1, 1, t + 3 * DAY)]);
    assert_eq!(week(t + 8 * DAY + 1).await, [line(1, 1, 1, t + 3 * DAY)], "member 2 and the bonus left");
    assert!(week(t + 10 * DAY + 1).await.is_empty());
    // The month and all time keep everything; re-rating brings q1 back.
    assert_eq!(board(&store, GUILD, Period::Month, None, t + 10 * DAY).await.len(), 2);
    rate(&store, 4, 1, 1, t + 11 * DAY, 3, false, "A").await;
    assert_eq!(week(t + 11 * DAY).await, [line(1, 3, 1, t)]);
    let all = board(&store, GUILD, Period::All, None, t + 11 * DAY).await;
    assert_eq!(all, [line(1, 4, 2, t + 3 * DAY), line(2, 3, 1, t + DAY)]);
}

async fn a_bonus_leaves_the_window_before_its_question(db: TestDb) {
    let store = db.store().await;
    let t = 1_700_000_000;
    let line = |score, reached| vec![BoardRow { user_id: 1, score, studied: 1, reached }];
    rate(&store, 1, 1, 1, t, 2, true, "A").await; // the daily question, on time: 2 + 1
    rate(&store, 2, 1, 1, t + 3 * DAY, 2, false, "A").await; // re-rated later, no bonus
    assert_eq!(board(&store, GUILD, Period::Week, None, t + WEEK).await, line(3, t));
    assert_eq!(board(&store, GUILD, Period::Week, None, t + WEEK + 1).await, line(2, t), "the bonus left, not q1");
    assert_eq!(board(&store, GUILD, Period::Week, Some("A"), t + WEEK + 1).await, line(2, t));
    assert_eq!(board(&store, GUILD, Period::All, None, t + WEEK + 1).await, line(3, t));
    // A rating without a category (stored before categories were) counts
    // on the all-categories board only.
    rate(&store, 3, 2, 2, t + 4 * DAY, 1, false, "").await;
    let all = board(&store, GUILD, Period::Week, None, t + WEEK + 1).await;
    assert_eq!(all.iter().map(|r| (r.user_id, r.score)).collect::<Vec<_>>(), [(1, 2), (2, 1)]);
    assert_eq!(board(&store, GUILD, Period::Week, Some("A"), t + WEEK + 1).await.len(), 1);
}

async fn a_click_moves_a_question_that_changed_category_between_boards(db: TestDb) {
    let store = db.store().await;
    let t = 1_700_000_000;
    let line = |studied, score| vec![BoardRow { user_id: 1, score, studied, reached: t + 10 }];
    rate(&store, 1, 1, 1, t, 1, false, "A").await;
    rate(&store, 2, 1, 2, t + 10, 1, false, "B").await;
    rate(&store, 3, 2, 1, t + 20, 1, false, "A").await;
    // A click in "B" leaves member 1's "A" rows as they were.
    assert_eq!(board(&store, GUILD, Period::Week, Some("A"), t + 30).await.len(), 2);
    assert_eq!(board(&store, GUILD, Period::Week, Some("B"), t + 30).await, line(1, 1));
    // The bank moved q1 to "B" (and made it worth 2): member 1's next click
    // on it takes it out of their "A" rows and into their "B" ones.
    rate(&store, 4, 1, 1, t + 2 * HOUR, 2, false, "B").await;
    let a = board(&store, GUILD, Period::Week, Some("A"), t + 3 * HOUR).await;
    assert_eq!(a.iter().map(|r| r.user_id).collect::<Vec<_>>(), [2], "member 1 has nothing left in A");
    assert_eq!(board(&store, GUILD, Period::All, Some("A"), t + 3 * HOUR).await.len(), 1);
    assert_eq!(board(&store, GUILD, Period::Week, Some("B"), t + 3 * HOUR).await, line(2, 3));
    let all = board(&store, GUILD, Period::All, None, t + 3 * HOUR).await;
    assert_eq!(all.first(), Some(&BoardRow { user_id: 1, score: 3, studied: 2, reached: t + 10 }));
}

async fn figures_missing_after_an_upgrade_are_computed(db: TestDb) {
    use sqlx::Connection;
    let store = db.store().await;
    let t = 1_700_000_000;
    rate(&store, 1, 1, 1, t, 3, false, "A").await;
    rate(&store, 2, 2, 2, t + 10, 1, false, "B").await;
    let memories = store.memories(1).await.unwrap();
    assert_eq!(memories.len(), 1);
    let expected = board(&store, GUILD, Period::All, None, t + DAY).await;
    store.close().await;
    // What migrations 0005 and 0013 leave for ratings made before them:
    // all-time rows waiting to be computed, and histories queued for replay.
    let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    for sql in [
        "DELETE FROM memories",
        "INSERT INTO memories_to_replay (user_id, question_id) SELECT DISTINCT user_id, question_id FROM rating_events",
        "UPDATE board_totals SET score = 0, studied = 0, reached = 0, valid_until = 0",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let store = db.store().await;
    assert_eq!(store.memories(1).await.unwrap(), memories, "memories are replayed at start");
    assert_eq!(store.refresh_stale_boards(t + DAY, 100).await.unwrap(), 2 * 3, "two members, three periods");
    assert_eq!(board(&store, GUILD, Period::All, None, t + DAY).await, expected);
}

async fn review_due_times_and_study_days_follow_every_click(db: TestDb) {
    let store = db.store().await;
    let scope = Scope::Guild(GUILD);
    let t = 1_700_000_000;
    let click = |id, question, level, at, day_n| {
        let store = store.clone();
        async move {
            let worth = Worth { day: day(day_n), ..worth() };
            store.record_rating(&rating(id, 7, question, level, at), &worth, None).await.unwrap();
        }
    };
    click(1, 1, Level::Advanced, t, 0).await;
    click(2, 2, Level::Beginner, t + 10, 0).await;
    click(3, 1, Level::Advanced, t + DAY, 1).await;
    // A click on q2 from just before the first one arrives late: one review
    // with the later click's level.
    click(4, 2, Level::Intermediate, t - 5, 0).await;
    let review = |level, at| Review { level, at };
    let q1 = Memory::replay(&[review(Level::Advanced, t), review(Level::Advanced, t + DAY)], Retention::DEFAULT);
    let q2 = Memory::replay(&[review(Level::Beginner, t + 10), review(Level::Intermediate, t - 5)], Retention::DEFAULT);
    let (q1, q2) = (q1.unwrap(), q2.unwrap());
    assert_eq!(q2.last_level, Level::Beginner, "within the hour, the later click's level");
    assert_eq!(store.memories(7).await.unwrap(), [(q(2), q2), (q(1), q1)], "soonest due first");
    assert_eq!(
        store.studied(scope, 7).await.unwrap(),
        [Studied { question: q(1), level: Level::Advanced }, Studied { question: q(2), level: Level::Beginner }]
    );
    assert_eq!(store.study_days(scope, 7).await.unwrap(), [(day(0), 3), (day(1), 1)]);
    let days = store.study_days_of(GUILD, &[7, 8]).await.unwrap();
    assert_eq!(days.get(&7), Some(&vec![day(0), day(1)]));
    assert_eq!(days.get(&8), None);
}

/// A burst of clicks at once (on SQLite they share transactions): every
/// one is stored once, a redelivered one changes nothing, and every caller
/// hears back.
async fn a_burst_of_clicks_is_stored_whole(db: TestDb) {
    let store = db.store().await;
    let mut clicks = Vec::new();
    for member in 0..100u64 {
        for question in 0..3u32 {
            let id = 10_000 + member * 10 + u64::from(question);
            clicks.push(rating(id, 500 + member, question, Level::Intermediate, 1_000 + i64::from(question)));
        }
    }
    // Every tenth click is delivered twice.
    let again: Vec<Rating> = clicks.iter().step_by(10).cloned().collect();
    let tasks: Vec<_> = clicks
        .into_iter()
        .chain(again)
        .map(|click| {
            let store = store.clone();
            tokio::spawn(async move { store.record_rating(&click, &worth(), Some("member")).await })
        })
        .collect();
    for task in tasks {
        let saved = task.await.unwrap().unwrap();
        assert!((1..=3).contains(&saved.studied), "{saved:?}");
    }
    for member in 0..100u64 {
        assert_eq!(store.studied_count(Scope::Guild(GUILD), 500 + member).await.unwrap(), 3);
        assert_eq!(store.rating_history(Scope::Guild(GUILD), 500 + member).await.unwrap().len(), 3);
    }
    let rows = board(&store, GUILD, Period::All, None, 2_000).await;
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().all(|r| r.studied == 3), "{rows:?}");
}

on_both_backends!(
    a_burst_of_clicks_is_stored_whole,
    latest_level_wins_and_counts_never_double,
    a_redelivered_click_is_recorded_once,
    repeated_clicks_are_one_review,
    forgetting_while_clicking_never_deadlocks,
    servers_and_direct_messages_are_kept_apart,
    leaderboard_ranks_by_questions_studied_then_who_got_there_first,
    post_counts_per_channel,
    a_post_recorded_later_counts_at_once_and_is_written_once,
    a_post_recorded_later_reaches_the_disk_by_itself,
    imports_and_clicks_share_a_connection,
    board_scores_distinct_questions_with_their_bonus_in_the_period,
    a_click_delivered_late_does_not_undo_newer_state,
    forgetting_a_member_removes_their_rows_in_one_scope_or_everywhere,
    rolling_periods_drop_what_leaves_the_window,
    names_are_kept_per_server_and_the_newest_wins,
    a_bonus_leaves_the_window_before_its_question,
    a_click_moves_a_question_that_changed_category_between_boards,
    figures_missing_after_an_upgrade_are_computed,
    review_due_times_and_study_days_follow_every_click,
);
