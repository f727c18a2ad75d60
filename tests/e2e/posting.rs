//! End to end: daily posts against a Discord that limits, hangs and
//! forgets nonces. Exactly once, and on time, whatever Discord does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::Connection;
use standin::e2e::{assert_clean, interact, WAIT};
use standin::{
    BotProcess, ChannelSpec, Place, RecordedRequest, StandIn, StandInConfig, TestUser, CHANNEL_ID, GUILD_ID,
};

use quizbot::clock::Clock;
use quizbot::domain::bank::Filter;
use quizbot::service::daily::ScheduleRequest;
use quizbot::service::Services;
use quizbot::store::Store;

/// 08:59:55 in Berlin on Tuesday 24 November 2026.
const BEFORE_NINE: &str = "2026-11-24T07:59:55Z";
/// 09:10 in Berlin the same day: past any nonce window of a 09:00 post.
const TEN_PAST_NINE: &str = "2026-11-24T08:10:00Z";

fn member() -> TestUser {
    TestUser::new(1_600_000_000_000_000_001, "member")
}

fn spawn(standin: &StandIn, db: &Path, clock: &str) -> BotProcess {
    BotProcess::spawn(&standin::quizbot!(), standin, db, &[("QUIZBOT_CLOCK_START", clock)])
}

/// Stores a 09:00 Berlin schedule for each channel, as `/daily set` would,
/// before the bot starts (setting up through Discord would itself spend
/// the rate limits under test).
async fn schedule_at_nine(db: &Path, channels: &[u64]) {
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1).await.unwrap();
    let bank = quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339(BEFORE_NINE).unwrap().to_utc();
    let services = Services::new(Arc::new(bank), store, Clock::manual(start));
    for &channel_id in channels {
        let request = ScheduleRequest {
            guild_id: GUILD_ID,
            channel_id,
            time: "09:00".into(),
            timezone: "Europe/Berlin".into(),
            filter: Filter::default(),
            ping_role: None,
            pick: Default::default(),
            thread: false,
            recap: None,
        };
        services.set_schedule(&request).await.unwrap();
    }
    services.close().await;
}

/// The posts Discord made in `channel` (status 200).
fn made(standin: &StandIn, channel: u64) -> Vec<RecordedRequest> {
    let suffix = format!("/channels/{channel}/messages");
    standin.requests().into_iter().filter(|r| r.is("POST", &suffix) && r.status == 200).collect()
}

async fn wait_until(what: &str, standin: &StandIn, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what} never happened\n{}", standin.diagnostics());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sixty servers' channels due at 09:00 on a Discord that limits as the
/// real one does (50 requests a second, 5 messages per 5 s per channel) and
/// answers a post in 100 ms, while a member runs /quiz again and again in
/// one channel: every post is made once, the last soon after the first
/// (one at a time, 60 posts would take over 6 s), and Discord has to refuse
/// at most a handful of requests.
#[tokio::test]
async fn sixty_posts_due_at_once_stay_under_discords_rate_limits() {
    let standin = StandIn::start_with(StandInConfig { rate_limits: true, ..StandInConfig::default() }).await;
    standin.set_post_latency(Duration::from_millis(100));
    let channels: Vec<u64> = (0..60).map(|n| 890_000_000_000_000_000 + n).collect();
    for &id in &channels {
        standin.add_channel(GUILD_ID, ChannelSpec::text(id, &format!("daily-{id}")));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    schedule_at_nine(&db, &channels).await;
    let bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;

    // 09:00: the posts begin; a burst of /quiz meanwhile, all answered.
    let first = format!("/channels/{}/messages", channels[0]);
    standin.wait_request(|r| r.is("POST", &first), WAIT).await;
    let mut quizzes = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let standin = standin.clone();
        quizzes.spawn(
            async move { interact(&standin, standin.slash("quiz", json!([]), &member(), Place::guild())).await },
        );
    }
    while let Some(quiz) = quizzes.join_next().await {
        assert!(quiz.unwrap().message()["embeds"][0]["title"].is_string());
    }
    wait_until("every post", &standin, || channels.iter().all(|&c| !made(&standin, c).is_empty())).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    for &c in &channels {
        assert_eq!(standin.channel_messages(c).len(), 1, "channel {c}: one post");
    }
    let times: Vec<_> = channels.iter().map(|&c| made(&standin, c)[0].received_at).collect();
    let (earliest, latest) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    let spread = latest.duration_since(*earliest);
    // 60 posts at 45 a second take 1.3 s.
    assert!(spread < Duration::from_secs(3), "the last post came {spread:?} after the first");
    assert!(standin.rate_limited() <= 3, "Discord refused {} requests", standin.rate_limited());
    assert_clean(&standin, &bot);
}

