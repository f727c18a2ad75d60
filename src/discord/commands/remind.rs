//! `/remind set|off|status`: a member's review reminder, a DM at their
//! local time on the days reviews are due. Theirs, wherever they run it.

use super::daily::autocomplete_zone;
use super::tell;
use crate::discord::{render, BotError, Context};
use crate::domain::schedule::reminder::{Reminder, ReminderState};

/// A DM on days your reviews are due, at your local time
#[poise::command(
    slash_command,
    subcommands("set", "off", "status"),
    subcommand_required,
    install_context = "Guild|User",
    interaction_context = "Guild|BotDm|PrivateChannel"
)]
pub async fn remind(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Get a DM at this local time on days your reviews are due
#[poise::command(slash_command)]
async fn set(
    ctx: Context<'_>,
    #[description = "Local time, 24-hour HH:MM, e.g. 08:30"] time: String,
    #[description = "Your IANA time zone, e.g. Europe/Berlin or America/New_York"]
    #[autocomplete = "autocomplete_zone"]
    timezone: String,
) -> Result<(), BotError> {
    let services = &ctx.data().services;
    let reminder = services.set_reminder(ctx.author().id.get(), &time, &timezone).await?;
    tell(
        ctx,
        format!(
            "⏰ Reminders on: {}. The next one is <t:{}:F>, if you have reviews due then. Keep your DMs open to me; `/remind off` stops them.",
            describe(&reminder),
            reminder.next_due_at
        ),
    )
    .await
}

/// Stop your review reminders
#[poise::command(slash_command)]
async fn off(ctx: Context<'_>) -> Result<(), BotError> {
    let removed = ctx.data().services.remove_reminder(ctx.author().id.get()).await?;
    tell(ctx, if removed { "🔕 Reminders off." } else { "You had no reminders. `/remind set` starts them." }).await
}

/// Show your review reminder
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), BotError> {
    let services = &ctx.data().services;
    let user = ctx.author().id.get();
    let text = match services.reminder(user).await? {
        Some(ReminderState::On(r)) => format!("⏰ {}. The next one is <t:{}:F>.", describe(&r), r.next_due_at),
        Some(ReminderState::TurnedOff { .. }) => match services.reminder_notice(user).await {
            Some(why) => render::reminder_notice(why),
            None => "You have no reminders. `/remind set` starts them.".to_string(),
        },
        None => "You have no reminders. `/remind set` starts them.".to_string(),
    };
    tell(ctx, text).await
}

/// "Every day at 08:30 (Europe/Berlin) when reviews are due".
fn describe(r: &Reminder) -> String {
    format!("every day at {:02}:{:02} ({}) when reviews are due", r.time.hour(), r.time.minute(), r.zone.name())
}
