//! One bot's load run: start-up, then the scenarios the plan asks for, in
//! this order, on one database (and one process, or one per shard):
//!
//! 1. one at a time: `/quiz`, Reveal and a level click, each sent only
//!    once the previous one was answered (the bot's own latency, no
//!    queueing);
//! 2. steady: `/quiz`, Reveal and level clicks (and, for quizbot, Answer
//!    first and its modal submit) at each rate, open loop; the top rate
//!    repeated for quizbot;
//! 3. a burst: members click Reveal within a few seconds, and each their
//!    level as soon as the answer arrives;
//! 4. a ramp of level clicks (capacity), rate after rate, until the p99
//!    passes [`RAMP_P99_MS`].
//!
//! Every acknowledged level click is then looked up in the database.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::load::{self, answer_message, button_id, Outcome};
use crate::{proc_memory, target_dir, Bot, Plan};
use standin::e2e::WAIT;
use standin::{BotProcess, Callback, ChannelSpec, GuildSpec, Place, StandIn, StandInConfig, TestUser, OWNER_ID};

/// The ramp stops at the first rate whose p99 (over everything sent)
/// passes this.
pub const RAMP_P99_MS: f64 = 50.0;

/// What one bot did under load.
pub struct LoadRun {
    pub bot: Bot,
    pub startup: Duration,
    pub scenarios: Vec<(String, Outcome)>,
    /// The burst's size and its span (first Reveal to last callback).
    pub burst: Option<(usize, Duration)>,
    /// Acknowledged level clicks, and how many of them are not in the
    /// database (quizbot only).
    pub ratings: Option<(usize, usize)>,
    /// The same for the burst's level clicks alone.
    pub burst_ratings: Option<(usize, usize)>,
    /// The ramp's steps: target rate and what was measured.
    pub ramp: Vec<(u32, Outcome)>,
    /// VmHWM after the steady phases and the burst (before the ramp).
    pub peak_kib: u64,
}

impl LoadRun {
    pub fn scenario(&self, name: &str) -> Option<&Outcome> {
        self.scenarios.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }
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

/// Per click interaction: the member who clicked and the post's index.
type Clickers = HashMap<u64, (TestUser, usize)>;

/// The state of one load run between its scenarios.
struct Driver<'a> {
    standin: &'a StandIn,
    feed: UnboundedReceiver<Callback>,
    /// Where the members are: `/quiz` round robin over these; a click is
    /// where its message is.
    places: Vec<Place>,
    members: Members,
    scenarios: Vec<(String, Outcome)>,
    acknowledged: Vec<u64>,
}

