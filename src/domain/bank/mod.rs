//! Question banks: the guides' markdown, parsed once at start into an
//! immutable, cheaply shared [`QuestionBank`].

mod id;
pub mod markdown;
mod parse;
pub mod pick;
pub mod render;
mod repair;
pub mod server;
pub mod shown;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use id::QuestionId;
pub use parse::{parse_bank, ParsedFile, DEFAULT_CATEGORY};
pub use repair::{repair_line, repair_text};

use crate::domain::level::Level;

/// One interview question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: QuestionId,
    /// Slug of the bank (file stem) the question comes from.
    pub bank: String,
    pub category: String,
    /// The title without the guide's numbering.
    pub title: String,
    /// The "think first" line, without its 🧠 marker.
    pub prompt: Option<String>,
    pub difficulty: Level,
    /// Markdown as written in the guide, block indentation removed.
    pub answer: String,
    /// 1-based line of the `??? question` header, for messages.
    pub line: usize,
}

/// A problem in a bank file, shown as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        ParseError { file: file.to_string(), line, message: message.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Why banks could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no question banks (*.md) found in {0}")]
    Empty(PathBuf),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ParseError>),
}

/// Summary of one bank file, as `quizbot check` prints it.
#[derive(Debug, Clone)]
pub struct BankInfo {
    pub slug: String,
    pub title: String,
    pub file: String,
    pub questions: usize,
    /// Category → number of questions, in the order the guide has them.
    pub categories: Vec<(String, usize)>,
    pub by_difficulty: BTreeMap<Level, usize>,
}

/// What `/quiz` may choose from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Matched case-insensitively against category names.
    pub category: Option<String>,
    pub difficulty: Option<Level>,
}

/// Every loaded question, indexed by id. Immutable after loading.
/// Questions are shared (`Arc`), so a server's banks can be layered on the
/// built-in ones without copying them ([`QuestionBank::layered`]).
#[derive(Debug, Default)]
pub struct QuestionBank {
    banks: Vec<BankInfo>,
    questions: Vec<Arc<Question>>,
    by_id: HashMap<QuestionId, usize>,
}

/// A question with the banks it was found in: what a use case hands back
/// once the banks a scope sees are built per server and shared.
#[derive(Debug, Clone)]
pub struct InBank {
    bank: Arc<QuestionBank>,
    question: Arc<Question>,
}

impl InBank {
    /// The question `id` of `bank`, if it has one.
    pub fn find(bank: &Arc<QuestionBank>, id: &QuestionId) -> Option<InBank> {
        let question = bank.by_id.get(id).map(|&i| Arc::clone(&bank.questions[i]))?;
        Some(InBank { bank: Arc::clone(bank), question })
    }

    /// The question `id` of the same banks.
    pub fn sibling(&self, id: &QuestionId) -> Option<InBank> {
        InBank::find(&self.bank, id)
    }

    pub fn bank(&self) -> &QuestionBank {
        &self.bank
    }

    pub fn question(&self) -> &Question {
        &self.question
    }
}

