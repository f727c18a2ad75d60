//! End to end: Answer first. A member writes their answer in a modal, sees
//! it above the guide's, rates it; the modal survives a restart; their
//! words come back under the answer in `/review`, to them alone, and
//! `/forget-me` deletes them.

use serde_json::{json, Value};
use standin::e2e::{assert_clean, button, buttons, interact, respond, settled, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser, GUILD_ID};

use quizbot::domain::bank::QuestionId;
use quizbot::domain::level::Level;
use quizbot::domain::study::{Scope, Source};
use quizbot::store::Store;

const WRITTEN: &str = "A **rolling update** replaces instances a few at a time,\nso the service never goes down.";

fn spawn(standin: &StandIn, db: &std::path::Path, at: &str) -> BotProcess {
    BotProcess::spawn(&standin::quizbot!(), standin, db, &[("QUIZBOT_CLOCK_START", at)])
}

fn embed_titles(message: &Value) -> Vec<String> {
    message["embeds"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap_or("").to_string()).collect()
}

/// The question id in a question message's footer ("Bank · 0123456789ab").
fn question_id(post: &Value) -> QuestionId {
    let footer = post["embeds"][0]["footer"]["text"].as_str().unwrap();
    QuestionId::parse(footer.rsplit(" · ").next().unwrap()).unwrap()
}

#[tokio::test]
async fn answer_first_compares_survives_a_restart_and_comes_back_in_review() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let me = TestUser::new(1_600_000_000_000_000_001, "writer");
    let peer = TestUser::new(1_600_000_000_000_000_002, "peer");
    let mut bot = spawn(&standin, &db, "2026-11-20T10:00:00Z");
    standin.wait_commands(WAIT).await;

    // The question carries Answer first beside Reveal.
    let post = interact(&standin, standin.slash("quiz", json!([]), &me, Place::guild())).await.message();
    let labels: Vec<String> = buttons(&post).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels, ["Reveal answer", "Answer first"]);
    let title = post["embeds"][0]["title"].as_str().unwrap().to_string();
    let id = question_id(&post);

    // The modal opens at once, titled with the question.
    let cb = interact(&standin, standin.click(&button(&post, "Answer first"), &post, &me, Place::guild())).await;
    assert_eq!(cb.kind, 9, "a modal");
    let modal = cb.data.clone();
    let shown_title = modal["title"].as_str().unwrap();
    assert!(title.starts_with(shown_title.trim_end_matches('…')), "{shown_title:?} from {title:?}");
    let field = &modal["components"][0]["components"][0];
    assert_eq!((field["style"].as_u64(), field["max_length"].as_u64()), (Some(2), Some(4000)));

    // The bot restarts while the member types: the submit still works.
    bot.kill().await;
    drop(bot);
    let bot = spawn(&standin, &db, "2026-11-20T10:05:00Z");
    standin.wait_commands(WAIT).await;
    let submit = standin.submit_modal(&modal, &[("answer", WRITTEN)], Some(&post), &me, Place::guild());
    let cb = settled(&standin, submit).await;
    assert!(cb.ephemeral());
    let view = cb.message();
    let titles = embed_titles(&view);
    assert_eq!(titles[0], "✍️ Your answer", "{titles:?}");
    assert_eq!(view["embeds"][0]["description"], WRITTEN);
    assert!(titles[1].starts_with("Answer · "), "{titles:?}");
    assert_eq!(cb.content(), "How well did you know it? Pick your level:");
    let rated = interact(&standin, standin.click(&button(&view, "Intermediate"), &view, &me, Place::guild())).await;
    assert!(rated.content().contains("Saved: 🟡 **Intermediate**"), "{}", rated.content());

    // Stored: the member's words and the rating.
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    assert_eq!(store.typed_answer(me.id, &id).await.unwrap().as_deref(), Some(WRITTEN));
    assert_eq!(store.typed_answer(peer.id, &id).await.unwrap(), None);
    let history = store.rating_history(Scope::Guild(GUILD_ID), me.id).await.unwrap();
    assert_eq!((history.len(), history[0].level, history[0].source), (1, Level::Intermediate, Source::Quiz));

    // Another member revealing the same post sees the guide's answer only.
    let theirs = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &peer, Place::guild())).await;
    let shown = theirs.message().to_string();
    assert!(!shown.contains("rolling update") && !shown.contains("✍️"), "{shown}");
    drop(bot);

    // Days later the question is due: /review's Reveal shows what the
    // member wrote last time, under the answer.
    let bot = spawn(&standin, &db, "2026-11-26T10:00:00Z");
    standin.wait_commands(WAIT).await;
    let due = settled(&standin, standin.slash("review", json!([]), &me, Place::guild())).await;
    assert!(due.content().starts_with("📅 **1** question due today"), "{}", due.content());
    let due = due.message();
    assert_eq!(due["embeds"][0]["title"], title);
    let labels: Vec<String> = buttons(&due).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels, ["Reveal answer", "Answer first"], "Answer first in /review too");
    let answer = interact(&standin, standin.click(&button(&due, "Reveal answer"), &due, &me, Place::guild())).await;
    let answer = answer.message();
    let titles = embed_titles(&answer);
    assert_eq!(titles.last().map(String::as_str), Some("✍️ Last time you wrote"), "{titles:?}");
    assert_eq!(answer["embeds"].as_array().unwrap().last().unwrap()["description"], WRITTEN);

    // /forget-me here deletes the member's words too.
    let prompt = respond(&standin, standin.slash("forget-me", json!([]), &me, Place::guild())).await;
    respond(&standin, standin.click(&button(&prompt, "Delete my data"), &prompt, &me, Place::guild())).await;
    assert_eq!(store.typed_answer(me.id, &id).await.unwrap(), None);
    assert_clean(&standin, &bot);
}
