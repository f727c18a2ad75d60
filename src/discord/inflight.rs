//! The interactions being handled, so that a shutdown answers every one
//! it took.
//!
//! serenity spawns a task per gateway event and forgets it; when the
//! process ends, a click being handled then would get no answer ("This
//! interaction failed") and, worse, its rating could be half done. So the
//! framework is wrapped ([`Tracked`]): each event holds a guard while poise
//! handles it, and [`InFlight::drain`] waits until none is held.
//!
//! A shutdown first keeps serving for [`GRACE`], so that events Discord
//! delivered just before the signal — still in the socket, not yet read —
//! are handled like any other. Then it stops taking interactions: those
//! arriving later are answered at once with [`RESTARTING`] (the gateway is
//! still open until the last one in flight is done), and nothing of theirs
//! is done.
//!
//! The same wrapper times every interaction and counts how it ended
//! (`measure.rs`): it is where an event first reaches the bot's code.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::{
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseMessage, FullEvent, Interaction,
};
use tokio::sync::Notify;
use tracing::warn;

use super::{measure, BotError, Data};

/// How long a shutdown keeps taking interactions after the signal: events
/// already on the wire arrive within it.
pub const GRACE: Duration = Duration::from_millis(300);

/// What a member sees when they click while the bot is stopping.
pub const RESTARTING: &str = "⏳ The bot is restarting; please try again in a few seconds.";

/// Counts the events being handled. Cheap to clone.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Inner>);

#[derive(Default)]
struct Inner {
    count: AtomicUsize,
    draining: AtomicBool,
    idle: Notify,
}

/// Held while one event is handled.
struct Guard(InFlight);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0 .0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0 .0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    fn enter(&self) -> Guard {
        self.0.count.fetch_add(1, Ordering::AcqRel);
        Guard(self.clone())
    }

    fn draining(&self) -> bool {
        self.0.draining.load(Ordering::Acquire)
    }

    /// Keeps serving for `grace`, then stops taking interactions and waits
    /// until none is in flight, or `limit` (counted from the call) is up.
    /// Returns how many were still in flight then.
    pub async fn drain(&self, grace: Duration, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        tokio::time::sleep(grace.min(limit)).await;
        self.0.draining.store(true, Ordering::Release);
        loop {
            let idle = self.0.idle.notified();
            let count = self.0.count.load(Ordering::Acquire);
            if count == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.0.count.load(Ordering::Acquire);
            }
        }
    }
}

/// poise's framework, with every event counted in [`InFlight`].
pub struct Tracked {
    inner: poise::Framework<Data, BotError>,
    inflight: InFlight,
}

impl Tracked {
    pub fn new(inner: poise::Framework<Data, BotError>, inflight: InFlight) -> Self {
        Tracked { inner, inflight }
    }
}

#[serenity::async_trait]
impl serenity::Framework for Tracked {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: FullEvent) {
        let received = Instant::now();
        let _guard = self.inflight.enter();
        let FullEvent::InteractionCreate { interaction } = &event else {
            return self.inner.dispatch(ctx, event).await;
        };
        let kind = measure::kind_of(interaction);
        if self.inflight.draining() {
            let refused = async {
                refuse(&ctx, interaction).await;
                measure::failed();
            };
            return measure::measured(kind, received, refused).await;
        }
        measure::measured(kind, received, self.inner.dispatch(ctx, event)).await;
    }
}

/// Answers an interaction that came in after the shutdown began.
async fn refuse(ctx: &serenity::Context, interaction: &Interaction) {
    let message = || {
        CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content(RESTARTING).ephemeral(true))
    };
    let sent = match interaction {
        Interaction::Command(c) => c.create_response(ctx, message()).await,
        Interaction::Component(c) => c.create_response(ctx, message()).await,
        Interaction::Modal(m) => m.create_response(ctx, message()).await,
        Interaction::Autocomplete(a) => {
            a.create_response(ctx, CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new())).await
        }
        _ => Ok(()),
    };
    if let Err(e) = sent {
        warn!(error = %e, "could not answer an interaction during shutdown");
    }
}
