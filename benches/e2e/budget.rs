//! The budgets of issue 16, each with what was measured, the budget's
//! value and whether it was met (and by how much it was met or missed).
//!
//! Latency percentiles here are over everything sent
//! ([`Outcome::percentile_of_sent_ms`]): a lost or refused interaction
//! counts as slower than any answer, so losses cannot hide behind a good
//! p99 of the answered ones.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use crate::daily::PACE;
use crate::drive::{LoadRun, RAMP_P99_MS};
use crate::load::Outcome;
use crate::{mib, ms, Bot, Report};

/// One at a time: `/quiz` and Reveal p99 within this factor of the floor's.
const SEQUENTIAL_FACTOR: f64 = 1.3;
/// One at a time: level click p99 within this much of the floor's.
const SEQUENTIAL_LEVEL_MS: f64 = 0.5;
/// At the top steady rate, each kind's p99, in every run.
const STEADY_P99_MS: f64 = 5.0;
/// Runs at the top rate the budget asks for.
const STEADY_RUNS: usize = 5;
/// The kinds of interaction at the top rate.
const KINDS: [&str; 5] = ["/quiz", "Reveal", "level", "Answer first", "modal submit"];
/// Discord's deadline for each interaction's first answer.
const DEADLINE: Duration = Duration::from_secs(3);
/// The burst the budget is for.
const BURST: usize = 5_000;
const BURST_WITHIN: Duration = Duration::from_secs(2);
/// The 09:00 burst: the last post within this factor of N / pace.
const DAILY_FACTOR: f64 = 1.2;
/// "No 429 beyond the first few".
const DAILY_429S: u64 = 5;
/// The 09:00 burst the budget is extrapolated to.
const DAILY_AT_SCALE: usize = 10_000;
/// Sustained level clicks with p99 within [`RAMP_P99_MS`].
const CAPACITY: u32 = 5_000;
/// A ramp step counts only if the generator sent at least this share of
/// its rate.
const GENERATOR_SHARE: f64 = 0.95;
/// Peak memory with [`MEMORY_SERVERS`] servers, in MB (10^6 bytes).
const MEMORY_MB: f64 = 60.0;
const MEMORY_SERVERS: usize = 100_000;
/// On PostgreSQL, each kind's p99 at the top rate.
const POSTGRES_P99_MS: f64 = 10.0;
/// Two processes against one.
const TWO_PROCESSES: f64 = 1.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    /// Measured, but less of it than the budget asks (fewer runs, a
    /// smaller burst): shown with what was met or missed.
    Partial(bool),
    /// Not measured: extrapolated from what was (shown with what it
    /// would meet or miss).
    Extrapolated(bool),
    /// Not measured in this run (its part was skipped).
    NotRun,
}

/// One line of the budget table.
#[derive(Clone, Debug)]
pub struct Row {
    /// The item of issue 16.
    pub item: &'static str,
    pub budget: String,
    pub measured: String,
    pub value: String,
    pub status: Status,
    /// By how much it was met or missed ("" if not run).
    pub by: String,
}

impl Row {
    fn not_run(item: &'static str, budget: String, value: String, why: &str) -> Row {
        Row { item, budget, measured: why.to_string(), value, status: Status::NotRun, by: String::new() }
    }

    fn status_text(&self) -> String {
        let by = if self.by.is_empty() { String::new() } else { format!(" by {}", self.by) };
        match self.status {
            Status::Met => format!("met{by}"),
            Status::Missed => format!("MISSED{by}"),
            Status::Partial(true) => format!("met{by}, partial run"),
            Status::Partial(false) => format!("MISSED{by}, partial run"),
            Status::Extrapolated(true) => format!("met{by} (extrapolated)"),
            Status::Extrapolated(false) => format!("MISSED{by} (extrapolated)"),
            Status::NotRun => "not run".to_string(),
        }
    }

