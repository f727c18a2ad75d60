//! The REST half: a hyper 1 server answering the `/api/v10/...` calls
//! serenity and poise make, as Discord answers them.
//!
//! Each request is handled synchronously under the state lock after its
//! body is read, recorded with its answer, and wakes the waiters. Anything
//! the stand-in does not model gets Discord's 404 and a violation, so a
//! test notices the bot calling an endpoint nobody checked. When rate
//! limits are on, a request over one is answered 429 before it is routed
//! (module `ratelimit`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::payloads::{self, ATTACHMENT_SIZE_LIMIT, SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS};
use super::permissions::READ_MESSAGE_HISTORY;
use super::state::{Found, State};
use super::validate::{self, FormErrors};
use super::{discord_error, snowflake, RecordedRequest, Shared, Upload, BOT_ID, BOT_NAME};
use super::{guilds, interactions, registry};

/// Accepts connections until the runtime stops.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                // As Discord's edge does: no Nagle delay on small answers.
                let _ = stream.set_nodelay(true);
                stream
            }
            Err(_) => {
                // Out of file descriptors or similar: back off briefly
                // instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle(shared, req).await) }
            });
            // A client hanging up mid-request is not the stand-in's problem.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// An answer: a status, a JSON body (`None` for 204) and extra headers
/// (the rate-limit ones).
pub(crate) struct Reply {
    pub(super) status: u16,
    pub(super) body: Option<Value>,
    pub(super) headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub(super) fn with_headers(status: u16, body: Option<Value>, headers: Vec<(HeaderName, String)>) -> Reply {
        Reply { status, body, headers }
    }

    pub(super) fn ok(body: Value) -> Reply {
        Reply::with_headers(200, Some(body), Vec::new())
    }

    pub(super) fn created(body: Value) -> Reply {
        Reply::with_headers(201, Some(body), Vec::new())
    }

    pub(super) fn no_content() -> Reply {
        Reply::with_headers(204, None, Vec::new())
    }

    pub(super) fn error(status: u16, code: i64, message: &str) -> Reply {
        Reply::with_headers(status, Some(discord_error(code, message)), Vec::new())
    }

    pub(super) fn form(errs: &FormErrors) -> Reply {
        Reply::with_headers(400, Some(errs.body()), Vec::new())
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let bytes = match &self.body {
            Some(v) => Bytes::from(v.to_string()),
            None => Bytes::new(),
        };
        let mut resp = Response::new(Full::new(bytes));
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if self.body.is_some() {
            resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, value);
            }
        }
        resp
    }
}

/// The parsed request, as the route handlers see it.
pub(super) struct Req<'a> {
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) body: &'a Value,
    /// Query pairs in order.
    pub(super) query: &'a [(String, String)],
    /// The files of a multipart upload.
    pub(super) files: &'a [Upload],
    pub(super) now: Instant,
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let received_at = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect();
    let auth = header(&req, AUTHORIZATION);
    let content_type = header(&req, CONTENT_TYPE).unwrap_or_default();
    let bytes = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Reply::error(400, 0, "400: Bad Request").into_response(),
    };
    let (body, files, parse_error) = parse_body(&bytes, &content_type);
    // Once a request has reached Discord it is carried out, even if the
    // client goes away meanwhile (a process killed while its post is held):
    // in a task of its own, which a dropped connection does not cancel.
    let carried_out = tokio::spawn(async move {
        let shared = &*shared;
        let received = Received { method, path, query, auth, body, files, parse_error, received_at };
        carry_out(shared, received).await
    });
    carried_out.await.unwrap_or_else(|_| Reply::error(500, 0, "500: Internal Server Error").into_response())
}

/// A request as read off the connection.
struct Received {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    auth: Option<String>,
    body: Value,
    files: Vec<Upload>,
    parse_error: bool,
    received_at: Instant,
}

