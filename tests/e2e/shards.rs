//! End to end: one bot as two processes on one PostgreSQL, each running one
//! of two gateway shards (`SHARDS=0-0/2`, `SHARDS=1-1/2`), against a
//! stand-in Discord with a server on each shard. Each process answers the
//! interactions of its own shard; both run the scheduler, and each server's
//! daily question is posted exactly once. Also: a `SHARDS` total too small
//! for the bot's servers (on SQLite: it fails before any database work).

use crate::backends;

use std::time::Duration;

use serde_json::{json, Value};
use standin::e2e::{assert_clean, interact, respond, WAIT};
use standin::{
    BotProcess, ChannelSpec, GuildSpec, Place, StandIn, StandInConfig, TestUser, CHANNEL_ID, GUILD_ID, OWNER_ID,
};

/// A server on shard 0 of 2 (`GUILD_ID` is on shard 1).
const SECOND_GUILD: u64 = 1_100_000_000_104_194_304;
const SECOND_CHANNEL: u64 = SECOND_GUILD + 100;
/// 08:59:50 in Berlin.
const BEFORE_NINE: &str = "2026-11-24T07:59:50Z";

fn admin() -> TestUser {
    TestUser::new(1_600_000_000_000_000_001, "admin").admin()
}

async fn daily_set(standin: &StandIn, guild: u64, channel: u64) -> Value {
    daily_set_with(standin, guild, channel, &[]).await
}

async fn daily_set_with(standin: &StandIn, guild: u64, channel: u64, extra: &[Value]) -> Value {
    let mut options = vec![
        json!({"name": "channel", "value": channel.to_string()}),
        json!({"name": "time", "value": "09:00"}),
        json!({"name": "timezone", "value": "Europe/Berlin"}),
    ];
    options.extend(extra.iter().cloned());
    let options = Value::Array(options);
    let (id, payload) = standin.slash("daily set", options, &admin(), Place::in_guild(guild, channel));
    respond(standin, (id, payload)).await
}

/// The bot as two processes on `db`, running shard 0 and shard 1 of 2 (in
/// that order), both with their commands registered and sessions ready.
async fn spawn_both(standin: &StandIn, db: &backends::TestDb, dir: &tempfile::TempDir) -> [BotProcess; 2] {
    spawn_both_at(standin, db, dir, BEFORE_NINE).await
}

async fn spawn_both_at(
    standin: &StandIn,
    db: &backends::TestDb,
    dir: &tempfile::TempDir,
    clock: &str,
) -> [BotProcess; 2] {
    let spawn = |shards: &str| {
        let env = [("DATABASE_URL", db.url()), ("SHARDS", shards), ("QUIZBOT_CLOCK_START", clock)];
        BotProcess::spawn(&standin::quizbot!(), standin, &dir.path().join(format!("unused-{shards}.db")), &env)
    };
    let first = spawn("0-0/2");
    standin.wait_commands(WAIT).await;
    let second = spawn("1-1/2");
    standin.wait_commands(WAIT).await;
    standin.wait_ready(WAIT).await;
    [first, second]
}

fn posts(standin: &StandIn, channel: u64) -> usize {
    let suffix = format!("/channels/{channel}/messages");
    standin.requests().iter().filter(|r| r.is("POST", &suffix) && r.status == 200).count()
}

