//! `quizbot run`: configuration → telemetry → store → banks → bot.

use std::process::ExitCode;
use std::sync::Arc;

use tracing::{error, info};
use tracing_subscriber::EnvFilter;

use crate::bank::{BankError, QuestionBank};
use crate::config::Config;
use crate::discord;
use crate::quiz::Quiz;
use crate::schedule::clock::Clock;
use crate::store::{Store, StoreError};

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
    let bank = match QuestionBank::load(std::slice::from_ref(&config.data)) {
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

    let store = match Store::connect(&config.database_url, config.database_max_connections).await {
        Ok(store) => store,
        Err(e @ StoreError::Unreachable { .. }) => {
            eprintln!("error: {e} (check DATABASE_URL and that the server is up)");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: cannot open the database ({}): {e}", redact_url(&config.database_url));
            return ExitCode::from(2);
        }
    };

    let clock = config.clock_start.map_or_else(Clock::system, Clock::starting_at);
    let quiz = Quiz::new(Arc::new(bank), store.clone());
    let result = discord::run(&config, quiz, clock).await;
    store.close().await;
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

/// `RUST_LOG` if set, else `info,serenity=warn`; logs go to stderr.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,serenity=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Hides a password in a database URL before it is printed.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact_url("postgres://bot:hunter2@db:5432/quiz"), "postgres://bot:***@db:5432/quiz");
        assert_eq!(redact_url("sqlite://quizbot.db"), "sqlite://quizbot.db");
    }
}
