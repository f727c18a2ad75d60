//! `/stats`: a member's progress, computed from their rating history and
//! the loaded banks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::level::Level;
use crate::quiz::{Quiz, QuizError};
use crate::schedule::time::local_date;
use crate::study::review::queue;
use crate::study::streak::{streaks, Streak};
use crate::study::Scope;

/// Days shown in the activity strip.
pub const STRIP_DAYS: usize = 14;

/// Everything `/stats` shows about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Distinct loaded questions rated here, and how many the banks hold.
    pub studied: usize,
    pub total: usize,
    /// `(category, studied, total)` in bank order.
    pub by_category: Vec<(String, usize, usize)>,
    /// `(studied, total)` per difficulty, Beginner first.
    pub by_difficulty: [(usize, usize); 3],
    /// Questions whose latest level is 🟢, 🟡, 🔴.
    pub mix: [u64; 3],
    pub streak: Streak,
    /// Ratings per day, oldest first, ending today.
    pub strip: [u32; STRIP_DAYS],
    /// Review questions due now.
    pub due_now: usize,
}

impl Quiz {
    /// A member's stats in a scope as of `now`.
    pub async fn stats(&self, scope: Scope, user_id: u64, now: DateTime<Utc>) -> Result<Stats, QuizError> {
        let history = self.store().rating_history(scope, user_id).await?;
        let zone = self.study_zone(scope).await?;
        let today = local_date(now, zone);

        // The latest level per question still in the banks.
        let mut latest: HashMap<_, Level> = HashMap::new();
        for r in &history {
            latest.insert(r.question.clone(), r.level);
        }
        latest.retain(|id, _| self.bank().get(id).is_some());

        let mut by_category: Vec<(String, usize, usize)> = Vec::new();
        let mut by_difficulty = [(0, 0); 3];
        for q in self.bank().questions() {
            let seen = usize::from(latest.contains_key(&q.id));
            match by_category.iter_mut().find(|(c, _, _)| *c == q.category) {
                Some(entry) => {
                    entry.1 += seen;
                    entry.2 += 1;
                }
                None => by_category.push((q.category.clone(), seen, 1)),
            }
            let slot = &mut by_difficulty[level_index(q.difficulty)];
            slot.0 += seen;
            slot.1 += 1;
        }
        let mut mix = [0u64; 3];
        for level in latest.values() {
            mix[level_index(*level)] += 1;
        }

        let days: Vec<NaiveDate> =
            history.iter().filter_map(|r| DateTime::from_timestamp(r.at, 0)).map(|t| local_date(t, zone)).collect();
        let mut strip = [0u32; STRIP_DAYS];
        for day in &days {
            let ago = (today - *day).num_days();
            if (0..STRIP_DAYS as i64).contains(&ago) {
                strip[STRIP_DAYS - 1 - ago as usize] += 1;
            }
        }
        let ratings: Vec<_> = history.iter().map(|r| (r.question.clone(), r.level, r.at)).collect();
        let due_now = queue(&ratings)
            .iter()
            .filter(|d| d.due_at <= now.timestamp() && self.bank().get(&d.question).is_some())
            .count();
        Ok(Stats {
            studied: latest.len(),
            total: self.bank().len(),
            by_category,
            by_difficulty,
            mix,
            streak: streaks(&days, today),
            strip,
            due_now,
        })
    }
}

fn level_index(level: Level) -> usize {
    match level {
        Level::Beginner => 0,
        Level::Intermediate => 1,
        Level::Advanced => 2,
    }
}

/// `⬛🟩🟩⬛…`: one square per day, green where the member studied.
pub fn strip_text(strip: &[u32; STRIP_DAYS]) -> String {
    strip.iter().map(|&n| if n > 0 { '🟩' } else { '⬛' }).collect()
}
