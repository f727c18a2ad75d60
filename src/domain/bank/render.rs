//! Turning a guide's answer into text Discord shows well, in pieces that fit
//! Discord's limits.
//!
//! Discord counts characters, not bytes, and rejects a message whose embed
//! is over its limit — so long answers are split here, at line boundaries
//! where possible, and code fences are closed and reopened across a split.
//! Nothing is ever dropped: the pieces joined hold the whole answer.

use super::markdown::discord_blocks;

/// An answer rendered for Discord ([`markdown`](super::markdown)) in
/// pieces of at most `max` characters, split only between blocks: a
/// paragraph, list item, table or code block stays whole unless it alone is
/// longer than `max`, and then a code block is closed and reopened.
pub fn answer_pieces(answer: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for block in discord_blocks(answer) {
        let sep = if block.continues { "\n" } else { "\n\n" };
        let fits = current.chars().count() + sep.chars().count() + block.text.chars().count() <= max;
        if !current.is_empty() && fits {
            current.push_str(sep);
            current.push_str(&block.text);
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        if block.text.chars().count() <= max {
            current = block.text;
        } else {
            pieces.extend(split_chunks(&block.text, max));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    if pieces.is_empty() {
        pieces.push(String::new());
    }
    pieces
}

/// Splits `text` into pieces of at most `max` characters (`max` ≥ 16),
/// preferring line, then word boundaries.
pub fn split_chunks(text: &str, max: usize) -> Vec<String> {
    let max = max.max(16);
    // Room for a closing and a reopening fence added at a split.
    let budget = max - 8;
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    let mut fence: Option<String> = None;

    let mut flush = |current: &mut String, current_len: &mut usize, fence: &Option<String>| {
        if let Some(open) = fence {
            current.push_str("\n```");
            chunks.push(std::mem::take(current));
            current.push_str(open);
            current.push('\n');
            *current_len = open.chars().count() + 1;
        } else {
            chunks.push(std::mem::take(current));
            *current_len = 0;
        }
    };

    for line in text.lines() {
        for piece in split_long_line(line, budget.saturating_sub(fence.as_ref().map_or(0, |f| f.len() + 1)).max(8)) {
            let len = piece.chars().count();
            let sep = usize::from(current_len > 0);
            if current_len + sep + len > budget && current_len > 0 {
                flush(&mut current, &mut current_len, &fence);
            }
            if current_len > 0 && !current.ends_with('\n') {
                current.push('\n');
                current_len += 1;
            }
            current.push_str(piece);
            current_len += len;
        }
        let t = line.trim_start();
        if t.starts_with("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(t.to_string()),
            };
        }
    }
    if !current.trim().is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Cuts one over-long line at word boundaries (or anywhere, for a word
/// longer than `max`), by characters.
fn split_long_line(line: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while rest.chars().count() > max {
        let cut_at = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let cut = rest[..cut_at].rfind(' ').filter(|&i| i > 0).unwrap_or(cut_at);
        out.push(&rest[..cut]);
        rest = rest[cut..].trim_start_matches(' ');
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_split_between_blocks_and_keep_code_whole() {
        let code = format!("```bash\n{}```", "echo step\n".repeat(8));
        let answer = format!("{}\n\n{code}\n\n{}", "intro ".repeat(20), "outro ".repeat(20));
        let pieces = answer_pieces(&answer, 150);
        assert_eq!(pieces.len(), 3, "{pieces:#?}");
        assert_eq!(pieces[1], code, "the code block is one piece, untouched");
        // A code block longer than a piece is split, its fence reopened.
        let long = format!("```rust\n{}```", "let x = 1;\n".repeat(40));
        let pieces = answer_pieces(&long, 100);
        assert!(pieces.len() > 1);
        for p in &pieces {
            assert!(p.chars().count() <= 100 && p.matches("```").count() == 2, "{p:?}");
        }
    }

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(split_chunks("hello\nworld", 100), vec!["hello\nworld"]);
    }

    #[test]
    fn long_text_loses_nothing_and_respects_limit() {
        let para = "word ".repeat(300); // 1500 chars on one line
        let text = format!("{para}\n\n{}\nend ✔", "línea\n".repeat(400));
        let chunks = split_chunks(&text, 1024);
        assert!(chunks.len() > 2);
        for c in &chunks {
            assert!(c.chars().count() <= 1024, "{}", c.chars().count());
        }
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&chunks.join("\n")), words(&text));
    }

    #[test]
    fn code_fences_are_closed_and_reopened_across_a_split() {
        let text = format!("intro\n```bash\n{}```", "echo hi\n".repeat(40));
        let chunks = split_chunks(&text, 100);
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert_eq!(c.matches("```").count() % 2, 0, "unbalanced fence in {c:?}");
            assert!(c.chars().count() <= 100);
        }
    }
}
