//! End to end: the daily question, with the real `quizbot` binary against
//! the stand-in Discord. The bot's scheduler clock starts a few seconds
//! before 09:00 Berlin time (`QUIZBOT_CLOCK_START`), so "tomorrow morning"
//! arrives in seconds.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use standin::e2e::{assert_clean, interact, respond, WAIT};
use standin::{
    BotProcess, Overwrite, Place, RecordedRequest, StandIn, TestUser, CHANNEL_ID, EMBED_LINKS, GUILD_ID,
    OTHER_CHANNEL_ID, READ_MESSAGE_HISTORY, SEND_MESSAGES, VOICE_CHANNEL_ID,
};

use quizbot::domain::study::{Scope, Source};
use quizbot::store::Store;

/// 08:59:50 in Berlin on Tuesday 24 November 2026: ten seconds for the bot
/// to start and the test to set things up, even on a loaded machine.
const BEFORE_NINE: &str = "2026-11-24T07:59:50Z";
/// 09:00:05 in Berlin, just after the post.
const JUST_AFTER_NINE: &str = "2026-11-24T08:00:05Z";
/// 12:00 in Berlin the same day.
const NOON: &str = "2026-11-24T11:00:00Z";

fn admin() -> TestUser {
    TestUser::new(1_300_000_000_000_000_001, "admin").admin()
}
fn member() -> TestUser {
    TestUser::new(1_300_000_000_000_000_002, "member")
}

fn spawn(standin: &StandIn, db: &Path, clock: &str) -> BotProcess {
    BotProcess::spawn(&standin::quizbot!(), standin, db, &[("QUIZBOT_CLOCK_START", clock)])
}

fn content(message: &Value) -> &str {
    message["content"].as_str().unwrap_or("")
}

fn ephemeral(message: &Value) -> bool {
    message["flags"].as_u64().unwrap_or(0) & 64 != 0
}

/// `/daily set` as an admin, with extra options.
async fn daily_set(standin: &StandIn, channel: u64, time: &str, zone: &str, extra: &[(&str, Value)]) -> Value {
    let mut options = vec![
        json!({"name": "channel", "value": channel.to_string()}),
        json!({"name": "time", "value": time}),
        json!({"name": "timezone", "value": zone}),
    ];
    options.extend(extra.iter().map(|(n, v)| json!({"name": n, "value": v})));
    respond(standin, standin.slash("daily set", Value::Array(options), &admin(), Place::guild())).await
}

fn posts(standin: &StandIn, channel: u64) -> Vec<RecordedRequest> {
    let suffix = format!("/channels/{channel}/messages");
    standin.requests().into_iter().filter(|r| r.is("POST", &suffix)).collect()
}

async fn wait_post(standin: &StandIn, channel: u64) -> RecordedRequest {
    let suffix = format!("/channels/{channel}/messages");
    standin.wait_request(|r| r.is("POST", &suffix), WAIT).await
}

