//! The guild model: roles, the bot's member roles, channels of several
//! kinds with permission overwrites, and Discord's permission arithmetic.
//!
//! Permissions are computed as Discord's developer documentation
//! ("Permissions" → "Permission Overwrites") describes them:
//!
//! 1. base = @everyone's permissions | the member's roles' permissions
//!    (the guild owner, and anyone with ADMINISTRATOR, gets everything);
//! 2. then, in the channel, the @everyone overwrite (deny, then allow), the
//!    overwrites of the member's roles combined (all denies, then all
//!    allows) and the member's own overwrite (deny, then allow).
//!
//! Threads take the overwrites of their parent channel. What is *reported*
//! (`app_permissions`, `member.permissions`, a resolved channel's
//! `permissions`) is that computed value; the implicit rules (no
//! VIEW_CHANNEL → nothing else counts; no SEND_MESSAGES → no EMBED_LINKS or
//! ATTACH_FILES) are applied where the stand-in *enforces* permissions, as
//! Discord does.

use serde_json::{json, Value};

use super::permissions::{ADMINISTRATOR, ALL_PERMISSIONS, MANAGE_MESSAGES};
use super::{snowflake, DEFAULT_MEMBER_PERMISSIONS};

/// The id of the role Discord creates for the bot when it joins `guild_id`
/// (managed, tagged with the bot's id). Stable, so tests can name it.
pub const fn bot_role_id(guild_id: u64) -> u64 {
    guild_id ^ (1 << 61)
}

/// A role of a guild. The @everyone role has the guild's id and position 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSpec {
    pub id: u64,
    pub name: String,
    /// The permission bit set.
    pub permissions: u64,
    /// Higher is more powerful; @everyone is 0.
    pub position: u16,
    /// RGB, 0 = no colour.
    pub color: u32,
    pub hoist: bool,
    pub mentionable: bool,
    /// Managed by an integration (a bot's own role is).
    pub managed: bool,
    /// `tags.bot_id`: the bot this managed role belongs to.
    pub bot_id: Option<u64>,
}

impl RoleSpec {
    /// An ordinary role at position 1.
    pub fn new(id: u64, name: &str, permissions: u64) -> RoleSpec {
        RoleSpec {
            id,
            name: name.to_string(),
            permissions,
            position: 1,
            color: 0,
            hoist: false,
            mentionable: false,
            managed: false,
            bot_id: None,
        }
    }

    /// The @everyone role of `guild_id`.
    pub fn everyone(guild_id: u64, permissions: u64) -> RoleSpec {
        RoleSpec { position: 0, ..RoleSpec::new(guild_id, "@everyone", permissions) }
    }

    /// The managed role Discord gives a bot invited with `permissions`.
    pub fn bot(guild_id: u64, bot_id: u64, name: &str, permissions: u64) -> RoleSpec {
        RoleSpec { managed: true, bot_id: Some(bot_id), ..RoleSpec::new(bot_role_id(guild_id), name, permissions) }
    }

    pub fn position(mut self, position: u16) -> RoleSpec {
        self.position = position;
        self
    }

    pub fn color(mut self, color: u32) -> RoleSpec {
        self.color = color;
        self
    }
}

/// Whom a permission overwrite applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OverwriteTarget {
    /// The @everyone role (sent with the guild's id, type 0).
    Everyone,
    /// A role (type 0).
    Role(u64),
    /// A member (type 1).
    Member(u64),
}

impl OverwriteTarget {
    /// `(id, type)` as Discord sends them.
    pub fn id_and_type(self, guild_id: u64) -> (u64, u8) {
        match self {
            OverwriteTarget::Everyone => (guild_id, 0),
            OverwriteTarget::Role(id) if id == guild_id => (guild_id, 0),
            OverwriteTarget::Role(id) => (id, 0),
            OverwriteTarget::Member(id) => (id, 1),
        }
    }

    fn same(self, other: OverwriteTarget, guild_id: u64) -> bool {
        self.id_and_type(guild_id) == other.id_and_type(guild_id)
    }
}

/// A channel permission overwrite: `allow` and `deny` bit sets for one
/// role or member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwrite {
    pub target: OverwriteTarget,
    pub allow: u64,
    pub deny: u64,
}

impl Overwrite {
    pub fn everyone(allow: u64, deny: u64) -> Overwrite {
        Overwrite { target: OverwriteTarget::Everyone, allow, deny }
    }

    pub fn role(role_id: u64, allow: u64, deny: u64) -> Overwrite {
        Overwrite { target: OverwriteTarget::Role(role_id), allow, deny }
    }