    pub fn to_json(&self) -> Value {
        let status = match self.status {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::Partial(true) => "met (partial run)",
            Status::Partial(false) => "missed (partial run)",
            Status::Extrapolated(true) => "met (extrapolated)",
            Status::Extrapolated(false) => "missed (extrapolated)",
            Status::NotRun => "not run",
        };
        json!({
            "item": self.item,
            "budget": self.budget,
            "measured": self.measured,
            "budget_value": self.value,
            "status": status,
            "by": self.by,
        })
    }
}

/// Milliseconds with two decimals; "∞" for a percentile past the answered.
fn ms_text(v: f64) -> String {
    if v.is_infinite() {
        "∞ (too many lost)".to_string()
    } else {
        format!("{v:.2} ms")
    }
}

/// `measured ≤ limit`, with the margin in `unit`.
fn at_most(measured: f64, limit: f64, unit: &str, decimals: usize) -> (Status, String) {
    if measured.is_nan() {
        return (Status::Missed, "(nothing measured)".to_string());
    }
    let status = if measured <= limit { Status::Met } else { Status::Missed };
    let diff = (limit - measured).abs();
    let by = if diff.is_infinite() {
        "∞".to_string()
    } else {
        let pct = if limit != 0.0 && !unit.is_empty() {
            format!(" ({:+.0} %)", (measured - limit) / limit * 100.0)
        } else {
            String::new()
        };
        let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
        format!("{diff:.decimals$}{unit}{pct}")
    };
    (status, by)
}

fn p99(o: &Outcome) -> f64 {
    o.percentile_of_sent_ms(99.0)
}

/// The highest ramp rate whose p99 stayed within [`RAMP_P99_MS`] (and
/// that the generator could send), as a sentence for the summary.
pub fn capacity(load: &LoadRun) -> Option<String> {
    if load.ramp.is_empty() {
        return None;
    }
    let (best, note) = ramp_best(load);
    Some(match best {
        Some(rate) => format!("{rate}/s with p99 ≤ {RAMP_P99_MS} ms{note}"),
        None => format!("below {}/s{note}", load.ramp[0].0),
    })
}

/// The best rate and a note on where the ramp stopped.
fn ramp_best(load: &LoadRun) -> (Option<u32>, String) {
    let mut best = None;
    for (rate, o) in &load.ramp {
        let p = p99(o);
        let sent_share = o.send_rate() / f64::from(*rate);
        if sent_share < GENERATOR_SHARE {
            return (
                best,
                format!(" (the generator sent only {:.0}/s of {rate}/s: its limit, not the bot's)", o.send_rate()),
            );
        }
        if p.is_nan() || p > RAMP_P99_MS {
            return (best, format!(" (at {rate}/s p99 {}, sent {:.0}/s)", ms_text(p), o.send_rate()));
        }
        best = Some(*rate);
    }
    let note = load
        .ramp
        .last()
        .map_or(String::new(), |(rate, o)| format!(" ({rate}/s was the highest tried; sent {:.0}/s)", o.send_rate()));
    (best, note)
}

/// Every budget of issue 16, in its order.
pub fn rows(r: &Report) -> Vec<Row> {
    let mut out = Vec::new();
    sequential(r, &mut out);
    steady(r, &mut out);
    burst(r, r.load(&Bot::QUIZBOT), "4", "", &mut out);
    daily(r, &mut out);
    ramp(r, &mut out);
    memory(r, &mut out);
    postgres(r, &mut out);
    out
}

