//! The Discord layer: poise commands, the button router, the views and the
//! REST poster — the only code that knows serenity and poise. It decodes an
//! interaction into one call of [`Services`] and renders what comes back.
//!
//! - [`commands`]: one file per slash command group, listed in one place;
//! - `buttons`: the router for button clicks, on their `custom_id` alone;
//! - [`custom_id`]: what a button carries; [`render`]: the views;
//! - `poster`: daily posts over REST; `permissions`: what the bot may do
//!   in a channel;
//! - `inflight`: the interactions being handled, so a shutdown waits for
//!   them; `measure`: how long each waited for its answer and how it
//!   ended; `shards`: which gateway shards are connected, for `/healthz`;
//!   `reach`: whose scope an interaction counts in (server or user
//!   install).

mod answer_view;
mod buttons;
mod commands;
pub mod custom_id;
mod inflight;
mod measure;
mod modals;
pub mod overload;
mod permissions;
mod poster;
mod rate_buckets;
mod reach;
/// Public for the micro-benchmarks (`benches/micro.rs`), which time it.
pub mod render;
mod shards;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::measures::ShardStatus;
use crate::service::{ServiceError, Services};
use inflight::{InFlight, Tracked, GRACE};
pub use poster::{DiscordPoster, REST_TIMEOUT};

/// Shared state handed to every command and event. Cheap to clone.
#[derive(Clone)]
pub struct Data {
    pub services: Services,
    pub poster: DiscordPoster,
    /// The bot's own user id, from READY.
    pub bot_id: serenity::UserId,
    /// The HTTP client (with its timeout), for downloading uploads.
    pub client: reqwest::Client,
}

/// Everything a command or the button router can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("Discord request failed: {0}")]
    Discord(#[from] serenity::Error),
    /// A button that belongs on a private message arrived on a shared one.
    #[error("This button does not belong to this message.")]
    Misplaced,
    /// Without its commands the bot is useless: it stops instead.
    #[error("could not register the slash commands: {0}")]
    Registration(serenity::Error),
    /// Failed after the interaction was deferred: the member is told in a
    /// private follow-up, and a public "thinking…" message is removed so
    /// the failure is not shown to the whole channel.
    #[error(transparent)]
    Deferred(Box<BotError>),
}

/// Marks a failure that comes after the interaction was deferred (see
/// [`BotError::Deferred`]).
#[allow(clippy::result_large_err)] // the commands' own error type, as everywhere here
pub(crate) trait AfterDefer<T> {
    fn after_defer(self) -> Result<T, BotError>;
}

impl<T, E: Into<BotError>> AfterDefer<T> for Result<T, E> {
    fn after_defer(self) -> Result<T, BotError> {
        self.map_err(|e| match e.into() {
            deferred @ BotError::Deferred(_) => deferred,
            other => BotError::Deferred(Box::new(other)),
        })
    }
}

pub type Context<'a> = poise::Context<'a, Data, BotError>;

/// What a member sees when something failed that is not theirs to fix.
pub const GENERIC_FAILURE: &str = "Something went wrong on our side; please try again in a moment.";

/// What a member sees while the database is out of reach.
pub const STORE_UNAVAILABLE: &str = "⏳ The bot cannot reach its database right now; please try again in a moment.";

/// A message's content holds 2,000 characters.
pub const CONTENT_MAX: usize = 2_000;

/// How long a shutdown waits for the interactions being handled.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How long the gateway task gets to end once its shards are shut down.
const GATEWAY_STOP: Duration = Duration::from_secs(1);

/// How long it waits, once the gateway is closed, for the events it was
/// still handing over.
const LAST_EVENTS_LIMIT: Duration = Duration::from_secs(2);

impl BotError {
    /// The ephemeral text for the member, within a message's 2,000
    /// characters; logs the error at the level it deserves (info for their
    /// mistakes, error for ours).
    fn reply_text(&self, what: &str) -> String {
        crate::domain::bank::shown::fit(&self.describe(what), CONTENT_MAX)
    }

