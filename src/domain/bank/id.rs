//! Question ids that survive edits to the guide around them.
//!
//! An id is a hash of the bank's slug and the question's normalised title
//! (numbering, case and spacing removed). Reordering, inserting or
//! renumbering questions leaves every id — and so every stored rating — where
//! it was; rewording a title makes it a new question, which is what it is.
//! The hash is FNV-1a, written out here so ids never depend on a hasher that
//! may change between Rust releases.

use std::fmt;

/// Twelve lower-case hex digits (48 bits): short enough for button ids,
/// wide enough that a clash between even 100,000 questions is unlikely —
/// and a clash is reported at load time, never silently merged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuestionId(String);

impl QuestionId {
    pub const LEN: usize = 12;

    /// The id of the question titled `title` in bank `slug`.
    pub fn derive(slug: &str, title: &str) -> QuestionId {
        let normalized = title.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in slug.bytes().chain([b'\n']).chain(normalized.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        QuestionId(format!("{:012x}", hash >> 16))
    }

    /// Accepts only the shape `derive` produces, so an id read back from a
    /// button or the database is never arbitrary text.
    pub fn parse(s: &str) -> Option<QuestionId> {
        let ok = s.len() == Self::LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| QuestionId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_case_and_spacing_but_not_bank_or_wording() {
        let a = QuestionId::derive("aws", "What is  GitOps?");
        assert_eq!(a, QuestionId::derive("aws", "what is gitops?"));
        assert_ne!(a, QuestionId::derive("gcp", "What is GitOps?"));
        assert_ne!(a, QuestionId::derive("aws", "What is GitOps"));
    }

    #[test]
    fn is_stable_across_releases() {
        // Pinned (computed independently): stored ratings and posted buttons
        // depend on this exact value.
        let id = QuestionId::derive("aws-devops", "Explain 'GitOps'.");
        assert_eq!(id.as_str(), "3e19bdc95eef");
        assert_eq!(QuestionId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn parse_rejects_other_shapes() {
        assert!(QuestionId::parse("").is_none());
        assert!(QuestionId::parse("0123456789AB").is_none());
        assert!(QuestionId::parse("0123456789a").is_none());
        assert!(QuestionId::parse("0123456789abc").is_none());
        assert!(QuestionId::parse("zz3456789abc").is_none());
    }
}
