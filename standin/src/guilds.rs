//! The guild and channel REST routes (`GET /guilds/{id}`, its roles,
//! channels and members, `GET /channels/{id}`) and the access checks
//! Discord makes before the bot may read or post in a channel.
//!
//! What a bot is expected to handle — a channel deleted under it (404
//! 10003), a guild it was removed from or a channel it cannot see (403
//! 50001), missing Send Messages or Embed Links (403 50013), a category
//! (400 50008) — is answered as Discord answers it and recorded as an
//! ordinary request, not as a violation.

use serde_json::Value;

use super::payloads;
use super::permissions::{
    effective, ATTACH_FILES, EMBED_LINKS, READ_MESSAGE_HISTORY, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS,
};
use super::rest::{snowflake_str, Reply, Req};
use super::state::{Found, State};
use super::{GuildSpec, BOT_ID, BOT_NAME, VIEW_CHANNEL};

pub(super) fn unknown_channel() -> Reply {
    Reply::error(404, 10003, "Unknown Channel")
}

pub(super) fn missing_access() -> Reply {
    Reply::error(403, 50001, "Missing Access")
}

pub(super) fn missing_permissions() -> Reply {
    Reply::error(403, 50013, "Missing Permissions")
}

/// A guild the bot is in; 403 50001 for one it was removed from, 404
/// 10004 for an id it never knew.
fn joined<'a>(st: &'a State, gid: &str) -> Result<&'a GuildSpec, Reply> {
    let Some(id) = snowflake_str(gid) else {
        return Err(Reply::error(404, 10004, "Unknown Guild"));
    };
    if let Some(g) = st.guild(id) {
        return Ok(g);
    }
    if st.left_guilds.iter().any(|g| g.id == id) {
        return Err(missing_access());
    }
    Err(Reply::error(404, 10004, "Unknown Guild"))
}

/// `GET /guilds/{id}` (`?with_counts=true` adds the approximate counts).
pub(super) fn get_guild(st: &State, req: &Req<'_>, gid: &str) -> Reply {
    let g = match joined(st, gid) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let mut body = payloads::guild_object(g);
    // Deprecated, but still in every response Discord sends.
    body["region"] = Value::from("deprecated");
    let with_counts = req.query.iter().any(|(k, v)| k == "with_counts" && v == "true");
    if with_counts {
        let members = st.members.keys().filter(|(gid, uid)| *gid == g.id && *uid != g.owner_id).count();
        body["approximate_member_count"] = Value::from(2 + members);
        body["approximate_presence_count"] = Value::from(1);
    }
    Reply::ok(body)
}

/// `GET /guilds/{id}/roles`, lowest position first.
pub(super) fn get_roles(st: &State, gid: &str) -> Reply {
    match joined(st, gid) {
        Ok(g) => {
            let list = payloads::guild_object(g)["roles"].clone();
            Reply::ok(list)
        }
        Err(reply) => reply,
    }
}

/// `GET /guilds/{id}/roles/{role}`.
pub(super) fn get_role(st: &State, gid: &str, rid: &str) -> Reply {
    let g = match joined(st, gid) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    match snowflake_str(rid).and_then(|r| g.role(r)) {
        Some(r) => Reply::ok(payloads::role(r)),
        None => Reply::error(404, 10011, "Unknown Role"),
    }
}

/// `GET /guilds/{id}/channels`: every channel but threads, the ones the bot
/// cannot see included (as Discord does for bots).
pub(super) fn get_channels(st: &State, gid: &str) -> Reply {
    match joined(st, gid) {
        Ok(g) => Reply::ok(Value::Array(payloads::guild_channels(g))),
        Err(reply) => reply,
    }
}