    pub fn member(user_id: u64, allow: u64, deny: u64) -> Overwrite {
        Overwrite { target: OverwriteTarget::Member(user_id), allow, deny }
    }

    /// An overwrite for the bot's own member.
    pub fn bot(allow: u64, deny: u64) -> Overwrite {
        Overwrite::member(super::BOT_ID, allow, deny)
    }

    /// `{"id", "type", "allow", "deny"}` with the bit sets as strings, as
    /// Discord sends it.
    pub fn to_json(self, guild_id: u64) -> Value {
        let (id, kind) = self.target.id_and_type(guild_id);
        json!({
            "id": id.to_string(),
            "type": kind,
            "allow": self.allow.to_string(),
            "deny": self.deny.to_string(),
        })
    }

    /// Parses Discord's JSON form (`allow`/`deny` as strings or numbers,
    /// `type` 0 role or 1 member); the role with the guild's id is
    /// @everyone.
    pub fn from_json(guild_id: u64, v: &Value) -> Result<Overwrite, String> {
        let id = snowflake(v.get("id")).ok_or_else(|| format!("overwrite without an id: {v}"))?;
        let bits = |key: &str| -> Result<u64, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(0),
                Some(Value::String(s)) => s.parse().map_err(|_| format!("overwrite {key} {s:?} is not a bit set")),
                Some(Value::Number(n)) => n.as_u64().ok_or_else(|| format!("overwrite {key} {n} is not a bit set")),
                Some(other) => Err(format!("overwrite {key} {other} is not a bit set")),
            }
        };
        let target = match v.get("type").and_then(Value::as_u64) {
            Some(0) if id == guild_id => OverwriteTarget::Everyone,
            Some(0) => OverwriteTarget::Role(id),
            Some(1) => OverwriteTarget::Member(id),
            other => return Err(format!("overwrite type {other:?} is neither 0 (role) nor 1 (member)")),
        };
        Ok(Overwrite { target, allow: bits("allow")?, deny: bits("deny")? })
    }
}

/// A channel of a configured guild. `kind` is Discord's channel `type`
/// ([`ChannelSpec::TEXT`], [`ChannelSpec::VOICE`], ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub id: u64,
    pub name: String,
    pub kind: u64,
    /// The category (for a thread: the channel it belongs to).
    pub parent_id: Option<u64>,
    /// Ignored for threads, which use their parent's.
    pub overwrites: Vec<Overwrite>,
    pub topic: Option<String>,
}

impl Default for ChannelSpec {
    /// A text channel with id 0 and no name: only for
    /// `ChannelSpec { id, name, ..Default::default() }`.
    fn default() -> Self {
        ChannelSpec {
            id: 0,
            name: String::new(),
            kind: ChannelSpec::TEXT,
            parent_id: None,
            overwrites: Vec::new(),
            topic: None,
        }
    }
}

impl ChannelSpec {
    /// GUILD_TEXT.
    pub const TEXT: u64 = 0;
    /// GUILD_VOICE (voice channels have a text chat: messages work).
    pub const VOICE: u64 = 2;
    /// GUILD_CATEGORY (holds channels; no messages).
    pub const CATEGORY: u64 = 4;
    /// GUILD_ANNOUNCEMENT.
    pub const ANNOUNCEMENT: u64 = 5;
    /// PUBLIC_THREAD.
    pub const PUBLIC_THREAD: u64 = 11;
    /// GUILD_STAGE_VOICE.
    pub const STAGE: u64 = 13;
    /// GUILD_FORUM (only threads; no messages).
    pub const FORUM: u64 = 15;

    fn of_kind(id: u64, name: &str, kind: u64) -> ChannelSpec {
        ChannelSpec { id, name: name.to_string(), kind, ..ChannelSpec::default() }
    }

    pub fn text(id: u64, name: &str) -> ChannelSpec {
        ChannelSpec::of_kind(id, name, ChannelSpec::TEXT)
    }

    pub fn announcement(id: u64, name: &str) -> ChannelSpec {
        ChannelSpec::of_kind(id, name, ChannelSpec::ANNOUNCEMENT)
    }

    pub fn voice(id: u64, name: &str) -> ChannelSpec {
        ChannelSpec::of_kind(id, name, ChannelSpec::VOICE)
    }

    pub fn category(id: u64, name: &str) -> ChannelSpec {
        ChannelSpec::of_kind(id, name, ChannelSpec::CATEGORY)
    }

    pub fn forum(id: u64, name: &str) -> ChannelSpec {
        ChannelSpec::of_kind(id, name, ChannelSpec::FORUM)
    }

