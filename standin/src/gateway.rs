//! The gateway half: a WebSocket server speaking Discord's gateway protocol
//! (v10, JSON text frames, no compression — serenity asks for zlib in
//! IDENTIFY's `compress` but reads plain text frames as well).
//!
//! HELLO on connect; IDENTIFY → READY + one GUILD_CREATE per guild of the
//! shard; heartbeat → ACK; RESUME of a known session → RESUMED, of an
//! unknown one → INVALID_SESSION (false), which makes serenity identify
//! afresh. Protocol errors close the socket with Discord's close codes and
//! are recorded as violations; so is a shard of more than 2,500 servers,
//! which Discord refuses (4011). Any number of connections may be open; a new
//! IDENTIFY on a shard simply becomes that shard's live session (a bot
//! restart leaves the old socket dead).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::payloads;
use super::state::{Session, State};
use super::{Identify, Shared, APP_ID, BOT_NAME, HEARTBEAT_INTERVAL_MS};

/// The most servers one shard may hold: an IDENTIFY for more is closed
/// with 4011 "Sharding required". `GET /gateway/bot` recommends a shard
/// per `rest::GUILDS_PER_RECOMMENDED_SHARD` instead.
pub(crate) const MAX_GUILDS_PER_SHARD: usize = 2_500;

/// Intents Discord only grants to approved bots: GUILD_MEMBERS,
/// GUILD_PRESENCES, MESSAGE_CONTENT. Asking for them unapproved closes the
/// connection with 4014.
const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) if shared.lock().gateway_down => drop(stream),
            Ok((stream, _)) => {
                // Events are small frames: Nagle's algorithm would hold one
                // back until the bot acknowledges the last (up to 40 ms).
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(stream, Arc::clone(&shared)));
            }
            // Out of file descriptors or similar: back off briefly.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// What to do after a frame from the bot.
enum Next {
    Continue,
    Close(u16, &'static str),
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let ws = match tokio_tungstenite::accept_async(stream).await {
        Ok(ws) => ws,
        Err(e) => {
            shared.lock().violation(format!("gateway: WebSocket handshake failed: {e}"));
            shared.notify();
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let conn = {
        let mut st = shared.lock();
        let conn = st.new_conn(tx);
        st.send_frame(
            conn,
            json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}),
        );
        conn
    };
    shared.notify();

    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(msg) = out else { break };
                let closing = matches!(msg, Message::Close(_));
                if sink.send(msg).await.is_err() || closing {
                    break;
                }
            }
            incoming = source.next() => {
                let next = match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let next = {
                            let mut st = shared.lock();
                            frame(&shared, &mut st, conn, &text)
                        };
                        shared.notify();
                        next
                    }
                    Some(Ok(Message::Binary(_))) => {
                        shared.lock().violation("gateway: a binary frame from the bot (expected JSON text)");
                        Next::Close(4002, "Error while decoding payload.")
                    }
                    Some(Ok(Message::Close(_))) => {
                        // Tungstenite queued the close reply; send it, as
                        // Discord does (serenity waits for it on shutdown).
                        let _ = sink.flush().await;
                        break;
                    }
                    Some(Err(_)) | None => break,
                    // Pings are answered by tungstenite itself.
                    Some(Ok(_)) => Next::Continue,
                };
                if let Next::Close(code, reason) = next {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
            }
        }
    }
    shared.lock().drop_conn(conn);
    shared.notify();
}

/// Handles one text frame from the bot.
fn frame(shared: &Shared, st: &mut State, conn: u64, text: &str) -> Next {
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        st.violation("gateway: a frame that is not JSON");
        return Next::Close(4002, "Error while decoding payload.");
    };
    let op = payload.get("op").and_then(Value::as_u64);
    let identified = st.conns.get(&conn).is_some_and(|c| c.session.is_some());
    match op {
        Some(1) => {
            st.send_frame(conn, json!({"op": 11, "s": null, "t": null, "d": null}));
            Next::Continue
        }
        Some(2) if identified => {
            st.violation("gateway: a second IDENTIFY on one connection");
            Next::Close(4005, "Already authenticated.")
        }
        Some(2) => identify(shared, st, conn, &payload),
        Some(6) => resume(st, conn, &payload),
        // Presence update, voice state, request members, soundboard: fine
        // once identified; the stand-in has nothing to answer.
        Some(3 | 4 | 8 | 31) if identified => Next::Continue,
        Some(3 | 4 | 8 | 31) => {
            st.violation(format!("gateway: op {op:?} before IDENTIFY"));
            Next::Close(4003, "Not authenticated.")
        }
        _ => {
            st.violation(format!("gateway: unknown opcode {op:?}"));
            Next::Close(4001, "Unknown opcode.")
        }
    }
}

