//! Store tests on a real SQLite file with the real migrations.

use quizbot::bank::QuestionId;
use quizbot::level::Level;
use quizbot::store::Store;
use quizbot::study::{Post, Rating, Scope, Source, Standing};

const GUILD: u64 = 900_000_000_000_000_001;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("quizbot.db").display());
    let store = Store::connect(&url, 4).await.unwrap();
    (dir, store)
}

fn q(n: u32) -> QuestionId {
    QuestionId::derive("bank", &format!("question {n}"))
}

fn rating(id: u64, user: u64, question: u32, level: Level, at: i64) -> Rating {
    Rating {
        id,
        scope: Scope::Guild(GUILD),
        user_id: user,
        question: q(question),
        level,
        source: Source::Quiz,
        at,
    }
}

#[tokio::test]
async fn creates_the_file_and_migrates_twice_without_harm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    let first = Store::connect(&url, 2).await.unwrap();
    first
        .record_rating(&rating(1, 7, 1, Level::Beginner, 100))
        .await
        .unwrap();
    first.close().await;
    assert!(path.exists());
    // Reopening applies no migration twice and keeps the data.
    let again = Store::connect(&url, 2).await.unwrap();
    assert_eq!(again.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 1);
}

#[tokio::test]
async fn latest_level_wins_and_counts_never_double() {
    let (_dir, store) = store().await;
    let saved = store
        .record_rating(&rating(1, 7, 1, Level::Beginner, 100))
        .await
        .unwrap();
    assert_eq!(saved.studied, 1);
    let saved = store
        .record_rating(&rating(2, 7, 1, Level::Advanced, 200))
        .await
        .unwrap();
    assert_eq!(saved.studied, 1, "re-rating the same question is not a new question");
    assert_eq!(
        store.latest_level(Scope::Guild(GUILD), 7, &q(1)).await.unwrap(),
        Some(Level::Advanced)
    );
    let saved = store
        .record_rating(&rating(3, 7, 2, Level::Intermediate, 300))
        .await
        .unwrap();
    assert_eq!(saved.studied, 2);
}

#[tokio::test]
async fn a_redelivered_click_is_recorded_once() {
    let (_dir, store) = store().await;
    store
        .record_rating(&rating(10, 7, 1, Level::Beginner, 100))
        .await
        .unwrap();
    store
        .record_rating(&rating(11, 7, 1, Level::Advanced, 200))
        .await
        .unwrap();
    // The first click arrives again: it must not undo the newer level.
    let saved = store
        .record_rating(&rating(10, 7, 1, Level::Beginner, 100))
        .await
        .unwrap();
    assert_eq!(saved.studied, 1);
    assert_eq!(
        store.latest_level(Scope::Guild(GUILD), 7, &q(1)).await.unwrap(),
        Some(Level::Advanced)
    );
    let history = store.rating_history(Scope::Guild(GUILD), 7).await.unwrap();
    assert_eq!(
        history,
        [
            rating(10, 7, 1, Level::Beginner, 100),
            rating(11, 7, 1, Level::Advanced, 200)
        ]
    );
}

#[tokio::test]
async fn servers_and_direct_messages_are_kept_apart() {
    let (_dir, store) = store().await;
    store
        .record_rating(&rating(1, 7, 1, Level::Beginner, 100))
        .await
        .unwrap();
    let dm = Rating {
        scope: Scope::DirectMessages,
        ..rating(2, 7, 2, Level::Beginner, 100)
    };
    let saved = store.record_rating(&dm).await.unwrap();
    assert_eq!(saved.studied, 1);
    assert_eq!(store.studied_count(Scope::Guild(GUILD), 7).await.unwrap(), 1);
    assert_eq!(store.studied_count(Scope::Guild(GUILD + 1), 7).await.unwrap(), 0);
    assert_eq!(store.latest_level(Scope::DirectMessages, 7, &q(1)).await.unwrap(), None);
}

#[tokio::test]
async fn leaderboard_ranks_by_questions_studied_then_who_got_there_first() {
    let (_dir, store) = store().await;
    // user 1: 2 questions, reaching 2 at t=300; user 2: 2 questions at t=250; user 3: 1.
    for (id, user, question, at) in [
        (1, 1, 1, 100),
        (2, 1, 2, 300),
        (3, 2, 1, 150),
        (4, 2, 2, 250),
        (5, 3, 1, 50),
        (6, 2, 2, 900),
    ] {
        store
            .record_rating(&rating(id, user, question, Level::Beginner, at))
            .await
            .unwrap();
    }
    // Another server does not count.
    let elsewhere = Rating {
        scope: Scope::Guild(GUILD + 1),
        ..rating(7, 3, 5, Level::Beginner, 10)
    };
    store.record_rating(&elsewhere).await.unwrap();
    let board = store.leaderboard(GUILD, 10).await.unwrap();
    assert_eq!(
        board,
        [
            Standing { user_id: 2, studied: 2 },
            Standing { user_id: 1, studied: 2 },
            Standing { user_id: 3, studied: 1 }
        ]
    );
    assert_eq!(store.leaderboard(GUILD, 1).await.unwrap().len(), 1);
    assert!(store.leaderboard(GUILD + 2, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn post_counts_per_channel() {
    let (_dir, store) = store().await;
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
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_a_message() {
    let err = Store::connect("mysql://bot:hunter2@localhost/quiz", 1)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("unsupported DATABASE_URL scheme \"mysql\""), "{msg}");
    assert!(!msg.contains("hunter2"), "the password leaked: {msg}");
}
