//! End to end: the real `quizbot` binary against the stand-in Discord.
//! `/quiz` → Reveal → level → `/leaderboard`, across a restart, plus the
//! ways members and Discord can send something unexpected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use standin::e2e::{assert_clean, button, buttons, interact, respond, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser, GUILD_ID};

use quizbot::domain::bank::{QuestionBank, QuestionId};
use quizbot::domain::level::Level;
use quizbot::domain::study::Scope;
use quizbot::store::Store;

fn alice() -> TestUser {
    TestUser::new(1_200_000_000_000_000_001, "alice")
}
fn bob() -> TestUser {
    TestUser::new(1_200_000_000_000_000_002, "bob")
}
fn carol() -> TestUser {
    TestUser::new(1_200_000_000_000_000_003, "carol")
}

fn shipped_bank() -> QuestionBank {
    quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap()
}

async fn open_store(db: &Path) -> Store {
    Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap()
}

fn embed(message: &Value) -> &Value {
    &message["embeds"][0]
}

#[tokio::test]
async fn quiz_reveal_rate_leaderboard_and_restart() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[]);
    let commands = standin.wait_commands(WAIT).await;
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"quiz") && names.contains(&"leaderboard"), "{names:?}");
    assert!(commands.iter().all(|c| !c["description"].as_str().unwrap_or("").is_empty()));
    let bank = shipped_bank();

    // Category autocomplete offers the bank's categories.
    let options = json!([{"name": "category", "value": "mon", "focused": true}]);
    let cb = interact(&standin, standin.autocomplete("quiz", options, &alice(), Place::guild())).await;
    assert_eq!(cb.kind, 8);
    let choices: Vec<&str> =
        cb.data["choices"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(choices, ["Monitoring & Logging"]);

    // /quiz: a public embed with the question and a Reveal button.
    let cb = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await;
    assert_eq!(cb.kind, 4);
    assert!(!cb.ephemeral(), "the question is for the whole channel");
    let post = cb.message();
    let title = embed(&post)["title"].as_str().unwrap().to_string();
    let question =
        bank.questions().iter().find(|q| q.title == title).unwrap_or_else(|| panic!("unknown title {title}"));
    let fields = embed(&post)["fields"].to_string();
    assert!(fields.contains(&question.category), "{fields}");
    assert!(fields.contains(question.difficulty.marker()), "{fields}");
    let guide = &bank.bank_of(question).unwrap().title;
    assert!(embed(&post)["footer"]["text"].as_str().unwrap().contains(guide.as_str()));
    let reveal = button(&post, "Reveal answer");

    // Bob reveals: only he sees the answer, with the three level buttons.
    let cb = interact(&standin, standin.click(&reveal, &post, &bob(), Place::guild())).await;
    assert_eq!(cb.kind, 4);
    assert!(cb.ephemeral(), "the answer must not spoil it for others");
    let answer = cb.message();
    assert_eq!(embed(&answer)["title"], format!("Answer · {}", question.title));
    let first_answer_line =
        quizbot::domain::bank::markdown::discord_markdown(&question.answer).lines().next().unwrap().to_string();
    assert!(embed(&answer)["description"].as_str().unwrap().contains(&first_answer_line));
    let labels: Vec<String> = buttons(&answer).into_iter().map(|(l, _)| l).collect();
    assert_eq!(labels, ["Beginner", "Intermediate", "Advanced"]);

    // A level click is stored and confirmed in place.
    let cb = interact(&standin, standin.click(&button(&answer, "Intermediate"), &answer, &bob(), Place::guild())).await;
    assert_eq!(cb.kind, 7, "the ephemeral message is updated");
    assert!(cb.content().contains("Saved: 🟡 **Intermediate** — you have studied 1 question"), "{}", cb.content());
    let store = open_store(&db).await;
    let scope = Scope::Guild(GUILD_ID);
    assert_eq!(store.latest_level(scope, bob().id, &question.id).await.unwrap(), Some(Level::Intermediate));

    // Changing one's mind replaces the level; the count does not double.
    let updated = cb.message();
    let cb = interact(&standin, standin.click(&button(&updated, "Advanced"), &updated, &bob(), Place::guild())).await;
    assert!(cb.content().contains("Saved: 🔴 **Advanced** — you have studied 1 question"), "{}", cb.content());
    assert_eq!(store.latest_level(scope, bob().id, &question.id).await.unwrap(), Some(Level::Advanced));
    assert_eq!(store.studied_count(scope, bob().id).await.unwrap(), 1);

    // Bob is on the board, as a mention that pings nobody, scored by the
    // question's difficulty.
    let (id, command) = standin.slash("leaderboard", json!([]), &alice(), Place::guild());
    let token = command["token"].as_str().unwrap().to_string();
    let shown = respond(&standin, (id, command)).await;
    assert_eq!(shown["flags"].as_u64().unwrap_or(0) & 64, 0, "the board is for everyone");
    let board = embed(&shown)["description"].as_str().unwrap().to_string();
    let points = quizbot::domain::score::ScoreRule::STANDARD.weight(question.difficulty);
    assert!(board.contains(&format!("<@{}> (bob) · **{points}** pts · 1 studied", bob().id)), "{board}");
    assert!(board.contains("**You** are not on this board yet."), "alice has not rated: {board}");
    let sent = standin.requests().into_iter().find(|r| r.is("POST", &token)).expect("the board's follow-up");
    assert_eq!(sent.body["allowed_mentions"]["parse"], json!([]), "mentions must not ping");

    // After a restart the old Reveal button still answers. The log says
    // which database was opened and what it holds (a new file, then Bob's
    // two clicks, which came within the hour: one review).
    assert!(bot.log().contains("created a new database"), "{}", bot.log());
    bot.restart().await;
    standin.wait_commands(WAIT).await;
    let log = bot.log();
    let second_run = log.rsplit("===== quizbot run").next().unwrap_or_default();
    assert!(second_run.contains("opened the database") && second_run.contains("ratings=1"), "{second_run}");
    let cb = interact(&standin, standin.click(&reveal, &post, &carol(), Place::guild())).await;
    assert!(cb.ephemeral());
    assert_eq!(embed(&cb.message())["title"], format!("Answer · {}", question.title));

    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn bad_buttons_unknown_commands_and_bad_filters_get_ephemeral_answers() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("DISCORD_GUILD_ID", &GUILD_ID.to_string())]);
    let commands = standin.wait_commands(WAIT).await;
    assert!(standin.registered_commands(Some(GUILD_ID)).len() == commands.len(), "registered in the guild");

    let cb = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await;
    let post = cb.message();
    let reveal = button(&post, "Reveal answer");

    // A button whose custom_id does not decode, or names a question that is
    // no longer loaded.
    let gone = format!("qz1:r:{}:q", QuestionId::derive("removed", "question"));
    for custom_id in ["garbage", "qz1:l:zzzz:q:b", gone.as_str()] {
        let forged: Value = serde_json::from_str(&post.to_string().replace(&reveal, custom_id)).unwrap();
        let cb = interact(&standin, standin.click(custom_id, &forged, &bob(), Place::guild())).await;
        assert!(cb.ephemeral());
        assert_eq!(cb.content(), "This question is no longer available.");
    }

    // Buttons that belong on a private message, sent on the public post by
    // a modified client: refused privately; the post keeps its question and
    // nothing is stored.
    let answer = interact(&standin, standin.click(&reveal, &post, &bob(), Place::guild())).await.message();
    let level = button(&answer, "Advanced");
    let forget = quizbot::discord::custom_id::ButtonAction::Forget { confirm: true, everywhere: true }.encode();
    for custom_id in [level.as_str(), forget.as_str()] {
        let forged: Value = serde_json::from_str(&post.to_string().replace(&reveal, custom_id)).unwrap();
        let cb = interact(&standin, standin.click(custom_id, &forged, &carol(), Place::guild())).await;
        assert_eq!(cb.kind, 4, "a new private answer, not an update of the post");
        assert!(cb.ephemeral());
        assert_eq!(cb.content(), "This button does not belong to this message.");
    }
    let store = open_store(&db).await;
    assert_eq!(store.studied_count(Scope::Guild(GUILD_ID), carol().id).await.unwrap(), 0);

    // A command the bot does not know (say, from an older version).
    let (id, mut payload) = standin.slash("quiz", json!([]), &alice(), Place::guild());
    payload["data"]["name"] = json!("flashcards");
    let cb = interact(&standin, (id, payload)).await;
    assert!(cb.ephemeral());
    assert!(cb.content().contains("not available"), "{}", cb.content());

    // An unknown category lists the valid ones.
    let options = json!([{"name": "category", "value": "Cooking"}]);
    let cb = interact(&standin, standin.slash("quiz", options, &alice(), Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(cb.content().contains("There is no category \"Cooking\""), "{}", cb.content());
    assert!(cb.content().contains("Monitoring & Logging"), "{}", cb.content());

    // A filter combination that matches nothing says so.
    let options = json!([{"name": "category", "value": "Monitoring & Logging"}, {"name": "difficulty", "value": 2}]);
    let cb = interact(&standin, standin.slash("quiz", options, &alice(), Place::guild())).await;
    assert!(cb.ephemeral());
    assert!(
        cb.content().starts_with("No question matches 🔴 Advanced questions in \"Monitoring & Logging\""),
        "{}",
        cb.content()
    );

    // Still serving.
    let cb = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await;
    assert_eq!(cb.kind, 4);
    assert!(!cb.ephemeral());
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn a_channel_works_through_its_pool_before_repeating_and_dms_work() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &dir.path().join("quizbot.db"), &[]);
    standin.wait_commands(WAIT).await;
    let bank = shipped_bank();
    let pool: Vec<&str> =
        bank.questions().iter().filter(|q| q.difficulty == Level::Beginner).map(|q| q.title.as_str()).collect();
    assert!(pool.len() >= 3);
    let mut seen = Vec::new();
    for _ in 0..pool.len() {
        let options = json!([{"name": "difficulty", "value": 0}]);
        let cb = interact(&standin, standin.slash("quiz", options, &alice(), Place::guild())).await;
        seen.push(embed(&cb.message())["title"].as_str().unwrap().to_string());
    }
    seen.sort();
    let mut expected: Vec<String> = pool.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected, "each Beginner question once before any repeat");

    // In a DM with the bot: a question, a reveal and a rating.
    let dm = Place::dm(&carol());
    let cb = interact(&standin, standin.slash("quiz", json!([]), &carol(), dm)).await;
    let post = cb.message();
    let cb = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &carol(), dm)).await;
    let answer = cb.message();
    let cb = interact(&standin, standin.click(&button(&answer, "Beginner"), &answer, &carol(), dm)).await;
    assert!(cb.content().contains("studied 1 question on your own (DMs and your own install)"), "{}", cb.content());
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn a_long_answer_arrives_whole_across_messages() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("banks");
    std::fs::create_dir_all(&data).unwrap();
    let answer: String = (0..700).map(|i| format!("    - step {i}: {}\n", "check the logs ".repeat(4))).collect();
    let bank = format!("---\ntitle: \"Long\"\n---\n## Ops\n\n??? question \"1. Walk me through an incident.\"\n    🔴 **Advanced**\n\n{answer}");
    std::fs::write(data.join("long.md"), bank).unwrap();
    let data = data.display().to_string();
    let bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &dir.path().join("quizbot.db"), &[("QUIZBOT_DATA", &data)]);
    standin.wait_commands(WAIT).await;

    let cb = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await;
    let post = cb.message();
    let (id, payload) = standin.click(&button(&post, "Reveal answer"), &post, &bob(), Place::guild());
    let cb = interact(&standin, (id, payload)).await;
    assert!(cb.ephemeral());
    // The rest follows as ephemeral follow-ups; the last carries the buttons.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut parts = vec![cb.message()];
    loop {
        let followups = standin.followups(id);
        if followups.last().is_some_and(|m| !buttons(m).is_empty()) {
            parts.extend(followups);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the answer never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let text: String = parts.iter().map(|m| embed(m)["description"].as_str().unwrap().to_string() + "\n").collect();
    for i in 0..700 {
        assert!(text.contains(&format!("- step {i}: ")), "step {i} was lost");
    }
    assert!(parts.iter().all(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0), "every part is ephemeral");
    assert_clean(&standin, &bot);
}

#[test]
fn without_a_token_the_bot_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quizbot"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: DISCORD_TOKEN is not set"), "{stderr}");
}

