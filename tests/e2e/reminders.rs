//! End to end: review reminders. At the member's local time the bot DMs
//! them how many reviews are due, with a button that starts `/review`; a
//! member whose DMs are closed (Discord's 50007) has the reminder turned
//! off and is told the next time they run `/review`.

use std::time::Duration;

use serde_json::{json, Value};
use standin::e2e::{assert_clean, button, interact, settled, WAIT};
use standin::{dm_channel_id, BotProcess, Place, StandIn, TestUser};

use quizbot::domain::schedule::reminder::ReminderState;
use quizbot::store::Store;

/// Rates the first /quiz question Beginner in the member's DM with the
/// bot: due again within hours, so "due today".
async fn study(standin: &StandIn, who: &TestUser) {
    let dm = Place::dm(who);
    let post = interact(standin, standin.slash("quiz", json!([]), who, dm)).await.message();
    let answer = interact(standin, standin.click(&button(&post, "Reveal answer"), &post, who, dm)).await.message();
    interact(standin, standin.click(&button(&answer, "Beginner"), &answer, who, dm)).await;
}

async fn remind_at(standin: &StandIn, who: &TestUser, time: &str) -> String {
    let options = json!([{"name": "time", "value": time}, {"name": "timezone", "value": "UTC"}]);
    settled(standin, standin.slash("remind set", options, who, Place::dm(who))).await.content().to_string()
}

/// Waits until `found` says yes, or fails after [`WAIT`].
async fn eventually<T>(mut found: impl FnMut() -> Option<T>, what: &str) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(t) = found() {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reminder_dm_starts_a_review_and_closed_dms_turn_it_off() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    // A few seconds before the reminders' time.
    let bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", "2026-11-20T08:29:54Z")]);
    standin.wait_commands(WAIT).await;
    let open = TestUser::new(1_900_000_000_000_000_001, "open");
    let closed = TestUser::new(1_900_000_000_000_000_002, "closed");
    for who in [&open, &closed] {
        study(&standin, who).await;
        let set = remind_at(&standin, who, "08:30").await;
        assert!(set.starts_with("⏰ Reminders on: every day at 08:30 (UTC) when reviews are due."), "{set}");
    }
    standin.close_dms(closed.id);

    // 08:30: the DM, with the count and a button.
    let dm = dm_channel_id(open.id);
    let reminder: Value = eventually(
        || {
            standin
                .channel_messages(dm)
                .into_iter()
                .find(|m| m["content"].as_str().is_some_and(|c| c.starts_with("⏰ Time to review")))
        },
        "the reminder DM",
    )
    .await;
    let text = reminder["content"].as_str().unwrap();
    assert!(text.contains("📅 **1** question due today"), "{text}");
    let start =
        interact(&standin, standin.click(&button(&reminder, "Start review"), &reminder, &open, Place::dm(&open)));
    let cb = start.await;
    assert!(cb.ephemeral(), "the review is the member's alone");

    // The other member's DMs are closed: refused once, reminder off.
    let refused = format!("/channels/{}/messages", dm_channel_id(closed.id));
    eventually(
        || standin.requests().iter().any(|r| r.is("POST", &refused) && r.status == 403).then_some(()),
        "the 50007",
    )
    .await;
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !matches!(store.reminder(closed.id).await.unwrap(), Some(ReminderState::TurnedOff { .. })) {
        assert!(tokio::time::Instant::now() < deadline, "the reminder was never turned off");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let review = settled(&standin, standin.slash("review", json!([]), &closed, Place::dm(&closed))).await;
    let told = review.content().to_string();
    assert!(told.starts_with("⚠️ I could not send you a DM"), "{told}");
    let status = settled(&standin, standin.slash("remind status", json!([]), &closed, Place::dm(&closed))).await;
    assert_eq!(status.content(), "You have no reminders. `/remind set` starts them.", "told once, then gone");
    // Exactly one DM and one refusal: nothing sent twice.
    let reminders = standin
        .channel_messages(dm)
        .into_iter()
        .filter(|m| m["content"].as_str().is_some_and(|c| c.starts_with("⏰ Time to review")))
        .count();
    assert_eq!(reminders, 1);
    assert_eq!(standin.requests().iter().filter(|r| r.is("POST", &refused)).count(), 1);
    assert_clean(&standin, &bot);
}
