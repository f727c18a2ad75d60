//! The daily question: when each schedule is due, in its local time.

pub mod time;
