//! quizbot: interview-prep guides as daily practice for Discord study groups.
//!
//! Layers, top to bottom (data flows one way):
//! - [`discord`]: poise commands, the button router, embeds — the only code
//!   that knows serenity.
//! - [`quiz`]: the use cases a command runs (pick a question, record a
//!   rating), in plain Rust types.
//! - [`bank`] (question banks), [`study`] (ratings, standings), [`level`]:
//!   the domain, pure.
//! - [`store`]: every SQL statement — the only code that knows sqlx.
//!
//! [`config`] reads the environment; `main.rs` only wires these together.

pub mod app;
pub mod bank;
pub mod board;
pub mod check;
pub mod config;
pub mod daily;
pub mod discord;
pub mod level;
pub mod quiz;
pub mod review;
pub mod schedule;
pub mod stats;
pub mod store;
pub mod study;
