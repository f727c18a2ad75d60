//! The end-to-end load benchmark: the real quizbot (release build, SQLite)
//! and a floor bot (see `floor.rs`) each against the stand-in Discord
//! (`standin/`), with the same load, measured on the stand-in's side.
//!
//! `cargo bench --bench e2e` prints a table of the scenarios, then the
//! budgets of issue 16 (measured, budget, met or missed and by how much),
//! and writes the same to `target/bench-e2e.json`, and each bot's log to
//! `target/bench-e2e-{quizbot,floor,daily,...}.log`. Shorter runs while
//! working on it: `E2E_BENCH_SECONDS=2 E2E_BENCH_GUILDS=1000 cargo bench
//! --bench e2e`; the knobs are read in [`Plan::from_env`].
//!
//! Per bot (see `drive.rs`):
//! - start-up: process start to slash commands registered;
//! - one at a time: `/quiz`, Reveal and level clicks, each sent once the
//!   previous one was answered;
//! - `/quiz`, Reveal and level clicks at 100/s and 500/s for 10 s each,
//!   open loop, each Reveal and level click from a distinct member; for
//!   quizbot, Answer first at the same rates (the modal opened, then
//!   submitted), and the 500/s scenarios five times in a row;
//! - a burst: 5,000 members click Reveal within 2 s, and each their level
//!   as soon as the answer arrives;
//! - a ramp of level clicks (500/s up to 7,000/s) until the p99 passes
//!   50 ms: the sustained capacity;
//! - answered, lost (no callback) and faulty (two callbacks, or one that
//!   Discord refused) per scenario, the rate the generator achieved, and
//!   the CPU the bot and the harness (stand-in and generator) used; for
//!   quizbot, every acknowledged level click is then looked up in the
//!   database.
//!
//! Then, for quizbot alone: the 09:00 burst (`daily.rs`: 1,000 daily posts
//! due at once against Discord's rate limits and a 100 ms answer time);
//! with `E2E_BENCH_DATABASE_URL=postgres://...`, the load again on
//! PostgreSQL in a fresh schema, and a ramp there on one process and on
//! two (half the shards each). Last, for both bots, the peak memory
//! (VmHWM) after GUILD_CREATE for 1,000, 10,000 and 100,000 servers
//! (`memory.rs`), on the shards Discord recommends (one per thousand
//! servers, which serenity starts five seconds apart: about nine minutes
//! a bot for 100,000).
//!
//! The harness shares the machine with the bot: on two cores, a scenario
//! whose harness cores approach one is limited by the harness as much as
//! by the bot (the floor shows that ceiling).

mod budget;
mod daily;
mod drive;
mod floor;
mod load;
mod memory;
mod pg;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use daily::DailyRun;
use drive::LoadRun;
use memory::MemoryRun;
use standin::{BotProcess, StandIn};

/// The harness's allocator. The stand-in keeps every message and callback
/// of a load run, gigabytes for quizbot's; on glibc's malloc the first
/// allocations of each scenario then sorted what the one before had freed,
/// holding both threads in `_int_malloc` for 20-140 ms (perf) while every
/// request to the stand-in waited, and that wait was counted in the bot's
/// latency: most of the 500/s p99s above 5 ms were the first 1-2 % of a
/// scenario. The floor bot is this binary too, so it runs on mimalloc as
/// well: its p99s one at a time were no slower than on glibc in the runs
/// compared (README, Performance), though that was two runs each.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Steady rates, per second; the last is the one the budgets are for.
pub const RATES: [u32; 2] = [100, 500];

/// Which bot, on which database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bot {
    pub kind: Kind,
    /// A PostgreSQL URL (with its own schema) instead of a SQLite file.
    pub postgres: Option<String>,
    /// Processes, each running its share of the gateway shards (on
    /// PostgreSQL only: SQLite is one process's).
    pub processes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Quizbot,
    Floor,
}

impl Bot {
    pub const QUIZBOT: Bot = Bot { kind: Kind::Quizbot, postgres: None, processes: 1 };
    pub const FLOOR: Bot = Bot { kind: Kind::Floor, postgres: None, processes: 1 };

