//! What the benchmarks share: timing helpers for the custom-harness benches
//! (`study`, `scheduler`), and the seed data of all three, so that `micro`
//! measures the same 1,000,000 ratings and 100,000 schedules as they do.

// Each bench includes this module and uses a different part of it.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quizbot::domain::bank::QuestionBank;
use quizbot::domain::level::Level;
use quizbot::domain::schedule::time::{next_post_after, parse_zone, TimeOfDay};
use quizbot::domain::schedule::Schedule;
use quizbot::domain::score::ScoreRule;
use quizbot::domain::study::{Rating, Scope, Source, Worth};
use rand::{Rng, SeedableRng};

/// Runs `f` `runs` times; the durations, fastest first.
pub async fn time<F, Fut, T, E>(runs: usize, mut f: F) -> Result<Vec<Duration>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f().await?);
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(samples)
}

/// One line: name, p50, p95, p99 and max.
pub fn report(name: &str, samples: &[Duration]) {
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name:<50} p50 {:>9.1?}  p95 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
}

/// The one server of the study data.
pub const STUDY_GUILD: u64 = 900_000_000_000_000_001;
/// Members rating in it; member ids run from 1 (the busiest) up.
pub const STUDY_MEMBERS: u64 = 10_000;
/// Ratings in the study data, ids 1 to this.
pub const STUDY_RATINGS: u64 = 1_000_000;

/// "Now" for the study data: ratings fall in the 60 days before it.
pub fn study_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").expect("a valid RFC 3339 time").to_utc()
}

/// A member near the middle of the skew, with about 100 ratings.
pub const STUDY_TYPICAL_MEMBER: u64 = 1 + STUDY_MEMBERS / 2;
/// The member with the most ratings (about 10,000).
pub const STUDY_BUSIEST_MEMBER: u64 = 1;

/// [`STUDY_RATINGS`] level clicks by [`STUDY_MEMBERS`] members on the
/// bank's questions over the 60 days before `now`, skewed as real groups
/// are (a few members rate a lot), with what each is worth: the input of
/// [`quizbot::store::Store::import_ratings`]. Deterministic (seeded), so
/// every bench and every run sees the same data.
pub fn study_ratings(bank: &QuestionBank, now: DateTime<Utc>) -> Vec<(Rating, Worth)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut batch = Vec::with_capacity(STUDY_RATINGS as usize);
    for id in 1..=STUDY_RATINGS {
        let q = &bank.questions()[rng.gen_range(0..bank.len())];
        let level = Level::ALL[rng.gen_range(0..3)];
        let rating = Rating {
            id,
            scope: Scope::Guild(STUDY_GUILD),
            // Skewed, as real groups are: a few members rate a lot.
            user_id: 1 + (rng.gen_range(0.0f64..1.0).powi(2) * STUDY_MEMBERS as f64) as u64,
            question: q.id.clone(),
            level,
            source: Source::Quiz,
            at: now.timestamp() - rng.gen_range(0..60 * 86_400),
        };
        let day = DateTime::from_timestamp(rating.at, 0).unwrap_or_default().date_naive();
        let worth = ScoreRule::STANDARD.worth(q.difficulty, false, &q.category, day);
        batch.push((rating, worth));
    }
    batch
}

/// Schedules in the scheduler data.
pub const SCHEDULES: u64 = 100_000;

/// "Now" for the scheduler data: every schedule falls due within the day
/// after it.
pub fn scheduler_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z").expect("a valid RFC 3339 time").to_utc()
}

/// [`SCHEDULES`] daily schedules, three channels a server, at every minute
/// of the day in five zones: their next posts spread over the day after
/// `now`, as real schedules are. Store them with
/// [`quizbot::store::Store::upsert_schedules`] in chunks of 10,000.
pub fn schedules(now: DateTime<Utc>) -> Vec<Schedule> {
    let zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"];
    (0..SCHEDULES)
        .map(|i| {
            let zone = parse_zone(zones[(i % 5) as usize]).expect("known zone");
            let time = TimeOfDay::from_minutes((i % 1440) as u16).expect("valid minute");
            // Spread over the next day, as real schedules are.
            Schedule::new(1_000_000 + i, 1 + i / 3, time, zone, next_post_after(now, time, zone).timestamp())
        })
        .collect()
}
