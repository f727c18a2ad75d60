//! End to end: `/review` brings a question back on the day it is due, and
//! `/stats` shows the progress, with a levels chart once there is any.

use std::path::PathBuf;

use serde_json::{json, Value};
use standin::e2e::{button, interact, respond, WAIT};
use standin::{BotProcess, Place, RecordedRequest, StandIn, TestUser, GUILD_ID};

use quizbot::domain::level::Level;
use quizbot::domain::study::{Scope, Source};
use quizbot::store::Store;

/// `/stats` as `who`: the message the member sees, and the request that
/// completed it (its files and body as sent).
async fn show_stats(standin: &StandIn, options: Value, who: &TestUser) -> (Value, RecordedRequest) {
    let (id, command) = standin.slash("stats", options, who, Place::guild());
    let token = command["token"].as_str().unwrap().to_string();
    let shown = respond(standin, (id, command)).await;
    let sent = standin.requests().into_iter().rev().find(|r| r.path.contains(&token)).expect("the completing request");
    (shown, sent)
}

fn ephemeral(message: &Value) -> bool {
    message["flags"].as_u64().unwrap_or(0) & 64 != 0
}

#[tokio::test]
async fn a_beginner_rating_comes_back_the_next_day() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bank = quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let me = TestUser::new(1_500_000_000_000_000_001, "learner");

    // Day 1: study one question and rate it Beginner (due again in 1 day).
    let mut bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", "2026-11-20T10:00:00Z")]);
    standin.wait_commands(WAIT).await;
    // Nothing studied yet: the text says so, and no (all-grey) chart.
    let (shown, sent) = show_stats(&standin, json!([]), &me).await;
    assert!(ephemeral(&shown));
    assert!(sent.files.is_empty(), "{:?}", sent.files.iter().map(|f| &f.filename).collect::<Vec<_>>());
    assert!(sent.body["embeds"][0].get("image").is_none(), "{}", sent.body);
    assert_eq!(shown["embeds"][0]["description"], format!("**0** of {} questions studied", bank.len()));
    let post = interact(&standin, standin.slash("quiz", json!([]), &me, Place::guild())).await.message();
    let title = post["embeds"][0]["title"].as_str().unwrap().to_string();
    let answer = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &me, Place::guild())).await;
    let answer = answer.message();
    interact(&standin, standin.click(&button(&answer, "Beginner"), &answer, &me, Place::guild())).await;

    // Still day 1: nothing due; a question not studied yet is offered.
    let cb = interact(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(cb.content().starts_with("Nothing is due. Your next review is due <t:"), "{}", cb.content());
    let fresh = cb.message()["embeds"][0]["title"].as_str().unwrap().to_string();
    assert_ne!(fresh, title);
    assert!(bank.questions().iter().any(|q| q.title == fresh));

    // Day 2: the question is due.
    bot.kill().await;
    drop(bot);
    let bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", "2026-11-21T10:30:00Z")]);
    standin.wait_commands(WAIT).await;
    let cb = interact(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(cb.content().starts_with("📅 **1** question due today."), "{}", cb.content());
    let due = cb.message();
    assert_eq!(due["embeds"][0]["title"], title);

    // Reviewing it stores the rating as a review.
    let answer = interact(&standin, standin.click(&button(&due, "Reveal answer"), &due, &me, Place::guild())).await;
    let answer = answer.message();
    interact(&standin, standin.click(&button(&answer, "Advanced"), &answer, &me, Place::guild())).await;
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let history = store.rating_history(Scope::Guild(GUILD_ID), me.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.level, last.source), (Level::Advanced, Source::Review));

    // /stats: one question studied (rated twice), two days in a row.
    let (shown, sent) = show_stats(&standin, json!([]), &me).await;
    assert!(ephemeral(&shown));
    let stats = &shown["embeds"][0];
    assert_eq!(stats["description"], format!("**1** of {} questions studied", bank.len()));
    let field = |name: &str| {
        stats["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(field("Streak"), "🔥 2 (longest 2)");
    assert!(field("Last 14 days").ends_with("⬛🟩🟩"), "{}", field("Last 14 days"));
    assert_eq!(field("Your levels"), "🟢 0 🟡 0 🔴 1");
    assert_eq!(field("Review"), "Nothing due.");
    // The levels chart: a PNG uploaded with the ephemeral reply, shown as
    // the embed's image.
    assert_eq!(sent.body["embeds"][0]["image"]["url"], "attachment://stats.png");
    assert_eq!(sent.files.len(), 1);
    let chart = sent.files.iter().find(|f| f.filename == "stats.png").expect("stats.png uploaded");
    assert_eq!(chart.content_type, "image/png");
    assert!(chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&chart.bytes[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes([chart.bytes[16], chart.bytes[17], chart.bytes[18], chart.bytes[19]]), 600);
    assert_eq!(shown["attachments"][0]["filename"], "stats.png");
    assert_eq!(shown["embeds"][0]["image"]["url"], shown["attachments"][0]["url"]);

    // Another member sees only the public board line.
    let other = TestUser::new(1_500_000_000_000_000_002, "peer");
    let options = json!([{"name": "member", "value": me.id.to_string()}]);
    let (shown, sent) = show_stats(&standin, options, &other).await;
    assert!(ephemeral(&shown));
    let public = shown["embeds"][0]["description"].as_str().unwrap().to_string();
    assert!(public.contains("Rank **#1**") && public.contains("1 studied"), "{public}");
    assert!(!public.contains("Last 14 days"));
    assert!(sent.files.is_empty(), "another member's stats carry no chart");
    assert!(sent.body["embeds"][0].get("image").is_none(), "{}", sent.body);
    assert_eq!(shown["attachments"], json!([]));

    // Now nothing is due any more.
    let cb = interact(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(cb.content().starts_with("Nothing is due."), "{}", cb.content());
    standin.assert_no_violations();
    drop(bot);
}