    pub fn name(&self) -> &'static str {
        match (self.kind, &self.postgres, self.processes) {
            (Kind::Quizbot, None, _) => "quizbot",
            (Kind::Quizbot, Some(_), 0 | 1) => "quizbot-pg",
            (Kind::Quizbot, Some(_), _) => "quizbot-pg×2",
            (Kind::Floor, _, _) => "floor",
        }
    }

    /// Whether it stores the level clicks (to be looked up afterwards).
    pub fn has_database(&self) -> bool {
        self.kind == Kind::Quizbot
    }

    /// Where its data is: `db` (SQLite) or the PostgreSQL schema.
    pub fn database_url(&self, db: &Path) -> String {
        match &self.postgres {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", db.display()),
        }
    }

    /// Starts the bot against `standin`, with the log level production
    /// runs with.
    pub fn spawn(&self, standin: &StandIn, db: &Path) -> anyhow::Result<BotProcess> {
        self.spawn_with(standin, db, &[])
    }

    /// [`spawn`](Self::spawn) with more environment (e.g. `SHARDS`).
    pub fn spawn_with(&self, standin: &StandIn, db: &Path, extra: &[(&str, &str)]) -> anyhow::Result<BotProcess> {
        // E2E_BENCH_LOG, e.g. `info,quizbot::store=debug`, to see slow
        // batches in target/bench-e2e-quizbot.log.
        let log = std::env::var("E2E_BENCH_LOG").unwrap_or_else(|_| "info,serenity=warn".to_string());
        let mut env = vec![("RUST_LOG", log.as_str())];
        // Every quizbot number includes recording its metrics, as in a
        // deployment that scrapes them (issue 16: recording must not move
        // the budgets). Port 0: any free port.
        if self.kind == Kind::Quizbot {
            env.push(("METRICS_ADDR", "127.0.0.1:0"));
        }
        env.extend_from_slice(extra);
        if let Some(url) = &self.postgres {
            env.push(("DATABASE_URL", url.as_str()));
        }
        Ok(match self.kind {
            Kind::Quizbot => {
                let mut quizbot = standin::quizbot!();
                if let Some(binary) = std::env::var_os("E2E_BENCH_QUIZBOT") {
                    quizbot.binary = binary.into();
                }
                BotProcess::spawn(&quizbot, standin, db, &env)
            }
            Kind::Floor => {
                let me = std::env::current_exe()?;
                env.push((floor::FLOOR_ENV, "1"));
                BotProcess::spawn_program(standin, &me, &[], db, &env)
            }
        })
    }
}

/// What to run, from the environment:
///
/// - `E2E_BENCH_ONLY`: a comma-separated subset of `sequential`, `steady`,
///   `burst`, `ramp`, `daily`, `postgres`, `memory` (default: all);
/// - `E2E_BENCH_BOTS`: `quizbot`, `floor` or both (default) for the load and
///   memory runs (the budgets against the floor need both);
/// - `E2E_BENCH_SECONDS` (10): each steady phase;
/// - `E2E_BENCH_SEQUENTIAL` (1000): interactions of each kind one at a time
///   (a p99 over a few hundred samples is too noisy to hold against the
///   floor's);
/// - `E2E_BENCH_REPEAT` (5): runs of quizbot's 500/s scenarios;
/// - `E2E_BENCH_BURST` (5000) members within `E2E_BENCH_BURST_SECONDS` (2);
/// - `E2E_BENCH_RAMP` (500,1000,2000,3000,5000,7000) level-click rates,
///   `E2E_BENCH_RAMP_SECONDS` (3) each, the Reveals before each at
///   `E2E_BENCH_RAMP_PREP` (1000) per second;
/// - `E2E_BENCH_DAILY` (1000) posts due `E2E_BENCH_DAILY_LEAD` (5) s after
///   the schedules are stored;
/// - `E2E_BENCH_GUILDS` (1000,10000,100000): the memory runs;
/// - `E2E_BENCH_DATABASE_URL`: a PostgreSQL server for the `postgres` runs
///   (a fresh schema each; none without it): the steady rates and the burst
///   on one process, then the ramp of `E2E_BENCH_PG_RAMP`
///   (100,200,300,500,700,1000,1500,2000) on one process and on two (each
///   half of the shards; `E2E_BENCH_PG_RAMP=` skips both ramps);
/// - `E2E_BENCH_LOG`: the bots' `RUST_LOG`;
/// - `E2E_BENCH_QUIZBOT`: another quizbot binary to run instead of this
///   checkout's (an earlier commit's release build, to measure a change
///   before and after on one harness).
#[derive(Clone, Debug)]
pub struct Plan {
    pub bots: Vec<Bot>,
    pub seconds: u32,
    pub sequential: usize,
    pub rates: Vec<u32>,
    pub repeat: u32,
    pub burst: usize,
    pub burst_within: Duration,
    pub ramp_rates: Vec<u32>,
    pub ramp_seconds: u32,
    pub ramp_prep_rate: u32,
    pub daily: usize,
    pub daily_lead: Duration,
    pub guild_counts: Vec<usize>,
    pub postgres: Option<String>,
    pub pg_ramp_rates: Vec<u32>,
}

