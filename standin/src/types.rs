//! The plain data types of the stand-in's API: who acts ([`TestUser`]),
//! where ([`Place`]), what the stand-in simulates ([`StandInConfig`]) and
//! what it recorded ([`RecordedRequest`], [`Callback`], [`Upload`],
//! [`Identify`], [`GatewayFrame`]).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::payloads;
use super::{ChannelSpec, GuildSpec};
use super::{
    ACK_DEADLINE, ADMINISTRATOR, CATEGORY_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID, MANAGE_GUILD,
    OTHER_CHANNEL_ID, OWNER_ID, VOICE_CHANNEL_ID,
};

/// A member the test plays. `permissions` are their guild-level permissions
/// (as if summed over their roles; a `TestUser` has no role ids): they decide
/// which commands Discord shows them (`default_member_permissions`), and,
/// with the channel's @everyone and member overwrites applied, what
/// `member.permissions` says in an interaction (everything for an
/// ADMINISTRATOR or the guild owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestUser {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
}

impl TestUser {
    /// An ordinary member with [`DEFAULT_MEMBER_PERMISSIONS`].
    pub fn new(id: u64, name: &str) -> TestUser {
        TestUser { id, name: name.to_string(), permissions: DEFAULT_MEMBER_PERMISSIONS }
    }

    /// The same member with ADMINISTRATOR and MANAGE_GUILD.
    pub fn admin(mut self) -> TestUser {
        self.permissions |= ADMINISTRATOR | MANAGE_GUILD;
        self
    }

    /// The application owner ([`OWNER_ID`]), an administrator.
    pub fn owner() -> TestUser {
        TestUser::new(OWNER_ID, "owner").admin()
    }
}

/// Where an interaction happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A guild text channel: the interaction carries `guild_id` and `member`.
    Guild { guild_id: u64, channel_id: u64 },
    /// The bot's DM with the member: `user` instead of `member`, no
    /// `guild_id`, `context` 1.
    Dm { channel_id: u64 },
    /// A channel of a server the bot is not in, where the member uses the
    /// app installed to their own account: `guild_id` and `member` as in
    /// a guild, but `authorizing_integration_owners` names only the user
    /// (`"1"`), and only global commands registered for user install
    /// (`integration_types` 1) and the guild context are offered.
    Foreign { guild_id: u64, channel_id: u64 },
}

impl Place {
    /// The default guild's channel ([`GUILD_ID`], [`CHANNEL_ID`]).
    pub fn guild() -> Place {
        Place::Guild { guild_id: GUILD_ID, channel_id: CHANNEL_ID }
    }

    /// Channel `channel_id` of the default guild.
    pub fn channel(channel_id: u64) -> Place {
        Place::Guild { guild_id: GUILD_ID, channel_id }
    }

    /// Channel `channel_id` of guild `guild_id`.
    pub fn in_guild(guild_id: u64, channel_id: u64) -> Place {
        Place::Guild { guild_id, channel_id }
    }

    /// The bot's DM channel with `user` (see [`dm_channel_id`]).
    pub fn dm(user: &TestUser) -> Place {
        Place::Dm { channel_id: dm_channel_id(user.id) }
    }

    /// Channel `channel_id` of a server the bot is not in, through the
    /// member's own install of the app.
    pub fn foreign(guild_id: u64, channel_id: u64) -> Place {
        Place::Foreign { guild_id, channel_id }
    }

    pub fn channel_id(self) -> u64 {
        match self {
            Place::Guild { channel_id, .. } | Place::Dm { channel_id } | Place::Foreign { channel_id, .. } => {
                channel_id
            }
        }
    }

    pub fn guild_id(self) -> Option<u64> {
        match self {
            Place::Guild { guild_id, .. } | Place::Foreign { guild_id, .. } => Some(guild_id),
            Place::Dm { .. } => None,
        }
    }
}

/// The id of the bot's DM channel with `user_id`: stable, so a test can
/// name it before the bot opens it, and distinct from every other id.
pub fn dm_channel_id(user_id: u64) -> u64 {
    user_id ^ (1 << 62)
}

/// What the stand-in simulates. The default: one guild ([`GUILD_ID`], see
/// [`GuildSpec::new`] for its roles) owned by [`OWNER_ID`], with the text
/// channel [`CHANNEL_ID`] ("practice") and a category [`CATEGORY_ID`]
/// ("Study") holding the text channel [`OTHER_CHANNEL_ID`] ("general") and
/// the voice channel [`VOICE_CHANNEL_ID`] ("Study Room"); no overwrites,
/// so the bot may view, send, embed and read history everywhere; the 3 s
/// acknowledgement deadline.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    pub guilds: Vec<GuildSpec>,
    pub ack_deadline: Duration,
    pub owner: TestUser,
    /// Whether every REST request and gateway frame is kept for
    /// [`StandIn::requests`](super::StandIn::requests) and
    /// [`StandIn::gateway_frames`](super::StandIn::gateway_frames). A load
    /// benchmark turns it off: tens of thousands of kept bodies would make
    /// the stand-in itself slow.
    pub keep_traffic: bool,
    /// Whether REST requests are rate limited as on Discord (default off):
    /// 5 message creations per 5 s per channel, 50 requests per second
    /// outside the interaction endpoints, 429 with `Retry-After` beyond.
    /// Off, a test's bursts need no pacing; on, a test checks that the bot
    /// paces itself. See [`StandIn::rate_limited`](super::StandIn::rate_limited).
    pub rate_limits: bool,
}