async fn carry_out(shared: &Shared, received: Received) -> Response<Full<Bytes>> {
    let Received { method, path, query, auth, body, files, parse_error, received_at } = received;
    if method == "GET" {
        if let Some(rest) = path.strip_prefix("/cdn/attachments/") {
            return cdn(shared, rest);
        }
    }
    if method == "POST" && path.starts_with("/api/v10/channels/") && path.ends_with("/messages") {
        let latency = shared.lock().post_latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    if let Some(channel) = held_channel(shared, &method, &path) {
        if !hold(shared, channel).await {
            // Dropped: as if the request never reached Discord.
            return Reply::error(503, 0, "503: Service Unavailable").into_response();
        }
    }

    let reply = {
        let mut st = shared.lock();
        // Rate limits apply when the request reaches Discord (after a hold),
        // before anything else: a limited request is never carried out.
        let reply = match st.limiter.check(&method, &path, Instant::now()) {
            Err(too_many) => too_many,
            Ok(headers) => {
                let mut reply = if parse_error {
                    st.violation(format!("{method} {path}: the body is not valid JSON"));
                    Reply::error(400, 50109, "The request body contains invalid JSON.")
                } else {
                    let req = Req {
                        method: &method,
                        path: &path,
                        body: &body,
                        query: &query,
                        files: &files,
                        now: received_at,
                    };
                    route(shared, &mut st, &req, auth.as_deref())
                };
                reply.headers.extend(headers);
                reply
            }
        };
        if st.keep_traffic {
            st.requests.push(RecordedRequest {
                method,
                path,
                query,
                body,
                files,
                received_at,
                status: reply.status,
                response: reply.body.clone().unwrap_or(Value::Null),
            });
        }
        reply
    };
    shared.notify();
    reply.into_response()
}

/// Discord's CDN: an attached file's bytes, without a token; 404 once the
/// file expired.
fn cdn(shared: &Shared, rest: &str) -> Response<Full<Bytes>> {
    let id = rest.split('/').next().and_then(snowflake_str);
    let file = id.and_then(|id| shared.lock().attachments.get(&id).and_then(|(_, bytes)| bytes.clone()));
    let mut resp = match file {
        Some(bytes) => Response::new(Full::new(Bytes::from(bytes))),
        None => {
            let mut resp = Response::new(Full::new(Bytes::from_static(b"404: Not Found")));
            *resp.status_mut() = StatusCode::NOT_FOUND;
            resp
        }
    };
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    resp
}

/// The channel of a message creation the test holds back, if this is one.
fn held_channel(shared: &Shared, method: &str, path: &str) -> Option<u64> {
    let channel = path.strip_prefix("/api/v10/channels/")?.strip_suffix("/messages")?.parse().ok()?;
    (method == "POST" && shared.lock().held_channels.contains(&channel)).then_some(channel)
}

/// Waits until the test releases `channel` (true: carry the request out) or
/// drops its held requests (false). Counted in `holding` while it waits.
async fn hold(shared: &Shared, channel: u64) -> bool {
    struct Holding<'a>(&'a Shared, u64);
    impl Drop for Holding<'_> {
        fn drop(&mut self) {
            if let Some(n) = self.0.lock().holding.get_mut(&self.1) {
                *n = n.saturating_sub(1);
            }
            self.0.notify();
        }
    }
    let mut rx = shared.changed.subscribe();
    let dropped_before = {
        let mut st = shared.lock();
        *st.holding.entry(channel).or_default() += 1;
        st.dropped_holds.get(&channel).copied().unwrap_or(0)
    };
    shared.notify();
    let _holding = Holding(shared, channel);
    loop {
        rx.borrow_and_update();
        {
            let st = shared.lock();
            if st.dropped_holds.get(&channel).copied().unwrap_or(0) != dropped_before {
                return false;
            }
            if !st.held_channels.contains(&channel) {
                return true;
            }
        }
        if rx.changed().await.is_err() {
            return true;
        }
    }
}

fn header(req: &Request<Incoming>, name: hyper::header::HeaderName) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// JSON, or multipart with a `payload_json` part and file parts.
/// Returns (body, files, whether the JSON was malformed).
fn parse_body(bytes: &[u8], content_type: &str) -> (Value, Vec<Upload>, bool) {
    if bytes.is_empty() {
        return (Value::Null, Vec::new(), false);
    }
    if let Some(boundary) =
        content_type.strip_prefix("multipart/form-data").and_then(|rest| rest.split("boundary=").nth(1))
    {
        let boundary = boundary.trim_matches('"');
        let (json, files) = multipart(bytes, boundary);
        return match json.map(|j| serde_json::from_slice::<Value>(&j)) {
            Some(Ok(v)) => (v, files, false),
            Some(Err(_)) => (Value::Null, files, true),
            None => (Value::Null, files, false),
        };
    }
    match serde_json::from_slice(bytes) {
        Ok(v) => (v, Vec::new(), false),
        Err(_) => (Value::Null, Vec::new(), true),
    }
}