/// Item 2: one at a time, against the floor.
fn sequential(r: &Report, out: &mut Vec<Row>) {
    for kind in ["/quiz", "Reveal", "level"] {
        let name = format!("{kind} one at a time");
        let budget = if kind == "level" {
            format!("{name}: p99 ≤ floor's p99 + {SEQUENTIAL_LEVEL_MS} ms")
        } else {
            format!("{name}: p99 ≤ {SEQUENTIAL_FACTOR}× floor's p99")
        };
        // The limit and its text, from the floor's p99.
        let limit_of = |f: f64| {
            if kind == "level" {
                let limit = f + SEQUENTIAL_LEVEL_MS;
                (limit, format!("≤ {limit:.2} ms (floor {f:.2} + {SEQUENTIAL_LEVEL_MS})"))
            } else {
                let limit = f * SEQUENTIAL_FACTOR;
                (limit, format!("≤ {limit:.2} ms ({SEQUENTIAL_FACTOR} × floor {f:.2})"))
            }
        };
        let (Some(ours), Some(floor)) = (r.scenario(&Bot::QUIZBOT, &name), r.scenario(&Bot::FLOOR, &name)) else {
            out.push(Row::not_run("2", budget, String::new(), "(sequential not run)"));
            continue;
        };
        let (limit, value) = limit_of(p99(floor));
        let measured = p99(ours);
        let (status, by) = at_most(measured, limit, "ms", 2);
        let text = format!(
            "{} ({}/{} answered; {:.2}× floor)",
            ms_text(measured),
            ours.answered,
            ours.sent,
            measured / p99(floor)
        );
        out.push(Row { item: "2", budget, measured: text, value, status, by });
    }
}

/// Item 3: every kind's p99 at the top rate, in each of the runs.
fn steady(r: &Report, out: &mut Vec<Row>) {
    let Some(&top) = r.plan.rates.last() else {
        out.push(Row::not_run(
            "3",
            format!("each kind's p99 ≤ {STEADY_P99_MS} ms at 500/s"),
            String::new(),
            "(steady not run)",
        ));
        return;
    };
    let Some(load) = r.load(&Bot::QUIZBOT) else { return };
    for kind in KINDS {
        let budget = format!("{kind} {top}/s: p99 ≤ {STEADY_P99_MS} ms in each of {STEADY_RUNS} runs");
        let runs: Vec<&Outcome> = (1..=r.plan.repeat)
            .filter_map(|run| {
                let suffix = if run > 1 { format!(" #{run}") } else { String::new() };
                load.scenario(&format!("{kind} {top}/s{suffix}"))
            })
            .collect();
        if runs.is_empty() {
            out.push(Row::not_run("3", budget, format!("≤ {STEADY_P99_MS} ms"), "(not measured)"));
            continue;
        }
        let p99s: Vec<f64> = runs.iter().map(|o| p99(o)).collect();
        let worst = p99s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // NaN (nothing answered) counts as over.
        let over = p99s.iter().filter(|p| p.is_nan() || **p > STEADY_P99_MS).count();
        let list: Vec<String> =
            p99s.iter().map(|p| if p.is_infinite() { "∞".into() } else { format!("{p:.2}") }).collect();
        let floor = r
            .scenario(&Bot::FLOOR, &format!("{kind} {top}/s"))
            .map(|f| format!("; floor {}", ms_text(p99(f))))
            .unwrap_or_default();
        let measured = format!("{} ms{floor}", list.join(" / "));
        let (_, margin) = at_most(worst, STEADY_P99_MS, "ms", 2);
        let met = over == 0;
        // What the host took from this VM during the worst run: on a
        // shared host, part of a tail may be the host's.
        let stolen = runs
            .iter()
            .zip(&p99s)
            .find(|(_, p)| **p == worst)
            // Nothing answered in any run: the first of them.
            .or_else(|| runs.iter().zip(&p99s).find(|(_, p)| p.is_nan()))
            .and_then(|(o, _)| o.stolen_cores)
            .map(|c| format!("; host steal in it {c:.2} cores"))
            .unwrap_or_default();
        let by = if met {
            format!("{margin} (worst run{stolen})")
        } else {
            format!("{margin} (worst run{stolen}; {over} of {} runs over)", runs.len())
        };
        let status = match (runs.len() >= STEADY_RUNS, met) {
            (true, true) => Status::Met,
            (true, false) => Status::Missed,
            (false, met) => Status::Partial(met),
        };
        out.push(Row {
            item: "3",
            budget,
            measured,
            value: format!("≤ {STEADY_P99_MS} ms × {STEADY_RUNS}"),
            status,
            by,
        });
    }
}

