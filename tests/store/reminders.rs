//! Review reminders' storage on both backends: the claim that sends each
//! day's reminder once, the due query, retries that keep their day, and
//! the turned-off notice told once.

use chrono::NaiveDate;

use crate::backends::TestDb;
use crate::on_both_backends;

use quizbot::domain::schedule::reminder::{Reminder, ReminderState, TurnedOff};
use quizbot::domain::schedule::time::{parse_zone, TimeOfDay};
use quizbot::domain::schedule::DayClaim;

const T: i64 = 1_780_000_000;

fn reminder(user_id: u64, next_due_at: i64) -> Reminder {
    let (time, zone) = (TimeOfDay::parse("08:30").unwrap(), parse_zone("Europe/Berlin").unwrap());
    Reminder { user_id, time, zone, next_due_at, pending: None }
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, n).unwrap()
}

async fn one_claim_per_member_and_day(db: TestDb) {
    let store = db.store().await;
    let (a, b) = (db.store().await, db.store().await);
    // Two processes race for one day: one wins.
    let (x, y) = tokio::join!(a.claim_reminder(7, day(1), "a", T, T + 60), b.claim_reminder(7, day(1), "b", T, T + 60));
    let outcomes = [x.unwrap(), y.unwrap()];
    assert_eq!(outcomes.iter().filter(|o| matches!(o, DayClaim::Won { .. })).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&DayClaim::Held { until: T + 60 }), "{outcomes:?}");
    let winner = if outcomes[0] == (DayClaim::Won { claimed_at: T }) { "a" } else { "b" };
    // Past the lease the other takes it over, keeping the first claim time.
    let loser = if winner == "a" { "b" } else { "a" };
    assert_eq!(store.claim_reminder(7, day(1), loser, T + 61, T + 121).await.unwrap(), DayClaim::Won { claimed_at: T });
    assert!(!store.complete_reminder(7, day(1), winner, 55, T + 62).await.unwrap(), "no longer the winner's");
    assert!(store.complete_reminder(7, day(1), loser, 55, T + 62).await.unwrap());
    assert_eq!(store.claim_reminder(7, day(1), "c", T + 999, T + 1_059).await.unwrap(), DayClaim::Done);
    // Another day, another member: their own claims.
    assert!(matches!(store.claim_reminder(7, day(2), "a", T, T + 60).await.unwrap(), DayClaim::Won { .. }));
    assert!(matches!(store.claim_reminder(8, day(1), "a", T, T + 60).await.unwrap(), DayClaim::Won { .. }));
    // A released claim is free again.
    store.release_reminder(8, day(1), "a").await.unwrap();
    assert!(matches!(store.claim_reminder(8, day(1), "b", T, T + 60).await.unwrap(), DayClaim::Won { .. }));
}

async fn due_reminders_retries_and_notices(db: TestDb) {
    let store = db.store().await;
    assert_eq!(store.next_reminder_at().await.unwrap(), None);
    store.set_reminder(&reminder(7, T + 100), T).await.unwrap();
    store.set_reminder(&reminder(8, T + 50), T).await.unwrap();
    assert_eq!(store.next_reminder_at().await.unwrap(), Some(T + 50));
    assert_eq!(store.due_reminders(T + 60, 10).await.unwrap(), [reminder(8, T + 50)]);
    // A retry keeps its day; a /remind set meanwhile wins over the retry.
    let due = store.due_reminders(T + 200, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    store.reminder_next(&due[0], T + 260, Some(day(3))).await.unwrap();
    assert_eq!(due[0].user_id, 8);
    let retried = store.due_reminders(T + 300, 10).await.unwrap();
    let eight = retried.iter().find(|r| r.user_id == 8).unwrap();
    assert_eq!((eight.next_due_at, eight.pending), (T + 260, Some(day(3))));
    store.set_reminder(&reminder(7, T + 5_000), T + 201).await.unwrap();
    store.reminder_next(&due[1], T + 999, None).await.unwrap();
    assert_eq!(
        store.reminder(7).await.unwrap(),
        Some(ReminderState::On(reminder(7, T + 5_000))),
        "the new setting stays"
    );
    // Turned off: no longer due, told once, then gone.
    store.turn_off_reminder(8, TurnedOff::DmsClosed, T + 301).await.unwrap();
    assert!(store.due_reminders(T + 10_000, 10).await.unwrap().iter().all(|r| r.user_id != 8));
    assert_eq!(store.reminder(8).await.unwrap(), Some(ReminderState::TurnedOff { why: TurnedOff::DmsClosed }));
    assert_eq!(store.take_reminder_notice(7).await.unwrap(), None, "member 7's is on");
    assert_eq!(store.take_reminder_notice(8).await.unwrap(), Some(TurnedOff::DmsClosed));
    assert_eq!(store.take_reminder_notice(8).await.unwrap(), None);
    assert_eq!(store.reminder(8).await.unwrap(), None);
    assert!(store.remove_reminder(7).await.unwrap());
    assert!(!store.remove_reminder(7).await.unwrap());
    assert_eq!(store.next_reminder_at().await.unwrap(), None);
}

on_both_backends!(one_claim_per_member_and_day, due_reminders_retries_and_notices);
