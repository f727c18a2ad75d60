//! The `/quiz` posts queued for the disk but not yet confirmed
//! ([`Store::record_post_later`]), so that the channel's next `/quiz`,
//! which may come before the commit, already counts them.
//!
//! Entries live for one commit (a millisecond or so), so the map stays
//! as small as the writes in flight. A std mutex: it is held for a lookup,
//! never across an `.await`.
//!
//! [`Store::record_post_later`]: super::Store::record_post_later

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::bank::QuestionId;

#[derive(Clone, Debug, Default)]
pub(super) struct Unconfirmed {
    posts: Arc<Mutex<HashMap<u64, Vec<QuestionId>>>>,
}

impl Unconfirmed {
    pub(super) fn add(&self, channel_id: u64, question: &QuestionId) {
        self.lock().entry(channel_id).or_default().push(question.clone());
    }

    pub(super) fn remove(&self, channel_id: u64, question: &QuestionId) {
        let mut posts = self.lock();
        if let Some(questions) = posts.get_mut(&channel_id) {
            if let Some(i) = questions.iter().position(|q| q == question) {
                questions.swap_remove(i);
            }
            if questions.is_empty() {
                posts.remove(&channel_id);
            }
        }
    }

    /// The channel's unconfirmed posts, one entry per post.
    pub(super) fn of(&self, channel_id: u64) -> Vec<QuestionId> {
        self.lock().get(&channel_id).cloned().unwrap_or_default()
    }

    /// A panic elsewhere while holding the lock leaves a valid map.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<QuestionId>>> {
        self.posts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
