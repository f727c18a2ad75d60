//! `/daily history`: a channel's last daily questions, a page at a time.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter};

use crate::discord::custom_id::ButtonAction;
use crate::domain::bank::shown::fit;
use crate::domain::schedule::HISTORY_PAGE;
use crate::service::daily::History;

/// A question's title in a line of the list.
const TITLE_IN_LINE: usize = 90;

/// Page `page` (from 0) of the history: one line per question (its local
/// date, its title linking to the post, how many members rated it), and
/// ◀ ▶ buttons whose ids hold the channel and the page.
pub fn history_message(history: &History, page: u32) -> (CreateEmbed, Vec<CreateActionRow>) {
    let pages = history.entries.len().div_ceil(HISTORY_PAGE).max(1);
    let page = (page as usize).min(pages - 1);
    let lines: Vec<String> = history
        .entries
        .iter()
        .skip(page * HISTORY_PAGE)
        .take(HISTORY_PAGE)
        .map(|e| {
            let date = e.date.map_or("—".to_string(), |d| d.format("%a %-d %b %Y").to_string());
            // Escaped: a title is a bank author's text, inside link text.
            let title = e.title.as_deref().map_or("*(a question since removed)*".to_string(), |t| {
                super::plain(&fit(t, TITLE_IN_LINE), TITLE_IN_LINE)
            });
            let link = format!(
                "https://discord.com/channels/{}/{}/{}",
                history.guild_id, history.channel_id, e.asked.message_id
            );
            let raters = e.asked.raters;
            format!("`{date}` [{title}]({link}) · 👥 {raters} rated")
        })
        .collect();
    let description =
        if lines.is_empty() { "No daily question has been posted here yet.".to_string() } else { lines.join("\n") };
    let embed = CreateEmbed::new()
        .title("📜 Daily questions")
        .description(format!("<#{}>\n\n{description}", history.channel_id))
        .footer(CreateEmbedFooter::new(format!(
            "Page {} of {pages} · the last {} questions, newest first",
            page + 1,
            history.entries.len()
        )))
        .colour(0x58_65_F2);
    let button = |label: &str, to: usize, disabled: bool| {
        let id = ButtonAction::History { channel_id: history.channel_id, page: to as u32 }.encode();
        CreateButton::new(id).label(label).style(ButtonStyle::Secondary).disabled(disabled)
    };
    if pages == 1 {
        return (embed, vec![]);
    }
    // With two pages or more the ids differ (Discord refuses duplicates),
    // disabled ends included.
    let buttons =
        vec![button("◀", page.saturating_sub(1), page == 0), button("▶", (page + 1).min(pages - 1), page + 1 >= pages)];
    (embed, vec![CreateActionRow::Buttons(buttons)])
}
