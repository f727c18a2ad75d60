//! Drives interactions at the stand-in's side: open-loop at a steady rate,
//! or as a burst where each member clicks a level as soon as their answer
//! arrives. Latency is the stand-in's own measure: from INTERACTION_CREATE
//! leaving on the gateway to the REST callback arriving.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use standin::e2e::buttons;
use standin::{Callback, Place, StandIn, TestUser};

/// How long after its last send a phase waits for stragglers; past
/// Discord's 3 s deadline, so anything still missing is lost.
const GRACE: Duration = Duration::from_secs(5);

/// The bot processes under load, whose CPU time each scenario reads.
pub static BOT_PIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Linux's `USER_HZ`, the unit of `/proc/*/stat`'s CPU times (100 on every
/// mainstream architecture).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds used so far by process `pid` ("self": this one, the
/// stand-in and the load generator), user and system.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (which may hold spaces): state is field 3,
    // utime 14 and stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / TICKS_PER_SECOND)
}

/// Seconds this VM's CPUs had work ready but the hypervisor ran something
/// else (steal, the eighth figure of `/proc/stat`'s `cpu` line), all cores
/// together.
fn stolen_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks = cpu.split_whitespace().nth(7)?.parse::<u64>().ok()?;
    Some(ticks as f64 / TICKS_PER_SECOND)
}

/// CPU use over a scenario: of the bot and of the harness (stand-in and
/// load generator, this process), and what the host took, in cores (1.0
/// = one core busy).
struct CpuClock {
    at: Instant,
    bot: Option<f64>,
    harness: Option<f64>,
    stolen: Option<f64>,
    pids: Vec<u32>,
}

impl CpuClock {
    fn start() -> CpuClock {
        let pids = BOT_PIDS.lock().map(|p| p.clone()).unwrap_or_default();
        CpuClock {
            at: Instant::now(),
            bot: bots_cpu(&pids),
            harness: cpu_seconds("self"),
            stolen: stolen_seconds(),
            pids,
        }
    }

    fn finish(&self, outcome: &mut Outcome) {
        let wall = self.at.elapsed().as_secs_f64();
        let used = |before: Option<f64>, now: Option<f64>| Some((now? - before?) / wall);
        outcome.bot_cores = used(self.bot, bots_cpu(&self.pids));
        outcome.harness_cores = used(self.harness, cpu_seconds("self"));
        outcome.stolen_cores = used(self.stolen, stolen_seconds());
    }
}

/// CPU seconds of all the bot processes together (`None` if there are
/// none, or one cannot be read).
fn bots_cpu(pids: &[u32]) -> Option<f64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|pid| cpu_seconds(&pid.to_string())).sum()
}

/// Waits until the bots are idle (under a tenth of a core over half a
/// second), at most `limit`: a scenario after an overload should not start
/// on the backlog of the one before. Returns how long it waited.
pub async fn settle(limit: Duration) -> Duration {
    let started = Instant::now();
    let pids = BOT_PIDS.lock().map(|p| p.clone()).unwrap_or_default();
    let step = Duration::from_millis(500);
    while started.elapsed() < limit {
        let Some(before) = bots_cpu(&pids) else { break };
        tokio::time::sleep(step).await;
        let Some(after) = bots_cpu(&pids) else { break };
        if (after - before) / step.as_secs_f64() < 0.1 {
            break;
        }
    }
    started.elapsed()
}

/// The interaction response type that edits the message the button is on.
const UPDATE_MESSAGE: u64 = 7;

/// The response type that acknowledges a click, its message edited later:
/// quizbot's answer to a level click the database is too busy to take
/// within 1.5 s.
const DEFERRED_UPDATE: u64 = 6;

/// How long a deferred level click may take to be confirmed: past the
/// bot's own patience (8 s from the click), so that each ends confirmed or
/// told to try again.
const CONFIRM_WAIT: Duration = Duration::from_secs(12);