/// A minimal multipart reader: the `payload_json` part and the file parts
/// (those with a `filename`), bytes and all.
fn multipart(bytes: &[u8], boundary: &str) -> (Option<Vec<u8>>, Vec<Upload>) {
    let delimiter = format!("--{boundary}");
    let mut json = None;
    let mut files = Vec::new();
    for part in split_bytes(bytes, delimiter.as_bytes()) {
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..split]);
        let mut content = &part[split + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        if headers.contains("name=\"payload_json\"") {
            json = Some(content.to_vec());
        } else if let Some(name) = headers.split("filename=\"").nth(1) {
            let field = headers.split(" name=\"").nth(1).and_then(|f| f.split('"').next()).unwrap_or_default();
            let content_type = headers
                .lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type")))
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default();
            files.push(Upload {
                field: field.to_string(),
                filename: name.split('"').next().unwrap_or_default().to_string(),
                content_type,
                bytes: content.to_vec(),
            });
        }
    }
    (json, files)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut hay: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(i) = find(hay, delimiter) {
        parts.push(&hay[..i]);
        hay = &hay[i + delimiter.len()..];
    }
    parts.push(hay);
    parts
}

fn route(shared: &Shared, st: &mut State, req: &Req<'_>, auth: Option<&str>) -> Reply {
    let Some(rest) = req.path.strip_prefix("/api/v10/") else {
        return unknown(st, req);
    };
    let segs: Vec<&str> = rest.split('/').collect();
    // Interaction callbacks and webhook-token routes authenticate by the
    // token in the path; everything else needs the bot token.
    let token_route = matches!(segs.as_slice(), ["interactions", ..] | ["webhooks", _, _, ..]);
    if !token_route && !auth.is_some_and(|a| a.starts_with("Bot ") && a.len() > 4) {
        st.violation(format!("{} {}: no `Authorization: Bot <token>` header", req.method, req.path));
        return Reply::error(401, 0, "401: Unauthorized");
    }
    match (req.method, segs.as_slice()) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": shared.ws_url})),
        ("GET", ["gateway", "bot"]) => {
            let used = u64::try_from(st.identifies.len()).unwrap_or(u64::MAX);
            Reply::ok(json!({
                "url": shared.ws_url,
                "shards": recommended_shards(st.guilds.len()),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000u64.saturating_sub(used),
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }))
        }
        ("GET", ["users", "@me"]) => Reply::ok(payloads::bot_user(BOT_NAME)),
        ("POST", ["users", "@me", "channels"]) => create_dm(st, req.body),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Reply::ok(payloads::application_info(BOT_NAME, &shared.config.owner))
        }
        (_, ["applications", app, "commands"]) => registry::commands(st, req, app, None),
        (_, ["applications", app, "guilds", gid, "commands"]) => registry::commands(st, req, app, Some(gid)),
        ("POST", ["interactions", id, token, "callback"]) => interactions::callback(st, req, id, token),
        ("POST", ["webhooks", app, token]) => interactions::followup(st, req, app, token),
        (_, ["webhooks", app, token, "messages", mid]) => interactions::webhook_message(st, req, app, token, mid),
        ("GET", ["channels", cid]) => guilds::get_channel(st, cid),
        ("POST", ["channels", cid, "messages"]) => create_channel_message(st, req, cid),
        ("GET", ["channels", cid, "messages"]) => list_channel_messages(st, req, cid),
        ("POST", ["channels", cid, "messages", mid, "threads"]) => {
            super::threads::start_from_message(st, req, cid, mid)
        }
        (_, ["channels", cid, "messages", mid]) => channel_message(st, req, cid, mid),
        ("GET", ["guilds", gid]) => guilds::get_guild(st, req, gid),
        ("GET", ["guilds", gid, "roles"]) => guilds::get_roles(st, gid),
        ("GET", ["guilds", gid, "roles", rid]) => guilds::get_role(st, gid, rid),
        ("GET", ["guilds", gid, "channels"]) => guilds::get_channels(st, gid),
        ("GET", ["guilds", gid, "members", uid]) => guilds::get_member(st, gid, uid),
        _ => unknown(st, req),
    }
}

pub(super) fn unknown(st: &mut State, req: &Req<'_>) -> Reply {
    st.violation(format!(
        "unhandled route {} {} (the stand-in answered 404; model it in standin/src/rest.rs if the bot needs it)",
        req.method, req.path
    ));
    Reply::error(404, 0, "404: Not Found")
}

pub(super) fn snowflake_str(s: &str) -> Option<u64> {
    s.parse().ok()
}

// ----- users -----------------------------------------------------------------