fn identify(shared: &Shared, st: &mut State, conn: u64, payload: &Value) -> Next {
    let d = payload.get("d").cloned().unwrap_or(Value::Null);
    let token = d.get("token").and_then(Value::as_str).unwrap_or_default().to_string();
    let intents = d.get("intents").and_then(Value::as_u64).unwrap_or(0);
    let shard = d
        .get("shard")
        .and_then(Value::as_array)
        .map(|a| {
            let n = |i: usize| a.get(i).and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok());
            (n(0).unwrap_or(0), n(1).unwrap_or(1))
        })
        .unwrap_or((0, 1));
    st.identifies.push(Identify { token: token.clone(), intents, shard, payload: d.clone(), at: Instant::now() });
    if token.trim_start_matches("Bot ").is_empty() {
        st.violation("gateway: IDENTIFY without a token");
        return Next::Close(4004, "Authentication failed.");
    }
    if intents & PRIVILEGED_INTENTS != 0 {
        st.violation(format!(
            "gateway: IDENTIFY asks for privileged intents {:#x}; the bot is not approved for them",
            intents & PRIVILEGED_INTENTS
        ));
        return Next::Close(4014, "Disallowed intent(s).");
    }
    if shard.1 == 0 || shard.0 >= shard.1 {
        st.violation(format!("gateway: invalid shard {shard:?}"));
        return Next::Close(4010, "Invalid shard.");
    }
    let guilds: Vec<_> =
        st.guilds.iter().filter(|g| (g.id >> 22) % u64::from(shard.1) == u64::from(shard.0)).cloned().collect();
    if guilds.len() > MAX_GUILDS_PER_SHARD {
        st.violation(format!(
            "gateway: shard {shard:?} would hold {} servers, more than Discord's {MAX_GUILDS_PER_SHARD}",
            guilds.len()
        ));
        return Next::Close(4011, "Sharding required.");
    }

    let session_id = format!("{:032x}", st.next_id());
    st.sessions.insert(
        session_id.clone(),
        Session {
            id: session_id.clone(),
            shard,
            seq: 0,
            conn: Some(conn),
            epoch: st.epoch,
            intents,
            ready: false,
            identified_at: Instant::now(),
        },
    );
    if let Some(c) = st.conns.get_mut(&conn) {
        c.session = Some(session_id.clone());
    }
    let ready = json!({
        "v": 10,
        "user": payloads::bot_user(BOT_NAME),
        "guilds": guilds.iter().map(|g| json!({"id": g.id.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": shared.ws_url,
        "shard": [shard.0, shard.1],
        "application": {"id": APP_ID.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "_trace": ["standin"],
    });
    if st.dispatch(&session_id, "READY", ready).is_err() {
        return Next::Continue;
    }
    let joined_at = st.joined_at.clone();
    for g in &guilds {
        let created = payloads::guild_create(g, BOT_NAME, &joined_at);
        if st.dispatch(&session_id, "GUILD_CREATE", created).is_err() {
            return Next::Continue;
        }
    }
    if let Some(s) = st.sessions.get_mut(&session_id) {
        s.ready = true;
    }
    Next::Continue
}

fn resume(st: &mut State, conn: u64, payload: &Value) -> Next {
    let d = payload.get("d").cloned().unwrap_or(Value::Null);
    let session_id = d.get("session_id").and_then(Value::as_str).unwrap_or_default();
    let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
    let known =
        st.sessions.get(session_id).is_some_and(|s| seq <= s.seq && s.conn.is_none_or(|c| !st.conns.contains_key(&c)));
    if !known {
        // Not resumable: serenity re-identifies on a fresh connection.
        st.send_frame(conn, json!({"op": 9, "s": null, "t": null, "d": false}));
        return Next::Continue;
    }
    if let Some(s) = st.sessions.get_mut(session_id) {
        s.conn = Some(conn);
    }
    if let Some(c) = st.conns.get_mut(&conn) {
        c.session = Some(session_id.to_string());
    }
    // The stand-in keeps no backlog: nothing was dispatched while no
    // connection was live (send() refuses), so there is nothing to replay.
    let _ = st.dispatch(session_id, "RESUMED", json!({"_trace": ["standin"]}));
    Next::Continue
}
