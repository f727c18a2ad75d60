//! `POST /channels/{id}/messages/{message_id}/threads`: a public thread
//! started from a message, as Discord makes it. The thread's id is the
//! message's; a second thread on the same message is refused (400 160004),
//! which is what makes "exactly once" checkable; the bot needs View
//! Channel and Create Public Threads in the channel (403 otherwise); the
//! name is 1 to 100 characters and `auto_archive_duration` one of 60,
//! 1440, 4320 or 10080 minutes (400 50035 otherwise).

use serde_json::Value;

use super::guilds::{access, missing_permissions, Access};
use super::payloads;
use super::permissions::CREATE_PUBLIC_THREADS;
use super::rest::{snowflake_str, Reply, Req};
use super::state::State;
use super::validate::{required_len, FormErrors};
use super::ChannelSpec;

pub(super) fn start_from_message(st: &mut State, req: &Req<'_>, cid: &str, mid: &str) -> Reply {
    let (channel_id, found) = match access(st, cid, true) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let Access::Guild { permissions, thread } = found else {
        return Reply::error(400, 50024, "Cannot execute action on this channel type");
    };
    if thread {
        return Reply::error(400, 50024, "Cannot execute action on this channel type");
    }
    if permissions & CREATE_PUBLIC_THREADS == 0 {
        return missing_permissions();
    }
    let message = snowflake_str(mid).and_then(|m| st.messages.get(&m).map(|v| (m, v.clone())));
    let Some((message_id, _)) =
        message.filter(|(_, m)| snowflake_str(m["channel_id"].as_str().unwrap_or("")) == Some(channel_id))
    else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    let mut errs = FormErrors::default();
    let Some(body) = req.body.as_object() else {
        errs.add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        st.violation(format!("{} {}: the body is not an object", req.method, req.path));
        return Reply::form(&errs);
    };
    required_len(&mut errs, body, "name", "", 1, 100);
    let archive = body.get("auto_archive_duration");
    if archive.is_some_and(|a| !matches!(a.as_u64(), Some(60 | 1440 | 4320 | 10080))) {
        errs.add("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.");
    }
    if !errs.is_empty() {
        for e in &errs.list {
            st.violation(format!("{} {}: {e}", req.method, req.path));
        }
        return Reply::form(&errs);
    }
    let guild_id = st.guilds.iter().find(|g| g.channel(channel_id).is_some()).map(|g| g.id);
    let Some(guild) = guild_id.and_then(|g| st.guild_mut(g)) else {
        return Reply::error(404, 10003, "Unknown Channel");
    };
    if guild.channel(message_id).is_some() {
        return Reply::error(400, 160_004, "A thread has already been created for this message");
    }
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let thread = ChannelSpec::thread(message_id, name, channel_id);
    guild.channels.push(thread.clone());
    let guild = guild.clone();
    Reply::ok(payloads::channel_of(&guild, &thread))
}
