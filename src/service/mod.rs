//! The use cases, one file each, named like what a member does:
//!
//! - [`banks`]: a server's own banks (`/bank`), and the banks each scope
//!   sees;
//! - [`quiz`]: pick a question for `/quiz`, note it was shown, Reveal;
//! - [`rate`]: a level click — what it is worth, stored;
//! - [`leaderboard`]: a page of the server's board;
//! - [`review`]: the member's next `/review` question, and their retention;
//! - [`reminders`]: `/remind`, a member's daily review reminder;
//! - [`stats`]: a member's `/stats`;
//! - [`members`]: the `/forget-me` command;
//! - [`daily`]: `/daily set|status|off|now`;
//! - [`scheduler`]: the loop that posts each day's question, and sends
//!   each day's reminders, exactly once;
//! - [`upkeep`]: keeps rolling leaderboards fresh.
//!
//! They speak plain Rust types: the Discord layer decodes an interaction,
//! calls one method of [`Services`], and renders what comes back. Every
//! service reaches the database through the store and the rules through the
//! domain; none knows Discord.

pub mod banks;
pub mod daily;
pub mod leaderboard;
pub mod members;
pub mod quiz;
pub mod rate;
pub mod reminders;
pub mod review;
pub mod scheduler;
pub mod stats;
pub mod upkeep;

use std::sync::Arc;

use chrono_tz::Tz;

use crate::clock::Clock;
use crate::domain::bank::server::{BankLimits, UploadProblem};
use crate::domain::bank::shown::{self, fit};
use crate::domain::bank::QuestionBank;
use crate::domain::schedule::time::TimeError;
use crate::domain::score::ScoreRule;
use crate::domain::study::Scope;
use crate::store::{Store, StoreError};
use scheduler::{PostError, Wake};

/// What every use case works with: the banks, the store, the clock, the
/// score rule and the scheduler's wake-up. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    /// The built-in banks.
    banks: Arc<QuestionBank>,
    /// Each server's banks, parsed ([`banks`]).
    bank_cache: Arc<banks::BankCache>,
    bank_limits: BankLimits,
    store: Store,
    clock: Clock,
    score: ScoreRule,
    wake: Wake,
}

impl Services {
    pub fn new(banks: Arc<QuestionBank>, store: Store, clock: Clock) -> Self {
        Services {
            banks,
            bank_cache: Arc::default(),
            bank_limits: BankLimits::default(),
            store,
            clock,
            score: ScoreRule::STANDARD,
            wake: Wake::default(),
        }
    }

    /// The same services with other upload limits.
    pub fn with_bank_limits(mut self, limits: BankLimits) -> Self {
        self.bank_limits = limits;
        self
    }

    /// The same services scoring by another rule (tests).
    pub fn with_score_rule(mut self, score: ScoreRule) -> Self {
        self.score = score;
        self
    }

    /// The time every use case reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The zone a scope's days are counted in
    /// ([`crate::domain::study::study_day`]).
    async fn zone(&self, scope: Scope) -> Result<Tz, StoreError> {
        match scope {
            Scope::Guild(id) => Ok(self.store.server_zone(id).await?.unwrap_or(Tz::UTC)),
            Scope::DirectMessages => Ok(Tz::UTC),
        }
    }

    /// Whether the database answers (`/healthz`); the caller bounds the
    /// wait.
    pub async fn ping_database(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }

    /// Stops taking writes once the queued ones are written, and closes the
    /// database: the last step of a shutdown.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// Why a use case could not be done. Every variant but `Store` is the
/// member's to fix, and its text says how.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("There is no category \"{}\". Categories: {}.", fit(.given, shown::CATEGORY), some_of(.valid))]
    UnknownCategory { given: String, valid: Vec<String> },
    #[error("No question matches {filter}. Categories: {}.", some_of(.valid))]
    EmptyPool { filter: String, valid: Vec<String> },
    #[error("This question is no longer available.")]
    QuestionGone,
    #[error(transparent)]
    Time(#[from] TimeError),
    #[error("There is no daily question in <#{0}>. Set one with `/daily set`.")]
    NoSchedule(u64),
    #[error("Could not post: {0}")]
    Post(#[from] PostError),
    #[error("Nothing was stored.\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Upload(Vec<UploadProblem>),
    #[error("This server has no bank named `{0}`. `/bank list` shows them.")]
    NoBank(String),
    #[error("This server has no banks of its own yet: add one with `/bank add` before hiding the built-in ones.")]
    NothingLeft,
    #[error("This is the server's last bank and the built-in banks are hidden: run `/bank builtin on` first, or nothing would be left to ask.")]
    LastBank,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Categories a message lists: the first [`LISTED`], each as a category is
/// shown, then how many more. A server's banks may hold hundreds.
fn some_of(names: &[String]) -> String {
    let mut list: Vec<String> = names.iter().take(LISTED).map(|n| fit(n, shown::CATEGORY)).collect();
    if names.len() > LISTED {
        list.push(format!("and {} more (type a few letters to see them)", names.len() - LISTED));
    }
    list.join(", ")
}

/// At most this many categories in a message.
const LISTED: usize = 10;

impl ServiceError {
    /// Whether the message is meant for the member (as opposed to a fault
    /// to log and apologise for).
    pub fn is_user_facing(&self) -> bool {
        !matches!(self, ServiceError::Store(_))
    }

    /// Whether the database is out of reach: worth "try again shortly".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ServiceError::Store(e) if e.is_unavailable())
    }

    /// Whether the store is shutting down: nothing to try again.
    pub fn is_closing(&self) -> bool {
        matches!(self, ServiceError::Store(StoreError::Closed))
    }
}

/// Asks the background tasks ([`scheduler`], [`upkeep`]) to finish what they
/// are doing and return. Held by the composition root.
#[derive(Debug)]
pub struct Stop(tokio::sync::watch::Sender<bool>);

/// A background task's side of [`Stop`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Stopping(tokio::sync::watch::Receiver<bool>);

impl Stop {
    pub fn new() -> (Stop, Stopping) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (Stop(tx), Stopping(rx))
    }

    /// Tells every [`Stopping`] to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Stopping {
    /// Whether a stop was asked for (or its [`Stop`] is gone).
    pub fn is_set(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Returns once a stop is asked for (at once if it was).
    pub async fn wait(&mut self) {
        // An error means the `Stop` was dropped: stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
