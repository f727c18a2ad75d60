//! What a level click needs besides the click (the server's zone and the
//! channel's latest question of the day, [`RatingContext`]), kept in
//! memory on SQLite: a click then reads nothing from the database before
//! its write, one trip to SQLite's thread fewer (issue 16: a level click
//! one at a time within 0.5 ms of a bot that answers from memory).
//!
//! Only on SQLite, which one process writes, through one [`Store`]
//! (`app.rs`; its clones share this cache): every schedule and every
//! posted question of the day is written through it, and each of those
//! writes forgets what is kept here once it is done
//! ([`Contexts::forgetting`]), so the next click reads it again. A second
//! `Store` on the same file is not told of the first one's writes (tests
//! that stand for a restart with one read through a fresh store). On
//! PostgreSQL another process may post a channel's question of the day;
//! there it is read for every click.
//!
//! [`Store`]: super::Store
//!
//! A read that began before a write and ends after it could keep what the
//! write replaced: each forgetting starts a new generation, and a read
//! keeps its result only if none started while it ran.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::domain::study::RatingContext;

/// The channels kept at most, about a hundred bytes each; all are dropped
/// when it is reached, and read again as they are clicked in.
const CHANNELS: usize = 20_000;

/// The contexts of the channels clicked in; disabled on PostgreSQL.
#[derive(Clone, Debug, Default)]
pub(super) struct Contexts {
    cache: Option<Arc<Mutex<Cache>>>,
}

#[derive(Debug, Default)]
struct Cache {
    generation: u64,
    /// By server and channel.
    channels: HashMap<(u64, u64), RatingContext>,
}

/// A channel's context being read from the database; see
/// [`Contexts::keep`].
#[must_use]
pub(super) struct Reading {
    key: (u64, u64),
    generation: u64,
}

impl Contexts {
    /// Contexts kept in memory when `exact` (this process writes every
    /// schedule and post), none otherwise.
    pub(super) fn new(exact: bool) -> Contexts {
        Contexts { cache: exact.then(Arc::default) }
    }

    /// The channel's context if kept; otherwise, when contexts are kept at
    /// all, the [`Reading`] to hand back with what the database said.
    pub(super) fn get(&self, guild_id: u64, channel_id: u64) -> Result<RatingContext, Option<Reading>> {
        let Some(cache) = &self.cache else { return Err(None) };
        let cache = lock(cache);
        let key = (guild_id, channel_id);
        match cache.channels.get(&key) {
            Some(context) => Ok(context.clone()),
            None => Err(Some(Reading { key, generation: cache.generation })),
        }
    }

    /// Keeps what the database said for a channel, unless a write came
    /// while it was read.
    pub(super) fn keep(&self, reading: Reading, context: &RatingContext) {
        let Some(cache) = &self.cache else { return };
        let mut cache = lock(cache);
        if cache.generation != reading.generation {
            return;
        }
        if cache.channels.len() >= CHANNELS {
            cache.channels.clear();
        }
        cache.channels.insert(reading.key, context.clone());
    }

    /// Held across a write that may change any context (a schedule's zone,
    /// a question of the day posted): every context is forgotten when it
    /// drops, however the write ended (done, failed, or its future dropped
    /// after the commit).
    pub(super) fn forgetting(&self) -> Forgetting<'_> {
        Forgetting(self)
    }

    /// Forgets every context; after the write that changed them, since a
    /// read in between could keep what the write replaced.
    fn forget(&self) {
        let Some(cache) = &self.cache else { return };
        let mut cache = lock(cache);
        cache.generation += 1;
        cache.channels.clear();
    }
}

/// See [`Contexts::forgetting`].
#[must_use]
pub(super) struct Forgetting<'a>(&'a Contexts);

impl Drop for Forgetting<'_> {
    fn drop(&mut self) {
        self.0.forget();
    }
}

/// The cache holds no invariant a panic could break half-way.
fn lock(cache: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;

    use super::*;

    fn context(zone: Tz) -> RatingContext {
        RatingContext { zone, daily: None }
    }

    #[test]
    fn a_kept_context_is_served_until_a_write_forgets_it() {
        let contexts = Contexts::new(true);
        let Err(Some(reading)) = contexts.get(1, 2) else { panic!("nothing kept yet") };
        contexts.keep(reading, &context(Tz::Europe__Paris));
        assert_eq!(contexts.get(1, 2).ok().map(|c| c.zone), Some(Tz::Europe__Paris));
        drop(contexts.forgetting());
        assert!(matches!(contexts.get(1, 2), Err(Some(_))));
    }

    #[test]
    fn a_read_that_a_write_overtook_is_not_kept() {
        let contexts = Contexts::new(true);
        let Err(Some(reading)) = contexts.get(1, 2) else { panic!("nothing kept yet") };
        drop(contexts.forgetting());
        contexts.keep(reading, &context(Tz::Europe__Paris));
        assert!(matches!(contexts.get(1, 2), Err(Some(_))), "the read may predate the write");
    }

    #[test]
    fn nothing_is_kept_on_postgresql() {
        let contexts = Contexts::new(false);
        assert!(matches!(contexts.get(1, 2), Err(None)));
    }
}
