//! Building the interactions a test sends: slash commands, autocomplete,
//! button presses and select choices.
//!
//! A Discord client only lets a member send what the bot registered, where
//! it is available (a channel of a guild the bot is in, which the member
//! can see and use commands in), with the required options and valid
//! values; the builders check the same and panic with the reason, so a
//! test cannot pass on an interaction no member could produce. The
//! permissions in the payload (`member.permissions`, `channel.permissions`,
//! `app_permissions`) are computed from the guild model.

use serde_json::{json, Value};

use super::options::{member_permissions, Resolved};
use super::payloads::{self, InteractionParts};
use super::permissions::{effective, USE_APPLICATION_COMMANDS, VIEW_CHANNEL};
use super::state::State;
use super::{snowflake, ChannelSpec, Place, TestUser, ADMINISTRATOR};

impl State {
    /// The commands a member sees in `place`: the guild's plus the global
    /// ones (in DMs only global ones).
    fn visible_commands(&self, place: Place) -> Vec<Value> {
        let mut list = Vec::new();
        if let Place::Foreign { .. } = place {
            // Only what the member installed: global commands registered
            // for user install.
            let user_installable = |c: &&Value| {
                c.get("integration_types")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|t| t.as_u64() == Some(1)))
            };
            list.extend(self.global_commands.iter().filter(user_installable).cloned());
            return list;
        }
        if let Some(g) = place.guild_id() {
            list.extend(self.guild_commands.get(&g).cloned().unwrap_or_default());
        }
        list.extend(self.global_commands.iter().cloned());
        list
    }

    fn remember_user(&mut self, user: &TestUser, place: Place) {
        self.users.insert(user.id, user.clone());
        match place {
            Place::Guild { guild_id, .. } => {
                self.members.insert((guild_id, user.id), user.clone());
            }
            Place::Dm { channel_id } => {
                let u = payloads::user(user.id, &user.name, false);
                self.dm_channels.insert(channel_id, u);
            }
            Place::Foreign { .. } => {}
        }
    }

    fn new_token(&mut self, id: u64) -> String {
        format!("standin-{id:x}-{:x}", self.next_id() & 0xFF_FFFF)
    }

    fn channel_name(&self, place: Place) -> Option<String> {
        let g = self.guild(place.guild_id()?)?;
        g.channel(place.channel_id()).map(|c| c.name.clone())
    }

    /// Panics unless `place` is somewhere a member can act: a channel (not
    /// a category or forum) of a guild the bot is in; returns it.
    fn place_channel(&self, place: Place) -> Option<ChannelSpec> {
        if let Place::Foreign { guild_id, .. } = place {
            assert!(self.guild(guild_id).is_none(), "{place:?}: the bot is in guild {guild_id}; use Place::Guild");
        }
        let Place::Guild { guild_id, channel_id } = place else {
            return None;
        };
        let Some(g) = self.guild(guild_id) else {
            if self.left_guilds.iter().any(|g| g.id == guild_id) {
                panic!("the bot was removed from guild {guild_id}; no interaction from it reaches the bot");
            }
            panic!("the bot is not in guild {guild_id} (configure it in StandInConfig::guilds)");
        };
        let Some(c) = g.channel(channel_id) else {
            let what =
                if self.deleted_channels.contains(&channel_id) { "was deleted" } else { "is not a channel of it" };
            panic!("{place:?}: channel {channel_id} of guild {} ({}) {what}", g.id, g.name);
        };
        assert!(
            c.takes_messages(),
            "{place:?}: #{} is of type {}; nobody can use commands or buttons there",
            c.name,
            c.kind
        );
        Some(c.clone())
    }

    /// Replaces the payload's permissions with the computed ones: the
    /// member's in the channel (`member.permissions`, `channel.permissions`)
    /// and the bot's (`app_permissions`).
    fn apply_permissions(&self, payload: &mut Value, user: &TestUser, place: Place) {
        let Place::Guild { guild_id, channel_id } = place else {
            return;
        };
        let Some((g, c)) = self.guild(guild_id).and_then(|g| Some((g, g.channel(channel_id)?))) else {
            return;
        };
        let mine = member_permissions(g, c, user);
        payload["member"]["permissions"] = Value::from(mine.to_string());
        payload["channel"] = payloads::interaction_guild_channel(guild_id, c, mine);
        payload["app_permissions"] = Value::from(g.bot_permissions(c).to_string());
    }

    /// Panics unless `user` may see `place` (and, for commands, use them there).
    fn check_member_can(&self, user: &TestUser, place: Place, commands: bool) {
        let Place::Guild { guild_id, channel_id } = place else {
            return;
        };
        let Some((g, c)) = self.guild(guild_id).and_then(|g| Some((g, g.channel(channel_id)?))) else {
            return;
        };
        let p = effective(member_permissions(g, c, user), c.kind);
        assert!(p & VIEW_CHANNEL != 0, "{} cannot see #{} (VIEW_CHANNEL), so cannot act there", user.name, c.name);
        assert!(
            !commands || p & USE_APPLICATION_COMMANDS != 0,
            "{} lacks USE_APPLICATION_COMMANDS in #{}, so the client shows no commands there",
            user.name,
            c.name
        );
    }

    /// Builds a slash-command (type 2) or autocomplete (type 4) payload,
    /// checking what a Discord client checks (with `checked` false only
    /// what cannot be bypassed). See `StandIn::slash`.
    pub fn command_interaction(
        &mut self,
        name: &str,
        options: Value,
        user: &TestUser,
        place: Place,
        autocomplete: bool,
        checked: bool,
    ) -> (u64, Value) {
        self.place_channel(place);
        let mut path = name.split_whitespace();
        let root = path.next().unwrap_or_default().to_string();
        let subs: Vec<String> = path.map(str::to_string).collect();
        let visible = self.visible_commands(place);
        let Some(command) = visible.iter().find(|c| {
            c.get("name").and_then(Value::as_str) == Some(root.as_str())
                && c.get("type").and_then(Value::as_u64).unwrap_or(1) == 1
        }) else {
            let names: Vec<&str> = visible.iter().filter_map(|c| c.get("name").and_then(Value::as_str)).collect();
            panic!("/{root} is not registered where {place:?} is; a member sees {names:?}");
        };
        check_available(command, user, place, checked);
        if checked {
            self.check_member_can(user, place, true);
        }

        // Walk down to the subcommand whose options the member fills in.
        let mut defs: Vec<Value> = array(command.get("options"));
        for sub in &subs {
            let Some(def) = defs.iter().find(|o| {
                o.get("name").and_then(Value::as_str) == Some(sub.as_str())
                    && matches!(o.get("type").and_then(Value::as_u64), Some(1 | 2))
            }) else {
                panic!("/{name}: {sub:?} is not a subcommand of /{root}");
            };
            defs = array(def.get("options"));
        }
        if defs.iter().any(|d| matches!(d.get("type").and_then(Value::as_u64), Some(1 | 2))) {
            panic!("/{name} has subcommands; name one (\"{name} <sub>\")");
        }

        let given = match options {
            Value::Null => Vec::new(),
            Value::Array(list) => list,
            other => panic!("/{name}: options must be a JSON array, got {other}"),
        };
        let mut filled: Vec<Value> = Vec::new();
        let mut focused = 0;
        let mut resolved = Resolved::default();
        for opt in given {
            let oname = opt
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("/{name}: option without a name: {opt}"))
                .to_string();
            let Some(def) = defs.iter().find(|d| d.get("name").and_then(Value::as_str) == Some(oname.as_str())) else {
                panic!("/{name} has no option {oname:?}");
            };
            if filled.iter().any(|o| o["name"] == oname.as_str()) {
                panic!("/{name}: option {oname:?} given twice");
            }
            if opt.get("focused").and_then(Value::as_bool).unwrap_or(false) {
                focused += 1;
                if !def.get("autocomplete").and_then(Value::as_bool).unwrap_or(false) {
                    panic!("/{name}: option {oname:?} is not declared with autocomplete");
                }
            }
            filled.push(self.fill_option(name, def, &opt, user, place, checked, autocomplete, &mut resolved));
        }
        if autocomplete && focused != 1 {
            panic!("/{name}: an autocomplete interaction needs exactly one option with \"focused\": true");
        }
        if !autocomplete {
            for d in &defs {
                let required = d.get("required").and_then(Value::as_bool).unwrap_or(false);
                let dname = d.get("name").and_then(Value::as_str).unwrap_or_default();
                if required && !filled.iter().any(|o| o["name"] == dname) {
                    panic!("/{name}: the required option {dname:?} is missing");
                }
            }
        }

        // Wrap the filled options in their subcommand (and group).
        let mut nested = filled;
        let mut defs_walk: Vec<Value> = array(command.get("options"));
        let mut kinds = Vec::new();
        for sub in &subs {
            let def = defs_walk
                .iter()
                .find(|o| o.get("name").and_then(Value::as_str) == Some(sub.as_str()))
                .cloned()
                .unwrap_or(Value::Null);
            kinds.push(def.get("type").and_then(Value::as_u64).unwrap_or(1));
            defs_walk = array(def.get("options"));
        }
        for (sub, kind) in subs.iter().zip(kinds).rev() {
            nested = vec![json!({"name": sub, "type": kind, "options": nested})];
        }

        let mut data = json!({
            "id": command.get("id").cloned().unwrap_or(Value::Null),
            "name": root,
            "type": 1,
            "options": nested,
        });
        if let Some(g) = command.get("guild_id").filter(|g| !g.is_null()) {
            data["guild_id"] = g.clone();
        }
        if let Some(resolved) = resolved.into_json() {
            data["resolved"] = resolved;
        }
        self.remember_user(user, place);
        let id = self.next_id();
        let token = self.new_token(id);
        let channel_name = self.channel_name(place);
        let mut payload = payloads::interaction(InteractionParts {
            id,
            token: &token,
            kind: if autocomplete { 4 } else { 2 },
            data,
            user,
            place,
            channel_name: channel_name.as_deref(),
            joined_at: &self.joined_at,
            message: None,
        });
        self.apply_permissions(&mut payload, user, place);
        (id, payload)
    }

    /// Builds a component payload (type 3) for a button (`values` None) or
    /// a string select on `message`.
    pub fn component_interaction(
        &mut self,
        custom_id: &str,
        values: Option<&[&str]>,
        message: &Value,
        user: &TestUser,
        place: Place,
    ) -> (u64, Value) {
        self.place_channel(place);
        self.check_member_can(user, place, false);
        if let Some(mid) = snowflake(message.get("id")).filter(|m| self.deleted_messages.contains(m)) {
            panic!("message {mid} was deleted; nobody can click it");
        }
        let components: Vec<&Value> = message
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|row| row.get("components").and_then(Value::as_array).into_iter().flatten())
            .collect();
        let Some(component) = components.iter().find(|c| c.get("custom_id").and_then(Value::as_str) == Some(custom_id))
        else {
            let ids: Vec<&str> = components.iter().filter_map(|c| c.get("custom_id").and_then(Value::as_str)).collect();
            panic!("the message has no component {custom_id:?}; it has {ids:?}");
        };
        if component.get("disabled").and_then(Value::as_bool).unwrap_or(false) {
            panic!("component {custom_id:?} is disabled; a member cannot use it");
        }
        if let Some(ch) = snowflake(message.get("channel_id")) {
            assert_eq!(ch, place.channel_id(), "the message is in channel {ch}, not in {place:?}");
        }
        let kind = component.get("type").and_then(Value::as_u64).unwrap_or(0);
        let data = match values {
            None => {
                assert_eq!(kind, 2, "{custom_id:?} is not a button (type {kind})");
                json!({"custom_id": custom_id, "component_type": 2})
            }
            Some(values) => {
                assert_eq!(kind, 3, "{custom_id:?} is not a string select (type {kind})");
                let options = array(component.get("options"));
                for v in values {
                    assert!(
                        options.iter().any(|o| o.get("value").and_then(Value::as_str) == Some(v)),
                        "{v:?} is not an option of select {custom_id:?}"
                    );
                }
                json!({"custom_id": custom_id, "component_type": 3, "values": values})
            }
        };
        self.interaction_on(3, data, Some(message.clone()), user, place)
    }
}

