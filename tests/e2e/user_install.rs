//! End to end: the app installed to a member's own account. Personal
//! commands are registered for both installs and every context, server
//! commands for servers only; in a server the bot is not in, a member's
//! /quiz, Reveal, level and /review are answered to them alone and count
//! in their own scope.

use serde_json::{json, Value};
use standin::e2e::{assert_clean, button, interact, settled, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser};

use quizbot::domain::study::Scope;
use quizbot::store::Store;

/// A server the bot is not in.
const ELSEWHERE: u64 = 1_100_000_000_000_077_000;
const ELSEWHERE_CHANNEL: u64 = 1_100_000_000_000_077_001;

fn numbers(command: &Value, key: &str) -> Vec<u64> {
    let mut n: Vec<u64> = command[key].as_array().unwrap_or(&vec![]).iter().filter_map(Value::as_u64).collect();
    n.sort_unstable();
    n
}

#[tokio::test]
async fn personal_commands_work_wherever_the_member_installed_the_app() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[]);
    standin.wait_commands(WAIT).await;

    // Registered with their installs and contexts.
    let commands = standin.registered_commands(None);
    let command = |name: &str| commands.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("/{name}")).clone();
    for name in ["quiz", "review", "review-settings", "stats", "forget-me", "remind"] {
        let c = command(name);
        assert_eq!(numbers(&c, "integration_types"), [0, 1], "/{name}: guild and user install");
        assert_eq!(numbers(&c, "contexts"), [0, 1, 2], "/{name}: servers, the bot's DM, other DMs");
    }
    for name in ["daily", "bank", "leaderboard"] {
        let c = command(name);
        assert_eq!(numbers(&c, "integration_types"), [0], "/{name}: servers that installed the bot");
        assert_eq!(numbers(&c, "contexts"), [0], "/{name}: servers only");
    }

    // In a server the bot is not in: answered to the member alone.
    let me = TestUser::new(1_700_000_000_000_000_001, "traveller");
    let there = Place::foreign(ELSEWHERE, ELSEWHERE_CHANNEL);
    let cb = interact(&standin, standin.slash("quiz", json!([]), &me, there)).await;
    assert!(cb.ephemeral(), "the bot is not in that server: only the member sees the question");
    let post = cb.message();
    let answer = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &me, there)).await;
    assert!(answer.ephemeral());
    let answer = answer.message();
    let rated = interact(&standin, standin.click(&button(&answer, "Advanced"), &answer, &me, there)).await;
    assert!(rated.content().contains("on your own"), "{}", rated.content());
    let cb = settled(&standin, standin.slash("review", json!([]), &me, there)).await;
    assert!(cb.ephemeral() && cb.content().starts_with("Nothing is due."), "{}", cb.content());
    // The server-only commands are not offered there.
    let offered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standin.slash("leaderboard", json!([]), &me, there);
    }));
    assert!(offered.is_err(), "/leaderboard must not be offered where the bot is not");

    // The rating counts in the member's own scope, not that server's.
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    assert_eq!(store.rating_history(Scope::DirectMessages, me.id).await.unwrap().len(), 1);
    assert!(store.rating_history(Scope::Guild(ELSEWHERE), me.id).await.unwrap().is_empty());
    // Nothing was sent to a channel the bot cannot reach: every answer went
    // through the interactions.
    let posted = format!("/channels/{ELSEWHERE_CHANNEL}/messages");
    assert!(!standin.requests().iter().any(|r| r.is("POST", &posted)), "a post to a channel the bot is not in");
    assert_clean(&standin, &bot);
}