/// How many servers a shard recommended by `GET /gateway/bot` holds:
/// Discord recommends about a thousand (a shard may hold 2,500 at most,
/// `gateway::MAX_GUILDS_PER_SHARD`).
pub const GUILDS_PER_RECOMMENDED_SHARD: usize = 1_000;

/// The shard count `GET /gateway/bot` recommends for `guilds` servers.
fn recommended_shards(guilds: usize) -> usize {
    guilds.div_ceil(GUILDS_PER_RECOMMENDED_SHARD).max(1)
}

fn create_dm(st: &mut State, body: &Value) -> Reply {
    let Some(uid) = snowflake(body.get("recipient_id")) else {
        let mut errs = FormErrors::default();
        errs.add("recipient_id", "BASE_TYPE_REQUIRED", "This field is required");
        st.violation("POST /users/@me/channels without recipient_id");
        return Reply::form(&errs);
    };
    let user = match st.users.get(&uid) {
        Some(u) => payloads::user(u.id, &u.name, false),
        None => payloads::user(uid, &format!("user{uid}"), false),
    };
    let channel_id = super::dm_channel_id(uid);
    st.dm_channels.insert(channel_id, user.clone());
    Reply::ok(payloads::dm_channel(channel_id, &user))
}

/// Validates a message body; on failure records violations and returns
/// Discord's 400.
pub(super) fn check_message(st: &mut State, req: &Req<'_>, create: bool) -> Result<(), Reply> {
    if let Some(reply) = too_large(st, req) {
        return Err(reply);
    }
    let mut errs = FormErrors::default();
    validate::message_body(req.body, &mut errs);
    validate::attachments(req.body, req.files, &mut errs);
    if !errs.is_empty() {
        for e in &errs.list {
            st.violation(format!("{} {}: {e}", req.method, req.path));
        }
        return Err(Reply::form(&errs));
    }
    if create && validate::is_empty_message(req.body) {
        st.violation(format!("{} {}: Cannot send an empty message", req.method, req.path));
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

/// Discord's 413 for uploads over the attachment size limit.
pub(super) fn too_large(st: &mut State, req: &Req<'_>) -> Option<Reply> {
    let size: usize = req.files.iter().map(|f| f.bytes.len()).sum();
    if u64::try_from(size).unwrap_or(u64::MAX) <= ATTACHMENT_SIZE_LIMIT {
        return None;
    }
    st.violation(format!(
        "{} {}: {size} bytes of files, over the {ATTACHMENT_SIZE_LIMIT}-byte limit",
        req.method, req.path
    ));
    Some(Reply::error(413, 40005, "Request entity too large"))
}

/// After an accepted create or edit of message `mid` with `body`: stores
/// the uploads as its attachments and reports embed images that name no
/// file of it. Returns the message as the member now sees it.
pub(super) fn store_attachments(st: &mut State, req: &Req<'_>, mid: u64, body: &Value) -> Option<Value> {
    let existing = st.attachment_names(mid);
    for missing in validate::unresolved_attachment_urls(body, req.files, &existing) {
        st.violation(format!("{} {}: {missing}", req.method, req.path));
    }
    if req.files.is_empty() && body.get("attachments").is_none() {
        return st.messages.get(&mid).cloned();
    }
    st.attach(mid, body, req.files)
}

// ----- channel messages ------------------------------------------------------

/// `POST /channels/{id}/messages`: Discord's checks in order (the channel
/// exists for the bot, the body is valid, the bot may see and post there),
/// then `enforce_nonce`: the same nonce from the same author within the
/// window returns the first message instead of creating a second one.
fn create_channel_message(st: &mut State, req: &Req<'_>, cid: &str) -> Reply {
    if matches!(snowflake_str(cid).map(|c| st.find_channel(c)), None | Some(Found::Unknown)) {
        return guilds::unknown_channel();
    }
    let recipient = snowflake_str(cid).and_then(|c| st.dm_channels.get(&c)).and_then(|u| snowflake(u.get("id")));
    if recipient.is_some_and(|u| st.closed_dms.contains(&u)) {
        return Reply::error(403, 50007, "Cannot send messages to this user");
    }
    if let Err(reply) = check_message(st, req, true) {
        return reply;
    }
    let (channel_id, access) = match guilds::access(st, cid, true) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    if let Err(reply) = guilds::may_post(&access, req) {
        return reply;
    }
    let nonce = match req.body.get("nonce") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let enforce = req.body.get("enforce_nonce").and_then(Value::as_bool).unwrap_or(false);
    let key = nonce.filter(|_| enforce).map(|n| (BOT_ID, n));
    if let Some(key) = &key {
        // Not scoped to the channel: the same nonce for another channel
        // returns the first channel's message too.
        if let Some((mid, at)) = st.nonces.get(key).copied() {
            if req.now.saturating_duration_since(at) < st.nonce_window {
                if let Some(m) = st.messages.get(&mid) {
                    return Reply::ok(m.clone());
                }
            }
        }
    }
    let mut body = req.body.clone();
    if let Some(map) = body.as_object_mut() {
        // Ephemeral exists only for interaction responses.
        let flags = map.get("flags").and_then(Value::as_u64).unwrap_or(0) & (SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS);
        map.insert("flags".into(), Value::from(flags));
    }
    let m = st.create_message(channel_id, 0, &body, None);
    let Some(mid) = snowflake(m.get("id")) else {
        return Reply::ok(m);
    };
    if let Some(key) = key {
        st.nonces.insert(key, (mid, req.now));
    }
    Reply::ok(store_attachments(st, req, mid, &body).unwrap_or(m))
}

/// `GET /channels/{id}/messages`: up to `limit` (1–100, default 50)
/// messages, newest first, `before`, `after` or `around` a message id.
/// Without READ_MESSAGE_HISTORY Discord answers with no messages.
/// Ephemeral messages are no one's history.
fn list_channel_messages(st: &mut State, req: &Req<'_>, cid: &str) -> Reply {
    let (channel_id, access) = match guilds::access(st, cid, false) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let param = |name: &str| req.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let limit = match param("limit").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            let mut errs = FormErrors::default();
            errs.add("limit", "NUMBER_TYPE_MAX", "limit must be between 1 and 100");
            st.violation(format!("GET {}: limit {:?} out of range", req.path, param("limit")));
            return Reply::form(&errs);
        }
    };
    if let guilds::Access::Guild { permissions, .. } = access {
        if permissions & READ_MESSAGE_HISTORY == 0 {
            return Reply::ok(json!([]));
        }
    }
    let channel = channel_id.to_string();
    let mut ids: Vec<u64> = st
        .messages
        .iter()
        .filter(|(_, m)| m.get("channel_id").and_then(Value::as_str) == Some(channel.as_str()))
        .filter(|(_, m)| m.get("flags").and_then(Value::as_u64).unwrap_or(0) & payloads::EPHEMERAL == 0)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    let id_param = |name: &str| param(name).and_then(snowflake_str);
    let picked: Vec<u64> = if let Some(after) = id_param("after") {
        ids.into_iter().filter(|&id| id > after).take(limit).collect()
    } else if let Some(around) = id_param("around") {
        let at = ids.partition_point(|&id| id < around);
        let start = at.saturating_sub(limit / 2);
        ids.into_iter().skip(start).take(limit).collect()
    } else {
        let before = id_param("before").unwrap_or(u64::MAX);
        let older: Vec<u64> = ids.into_iter().filter(|&id| id < before).collect();
        older[older.len().saturating_sub(limit)..].to_vec()
    };
    let newest_first: Vec<Value> = picked.iter().rev().filter_map(|id| st.messages.get(id).cloned()).collect();
    Reply::ok(Value::Array(newest_first))
}

