//! The store with the real migrations, on SQLite and on PostgreSQL
//! (`backends`), servers' own banks through the services, and the daily
//! scheduler against a real SQLite file.

mod backends;

mod banks;
mod memory;
mod reminders;
mod scheduler;
mod schedules;
mod store;
