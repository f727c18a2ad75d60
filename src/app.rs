//! `quizbot run`: the one composition root.
//!
//! Configuration → telemetry (logs; with `METRICS_ADDR`, the metrics
//! recorder and its endpoint's socket) → banks → store (migrations) →
//! services → Discord. It owns every background task — the daily
//! scheduler, the board upkeep and the metrics endpoint — and stops
//! everything in order on SIGTERM or Ctrl-C:
//!
//! 1. stop taking interactions and wait for those in flight (at most
//!    [`discord::DRAIN_LIMIT`]), then close the gateway;
//! 2. stop the scheduler and the upkeep (a post in progress is finished, at
//!    most [`TASK_LIMIT`]), and the metrics endpoint (`/healthz` says 503
//!    from the moment the gateway closed);
//! 3. write what the store's writer still holds, and close the pool.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::{error, info, warn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::clock::Clock;
use crate::config::Config;
use crate::discord::{self, Bot};
use crate::domain::bank::BankError;
use crate::ops;
use crate::service::scheduler::Scheduler;
use crate::service::{Services, Stop, Stopping};
use crate::store::{Store, StoreError};

/// How long a background task may take to finish once told to stop.
pub const TASK_LIMIT: Duration = Duration::from_secs(5);

/// Runs the bot until Ctrl-C / SIGTERM. Exit code 2 for a configuration or
/// database problem, 1 for anything else; each explained in one line.
pub fn run() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing();
    if let Some(start) = config.clock_start {
        warn!(%start, "QUIZBOT_CLOCK_START is set: the bot's clock is shifted (for tests only); daily posts and rating times follow it, not the real time");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> ExitCode {
    let endpoint = match config.metrics_addr {
        None => None,
        Some(addr) => match open_endpoint(addr).await {
            Ok(endpoint) => Some(endpoint),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let bank = match crate::bank_files::load(std::slice::from_ref(&config.data)) {
        Ok(bank) if !bank.is_empty() => bank,
        Ok(_) => {
            eprintln!("error: the question banks in {} hold no questions", config.data.display());
            return ExitCode::FAILURE;
        }
        Err(BankError::Invalid(errors)) => {
            for e in errors {
                eprintln!("{e}");
            }
            eprintln!("error: fix the question banks above (QUIZBOT_DATA={})", config.data.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: {e} (set QUIZBOT_DATA to the folder of question banks)");
            return ExitCode::FAILURE;
        }
    };
    info!(questions = bank.len(), banks = bank.banks().len(), "question banks loaded");

    let store = match open_store(&config).await {
        Ok(store) => store,
        Err(code) => return code,
    };

    let clock = config.clock_start.map_or_else(Clock::system, Clock::starting_at);
    let services = Services::new(Arc::new(bank), store, clock).with_bank_limits(config.bank_limits);
    let result = run_bot(&config, &services, endpoint, shutdown_signal()).await;
    services.close().await;
    match result {
        Ok(()) => {
            info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            error!(error = %e, "the Discord connection failed");
            eprintln!("error: Discord connection failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects to the database, waiting up to `DATABASE_WAIT_SECS` for one out
/// of reach (a server still booting after a reboot), and logs what it
/// holds. A database refused for good (bad URL, bad password) is exit code
/// 2 at once; one still out of reach at the end, 1, so that a supervisor
/// tries again later.
async fn open_store(config: &Config) -> Result<Store, ExitCode> {
    let location = crate::store::host_of(&config.database_url);
    let is_new_file = config.database_url.starts_with("sqlite:") && !std::path::Path::new(&location).exists();
    let deadline = tokio::time::Instant::now() + config.database_wait;
    let mut pause = Duration::from_secs(1);
    let store = loop {
        match Store::connect(&config.database_url, config.database_max_connections).await {
            Ok(store) => break store,
            Err(e @ StoreError::Unreachable { .. }) if tokio::time::Instant::now() + pause < deadline => {
                warn!(error = %e, retry_in = ?pause, "the database is out of reach; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(15));
            }
            Err(e @ StoreError::Unreachable { .. }) => {
                eprintln!(
                    "error: {e} (waited {:?}; check DATABASE_URL and that the server is up)",
                    config.database_wait
                );
                return Err(ExitCode::FAILURE);
            }
            // Out of threads or memory: not the configuration's fault.
            Err(e @ StoreError::Thread(_)) => {
                eprintln!("error: {e}");
                return Err(ExitCode::FAILURE);
            }
            Err(e) => {
                eprintln!("error: cannot open the database at {location}: {e}");
                return Err(ExitCode::from(2));
            }
        }
    };
    match store.summary().await {
        Ok(_) if is_new_file => info!(database = %location, "created a new database"),
        Ok(held) => {
            info!(database = %location, ratings = held.ratings, schedules = held.schedules, "opened the database")
        }
        Err(e) => warn!(database = %location, error = %e, "opened the database; could not count what it holds"),
    }
    Ok(store)
}

/// Installs the metrics recorder (from here on, every layer's records
/// count) and binds the endpoint's socket: a port already taken fails the
/// start now, not once Discord is reached. Exit code 1, not 2: the port
/// may be free again when a supervisor retries.
async fn open_endpoint(addr: std::net::SocketAddr) -> Result<ops::Endpoint, ops::OpsError> {
    let recorder = ops::install()?;
    ops::Endpoint::bind(addr, recorder).await
}

/// Runs the bot and its background tasks until `shutdown`, then stops them
/// in order (see the module's comment). The store is the caller's to close.
async fn run_bot(
    config: &Config,
    services: &Services,
    endpoint: Option<ops::Endpoint>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), discord::StartError> {
    let bot = Bot::connect(config, services.clone()).await?;
    let (stop, stopping) = Stop::new();
    let endpoint = endpoint.map(|e| e.serve(services.clone(), bot.shard_status(), stopping.clone()));
    let tasks =
        tokio::spawn(background(services.clone(), bot.poster(), config.posts_per_second, bot.started(), stopping));
    let result = bot.run(shutdown).await;
    stop.stop();
    finish(tasks).await;
    if let Some(endpoint) = endpoint {
        finish(endpoint).await;
    }
    result
}

/// The daily scheduler and the board upkeep, side by side, from the moment
/// the bot is ready until `stopping` is set. A bot that never gets ready
/// (a revoked token, commands refused) posts nothing.
async fn background(
    services: Services,
    poster: discord::DiscordPoster,
    posts_per_second: u32,
    started: impl Future<Output = bool>,
    mut stopping: Stopping,
) {
    tokio::select! {
        ready = started => if !ready { return },
        () = stopping.wait() => return,
    }
    let scheduler = Scheduler::new(services.clone(), poster).with_rate(posts_per_second);
    tokio::join!(scheduler.run(stopping.clone()), services.keep_boards_fresh(stopping));
}

/// Waits for the stopped background tasks, at most [`TASK_LIMIT`].
async fn finish(mut task: JoinHandle<()>) {
    match tokio::time::timeout(TASK_LIMIT, &mut task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error = %e, "a background task failed"),
        Err(_) => {
            warn!("a background task did not stop in time; cancelled");
            task.abort();
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    info!("shutting down");
}

/// Logs to stderr, filtered by `RUST_LOG` if set, else `info,serenity=warn`;
/// beside them (whatever `RUST_LOG` says) the watch for a shard Discord
/// refuses as too large, which ends the process (`discord/overload.rs`).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,serenity=warn"));
    let log = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter);
    let _ = tracing_subscriber::registry().with(log).with(discord::overload::watch()).try_init();
}
