//! Choosing the next question for a channel.
//!
//! A channel works through its pool in cycles: a question is picked at
//! random among those posted there the fewest times. Until every matching
//! question has been posted once nothing repeats; then a new cycle starts.
//! Counting posts (rather than remembering a cursor) needs no extra state,
//! survives restarts and adapts when questions are added or filters change.
//!
//! A daily schedule may pick for its group instead ([`PickMode`]): the
//! question the server's members know least ([`pick_weakest`]), or one
//! none of them has rated ([`pick_fresh`]). Either falls back to the cycle
//! when it has nothing to offer.

use std::collections::{HashMap, HashSet};

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

/// How a daily schedule picks its question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PickMode {
    /// Least posted in the channel first (the cycle above).
    #[default]
    Rotate,
    /// What the server's members know least ([`pick_weakest`]).
    Weakest,
    /// What no member of the server has rated yet ([`pick_fresh`]).
    Fresh,
}

impl PickMode {
    pub const ALL: [PickMode; 3] = [PickMode::Rotate, PickMode::Weakest, PickMode::Fresh];

    /// Stable key in storage and the name admins type.
    pub fn key(self) -> &'static str {
        match self {
            PickMode::Rotate => "rotate",
            PickMode::Weakest => "weakest",
            PickMode::Fresh => "fresh",
        }
    }

    pub fn parse(key: &str) -> Option<PickMode> {
        PickMode::ALL.into_iter().find(|m| m.key() == key)
    }

    /// What the mode does, for `/daily status`.
    pub fn describe(self) -> &'static str {
        match self {
            PickMode::Rotate => "rotating through the questions",
            PickMode::Weakest => "what the group knows least",
            PickMode::Fresh => "questions nobody here has studied",
        }
    }
}

/// Days a question stays out of `weakest` picks after it was posted in
/// the channel: the group gets time to study it before it comes back.
pub const WEAKEST_REST_DAYS: i64 = 14;

/// One member's knowledge of one question: their predicted recall now
/// (0 to 1, from their FSRS memory).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStudy {
    pub question: QuestionId,
    pub recall: f64,
}

/// The question in `pool` the group knows least: the largest sum, over the
/// members who studied it, of what they are predicted to have forgotten
/// (1 − recall). A sum rather than a mean weights a question by how many
/// studied it: three members at 50 % outweigh one at 20 %. Questions posted
/// recently (`rested`) and questions nobody studied are left out; ties go
/// to the lower question id, so the pick is reproducible.
pub fn pick_weakest<'a>(
    pool: &[&'a Question],
    studies: &[GroupStudy],
    rested: &HashSet<QuestionId>,
) -> Option<&'a Question> {
    let mut forgotten: HashMap<&QuestionId, f64> = HashMap::new();
    for s in studies {
        *forgotten.entry(&s.question).or_default() += (1.0 - s.recall).clamp(0.0, 1.0);
    }
    pool.iter()
        .copied()
        .filter(|q| !rested.contains(&q.id))
        .filter_map(|q| forgotten.get(&q.id).map(|&f| (q, f)))
        .max_by(|(a, fa), (b, fb)| fa.total_cmp(fb).then_with(|| b.id.cmp(&a.id)))
        .map(|(q, _)| q)
}

/// A question of `pool` no member of the server has rated (`rated`),
/// least posted in the channel first; `None` when the group has studied
/// them all.
pub fn pick_fresh<'a, R: Rng + ?Sized>(
    pool: &[&'a Question],
    rated: &HashSet<QuestionId>,
    posted: &HashMap<QuestionId, u64>,
    rng: &mut R,
) -> Option<&'a Question> {
    let unrated: Vec<&'a Question> = pool.iter().copied().filter(|q| !rated.contains(&q.id)).collect();
    pick_least_posted(&unrated, posted, rng)
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

    /// A hand-built group history: four questions; q1 studied by three
    /// members who half remember it, q2 by one who forgot it almost all,
    /// q3 known well by two, q4 studied by nobody.
    fn group() -> (Vec<Question>, Vec<GroupStudy>) {
        let qs: Vec<Question> = ["q1", "q2", "q3", "q4"].into_iter().map(question).collect();
        let study = |q: &Question, recall: f64| GroupStudy { question: q.id.clone(), recall };
        let studies = vec![
            study(&qs[0], 0.5),
            study(&qs[0], 0.5),
            study(&qs[0], 0.5),
            study(&qs[1], 0.2),
            study(&qs[2], 0.95),
            study(&qs[2], 0.9),
        ];
        (qs, studies)
    }

    #[test]
    fn weakest_is_what_most_of_the_group_has_forgotten() {
        let (qs, studies) = group();
        let pool: Vec<&Question> = qs.iter().collect();
        // q1: 3 × 0.5 = 1.5 forgotten; q2: 0.8; q3: 0.15; q4 unstudied.
        assert_eq!(pick_weakest(&pool, &studies, &HashSet::new()).map(|q| q.title.as_str()), Some("q1"));
        // Posted in the last two weeks: rested, the next weakest comes.
        let rested: HashSet<QuestionId> = [qs[0].id.clone()].into();
        assert_eq!(pick_weakest(&pool, &studies, &rested).map(|q| q.title.as_str()), Some("q2"));
        // Nobody studied anything in the pool: nothing to offer.
        assert_eq!(pick_weakest(&pool[3..], &studies, &HashSet::new()), None);
        assert_eq!(pick_weakest(&pool, &[], &HashSet::new()), None);
    }

    #[test]
    fn fresh_is_what_nobody_in_the_server_rated() {
        let (qs, studies) = group();
        let pool: Vec<&Question> = qs.iter().collect();
        let rated: HashSet<QuestionId> = studies.iter().map(|s| s.question.clone()).collect();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20 {
            assert_eq!(pick_fresh(&pool, &rated, &HashMap::new(), &mut rng).map(|q| q.title.as_str()), Some("q4"));
        }
        let all: HashSet<QuestionId> = qs.iter().map(|q| q.id.clone()).collect();
        assert_eq!(pick_fresh(&pool, &all, &HashMap::new(), &mut rng), None);
    }

    #[test]
    fn pick_modes_round_trip_their_keys() {
        for mode in PickMode::ALL {
            assert_eq!(PickMode::parse(mode.key()), Some(mode));
        }
        assert_eq!(PickMode::parse("random"), None);
        assert_eq!(PickMode::default(), PickMode::Rotate);
    }
}
