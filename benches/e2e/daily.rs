//! The 09:00 burst: `n` daily posts due in the same second, against a
//! stand-in that limits as Discord does (50 requests a second globally, 5
//! messages per 5 s per channel) and answers each message creation after
//! 100 ms. The schedules (one channel each, ten channels a server) are
//! stored in the bot's SQLite database before it starts, due a few seconds
//! after; the bot's own clock is the real one.
//!
//! Measured at the stand-in: when each channel's post was made (the
//! message's timestamp), the 429s it answered, and how many posts each
//! channel got.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use quizbot::domain::schedule::time::{parse_zone, TimeOfDay};
use quizbot::domain::schedule::Schedule;
use quizbot::store::Store;
use standin::e2e::WAIT;
use standin::{ChannelSpec, GuildSpec, StandIn, StandInConfig, OWNER_ID};

use crate::{target_dir, Bot};

/// Discord's answer time for a message creation.
pub const POST_LATENCY: Duration = Duration::from_millis(100);
/// Channels per server.
const CHANNELS_PER_SERVER: usize = 10;
/// The scheduler's pace (`DEFAULT_POSTS_PER_SECOND`), for the budget.
pub const PACE: f64 = quizbot::service::scheduler::DEFAULT_POSTS_PER_SECOND as f64;

/// What one 09:00 burst measured.
#[derive(Clone, Debug)]
pub struct DailyRun {
    /// Schedules due.
    pub due: usize,
    pub servers: usize,
    /// Process start to commands registered.
    pub startup: Duration,
    /// How long before the due time the bot was ready (negative: after).
    pub ready_before_due: f64,
    /// Seconds from the due time to the first and to the last post made
    /// (`None` if none was made).
    pub first_post: Option<f64>,
    pub last_post: Option<f64>,
    /// Channels with exactly one post, none, and more than one.
    pub once: usize,
    pub none: usize,
    pub more: usize,
    /// 429s the stand-in answered, and how many of them were global.
    pub limited: u64,
    pub limited_global: u64,
    /// Requests the stand-in refused as Discord would (not 429s).
    pub violations: usize,
}

impl DailyRun {
    /// Posts per second from the due time to the last post.
    pub fn rate(&self) -> Option<f64> {
        self.last_post.filter(|t| *t > 0.0).map(|t| (self.due - self.none) as f64 / t)
    }
}

/// The channels of the burst: `(server, channel)` pairs.
fn channels(n: usize) -> Vec<(u64, u64)> {
    (0..n as u64)
        .map(|i| {
            let server = 1_500_000_000_000_000_000 + (i / CHANNELS_PER_SERVER as u64) * 100;
            (server, server + 1 + i % CHANNELS_PER_SERVER as u64)
        })
        .collect()
}

fn servers(pairs: &[(u64, u64)]) -> Vec<GuildSpec> {
    let mut out: Vec<GuildSpec> = Vec::new();
    for &(server, channel) in pairs {
        if out.last().is_none_or(|g| g.id != server) {
            out.push(GuildSpec::new(server, &format!("Daily group {}", out.len()), OWNER_ID));
        }
        if let Some(g) = out.pop() {
            out.push(g.with_channel(ChannelSpec::text(channel, &format!("daily-{channel}"))));
        }
    }
    out
}

/// Runs quizbot through the 09:00 burst of `n` posts due `lead` after the
/// schedules are stored.
pub async fn burst(bot: &Bot, n: usize, lead: Duration) -> anyhow::Result<DailyRun> {
    let pairs = channels(n);
    let mut guilds = StandInConfig::default().guilds;
    guilds.extend(servers(&pairs));
    let servers = guilds.len() - 1;
    let standin = StandIn::start_with(StandInConfig {
        guilds,
        keep_traffic: true,
        rate_limits: true,
        ..StandInConfig::default()
    })
    .await;
    standin.set_post_latency(POST_LATENCY);

    // Not across UTC midnight: a post due on one day and made on the next
    // would be skipped as missed.
    let now = Utc::now();
    let to_midnight = 86_400 - i64::from(now.num_seconds_from_midnight());
    let need = lead.as_secs() as i64 + (n as f64 / PACE * 3.0) as i64 + 120;
    if to_midnight < need {
        eprintln!("  waiting {to_midnight} s for UTC midnight to pass");
        tokio::time::sleep(Duration::from_secs(to_midnight as u64 + 2)).await;
    }

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("quizbot.db");
    let store = Store::connect(&bot.database_url(&db), 1).await?;
    let now = Utc::now();
    let due = now.timestamp() + lead.as_secs().max(1) as i64;
    let due_at = DateTime::from_timestamp(due, 0).unwrap_or(now);
    let minutes = u16::try_from(due_at.hour() * 60 + due_at.minute()).unwrap_or(0);
    let time = TimeOfDay::from_minutes(minutes).ok_or_else(|| anyhow::anyhow!("no time of day for {due_at}"))?;
    let zone = parse_zone("UTC")?;
    let schedules: Vec<Schedule> =
        pairs.iter().map(|&(guild_id, channel_id)| Schedule::new(channel_id, guild_id, time, zone, due)).collect();
    for chunk in schedules.chunks(10_000) {
        store.upsert_schedules(chunk, now.timestamp()).await?;
    }
    store.close().await;

    let started = std::time::Instant::now();
    let mut process = bot.spawn(&standin, &db)?;
    standin.wait_commands(Duration::from_secs(60)).await;
    let startup = started.elapsed();
    let ready_before_due = due as f64 - unix_now();

    // Until every channel has its post, or far past the budget.
    let limit = lead + Duration::from_secs_f64(n as f64 / PACE * 3.0) + Duration::from_secs(30);
    let deadline = tokio::time::Instant::now() + limit.saturating_sub(started.elapsed());
    let suffix = "/messages";
    loop {
        let made = standin
            .requests()
            .iter()
            .filter(|r| r.status == 200 && r.is("POST", suffix) && r.path.contains("/channels/"))
            .count();
        if made >= n || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A second post of a channel would come soon after (a retry).
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut times: Vec<f64> = Vec::with_capacity(n);
    let mut per_channel: HashMap<u64, usize> = HashMap::with_capacity(n);
    for &(_, channel) in &pairs {
        let messages = standin.channel_messages(channel);
        per_channel.insert(channel, messages.len());
        for m in &messages {
            if let Some(at) = m["timestamp"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
                times.push(at.timestamp_micros() as f64 / 1e6 - due as f64);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let count = |f: fn(usize) -> bool| per_channel.values().filter(|&&c| f(c)).count();
    let violations = standin.take_violations();
    if !violations.is_empty() {
        eprintln!("daily: the stand-in refused {} requests, first: {}", violations.len(), violations[0]);
    }
    process.terminate(WAIT).await;
    std::fs::copy(process.log_path(), target_dir().join("bench-e2e-daily.log"))?;
    Ok(DailyRun {
        due: n,
        servers,
        startup,
        ready_before_due,
        first_post: times.first().copied(),
        last_post: times.last().copied(),
        once: count(|c| c == 1),
        none: count(|c| c == 0),
        more: count(|c| c > 1),
        limited: standin.rate_limited(),
        limited_global: standin.rate_limited_global(),
        violations: violations.len(),
    })
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
