//! Spaced repetition for `/review`: when a member should see a question
//! again, and how likely they are to recall it now, from their own
//! self-assessments — timed by FSRS-6 (crate `fsrs`, default parameters).
//!
//! FSRS models each member's memory of each question as a stability (the
//! days until recall falls to 90 %) and a difficulty (1–10), updated by each
//! review's grade and the time since the last one. A question is due when
//! its predicted recall falls to the member's target [`Retention`].
//!
//! **Levels to grades.** A member grades themselves on the guides' three
//! levels, FSRS on four buttons:
//!
//! | level | FSRS grade | why |
//! | --- | --- | --- |
//! | 🟢 Beginner | Again (1) | they could not give an interview-ready answer: a lapse, back within hours |
//! | 🟡 Intermediate | Good (3) | the core answer, the normal pass: intervals grow steadily |
//! | 🔴 Advanced | Easy (4) | a full answer with depth: intervals grow fastest |
//!
//! Hard (2) is left out on purpose: it is a pass that FSRS penalises
//! (smaller stability gains, higher difficulty), so a member who is steadily
//! Intermediate would see their intervals barely grow.
//!
//! The memory is the member's, not a server's: ratings of a question in
//! every server and in DMs are one history, replayed in time order.

use std::sync::LazyLock;

use fsrs::{MemoryState, FSRS};

use crate::domain::level::Level;
use crate::domain::study::Scope;

/// Clicks on one question closer together than this (in seconds) are one
/// review: the later replaces the earlier's level. A member who clicks
/// again and again, by change of mind or by script, neither lengthens their
/// interval nor grows their history.
pub const ONE_REVIEW_SECS: i64 = 3_600;

/// The longest interval, in days: a study group's material changes, and a
/// question unseen for more than a year is worth a look whatever the model
/// says.
pub const MAX_INTERVAL_DAYS: f32 = 365.0;

/// The shortest interval, in seconds: FSRS's first Again (about five hours
/// at 90 %) may shrink below an hour at a low retention; a question back
/// within the same study session teaches nothing.
pub const MIN_INTERVAL_SECS: i64 = 3_600;

const DAY_SECS: f32 = 86_400.0;

/// The model with FSRS-6's default parameters, which fit the average
/// learner; no training is needed.
static MODEL: LazyLock<FSRS> = LazyLock::new(FSRS::default);

/// The FSRS grade a level maps to (see the module's table).
pub fn grade(level: Level) -> u32 {
    match level {
        Level::Beginner => 1,
        Level::Intermediate => 3,
        Level::Advanced => 4,
    }
}

/// A member's target recall: a question comes back when the model
/// predicts they would recall it with this probability. Higher means more
/// reviews and fewer lapses. Whole percent, 70 to 97.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Retention(u8);

impl Retention {
    pub const DEFAULT: Retention = Retention(90);
    pub const MIN: u8 = 70;
    pub const MAX: u8 = 97;

    /// A retention given as a percentage, if it is within bounds.
    pub fn from_percent(percent: i64) -> Option<Retention> {
        u8::try_from(percent).ok().filter(|p| (Self::MIN..=Self::MAX).contains(p)).map(Retention)
    }

    /// A retention typed as a fraction (`0.85`) or a percentage (`85`),
    /// rounded to a whole percent.
    pub fn parse(value: f64) -> Option<Retention> {
        if !value.is_finite() {
            return None;
        }
        let percent = if value <= 1.0 { value * 100.0 } else { value };
        // Bounded above, so the cast cannot overflow.
        Self::from_percent(percent.round().clamp(-1.0, 1_000.0) as i64)
    }

    pub fn percent(self) -> u8 {
        self.0
    }

    fn fraction(self) -> f32 {
        f32::from(self.0) / 100.0
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention::DEFAULT
    }
}

/// One click on a level button, as the memory model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    pub level: Level,
    /// Unix seconds.
    pub at: i64,
}

/// A member's memory of one question after their reviews of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// Days until predicted recall falls to 90 %.
    pub stability: f32,
    /// 1 (easy) to 10 (hard), as FSRS learned it from the grades.
    pub difficulty: f32,
    /// Reviews counted (clicks within [`ONE_REVIEW_SECS`] count once).
    pub reviews: u32,
    pub last_level: Level,
    /// Unix seconds of the last review.
    pub last_review_at: i64,
    /// Unix seconds when recall is predicted to fall to the retention.
    pub due_at: i64,
}

