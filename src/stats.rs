//! `/stats`: a member's progress, computed from their rating history and
//! the loaded banks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::level::Level;
use crate::quiz::{Quiz, QuizError};
use crate::schedule::time::local_date;
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
        let studied = self.store().studied(scope, user_id).await?;
        let studied: Vec<_> = studied.into_iter().filter(|s| self.bank().get(&s.question).is_some()).collect();
        let latest: HashMap<_, Level> = studied.iter().map(|s| (&s.question, s.level)).collect();
        let zone = self.study_zone(scope).await?;
        let today = local_date(now, zone);

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

        let days = self.store().study_days(scope, user_id).await?;
        let mut strip = [0u32; STRIP_DAYS];
        for (day, n) in &days {
            let ago = (today - *day).num_days();
            if (0..STRIP_DAYS as i64).contains(&ago) {
                strip[STRIP_DAYS - 1 - ago as usize] += n;
            }
        }
        let days: Vec<NaiveDate> = days.into_iter().map(|(day, _)| day).collect();
        let due_now = studied.iter().filter(|s| s.due_at <= now.timestamp()).count();
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