#[tokio::test]
async fn two_processes_split_the_shards_and_post_each_daily_once() {
    assert_eq!((GUILD_ID >> 22) % 2, 1);
    assert_eq!((SECOND_GUILD >> 22) % 2, 0);
    let Some(db) = backends::TestDb::postgres().await else { return };
    let mut config = StandInConfig::default();
    config.guilds.push(
        GuildSpec::new(SECOND_GUILD, "Second Group", OWNER_ID).with_channel(ChannelSpec::text(SECOND_CHANNEL, "quiz")),
    );
    let standin = StandIn::start_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let [first, second] = spawn_both(&standin, &db, &dir).await;
    let mut shards: Vec<(u32, u32)> = standin.identifies().iter().map(|i| i.shard).collect();
    shards.sort();
    assert_eq!(shards, [(0, 2), (1, 2)], "each process identifies with its own shard");

    // Each server's commands reach the process holding its shard, once.
    for (guild, channel) in [(GUILD_ID, CHANNEL_ID), (SECOND_GUILD, SECOND_CHANNEL)] {
        let reply = daily_set(&standin, guild, channel).await;
        assert!(reply["content"].as_str().unwrap_or("").starts_with("✅ Daily question set."), "{reply}");
    }

    // 09:00 Berlin: both processes' schedulers see both schedules due; each
    // channel gets exactly one post.
    let deadline = tokio::time::Instant::now() + WAIT;
    while posts(&standin, CHANNEL_ID) == 0 || posts(&standin, SECOND_CHANNEL) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "a daily question was not posted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the slower scheduler time to run its own round past 09:00.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(posts(&standin, CHANNEL_ID), 1);
    assert_eq!(posts(&standin, SECOND_CHANNEL), 1);
    for channel in [CHANNEL_ID, SECOND_CHANNEL] {
        let dailies = standin
            .channel_messages(channel)
            .iter()
            .filter(|m| m["embeds"][0]["title"].as_str().is_some_and(|t| t.starts_with("Question of the day")))
            .count();
        assert_eq!(dailies, 1, "channel {channel}");
    }

    // /quiz in both servers, each answered once (a second answer would be a
    // refused double acknowledgement, which assert_clean reports).
    for (guild, channel) in [(GUILD_ID, CHANNEL_ID), (SECOND_GUILD, SECOND_CHANNEL)] {
        let cb = interact(&standin, standin.slash("quiz", json!([]), &admin(), Place::in_guild(guild, channel))).await;
        assert_eq!(cb.kind, 4);
        assert!(cb.message()["embeds"][0]["title"].as_str().is_some_and(|t| !t.is_empty()));
    }
    // …and by the process holding the server's shard: each logs the
    // commands it served.
    let served = |bot: &BotProcess, guild: u64| {
        bot.log().lines().any(|l| l.contains("command=quiz") && l.contains(&format!("guild={guild}")))
    };
    assert!(served(&first, SECOND_GUILD) && !served(&first, GUILD_ID), "shard 0 holds the second server");
    assert!(served(&second, GUILD_ID) && !served(&second, SECOND_GUILD), "shard 1 holds the default server");
    assert_clean(&standin, &first);
    assert_clean(&standin, &second);
}

/// The process holding a claim on a post, as the scheduler names itself
/// (`PID-RANDOM`), read from the database.
async fn claim_holder(db: &backends::TestDb, channel: u64) -> Option<(String, Option<i64>)> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    let row = sqlx::query("SELECT claimed_by, message_id FROM daily_posts WHERE channel_id = $1")
        .bind(i64::try_from(channel).unwrap())
        .fetch_optional(&mut conn)
        .await
        .unwrap()?;
    Some((row.get("claimed_by"), row.get("message_id")))
}

#[tokio::test]
async fn a_process_killed_mid_post_leaves_it_to_the_other() {
    let Some(db) = backends::TestDb::postgres().await else { return };
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut processes = spawn_both(&standin, &db, &dir).await;
    standin.hold_posts(CHANNEL_ID);
    daily_set(&standin, GUILD_ID, CHANNEL_ID).await;

    // 09:00: one process claims the post and sends it; it dies before the
    // request reaches Discord.
    standin.wait_held(CHANNEL_ID, WAIT).await;
    let (holder, message) = claim_holder(&db, CHANNEL_ID).await.expect("a claim");
    assert_eq!(message, None);
    let pid: u32 = holder.split('-').next().unwrap().parse().unwrap();
    let dead = processes.iter().position(|p| p.pid() == Some(pid)).expect("the claim names one of the processes");
    processes[dead].kill().await;
    standin.drop_held_posts(CHANNEL_ID);

    // The other process takes the claim over once its lease (60 s) ends,
    // and posts the day's question exactly once.
    let suffix = format!("/channels/{CHANNEL_ID}/messages");
    let post = standin.wait_request(|r| r.is("POST", &suffix) && r.status == 200, Duration::from_secs(90)).await;
    assert_eq!(post.body["embeds"][0]["title"], "Question of the day · Tuesday 24 November");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(posts(&standin, CHANNEL_ID), 1);
    let (taker, message) = claim_holder(&db, CHANNEL_ID).await.unwrap();
    assert_ne!(taker, holder, "the survivor finished the post");
    assert!(message.is_some(), "the post is recorded");
    assert_clean(&standin, &processes[1 - dead]);
}