impl Memory {
    /// The memory after a member's reviews of a question, in any order
    /// (a click delivered late still lands in its place), or `None` when
    /// there are none.
    pub fn replay(reviews: &[Review], retention: Retention) -> Option<Memory> {
        let mut sorted = reviews.to_vec();
        sorted.sort_by_key(|r| r.at);
        let mut merged: Vec<Review> = Vec::with_capacity(sorted.len());
        for review in sorted {
            match merged.last_mut() {
                Some(last) if review.at - last.at < ONE_REVIEW_SECS => *last = review,
                _ => merged.push(review),
            }
        }
        let mut state: Option<MemoryState> = None;
        let mut previous: Option<i64> = None;
        for review in &merged {
            let elapsed = previous.map_or(0, |p| whole_days(review.at - p));
            state = Some(next_state(state, elapsed, grade(review.level)));
            previous = Some(review.at);
        }
        let (state, last) = (state?, merged.last()?);
        let reviews = u32::try_from(merged.len()).unwrap_or(u32::MAX);
        let memory = Memory {
            stability: state.stability,
            difficulty: state.difficulty,
            reviews,
            last_level: last.level,
            last_review_at: last.at,
            due_at: 0,
        };
        Some(memory.rescheduled(retention))
    }

    /// The same memory, due when recall falls to `retention`: after a
    /// member changes their target, their questions move with it.
    pub fn rescheduled(self, retention: Retention) -> Memory {
        let days = MODEL.next_interval(Some(self.stability), retention.fraction(), 3);
        let days = if days.is_finite() { days.clamp(0.0, MAX_INTERVAL_DAYS) } else { MAX_INTERVAL_DAYS };
        // At most 365 days of seconds: the cast cannot overflow.
        let secs = ((days * DAY_SECS).round() as i64).max(MIN_INTERVAL_SECS);
        Memory { due_at: self.last_review_at.saturating_add(secs), ..self }
    }

    /// The predicted probability of recall at `at` (unix seconds), 0 to 1.
    pub fn recall_at(&self, at: i64) -> f64 {
        let days = (at.saturating_sub(self.last_review_at)).max(0) as f32 / DAY_SECS;
        let state = MemoryState { stability: self.stability, difficulty: self.difficulty };
        let recall = fsrs::current_retrievability(state, days, fsrs::FSRS6_DEFAULT_DECAY);
        if recall.is_finite() {
            f64::from(recall.clamp(0.0, 1.0))
        } else {
            0.0
        }
    }
}

/// The interval, in days, after a first rating at `level`: what a
/// retention means in practice.
pub fn first_interval_days(level: Level, retention: Retention) -> f32 {
    Memory::replay(&[Review { level, at: 0 }], retention).map_or(0.0, |m| m.due_at as f32 / DAY_SECS)
}

/// Whole days between reviews, as FSRS counts them: reviews less than a
/// day apart are same-day reviews, which FSRS-6 models on their own.
/// Counted in 24-hour periods, not calendar days as Anki counts them: a
/// member's memory spans servers in different zones, so there is no one
/// local midnight to count from. A review 36 hours after the last counts
/// as one day, which understates the gap by up to a day; the stability
/// and the due time themselves are not rounded.
fn whole_days(secs: i64) -> u32 {
    u32::try_from(secs.max(0) / 86_400).unwrap_or(u32::MAX)
}

/// FSRS's next memory state. The defaults keep every state finite; should
/// one not be, the question starts over as new rather than stall.
fn next_state(state: Option<MemoryState>, elapsed_days: u32, grade: u32) -> MemoryState {
    let fallback = || MODEL.next_states(None, 0.9, 0).map(|s| pick(s, grade));
    MODEL
        .next_states(state, 0.9, elapsed_days)
        .map(|s| pick(s, grade))
        .or_else(|_| fallback())
        .unwrap_or(MemoryState { stability: 1.0, difficulty: 5.0 })
}

fn pick(states: fsrs::NextStates, grade: u32) -> MemoryState {
    match grade {
        1 => states.again.memory,
        2 => states.hard.memory,
        3 => states.good.memory,
        _ => states.easy.memory,
    }
}

/// A click in a member's history of one question, as the rule of
/// [`ONE_REVIEW_SECS`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Click {
    /// The interaction id.
    pub id: u64,
    pub scope: Scope,
    pub level: Level,
    /// Unix seconds.
    pub at: i64,
}

