//! End to end: daily picks for the group, from a scripted history stored
//! before the bot starts. `weakest` posts what the server's members know
//! least (and rests what the channel was asked in the last two weeks);
//! `fresh` posts what nobody in the server has rated.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use standin::e2e::{assert_clean, WAIT};
use standin::{BotProcess, ChannelSpec, StandIn, StandInConfig, CHANNEL_ID, GUILD_ID, OTHER_CHANNEL_ID};

use quizbot::clock::Clock;
use quizbot::domain::bank::pick::PickMode;
use quizbot::domain::bank::{Filter, QuestionBank, QuestionId};
use quizbot::domain::level::Level;
use quizbot::domain::study::{Post, Rating, Scope, Source};
use quizbot::service::daily::ScheduleRequest;
use quizbot::service::Services;
use quizbot::store::Store;

/// 08:59:55 in Berlin on Tuesday 24 November 2026.
const BEFORE_NINE: &str = "2026-11-24T07:59:55Z";
const THIRD_CHANNEL: u64 = 1_100_000_000_000_000_299;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The question id in a daily post's footer ("Bank · 0123456789ab").
fn question_of(post: &Value) -> QuestionId {
    let footer = post["embeds"][0]["footer"]["text"].as_str().unwrap();
    QuestionId::parse(footer.rsplit(" · ").next().unwrap()).unwrap()
}

/// Three members half-forgot q1 (rated 🟢 ten days ago), one forgot q2
/// (🟢, ten days ago), two know q3 (🔴 yesterday); q1 was asked in the
/// first channel five days ago. Schedules at 09:00: `weakest` in the first
/// and third channels, `fresh` in the second.
async fn script(db: &Path, bank: &Arc<QuestionBank>) -> [QuestionId; 3] {
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let clock = Clock::manual(at(BEFORE_NINE) - Duration::days(10));
    let services = Services::new(bank.clone(), store.clone(), clock.clone());
    let q: Vec<QuestionId> = bank.questions().iter().take(3).map(|q| q.id.clone()).collect();
    let mut id = 1;
    let mut rate = |user: u64, question: &QuestionId, level: Level, at: DateTime<Utc>| {
        id += 1;
        Rating {
            id,
            scope: Scope::Guild(GUILD_ID),
            user_id: user,
            question: question.clone(),
            level,
            source: Source::Quiz,
            at: at.timestamp(),
        }
    };
    let ten_days = at(BEFORE_NINE) - Duration::days(10);
    let yesterday = at(BEFORE_NINE) - Duration::days(1);
    let mut ratings = Vec::new();
    for user in [11, 12, 13] {
        ratings.push(rate(user, &q[0], Level::Beginner, ten_days));
    }
    ratings.push(rate(14, &q[1], Level::Beginner, ten_days));
    for user in [15, 16] {
        ratings.push(rate(user, &q[2], Level::Advanced, yesterday));
    }
    for rating in &ratings {
        services.rate(rating, 1, None).await.unwrap();
    }
    let post = Post {
        id: 9_000,
        scope: Scope::Guild(GUILD_ID),
        channel_id: CHANNEL_ID,
        question: q[0].clone(),
        source: Source::Daily,
        at: (at(BEFORE_NINE) - Duration::days(5)).timestamp(),
    };
    store.record_post(&post).await.unwrap();
    for (channel_id, pick) in
        [(CHANNEL_ID, PickMode::Weakest), (OTHER_CHANNEL_ID, PickMode::Fresh), (THIRD_CHANNEL, PickMode::Weakest)]
    {
        let request = ScheduleRequest {
            guild_id: GUILD_ID,
            channel_id,
            time: "09:00".into(),
            timezone: "Europe/Berlin".into(),
            filter: Filter::default(),
            ping_role: None,
            pick,
            thread: false,
            // The third channel also recaps its week, on Tuesdays.
            recap: (channel_id == THIRD_CHANNEL).then_some(chrono::Weekday::Tue),
        };
        clock.set(at(BEFORE_NINE));
        services.set_schedule(&request).await.unwrap();
    }
    services.close().await;
    [q[0].clone(), q[1].clone(), q[2].clone()]
}

#[tokio::test]
async fn weakest_and_fresh_pick_from_what_the_group_knows() {
    let mut config = StandInConfig::default();
    config.guilds[0] = config.guilds[0].clone().with_channel(ChannelSpec::text(THIRD_CHANNEL, "third"));
    let standin = StandIn::start_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bank = Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap());
    let [q1, q2, q3] = script(&db, &bank).await;
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", BEFORE_NINE)]);
    standin.wait_commands(WAIT).await;

    let mut posted = Vec::new();
    for channel in [CHANNEL_ID, OTHER_CHANNEL_ID, THIRD_CHANNEL] {
        let suffix = format!("/channels/{channel}/messages");
        let post = standin.wait_request(|r| r.is("POST", &suffix) && r.status == 200, WAIT).await;
        posted.push(question_of(&post.response));
    }
    // The first channel asked q1 five days ago: its weakest is q2.
    assert_eq!(posted[0], q2, "weakest, with q1 resting");
    // The third channel never asked it: q1, forgotten by three members.
    assert_eq!(posted[2], q1, "weakest");
    // Fresh: a question none of the members rated.
    assert!(![&q1, &q2, &q3].contains(&&posted[1]), "fresh: {:?}", posted[1]);
    assert!(bank.get(&posted[1]).is_some());
    // Tuesday 09:00 is also the third channel's weekly recap: yesterday's
    // two ratings of q3 make the week, within Discord's limits.
    let suffix = format!("/channels/{THIRD_CHANNEL}/messages");
    let recap = standin
        .wait_request(
            |r| {
                r.is("POST", &suffix)
                    && r.status == 200
                    && r.body["embeds"][0]["title"].as_str().is_some_and(|t| t.starts_with("📅 The week in review"))
            },
            WAIT,
        )
        .await;
    let fields = recap.body["embeds"][0]["fields"].to_string();
    assert!(fields.contains("**2** ratings this week"), "{fields}");
    assert!(fields.contains("<@15>") && fields.contains("<@16>"), "the podium: {fields}");
    assert_eq!(recap.body["embeds"][0]["image"]["url"], "attachment://week.png");
    let chart = recap.files.iter().find(|f| f.filename == "week.png").expect("the week's chart uploaded");
    assert!(chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let buttons = standin::e2e::buttons(&recap.response);
    assert_eq!(buttons.len(), 1, "q3's Reveal: {buttons:?}");
    assert_eq!(buttons[0].0, "Reveal #1");
    assert_clean(&standin, &bot);
}

