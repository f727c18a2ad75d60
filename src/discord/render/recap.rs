//! The weekly recap's message: the podium, the members who kept a 7-day
//! streak, the hardest questions with their Reveal buttons, and the week
//! against the one before; or, after an empty week, a short nudge.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter};

use super::colour;
use crate::discord::custom_id::ButtonAction;
use crate::domain::bank::shown::fit;
use crate::domain::level::Level;
use crate::domain::schedule::recap::week_before;
use crate::domain::study::Source;
use crate::service::scheduler::RecapPost;

/// An embed field holds at most 1,024 characters.
const FIELD_MAX: usize = 1024;
/// A question's title in the hardest list.
const TITLE_IN_LIST: usize = 90;

/// What a week without a single rating posts instead of an empty table.
pub const EMPTY_WEEK: &str = "📅 A quiet week: nobody studied. Today's question is a good place to start again: reveal it, rate yourself, and the next recap will have a podium. 💪";

/// The week's chart (ratings per day by level, under the day names), or
/// `None` when drawing failed: logged, and the recap goes out without it.
pub fn recap_chart(recap: &RecapPost<'_>) -> Option<Vec<u8>> {
    let labels = week_before(recap.date).map(|d| d.format("%a %-d").to_string());
    super::week_chart::week_chart(&recap.summary.per_day, &labels)
        .map_err(|e| tracing::warn!(error = %e, "no chart for the weekly recap"))
        .ok()
}

