//! The floor: the least a poise bot can do for the same interactions. It
//! answers `/quiz` with a constant question and a Reveal button, Reveal
//! with a constant ephemeral answer and three level buttons, and a level
//! click by updating that message: the same response types as quizbot,
//! with no question bank and no database. Whatever quizbot takes beyond
//! this is the bot's own cost.
//!
//! It is not shipped: the benchmark binary runs it when started with
//! [`FLOOR_ENV`] set, on the same serenity configuration as quizbot
//! (GUILDS intent, no cache, rate limiter off behind the stand-in). Being
//! that binary, it allocates with mimalloc (`ALLOC` in `main.rs`), where
//! quizbot uses the system's glibc malloc: part of the difference is that.

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton, CreateEmbed, CreateInteractionResponse,
    CreateInteractionResponseMessage, FullEvent, Interaction,
};

/// Set in the floor process's environment.
pub const FLOOR_ENV: &str = "QUIZBOT_BENCH_FLOOR";

type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, (), Error>;

/// Runs the floor bot until the process is killed.
pub fn run() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), Error> {
    let token = std::env::var("DISCORD_TOKEN")?;
    let base = std::env::var("DISCORD_API_BASE")?;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![quiz()],
            event_handler: |framework, event| Box::pin(on_event(framework.serenity_context, event)),
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(())
            })
        })
        .build();
    let http = serenity::HttpBuilder::new(token).proxy(base).ratelimiter_disabled(true).build();
    let mut client =
        serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS).framework(framework).await?;
    client.start_autosharded().await?;
    Ok(())
}

/// Posts a constant question with a Reveal button.
#[poise::command(slash_command)]
async fn quiz(ctx: Context<'_>) -> Result<(), Error> {
    let embed = CreateEmbed::new().title("What is a VPC?").description("Think first, then reveal.");
    let reveal = CreateButton::new("floor:reveal").label("Reveal answer").style(ButtonStyle::Primary);
    let reply = poise::CreateReply::default().embed(embed).components(vec![CreateActionRow::Buttons(vec![reveal])]);
    ctx.send(reply).await?;
    Ok(())
}

async fn on_event(ctx: &serenity::Context, event: &FullEvent) -> Result<(), Error> {
    if let FullEvent::InteractionCreate { interaction: Interaction::Component(click) } = event {
        click.create_response(ctx, response(click)).await?;
    }
    Ok(())
}

fn response(click: &ComponentInteraction) -> CreateInteractionResponse {
    if click.data.custom_id == "floor:reveal" {
        let levels = ["Beginner", "Intermediate", "Advanced"]
            .into_iter()
            .map(|level| CreateButton::new(format!("floor:level:{level}")).label(level).style(ButtonStyle::Secondary))
            .collect();
        let msg = CreateInteractionResponseMessage::new()
            .embed(CreateEmbed::new().title("Answer").description("A private network in the cloud."))
            .content("How well did you know it? Pick your level:")
            .components(vec![CreateActionRow::Buttons(levels)])
            .ephemeral(true);
        CreateInteractionResponse::Message(msg)
    } else {
        CreateInteractionResponse::UpdateMessage(CreateInteractionResponseMessage::new().content("Saved."))
    }
}
