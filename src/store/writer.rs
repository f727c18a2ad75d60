//! Group commit for the writes a member waits for on SQLite: level clicks,
//! posted questions and typed answers.
//!
//! SQLite takes one writer at a time, and with `synchronous = FULL` every
//! commit waits for the disk. Writers that collide are parked by SQLite's
//! busy handler, which sleeps in steps of up to 100 ms; under a burst (the
//! daily question, a hundred members clicking at once) that made the tail
//! of click latency hundreds of milliseconds. Here one task owns the
//! writes: it takes whatever is queued, writes it all in one transaction,
//! commits once, and only then answers each caller. So a write
//! still returns only once it is on disk, and one fsync serves the batch.
//!
//! If one write fails, the transaction rolls back, that write reports its
//! error and the rest of the batch goes again without it. (Savepoints would
//! spare the retry, at two more statements for every write; failures are
//! rare.) If the database itself fails (out of reach, still locked after
//! the busy timeout, closing), every write of the batch reports it at once.
//! Both writes are idempotent (keyed by interaction or message id), so a
//! retry after a commit whose outcome was unknown cannot count a click
//! twice.
//!
//! The same task's sibling folds the write-ahead log into the database
//! file four times a second ([`checkpoint`]).

use std::time::{Duration, Instant};

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, error, warn};

use super::writes::{write_post, write_rating, write_typed_answer};
use super::StoreError;
use crate::domain::study::{Post, Rating, RatingSaved, TypedAnswer, Worth};
use crate::measures::{WRITER_BATCH_SECONDS, WRITER_BATCH_SIZE, WRITER_COMMIT_SECONDS};

/// At most this many writes share a transaction, which bounds the wait of
/// the first of them.
const MAX_BATCH: usize = 256;

/// How long writes nobody waits for (`/quiz`'s post records,
/// [`Writer::plain_soon`]) wait for company before they are committed by
/// themselves: one commit, and one wait for the disk, for every `/quiz`
/// in that time instead of one each. Any other write ends the wait at
/// once. A crash loses at most this much of those records (the channel
/// may then see those questions once more before their turn).
const LINGER: Duration = Duration::from_millis(100);

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

/// A write whose caller needs only to know that it is on disk.
#[derive(Debug, Clone)]
pub(super) enum Plain {
    Post(Post),
    Answer(TypedAnswer),
}

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
    Plain {
        write: Plain,
        result: Option<Result<(), StoreError>>,
        done: oneshot::Sender<Result<(), StoreError>>,
        /// Nobody waits for it: it may wait [`LINGER`] for other writes.
        unhurried: bool,
    },
    /// Writes nothing; answered once everything queued before it is.
    Flush { done: oneshot::Sender<()> },
}

impl Job {
    fn unhurried(&self) -> bool {
        matches!(self, Job::Plain { unhurried: true, .. })
    }

    /// Runs the job's statements in `tx`, keeping what they return for the
    /// caller; an error is returned instead, and fails the transaction.
    async fn apply(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
        match self {
            Job::Rating { rating, worth, name, result, .. } => {
                *result = Some(Ok(write_rating(tx, rating, worth, name.as_deref()).await?));
            }
            Job::Plain { write, result, .. } => {
                match write {
                    Plain::Post(post) => write_post(tx, post).await?,
                    Plain::Answer(answer) => write_typed_answer(tx, answer).await?,
                }
                *result = Some(Ok(()));
            }
            Job::Flush { .. } => {}
        }
        Ok(())
    }

    fn fail(&mut self, error: StoreError) {
        match self {
            Job::Rating { result, .. } => *result = Some(Err(error)),
            Job::Plain { result, .. } => *result = Some(Err(error)),
            Job::Flush { .. } => {}
        }
    }

