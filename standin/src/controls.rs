//! Test controls that change the guild model while the bot runs: role
//! permissions, channel overwrites, channels created and deleted, the bot
//! removed from a guild. Each change is dispatched as Discord dispatches it
//! (CHANNEL_UPDATE, GUILD_ROLE_UPDATE, CHANNEL_DELETE, GUILD_DELETE, ...)
//! on the live session of the guild's shard when there is one that asked
//! for the GUILDS intent, so a bot with a cache sees what it would see.
//!
//! All of them panic on an id the stand-in does not know: that is a
//! mistake in the test, not something to simulate.

use std::time::Duration;

use serde_json::{json, Value};

use super::payloads;
use super::permissions::effective;
use super::state::{Found, State};
use super::{ChannelSpec, GuildSpec, Overwrite, StandIn};

/// The guild holding channel `channel_id` (bot still in it), for changes.
fn guild_of_channel(st: &mut State, channel_id: u64) -> &mut GuildSpec {
    match st.guilds.iter_mut().find(|g| g.channel(channel_id).is_some()) {
        Some(g) => g,
        None => panic!("channel {channel_id} is not a channel of a guild the bot is in"),
    }
}

/// The event that announces `channel` (threads have their own).
fn channel_event(channel: &ChannelSpec, thread_event: &'static str, channel_event: &'static str) -> &'static str {
    if channel.is_thread() {
        thread_event
    } else {
        channel_event
    }
}

