//! Embeds and buttons. Discord limits (DESIGN.md §4) are respected here:
//! long text is split by `bank::render`, titles are shortened only when the
//! full text also appears in the body.

use chrono::NaiveDate;
use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter};

pub mod chart;
pub mod compare;
mod history;
mod recap;
mod review;
mod week_chart;

pub use history::history_message;
pub use recap::{recap_chart, recap_message};
pub use review::{reminder_message, reminder_notice, review_reply};

use super::custom_id::ButtonAction;
use crate::domain::bank::render::answer_pieces;
use crate::domain::bank::shown::{self, fit};
use crate::domain::bank::{Question, QuestionBank};
use crate::domain::level::Level;
use crate::domain::study::Source;
use crate::service::leaderboard::{BoardLine, BoardPage};
use crate::service::stats::STRIP_DAYS;

/// One answer piece per message, under the 4096 description limit and the
/// 6000 total with room for title and footer.
const ANSWER_PIECE_MAX: usize = 4000;

/// Embed colours of the difficulties, indexed by [`Level::index`]:
/// Discord's green, yellow and red.
const COLOURS: [u32; 3] = [0x57_F2_87, 0xFE_E7_5C, 0xED_42_45];

/// Embed colour of a difficulty.
pub fn colour(level: Level) -> u32 {
    COLOURS[level.index()]
}

/// `🟢 3 🟡 1 🔴 0`.
pub fn mix_text(mix: [u64; 3]) -> String {
    Level::ALL.iter().zip(mix).map(|(l, n)| format!("{} {n}", l.marker())).collect::<Vec<_>>().join(" ")
}

/// `⬛🟩🟩⬛…`: one square per day, green where the member studied.
pub fn strip_text(strip: &[u32; STRIP_DAYS]) -> String {
    strip.iter().map(|&n| if n > 0 { '🟩' } else { '⬛' }).collect()
}

/// `text` as an embed title; over-long text is shortened with "…" and
/// `true` says the caller must show it in full elsewhere.
fn title(text: &str) -> (String, bool) {
    (fit(text, shown::TITLE), text.chars().count() > shown::TITLE)
}

/// The title of the question's bank, as footers show it.
fn bank_title(bank: &QuestionBank, question: &Question) -> String {
    fit(bank.bank_of(question).map_or(question.bank.as_str(), |b| b.title.as_str()), shown::BANK_TITLE)
}

/// The question as posted in a channel, with its Reveal button.
pub fn question_message(
    bank: &QuestionBank,
    question: &Question,
    source: Source,
) -> (CreateEmbed, Vec<CreateActionRow>) {
    question_embed(bank, question, source, None)
}

/// The daily post: "Question of the day · Tuesday 24 November" above the
/// question.
pub fn daily_message(bank: &QuestionBank, question: &Question, date: NaiveDate) -> (CreateEmbed, Vec<CreateActionRow>) {
    let heading = format!("Question of the day · {}", date.format("%A %-d %B"));
    question_embed(bank, question, Source::Daily, Some(heading))
}

fn question_embed(
    bank: &QuestionBank,
    question: &Question,
    source: Source,
    heading: Option<String>,
) -> (CreateEmbed, Vec<CreateActionRow>) {
    let mut description = String::new();
    let title = match heading {
        // The heading takes the title; the question leads the description.
        Some(h) => {
            description.push_str(&format!("**{}**\n\n", fit(&question.title, shown::TITLE_IN_TEXT)));
            h
        }
        None => {
            let (t, shortened) = title(&question.title);
            if shortened {
                description.push_str(&format!("**{}**\n\n", fit(&question.title, shown::TITLE_IN_TEXT)));
            }
            t
        }
    };
    if let Some(prompt) = &question.prompt {
        description.push_str(&format!("🧠 {}\n\n", fit(prompt, shown::PROMPT)));
    }
    description.push_str(
        "Think it through, then **✍️ Answer first** to write yours and compare, or **Reveal answer**. Only you will see either.",
    );
    let embed = CreateEmbed::new()
        .title(title)
        .description(description)
        .colour(colour(question.difficulty))
        .field("Category", fit(&question.category, shown::CATEGORY), true)
        .field("Difficulty", format!("{} {}", question.difficulty.marker(), question.difficulty.name()), true)
        .footer(CreateEmbedFooter::new(format!("{} · {}", bank_title(bank, question), question.id)));
    let reveal = CreateButton::new(ButtonAction::Reveal { question: question.id.clone(), source }.encode())
        .label("Reveal answer")
        .emoji('👀')
        .style(ButtonStyle::Primary);
    let answer_first = CreateButton::new(ButtonAction::AnswerFirst { question: question.id.clone(), source }.encode())
        .label("Answer first")
        .emoji(serenity::ReactionType::Unicode("✍️".into()))
        .style(ButtonStyle::Secondary);
    (embed, vec![CreateActionRow::Buttons(vec![reveal, answer_first])])
}

