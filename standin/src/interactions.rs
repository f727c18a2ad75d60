//! Interaction responses: the callback endpoint with Discord's 3-second and
//! acknowledge-once rules, and the webhook routes (follow-ups, editing and
//! deleting the original response) that work with the interaction token.

use std::time::Duration;

use serde_json::{json, Value};

use super::payloads::{EPHEMERAL, LOADING, SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS};
use super::rest::{check_message, snowflake_str, store_attachments, too_large, unknown, Reply, Req};
use super::state::{token_key, State};
use super::validate::{self, FormErrors};
use super::{snowflake, Callback, APP_ID, TOKEN_LIFETIME};

const MESSAGE_FLAGS: u64 = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS;

pub(super) fn callback(st: &mut State, req: &Req<'_>, id: &str, token: &str) -> Reply {
    let interaction_id = snowflake_str(id).unwrap_or(0);
    let kind = req.body.get("type").and_then(Value::as_u64).unwrap_or(0);
    let data = req.body.get("data").cloned().unwrap_or(Value::Null);
    let (reply, latency, message) = callback_inner(st, req, interaction_id, token, kind, &data);
    let error = if reply.status == 204 { None } else { reply.body.clone() };
    let files = req.files.to_vec();
    let cb = Callback { interaction_id, kind, data, latency, status: reply.status, error, files, message };
    st.callback_feeds.retain(|feed| feed.send(cb.clone()).is_ok());
    st.callbacks.push(cb);
    reply
}

