//! The state a button carries: everything a click needs, in its
//! `custom_id`, so buttons keep working after a restart and on any process.
//!
//! Format: `qz1:<action>:<question id>:<source>[:<level>]`, e.g.
//! `qz1:r:0123456789ab:q` (Reveal), `qz1:w:0123456789ab:q` (Answer first)
//! and `qz1:l:0123456789ab:q:i` (rate Intermediate). At most 24 characters,
//! far below Discord's 100. The version prefix lets a later format coexist
//! with buttons already posted. The Answer first modal carries its
//! question the same way ([`AnswerModal`]), so a submit works after a
//! restart too.

use crate::domain::bank::QuestionId;
use crate::domain::level::Level;
use crate::domain::score::Period;
use crate::domain::study::Source;

const PREFIX: &str = "qz1";

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Show the clicker the answer.
    Reveal { question: QuestionId, source: Source },
    /// Ask the clicker for their own answer first (a modal), then show
    /// the guide's.
    AnswerFirst { question: QuestionId, source: Source },
    /// Store the clicker's level for the question.
    Rate { question: QuestionId, source: Source, level: Level },
    /// Show a leaderboard page. A category is named by [`category_tag`],
    /// since names can be longer than a button id allows.
    Board { period: Period, page: u32, category: Option<u32> },
    /// Delete the clicker's data (`everywhere`: not only this server), or
    /// cancel. Only the member who ran `/forget-me` sees these buttons.
    Forget { confirm: bool, everywhere: bool },
    /// Start the clicker's `/review` (the button of a reminder DM).
    StartReview,
    /// Show a page of a channel's `/daily history`.
    History { channel_id: u64, page: u32 },
    /// Remove the server's bank `name` (at most
    /// [`NAME_MAX`](crate::domain::bank::server::NAME_MAX) characters), or
    /// cancel. Only the admin who ran `/bank remove` sees these buttons.
    RemoveBank { name: String, confirm: bool },
}

/// A short, stable tag for a category name (FNV-1a, 32 bits), resolved
/// back by comparing against the loaded categories' tags.
pub fn category_tag(name: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

impl ButtonAction {
    /// Whether the button belongs only on a message its clicker alone sees
    /// (the answer with its levels, the forget-me confirmation). A
    /// modified client can send any id on any message; on a public post
    /// these would rewrite that post for everyone.
    pub fn private_only(&self) -> bool {
        matches!(
            self,
            ButtonAction::Rate { .. }
                | ButtonAction::Forget { .. }
                | ButtonAction::RemoveBank { .. }
                | ButtonAction::History { .. }
        )
    }

    pub fn encode(&self) -> String {
        match self {
            ButtonAction::Forget { confirm, everywhere } => {
                format!("{PREFIX}:f:{}:{}", if *confirm { "y" } else { "n" }, if *everywhere { "a" } else { "s" })
            }
            ButtonAction::Board { period, page, category } => match category {
                Some(tag) => format!("{PREFIX}:b:{}:{page}:{tag:08x}", period.code()),
                None => format!("{PREFIX}:b:{}:{page}", period.code()),
            },
            ButtonAction::RemoveBank { name, confirm } => {
                format!("{PREFIX}:x:{}:{name}", if *confirm { "y" } else { "n" })
            }
            ButtonAction::StartReview => format!("{PREFIX}:v"),
            ButtonAction::History { channel_id, page } => format!("{PREFIX}:h:{channel_id}:{page}"),
            ButtonAction::Reveal { question, source } => format!("{PREFIX}:r:{question}:{}", source_code(*source)),
            ButtonAction::AnswerFirst { question, source } => {
                format!("{PREFIX}:w:{question}:{}", source_code(*source))
            }
            ButtonAction::Rate { question, source, level } => {
                format!("{PREFIX}:l:{question}:{}:{}", source_code(*source), level.code())
            }
        }
    }

    /// `None` for anything this version did not produce.
    pub fn decode(custom_id: &str) -> Option<ButtonAction> {
        let mut parts = custom_id.split(':');
        if parts.next()? != PREFIX {
            return None;
        }
        let action = parts.next()?;
        if action == "b" {
            return decode_board(parts);
        }
        if action == "v" {
            return parts.next().is_none().then_some(ButtonAction::StartReview);
        }
        if action == "h" {
            let channel_id = parts.next()?.parse::<u64>().ok().filter(|c| *c > 0)?;
            let page = parts.next()?.parse::<u32>().ok().filter(|p| *p < 100)?;
            return parts.next().is_none().then_some(ButtonAction::History { channel_id, page });
        }
        if action == "x" {
            let confirm = match parts.next()? {
                "y" => true,
                "n" => false,
                _ => return None,
            };
            let name = parts.next()?;
            // A bank's name is a slug of any letters: it only names a bank
            // to look up, never text to trust.
            let valid = !name.is_empty() && name.chars().count() <= crate::domain::bank::server::NAME_MAX;
            return (valid && parts.next().is_none())
                .then(|| ButtonAction::RemoveBank { name: name.to_string(), confirm });
        }
        if action == "f" {
            let confirm = match parts.next()? {
                "y" => true,
                "n" => false,
                _ => return None,
            };
            let everywhere = match parts.next()? {
                "a" => true,
                "s" => false,
                _ => return None,
            };
            return parts.next().is_none().then_some(ButtonAction::Forget { confirm, everywhere });
        }
        let question = QuestionId::parse(parts.next()?)?;
        let source = source_from_code(parts.next()?)?;
        let decoded = match action {
            "r" => ButtonAction::Reveal { question, source },
            "w" => ButtonAction::AnswerFirst { question, source },
            "l" => ButtonAction::Rate { question, source, level: Level::from_code(one_char(parts.next()?)?)? },
            _ => return None,
        };
        parts.next().is_none().then_some(decoded)
    }
}

/// The Answer first modal: the question the member is answering, where
/// it was asked, and whether the click counted in the member's own scope
/// (a user install where the bot is not; `reach`): a modal submit does not
/// say who authorized it. `qz1:m:<question>:<source>[:p]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerModal {
    pub question: QuestionId,
    pub source: Source,
    pub personal: bool,
}