/// What one scenario measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub sent: usize,
    /// Interactions with exactly one callback, and Discord accepted it.
    pub answered: usize,
    /// Interactions with no callback at all.
    pub lost: usize,
    /// Of the lost, those never sent: the member's click before it
    /// failed, so there was nothing to click (counted in `sent` too).
    pub unsent: usize,
    /// Interactions answered more than once, or whose answer Discord refused.
    pub faulty: usize,
    /// Latencies of the accepted first callbacks, sorted.
    pub latencies: Vec<Duration>,
    /// From the first send to the last callback.
    pub span: Duration,
    /// From the first send to the last: how fast the load generator
    /// actually sent (see [`Outcome::send_rate`]).
    pub send_span: Duration,
    /// Cores the bot and the harness (stand-in and load generator) kept
    /// busy on average over the scenario: on a machine of two cores, a
    /// harness near one core is a bottleneck of its own.
    pub bot_cores: Option<f64>,
    pub harness_cores: Option<f64>,
    /// Cores' worth of time this VM's CPUs had work ready but the host ran
    /// something else (steal), over the scenario: the tails of a scenario
    /// with much of it are the host's as much as the bot's.
    pub stolen_cores: Option<f64>,
    /// The interaction ids that were answered.
    pub answered_ids: Vec<u64>,
    /// Of those, the ones answered by updating the clicked message in
    /// place: how quizbot confirms a stored level. When it cannot store
    /// one it answers with a new ephemeral message instead ("try again"),
    /// which is an answer but not an acknowledged rating.
    pub updated_ids: Vec<u64>,
    /// Of the answered, the ones deferred ([`DEFERRED_UPDATE`]); those whose
    /// message then showed the level saved are in `updated_ids` too
    /// ([`Outcome::confirm_deferred`]).
    pub deferred_ids: Vec<u64>,
    /// From the scenario's start to the last deferred click's confirmation.
    pub confirmed_within: Duration,
}

impl Outcome {
    fn from_callbacks(ids: &[u64], got: &HashMap<u64, Vec<Callback>>, span: Duration) -> Outcome {
        let mut out = Outcome { sent: ids.len(), span, ..Outcome::default() };
        for id in ids {
            match got.get(id).map(Vec::as_slice) {
                None | Some([]) => out.lost += 1,
                Some([cb]) if cb.accepted() => {
                    out.answered += 1;
                    out.latencies.push(cb.latency);
                    out.answered_ids.push(*id);
                    if cb.kind == UPDATE_MESSAGE {
                        out.updated_ids.push(*id);
                    } else if cb.kind == DEFERRED_UPDATE {
                        out.deferred_ids.push(*id);
                    }
                }
                Some(_) => out.faulty += 1,
            }
        }
        out.latencies.sort();
        out
    }

    /// Waits up to [`CONFIRM_WAIT`] for the deferred clicks' messages to be
    /// edited: a click whose message then says it was saved is an
    /// acknowledged rating; one told to try again (a follow-up) or never
    /// completed is not.
    async fn confirm_deferred(&mut self, standin: &StandIn, since: Instant) {
        let mut waiting = self.deferred_ids.clone();
        let deadline = Instant::now() + CONFIRM_WAIT;
        while !waiting.is_empty() && Instant::now() < deadline {
            // Not faster: each look locks the stand-in, which the bot's
            // requests need too.
            tokio::time::sleep(Duration::from_millis(250)).await;
            waiting.retain(|&id| {
                if !standin.followups(id).is_empty() {
                    return false;
                }
                let saved = standin
                    .original_message(id)
                    .is_some_and(|m| m["content"].as_str().is_some_and(|c| c.contains("Saved:")));
                if saved {
                    self.updated_ids.push(id);
                    self.confirmed_within = since.elapsed();
                }
                !saved
            });
        }
    }

    /// The `p`-th percentile (nearest rank), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[i].as_secs_f64() * 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    /// The `p`-th percentile over everything sent, in milliseconds: an
    /// interaction that was lost or answered wrongly counts as slower than
    /// any answer, so a run that lost more than `100 - p` % of its
    /// interactions has no such percentile (infinite). For budgets, where
    /// the percentile of the answered ones alone would hide the losses.
    pub fn percentile_of_sent_ms(&self, p: f64) -> f64 {
        if self.sent == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.sent as f64).ceil() as usize;
        let i = rank.clamp(1, self.sent) - 1;
        self.latencies.get(i).map_or(f64::INFINITY, |d| d.as_secs_f64() * 1000.0)
    }

    /// Interactions sent per second, as the generator achieved it (from
    /// the first send to the last); NaN for fewer than two.
    pub fn send_rate(&self) -> f64 {
        let sent = self.sent - self.unsent;
        if sent < 2 || self.send_span.is_zero() {
            return f64::NAN;
        }
        (sent - 1) as f64 / self.send_span.as_secs_f64()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "faulty": self.faulty,
            "p50_ms": self.percentile_ms(50.0),
            "p95_ms": self.percentile_ms(95.0),
            "p99_ms": self.percentile_ms(99.0),
            "max_ms": self.max_ms(),
            "span_ms": self.span.as_secs_f64() * 1000.0,
            "send_rate_per_s": self.send_rate(),
            "bot_cores": self.bot_cores,
            "harness_cores": self.harness_cores,
            "stolen_cores": self.stolen_cores,
            "deferred": self.deferred_ids.len(),
            "confirmed_within_ms": self.confirmed_within.as_secs_f64() * 1000.0,
        })
    }
}

