//! Undo "double-encoded" UTF-8: text whose UTF-8 bytes were decoded as
//! Windows-1252 and saved again, so 🟢 reads `ðŸŸ¢`. Exports of the guides
//! often arrive like this.
//!
//! The repair is strict and per line: a line is re-encoded as Windows-1252
//! and decoded as UTF-8, and kept unchanged if either step fails. Working
//! per line means one correctly encoded line ("café") does not stop the rest
//! of the file from being repaired, and a strict decode means clean text is
//! never mangled.

use std::borrow::Cow;

/// Repairs every line of `text` (see the module docs). Line endings are kept.
pub fn repair_text(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let fixed = repair_line(line);
        changed |= matches!(fixed, Cow::Owned(_));
        out.push_str(&fixed);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Repairs one line, or returns it unchanged when it is not mojibake.
pub fn repair_line(line: &str) -> Cow<'_, str> {
    if line.is_ascii() {
        return Cow::Borrowed(line);
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(line);
    if unmappable {
        // A character Windows-1252 cannot hold (an emoji, say): the line is
        // already real UTF-8.
        return Cow::Borrowed(line);
    }
    match decode_utf8_with_flattened_nbsp(bytes.into_owned()) {
        Some(fixed) if fixed != line => Cow::Owned(fixed),
        _ => Cow::Borrowed(line),
    }
}

/// Decodes `bytes` as UTF-8, mending one known injury on the way.
///
/// Several emoji end in the byte 0xA0 (🧠 is F0 9F A7 A0), which
/// Windows-1252 shows as a no-break space. Editors and pipelines often
/// flatten that to a plain space, leaving F0 9F A7 20: invalid UTF-8. Where a
/// sequence is cut short by a space and putting 0xA0 back makes exactly one
/// valid character, we put it back; anything else fails the decode.
fn decode_utf8_with_flattened_nbsp(mut bytes: Vec<u8>) -> Option<String> {
    loop {
        match std::str::from_utf8(&bytes) {
            Ok(_) => return String::from_utf8(bytes).ok(),
            Err(err) => {
                let start = err.valid_up_to();
                let width = utf8_width(bytes[start])?;
                let end = (start + width).min(bytes.len());
                let space = (start + 1..end).find(|&i| bytes[i] == b' ')?;
                bytes[space] = 0xA0;
                std::str::from_utf8(bytes.get(start..start + width)?).ok()?;
            }
        }
    }
}

/// The length of the UTF-8 sequence a lead byte announces.
fn utf8_width(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produces the mojibake the guides arrive with, for round-trip tests.
    fn double_encode(s: &str) -> String {
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(s.as_bytes());
        text.into_owned()
    }

    #[test]
    fn repairs_the_guides_markers() {
        for clean in [
            "🟢 **Beginner**",
            "🟡 **Intermediate**",
            "🔴 **Advanced**",
            "✔ **Fix:**",
            "💡 **Interview Tip:**",
            "🧠 Think before expanding...",
            "🧪 Ready?",
        ] {
            let broken = double_encode(clean);
            assert_ne!(broken, clean);
            assert_eq!(repair_line(&broken), clean, "{broken:?}");
        }
    }

    #[test]
    fn real_seed_line_is_repaired() {
        assert_eq!(repair_line("    ðŸŸ¢ **Beginner**"), "    🟢 **Beginner**");
    }

    #[test]
    fn leaves_clean_text_alone() {
        for clean in ["café au lait", "naïve – “quoted”", "🟢 already fine", "plain ascii"] {
            assert!(matches!(repair_line(clean), Cow::Borrowed(_)), "{clean}");
        }
    }

    #[test]
    fn repairs_brain_whose_nbsp_was_flattened_to_a_space() {
        // 🧠 = F0 9F A7 A0; the A0 shown as NBSP became an ordinary space.
        let broken = double_encode("🧠 Think").replace('\u{a0}', " ");
        assert_eq!(broken, "ðŸ§  Think");
        assert_eq!(repair_line(&broken), "🧠 Think");
    }

    #[test]
    fn a_space_that_cannot_be_mended_keeps_the_line() {
        // The fix is only taken when it yields one whole valid character.
        let odd = "ð x"; // F0 20 78: A0 would still leave F0 A0 78 invalid
        assert_eq!(repair_line(odd), odd);
    }

    #[test]
    fn repairs_per_line() {
        let text = format!("café\n{}\r\n", double_encode("🔴 **Advanced**"));
        assert_eq!(repair_text(&text), "café\n🔴 **Advanced**\r\n");
    }
}
