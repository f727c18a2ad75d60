//! The JSON shapes the stand-in sends: users, guilds, channels, members,
//! messages and interactions.
//!
//! Serenity silently drops a gateway event it cannot deserialize (its `Event`
//! enum falls back to `Unknown`), so every field a serenity 0.12.5 model marks
//! as required must be present here. `tests/self_test.rs` deserializes each
//! shape with serenity's own types to keep it that way; when Discord or
//! serenity add a required field, that test fails first.

use serde_json::{json, Map, Value};

use super::{ChannelSpec, GuildSpec, Place, RoleSpec, TestUser, APP_ID, BOT_ID};

/// Bit 6: only the invoking user sees the message.
pub const EPHEMERAL: u64 = 1 << 6;
/// Bit 7: a deferred interaction response still "thinking".
pub const LOADING: u64 = 1 << 7;
/// Bit 2: embeds are not shown.
pub const SUPPRESS_EMBEDS: u64 = 1 << 2;
/// Bit 12: a message that does not notify.
pub const SUPPRESS_NOTIFICATIONS: u64 = 1 << 12;
/// Bit 15: the newer layout components; the stand-in does not model them.
pub const IS_COMPONENTS_V2: u64 = 1 << 15;

/// Attachment size limit Discord reports in interactions (bytes).
pub const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

/// Discord's current time in the format it uses (RFC 3339, UTC).
pub fn now_timestamp() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).expect("format the time")
}

/// A user object as Discord embeds it in members, messages and interactions.
pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": if bot { Value::Null } else { Value::from(name) },
        "avatar": null,
        "bot": bot,
        "system": false,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
        "primary_guild": null,
        "collectibles": null,
    })
}

/// The bot's own user, as in READY, `GET /users/@me` and message authors.
pub fn bot_user(name: &str) -> Value {
    let mut u = user(BOT_ID, name, true);
    if let Some(map) = u.as_object_mut() {
        map.insert("verified".into(), Value::Bool(true));
        map.insert("mfa_enabled".into(), Value::Bool(false));
        map.insert("locale".into(), Value::from("en-US"));
        map.insert("email".into(), Value::Null);
    }
    u
}

/// `GET /oauth2/applications/@me`: poise reads `owner` (and `team`) from it
/// to fill the framework's owner list before it registers commands.
pub fn application_info(bot_name: &str, owner: &TestUser) -> Value {
    json!({
        "id": APP_ID.to_string(),
        "name": bot_name,
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "bot_public": false,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "owner": user(owner.id, &owner.name, false),
        "team": null,
        "flags": 0,
        "tags": [],
        "integration_types_config": {"0": {}},
        "approximate_guild_count": 1,
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "bot": bot_user(bot_name),
    })
}

/// A role as Discord sends it (GUILD_CREATE, `GET /guilds/{id}/roles`,
/// resolved roles). Serenity 0.12.5 requires `colors { primary_color }`
/// besides the classic `color`; `permissions` is the bit set as a string.
pub fn role(role: &RoleSpec) -> Value {
    let mut r = json!({
        "id": role.id.to_string(),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": null, "tertiary_color": null},
        "hoist": role.hoist,
        "icon": null,
        "unicode_emoji": null,
        "position": role.position,
        "permissions": role.permissions.to_string(),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    });
    if let (Some(bot), Some(map)) = (role.bot_id, r.as_object_mut()) {
        map.insert("tags".into(), json!({"bot_id": bot.to_string()}));
    }
    r
}

/// The default `@everyone` role (its id is the guild's), granting
/// [`DEFAULT_MEMBER_PERMISSIONS`](super::DEFAULT_MEMBER_PERMISSIONS).
pub fn everyone_role(guild_id: u64) -> Value {
    role(&RoleSpec::everyone(guild_id, super::DEFAULT_MEMBER_PERMISSIONS))
}