#[tokio::test]
async fn posts_once_at_nine_and_not_again_after_a_restart() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    assert!(bot.log().contains("QUIZBOT_CLOCK_START is set"), "a shifted clock is announced");
    let role = standin::bot_role_id(GUILD_ID); // any role of the server will do as the ping
    let reply = daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[("ping", json!(role.to_string()))]).await;
    assert!(ephemeral(&reply));
    assert!(content(&reply).starts_with("✅ Daily question set."), "{}", content(&reply));
    assert!(content(&reply).contains("09:00** Europe/Berlin"), "{}", content(&reply));

    // 09:00 local: exactly one post, with the day's title, the Reveal
    // button, the role ping and a nonce Discord enforces.
    let post = wait_post(&standin, CHANNEL_ID).await;
    assert_eq!(post.status, 200, "{}", post.response);
    let body = &post.body;
    assert_eq!(body["embeds"][0]["title"], "Question of the day · Tuesday 24 November");
    assert_eq!(body["content"], format!("<@&{role}>"));
    assert_eq!(body["allowed_mentions"]["roles"], json!([role.to_string()]));
    assert_eq!(body["enforce_nonce"], true);
    assert!(body["nonce"].as_str().is_some_and(|n| !n.is_empty() && n.len() <= 25));

    // Members study from the daily post; the rating is stored as "daily".
    let message = standin.channel_messages(CHANNEL_ID).pop().unwrap();
    let reveal = message["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_string();
    let (id, payload) = standin.click(&reveal, &message, &member(), Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert!(cb.ephemeral());
    let answer = cb.message();
    let level = answer["components"][0]["components"][1]["custom_id"].as_str().unwrap().to_string();
    let (id, payload) = standin.click(&level, &answer, &member(), Place::guild());
    standin.send(payload).await;
    assert!(standin.wait_callback(id, WAIT).await.content().contains("Saved: 🟡 **Intermediate**"));
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let history = store.rating_history(Scope::Guild(GUILD_ID), member().id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].source, Source::Daily);

    // A restart right after the post: nothing more today.
    bot.kill().await;
    drop(bot);
    let bot = spawn(&standin, &db, JUST_AFTER_NINE);
    standin.wait_commands(WAIT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(posts(&standin, CHANNEL_ID).len(), 1);

    // /daily status shows it, with the next post as a Discord timestamp.
    let status = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
    let text = content(&status);
    assert!(text.contains(&format!("<#{CHANNEL_ID}>")) && text.contains("Next: <t:"), "{text}");
    assert!(text.contains("last: <t:"), "{text}");
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn downtime_over_nine_posts_once_on_return() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut before = spawn(&standin, &db, "2026-11-24T07:00:00Z");
    standin.wait_commands(WAIT).await;
    daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    before.kill().await;

    // Back at noon local, the same day: it catches up, once.
    let mut after = spawn(&standin, &db, NOON);
    standin.wait_commands(WAIT).await;
    let post = wait_post(&standin, CHANNEL_ID).await;
    assert_eq!(post.body["embeds"][0]["title"], "Question of the day · Tuesday 24 November");
    after.restart().await;
    standin.wait_commands(WAIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(posts(&standin, CHANNEL_ID).len(), 1);
    assert_clean(&standin, &after);
}

#[tokio::test]
async fn a_lost_permission_shows_in_status_and_other_channels_go_on() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = spawn(&standin, &dir.path().join("quizbot.db"), BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    daily_set(&standin, OTHER_CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    // After setting up, someone takes away the bot's Send Messages.
    standin.set_overwrites(CHANNEL_ID, vec![Overwrite::bot(0, SEND_MESSAGES)]);

    let refused = wait_post(&standin, CHANNEL_ID).await;
    assert_eq!(refused.status, 403);
    let other = wait_post(&standin, OTHER_CHANNEL_ID).await;
    assert_eq!(other.status, 200, "the other schedule is unaffected");

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
        let text = content(&status).to_string();
        if text.contains("⚠️ Failing (1 day)") {
            assert!(text.contains("lacks permissions"), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no failure shown: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn bad_input_gets_an_ephemeral_explanation() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = spawn(&standin, &dir.path().join("quizbot.db"), BEFORE_NINE);
    standin.wait_commands(WAIT).await;

    for (time, zone, expected) in [
        ("25:00", "Europe/Berlin", "\"25:00\" is not a time: use 24-hour HH:MM"),
        ("9am", "Europe/Berlin", "\"9am\" is not a time"),
        ("09:00", "Mars/Base", "\"Mars/Base\" is not an IANA time zone"),
        ("09:00", "EST", "\"EST\" is an abbreviation"),
    ] {
        let reply = daily_set(&standin, CHANNEL_ID, time, zone, &[]).await;
        assert!(ephemeral(&reply));
        assert!(content(&reply).contains(expected), "{time} {zone}: {}", content(&reply));
    }

    let reply = daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[("category", json!("Cooking"))]).await;
    assert!(content(&reply).contains("There is no category \"Cooking\""), "{}", content(&reply));
    let filters = [("category", json!("Monitoring & Logging")), ("difficulty", json!(2))];
    let reply = daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &filters).await;
    assert!(content(&reply).starts_with("No question matches"), "{}", content(&reply));

    // A voice channel, sent by a client that ignores channel_types.
    let options = json!([
        {"name": "channel", "value": VOICE_CHANNEL_ID.to_string()},
        {"name": "time", "value": "09:00"},
        {"name": "timezone", "value": "Europe/Berlin"}
    ]);
    let reply =
        respond(&standin, standin.slash_unchecked("daily set", options.clone(), &admin(), Place::guild())).await;
    assert!(content(&reply).contains("is not a text channel"), "{}", content(&reply));

    // A channel where the bot may not embed: the permission is named.
    standin.set_overwrites(OTHER_CHANNEL_ID, vec![Overwrite::bot(0, EMBED_LINKS)]);
    let reply = daily_set(&standin, OTHER_CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    assert!(ephemeral(&reply));
    assert!(content(&reply).contains("missing Embed Links"), "{}", content(&reply));

    // Without Read Message History the schedule is set, with advice.
    standin.set_overwrites(OTHER_CHANNEL_ID, vec![Overwrite::bot(0, READ_MESSAGE_HISTORY)]);
    let reply = daily_set(&standin, OTHER_CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    assert!(content(&reply).starts_with("✅ Daily question set."), "{}", content(&reply));
    assert!(content(&reply).contains("Grant me **Read Message History**"), "{}", content(&reply));
    respond(
        &standin,
        standin.slash(
            "daily off",
            json!([{"name": "channel", "value": OTHER_CHANNEL_ID.to_string()}]),
            &admin(),
            Place::guild(),
        ),
    )
    .await;

    // A member without Manage Server whose client shows the command anyway.
    let reply = respond(&standin, standin.slash_unchecked("daily set", options, &member(), Place::guild())).await;
    assert!(content(&reply).contains("Manage Server"), "{}", content(&reply));

    // Nothing was stored by any of it.
    let status = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
    assert!(content(&status).starts_with("No daily question is set"), "{}", content(&status));
    assert!(posts(&standin, CHANNEL_ID).is_empty());
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn now_posts_without_moving_the_schedule_and_off_stops_it() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = spawn(&standin, &dir.path().join("quizbot.db"), "2026-11-24T06:00:00Z");
    standin.wait_commands(WAIT).await;
    let options = json!([{"name": "channel", "value": CHANNEL_ID.to_string()}]);
    let reply = respond(&standin, standin.slash("daily now", options.clone(), &admin(), Place::guild())).await;
    assert!(content(&reply).contains("There is no daily question in"), "{}", content(&reply));

    daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    let before = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
    let reply = respond(&standin, standin.slash("daily now", options.clone(), &admin(), Place::guild())).await;
    assert!(content(&reply).starts_with("Posted the next question"), "{}", content(&reply));
    assert_eq!(posts(&standin, CHANNEL_ID).len(), 1);
    let after = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
    let next = |m: &Value| content(m).split("Next: ").nth(1).unwrap_or("").split(')').next().unwrap_or("").to_string();
    assert_eq!(next(&before), next(&after), "the schedule keeps its next time");

    let reply = respond(&standin, standin.slash("daily off", options.clone(), &admin(), Place::guild())).await;
    assert!(content(&reply).starts_with("Stopped the daily question"), "{}", content(&reply));
    let status = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
    assert!(content(&status).starts_with("No daily question is set"), "{}", content(&status));
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn removing_the_bot_from_a_server_stops_its_schedules() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[]).await;
    standin.remove_bot_from_guild(GUILD_ID);

    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !store.guild_schedules(GUILD_ID).await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the schedule outlived the server");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Past 09:00 on the bot's clock: nothing is posted.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(posts(&standin, CHANNEL_ID).is_empty());
    assert_clean(&standin, &bot);
}

/// A bank's text of any length, and a server's of any size, fit Discord's
/// limits: the strict stand-in refuses whatever Discord would.
#[tokio::test]
async fn texts_of_any_length_fit_discord() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("banks");
    std::fs::create_dir_all(&data).unwrap();
    // One question whose every text is far too long, and 200 categories.
    let long = |word: &str, n: usize| word.repeat(n);
    let mut bank = format!(
        "---\ntitle: \"{}\"\n---\n## {}\n\n??? question \"1. {}?\"\n    🧠 {}\n\n    🟢 **Beginner**\n\n    Because.\n\n",
        long("Guide ", 600),
        long("Category ", 200),
        long("Why ", 300),
        long("Think ", 1_000)
    );
    for n in 0..200 {
        bank.push_str(&format!(
            "## Topic number {n}\n\n??? question \"{}. Question {n}?\"\n    🟡 **Intermediate**\n\n    Answer {n}.\n\n",
            n + 2
        ));
    }
    std::fs::write(data.join("huge.md"), bank).unwrap();

    // `quizbot check` warns about each text it will not show whole.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quizbot")).arg("check").arg(&data).output().unwrap();
    assert!(out.status.success());
    let warnings = String::from_utf8(out.stderr).unwrap();
    for what in ["title", "🧠 prompt", "category", "bank's title"] {
        assert!(warnings.contains(&format!("warning: the {what} is")), "{what}: {warnings}");
    }
    assert!(warnings.contains("huge.md:6: warning: the title is"), "with file and line: {warnings}");

    let data = data.display().to_string();
    let db = dir.path().join("quizbot.db");
    let bot = BotProcess::spawn(
        &standin::quizbot!(),
        &standin,
        &db,
        &[("QUIZBOT_CLOCK_START", BEFORE_NINE), ("QUIZBOT_DATA", &data)],
    );
    standin.wait_commands(WAIT).await;

    // The long question, posted, revealed and rated.
    let category = json!([{"name": "category", "value": "Category Category"}]);
    let cb = interact(&standin, standin.slash("quiz", category, &member(), Place::guild())).await;
    assert!(cb.ephemeral(), "a category of 1,800 characters cannot be typed: {}", cb.content());
    let mut post = None;
    for _ in 0..400 {
        let cb = interact(&standin, standin.slash("quiz", json!([]), &member(), Place::guild())).await;
        let message = cb.message();
        if message["embeds"][0]["title"].as_str().is_some_and(|t| t.starts_with("Why Why")) {
            post = Some(message);
            break;
        }
    }
    let post = post.expect("the long question comes up within 400 /quiz (each question once per cycle)");
    let answer = interact(
        &standin,
        standin.click(&standin::e2e::button(&post, "Reveal answer"), &post, &member(), Place::guild()),
    )
    .await;
    let answer = answer.message();
    let rated = interact(
        &standin,
        standin.click(&standin::e2e::button(&answer, "Beginner"), &answer, &member(), Place::guild()),
    )
    .await;
    assert!(rated.content().contains("Saved"), "{}", rated.content());

    // An unknown category among 201: the list is cut, the message fits.
    let options = json!([{"name": "category", "value": "Nope"}]);
    let cb = interact(&standin, standin.slash("quiz", options, &member(), Place::guild())).await;
    assert!(cb.content().contains("There is no category \"Nope\""), "{}", cb.content());
    assert!(cb.content().contains("and 191 more"), "{}", cb.content());

    // 25 schedules: /daily status comes in several messages, each within
    // the limit, together naming every channel.
    let channels: Vec<u64> = (0..25).map(|n| 880_000_000_000_000_000 + n).collect();
    for &id in &channels {
        standin.add_channel(GUILD_ID, standin::ChannelSpec::text(id, &format!("study-{id}")));
        let long_category = json!("Topic number 7");
        let reply =
            daily_set(&standin, id, "09:00", "America/Argentina/ComodRivadavia", &[("category", long_category)]).await;
        assert!(content(&reply).starts_with("✅ Daily question set."), "{}", content(&reply));
    }
    let (id, payload) = standin.slash("daily status", json!([]), &admin(), Place::guild());
    interact(&standin, (id, payload)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let parts = loop {
        let parts: Vec<Value> = standin.original_message(id).into_iter().chain(standin.followups(id)).collect();
        let text: String = parts.iter().map(|m| content(m).to_string()).collect();
        if channels.iter().all(|c| text.contains(&format!("<#{c}>"))) {
            break parts;
        }
        assert!(tokio::time::Instant::now() < deadline, "the status never named every channel: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(parts.len() >= 2, "{} parts", parts.len());
    assert!(parts.iter().all(ephemeral));
    assert_clean(&standin, &bot);
}

/// `/daily set … thread:true`: each post gets a discussion thread named
/// after the question, with the prompt inside, once; where the bot may not
/// open threads, `/daily set` says so, the question still goes out, and
/// `/daily status` shows why the thread is missing.
#[tokio::test]
async fn each_post_gets_one_discussion_thread_or_a_clear_reason_why_not() {
    use standin::CREATE_PUBLIC_THREADS;
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    standin.set_overwrites(OTHER_CHANNEL_ID, vec![Overwrite::bot(0, CREATE_PUBLIC_THREADS)]);
    let reply = daily_set(&standin, CHANNEL_ID, "09:00", "Europe/Berlin", &[("thread", json!(true))]).await;
    assert!(content(&reply).starts_with("✅ Daily question set."), "{}", content(&reply));
    assert!(content(&reply).contains("🧵 a discussion thread on each"), "{}", content(&reply));
    assert!(!content(&reply).contains("Create Public Threads"), "{}", content(&reply));
    let reply = daily_set(&standin, OTHER_CHANNEL_ID, "09:00", "Europe/Berlin", &[("thread", json!(true))]).await;
    assert!(content(&reply).contains("Grant me **Create Public Threads**"), "{}", content(&reply));

    // 09:00: both questions go out; one thread, on the post it belongs to.
    let post = wait_post(&standin, CHANNEL_ID).await;
    wait_post(&standin, OTHER_CHANNEL_ID).await;
    let opened =
        standin.wait_request(|r| r.method == "POST" && r.path.ends_with("/threads") && r.status == 200, WAIT).await;
    let message_id = post.response["id"].as_str().unwrap().to_string();
    assert!(opened.path.ends_with(&format!("/channels/{CHANNEL_ID}/messages/{message_id}/threads")), "{}", opened.path);
    let title = title_of(&post);
    assert!(title.starts_with(opened.body["name"].as_str().unwrap().trim_end_matches('…')), "{title}");
    assert_eq!(opened.body["auto_archive_duration"], 1440);
    let thread: u64 = message_id.parse().unwrap();
    let prompt = standin.wait_request(|r| r.is("POST", &format!("/channels/{thread}/messages")), WAIT).await;
    assert_eq!(prompt.body["content"], "Post your answer here before you reveal; compare after.");
    assert_eq!(prompt.status, 200);

    // The other channel's thread is asked for only once its post is
    // recorded. Killed before that, the restart would rightly leave the post
    // to the dead process's lease for a minute (a loaded CI machine did so).
    let refused = standin
        .wait_request(
            |r| r.method == "POST" && r.path.contains(&format!("/channels/{OTHER_CHANNEL_ID}/messages/")),
            WAIT,
        )
        .await;
    assert!(refused.path.ends_with("/threads") && refused.status == 403, "{} {}", refused.path, refused.status);

    // A restart later that day opens no second thread (if the bot was
    // stopped before it recorded the thread, the restart asks again and
    // Discord answers that the message has one), nor a second prompt.
    bot.kill().await;
    drop(bot);
    let bot = spawn(&standin, &db, JUST_AFTER_NINE);
    standin.wait_commands(WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let made: Vec<String> = standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/threads") && r.status == 200)
        .map(|r| r.path)
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(standin.channel_messages(thread).len(), 1, "one prompt in the thread");
    assert_eq!(posts(&standin, CHANNEL_ID).len(), 1);
    assert_eq!(posts(&standin, OTHER_CHANNEL_ID).len(), 1);

    // The other channel's status says why its question has no thread (once
    // the restarted scheduler has gone over the day's posts: on a loaded
    // machine that can take longer than the second above).
    let asked = tokio::time::Instant::now();
    let text = loop {
        let status = respond(&standin, standin.slash("daily status", json!([]), &admin(), Place::guild())).await;
        let text = content(&status).to_string();
        if text.contains("could not be opened") || asked.elapsed() > WAIT {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(text.contains("🧵 The last thread could not be opened (the question still went out)"), "{text}");
    assert_eq!(text.matches("could not be opened").count(), 1, "only the channel without the permission: {text}");

    // `/daily now` on such a schedule: its post gets a thread of its own,
    // or the admin hears why not; the post goes out either way.
    let now = |channel: u64| {
        let options = json!([{"name": "channel", "value": channel.to_string()}]);
        standin.slash("daily now", options, &admin(), Place::guild())
    };
    let reply = respond(&standin, now(CHANNEL_ID)).await;
    assert_eq!(content(&reply), format!("Posted the next question in <#{CHANNEL_ID}>."));
    let extra = posts(&standin, CHANNEL_ID).pop().unwrap();
    let extra_id = extra.response["id"].as_str().unwrap().to_string();
    assert_ne!(extra_id, message_id);
    let opened = standin
        .wait_request(|r| r.path.ends_with(&format!("/messages/{extra_id}/threads")) && r.status == 200, WAIT)
        .await;
    assert!(title_of(&extra).starts_with(opened.body["name"].as_str().unwrap().trim_end_matches('…')));
    let extra_thread: u64 = extra_id.parse().unwrap();
    standin.wait_request(|r| r.is("POST", &format!("/channels/{extra_thread}/messages")), WAIT).await;
    assert_eq!(standin.channel_messages(extra_thread).len(), 1, "one prompt in the new thread");
    assert_eq!(standin.channel_messages(thread).len(), 1, "the day's thread is left as it was");

    let reply = respond(&standin, now(OTHER_CHANNEL_ID)).await;
    assert!(content(&reply).starts_with(&format!("Posted the next question in <#{OTHER_CHANNEL_ID}>.")));
    assert!(content(&reply).contains("Its discussion thread could not be opened"), "{}", content(&reply));
    assert_eq!(posts(&standin, OTHER_CHANNEL_ID).len(), 2);
    assert_clean(&standin, &bot);
}

/// The question's title in a daily post.
fn title_of(post: &RecordedRequest) -> String {
    post.body["embeds"][0]["description"].as_str().unwrap().split("**").nth(1).unwrap().to_string()
}
