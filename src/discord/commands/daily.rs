//! `/daily set|status|off|now`: the server's daily-question schedules.
//! Admin only: `MANAGE_GUILD` as the default permission on the parent (so
//! Discord hides it from others), checked again here, since a server can
//! widen who may use a command.

use poise::serenity_prelude as serenity;
use serenity::{ChannelType, PartialChannel, Role};

use super::quiz::{autocomplete_category, Difficulty};
use super::tell;
use crate::discord::poster::check_channel;
use crate::discord::{render, BotError, Context};
use crate::domain::bank::pick::PickMode;
use crate::domain::bank::shown::{self, fit};
use crate::domain::bank::Filter;
use crate::domain::level::Level;
use crate::domain::schedule::time::suggest_zones;
use crate::domain::schedule::{Schedule, MAX_FAILING_DAYS};
use crate::service::daily::ScheduleRequest;

/// Manage the daily question (server admins)
#[poise::command(
    slash_command,
    subcommands("set", "status", "off", "now", "history"),
    subcommand_required,
    install_context = "Guild",
    interaction_context = "Guild",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn daily(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

pub(super) async fn autocomplete_zone(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = suggest_zones(partial, 25).into_iter().map(|z| serenity::AutocompleteChoice::new(z, z)).collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The pick modes as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Pick {
    #[name = "rotate: every question in turn"]
    Rotate,
    #[name = "weakest: what the group knows least"]
    Weakest,
    #[name = "fresh: what nobody here has studied"]
    Fresh,
}

impl From<Pick> for PickMode {
    fn from(p: Pick) -> PickMode {
        match p {
            Pick::Rotate => PickMode::Rotate,
            Pick::Weakest => PickMode::Weakest,
            Pick::Fresh => PickMode::Fresh,
        }
    }
}

/// A weekday as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Day> for chrono::Weekday {
    fn from(d: Day) -> chrono::Weekday {
        match d {
            Day::Monday => chrono::Weekday::Mon,
            Day::Tuesday => chrono::Weekday::Tue,
            Day::Wednesday => chrono::Weekday::Wed,
            Day::Thursday => chrono::Weekday::Thu,
            Day::Friday => chrono::Weekday::Fri,
            Day::Saturday => chrono::Weekday::Sat,
            Day::Sunday => chrono::Weekday::Sun,
        }
    }
}

/// Refuses non-admins; `None` when the caller was already answered.
async fn admin_guild(ctx: Context<'_>) -> Result<Option<u64>, BotError> {
    super::admin_guild(ctx, "Daily questions are", "change the daily question").await
}

fn is_text(channel: &PartialChannel) -> bool {
    matches!(channel.kind, ChannelType::Text | ChannelType::News)
}

/// Set or replace a channel's daily question
#[poise::command(slash_command)]
// poise takes each slash option as a parameter.
#[allow(clippy::too_many_arguments)]
async fn set(
    ctx: Context<'_>,
    #[description = "Text channel to post in"]
    #[channel_types("Text", "News")]
    channel: PartialChannel,
    #[description = "Local time, 24-hour HH:MM, e.g. 09:00"] time: String,
    #[description = "IANA time zone, e.g. Europe/Berlin or America/New_York"]
    #[autocomplete = "autocomplete_zone"]
    timezone: String,
    #[description = "Only questions from this category"]
    #[autocomplete = "autocomplete_category"]
    category: Option<String>,
    #[description = "Only questions of this difficulty"] difficulty: Option<Difficulty>,
    #[description = "Role to mention with each question"] ping: Option<Role>,
    #[description = "How to choose: rotate (default), weakest (what the group knows least), fresh (nobody studied)"]
    pick: Option<Pick>,
    #[description = "Open a discussion thread on each question (needs Create Public Threads)"] thread: Option<bool>,
    #[description = "Post a weekly recap: top 5, streaks, the hardest questions"] recap: Option<bool>,
    #[description = "The recap's day (default Monday), at the question's time"] recap_day: Option<Day>,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx).await? else {
        return Ok(());
    };
    if !is_text(&channel) {
        return tell(ctx, format!("<#{}> is not a text channel: pick a text or announcement channel.", channel.id))
            .await;
    }
    let request = ScheduleRequest {
        guild_id,
        channel_id: channel.id.get(),
        time,
        timezone,
        filter: Filter { category: category.filter(|c| !c.trim().is_empty()), difficulty: difficulty.map(Level::from) },
        ping_role: ping.map(|r| r.id.get()),
        pick: pick.map_or(PickMode::Rotate, PickMode::from),
        thread: thread.unwrap_or(false),
        recap: recap.unwrap_or(false).then(|| recap_day.map_or(chrono::Weekday::Mon, chrono::Weekday::from)),
    };
    // Input errors first (no Discord round trip), then the permission check.
    let data = ctx.data();
    data.services.validate(&request).await?;
    super::defer_ephemeral(ctx).await?;
    let http = &ctx.serenity_context().http;
    let advice = match check_channel(http, guild_id, request.channel_id, data.bot_id, request.thread).await {
        Ok(advice) => advice,
        Err(problem) => return tell(ctx, problem).await,
    };
    let schedule = data.services.set_schedule(&request).await?;
    let advice: String = advice.iter().map(|a| format!("\n{a}")).collect();
    tell(ctx, format!("✅ Daily question set.\n{}{advice}", describe(&schedule))).await
}

