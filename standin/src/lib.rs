//! A stand-in Discord on loopback: REST (hyper) and gateway (WebSocket)
//! strict enough that a bot passing against it behaves on real Discord.
//!
//! A dev-only workspace crate (`quizbot-standin`, lib `standin`): the bot's
//! end-to-end tests and its e2e load bench depend on it, so it is compiled
//! once rather than into each of them. It does not depend on the bot; its
//! own tests (`tests/self_test.rs`) check it against serenity and poise.
//!
//! - [`StandIn::start`] binds both servers on `127.0.0.1:0`; point the bot at
//!   [`StandIn::api_base`] (`DISCORD_API_BASE`, or serenity's
//!   `HttpBuilder::proxy`). Serenity asks `GET /api/v10/gateway` for the
//!   gateway URL, so the WebSocket side needs no configuration.
//! - The bot's requests are answered with JSON serenity 0.12.5 deserializes
//!   ([`payloads`]) and checked against Discord's limits ([`validate`]);
//!   whatever Discord would reject is rejected the same way and recorded in
//!   [`StandIn::violations`], which a test asserts empty.
//! - Tests play the members: [`StandIn::slash`], [`StandIn::autocomplete`],
//!   [`StandIn::click`] build INTERACTION_CREATE payloads, [`StandIn::send`]
//!   dispatches one, [`StandIn::wait_callback`] returns the bot's answer
//!   together with the message a member would now see.
//! - [`BotProcess`] runs the real `quizbot run` binary against the stand-in;
//!   the bot's tests name the binary with [`quizbot!`].
//! - Guilds are modelled with roles, the bot's member roles and channels of
//!   several kinds with permission overwrites ([`GuildSpec`], [`RoleSpec`],
//!   [`ChannelSpec`], [`Overwrite`]); the bot's and the members' permissions
//!   are computed as Discord computes them (module `guild`) and enforced on
//!   `POST /channels/{id}/messages` (403 50001 / 50013, 400 50008, 404
//!   10003 — answers the bot must handle, not violations). Tests change the
//!   model while the bot runs ([`StandIn::set_overwrites`],
//!   [`StandIn::set_role_permissions`], [`StandIn::delete_channel`],
//!   [`StandIn::remove_bot_from_guild`], ...), and the stand-in dispatches
//!   the gateway events Discord would.
//! - Optionally ([`StandInConfig::rate_limits`], [`StandIn::set_rate_limits`])
//!   Discord's REST rate limits: 5 message creations per 5 s per channel
//!   with the `X-RateLimit-*` headers, 50 requests per second globally
//!   (interaction endpoints exempt); a request over a limit is not carried
//!   out but answered 429 with `retry_after`, and counted
//!   ([`StandIn::rate_limited`]), not a violation.
//!
//! Every wait takes a timeout and wakes on a `watch` channel bumped by each
//! state change, never on a fixed sleep.

mod bot;
mod builders;
mod controls;
pub mod e2e;
mod gateway;
pub mod guild;
mod guilds;
mod interactions;
mod options;
pub mod payloads;
pub mod permissions;
pub mod proxy;
mod ratelimit;
mod registry;
mod rest;
mod state;
mod threads;
mod types;
pub mod validate;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use bot::{BotProcess, Quizbot, FAKE_TOKEN};
pub use guild::{bot_role_id, ChannelSpec, GuildSpec, Overwrite, OverwriteTarget, RoleSpec};
pub use permissions::{
    effective, ADMINISTRATOR, ALL_PERMISSIONS, ATTACH_FILES, CONNECT, CREATE_PUBLIC_THREADS, EMBED_LINKS,
    MANAGE_CHANNELS, MANAGE_GUILD, MANAGE_MESSAGES, MANAGE_ROLES, MENTION_EVERYONE, READ_MESSAGE_HISTORY,
    SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, SEND_TTS_MESSAGES, USE_APPLICATION_COMMANDS, VIEW_CHANNEL,
};
pub use ratelimit::{GLOBAL_LIMIT, MESSAGE_BUCKET, MESSAGE_LIMIT, MESSAGE_PERIOD};
pub use rest::GUILDS_PER_RECOMMENDED_SHARD;
use state::State;
pub use types::{
    dm_channel_id, Callback, GatewayFrame, Identify, Place, RecordedRequest, StandInConfig, TestUser, Upload,
};

