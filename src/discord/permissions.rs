//! What the bot may do in a channel, computed the way Discord does, so
//! `/daily set` can name a missing permission before the first post fails.
//!
//! The bot has no cache (it would cost memory in every server for a check
//! that runs on a rare admin command), so the inputs come from three REST
//! calls: the channel (its overwrites), the server's roles, the bot's member.

use poise::serenity_prelude as serenity;
use serenity::{GuildChannel, PermissionOverwriteType, Permissions, Role, RoleId, UserId};

/// What a daily post needs in its channel, with the names Discord's client
/// shows.
pub const NEEDED: [(Permissions, &str); 3] = [
    (Permissions::VIEW_CHANNEL, "View Channel"),
    (Permissions::SEND_MESSAGES, "Send Messages"),
    (Permissions::EMBED_LINKS, "Embed Links"),
];

/// The permissions of `member` (with `member_roles`) in `channel`.
/// `roles` are the server's roles; the @everyone role has the server's id.
pub fn in_channel(channel: &GuildChannel, roles: &[Role], member: UserId, member_roles: &[RoleId]) -> Permissions {
    let everyone = RoleId::new(channel.guild_id.get());
    let mut base = roles.iter().find(|r| r.id == everyone).map_or(Permissions::empty(), |r| r.permissions);
    for role in roles.iter().filter(|r| member_roles.contains(&r.id)) {
        base |= role.permissions;
    }
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::all();
    }
    let mut perms = base;
    let overwrites = &channel.permission_overwrites;
    if let Some(o) = overwrites.iter().find(|o| o.kind == PermissionOverwriteType::Role(everyone)) {
        perms = (perms & !o.deny) | o.allow;
    }
    let (mut allow, mut deny) = (Permissions::empty(), Permissions::empty());
    for o in overwrites {
        if let PermissionOverwriteType::Role(id) = o.kind {
            if id != everyone && member_roles.contains(&id) {
                allow |= o.allow;
                deny |= o.deny;
            }
        }
    }
    perms = (perms & !deny) | allow;
    if let Some(o) = overwrites.iter().find(|o| o.kind == PermissionOverwriteType::Member(member)) {
        perms = (perms & !o.deny) | o.allow;
    }
    perms
}

/// Whether a member with these permissions may manage the server: what
/// the admin commands (`/daily`, `/bank`) and their buttons require.
pub fn manages_server(perms: Option<Permissions>) -> bool {
    perms.is_some_and(|p| p.contains(Permissions::MANAGE_GUILD) || p.contains(Permissions::ADMINISTRATOR))
}

/// Names of the needed permissions `perms` lacks, in Discord's wording.
pub fn missing(perms: Permissions) -> Vec<&'static str> {
    NEEDED.iter().filter(|(p, _)| !perms.contains(*p)).map(|(_, name)| *name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GUILD: u64 = 100;
    const BOT: u64 = 7;
    const BOT_ROLE: u64 = 200;

    fn role(id: u64, perms: Permissions) -> Role {
        serde_json::from_value(json!({
            "id": id.to_string(), "name": "r", "color": 0, "colors": {"primary_color": 0}, "hoist": false,
            "managed": false, "mentionable": false, "permissions": perms.bits().to_string(), "position": 0,
            "flags": 0
        }))
        .unwrap()
    }

    fn channel(overwrites: serde_json::Value) -> GuildChannel {
        serde_json::from_value(json!({
            "id": "300", "guild_id": GUILD.to_string(), "type": 0, "name": "daily", "position": 0,
            "permission_overwrites": overwrites, "nsfw": false
        }))
        .unwrap()
    }

    fn overwrite(id: u64, kind: u8, allow: Permissions, deny: Permissions) -> serde_json::Value {
        json!({"id": id.to_string(), "type": kind, "allow": allow.bits().to_string(), "deny": deny.bits().to_string()})
    }

    fn bot_perms(roles: &[Role], overwrites: serde_json::Value) -> Permissions {
        in_channel(&channel(overwrites), roles, UserId::new(BOT), &[RoleId::new(BOT_ROLE)])
    }

    fn everyday() -> Permissions {
        Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS
    }

    #[test]
    fn base_permissions_come_from_everyone_and_own_roles() {
        let roles = [role(GUILD, Permissions::VIEW_CHANNEL), role(BOT_ROLE, Permissions::SEND_MESSAGES)];
        assert_eq!(missing(bot_perms(&roles, json!([]))), ["Embed Links"]);
    }

    #[test]
    fn administrator_overrides_everything() {
        let roles = [role(GUILD, Permissions::empty()), role(BOT_ROLE, Permissions::ADMINISTRATOR)];
        let deny_all = overwrite(GUILD, 0, Permissions::empty(), everyday());
        assert!(missing(bot_perms(&roles, json!([deny_all]))).is_empty());
    }

    #[test]
    fn overwrites_apply_everyone_then_roles_then_member() {
        let roles = [role(GUILD, everyday()), role(BOT_ROLE, Permissions::empty())];
        // @everyone may not send here...
        let everyone = overwrite(GUILD, 0, Permissions::empty(), Permissions::SEND_MESSAGES);
        assert_eq!(missing(bot_perms(&roles, json!([everyone.clone()]))), ["Send Messages"]);
        // ...but the bot's role may...
        let bot_role = overwrite(BOT_ROLE, 0, Permissions::SEND_MESSAGES, Permissions::empty());
        assert!(missing(bot_perms(&roles, json!([everyone.clone(), bot_role.clone()]))).is_empty());
        // ...unless the bot itself is denied embeds.
        let member = overwrite(BOT, 1, Permissions::empty(), Permissions::EMBED_LINKS);
        assert_eq!(missing(bot_perms(&roles, json!([everyone, bot_role, member]))), ["Embed Links"]);
    }

    #[test]
    fn a_role_overwrite_the_bot_lacks_does_not_count() {
        let roles = [role(GUILD, everyday())];
        let other_role = overwrite(999, 0, Permissions::empty(), everyday());
        assert!(missing(bot_perms(&roles, json!([other_role]))).is_empty());
    }
}
