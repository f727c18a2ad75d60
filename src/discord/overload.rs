//! Stops the bot when Discord refuses one of its shards as too large.
//!
//! Discord closes the connection of a shard that would carry more than
//! 2,500 servers (close code 4011, "sharding required"): `SHARDS`'s total
//! was set too low for the bot's servers. serenity 0.12 logs that and
//! keeps the shard's runner looping on the closed connection, a core at
//! full speed, until its heartbeat fails some 40 s later; then it
//! identifies again, and again, each time spending one of the bot's 1,000
//! daily IDENTIFYs (Discord resets the token of a bot that runs out). The
//! looping runner also starved the shutdown this layer first asked for,
//! so the process hung.
//!
//! serenity offers no hook for a close code, so this layer watches for its
//! error line (`gateway/shard.rs`, the `SHARDING_REQUIRED` arm) and ends
//! the process at once with exit code 2, a configuration error, and one
//! line saying what to change. No shard of this process can have been
//! serving for long (serenity starts them in turn as the process starts);
//! what another shard was answering at that moment goes unanswered, as in
//! a crash, and every rating already acknowledged is on disk. If a
//! serenity upgrade rewords the line, the end-to-end test
//! `shards::a_shard_discord_refuses_as_too_large_stops_the_bot` fails.

use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// What serenity logs, at error level, for close code 4011.
const SERENITY_SAYS: &str = "Shard has too many guilds";

/// The layer to add to the bot's subscriber. It sees serenity's gateway
/// errors only, whatever `RUST_LOG` lets through to the log: a layer
/// without a filter would have every crate's debug events built.
pub fn watch<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    OverloadWatch.with_filter(Targets::new().with_target("serenity::gateway", Level::ERROR))
}

struct OverloadWatch;

impl<S: Subscriber> Layer<S> for OverloadWatch {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        if message.0.contains(SERENITY_SAYS) {
            // "[ShardInfo { id: ShardId(0), total: 1 }] Shard has too many guilds."
            let shard = message.0.split(']').next().unwrap_or_default().trim_start_matches('[');
            let _ = writeln!(
                std::io::stderr(),
                "error: Discord refused a gateway shard ({shard}) as too large: a shard may carry at most 2,500 servers, so SHARDS needs a larger total (Discord recommends about one shard per 1,000 servers)"
            );
            std::process::exit(2);
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
