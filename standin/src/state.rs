//! The stand-in's world and records: sessions, registered commands,
//! interactions in flight, messages, and every request and violation.
//!
//! Everything is mutated under one std mutex ([`super::Shared::lock`]) by
//! short synchronous functions, so the REST server, the gateway and the test
//! see one consistent history.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::payloads::{self, InteractionMeta};
use super::ratelimit::Limiter;
use super::{
    snowflake, Callback, ChannelSpec, GatewayFrame, GuildSpec, Identify, RecordedRequest, StandInConfig, TestUser,
    Upload, BOT_NAME, NONCE_WINDOW,
};

/// Discord's epoch (2015-01-01) in Unix milliseconds.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// One WebSocket connection.
pub(crate) struct Conn {
    pub tx: UnboundedSender<WsMessage>,
    pub session: Option<String>,
}

/// A gateway session (created by IDENTIFY, survives a RESUME).
pub(crate) struct Session {
    pub id: String,
    pub shard: (u32, u32),
    pub seq: u64,
    /// The connection carrying it now, if any.
    pub conn: Option<u64>,
    pub epoch: u64,
    /// The intents of its IDENTIFY: guild and channel events other than
    /// GUILD_CREATE and INTERACTION_CREATE need GUILDS (1).
    pub intents: u64,
    /// READY and the GUILD_CREATEs have been queued.
    pub ready: bool,
    pub identified_at: Instant,
}

/// What a channel id is to the bot.
pub(crate) enum Found<'a> {
    /// A channel (or thread) of a guild the bot is in.
    Guild(&'a GuildSpec, &'a ChannelSpec),
    /// A channel of a guild the bot was removed from: 403 50001.
    NoAccess,
    /// A DM channel the bot has (its JSON).
    Dm(Value),
    /// Never existed, or deleted: 404 10003.
    Unknown,
}

/// A successful bulk registration.
pub(crate) struct Registration {
    pub epoch: u64,
    pub commands: Vec<Value>,
}

/// An interaction the stand-in sent, and what the bot did with it.
pub(crate) struct InteractionRec {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u64,
    pub sent_at: Instant,
    pub deadline: Duration,
    pub channel_id: u64,
    pub user: Value,
    pub owners: Value,
    pub command_name: Option<String>,
    /// The message a component sat on, as sent in the payload.
    pub clicked: Option<Value>,
    /// For a modal submit: the interaction whose modal it submits.
    pub opened_by: Option<u64>,
    /// The callback type that acknowledged it.
    pub acked: Option<u64>,
    /// The original response message (for 6/7: the clicked message).
    pub original: Option<u64>,
    pub followups: Vec<u64>,
    /// A type-5 response not yet completed by an edit or follow-up.
    pub loading: bool,
}

