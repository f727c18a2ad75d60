//! End to end: `/review` brings a question back when FSRS says it is due,
//! with its predicted recall; `/review-settings` moves the target; and
//! `/stats` shows the progress, with a levels chart once there is any.

use std::path::PathBuf;

use serde_json::{json, Value};
use standin::e2e::{button, interact, respond, settled, WAIT};
use standin::{BotProcess, Place, RecordedRequest, StandIn, TestUser, GUILD_ID};

use quizbot::domain::level::Level;
use quizbot::domain::review::{Memory, Retention, Review};
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

    // Day 1: study one question and rate it Beginner (due again in ~5 h).
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
    let cb = settled(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
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
    let cb = settled(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(
        cb.content().starts_with("📅 **1** question due today, **1** this week. This one was due <t:"),
        "{}",
        cb.content()
    );
    // A day after a lapse, FSRS puts recall well below the 90 % target.
    let recall: u32 = cb.content().split("**").nth(5).and_then(|p| p.trim_end_matches(" %").parse().ok()).unwrap();
    assert!((1..90).contains(&recall), "{}", cb.content());
    assert!(cb.content().ends_with(&format!("you'd recall it with **{recall} %** probability.")), "{}", cb.content());
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
    // Just reviewed at 🔴: recalled for sure now, due within the week.
    let memory = Memory::replay(
        &[Review { level: Level::Beginner, at: history[0].at }, Review { level: Level::Advanced, at: last.at }],
        Retention::DEFAULT,
    )
    .unwrap();
    let due_day = (memory.due_at / 86_400 - last.at / 86_400) as usize;
    let mut forecast = [0; 7];
    if let Some(n) = forecast.get_mut(due_day) {
        *n = 1;
    }
    let later = forecast[1..].iter().map(ToString::to_string).collect::<Vec<_>>().join(" · ");
    assert_eq!(
        field("Review"),
        format!(
            "Nothing due.\n🧠 **1** you would recall now with 90 % or more\n📅 Due in the next 7 days: today **{}**, then {later}",
            forecast[0]
        )
    );
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
    let cb = settled(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(cb.content().starts_with("Nothing is due."), "{}", cb.content());

    // A higher target brings the question back sooner: the next review's
    // time moves, and the member is told what the target means.
    let next_at =
        |text: &str| text.split("<t:").nth(1).and_then(|t| t.split(':').next()).and_then(|t| t.parse::<i64>().ok());
    let before = next_at(cb.content()).unwrap();
    assert_eq!(before, memory.due_at);
    let set = json!([{"name": "retention", "value": 0.97}]);
    let cb = settled(&standin, standin.slash("review-settings", set, &me, Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(
        cb.content().starts_with("✅ Saved; your questions are rescheduled.\n🎯 Your target retention is **97 %**"),
        "{}",
        cb.content()
    );
    let cb = settled(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    let after = next_at(cb.content()).unwrap();
    assert!(after < before, "{after} < {before}: {}", cb.content());
    assert_eq!(after, memory.rescheduled(Retention::from_percent(97).unwrap()).due_at);
    let cb = settled(&standin, standin.slash("review-settings", json!([]), &me, Place::dm(&me))).await;
    assert!(
        cb.content().starts_with("🎯 Your target retention is **97 %**"),
        "the member's, everywhere: {}",
        cb.content()
    );
    standin.assert_no_violations();
    drop(bot);
}
