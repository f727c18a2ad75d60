//! How long each interaction waited for its answer, and how it ended:
//! `quizbot_interaction_seconds{kind}` and
//! `quizbot_interactions_total{kind,outcome}` (see `measures`).
//!
//! The clock starts when the event reaches the framework (`inflight.rs`
//! wraps every dispatch in [`measured`]) and stops at the first answer
//! Discord accepted: the end of the handler, which for `/quiz`, Reveal, a
//! level click and a quick modal ends with its answer, or the deferral
//! where a handler acknowledges first and works after ([`acknowledged`],
//! called right after each deferral). That is the answer Discord's 3 s
//! deadline and the README's budgets are about.
//!
//! The outcome is *answered* unless the handler's failure path says
//! otherwise ([`failed`], [`late`]): it knows best, and an interaction
//! answered after the deadline shows as Discord refusing the answer (code
//! 10062), not as a time we could compare.
//!
//! The state lives in a task-local: serenity hands each event to the
//! framework on a task of its own, and poise handles it on that task, so
//! nothing is shared between interactions and nothing is locked.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::{HttpError, Interaction};

use super::custom_id::ButtonAction;
use crate::measures::{kind, outcome, INTERACTIONS_TOTAL, INTERACTION_SECONDS};

/// Discord's "Unknown interaction": the answer came after its 3 s, or the
/// interaction was answered already.
const UNKNOWN_INTERACTION: isize = 10_062;

tokio::task_local! {
    static CURRENT: Arc<Handling>;
}

/// One interaction being handled.
struct Handling {
    received: Instant,
    /// Nanoseconds from `received` to the deferral; 0 until then.
    acknowledged: AtomicU64,
    outcome: AtomicU8,
}

const ANSWERED: u8 = 0;
const FAILED: u8 = 1;
const LATE: u8 = 2;

/// The `kind` label of an interaction.
pub(super) fn kind_of(interaction: &Interaction) -> &'static str {
    match interaction {
        Interaction::Command(c) => match c.data.name.as_str() {
            "quiz" => kind::QUIZ,
            "leaderboard" => kind::BOARD,
            _ => kind::COMMAND,
        },
        Interaction::Component(c) => match ButtonAction::decode(&c.data.custom_id) {
            Some(ButtonAction::Reveal { .. }) => kind::REVEAL,
            Some(ButtonAction::Rate { .. }) => kind::LEVEL,
            Some(ButtonAction::Board { .. }) => kind::BOARD,
            _ => kind::BUTTON,
        },
        Interaction::Modal(_) => kind::MODAL,
        Interaction::Autocomplete(_) => kind::AUTOCOMPLETE,
        _ => kind::COMMAND,
    }
}

/// Runs `handle`, one interaction of `kind` that arrived at `received`,
/// and records its latency and outcome. A handler that panics or is
/// cancelled counts as failed, at the time it stopped.
pub(super) async fn measured(kind: &'static str, received: Instant, handle: impl Future<Output = ()>) {
    let handling = Arc::new(Handling { received, acknowledged: AtomicU64::new(0), outcome: AtomicU8::new(ANSWERED) });
    let mut record = Record { kind, handling: Arc::clone(&handling), finished: false };
    CURRENT.scope(handling, handle).await;
    record.finished = true;
}

/// Records one interaction when dropped: after its handler returned, or
/// when it was dropped half way (a panic, a cancellation).
struct Record {
    kind: &'static str,
    handling: Arc<Handling>,
    finished: bool,
}

impl Drop for Record {
    fn drop(&mut self) {
        let handling = &self.handling;
        let latency = match handling.acknowledged.load(Ordering::Relaxed) {
            0 => handling.received.elapsed(),
            nanos => Duration::from_nanos(nanos),
        };
        let outcome = match handling.outcome.load(Ordering::Relaxed) {
            _ if !self.finished => outcome::FAILED,
            ANSWERED => outcome::ANSWERED,
            LATE => outcome::LATE,
            _ => outcome::FAILED,
        };
        metrics::histogram!(INTERACTION_SECONDS, "kind" => self.kind).record(latency.as_secs_f64());
        metrics::counter!(INTERACTIONS_TOTAL, "kind" => self.kind, "outcome" => outcome).increment(1);
    }
}