pub(crate) struct State {
    pub epoch: u64,
    last_id: u64,
    next_conn: u64,
    pub ack_deadline: Duration,
    /// See [`StandInConfig::keep_traffic`].
    pub keep_traffic: bool,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<String>,
    pub frames: Vec<GatewayFrame>,
    pub identifies: Vec<Identify>,
    pub conns: HashMap<u64, Conn>,
    pub sessions: HashMap<String, Session>,
    pub registrations: Vec<Registration>,
    pub global_commands: Vec<Value>,
    pub guild_commands: HashMap<u64, Vec<Value>>,
    /// Boxed, so that growing the map moves pointers rather than records
    /// (a load run sends a hundred thousand; at 57,344 it still took
    /// 11 ms, against the 163 the token map below took then).
    pub interactions: HashMap<u64, Box<InteractionRec>>,
    /// Interaction ids by a hash of their token ([`token_key`]), checked
    /// against the record's token on lookup. Keyed by the strings, the map
    /// hashed every token again each time it grew, reading a hundred
    /// thousand strings scattered over the gigabytes of a load run: 163 ms
    /// under the lock at 57,344 interactions.
    pub tokens: HashMap<u64, u64>,
    pub callbacks: Vec<Callback>,
    /// Modals shown, by (member, modal custom_id): the interaction that
    /// opened each, which a submit's messages name.
    pub modals_shown: HashMap<(u64, String), u64>,
    /// Subscribers of [`StandIn::callback_feed`](super::StandIn::callback_feed).
    pub callback_feeds: Vec<UnboundedSender<Callback>>,
    /// Every message by id; ids grow with time, so this is creation order.
    pub messages: BTreeMap<u64, Value>,
    /// `enforce_nonce` memory: (author, nonce) → (message id, when).
    pub nonces: HashMap<(u64, String), (u64, Instant)>,
    /// How long a nonce is remembered ([`NONCE_WINDOW`] unless a test
    /// changes it).
    pub nonce_window: Duration,
    /// Files members attached to slash commands, by attachment id, as the
    /// CDN serves them (`None` once expired: the CDN answers 404).
    pub attachments: HashMap<u64, (String, Option<Vec<u8>>)>,
    /// `http://127.0.0.1:PORT`, for the CDN URLs of attachments.
    pub api_base: String,
    /// How long a message creation takes to be answered (Discord, far
    /// away: about 100 ms); zero by default.
    pub post_latency: Duration,
    /// Channels whose message creations are held unanswered (and not yet
    /// carried out) until released: a bot killed meanwhile never made them.
    pub held_channels: std::collections::HashSet<u64>,
    /// How many creations each held channel is holding right now.
    pub holding: std::collections::HashMap<u64, usize>,
    /// Per channel, how many times held creations were dropped.
    pub dropped_holds: std::collections::HashMap<u64, u64>,
    /// The guilds the bot is in, as they are now (tests change roles,
    /// overwrites and channels).
    pub guilds: Vec<GuildSpec>,
    /// Guilds the bot was removed from: their channels answer 403 50001.
    pub left_guilds: Vec<GuildSpec>,
    /// Deleted channels: 404 10003 from now on.
    pub deleted_channels: HashSet<u64>,
    /// Deleted messages: a member can no longer click them.
    pub deleted_messages: HashSet<u64>,
    /// DM channel id → the member's user object.
    pub dm_channels: HashMap<u64, Value>,
    /// Members whose DMs are closed to the bot (`StandIn::close_dms`).
    pub closed_dms: HashSet<u64>,
    /// Users seen in interactions, by id.
    pub users: HashMap<u64, TestUser>,
    /// (guild, user) pairs seen in guild interactions.
    pub members: HashMap<(u64, u64), TestUser>,
    /// When the bot "joined" the guilds (GUILD_CREATE `joined_at`).
    pub joined_at: String,
    /// Discord's REST rate limits, when on ([`StandInConfig::rate_limits`]).
    pub limiter: Limiter,
    /// The gateway is down (`StandIn::set_gateway_down`): new connections
    /// are closed before the WebSocket handshake.
    pub gateway_down: bool,
}

impl State {
    pub fn new(config: &StandInConfig) -> State {
        for g in &config.guilds {
            g.check();
        }
        let mut users = HashMap::new();
        users.insert(config.owner.id, config.owner.clone());
        State {
            epoch: 0,
            last_id: 0,
            next_conn: 0,
            ack_deadline: config.ack_deadline,
            keep_traffic: config.keep_traffic,
            requests: Vec::new(),
            violations: Vec::new(),
            frames: Vec::new(),
            identifies: Vec::new(),
            conns: HashMap::new(),
            sessions: HashMap::new(),
            registrations: Vec::new(),
            global_commands: Vec::new(),
            guild_commands: HashMap::new(),
            interactions: HashMap::new(),
            tokens: HashMap::new(),
            callbacks: Vec::new(),
            modals_shown: HashMap::new(),
            callback_feeds: Vec::new(),
            messages: BTreeMap::new(),
            nonces: HashMap::new(),
            nonce_window: NONCE_WINDOW,
            attachments: HashMap::new(),
            api_base: String::new(),
            post_latency: Duration::ZERO,
            held_channels: Default::default(),
            holding: Default::default(),
            dropped_holds: Default::default(),
            guilds: config.guilds.clone(),
            left_guilds: Vec::new(),
            deleted_channels: HashSet::new(),
            deleted_messages: HashSet::new(),
            dm_channels: HashMap::new(),
            closed_dms: HashSet::new(),
            users,
            members: HashMap::new(),
            joined_at: payloads::now_timestamp(),
            limiter: Limiter::new(config.rate_limits),
            gateway_down: false,
        }
    }