/// The recap: its text, the embed (none after an empty week) and the
/// Reveal buttons of the hardest questions.
pub fn recap_message(recap: &RecapPost<'_>) -> (String, Option<CreateEmbed>, Vec<CreateActionRow>) {
    let s = recap.summary;
    if s.is_empty() {
        return (EMPTY_WEEK.to_string(), None, Vec::new());
    }
    let days = week_before(recap.date);
    let title = format!("📅 The week in review · {} – {}", days[0].format("%a %-d %b"), days[6].format("%a %-d %b"));
    let top = if recap.top.is_empty() {
        "Nobody scored this week.".to_string()
    } else {
        recap
            .top
            .iter()
            .map(|l| format!("{}. <@{}> · **{}** pts · {} studied", l.rank, l.row.user_id, l.row.score, l.row.studied))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let streaks = if s.streak_keepers.is_empty() {
        "Nobody this week: today is a good day to start one.".to_string()
    } else {
        let mut text = String::new();
        for (i, user) in s.streak_keepers.iter().enumerate() {
            let mention = format!("<@{user}>");
            let more = format!(" and {} more", s.streak_keepers.len() - i);
            if text.chars().count() + mention.len() + 2 + more.len() > FIELD_MAX {
                text.push_str(&more);
                break;
            }
            if !text.is_empty() {
                text.push_str(", ");
            }
            text.push_str(&mention);
        }
        text
    };
    let hardest = recap
        .hardest
        .iter()
        .enumerate()
        .map(|(i, (q, h))| {
            let level = Level::ALL[(h.mean_level.round() as usize).min(2)];
            format!(
                "{}. {} · {} mostly {} ({} rating{})",
                i + 1,
                super::plain(&fit(&q.question().title, TITLE_IN_LIST), TITLE_IN_LIST),
                level.marker(),
                level.name(),
                h.ratings,
                if h.ratings == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let change = match s.studied_before {
        0 => "the week before: none".to_string(),
        before => {
            let pct = (s.studied as f64 / before as f64 - 1.0) * 100.0;
            format!("the week before: {before}, {pct:+.0} %")
        }
    };
    let mut embed = CreateEmbed::new()
        .title(title)
        .colour(colour(Level::Intermediate))
        .field("🏆 Top 5", fit(&top, FIELD_MAX), false)
        .field("🔥 Kept a 7-day streak", fit(&streaks, FIELD_MAX), false)
        .field("📈 Studied", format!("**{}** ratings this week ({change})", s.studied), false)
        .footer(CreateEmbedFooter::new("Scores as on /leaderboard for the last 7 days"));
    if !hardest.is_empty() {
        embed = embed.field("🧩 Hardest this week", fit(&hardest, FIELD_MAX), false);
    }
    let buttons: Vec<CreateButton> = recap
        .hardest
        .iter()
        .enumerate()
        .map(|(i, (q, _))| {
            CreateButton::new(ButtonAction::Reveal { question: q.question().id.clone(), source: Source::Quiz }.encode())
                .label(format!("Reveal #{}", i + 1))
                .emoji('👀')
                .style(ButtonStyle::Secondary)
        })
        .collect();
    let rows = if buttons.is_empty() { Vec::new() } else { vec![CreateActionRow::Buttons(buttons)] };
    (String::new(), Some(embed), rows)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;

    use super::*;
    use crate::domain::bank::{InBank, QuestionBank};
    use crate::domain::schedule::recap::{Hard, WeekSummary};
    use crate::domain::streak::Streak;
    use crate::domain::study::BoardRow;
    use crate::service::leaderboard::BoardLine;

    fn json(embed: &CreateEmbed) -> serde_json::Value {
        serde_json::to_value(embed).unwrap()
    }

    #[test]
    fn an_empty_week_is_a_nudge_and_a_busy_one_fits_discords_limits() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let long = "A very long question title that goes on [and on] with *markdown* and `code` ".repeat(4);
        let text: String = (1..=3)
            .map(|i| format!("??? question \"{i}. {long}{i}?\"\n    🟢 **Beginner**\n\n    Answer.\n\n"))
            .collect();
        let bank = Arc::new(QuestionBank::from_named([("b", "b.md", format!("## C\n\n{text}").as_str())]).unwrap());
        let hardest: Vec<InBank> = bank.questions().iter().map(|q| InBank::find(&bank, &q.id).unwrap()).collect();
        let summary = WeekSummary {
            studied: 5_000,
            studied_before: 4_000,
            per_day: [[1, 2, 3]; 7],
            streak_keepers: (1..=2_000).map(|u| 1_000_000_000_000_000_000 + u).collect(),
            hardest: hardest
                .iter()
                .map(|q| Hard { question: q.question().id.clone(), mean_level: 0.2, ratings: 9 })
                .collect(),
        };
        let top: Vec<BoardLine> = (1..=5)
            .map(|rank| BoardLine {
                rank,
                row: BoardRow { user_id: 1_000_000_000_000_000_000 + rank, score: 99_999, studied: 500, reached: 0 },
                name: None,
                mix: [0; 3],
                streak: Streak::default(),
            })
            .collect();
        let pairs: Vec<(InBank, Hard)> = hardest.iter().cloned().zip(summary.hardest.iter().cloned()).collect();
        let post = RecapPost { channel_id: 1, date, summary: &summary, top: &top, hardest: &pairs, nonce: "w1" };
        let (text, embed, rows) = recap_message(&post);
        assert!(text.is_empty());
        let embed = json(&embed.unwrap());
        let mut total = embed["title"].as_str().unwrap().chars().count();
        for f in embed["fields"].as_array().unwrap() {
            let value = f["value"].as_str().unwrap();
            assert!(value.chars().count() <= 1024, "{}: {}", f["name"], value.len());
            total += value.chars().count() + f["name"].as_str().unwrap().chars().count();
        }
        assert!(total <= 6000, "{total}");
        let streaks = embed["fields"][1]["value"].as_str().unwrap();
        assert!(streaks.ends_with("more"), "{streaks}");
        assert!(embed["fields"][2]["value"].as_str().unwrap().contains("+25 %"));
        let hardest_field = embed["fields"][3]["value"].as_str().unwrap();
        assert!(hardest_field.contains("\\[and on\\]"), "escaped: {hardest_field}");
        let buttons = serde_json::to_value(&rows).unwrap();
        let ids: std::collections::HashSet<_> =
            buttons[0]["components"].as_array().unwrap().iter().map(|b| b["custom_id"].to_string()).collect();
        assert_eq!(ids.len(), 3);

        let empty = WeekSummary {
            studied: 0,
            studied_before: 3,
            per_day: [[0; 3]; 7],
            streak_keepers: vec![],
            hardest: vec![],
        };
        let post = RecapPost { channel_id: 1, date, summary: &empty, top: &[], hardest: &[], nonce: "w1" };
        let (text, embed, rows) = recap_message(&post);
        assert_eq!(text, EMPTY_WEEK);
        assert!(embed.is_none() && rows.is_empty());
    }
}
