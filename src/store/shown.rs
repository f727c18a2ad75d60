//! How often each question was shown in a channel, kept in memory on
//! SQLite, so that `/quiz` reads nothing from the database: it picks the
//! channel's least-shown question from these counts and answers (issue 16:
//! `/quiz` one at a time within 1.3× of a bot that answers from memory).
//!
//! Only on SQLite, which one process writes: every post of a channel is
//! recorded through this store, so the counts here stay exact. On
//! PostgreSQL the scheduler of any process posts any server's daily
//! question, so another process's counts would miss it; there they are
//! read from the database each time.
//!
//! A channel's counts are read from the database once (with the posts not
//! yet committed, `unconfirmed.rs`), then every post recorded afterwards
//! is added here. A post recorded while they are being read is added once
//! they arrive, even if the read already counted it: a question counted
//! twice waits a turn longer, one missed would be shown again too soon.
//! For the same reason a post is counted once shown, whether or not its
//! record reaches the disk, and a post recorded again (the scheduler
//! finding its post after a restart) is counted again.
//! At most [`CHANNELS`] channels are kept; the one used longest ago is
//! dropped first and read again when next needed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::domain::bank::QuestionId;

/// The channels whose counts are kept: about 70 bytes a question shown,
/// so a few megabytes when each of them has seen a whole built-in bank.
pub(super) const CHANNELS: usize = 1_024;

/// The counts of the channels used last; disabled on PostgreSQL.
#[derive(Clone, Debug, Default)]
pub(super) struct Shown {
    cache: Option<Arc<Mutex<Cache>>>,
}

#[derive(Debug, Default)]
struct Cache {
    channels: HashMap<u64, Slot>,
    /// Counts uses, to tell which channel was used longest ago.
    clock: u64,
}

#[derive(Debug)]
enum Slot {
    /// Being read from the database; the posts recorded meanwhile.
    Reading(Vec<QuestionId>),
    Known {
        counts: HashMap<QuestionId, u64>,
        used: u64,
    },
}

/// A channel's counts being read from the database by its holder. Dropped
/// without [`finish`](Reading::finish) (the read failed), the channel is
/// forgotten, to be read again next time.
#[must_use]
pub(super) struct Reading {
    of: Arc<Mutex<Cache>>,
    channel_id: u64,
    finished: bool,
}

impl Shown {
    /// Counts kept in memory when `exact` (this process records every post
    /// of its channels), none otherwise.
    pub(super) fn new(exact: bool) -> Shown {
        Shown { cache: exact.then(Arc::default) }
    }

    /// The channel's counts, if kept.
    pub(super) fn get(&self, channel_id: u64) -> Option<HashMap<QuestionId, u64>> {
        let mut cache = lock(self.cache.as_ref()?);
        cache.clock += 1;
        let now = cache.clock;
        match cache.channels.get_mut(&channel_id)? {
            Slot::Known { counts, used } => {
                *used = now;
                Some(counts.clone())
            }
            Slot::Reading(_) => None,
        }
    }

    /// Starts reading the channel's counts from the database, unless they
    /// are not kept or another task is reading them already (that caller
    /// then reads for itself and keeps nothing).
    pub(super) fn start_reading(&self, channel_id: u64) -> Option<Reading> {
        let of = self.cache.as_ref()?;
        let mut cache = lock(of);
        if cache.channels.contains_key(&channel_id) {
            return None;
        }
        cache.channels.insert(channel_id, Slot::Reading(Vec::new()));
        Some(Reading { of: Arc::clone(of), channel_id, finished: false })
    }

    /// One more post of `question` in the channel.
    pub(super) fn shown(&self, channel_id: u64, question: &QuestionId) {
        let Some(of) = &self.cache else { return };
        match lock(of).channels.get_mut(&channel_id) {
            Some(Slot::Known { counts, .. }) => *counts.entry(question.clone()).or_default() += 1,
            Some(Slot::Reading(meanwhile)) => meanwhile.push(question.clone()),
            // Read from the database when next needed.
            None => {}
        }
    }
}