/// A member's history of one question once a new click is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterClick {
    /// The earlier click the new one replaces: it takes the new one's
    /// level and time, and the new one is not kept.
    pub replaces: Option<u64>,
    /// The reviews the history then holds, for [`Memory::replay`].
    pub reviews: Vec<Review>,
}

/// Where `new` lands in `history` (which may already hold it). It replaces
/// the member's latest click on the question in the same place (a server,
/// or DMs) less than [`ONE_REVIEW_SECS`] before it, so clicking again and
/// again grows neither the history nor the work of the clicks after. A
/// click delivered late, older than one already there, replaces nothing
/// newer than itself.
pub fn after_click(new: &Click, history: &[Click]) -> AfterClick {
    let replaces = history
        .iter()
        .filter(|c| c.id != new.id && c.scope == new.scope && c.at <= new.at && new.at - c.at < ONE_REVIEW_SECS)
        .max_by_key(|c| (c.at, c.id))
        .map(|c| c.id);
    let mut reviews: Vec<Review> = history
        .iter()
        .filter(|c| c.id != new.id)
        .map(|c| match Some(c.id) == replaces {
            true => Review { level: new.level, at: new.at },
            false => Review { level: c.level, at: c.at },
        })
        .collect();
    if replaces.is_none() {
        reviews.push(Review { level: new.level, at: new.at });
    }
    AfterClick { replaces, reviews }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;

    fn click(id: u64, scope: Scope, level: Level, at: i64) -> Click {
        Click { id, scope, level, at }
    }

    #[test]
    fn a_click_within_the_hour_in_the_same_place_replaces_the_latest_earlier_one() {
        let here = Scope::Guild(7);
        let history = [
            click(1, here, Level::Beginner, 1_000),
            click(2, here, Level::Intermediate, 2_000),
            click(3, Scope::DirectMessages, Level::Beginner, 2_500),
        ];
        let new = click(4, here, Level::Advanced, 2_000 + ONE_REVIEW_SECS - 1);
        let after = after_click(&new, &history);
        assert_eq!(after.replaces, Some(2));
        assert_eq!(
            after.reviews,
            vec![
                Review { level: Level::Beginner, at: 1_000 },
                Review { level: Level::Advanced, at: new.at },
                Review { level: Level::Beginner, at: 2_500 },
            ]
        );
        // The history may already hold the new click (it was inserted first).
        let mut with_new = history.to_vec();
        with_new.push(new);
        assert_eq!(after_click(&new, &with_new), after);
    }

    #[test]
    fn a_click_an_hour_later_elsewhere_or_delivered_late_is_a_review_of_its_own() {
        let here = Scope::Guild(7);
        let history = [click(1, here, Level::Beginner, 1_000), click(2, Scope::Guild(8), Level::Beginner, 5_000)];
        for new in [
            click(9, here, Level::Advanced, 1_000 + ONE_REVIEW_SECS),
            click(9, Scope::Guild(8), Level::Advanced, 4_000),
            click(9, here, Level::Advanced, 999),
        ] {
            let after = after_click(&new, &history);
            assert_eq!(after.replaces, None, "{new:?}");
            assert_eq!(after.reviews.len(), 3);
            assert!(after.reviews.contains(&Review { level: Level::Advanced, at: new.at }));
        }
    }

    const DAY: i64 = 86_400;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    fn history(steps: &[(Level, i64)]) -> Vec<Review> {
        steps.iter().map(|&(level, at)| Review { level, at }).collect()
    }

    #[test]
    fn a_first_rating_matches_fsrs_defaults_and_beginner_comes_back_soonest() {
        // The crate's own doc test: a new card's stabilities for again /
        // hard / good / easy are 0.212 / 1.2931 / 2.3065 / 8.2956 days.
        let r = Retention::DEFAULT;
        let b = Memory::replay(&history(&[(Beginner, 0)]), r).unwrap();
        let i = Memory::replay(&history(&[(Intermediate, 0)]), r).unwrap();
        let a = Memory::replay(&history(&[(Advanced, 0)]), r).unwrap();
        assert!(close(b.stability, 0.212) && close(b.difficulty, 6.4133), "{b:?}");
        assert!(close(i.stability, 2.3065) && close(i.difficulty, 2.118104), "{i:?}");
        assert!(close(a.stability, 8.2956) && close(a.difficulty, 1.0), "{a:?}");
        // At 90 % the interval is the stability: about 5 h, 2.3 d, 8.3 d.
        assert_eq!(b.due_at, (0.212f32 * 86_400.0).round() as i64);
        assert!((i.due_at - (2.3065f32 * 86_400.0) as i64).abs() <= 1);
        assert!(b.due_at < i.due_at && i.due_at < a.due_at);
        assert_eq!(Memory::replay(&[], r), None);
    }

    #[test]
    fn a_scripted_history_matches_the_crates_own_test() {
        // fsrs-rs `test_memory_state`: grades 1,3,3,3,3,3 at elapsed days
        // 0,0,1,3,8,21 give stability 53.62691 and difficulty 6.3574867.
        // The second review is the same day, but more than an hour later.
        let at = [0, 2 * 3_600, 2 * 3_600 + DAY, 2 * 3_600 + 4 * DAY, 2 * 3_600 + 12 * DAY, 2 * 3_600 + 33 * DAY];
        let levels = [Beginner, Intermediate, Intermediate, Intermediate, Intermediate, Intermediate];
        let reviews: Vec<_> = levels.iter().zip(at).map(|(&level, at)| Review { level, at }).collect();
        let memory = Memory::replay(&reviews, Retention::DEFAULT).unwrap();
        assert!((memory.stability - 53.62691).abs() < 1e-3, "{memory:?}");
        assert!((memory.difficulty - 6.3574867).abs() < 1e-3, "{memory:?}");
        assert_eq!(memory.reviews, 6);
        assert_eq!(memory.last_review_at, at[5]);
        let days = (memory.due_at - at[5]) as f32 / 86_400.0;
        assert!((days - 53.62691).abs() < 0.01, "due after {days} days");
        // Order of delivery does not matter.
        let mut shuffled = reviews.clone();
        shuffled.reverse();
        assert_eq!(Memory::replay(&shuffled, Retention::DEFAULT), Some(memory));
    }

    #[test]
    fn clicks_within_an_hour_are_one_review_with_the_last_level() {
        let once = Memory::replay(&history(&[(Advanced, 100)]), Retention::DEFAULT).unwrap();
        let twice = Memory::replay(&history(&[(Beginner, 0), (Advanced, 100)]), Retention::DEFAULT).unwrap();
        assert_eq!(twice, once);
    }

    #[test]
    fn a_higher_retention_brings_questions_back_sooner() {
        let reviews = history(&[(Intermediate, 0), (Intermediate, 3 * DAY)]);
        let low = Memory::replay(&reviews, Retention::from_percent(70).unwrap()).unwrap();
        let mid = Memory::replay(&reviews, Retention::DEFAULT).unwrap();
        let high = Memory::replay(&reviews, Retention::from_percent(97).unwrap()).unwrap();
        assert_eq!(low.stability, high.stability, "the memory itself does not depend on the target");
        assert!(high.due_at < mid.due_at && mid.due_at < low.due_at, "{high:?} {mid:?} {low:?}");
        assert_eq!(mid.rescheduled(Retention::from_percent(97).unwrap()), high);
        // At the due time, predicted recall is the target.
        assert!((mid.recall_at(mid.due_at) - 0.90).abs() < 0.005);
        assert!((high.recall_at(high.due_at) - 0.97).abs() < 0.005);
        assert!((mid.recall_at(mid.last_review_at) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn intervals_are_capped_and_floored() {
        let mut many = vec![];
        let mut at = 0;
        for _ in 0..12 {
            many.push(Review { level: Advanced, at });
            at += 200 * DAY;
        }
        let long = Memory::replay(&many, Retention::from_percent(70).unwrap()).unwrap();
        assert_eq!(long.due_at - long.last_review_at, 365 * DAY);
        let short = Memory::replay(&history(&[(Beginner, 0)]), Retention::from_percent(97).unwrap()).unwrap();
        assert!(short.due_at >= MIN_INTERVAL_SECS);
    }

    #[test]
    fn retention_accepts_fractions_and_percentages_within_bounds() {
        assert_eq!(Retention::parse(0.85).map(Retention::percent), Some(85));
        assert_eq!(Retention::parse(85.0).map(Retention::percent), Some(85));
        assert_eq!(Retention::parse(0.7).map(Retention::percent), Some(70));
        assert_eq!(Retention::parse(0.97).map(Retention::percent), Some(97));
        for bad in [0.69, 0.98, 1.0, 0.0, -5.0, 150.0, f64::NAN, f64::INFINITY] {
            assert_eq!(Retention::parse(bad), None, "{bad}");
        }
        assert_eq!(Retention::from_percent(300), None);
        assert_eq!(Retention::default().percent(), 90);
    }
}
