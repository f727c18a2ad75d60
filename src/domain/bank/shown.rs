//! How much of a bank's text the bot shows, in characters.
//!
//! A bank may hold text of any length; Discord refuses a message whose
//! embed title passes 256 characters, a field 1024, a footer 2048, a
//! description 4096, all of them together 6000, or an autocomplete choice
//! 100. These caps keep every message built from a bank inside those
//! limits with room for the bot's own words. Longer text is cut with "…"
//! where it is shown, and `quizbot check` warns about it ([`overlong`]).

use super::{BankInfo, Question};

/// A question's title in an embed's title; up to [`TITLE_IN_TEXT`] it is
/// shown whole in the description as well.
pub const TITLE: usize = 256;
/// A question's title in full, in the description.
pub const TITLE_IN_TEXT: usize = 1_000;
/// The 🧠 "think first" prompt.
pub const PROMPT: usize = 1_500;
/// A category name: autocomplete choices (and so `/quiz category:`) take
/// at most 100 characters.
pub const CATEGORY: usize = 100;
/// A bank's title, in footers.
pub const BANK_TITLE: usize = 200;

/// `text` cut to `max` characters, the last one "…" when it was longer.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// What of a question the bot will not show whole, as warnings for
/// `quizbot check`.
pub fn overlong(question: &Question) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut check = |what: &str, text: &str, max: usize| {
        let n = text.chars().count();
        if n > max {
            warnings.push(format!("the {what} is {n} characters; the bot shows the first {max}"));
        }
    };
    check("title", &question.title, TITLE_IN_TEXT);
    if let Some(prompt) = &question.prompt {
        check("🧠 prompt", prompt, PROMPT);
    }
    check("category", &question.category, CATEGORY);
    warnings
}

/// [`overlong`] for a bank's own title.
pub fn overlong_title(bank: &BankInfo) -> Option<String> {
    let n = bank.title.chars().count();
    (n > BANK_TITLE).then(|| format!("the bank's title is {n} characters; the bot shows the first {BANK_TITLE}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_characters_and_marks_the_cut() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("ééééé", 3), "éé…");
        assert_eq!(fit("ééééé", 3).chars().count(), 3);
        assert_eq!(fit("🧠🧠🧠", 3), "🧠🧠🧠");
    }
}