impl State {
    /// Builds a modal submit (type 5) of `modal` (the `data` of the bot's
    /// type 9 callback) with the member's `values` by input id, as Discord
    /// sends it: on `message` when the modal was opened from one of its
    /// buttons. Panics where Discord's client would not let the member
    /// submit: a required input left empty, a value outside the input's
    /// lengths, or an input the modal does not have.
    pub fn modal_submit(
        &mut self,
        modal: &Value,
        values: &[(&str, &str)],
        message: Option<&Value>,
        user: &TestUser,
        place: Place,
    ) -> (u64, Value) {
        self.place_channel(place);
        self.check_member_can(user, place, false);
        let custom_id = modal.get("custom_id").and_then(Value::as_str).expect("a modal has a custom_id");
        let inputs: Vec<Value> =
            array(modal.get("components")).iter().flat_map(|row| array(row.get("components"))).collect();
        for (id, _) in values {
            assert!(
                inputs.iter().any(|i| i.get("custom_id").and_then(Value::as_str) == Some(id)),
                "the modal has no input {id:?}"
            );
        }
        let mut rows = Vec::new();
        for input in &inputs {
            let id = input.get("custom_id").and_then(Value::as_str).unwrap_or_default();
            let value = values.iter().find(|(v, _)| *v == id).map_or("", |(_, v)| v);
            let n = value.chars().count() as u64;
            let required = input.get("required").and_then(Value::as_bool).unwrap_or(true);
            assert!(!(required && n == 0), "input {id:?} is required; the member cannot submit it empty");
            if n > 0 {
                let min = input.get("min_length").and_then(Value::as_u64).unwrap_or(0);
                let max = input.get("max_length").and_then(Value::as_u64).unwrap_or(4000);
                assert!((min..=max).contains(&n), "input {id:?} takes {min}..={max} characters, not {n}");
            }
            rows.push(json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]}));
        }
        let data = json!({"custom_id": custom_id, "components": rows});
        self.interaction_on(5, data, message.cloned(), user, place)
    }

    /// A component (3) or modal submit (5) payload from `user` in `place`,
    /// on `message` if any.
    fn interaction_on(
        &mut self,
        kind: u64,
        data: Value,
        message: Option<Value>,
        user: &TestUser,
        place: Place,
    ) -> (u64, Value) {
        self.remember_user(user, place);
        let id = self.next_id();
        let token = self.new_token(id);
        let channel_name = self.channel_name(place);
        let mut payload = payloads::interaction(InteractionParts {
            id,
            token: &token,
            kind,
            data,
            user,
            place,
            channel_name: channel_name.as_deref(),
            joined_at: &self.joined_at,
            message,
        });
        self.apply_permissions(&mut payload, user, place);
        (id, payload)
    }
}

