//! Discord's REST rate limits, off unless [`StandInConfig::rate_limits`]
//! (or [`StandIn::set_rate_limits`]) turns them on: a bot that ignores its
//! 429s or `Retry-After` then fails here as it would on Discord.
//!
//! Modelled after <https://discord.com/developers/docs/topics/rate-limits>:
//!
//! - `POST /channels/{id}/messages` has a per-route bucket of
//!   [`MESSAGE_LIMIT`] requests per [`MESSAGE_PERIOD`] per channel (the
//!   channel is the route's major parameter), answered with the
//!   `X-RateLimit-*` headers. Other routes carry no such headers: the
//!   stand-in does not invent limits Discord does not document.
//! - A global limit of [`GLOBAL_LIMIT`] requests per second per bot over
//!   every route except the interaction endpoints (`/interactions/...` and
//!   `/webhooks/{application}/{token}...`), which "are not bound to the
//!   bot's Global Rate Limit".
//! - A request over a limit is not carried out: it gets a 429 with
//!   `retry_after`, `global`, `Retry-After` and `X-RateLimit-Scope`. A 429 is
//!   counted ([`StandIn::rate_limited`]), not a violation: a bot meets them
//!   on Discord too, and a test asserts how many it expects.
//!
//! Windows are fixed: one opens at the first request after the previous
//! closed, as Discord's `reset_after` counts from the first request.
//!
//! [`StandInConfig::rate_limits`]: super::StandInConfig::rate_limits
//! [`StandIn::set_rate_limits`]: super::StandIn::set_rate_limits
//! [`StandIn::rate_limited`]: super::StandIn::rate_limited

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hyper::header::{HeaderName, RETRY_AFTER};
use serde_json::json;

use super::rest::Reply;

/// Message creations allowed per channel per [`MESSAGE_PERIOD`].
pub const MESSAGE_LIMIT: u32 = 5;
/// The message-creation bucket's window.
pub const MESSAGE_PERIOD: Duration = Duration::from_secs(5);
/// The `X-RateLimit-Bucket` of message creation: stable, as Discord's
/// bucket hashes are for a route.
pub const MESSAGE_BUCKET: &str = "channel-messages";
/// Requests allowed per bot per second over the non-interaction routes.
pub const GLOBAL_LIMIT: u32 = 50;
const GLOBAL_PERIOD: Duration = Duration::from_secs(1);

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const RESET_AFTER: HeaderName = HeaderName::from_static("x-ratelimit-reset-after");
const BUCKET: HeaderName = HeaderName::from_static("x-ratelimit-bucket");
const SCOPE: HeaderName = HeaderName::from_static("x-ratelimit-scope");
const GLOBAL: HeaderName = HeaderName::from_static("x-ratelimit-global");

/// A fixed window of `limit` requests that opens at its first request and
/// closes `period` later.
#[derive(Default)]
struct Window {
    opened: Option<Instant>,
    count: u32,
}

impl Window {
    /// Counts a request at `now` if there is room. Returns whether it was
    /// admitted, how many remain, and how long until the window closes.
    fn admit(&mut self, now: Instant, limit: u32, period: Duration) -> (bool, u32, Duration) {
        let opened = match self.opened {
            Some(t) if now < t + period => t,
            _ => {
                self.count = 0;
                *self.opened.insert(now)
            }
        };
        let reset_after = (opened + period).saturating_duration_since(now);
        if self.count >= limit {
            return (false, 0, reset_after);
        }
        self.count += 1;
        (true, limit - self.count, reset_after)
    }
}

/// The limiter's state, kept in [`State`](super::state::State) under the
/// stand-in's lock.
#[derive(Default)]
pub(crate) struct Limiter {
    on: bool,
    global: Window,
    /// The message-creation bucket, per channel id (as in the path).
    messages: HashMap<String, Window>,
    /// 429s sent for the per-route bucket (`X-RateLimit-Scope: user`).
    pub(crate) limited_user: u64,
    /// 429s sent for the global limit.
    pub(crate) limited_global: u64,
}

impl Limiter {
    pub(crate) fn new(on: bool) -> Limiter {
        Limiter { on, ..Limiter::default() }
    }

    /// Turns limiting on or off; either way the windows start afresh, so a
    /// test's setup before turning it on does not count.
    pub(crate) fn set(&mut self, on: bool) {
        self.on = on;
        self.global = Window::default();
        self.messages.clear();
    }

    /// Checks a request arriving at `now`, before it is routed. `Ok` holds
    /// the headers for the route's answer; `Err` is the 429 to send instead.
    pub(crate) fn check(&mut self, method: &str, path: &str, now: Instant) -> Result<Vec<(HeaderName, String)>, Reply> {
        if !self.on {
            return Ok(Vec::new());
        }
        let segs: Vec<&str> = path.strip_prefix("/api/v10/").unwrap_or(path).split('/').collect();
        if matches!(segs.as_slice(), ["interactions", ..] | ["webhooks", _, _, ..]) {
            return Ok(Vec::new());
        }
        // Global first: a request over it reaches no bucket.
        let (admitted, _, retry) = self.global.admit(now, GLOBAL_LIMIT, GLOBAL_PERIOD);
        if !admitted {
            self.limited_global += 1;
            return Err(too_many(retry, true, vec![(SCOPE, "global".into()), (GLOBAL, "true".into())]));
        }
        let ("POST", ["channels", channel, "messages"]) = (method, segs.as_slice()) else {
            return Ok(Vec::new());
        };
        let window = self.messages.entry((*channel).to_string()).or_default();
        let (admitted, remaining, reset_after) = window.admit(now, MESSAGE_LIMIT, MESSAGE_PERIOD);
        let headers = bucket_headers(remaining, reset_after);
        if admitted {
            return Ok(headers);
        }
        self.limited_user += 1;
        Err(too_many(reset_after, false, [vec![(SCOPE, "user".into())], headers].concat()))
    }
}

/// A duration in whole milliseconds, rounded up so that waiting it is
/// always enough.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// Milliseconds as Discord writes seconds: `1.234`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The message bucket's `X-RateLimit-*` headers.
fn bucket_headers(remaining: u32, reset_after: Duration) -> Vec<(HeaderName, String)> {
    let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + reset_after;
    vec![
        (LIMIT, MESSAGE_LIMIT.to_string()),
        (REMAINING, remaining.to_string()),
        (RESET, seconds(millis(reset))),
        (RESET_AFTER, seconds(millis(reset_after))),
        (BUCKET, MESSAGE_BUCKET.into()),
    ]
}

/// Discord's 429: `retry_after` in seconds (float) in the body, whole
/// seconds rounded up in `Retry-After`.
fn too_many(retry: Duration, global: bool, mut headers: Vec<(HeaderName, String)>) -> Reply {
    let ms = millis(retry);
    headers.push((RETRY_AFTER, ms.div_ceil(1000).to_string()));
    // Whole milliseconds, as Discord sends it (e.g. 0.853); the stand-in's
    // windows are seconds long, far below u32::MAX ms.
    let retry_after = f64::from(u32::try_from(ms).unwrap_or(u32::MAX)) / 1000.0;
    let body =
        json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global, "code": 0});
    Reply::with_headers(429, Some(body), headers)
}