/// Sends `payloads` at `rate` per second (open loop: the schedule does not
/// wait for answers) and collects their callbacks from `feed`.
pub async fn steady(
    standin: &StandIn,
    feed: &mut UnboundedReceiver<Callback>,
    rate: u32,
    payloads: Vec<(u64, Value)>,
) -> Outcome {
    let cpu = CpuClock::start();
    let ids: Vec<u64> = payloads.iter().map(|(id, _)| *id).collect();
    let period = Duration::from_secs(1) / rate;
    let start = tokio::time::Instant::now();
    let mut got: HashMap<u64, Vec<Callback>> = HashMap::with_capacity(ids.len());
    let wanted: HashSet<u64> = ids.iter().copied().collect();
    let mut last_send = start;
    for (i, (_, payload)) in payloads.into_iter().enumerate() {
        tokio::time::sleep_until(start + period * i as u32).await;
        standin.send(payload).await;
        last_send = tokio::time::Instant::now();
        // Keep the feed short while sending; cheap, no waiting.
        while let Ok(cb) = feed.try_recv() {
            if wanted.contains(&cb.interaction_id) {
                got.entry(cb.interaction_id).or_default().push(cb);
            }
        }
    }
    let mut last = Instant::now();
    collect(feed, &wanted, &mut got, &mut last).await;
    let mut out = Outcome::from_callbacks(&ids, &got, last.duration_since(start.into_std()));
    out.send_span = last_send.duration_since(start);
    cpu.finish(&mut out);
    out
}