impl QuestionBank {
    /// Builds a bank from `(path, text)` pairs; the path's stem is the slug.
    pub fn from_sources<'a>(sources: impl IntoIterator<Item = (&'a Path, &'a str)>) -> Result<QuestionBank, BankError> {
        let named: Vec<(String, String, &str)> =
            sources.into_iter().map(|(path, text)| (slug_of(path), path.display().to_string(), text)).collect();
        QuestionBank::from_named(named.iter().map(|(slug, file, text)| (slug.as_str(), file.as_str(), *text)))
    }

    /// Builds a bank from `(slug, file, text)`: the slug names each bank in
    /// its question ids, the file only in messages.
    pub fn from_named<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<QuestionBank, BankError> {
        let mut bank = QuestionBank::default();
        let mut errors = Vec::new();
        let mut first_seen: HashMap<QuestionId, (String, usize)> = HashMap::new();
        for (slug, file, text) in sources {
            let (slug, file) = (slug.to_string(), file.to_string());
            match parse_bank(&slug, &file, text) {
                Err(mut e) => errors.append(&mut e),
                Ok(parsed) => {
                    for q in &parsed.questions {
                        if let Some((f, l)) = first_seen.get(&q.id) {
                            errors.push(ParseError::new(
                                &file,
                                q.line,
                                format!("question \"{}\" has the same id {} as the question at {f}:{l}; titles must differ within a bank", q.title, q.id),
                            ));
                        } else {
                            first_seen.insert(q.id.clone(), (file.clone(), q.line));
                        }
                    }
                    bank.add(slug, file, parsed);
                }
            }
        }
        if errors.is_empty() {
            Ok(bank)
        } else {
            Err(BankError::Invalid(errors))
        }
    }

    fn add(&mut self, slug: String, file: String, parsed: ParsedFile) {
        let mut categories: Vec<(String, usize)> = Vec::new();
        let mut by_difficulty = BTreeMap::new();
        for q in &parsed.questions {
            match categories.iter_mut().find(|(c, _)| *c == q.category) {
                Some((_, n)) => *n += 1,
                None => categories.push((q.category.clone(), 1)),
            }
            *by_difficulty.entry(q.difficulty).or_insert(0) += 1;
        }
        // An untitled bank is named by its file.
        let stem = Path::new(&file).file_stem().map(|s| s.to_string_lossy().into_owned());
        self.banks.push(BankInfo {
            title: parsed.title.or(stem).unwrap_or_else(|| slug.clone()),
            slug,
            file,
            questions: parsed.questions.len(),
            categories,
            by_difficulty,
        });
        for q in parsed.questions {
            self.by_id.insert(q.id.clone(), self.questions.len());
            self.questions.push(Arc::new(q));
        }
    }

    /// The banks of `parts`, in order, sharing their questions (a server's
    /// own on the built-in ones). A bank or a question an earlier part has
    /// is left out (the built-in banks under several servers', or a 48-bit
    /// clash).
    pub fn layered<'a>(parts: impl IntoIterator<Item = &'a QuestionBank>) -> QuestionBank {
        let mut bank = QuestionBank::default();
        for part in parts {
            for info in &part.banks {
                if !bank.banks.iter().any(|b| b.slug == info.slug) {
                    bank.banks.push(info.clone());
                }
            }
            for q in &part.questions {
                if !bank.by_id.contains_key(&q.id) {
                    bank.by_id.insert(q.id.clone(), bank.questions.len());
                    bank.questions.push(Arc::clone(q));
                }
            }
        }
        bank
    }

    pub fn banks(&self) -> &[BankInfo] {
        &self.banks
    }

    pub fn questions(&self) -> &[Arc<Question>] {
        &self.questions
    }

    pub fn len(&self) -> usize {
        self.questions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    pub fn get(&self, id: &QuestionId) -> Option<&Question> {
        self.by_id.get(id).map(|&i| &*self.questions[i])
    }

    /// The bank a question came from.
    pub fn bank_of(&self, question: &Question) -> Option<&BankInfo> {
        self.banks.iter().find(|b| b.slug == question.bank)
    }

    /// Distinct category names, in load order.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for q in &self.questions {
            if !out.contains(&q.category.as_str()) {
                out.push(&q.category);
            }
        }
        out
    }

    /// The exact category name matching `name` case-insensitively.
    pub fn find_category(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.categories().into_iter().find(|c| c.eq_ignore_ascii_case(name))
    }

    /// Categories containing `partial` (case-insensitive), for autocomplete.
    pub fn suggest_categories(&self, partial: &str, limit: usize) -> Vec<&str> {
        let needle = partial.trim().to_lowercase();
        self.categories().into_iter().filter(|c| c.to_lowercase().contains(&needle)).take(limit).collect()
    }

    /// Questions passing `filter`.
    pub fn matching(&self, filter: &Filter) -> Vec<&Question> {
        self.questions
            .iter()
            .map(|q| &**q)
            .filter(|q| {
                filter.difficulty.is_none_or(|d| q.difficulty == d)
                    && filter.category.as_deref().is_none_or(|c| q.category.eq_ignore_ascii_case(c.trim()))
            })
            .collect()
    }
}

/// File stem, lower-cased, with anything but letters and digits as `-`.
pub fn slug_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut slug = String::with_capacity(stem.len());
    for c in stem.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests;