impl Plan {
    fn from_env() -> anyhow::Result<Plan> {
        let only: Option<HashSet<String>> =
            std::env::var("E2E_BENCH_ONLY").ok().map(|v| v.split(',').map(|p| p.trim().to_string()).collect());
        const PARTS: [&str; 7] = ["sequential", "steady", "burst", "ramp", "daily", "postgres", "memory"];
        if let Some(only) = &only {
            for part in only {
                anyhow::ensure!(PARTS.contains(&part.as_str()), "E2E_BENCH_ONLY: unknown part {part:?} (of {PARTS:?})");
            }
        }
        let on = |part: &str| only.as_ref().is_none_or(|o| o.contains(part));
        let num = |name: &str, default: &str| -> anyhow::Result<u64> {
            env_or(name, default).trim().parse().map_err(|e| anyhow::anyhow!("{name}: {e}"))
        };
        let list = |name: &str, default: &str| -> anyhow::Result<Vec<u64>> {
            env_or(name, default)
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|n| n.trim().parse().map_err(|e| anyhow::anyhow!("{name}: {e}")))
                .collect()
        };
        let small = |n: u64| u32::try_from(n).map_err(|e| anyhow::anyhow!("{n}: {e}"));
        let mut bots = Vec::new();
        for name in env_or("E2E_BENCH_BOTS", "quizbot,floor").split(',').map(str::trim) {
            bots.push(match name {
                "quizbot" => Bot::QUIZBOT,
                "floor" => Bot::FLOOR,
                other => anyhow::bail!("E2E_BENCH_BOTS: unknown bot {other:?} (quizbot or floor)"),
            });
        }
        Ok(Plan {
            bots,
            seconds: small(num("E2E_BENCH_SECONDS", "10")?)?,
            sequential: if on("sequential") { num("E2E_BENCH_SEQUENTIAL", "1000")? as usize } else { 0 },
            rates: if on("steady") { RATES.to_vec() } else { Vec::new() },
            repeat: small(num("E2E_BENCH_REPEAT", "5")?.max(1))?,
            burst: if on("burst") { num("E2E_BENCH_BURST", "5000")? as usize } else { 0 },
            burst_within: Duration::from_secs_f64(env_or("E2E_BENCH_BURST_SECONDS", "2").trim().parse()?),
            ramp_rates: if on("ramp") {
                list("E2E_BENCH_RAMP", "500,1000,2000,3000,5000,7000")?
                    .into_iter()
                    .map(small)
                    .collect::<Result<_, _>>()?
            } else {
                Vec::new()
            },
            ramp_seconds: small(num("E2E_BENCH_RAMP_SECONDS", "3")?.max(1))?,
            ramp_prep_rate: small(num("E2E_BENCH_RAMP_PREP", "1000")?.max(1))?,
            daily: if on("daily") { num("E2E_BENCH_DAILY", "1000")? as usize } else { 0 },
            daily_lead: Duration::from_secs(num("E2E_BENCH_DAILY_LEAD", "5")?),
            guild_counts: if on("memory") {
                list("E2E_BENCH_GUILDS", "1000,10000,100000")?.into_iter().map(|n| n as usize).collect()
            } else {
                Vec::new()
            },
            postgres: std::env::var("E2E_BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty() && on("postgres")),
            pg_ramp_rates: list("E2E_BENCH_PG_RAMP", "100,200,300,500,700,1000,1500,2000")?
                .into_iter()
                .map(small)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether a load run has anything to do.
    fn has_load(&self) -> bool {
        self.sequential > 0 || !self.rates.is_empty() || self.burst > 0 || !self.ramp_rates.is_empty()
    }

    /// `(rate, run)` of the steady scenarios for `bot`: the top rate
    /// [`repeat`](Self::repeat) times for quizbot on SQLite.
    pub fn steady_runs(&self, bot: &Bot) -> Vec<(u32, u32)> {
        let top = self.rates.last().copied();
        let repeat = if *bot == Bot::QUIZBOT { self.repeat } else { 1 };
        self.rates
            .iter()
            .flat_map(|&rate| {
                let runs = if Some(rate) == top { repeat } else { 1 };
                (1..=runs).map(move |run| (rate, run))
            })
            .collect()
    }

    /// The plan of the PostgreSQL run: the steady rates once, the burst and
    /// the PostgreSQL ramp.
    fn on_postgres(&self) -> Plan {
        Plan { sequential: 0, repeat: 1, ramp_rates: self.pg_ramp_rates.clone(), ..self.clone() }
    }

    /// The plan of the two processes on PostgreSQL: the ramp alone.
    fn on_postgres_twice(&self) -> Plan {
        Plan { sequential: 0, rates: Vec::new(), burst: 0, ramp_rates: self.pg_ramp_rates.clone(), ..self.clone() }
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
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one phase of the benchmark on a runtime of its own, dropped when
/// the phase ends, so that nothing one phase left behind (the stand-in's
/// record of a load run reaches gigabytes) weighs on the next: mimalloc
/// ([`ALLOC`]) hands what it frees back to the system by itself. On glibc
/// (before mimalloc), left in the allocator, the 7.5 GB freed after
/// quizbot's load run made the floor's harness take a whole core, and
/// inflated the floor's own p99s, which quizbot's budgets are held against.
fn phase<T>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(work);
    drop(rt);
    result
}

/// `plan` run by `processes` bots (each its share of the shards) on a
/// fresh schema of the PostgreSQL `server`, dropped after.
async fn postgres_run(server: &str, processes: u32, plan: &Plan) -> anyhow::Result<LoadRun> {
    let schema = pg::PgSchema::create(server).await?;
    let bot = Bot { kind: Kind::Quizbot, postgres: Some(schema.url().to_string()), processes };
    eprintln!("load: {} ...", bot.name());
    let run = drive::load_run(&bot, plan).await;
    schema.drop().await?;
    run
}

fn run() -> anyhow::Result<()> {
    let plan = Plan::from_env()?;
    let started = Instant::now();
    let mut loads = Vec::new();
    if plan.has_load() {
        for bot in &plan.bots {
            eprintln!("load: {} ...", bot.name());
            loads.push(phase(drive::load_run(bot, &plan))?);
        }
    }
    let mut daily = None;
    if plan.daily > 0 {
        eprintln!("09:00 burst: {} daily posts ...", plan.daily);
        daily = Some(phase(daily::burst(&Bot::QUIZBOT, plan.daily, plan.daily_lead))?);
    }
    if let Some(server) = &plan.postgres {
        loads.push(phase(postgres_run(server, 1, &plan.on_postgres()))?);
        if !plan.pg_ramp_rates.is_empty() {
            loads.push(phase(postgres_run(server, 2, &plan.on_postgres_twice()))?);
        }
    }
    let mut memory = Vec::new();
    for &n in &plan.guild_counts {
        for bot in &plan.bots {
            eprintln!("memory: {} with {n} servers ...", bot.name());
            memory.push((bot.clone(), phase(memory::peak_memory(bot, n))?));
        }
    }
    let report = Report { plan, loads, daily, memory };
    print!("{}", report.table());
    let json = report.json(started.elapsed());
    let path = target_dir().join("bench-e2e.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    println!("\nwritten to {}; took {:.0} s", path.display(), started.elapsed().as_secs_f64());
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
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

pub struct Report {
    pub plan: Plan,
    pub loads: Vec<LoadRun>,
    pub daily: Option<DailyRun>,
    pub memory: Vec<(Bot, MemoryRun)>,
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Report {
    pub fn load(&self, bot: &Bot) -> Option<&LoadRun> {
        self.loads.iter().find(|l| l.bot == *bot)
    }

    pub fn load_named(&self, name: &str) -> Option<&LoadRun> {
        self.loads.iter().find(|l| l.bot.name() == name)
    }

    pub fn scenario(&self, bot: &Bot, name: &str) -> Option<&load::Outcome> {
        self.load(bot)?.scenario(name)
    }

    /// A bot's p99 over the floor's, per scenario.
    fn ratio(&self, bot: &Bot, name: &str) -> Option<f64> {
        let ours = self.scenario(bot, name)?.percentile_ms(99.0);
        let floor = self.scenario(&Bot::FLOOR, name)?.percentile_ms(99.0);
        Some(ours / floor)
    }

    fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "\nquizbot end-to-end benchmark: {}", machine());
        let _ = writeln!(
            out,
            "steady phases {} s each; latency = INTERACTION_CREATE sent -> callback received, at the stand-in; \
             sent/s = the rate the load generator achieved; cores = CPU the bot / the harness (stand-in and \
             load generator, one process) kept busy over the scenario, and the time the VM had work ready \
             but its host ran something else (steal), in cores (cores b/h/st)\n",
            self.plan.seconds
        );
        let _ = writeln!(
            out,
            "{:<26} {:<12} {:>6} {:>8} {:>5} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>14}",
            "scenario",
            "bot",
            "sent",
            "answered",
            "lost",
            "faulty",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "p99 ×",
            "sent/s",
            "cores b/h/st"
        );
        let mut names: Vec<&str> = Vec::new();
        for load in &self.loads {
            for (n, _) in &load.scenarios {
                if !names.contains(&n.as_str()) {
                    names.push(n);
                }
            }
        }
        for name in &names {
            for load in &self.loads {
                let Some(o) = load.scenario(name) else { continue };
                let ratio = match load.bot.kind {
                    Kind::Quizbot => self.ratio(&load.bot, name).map(|r| format!("{r:.2}")).unwrap_or_default(),
                    Kind::Floor => String::new(),
                };
                let _ = writeln!(
                    out,
                    "{:<26} {:<12} {:>6} {:>8} {:>5} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>8.0} {:>14}",
                    name,
                    load.bot.name(),
                    o.sent,
                    o.answered,
                    o.lost,
                    o.faulty,
                    o.percentile_ms(50.0),
                    o.percentile_ms(95.0),
                    o.percentile_ms(99.0),
                    o.max_ms(),
                    ratio,
                    o.send_rate(),
                    match (o.bot_cores, o.harness_cores) {
                        (Some(b), Some(h)) => format!("{b:.2}/{h:.2}/{}", drive::cores(o.stolen_cores)),
                        _ => String::new(),
                    }
                );
            }
        }
        let _ = writeln!(out);
        for load in &self.loads {
            let _ = write!(out, "{:<12} start-up {:>6.0} ms", load.bot.name(), ms(load.startup));
            if let Some((n, span)) = load.burst {
                let _ = write!(out, "; burst of {n} answered in {:>6.0} ms", ms(span));
            }
            let _ = write!(out, "; peak memory after the load {:>6.1} MiB", mib(load.peak_kib));
            if let Some((acked, missing)) = load.ratings {
                let _ = write!(out, "; {acked} level clicks acknowledged, {missing} missing from the database");
            }
            if let Some(top) = budget::capacity(load) {
                let _ = write!(out, "; capacity {top}");
            }
            let _ = writeln!(out);
        }
        if let Some(d) = &self.daily {
            let secs = |t: Option<f64>| t.map_or("-".to_string(), |t| format!("{t:.2} s"));
            let _ = writeln!(
                out,
                "\n09:00 burst: {} posts due at once in {} servers (stand-in: Discord's rate limits, posts answered \
                 after {} ms); bot ready {:.1} s before the due time\n  first post {} after the due time, last {}; \
                 {:.1} posts/s; channels with one post {}, none {}, more {}; 429s {} (global {}); refused requests {}",
                d.due,
                d.servers,
                daily::POST_LATENCY.as_millis(),
                d.ready_before_due,
                secs(d.first_post),
                secs(d.last_post),
                d.rate().unwrap_or(f64::NAN),
                d.once,
                d.none,
                d.more,
                d.limited,
                d.limited_global,
                d.violations
            );
        }
        if !self.memory.is_empty() {
            let _ = writeln!(
                out,
                "\n{:<12} {:>8} {:>12} {:>18} {:>10} {:>10}",
                "bot", "servers", "start-up ms", "all GUILD_CREATE ms", "VmHWM MiB", "VmRSS MiB"
            );
        }
        for (bot, m) in &self.memory {
            let _ = writeln!(
                out,
                "{:<12} {:>8} {:>12.0} {:>18.0} {:>10.1} {:>10.1}",
                bot.name(),
                m.guilds,
                ms(m.startup),
                ms(m.all_guilds_read),
                mib(m.peak_kib),
                mib(m.resident_kib)
            );
        }
        let _ = writeln!(out, "\nbudgets (issue 16):");
        out.push_str(&budget::table(&budget::rows(self)));
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
                    "bot": l.bot.name(),
                    "startup_ms": ms(l.startup),
                    "burst": l.burst.map(|(n, span)| json!({"members": n, "span_ms": ms(span)})),
                    "peak_kib_after_load": l.peak_kib,
                    "ratings_acknowledged": l.ratings.map(|r| r.0),
                    "ratings_missing": l.ratings.map(|r| r.1),
                    "burst_ratings_acknowledged": l.burst_ratings.map(|r| r.0),
                    "burst_ratings_missing": l.burst_ratings.map(|r| r.1),
                    "ramp": l.ramp.iter().map(|(rate, o)| json!({"rate": rate, "outcome": o.to_json()})).collect::<Vec<_>>(),
                    "scenarios": scenarios,
                })
            })
            .collect();
        let daily = self.daily.as_ref().map(|d| {
            json!({
                "due": d.due,
                "servers": d.servers,
                "post_latency_ms": ms(daily::POST_LATENCY),
                "startup_ms": ms(d.startup),
                "ready_before_due_s": d.ready_before_due,
                "first_post_s": d.first_post,
                "last_post_s": d.last_post,
                "posts_per_s": d.rate(),
                "channels_once": d.once,
                "channels_none": d.none,
                "channels_more": d.more,
                "rate_limited": d.limited,
                "rate_limited_global": d.limited_global,
                "refused": d.violations,
            })
        });
        let memory: Vec<Value> = self
            .memory
            .iter()
            .map(|(bot, m)| {
                json!({
                    "bot": bot.name(),
                    "servers": m.guilds,
                    "startup_ms": ms(m.startup),
                    "all_guild_create_ms": ms(m.all_guilds_read),
                    "vmhwm_kib": m.peak_kib,
                    "vmrss_kib": m.resident_kib,
                })
            })
            .collect();
        let budgets: Vec<Value> = budget::rows(self).iter().map(budget::Row::to_json).collect();
        json!({
            "machine": machine(),
            "steady_seconds": self.plan.seconds,
            "took_s": took.as_secs_f64(),
            "load": loads,
            "daily": daily,
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