/// A guild channel as in GUILD_CREATE, `GET /channels/{id}` and
/// `GET /guilds/{id}/channels`, with the fields Discord sends for its kind
/// (voice: bitrate, user_limit, rtc_region; threads: thread_metadata and
/// no overwrites or position of their own).
pub fn guild_channel(guild_id: u64, channel: &ChannelSpec, position: usize) -> Value {
    let mut c = json!({
        "id": channel.id.to_string(),
        "type": channel.kind,
        "guild_id": guild_id.to_string(),
        "name": channel.name,
        "parent_id": channel.parent_id.map(|p| p.to_string()),
        "flags": 0,
        "nsfw": false,
    });
    let Some(map) = c.as_object_mut() else {
        return c;
    };
    if !channel.is_thread() {
        let overwrites: Vec<Value> = channel.overwrites.iter().map(|o| o.to_json(guild_id)).collect();
        map.insert("position".into(), Value::from(position));
        map.insert("permission_overwrites".into(), Value::Array(overwrites));
    }
    let extra = match channel.kind {
        ChannelSpec::CATEGORY => json!({}),
        ChannelSpec::VOICE | ChannelSpec::STAGE => json!({
            "bitrate": 64000,
            "user_limit": 0,
            "rtc_region": null,
            "last_message_id": null,
            "rate_limit_per_user": 0,
        }),
        ChannelSpec::FORUM => json!({
            "topic": channel.topic,
            "last_message_id": null,
            "rate_limit_per_user": 0,
            "available_tags": [],
            "default_reaction_emoji": null,
            "default_sort_order": null,
            "default_forum_layout": 0,
            "default_thread_rate_limit_per_user": 0,
        }),
        10..=12 => {
            let now = now_timestamp();
            json!({
                "last_message_id": null,
                "rate_limit_per_user": 0,
                "owner_id": BOT_ID.to_string(),
                "message_count": 0,
                "member_count": 1,
                "total_message_sent": 0,
                "thread_metadata": {
                    "archived": false,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": now,
                    "locked": false,
                    "create_timestamp": now,
                },
            })
        }
        _ => json!({
            "topic": channel.topic,
            "last_message_id": null,
            "rate_limit_per_user": 0,
        }),
    };
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    c
}

/// A channel as `data.resolved.channels` carries it: id, name, type, the
/// invoking member's `permissions` there, and for threads `parent_id` and
/// `thread_metadata`.
/// A file a member attached to a slash command, as `data.resolved`
/// carries it: served by the stand-in's CDN.
pub fn slash_attachment(id: u64, filename: &str, size: usize, api_base: &str) -> Value {
    let url = format!("{api_base}/cdn/attachments/{id}/{filename}?ex=0&is=0&hm=0");
    let content_type = match filename.rsplit_once('.').map(|(_, e)| e.to_lowercase()) {
        Some(e) if e == "md" || e == "markdown" => Some("text/markdown; charset=utf-8"),
        Some(e) if e == "txt" => Some("text/plain; charset=utf-8"),
        Some(e) if e == "png" => Some("image/png"),
        _ => None,
    };
    json!({
        "id": id.to_string(),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "ephemeral": true,
    })
}

pub fn resolved_channel(channel: &ChannelSpec, permissions: u64) -> Value {
    let mut c = json!({
        "id": channel.id.to_string(),
        "name": channel.name,
        "type": channel.kind,
        "permissions": permissions.to_string(),
    });
    if channel.is_thread() {
        let now = now_timestamp();
        c["parent_id"] = Value::from(channel.parent_id.map(|p| p.to_string()));
        c["thread_metadata"] = json!({
            "archived": false,
            "auto_archive_duration": 1440,
            "archive_timestamp": now,
            "locked": false,
            "create_timestamp": now,
        });
    }
    c
}

/// A bot's DM channel with `user` (type 1), as `POST /users/@me/channels` returns it.
pub fn dm_channel(channel_id: u64, user_json: &Value) -> Value {
    json!({
        "id": channel_id.to_string(),
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [user_json],
    })
}

/// A guild member; `permissions` is only present where Discord sends it
/// (interactions), pass `None` elsewhere.
pub fn member(user_json: &Value, permissions: Option<u64>, joined_at: &str) -> Value {
    member_with_roles(user_json, &[], permissions, joined_at)
}

/// A guild member with role ids `roles` (@everyone is never listed).
pub fn member_with_roles(user_json: &Value, roles: &[u64], permissions: Option<u64>, joined_at: &str) -> Value {
    let roles: Vec<String> = roles.iter().map(u64::to_string).collect();
    let mut m = json!({
        "user": user_json,
        "nick": null,
        "avatar": null,
        "banner": null,
        "roles": roles,
        "joined_at": joined_at,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "unusual_dm_activity_until": null,
    });
    if let (Some(p), Some(map)) = (permissions, m.as_object_mut()) {
        map.insert("permissions".into(), Value::from(p.to_string()));
    }
    m
}

/// Every channel of `guild` that is not a thread, with its position.
pub fn guild_channels(guild: &GuildSpec) -> Vec<Value> {
    guild.channels.iter().filter(|c| !c.is_thread()).enumerate().map(|(i, c)| guild_channel(guild.id, c, i)).collect()
}

