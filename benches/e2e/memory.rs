//! Peak memory with many servers: the stand-in sends GUILD_CREATE for
//! each (channels, roles, a few members, as Discord does for a small
//! server) on the shard it belongs to (a shard per thousand servers, as
//! Discord recommends); once every shard is ready, one `/quiz`; once that
//! is answered every GUILD_CREATE before it has been read, and the
//! process's VmHWM is its peak.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::Bot;
use standin::e2e::WAIT;
use standin::{
    ChannelSpec, GuildSpec, Place, RoleSpec, StandIn, StandInConfig, TestUser, GUILDS_PER_RECOMMENDED_SHARD, OWNER_ID,
};

/// What one run measured.
#[derive(Clone, Debug)]
pub struct MemoryRun {
    pub guilds: usize,
    /// From process start to commands registered.
    pub startup: Duration,
    /// From process start to the `/quiz` after every GUILD_CREATE answered.
    pub all_guilds_read: Duration,
    pub peak_kib: u64,
    pub resident_kib: u64,
}

/// `n` small servers besides the stand-in's default one: five channels
/// (one a category, one voice), four roles, five members.
pub fn guilds(n: usize) -> Vec<GuildSpec> {
    let mut out = StandInConfig::default().guilds;
    for i in 0..n.saturating_sub(1) as u64 {
        // One snowflake a millisecond apart each (the shard is taken from
        // the bits above the low 22), so the servers spread over the
        // shards as real ones do.
        let id = 1_400_000_000_000_000_000 + (i << 22);
        let mut guild = GuildSpec::new(id, &format!("Study group {i}"), OWNER_ID)
            .with_role(RoleSpec::new(id + 1, "Moderator", 1 << 13).position(2))
            .with_role(RoleSpec::new(id + 2, "Member", 0).position(1))
            .with_channel(ChannelSpec::category(id + 10, "Text Channels"))
            .with_channel(ChannelSpec::text(id + 11, "general").in_category(id + 10).topic("Say hello"))
            .with_channel(ChannelSpec::text(id + 12, "interview-prep").in_category(id + 10))
            .with_channel(ChannelSpec::text(id + 13, "announcements").in_category(id + 10))
            .with_channel(ChannelSpec::voice(id + 14, "Study room"));
        for m in 0..5 {
            guild = guild.with_member(id + 50 + m, &format!("member{i}_{m}"));
        }
        out.push(guild);
    }
    out
}

/// Long enough for serenity to start every shard Discord recommends for
/// `n` servers (one per thousand, five seconds apart), with a minute to
/// spare.
fn shards_start_within(n: usize) -> Duration {
    let shards = u64::try_from(n.div_ceil(GUILDS_PER_RECOMMENDED_SHARD)).unwrap_or(u64::MAX);
    Duration::from_secs(60 + 5 * shards)
}

/// Starts `target` against a stand-in with `n` servers and reads its peak
/// memory once all of them have been delivered.
pub async fn peak_memory(target: &Bot, n: usize) -> anyhow::Result<MemoryRun> {
    let standin =
        StandIn::start_with(StandInConfig { guilds: guilds(n), keep_traffic: false, ..StandInConfig::default() }).await;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let mut bot = target.spawn(&standin, &dir.path().join("quizbot.db"))?;
    standin.wait_commands(Duration::from_secs(120)).await;
    let startup = started.elapsed();
    // The stand-in recommends a shard per thousand servers, as Discord
    // does, and serenity starts them five seconds apart.
    standin.wait_every_shard_ready(shards_start_within(n)).await;
    let member = TestUser::new(1_300_000_000_000_000_001, "member");
    let (id, payload) = standin.slash("quiz", json!([]), &member, Place::guild());
    standin.send(payload).await;
    let answered = standin.try_wait_callback(id, Duration::from_secs(120)).await;
    anyhow::ensure!(answered.is_some(), "{} did not answer after {n} servers", target.name());
    let all_guilds_read = started.elapsed();
    // Let whatever the events started settle before reading the peak.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = bot.pid().ok_or_else(|| anyhow::anyhow!("{} exited", target.name()))?;
    let (peak_kib, resident_kib) = crate::proc_memory(pid)?;
    bot.terminate(WAIT).await;
    Ok(MemoryRun { guilds: n, startup, all_guilds_read, peak_kib, resident_kib })
}
