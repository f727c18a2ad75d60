//! Group commit for the writes a member waits for on SQLite: level clicks,
//! posted questions and typed answers.
//!
//! SQLite takes one writer at a time, and with `synchronous = FULL` every
//! commit waits for the disk. Writers that collide are parked by SQLite's
//! busy handler, which sleeps in steps of up to 100 ms; under a burst (the
//! daily question, a hundred members clicking at once) that made the tail
//! of click latency hundreds of milliseconds. Here one task, on a thread
//! of its own ([`Writer::start`]), owns the writes: it takes whatever is
//! queued, writes it all in one transaction, commits once, and only then
//! answers each caller. So a write still returns only once it is on disk,
//! and one fsync serves the batch.
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
//! The task writes through a connection of its own, not one taken from the
//! pool: SQLite drops a connection's whole page cache when it finds that
//! another connection wrote since its last transaction, so with the pool
//! handing out its connections in turn every batch read again from the
//! file each page it was about to change (issue 16). Only this connection
//! writes, so its cache stays valid. It is closed by a flush
//! ([`Store::close`](super::Store::close)) and opened again by the next
//! write or checkpoint while the pool is open.
//!
//! Between batches, four times a second, the same task folds the
//! write-ahead log into the database file ([`checkpoint`]); with nothing
//! to write, every [`IDLE_CHECKPOINT`], for the writes made through the
//! pool.

use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, warn};

use super::writes::{write_post, write_rating, write_typed_answer, BEGIN};
use super::{prepare_sqlite, StoreError};
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

/// How often the write-ahead log is folded into the database file, by the
/// writer between two batches ([`checkpoint`]). Each checkpoint flushes
/// the pages written since the last to disk; the writes that come
/// meanwhile wait for it. Never checkpointing lets the log grow, and every
/// read slows down with it.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// How often the writer checkpoints while it has nothing to write, for
/// the writes made through the pool (schedules, threads, uploads).
const IDLE_CHECKPOINT: Duration = Duration::from_secs(5);

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
    fn is_flush(&self) -> bool {
        matches!(self, Job::Flush { .. })
    }

    fn unhurried(&self) -> bool {
        matches!(self, Job::Plain { unhurried: true, .. })
    }

    /// Runs the job's statements on the writer's connection, keeping what
    /// they return for the caller; an error is returned instead, and fails
    /// the transaction. `begin`: the job opens the batch's transaction
    /// ([`BEGIN`]); a flush writes nothing and opens nothing.
    async fn apply(&mut self, tx: &mut AnyConnection, begin: bool) -> Result<(), StoreError> {
        match self {
            Job::Rating { rating, worth, name, result, .. } => {
                *result = Some(Ok(write_rating(tx, rating, worth, name.as_deref(), begin).await?));
            }
            Job::Plain { write, result, .. } => {
                if begin {
                    sqlx::query(BEGIN).execute(&mut *tx).await?;
                }
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
    /// Starts the writing task on a thread of its own; it connects with
    /// `options` while `pool` is open.
    ///
    /// Not on the bot's runtime: every statement's outcome comes back from
    /// SQLite's thread, and a task woken from outside a runtime waits in
    /// its shared queue, which a busy worker looks at only between runs of
    /// the tasks it already holds. Under load those are the interactions,
    /// so each of a click's trips could queue behind them while the batch's
    /// other clicks waited their turn (issue 16: at 2,000 clicks a second,
    /// batches spent 0.37-1.1 ms a click before their commit, of which
    /// SQLite's thread worked 0.15 ms). Here nothing else runs: under load
    /// the median click halved (README, Performance).
    ///
    /// The runtime is built on that thread: dropped on the caller's (as a
    /// failed spawn would), it would panic inside the bot's runtime.
    pub(super) async fn start(pool: AnyPool, options: AnyConnectOptions) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let (started, outcome) = oneshot::channel();
        let own = Own { pool, options, conn: None };
        std::thread::Builder::new()
            .name("quizbot-writer".into())
            .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => {
                    let _ = started.send(Ok(()));
                    runtime.block_on(run(own, queue));
                }
                Err(e) => {
                    let _ = started.send(Err(e));
                }
            })
            .map_err(StoreError::Thread)?;
        outcome.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Thread)?;
        Ok(Writer { jobs })
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

/// The writer's connection, opened when a write needs it.
struct Own {
    pool: AnyPool,
    options: AnyConnectOptions,
    conn: Option<AnyConnection>,
}

impl Own {
    /// The open connection, or a new one; [`StoreError::Closed`] once the
    /// store is closed.
    async fn get(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if self.pool.is_closed() {
            self.conn = None;
            return Err(StoreError::Closed);
        }
        if self.conn.is_none() {
            let mut conn = self.options.connect().await?;
            prepare_sqlite(&mut conn).await?;
            self.conn = Some(conn);
        }
        self.conn.as_mut().ok_or(StoreError::Closed)
    }

    /// Ends a batch's transaction that failed part-way. If the ROLLBACK
    /// fails (the connection broke, or SQLite had already ended the
    /// transaction, as some errors do), the connection is closed, so that
    /// no transaction can stay open on it, and the next write opens
    /// another.
    async fn roll_back(&mut self) {
        let Some(conn) = self.conn.as_mut() else { return };
        if let Err(e) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
            debug!(error = %e, "could not roll back a failed batch; its connection is closed");
            self.close().await;
        }
    }

    async fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
    }
}