#[test]
fn check_summarises_banks_and_reports_errors_with_file_and_line() {
    let bin = env!("CARGO_BIN_EXE_quizbot");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let out = std::process::Command::new(bin).arg("check").arg(&data).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("20 questions in 4 categories (🟢 3 Beginner, 🟡 9 Intermediate, 🔴 8 Advanced)"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.md");
    std::fs::write(
        &bad,
        "## C\n\n??? question \"1. Q\"\n    🟣 **Expert**\n\n    A\n\n??? question \"2. R\"\n    🟢 **Beginner**\n",
    )
    .unwrap();
    let out = std::process::Command::new(bin).arg("check").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let file = bad.display().to_string();
    assert!(stderr.contains(&format!("{file}:4: unknown difficulty \"Expert\"")), "{stderr}");
    assert!(stderr.contains(&format!("{file}:8: question \"R\" has no")), "{stderr}");
}

/// SIGTERM in the middle of a burst of level clicks: every click Discord
/// delivered before the signal is answered, every answered rating is in the
/// database, and the bot exits cleanly.
#[tokio::test]
async fn sigterm_mid_burst_answers_every_delivered_click() {
    const CLICKS: u64 = 200;
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[]);
    standin.wait_commands(WAIT).await;
    let bank = shipped_bank();

    let post = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await.message();
    let title = embed(&post)["title"].as_str().unwrap().to_string();
    let question = bank.questions().iter().find(|q| q.title == title).unwrap();
    let reveal = button(&post, "Reveal answer");
    let answer = interact(&standin, standin.click(&reveal, &post, &bob(), Place::guild())).await.message();
    let level = button(&answer, "Intermediate");

    let members: Vec<TestUser> =
        (0..CLICKS).map(|n| TestUser::new(1_300_000_000_000_000_000 + n, &format!("member{n}"))).collect();
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (n, member) in members.iter().enumerate() {
        let (id, payload) = standin.click(&level, &answer, member, Place::guild());
        standin.send(payload).await;
        if n as u64 == CLICKS / 2 - 1 {
            let pid = bot.pid().expect("the bot runs").to_string();
            let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(sent.success());
        }
        if (n as u64) < CLICKS / 2 { &mut before } else { &mut after }.push((id, member.id));
    }

    let status = bot.wait_exit(Duration::from_secs(20)).await.expect("the bot exits after SIGTERM");
    assert!(status.success(), "exit status {status:?}\n{}", bot.log());
    let store = open_store(&db).await;
    let scope = Scope::Guild(GUILD_ID);
    let mut saved = 0;
    for (n, (id, user)) in before.iter().chain(&after).enumerate() {
        let callbacks = standin.callbacks_for(*id);
        if n < before.len() {
            assert_eq!(callbacks.len(), 1, "click {n}, delivered before the signal, answered once\n{}", bot.log());
        }
        let Some(cb) = callbacks.first() else { continue };
        assert!(cb.accepted(), "click {n}: {:?}", cb.error);
        if cb.content().contains("Saved: 🟡 **Intermediate**") {
            saved += 1;
            let stored = store.latest_level(scope, *user, &question.id).await.unwrap();
            assert_eq!(stored, Some(Level::Intermediate), "click {n} was answered as saved");
        } else {
            assert!(cb.ephemeral() && cb.content().contains("restarting"), "click {n}: {}", cb.content());
        }
    }
    assert!(saved >= before.len(), "{saved} saved");
    let log = bot.log();
    assert!(log.contains("shutting down") && log.contains("stopped"), "{log}");
    assert!(log.contains("daily scheduler stopped") && log.contains("board upkeep stopped"), "{log}");
    standin.assert_no_violations();
}