impl Default for StandInConfig {
    fn default() -> Self {
        StandInConfig {
            guilds: vec![GuildSpec::new(GUILD_ID, "Study Group", OWNER_ID)
                .with_channel(ChannelSpec::text(CHANNEL_ID, "practice"))
                .with_channel(ChannelSpec::category(CATEGORY_ID, "Study"))
                .with_channel(ChannelSpec::text(OTHER_CHANNEL_ID, "general").in_category(CATEGORY_ID))
                .with_channel(ChannelSpec::voice(VOICE_CHANNEL_ID, "Study Room").in_category(CATEGORY_ID))],
            ack_deadline: ACK_DEADLINE,
            owner: TestUser::owner(),
            keep_traffic: true,
            rate_limits: false,
        }
    }
}

/// One REST request the bot made, with the stand-in's answer.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// Query pairs in order (serenity writes `?&key=value`).
    pub query: Vec<(String, String)>,
    /// The JSON body (for multipart: `payload_json`); `Null` if none.
    pub body: Value,
    /// The files of a multipart upload, in the order sent.
    pub files: Vec<Upload>,
    pub received_at: Instant,
    pub status: u16,
    /// The response body; `Null` for 204.
    pub response: Value,
}

impl RecordedRequest {
    /// `method` matches and the path ends with `suffix`.
    pub fn is(&self, method: &str, suffix: &str) -> bool {
        self.method == method && self.path.ends_with(suffix)
    }
}

/// One file part of a multipart request, as the bot sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// The form field, e.g. `files[0]` (serenity numbers them from 0 and
    /// refers to them by that number in the JSON's `attachments`).
    pub field: String,
    pub filename: String,
    /// The part's `Content-Type` ("" if it had none).
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One attempt by the bot to answer an interaction
/// (`POST /interactions/{id}/{token}/callback`), accepted or not.
#[derive(Clone, Debug)]
pub struct Callback {
    pub interaction_id: u64,
    /// The response type: 4 message, 5 deferred message, 6 deferred update,
    /// 7 update message, 8 autocomplete result, 9 modal (0 if missing).
    pub kind: u64,
    /// The response's `data` (`Null` if none).
    pub data: Value,
    /// From [`StandIn::send`](super::StandIn::send) to the callback's arrival.
    pub latency: Duration,
    /// 204 if accepted; Discord's error status otherwise.
    pub status: u16,
    /// Discord's error body if rejected (`{"code": 40060, ...}`).
    pub error: Option<Value>,
    /// Files uploaded with the response (multipart), in the order sent.
    pub files: Vec<Upload>,
    pub(super) message: Option<Value>,
}

impl Callback {
    /// Discord accepted it (204).
    pub fn accepted(&self) -> bool {
        self.status == 204
    }

    /// The Discord error code if rejected (10062, 40060, 50035, ...).
    pub fn error_code(&self) -> Option<i64> {
        self.error.as_ref()?.get("code")?.as_i64()
    }

    /// Only the invoking member sees the response (flags & 64).
    pub fn ephemeral(&self) -> bool {
        let flags = self.data.get("flags").and_then(Value::as_u64).unwrap_or(0);
        flags & payloads::EPHEMERAL != 0
    }

    /// The uploaded file called `filename`, if any.
    pub fn file(&self, filename: &str) -> Option<&Upload> {
        self.files.iter().find(|f| f.filename == filename)
    }

    /// The response's text content ("" if none).
    pub fn content(&self) -> &str {
        self.data.get("content").and_then(Value::as_str).unwrap_or_default()
    }

    /// The message a member sees right after this callback: for type 4 the
    /// new message (id, channel_id, the bot as author, content, embeds,
    /// components, flags), for type 5 the "thinking" message, for 6 and 7
    /// the clicked message (updated for 7). Pass it to
    /// [`StandIn::click`](super::StandIn::click) to press one of its
    /// buttons. For the state after later edits use
    /// [`StandIn::original_message`](super::StandIn::original_message).
    ///
    /// Panics for autocomplete and modal responses and rejected callbacks,
    /// which show no message.
    pub fn message(&self) -> Value {
        match &self.message {
            Some(m) => m.clone(),
            None => {
                panic!("callback of type {} (status {}) shows no message: {:?}", self.kind, self.status, self.error)
            }
        }
    }
}

/// An IDENTIFY the bot sent.
#[derive(Clone, Debug)]
pub struct Identify {
    pub token: String,
    pub intents: u64,
    /// `[shard_id, shard_count]`.
    pub shard: (u32, u32),
    pub payload: Value,
    pub at: Instant,
}

/// A frame the stand-in sent on the gateway (kept so tests can check each
/// against serenity's types).
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    pub connection: u64,
    pub payload: Value,
    pub at: Instant,
}
