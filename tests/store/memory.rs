//! Members' memories (FSRS) and review settings, on both backends: kept
//! across servers and DMs, rescheduled by retention, forgotten on request,
//! and replayed from the rating history of a database made before them.

use std::path::Path;

use sqlx::Connection;

use crate::backends::TestDb;
use crate::on_both_backends;

use chrono::NaiveDate;
use quizbot::domain::bank::QuestionId;
use quizbot::domain::level::Level;
use quizbot::domain::review::{Memory, Retention, Review};
use quizbot::domain::study::{Rating, Scope, Source, Worth};

const GUILD: u64 = 900_000_000_000_000_001;
const OTHER: u64 = 900_000_000_000_000_002;
const DAY: i64 = 86_400;
const T: i64 = 1_780_000_000;

fn q(n: u32) -> QuestionId {
    QuestionId::derive("bank", &format!("question {n}"))
}

fn worth() -> Worth {
    Worth { weight: 1, bonus: 0, category: "C".into(), day: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() }
}

fn click(id: u64, scope: Scope, user: u64, question: u32, level: Level, at: i64) -> Rating {
    Rating { id, scope, user_id: user, question: q(question), level, source: Source::Review, at }
}

fn replay(reviews: &[(Level, i64)], retention: Retention) -> Memory {
    let reviews: Vec<_> = reviews.iter().map(|&(level, at)| Review { level, at }).collect();
    Memory::replay(&reviews, retention).unwrap()
}

async fn a_memory_is_the_members_across_servers_and_direct_messages(db: TestDb) {
    let store = db.store().await;
    let (a, b, dm) = (Scope::Guild(GUILD), Scope::Guild(OTHER), Scope::DirectMessages);
    store.record_rating(&click(1, a, 7, 1, Level::Beginner, T), &worth(), None).await.unwrap();
    store.record_rating(&click(2, b, 7, 1, Level::Intermediate, T + 2 * DAY), &worth(), None).await.unwrap();
    store.record_rating(&click(3, dm, 7, 1, Level::Advanced, T + 5 * DAY), &worth(), None).await.unwrap();
    // Another member and another question stay apart.
    store.record_rating(&click(4, a, 8, 1, Level::Advanced, T), &worth(), None).await.unwrap();
    store.record_rating(&click(5, a, 7, 2, Level::Beginner, T + 5 * DAY), &worth(), None).await.unwrap();
    let expected = replay(
        &[(Level::Beginner, T), (Level::Intermediate, T + 2 * DAY), (Level::Advanced, T + 5 * DAY)],
        Retention::DEFAULT,
    );
    let memories = store.memories(7).await.unwrap();
    assert_eq!(memories.len(), 2, "{memories:?}");
    let one = memories.iter().find(|(id, _)| *id == q(1)).unwrap().1;
    assert_eq!(one, expected);
    assert_eq!(one.reviews, 3);
    // Soonest due first: the Beginner rating of q2 is due within hours.
    assert_eq!(memories[0].0, q(2));
    assert_eq!(store.memories(8).await.unwrap(), [(q(1), replay(&[(Level::Advanced, T)], Retention::DEFAULT))]);
    assert_eq!(store.servers_studied(7).await.unwrap(), [GUILD, OTHER]);
}

/// One member's clicks on one question in two servers at the same moment.
/// On PostgreSQL they are two transactions at once, each of which reads
/// the member's history before writing the memory: without the memory's
/// row lock (`writes.rs`) each would miss the other's click, and the later
/// commit would leave a memory of one review. On SQLite the writer puts
/// them in one batch. Either way the memory holds both.
async fn clicks_at_once_in_two_servers_both_reach_the_memory(db: TestDb) {
    let store = db.store().await;
    let (a, b) = (Scope::Guild(GUILD), Scope::Guild(OTHER));
    let expected = replay(&[(Level::Beginner, T), (Level::Advanced, T + 2 * DAY)], Retention::DEFAULT);
    assert_eq!(expected.reviews, 2, "two days apart: two reviews, not one");
    for member in 100..120u64 {
        let (first, second) = (
            click(2 * member, a, member, 1, Level::Beginner, T),
            click(2 * member + 1, b, member, 1, Level::Advanced, T + 2 * DAY),
        );
        let worth = worth();
        let (here, there) =
            tokio::join!(store.record_rating(&first, &worth, None), store.record_rating(&second, &worth, None));
        assert_eq!((here.unwrap().studied, there.unwrap().studied), (1, 1), "one question in each server");
        assert_eq!(store.memories(member).await.unwrap(), [(q(1), expected)], "member {member}");
        for scope in [a, b] {
            assert_eq!(store.rating_history(scope, member).await.unwrap().len(), 1, "member {member} in {scope:?}");
        }
    }
}

