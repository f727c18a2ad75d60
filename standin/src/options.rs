//! Slash-command option values as a Discord client fills them in: typed
//! from the registered definition, checked against its constraints
//! (choices, lengths, ranges, `channel_types`), and with the users,
//! members, roles and channels they name put in `data.resolved`.
//!
//! A test may bypass the checks a modified client could skip
//! (`StandIn::slash_unchecked`) to see how the bot copes; what cannot be
//! resolved at all (a channel or role that does not exist) still panics.

use serde_json::{json, Map, Value};

use super::payloads;
use super::permissions::{ADMINISTRATOR, ALL_PERMISSIONS};
use super::state::State;
use super::{snowflake, ChannelSpec, GuildSpec, Place, TestUser};

/// `data.resolved` being collected.
#[derive(Default)]
pub(super) struct Resolved {
    users: Map<String, Value>,
    members: Map<String, Value>,
    roles: Map<String, Value>,
    channels: Map<String, Value>,
    attachments: Map<String, Value>,
}

impl Resolved {
    /// The `resolved` object, or `None` if nothing was resolved.
    pub(super) fn into_json(self) -> Option<Value> {
        let mut out = Map::new();
        for (key, map) in [
            ("users", self.users),
            ("members", self.members),
            ("roles", self.roles),
            ("channels", self.channels),
            ("attachments", self.attachments),
        ] {
            if !map.is_empty() {
                out.insert(key.into(), Value::Object(map));
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// A member's permissions in `channel`: their guild-level permissions
/// (everything for the owner or an administrator) with the channel's
/// @everyone and member overwrites applied.
pub(super) fn member_permissions(guild: &GuildSpec, channel: &ChannelSpec, user: &TestUser) -> u64 {
    let base = if user.id == guild.owner_id || user.permissions & ADMINISTRATOR != 0 {
        ALL_PERMISSIONS
    } else {
        user.permissions
    };
    guild.overwrite_permissions(base, user.id, &[], channel)
}

/// The constraints of one option, for messages.
fn describe(def: &Value) -> String {
    let mut d = def.clone();
    if let Some(map) = d.as_object_mut() {
        map.remove("description");
        map.remove("description_localizations");
        map.remove("name_localizations");
    }
    d.to_string()
}

fn id_value(value: &Value, what: &str) -> u64 {
    snowflake(Some(value)).unwrap_or_else(|| panic!("{what}: {value} is not a snowflake"))
}

impl State {
    /// Types, checks and resolves one option `opt` the test gave against
    /// its definition `def`. Returns `{"name", "type", "value"}`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill_option(
        &self,
        command: &str,
        def: &Value,
        opt: &Value,
        user: &TestUser,
        place: Place,
        checked: bool,
        autocomplete: bool,
        resolved: &mut Resolved,
    ) -> Value {
        let oname = def.get("name").and_then(Value::as_str).unwrap_or_default();
        let what = format!("/{command}: option {oname:?}");
        let registered = def.get("type").and_then(Value::as_u64).unwrap_or(3);
        let kind = opt.get("type").and_then(Value::as_u64).unwrap_or(registered);
        if checked && kind != registered {
            panic!("{what} is registered with type {registered}, not {kind}");
        }
        let mut value = opt.get("value").cloned().unwrap_or(Value::Null);
        let focused = opt.get("focused").and_then(Value::as_bool).unwrap_or(false);
        // What the member types into an autocomplete field is a partial
        // string, whatever the option's type.
        let typed = !(autocomplete && focused);
        if checked && typed {
            check_value(&what, def, kind, &value);
        }
        if typed && matches!(kind, 6..=9) {
            let id = id_value(&value, &what);
            value = Value::from(id.to_string());
            let guild = place.guild_id().and_then(|g| self.guild(g));
            match kind {
                6 => self.resolve_user(id, guild, place, resolved),
                7 => resolve_channel(&self.deleted_channels, &what, def, id, guild, user, checked, resolved),
                8 => resolve_role(&what, id, guild, resolved),
                _ => {
                    if guild.is_some_and(|g| g.role(id).is_some()) {
                        resolve_role(&what, id, guild, resolved);
                    } else if self.users.contains_key(&id) {
                        self.resolve_user(id, guild, place, resolved);
                    } else {
                        panic!("{what}: {id} is neither a role of the guild nor a user the stand-in has seen");
                    }
                }
            }
        }
        if typed && kind == 11 {
            let id = id_value(&value, &what);
            value = Value::from(id.to_string());
            let Some((filename, bytes)) = self.attachments.get(&id) else {
                panic!("{what}: {id} is not a file attached with StandIn::attach");
            };
            let size = bytes.as_ref().map_or(0, Vec::len);
            resolved.attachments.insert(id.to_string(), payloads::slash_attachment(id, filename, size, &self.api_base));
        }
        let mut o = json!({"name": oname, "type": kind, "value": value});
        if focused {
            o["focused"] = Value::Bool(true);
        }
        o
    }

    fn resolve_user(&self, id: u64, guild: Option<&GuildSpec>, place: Place, resolved: &mut Resolved) {
        // A user the stand-in never saw has no name to show; Discord would
        // still resolve them, the test simply did not introduce them.
        let Some(u) = self.users.get(&id) else {
            return;
        };
        let uj = payloads::user(u.id, &u.name, false);
        resolved.users.insert(u.id.to_string(), uj.clone());
        if let (Some(g), Place::Guild { channel_id, .. }) = (guild, place) {
            let permissions = g.channel(channel_id).map_or(u.permissions, |c| member_permissions(g, c, u));
            let mut m = payloads::member(&uj, Some(permissions), &self.joined_at);
            if let Some(map) = m.as_object_mut() {
                map.remove("user");
            }
            resolved.members.insert(u.id.to_string(), m);
        }
    }
}

/// A channel option: the channel must be one of the guild's (checked:
/// of an offered type and visible to the member); resolved with the
/// member's permissions there.
#[allow(clippy::too_many_arguments)]
fn resolve_channel(
    deleted: &std::collections::HashSet<u64>,
    what: &str,
    def: &Value,
    id: u64,
    guild: Option<&GuildSpec>,
    user: &TestUser,
    checked: bool,
    resolved: &mut Resolved,
) {
    let Some(guild) = guild else {
        panic!("{what}: channel options are only modelled in guilds");
    };
    let Some(channel) = guild.channel(id).filter(|_| !deleted.contains(&id)) else {
        panic!("{what}: {id} is not a channel of guild {} ({})", guild.id, guild.name);
    };
    let permissions = member_permissions(guild, channel, user);
    if checked {
        let types: Vec<u64> = def
            .get("channel_types")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        if !types.is_empty() && !types.contains(&channel.kind) {
            panic!(
                "{what}: #{} is of type {}, the option only offers channel types {types:?} \
                 (use slash_unchecked to send it anyway)",
                channel.name, channel.kind
            );
        }
        if super::effective(permissions, channel.kind) & super::VIEW_CHANNEL == 0 {
            panic!("{what}: {} cannot see #{}, so the client does not offer it", user.name, channel.name);
        }
    }
    resolved.channels.insert(id.to_string(), payloads::resolved_channel(channel, permissions));
}

fn resolve_role(what: &str, id: u64, guild: Option<&GuildSpec>, resolved: &mut Resolved) {
    let Some(guild) = guild else {
        panic!("{what}: role options are only modelled in guilds");
    };
    let Some(role) = guild.role(id) else {
        panic!("{what}: {id} is not a role of guild {} ({})", guild.id, guild.name);
    };
    resolved.roles.insert(id.to_string(), payloads::role(role));
}

/// What a client enforces on a value: its JSON type, choices, string
/// lengths and numeric ranges.
fn check_value(what: &str, def: &Value, kind: u64, value: &Value) {
    let ok = match kind {
        3 => value.is_string(),
        4 => value.as_i64().is_some(),
        5 => value.is_boolean(),
        10 => value.is_number(),
        6..=9 | 11 => snowflake(Some(value)).is_some(),
        _ => true,
    };
    if !ok {
        panic!("{what}: {value} does not fit option type {kind}");
    }
    let choices = def.get("choices").and_then(Value::as_array);
    if let Some(choices) = choices.filter(|c| !c.is_empty()) {
        let matches = |c: &Value| match (c.get("value"), value) {
            (Some(a), b) if a == b => true,
            (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => false,
        };
        if !choices.iter().any(matches) {
            panic!("{what}: {value} is not one of the choices: {choices:?}");
        }
    }
    if let Some(s) = value.as_str() {
        let n = s.chars().count() as u64;
        let min = def.get("min_length").and_then(Value::as_u64).unwrap_or(0);
        let max = def.get("max_length").and_then(Value::as_u64).unwrap_or(6000);
        if kind == 3 && (n < min || n > max) {
            panic!("{what}: {n} chars is outside the allowed length: {}", describe(def));
        }
    }
    if let Some(x) = value.as_f64().filter(|_| matches!(kind, 4 | 10)) {
        let below = def.get("min_value").and_then(Value::as_f64).is_some_and(|m| x < m);
        let above = def.get("max_value").and_then(Value::as_f64).is_some_and(|m| x > m);
        if below || above {
            panic!("{what}: {x} is outside the allowed range: {}", describe(def));
        }
    }
}