fn callback_inner(
    st: &mut State,
    req: &Req<'_>,
    id: u64,
    token: &str,
    kind: u64,
    data: &Value,
) -> (Reply, Duration, Option<Value>) {
    let Some(rec) = st.interactions.get(&id) else {
        st.violation(format!("callback for interaction {id}, which was never sent"));
        return (Reply::error(404, 10062, "Unknown interaction"), Duration::ZERO, None);
    };
    let latency = req.now.saturating_duration_since(rec.sent_at);
    if rec.token != token {
        st.violation(format!("callback for interaction {id} with a wrong token"));
        return (Reply::error(401, 50027, "Invalid Webhook Token"), latency, None);
    }
    if let Some(first) = rec.acked {
        st.violation(format!("interaction {id} acknowledged twice (first with type {first}, again with type {kind})"));
        return (Reply::error(400, 40060, "Interaction has already been acknowledged."), latency, None);
    }
    if latency > rec.deadline {
        st.violation(format!(
            "interaction {id} answered after {latency:?} (deadline {:?}); the member saw \"The application did not respond\"",
            rec.deadline
        ));
        return (Reply::error(404, 10062, "Unknown interaction"), latency, None);
    }
    if matches!(kind, 4 | 7) {
        if let Some(reply) = too_large(st, req) {
            return (reply, latency, None);
        }
    }
    let Some(rec) = st.interactions.get(&id) else {
        return (Reply::error(404, 10062, "Unknown interaction"), latency, None);
    };
    let allowed: &[u64] = match rec.kind {
        2 => &[4, 5, 9],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        5 => &[4, 5, 6, 7],
        _ => &[],
    };
    let mut errs = FormErrors::default();
    if !allowed.contains(&kind) {
        errs.add(
            "type",
            "INTERACTION_RESPONSE_TYPE_INVALID",
            format!("Response type {kind} is not valid for an interaction of type {} (allowed: {allowed:?})", rec.kind),
        );
    } else {
        match kind {
            4 => {
                validate::message_body(data, &mut errs);
                validate::attachments(data, req.files, &mut errs);
                if validate::is_empty_message(data) {
                    let msg = "Cannot send an empty message";
                    st.violation(format!("interaction {id}: type-4 response: {msg}"));
                    return (Reply::error(400, 50006, msg), latency, None);
                }
            }
            7 => {
                validate::message_body(data, &mut errs);
                validate::attachments(data, req.files, &mut errs);
            }
            5 => {
                let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0);
                let extra: Vec<&str> = data
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(k, v)| k.as_str() != "flags" && !is_blank(v))
                            .map(|(k, _)| k.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                if flags & !EPHEMERAL != 0 || !extra.is_empty() {
                    // Discord accepts these but ignores them: the member
                    // never sees that content.
                    st.violation(format!(
                        "interaction {id}: a deferred (type 5) response may carry only the ephemeral flag; Discord ignores flags {:#x} and fields {extra:?}",
                        flags & !EPHEMERAL
                    ));
                }
            }
            8 => validate::autocomplete_data(data, &mut errs),
            9 => validate::modal_data(data, &mut errs),
            _ => {}
        }
    }
    if !errs.is_empty() {
        for e in &errs.list {
            st.violation(format!("interaction {id}: callback type {kind}: {e}"));
        }
        return (Reply::form(&errs), latency, None);
    }

    // Accepted: acknowledge and show the member the result.
    let message = respond(st, req, id, kind, data);
    (Reply::no_content(), latency, message)
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Applies an accepted callback; returns the message the member now sees.
fn respond(st: &mut State, req: &Req<'_>, id: u64, kind: u64, data: &Value) -> Option<Value> {
    let rec = st.interactions.get(&id)?;
    let channel_id = rec.channel_id;
    let meta = st.meta(rec, None);
    let rec_kind = rec.kind;
    let clicked = rec.clicked.clone();
    let member = snowflake(rec.user.get("id")).unwrap_or(0);
    let message = match kind {
        4 => {
            let mut body = data.clone();
            if let Some(map) = body.as_object_mut() {
                let flags = map.get("flags").and_then(Value::as_u64).unwrap_or(0) & MESSAGE_FLAGS;
                map.insert("flags".into(), Value::from(flags));
            }
            let msg_type = if rec_kind == 2 { 20 } else { 0 };
            let m = st.create_message(channel_id, msg_type, &body, Some(&meta));
            snowflake(m.get("id")).and_then(|mid| store_attachments(st, req, mid, &body)).or(Some(m))
        }
        5 => {
            let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & EPHEMERAL;
            let body = json!({"content": "", "flags": flags | LOADING});
            let msg_type = if rec_kind == 2 { 20 } else { 0 };
            Some(st.create_message(channel_id, msg_type, &body, Some(&meta)))
        }
        6 | 7 => {
            let mid = clicked.as_ref().and_then(|m| st.adopt_message(m));
            match (mid, kind) {
                (Some(mid), 7) => st.edit_message(mid, data).and_then(|_| store_attachments(st, req, mid, data)),
                (Some(mid), _) => st.messages.get(&mid).cloned(),
                (None, _) => None,
            }
        }
        // The member sees the modal; only its submit can follow.
        9 => {
            let modal = data.get("custom_id").and_then(Value::as_str).unwrap_or_default().to_string();
            st.modals_shown.insert((member, modal), id);
            None
        }
        _ => None,
    };
    let original = message.as_ref().and_then(|m| snowflake(m.get("id")));
    if let Some(rec) = st.interactions.get_mut(&id) {
        rec.acked = Some(kind);
        rec.original = original;
        rec.loading = kind == 5;
    }
    message
}

/// Finds the interaction behind a webhook token, checking what Discord
/// checks: the application id, the token, its 15-minute lifetime and that
/// the interaction was acknowledged first.
fn webhook_interaction(st: &mut State, req: &Req<'_>, app: &str, token: &str) -> Result<u64, Reply> {
    let id = st
        .tokens
        .get(&token_key(token))
        .copied()
        .filter(|id| st.interactions.get(id).is_some_and(|rec| rec.token == token));
    let Some(id) = id.filter(|_| snowflake_str(app) == Some(APP_ID)) else {
        st.violation(format!("{} {}: unknown webhook (application id or token)", req.method, req.path));
        return Err(Reply::error(404, 10015, "Unknown Webhook"));
    };
    let Some(rec) = st.interactions.get(&id) else {
        return Err(Reply::error(404, 10015, "Unknown Webhook"));
    };
    if req.now.saturating_duration_since(rec.sent_at) > TOKEN_LIFETIME {
        st.violation(format!("{} {}: interaction token expired (15 min)", req.method, req.path));
        return Err(Reply::error(401, 50027, "Invalid Webhook Token"));
    }
    if rec.acked.is_none() {
        st.violation(format!(
            "{} {}: follow-up or edit before interaction {id} was acknowledged",
            req.method, req.path
        ));
        return Err(Reply::error(404, 10015, "Unknown Webhook"));
    }
    Ok(id)
}

