//! End to end: a server's own question banks. Admins upload guides as
//! attachments (served by the stand-in's CDN), members study them with
//! /quiz, and nothing of it reaches another server.

use std::path::Path;

use serde_json::{json, Value};
use standin::e2e::{assert_clean, button, interact, respond, settled, WAIT};
use standin::{BotProcess, ChannelSpec, GuildSpec, Place, StandIn, StandInConfig, TestUser, OWNER_ID};

const SECOND_GUILD: u64 = 1_100_000_000_000_010_100;
const SECOND_CHANNEL: u64 = 1_100_000_000_000_010_201;

const GUIDE: &str = "---\ntitle: \"Team guide\"\n---\n## Team Ops\n\n??? question \"1. How do we deploy?\"\n    🧠 Think.\n\n    🟢 **Beginner**\n\n    With the pipeline.\n\n??? question \"2. Who is on call?\"\n    🔴 **Advanced**\n\n    Whoever holds the pager.\n\n??? question \"3. Where are the runbooks?\"\n    🟡 **Intermediate**\n\n    In the wiki.\n";

fn admin() -> TestUser {
    TestUser::new(1_800_000_000_000_000_001, "lead").admin()
}

fn member() -> TestUser {
    TestUser::new(1_800_000_000_000_000_002, "learner")
}

fn content(message: &Value) -> String {
    message["content"].as_str().unwrap_or_default().to_string()
}

fn ephemeral(message: &Value) -> bool {
    message["flags"].as_u64().unwrap_or(0) & 64 != 0
}

async fn start() -> (StandIn, BotProcess, tempfile::TempDir) {
    let mut config = StandInConfig::default();
    config.guilds.push(
        GuildSpec::new(SECOND_GUILD, "Second Group", OWNER_ID).with_channel(ChannelSpec::text(SECOND_CHANNEL, "quiz")),
    );
    let standin = StandIn::start_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let bot = spawn(&standin, &dir.path().join("quizbot.db"));
    standin.wait_commands(WAIT).await;
    (standin, bot, dir)
}

fn spawn(standin: &StandIn, db: &Path) -> BotProcess {
    BotProcess::spawn(&standin::quizbot!(), standin, db, &[])
}

/// `/bank add` with the files given, as `who`; the answer the admin sees.
async fn add(standin: &StandIn, who: &TestUser, files: &[(&str, &[u8])]) -> Value {
    let options: Vec<Value> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let option = if i == 0 { "file".to_string() } else { format!("file{}", i + 1) };
            json!({"name": option, "value": standin.attach(name, bytes).to_string()})
        })
        .collect();
    respond(standin, standin.slash("bank add", Value::Array(options), who, Place::guild())).await
}

async fn quiz(standin: &StandIn, category: &str, place: Place) -> Value {
    let options = json!([{"name": "category", "value": category}]);
    interact(standin, standin.slash("quiz", options, &member(), place)).await.message()
}

