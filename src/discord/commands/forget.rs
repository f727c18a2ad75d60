//! `/forget-me`: delete the member's data, after a confirmation.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton};

use crate::discord::custom_id::ButtonAction;
use crate::discord::{BotError, Context};
use crate::domain::study::Scope;

/// Delete your ratings and stats here (in DMs: all your data)
#[poise::command(
    slash_command,
    rename = "forget-me",
    install_context = "Guild|User",
    interaction_context = "Guild|BotDm|PrivateChannel"
)]
pub async fn forget_me(ctx: Context<'_>) -> Result<(), BotError> {
    // Outside a server that installed the bot, the member's own scope:
    // everything.
    let (scope, _) = super::reach(ctx);
    let everywhere = scope == Scope::DirectMessages;
    // Counting can wait on the database: answer Discord first.
    super::defer_ephemeral(ctx).await?;
    let studied = ctx.data().services.studied_count(scope, ctx.author().id.get()).await?;
    let text = if everywhere {
        "This deletes **all** your quizbot data: your ratings in every server and in direct messages. It cannot be undone.".to_string()
    } else {
        format!("This deletes your ratings in this server ({studied} question{} studied), so you leave its leaderboard. It cannot be undone.", if studied == 1 { "" } else { "s" })
    };
    let buttons = vec![CreateActionRow::Buttons(vec![
        CreateButton::new(ButtonAction::Forget { confirm: true, everywhere }.encode())
            .label("Delete my data")
            .style(ButtonStyle::Danger),
        CreateButton::new(ButtonAction::Forget { confirm: false, everywhere }.encode())
            .label("Cancel")
            .style(ButtonStyle::Secondary),
    ])];
    ctx.send(poise::CreateReply::default().content(text).components(buttons).ephemeral(true)).await?;
    Ok(())
}
