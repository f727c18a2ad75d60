//! The end-to-end load benchmark: the real quizbot (release build, SQLite)
//! and a floor bot (see `floor.rs`) each against the stand-in Discord
//! (`standin/`), with the same load, measured on the stand-in's side.
//!
//! `cargo bench --bench e2e` prints a table and writes the same numbers to
//! `target/bench-e2e.json`, and each bot's log of the load run to
//! `target/bench-e2e-{quizbot,floor}.log`. Shorter runs while working on it:
//! `E2E_BENCH_SECONDS=2 E2E_BENCH_GUILDS=1000 cargo bench --bench e2e`.
//!
//! Per bot:
//! - start-up: process start to slash commands registered;
//! - `/quiz`, Reveal and level clicks at 100/s and 500/s for 10 s each,
//!   open loop, each Reveal and level click from a distinct member;
//! - for quizbot, Answer first at the same rates: the modal opened, then
//!   submitted (the member's words stored, the compare view answered);
//! - a burst: 1,000 members click Reveal within one second, and each their
//!   level as soon as the answer arrives;
//! - answered, lost (no callback) and faulty (two callbacks, or one that
//!   Discord refused) per scenario; for quizbot, every acknowledged level
//!   click is then looked up in the database;
//! - peak memory (VmHWM) after GUILD_CREATE for 1,000 and 10,000 servers.

mod floor;
mod load;
mod memory;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use load::{answer_message, button_id, Outcome};
use memory::MemoryRun;
use standin::e2e::WAIT;
use standin::{BotProcess, Place, StandIn, StandInConfig, TestUser};

/// Steady rates, per second.
const RATES: [u32; 2] = [100, 500];
/// Members in the burst.
const BURST: usize = 1_000;

/// Budgets from issue 6, on the 2-core machine.
const BUDGET_P99_MS: f64 = 10.0;
const BUDGET_BURST: Duration = Duration::from_secs(3);
const BUDGET_PEAK_MB: f64 = 150.0;
const BUDGET_FLOOR_RATIO: f64 = 1.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Quizbot,
    Floor,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Quizbot => "quizbot",
            Target::Floor => "floor",
        }
    }

    /// Starts the bot against `standin`, with the log level production
    /// runs with.
    pub fn spawn(self, standin: &StandIn, db: &Path) -> anyhow::Result<BotProcess> {
        // E2E_BENCH_LOG, e.g. `info,quizbot::store=debug`, to see slow
        // batches in target/bench-e2e-quizbot.log.
        let log = std::env::var("E2E_BENCH_LOG").unwrap_or_else(|_| "info,serenity=warn".to_string());
        let log = ("RUST_LOG", log.as_str());
        Ok(match self {
            Target::Quizbot => BotProcess::spawn(&standin::quizbot!(), standin, db, &[log]),
            Target::Floor => {
                let me = std::env::current_exe()?;
                BotProcess::spawn_program(standin, &me, &[], db, &[log, (floor::FLOOR_ENV, "1")])
            }
        })
    }
}

