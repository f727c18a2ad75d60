//! What `/review` says, shared by the command and the reminder DM's
//! button, and the reminder DM itself.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed};

use super::question_message;
use crate::discord::custom_id::ButtonAction;
use crate::domain::schedule::reminder::TurnedOff;
use crate::domain::study::Source;
use crate::service::review::{DueCounts, ReviewPick};

/// The text of a `/review` answer, and the question to show under it.
pub fn review_reply(pick: ReviewPick) -> (String, Option<(CreateEmbed, Vec<CreateActionRow>)>) {
    let next = |at: Option<i64>| at.map_or(String::new(), |t| format!(" Your next review is due <t:{t}:R>."));
    let (text, question) = match pick {
        ReviewPick::Due { question, memory, recall, due } => (
            format!(
                "{} This one was due <t:{}:R>: you'd recall it with **{:.0} %** probability.",
                due_text(due),
                memory.due_at,
                recall * 100.0
            ),
            Some(question),
        ),
        ReviewPick::Fresh { question, next_due_at, due } => (
            format!(
                "Nothing is due.{}{} Here is a question you have not studied yet:",
                next(next_due_at),
                week_text(due)
            ),
            Some(question),
        ),
        ReviewPick::Nothing { next_due_at, due } => (
            format!("Nothing is due and you have studied every question.{}{}", next(next_due_at), week_text(due)),
            None,
        ),
    };
    (text, question.map(|q| question_message(q.bank(), q.question(), Source::Review)))
}

/// The reminder DM: how many reviews are due, and a button that starts
/// the first.
pub fn reminder_message(due: DueCounts) -> (String, Vec<CreateActionRow>) {
    let text = format!(
        "⏰ Time to review: {} {}. `/remind off` stops these reminders.",
        due_text(due),
        "Start now, or run `/review` whenever you are ready."
    );
    let start = CreateButton::new(ButtonAction::StartReview.encode())
        .label("Start review")
        .emoji('📅')
        .style(ButtonStyle::Primary);
    (text, vec![CreateActionRow::Buttons(vec![start])])
}

/// What the member is told, once, when the bot turned their reminder off.
pub fn reminder_notice(why: TurnedOff) -> String {
    match why {
        TurnedOff::DmsClosed => "⚠️ I could not send you a DM (your DMs are closed to me), so your review reminders are off. Allow DMs from this server's members or from apps, then run `/remind set` again.".to_string(),
    }
}

/// "📅 **3** questions due today, **5** this week."
fn due_text(due: DueCounts) -> String {
    let plural = if due.today == 1 { "" } else { "s" };
    format!("📅 **{}** question{plural} due today, **{}** this week.", due.today, due.week)
}

/// " **5** due this week.", or nothing when none is.
fn week_text(due: DueCounts) -> String {
    match due.week {
        0 => String::new(),
        n => format!(" **{n}** due this week."),
    }
}
