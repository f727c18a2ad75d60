//! Choosing the next question for a channel.
//!
//! A channel works through its pool in cycles: a question is picked at
//! random among those posted there the fewest times. Until every matching
//! question has been posted once nothing repeats; then a new cycle starts.
//! Counting posts (rather than remembering a cursor) needs no extra state,
//! survives restarts and adapts when questions are added or filters change.

use std::collections::HashMap;

use rand::seq::SliceRandom;
use rand::Rng;

use super::{Question, QuestionId};

/// Picks among `pool` the questions posted least often according to
/// `posted` (questions absent from it count as never posted).
pub fn pick_least_posted<'a, R: Rng + ?Sized>(
    pool: &[&'a Question],
    posted: &HashMap<QuestionId, u64>,
    rng: &mut R,
) -> Option<&'a Question> {
    let count = |q: &Question| posted.get(&q.id).copied().unwrap_or(0);
    let fewest = pool.iter().map(|q| count(q)).min()?;
    let least: Vec<&'a Question> = pool.iter().copied().filter(|q| count(q) == fewest).collect();
    least.choose(rng).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::level::Level;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    fn question(title: &str) -> Question {
        Question {
            id: QuestionId::derive("t", title),
            bank: "t".into(),
            category: "c".into(),
            title: title.into(),
            prompt: None,
            difficulty: Level::Beginner,
            answer: "a".into(),
            line: 1,
        }
    }

    #[test]
    fn covers_the_pool_before_repeating() {
        let qs: Vec<Question> = (0..7).map(|i| question(&format!("q{i}"))).collect();
        let pool: Vec<&Question> = qs.iter().collect();
        let mut posted = HashMap::new();
        let mut rng = StdRng::seed_from_u64(7);
        for cycle in 1..=3u64 {
            let mut seen = HashSet::new();
            for _ in 0..qs.len() {
                let q = pick_least_posted(&pool, &posted, &mut rng).unwrap();
                assert!(seen.insert(q.id.clone()), "repeated {} within cycle {cycle}", q.title);
                *posted.entry(q.id.clone()).or_insert(0) += 1;
            }
            assert!(posted.values().all(|&n| n == cycle));
        }
    }

    #[test]
    fn empty_pool_picks_nothing() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(pick_least_posted(&[], &HashMap::new(), &mut rng).is_none());
    }
}