/// The interaction being handled was just acknowledged (deferred): its
/// latency stops here. Later calls change nothing.
pub(super) fn acknowledged() {
    let _ = CURRENT.try_with(|h| {
        let nanos = u64::try_from(h.received.elapsed().as_nanos()).unwrap_or(u64::MAX).max(1);
        let _ = h.acknowledged.compare_exchange(0, nanos, Ordering::Relaxed, Ordering::Relaxed);
    });
}

/// The member was told to try again, or got no answer: our failure.
pub(super) fn failed() {
    let _ = CURRENT.try_with(|h| {
        let _ = h.outcome.compare_exchange(ANSWERED, FAILED, Ordering::Relaxed, Ordering::Relaxed);
    });
}

/// Discord refused an answer as too late. Outranks [`failed`]: the
/// failure that follows (no way left to tell the member) is this one.
pub(super) fn late() {
    let _ = CURRENT.try_with(|h| h.outcome.store(LATE, Ordering::Relaxed));
}

/// Whether Discord refused a request because the interaction is past its
/// deadline (or unknown to it).
pub(super) fn is_too_late(error: &serenity::Error) -> bool {
    matches!(error, serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.error.code == UNKNOWN_INTERACTION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;

    /// What `run` recorded, as `/metrics` would show it.
    fn rendered(run: impl Future<Output = ()>) -> String {
        let recorder = PrometheusBuilder::new().build_recorder();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        metrics::with_local_recorder(&recorder, || runtime.block_on(run));
        recorder.handle().render()
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn an_answer_is_timed_to_the_end_of_its_handler() {
        let text = rendered(measured(kind::LEVEL, Instant::now(), async {
            tokio::time::sleep(Duration::from_millis(20)).await
        }));
        assert_eq!(value(&text, r#"quizbot_interactions_total{kind="level",outcome="answered"}"#), Some(1.0), "{text}");
        assert_eq!(value(&text, r#"quizbot_interaction_seconds_count{kind="level"}"#), Some(1.0), "{text}");
        let sum = value(&text, r#"quizbot_interaction_seconds_sum{kind="level"}"#).unwrap();
        assert!((0.02..1.0).contains(&sum), "{sum}");
    }

    #[test]
    fn a_deferred_answer_is_timed_to_its_deferral() {
        let handler = async {
            acknowledged();
            tokio::time::sleep(Duration::from_millis(50)).await;
            acknowledged();
        };
        let text = rendered(measured(kind::BOARD, Instant::now(), handler));
        let sum = value(&text, r#"quizbot_interaction_seconds_sum{kind="board"}"#).unwrap();
        assert!(sum < 0.04, "the work after the deferral does not count: {sum}");
        assert_eq!(value(&text, r#"quizbot_interactions_total{kind="board",outcome="answered"}"#), Some(1.0));
    }

    #[test]
    fn outcomes_come_from_the_failure_paths() {
        let text = rendered(async {
            measured(kind::QUIZ, Instant::now(), async { failed() }).await;
            measured(kind::QUIZ, Instant::now(), async {
                late();
                failed();
            })
            .await;
            measured(kind::QUIZ, Instant::now(), async {}).await;
            // Dropped half way, as a panicking handler's future is.
            let stuck = measured(kind::QUIZ, Instant::now(), std::future::pending());
            let _ = tokio::time::timeout(Duration::from_millis(1), stuck).await;
        });
        for (outcome, count) in [("answered", 1.0), ("failed", 2.0), ("late", 1.0)] {
            let series = format!(r#"quizbot_interactions_total{{kind="quiz",outcome="{outcome}"}}"#);
            assert_eq!(value(&text, &series), Some(count), "{series}\n{text}");
        }
        // Outside an interaction the marks do nothing.
        failed();
        acknowledged();
    }
}
