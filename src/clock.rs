//! The scheduler's clock, injectable so tests can run DST days, downtime
//! and restarts without waiting.
//!
//! - [`Clock::system`]: the real time.
//! - [`Clock::starting_at`]: real time shifted to start at a given instant
//!   (the bot's `QUIZBOT_CLOCK_START`, for end-to-end tests of a "09:00"
//!   without waiting for the morning).
//! - [`Clock::manual`]: stands still until a test moves it; sleepers wake
//!   when it passes their deadline. No tokio time tricks are involved, so
//!   database timeouts keep their real meaning in tests.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
enum Inner {
    Real { offset: Duration },
    Manual { now: Mutex<DateTime<Utc>>, moved: Notify },
}

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Inner::Real { offset: Duration::zero() }))
    }

    /// Reads `start` now and runs on in real time.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Inner::Real { offset: start - Utc::now() }))
    }

    /// Reads `start` until moved with [`Clock::set`] or [`Clock::advance`].
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Inner::Manual { now: Mutex::new(start), moved: Notify::new() }))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Inner::Real { offset } => Utc::now() + *offset,
            // A poisoned lock still holds a valid instant.
            Inner::Manual { now, .. } => *now.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    pub fn now_unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves a manual clock to `at` (no effect on a real one).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Inner::Manual { now, moved } = &*self.0 {
            *now.lock().unwrap_or_else(|p| p.into_inner()) = at;
            moved.notify_waiters();
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }

    /// Returns once the clock reads `at` or later.
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        match &*self.0 {
            Inner::Real { .. } => {
                let ahead = (at - self.now()).to_std().unwrap_or_default();
                tokio::time::sleep(ahead).await;
            }
            Inner::Manual { moved, .. } => loop {
                let notified = moved.notified();
                if self.now() >= at {
                    return;
                }
                notified.await;
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[tokio::test]
    async fn manual_sleepers_wake_when_the_clock_passes_their_deadline() {
        let clock = Clock::manual(utc("2026-03-08T06:59:00Z"));
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(utc("2026-03-08T07:00:00Z")).await })
        };
        clock.advance(Duration::seconds(30));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::seconds(30));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleeper).await.unwrap().unwrap();
    }

    #[test]
    fn a_shifted_clock_starts_where_asked() {
        let clock = Clock::starting_at(utc("2030-01-01T09:00:00Z"));
        let drift = (clock.now() - utc("2030-01-01T09:00:00Z")).num_seconds();
        assert!((0..5).contains(&drift), "{drift}");
    }
}
