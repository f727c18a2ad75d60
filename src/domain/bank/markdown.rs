//! A guide's answer, from the Markdown it is written in (CommonMark with
//! MkDocs' admonitions) to the Markdown Discord shows, as blocks that a long
//! answer may be split between.
//!
//! Discord understands a subset: `#`–`###` headings, `-` and `1.` lists
//! (nested by indentation), fenced code with a language, one level of `>`
//! quotes, `**`, `*`, `~~`, inline code and `[text](url)` links. So:
//! - deeper headings become bold lines;
//! - tables, which Discord cannot show, become aligned text in a code block;
//! - admonitions (`!!! tip "Title"` and `??? note`, nested or not) become a
//!   quote headed by their title in bold (nested quotes flattened: Discord
//!   has one level);
//! - links keep their target when it is absolute; HTML is dropped;
//! - text that Discord would read as markup is escaped.
//!
//! The parsing is pulldown-cmark's; none of the Markdown crates knows
//! MkDocs' admonitions, so those are turned into block quotes first, line
//! by line ([`quote_admonitions`]).

use pulldown_cmark::{
    Alignment, CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream,
};

/// A piece of a rendered answer that is never split unless it alone is
/// too long for a message: a paragraph, a heading, a code block, a table,
/// a quote, or one item of a top-level list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub text: String,
    /// The next item of the same list: joined to the block before it by a
    /// line break rather than a blank line.
    pub continues: bool,
}

/// Renders `markdown` for Discord, as blocks in order.
pub fn discord_blocks(markdown: &str) -> Vec<Block> {
    let source = quote_admonitions(markdown);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut writer = Writer::default();
    // Merged, a text is whole: pulldown-cmark splits it at `_` and `~`,
    // which would cut a web address in two before it is escaped.
    for event in TextMergeStream::new(Parser::new_ext(&source, options)) {
        writer.event(event);
    }
    writer.finish()
}

/// The blocks joined as one text (for a short answer, and for tests).
pub fn discord_markdown(markdown: &str) -> String {
    join(&discord_blocks(markdown))
}

/// Joins blocks as they are shown: a blank line between blocks, a line
/// break between the items of a list.
pub fn join(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push_str(if block.continues { "\n" } else { "\n\n" });
        }
        out.push_str(&block.text);
    }
    out
}

/// Rewrites MkDocs admonitions (`!!! type "Title"`, `??? type`, `???+
/// type`, each followed by a body indented four spaces) as block quotes
/// whose first line is the title in bold. Nested ones are rewritten from
/// the inside out. Fenced code is left alone.
pub fn quote_admonitions(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut fence: Option<&str> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        }
        let indent = &line[..line.len() - trimmed.len()];
        let Some(title) = admonition_title(trimmed) else {
            out.push(line.to_string());
            i += 1;
            continue;
        };
        // The body: the following lines indented four more spaces, and
        // blank lines between them.
        let body_indent = format!("{indent}    ");
        let mut end = i + 1;
        while end < lines.len() && (lines[end].starts_with(&body_indent) || lines[end].trim().is_empty()) {
            end += 1;
        }
        while end > i + 1 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        let body: Vec<&str> =
            lines[i + 1..end].iter().map(|l| l.strip_prefix(body_indent.as_str()).unwrap_or("")).collect();
        out.push(format!("{indent}> **{}**", escape_inline(&title)));
        for quoted in quote_admonitions(&body.join("\n")).lines() {
            out.push(format!("{indent}> {quoted}").trim_end().to_string());
        }
        i = end;
    }
    out.join("\n")
}

/// The title of an admonition line: the quoted title, or the type
/// capitalised (`!!! tip` → "Tip"); `None` for any other line.
fn admonition_title(line: &str) -> Option<String> {
    let rest = ["!!! ", "???+ ", "??? "].iter().find_map(|p| line.strip_prefix(p))?.trim();
    let (kind, title) = match rest.split_once(char::is_whitespace) {
        Some((kind, title)) => (kind, title.trim()),
        None => (rest, ""),
    };
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    if !title.is_empty() {
        // MkDocs takes a title only in quotes.
        let quoted = title.strip_prefix('"').and_then(|t| t.strip_suffix('"'))?;
        return Some(quoted.to_string());
    }
    let mut chars = kind.chars();
    let first = chars.next()?.to_uppercase().collect::<String>();
    Some(first + chars.as_str())
}

