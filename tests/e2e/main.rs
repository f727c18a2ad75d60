//! End to end: the real `quizbot` binary against the stand-in Discord
//! (`standin/`), one module per part of the bot. One test binary, so the
//! bot and serenity are linked once for all of them.

// The PostgreSQL test schemas of the store tests (for `postgres` and
// `shards`).
#[path = "../store/backends.rs"]
mod backends;

mod answer_first;
mod banks;
mod board;
mod daily;
mod group_picks;
mod metrics;
mod pg_restart;
mod postgres;
mod posting;
mod quiz;
mod reminders;
mod review;
mod shards;
mod user_install;