#[tokio::test]
async fn a_guide_uploaded_by_an_admin_is_studied_here_and_nowhere_else() {
    let (standin, bot, _dir) = start().await;

    // A member without Manage Server is refused, and nothing is stored.
    let refused = add(&standin, &member(), &[("team.md", GUIDE.as_bytes())]).await;
    assert!(ephemeral(&refused) && content(&refused).contains("Manage Server"), "{refused}");

    let added = add(&standin, &admin(), &[("Team Guide.md", GUIDE.as_bytes())]).await;
    assert!(ephemeral(&added));
    let text = content(&added);
    assert!(text.starts_with("✅ Added **Team guide** (`team-guide`): 3 questions"), "{text}");
    assert!(text.contains("- Team Ops: 🟢 1 · 🟡 1 · 🔴 1"), "{text}");

    // Everyone sees it listed, with who added it.
    let list = respond(&standin, standin.slash("bank list", json!([]), &member(), Place::guild())).await;
    let text = content(&list);
    assert!(text.contains("`team-guide` · Team guide · 3 questions · added by <@1800000000000000001>"), "{text}");
    assert!(text.contains("AWS DevOps Engineer Interview Questions · 20 questions"), "{text}");

    // Its category autocompletes and /quiz asks from it; a rating is saved.
    let (id, typed) = standin.autocomplete(
        "quiz",
        json!([{"name": "category", "value": "team", "focused": true}]),
        &member(),
        Place::guild(),
    );
    standin.send(typed).await;
    let choices = standin.wait_callback(id, WAIT).await.data["choices"].clone();
    assert!(choices.as_array().unwrap().iter().any(|c| c["name"] == "Team Ops"), "{choices}");
    let post = quiz(&standin, "Team Ops", Place::guild()).await;
    assert!(post["embeds"][0]["footer"]["text"].as_str().unwrap().contains("Team guide"), "{post}");
    let answer =
        interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &member(), Place::guild())).await;
    let answer = answer.message();
    let rated =
        interact(&standin, standin.click(&button(&answer, "Beginner"), &answer, &member(), Place::guild())).await;
    assert!(rated.content().contains("Saved: 🟢 **Beginner**"), "{}", rated.content());

    // The other server knows nothing of it.
    let (id, elsewhere) = standin.slash(
        "quiz",
        json!([{"name": "category", "value": "Team Ops"}]),
        &member(),
        Place::in_guild(SECOND_GUILD, SECOND_CHANNEL),
    );
    let cb = interact(&standin, (id, elsewhere)).await;
    assert!(cb.ephemeral() && cb.content().starts_with("There is no category \"Team Ops\""), "{}", cb.content());
    let list = respond(
        &standin,
        standin.slash("bank list", json!([]), &member(), Place::in_guild(SECOND_GUILD, SECOND_CHANNEL)),
    )
    .await;
    assert!(!content(&list).contains("team-guide"), "{}", content(&list));

    // The stored file comes back as it was uploaded.
    let (id, command) =
        standin.slash("bank download", json!([{"name": "name", "value": "team-guide"}]), &member(), Place::guild());
    let token = command["token"].as_str().unwrap().to_string();
    respond(&standin, (id, command)).await;
    let sent = standin.requests().into_iter().rev().find(|r| r.path.contains(&token)).unwrap();
    let file = sent.files.iter().find(|f| f.filename == "Team Guide.md").expect("the file");
    assert_eq!(file.bytes, GUIDE.as_bytes());
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn a_reupload_keeps_ratings_and_retires_removed_questions() {
    let (standin, bot, _dir) = start().await;
    add(&standin, &admin(), &[("team.md", GUIDE.as_bytes())]).await;

    // Members study every question of the bank; keep each post.
    let mut posts = Vec::new();
    for _ in 0..3 {
        posts.push(quiz(&standin, "Team Ops", Place::guild()).await);
    }
    let title = |p: &Value| p["embeds"][0]["title"].as_str().unwrap().to_string();
    for post in &posts {
        let answer =
            interact(&standin, standin.click(&button(post, "Reveal answer"), post, &member(), Place::guild())).await;
        let answer = answer.message();
        interact(&standin, standin.click(&button(&answer, "Advanced"), &answer, &member(), Place::guild())).await;
    }

    // One answer reworded, one question removed.
    let edited = GUIDE.replace("    In the wiki.", "    In the wiki, under Runbooks.");
    let edited = edited[..edited.find("??? question \"2.").unwrap()].to_string()
        + &edited[edited.find("??? question \"3.").unwrap()..];
    let replaced = add(&standin, &admin(), &[("team.md", edited.as_bytes())]).await;
    let text = content(&replaced);
    assert!(
        text.starts_with("🔁 Replaced **Team guide** (`team`): 0 added, 1 changed, 1 removed; 2 questions now"),
        "{text}"
    );

    // The removed question's old button says so; the others still work.
    let gone = posts.iter().find(|p| title(p).contains("on call")).unwrap();
    let cb = interact(&standin, standin.click(&button(gone, "Reveal answer"), gone, &member(), Place::guild())).await;
    assert!(cb.ephemeral() && cb.content() == "This question is no longer available.", "{}", cb.content());
    let kept = posts.iter().find(|p| title(p).contains("runbooks")).unwrap();
    let cb = interact(&standin, standin.click(&button(kept, "Reveal answer"), kept, &member(), Place::guild())).await;
    assert!(cb.message()["embeds"][0]["description"].as_str().unwrap().contains("under Runbooks"));
    // The rating made before the re-upload is still the member's level.
    assert!(cb.content().contains("Advanced"), "the earlier level is highlighted: {}", cb.content());

    // /stats counts the two questions left, both studied.
    let stats = respond(&standin, standin.slash("stats", json!([]), &member(), Place::guild())).await;
    let fields = stats["embeds"][0]["fields"].to_string();
    assert!(fields.contains("Team Ops: **2**/2"), "{fields}");

    // Removed after a confirmation: its category is gone from /quiz.
    let prompt = respond(
        &standin,
        standin.slash("bank remove", json!([{"name": "name", "value": "team"}]), &admin(), Place::guild()),
    )
    .await;
    let done = respond(&standin, standin.click(&button(&prompt, "Remove it"), &prompt, &admin(), Place::guild())).await;
    assert_eq!(content(&done), "🗑️ Removed `team` from this server.");
    let cb = interact(
        &standin,
        standin.slash("quiz", json!([{"name": "category", "value": "Team Ops"}]), &member(), Place::guild()),
    )
    .await;
    assert!(cb.content().starts_with("There is no category"), "{}", cb.content());
    assert_clean(&standin, &bot);
}