/// Escapes what Discord would read as inline markup in plain text. Web
/// addresses are left alone: Discord links them, and a backslash would
/// break them.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            out.push_str(word);
            continue;
        }
        for c in word.chars() {
            if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// What the writer is inside of.
#[derive(Debug)]
enum Container {
    Quote,
    /// The next number of an ordered list, `None` for bullets.
    List(Option<u64>),
    /// A list item; its continuation lines are indented by `width`.
    Item {
        width: usize,
    },
}

/// A table being collected: rows of plain cell text.
#[derive(Default)]
struct Table {
    align: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    cell: Option<String>,
}

#[derive(Default)]
struct Writer {
    blocks: Vec<Block>,
    out: String,
    stack: Vec<Container>,
    /// Nothing written on the current line yet, not even its prefix.
    line_start: bool,
    /// Inside a code block: text goes out as it is.
    code: bool,
    /// Link targets, innermost last; `None` for a link shown by its text
    /// alone (a relative link, useless in Discord).
    links: Vec<Option<String>>,
    /// Inside an autolink: its text is its target, already written.
    autolink: bool,
    /// Inside an HTML block: dropped.
    html: bool,
    table: Option<Table>,
    /// Items of the current top-level list written so far.
    items: usize,
}

impl Writer {
    fn event(&mut self, event: Event<'_>) {
        if let Some(table) = &mut self.table {
            if table_event(table, &event) {
                return;
            }
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) if self.code => self.write_raw(&text),
            Event::Text(text) if !self.autolink && !self.html => self.write(&escape_inline(&text)),
            Event::Code(code) => {
                let ticks = if code.contains('`') { "``" } else { "`" };
                let pad = if code.starts_with('`') || code.ends_with('`') { " " } else { "" };
                self.write(&format!("{ticks}{pad}{code}{pad}{ticks}"));
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => self.write(&escape_inline(&math)),
            Event::SoftBreak | Event::HardBreak => self.newline(),
            Event::Rule => {
                self.start_line();
                self.write("———");
                self.end_block();
            }
            Event::TaskListMarker(done) => self.write(if done { "☑ " } else { "☐ " }),
            Event::FootnoteReference(name) => self.write(&format!("[{}]", escape_inline(&name))),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.start_line(),
            Tag::Heading { level, .. } => {
                self.start_line();
                self.write(match level {
                    HeadingLevel::H1 => "# ",
                    HeadingLevel::H2 => "## ",
                    HeadingLevel::H3 => "### ",
                    _ => "**",
                });
            }
            Tag::BlockQuote(_) => {
                self.start_line();
                self.stack.push(Container::Quote);
            }
            Tag::CodeBlock(kind) => {
                self.start_line();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.write_raw(&format!("```{lang}\n"));
                self.code = true;
            }
            Tag::HtmlBlock => self.html = true,
            Tag::List(first) => {
                if self.stack.is_empty() {
                    self.items = 0;
                }
                self.start_line();
                self.stack.push(Container::List(first));
            }
            Tag::Item => {
                self.start_line();
                let marker = match self.stack.last_mut() {
                    Some(Container::List(Some(n))) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => "- ".to_string(),
                };
                self.write(&marker);
                self.stack.push(Container::Item { width: marker.len() });
            }
            Tag::Table(align) => {
                self.start_line();
                self.table = Some(Table { align, ..Table::default() });
            }
            Tag::Emphasis => self.write("*"),
            Tag::Strong => self.write("**"),
            Tag::Strikethrough => self.write("~~"),
            Tag::Link { link_type, dest_url, .. } | Tag::Image { link_type, dest_url, .. } => {
                if matches!(link_type, LinkType::Autolink | LinkType::Email) {
                    self.write(&dest_url);
                    self.autolink = true;
                    self.links.push(None);
                } else if is_absolute(&dest_url) {
                    self.write("[");
                    self.links.push(Some(dest_url.to_string()));
                } else {
                    self.links.push(None);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.end_block(),
            TagEnd::Heading(level) => {
                if level > HeadingLevel::H3 {
                    self.write("**");
                }
                self.end_block();
            }
            TagEnd::BlockQuote(_) => {
                self.stack.pop();
                self.end_block();
            }
            TagEnd::CodeBlock => {
                if !self.line_start {
                    self.newline();
                }
                self.write_raw("```");
                self.code = false;
                self.end_block();
            }
            TagEnd::HtmlBlock => self.html = false,
            TagEnd::List(_) => {
                self.stack.pop();
                self.end_block();
            }
            TagEnd::Item => {
                self.stack.pop();
                // An item of a top-level list is a block of its own.
                if matches!(self.stack.as_slice(), [Container::List(_)]) {
                    self.flush(self.items > 0);
                    self.items += 1;
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.write_raw(&aligned(&table));
                }
                self.end_block();
            }
            TagEnd::Emphasis => self.write("*"),
            TagEnd::Strong => self.write("**"),
            TagEnd::Strikethrough => self.write("~~"),
            TagEnd::Link | TagEnd::Image => {
                self.autolink = false;
                if let Some(Some(url)) = self.links.pop() {
                    self.write(&format!("]({url})"));
                }
            }
            _ => {}
        }
    }

    /// Where a block starts: on a line of its own.
    fn start_line(&mut self) {
        if !self.line_start && !self.out.is_empty() && !self.at_item_start() {
            self.newline();
        }
    }

    /// Right after an item's marker, a paragraph or list continues the line.
    fn at_item_start(&self) -> bool {
        matches!(self.stack.last(), Some(Container::Item { .. }))
            && (self.out.ends_with("- ") || self.out.ends_with(". "))
    }

    /// Ends a paragraph, heading, list, quote or code block: a block of its
    /// own at the top level, a new line inside a container.
    fn end_block(&mut self) {
        if self.stack.is_empty() {
            self.flush(false);
        } else if !self.line_start {
            self.newline();
        }
    }

    fn flush(&mut self, continues: bool) {
        let text = self.out.trim_end().to_string();
        self.out.clear();
        self.line_start = false;
        if !text.trim().is_empty() {
            self.blocks.push(Block { text, continues: continues && !self.blocks.is_empty() });
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.line_start = true;
    }

    /// The prefix of a line inside the current containers: one `> ` for
    /// any depth of quotes (Discord nests none), then the items' indent.
    fn prefix(&self) -> String {
        let quoted = self.stack.iter().any(|c| matches!(c, Container::Quote));
        let indent: usize = self.stack.iter().map(|c| if let Container::Item { width } = c { *width } else { 0 }).sum();
        format!("{}{}", if quoted { "> " } else { "" }, " ".repeat(indent))
    }

    /// Writes text (nothing inside an HTML block), prefixing each new line.
    fn write(&mut self, text: &str) {
        if !self.html {
            self.write_raw(text);
        }
    }

    /// Writes code as it is, each line prefixed (inside a quote or item).
    fn write_raw(&mut self, text: &str) {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            if part.is_empty() {
                continue;
            }
            if self.line_start || self.out.is_empty() {
                let prefix = self.prefix();
                self.out.push_str(&prefix);
                self.line_start = false;
            }
            self.out.push_str(part);
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush(false);
        self.blocks
    }
}

fn is_absolute(url: &str) -> bool {
    ["http://", "https://", "mailto:"].iter().any(|scheme| url.starts_with(scheme))
}

/// Collects a table's cells as plain text; `true` if the event was the
/// table's.
fn table_event(table: &mut Table, event: &Event<'_>) -> bool {
    match event {
        Event::Start(Tag::TableRow | Tag::TableHead) => table.rows.push(Vec::new()),
        Event::Start(Tag::TableCell) => table.cell = Some(String::new()),
        Event::End(TagEnd::TableCell) => {
            let cell = table.cell.take().unwrap_or_default();
            if let Some(row) = table.rows.last_mut() {
                row.push(cell.trim().to_string());
            }
        }
        Event::Text(t) | Event::Code(t) => {
            if let Some(cell) = &mut table.cell {
                cell.push_str(t);
            }
        }
        Event::SoftBreak | Event::HardBreak => {
            if let Some(cell) = &mut table.cell {
                cell.push(' ');
            }
        }
        Event::End(TagEnd::Table) => return false,
        _ => {}
    }
    true
}

/// A table as aligned text in a code block: columns padded to their widest
/// cell (by characters), the header underlined.
fn aligned(table: &Table) -> String {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| table.rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let line = |row: &[String]| {
        let cells: Vec<String> = (0..columns)
            .map(|c| {
                let text = row.get(c).map_or("", String::as_str);
                let pad = widths[c].saturating_sub(text.chars().count());
                match table.align.get(c) {
                    Some(Alignment::Right) => format!("{}{text}", " ".repeat(pad)),
                    Some(Alignment::Center) => format!("{}{text}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2)),
                    _ => format!("{text}{}", " ".repeat(pad)),
                }
            })
            .collect();
        cells.join(" | ").trim_end().to_string()
    };
    let mut out = vec!["```".to_string()];
    for (i, row) in table.rows.iter().enumerate() {
        out.push(line(row));
        if i == 0 {
            out.push(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
        }
    }
    out.push("```".to_string());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> String {
        discord_markdown(text)
    }

    #[test]
    fn guide_lists_become_discord_lists() {
        let answer = "*   **Source**: git\n*   **Build**: compile\n\n1.  Store secrets\n2.  Fetch them";
        assert_eq!(md(answer), "- **Source**: git\n- **Build**: compile\n\n1. Store secrets\n2. Fetch them");
    }

    #[test]
    fn nested_and_numbered_lists_keep_their_shape() {
        let answer = "1. First\n    * inner a\n    * inner b\n2. Second\n    1. one\n    2. two";
        assert_eq!(md(answer), "1. First\n   - inner a\n   - inner b\n2. Second\n   1. one\n   2. two");
        // A list starting at 3 keeps its numbers.
        assert_eq!(md("3. c\n4. d"), "3. c\n4. d");
    }

    #[test]
    fn headings_deeper_than_discord_shows_become_bold() {
        assert_eq!(md("# One\n## Two\n### Three\n#### Four"), "# One\n\n## Two\n\n### Three\n\n**Four**");
    }

    #[test]
    fn code_blocks_keep_their_language_and_content() {
        let answer = "Run:\n\n```bash\nkubectl get pods -o wide | grep *_x\n```\n\nIndented:\n\n    plain code";
        assert_eq!(
            md(answer),
            "Run:\n\n```bash\nkubectl get pods -o wide | grep *_x\n```\n\nIndented:\n\n```\nplain code\n```"
        );
    }

    #[test]
    fn tables_become_aligned_text_in_a_code_block() {
        let answer =
            "| Signal | Number | Can be caught |\n|---|--:|---|\n| SIGTERM | 15 | yes |\n| SIGKILL | 9 | **no** |";
        assert_eq!(
            md(answer),
            "```\nSignal  | Number | Can be caught\n--------+--------+--------------\nSIGTERM |     15 | yes\nSIGKILL |      9 | no\n```"
        );
    }

    #[test]
    fn admonitions_become_quotes_with_their_title_even_nested() {
        let answer =
            "Text.\n\n!!! tip \"Interview tip\"\n    Say *why*.\n\n    ??? note\n        Inner detail.\n\nAfter.";
        assert_eq!(md(answer), "Text.\n\n> **Interview tip**\n> Say *why*.\n> **Note**\n> Inner detail.\n\nAfter.");
        assert_eq!(admonition_title("!!! warning"), Some("Warning".into()));
        assert_eq!(admonition_title("!!! not an admonition!"), None);
    }

    #[test]
    fn links_are_kept_html_is_dropped() {
        let answer =
            "See [the docs](https://example.com/a_b) and <https://x.io>.<br>\n\n<div>raw</div>\n\n[local](../other.md)";
        assert_eq!(md(answer), "See [the docs](https://example.com/a_b) and https://x.io.\n\nlocal");
    }

    #[test]
    fn web_addresses_in_text_stay_whole() {
        assert_eq!(
            md("See https://en.wikipedia.org/wiki/Foo_(bar)_baz now"),
            "See https://en.wikipedia.org/wiki/Foo_(bar)_baz now"
        );
    }

    #[test]
    fn text_that_looks_like_markup_is_escaped() {
        assert_eq!(
            md(r"Use my\_var and 2 \* 3, not ~~this~~ ||spoiler||"),
            r"Use my\_var and 2 \* 3, not ~~this~~ \|\|spoiler\|\|"
        );
        assert_eq!(md("`a*b` and ``x`y``"), "`a*b` and ``x`y``");
    }

    #[test]
    fn top_level_list_items_are_blocks_that_continue_each_other() {
        let blocks = discord_blocks("Intro.\n\n- a\n- b\n\nEnd.");
        let shape: Vec<(&str, bool)> = blocks.iter().map(|b| (b.text.as_str(), b.continues)).collect();
        assert_eq!(shape, [("Intro.", false), ("- a", false), ("- b", true), ("End.", false)]);
    }

    #[test]
    fn the_first_guide_renders_without_losing_words() {
        let answer = "A strategy where you roll out changes to a small subset of users (e.g., 10%) first.\n    \n✔ **Implementation:**\n*   **Lambda**: Use Aliases.\n*   **ALB**: Weighted Target Groups.\n\nIf metrics spike, **rollback immediately**.";
        let out = md(answer);
        assert!(out.starts_with("A strategy where"), "{out}");
        assert!(out.contains("✔ **Implementation:**\n\n- **Lambda**: Use Aliases.\n- **ALB**"), "{out}");
        assert!(out.ends_with("If metrics spike, **rollback immediately**."), "{out}");
    }
}