/// The answer, as one embed per message (usually one). The level buttons
/// belong on the last message.
pub fn answer_embeds(bank: &QuestionBank, question: &Question) -> Vec<CreateEmbed> {
    let pieces = answer_pieces(&question.answer, ANSWER_PIECE_MAX);
    let total = pieces.len();
    let (heading, _) = title(&format!("Answer · {}", question.title));
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut footer = format!(
                "{} {} · {} · {}",
                question.difficulty.marker(),
                question.difficulty.name(),
                fit(&question.category, shown::CATEGORY),
                bank_title(bank, question)
            );
            if total > 1 {
                footer = format!(
                    "Part {} of {total}{} · {footer}",
                    i + 1,
                    if i + 1 < total { ", continued below" } else { "" }
                );
            }
            let embed = CreateEmbed::new()
                .description(piece)
                .colour(colour(question.difficulty))
                .footer(CreateEmbedFooter::new(footer));
            if i == 0 {
                embed.title(heading.clone())
            } else {
                embed
            }
        })
        .collect()
}

/// The three self-assessment buttons; the member's current level, if any,
/// is highlighted.
pub fn level_buttons(question: &Question, source: Source, current: Option<Level>) -> Vec<CreateActionRow> {
    let buttons = Level::ALL
        .into_iter()
        .map(|level| {
            let style = if current == Some(level) { ButtonStyle::Success } else { ButtonStyle::Secondary };
            CreateButton::new(ButtonAction::Rate { question: question.id.clone(), source, level }.encode())
                .label(level.name())
                .emoji(level.emoji())
                .style(style)
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

/// Prompt shown above the level buttons.
pub fn rate_prompt(current: Option<Level>) -> String {
    match current {
        None => "How well did you know it? Pick your level:".to_string(),
        Some(l) => {
            format!("You rated this {} **{}** before. Pick your level again to update it:", l.marker(), l.name())
        }
    }
}

/// Confirmation after a level click.
pub fn saved_text(level: Level, studied: u64, in_server: bool) -> String {
    // The member's own scope: DMs, and the app installed to their account
    // wherever the bot is not.
    let place = if in_server { "in this server" } else { "on your own (DMs and your own install)" };
    let plural = if studied == 1 { "" } else { "s" };
    format!("✅ Saved: {} **{}** — you have studied {studied} question{plural} {place}.", level.marker(), level.name())
}

/// A display name as plain text in markdown: at most 32 characters (Discord's
/// limit), markdown and mention characters escaped, no line breaks.
fn plain_name(name: &str) -> String {
    plain(name, 32)
}

/// `text` as plain text in markdown (a name, a title inside a link):
/// at most `max` characters of it, markdown and mention characters
/// escaped, no line breaks.
pub(super) fn plain(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().filter(|c| !c.is_control()).take(max) {
        if matches!(c, '*' | '_' | '~' | '`' | '|' | '>' | '<' | '@' | '#' | '[' | ']' | '(' | ')' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A leaderboard page: members as mentions (shown as names, never pinging
/// inside an embed), the line of whom it is for (`owner_known`), the
/// formula, and ◀ ▶ buttons whose ids hold the whole query.
pub fn board_message(
    board: &BoardPage,
    category_tag: Option<u32>,
    owner_known: bool,
) -> (CreateEmbed, Vec<CreateActionRow>) {
    let line = |l: &BoardLine| {
        let medal = match l.rank {
            1 => "🥇".to_string(),
            2 => "🥈".to_string(),
            3 => "🥉".to_string(),
            n => format!("`#{n}`"),
        };
        // The stored name too: Discord shows a mention of someone who left
        // (or whom the client has not loaded) as a bare id.
        let name = l.name.as_deref().map(|n| format!(" ({})", plain_name(n))).unwrap_or_default();
        format!(
            "{medal} <@{}>{name} · **{}** pts · {} studied · {} · 🔥 {}",
            l.row.user_id,
            l.row.score,
            l.row.studied,
            mix_text(l.mix),
            l.streak.current
        )
    };
    let mut description = if board.lines.is_empty() && board.page == 0 {
        "Nobody is on this board yet. Run `/quiz`, click **Reveal answer** and pick your level to get on it."
            .to_string()
    } else if board.lines.is_empty() {
        "No more members on this board.".to_string()
    } else {
        board.lines.iter().map(line).collect::<Vec<_>>().join("\n")
    };
    match &board.me {
        Some(me) => description.push_str(&format!("\n\n**You:** {} (longest streak {})", line(me), me.streak.longest)),
        None if owner_known && !board.lines.is_empty() => {
            description.push_str("\n\n**You** are not on this board yet.")
        }
        None => {}
    }
    let mut heading = format!("📚 Leaderboard · {}", board.period.label());
    if let Some(c) = &board.category {
        heading.push_str(&format!(" · {c}"));
    }
    let embed = CreateEmbed::new()
        .title(title(&heading).0)
        .description(description)
        .colour(0x58_65_F2)
        .footer(CreateEmbedFooter::new(format!("{} · Page {}", board.score.formula(), board.page + 1)));
    let button = |page: u32, label: &str, enabled: bool| {
        CreateButton::new(ButtonAction::Board { period: board.period, page, category: category_tag }.encode())
            .label(label)
            .style(ButtonStyle::Secondary)
            .disabled(!enabled)
    };
    // ◀ and ▶ always name different pages, so their ids never collide.
    let row = CreateActionRow::Buttons(vec![
        button(board.page.saturating_sub(1), "◀", board.page > 0),
        button(board.page + 1, "▶", board.has_next),
    ]);
    (embed, vec![row])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn bank_with_answer(answer: &str, title: &str) -> QuestionBank {
        let body: String = answer.lines().map(|l| format!("    {l}\n")).collect();
        let text = format!("## C\n??? question \"{title}\"\n    🔴 **Advanced**\n\n{body}");
        QuestionBank::from_sources([(Path::new("long.md"), text.as_str())]).unwrap()
    }

    fn json(embed: &CreateEmbed) -> serde_json::Value {
        serde_json::to_value(embed).unwrap()
    }

    /// Characters Discord counts towards the 6000 per message.
    fn embed_chars(v: &serde_json::Value) -> usize {
        let s = |k: &str| v[k].as_str().map_or(0, |t| t.chars().count());
        s("title") + s("description") + v["footer"]["text"].as_str().map_or(0, |t| t.chars().count())
    }

    #[test]
    fn a_long_answer_is_split_within_limits_and_loses_nothing() {
        let answer: String = (0..600).map(|i| format!("- point {i}: {}\n", "détail ".repeat(5))).collect();
        let bank = bank_with_answer(&answer, "Long one?");
        let q = &bank.questions()[0];
        let embeds: Vec<serde_json::Value> = answer_embeds(&bank, q).iter().map(json).collect();
        assert!(embeds.len() > 1);
        let mut text = String::new();
        for (i, e) in embeds.iter().enumerate() {
            assert!(e["description"].as_str().unwrap().chars().count() <= 4096);
            assert!(embed_chars(e) <= 6000);
            let footer = e["footer"]["text"].as_str().unwrap();
            assert!(footer.starts_with(&format!("Part {} of {}", i + 1, embeds.len())), "{footer}");
            text.push_str(e["description"].as_str().unwrap());
            text.push('\n');
        }
        for i in 0..600 {
            assert!(text.contains(&format!("- point {i}:")), "point {i} lost");
        }
    }

    #[test]
    fn stored_names_are_plain_text() {
        assert_eq!(plain_name("Ada"), "Ada");
        assert_eq!(plain_name("**@everyone**"), "\\*\\*\\@everyone\\*\\*");
        assert_eq!(plain_name("a\nb"), "ab");
        assert_eq!(plain_name(&"x".repeat(40)).len(), 32);
    }

    #[test]
    fn a_short_answer_is_one_embed_with_title_and_colour() {
        let bank = bank_with_answer("*   **Fix**: build for `linux/amd64`.", "Short?");
        let embeds = answer_embeds(&bank, &bank.questions()[0]);
        assert_eq!(embeds.len(), 1);
        let e = json(&embeds[0]);
        assert_eq!(e["title"], "Answer · Short?");
        assert_eq!(e["description"], "- **Fix**: build for `linux/amd64`.");
        assert_eq!(e["color"], 0xED4245);
    }

    #[test]
    fn an_over_long_title_is_shortened_but_shown_in_full() {
        let title = "Why ".repeat(100);
        let bank = bank_with_answer("Because.", title.trim());
        let (embed, rows) = question_message(&bank, &bank.questions()[0], Source::Quiz);
        let e = json(&embed);
        assert_eq!(e["title"].as_str().unwrap().chars().count(), 256);
        assert!(e["description"].as_str().unwrap().contains(title.trim()));
        let row = serde_json::to_value(&rows[0]).unwrap();
        let id = row["components"][0]["custom_id"].as_str().unwrap();
        assert!(id.starts_with("qz1:r:") && id.len() <= 100);
    }
}