async fn run(mut own: Own, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Whether the log may hold what the file does not, and when the last
    // checkpoint ran.
    let (mut dirty, mut checkpointed) = (false, Instant::now());
    loop {
        let received = if own.pool.is_closed() {
            // Closed: nothing is left to checkpoint (the flush closed the
            // connection), so the writer sleeps until a write comes, to be
            // told `Closed`, or the last handle goes.
            queue.recv_many(&mut batch, MAX_BATCH).await
        } else {
            let wait = if dirty { CHECKPOINT_EVERY } else { IDLE_CHECKPOINT };
            let until = tokio::time::Instant::from_std(checkpointed + wait);
            match tokio::time::timeout_at(until, queue.recv_many(&mut batch, MAX_BATCH)).await {
                Ok(n) => n,
                Err(_) => {
                    dirty = !checkpoint(&mut own).await;
                    checkpointed = Instant::now();
                    continue;
                }
            }
        };
        if received == 0 {
            break;
        }
        if batch.iter().all(Job::unhurried) {
            linger(&mut queue, &mut batch).await;
        }
        // A flush is answered once the writes of its batch are on disk and
        // the connection is closed: `Store::close` closes the pool next.
        let (flushes, jobs): (Vec<Job>, Vec<Job>) =
            std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH)).into_iter().partition(Job::is_flush);
        if !jobs.is_empty() {
            // In a task of its own, so that a bug panicking in one batch
            // costs that batch's answers (its callers hear `Closed`), not
            // the writer (the connection goes with it, and the next batch
            // opens another).
            let (pool, options) = (own.pool.clone(), own.options.clone());
            match tokio::spawn(async move { write(own, jobs).await }).await {
                Ok(back) => own = back,
                Err(e) => {
                    error!(error = %e, "a batch of writes panicked; its writers were told to try again");
                    own = Own { pool, options, conn: None };
                }
            }
            dirty = true;
        }
        if !flushes.is_empty() {
            own.close().await;
            flushes.into_iter().for_each(Job::answer);
            (dirty, checkpointed) = (false, Instant::now());
        } else if dirty && checkpointed.elapsed() >= CHECKPOINT_EVERY {
            dirty = !checkpoint(&mut own).await;
            checkpointed = Instant::now();
        }
    }
    own.close().await;
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
async fn write(mut own: Own, mut batch: Vec<Job>) -> Own {
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    while !pending.is_empty() {
        let outcome = match own.get().await {
            Ok(conn) => together(conn, &mut batch, &pending).await,
            Err(e) => Err(Failure::Transaction(e)),
        };
        if outcome.is_err() {
            own.roll_back().await;
        }
        match outcome {
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
                    // Closing stays itself: a caller that would try again
                    // once the database is back must not while it closes.
                    let error = match e {
                        StoreError::Closed => StoreError::Closed,
                        _ => StoreError::Batch { reason: reason.clone(), unavailable },
                    };
                    batch[j].fail(error);
                }
                if unavailable {
                    // A fresh connection for the next batch.
                    own.close().await;
                }
                break;
            }
        }
    }
    for job in batch {
        job.answer();
    }
    own
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
async fn together(conn: &mut AnyConnection, batch: &mut [Job], pending: &[usize]) -> Result<(), Failure> {
    let started = Instant::now();
    // The transaction is SQL of ours rather than sqlx's `Transaction`,
    // whose BEGIN is a trip of its own and whose BEGIN and COMMIT each make
    // SQLite's thread wait until this task has taken the outcome (another
    // wake-up each way).
    let mut begin = true;
    for &i in pending {
        batch[i].apply(conn, begin).await.map_err(|e| Failure::Job(i, e))?;
        begin &= batch[i].is_flush();
    }
    let written = started.elapsed();
    sqlx::query("COMMIT").execute(&mut *conn).await.map_err(|e| Failure::Transaction(e.into()))?;
    let took = started.elapsed();
    metrics::histogram!(WRITER_BATCH_SIZE).record(pending.len() as f64);
    metrics::histogram!(WRITER_COMMIT_SECONDS).record((took - written).as_secs_f64());
    metrics::histogram!(WRITER_BATCH_SECONDS).record(took.as_secs_f64());
    if took >= SLOW_BATCH {
        debug!(writes = pending.len(), ?written, commit = ?(took - written), "slow batch");
    }
    Ok(())
}

/// Copies the write-ahead log into the database file, between two
/// batches on the writer's own connection; `true` once the file holds
/// everything. Run beside the writer (as it was), a checkpoint under
/// steady load never caught up with it: SQLite starts the log again from
/// its beginning only when a write finds every frame copied, and a write
/// came during every checkpoint, so the log grew by the whole of every
/// click (65 MB in 100 s at 500 clicks a second), each write a file
/// extension for the disk to record. A reader's snapshot can hold part
/// of the log back: then it is tried again [`CHECKPOINT_EVERY`] later.
async fn checkpoint(own: &mut Own) -> bool {
    let started = Instant::now();
    let Ok(conn) = own.get().await else { return false };
    // One row: whether it was blocked, frames in the log, frames copied.
    let done = match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(conn).await {
        Err(e) => {
            debug!(error = %e, "checkpoint failed; the next one will catch up");
            false
        }
        Ok((busy, log, copied)) => busy == 0 && copied >= log,
    };
    if started.elapsed() >= SLOW_BATCH {
        debug!(took = ?started.elapsed(), done, "slow checkpoint");
    }
    done
}
