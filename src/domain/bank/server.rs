//! A server's own question banks, uploaded from Discord: what an upload
//! must be, the limits it must keep, and what a re-upload changed.
//!
//! A server's bank is parsed exactly like a built-in one. Its questions'
//! ids come from the server, the bank's name (the file's stem) and each
//! title ([`bank_key`]), so uploading the same file again keeps every id
//! — and so members' ratings, reviews and the channel's no-repeat history
//! — and the same file in another server names other questions.

use std::collections::BTreeMap;
use std::path::Path;

use super::{shown, slug_of, BankError, Question, QuestionBank};

/// The longest bank name: it travels in a button's `custom_id` (100
/// characters at most) to confirm a removal.
pub const NAME_MAX: usize = 64;

/// File names an upload may have.
const EXTENSIONS: [&str; 3] = ["md", "markdown", "txt"];

/// How much one server may upload. Configurable; these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankLimits {
    /// Bytes per file.
    pub file_bytes: u64,
    /// Questions per bank.
    pub questions: usize,
    /// Banks per server.
    pub banks: usize,
}

impl Default for BankLimits {
    fn default() -> Self {
        BankLimits { file_bytes: 1_000_000, questions: 2_000, banks: 25 }
    }
}

/// A server's bank as stored: the upload itself (decoded), with who added
/// it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBank {
    pub guild_id: u64,
    /// The file's stem as a slug (`my-guide`); unique per server.
    pub name: String,
    /// The file name as uploaded, for the download.
    pub file: String,
    pub title: String,
    pub markdown: String,
    pub questions: u64,
    pub added_by: u64,
    /// Unix seconds.
    pub added_at: i64,
}

/// What `/bank list` shows of a stored bank (without its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBankInfo {
    pub name: String,
    pub title: String,
    pub questions: u64,
    pub added_by: u64,
    pub added_at: i64,
}

/// Why an uploaded file is refused; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadProblem {
    #[error("`{file}` is not a Markdown file: upload a `.md` guide.")]
    NotMarkdown { file: String },
    #[error("`{file}` is {size} bytes; a bank may be at most {limit} bytes.")]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("`{file}` is not a text file (it holds binary data, like an image).")]
    Binary { file: String },
    #[error("`{file}` is not UTF-8 text: save it as UTF-8 and upload it again.")]
    NotUtf8 { file: String },
    #[error("`{file}` has no questions: each starts with a line `??? question \"Title\"`, then, indented four spaces, a difficulty line (🟢 **Beginner**, 🟡 **Intermediate** or 🔴 **Advanced**) and the answer.")]
    NoQuestions { file: String },
    #[error("`{file}`: a bank's file name may have at most {limit} characters before `.md`.")]
    NameTooLong { file: String, limit: usize },
    #[error("Could not download `{file}` from Discord ({reason}); attach it again.")]
    Download { file: String, reason: String },
    #[error("`{file}` has {count} questions; a bank may have at most {limit}.")]
    TooManyQuestions { file: String, count: usize, limit: usize },
    #[error("`{file}` has problems:\n{}", .lines.join("\n"))]
    Invalid { file: String, lines: Vec<String> },
    #[error("This server has {existing} banks; {limit} is the most. Remove one with `/bank remove` first.")]
    TooManyBanks { existing: usize, limit: usize },
    #[error("`{file}` and another file of this upload are both named `{name}`.")]
    SameName { file: String, name: String },
}

/// The bank name of an uploaded file: its stem as a slug, if the file is
/// Markdown.
pub fn bank_name(file: &str) -> Result<String, UploadProblem> {
    let path = Path::new(file);
    let markdown =
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_lowercase().as_str()));
    let name = slug_of(path);
    if !markdown || name.is_empty() {
        return Err(UploadProblem::NotMarkdown { file: file.to_string() });
    }
    if name.chars().count() > NAME_MAX {
        return Err(UploadProblem::NameTooLong { file: file.to_string(), limit: NAME_MAX });
    }
    Ok(name)
}

/// The key a server's bank is parsed under: it names the bank in its
/// question ids, so it holds the server.
pub fn bank_key(guild_id: u64, name: &str) -> String {
    format!("{guild_id}/{name}")
}

/// The text of an uploaded file: binary data and invalid UTF-8 refused.
pub fn upload_text<'a>(file: &str, bytes: &'a [u8], limits: &BankLimits) -> Result<&'a str, UploadProblem> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > limits.file_bytes {
        return Err(UploadProblem::TooLarge { file: file.to_string(), size, limit: limits.file_bytes });
    }
    if bytes.contains(&0) {
        return Err(UploadProblem::Binary { file: file.to_string() });
    }
    std::str::from_utf8(bytes).map_err(|_| UploadProblem::NotUtf8 { file: file.to_string() })
}