    fn describe(&self, what: &str) -> String {
        match self {
            BotError::Deferred(inner) => inner.describe(what),
            BotError::Service(e) if e.is_user_facing() => {
                info!(what, reason = %e, "refused");
                e.to_string()
            }
            BotError::Misplaced => {
                info!(what, reason = %self, "refused");
                self.to_string()
            }
            BotError::Service(e) if e.is_unavailable() => {
                warn!(what, error = %e, "database unavailable");
                measure::failed();
                STORE_UNAVAILABLE.to_string()
            }
            other => {
                error!(what, error = %other, "failed");
                match other {
                    BotError::Discord(e) if measure::is_too_late(e) => measure::late(),
                    _ => measure::failed(),
                }
                GENERIC_FAILURE.to_string()
            }
        }
    }
}

/// The bot, connected but not yet started: the composition root takes its
/// [`DiscordPoster`] for the scheduler, then [`Bot::run`]s it.
pub struct Bot {
    client: serenity::Client,
    poster: DiscordPoster,
    inflight: InFlight,
    /// Set when start-up fails, so `run` reports it instead of a clean stop.
    startup_failure: Arc<OnceLock<String>>,
    /// Becomes true once the commands are registered; closed if that fails.
    started: tokio::sync::watch::Receiver<bool>,
    shards: Option<crate::config::ShardRange>,
    /// How many shards are connected, for `/healthz` and `/metrics`.
    shard_status: ShardStatus,
}

