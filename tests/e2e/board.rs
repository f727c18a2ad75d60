//! End to end: members rate questions over several (simulated) days; the
//! leaderboard ranks them by the documented score, shows streaks, and pages
//! with buttons that still work after a restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use standin::e2e::{button, interact, respond, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser, CHANNEL_ID};

use quizbot::domain::bank::QuestionBank;
use quizbot::domain::score::ScoreRule;

fn user(n: u64) -> TestUser {
    TestUser::new(1_400_000_000_000_000_000 + n, &format!("member{n}"))
}

/// `/quiz`, then `who` reveals and rates it Intermediate; returns the
/// question's points.
async fn study(standin: &StandIn, bank: &QuestionBank, who: &TestUser) -> u64 {
    let post = interact(standin, standin.slash("quiz", json!([]), &user(0), Place::guild())).await.message();
    let title = post["embeds"][0]["title"].as_str().unwrap();
    let question = bank.questions().iter().find(|q| q.title == title).unwrap();
    let answer = interact(standin, standin.click(&button(&post, "Reveal answer"), &post, who, Place::guild())).await;
    let answer = answer.message();
    interact(standin, standin.click(&button(&answer, "Intermediate"), &answer, who, Place::guild())).await;
    u64::from(ScoreRule::STANDARD.weight(question.difficulty))
}

fn spawn(standin: &StandIn, db: &Path, clock: &str) -> BotProcess {
    BotProcess::spawn(&standin::quizbot!(), standin, db, &[("QUIZBOT_CLOCK_START", clock)])
}

/// Board lines as (user id, score, streak).
fn lines(description: &str) -> Vec<(u64, u64, u64)> {
    description
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            let user = l.split("<@").nth(1)?.split('>').next()?.parse().ok()?;
            let score = l.split("**").nth(1)?.parse().ok()?;
            let streak = l.rsplit("🔥 ").next()?.trim().parse().ok()?;
            Some((user, score, streak))
        })
        .collect()
}

#[tokio::test]
async fn three_members_over_three_days_then_pages_after_a_restart() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bank = quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let mut score: HashMap<u64, u64> = HashMap::new();
    let (a, b, c) = (user(1), user(2), user(3));

    // Day 1: a studies 3 questions, b 1, c 2. Day 2: a and c one more.
    // Day 3: a one more.
    let days: [(&str, Vec<(&TestUser, usize)>); 3] = [
        ("2026-11-20T10:00:00Z", vec![(&a, 3), (&b, 1), (&c, 2)]),
        ("2026-11-21T10:00:00Z", vec![(&a, 1), (&c, 1)]),
        ("2026-11-22T10:00:00Z", vec![(&a, 1)]),
    ];
    let mut bot = None;
    for (clock, plan) in days {
        drop(bot.take());
        bot = Some(spawn(&standin, &db, clock));
        standin.wait_commands(WAIT).await;
        for (who, n) in plan {
            for _ in 0..n {
                *score.entry(who.id).or_default() += study(&standin, &bank, who).await;
            }
        }
    }

    // On day 3 a's streak is 3, c's 2 (ended yesterday), b's 0 (gap).
    let shown = respond(&standin, standin.slash("leaderboard", json!([]), &b, Place::guild())).await;
    let board = shown["embeds"][0]["description"].as_str().unwrap().to_string();
    let got = lines(&board);
    let streak: HashMap<u64, u64> = got.iter().map(|(u, _, s)| (*u, *s)).collect();
    assert_eq!(got.iter().map(|(u, s, _)| (*u, *s)).collect::<HashMap<_, _>>(), score, "{board}");
    assert_eq!((streak[&a.id], streak[&b.id], streak[&c.id]), (3, 0, 2), "{board}");
    for pair in got.windows(2) {
        assert!(pair[0].1 >= pair[1].1, "not ordered by score: {board}");
    }
    assert!(board.contains("**You:**") && board.contains(&format!("<@{}>", b.id)), "{board}");
    // Each line also names the member as they last rated (the stand-in's
    // display name), for members Discord no longer shows.
    assert!(board.contains(&format!("<@{}> (member1) · **", a.id)), "{board}");
    let footer = shown["embeds"][0]["footer"]["text"].as_str().unwrap().to_string();
    assert!(footer.contains("🟢 1 · 🟡 2 · 🔴 3"), "the formula is stated: {footer}");

    // The last 7 days as of day 3 include everything; a category narrows it.
    let options = json!([{"name": "period", "value": 0}]);
    let week = respond(&standin, standin.slash("leaderboard", options, &b, Place::guild())).await;
    assert_eq!(lines(week["embeds"][0]["description"].as_str().unwrap()).len(), 3);

    // Nine more members: 12 on the board, so two pages.
    for n in 4..=12 {
        *score.entry(user(n).id).or_default() += study(&standin, &bank, &user(n)).await;
    }
    let first = respond(&standin, standin.slash("leaderboard", json!([]), &user(12), Place::guild())).await;
    assert_eq!(lines(first["embeds"][0]["description"].as_str().unwrap()).len(), 10);

    // After a restart the old ▶ button still turns the page.
    bot.as_mut().unwrap().restart().await;
    standin.wait_commands(WAIT).await;
    let (id, click) = standin.click(&button(&first, "▶"), &first, &user(5), Place::guild());
    let second = respond(&standin, (id, click)).await;
    assert_eq!(second["id"], first["id"], "the board message is updated in place");
    assert_eq!(standin.callbacks_for(id)[0].kind, 6, "acknowledged before the board is computed");
    let text = second["embeds"][0]["description"].as_str().unwrap().to_string();
    assert_eq!(lines(&text).len(), 2, "{text}");
    assert!(text.starts_with("`#11`"), "{text}");
    // The shared board stays the board of whoever ran /leaderboard: the
    // clicker's own line is not put in everyone's view.
    let you = text.split("**You").nth(1).unwrap_or_default();
    assert!(!you.contains(&user(5).id.to_string()), "the clicker's line went public: {text}");
    assert!(you.contains(&user(12).id.to_string()), "the line of the member who ran it: {text}");
    let again = respond(&standin, standin.click(&button(&second, "◀"), &second, &user(5), Place::guild())).await;
    assert_eq!(lines(again["embeds"][0]["description"].as_str().unwrap()).len(), 10);
    standin.assert_no_violations();
}