/// Parses an uploaded bank as the server's bank `name`; every problem as
/// `line N: message`.
pub fn parse_upload(
    guild_id: u64,
    name: &str,
    file: &str,
    text: &str,
    limits: &BankLimits,
) -> Result<QuestionBank, UploadProblem> {
    let key = bank_key(guild_id, name);
    let bank = match QuestionBank::from_named([(key.as_str(), file, text)]) {
        Ok(bank) => bank,
        Err(BankError::Invalid(errors)) => {
            let lines = errors.iter().map(|e| format!("line {}: {}", e.line, e.message)).collect();
            return Err(UploadProblem::Invalid { file: file.to_string(), lines });
        }
        Err(other) => return Err(UploadProblem::Invalid { file: file.to_string(), lines: vec![other.to_string()] }),
    };
    if bank.is_empty() {
        return Err(UploadProblem::NoQuestions { file: file.to_string() });
    }
    let lines: Vec<String> = bank.questions().iter().flat_map(|q| too_long(q)).collect();
    if !lines.is_empty() {
        return Err(UploadProblem::Invalid { file: file.to_string(), lines });
    }
    if bank.len() > limits.questions {
        return Err(UploadProblem::TooManyQuestions {
            file: file.to_string(),
            count: bank.len(),
            limit: limits.questions,
        });
    }
    Ok(bank)
}

/// An uploaded answer's most characters: four messages' worth. A longer
/// one would be a stream of follow-ups for every Reveal.
pub const ANSWER_MAX: usize = 16_000;

/// What of a question is too long for a server's bank, as `line N: …`.
/// (Built-in banks are cut where shown instead: see `shown`.)
fn too_long(q: &Question) -> Vec<String> {
    let mut out = Vec::new();
    let answer = q.answer.chars().count();
    if answer > ANSWER_MAX {
        out.push(format!("line {}: the answer is {answer} characters; at most {ANSWER_MAX}", q.line));
    }
    let category = q.category.chars().count();
    if category > shown::CATEGORY {
        out.push(format!(
            "line {}: its category is {category} characters; at most {} (what Discord can offer to pick)",
            q.line,
            shown::CATEGORY
        ));
    }
    out
}

/// What a re-upload changed, by question id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankDiff {
    pub added: usize,
    /// Same title (so same id), other prompt, difficulty, category or answer.
    pub changed: usize,
    pub removed: usize,
}

/// Compares the questions of a bank before and after a re-upload.
pub fn diff(before: &[impl AsRef<Question>], after: &[impl AsRef<Question>]) -> BankDiff {
    let old: BTreeMap<_, _> = before.iter().map(|q| (&q.as_ref().id, q.as_ref())).collect();
    let new: BTreeMap<_, _> = after.iter().map(|q| (&q.as_ref().id, q.as_ref())).collect();
    let mut d = BankDiff::default();
    for (id, q) in &new {
        match old.get(id) {
            None => d.added += 1,
            Some(o) if *o != *q => d.changed += 1,
            Some(_) => {}
        }
    }
    d.removed = old.keys().filter(|id| !new.contains_key(*id)).count();
    d
}