async fn a_retention_moves_every_due_time_and_the_next_interval(db: TestDb) {
    let store = db.store().await;
    let scope = Scope::Guild(GUILD);
    assert_eq!(store.retention(7).await.unwrap(), Retention::DEFAULT);
    store.record_rating(&click(1, scope, 7, 1, Level::Intermediate, T), &worth(), None).await.unwrap();
    let at_90 = store.memories(7).await.unwrap()[0].1;
    let high = Retention::from_percent(95).unwrap();
    store.set_retention(7, high).await.unwrap();
    assert_eq!(store.retention(7).await.unwrap(), high);
    let at_95 = store.memories(7).await.unwrap()[0].1;
    assert!(at_95.due_at < at_90.due_at, "{at_95:?} {at_90:?}");
    assert_eq!(at_95, at_90.rescheduled(high));
    // The next click is timed by the member's retention too.
    store.record_rating(&click(2, scope, 7, 1, Level::Intermediate, T + 3 * DAY), &worth(), None).await.unwrap();
    let next = store.memories(7).await.unwrap()[0].1;
    assert_eq!(next, replay(&[(Level::Intermediate, T), (Level::Intermediate, T + 3 * DAY)], high));
    let low = Retention::from_percent(70).unwrap();
    assert!(next.due_at < next.rescheduled(low).due_at);
    // Another member keeps the default.
    assert_eq!(store.retention(8).await.unwrap(), Retention::DEFAULT);
}

async fn forgetting_a_server_replays_the_rest_and_forgetting_all_clears_memories(db: TestDb) {
    let store = db.store().await;
    let (a, b) = (Scope::Guild(GUILD), Scope::Guild(OTHER));
    store.record_rating(&click(1, a, 7, 1, Level::Beginner, T), &worth(), None).await.unwrap();
    store.record_rating(&click(2, b, 7, 1, Level::Advanced, T + 3 * DAY), &worth(), None).await.unwrap();
    store.record_rating(&click(3, a, 7, 2, Level::Advanced, T), &worth(), None).await.unwrap();
    store.set_retention(7, Retention::from_percent(80).unwrap()).await.unwrap();
    store.forget_member(Some(a), 7).await.unwrap();
    // q1 now rests on the other server's click alone; q2 is gone.
    let left = store.memories(7).await.unwrap();
    assert_eq!(left, [(q(1), replay(&[(Level::Advanced, T + 3 * DAY)], Retention::from_percent(80).unwrap()))]);
    store.forget_member(None, 7).await.unwrap();
    assert_eq!(store.memories(7).await.unwrap(), []);
    assert_eq!(store.retention(7).await.unwrap(), Retention::DEFAULT, "settings go too");
}

/// A database made by the migrations before memories (0001–0012), holding
/// ratings, is upgraded at start: each member's history of each question
/// is replayed through FSRS, across servers.
async fn a_database_from_before_memories_is_replayed_at_start(db: TestDb) {
    let old = tempfile::tempdir().unwrap();
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&migrations).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0013" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    {
        // A new SQLite file is made only when asked.
        let url = if db.url().starts_with("sqlite:") { format!("{}?mode=rwc", db.url()) } else { db.url().to_string() };
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
        assert_eq!(migrator.iter().count(), 12);
        migrator.run(&mut conn).await.unwrap();
        // Member 7: q1 in two servers, q2 once; member 8: q1 once.
        let events = [
            (1, GUILD, 7, 1, "beginner", T),
            (2, OTHER, 7, 1, "intermediate", T + DAY),
            (3, GUILD, 7, 1, "advanced", T + 4 * DAY),
            (4, GUILD, 7, 2, "intermediate", T),
            (5, GUILD, 8, 1, "advanced", T + DAY),
        ];
        for (id, guild, user, question, level, at) in events {
            sqlx::query(
                "INSERT INTO rating_events (id, guild_id, user_id, question_id, level, source, rated_at)
                 VALUES ($1, $2, $3, $4, $5, 'quiz', $6)",
            )
            .bind(id as i64)
            .bind(guild as i64)
            .bind(user as i64)
            .bind(q(question).as_str().to_string())
            .bind(level)
            .bind(at)
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO ratings (guild_id, user_id, question_id, level, source, first_rated_at, rated_at)
                 VALUES ($1, $2, $3, $4, 'quiz', $5, $5)
                 ON CONFLICT (guild_id, user_id, question_id) DO UPDATE SET level = excluded.level",
            )
            .bind(guild as i64)
            .bind(user as i64)
            .bind(q(question).as_str().to_string())
            .bind(level)
            .bind(at)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = db.store().await;
    let d = Retention::DEFAULT;
    let q1 = replay(&[(Level::Beginner, T), (Level::Intermediate, T + DAY), (Level::Advanced, T + 4 * DAY)], d);
    let q2 = replay(&[(Level::Intermediate, T)], d);
    let mut seven = store.memories(7).await.unwrap();
    seven.sort_by_key(|(id, _)| if *id == q(1) { 1 } else { 2 });
    assert_eq!(seven, [(q(1), q1), (q(2), q2)]);
    assert_eq!(store.memories(8).await.unwrap(), [(q(1), replay(&[(Level::Advanced, T + DAY)], d))]);
    // Once: a second start has nothing left to replay and changes nothing.
    store.close().await;
    let store = db.store().await;
    assert_eq!(store.memories(8).await.unwrap().len(), 1);
    let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM memories_to_replay")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    conn.close().await.unwrap();
}

on_both_backends!(
    a_memory_is_the_members_across_servers_and_direct_messages,
    clicks_at_once_in_two_servers_both_reach_the_memory,
    a_retention_moves_every_due_time_and_the_next_interval,
    forgetting_a_server_replays_the_rest_and_forgetting_all_clears_memories,
    a_database_from_before_memories_is_replayed_at_start,
);
