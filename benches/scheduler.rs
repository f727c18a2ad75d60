//! How the scheduler's queries scale: the due query and the next-due query
//! with 100,000 schedules on SQLite (release build).
//!
//! `cargo bench --bench scheduler`

use std::time::Instant;

mod common;
use common::{report, scheduler_now, schedules, time, SCHEDULES};

use quizbot::store::Store;

const RUNS: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("bench.db").display()), 4).await?;
    let now = scheduler_now();
    let schedules = schedules(now);
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