fn main() -> ExitCode {
    if std::env::var_os(floor::FLOOR_ENV).is_some() {
        return match floor::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("floor bot: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What one bot did under load.
struct LoadRun {
    target: Target,
    startup: Duration,
    scenarios: Vec<(String, Outcome)>,
    burst_span: Duration,
    /// Acknowledged level clicks, and how many of them are not in the
    /// database (quizbot only).
    ratings: Option<(usize, usize)>,
    peak_kib: u64,
}

async fn run() -> anyhow::Result<()> {
    let seconds: u32 = env_or("E2E_BENCH_SECONDS", "10").parse()?;
    let guild_counts: Vec<usize> =
        env_or("E2E_BENCH_GUILDS", "1000,10000").split(',').map(|n| n.trim().parse()).collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut loads = Vec::new();
    for target in [Target::Quizbot, Target::Floor] {
        eprintln!("load: {} ...", target.name());
        loads.push(load_run(target, seconds).await?);
    }
    let mut memory = Vec::new();
    for &n in &guild_counts {
        for target in [Target::Quizbot, Target::Floor] {
            eprintln!("memory: {} with {n} servers ...", target.name());
            memory.push((target, memory::peak_memory(target, n).await?));
        }
    }
    let report = Report { seconds, loads, memory };
    print!("{}", report.table());
    let json = report.json(started.elapsed());
    let path = target_dir().join("bench-e2e.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    println!("\nwritten to {}", path.display());
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Members: a few regulars who run `/quiz`, and fresh ones for each click.
struct Members {
    next: u64,
}

impl Members {
    fn regular(i: usize) -> TestUser {
        let id = 1_300_000_000_000_000_000 + (i as u64 % 100);
        TestUser::new(id, &format!("regular{}", i % 100))
    }

    fn fresh(&mut self, n: usize) -> Vec<TestUser> {
        (0..n)
            .map(|_| {
                self.next += 1;
                TestUser::new(1_310_000_000_000_000_000 + self.next, &format!("member{}", self.next))
            })
            .collect()
    }
}

async fn load_run(target: Target, seconds: u32) -> anyhow::Result<LoadRun> {
    let standin = StandIn::start_with(StandInConfig { keep_traffic: false, ..StandInConfig::default() }).await;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("quizbot.db");
    let started = Instant::now();
    let mut bot = target.spawn(&standin, &db)?;
    standin.wait_commands(Duration::from_secs(60)).await;
    let startup = started.elapsed();

    let mut feed = standin.callback_feed();
    let place = Place::guild();
    let mut members = Members { next: 0 };
    let quiz = |i: usize| standin.slash("quiz", json!([]), &Members::regular(i), place);
    // Warm-up (connections, first allocations); not counted.
    load::steady(&standin, &mut feed, 100, (0..100).map(quiz).collect()).await;

    let mut scenarios = Vec::new();
    let mut acknowledged: Vec<u64> = Vec::new();
    // Posts whose answer fits one message, for the burst.
    let mut short_posts: Vec<Value> = Vec::new();
    for rate in RATES {
        let n = (rate * seconds) as usize;
        let quizzes = load::steady(&standin, &mut feed, rate, (0..n).map(quiz).collect()).await;
        let posts: Vec<Value> =
            quizzes.answered_ids.iter().take(50).filter_map(|id| standin.original_message(*id)).collect();
        anyhow::ensure!(!posts.is_empty(), "{}: no /quiz was answered", target.name());
        scenarios.push((format!("/quiz {rate}/s"), quizzes));

        let users = members.fresh(n);
        let mut clicker = HashMap::new();
        let mut reveals = Vec::with_capacity(n);
        for (i, user) in users.iter().enumerate() {
            let post = &posts[i % posts.len()];
            if let Some(reveal) = button_id(post, "Reveal answer") {
                let (id, payload) = standin.click(&reveal, post, user, place);
                clicker.insert(id, (i, i % posts.len()));
                reveals.push((id, payload));
            }
        }
        let revealed = load::steady(&standin, &mut feed, rate, reveals).await;
        // A long answer's follow-ups come after the first response.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut levels = Vec::with_capacity(n);
        for id in &revealed.answered_ids {
            let Some(&(user, post)) = clicker.get(id) else { continue };
            let Some(answer) = answer_message(&standin, *id) else { continue };
            if standin.original_message(*id).is_some_and(|m| button_id(&m, "Intermediate").is_some()) {
                let post = &posts[post];
                if !short_posts.contains(post) {
                    short_posts.push(post.clone());
                }
            }
            if let Some(level) = button_id(&answer, "Intermediate") {
                levels.push(standin.click(&level, &answer, &users[user], place));
            }
        }
        scenarios.push((format!("Reveal {rate}/s"), revealed));
        let mut rated = load::steady(&standin, &mut feed, rate, levels).await;
        // A member whose Reveal failed never got to click a level: a lost
        // level click, not one fewer sent.
        let never_sent = n.saturating_sub(rated.sent);
        rated.sent += never_sent;
        rated.lost += never_sent;
        acknowledged.extend(&rated.answered_ids);
        scenarios.push((format!("level {rate}/s"), rated));

        // Answer first (quizbot only; the floor has no such button): each
        // fresh member opens the modal, then submits it at the rate.
        if let Some(first) = button_id(&posts[0], "Answer first") {
            let writers = members.fresh(n);
            let mut opens = Vec::with_capacity(n);
            let mut opener = HashMap::new();
            for (i, user) in writers.iter().enumerate() {
                let post = &posts[i % posts.len()];
                let first = button_id(post, "Answer first").unwrap_or_else(|| first.clone());
                let (id, payload) = standin.click(&first, post, user, place);
                opener.insert(id, (i, i % posts.len()));
                opens.push((id, payload));
            }
            let opened = load::steady(&standin, &mut feed, rate, opens).await;
            let mut submits = Vec::with_capacity(n);
            for id in &opened.answered_ids {
                let Some(&(user, post)) = opener.get(id) else { continue };
                let Some(modal) = standin.callbacks_for(*id).into_iter().find(|c| c.kind == 9) else { continue };
                let typed = [("answer", "A rolling update replaces instances a few at a time.")];
                submits.push(standin.submit_modal(&modal.data, &typed, Some(&posts[post]), &writers[user], place));
            }
            scenarios.push((format!("Answer first {rate}/s"), opened));
            let mut submitted = load::steady(&standin, &mut feed, rate, submits).await;
            let never_sent = n.saturating_sub(submitted.sent);
            submitted.sent += never_sent;
            submitted.lost += never_sent;
            scenarios.push((format!("modal submit {rate}/s"), submitted));
        }
    }

    anyhow::ensure!(!short_posts.is_empty(), "{}: no answer fit one message", target.name());
    let (reveal, level, burst_span) =
        load::burst(&standin, &mut feed, &short_posts, &members.fresh(BURST), place).await;
    acknowledged.extend(&level.answered_ids);
    scenarios.push((format!("burst Reveal ×{BURST}"), reveal));
    scenarios.push((format!("burst level ×{BURST}"), level));

    let pid = bot.pid().ok_or_else(|| anyhow::anyhow!("{} exited during the run", target.name()))?;
    let (peak_kib, _) = proc_memory(pid)?;
    let violations = standin.take_violations();
    if !violations.is_empty() {
        eprintln!("{}: the stand-in refused {} requests, first: {}", target.name(), violations.len(), violations[0]);
    }
    bot.terminate(WAIT).await;
    std::fs::copy(bot.log_path(), target_dir().join(format!("bench-e2e-{}.log", target.name())))?;
    let ratings = match target {
        Target::Quizbot => Some((acknowledged.len(), missing_ratings(&db, &acknowledged).await?)),
        Target::Floor => None,
    };
    Ok(LoadRun { target, startup, scenarios, burst_span, ratings, peak_kib })
}

/// How many of the acknowledged level clicks have no row in
/// `rating_events` (whose id is the click's interaction id).
async fn missing_ratings(db: &Path, acknowledged: &[u64]) -> anyhow::Result<usize> {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(db).read_only(true).connect().await?;
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM rating_events").fetch_all(&mut conn).await?;
    let stored: HashSet<u64> = stored.into_iter().filter_map(|id| u64::try_from(id).ok()).collect();
    Ok(acknowledged.iter().filter(|id| !stored.contains(id)).count())
}

/// `(VmHWM, VmRSS)` of process `pid`, in KiB.
pub fn proc_memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

struct Report {
    seconds: u32,
    loads: Vec<LoadRun>,
    memory: Vec<(Target, MemoryRun)>,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Report {
    fn load(&self, target: Target) -> Option<&LoadRun> {
        self.loads.iter().find(|l| l.target == target)
    }

    fn scenario(&self, target: Target, name: &str) -> Option<&Outcome> {
        self.load(target)?.scenarios.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }

    /// quizbot's p99 over the floor's, per scenario.
    fn ratio(&self, name: &str) -> Option<f64> {
        let ours = self.scenario(Target::Quizbot, name)?.percentile_ms(99.0);
        let floor = self.scenario(Target::Floor, name)?.percentile_ms(99.0);
        Some(ours / floor)
    }

    fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "\nquizbot end-to-end benchmark: {}", machine());
        let _ = writeln!(
            out,
            "steady phases {} s each; latency = INTERACTION_CREATE sent -> callback received, at the stand-in\n",
            self.seconds
        );
        let _ = writeln!(
            out,
            "{:<20} {:<8} {:>6} {:>8} {:>5} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "scenario", "bot", "sent", "answered", "lost", "faulty", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 ×"
        );
        let names: Vec<String> =
            self.loads.first().map(|l| l.scenarios.iter().map(|(n, _)| n.clone()).collect()).unwrap_or_default();
        for name in &names {
            for load in &self.loads {
                let Some(o) = self.scenario(load.target, name) else { continue };
                let ratio = match load.target {
                    Target::Quizbot => self.ratio(name).map(|r| format!("{r:.2}")).unwrap_or_default(),
                    Target::Floor => String::new(),
                };
                let _ = writeln!(
                    out,
                    "{:<20} {:<8} {:>6} {:>8} {:>5} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
                    name,
                    load.target.name(),
                    o.sent,
                    o.answered,
                    o.lost,
                    o.faulty,
                    o.percentile_ms(50.0),
                    o.percentile_ms(95.0),
                    o.percentile_ms(99.0),
                    o.max_ms(),
                    ratio
                );
            }
        }
        let _ = writeln!(out);
        for load in &self.loads {
            let _ = write!(
                out,
                "{:<8} start-up {:>6.0} ms; burst answered in {:>6.0} ms; peak memory after the load {:>6.1} MiB",
                load.target.name(),
                ms(load.startup),
                ms(load.burst_span),
                mib(load.peak_kib)
            );
            if let Some((acked, missing)) = load.ratings {
                let _ = write!(out, "; {acked} level clicks acknowledged, {missing} missing from the database");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "\n{:<8} {:>8} {:>12} {:>18} {:>10} {:>10}",
            "bot", "servers", "start-up ms", "all GUILD_CREATE ms", "VmHWM MiB", "VmRSS MiB"
        );
        for (target, m) in &self.memory {
            let _ = writeln!(
                out,
                "{:<8} {:>8} {:>12.0} {:>18.0} {:>10.1} {:>10.1}",
                target.name(),
                m.guilds,
                ms(m.startup),
                ms(m.all_guilds_read),
                mib(m.peak_kib),
                mib(m.resident_kib)
            );
        }
        let _ = writeln!(out, "\nbudgets:");
        for (what, measured, ok) in self.budgets() {
            let _ = writeln!(out, "  {} {what}: {measured}", if ok { "met   " } else { "MISSED" });
        }
        out
    }

    /// `(budget, measured, met)`.
    fn budgets(&self) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        let top = RATES[RATES.len() - 1];
        for kind in ["/quiz", "Reveal", "level"] {
            let name = format!("{kind} {top}/s");
            if let Some(o) = self.scenario(Target::Quizbot, &name) {
                let p99 = o.percentile_ms(99.0);
                out.push((format!("p99 {name} ≤ {BUDGET_P99_MS} ms"), format!("{p99:.2} ms"), p99 <= BUDGET_P99_MS));
            }
            if let Some(r) = self.ratio(&name) {
                out.push((
                    format!("p99 {name} ≤ {BUDGET_FLOOR_RATIO}× the floor"),
                    format!("{r:.2}×"),
                    r <= BUDGET_FLOOR_RATIO,
                ));
            }
        }
        // Issue 14: a modal submit (a write and the compare view) within
        // the level click's budget.
        let modal = self.scenario(Target::Quizbot, &format!("modal submit {top}/s"));
        let level = self.scenario(Target::Quizbot, &format!("level {top}/s"));
        if let (Some(modal), Some(level)) = (modal, level) {
            let (m, l) = (modal.percentile_ms(99.0), level.percentile_ms(99.0));
            out.push((
                format!("p99 modal submit {top}/s ≤ the level click's budget ({BUDGET_P99_MS} ms)"),
                format!("{m:.2} ms (level click {l:.2} ms)"),
                m <= BUDGET_P99_MS,
            ));
        }
        if let Some(load) = self.load(Target::Quizbot) {
            let all_answered =
                load.scenarios.iter().filter(|(n, _)| n.starts_with("burst")).all(|(_, o)| o.answered == o.sent);
            let (_, missing) = load.ratings.unwrap_or((0, usize::MAX));
            out.push((
                format!("burst of {BURST}: all answered within {} s, 0 lost ratings", BUDGET_BURST.as_secs()),
                format!("{:.0} ms, all answered: {all_answered}, missing ratings: {missing}", ms(load.burst_span)),
                all_answered && load.burst_span <= BUDGET_BURST && missing == 0,
            ));
        }
        for (target, m) in &self.memory {
            if *target == Target::Quizbot && m.guilds >= 10_000 {
                let peak = mib(m.peak_kib);
                out.push((
                    format!("peak memory with {} servers ≤ {BUDGET_PEAK_MB} MB", m.guilds),
                    format!("{peak:.1} MiB"),
                    peak <= BUDGET_PEAK_MB,
                ));
            }
        }
        out
    }

    fn json(&self, took: Duration) -> Value {
        let loads: Vec<Value> = self
            .loads
            .iter()
            .map(|l| {
                let scenarios: serde_json::Map<String, Value> =
                    l.scenarios.iter().map(|(n, o)| (n.clone(), o.to_json())).collect();
                json!({
                    "bot": l.target.name(),
                    "startup_ms": ms(l.startup),
                    "burst_span_ms": ms(l.burst_span),
                    "peak_kib_after_load": l.peak_kib,
                    "ratings_acknowledged": l.ratings.map(|r| r.0),
                    "ratings_missing": l.ratings.map(|r| r.1),
                    "scenarios": scenarios,
                })
            })
            .collect();
        let memory: Vec<Value> = self
            .memory
            .iter()
            .map(|(t, m)| {
                json!({
                    "bot": t.name(),
                    "servers": m.guilds,
                    "startup_ms": ms(m.startup),
                    "all_guild_create_ms": ms(m.all_guilds_read),
                    "vmhwm_kib": m.peak_kib,
                    "vmrss_kib": m.resident_kib,
                })
            })
            .collect();
        let budgets: Vec<Value> =
            self.budgets().into_iter().map(|(b, m, ok)| json!({"budget": b, "measured": m, "met": ok})).collect();
        json!({
            "machine": machine(),
            "steady_seconds": self.seconds,
            "took_s": took.as_secs_f64(),
            "load": loads,
            "memory": memory,
            "budgets": budgets,
        })
    }
}

/// "CPU model, N cores".
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}
