//! The study features at scale: one server, 10,000 members, 1,000,000
//! ratings over 60 days, on SQLite (release build). Measures what
//! `/leaderboard` (three periods), `/stats` and `/review` cost.
//!
//! `cargo bench --bench study`; on PostgreSQL:
//! `STUDY_BENCH_DATABASE_URL='postgres://…/db?options[search_path]=empty_schema' cargo bench --bench study`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::{
    report, study_now, study_ratings, time, STUDY_GUILD as GUILD, STUDY_MEMBERS as MEMBERS, STUDY_RATINGS as RATINGS,
};

use quizbot::clock::Clock;
use quizbot::domain::level::Level;
use quizbot::domain::score::Period;
use quizbot::domain::study::{Rating, Scope, Source};
use quizbot::service::leaderboard::BoardQuery;
use quizbot::service::Services;
use quizbot::store::Store;

const RUNS: usize = 30;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    // SQLite in a temporary file, or the (empty) database in
    // STUDY_BENCH_DATABASE_URL, e.g. a fresh PostgreSQL schema.
    let dir = tempfile::tempdir()?;
    let url = std::env::var("STUDY_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&url, 4).await?;
    println!("database: {}", url.split(':').next().unwrap_or_default());
    let bank = Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")])?);
    let now = study_now();
    // The services read this clock; the bench moves it as time goes by.
    let clock = Clock::manual(now);
    let quiz = Services::new(bank.clone(), store.clone(), clock.clone());

    let start = Instant::now();
    let batch = study_ratings(&bank, now);
    store.import_ratings(&batch).await?;
    println!("seeded {RATINGS} ratings by {MEMBERS} members in {:.1?}", start.elapsed());

    let member = 1 + MEMBERS / 2;
    let scope = Scope::Guild(GUILD);
    // The first board after the import recomputes every member whose window
    // moved since their last rating: the worst case, once.
    for period in Period::ALL {
        let query = BoardQuery { guild_id: GUILD, period, category: None, page: 0, caller: Some(member) };
        let first = time(1, || quiz.leaderboard(&query)).await?;
        report(&format!("/leaderboard, {}, first view (all stale)", period.label()), &first);
    }
    for period in Period::ALL {
        let query = BoardQuery { guild_id: GUILD, period, category: None, page: 0, caller: Some(member) };
        report(&format!("/leaderboard, {}", period.label()), &time(RUNS, || quiz.leaderboard(&query)).await?);
    }
    // An hour goes by with the upkeep task running once a minute, as in the
    // bot; then boards are viewed.
    let mut minute = 0;
    let upkeep = time(60, || {
        minute += 1;
        store.refresh_stale_boards((now + chrono::Duration::minutes(minute)).timestamp(), 2_000)
    })
    .await?;
    report("board upkeep, once a minute (all servers)", &upkeep);
    let later = now + chrono::Duration::minutes(minute);
    clock.set(later);
    for period in Period::ALL {
        let query = BoardQuery { guild_id: GUILD, period, category: None, page: 0, caller: Some(member) };
        report(
            &format!("/leaderboard, {}, an hour later", period.label()),
            &time(RUNS, || quiz.leaderboard(&query)).await?,
        );
    }
    // Without upkeep, a view pays for whoever went stale since the last one.
    let mut hour = 1;
    let query = BoardQuery { guild_id: GUILD, period: Period::Week, category: None, page: 0, caller: Some(member) };
    let hourly = time(RUNS, || {
        hour += 1;
        clock.set(now + chrono::Duration::hours(hour));
        quiz.leaderboard(&query)
    })
    .await?;
    report("/leaderboard, last 7 days, hourly, no upkeep", &hourly);
    let later = now + chrono::Duration::hours(hour);
    clock.set(later);
    let query = BoardQuery {
        guild_id: GUILD,
        period: Period::All,
        category: Some(bank.questions()[0].category.clone()),
        page: 3,
        caller: Some(member),
    };
    report("/leaderboard, all time, one category, page 4", &time(RUNS, || quiz.leaderboard(&query)).await?);
    report("/stats (a member with ~100 ratings)", &time(RUNS, || quiz.stats(scope, member)).await?);
    report("/stats (the busiest member)", &time(RUNS, || quiz.stats(scope, 1)).await?);
    report("/review (a member with ~100 ratings)", &time(RUNS, || quiz.review(scope, member)).await?);
    report("/review (the busiest member)", &time(RUNS, || quiz.review(scope, 1)).await?);

    // A level click, as the button handler records it (one transaction,
    // fsync'd): a typical member, then the busiest.
    let mut next_id = RATINGS;
    for (who, user) in [("a member with ~100 ratings", member), ("the busiest member", 1)] {
        let clicks = time(RUNS, || {
            next_id += 1;
            let q = &bank.questions()[next_id as usize % bank.len()];
            let rating = Rating {
                id: next_id,
                scope,
                user_id: user,
                question: q.id.clone(),
                level: Level::Intermediate,
                source: Source::Quiz,
                at: later.timestamp(),
            };
            let quiz = quiz.clone();
            async move { quiz.rate(&rating, 1, Some("member")).await.map(|rated| rated.saved) }
        })
        .await?;
        report(&format!("level click, {who}"), &clicks);
    }
    Ok(())
}