impl Bot {
    /// Builds the client and the framework. Commands are registered once
    /// the gateway is ready.
    pub async fn connect(config: &Config, services: Services) -> Result<Bot, StartError> {
        let guild_id = config.guild_id;
        let startup_failure: Arc<OnceLock<String>> = Arc::default();
        let failure = startup_failure.clone();
        let (started_tx, started) = tokio::sync::watch::channel(false);
        let shard_status = ShardStatus::default();
        let expected = shard_status.clone();
        if let Some(range) = config.shards {
            expected.set_expected(range.last - range.first + 1);
        }
        let all_shards = config.shards.is_none();
        // Every REST request, serenity's and the poster's, gives up after
        // REST_TIMEOUT.
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(REST_TIMEOUT)
            .build()
            .map_err(|e| StartError::Startup(format!("could not set up the HTTP client: {e}")))?;
        let setup_client = client.clone();
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
                event_handler: |framework, event| {
                    Box::pin(buttons::on_event(framework.serenity_context, event, framework.user_data))
                },
                ..Default::default()
            })
            .setup(move |ctx, ready, framework| {
                Box::pin(async move {
                    if all_shards {
                        expected.set_expected(shards::total_from_ready(ready));
                    }
                    let commands = &framework.options().commands;
                    let registered = match guild_id {
                        Some(gid) => {
                            poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(gid)).await
                        }
                        None => poise::builtins::register_globally(ctx, commands).await,
                    };
                    if let Err(e) = registered {
                        let error = BotError::Registration(e);
                        let _ = failure.set(error.to_string());
                        // poise would hold every event forever, waiting for
                        // data that never comes: stop, so a supervisor can
                        // restart us.
                        framework.shard_manager().shutdown_all().await;
                        return Err(error);
                    }
                    info!(bot = %ready.user.name, guilds = ready.guilds.len(), scope = if guild_id.is_some() { "guild" } else { "global" }, "commands registered");
                    let _ = started_tx.send(true);
                    let poster = DiscordPoster::new(ctx.http.clone(), setup_client.clone());
                    Ok(Data { services, poster, bot_id: ready.user.id, client: setup_client })
                })
            })
            .build();

        let builder = serenity::HttpBuilder::new(config.token.expose()).client(client.clone());
        let http = match &config.api_base {
            // A proxy or stand-in Discord: serenity's rate limiter would bypass it.
            Some(base) => builder.proxy(base.clone()).ratelimiter_disabled(true).build(),
            None => builder.build(),
        };
        let inflight = InFlight::default();
        let framework = Tracked::new(framework, inflight.clone());
        let discord =
            serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS).framework(framework).await?;
        let poster = DiscordPoster::new(discord.http.clone(), client);
        Ok(Bot { client: discord, poster, inflight, startup_failure, started, shards: config.shards, shard_status })
    }

    /// How many of this process's gateway shards are connected, kept up
    /// to date while the bot runs.
    pub fn shard_status(&self) -> ShardStatus {
        self.shard_status.clone()
    }

    /// Completes with `true` once the bot is ready and its commands are
    /// registered, or `false` if it stopped before: what the background
    /// tasks wait for, so that nothing is posted by a bot that cannot run.
    pub fn started(&self) -> impl Future<Output = bool> + Send + 'static {
        let mut started = self.started.clone();
        async move { started.wait_for(|ready| *ready).await.is_ok() }
    }

    /// Posts daily questions with this bot's HTTP client.
    pub fn poster(&self) -> DiscordPoster {
        self.poster.clone()
    }

    /// Serves until `shutdown` completes or the connection fails for good.
    /// On shutdown it stops taking interactions, waits for those in flight
    /// (at most [`DRAIN_LIMIT`]) and closes the gateway.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
        let Bot { mut client, inflight, startup_failure, shards, shard_status, .. } = self;
        let manager = client.shard_manager.clone();
        let watcher = tokio::spawn(shards::watch(manager.clone(), shard_status.clone()));
        let pruner = tokio::spawn(rate_buckets::watch(client.http.clone()));
        let mut gateway = tokio::spawn(async move {
            match shards {
                // serenity's range end is the last shard, inclusive.
                Some(s) => client.start_shard_range(s.first..s.last, s.total).await,
                None => client.start_autosharded().await,
            }
        });
        let ended = tokio::select! {
            ended = &mut gateway => Some(ended),
            () = shutdown => None,
        };
        let ended = match ended {
            // The gateway ended by itself: finish what it handed over.
            Some(ended) => {
                finish_in_flight(&inflight, Duration::ZERO, DRAIN_LIMIT).await;
                ended
            }
            None => {
                info!("shutting down: finishing the interactions in flight");
                finish_in_flight(&inflight, GRACE, DRAIN_LIMIT).await;
                manager.shutdown_all().await;
                // serenity's shutdown_all does nothing while no shard
                // runs (all of them queued to connect again, the gateway
                // out of reach), and then the gateway task never ends:
                // tell it to (`quiz::sigterm_while_the_gateway_is_down_…`).
                let ended = match tokio::time::timeout(GATEWAY_STOP, &mut gateway).await {
                    Ok(ended) => ended,
                    Err(_) => {
                        manager.return_with_value(Ok(())).await;
                        gateway.await
                    }
                };
                // Events handed over while the shards were closing.
                finish_in_flight(&inflight, Duration::ZERO, LAST_EVENTS_LIMIT).await;
                ended
            }
        };
        watcher.abort();
        pruner.abort();
        shard_status.set_connected(0);
        match ended {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(StartError::Startup(format!("the gateway task failed: {e}"))),
        }
        match startup_failure.get() {
            Some(reason) => Err(StartError::Startup(reason.clone())),
            None => Ok(()),
        }
    }
}

/// Waits for the interactions in flight (see [`InFlight::drain`]).
async fn finish_in_flight(inflight: &InFlight, grace: Duration, limit: Duration) {
    let left = inflight.drain(grace, limit).await;
    if left > 0 {
        warn!(left, "stopping with interactions still in flight");
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

async fn on_error(error: poise::FrameworkError<'_, Data, BotError>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            if let (BotError::Deferred(_), poise::Context::Application(app)) = (&error, ctx) {
                // A follow-up would complete the deferred message, public
                // or not; with it gone the follow-up is private.
                if let Err(e) = app.interaction.delete_response(ctx.http()).await {
                    debug!(error = %e, "could not remove the deferred message");
                }
            }
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
