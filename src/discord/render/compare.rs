//! "Answer first": the modal a member writes their own answer in, their
//! words as shown back to them, and the packing of a private view's embeds
//! into as few messages as Discord's limits allow.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateEmbed, CreateInputText, CreateModal, InputTextStyle};

use crate::discord::custom_id::AnswerModal;
use crate::domain::bank::shown::fit;
use crate::domain::bank::{Question, QuestionId};
use crate::domain::study::Source;

/// A modal's title holds at most 45 characters; so does a field's label.
const MODAL_TITLE_MAX: usize = 45;
/// A text field's placeholder holds at most 100 characters.
const PLACEHOLDER_MAX: usize = 100;
/// What a member may type: a paragraph field holds at most 4,000
/// characters, which also fits an embed's description (4,096).
pub const TYPED_MAX: usize = 4_000;
/// Discord's limits per message: 10 embeds, 6,000 characters over them.
const EMBEDS_PER_MESSAGE: usize = 10;
const EMBED_CHARS_PER_MESSAGE: usize = 6_000;
/// The colour of the member's own words (Discord's blurple), apart from
/// the difficulty colours of the guide's answer.
const TYPED_COLOUR: u32 = 0x58_65_F2;

/// The modal: one paragraph field for the member's answer, titled with the
/// question (shortened to fit), the question's 🧠 prompt as placeholder.
/// `personal`: the click counted in the member's own scope (`reach`),
/// which the submit cannot tell by itself.
pub fn answer_modal(question: &Question, source: Source, personal: bool) -> CreateModal {
    modal(&question.id, &question.title, question.prompt.as_deref(), source, personal)
}

/// The modal when the question could not be looked up in time: a generic
/// title; the submit names the question all the same.
pub fn untitled_answer_modal(id: &QuestionId, source: Source, personal: bool) -> CreateModal {
    modal(id, "Your answer", None, source, personal)
}

fn modal(id: &QuestionId, title: &str, prompt: Option<&str>, source: Source, personal: bool) -> CreateModal {
    let placeholder = prompt.unwrap_or("Answer as you would in the interview; then compare.");
    let field = CreateInputText::new(InputTextStyle::Paragraph, "Your answer", AnswerModal::FIELD)
        .placeholder(fit(placeholder, PLACEHOLDER_MAX))
        .min_length(1)
        .max_length(TYPED_MAX as u16)
        .required(true);
    CreateModal::new(AnswerModal { question: id.clone(), source, personal }.encode(), fit(title, MODAL_TITLE_MAX))
        .components(vec![CreateActionRow::InputText(field)])
}

/// The member's own words under `heading` ("✍️ Your answer", "✍️ Last time
/// you wrote"), within an embed's limits.
pub fn typed_embed(heading: &str, text: &str) -> CreateEmbed {
    let text = text.trim();
    let text = if text.is_empty() { "*(nothing written)*".to_string() } else { fit(text, TYPED_MAX) };
    CreateEmbed::new().title(heading).description(text).colour(TYPED_COLOUR)
}

/// The embeds in order, grouped into messages: as many per message as fit
/// in 10 embeds and 6,000 characters (an answer piece is at most about
/// 4,300, so each always fits alone).
pub fn pack(embeds: Vec<CreateEmbed>) -> Vec<Vec<CreateEmbed>> {
    let mut messages: Vec<Vec<CreateEmbed>> = Vec::new();
    let mut chars = 0;
    for embed in embeds {
        let size = embed_chars(&embed);
        match messages.last_mut() {
            Some(last) if last.len() < EMBEDS_PER_MESSAGE && chars + size <= EMBED_CHARS_PER_MESSAGE => {
                chars += size;
                last.push(embed);
            }
            _ => {
                chars = size;
                messages.push(vec![embed]);
            }
        }
    }
    messages
}

/// The characters Discord counts toward a message's 6,000: title,
/// description, footer, author and fields.
pub fn embed_chars(embed: &CreateEmbed) -> usize {
    let Ok(v) = serde_json::to_value(embed) else { return EMBED_CHARS_PER_MESSAGE };
    let len = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
    let fields = v["fields"].as_array().map_or(0, |f| f.iter().map(|f| len(&f["name"]) + len(&f["value"])).sum());
    len(&v["title"]) + len(&v["description"]) + len(&v["footer"]["text"]) + len(&v["author"]["name"]) + fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embed(chars: usize) -> CreateEmbed {
        CreateEmbed::new().description("x".repeat(chars))
    }

    #[test]
    fn embeds_share_a_message_while_they_fit() {
        let sizes = |messages: &[Vec<CreateEmbed>]| -> Vec<Vec<usize>> {
            messages.iter().map(|m| m.iter().map(embed_chars).collect()).collect()
        };
        assert_eq!(sizes(&pack(vec![embed(4000), embed(1500)])), [vec![4000, 1500]]);
        assert_eq!(sizes(&pack(vec![embed(4000), embed(2001), embed(10)])), [vec![4000], vec![2001, 10]]);
        assert_eq!(pack((0..25).map(|_| embed(1)).collect()).iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert!(pack(vec![]).is_empty());
    }

    #[test]
    fn a_members_words_fit_an_embed_and_blank_is_said() {
        let long = "é".repeat(5_000);
        assert_eq!(embed_chars(&typed_embed("✍️ Your answer", &long)), "✍️ Your answer".chars().count() + TYPED_MAX);
        let blank = serde_json::to_value(typed_embed("✍️ Your answer", " \n ")).unwrap();
        assert_eq!(blank["description"], "*(nothing written)*");
    }

    #[test]
    fn the_modal_fits_discords_limits() {
        let bank = crate::domain::bank::QuestionBank::from_named([(
            "b",
            "b.md",
            "## C\n\n??? question \"1. A very long question title that goes on and on past forty-five characters?\"\n    🧠 Think about it in depth, as if you were explaining it to a new hire on their very first day here.\n\n    🟢 **Beginner**\n\n    Yes.\n",
        )])
        .unwrap();
        let q = &bank.questions()[0];
        let modal = serde_json::to_value(answer_modal(q, Source::Review, false)).unwrap();
        assert!(modal["title"].as_str().unwrap().chars().count() <= MODAL_TITLE_MAX, "{modal}");
        assert!(modal["custom_id"].as_str().unwrap().len() <= 100);
        let field = &modal["components"][0]["components"][0];
        assert_eq!(field["style"], 2, "paragraph");
        assert_eq!(field["max_length"], 4000);
        assert!(field["placeholder"].as_str().unwrap().chars().count() <= PLACEHOLDER_MAX, "{field}");
        assert_eq!(AnswerModal::decode(modal["custom_id"].as_str().unwrap()).unwrap().question, q.id);
    }
}
