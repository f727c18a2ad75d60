//! Button clicks and modal submits. poise dispatches neither, so they
//! arrive here as raw events and are routed on their `custom_id` alone
//! (see `custom_id.rs`): no collectors, nothing in memory, so a button
//! works after a restart and on any process.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, FullEvent, Interaction, MessageFlags,
    MessageInteractionMetadata,
};
use tracing::{debug, info, warn};

use super::answer_view::{self, Typed};
use super::custom_id::{category_tag, ButtonAction};
use super::permissions::manages_server;
use super::{measure, modals, reach};
use super::{render, AfterDefer, BotError, Data};
use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::score::Period;
use crate::domain::study::{Rating, Scope, Source};
use crate::service::leaderboard::BoardQuery;
use crate::service::ServiceError;

/// poise's event hook: button clicks, modal submits, and leaving a server.
pub async fn on_event(ctx: &serenity::Context, event: &FullEvent, data: &Data) -> Result<(), BotError> {
    match event {
        FullEvent::InteractionCreate { interaction: Interaction::Component(click) } => {
            handle_click(ctx, data, click).await
        }
        FullEvent::InteractionCreate { interaction: Interaction::Modal(submit) } => {
            modals::handle_submit(ctx, data, submit).await
        }
        // `unavailable` means an outage, not a removal: keep the schedules.
        FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            match data.services.forget_guild(incomplete.id.get()).await {
                Ok(n) => {
                    info!(guild = incomplete.id.get(), schedules = n, "removed from a server; its schedules stopped")
                }
                Err(e) => warn!(guild = incomplete.id.get(), error = %e, "could not stop a removed server's schedules"),
            }
        }
        _ => {}
    }
    Ok(())
}

/// Answers every click exactly once: the action's response, or an
/// ephemeral explanation when it cannot be done.
async fn handle_click(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) {
    let private = click.message.flags.is_some_and(|f| f.contains(MessageFlags::EPHEMERAL));
    let result = match ButtonAction::decode(&click.data.custom_id) {
        None => {
            debug!(custom_id = %click.data.custom_id, "unknown button");
            Err(BotError::Service(ServiceError::QuestionGone))
        }
        Some(action) if action.private_only() && !private => {
            info!(custom_id = %click.data.custom_id, "a private button on a shared message");
            Err(BotError::Misplaced)
        }
        Some(ButtonAction::Reveal { question, source }) => reveal(ctx, data, click, &question, source).await,
        Some(ButtonAction::AnswerFirst { question, source }) => answer_first(ctx, data, click, &question, source).await,
        Some(ButtonAction::Rate { question, source, level }) => rate(ctx, data, click, question, source, level).await,
        Some(ButtonAction::Board { period, page, category }) => {
            board_page(ctx, data, click, private, period, page, category).await
        }
        Some(ButtonAction::Forget { confirm, everywhere }) => forget(ctx, data, click, confirm, everywhere).await,
        Some(ButtonAction::StartReview) => start_review(ctx, data, click).await,
        Some(ButtonAction::History { channel_id, page }) => history_page(ctx, data, click, channel_id, page).await,
        Some(ButtonAction::RemoveBank { name, confirm }) => remove_bank(ctx, data, click, &name, confirm).await,
    };
    if let Err(error) = result {
        tell_failure(ctx, (click.id, &click.token), error, "button").await;
    }
}

/// Tells the member, privately, why an interaction could not be done: as
/// its response, or as a follow-up once it was acknowledged
/// ([`BotError::Deferred`]).
pub(super) async fn tell_failure(
    ctx: &serenity::Context,
    (id, token): (serenity::InteractionId, &str),
    error: BotError,
    what: &str,
) {
    use serenity::builder::Builder;
    let text = error.reply_text(what);
    let answered = match error {
        BotError::Deferred(_) => {
            let msg = CreateInteractionResponseFollowup::new().content(text).ephemeral(true);
            msg.execute(ctx, (None, token)).await.map(drop)
        }
        _ => {
            let reply = CreateInteractionResponseMessage::new().content(text).ephemeral(true);
            CreateInteractionResponse::Message(reply).execute(ctx, (id, token)).await
        }
    };
    if let Err(e) = answered {
        warn!(error = %e, what, "could not tell the member why it failed");
    }
}

fn scope_of(click: &ComponentInteraction) -> Scope {
    reach::scope(click.guild_id, &click.authorizing_integration_owners)
}

