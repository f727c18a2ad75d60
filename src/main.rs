//! Entry point: parse the command line, then hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A Discord bot that turns interview-prep guides into daily practice.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot (the default). Reads DISCORD_TOKEN and the rest from the
    /// environment or .env; see .env.example.
    Run,
    /// Validate question banks without connecting to Discord.
    Check {
        /// Bank files or folders of *.md files [default: $QUIZBOT_DATA or data]
        paths: Vec<PathBuf>,
    },
    /// Ask the running bot's /healthz (at METRICS_ADDR): exit 0 when it is
    /// healthy, 1 when not. For Docker's HEALTHCHECK.
    Healthcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is normal; a malformed one is worth a word.
    if let Some(warning) = quizbot::config::load_env_file() {
        eprintln!("{warning}");
    }
    match cli.command.unwrap_or(Command::Run) {
        Command::Check { paths } => quizbot::check::run(&paths),
        Command::Run => quizbot::app::run(),
        Command::Healthcheck => quizbot::ops::healthcheck::run(),
    }
}
