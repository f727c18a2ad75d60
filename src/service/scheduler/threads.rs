//! A discussion thread on each daily post, for schedules that ask for one
//! (`/daily set … thread:true`): named after the question, archived after
//! a day, with one line inviting answers before the reveal.
//!
//! Made once per post. The thread is opened after the post is recorded
//! and recorded in turn (`daily_posts.thread_id`); a process that stops
//! between the two leaves the day's schedule due, and whoever handles it
//! next finds the post made and its thread missing, and opens it. Discord
//! refuses a second thread on one message, which the poster counts as the
//! thread being there; the prompt carries a nonce naming it.
//!
//! The post matters more than its thread: a thread Discord refuses (no
//! Create Public Threads, say) is noted for `/daily status` and the post
//! stands. A thread that fails for a moment is not retried later: the
//! schedule moves on to the next day.

use chrono::NaiveDate;
use tracing::{info, warn};

use super::{DailyThread, PostError, Poster, Scheduler};
use crate::domain::schedule::{thread_name, thread_nonce, Schedule};
use crate::domain::study::Scope;
use crate::store::StoreError;

impl<P: Poster> Scheduler<P> {
    /// Opens the day's thread on the channel's post if the schedule wants
    /// one and the post has none yet.
    pub(super) async fn thread_if_wanted(&self, s: &Schedule, date: NaiveDate) -> Result<(), StoreError> {
        if !s.thread {
            return Ok(());
        }
        let store = &self.services.store;
        let Some((message_id, question)) = store.daily_without_thread(s.channel_id, date).await? else {
            return Ok(());
        };
        let title = match self.services.question(Scope::Guild(s.guild_id), 0, &question).await {
            Ok(found) => found.question().title.clone(),
            Err(_) => "Question of the day".to_string(),
        };
        let name = thread_name(&title);
        let nonce = thread_nonce(s.channel_id, date);
        let thread = DailyThread { channel_id: s.channel_id, message_id, name: &name, nonce: &nonce };
        // Two requests: the thread, then its prompt.
        self.pace.wait().await;
        self.pace.wait().await;
        match self.poster.open_thread(&thread).await {
            Ok(thread_id) => {
                info!(channel = s.channel_id, %date, "discussion thread opened");
                store.record_thread(s.channel_id, date, thread_id).await
            }
            Err(error) => {
                let reason = match &error {
                    PostError::Permanent(reason) => reason.clone(),
                    other => format!("{other}; the next post will try again"),
                };
                warn!(channel = s.channel_id, %date, %reason, "discussion thread not opened");
                store.thread_failed(s.channel_id, &reason).await
            }
        }
    }
}
