//! The domain: plain types and rules, no I/O. Everything above (services,
//! Discord) and below (the store) speaks in these types.
//!
//! - [`bank`]: question banks — parse, repair, ids, picking, answer text;
//! - [`level`]: the three-step scale of difficulties and self-assessments;
//! - [`study`]: posts, ratings, what a rating is worth, and the study day;
//! - [`score`]: the leaderboard's score rule and periods;
//! - [`streak`]: study streaks from study days;
//! - [`review`]: spaced-repetition intervals for `/review`;
//! - [`schedule`]: daily-question schedules, claims, local time and DST.

pub mod bank;
pub mod level;
pub mod review;
pub mod schedule;
pub mod score;
pub mod streak;
pub mod study;