/// Shows the clicker, and only them, the answer with the level buttons
/// (and in `/review` what they wrote for it last time).
async fn reveal(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    id: &QuestionId,
    source: Source,
) -> Result<(), BotError> {
    let revealed = data.services.reveal(scope_of(click), click.user.id.get(), id, source).await?;
    answer_view::show(ctx, (click.id, &click.token), false, &revealed, Typed::Before, source).await
}

/// Opens the Answer first modal. A modal must be the first answer to the
/// click (it cannot follow a deferral), and the question's lookup may
/// have to read banks (a server's first use, a member's servers in DMs):
/// past [`MODAL_LOOKUP`] the modal opens without the question's title and
/// prompt, and the submit looks the question up again.
async fn answer_first(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    id: &QuestionId,
    source: Source,
) -> Result<(), BotError> {
    let scope = scope_of(click);
    let personal = scope == Scope::DirectMessages;
    let lookup = data.services.question(scope, click.user.id.get(), id);
    let modal = match tokio::time::timeout(MODAL_LOOKUP, lookup).await {
        Ok(found) => render::compare::answer_modal(found?.question(), source, personal),
        Err(_) => render::compare::untitled_answer_modal(id, source, personal),
    };
    click.create_response(ctx, CreateInteractionResponse::Modal(modal)).await?;
    Ok(())
}

/// Turns `/daily history` to another page, in place. Only an admin ran
/// the command and sees its message.
async fn history_page(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    channel_id: u64,
    page: u32,
) -> Result<(), BotError> {
    let Some(guild_id) = click.guild_id else { return Err(ServiceError::QuestionGone.into()) };
    // Only admins can run `/daily history`; a forged button must not list
    // a channel's questions to anyone else.
    if !manages_server(click.member.as_ref().and_then(|m| m.permissions)) {
        return Err(BotError::Misplaced);
    }
    click.defer(ctx).await?;
    measure::acknowledged();
    let history = data.services.daily_history(guild_id.get(), channel_id).await.after_defer()?;
    let (embed, buttons) = render::history_message(&history, page);
    click.edit_response(ctx, EditInteractionResponse::new().embed(embed).components(buttons)).await.after_defer()?;
    Ok(())
}

/// The reminder DM's button: the clicker's `/review`, privately.
async fn start_review(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) -> Result<(), BotError> {
    // The member's servers' banks may have to be read first.
    click.defer_ephemeral(ctx).await?;
    measure::acknowledged();
    let pick = data.services.review(scope_of(click), click.user.id.get()).await.after_defer()?;
    let (text, question) = render::review_reply(pick);
    let mut msg = EditInteractionResponse::new().content(text);
    if let Some((embed, buttons)) = question {
        msg = msg.embed(embed).components(buttons);
    }
    click.edit_response(ctx, msg).await.after_defer()?;
    Ok(())
}

/// How long opening the Answer first modal waits for its question's title.
const MODAL_LOOKUP: Duration = Duration::from_millis(1_500);

/// Turns the leaderboard message to another page. Its "You" line stays the
/// line of whoever the message is for: the clicker on a private board, the
/// member who ran `/leaderboard` on a shared one (none if Discord does not
/// say who), never a clicker's line in everyone's view.
async fn board_page(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    private: bool,
    period: Period,
    page: u32,
    tag: Option<u32>,
) -> Result<(), BotError> {
    let Some(guild_id) = click.guild_id else { return Err(ServiceError::QuestionGone.into()) };
    // A category that is no longer loaded: show the board without it.
    let bank = data.services.bank(scope_of(click)).await?;
    let category = tag.and_then(|t| bank.categories().into_iter().find(|c| category_tag(c) == t));
    let query = BoardQuery {
        guild_id: guild_id.get(),
        period,
        category: category.map(String::from),
        page,
        caller: if private { Some(click.user.id) } else { invoker(&click.message) }.map(|u| u.get()),
    };
    // A stale board can take longer than Discord waits: acknowledge first.
    click.defer(ctx).await?;
    measure::acknowledged();
    let board = data.services.leaderboard(&query).await.after_defer()?;
    let (embed, buttons) =
        render::board_message(&board, query.category.as_deref().map(category_tag), query.caller.is_some());
    let msg = EditInteractionResponse::new()
        .embed(embed)
        .components(buttons)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    click.edit_response(ctx, msg).await.after_defer()?;
    Ok(())
}

/// Who ran the command a message answers, as Discord records it.
fn invoker(message: &serenity::Message) -> Option<serenity::UserId> {
    match message.interaction_metadata.as_deref()? {
        MessageInteractionMetadata::Command(m) => Some(m.user.id),
        MessageInteractionMetadata::Component(m) => Some(m.user.id),
        _ => None,
    }
}

