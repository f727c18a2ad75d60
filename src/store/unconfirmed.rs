//! The `/quiz` posts queued for the disk but not yet confirmed
//! ([`Store::record_post_later`]), so that the channel's next `/quiz`,
//! which may come before the commit, already counts them, and so that
//! closing the store waits for them.
//!
//! Entries live for one commit (a millisecond or so), so the map stays
//! as small as the writes in flight. A std mutex: it is held for a lookup,
//! never across an `.await`.
//!
//! [`Store::record_post_later`]: super::Store::record_post_later

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::domain::bank::QuestionId;

#[derive(Clone, Debug, Default)]
pub(super) struct Unconfirmed {
    posts: Arc<Mutex<HashMap<u64, Vec<QuestionId>>>>,
    /// Told whenever the last unconfirmed post is settled.
    none_left: Arc<Notify>,
}

/// One unconfirmed post; settled (written or failed) when dropped, so a
/// task that panics or is cancelled cannot leave it counted for ever.
#[must_use]
pub(super) struct Pending {
    of: Unconfirmed,
    channel_id: u64,
    question: QuestionId,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut posts = self.of.lock();
        if let Some(questions) = posts.get_mut(&self.channel_id) {
            if let Some(i) = questions.iter().position(|q| *q == self.question) {
                questions.swap_remove(i);
            }
            if questions.is_empty() {
                posts.remove(&self.channel_id);
            }
        }
        if posts.is_empty() {
            self.of.none_left.notify_waiters();
        }
    }
}

impl Unconfirmed {
    pub(super) fn add(&self, channel_id: u64, question: &QuestionId) -> Pending {
        self.lock().entry(channel_id).or_default().push(question.clone());
        Pending { of: self.clone(), channel_id, question: question.clone() }
    }

    /// The channel's unconfirmed posts, one entry per post.
    pub(super) fn of(&self, channel_id: u64) -> Vec<QuestionId> {
        self.lock().get(&channel_id).cloned().unwrap_or_default()
    }

    /// Returns once no post is unconfirmed.
    pub(super) async fn settled(&self) {
        loop {
            // Registered before the check, so a settlement in between
            // still wakes it.
            let notified = self.none_left.notified();
            if self.lock().is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// A panic elsewhere while holding the lock leaves a valid map.
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Vec<QuestionId>>> {
        self.posts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