/// Item 4 (and item 8's burst on PostgreSQL): every interaction of the
/// burst answered within Discord's deadline, no rating lost.
fn burst(r: &Report, load: Option<&LoadRun>, item: &'static str, what: &str, out: &mut Vec<Row>) {
    let budget = format!("{what}burst of {BURST} in {} s: each answered ≤ 3 s", BURST_WITHIN.as_secs());
    let budget_lost = format!("{what}burst: 0 ratings lost");
    let Some((load, (n, span))) = load.and_then(|l| l.burst.map(|b| (l, b))) else {
        out.push(Row::not_run(item, budget, "≤ 3,000 ms, all".into(), "(burst not run)"));
        out.push(Row::not_run(item, budget_lost, "0".into(), "(burst not run)"));
        return;
    };
    let reveal = load.scenario(&format!("burst Reveal ×{n}"));
    let level = load.scenario(&format!("burst level ×{n}"));
    // The generator may not keep up with the burst's pace: then the bot
    // got a gentler burst than the budget's.
    let asked = n as f64 / r.plan.burst_within.as_secs_f64();
    let achieved = reveal.map_or(f64::NAN, Outcome::send_rate);
    let kept_up = achieved >= asked * GENERATOR_SHARE;
    let full = n >= BURST && r.plan.burst_within <= BURST_WITHIN && kept_up;
    let pace = if kept_up {
        String::new()
    } else {
        format!(
            " (the generator sent the Reveals at only {achieved:.0}/s of {asked:.0}/s, over {:.1} s)",
            reveal.map_or(f64::NAN, |o| o.send_span.as_secs_f64())
        )
    };
    let parts: Vec<&Outcome> = [reveal, level].into_iter().flatten().collect();
    let sent: usize = parts.iter().map(|o| o.sent).sum();
    let answered: usize = parts.iter().map(|o| o.answered).sum();
    let lost: usize = parts.iter().map(|o| o.lost).sum();
    let faulty: usize = parts.iter().map(|o| o.faulty).sum();
    let max = parts.iter().map(|o| o.max_ms()).fold(f64::NAN, f64::max);
    // A level click answered "try again", or deferred and never confirmed,
    // is an answer the member did not want: it counts against "all
    // answered", and is named.
    let retry = level.map_or(0, |o| o.answered - o.updated_ids.len());
    let all = answered == sent && retry == 0 && sent > 0;
    let (status, by) = at_most(max, ms(DEADLINE), "ms", 0);
    let (status, by) = if all {
        (status, by)
    } else {
        (Status::Missed, format!("{} unanswered in time or answered with an error", sent - answered + retry))
    };
    let status = if full { status } else { Status::Partial(status == Status::Met) };
    // A deferred level click is answered in time; it counts as saved only
    // once its message said so.
    let deferred = match level {
        Some(o) if !o.deferred_ids.is_empty() => format!(
            "; {} level clicks deferred, the last confirmed {:.1} s after the burst began",
            o.deferred_ids.len(),
            o.confirmed_within.as_secs_f64()
        ),
        _ => String::new(),
    };
    let measured = format!(
        "{n} in {:.1} s{pace}: max {max:.0} ms; answered {answered}/{sent} (lost {lost}, late or refused {faulty}; \
         level clicks answered with an error or never confirmed {retry}{deferred}); span {:.0} ms",
        r.plan.burst_within.as_secs_f64(),
        ms(span)
    );
    out.push(Row { item, budget, measured, value: "≤ 3,000 ms, all".into(), status, by });
    match load.burst_ratings {
        Some((acked, missing)) => {
            let status = if missing == 0 { Status::Met } else { Status::Missed };
            let status = if full { status } else { Status::Partial(status == Status::Met) };
            let by = if missing == 0 { String::new() } else { format!("{missing}") };
            let measured = format!("{missing} of {acked} acknowledged level clicks missing from the database");
            out.push(Row { item, budget: budget_lost, measured, value: "0".into(), status, by });
        }
        None => out.push(Row::not_run(item, budget_lost, "0".into(), "(no database)")),
    }
}