#[tokio::test]
async fn bad_uploads_are_explained_and_store_nothing() {
    let (standin, bot, _dir) = start().await;
    let no_level = "## Ops\n\n??? question \"1. First?\"\n    Just an answer.\n";
    let twice = format!("{GUIDE}\n??? question \"4. How do we deploy?\"\n    🟢 **Beginner**\n\n    Again.\n");
    let big = "x".repeat(5_000_000);
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let cases: [(&str, &[u8], &str); 6] = [
        ("photo.md", png, "is not a text file"),
        ("big.md", big.as_bytes(), "`big.md` is 5000000 bytes; a bank may be at most 1000000 bytes"),
        ("latin.md", b"caf\xe9 ??? question", "`latin.md` is not UTF-8 text"),
        ("empty.md", b"# Nothing here\n", "`empty.md` has no questions"),
        ("twice.md", twice.as_bytes(), "line 23: question \"How do we deploy?\" has the same id"),
        ("nolevel.md", no_level.as_bytes(), "line 4: question \"First?\": expected a difficulty line"),
    ];
    for (file, bytes, expected) in cases {
        let reply = add(&standin, &admin(), &[(file, bytes)]).await;
        let text = content(&reply);
        assert!(ephemeral(&reply), "{file}");
        assert!(text.starts_with("❌ Nothing was stored."), "{file}: {text}");
        assert!(text.contains(expected), "{file}: {text}");
    }
    // A link Discord's CDN no longer serves.
    let expired = standin.attach("team.md", GUIDE.as_bytes());
    standin.expire_attachment(expired);
    let reply = respond(
        &standin,
        standin.slash("bank add", json!([{"name": "file", "value": expired.to_string()}]), &admin(), Place::guild()),
    )
    .await;
    assert!(content(&reply).contains("Could not download `team.md` from Discord (HTTP 404)"), "{}", content(&reply));

    // Many problems: the whole report comes as a file.
    let broken: String =
        (1..=80).map(|n| format!("??? question \"{n}. Question number {n}?\"\n    No level.\n\n")).collect();
    let (id, command) = standin.slash(
        "bank add",
        json!([{"name": "file", "value": standin.attach("broken.md", broken.as_bytes()).to_string()}]),
        &admin(),
        Place::guild(),
    );
    let token = command["token"].as_str().unwrap().to_string();
    let reply = respond(&standin, (id, command)).await;
    assert!(content(&reply).ends_with("… the whole report is attached."), "{}", content(&reply));
    let sent = standin.requests().into_iter().rev().find(|r| r.path.contains(&token)).unwrap();
    let report =
        String::from_utf8(sent.files.iter().find(|f| f.filename == "problems.txt").unwrap().bytes.clone()).unwrap();
    assert_eq!(report.matches("expected a difficulty line").count(), 80, "{report}");

    let list = respond(&standin, standin.slash("bank list", json!([]), &member(), Place::guild())).await;
    assert!(content(&list).contains("(0 of 25)"), "{}", content(&list));
    assert_clean(&standin, &bot);
}