    /// Tells the caller. One that gave up (its interaction timed out) is
    /// gone; its write stands.
    fn answer(self) {
        match self {
            Job::Rating { result, done, .. } => {
                let _ = done.send(result.unwrap_or(Err(StoreError::Closed)));
            }
            Job::Plain { result, done, .. } => {
                let _ = done.send(result.unwrap_or(Err(StoreError::Closed)));
            }
            Job::Flush { done } => {
                let _ = done.send(());
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

    pub(super) async fn plain(&self, write: Plain) -> Result<(), StoreError> {
        self.send_plain(write, false).await
    }

    /// [`plain`](Self::plain) for a write nobody waits for: committed with
    /// the next write that comes, or after [`LINGER`].
    pub(super) async fn plain_soon(&self, write: Plain) -> Result<(), StoreError> {
        self.send_plain(write, true).await
    }

    async fn send_plain(&self, write: Plain, unhurried: bool) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs.send(Job::Plain { write, result: None, done, unhurried }).await.map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits until every write queued before this call is committed (or
    /// has failed): for a clean shutdown.
    pub(super) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.jobs.send(Job::Flush { done }).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

async fn run(pool: AnyPool, mut queue: mpsc::Receiver<Job>, checkpoints: JoinHandle<()>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if batch.iter().all(Job::unhurried) {
            linger(&mut queue, &mut batch).await;
        }
        // In a task of its own, so that a bug panicking in one batch costs
        // that batch's answers (its callers hear `Closed`), not the writer.
        let jobs = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        if let Err(e) = tokio::spawn(write(pool.clone(), jobs)).await {
            error!(error = %e, "a batch of writes panicked; its writers were told to try again");
        }
    }
    checkpoints.abort();
}

/// Adds to `batch` (of writes nobody waits for) whatever comes within
/// [`LINGER`], until a write somebody waits for comes or the batch is full.
async fn linger(queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    let until = tokio::time::Instant::now() + LINGER;
    while batch.len() < MAX_BATCH && batch.iter().all(Job::unhurried) {
        let room = MAX_BATCH - batch.len();
        match tokio::time::timeout_at(until, queue.recv_many(batch, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Writes a batch and answers each of its callers.
async fn write(pool: AnyPool, mut batch: Vec<Job>) {
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    while !pending.is_empty() {
        match together(&pool, &mut batch, &pending).await {
            Ok(()) => break,
            // That write reports its own error; the others (rolled back
            // with it) go again, without it.
            Err(Failure::Job(i, e)) if !is_transient(&e) => {
                warn!(error = %e, "a write failed; the rest of its batch goes again");
                batch[i].fail(e);
                pending.retain(|&j| j != i);
            }
            // The database itself is out of reach, busy or closing: every
            // write of the batch would fail the same way, so all report it
            // now instead of one after another.
            Err(Failure::Job(_, e) | Failure::Transaction(e)) => {
                let unavailable = is_transient(&e);
                let reason = e.to_string();
                for &j in &pending {
                    batch[j].fail(StoreError::Batch { reason: reason.clone(), unavailable });
                }
                break;
            }
        }
    }
    for job in batch {
        job.answer();
    }
}

/// Why [`together`] wrote nothing.
enum Failure {
    /// The statements of job `.0` failed.
    Job(usize, StoreError),
    /// Beginning or committing the transaction failed.
    Transaction(StoreError),
}

/// Out of reach, closing, or SQLite still busy after its busy timeout.
fn is_transient(e: &StoreError) -> bool {
    e.is_unavailable() || e.is_busy()
}

/// The `pending` jobs in one transaction, committed once. On `Err` nothing
/// of the batch was written.
async fn together(pool: &AnyPool, batch: &mut [Job], pending: &[usize]) -> Result<(), Failure> {
    let started = Instant::now();
    let mut tx = pool.begin().await.map_err(|e| Failure::Transaction(e.into()))?;
    for &i in pending {
        batch[i].apply(&mut tx).await.map_err(|e| Failure::Job(i, e))?;
    }
    let written = started.elapsed();
    tx.commit().await.map_err(|e| Failure::Transaction(e.into()))?;
    let took = started.elapsed();
    metrics::histogram!(WRITER_BATCH_SIZE).record(pending.len() as f64);
    metrics::histogram!(WRITER_COMMIT_SECONDS).record((took - written).as_secs_f64());
    metrics::histogram!(WRITER_BATCH_SECONDS).record(took.as_secs_f64());
    if took >= SLOW_BATCH {
        debug!(writes = pending.len(), ?written, commit = ?(took - written), "slow batch");
    }
    Ok(())
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