impl StandIn {
    /// Runs `change` on the state and wakes the waiters.
    fn change<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let out = {
            let mut st = self.shared.lock();
            change(&mut st)
        };
        self.shared.notify();
        out
    }

    /// The guild as it is now (after the test's changes); `None` if the bot
    /// is not (or no longer) in it.
    pub fn guild(&self, guild_id: u64) -> Option<GuildSpec> {
        self.shared.lock().guild(guild_id).cloned()
    }

    /// The bot's permissions in guild channel `channel_id` now, computed as
    /// Discord does (before the implicit rules; apply [`super::effective`]
    /// with the channel's kind for what the stand-in enforces). Panics if
    /// the channel is not in a guild the bot is in.
    pub fn bot_permissions(&self, channel_id: u64) -> u64 {
        let st = self.shared.lock();
        match st.find_channel(channel_id) {
            Found::Guild(g, c) => g.bot_permissions(c),
            _ => panic!("channel {channel_id} is not a channel of a guild the bot is in"),
        }
    }

    /// Whether the bot may post a plain message in `channel_id` now
    /// (VIEW_CHANNEL and SEND_MESSAGES, or SEND_MESSAGES_IN_THREADS in a
    /// thread, and a channel that takes messages).
    pub fn bot_can_post(&self, channel_id: u64) -> bool {
        let st = self.shared.lock();
        match st.find_channel(channel_id) {
            Found::Guild(g, c) => {
                let p = effective(g.bot_permissions(c), c.kind);
                let send = if c.is_thread() { super::SEND_MESSAGES_IN_THREADS } else { super::SEND_MESSAGES };
                c.takes_messages() && p & super::VIEW_CHANNEL != 0 && p & send != 0
            }
            Found::Dm(_) => true,
            Found::NoAccess | Found::Unknown => false,
        }
    }

    /// Replaces channel `channel_id`'s permission overwrites and dispatches
    /// CHANNEL_UPDATE. Panics for a thread (threads use their parent's).
    pub fn set_overwrites(&self, channel_id: u64, overwrites: Vec<Overwrite>) {
        self.change(|st| {
            let g = guild_of_channel(st, channel_id);
            let guild_id = g.id;
            let Some(c) = g.channels.iter_mut().find(|c| c.id == channel_id) else {
                unreachable!("guild_of_channel found it");
            };
            assert!(!c.is_thread(), "thread {channel_id} has no overwrites of its own; change its parent's");
            let mut list: Vec<Overwrite> = Vec::new();
            for o in overwrites {
                list.retain(|x| x.target.id_and_type(guild_id) != o.target.id_and_type(guild_id));
                list.push(o);
            }
            c.overwrites = list;
            let c = c.clone();
            let json = payloads::channel_of(g, &c);
            st.dispatch_guild_event(guild_id, "CHANNEL_UPDATE", json);
        });
    }

    /// Sets role `role_id`'s permissions (the @everyone role's id is the
    /// guild's) and dispatches GUILD_ROLE_UPDATE.
    pub fn set_role_permissions(&self, role_id: u64, permissions: u64) {
        self.change(|st| {
            let Some(g) = st.guilds.iter_mut().find(|g| g.role(role_id).is_some()) else {
                panic!("role {role_id} is not a role of a guild the bot is in");
            };
            let guild_id = g.id;
            let Some(role) = g.roles.iter_mut().find(|r| r.id == role_id) else {
                unreachable!("found above");
            };
            role.permissions = permissions;
            let data = json!({"guild_id": guild_id.to_string(), "role": payloads::role(role)});
            st.dispatch_guild_event(guild_id, "GUILD_ROLE_UPDATE", data);
        });
    }

    /// Sets the roles of the bot's member in `guild_id`. (Discord sends
    /// GUILD_MEMBER_UPDATE only with the privileged GUILD_MEMBERS intent,
    /// so nothing is dispatched.)
    pub fn set_bot_roles(&self, guild_id: u64, roles: Vec<u64>) {
        self.change(|st| {
            let Some(g) = st.guild_mut(guild_id) else {
                panic!("the bot is not in guild {guild_id}");
            };
            for r in &roles {
                assert!(g.role(*r).is_some(), "{r} is not a role of guild {guild_id}");
            }
            g.bot_roles = roles;
        });
    }

    /// Adds a channel (or thread) to `guild_id` and dispatches
    /// CHANNEL_CREATE (THREAD_CREATE for a thread).
    pub fn add_channel(&self, guild_id: u64, channel: ChannelSpec) {
        self.change(|st| {
            assert!(
                st.find_channel(channel.id).is_unknown() && !st.deleted_channels.contains(&channel.id),
                "channel id {} is already used",
                channel.id
            );
            let Some(g) = st.guild_mut(guild_id) else {
                panic!("the bot is not in guild {guild_id}");
            };
            g.channels.push(channel.clone());
            g.check();
            let json = payloads::channel_of(g, &channel);
            let event = channel_event(&channel, "THREAD_CREATE", "CHANNEL_CREATE");
            st.dispatch_guild_event(guild_id, event, json);
        });
    }

    /// Deletes channel `channel_id`: from now on `GET`/`POST` on it answer
    /// 404 10003 "Unknown Channel" and no interaction can be built there.
    /// Dispatches CHANNEL_DELETE (THREAD_DELETE for a thread). As on
    /// Discord, deleting a category moves its channels out of it
    /// (CHANNEL_UPDATE each), and deleting a channel deletes its threads.
    pub fn delete_channel(&self, channel_id: u64) {
        self.change(|st| {
            let g = guild_of_channel(st, channel_id);
            let guild_id = g.id;
            let Some(channel) = g.channel(channel_id).cloned() else {
                unreachable!("guild_of_channel found it");
            };
            let gone = payloads::channel_of(g, &channel);
            let threads: Vec<ChannelSpec> =
                g.channels.iter().filter(|c| c.is_thread() && c.parent_id == Some(channel_id)).cloned().collect();
            g.channels.retain(|c| c.id != channel_id && !threads.iter().any(|t| t.id == c.id));
            let mut moved = Vec::new();
            if channel.kind == ChannelSpec::CATEGORY {
                for c in g.channels.iter_mut().filter(|c| c.parent_id == Some(channel_id)) {
                    c.parent_id = None;
                    moved.push(c.clone());
                }
            }
            let moved: Vec<Value> = moved.iter().map(|c| payloads::channel_of(g, c)).collect();
            st.deleted_channels.insert(channel_id);
            for t in &threads {
                st.deleted_channels.insert(t.id);
                let data = json!({
                    "id": t.id.to_string(),
                    "guild_id": guild_id.to_string(),
                    "parent_id": channel_id.to_string(),
                    "type": t.kind,
                });
                st.dispatch_guild_event(guild_id, "THREAD_DELETE", data);
            }
            if channel.is_thread() {
                let data = json!({
                    "id": channel_id.to_string(),
                    "guild_id": guild_id.to_string(),
                    "parent_id": channel.parent_id.map(|p| p.to_string()),
                    "type": channel.kind,
                });
                st.dispatch_guild_event(guild_id, "THREAD_DELETE", data);
            } else {
                st.dispatch_guild_event(guild_id, "CHANNEL_DELETE", gone);
            }
            for c in moved {
                st.dispatch_guild_event(guild_id, "CHANNEL_UPDATE", c);
            }
        });
    }

    /// The bot is kicked from (or its app removed from) `guild_id`:
    /// dispatches GUILD_DELETE `{id, unavailable: false}` on the guild's
    /// shard; from now on the guild's routes and channels answer 403 50001
    /// "Missing Access", it is left out of later READYs and GUILD_CREATEs,
    /// and no interaction from it can be built.
    pub fn remove_bot_from_guild(&self, guild_id: u64) {
        self.change(|st| {
            let Some(i) = st.guilds.iter().position(|g| g.id == guild_id) else {
                panic!("the bot is not in guild {guild_id}");
            };
            let g = st.guilds.remove(i);
            st.left_guilds.push(g);
            let data = json!({"id": guild_id.to_string(), "unavailable": false});
            st.dispatch_guild_event(guild_id, "GUILD_DELETE", data);
        });
    }

    /// From now on, message creations in `channel_id` wait unanswered (and
    /// not carried out) until [`StandIn::release_posts`] carries them out or
    /// [`StandIn::drop_held_posts`] drops them.
    pub fn hold_posts(&self, channel_id: u64) {
        self.change(|st| st.held_channels.insert(channel_id));
    }

    /// Lets held message creations in `channel_id` (and later ones) through.
    pub fn release_posts(&self, channel_id: u64) {
        self.change(|st| st.held_channels.remove(&channel_id));
    }

    /// Ends the hold on `channel_id` without carrying out the held message
    /// creations (they fail with 503, as if they never reached Discord);
    /// later ones go through.
    pub fn drop_held_posts(&self, channel_id: u64) {
        self.change(|st| {
            st.held_channels.remove(&channel_id);
            *st.dropped_holds.entry(channel_id).or_default() += 1;
        });
    }

    /// Waits until at least one message creation in `channel_id` is held.
    pub async fn wait_held(&self, channel_id: u64, timeout: Duration) {
        let held =
            self.wait_for(timeout, |st| (st.holding.get(&channel_id).copied().unwrap_or(0) > 0).then_some(())).await;
        assert!(held.is_some(), "no message creation in channel {channel_id} was held within {timeout:?}");
    }

    /// A file a member attaches to a slash command: pass the returned
    /// attachment id as the attachment option's value. The interaction
    /// then carries it in `data.resolved.attachments`, with a URL on the
    /// stand-in's CDN (`{api_base}/cdn/attachments/{id}/{filename}`, no
    /// token needed, as on Discord's CDN).
    pub fn attach(&self, filename: &str, bytes: &[u8]) -> u64 {
        let mut st = self.shared.lock();
        let id = st.next_id();
        st.attachments.insert(id, (filename.to_string(), Some(bytes.to_vec())));
        id
    }

    /// The CDN answers 404 for the attachment from now on (an expired or
    /// deleted file).
    pub fn expire_attachment(&self, id: u64) {
        if let Some((_, bytes)) = self.shared.lock().attachments.get_mut(&id) {
            *bytes = None;
        }
    }

    /// Message creations are answered `latency` after they arrive, as
    /// from a Discord far away (default: at once). A bot that posts one at
    /// a time then posts at most one per `latency`.
    pub fn set_post_latency(&self, latency: Duration) {
        self.shared.lock().post_latency = latency;
    }

    /// `user_id` closes their DMs to the bot: a message to their DM channel
    /// is refused with 403 code 50007, as Discord does.
    pub fn close_dms(&self, user_id: u64) {
        self.shared.lock().closed_dms.insert(user_id);
    }

    /// How long `enforce_nonce` remembers a nonce from now on (default
    /// [`NONCE_WINDOW`](super::NONCE_WINDOW)); a test of "a day later the
    /// same nonce posts again" sets it short.
    pub fn set_nonce_window(&self, window: Duration) {
        self.shared.lock().nonce_window = window;
    }

    /// Turns Discord's REST rate limits on or off from now on (see
    /// [`StandInConfig::rate_limits`](super::StandInConfig::rate_limits)).
    /// The windows start afresh, so requests of a test's setup made before
    /// turning them on do not count; the 429 counts are kept.
    pub fn set_rate_limits(&self, on: bool) {
        self.shared.lock().limiter.set(on);
    }
}

impl Found<'_> {
    fn is_unknown(&self) -> bool {
        matches!(self, Found::Unknown)
    }
}