/// A post whose request hangs (Discord never answers) holds up no other
/// channel, and is given up after the REST timeout (to be sent again).
#[tokio::test]
async fn a_hung_post_does_not_hold_up_the_other_channels() {
    let standin = StandIn::start().await;
    let later = 1_100_000_000_000_000_900;
    standin.add_channel(GUILD_ID, ChannelSpec::text(later, "after"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    // Both due at 09:00; the first in channel order hangs.
    schedule_at_nine(&db, &[CHANNEL_ID, later]).await;
    standin.hold_posts(CHANNEL_ID);
    let bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    standin.wait_held(CHANNEL_ID, WAIT).await;
    let held_at = std::time::Instant::now();

    let suffix = format!("/channels/{later}/messages");
    let post = standin.wait_request(|r| r.is("POST", &suffix), WAIT).await;
    assert_eq!(post.status, 200);
    let waited = post.received_at.saturating_duration_since(held_at);
    assert!(waited < Duration::from_secs(5), "held up for {waited:?}");
    let deadline = held_at + quizbot::discord::REST_TIMEOUT + Duration::from_secs(5);
    while !bot.log().contains("no answer within the timeout") {
        assert!(std::time::Instant::now() < deadline, "the hung post was never given up:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    standin.drop_held_posts(CHANNEL_ID);
}

/// The bot dies after Discord made its post but before it heard back.
/// Restarted past Discord's nonce window (here one second; "a few minutes"
/// on Discord), it finds the post in the channel and records it instead of
/// posting the day's question a second time.
#[tokio::test]
async fn a_post_made_before_a_crash_is_found_not_sent_again_past_the_nonce_window() {
    let standin = StandIn::start().await;
    standin.set_nonce_window(Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quizbot.db");
    schedule_at_nine(&db, &[CHANNEL_ID]).await;
    standin.hold_posts(CHANNEL_ID);
    let mut bot = spawn(&standin, &db, BEFORE_NINE);
    standin.wait_commands(WAIT).await;
    standin.wait_held(CHANNEL_ID, WAIT).await;
    bot.kill().await;
    // Discord carries the request out all the same.
    standin.release_posts(CHANNEL_ID);
    wait_until("the post", &standin, || standin.channel_messages(CHANNEL_ID).len() == 1).await;
    let message = standin.channel_messages(CHANNEL_ID).remove(0);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let bot = spawn(&standin, &db, TEN_PAST_NINE);
    standin.wait_commands(WAIT).await;
    let mut conn = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    let mut recorded = None;
    let deadline = tokio::time::Instant::now() + WAIT;
    while recorded.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the post was never recorded\n{}", standin.diagnostics());
        tokio::time::sleep(Duration::from_millis(100)).await;
        recorded = sqlx::query_scalar::<_, Option<i64>>("SELECT message_id FROM daily_posts")
            .fetch_optional(&mut conn)
            .await
            .unwrap()
            .flatten();
    }
    assert_eq!(recorded.map(|id| id.to_string()), message["id"].as_str().map(String::from));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 1, "posted twice");
    assert_eq!(made(&standin, CHANNEL_ID).len(), 1);
    assert_clean(&standin, &bot);
}
