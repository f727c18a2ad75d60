//! Helpers the end-to-end tests share: send an interaction and get its
//! answer, find buttons, check that a run stayed clean.

use std::time::Duration;

use serde_json::Value;

use super::payloads::LOADING;
use super::{BotProcess, Callback, StandIn, ACK_DEADLINE};

/// How long a test waits for anything the bot should do.
pub const WAIT: Duration = Duration::from_secs(20);

/// Sends an interaction and returns its callback, which Discord must have
/// accepted within its deadline.
pub async fn interact(standin: &StandIn, (id, payload): (u64, Value)) -> Callback {
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert!(cb.accepted(), "Discord rejected the response: {:?}", cb.error);
    assert!(cb.latency < ACK_DEADLINE, "answered after {:?}", cb.latency);
    cb
}

/// Sends an interaction and returns what the member ends up seeing: the
/// message of an immediate answer, or for a deferred one (type 5 or 6) the
/// message once the bot completed it, or the follow-up that took its place.
pub async fn respond(standin: &StandIn, interaction: (u64, Value)) -> Value {
    let id = interaction.0;
    let token = interaction.1["token"].as_str().unwrap_or_default().to_string();
    let cb = interact(standin, interaction).await;
    if cb.kind != 5 && cb.kind != 6 {
        return cb.message();
    }
    let edited = format!("/{token}/messages/@original");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(last) = standin.followups(id).pop() {
            return last;
        }
        let original = standin.original_message(id);
        let done = match cb.kind {
            5 => original.as_ref().is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & LOADING == 0),
            _ => standin.requests().iter().any(|r| r.is("PATCH", &edited) && r.status == 200),
        };
        if let (true, Some(m)) = (done, original) {
            return m;
        }
        assert!(tokio::time::Instant::now() < deadline, "the deferred answer never came\n{}", standin.diagnostics());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `(label, custom_id)` of every button on a message.
pub fn buttons(message: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in message["components"].as_array().into_iter().flatten() {
        for b in row["components"].as_array().into_iter().flatten() {
            let label = b["label"].as_str().unwrap_or("").to_string();
            out.push((label, b["custom_id"].as_str().unwrap_or("").to_string()));
        }
    }
    out
}

/// The custom_id of the button labelled `label`.
pub fn button(message: &Value, label: &str) -> String {
    buttons(message)
        .into_iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("no {label:?} button on {message}"))
        .1
}

/// Fails on anything the stand-in had to refuse and on a panic, an error
/// or the token in the bot's log.
pub fn assert_clean(standin: &StandIn, bot: &BotProcess) {
    standin.assert_no_violations();
    let log = bot.log();
    assert!(!log.contains("panicked"), "the bot panicked:\n{log}");
    assert!(!log.contains(" ERROR "), "the bot logged an error:\n{log}");
    assert!(!log.contains(super::FAKE_TOKEN), "the token leaked into the log");
}

/// What the member ends up seeing ([`respond`]), read like a [`Callback`]:
/// for tests that should not care whether the bot deferred first.
pub struct Shown(pub Value);

impl Shown {
    pub fn content(&self) -> &str {
        self.0["content"].as_str().unwrap_or_default()
    }

    pub fn ephemeral(&self) -> bool {
        self.0["flags"].as_u64().unwrap_or(0) & super::payloads::EPHEMERAL != 0
    }

    pub fn message(&self) -> Value {
        self.0.clone()
    }
}

/// [`respond`], as a [`Shown`]: what the member sees once the bot settled it.
pub async fn settled(standin: &StandIn, interaction: (u64, Value)) -> Shown {
    Shown(respond(standin, interaction).await)
}