/// Item 5: the 09:00 burst.
fn daily(r: &Report, out: &mut Vec<Row>) {
    let Some(d) = &r.daily else {
        out.push(Row::not_run(
            "5",
            "09:00 burst: last post ≤ 1.2 × N/45 s after the due time".into(),
            String::new(),
            "(daily not run)",
        ));
        return;
    };
    let n = d.due;
    let limit = DAILY_FACTOR * n as f64 / PACE;
    let budget = format!("09:00 burst of {n}: last post ≤ {DAILY_FACTOR} × N/{PACE:.0} s after due");
    let value = format!("≤ {limit:.1} s");
    match d.last_post {
        Some(last) if d.none == 0 => {
            let (status, by) = at_most(last, limit, "s", 1);
            let measured = format!(
                "{last:.2} s (first {:.2} s; {:.1} posts/s)",
                d.first_post.unwrap_or(f64::NAN),
                d.rate().unwrap_or(f64::NAN)
            );
            out.push(Row { item: "5", budget, measured, value, status, by });
        }
        last => {
            let measured = format!(
                "{} of {n} channels never got their post (last made at {})",
                d.none,
                last.map_or("-".into(), |l| format!("{l:.2} s"))
            );
            out.push(Row {
                item: "5",
                budget,
                measured,
                value,
                status: Status::Missed,
                by: format!("{} posts missing", d.none),
            });
        }
    }
    let (status, by) = at_most(d.limited as f64, DAILY_429S as f64, "", 0);
    out.push(Row {
        item: "5",
        budget: format!("09:00 burst: no 429 beyond the first few (≤ {DAILY_429S})"),
        measured: format!(
            "{} 429s ({} global, {} per channel)",
            d.limited,
            d.limited_global,
            d.limited - d.limited_global
        ),
        value: format!("≤ {DAILY_429S}"),
        status,
        by,
    });
    let once = d.once == n;
    out.push(Row {
        item: "5",
        budget: "09:00 burst: exactly one post per channel".into(),
        measured: format!("{} of {n} channels once; {} none; {} more than once", d.once, d.none, d.more),
        value: format!("{n} once"),
        status: if once { Status::Met } else { Status::Missed },
        by: if once { String::new() } else { format!("{} channels", n - d.once) },
    });
    let limit_at_scale = DAILY_FACTOR * DAILY_AT_SCALE as f64 / PACE;
    let budget = format!("09:00 burst of {DAILY_AT_SCALE} (extrapolated linearly from {n})");
    let value = format!("≤ {limit_at_scale:.1} s");
    match d.last_post.filter(|_| d.none == 0) {
        Some(last) => {
            let at_scale = last * DAILY_AT_SCALE as f64 / n as f64;
            let (status, by) = at_most(at_scale, limit_at_scale, "s", 1);
            let measured = format!("≈ {at_scale:.1} s (extrapolated, not measured)");
            out.push(Row {
                item: "5",
                budget,
                measured,
                value,
                status: Status::Extrapolated(status == Status::Met),
                by,
            });
        }
        None => out.push(Row::not_run("5", budget, value, "(the measured run did not complete)")),
    }
}

