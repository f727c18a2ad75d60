//! Which gateway shards of this process are connected, published as the
//! plain [`ShardStatus`] that `/healthz` and `/metrics` read.
//!
//! Read from serenity's own record (the shard manager's runners, one per
//! shard, each with its connection stage) every [`POLL`], rather than
//! followed through events: serenity reports a stage change to event
//! handlers only from inside a runner's loop, so a runner restarted after
//! a missed heartbeat ACK, or one that cannot connect again, would leave
//! a shard looking connected. The record is updated on every stage change
//! and heartbeat, and a restarted runner leaves it until its new
//! connection is up.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

use crate::measures::ShardStatus;

/// How often the record is read: a health check sees a lost shard within
/// about this long. One lock of a map of a few entries.
pub(super) const POLL: Duration = Duration::from_secs(1);

/// Publishes how many of the manager's shards are connected, every
/// [`POLL`], until cancelled.
pub(super) async fn watch(manager: Arc<serenity::ShardManager>, status: ShardStatus) {
    let mut every = tokio::time::interval(POLL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let connected = {
            let runners = manager.runners.lock().await;
            runners.values().filter(|r| r.stage == serenity::ConnectionStage::Connected).count()
        };
        status.set_connected(u32::try_from(connected).unwrap_or(u32::MAX));
    }
}

/// How many shards this process runs when it runs them all: the total
/// Discord gave in READY (every shard's READY says it), one if it gave
/// none.
pub(super) fn total_from_ready(ready: &serenity::Ready) -> u32 {
    ready.shard.map_or(1, |s| s.total)
}