/// A malformed `.env` names the line, never its text: the token is on it.
#[test]
fn a_malformed_env_file_does_not_print_the_token() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "QUIZBOT_DATA=data\nDISCORD_TOKEN=Bot MTAsecret.token\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quizbot"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("MTAsecret"), "the token leaked: {stderr}");
    assert!(stderr.contains(".env is malformed at line 2"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "without the token line, no token: {stderr}");
}

/// A database locked by someone else (a backup, an admin's shell): a level
/// click is acknowledged within Discord's deadline, and saved and confirmed
/// once the lock is gone, with nothing for the member to click again.
#[tokio::test]
async fn a_level_click_waits_out_a_locked_database() {
    use sqlx::Connection;
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let url = format!("sqlite://{}", db.display());
    let _bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[]);
    standin.wait_commands(WAIT).await;
    let post = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await.message();
    let reveal = button(&post, "Reveal answer");
    let answer = interact(&standin, standin.click(&reveal, &post, &bob(), Place::guild())).await.message();
    let level = button(&answer, "Beginner");

    let mut locker = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut locker).await.unwrap();
    let click = standin.click(&level, &answer, &bob(), Place::guild());
    let id = click.0;
    let shown = tokio::spawn({
        let standin = standin.clone();
        async move { respond(&standin, click).await }
    });
    // `respond` checks the deferral came within Discord's deadline.
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!(cb.kind, 6, "acknowledged, to be confirmed later: {:?}", cb.data);
    // Past the first tries (each waits out SQLite's 1.5 s busy timeout):
    // still waiting, neither saved nor given up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(standin.followups(id).is_empty(), "told to try again: {:?}", standin.followups(id));
    let original = standin.original_message(id).unwrap();
    assert!(!original["content"].as_str().unwrap_or_default().contains("Saved"), "{original}");
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    drop(locker);

    let shown = shown.await.unwrap();
    assert!(shown["content"].as_str().unwrap_or_default().contains("Saved: 🟢 **Beginner**"), "{shown}");
    let mut reader = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rating_events WHERE user_id = $1 AND level = 'beginner'")
            .bind(i64::try_from(bob().id).unwrap())
            .fetch_one(&mut reader)
            .await
            .unwrap();
    assert_eq!(stored, 1, "the click is stored");
    standin.assert_no_violations();
}