/// The application id (and, as on Discord for bots created since 2020, the
/// bot user's id).
pub const APP_ID: u64 = 1_100_000_000_000_000_001;
/// The bot user's id; equal to [`APP_ID`].
pub const BOT_ID: u64 = APP_ID;
/// The default guild the bot is in.
pub const GUILD_ID: u64 = 1_100_000_000_000_000_100;
/// The default guild's first text channel ("practice"), where
/// [`Place::guild`] is.
pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_200;
/// A second text channel of the default guild ("general", in
/// [`CATEGORY_ID`]).
pub const OTHER_CHANNEL_ID: u64 = 1_100_000_000_000_000_201;
/// A category of the default guild ("Study"); messages cannot be posted
/// in it (400 50008).
pub const CATEGORY_ID: u64 = 1_100_000_000_000_000_202;
/// A voice channel of the default guild ("Study Room", in [`CATEGORY_ID`]).
/// Voice channels have a text chat on Discord, so posting works there.
pub const VOICE_CHANNEL_ID: u64 = 1_100_000_000_000_000_203;
/// The bot's managed role in the default guild (see [`bot_role_id`]).
pub const BOT_ROLE_ID: u64 = bot_role_id(GUILD_ID);
/// The application's owner (what poise reads as the bot owner), also the
/// default guild's owner.
pub const OWNER_ID: u64 = 1_100_000_000_000_000_300;
/// The bot's name, as in READY and message authors.
pub const BOT_NAME: &str = "quizbot";

/// What an ordinary member may do in a channel: view, send, embed links,
/// attach files, read history, add reactions, use application commands,
/// and, as in Discord's defaults, create public threads and send in
/// threads. The default guilds' @everyone role grants exactly this.
pub const DEFAULT_MEMBER_PERMISSIONS: u64 =
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 31) | (1 << 35) | (1 << 38);
/// The bot's permissions in a channel of a default guild without
/// overwrites (`app_permissions`): @everyone's plus its managed role's
/// MANAGE_MESSAGES.
pub const BOT_CHANNEL_PERMISSIONS: u64 = DEFAULT_MEMBER_PERMISSIONS | (1 << 13);

/// How late Discord accepts the first response to an interaction.
pub const ACK_DEADLINE: Duration = Duration::from_secs(3);
/// How long an interaction token works for follow-ups and edits.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long `enforce_nonce` remembers a nonce ("a few minutes" in Discord's
/// docs; five here).
pub const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The heartbeat interval announced in HELLO.
pub const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// Shared between the handle, the REST server and the gateway.
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    api_base: String,
    ws_url: String,
    config: StandInConfig,
}

impl Shared {
    /// The state lock. A std mutex: it is never held across an `.await`, and
    /// a poisoned lock (a panicking test thread) still holds usable records.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every waiter; call after each change to the state.
    pub(crate) fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }
}

/// The stand-in Discord. Cheap to clone (an `Arc` inside); the servers run
/// on the test's tokio runtime and stop with it.
#[derive(Clone)]
pub struct StandIn {
    shared: Arc<Shared>,
}

impl StandIn {
    /// Starts the default stand-in (see [`StandInConfig::default`]).
    pub async fn start() -> StandIn {
        StandIn::start_with(StandInConfig::default()).await
    }