/// Item 6: sustained capacity of level clicks.
fn ramp(r: &Report, out: &mut Vec<Row>) {
    let budget = format!("sustained level clicks with p99 ≤ {RAMP_P99_MS} ms ≥ {CAPACITY}/s");
    let value = format!("≥ {CAPACITY}/s");
    let Some(load) = r.load(&Bot::QUIZBOT).filter(|l| !l.ramp.is_empty()) else {
        out.push(Row::not_run("6", budget, value, "(ramp not run)"));
        return;
    };
    let (best, note) = ramp_best(load);
    let floor = r.load(&Bot::FLOOR).filter(|l| !l.ramp.is_empty()).map(|f| {
        let (best, _) = ramp_best(f);
        format!("; floor {}", best.map_or("none".to_string(), |b| format!("{b}/s")))
    });
    let steps: Vec<String> = load.ramp.iter().map(|(rate, o)| format!("{rate}/s: {}", ms_text(p99(o)))).collect();
    let measured = format!(
        "{}{note}{}; p99 per step: {}",
        best.map_or("none".to_string(), |b| format!("{b}/s")),
        floor.unwrap_or_default(),
        steps.join(", ")
    );
    let got = best.unwrap_or(0);
    let met = got >= CAPACITY;
    let by = if met {
        format!("{}/s", got - CAPACITY)
    } else {
        format!("{}/s ({:.0} % of it)", CAPACITY - got, f64::from(got) / f64::from(CAPACITY) * 100.0)
    };
    let tried_enough = load.ramp.iter().any(|(rate, _)| *rate >= CAPACITY) || !met;
    let status = match (met, tried_enough) {
        (true, _) => Status::Met,
        (false, true) => Status::Missed,
        (false, false) => Status::Partial(false),
    };
    out.push(Row { item: "6", budget, measured, value, status, by });
}

/// Item 7: peak memory with 100,000 servers.
fn memory(r: &Report, out: &mut Vec<Row>) {
    let budget = format!("peak memory with {MEMORY_SERVERS} servers ≤ {MEMORY_MB} MB");
    let value = format!("≤ {MEMORY_MB} MB");
    let largest = r.memory.iter().filter(|(b, _)| *b == Bot::QUIZBOT).max_by_key(|(_, m)| m.guilds);
    let Some((_, m)) = largest else {
        out.push(Row::not_run("7", budget, value, "(memory not run)"));
        return;
    };
    let mb = m.peak_kib as f64 * 1024.0 / 1e6;
    let (status, by) = at_most(mb, MEMORY_MB, "MB", 1);
    let floor = r
        .memory
        .iter()
        .find(|(b, f)| *b == Bot::FLOOR && f.guilds == m.guilds)
        .map(|(_, f)| format!("; floor {:.1} MB", f.peak_kib as f64 * 1024.0 / 1e6))
        .unwrap_or_default();
    let measured = format!("{mb:.1} MB ({:.1} MiB) VmHWM with {} servers{floor}", mib(m.peak_kib), m.guilds);
    let status = if m.guilds >= MEMORY_SERVERS { status } else { Status::Partial(status == Status::Met) };
    out.push(Row { item: "7", budget, measured, value, status, by });
}

/// Item 8: on PostgreSQL.
fn postgres(r: &Report, out: &mut Vec<Row>) {
    let Some(load) = r.load_named("quizbot-pg") else {
        out.push(Row::not_run(
            "8",
            format!("PostgreSQL: each kind's p99 ≤ {POSTGRES_P99_MS} ms at 500/s, 0 lost in the burst"),
            String::new(),
            "(set E2E_BENCH_DATABASE_URL)",
        ));
        return;
    };
    if let Some(&top) = r.plan.rates.last() {
        for kind in KINDS {
            let name = format!("{kind} {top}/s");
            let budget = format!("PostgreSQL: {name} p99 ≤ {POSTGRES_P99_MS} ms");
            let value = format!("≤ {POSTGRES_P99_MS} ms");
            match load.scenario(&name) {
                Some(o) => {
                    let (status, by) = at_most(p99(o), POSTGRES_P99_MS, "ms", 2);
                    let measured = format!("{} ({}/{} answered)", ms_text(p99(o)), o.answered, o.sent);
                    out.push(Row { item: "8", budget, measured, value, status, by });
                }
                None => out.push(Row::not_run("8", budget, value, "(not measured)")),
            }
        }
    }
    burst(r, Some(load), "8", "PostgreSQL: ", out);
    two_processes(r, load, out);
}