/// One channel (or thread) of `guild` as `GET /channels/{id}` returns it.
pub fn channel_of(guild: &GuildSpec, channel: &ChannelSpec) -> Value {
    let position = guild.channels.iter().filter(|c| !c.is_thread()).position(|c| c.id == channel.id).unwrap_or(0);
    guild_channel(guild.id, channel, position)
}

/// The guild object (`GET /guilds/{id}`; GUILD_CREATE adds more). Serenity
/// 0.12.5's `PartialGuild` and `Guild` need, among others,
/// `premium_progress_bar_enabled`, `stickers`, `nsfw_level`,
/// `system_channel_flags`, `preferred_locale` and `mfa_level`.
pub fn guild_object(guild: &GuildSpec) -> Value {
    let mut roles: Vec<&RoleSpec> = guild.roles.iter().collect();
    roles.sort_by_key(|r| (r.position, r.id));
    let roles: Vec<Value> = roles.into_iter().map(role).collect();
    let mut guild_json = json!({
        "id": guild.id.to_string(),
        "name": guild.name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "home_header": null,
        "owner_id": guild.owner_id.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
    });
    // Split in two: one `json!` this size exceeds the macro recursion limit.
    let more = json!({
        "nsfw": false,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "incidents_data": null,
    });
    if let (Some(map), Value::Object(extra)) = (guild_json.as_object_mut(), more) {
        map.extend(extra);
    }
    guild_json
}

/// The GUILD_CREATE payload for `guild`. Serenity 0.12.5's `Guild` requires,
/// besides the guild object's fields, `joined_at`, `large`, `member_count`,
/// `members`, `channels`, `threads`, `presences`, `voice_states`,
/// `stage_instances` and `guild_scheduled_events`. The bot's own member
/// carries its roles; threads go to `threads`, not `channels`.
pub fn guild_create(guild: &GuildSpec, bot_name: &str, joined_at: &str) -> Value {
    let threads: Vec<Value> =
        guild.channels.iter().filter(|c| c.is_thread()).map(|c| guild_channel(guild.id, c, 0)).collect();
    let mut guild_json = guild_object(guild);
    let mut members = vec![member_with_roles(&bot_user(bot_name), &guild.bot_roles, None, joined_at)];
    members.extend(guild.members.iter().map(|(id, name)| member(&user(*id, name, false), None, joined_at)));
    let create_fields = json!({
        "joined_at": joined_at,
        "large": false,
        "unavailable": false,
        "member_count": members.len() + 1,
        "voice_states": [],
        "members": members,
        "channels": guild_channels(guild),
        "threads": threads,
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "lazy": true,
    });
    if let (Some(map), Value::Object(extra)) = (guild_json.as_object_mut(), create_fields) {
        map.extend(extra);
    }
    guild_json
}

/// The `channel` object Discord attaches to an interaction.
pub fn interaction_channel(place: Place, guild_channel_name: Option<&str>, user_json: &Value) -> Value {
    match place {
        Place::Guild { guild_id, channel_id } => json!({
            "id": channel_id.to_string(),
            "type": 0,
            "guild_id": guild_id.to_string(),
            "name": guild_channel_name.unwrap_or("channel"),
            "permissions": super::BOT_CHANNEL_PERMISSIONS.to_string(),
            "flags": 0,
            "nsfw": false,
            "parent_id": null,
        }),
        Place::Dm { channel_id } => json!({
            "id": channel_id.to_string(),
            "type": 1,
            "flags": 0,
            "recipients": [user_json],
        }),
        Place::Foreign { guild_id, channel_id } => json!({
            "id": channel_id.to_string(),
            "type": 0,
            "guild_id": guild_id.to_string(),
            "name": "elsewhere",
            "permissions": USER_INSTALL_PERMISSIONS.to_string(),
            "flags": 0,
            "nsfw": false,
            "parent_id": null,
        }),
    }
}

/// The `channel` object of a guild interaction in `channel`, with the
/// invoking member's `permissions` there.
pub fn interaction_guild_channel(guild_id: u64, channel: &ChannelSpec, permissions: u64) -> Value {
    let mut c = json!({
        "id": channel.id.to_string(),
        "type": channel.kind,
        "guild_id": guild_id.to_string(),
        "name": channel.name,
        "permissions": permissions.to_string(),
        "flags": 0,
        "nsfw": false,
        "parent_id": channel.parent_id.map(|p| p.to_string()),
    });
    if channel.is_thread() {
        let resolved = resolved_channel(channel, permissions);
        c["thread_metadata"] = resolved["thread_metadata"].clone();
    }
    c
}