/// A database locked for longer than a click's patience: the click is
/// acknowledged in time, and the member is then told, privately, to try
/// again; nothing says it was saved.
#[tokio::test]
async fn a_level_click_on_a_database_locked_for_long_is_told_to_try_again() {
    use sqlx::Connection;
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[]);
    standin.wait_commands(WAIT).await;
    let post = interact(&standin, standin.slash("quiz", json!([]), &alice(), Place::guild())).await.message();
    let reveal = button(&post, "Reveal answer");
    let answer = interact(&standin, standin.click(&reveal, &post, &bob(), Place::guild())).await.message();

    let mut locker = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut locker).await.unwrap();
    let click = standin.click(&button(&answer, "Beginner"), &answer, &bob(), Place::guild());
    let id = click.0;
    // `respond` checks the deferral came in time, then waits for the end.
    let shown = respond(&standin, click).await;
    assert_eq!(standin.callbacks_for(id)[0].kind, 6);
    assert_eq!(shown["flags"].as_u64().unwrap_or(0) & 64, 64, "told privately: {shown}");
    assert!(shown["content"].as_str().unwrap_or_default().contains("try again"), "{shown}");
    let original = standin.original_message(id).unwrap();
    assert!(!original["content"].as_str().unwrap_or_default().contains("Saved"), "{original}");
    assert!(bot.log().contains("database unavailable"), "logged as a warning");
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    standin.assert_no_violations();
}

/// A SIGTERM while the gateway is out of reach (the shard between two
/// attempts to connect again) still stops the bot, and cleanly.
#[tokio::test]
async fn sigterm_while_the_gateway_is_down_still_stops_the_bot() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::spawn(&standin::quizbot!(), &standin, &dir.path().join("quizbot.db"), &[]);
    standin.wait_commands(WAIT).await;
    standin.set_gateway_down(true);
    // Long enough for serenity to give up resuming and queue the shard
    // to connect again.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let status = bot.terminate(WAIT).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", bot.log());
    assert!(bot.log().contains("stopped"), "{}", bot.log());
}
