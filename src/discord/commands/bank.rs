//! `/bank add|list|remove|download|builtin`: a server's own question banks.
//!
//! Uploads are downloaded here, from the attachment URLs Discord gives in
//! the interaction (its CDN), with the bot's HTTP client: at most the
//! upload limit is read, within its timeout. Everything else is
//! `service::banks`.

use poise::serenity_prelude as serenity;
use serenity::{Attachment, ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton};

use super::{admin_guild, tell};
use crate::discord::custom_id::ButtonAction;
use crate::discord::{BotError, Context, CONTENT_MAX};
use crate::domain::bank::render::split_chunks;
use crate::domain::bank::server::UploadProblem;
use crate::domain::bank::shown::{self, fit};
use crate::domain::level::Level;
use crate::service::banks::{Added, Upload};
use crate::service::ServiceError;

/// Discord allows at most 25 autocomplete choices.
const MAX_CHOICES: usize = 25;

/// A problem report longer than this goes out as a `.txt` file.
const REPORT_INLINE: usize = 1_500;

/// Built-in banks, as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Builtin {
    #[name = "on: show them here"]
    On,
    #[name = "off: only this server's banks"]
    Off,
}

/// This server's own question banks
#[poise::command(
    slash_command,
    subcommands("add", "list", "remove", "download_bank", "builtin"),
    subcommand_required,
    install_context = "Guild",
    interaction_context = "Guild"
)]
pub async fn bank(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

async fn autocomplete_bank(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let names = match ctx.guild_id() {
        Some(guild) => ctx.data().services.bank_names(guild.get(), partial).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let choices = names.into_iter().take(MAX_CHOICES).map(|n| serenity::AutocompleteChoice::new(n.clone(), n));
    serenity::CreateAutocompleteResponse::new().set_choices(choices.collect())
}

/// Add or replace guides from Markdown files (Manage Server)
#[poise::command(slash_command)]
async fn add(
    ctx: Context<'_>,
    #[description = "A guide in the bot's Markdown format (.md); a file of the same name replaces that bank"]
    file: Attachment,
    #[description = "Another guide"] file2: Option<Attachment>,
    #[description = "Another guide"] file3: Option<Attachment>,
    #[description = "Another guide"] file4: Option<Attachment>,
    #[description = "Another guide"] file5: Option<Attachment>,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx, "Question banks are", "change this server's banks").await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    let data = ctx.data();
    let limit = data.services.bank_limits().file_bytes;
    let mut uploads = Vec::new();
    let mut problems = Vec::new();
    for attachment in [Some(file), file2, file3, file4, file5].into_iter().flatten() {
        match download(&data.client, &attachment, limit).await {
            Ok(bytes) => uploads.push(Upload { file: attachment.filename.clone(), bytes }),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return report(ctx, &ServiceError::Upload(problems)).await;
    }
    match data.services.add_banks(guild_id, ctx.author().id.get(), &uploads).await {
        Ok(added) => tell(ctx, added.iter().map(describe_added).collect::<Vec<_>>().join("\n\n")).await,
        Err(e @ ServiceError::Upload(_)) => report(ctx, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// Reads an attachment from Discord's CDN, at most `limit` bytes.
async fn download(client: &reqwest::Client, attachment: &Attachment, limit: u64) -> Result<Vec<u8>, UploadProblem> {
    let file = attachment.filename.clone();
    let too_large = |size: u64| UploadProblem::TooLarge { file: file.clone(), size, limit };
    if u64::from(attachment.size) > limit {
        return Err(too_large(u64::from(attachment.size)));
    }
    let failed = |reason: String| UploadProblem::Download { file: file.clone(), reason };
    let mut response = client.get(&attachment.url).send().await.map_err(|e| failed(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status().as_u16())));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.without_url().to_string()))? {
        bytes.extend_from_slice(&chunk);
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size > limit {
            return Err(too_large(size));
        }
    }
    Ok(bytes)
}

/// "✅ Added **Title** (`name`): 12 questions" with counts per category,
/// or what a replacement changed.
fn describe_added(added: &Added) -> String {
    let total: usize = added.counts.iter().map(|(_, n)| n.iter().sum::<usize>()).sum();
    let head = match &added.replaced {
        None => format!("✅ Added **{}** (`{}`): {total} questions", fit(&added.title, shown::BANK_TITLE), added.name),
        Some(d) => format!(
            "🔁 Replaced **{}** (`{}`): {} added, {} changed, {} removed; {total} questions now",
            fit(&added.title, shown::BANK_TITLE),
            added.name,
            d.added,
            d.changed,
            d.removed
        ),
    };
    let lines = added.counts.iter().map(|(category, n)| {
        let levels: Vec<String> = Level::ALL.iter().map(|l| format!("{} {}", l.emoji(), n[l.index()])).collect();
        format!("- {}: {}", fit(category, shown::CATEGORY), levels.join(" · "))
    });
    std::iter::once(head).chain(lines).collect::<Vec<_>>().join("\n")
}

/// Tells the admin what was wrong with an upload: in the message, or, when
/// long, as a `.txt` file with the first lines in the message.
async fn report(ctx: Context<'_>, error: &ServiceError) -> Result<(), BotError> {
    let text = format!("❌ {error}");
    if text.chars().count() <= REPORT_INLINE {
        return tell(ctx, text).await;
    }
    let preview = split_chunks(&text, REPORT_INLINE).into_iter().next().unwrap_or_default();
    let reply = poise::CreateReply::default()
        .content(fit(&format!("{preview}\n… the whole report is attached."), CONTENT_MAX))
        .attachment(CreateAttachment::bytes(text.into_bytes(), "problems.txt"))
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}

/// The built-in banks and this server's own
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let Some(guild) = ctx.guild_id() else {
        return tell(ctx, "Question banks are per server: run this in a server.").await;
    };
    super::defer_ephemeral(ctx).await?;
    let data = ctx.data();
    let list = data.services.list_banks(guild.get()).await?;
    let limit = data.services.bank_limits().banks;
    let mut text = format!(
        "**Built-in banks**{}\n",
        if list.builtin_hidden { " (hidden in this server: `/bank builtin` shows them)" } else { "" }
    );
    for b in &list.builtin {
        text.push_str(&format!("- {} · {} questions\n", fit(&b.title, shown::BANK_TITLE), b.questions));
    }
    text.push_str(&format!("\n**This server's banks** ({} of {limit})\n", list.own.len()));
    if list.own.is_empty() {
        text.push_str("None yet: a member with Manage Server can add a guide with `/bank add`.");
    }
    for b in &list.own {
        text.push_str(&format!(
            "- `{}` · {} · {} questions · added by <@{}> <t:{}:R>\n",
            b.name,
            fit(&b.title, shown::BANK_TITLE),
            b.questions,
            b.added_by,
            b.added_at
        ));
    }
    for part in split_chunks(&text, CONTENT_MAX) {
        let reply =
            poise::CreateReply::default().content(part).allowed_mentions(CreateAllowedMentions::new()).ephemeral(true);
        ctx.send(reply).await?;
    }
    Ok(())
}

/// Remove one of this server's banks, after a confirmation (Manage Server)
#[poise::command(slash_command)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The bank's name, as /bank list shows it"]
    #[autocomplete = "autocomplete_bank"]
    name: String,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx, "Question banks are", "change this server's banks").await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    let name = name.trim().to_lowercase();
    let known = ctx.data().services.bank_names(guild_id, "").await?;
    if !known.contains(&name) {
        return Err(ServiceError::NoBank(fit(&name, shown::CATEGORY)).into());
    }
    let buttons = vec![CreateActionRow::Buttons(vec![
        CreateButton::new(ButtonAction::RemoveBank { name: name.clone(), confirm: true }.encode())
            .label("Remove it")
            .style(ButtonStyle::Danger),
        CreateButton::new(ButtonAction::RemoveBank { name: name.clone(), confirm: false }.encode())
            .label("Cancel")
            .style(ButtonStyle::Secondary),
    ])];
    let text = format!(
        "Remove `{name}`? Its questions leave /quiz, /daily and /review in this server, and their old buttons answer \"no longer available\". Members' ratings of them stay stored but leave the leaderboard until the bank comes back."
    );
    ctx.send(poise::CreateReply::default().content(text).components(buttons).ephemeral(true)).await?;
    Ok(())
}

