//! End to end: a real PostgreSQL restart under the running bot. A private
//! cluster (`initdb` in a temporary folder, its own port) is stopped the
//! hard way (`pg_ctl stop -m immediate`, as a crash or an OOM kill does)
//! while members click, then started again. Clicks during the outage are
//! told to try again, or acknowledged and saved once the database is back;
//! no acknowledged rating is lost, and the bot carries on without a
//! restart.
//!
//! Needs PostgreSQL's server programs (`initdb`, `pg_ctl`: Debian's
//! `postgresql` package). Outside CI their absence skips the test with a
//! line on stderr; with `CI=true` it fails it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use standin::e2e::{button, interact, respond, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser, GUILD_ID};

use quizbot::domain::bank::QuestionId;
use quizbot::domain::level::Level;
use quizbot::domain::study::Scope;
use quizbot::store::Store;

/// A PostgreSQL cluster of the test's own, removed with it.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// PostgreSQL refuses to run as root: then as the `postgres` user.
    as_postgres: bool,
}

impl Cluster {
    /// `initdb`s and starts a cluster on a free port; `None` (outside CI)
    /// if PostgreSQL's server programs are not installed.
    fn start_new() -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "initdb and pg_ctl are needed in CI");
            eprintln!("skipped: PostgreSQL's initdb is not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            // The postgres user creates its data folder and socket here.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { bin, dir, port, as_postgres };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }

    /// Stops at once, without a checkpoint: what a crash leaves behind.
    fn crash(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(&program);
            cmd
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let stop = self.bin.join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(stop).args(args).output()
        } else {
            Command::new(stop).args(args).output()
        };
    }
}

/// The folder of `initdb` and `pg_ctl`: on the `PATH`, or the newest
/// Debian install.
fn server_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|d| d.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn member(n: u64) -> TestUser {
    TestUser::new(1_700_000_000_000_000_000 + n, &format!("member{n}"))
}

/// Each member reveals `post`'s answer: the message with their level
/// buttons.
async fn reveal(standin: &StandIn, post: &Value, who: &TestUser) -> Value {
    interact(standin, standin.click(&button(post, "Reveal answer"), post, who, Place::guild())).await.message()
}

/// What the member sees in the end: the message saying the level is
/// saved, or being told to try again (at once, or after the click was
/// acknowledged and waited for the database).
async fn click(standin: &StandIn, answer: &Value, who: &TestUser, level: &str) -> String {
    let shown = respond(standin, standin.click(&button(answer, level), answer, who, Place::guild())).await;
    shown["content"].as_str().unwrap_or_default().to_string()
}

fn saved(reply: &str) -> bool {
    reply.contains("Saved:")
}

fn try_again(reply: &str) -> bool {
    reply.contains("try again")
}

async fn latest(store: &Store, who: &TestUser, question: &QuestionId) -> Option<Level> {
    store.latest_level(Scope::Guild(GUILD_ID), who.id, question).await.unwrap()
}

#[tokio::test]
async fn a_postgres_crash_and_restart_loses_no_acknowledged_rating() {
    let Some(cluster) = Cluster::start_new() else { return };
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let mut bot =
        BotProcess::spawn(&standin::quizbot!(), &standin, &dir.path().join("unused.db"), &[("DATABASE_URL", &url)]);
    standin.wait_commands(WAIT).await;
    let post = interact(&standin, standin.slash("quiz", json!([]), &member(0), Place::guild())).await.message();
    let title = post["embeds"][0]["title"].as_str().unwrap().to_string();
    let members: Vec<TestUser> = (1..=30).map(member).collect();
    let mut answers = Vec::new();
    for who in &members {
        answers.push(reveal(&standin, &post, who).await);
    }

    // Before: ten members rate, each told it is saved.
    for (who, answer) in members.iter().zip(&answers).take(10) {
        let reply = click(&standin, answer, who, "Beginner").await;
        assert!(saved(&reply), "{reply}");
    }

    // The crash, in the middle of twenty members' clicks: each is either
    // saved or told to try again (at once, or once acknowledged and given
    // up on while the database stays down).
    let mut burst = tokio::task::JoinSet::new();
    for (who, answer) in members.iter().zip(&answers).skip(10) {
        let (standin, who, answer) = (standin.clone(), who.clone(), answer.clone());
        burst.spawn(async move {
            let reply = click(&standin, &answer, &who, "Advanced").await;
            (who, reply)
        });
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    cluster.crash();
    let mut acknowledged = Vec::new();
    while let Some(done) = burst.join_next().await {
        let (who, reply) = done.unwrap();
        assert!(saved(&reply) || try_again(&reply), "{reply}");
        if saved(&reply) {
            acknowledged.push(who);
        }
    }

    // During the outage: a command is told to try again; a level click is
    // acknowledged in time and waits for the database.
    let cb = interact(&standin, standin.slash("quiz", json!([]), &member(0), Place::guild())).await;
    assert!(cb.ephemeral() && try_again(cb.content()), "{:?}", cb.data);
    let (id, payload) = standin.click(&button(&answers[0], "Intermediate"), &answers[0], &members[0], Place::guild());
    let waiting = tokio::spawn({
        let standin = standin.clone();
        async move { respond(&standin, (id, payload)).await }
    });
    // Acknowledged before the restart, which blocks this test's runtime
    // (and the stand-in on it) while `pg_ctl` waits.
    let deferred = standin.wait_callback(id, WAIT).await;
    assert_eq!(deferred.kind, 6, "acknowledged, to be confirmed: {:?}", deferred.data);

    // Back up: the same process serves again by itself, and the click made
    // during the outage is saved without the member clicking again.
    cluster.start();
    let pid = bot.pid();
    let shown = waiting.await.unwrap();
    let reply = shown["content"].as_str().unwrap_or_default();
    assert!(saved(reply), "{reply}\n{}", bot.log());
    assert!(bot.is_running() && bot.pid() == pid, "the bot restarted");

    // Nothing acknowledged was lost.
    let store = Store::connect(&url, 1).await.unwrap();
    let bank = quizbot::bank_files::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap();
    let question = &bank.questions().iter().find(|q| q.title == title).unwrap().id;
    assert_eq!(latest(&store, &members[0], question).await, Some(Level::Intermediate));
    for who in &members[1..10] {
        assert_eq!(latest(&store, who, question).await, Some(Level::Beginner), "{}", who.name);
    }
    for who in &acknowledged {
        assert_eq!(latest(&store, who, question).await, Some(Level::Advanced), "{} was told it was saved", who.name);
    }
    eprintln!("{} of 20 clicks in the crash were acknowledged", acknowledged.len());
    let log = bot.log();
    assert!(!log.contains("panicked"), "{log}");
    standin.assert_no_violations();
}