pub(super) fn followup(st: &mut State, req: &Req<'_>, app: &str, token: &str) -> Reply {
    let id = match webhook_interaction(st, req, app, token) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if let Err(reply) = check_message(st, req, true) {
        return reply;
    }
    let Some(rec) = st.interactions.get(&id) else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    let (loading, original, channel_id) = (rec.loading, rec.original, rec.channel_id);
    let meta = st.meta(rec, original);
    // After a deferred response the first follow-up completes the
    // "thinking" message rather than posting a new one.
    if let (true, Some(original)) = (loading, original) {
        let edited = st.edit_message(original, req.body).and_then(|_| store_attachments(st, req, original, req.body));
        if let Some(m) = st.messages.get_mut(&original) {
            clear_loading(m);
        }
        if let Some(rec) = st.interactions.get_mut(&id) {
            rec.loading = false;
        }
        return match edited.and_then(|_| st.messages.get(&original).cloned()) {
            Some(m) => Reply::ok(m),
            None => Reply::error(404, 10008, "Unknown Message"),
        };
    }
    let mut body = req.body.clone();
    if let Some(map) = body.as_object_mut() {
        let flags = map.get("flags").and_then(Value::as_u64).unwrap_or(0) & MESSAGE_FLAGS;
        map.insert("flags".into(), Value::from(flags));
    }
    let m = st.create_message(channel_id, 0, &body, Some(&meta));
    let Some(mid) = snowflake(m.get("id")) else {
        return Reply::ok(m);
    };
    if let Some(rec) = st.interactions.get_mut(&id) {
        rec.followups.push(mid);
    }
    Reply::ok(store_attachments(st, req, mid, &body).unwrap_or(m))
}

fn clear_loading(m: &mut Value) {
    let flags = m.get("flags").and_then(Value::as_u64).unwrap_or(0);
    m["flags"] = Value::from(flags & !LOADING);
}

pub(super) fn webhook_message(st: &mut State, req: &Req<'_>, app: &str, token: &str, mid: &str) -> Reply {
    let id = match webhook_interaction(st, req, app, token) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let Some(rec) = st.interactions.get(&id) else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    let target = if mid == "@original" {
        rec.original
    } else {
        snowflake_str(mid).filter(|m| rec.original == Some(*m) || rec.followups.contains(m))
    };
    let is_original = target.is_some() && target == rec.original;
    let Some(target) = target.filter(|t| st.messages.contains_key(t)) else {
        st.violation(format!("{} {}: unknown message", req.method, req.path));
        return Reply::error(404, 10008, "Unknown Message");
    };
    match req.method {
        "GET" => {
            st.messages.get(&target).cloned().map_or_else(|| Reply::error(404, 10008, "Unknown Message"), Reply::ok)
        }
        "PATCH" => {
            if let Err(reply) = check_message(st, req, false) {
                return reply;
            }
            let edited = st.edit_message(target, req.body).and_then(|_| store_attachments(st, req, target, req.body));
            if is_original {
                if let Some(m) = st.messages.get_mut(&target) {
                    clear_loading(m);
                }
                if let Some(rec) = st.interactions.get_mut(&id) {
                    rec.loading = false;
                }
            }
            match edited.and_then(|_| st.messages.get(&target).cloned()) {
                Some(m) => Reply::ok(m),
                None => Reply::error(404, 10008, "Unknown Message"),
            }
        }
        "DELETE" => {
            st.messages.remove(&target);
            st.deleted_messages.insert(target);
            // With the original gone, a follow-up is a message of its own
            // again, with its own flags (how a public "thinking" message is
            // swapped for a private answer).
            if is_original {
                if let Some(rec) = st.interactions.get_mut(&id) {
                    rec.loading = false;
                    rec.original = None;
                }
            }
            Reply::no_content()
        }
        _ => unknown(st, req),
    }
}