impl Driver<'_> {
    fn quiz(&self, i: usize) -> (u64, Value) {
        self.standin.slash("quiz", json!([]), &Members::regular(i), self.places[i % self.places.len()])
    }

    /// The place of `message` (by its channel).
    fn place_of(&self, message: &Value) -> Place {
        place_of(&self.places, message)
    }

    fn push(&mut self, name: String, outcome: Outcome) {
        eprintln!(
            "  {name:<26} sent {:>6} answered {:>6} p99 {:>8.2} ms (send rate {:.0}/s; cores: bot {}, harness {}, stolen {})",
            outcome.sent,
            outcome.answered,
            outcome.percentile_ms(99.0),
            outcome.send_rate(),
            cores(outcome.bot_cores),
            cores(outcome.harness_cores),
            cores(outcome.stolen_cores)
        );
        self.scenarios.push((name, outcome));
    }

    /// `n` Reveal clicks by fresh members on `posts` (round robin): the
    /// payloads and, per interaction, the member and the post.
    fn reveals(&mut self, posts: &[Value], n: usize) -> (Vec<(u64, Value)>, Clickers) {
        let users = self.members.fresh(n);
        let mut payloads = Vec::with_capacity(n);
        let mut clicker = HashMap::with_capacity(n);
        for (i, user) in users.into_iter().enumerate() {
            let post = &posts[i % posts.len()];
            if let Some(reveal) = button_id(post, "Reveal answer") {
                let (id, payload) = self.standin.click(&reveal, post, &user, self.place_of(post));
                clicker.insert(id, (user, i % posts.len()));
                payloads.push((id, payload));
            }
        }
        (payloads, clicker)
    }

    /// The level click ("Intermediate") of each answered Reveal, by the
    /// member who revealed.
    fn levels(&self, revealed: &Outcome, clicker: &Clickers) -> Vec<(u64, Value)> {
        let mut levels = Vec::with_capacity(revealed.answered_ids.len());
        for id in &revealed.answered_ids {
            let Some((user, _)) = clicker.get(id) else { continue };
            let Some(answer) = answer_message(self.standin, *id) else { continue };
            if let Some(level) = button_id(&answer, "Intermediate") {
                levels.push(self.standin.click(&level, &answer, user, self.place_of(&answer)));
            }
        }
        levels
    }

    /// `/quiz`, Reveal and level clicks, each sent once the previous one
    /// was answered. Reveals on `short_posts`, whose answer carries the
    /// level buttons at once.
    async fn one_at_a_time(&mut self, n: usize, short_posts: &[Value]) {
        let quizzes: Vec<(u64, Value)> = (0..n).map(|i| self.quiz(i)).collect();
        let quizzes = load::sequential(self.standin, &mut self.feed, quizzes).await;
        self.push("/quiz one at a time".into(), quizzes);
        let (reveals, clicker) = self.reveals(short_posts, n);
        let revealed = load::sequential(self.standin, &mut self.feed, reveals).await;
        let levels = self.levels(&revealed, &clicker);
        self.push("Reveal one at a time".into(), revealed);
        let mut rated = load::sequential(self.standin, &mut self.feed, levels).await;
        count_unsent_as_lost(&mut rated, n);
        self.acknowledged.extend(&rated.updated_ids);
        self.push("level one at a time".into(), rated);
    }

    /// The steady scenarios at `rate`, named `"{kind} {rate}/s{suffix}"`.
    async fn steady(&mut self, rate: u32, seconds: u32, suffix: &str) -> anyhow::Result<()> {
        let n = (rate * seconds) as usize;
        let quizzes: Vec<(u64, Value)> = (0..n).map(|i| self.quiz(i)).collect();
        let quizzes = load::steady(self.standin, &mut self.feed, rate, quizzes).await;
        let posts: Vec<Value> =
            quizzes.answered_ids.iter().take(50).filter_map(|id| self.standin.original_message(*id)).collect();
        anyhow::ensure!(!posts.is_empty(), "no /quiz was answered at {rate}/s");
        self.push(format!("/quiz {rate}/s{suffix}"), quizzes);

        let (reveals, clicker) = self.reveals(&posts, n);
        let revealed = load::steady(self.standin, &mut self.feed, rate, reveals).await;
        // A long answer's follow-ups come after the first response.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let levels = self.levels(&revealed, &clicker);
        self.push(format!("Reveal {rate}/s{suffix}"), revealed);
        let mut rated = load::steady(self.standin, &mut self.feed, rate, levels).await;
        // A member whose Reveal failed never got to click a level: a lost
        // level click, not one fewer sent.
        count_unsent_as_lost(&mut rated, n);
        self.acknowledged.extend(&rated.updated_ids);
        self.push(format!("level {rate}/s{suffix}"), rated);

        // Answer first (quizbot only; the floor has no such button): each
        // fresh member opens the modal, then submits it at the rate.
        if let Some(first) = button_id(&posts[0], "Answer first") {
            let writers = self.members.fresh(n);
            let mut opens = Vec::with_capacity(n);
            let mut opener = HashMap::new();
            for (i, user) in writers.iter().enumerate() {
                let post = &posts[i % posts.len()];
                let first = button_id(post, "Answer first").unwrap_or_else(|| first.clone());
                let (id, payload) = self.standin.click(&first, post, user, self.place_of(post));
                opener.insert(id, (i, i % posts.len()));
                opens.push((id, payload));
            }
            let opened = load::steady(self.standin, &mut self.feed, rate, opens).await;
            let mut submits = Vec::with_capacity(n);
            for id in &opened.answered_ids {
                let Some(&(user, post)) = opener.get(id) else { continue };
                let Some(modal) = self.standin.callbacks_for(*id).into_iter().find(|c| c.kind == 9) else { continue };
                let typed = [("answer", "A rolling update replaces instances a few at a time.")];
                submits.push(self.standin.submit_modal(
                    &modal.data,
                    &typed,
                    Some(&posts[post]),
                    &writers[user],
                    self.place_of(&posts[post]),
                ));
            }
            self.push(format!("Answer first {rate}/s{suffix}"), opened);
            let mut submitted = load::steady(self.standin, &mut self.feed, rate, submits).await;
            count_unsent_as_lost(&mut submitted, n);
            self.push(format!("modal submit {rate}/s{suffix}"), submitted);
        }
        Ok(())
    }

    /// The burst; returns its span and the acknowledged level clicks (an
    /// error reply acknowledges nothing: [`Outcome::updated_ids`]).
    async fn burst(&mut self, n: usize, within: Duration, short_posts: &[Value]) -> (Duration, Vec<u64>) {
        settled("the burst").await;
        let members = self.members.fresh(n);
        let places = self.places.clone();
        let place_of = move |m: &Value| place_of(&places, m);
        let (reveal, level, span) =
            load::burst(self.standin, &mut self.feed, short_posts, &members, place_of, within).await;
        let acked = level.updated_ids.clone();
        self.acknowledged.extend(&acked);
        self.push(format!("burst Reveal ×{n}"), reveal);
        self.push(format!("burst level ×{n}"), level);
        (span, acked)
    }

    /// Level clicks at each rate of `rates` for `seconds`, until one's p99
    /// passes [`RAMP_P99_MS`]. Each click is by a member who revealed the
    /// answer just before, at `prep_rate` (not measured).
    async fn ramp(&mut self, rates: &[u32], seconds: u32, prep_rate: u32, posts: &[Value]) -> Vec<(u32, Outcome)> {
        let mut steps = Vec::new();
        for &rate in rates {
            settled(&format!("ramp {rate}/s")).await;
            let n = (rate * seconds) as usize;
            let (reveals, clicker) = self.reveals(posts, n);
            let revealed = load::steady(self.standin, &mut self.feed, prep_rate.min(rate), reveals).await;
            // The Reveals' follow-ups and their backlog, if any, first.
            settled(&format!("the level clicks at {rate}/s")).await;
            let levels = self.levels(&revealed, &clicker);
            let mut rated = load::steady(self.standin, &mut self.feed, rate, levels).await;
            count_unsent_as_lost(&mut rated, n);
            self.acknowledged.extend(&rated.updated_ids);
            let p99 = rated.percentile_of_sent_ms(99.0);
            self.push(format!("ramp level {rate}/s"), rated.clone());
            steps.push((rate, rated));
            if p99.is_nan() || p99 > RAMP_P99_MS {
                break;
            }
        }
        steps
    }
}

