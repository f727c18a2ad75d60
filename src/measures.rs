//! What the bot measures of itself, in one place, below every layer (like
//! the names of `tracing`'s fields): every metric the bot records, its name (units in the
//! name, as Prometheus asks), its labels and what it means. The layers
//! record through the `metrics` facade with these constants, the way they
//! log through `tracing`; without `METRICS_ADDR` no recorder is installed
//! and each call is a no-op.
//!
//! Label values are a fixed few (`&'static str`), never ids or names of
//! servers or members, so the number of series stays small and nothing
//! personal leaves the process.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Histogram, seconds, label `kind` ([`kind`]): from the interaction
/// reaching the bot to Discord accepting its first answer — the callback,
/// or the deferral ("thinking…") where the handler defers first. What the
/// p99 budgets of the README measure, from the bot's side.
pub const INTERACTION_SECONDS: &str = "quizbot_interaction_seconds";

/// Counter, labels `kind` ([`kind`]) and `outcome` ([`outcome`]): the
/// interactions handled, by how they ended.
pub const INTERACTIONS_TOTAL: &str = "quizbot_interactions_total";

/// Histogram, writes per transaction of the SQLite writer (`store/writer.rs`;
/// PostgreSQL has no writer and records none).
pub const WRITER_BATCH_SIZE: &str = "quizbot_writer_batch_size";

/// Histogram, seconds: the writer's `COMMIT` alone (the fsync a batch
/// shares).
pub const WRITER_COMMIT_SECONDS: &str = "quizbot_writer_commit_seconds";

/// Histogram, seconds: a writer batch from `BEGIN` to committed — what a
/// level click waits for in the database.
pub const WRITER_BATCH_SECONDS: &str = "quizbot_writer_batch_seconds";

/// Histogram, seconds, label `kind` ([`scheduled`]): from when a post was due
/// (the schedule's local time on its day) to when Discord accepted it.
/// Retries, rate limits and a busy minute show here.
pub const SCHEDULER_LAG_SECONDS: &str = "quizbot_scheduler_lag_seconds";

/// Counter, label `kind` ([`scheduled`]): scheduled messages Discord accepted.
/// Posts per minute: `rate(quizbot_posts_total[1m]) * 60`.
pub const POSTS_TOTAL: &str = "quizbot_posts_total";

/// Counter, label `global` (`"true"`, `"false"`): 429 answers Discord gave
/// the scheduler's requests (daily posts, threads, recaps, reminders).
/// Interaction answers are exempt from rate limits; the few other REST
/// calls of commands go through serenity, which waits out a 429 itself
/// and does not say so without an event handler of its own.
pub const RATE_LIMITED_TOTAL: &str = "quizbot_rate_limited_total";

/// Counter, label `class` ([`db_error`]): errors the database driver
/// returned to the store, including rows it could not decode and the
/// failed pings of `/healthz`.
pub const DATABASE_ERRORS_TOTAL: &str = "quizbot_database_errors_total";

/// Gauge: gateway shards of this process connected to Discord now.
pub const SHARDS_CONNECTED: &str = "quizbot_shards_connected";

/// Gauge: gateway shards this process should run (`SHARDS`, or Discord's
/// recommendation); 0 until the first shard is ready.
pub const SHARDS_EXPECTED: &str = "quizbot_shards_expected";

/// Values of the `kind` label of the interaction metrics.
pub mod kind {
    /// `/quiz`.
    pub const QUIZ: &str = "quiz";
    /// A Reveal button.
    pub const REVEAL: &str = "reveal";
    /// A level button (Beginner, Intermediate, Advanced).
    pub const LEVEL: &str = "level";
    /// An Answer first submit.
    pub const MODAL: &str = "modal";
    /// `/leaderboard` and its page buttons.
    pub const BOARD: &str = "board";
    /// Any other slash command.
    pub const COMMAND: &str = "command";
    /// Any other button.
    pub const BUTTON: &str = "button";
    /// Autocomplete suggestions.
    pub const AUTOCOMPLETE: &str = "autocomplete";

    pub const ALL: [&str; 8] = [QUIZ, REVEAL, LEVEL, MODAL, BOARD, COMMAND, BUTTON, AUTOCOMPLETE];
}

/// Values of the `outcome` label of [`INTERACTIONS_TOTAL`].
pub mod outcome {
    /// The member got what they asked for, or was told why not (their
    /// mistake: an unknown category, a button on the wrong message).
    pub const ANSWERED: &str = "answered";
    /// The member was told to try again: our failure, the database out of
    /// reach or busy, a restart under way, or no answer could be sent.
    pub const FAILED: &str = "failed";
    /// Discord refused the answer as too late (its 3 s deadline, code
    /// 10062).
    pub const LATE: &str = "late";

    pub const ALL: [&str; 3] = [ANSWERED, FAILED, LATE];
}

/// Values of the `kind` label of the scheduler's metrics.
pub mod scheduled {
    pub const DAILY: &str = "daily";
    pub const REMINDER: &str = "reminder";
    pub const RECAP: &str = "recap";

    pub const ALL: [&str; 3] = [DAILY, REMINDER, RECAP];
}

/// Values of the `class` label of [`DATABASE_ERRORS_TOTAL`].
pub mod db_error {
    /// Out of reach: connection refused or lost, pool timed out or closed.
    pub const UNAVAILABLE: &str = "unavailable";
    /// SQLite still locked by another writer after its busy timeout.
    pub const BUSY: &str = "busy";
    /// A statement the database refused (a constraint, a bug).
    pub const STATEMENT: &str = "statement";

    pub const ALL: [&str; 3] = [UNAVAILABLE, BUSY, STATEMENT];
}

/// How the gateway shards of this process stand, as plain numbers: the
/// Discord layer writes them, `/healthz` and `/metrics` read them. Cheap
/// to clone.
#[derive(Debug, Clone, Default)]
pub struct ShardStatus(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    expected: AtomicU32,
    connected: AtomicU32,
}

impl ShardStatus {
    /// How many shards this process runs (`SHARDS`, or Discord's
    /// recommendation once the first is ready).
    pub fn set_expected(&self, shards: u32) {
        self.0.expected.store(shards, Ordering::Relaxed);
    }

    /// How many of them are connected now.
    pub fn set_connected(&self, shards: u32) {
        self.0.connected.store(shards, Ordering::Relaxed);
    }

    /// `(connected, expected)`.
    pub fn get(&self) -> (u32, u32) {
        (self.0.connected.load(Ordering::Relaxed), self.0.expected.load(Ordering::Relaxed))
    }
}
