//! `/stats [member]`: progress, privately.

use poise::serenity_prelude as serenity;
use serenity::{CreateAttachment, CreateEmbed, User};

use crate::discord::render::chart::chart_png;
use crate::discord::render::{mix_text, strip_text};
use crate::discord::{BotError, Context};
use crate::domain::bank::shown::fit;
use crate::domain::score::Period;
use crate::domain::study::Scope;
use crate::service::leaderboard::BoardQuery;
use crate::service::stats::RECALL_STRONG;

/// Field values hold 1024 characters; a server with very many categories
/// gets a marked cut rather than a failed reply.
const FIELD_MAX: usize = 1024;

/// The chart's file name; the embed refers to it as `attachment://stats.png`.
const CHART_FILE: &str = "stats.png";

/// Your study progress here (only you see it); or another member's public board line
#[poise::command(slash_command, install_context = "Guild|User", interaction_context = "Guild|BotDm|PrivateChannel")]
pub async fn stats(
    ctx: Context<'_>,
    #[description = "Another member (shows only what the leaderboard shows)"] member: Option<User>,
) -> Result<(), BotError> {
    let data = ctx.data();
    let me = ctx.author().id;
    let mut reply = poise::CreateReply::default();
    let (scope, _) = super::reach(ctx);
    let embed = match (member.filter(|m| m.id != me), scope) {
        (Some(other), Scope::Guild(guild)) => {
            super::defer_ephemeral(ctx).await?;
            let query = BoardQuery {
                guild_id: guild,
                period: Period::All,
                category: None,
                page: 0,
                caller: Some(other.id.get()),
            };
            let board = data.services.leaderboard(&query).await?;
            let text = match board.me {
                Some(l) => format!(
                    "Rank **#{}** · **{}** pts · {} studied · {} · 🔥 {} (longest {})",
                    l.rank,
                    l.row.score,
                    l.row.studied,
                    mix_text(l.mix),
                    l.streak.current,
                    l.streak.longest
                ),
                None => "Not on this server's leaderboard yet.".to_string(),
            };
            CreateEmbed::new().title(format!("📊 {}", other.name)).description(format!("<@{}>\n{text}", other.id))
        }
        (Some(_), Scope::DirectMessages) => {
            ctx.send(poise::CreateReply::default().content("Other members' stats are per server.").ephemeral(true))
                .await?;
            return Ok(());
        }
        (None, scope) => {
            // The chart takes a moment to draw.
            super::defer_ephemeral(ctx).await?;
            let s = data.services.stats(scope, me.get()).await?;
            let [b, i, a] = s.by_difficulty;
            let categories = s
                .by_category
                .iter()
                .map(|c| format!("{}: **{}**/{}", c.name, c.studied(), c.total))
                .collect::<Vec<_>>()
                .join("\n");
            let due = match s.due_now {
                0 => "Nothing due.".to_string(),
                n => format!("**{n}** due now: run `/review`."),
            };
            let [today, later @ ..] = s.forecast;
            let later = later.iter().map(ToString::to_string).collect::<Vec<_>>().join(" · ");
            let review = format!(
                "{due}\n🧠 **{}** you would recall now with {:.0} % or more\n📅 Due in the next 7 days: today **{today}**, then {later}",
                s.recall_strong,
                RECALL_STRONG * 100.0
            );
            // Only the member's own stats get a chart: another member's view
            // stays what the leaderboard already shows.
            let chart = chart_png(&s);
            let embed = CreateEmbed::new()
                .title("📊 Your progress")
                .description(format!("**{}** of {} questions studied", s.studied, s.total))
                .field("By difficulty", format!("🟢 {}/{} · 🟡 {}/{} · 🔴 {}/{}", b.0, b.1, i.0, i.1, a.0, a.1), false)
                .field("By category", fit(&categories, FIELD_MAX), false)
                .field("Your levels", mix_text(s.mix), true)
                .field("Streak", format!("🔥 {} (longest {})", s.streak.current, s.streak.longest), true)
                .field("Review", review, false)
                .field("Last 14 days", strip_text(&s.strip), false);
            match chart {
                Some(png) => {
                    reply = reply.attachment(CreateAttachment::bytes(png, CHART_FILE));
                    embed.image(format!("attachment://{CHART_FILE}"))
                }
                None => embed,
            }
        }
    };
    ctx.send(reply.embed(embed.colour(0x58_65_F2)).ephemeral(true)).await?;
    Ok(())
}