/// Cores as the tables print them, `-` where unknown.
pub fn cores(c: Option<f64>) -> String {
    c.map_or("-".to_string(), |c| format!("{c:.2}"))
}

/// Lets the bots finish what the scenario before left (a backlog, the
/// writer's last batches, a checkpoint) before `what` starts: at least a
/// second, at most 30 s.
async fn settled(what: &str) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waited = load::settle(Duration::from_secs(30)).await;
    if waited > Duration::from_secs(1) {
        eprintln!("  (waited {:.1} s for the bot to go idle before {what})", waited.as_secs_f64() + 1.0);
    }
}

/// The place among `places` whose channel holds `message` (the first if
/// none does).
fn place_of(places: &[Place], message: &Value) -> Place {
    let channel = message["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok());
    places.iter().copied().find(|p| Some(p.channel_id()) == channel).unwrap_or(places[0])
}

/// A member whose earlier click failed never got to send this one: count
/// it as sent and lost, not as one fewer sent.
fn count_unsent_as_lost(outcome: &mut Outcome, wanted: usize) {
    let never_sent = wanted.saturating_sub(outcome.sent);
    outcome.sent += never_sent;
    outcome.lost += never_sent;
    outcome.unsent += never_sent;
}

/// A second server, on shard 0 of 2 (the default one is on shard 1): the
/// PostgreSQL runs spread their members over both, so that two processes
/// (`SHARDS=0-0/2`, `SHARDS=1-1/2`) each take half of the load.
const SECOND_GUILD: u64 = 1_100_000_000_104_194_304;
const SECOND_CHANNEL: u64 = SECOND_GUILD + 100;

/// Runs `bot` against a fresh stand-in through the scenarios of `plan`.
pub async fn load_run(bot: &Bot, plan: &Plan) -> anyhow::Result<LoadRun> {
    let mut config = StandInConfig { keep_traffic: false, ..StandInConfig::default() };
    let mut places = vec![Place::guild()];
    if bot.postgres.is_some() {
        config.guilds.push(
            GuildSpec::new(SECOND_GUILD, "Second Group", OWNER_ID)
                .with_channel(ChannelSpec::text(SECOND_CHANNEL, "quiz")),
        );
        places.push(Place::in_guild(SECOND_GUILD, SECOND_CHANNEL));
    }
    let standin = StandIn::start_with(config).await;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("quizbot.db");
    let started = Instant::now();
    let mut processes = Vec::new();
    if bot.processes <= 1 {
        processes.push(bot.spawn(&standin, &db)?);
        standin.wait_commands(Duration::from_secs(60)).await;
    } else {
        // One process per shard, each ready before the next starts.
        let n = bot.processes;
        for k in 0..n {
            processes.push(bot.spawn_with(&standin, &db, &[("SHARDS", &format!("{k}-{k}/{n}"))])?);
            standin.wait_commands(Duration::from_secs(60)).await;
        }
        standin.wait_ready(Duration::from_secs(60)).await;
    }
    let startup = started.elapsed();
    if let Ok(mut pids) = load::BOT_PIDS.lock() {
        *pids = processes.iter().filter_map(BotProcess::pid).collect();
    }

    let mut d = Driver {
        standin: &standin,
        feed: standin.callback_feed(),
        places,
        members: Members { next: 0 },
        scenarios: Vec::new(),
        acknowledged: Vec::new(),
    };
    // Warm-up (connections, first allocations); not counted. Its posts
    // serve the scenarios that need no fresh ones.
    let warm: Vec<(u64, Value)> = (0..100).map(|i| d.quiz(i)).collect();
    let warm = load::steady(&standin, &mut d.feed, 100, warm).await;
    let posts: Vec<Value> = warm.answered_ids.iter().take(50).filter_map(|id| standin.original_message(*id)).collect();
    anyhow::ensure!(!posts.is_empty(), "{}: no /quiz of the warm-up was answered", bot.name());
    // Which posts' answers fit one message (level buttons on the Reveal's
    // own answer): the burst and the one-at-a-time clicks use those.
    let (probes, prober) = d.reveals(&posts, posts.len());
    let probed = load::steady(&standin, &mut d.feed, 100, probes).await;
    let short_posts: Vec<Value> = probed
        .answered_ids
        .iter()
        .filter(|id| standin.original_message(**id).is_some_and(|m| button_id(&m, "Intermediate").is_some()))
        .filter_map(|id| prober.get(id).map(|(_, post)| posts[*post].clone()))
        .collect();
    anyhow::ensure!(!short_posts.is_empty(), "{}: no answer fit one message", bot.name());

    if plan.sequential > 0 {
        d.one_at_a_time(plan.sequential, &short_posts).await;
    }
    for (rate, run) in plan.steady_runs(bot) {
        let suffix = if run > 1 { format!(" #{run}") } else { String::new() };
        d.steady(rate, plan.seconds, &suffix).await.map_err(|e| anyhow::anyhow!("{}: {e}", bot.name()))?;
    }
    let mut burst = None;
    let mut burst_acked = None;
    if plan.burst > 0 {
        let (span, acked) = d.burst(plan.burst, plan.burst_within, &short_posts).await;
        burst = Some((plan.burst, span));
        burst_acked = Some(acked);
    }
    let mut peak_kib = 0;
    for process in &mut processes {
        let pid = process.pid().ok_or_else(|| anyhow::anyhow!("{} exited during the run", bot.name()))?;
        peak_kib = peak_kib.max(proc_memory(pid)?.0);
    }
    let ramp = if plan.ramp_rates.is_empty() {
        Vec::new()
    } else {
        d.ramp(&plan.ramp_rates, plan.ramp_seconds, plan.ramp_prep_rate, &posts).await
    };

    let violations = standin.take_violations();
    if !violations.is_empty() {
        eprintln!("{}: the stand-in refused {} requests, first: {}", bot.name(), violations.len(), violations[0]);
    }
    if let Ok(mut pids) = load::BOT_PIDS.lock() {
        pids.clear();
    }
    let several = processes.len() > 1;
    for (k, process) in processes.iter_mut().enumerate() {
        process.terminate(WAIT).await;
        let name = bot.name().replace('×', "x");
        let name = if several { format!("{name}-{}", k + 1) } else { name };
        std::fs::copy(process.log_path(), target_dir().join(format!("bench-e2e-{name}.log")))?;
    }
    let (ratings, burst_ratings) = if bot.has_database() {
        let url = bot.database_url(&db);
        let missing = missing_ratings(&url, &d.acknowledged).await?;
        let burst = match &burst_acked {
            Some(acked) => Some((acked.len(), missing_ratings(&url, acked).await?)),
            None => None,
        };
        (Some((d.acknowledged.len(), missing)), burst)
    } else {
        (None, None)
    };
    Ok(LoadRun { bot: bot.clone(), startup, scenarios: d.scenarios, burst, ratings, burst_ratings, ramp, peak_kib })
}

/// How many of the acknowledged level clicks have no row in
/// `rating_events` (whose id is the click's interaction id).
async fn missing_ratings(url: &str, acknowledged: &[u64]) -> anyhow::Result<usize> {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM rating_events").fetch_all(&mut conn).await?;
    let _ = conn.close().await;
    let stored: HashSet<u64> = stored.into_iter().filter_map(|id| u64::try_from(id).ok()).collect();
    Ok(acknowledged.iter().filter(|id| !stored.contains(id)).count())
}