impl Reading {
    /// The counts as read, with the posts recorded meanwhile; kept from
    /// now on.
    pub(super) fn finish(mut self, mut counts: HashMap<QuestionId, u64>) -> HashMap<QuestionId, u64> {
        self.finished = true;
        let mut cache = lock(&self.of);
        if let Some(Slot::Reading(meanwhile)) = cache.channels.remove(&self.channel_id) {
            for question in meanwhile {
                *counts.entry(question).or_default() += 1;
            }
        }
        if cache.channels.len() >= CHANNELS {
            let oldest = cache
                .channels
                .iter()
                .filter_map(|(id, slot)| match slot {
                    Slot::Known { used, .. } => Some((*used, *id)),
                    Slot::Reading(_) => None,
                })
                .min();
            if let Some((_, id)) = oldest {
                cache.channels.remove(&id);
            }
        }
        cache.clock += 1;
        let used = cache.clock;
        cache.channels.insert(self.channel_id, Slot::Known { counts: counts.clone(), used });
        counts
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if !self.finished {
            let mut cache = lock(&self.of);
            if matches!(cache.channels.get(&self.channel_id), Some(Slot::Reading(_))) {
                cache.channels.remove(&self.channel_id);
            }
        }
    }
}

/// Held for a lookup, never across an `.await`; a panic elsewhere while
/// holding it leaves a valid map.
fn lock(cache: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: u32) -> QuestionId {
        QuestionId::parse(&format!("{n:012}")).unwrap_or_else(|| panic!("{n} is not an id"))
    }

    fn counts(pairs: &[(u32, u64)]) -> HashMap<QuestionId, u64> {
        pairs.iter().map(|(n, c)| (q(*n), *c)).collect()
    }

    #[test]
    fn a_post_recorded_while_the_counts_are_read_is_added_to_them() {
        let shown = Shown::new(true);
        assert_eq!(shown.get(7), None);
        let reading = shown.start_reading(7).unwrap_or_else(|| panic!("nobody else reads"));
        // A second reader meanwhile reads for itself.
        assert!(shown.start_reading(7).is_none());
        assert_eq!(shown.get(7), None);
        shown.shown(7, &q(2));
        assert_eq!(reading.finish(counts(&[(1, 3)])), counts(&[(1, 3), (2, 1)]));
        shown.shown(7, &q(1));
        assert_eq!(shown.get(7), Some(counts(&[(1, 4), (2, 1)])));
        // Another channel's posts are its own, and not kept until read.
        shown.shown(8, &q(1));
        assert_eq!(shown.get(8), None);
    }

    #[test]
    fn a_failed_read_keeps_nothing() {
        let shown = Shown::new(true);
        drop(shown.start_reading(7));
        assert_eq!(shown.get(7), None);
        assert!(shown.start_reading(7).is_some());
    }

    #[test]
    fn nothing_is_kept_when_other_processes_post_too() {
        let shown = Shown::new(false);
        assert!(shown.start_reading(7).is_none());
        shown.shown(7, &q(1));
        assert_eq!(shown.get(7), None);
    }

    #[test]
    fn the_channel_used_longest_ago_is_dropped_first() {
        let shown = Shown::new(true);
        for channel in 0..CHANNELS as u64 {
            let reading = shown.start_reading(channel).unwrap_or_else(|| panic!("{channel}"));
            let _ = reading.finish(counts(&[(1, channel)]));
        }
        // Channel 0 is used again, so channel 1 is now the oldest.
        assert!(shown.get(0).is_some());
        let reading = shown.start_reading(u64::MAX).unwrap_or_else(|| panic!("a new channel"));
        let _ = reading.finish(HashMap::new());
        assert_eq!(shown.get(1), None);
        assert_eq!(shown.get(0), Some(counts(&[(1, 0)])));
        assert_eq!(shown.get(u64::MAX), Some(HashMap::new()));
        assert_eq!(shown.cache.as_ref().map(|c| lock(c).channels.len()), Some(CHANNELS));
    }
}