/// Everything an INTERACTION_CREATE carries around its `data`. Serenity
/// 0.12.5 requires `attachment_size_limit`, `entitlements`, `locale` and
/// `version` besides the obvious `id`, `application_id`, `type`, `token`
/// and `data`. A guild interaction carries `member` (with `permissions`), a
/// DM one `user` instead, no `guild_id`, and `context` 1.
pub struct InteractionParts<'a> {
    pub id: u64,
    pub token: &'a str,
    pub kind: u64,
    pub data: Value,
    pub user: &'a TestUser,
    pub place: Place,
    pub channel_name: Option<&'a str>,
    pub joined_at: &'a str,
    pub message: Option<Value>,
}

/// What an app installed to a user may do in a server it is not in:
/// attach files, embed links, mention everyone, use external emojis.
pub const USER_INSTALL_PERMISSIONS: u64 = (1 << 15) | (1 << 14) | (1 << 17) | (1 << 18);

pub fn interaction(parts: InteractionParts<'_>) -> Value {
    let user_json = user(parts.user.id, &parts.user.name, false);
    let channel = interaction_channel(parts.place, parts.channel_name, &user_json);
    let mut map = Map::new();
    map.insert("id".into(), Value::from(parts.id.to_string()));
    map.insert("application_id".into(), Value::from(APP_ID.to_string()));
    map.insert("type".into(), Value::from(parts.kind));
    map.insert("data".into(), parts.data);
    map.insert("channel_id".into(), Value::from(parts.place.channel_id().to_string()));
    map.insert("channel".into(), channel);
    map.insert("token".into(), Value::from(parts.token));
    map.insert("version".into(), Value::from(1));
    map.insert("app_permissions".into(), Value::from(super::BOT_CHANNEL_PERMISSIONS.to_string()));
    map.insert("locale".into(), Value::from("en-US"));
    map.insert("entitlements".into(), json!([]));
    map.insert("attachment_size_limit".into(), Value::from(ATTACHMENT_SIZE_LIMIT));
    match parts.place {
        Place::Guild { guild_id, .. } => {
            map.insert("guild_id".into(), Value::from(guild_id.to_string()));
            map.insert("guild_locale".into(), Value::from("en-US"));
            map.insert("guild".into(), json!({"id": guild_id.to_string(), "locale": "en-US", "features": []}));
            map.insert("member".into(), member(&user_json, Some(parts.user.permissions), parts.joined_at));
            map.insert("authorizing_integration_owners".into(), json!({"0": guild_id.to_string()}));
            map.insert("context".into(), Value::from(0));
        }
        Place::Dm { .. } => {
            map.insert("user".into(), user_json);
            // A guild-installed app used in the bot's DM: owner "0".
            map.insert("authorizing_integration_owners".into(), json!({"0": "0"}));
            map.insert("context".into(), Value::from(1));
        }
        Place::Foreign { guild_id, .. } => {
            map.insert("guild_id".into(), Value::from(guild_id.to_string()));
            map.insert("guild_locale".into(), Value::from("en-US"));
            map.insert("guild".into(), json!({"id": guild_id.to_string(), "locale": "en-US", "features": []}));
            map.insert("member".into(), member(&user_json, Some(parts.user.permissions), parts.joined_at));
            // Only the member's own install authorizes it.
            map.insert("authorizing_integration_owners".into(), json!({"1": parts.user.id.to_string()}));
            map.insert("context".into(), Value::from(0));
            map.insert("app_permissions".into(), Value::from(USER_INSTALL_PERMISSIONS.to_string()));
        }
    }
    if let Some(message) = parts.message {
        map.insert("message".into(), message);
    }
    Value::Object(map)
}

/// What Discord echoes in a message for the interaction that created it.
pub struct InteractionMeta {
    pub id: u64,
    pub kind: u64,
    pub user: Value,
    pub owners: Value,
    pub name: Option<String>,
    pub interacted_message_id: Option<u64>,
    pub original_response_message_id: Option<u64>,
    /// A modal submit's: the interaction that opened the modal.
    pub triggering: Option<Box<InteractionMeta>>,
}