/// Deletes the clicker's data (or cancels) and says what happened, in
/// place of the confirmation.
async fn forget(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    confirm: bool,
    everywhere: bool,
) -> Result<(), BotError> {
    // Deleting waits on the database's write lock: acknowledge first.
    click.defer(ctx).await?;
    measure::acknowledged();
    let text = if !confirm {
        "Nothing was deleted.".to_string()
    } else {
        let scope = if everywhere { None } else { Some(scope_of(click)) };
        let removed = data.services.forget_member(scope, click.user.id.get()).await.after_defer()?;
        info!(removed, everywhere, "a member's data was deleted on request");
        let plural = if removed == 1 { "" } else { "s" };
        format!(
            "🗑️ Deleted {removed} row{plural} of your data{}.",
            if everywhere { " everywhere" } else { " in this server" }
        )
    };
    let msg = EditInteractionResponse::new().content(text).components(vec![]);
    click.edit_response(ctx, msg).await.after_defer()?;
    Ok(())
}

/// Removes a server's bank (or cancels) and says so, in place of the
/// confirmation. The clicker must still be allowed to: permissions can
/// change between the command and the click.
async fn remove_bank(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    name: &str,
    confirm: bool,
) -> Result<(), BotError> {
    let admin = manages_server(click.member.as_ref().and_then(|m| m.permissions));
    click.defer(ctx).await?;
    measure::acknowledged();
    let text = match (click.guild_id, confirm) {
        (_, false) => "Nothing was removed.".to_string(),
        (Some(guild), true) if admin => {
            data.services.remove_bank(guild.get(), name).await.after_defer()?;
            format!("🗑️ Removed `{name}` from this server.")
        }
        _ => "Only members with the **Manage Server** permission can change this server's banks.".to_string(),
    };
    let msg = EditInteractionResponse::new().content(text).components(vec![]);
    click.edit_response(ctx, msg).await.after_defer()?;
    Ok(())
}

/// Stores the clicker's level, then turns the message into a confirmation
/// (the chosen level highlighted, the buttons kept for a change of mind).
async fn rate(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    id: QuestionId,
    source: Source,
    level: Level,
) -> Result<(), BotError> {
    let scope = scope_of(click);
    let rating = Rating {
        id: click.id.get(),
        scope,
        user_id: click.user.id.get(),
        question: id,
        level,
        source,
        at: data.services.clock().now_unix(),
    };
    // What the server shows: the nickname, else the global display name.
    let name = click
        .member
        .as_ref()
        .and_then(|m| m.nick.as_deref())
        .or(click.user.global_name.as_deref())
        .unwrap_or(&click.user.name);
    let until = tokio::time::Instant::now() + RATING_PATIENCE;
    let saving = data.services.rate_until(&rating, click.channel_id.get(), Some(name), until);
    tokio::pin!(saving);
    let in_guild = matches!(scope, Scope::Guild(_));
    if let Ok(rated) = tokio::time::timeout(DEFER_RATING, &mut saving).await {
        let rated = rated?;
        let msg = CreateInteractionResponseMessage::new()
            .content(render::saved_text(level, rated.saved.studied, in_guild))
            .components(render::level_buttons(rated.question.question(), source, Some(level)));
        click.create_response(ctx, CreateInteractionResponse::UpdateMessage(msg)).await?;
        return Ok(());
    }
    // The database is swamped (a burst), locked or restarting: the click is
    // acknowledged in time and saved as soon as the database takes it,
    // instead of the member being told to click again.
    click.defer(ctx).await?;
    measure::acknowledged();
    let rated = saving.await.after_defer()?;
    let msg = EditInteractionResponse::new()
        .content(render::saved_text(level, rated.saved.studied, in_guild))
        .components(render::level_buttons(rated.question.question(), source, Some(level)));
    click.edit_response(ctx, msg).await.after_defer()?;
    Ok(())
}

/// How long a level click may take before it is deferred: far above a
/// click's usual milliseconds and what a burst's queueing adds (the
/// bench's burst of 5,000 answers most within 1.5 s, and a deferral costs
/// a second request), and early enough in Discord's 3 s for the deferral
/// to arrive in time.
const DEFER_RATING: Duration = Duration::from_millis(1_500);

/// How long after it came a level click keeps trying while the database is
/// busy, locked or out of reach; then the member is told to try again.
/// Within the 10 s a shutdown waits for the interactions in flight
/// ([`super::DRAIN_LIMIT`]), so a stopping bot still answers each of them,
/// and far within the interaction token's 15 minutes.
const RATING_PATIENCE: Duration = Duration::from_secs(8);