/// Show this server's daily questions
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx).await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    let schedules = ctx.data().services.schedules(guild_id).await?;
    if schedules.is_empty() {
        return tell(
            ctx,
            "No daily question is set. Add one with `/daily set channel:#channel time:09:00 timezone:Europe/Berlin`.",
        )
        .await;
    }
    let text = schedules.iter().map(describe).collect::<Vec<_>>().join("\n\n");
    tell(ctx, text).await
}

/// Stop a channel's daily question (its history stays)
#[poise::command(slash_command)]
async fn off(
    ctx: Context<'_>,
    #[description = "Channel whose daily question to stop"]
    #[channel_types("Text", "News")]
    channel: PartialChannel,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx).await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    if ctx.data().services.remove_schedule(guild_id, channel.id.get()).await? {
        tell(ctx, format!("Stopped the daily question in <#{}>.", channel.id)).await
    } else {
        tell(ctx, format!("There was no daily question in <#{}>.", channel.id)).await
    }
}

/// Post a channel's next daily question now (the schedule stays as it is)
#[poise::command(slash_command)]
async fn now(
    ctx: Context<'_>,
    #[description = "Channel with a daily question"]
    #[channel_types("Text", "News")]
    channel: PartialChannel,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx).await? else {
        return Ok(());
    };
    let data = ctx.data();
    let schedule = data.services.schedule(guild_id, channel.id.get()).await?;
    super::defer_ephemeral(ctx).await?;
    let http = &ctx.serenity_context().http;
    if let Err(problem) = check_channel(http, guild_id, schedule.channel_id, data.bot_id, schedule.thread).await {
        return tell(ctx, problem).await;
    }
    let posted = data.services.post_now(&data.poster, &schedule, super::interaction_id(ctx)).await?;
    let mut text = format!("Posted the next question in <#{}>.", channel.id);
    if let Some(reason) = posted.thread_missing {
        text.push_str(&format!(" Its discussion thread could not be opened: {}", fit(&reason, shown::TITLE_IN_TEXT)));
    }
    tell(ctx, text).await
}

/// List a channel's last 30 daily questions
#[poise::command(slash_command)]
async fn history(
    ctx: Context<'_>,
    #[description = "Channel (default: this one)"]
    #[channel_types("Text", "News")]
    channel: Option<PartialChannel>,
) -> Result<(), BotError> {
    let Some(guild_id) = admin_guild(ctx).await? else {
        return Ok(());
    };
    super::defer_ephemeral(ctx).await?;
    let channel_id = channel.map_or(ctx.channel_id(), |c| c.id).get();
    let history = ctx.data().services.daily_history(guild_id, channel_id).await?;
    let (embed, buttons) = render::history_message(&history, 0);
    ctx.send(poise::CreateReply::default().embed(embed).components(buttons).ephemeral(true)).await?;
    Ok(())
}

/// One schedule for `/daily status` and the `/daily set` confirmation.
fn describe(s: &Schedule) -> String {
    let mut filters = Vec::new();
    if let Some(c) = &s.filter.category {
        filters.push(format!("category **{}**", fit(c, shown::CATEGORY)));
    }
    if let Some(d) = s.filter.difficulty {
        filters.push(format!("{} {}", d.marker(), d.name()));
    }
    let filters = if filters.is_empty() { "any question".to_string() } else { filters.join(", ") };
    let ping = s.ping_role.map_or(String::new(), |r| format!(" · pings <@&{r}>"));
    let ping = if s.thread { format!("{ping} · 🧵 a discussion thread on each") } else { ping };
    let ping = match s.pick {
        PickMode::Rotate => ping,
        mode => format!("{ping} · picks {}", mode.describe()),
    };
    let ping = match (s.recap, s.next_recap_at) {
        (Some(day), Some(at)) => format!("{ping} · 📅 weekly recap on {day}s, next <t:{at}:R>"),
        _ => ping,
    };
    let mut out = format!(
        "**<#{}>** at **{}** {} · {filters}{ping}\nNext: <t:{next}:F> (<t:{next}:R>)",
        s.channel_id,
        s.time,
        s.zone.name(),
        next = s.next_due_at
    );
    match s.last_posted_at {
        Some(t) => out.push_str(&format!(" · last: <t:{t}:R>")),
        None => out.push_str(" · not posted yet"),
    }
    if s.paused {
        out.push_str(&format!(
            "\n⏸️ Paused after {MAX_FAILING_DAYS} failing days: {}. Fix it, then run `/daily set` again.",
            s.failure.as_deref().unwrap_or("unknown reason")
        ));
    } else if let Some(f) = &s.failure {
        out.push_str(&format!(
            "\n⚠️ Failing ({} day{}): {f}",
            s.failing_days,
            if s.failing_days == 1 { "" } else { "s" }
        ));
    }
    if let Some(f) = s.thread_failure.as_deref().filter(|_| s.thread) {
        out.push_str(&format!("\n🧵 The last thread could not be opened (the question still went out): {f}"));
    }
    out
}