/// A bank uploaded through one process is used by the other: the server's
/// daily question, from a category of that bank, is posted by the process
/// that did not take the upload (the one that did is gone by 09:00).
#[tokio::test]
async fn a_bank_uploaded_through_one_process_is_used_by_the_other() {
    let Some(db) = backends::TestDb::postgres().await else { return };
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    // 08:59:20 in Berlin: time to upload, set the schedule and stop the
    // process that did both.
    let [first, mut second] = spawn_both_at(&standin, &db, &dir, "2026-11-24T07:59:20Z").await;
    let guide = "---\ntitle: \"Team guide\"\n---\n## Team Ops\n\n??? question \"1. How do we deploy?\"\n    🟢 **Beginner**\n\n    With the pipeline.\n";
    let file = standin.attach("team.md", guide.as_bytes());
    let options = json!([{"name": "file", "value": file.to_string()}]);
    let added = respond(&standin, standin.slash("bank add", options, &admin(), Place::guild())).await;
    assert!(added["content"].as_str().unwrap_or("").starts_with("✅ Added **Team guide**"), "{added}");
    let reply =
        daily_set_with(&standin, GUILD_ID, CHANNEL_ID, &[json!({"name": "category", "value": "Team Ops"})]).await;
    assert!(reply["content"].as_str().unwrap_or("").starts_with("✅ Daily question set."), "{reply}");
    // The default server is on shard 1: the second process took all that.
    second.kill().await;

    let suffix = format!("/channels/{CHANNEL_ID}/messages");
    let post = standin.wait_request(|r| r.is("POST", &suffix) && r.status == 200, Duration::from_secs(90)).await;
    assert_eq!(
        post.body["embeds"][0]["description"].as_str().map(|d| d.contains("How do we deploy?")),
        Some(true),
        "{}",
        post.body
    );
    assert!(post.body["embeds"][0]["footer"]["text"].as_str().unwrap_or("").contains("Team guide"), "{}", post.body);
    // It logs the post once Discord answered.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !first.log().contains("daily question posted") {
        assert!(tokio::time::Instant::now() < deadline, "the first process posted it:\n{}", first.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_clean(&standin, &first);
}

/// `SHARDS` with a total too small for the bot's servers: Discord closes the
/// shard with 4011 (more than 2,500 servers), and the bot stops with exit
/// code 2 and one line saying why, instead of identifying again every
/// minute (each IDENTIFY spends one of the bot's 1,000 a day).
#[tokio::test]
async fn a_shard_discord_refuses_as_too_large_stops_the_bot() {
    let mut guilds = StandInConfig::default().guilds;
    guilds.extend((1..=2_500u64).map(|i| GuildSpec::new(1_400_000_000_000_000_000 + (i << 22), "Group", OWNER_ID)));
    let standin = StandIn::start_with(StandInConfig { guilds, ..StandInConfig::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &dir.path().join("quizbot.db"), &[("SHARDS", "0-0/1")]);
    let status = bot.wait_exit(WAIT).await;
    let log = bot.log();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{log}");
    let errors: Vec<&str> = log.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{log}");
    assert!(errors[0].contains("SHARDS needs a larger total"), "{log}");
    assert_eq!(standin.identifies().len(), 1, "one IDENTIFY, not one a minute");
    let violations = standin.violations();
    assert!(violations.len() == 1 && violations[0].contains("more than Discord's 2500"), "{violations:?}");
}