/// A JSON array field as a Vec (empty if absent).
fn array(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Panics where Discord would not offer `command` to `user` in `place`:
/// contexts and (if `checked`) default member permissions.
fn check_available(command: &Value, user: &TestUser, place: Place, checked: bool) {
    let name = command.get("name").and_then(Value::as_str).unwrap_or_default();
    let context = if place.guild_id().is_some() { 0 } else { 1 };
    if let Some(contexts) = command.get("contexts").and_then(Value::as_array) {
        if !contexts.iter().any(|c| c.as_u64() == Some(context)) {
            panic!("/{name} is not available in {place:?} (contexts {contexts:?})");
        }
    } else if context == 1 && command.get("dm_permission").and_then(Value::as_bool) == Some(false) {
        panic!("/{name} is not available in DMs (dm_permission false)");
    }
    if checked && place.guild_id().is_some() {
        let required =
            command.get("default_member_permissions").and_then(Value::as_str).and_then(|s| s.parse::<u64>().ok());
        if let Some(required) = required {
            let allowed =
                user.permissions & ADMINISTRATOR != 0 || (required != 0 && user.permissions & required == required);
            if !allowed {
                panic!(
                    "/{name} needs permissions {required:#x}; {} has {:#x}, so Discord hides it",
                    user.name, user.permissions
                );
            }
        }
    }
}