/// A message as Discord returns it over REST: the bot as author, the
/// content, embeds, components and flags from `body`, plus `extra` fields
/// (`nonce`, `webhook_id`, `interaction_metadata`, …).
pub fn message(
    id: u64,
    channel_id: u64,
    author: &Value,
    kind: u64,
    body: &Value,
    meta: Option<&InteractionMeta>,
) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": "",
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "reactions": [],
        "pinned": false,
        "type": kind,
        "flags": 0,
    });
    if let Some(map) = m.as_object_mut() {
        apply_body(map, body, true);
        if let Some(meta) = meta {
            map.insert("webhook_id".into(), Value::from(APP_ID.to_string()));
            map.insert("application_id".into(), Value::from(APP_ID.to_string()));
            let im = interaction_metadata(meta);
            map.insert("interaction_metadata".into(), im);
        }
    }
    m
}

/// A message's `interaction_metadata`: who did what, and for a modal
/// submit what opened the modal (`triggering_interaction_metadata`, which
/// serenity requires there).
fn interaction_metadata(meta: &InteractionMeta) -> Value {
    let mut im = json!({
        "id": meta.id.to_string(),
        "type": meta.kind,
        "user": meta.user,
        "authorizing_integration_owners": meta.owners,
    });
    if let Some(im_map) = im.as_object_mut() {
        if let Some(name) = &meta.name {
            im_map.insert("name".into(), Value::from(name.as_str()));
        }
        if let Some(mid) = meta.interacted_message_id {
            im_map.insert("interacted_message_id".into(), Value::from(mid.to_string()));
        }
        if let Some(oid) = meta.original_response_message_id {
            im_map.insert("original_response_message_id".into(), Value::from(oid.to_string()));
        }
        if let Some(triggering) = &meta.triggering {
            im_map.insert("triggering_interaction_metadata".into(), interaction_metadata(triggering));
        }
    }
    im
}

/// A message attachment as Discord returns it for an uploaded file (the
/// fields serenity's `Attachment` requires, plus the content type).
pub fn attachment(id: u64, channel_id: &str, file: &super::Upload) -> Value {
    let url = format!("https://cdn.discordapp.com/attachments/{channel_id}/{id}/{}", file.filename);
    let mut a = json!({
        "id": id.to_string(),
        "filename": file.filename,
        "size": file.bytes.len(),
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        "url": url,
    });
    if !file.content_type.is_empty() {
        a["content_type"] = Value::from(file.content_type.as_str());
    }
    a
}

/// Copies the fields a create/edit body may set onto a stored message.
/// Absent fields stay as they are (Discord's PATCH semantics); on create the
/// flags are taken as sent, on edit only SUPPRESS_EMBEDS may change.
pub fn apply_body(message: &mut Map<String, Value>, body: &Value, create: bool) {
    let Some(body) = body.as_object() else {
        return;
    };
    if let Some(content) = body.get("content") {
        let text = content.as_str().unwrap_or_default();
        message.insert("content".into(), Value::from(text));
    }
    if let Some(embeds) = body.get("embeds") {
        let normalized: Vec<Value> =
            embeds.as_array().map(|list| list.iter().map(normalize_embed).collect()).unwrap_or_default();
        message.insert("embeds".into(), Value::Array(normalized));
    }
    if let Some(components) = body.get("components") {
        let list = if components.is_array() { components.clone() } else { json!([]) };
        message.insert("components".into(), list);
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        let old = message.get("flags").and_then(Value::as_u64).unwrap_or(0);
        let new = if create { flags } else { (old & !SUPPRESS_EMBEDS) | (flags & SUPPRESS_EMBEDS) };
        message.insert("flags".into(), Value::from(new));
    }
    if create {
        if let Some(nonce) = body.get("nonce") {
            message.insert("nonce".into(), nonce.clone());
        }
        if let Some(tts) = body.get("tts").and_then(Value::as_bool) {
            message.insert("tts".into(), Value::Bool(tts));
        }
    } else {
        message.insert("edited_timestamp".into(), Value::from(now_timestamp()));
    }
}

/// Discord stores every embed a bot sends as `type: "rich"`.
fn normalize_embed(embed: &Value) -> Value {
    let mut e = embed.clone();
    if let Some(map) = e.as_object_mut() {
        map.entry("type").or_insert_with(|| Value::from("rich"));
        if let Some(fields) = map.get_mut("fields").and_then(Value::as_array_mut) {
            for f in fields {
                if let Some(fm) = f.as_object_mut() {
                    fm.entry("inline").or_insert(Value::Bool(false));
                }
            }
        }
    }
    e
}