/// Sends `payloads` one at a time: each only once the previous one was
/// answered (or [`GRACE`] ran out for it), so the bot never has two to
/// handle at once.
pub async fn sequential(
    standin: &StandIn,
    feed: &mut UnboundedReceiver<Callback>,
    payloads: Vec<(u64, Value)>,
) -> Outcome {
    let cpu = CpuClock::start();
    let ids: Vec<u64> = payloads.iter().map(|(id, _)| *id).collect();
    let wanted: HashSet<u64> = ids.iter().copied().collect();
    let mut got: HashMap<u64, Vec<Callback>> = HashMap::with_capacity(ids.len());
    let start = Instant::now();
    let mut last = start;
    let mut last_send = start;
    for (id, payload) in payloads {
        standin.send(payload).await;
        last_send = Instant::now();
        let deadline = tokio::time::Instant::now() + GRACE;
        while !got.contains_key(&id) {
            match tokio::time::timeout_at(deadline, feed.recv()).await {
                Ok(Some(cb)) => {
                    if wanted.contains(&cb.interaction_id) {
                        last = Instant::now();
                        got.entry(cb.interaction_id).or_default().push(cb);
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
    collect(feed, &wanted, &mut got, &mut last).await;
    let mut out = Outcome::from_callbacks(&ids, &got, last.duration_since(start));
    out.send_span = last_send.duration_since(start);
    cpu.finish(&mut out);
    out
}

/// Waits until every wanted interaction has a callback (or [`GRACE`] ran
/// out), then a little longer to catch a second callback.
async fn collect(
    feed: &mut UnboundedReceiver<Callback>,
    wanted: &HashSet<u64>,
    got: &mut HashMap<u64, Vec<Callback>>,
    last: &mut Instant,
) {
    let deadline = tokio::time::Instant::now() + GRACE;
    while got.len() < wanted.len() {
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Ok(Some(cb)) => {
                if wanted.contains(&cb.interaction_id) {
                    *last = Instant::now();
                    got.entry(cb.interaction_id).or_default().push(cb);
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    let settle = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(cb)) = tokio::time::timeout_at(settle, feed.recv()).await {
        if wanted.contains(&cb.interaction_id) {
            got.entry(cb.interaction_id).or_default().push(cb);
        }
    }
}

/// The message carrying the level buttons after a Reveal: the response
/// itself, or (for an answer too long for one message) its last follow-up.
pub fn answer_message(standin: &StandIn, reveal_id: u64) -> Option<Value> {
    let has_buttons = |m: &Value| !buttons(m).is_empty();
    standin
        .original_message(reveal_id)
        .filter(has_buttons)
        .or_else(|| standin.followups(reveal_id).into_iter().rev().find(has_buttons))
}

/// The custom_id of the button labelled `label`, if any.
pub fn button_id(message: &Value, label: &str) -> Option<String> {
    buttons(message).into_iter().find(|(l, _)| l == label).map(|(_, id)| id)
}

/// A burst: member `i` clicks Reveal on `posts[i % len]` at `i / n` of
/// `within`, and the level "Intermediate" as soon as the answer arrives;
/// `place_of` tells where a message is.
/// Returns the Reveal and level outcomes, and the time from the first
/// Reveal to the last callback.
pub async fn burst(
    standin: &StandIn,
    feed: &mut UnboundedReceiver<Callback>,
    posts: &[Value],
    members: &[TestUser],
    place_of: impl Fn(&Value) -> Place,
    within: Duration,
) -> (Outcome, Outcome, Duration) {
    let mut reveals = Vec::with_capacity(members.len());
    let mut member_of = HashMap::with_capacity(members.len());
    for (i, member) in members.iter().enumerate() {
        let post = &posts[i % posts.len()];
        let Some(reveal) = button_id(post, "Reveal answer") else { continue };
        let (id, payload) = standin.click(&reveal, post, member, place_of(post));
        member_of.insert(id, i);
        reveals.push((id, payload));
    }
    let reveal_ids: Vec<u64> = reveals.iter().map(|(id, _)| *id).collect();
    let reveal_set: HashSet<u64> = reveal_ids.iter().copied().collect();
    let spacing = within / u32::try_from(reveals.len().max(1)).unwrap_or(u32::MAX);
    let cpu = CpuClock::start();
    let start = tokio::time::Instant::now();
    let sender = {
        let standin = standin.clone();
        tokio::spawn(async move {
            for (i, (_, payload)) in reveals.into_iter().enumerate() {
                tokio::time::sleep_until(start + spacing * i as u32).await;
                standin.send(payload).await;
            }
            tokio::time::Instant::now()
        })
    };
    let mut got: HashMap<u64, Vec<Callback>> = HashMap::new();
    let mut level_ids = Vec::with_capacity(members.len());
    let mut level_set = HashSet::with_capacity(members.len());
    let mut last = Instant::now();
    let mut level_sends: Option<(tokio::time::Instant, tokio::time::Instant)> = None;
    // Moves on with each level click sent: each gets its own grace.
    let mut deadline = start + within + GRACE;
    let expected = reveal_ids.len() * 2;
    while got.len() < expected {
        let Ok(Some(cb)) = tokio::time::timeout_at(deadline, feed.recv()).await else { break };
        let id = cb.interaction_id;
        let accepted = cb.accepted();
        let is_reveal = reveal_set.contains(&id);
        if !is_reveal && !level_set.contains(&id) {
            continue;
        }
        last = Instant::now();
        let first = !got.contains_key(&id);
        got.entry(id).or_default().push(cb);
        if is_reveal && first && accepted {
            let level = answer_message(standin, id)
                .and_then(|answer| button_id(&answer, "Intermediate").map(|b| (b, answer)))
                .and_then(|(b, answer)| {
                    member_of.get(&id).map(|&i| standin.click(&b, &answer, &members[i], place_of(&answer)))
                });
            if let Some((level_id, payload)) = level {
                level_ids.push(level_id);
                level_set.insert(level_id);
                standin.send(payload).await;
                let now = tokio::time::Instant::now();
                level_sends = Some(level_sends.map_or((now, now), |(first, _)| (first, now)));
                deadline = deadline.max(now + GRACE);
            }
        }
    }
    let last_send = sender.await.unwrap_or(start);
    let span = last.duration_since(start.into_std());
    let settle = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(cb)) = tokio::time::timeout_at(settle, feed.recv()).await {
        if reveal_set.contains(&cb.interaction_id) || level_set.contains(&cb.interaction_id) {
            got.entry(cb.interaction_id).or_default().push(cb);
        }
    }
    let mut reveal = Outcome::from_callbacks(&reveal_ids, &got, span);
    reveal.send_span = last_send.duration_since(start);
    cpu.finish(&mut reveal);
    // A member whose Reveal failed never got to click a level: count it
    // as a lost level click, not as one fewer sent.
    let mut level = Outcome::from_callbacks(&level_ids, &got, span);
    level.confirm_deferred(standin, start.into_std()).await;
    level.send_span = level_sends.map_or(Duration::ZERO, |(first, last)| last.duration_since(first));
    (level.bot_cores, level.harness_cores, level.stolen_cores) =
        (reveal.bot_cores, reveal.harness_cores, reveal.stolen_cores);
    level.lost += reveal_ids.len() - level_ids.len();
    level.unsent = reveal_ids.len() - level_ids.len();
    level.sent = reveal_ids.len();
    (reveal, level, span)
}
