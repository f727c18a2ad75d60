//! The Discord layer: poise commands, the button router and the embeds.
//! The only code that knows serenity. It decodes an interaction into a call
//! of [`crate::quiz::Quiz`] and renders what comes back.

mod buttons;
mod commands;
pub mod custom_id;
mod daily;
mod permissions;
/// Public for the micro-benchmarks (`benches/micro.rs`), which time it.
pub mod render;

use std::sync::{Arc, OnceLock};

use poise::serenity_prelude as serenity;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::daily::{Daily, DailyError};
use crate::quiz::{Quiz, QuizError};
use crate::schedule::clock::Clock;
use crate::schedule::runner::{Scheduler, Wake};
use daily::DiscordPoster;

/// Shared state handed to every command and event. Cheap to clone.
#[derive(Clone)]
pub struct Data {
    pub quiz: Quiz,
    pub daily: Daily,
    pub poster: DiscordPoster,
    /// The bot's own user id, from READY.
    pub bot_id: serenity::UserId,
}

/// Everything a command or the button router can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Quiz(#[from] QuizError),
    #[error(transparent)]
    Daily(#[from] DailyError),
    #[error("Discord request failed: {0}")]
    Discord(#[from] serenity::Error),
    /// Without its commands the bot is useless: it stops instead.
    #[error("could not register the slash commands: {0}")]
    Registration(serenity::Error),
}

pub type Context<'a> = poise::Context<'a, Data, BotError>;

/// What a member sees when something failed that is not theirs to fix.
pub const GENERIC_FAILURE: &str = "Something went wrong on our side; please try again in a moment.";

/// What a member sees while the database is out of reach.
pub const STORE_UNAVAILABLE: &str = "⏳ The bot cannot reach its database right now; please try again in a moment.";

impl BotError {
    /// The ephemeral text for the member; logs the error at the level it
    /// deserves (info for their mistakes, error for ours).
    fn reply_text(&self, what: &str) -> String {
        match self {
            BotError::Quiz(e) if e.is_user_facing() => {
                info!(what, reason = %e, "refused");
                e.to_string()
            }
            BotError::Daily(e) if e.is_user_facing() => {
                info!(what, reason = %e, "refused");
                e.to_string()
            }
            BotError::Quiz(QuizError::Store(e))
            | BotError::Daily(DailyError::Store(e) | DailyError::Quiz(QuizError::Store(e)))
                if e.is_unavailable() =>
            {
                warn!(what, error = %e, "database unavailable");
                STORE_UNAVAILABLE.to_string()
            }
            other => {
                error!(what, error = %other, "failed");
                GENERIC_FAILURE.to_string()
            }
        }
    }
}

/// Connects to Discord and serves until Ctrl-C / SIGTERM or a fatal error.
/// The daily scheduler starts once the commands are registered.
pub async fn run(config: &Config, quiz: Quiz, clock: Clock) -> Result<(), StartError> {
    let guild_id = config.guild_id;
    // Set when start-up fails, so `run` reports it instead of a clean stop.
    let startup_failure: Arc<OnceLock<String>> = Arc::default();
    let failure = startup_failure.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |err| Box::pin(on_error(err)),
            // Which process served what, when several split the shards.
            pre_command: |ctx| {
                Box::pin(async move {
                    let guild = ctx.guild_id().map(|g| g.get());
                    debug!(command = %ctx.command().qualified_name, guild, shard = ctx.serenity_context().shard_id.0, "command");
                })
            },
            event_handler: |framework, event| Box::pin(buttons::on_event(framework.serenity_context, event, framework.user_data)),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                let registered = match guild_id {
                    Some(gid) => poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(gid)).await,
                    None => poise::builtins::register_globally(ctx, commands).await,
                };
                if let Err(e) = registered {
                    let error = BotError::Registration(e);
                    let _ = failure.set(error.to_string());
                    // poise would hold every event forever, waiting for data
                    // that never comes: stop, so a supervisor can restart us.
                    framework.shard_manager().shutdown_all().await;
                    return Err(error);
                }
                info!(bot = %ready.user.name, guilds = ready.guilds.len(), scope = if guild_id.is_some() { "guild" } else { "global" }, "commands registered");
                let wake = Wake::default();
                let poster = DiscordPoster { http: ctx.http.clone(), bank: quiz.bank_arc() };
                let daily = Daily::new(quiz.clone(), clock.clone(), wake.clone());
                tokio::spawn(quiz.clone().keep_boards_fresh(clock.clone()));
                tokio::spawn(Scheduler::new(quiz.clone(), poster.clone(), clock, wake).run());
                Ok(Data { quiz, daily, poster, bot_id: ready.user.id })
            })
        })
        .build();

    let http = match &config.api_base {
        // A proxy or stand-in Discord: serenity's rate limiter would bypass it.
        Some(base) => {
            serenity::HttpBuilder::new(config.token.expose()).proxy(base.clone()).ratelimiter_disabled(true).build()
        }
        None => serenity::HttpBuilder::new(config.token.expose()).build(),
    };
    let mut client =
        serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS).framework(framework).await?;

    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        info!("shutting down");
        shards.shutdown_all().await;
    });
    match config.shards {
        // serenity's range end is the last shard, inclusive.
        Some(shards) => client.start_shard_range(shards.first..shards.last, shards.total).await?,
        None => client.start_autosharded().await?,
    }
    match startup_failure.get() {
        Some(reason) => Err(StartError::Startup(reason.clone())),
        None => Ok(()),
    }
}

/// Why the bot stopped other than by a shutdown signal.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Discord(#[from] serenity::Error),
    #[error("{0}")]
    Startup(String),
}

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
}

async fn on_error(error: poise::FrameworkError<'_, Data, BotError>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            let text = error.reply_text(&ctx.command().qualified_name);
            let reply = poise::CreateReply::default().content(text).ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                warn!(error = %e, "could not send the error reply");
            }
        }
        poise::FrameworkError::UnknownInteraction { framework, interaction, .. } => {
            // A command this version does not have (registered by an older
            // one, say): answer instead of leaving "interaction failed".
            warn!(command = %interaction.data.name, "unknown command");
            let msg = serenity::CreateInteractionResponseMessage::new()
                .content("This command is not available any more. Type `/` to see the current ones.")
                .ephemeral(true);
            let reply = serenity::CreateInteractionResponse::Message(msg);
            if let Err(e) = interaction.create_response(framework.serenity_context, reply).await {
                warn!(error = %e, "could not answer an unknown command");
            }
        }
        poise::FrameworkError::Setup { error, .. } => {
            error!(error = %error, "start-up failed; stopping");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                warn!(error = %e, "error while handling an error");
            }
        }
    }
}
