//! Parser for the guides' MkDocs-Material markdown.
//!
//! ```text
//! ---
//! title: "AWS DevOps Engineer Interview Questions"
//! ---
//! ## CI/CD & Automation                       ← category
//!
//! ??? question "1. Explain AWS CodePipeline." ← question block
//!     🧠 Think before expanding...            ← prompt (optional)
//!
//!     🟢 **Beginner**                         ← difficulty
//!
//!     *   **Source**: ...                     ← answer (markdown)
//! ```
//!
//! A block's body is every following line that is blank or indented by four
//! spaces (a tab counts as four). The parser collects every error of a file
//! rather than stopping at the first, so `quizbot check` shows them all.

use super::id::QuestionId;
use super::repair::repair_text;
use super::{ParseError, Question};
use crate::domain::level::Level;

/// What one file yields: its title and questions, or every error found.
#[derive(Debug)]
pub struct ParsedFile {
    /// From the front matter's `title:`, else the first `# ` heading.
    pub title: Option<String>,
    pub questions: Vec<Question>,
}

/// Category of questions that precede any `## ` heading.
pub const DEFAULT_CATEGORY: &str = "General";

/// Parses one bank. `slug` names the bank in question ids; `file` is only
/// used in error messages.
pub fn parse_bank(slug: &str, file: &str, raw: &str) -> Result<ParsedFile, Vec<ParseError>> {
    let text = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let text = repair_text(text);
    let lines: Vec<String> = text.lines().map(normalize_line).collect();

    let mut errors = Vec::new();
    let mut questions = Vec::new();
    let mut title = None;
    let mut category = DEFAULT_CATEGORY.to_string();

    let mut i = skip_front_matter(&lines, &mut title);
    while i < lines.len() {
        let line = &lines[i];
        let lineno = i + 1;
        if let Some(h) = line.strip_prefix("## ") {
            category = h.trim().to_string();
            i += 1;
        } else if let Some(h) = line.strip_prefix("# ") {
            title.get_or_insert_with(|| h.trim().to_string());
            i += 1;
        } else if let Some(kind_and_title) = admonition(line) {
            let body_end = block_end(&lines, i + 1);
            let body: Vec<&str> = lines[i + 1..body_end].iter().map(|l| l.get(4..).unwrap_or("")).collect();
            if let Some(rest) = kind_and_title.strip_prefix("question") {
                match parse_question(slug, &category, rest, &body, lineno) {
                    Ok(q) => questions.push(q),
                    Err((line, message)) => errors.push(ParseError::new(file, line, message)),
                }
            }
            i = body_end;
        } else {
            i += 1;
        }
    }

    if errors.is_empty() {
        Ok(ParsedFile { title, questions })
    } else {
        Err(errors)
    }
}

/// Tabs become four spaces and trailing white space goes, so indentation
/// and the difficulty line compare the same whatever editor saved the file.
fn normalize_line(line: &str) -> String {
    let line = line.trim_end();
    if line.contains('\t') {
        line.replace('\t', "    ")
    } else {
        line.to_string()
    }
}

/// Reads `---`-fenced front matter (only `title:` matters) and returns the
/// index of the first line after it.
fn skip_front_matter(lines: &[String], title: &mut Option<String>) -> usize {
    if lines.first().map(|l| l.trim()) != Some("---") {
        return 0;
    }
    for (i, line) in lines.iter().enumerate().skip(1) {
        if line.trim() == "---" {
            return i + 1;
        }
        if let Some(v) = line.strip_prefix("title:") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            if !v.is_empty() {
                *title = Some(v.to_string());
            }
        }
    }
    // No closing fence: treat the file as having no front matter.
    *title = None;
    0
}

/// `??? kind "title"`, `???+ kind "title"` or `!!! kind "title"` → `kind "title"`.
fn admonition(line: &str) -> Option<&str> {
    ["???+ ", "??? ", "!!! "].iter().find_map(|p| line.strip_prefix(p)).map(str::trim)
}

/// Index of the first line after the indented body that starts at `from`.
/// Trailing blank lines are left outside the block.
fn block_end(lines: &[String], from: usize) -> usize {
    let mut end = from;
    let mut last_content = from;
    while end < lines.len() {
        let l = &lines[end];
        if l.is_empty() {
            end += 1;
            continue;
        }
        if !l.starts_with("    ") {
            break;
        }
        end += 1;
        last_content = end;
    }
    last_content
}