/// `GET /guilds/{id}/members/{user}`: the bot (with its roles) or a member
/// a test has played there.
pub(super) fn get_member(st: &State, gid: &str, uid: &str) -> Reply {
    let g = match joined(st, gid) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let Some(uid) = snowflake_str(uid) else {
        return Reply::error(404, 10013, "Unknown User");
    };
    if uid == BOT_ID {
        let bot = payloads::bot_user(BOT_NAME);
        return Reply::ok(payloads::member_with_roles(&bot, &g.bot_roles, None, &st.joined_at));
    }
    match st.members.get(&(g.id, uid)) {
        Some(u) => Reply::ok(payloads::member(&payloads::user(u.id, &u.name, false), None, &st.joined_at)),
        None => Reply::error(404, 10007, "Unknown Member"),
    }
}

/// `GET /channels/{id}`: needs VIEW_CHANNEL.
pub(super) fn get_channel(st: &State, cid: &str) -> Reply {
    let Some(id) = snowflake_str(cid) else {
        return unknown_channel();
    };
    match st.find_channel(id) {
        Found::Guild(g, c) => {
            if effective(g.bot_permissions(c), c.kind) & VIEW_CHANNEL == 0 {
                return missing_access();
            }
            Reply::ok(payloads::channel_of(g, c))
        }
        Found::Dm(v) => Reply::ok(v),
        Found::NoAccess => missing_access(),
        Found::Unknown => unknown_channel(),
    }
}

/// What the bot may do in a channel it addresses by id, as Discord checks
/// it before looking at the request.
pub(super) enum Access {
    /// A DM channel: no permissions apply.
    Dm,
    /// A guild channel: the bot's effective permissions there and whether
    /// it is a thread.
    Guild { permissions: u64, thread: bool },
}

/// The channel exists for the bot and it can see it (404 10003, 403
/// 50001 otherwise); for posting, also that it takes messages (400 50008).
pub(super) fn access(st: &State, cid: &str, posting: bool) -> Result<(u64, Access), Reply> {
    let Some(id) = snowflake_str(cid) else {
        return Err(unknown_channel());
    };
    match st.find_channel(id) {
        Found::Guild(g, c) => {
            let permissions = effective(g.bot_permissions(c), c.kind);
            if permissions & VIEW_CHANNEL == 0 {
                return Err(missing_access());
            }
            if posting && !c.takes_messages() {
                return Err(Reply::error(400, 50008, "Cannot send messages in a non-text channel"));
            }
            Ok((id, Access::Guild { permissions, thread: c.is_thread() }))
        }
        Found::Dm(_) => Ok((id, Access::Dm)),
        Found::NoAccess => Err(missing_access()),
        Found::Unknown => Err(unknown_channel()),
    }
}

fn has_embeds(body: &Value) -> bool {
    body.get("embeds").and_then(Value::as_array).is_some_and(|e| !e.is_empty())
}

/// Creating a message: SEND_MESSAGES (in threads SEND_MESSAGES_IN_THREADS),
/// EMBED_LINKS for embeds, ATTACH_FILES for uploads; 403 50013 otherwise.
pub(super) fn may_post(access: &Access, req: &Req<'_>) -> Result<(), Reply> {
    let Access::Guild { permissions, thread } = *access else {
        return Ok(());
    };
    let send = if thread { SEND_MESSAGES_IN_THREADS } else { SEND_MESSAGES };
    let uploads = !req.files.is_empty();
    if permissions & send == 0
        || has_embeds(req.body) && permissions & EMBED_LINKS == 0
        || uploads && permissions & ATTACH_FILES == 0
    {
        return Err(missing_permissions());
    }
    Ok(())
}

/// Reading a message needs READ_MESSAGE_HISTORY; editing one to carry
/// embeds needs EMBED_LINKS; deleting its own needs only access.
pub(super) fn may_touch(access: &Access, req: &Req<'_>) -> Result<(), Reply> {
    let Access::Guild { permissions, .. } = *access else {
        return Ok(());
    };
    let denied = match req.method {
        "GET" => permissions & READ_MESSAGE_HISTORY == 0,
        "PATCH" => has_embeds(req.body) && permissions & EMBED_LINKS == 0,
        _ => false,
    };
    if denied {
        Err(missing_permissions())
    } else {
        Ok(())
    }
}