impl AnswerModal {
    /// The id of the modal's one text field.
    pub const FIELD: &'static str = "answer";

    pub fn encode(&self) -> String {
        let personal = if self.personal { ":p" } else { "" };
        format!("{PREFIX}:m:{}:{}{personal}", self.question, source_code(self.source))
    }

    /// `None` for anything this version did not produce.
    pub fn decode(custom_id: &str) -> Option<AnswerModal> {
        let mut parts = custom_id.split(':');
        if parts.next()? != PREFIX || parts.next()? != "m" {
            return None;
        }
        let question = QuestionId::parse(parts.next()?)?;
        let source = source_from_code(parts.next()?)?;
        let personal = match parts.next() {
            None => false,
            Some("p") => true,
            Some(_) => return None,
        };
        parts.next().is_none().then_some(AnswerModal { question, source, personal })
    }
}

fn decode_board<'a>(mut parts: impl Iterator<Item = &'a str>) -> Option<ButtonAction> {
    let mut code = parts.next()?.chars();
    let period = Period::from_code(code.next()?)?;
    if code.next().is_some() {
        return None;
    }
    let page = parts.next()?.parse::<u32>().ok().filter(|p| *p < 100_000)?;
    let category = match parts.next() {
        None => None,
        Some(tag) if tag.len() == 8 => Some(u32::from_str_radix(tag, 16).ok()?),
        Some(_) => return None,
    };
    parts.next().is_none().then_some(ButtonAction::Board { period, page, category })
}

/// The only character of `s`.
fn one_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

fn source_code(source: Source) -> &'static str {
    match source {
        Source::Quiz => "q",
        Source::Daily => "d",
        Source::Review => "v",
    }
}

