//! How the scheduler's queries scale: the due query and the next-due query
//! with 100,000 schedules on SQLite (release build).
//!
//! `cargo bench --bench scheduler`

use std::time::Instant;

mod common;
use common::{report, time};

use quizbot::bank::Filter;
use quizbot::schedule::time::{next_post_after, parse_zone, TimeOfDay};
use quizbot::schedule::Schedule;
use quizbot::store::Store;

const SCHEDULES: u64 = 100_000;
const RUNS: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("bench.db").display()), 4).await?;
    let zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"];
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z")?.to_utc();
    let schedules: Vec<Schedule> = (0..SCHEDULES)
        .map(|i| {
            let zone = parse_zone(zones[(i % 5) as usize]).expect("known zone");
            let time = TimeOfDay::from_minutes((i % 1440) as u16).expect("valid minute");
            Schedule {
                channel_id: 1_000_000 + i,
                guild_id: 1 + i / 3,
                time,
                zone,
                filter: Filter::default(),
                ping_role: None,
                // Spread over the next day, as real schedules are.
                next_due_at: next_post_after(now, time, zone).timestamp(),
                last_posted_at: None,
                failure: None,
                failing_days: 0,
                paused: false,
            }
        })
        .collect();
    let start = Instant::now();
    for chunk in schedules.chunks(10_000) {
        store.upsert_schedules(chunk, now.timestamp()).await?;
    }
    println!("seeded {SCHEDULES} schedules in {:.1?}", start.elapsed());

    let t = now.timestamp();
    report("next_due_at (earliest active schedule)", &time(RUNS, || store.next_due_at()).await?);
    report("due_schedules, none due", &time(RUNS, || store.due_schedules(t - 3_600, 100)).await?);
    report("due_schedules, 100 of ~4,200 due (an hour on)", &time(RUNS, || store.due_schedules(t + 3_600, 100)).await?);
    report("due_schedules, 100 of 100,000 overdue", &time(RUNS, || store.due_schedules(t + 2 * 86_400, 100)).await?);
    Ok(())
}
