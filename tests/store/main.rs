//! The store with the real migrations, on SQLite and on PostgreSQL
//! (`backends`), and the daily scheduler against a real SQLite file.

mod backends;

mod scheduler;
mod schedules;
mod store;
