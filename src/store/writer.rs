//! Group commit for the writes a member waits for on SQLite: level clicks
//! and posted questions.
//!
//! SQLite takes one writer at a time, and with `synchronous = FULL` every
//! commit waits for the disk. Writers that collide are parked by SQLite's
//! busy handler, which sleeps in steps of up to 100 ms; under a burst (the
//! daily question, a hundred members clicking at once) that made the tail
//! of click latency hundreds of milliseconds. Here one task owns the
//! writes: it takes whatever is queued, writes each in a savepoint of one
//! transaction, commits once, and only then answers each caller. So a write
//! still returns only once it is on disk, and one fsync serves the batch.
//!
//! If anything in a batch fails, the whole transaction rolls back and each
//! write of the batch is tried again alone, so one bad write reports its
//! own error and the others still land. (Savepoints would spare the retry,
//! at two more statements for every write; failures are rare.) Both writes
//! are idempotent (keyed by interaction or message id), so a retry after a
//! commit whose outcome was unknown cannot count a click twice.
//!
//! The same task's sibling folds the write-ahead log into the database
//! file four times a second ([`checkpoint`]).

use std::time::{Duration, Instant};

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::ratings::{write_post, write_rating};
use super::StoreError;
use crate::study::{Post, Rating, RatingSaved, Worth};

/// At most this many writes share a transaction, which bounds the wait of
/// the first of them.
const MAX_BATCH: usize = 256;

/// Writes waiting beyond this make callers wait for room.
const QUEUE: usize = 4096;

/// A batch slower than this is logged (at debug), with where its time went.
const SLOW_BATCH: Duration = Duration::from_millis(5);

/// How often the write-ahead log is folded into the database file. Each
/// checkpoint flushes the pages written since the last to disk, and a
/// commit that waits for the disk meanwhile waits for that flush too: at
/// 500 clicks a second, checkpoints once a second made the slowest 1 %
/// take 15 ms, four times a second 9–13 ms (`cargo bench --bench e2e`);
/// ten times a second measured 6–37 ms, where the disk's own stalls
/// dominate. Never checkpointing lets the log grow, and every read slows
/// down with it.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// A write waiting for its turn, then for the commit; `result` is set
/// when its statements ran, and sent to the caller after the commit.
enum Job {
    Rating {
        rating: Rating,
        worth: Worth,
        name: Option<String>,
        result: Option<Result<RatingSaved, StoreError>>,
        done: oneshot::Sender<Result<RatingSaved, StoreError>>,
    },
    Post {
        post: Post,
        result: Option<Result<(), StoreError>>,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
}

impl Job {
    /// Runs the job's statements in `tx`, keeping what they return for the
    /// caller; an error is returned instead, and fails the transaction.
    async fn apply(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
        match self {
            Job::Rating { rating, worth, name, result, .. } => {
                *result = Some(Ok(write_rating(tx, rating, worth, name.as_deref()).await?));
            }
            Job::Post { post, result, .. } => {
                write_post(tx, post).await?;
                *result = Some(Ok(()));
            }
        }
        Ok(())
    }

    fn fail(&mut self, error: StoreError) {
        match self {
            Job::Rating { result, .. } => *result = Some(Err(error)),
            Job::Post { result, .. } => *result = Some(Err(error)),
        }
    }

    /// Tells the caller. One that gave up (its interaction timed out) is
    /// gone; its write stands.
    fn answer(self) {
        match self {
            Job::Rating { result, done, .. } => {
                let _ = done.send(result.unwrap_or(Err(StoreError::Closed)));
            }
            Job::Post { result, done, .. } => {
                let _ = done.send(result.unwrap_or(Err(StoreError::Closed)));
            }
        }
    }
}

/// The handle the store writes through; cheap to clone. The task stops
/// when the last handle is dropped.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writing task on the current runtime.
    pub(super) fn start(pool: AnyPool) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let checkpoints = tokio::spawn(checkpoint(pool.clone()));
        tokio::spawn(run(pool, queue, checkpoints));
        Writer { jobs }
    }

    pub(super) async fn rating(
        &self,
        rating: Rating,
        worth: Worth,
        name: Option<String>,
    ) -> Result<RatingSaved, StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job::Rating { rating, worth, name, result: None, done })
            .await
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    pub(super) async fn post(&self, post: Post) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs.send(Job::Post { post, result: None, done }).await.map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, mut queue: mpsc::Receiver<Job>, checkpoints: JoinHandle<()>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Err(e) = together(&pool, &mut batch).await {
            if let [job] = batch.as_mut_slice() {
                job.fail(e);
            } else {
                // One bad write must not fail the others: nothing of the
                // batch was written, so each is tried again alone.
                warn!(error = %e, writes = batch.len(), "a batch of writes failed; writing each alone");
                for job in &mut batch {
                    alone(&pool, job).await;
                }
            }
        }
        for job in batch.drain(..) {
            job.answer();
        }
    }
    checkpoints.abort();
}

/// Every job in one transaction, committed once. On `Err` nothing of the
/// batch was written.
async fn together(pool: &AnyPool, batch: &mut [Job]) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    for job in batch.iter_mut() {
        job.apply(&mut tx).await?;
    }
    let written = started.elapsed();
    tx.commit().await?;
    let took = started.elapsed();
    if took >= SLOW_BATCH {
        debug!(writes = batch.len(), ?written, commit = ?(took - written), "slow batch");
    }
    Ok(())
}

/// One job in a transaction of its own.
async fn alone(pool: &AnyPool, job: &mut Job) {
    let written = async {
        let mut tx = pool.begin().await?;
        job.apply(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    }
    .await;
    if let Err(e) = written {
        job.fail(e);
    }
}

/// Copies the write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`], beside the writer instead of inside one of its
/// commits (SQLite's automatic checkpoint, turned off in `connect`), so no
/// click waits for it. A passive checkpoint blocks neither readers nor the
/// writer.
async fn checkpoint(pool: AnyPool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if pool.is_closed() {
            return;
        }
        let started = Instant::now();
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            Err(e) => debug!(error = %e, "checkpoint failed; the next one will catch up"),
            Ok(_) if started.elapsed() >= SLOW_BATCH => debug!(took = ?started.elapsed(), "slow checkpoint"),
            Ok(_) => {}
        }
    }
}