    /// A public thread in channel `parent_id` (which must be a text or
    /// announcement channel of the same guild). It takes its parent's
    /// overwrites; posting needs SEND_MESSAGES_IN_THREADS.
    pub fn thread(id: u64, name: &str, parent_id: u64) -> ChannelSpec {
        ChannelSpec { parent_id: Some(parent_id), ..ChannelSpec::of_kind(id, name, ChannelSpec::PUBLIC_THREAD) }
    }

    /// Puts the channel in category `category_id`.
    pub fn in_category(mut self, category_id: u64) -> ChannelSpec {
        self.parent_id = Some(category_id);
        self
    }

    pub fn topic(mut self, topic: &str) -> ChannelSpec {
        self.topic = Some(topic.to_string());
        self
    }

    /// Adds `overwrite`, replacing one for the same target.
    pub fn overwrite(mut self, overwrite: Overwrite) -> ChannelSpec {
        // The guild id is unknown here; @everyone is only ever written as
        // `Everyone` by these builders, so comparing targets suffices.
        self.overwrites.retain(|o| o.target != overwrite.target);
        self.overwrites.push(overwrite);
        self
    }

    /// Adds `bits` to the allow set of `target`'s overwrite (and removes
    /// them from its deny set).
    pub fn allow(self, target: OverwriteTarget, bits: u64) -> ChannelSpec {
        self.adjust(target, bits, 0)
    }

    /// Adds `bits` to the deny set of `target`'s overwrite (and removes
    /// them from its allow set).
    pub fn deny(self, target: OverwriteTarget, bits: u64) -> ChannelSpec {
        self.adjust(target, 0, bits)
    }

    fn adjust(mut self, target: OverwriteTarget, allow: u64, deny: u64) -> ChannelSpec {
        match self.overwrites.iter_mut().find(|o| o.target == target) {
            Some(o) => {
                o.allow = (o.allow & !deny) | allow;
                o.deny = (o.deny & !allow) | deny;
            }
            None => self.overwrites.push(Overwrite { target, allow, deny }),
        }
        self
    }

    /// A thread (types 10, 11, 12).
    pub fn is_thread(&self) -> bool {
        matches!(self.kind, 10..=12)
    }

    /// Whether messages can be posted in it (text, announcement, the text
    /// chat of voice and stage channels, threads). Categories, forums,
    /// media and directory channels answer 400 50008.
    pub fn takes_messages(&self) -> bool {
        matches!(self.kind, 0 | 2 | 5 | 10..=13)
    }
}

/// A guild the bot is in; sent as GUILD_CREATE after READY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuildSpec {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    /// Channels and threads, in display order.
    pub channels: Vec<ChannelSpec>,
    /// Every role, @everyone (id = guild id) included.
    pub roles: Vec<RoleSpec>,
    /// The roles of the bot's member (not listing @everyone, which every
    /// member has).
    pub bot_roles: Vec<u64>,
    /// Other members sent with GUILD_CREATE, `(id, name)`, with no roles.
    pub members: Vec<(u64, String)>,
}

impl GuildSpec {
    /// A guild with no channels, an @everyone role granting
    /// [`DEFAULT_MEMBER_PERMISSIONS`](super::DEFAULT_MEMBER_PERMISSIONS),
    /// and the bot's managed role ([`bot_role_id`]) granting
    /// MANAGE_MESSAGES, which the bot has. Together they make
    /// [`BOT_CHANNEL_PERMISSIONS`](super::BOT_CHANNEL_PERMISSIONS).
    pub fn new(id: u64, name: &str, owner_id: u64) -> GuildSpec {
        GuildSpec {
            id,
            name: name.to_string(),
            owner_id,
            channels: Vec::new(),
            roles: vec![
                RoleSpec::everyone(id, DEFAULT_MEMBER_PERMISSIONS),
                RoleSpec::bot(id, super::BOT_ID, super::BOT_NAME, MANAGE_MESSAGES),
            ],
            bot_roles: vec![bot_role_id(id)],
            members: Vec::new(),
        }
    }

    pub fn with_member(mut self, id: u64, name: &str) -> GuildSpec {
        self.members.push((id, name.to_string()));
        self
    }

    pub fn with_channel(mut self, channel: ChannelSpec) -> GuildSpec {
        self.channels.push(channel);
        self
    }

    /// Adds a role, replacing one with the same id.
    pub fn with_role(mut self, role: RoleSpec) -> GuildSpec {
        self.roles.retain(|r| r.id != role.id);
        self.roles.push(role);
        self
    }

