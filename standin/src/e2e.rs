//! Helpers the end-to-end tests share: send an interaction and get its
//! answer, find buttons, check that a run stayed clean.

use std::time::Duration;

use serde_json::Value;

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