fn parse_question(
    slug: &str,
    category: &str,
    rest: &str,
    body: &[&str],
    header_line: usize,
) -> Result<Question, (usize, String)> {
    let fail = |line: usize, msg: String| Err((line, msg));
    let rest = rest.trim();
    let title = match (rest.find('"'), rest.rfind('"')) {
        (Some(a), Some(b)) if b > a => rest[a + 1..b].trim(),
        _ => return fail(header_line, "question title must be in double quotes: ??? question \"1. Title\"".into()),
    };
    let title = strip_number(title);
    if title.is_empty() {
        return fail(header_line, "question has an empty title".into());
    }

    let mut lines = body
        .iter()
        .enumerate()
        .map(|(k, l)| (header_line + 1 + k, *l))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();

    let mut prompt = None;
    if let Some((_, l)) = lines.peek() {
        if let Some(p) = l.trim().strip_prefix('🧠') {
            prompt = Some(p.trim().to_string()).filter(|p| !p.is_empty());
            lines.next();
        }
    }

    let difficulty = match lines.next() {
        None => return fail(header_line, format!("question \"{title}\" has no difficulty line and no answer")),
        Some((n, l)) => match difficulty_line(l) {
            Some(Ok(level)) => (n, level),
            Some(Err(word)) => {
                return fail(
                    n,
                    format!(
                    "unknown difficulty \"{word}\" (expected 🟢 **Beginner**, 🟡 **Intermediate** or 🔴 **Advanced**)"
                ),
                )
            }
            None => {
                return fail(
                    n,
                    format!(
                        "question \"{title}\": expected a difficulty line such as 🟡 **Intermediate**, found \"{}\"",
                        l.trim()
                    ),
                )
            }
        },
    };
    let (difficulty_lineno, difficulty) = difficulty;

    // The answer is everything after the difficulty line, verbatim but for
    // the block's indentation, with blank lines at either end dropped.
    let start = difficulty_lineno - header_line; // index into body after the difficulty line
    let answer_lines = &body[start.min(body.len())..];
    let answer = answer_lines.join("\n").trim_matches('\n').to_string();
    if answer.trim().is_empty() {
        return fail(header_line, format!("question \"{title}\" has no answer"));
    }

    Ok(Question {
        id: QuestionId::derive(slug, title),
        bank: slug.to_string(),
        category: category.to_string(),
        title: title.to_string(),
        prompt,
        difficulty,
        answer,
        line: header_line,
    })
}

/// `1. Title` → `Title`: the guide's numbering is presentation, and leaving
/// it out of the title keeps ids stable when questions are renumbered.
fn strip_number(title: &str) -> &str {
    let digits = title.len() - title.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        if let Some(rest) = title[digits..].strip_prefix('.').or_else(|| title[digits..].strip_prefix(')')) {
            return rest.trim();
        }
    }
    title.trim()
}

/// Recognises `🟢 **Beginner**` (the marker is optional). `Some(Err(word))`
/// for a line shaped like a difficulty with an unknown word.
fn difficulty_line(line: &str) -> Option<Result<Level, String>> {
    let line = line.trim();
    let start = line.find("**")?;
    let marker = line[..start].trim();
    let inner = line[start + 2..].strip_suffix("**")?;
    if inner.contains("**") || inner.trim().is_empty() || inner.split_whitespace().count() > 2 {
        return None;
    }
    // Anything before the bold word must be a single marker symbol, not prose.
    if marker.chars().any(|c| c.is_alphanumeric()) || marker.chars().count() > 2 {
        return None;
    }
    Some(Level::parse(inner).ok_or_else(|| inner.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_difficulty_lines() {
        assert_eq!(difficulty_line("🟢 **Beginner**"), Some(Ok(Level::Beginner)));
        assert_eq!(difficulty_line("**Advanced**"), Some(Ok(Level::Advanced)));
        assert_eq!(difficulty_line("🟣 **Expert**"), Some(Err("Expert".into())));
        assert_eq!(difficulty_line("**NEVER** commit secrets"), None);
        assert_eq!(difficulty_line("Use **StackSets**"), None);
    }

    #[test]
    fn strips_guide_numbering() {
        assert_eq!(strip_number("12. How do you roll back?"), "How do you roll back?");
        assert_eq!(strip_number("3) Canary"), "Canary");
        assert_eq!(strip_number("2024 roadmap"), "2024 roadmap");
    }
}