    /// Sets the @everyone role's permissions.
    pub fn everyone_permissions(mut self, permissions: u64) -> GuildSpec {
        let id = self.id;
        match self.roles.iter_mut().find(|r| r.id == id) {
            Some(r) => r.permissions = permissions,
            None => self.roles.push(RoleSpec::everyone(id, permissions)),
        }
        self
    }

    /// Sets the bot member's roles.
    pub fn bot_roles(mut self, roles: Vec<u64>) -> GuildSpec {
        self.bot_roles = roles;
        self
    }

    pub fn channel(&self, id: u64) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub fn role(&self, id: u64) -> Option<&RoleSpec> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The channel whose overwrites apply to `channel` (a thread's parent).
    fn overwrites_of<'a>(&'a self, channel: &'a ChannelSpec) -> &'a [Overwrite] {
        if channel.is_thread() {
            if let Some(parent) = channel.parent_id.and_then(|p| self.channel(p)) {
                return &parent.overwrites;
            }
        }
        &channel.overwrites
    }

    /// Guild-level permissions of a member with `roles` (owner and
    /// ADMINISTRATOR: everything).
    pub fn base_permissions(&self, user_id: u64, roles: &[u64]) -> u64 {
        if user_id == self.owner_id {
            return ALL_PERMISSIONS;
        }
        let mut p = self.role(self.id).map_or(0, |r| r.permissions);
        for r in roles {
            p |= self.role(*r).map_or(0, |r| r.permissions);
        }
        if p & ADMINISTRATOR != 0 {
            ALL_PERMISSIONS
        } else {
            p
        }
    }

    /// Permissions in `channel` of a member with guild-level permissions
    /// `base` and `roles`: Discord's `compute_overwrites`.
    pub fn overwrite_permissions(&self, base: u64, user_id: u64, roles: &[u64], channel: &ChannelSpec) -> u64 {
        if base & ADMINISTRATOR != 0 || user_id == self.owner_id {
            return ALL_PERMISSIONS;
        }
        let overwrites = self.overwrites_of(channel);
        let mut p = base;
        let everyone = OverwriteTarget::Everyone;
        if let Some(o) = overwrites.iter().find(|o| o.target.same(everyone, self.id)) {
            p &= !o.deny;
            p |= o.allow;
        }
        let (mut allow, mut deny) = (0, 0);
        for o in overwrites {
            if let OverwriteTarget::Role(id) = o.target {
                if id != self.id && roles.contains(&id) {
                    allow |= o.allow;
                    deny |= o.deny;
                }
            }
        }
        p &= !deny;
        p |= allow;
        if let Some(o) = overwrites.iter().find(|o| o.target == OverwriteTarget::Member(user_id)) {
            p &= !o.deny;
            p |= o.allow;
        }
        p
    }

    /// The bot's permissions in `channel`.
    pub fn bot_permissions(&self, channel: &ChannelSpec) -> u64 {
        let base = self.base_permissions(super::BOT_ID, &self.bot_roles);
        self.overwrite_permissions(base, super::BOT_ID, &self.bot_roles, channel)
    }

    /// Checks the spec is something Discord could hold; panics otherwise
    /// (a mistake in the test's configuration).
    pub(crate) fn check(&self) {
        let name = &self.name;
        assert!(
            self.role(self.id).is_some_and(|r| r.position == 0),
            "guild {name}: the @everyone role (id {}) must exist at position 0",
            self.id
        );
        for r in &self.bot_roles {
            assert!(self.role(*r).is_some(), "guild {name}: the bot's role {r} is not a role of it");
        }
        for c in &self.channels {
            assert_eq!(
                self.channels.iter().filter(|d| d.id == c.id).count(),
                1,
                "guild {name}: channel id {} used twice",
                c.id
            );
            if let Some(p) = c.parent_id {
                let parent = self.channel(p);
                let fits = if c.is_thread() {
                    parent.is_some_and(|p| matches!(p.kind, 0 | 5 | 15))
                } else {
                    parent.is_some_and(|p| p.kind == ChannelSpec::CATEGORY)
                };
                assert!(
                    fits,
                    "guild {name}: channel {} ({}) has parent {p}, which is not a fitting channel of the guild",
                    c.id, c.name
                );
            } else {
                assert!(!c.is_thread(), "guild {name}: thread {} has no parent", c.id);
            }
            assert!(
                c.kind != ChannelSpec::CATEGORY || c.parent_id.is_none(),
                "guild {name}: a category cannot be in a category"
            );
        }
    }
}