    /// Binds the REST server and the gateway on `127.0.0.1:0` and serves
    /// both on the current runtime.
    pub async fn start_with(config: StandInConfig) -> StandIn {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind the stand-in REST port");
        let gw = TcpListener::bind("127.0.0.1:0").await.expect("bind the stand-in gateway port");
        let rest_addr: SocketAddr = rest.local_addr().expect("REST address");
        let gw_addr: SocketAddr = gw.local_addr().expect("gateway address");
        let (changed, _) = watch::channel(0);
        let mut state = State::new(&config);
        state.api_base = format!("http://{rest_addr}");
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed,
            api_base: format!("http://{rest_addr}"),
            ws_url: format!("ws://{gw_addr}"),
            config,
        });
        tokio::spawn(rest::serve(rest, Arc::clone(&shared)));
        tokio::spawn(gateway::serve(gw, Arc::clone(&shared)));
        StandIn { shared }
    }

    /// `http://127.0.0.1:PORT`: the bot's `DISCORD_API_BASE`, serenity's
    /// `HttpBuilder::proxy`. Every REST URL becomes `{api_base}/api/v10/...`.
    pub fn api_base(&self) -> String {
        self.shared.api_base.clone()
    }

    /// `ws://127.0.0.1:PORT`, what `GET /gateway` answers.
    pub fn gateway_url(&self) -> String {
        self.shared.ws_url.clone()
    }

    /// The configuration the stand-in was started with (for the guilds as
    /// they are now, after a test's changes, see [`guild`](Self::guild)).
    pub fn config(&self) -> &StandInConfig {
        &self.shared.config
    }

    /// Starts a new epoch: [`wait_ready`](Self::wait_ready) and
    /// [`wait_commands`](Self::wait_commands) then only count what happens
    /// from now on. [`BotProcess`] calls it before each (re)start, so after a
    /// restart the waits see the new process, not the old one's handshake.
    pub fn new_epoch(&self) {
        self.shared.lock().epoch += 1;
        self.shared.notify();
    }

    /// Changes the acknowledgement deadline for interactions sent from now
    /// on (default 3 s). Lets a test of the late-answer path stay fast.
    pub fn set_ack_deadline(&self, deadline: Duration) {
        self.shared.lock().ack_deadline = deadline;
    }

    /// Polls the state until `check` returns `Some`, waking on every change.
    async fn wait_for<T>(&self, timeout: Duration, mut check: impl FnMut(&State) -> Option<T>) -> Option<T> {
        let mut rx = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Mark the current version seen *before* checking, so a change
            // between the check and the wait is not missed.
            rx.borrow_and_update();
            if let Some(found) = check(&self.shared.lock()) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return check(&self.shared.lock()),
            }
        }
    }

    /// A short account of what happened, for timeout panics.
    pub fn diagnostics(&self) -> String {
        let st = self.shared.lock();
        let mut out = String::new();
        let _ = writeln!(out, "epoch {}; last requests:", st.epoch);
        let skip = st.requests.len().saturating_sub(15);
        for r in st.requests.iter().skip(skip) {
            let _ = writeln!(out, "  {} {} -> {}", r.method, r.path, r.status);
        }
        let _ = writeln!(out, "identifies: {}", st.identifies.len());
        let live: Vec<String> = st
            .sessions
            .values()
            .filter(|s| s.conn.is_some())
            .map(|s| format!("{} shard {:?} ready {}", s.id, s.shard, s.ready))
            .collect();
        let _ = writeln!(out, "live sessions: {live:?}");
        let _ = writeln!(out, "violations: {:#?}", st.violations);
        out
    }

    /// Waits until a session identified in the current epoch got READY and
    /// its GUILD_CREATEs. Panics after `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) {
        let found = self
            .wait_for(timeout, |st| {
                st.sessions.values().any(|s| s.ready && s.epoch == st.epoch && s.conn.is_some()).then_some(())
            })
            .await;
        if found.is_none() {
            panic!("no gateway session became ready within {timeout:?}\n{}", self.diagnostics());
        }
    }

    /// Waits until every shard of the sharding the bot identified with
    /// (the shard count of its sessions in the current epoch) has a live
    /// session that got READY and its GUILD_CREATEs: serenity starts
    /// shards five seconds apart, so with many servers the last ones come
    /// long after the commands are registered. Panics after `timeout`.
    pub async fn wait_every_shard_ready(&self, timeout: Duration) {
        let found = self
            .wait_for(timeout, |st| {
                let live: Vec<_> = st.sessions.values().filter(|s| s.epoch == st.epoch && s.conn.is_some()).collect();
                let total = live.iter().map(|s| s.shard.1).max()?;
                (0..total).all(|n| live.iter().any(|s| s.ready && s.shard == (n, total))).then_some(())
            })
            .await;
        if found.is_none() {
            panic!("not every gateway shard became ready within {timeout:?}\n{}", self.diagnostics());
        }
    }

    /// Waits until a command registration (`PUT .../commands`) succeeded in
    /// the current epoch and returns the commands as registered (ids
    /// assigned). Poise holds back interactions while its `setup` runs, so
    /// send interactions only after this. Panics after `timeout`.
    pub async fn wait_commands(&self, timeout: Duration) -> Vec<Value> {
        let found = self
            .wait_for(timeout, |st| {
                st.registrations.iter().rev().find(|r| r.epoch == st.epoch).map(|r| r.commands.clone())
            })
            .await;
        match found {
            Some(commands) => commands,
            None => panic!("no command registration succeeded within {timeout:?}\n{}", self.diagnostics()),
        }
    }

    /// The commands currently registered: globally (`None`) or in a guild.
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        let st = self.shared.lock();
        match guild_id {
            None => st.global_commands.clone(),
            Some(g) => st.guild_commands.get(&g).cloned().unwrap_or_default(),
        }
    }

    /// A slash-command INTERACTION_CREATE payload (type 2) for `name`
    /// ("quiz" or, for a subcommand, "quiz start") with `options` such as
    /// `json!([{"name": "level", "value": "easy"}])` (`type` may be left out:
    /// it is taken from the registered definition).
    ///
    /// Option values are typed from the registration, subcommand options
    /// included. A user (6), channel (7), role (8) or mentionable (9) option
    /// takes the id (number or string) and fills `data.resolved`; a channel
    /// must be one of the guild's, of a type the option offers
    /// (`channel_types`), visible to the member, and is resolved with the
    /// member's permissions there (`parent_id` and `thread_metadata` for
    /// threads).
    ///
    /// Panics where a Discord client would not let the member send it:
    /// `place` is not a channel of a guild the bot is in (or was deleted,
    /// or the bot was removed from the guild), the member cannot see it or
    /// use commands there, the command is not registered there, needs
    /// permissions the member lacks (`default_member_permissions`; an
    /// ADMINISTRATOR passes), misses a required option, or gets a value
    /// the option does not allow. [`slash_unchecked`](Self::slash_unchecked)
    /// skips the checks a modified client could. Returns the interaction id
    /// and the payload for [`send`](Self::send); `member.permissions`,
    /// `channel.permissions` and `app_permissions` are computed from the
    /// guild model.
    pub fn slash(&self, name: &str, options: Value, user: &TestUser, place: Place) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.command_interaction(name, options, user, place, false, true)
    }

    /// Like [`slash`](Self::slash), without the checks a modified client
    /// (or a stale one) could skip: the member's `default_member_permissions`
    /// and channel permissions, option value types, choices, lengths and
    /// ranges, a channel option's `channel_types` and visibility. Still
    /// required: a registered command available in `place` (a channel of a
    /// guild the bot is in), known option names, the required options, and
    /// channels and roles that exist (so they can be resolved). For testing
    /// the bot's own run-time checks, e.g. a voice channel sent to an option
    /// registered for text channels only.
    pub fn slash_unchecked(&self, name: &str, options: Value, user: &TestUser, place: Place) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.command_interaction(name, options, user, place, false, false)
    }

    /// An autocomplete INTERACTION_CREATE payload (type 4): like
    /// [`slash`](Self::slash), but exactly one option carries
    /// `"focused": true` and must be declared with autocomplete; the
    /// values are what the member has typed so far.
    pub fn autocomplete(&self, name: &str, options: Value, user: &TestUser, place: Place) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.command_interaction(name, options, user, place, true, true)
    }

    /// A button press (interaction type 3, component_type 2) on `message`
    /// (a message object as [`Callback::message`] or
    /// [`channel_messages`](Self::channel_messages) return it — a post the
    /// bot made with `POST /channels/{id}/messages` works too), which Discord
    /// includes in the payload. Panics if the message has no enabled,
    /// non-link button with this `custom_id`, was deleted, is not in
    /// `place`'s channel, or the member cannot see that channel.
    pub fn click(&self, custom_id: &str, message: &Value, user: &TestUser, place: Place) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.component_interaction(custom_id, None, message, user, place)
    }

    /// A modal submit (interaction type 5): `modal` is the `data` of the
    /// bot's modal callback (type 9), `values` the member's input by input
    /// id, `message` the message whose button opened the modal. Panics
    /// where Discord's client would refuse the submit (see
    /// `State::modal_submit`).
    pub fn submit_modal(
        &self,
        modal: &Value,
        values: &[(&str, &str)],
        message: Option<&Value>,
        user: &TestUser,
        place: Place,
    ) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.modal_submit(modal, values, message, user, place)
    }

    /// A string-select choice (interaction type 3, component_type 3) of
    /// `values` on `message`. Panics if the select or a value is missing.
    pub fn select(
        &self,
        custom_id: &str,
        values: &[&str],
        message: &Value,
        user: &TestUser,
        place: Place,
    ) -> (u64, Value) {
        let mut st = self.shared.lock();
        st.component_interaction(custom_id, Some(values), message, user, place)
    }

    /// Dispatches `payload` as INTERACTION_CREATE on the live session of the
    /// shard its guild belongs to (DMs: shard 0) and starts the interaction's
    /// acknowledgement clock. Panics if no session is live.
    pub async fn send(&self, payload: Value) {
        let result = {
            let mut st = self.shared.lock();
            st.send_interaction(payload)
        };
        self.shared.notify();
        if let Err(e) = result {
            panic!("send: {e}\n{}", self.diagnostics());
        }
    }

    /// Dispatches any event (`t`, `d`) on shard `shard`'s live session.
    pub async fn dispatch(&self, event: &str, data: Value, shard: u32) {
        let result = {
            let mut st = self.shared.lock();
            match st.live_session(shard) {
                Some(session) => st.dispatch(&session, event, data).map(|_| ()),
                None => Err(format!("no live gateway session for shard {shard}")),
            }
        };
        self.shared.notify();
        if let Err(e) = result {
            panic!("dispatch {event}: {e}\n{}", self.diagnostics());
        }
    }

    /// Closes every live gateway connection with `code` (e.g. 4000, or 1001
    /// as Discord does before a reconnect), to test resuming.
    pub fn close_gateway(&self, code: u16) {
        {
            let mut st = self.shared.lock();
            st.close_all(code);
        }
        self.shared.notify();
    }

    /// Takes the gateway down (`true`): every live connection is closed
    /// with 1001 ("going away", as before Discord's restarts) and new
    /// ones are dropped before the WebSocket handshake, so the bot can
    /// neither resume nor identify until it is back up (`false`).
    pub fn set_gateway_down(&self, down: bool) {
        {
            let mut st = self.shared.lock();
            st.gateway_down = down;
            if down {
                st.close_all(1001);
            }
        }
        self.shared.notify();
    }

    /// The first callback for `interaction_id` (accepted or not), waiting up
    /// to `timeout`. Panics on timeout: the bot did not answer.
    pub async fn wait_callback(&self, interaction_id: u64, timeout: Duration) -> Callback {
        match self.try_wait_callback(interaction_id, timeout).await {
            Some(cb) => cb,
            None => panic!("no callback for interaction {interaction_id} within {timeout:?}\n{}", self.diagnostics()),
        }
    }

    /// Like [`wait_callback`](Self::wait_callback), `None` on timeout.
    pub async fn try_wait_callback(&self, interaction_id: u64, timeout: Duration) -> Option<Callback> {
        self.wait_for(timeout, |st| st.callbacks.iter().find(|c| c.interaction_id == interaction_id).cloned()).await
    }

    /// Every callback attempt for `interaction_id`, in order. A correct bot
    /// makes exactly one.
    pub fn callbacks_for(&self, interaction_id: u64) -> Vec<Callback> {
        self.shared.lock().callbacks.iter().filter(|c| c.interaction_id == interaction_id).cloned().collect()
    }

    /// Every callback attempt so far, in arrival order.
    pub fn callbacks(&self) -> Vec<Callback> {
        self.shared.lock().callbacks.clone()
    }

    /// Every callback attempt from now on, as it arrives: for a load
    /// driver, which cannot afford one waiter per interaction.
    pub fn callback_feed(&self) -> tokio::sync::mpsc::UnboundedReceiver<Callback> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.lock().callback_feeds.push(tx);
        rx
    }

    /// The interaction's original response message as it is now (after
    /// edits and a deferred response's completion); `None` if there is none.
    pub fn original_message(&self, interaction_id: u64) -> Option<Value> {
        let st = self.shared.lock();
        let id = st.interactions.get(&interaction_id)?.original?;
        st.messages.get(&id).cloned()
    }

    /// The interaction's follow-up messages as they are now.
    pub fn followups(&self, interaction_id: u64) -> Vec<Value> {
        let st = self.shared.lock();
        let Some(rec) = st.interactions.get(&interaction_id) else {
            return Vec::new();
        };
        rec.followups.iter().filter_map(|id| st.messages.get(id).cloned()).collect()
    }

    /// Every message the bot has in `channel_id` now (posts, interaction
    /// responses including ephemeral ones, follow-ups), oldest first, as
    /// Discord returns them: `content`, `embeds`, `components`, `flags`, and
    /// the `nonce` a post was sent with. Deleted messages are gone; a
    /// rejected post (403, 404, 400) never appears.
    pub fn channel_messages(&self, channel_id: u64) -> Vec<Value> {
        let target = channel_id.to_string();
        self.shared
            .lock()
            .messages
            .values()
            .filter(|m| m.get("channel_id").and_then(Value::as_str) == Some(target.as_str()))
            .cloned()
            .collect()
    }

    /// The first recorded request matching `predicate`, waiting up to
    /// `timeout`. Panics on timeout.
    pub async fn wait_request(
        &self,
        predicate: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> RecordedRequest {
        match self.try_wait_request(predicate, timeout).await {
            Some(r) => r,
            None => panic!("no matching request within {timeout:?}\n{}", self.diagnostics()),
        }
    }

    /// Like [`wait_request`](Self::wait_request), `None` on timeout.
    pub async fn try_wait_request(
        &self,
        predicate: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        self.wait_for(timeout, |st| st.requests.iter().find(|r| predicate(r)).cloned()).await
    }

    /// Every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Everything Discord would have rejected or that broke the protocol
    /// (over-limit messages, invalid commands, late or double
    /// acknowledgements, unknown routes, ...), one line each.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Returns and clears the violations (after asserting an expected one).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.shared.lock().violations)
    }

    /// How many requests were answered 429 because of a rate limit (see
    /// [`StandInConfig::rate_limits`]), per-route and global together. Each
    /// is also in [`requests`](Self::requests) with status 429.
    pub fn rate_limited(&self) -> u64 {
        let st = self.shared.lock();
        st.limiter.limited_user + st.limiter.limited_global
    }

    /// How many of the [`rate_limited`](Self::rate_limited) 429s were for
    /// the global limit (`"global": true`).
    pub fn rate_limited_global(&self) -> u64 {
        self.shared.lock().limiter.limited_global
    }

    /// Panics listing the violations if there are any.
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "the stand-in recorded violations:\n{v:#?}");
    }

    /// Every IDENTIFY received (token, intents, shard).
    pub fn identifies(&self) -> Vec<Identify> {
        self.shared.lock().identifies.clone()
    }

    /// Every frame the gateway sent, in order.
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.shared.lock().frames.clone()
    }

    /// The payloads of every dispatched event named `event`, in order.
    pub fn dispatched(&self, event: &str) -> Vec<Value> {
        dispatched_in(&self.shared.lock(), event)
    }

    /// Waits until at least `count` events named `event` were dispatched
    /// (e.g. `"RESUMED"` after [`close_gateway`](Self::close_gateway)) and
    /// returns them all. Panics after `timeout`.
    pub async fn wait_dispatched(&self, event: &str, count: usize, timeout: Duration) -> Vec<Value> {
        let found = self
            .wait_for(timeout, |st| {
                let list = dispatched_in(st, event);
                (list.len() >= count).then_some(list)
            })
            .await;
        match found {
            Some(list) => list,
            None => panic!("fewer than {count} {event} dispatches within {timeout:?}\n{}", self.diagnostics()),
        }
    }
}

fn dispatched_in(st: &State, event: &str) -> Vec<Value> {
    st.frames
        .iter()
        .filter(|f| f.payload.get("t").and_then(Value::as_str) == Some(event))
        .map(|f| f.payload.get("d").cloned().unwrap_or(Value::Null))
        .collect()
}

/// `{"message": ..., "code": ...}`, Discord's error body.
pub(crate) fn discord_error(code: i64, message: &str) -> Value {
    json!({"message": message, "code": code})
}

/// A snowflake from JSON (Discord sends strings; accept numbers too).
pub(crate) fn snowflake(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}
