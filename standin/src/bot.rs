//! Runs the real `quizbot run` binary against a [`StandIn`].
//!
//! The process gets a clean environment (so neither the developer's shell
//! nor a `.env` in the repository leaks in: the working directory is a fresh
//! temporary directory), a fake token, the stand-in's URL and the test's
//! database. Its stdout and stderr go to one log file that survives
//! restarts; if the test panics, the tail of that log is printed, because a
//! failing end-to-end test is usually explained there.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::StandIn;

/// The token the bot process is given. Fake: the stand-in accepts any.
pub const FAKE_TOKEN: &str = "standin.fake.token";

/// How many log lines a panicking test prints.
const LOG_TAIL_LINES: usize = 200;

/// The bot under test: the `quizbot` binary and the question banks it is
/// given (`QUIZBOT_DATA`). Cargo tells only the bot's own package where they
/// are (`CARGO_BIN_EXE_quizbot` and `CARGO_MANIFEST_DIR` exist while it
/// compiles its integration tests and benches), so [`quizbot!`](crate::quizbot),
/// expanded there, fills this in.
#[derive(Debug, Clone)]
pub struct Quizbot {
    /// The `quizbot` executable.
    pub binary: PathBuf,
    /// The directory of question banks (the repository's `data/`).
    pub data: PathBuf,
}

/// The [`Quizbot`] cargo built for the calling package's integration tests
/// or benches, with that package's `data/` banks. Compiles only there.
#[macro_export]
macro_rules! quizbot {
    () => {
        $crate::Quizbot {
            binary: ::std::path::PathBuf::from(::std::env!("CARGO_BIN_EXE_quizbot")),
            data: ::std::path::Path::new(::std::env!("CARGO_MANIFEST_DIR")).join("data"),
        }
    };
}

/// A running `quizbot run` process; killed on drop.
pub struct BotProcess {
    child: Option<Child>,
    /// What runs: `quizbot run`, or another bot (the benchmark's floor).
    program: PathBuf,
    args: Vec<String>,
    standin: StandIn,
    db_path: PathBuf,
    extra_env: Vec<(String, String)>,
    workdir: tempfile::TempDir,
    log_path: PathBuf,
    runs: u32,
}

impl BotProcess {
    /// Starts `bot` (`quizbot run`) with `DISCORD_TOKEN` (fake),
    /// `DISCORD_API_BASE` (the stand-in), `DATABASE_URL=sqlite://{db_path}`,
    /// `QUIZBOT_DATA` (`bot.data`), `RUST_LOG=info,quizbot=debug`, then
    /// `extra_env` (which may override any of them). Starts a new stand-in
    /// epoch first, so `wait_ready`/`wait_commands` wait for this process.
    pub fn spawn(bot: &Quizbot, standin: &StandIn, db_path: &Path, extra_env: &[(&str, &str)]) -> BotProcess {
        let data = bot.data.to_str().expect("the data directory's path is UTF-8");
        let env: Vec<(&str, &str)> = [("QUIZBOT_DATA", data)].into_iter().chain(extra_env.iter().copied()).collect();
        BotProcess::spawn_program(standin, &bot.binary, &["run"], db_path, &env)
    }

    /// Like [`spawn`](Self::spawn), for another program with the same
    /// environment but `QUIZBOT_DATA`: the load benchmark's floor bot.
    pub fn spawn_program(
        standin: &StandIn,
        program: &Path,
        args: &[&str],
        db_path: &Path,
        extra_env: &[(&str, &str)],
    ) -> BotProcess {
        let workdir = tempfile::tempdir().expect("create the bot's working directory");
        let log_path = workdir.path().join("bot.log");
        let mut bot = BotProcess {
            child: None,
            program: program.to_path_buf(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            standin: standin.clone(),
            db_path: db_path.to_path_buf(),
            extra_env: extra_env.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
            workdir,
            log_path,
            runs: 0,
        };
        bot.start();
        bot
    }

    fn start(&mut self) {
        self.runs += 1;
        self.standin.new_epoch();
        let mut log = OpenOptions::new().create(true).append(true).open(&self.log_path).expect("open the bot log");
        let _ = writeln!(log, "===== quizbot run #{} =====", self.runs);
        let stderr = log.try_clone().expect("clone the bot log handle");
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(self.workdir.path())
            .env_clear()
            .env("DISCORD_TOKEN", FAKE_TOKEN)
            .env("DISCORD_API_BASE", self.standin.api_base())
            .env("DATABASE_URL", format!("sqlite://{}", self.db_path.display()))
            .env("RUST_LOG", "info,quizbot=debug")
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr));
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn the quizbot binary"));
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Everything the bot printed so far (all runs, each headed by
    /// `===== quizbot run #N =====`).
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    /// Where the log is (inside the temporary working directory).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the process (SIGKILL, like a crash or power loss) and reaps it.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            // Returns at once after SIGKILL; not worth a blocking thread.
            let _ = child.wait();
        }
    }

    /// Asks the process to stop (SIGTERM, as a service manager does) and
    /// waits up to `timeout` for it to exit; `None` if it is still running.
    pub async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let pid = self.pid()?;
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        self.wait_exit(timeout).await
    }

    /// Waits up to `timeout` for the process to exit on its own. Polls
    /// every 20 ms: std's `Child` offers no exit notification (tokio's
    /// `process` feature is not enabled in this crate).
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the process and starts a new one with the same configuration
    /// (same database), as after a crash. A new stand-in epoch begins.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.start();
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
            eprintln!(
                "----- quizbot log (last {} lines of {}) -----\n{}\n----- end of quizbot log -----",
                tail.len(),
                self.log_path.display(),
                tail.join("\n")
            );
        }
    }
}