/// A member's memory is theirs: in DMs, `/review` brings back a question of
/// a server's own bank they studied there, and it can be revealed and
/// rated in DMs; `/quiz` in DMs and the other server stay on what they see.
#[tokio::test]
async fn direct_message_reviews_include_the_banks_of_servers_the_member_studied() {
    let mut config = StandInConfig::default();
    config.guilds.push(
        GuildSpec::new(SECOND_GUILD, "Second Group", OWNER_ID).with_channel(ChannelSpec::text(SECOND_CHANNEL, "quiz")),
    );
    let standin = StandIn::start_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    let mut bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", "2026-11-20T10:00:00Z")]);
    standin.wait_commands(WAIT).await;
    add(&standin, &admin(), &[("team.md", GUIDE.as_bytes())]).await;
    let post = quiz(&standin, "Team Ops", Place::guild()).await;
    let title = post["embeds"][0]["title"].as_str().unwrap().to_string();
    let answer =
        interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &member(), Place::guild())).await;
    let answer = answer.message();
    interact(&standin, standin.click(&button(&answer, "Beginner"), &answer, &member(), Place::guild())).await;

    // The next day, in DMs: the server's question is due.
    bot.kill().await;
    drop(bot);
    let bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &db, &[("QUIZBOT_CLOCK_START", "2026-11-21T10:00:00Z")]);
    standin.wait_commands(WAIT).await;
    let dm = Place::dm(&member());
    let cb = settled(&standin, standin.slash("review", json!([]), &member(), dm)).await;
    assert!(cb.content().starts_with("📅 **1** question due today"), "{}", cb.content());
    let due = cb.message();
    assert_eq!(due["embeds"][0]["title"], title);
    let answer = interact(&standin, standin.click(&button(&due, "Reveal answer"), &due, &member(), dm)).await;
    assert!(answer.message()["embeds"][0]["description"].as_str().is_some(), "{}", answer.content());
    let answer = answer.message();
    let rated = interact(&standin, standin.click(&button(&answer, "Advanced"), &answer, &member(), dm)).await;
    assert!(rated.content().contains("Saved: 🔴 **Advanced**"), "{}", rated.content());
    let cb = settled(&standin, standin.slash("review", json!([]), &member(), dm)).await;
    assert!(cb.content().starts_with("Nothing is due."), "reviewed in DMs: {}", cb.content());

    // /quiz in DMs asks from the built-in banks only.
    let cb =
        interact(&standin, standin.slash("quiz", json!([{"name": "category", "value": "Team Ops"}]), &member(), dm))
            .await;
    assert!(cb.content().starts_with("There is no category \"Team Ops\""), "{}", cb.content());
    // The other server's /review never offers it.
    let elsewhere = Place::in_guild(SECOND_GUILD, SECOND_CHANNEL);
    for _ in 0..5 {
        let cb = settled(&standin, standin.slash("review", json!([]), &member(), elsewhere)).await;
        assert!(cb.content().starts_with("Nothing is due."), "{}", cb.content());
        let offered = cb.message()["embeds"][0]["footer"]["text"].as_str().unwrap_or_default().to_string();
        assert!(!offered.contains("Team guide"), "{offered}");
    }
    assert_clean(&standin, &bot);
}
