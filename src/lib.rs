//! quizbot: interview-prep guides as daily practice for Discord study groups.
//!
//! The tree is the architecture; data flows one way, top to bottom:
//! - [`discord`]: poise commands, the button router, views, the REST
//!   poster — the only code that knows serenity and poise. It decodes an
//!   interaction, calls one service, renders the result.
//! - [`service`]: one file per use case (quiz, rate, leaderboard, review,
//!   stats, members, daily, scheduler, upkeep) behind one
//!   [`service::Services`] handle.
//! - [`domain`]: pure types and rules — banks, levels, score, streaks,
//!   review intervals, schedules and local time.
//! - [`store`]: every SQL statement, returning domain types — the only code
//!   that knows sqlx.
//!
//! [`app`] is the one composition root (config → store → banks → services
//! → Discord) and owns every background task; [`config`] reads the
//! environment, [`clock`] is the injectable time source, [`bank_files`]
//! reads the banks from disk, [`check`] is `quizbot check`, [`ops`] the
//! optional metrics and health endpoint, [`measures`] the names of what
//! every layer records for it.

pub mod app;
pub mod bank_files;
pub mod check;
pub mod clock;
pub mod config;
pub mod discord;
pub mod domain;
pub mod measures;
pub mod ops;
pub mod service;
pub mod store;