/// Questions per category and difficulty (in [`Level::index`] order), for
/// the upload's answer.
pub fn counts(bank: &QuestionBank) -> Vec<(String, [usize; 3])> {
    let mut out: Vec<(String, [usize; 3])> = Vec::new();
    for q in bank.questions() {
        let i = match out.iter().position(|(c, _)| *c == q.category) {
            Some(i) => i,
            None => {
                out.push((q.category.clone(), [0; 3]));
                out.len() - 1
            }
        };
        out[i].1[q.difficulty.index()] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "---\ntitle: \"Team guide\"\n---\n## Ops\n\n??? question \"1. First?\"\n    🧠 Think.\n\n    🟢 **Beginner**\n\n    One.\n\n??? question \"2. Second?\"\n    🔴 **Advanced**\n\n    Two.\n";

    #[test]
    fn names_come_from_markdown_file_names() {
        assert_eq!(bank_name("My Team Guide.md"), Ok("my-team-guide".into()));
        assert_eq!(bank_name("notes.TXT"), Ok("notes".into()));
        assert!(matches!(bank_name("photo.png"), Err(UploadProblem::NotMarkdown { .. })));
        assert!(matches!(bank_name(".md"), Err(UploadProblem::NotMarkdown { .. })));
        assert!(matches!(bank_name(&format!("{}.md", "a".repeat(65))), Err(UploadProblem::NameTooLong { .. })));
    }

    #[test]
    fn binary_invalid_and_oversized_uploads_are_refused() {
        let limits = BankLimits { file_bytes: 100, ..BankLimits::default() };
        assert!(matches!(upload_text("a.md", b"\x89PNG\r\n\x1a\n\0\0", &limits), Err(UploadProblem::Binary { .. })));
        assert!(matches!(upload_text("a.md", b"caf\xe9", &limits), Err(UploadProblem::NotUtf8 { .. })));
        assert!(matches!(upload_text("a.md", &[b'a'; 101], &limits), Err(UploadProblem::TooLarge { size: 101, .. })));
        assert_eq!(upload_text("a.md", "café".as_bytes(), &limits), Ok("café"));
    }

    #[test]
    fn ids_are_the_servers_and_survive_a_reupload() {
        let limits = BankLimits::default();
        let a = parse_upload(1, "team", "team.md", GUIDE, &limits).unwrap();
        let again = parse_upload(1, "team", "Team.md", GUIDE, &limits).unwrap();
        let elsewhere = parse_upload(2, "team", "team.md", GUIDE, &limits).unwrap();
        assert_eq!(a.questions()[0].id, again.questions()[0].id);
        assert_ne!(a.questions()[0].id, elsewhere.questions()[0].id);
        assert_eq!(counts(&a), [("Ops".to_string(), [1, 0, 1])]);
        let untitled = parse_upload(1, "notes", "Notes.md", &GUIDE[GUIDE.find("## Ops").unwrap()..], &limits).unwrap();
        assert_eq!(untitled.banks()[0].title, "Notes", "named by its file, not by its key");
    }

    #[test]
    fn problems_are_listed_by_line() {
        let limits = BankLimits::default();
        let no_level = "## Ops\n\n??? question \"1. First?\"\n    Just an answer.\n";
        let Err(UploadProblem::Invalid { lines, .. }) = parse_upload(1, "x", "x.md", no_level, &limits) else {
            panic!("a question without a difficulty is refused")
        };
        assert!(lines[0].starts_with("line 4: ") && lines[0].contains("difficulty"), "{lines:?}");
        let twice = format!("{GUIDE}\n??? question \"3. First?\"\n    🟢 **Beginner**\n\n    Again.\n");
        let Err(UploadProblem::Invalid { lines, .. }) = parse_upload(1, "x", "x.md", &twice, &limits) else {
            panic!("two questions with one title are refused")
        };
        assert!(lines[0].contains("same id"), "{lines:?}");
        assert!(matches!(
            parse_upload(1, "x", "x.md", "# Nothing here\n", &limits),
            Err(UploadProblem::NoQuestions { .. })
        ));
        let long = GUIDE.replace("    One.", &format!("    {}", "x".repeat(ANSWER_MAX + 1)));
        let Err(UploadProblem::Invalid { lines, .. }) = parse_upload(1, "x", "x.md", &long, &limits) else {
            panic!("an answer too long to show is refused")
        };
        assert_eq!(lines, [format!("line 6: the answer is {} characters; at most {ANSWER_MAX}", ANSWER_MAX + 1)]);
        let small = BankLimits { questions: 1, ..limits };
        assert!(matches!(
            parse_upload(1, "x", "x.md", GUIDE, &small),
            Err(UploadProblem::TooManyQuestions { count: 2, .. })
        ));
    }

    #[test]
    fn a_reupload_counts_added_changed_and_removed() {
        let limits = BankLimits::default();
        let before = parse_upload(1, "t", "t.md", GUIDE, &limits).unwrap();
        let edited = format!("{GUIDE}\n??? question \"3. Third?\"\n    🟡 **Intermediate**\n\n    Three.\n");
        let after = parse_upload(1, "t", "t.md", &edited, &limits).unwrap();
        let removed =
            parse_upload(1, "t", "t.md", &GUIDE[..GUIDE.find("??? question \"2.").unwrap()], &limits).unwrap();
        assert_eq!(diff(before.questions(), after.questions()), BankDiff { added: 1, changed: 0, removed: 0 });
        assert_eq!(diff(before.questions(), removed.questions()), BankDiff { added: 0, changed: 0, removed: 1 });
        let reworded = parse_upload(1, "t", "t.md", &GUIDE.replace("    One.", "    One, reworded."), &limits).unwrap();
        assert_eq!(diff(before.questions(), reworded.questions()), BankDiff { added: 0, changed: 1, removed: 0 });
    }
}