fn channel_message(st: &mut State, req: &Req<'_>, cid: &str, mid: &str) -> Reply {
    let access = match guilds::access(st, cid, false) {
        Ok((_, access)) => access,
        Err(reply) => return reply,
    };
    if let Err(reply) = guilds::may_touch(&access, req) {
        return reply;
    }
    let channel = snowflake_str(cid).map(|c| c.to_string());
    let found = snowflake_str(mid).filter(|m| {
        st.messages.get(m).is_some_and(|msg| msg.get("channel_id").and_then(Value::as_str) == channel.as_deref())
    });
    let Some(mid) = found else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    match req.method {
        "GET" => st.messages.get(&mid).cloned().map_or_else(|| Reply::error(404, 10008, "Unknown Message"), Reply::ok),
        "PATCH" => {
            if let Err(reply) = check_message(st, req, false) {
                return reply;
            }
            match st.edit_message(mid, req.body).and_then(|_| store_attachments(st, req, mid, req.body)) {
                Some(m) => Reply::ok(m),
                None => Reply::error(404, 10008, "Unknown Message"),
            }
        }
        "DELETE" => {
            st.messages.remove(&mid);
            st.deleted_messages.insert(mid);
            Reply::no_content()
        }
        _ => unknown(st, req),
    }
}