fn source_from_code(code: &str) -> Option<Source> {
    Source::ALL.into_iter().find(|s| source_code(*s) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qid() -> QuestionId {
        QuestionId::derive("aws-devops", "Explain 'GitOps'.")
    }

    #[test]
    fn round_trips_every_action() {
        for source in Source::ALL {
            let reveal = ButtonAction::Reveal { question: qid(), source };
            assert_eq!(ButtonAction::decode(&reveal.encode()), Some(reveal.clone()));
            let first = ButtonAction::AnswerFirst { question: qid(), source };
            assert_eq!(ButtonAction::decode(&first.encode()), Some(first));
            for personal in [false, true] {
                let modal = AnswerModal { question: qid(), source, personal };
                assert_eq!(AnswerModal::decode(&modal.encode()), Some(modal.clone()));
                assert_eq!(ButtonAction::decode(&modal.encode()), None, "a modal id is no button");
            }
            for level in Level::ALL {
                let rate = ButtonAction::Rate { question: qid(), source, level };
                let id = rate.encode();
                assert!(id.len() <= 100 && !id.is_empty());
                assert_eq!(ButtonAction::decode(&id), Some(rate));
            }
        }
    }

    #[test]
    fn board_pages_round_trip() {
        for period in Period::ALL {
            for category in [None, Some(category_tag("Monitoring & Logging")), Some(0)] {
                let action = ButtonAction::Board { period, page: 41, category };
                assert_eq!(ButtonAction::decode(&action.encode()), Some(action));
            }
        }
        assert_eq!(ButtonAction::Board { period: Period::Week, page: 2, category: None }.encode(), "qz1:b:w:2");
        for bad in ["qz1:b", "qz1:b:x:1", "qz1:b:w", "qz1:b:w:-1", "qz1:b:w:1:xyz", "qz1:b:w:1:0000000g", "qz1:b:ww:1"]
        {
            assert_eq!(ButtonAction::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn forget_buttons_round_trip() {
        for confirm in [true, false] {
            for everywhere in [true, false] {
                let action = ButtonAction::Forget { confirm, everywhere };
                assert_eq!(ButtonAction::decode(&action.encode()), Some(action));
            }
        }
        for bad in ["qz1:f", "qz1:f:y", "qz1:f:x:s", "qz1:f:y:z", "qz1:f:y:s:1"] {
            assert_eq!(ButtonAction::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn bank_removals_round_trip_within_discords_limit() {
        let longest = "b".repeat(crate::domain::bank::server::NAME_MAX);
        for confirm in [true, false] {
            for name in ["team-guide", longest.as_str()] {
                let action = ButtonAction::RemoveBank { name: name.into(), confirm };
                assert!(action.encode().len() <= 100);
                assert_eq!(ButtonAction::decode(&action.encode()), Some(action));
            }
        }
        let too_long = format!("qz1:x:y:{longest}b");
        let dotted = ButtonAction::RemoveBank { name: "i\u{307}stanbul".into(), confirm: true };
        assert_eq!(ButtonAction::decode(&dotted.encode()), Some(dotted), "a slug of İstanbul.md");
        for bad in ["qz1:x:y", "qz1:x:y:", "qz1:x:q:team", "qz1:x:y:a:b", too_long.as_str()] {
            assert_eq!(ButtonAction::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn answer_modals_reject_garbage() {
        for bad in [
            "",
            "qz1:m",
            "qz1:m:0123456789ab",
            "qz1:m:0123456789ab:z",
            "qz1:m:0123456789ab:q:x",
            "qz1:m:0123456789ab:q:p:p",
            "qz1:r:0123456789ab:q",
        ] {
            assert_eq!(AnswerModal::decode(bad), None, "{bad:?}");
        }
        let modal = AnswerModal {
            question: QuestionId::parse("0123456789ab").unwrap(),
            source: Source::Review,
            personal: true,
        };
        assert_eq!(modal.encode(), "qz1:m:0123456789ab:v:p");
    }

    #[test]
    fn history_pages_round_trip() {
        let action = ButtonAction::History { channel_id: u64::MAX, page: 2 };
        assert!(action.encode().len() <= 100);
        assert_eq!(ButtonAction::decode(&action.encode()), Some(action));
        for bad in ["qz1:h", "qz1:h:0:1", "qz1:h:12:x", "qz1:h:12:1:2", "qz1:h:12:100", "qz1:h:-1:0"] {
            assert_eq!(ButtonAction::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_reminders_button_round_trips() {
        assert_eq!(ButtonAction::StartReview.encode(), "qz1:v");
        assert_eq!(ButtonAction::decode("qz1:v"), Some(ButtonAction::StartReview));
        assert_eq!(ButtonAction::decode("qz1:v:x"), None);
    }

    #[test]
    fn format_is_pinned() {
        let id = ButtonAction::Rate {
            question: QuestionId::parse("0123456789ab").unwrap(),
            source: Source::Daily,
            level: Level::Advanced,
        };
        assert_eq!(id.encode(), "qz1:l:0123456789ab:d:a");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "garbage",
            "qz1",
            "qz1:r",
            "qz1:r:0123456789ab",
            "qz1:r:0123456789ab:x",
            "qz1:r:0123456789ab:q:extra",
            "qz1:l:0123456789ab:q",
            "qz1:l:0123456789ab:q:z",
            "qz1:x:0123456789ab:q",
            "qz2:r:0123456789ab:q",
            "qz1:r:../../etc:q",
            "qz1:r:0123456789AB:q",
            "qz1:w:0123456789ab",
            "qz1:w:0123456789ab:q:i",
        ] {
            assert_eq!(ButtonAction::decode(bad), None, "{bad:?}");
        }
    }
}