/// Item 8, optional: two processes, each with half of the shards, on one
/// PostgreSQL, against one process, by the ramp's highest rate.
fn two_processes(r: &Report, one: &LoadRun, out: &mut Vec<Row>) {
    let budget = format!("PostgreSQL: two processes (half the shards each) ≥ {TWO_PROCESSES}× one's capacity");
    let value = format!("≥ {TWO_PROCESSES}×");
    let Some(two) = r.load_named("quizbot-pg×2").filter(|t| !t.ramp.is_empty() && !one.ramp.is_empty()) else {
        out.push(Row::not_run("8", budget, value, "(the PostgreSQL ramps did not run)"));
        return;
    };
    let ((best_one, note_one), (best_two, note_two)) = (ramp_best(one), ramp_best(two));
    let rate = |b: Option<u32>| b.map_or("none".to_string(), |b| format!("{b}/s"));
    let cores = |l: &LoadRun| {
        l.ramp.last().and_then(|(_, o)| Some(format!("; bot cores {:.2}", o.bot_cores?))).unwrap_or_default()
    };
    let mut measured = format!(
        "one {}{note_one}{}, two {}{note_two}{} (p99 ≤ {RAMP_P99_MS} ms)",
        rate(best_one),
        cores(one),
        rate(best_two),
        cores(two)
    );
    // Two processes passing every rate tried: their capacity, and the
    // ratio, is only a lower bound.
    let capped = two.ramp.last().is_some_and(|(rate, _)| Some(*rate) == best_two);
    let (status, by) = match (best_one, best_two) {
        (Some(a), Some(b)) => {
            let ratio = f64::from(b) / f64::from(a);
            measured.push_str(&format!(": {ratio:.2}×"));
            let by = format!("{:.2}×", (ratio - TWO_PROCESSES).abs());
            match (ratio >= TWO_PROCESSES, capped) {
                (true, _) => (Status::Met, by),
                (false, true) => (Status::Partial(false), format!("{by} (a lower bound: two passed every rate tried)")),
                (false, false) => (Status::Missed, by),
            }
        }
        (None, Some(_)) => (Status::Partial(true), "(one process passed no rate tried; lower the first)".to_string()),
        (_, None) => (Status::Missed, "(two processes passed no rate tried)".to_string()),
    };
    out.push(Row { item: "8", budget, measured, value, status, by });
}

/// The rows as a text table.
pub fn table(rows: &[Row]) -> String {
    let w_budget = rows.iter().map(|r| r.budget.chars().count()).max().unwrap_or(0).max(6);
    let w_value = rows.iter().map(|r| r.value.chars().count()).max().unwrap_or(0).max(12);
    let w_measured = rows.iter().map(|r| r.measured.chars().count()).max().unwrap_or(0).clamp(8, 70);
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  # | {} | {} | {} | status",
        pad("budget", w_budget),
        pad("measured", w_measured),
        pad("budget value", w_value)
    );
    let _ =
        writeln!(out, "  --+-{}-+-{}-+-{}-+-------", "-".repeat(w_budget), "-".repeat(w_measured), "-".repeat(w_value));
    for r in rows {
        let _ = writeln!(
            out,
            "  {} | {} | {} | {} | {}",
            r.item,
            pad(&r.budget, w_budget),
            pad(&r.measured, w_measured),
            pad(&r.value, w_value),
            r.status_text()
        );
    }
    let met = rows.iter().filter(|r| matches!(r.status, Status::Met)).count();
    let missed = rows.iter().filter(|r| matches!(r.status, Status::Missed)).count();
    let other = rows.len() - met - missed;
    let _ = writeln!(out, "  {met} met, {missed} missed, {other} partial or not run (p99s over everything sent: a lost interaction counts as slower than any answer)");
    out
}