/// Download one of this server's banks as it was uploaded
#[poise::command(slash_command, rename = "download")]
async fn download_bank(
    ctx: Context<'_>,
    #[description = "The bank's name, as /bank list shows it"]
    #[autocomplete = "autocomplete_bank"]
    name: String,
) -> Result<(), BotError> {
    let Some(guild) = ctx.guild_id() else {
        return tell(ctx, "Question banks are per server: run this in a server.").await;
    };
    super::defer_ephemeral(ctx).await?;
    let name = name.trim().to_lowercase();
    let (file, markdown) = ctx.data().services.bank_file(guild.get(), &name).await?;
    let reply = poise::CreateReply::default()
        .content(format!("`{name}`, as it was uploaded."))
        .attachment(CreateAttachment::bytes(markdown.into_bytes(), file))
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}

/// Show or hide the built-in banks in this server (Manage Server)
#[poise::command(slash_command)]
async fn builtin(
    ctx: Context<'_>,
    #[description = "on: built-in and this server's banks; off: only this server's"] state: Builtin,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx, "Question banks are", "change this server's banks").await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    let show = matches!(state, Builtin::On);
    ctx.data().services.show_builtin(guild_id, show).await?;
    tell(
        ctx,
        if show {
            "✅ The built-in banks are back in this server, beside its own."
        } else {
            "✅ This server now uses only its own banks."
        },
    )
    .await
}