    /// A fresh snowflake: current time since Discord's epoch in the top
    /// bits, strictly increasing.
    pub fn next_id(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX >> 22));
        let id = (ms.saturating_sub(DISCORD_EPOCH_MS) << 22).max(self.last_id + 1);
        self.last_id = id;
        id
    }

    pub fn violation(&mut self, what: impl Into<String>) {
        self.violations.push(what.into());
    }

    pub fn new_conn(&mut self, tx: UnboundedSender<WsMessage>) -> u64 {
        self.next_conn += 1;
        self.conns.insert(self.next_conn, Conn { tx, session: None });
        self.next_conn
    }

    /// Forgets a closed connection; its session stays resumable.
    pub fn drop_conn(&mut self, conn: u64) {
        if let Some(c) = self.conns.remove(&conn) {
            if let Some(s) = c.session.and_then(|id| self.sessions.get_mut(&id)) {
                if s.conn == Some(conn) {
                    s.conn = None;
                }
            }
        }
    }

    /// Queues `payload` on connection `conn` and records it. False if the
    /// connection is gone.
    pub fn send_frame(&mut self, conn: u64, payload: Value) -> bool {
        let Some(c) = self.conns.get(&conn) else {
            return false;
        };
        let ok = c.tx.send(WsMessage::Text(payload.to_string())).is_ok();
        if self.keep_traffic {
            self.frames.push(GatewayFrame { connection: conn, payload, at: Instant::now() });
        }
        ok
    }

    /// Queues a close frame; the connection task sends it and ends.
    /// The session is unbound at once, so a RESUME racing the closing
    /// task's clean-up finds it resumable.
    pub fn close_conn(&mut self, conn: u64, code: u16, reason: &str) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_string().into() };
        let _ = c.tx.send(WsMessage::Close(Some(frame)));
        if let Some(s) = c.session.take().and_then(|id| self.sessions.get_mut(&id)) {
            if s.conn == Some(conn) {
                s.conn = None;
            }
        }
    }

    pub fn close_all(&mut self, code: u16) {
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id, code, "closed by the test");
        }
    }

    /// Sends a dispatch (op 0) on `session`'s connection with the session's
    /// next sequence number. Returns that number.
    pub fn dispatch(&mut self, session: &str, event: &str, data: Value) -> Result<u64, String> {
        let s = self.sessions.get_mut(session).ok_or_else(|| format!("unknown session {session}"))?;
        let conn = s.conn.ok_or_else(|| format!("session {session} has no connection"))?;
        s.seq += 1;
        let seq = s.seq;
        let frame = json!({"op": 0, "t": event, "s": seq, "d": data});
        if self.send_frame(conn, frame) {
            Ok(seq)
        } else {
            Err(format!("connection of session {session} is closed"))
        }
    }

    /// The most recently identified session on shard `shard` that has a
    /// connection.
    pub fn live_session(&self, shard: u32) -> Option<String> {
        self.sessions
            .values()
            .filter(|s| s.conn.is_some() && s.ready && s.shard.0 == shard)
            .max_by_key(|s| s.identified_at)
            .map(|s| s.id.clone())
    }

    /// The shard a guild's events go to: `(guild_id >> 22) % shard_count`,
    /// with the shard count of the live sessions; DMs go to shard 0.
    pub fn shard_for(&self, guild_id: Option<u64>) -> u32 {
        let total = self
            .sessions
            .values()
            .filter(|s| s.conn.is_some())
            .max_by_key(|s| s.identified_at)
            .map_or(1, |s| s.shard.1.max(1));
        match guild_id {
            Some(g) => u32::try_from((g >> 22) % u64::from(total)).unwrap_or(0),
            None => 0,
        }
    }

    // ----- messages -------------------------------------------------------

    /// Stores a new bot message built from a create `body`.
    pub fn create_message(
        &mut self,
        channel_id: u64,
        kind: u64,
        body: &Value,
        meta: Option<&InteractionMeta>,
    ) -> Value {
        let id = self.next_id();
        let author = payloads::bot_user(BOT_NAME);
        let m = payloads::message(id, channel_id, &author, kind, body, meta);
        self.messages.insert(id, m.clone());
        m
    }

    /// Applies a create or edit `body`'s attachments to a stored message, as
    /// Discord does: existing attachments stay unless the body lists which
    /// to keep (`attachments: [{"id": ...}]`), uploads are added with CDN
    /// URLs, and embed images that say `attachment://NAME` now point there.
    /// Returns the message.
    pub fn attach(&mut self, id: u64, body: &Value, files: &[Upload]) -> Option<Value> {
        let ids: Vec<u64> = files.iter().map(|_| self.next_id()).collect();
        let m = self.messages.get_mut(&id)?;
        let channel_id = m.get("channel_id").and_then(Value::as_str).unwrap_or_default().to_string();
        let listed: Option<Vec<String>> = body.get("attachments").and_then(Value::as_array).map(|list| {
            list.iter()
                .filter_map(|a| match a.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        });
        let mut attachments: Vec<Value> = m
            .get("attachments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                let aid = a.get("id").and_then(Value::as_str).unwrap_or_default();
                listed.as_ref().is_none_or(|keep| keep.iter().any(|k| k == aid))
            })
            .collect();
        for (file, aid) in files.iter().zip(ids) {
            attachments.push(payloads::attachment(aid, &channel_id, file));
        }
        let urls: Vec<(String, String)> = attachments
            .iter()
            .filter_map(|a| Some((a.get("filename")?.as_str()?.to_string(), a.get("url")?.as_str()?.to_string())))
            .collect();
        if let Some(embeds) = m.get_mut("embeds").and_then(Value::as_array_mut) {
            for embed in embeds {
                for key in ["image", "thumbnail"] {
                    let Some(media) = embed.get_mut(key).and_then(Value::as_object_mut) else {
                        continue;
                    };
                    let name = media.get("url").and_then(Value::as_str).and_then(|u| u.strip_prefix("attachment://"));
                    if let Some((_, url)) = name.and_then(|n| urls.iter().find(|(f, _)| f == n)) {
                        media.insert("url".into(), Value::from(url.as_str()));
                        media.insert(
                            "proxy_url".into(),
                            Value::from(url.replace("cdn.discordapp.com", "media.discordapp.net")),
                        );
                    }
                }
            }
        }
        m["attachments"] = Value::Array(attachments);
        Some(m.clone())
    }

    /// Filenames of a stored message's attachments.
    pub fn attachment_names(&self, id: u64) -> Vec<String> {
        self.messages
            .get(&id)
            .and_then(|m| m.get("attachments"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|a| a.get("filename")?.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// Applies an edit `body` to a stored message; `None` if unknown.
    pub fn edit_message(&mut self, id: u64, body: &Value) -> Option<Value> {
        let m = self.messages.get_mut(&id)?;
        if let Some(map) = m.as_object_mut() {
            payloads::apply_body(map, body, false);
        }
        Some(m.clone())
    }

    /// Makes sure a message the test passed in a component interaction is
    /// stored (it may have been built by hand); returns its id.
    pub fn adopt_message(&mut self, message: &Value) -> Option<u64> {
        let id = snowflake(message.get("id"))?;
        self.messages.entry(id).or_insert_with(|| message.clone());
        Some(id)
    }

    /// A guild the bot is in.
    pub fn guild(&self, guild_id: u64) -> Option<&GuildSpec> {
        self.guilds.iter().find(|g| g.id == guild_id)
    }

    pub fn guild_mut(&mut self, guild_id: u64) -> Option<&mut GuildSpec> {
        self.guilds.iter_mut().find(|g| g.id == guild_id)
    }

    /// What `channel_id` is to the bot.
    pub fn find_channel(&self, channel_id: u64) -> Found<'_> {
        if self.deleted_channels.contains(&channel_id) {
            return Found::Unknown;
        }
        for g in &self.guilds {
            if let Some(c) = g.channel(channel_id) {
                return Found::Guild(g, c);
            }
        }
        if self.left_guilds.iter().any(|g| g.channel(channel_id).is_some()) {
            return Found::NoAccess;
        }
        match self.dm_channels.get(&channel_id) {
            Some(u) => Found::Dm(payloads::dm_channel(channel_id, u)),
            None => Found::Unknown,
        }
    }

    /// Dispatches a guild or channel event (which needs the GUILDS intent)
    /// on the live session of `guild_id`'s shard, if there is one. Returns
    /// whether it was sent.
    pub fn dispatch_guild_event(&mut self, guild_id: u64, event: &str, data: Value) -> bool {
        let shard = self.shard_for(Some(guild_id));
        let Some(session) = self.live_session(shard) else {
            return false;
        };
        if self.sessions.get(&session).is_none_or(|s| s.intents & 1 == 0) {
            return false;
        }
        self.dispatch(&session, event, data).is_ok()
    }

    // ----- interactions ---------------------------------------------------

    /// Dispatches an INTERACTION_CREATE and starts its clock.
    pub fn send_interaction(&mut self, payload: Value) -> Result<(), String> {
        let id = snowflake(payload.get("id")).ok_or("the payload has no id")?;
        let token = payload.get("token").and_then(Value::as_str).ok_or("the payload has no token")?.to_string();
        let kind = payload.get("type").and_then(Value::as_u64).ok_or("the payload has no type")?;
        let channel_id = snowflake(payload.get("channel_id")).ok_or("the payload has no channel_id")?;
        let guild_id = snowflake(payload.get("guild_id"));
        if self.interactions.contains_key(&id) {
            return Err(format!("interaction {id} was already sent; build a new one"));
        }
        let user = payload
            .get("member")
            .and_then(|m| m.get("user"))
            .or_else(|| payload.get("user"))
            .cloned()
            .unwrap_or(Value::Null);
        let owners = payload.get("authorizing_integration_owners").cloned().unwrap_or_else(|| json!({}));
        // Discord sends a modal submit only for a modal it showed the
        // member.
        let opened_by = if kind == 5 {
            let modal =
                payload.get("data").and_then(|d| d.get("custom_id")).and_then(Value::as_str).unwrap_or_default();
            let member = snowflake(user.get("id")).unwrap_or(0);
            let opener = self.modals_shown.get(&(member, modal.to_string())).copied();
            Some(
                opener
                    .ok_or_else(|| format!("a submit of modal {modal:?}, which was never shown to member {member}"))?,
            )
        } else {
            None
        };
        if guild_id.is_none() && !self.dm_channels.contains_key(&channel_id) {
            self.dm_channels.insert(channel_id, user.clone());
        }
        let shard = self.shard_for(guild_id);
        let session = self
            .live_session(shard)
            .ok_or_else(|| format!("no live gateway session for shard {shard}; wait_ready first"))?;
        let rec = InteractionRec {
            id,
            token: token.clone(),
            kind,
            sent_at: Instant::now(),
            deadline: self.ack_deadline,
            channel_id,
            user,
            owners,
            command_name: payload.get("data").and_then(|d| d.get("name")).and_then(Value::as_str).map(str::to_string),
            clicked: payload.get("message").cloned(),
            opened_by,
            acked: None,
            original: None,
            followups: Vec::new(),
            loading: false,
        };
        self.interactions.insert(id, Box::new(rec));
        self.tokens.insert(token_key(&token), id);
        self.dispatch(&session, "INTERACTION_CREATE", payload)?;
        Ok(())
    }

    /// What a message created for interaction `rec` says about it; for a
    /// modal submit, also about the interaction that opened the modal.
    pub fn meta(&self, rec: &InteractionRec, original: Option<u64>) -> InteractionMeta {
        let triggering =
            rec.opened_by.and_then(|id| self.interactions.get(&id)).map(|opener| Box::new(self.meta(opener, None)));
        InteractionMeta {
            id: rec.id,
            kind: rec.kind,
            user: rec.user.clone(),
            owners: rec.owners.clone(),
            name: rec.command_name.clone(),
            interacted_message_id: rec.clicked.as_ref().and_then(|m| snowflake(m.get("id"))),
            original_response_message_id: original,
            triggering,
        }
    }
}

/// The key of an interaction token in [`State::tokens`].
pub(crate) fn token_key(token: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    token.hash(&mut hasher);
    hasher.finish()
}
