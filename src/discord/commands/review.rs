//! `/review`: the member's most overdue question, privately; and
//! `/review-settings`: their target retention.

use crate::discord::{render, BotError, Context};
use crate::domain::level::Level;
use crate::domain::review::{first_interval_days, Retention};

/// Review your most overdue question (spaced repetition, only you see it)
#[poise::command(slash_command, install_context = "Guild|User", interaction_context = "Guild|BotDm|PrivateChannel")]
pub async fn review(ctx: Context<'_>) -> Result<(), BotError> {
    let data = ctx.data();
    let (scope, _) = super::reach(ctx);
    // In DMs the member's servers' banks may have to be read first.
    super::defer_ephemeral(ctx).await?;
    let pick = data.services.review(scope, ctx.author().id.get()).await?;
    let (mut text, question) = render::review_reply(pick);
    if let Some(notice) = data.services.reminder_notice(ctx.author().id.get()).await {
        text = format!("{}\n\n{text}", render::reminder_notice(notice));
    }
    let mut reply = poise::CreateReply::default().content(text).ephemeral(true);
    if let Some((embed, buttons)) = question {
        reply = reply.embed(embed).components(buttons);
    }
    ctx.send(reply).await?;
    Ok(())
}

/// Set how well you want to remember: your target retention for /review
#[poise::command(
    slash_command,
    rename = "review-settings",
    install_context = "Guild|User",
    interaction_context = "Guild|BotDm|PrivateChannel"
)]
pub async fn review_settings(
    ctx: Context<'_>,
    #[description = "Recall to aim for, 0.70 to 0.97 (default 0.90): higher means more reviews, fewer lapses"]
    #[min = 0.70]
    #[max = 0.97]
    retention: Option<f64>,
) -> Result<(), BotError> {
    let services = &ctx.data().services;
    let user = ctx.author().id.get();
    let text = match retention {
        None => format!("{}\nChange it with `/review-settings retention:`.", explain(services.retention(user).await?)),
        Some(value) => match Retention::parse(value) {
            None => format!(
                "{value} is not a retention I can use: give a value from {:.2} to {:.2}, like 0.90.",
                f64::from(Retention::MIN) / 100.0,
                f64::from(Retention::MAX) / 100.0
            ),
            Some(retention) => {
                // Every question is rescheduled: it may wait for the lock.
                super::defer_ephemeral(ctx).await?;
                services.set_retention(user, retention).await?;
                format!("✅ Saved; your questions are rescheduled.\n{}", explain(retention))
            }
        },
    };
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true)).await?;
    Ok(())
}

/// What a retention means, with the interval it gives a first 🟡 rating.
fn explain(retention: Retention) -> String {
    let level = Level::Intermediate;
    format!(
        "🎯 Your target retention is **{} %**: a question comes back when you would recall it with {} % probability. \
         Higher: more reviews, fewer lapses; lower: fewer reviews, more forgotten.\n\
         At this target, a question first rated {} {} comes back after **{:.1} days**.",
        retention.percent(),
        retention.percent(),
        level.marker(),
        level.name(),
        first_interval_days(level, retention)
    )
}