#[tokio::test]
async fn forget_me_removes_the_member_from_the_board_after_confirming() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bank = quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let _bot = spawn(&standin, &dir.path().join("quizbot.db"), "2026-11-20T10:00:00Z");
    standin.wait_commands(WAIT).await;
    let (leaver, stayer) = (user(1), user(2));
    study(&standin, &bank, &leaver).await;
    study(&standin, &bank, &leaver).await;
    study(&standin, &bank, &stayer).await;

    let prompt = respond(&standin, standin.slash("forget-me", json!([]), &leaver, Place::guild())).await;
    assert_eq!(prompt["flags"].as_u64().unwrap_or(0) & 64, 64, "only the member sees it");
    let text = prompt["content"].as_str().unwrap_or_default();
    assert!(text.contains("2 questions studied"), "{text}");

    // Cancel first: nothing happens.
    let cancel = respond(&standin, standin.click(&button(&prompt, "Cancel"), &prompt, &leaver, Place::guild())).await;
    assert_eq!(cancel["content"], "Nothing was deleted.");
    let board = respond(&standin, standin.slash("leaderboard", json!([]), &stayer, Place::guild())).await;
    assert_eq!(lines(board["embeds"][0]["description"].as_str().unwrap()).len(), 2);

    // Then for real: two history rows and two latest levels.
    let prompt = respond(&standin, standin.slash("forget-me", json!([]), &leaver, Place::guild())).await;
    let done =
        respond(&standin, standin.click(&button(&prompt, "Delete my data"), &prompt, &leaver, Place::guild())).await;
    assert_eq!(done["id"], prompt["id"], "the confirmation is replaced in place");
    assert_eq!(done["content"], "🗑️ Deleted 4 rows of your data in this server.");
    assert_eq!(done["components"], json!([]), "no buttons left to press again");
    let board = respond(&standin, standin.slash("leaderboard", json!([]), &stayer, Place::guild())).await;
    let text = board["embeds"][0]["description"].as_str().unwrap().to_string();
    let users: Vec<u64> = lines(&text).iter().map(|(u, _, _)| *u).collect();
    assert_eq!(users, [stayer.id], "{text}");
    standin.assert_no_violations();
}

/// A board that must be recomputed (stale, as after days of downtime)
/// while another process holds the database's write lock: the member sees
/// the bot thinking at once, then a private "try again" that does not stay
/// in the channel; a page button likewise leaves the board as it was. Once
/// the lock is gone, the board shows.
#[tokio::test]
async fn a_board_that_cannot_be_recomputed_in_time_answers_at_once_and_privately() {
    use sqlx::Connection;
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bank = quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let _bot = spawn(&standin, &db, "2026-11-20T10:00:00Z");
    standin.wait_commands(WAIT).await;
    for n in 1..=11 {
        study(&standin, &bank, &user(n)).await;
    }
    let first = respond(&standin, standin.slash("leaderboard", json!([]), &user(1), Place::guild())).await;
    assert_eq!(lines(first["embeds"][0]["description"].as_str().unwrap()).len(), 10);

    let mut locker = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("UPDATE board_totals SET valid_until = 0").execute(&mut locker).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut locker).await.unwrap();
    let at_once = |id: u64| {
        let cb = standin.callbacks_for(id).remove(0);
        assert!(cb.latency < Duration::from_millis(500), "the member waited {:?} for any sign", cb.latency);
    };

    let (id, command) = standin.slash("leaderboard", json!([]), &user(2), Place::guild());
    let shown = respond(&standin, (id, command)).await;
    at_once(id);
    assert_eq!(shown["flags"].as_u64().unwrap_or(0) & 64, 64, "the failure is private: {shown}");
    assert!(shown["content"].as_str().unwrap_or_default().contains("try again"), "{shown}");
    assert!(standin.original_message(id).is_none(), "the public \"thinking\" message stayed");

    let (id, click) = standin.click(&button(&first, "▶"), &first, &user(5), Place::guild());
    let shown = respond(&standin, (id, click)).await;
    at_once(id);
    assert_eq!(shown["flags"].as_u64().unwrap_or(0) & 64, 64, "the failure is private: {shown}");
    assert!(shown["content"].as_str().unwrap_or_default().contains("try again"), "{shown}");
    let board = standin.channel_messages(CHANNEL_ID).into_iter().find(|m| m["id"] == first["id"]).unwrap();
    assert_eq!(board["embeds"], first["embeds"], "the shared board was left as it was");

    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    drop(locker);
    let again = respond(&standin, standin.slash("leaderboard", json!([]), &user(2), Place::guild())).await;
    assert_eq!(lines(again["embeds"][0]["description"].as_str().unwrap()).len(), 10, "{again}");
    standin.assert_no_violations();
}