/// `/daily history`: the channel's last 30 daily questions, newest first,
/// ten a page with ◀ ▶: local date, title linking to the post, how many
/// members rated it.
#[tokio::test]
async fn daily_history_lists_the_last_thirty_paged() {
    use standin::e2e::{button, respond};
    use standin::{Place, TestUser};
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bank = Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap());
    // 35 daily posts, one a day up to yesterday; two members rated the
    // newest one's question.
    {
        let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
        let services = Services::new(bank.clone(), store.clone(), Clock::manual(at(BEFORE_NINE)));
        for day in 0..35u64 {
            let post = Post {
                id: 5_000_000 + day,
                scope: Scope::Guild(GUILD_ID),
                channel_id: CHANNEL_ID,
                question: bank.questions()[day as usize].id.clone(),
                source: Source::Daily,
                at: (at(BEFORE_NINE) - Duration::days(35 - day as i64)).timestamp(),
            };
            store.record_post(&post).await.unwrap();
        }
        for user in [21, 22] {
            let question = bank.questions()[34].id.clone();
            let rating = Rating {
                id: user,
                scope: Scope::Guild(GUILD_ID),
                user_id: user,
                question,
                level: Level::Advanced,
                source: Source::Daily,
                at: at(BEFORE_NINE).timestamp(),
            };
            services.rate(&rating, CHANNEL_ID, None).await.unwrap();
        }
        services.close().await;
    }
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", BEFORE_NINE)]);
    standin.wait_commands(WAIT).await;
    let admin = TestUser::new(1_300_000_000_000_000_001, "admin").admin();
    let shown = respond(&standin, standin.slash("daily history", serde_json::json!([]), &admin, Place::guild())).await;
    let lines = |m: &Value| -> Vec<String> {
        m["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('`'))
            .map(String::from)
            .collect()
    };
    let first = lines(&shown);
    assert_eq!(first.len(), 10, "{first:?}");
    let newest = &bank.questions()[34];
    assert!(
        first[0].contains(&newest.title.replace('[', "(").replace(']', ")")) || first[0].contains('…'),
        "{}",
        first[0]
    );
    assert!(
        first[0].contains(&format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{}", 5_000_034)),
        "{}",
        first[0]
    );
    assert!(first[0].ends_with("· 👥 2 rated"), "{}", first[0]);
    assert!(first[1].ends_with("· 👥 0 rated"), "{}", first[1]);
    assert!(first[0].starts_with("`Mon 23 Nov 2026`"), "{}", first[0]);
    assert_eq!(shown["embeds"][0]["footer"]["text"], "Page 1 of 3 · the last 30 questions, newest first");
    // ▶ twice, edited in place: the third page holds the oldest of the thirty.
    let page2 = respond(&standin, standin.click(&button(&shown, "▶"), &shown, &admin, Place::guild())).await;
    assert_eq!(page2["id"], shown["id"]);
    assert_eq!(page2["embeds"][0]["footer"]["text"], "Page 2 of 3 · the last 30 questions, newest first");
    let page3 = respond(&standin, standin.click(&button(&page2, "▶"), &page2, &admin, Place::guild())).await;
    let last = lines(&page3);
    assert_eq!(last.len(), 10);
    assert!(last[9].contains(&format!("/{}", 5_000_005)), "the 30th newest: {}", last[9]);
    assert!(!page3.to_string().contains("5000004"), "only thirty");
    assert_clean(&standin, &bot);
}

/// A week nobody studied: the recap is a short nudge, not an empty table.
#[tokio::test]
async fn an_empty_week_recaps_as_a_nudge() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    {
        let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
        let bank =
            Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap());
        let services = Services::new(bank, store, Clock::manual(at(BEFORE_NINE)));
        let request = ScheduleRequest {
            guild_id: GUILD_ID,
            channel_id: CHANNEL_ID,
            time: "09:00".into(),
            timezone: "Europe/Berlin".into(),
            filter: Filter::default(),
            ping_role: None,
            pick: PickMode::Rotate,
            thread: false,
            recap: Some(chrono::Weekday::Tue),
        };
        services.set_schedule(&request).await.unwrap();
        services.close().await;
    }
    let bot = BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", BEFORE_NINE)]);
    standin.wait_commands(WAIT).await;
    let suffix = format!("/channels/{CHANNEL_ID}/messages");
    let nudge = standin
        .wait_request(
            |r| r.is("POST", &suffix) && r.body["content"].as_str().is_some_and(|c| c.starts_with("📅 A quiet week")),
            WAIT,
        )
        .await;
    assert_eq!(nudge.status, 200);
    assert!(nudge.body["embeds"].as_array().is_none_or(|e| e.is_empty()), "no table: {}", nudge.body);
    assert!(nudge.files.is_empty(), "no chart of an empty week");
    assert_clean(&standin, &bot);
}
