//! `/stats`: a member's progress, computed from their rating history and
//! the loaded banks.
//!
//! [`Services::stats`] gathers the figures into [`Stats`]; the Discord
//! layer draws them (and the per-category chart, for the cases
//! [`Stats::worth_charting`] allows).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::{ServiceError, Services};
use crate::domain::level::Level;
use crate::domain::review::Memory;
use crate::domain::schedule::time::end_of_day;
use crate::domain::streak::{streaks, Streak};
use crate::domain::study::{study_day, Scope};

/// Days shown in the activity strip.
pub const STRIP_DAYS: usize = 14;

/// Everything `/stats` shows about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Distinct loaded questions rated here, and how many the banks hold.
    pub studied: usize,
    pub total: usize,
    /// One entry per category, in bank order.
    pub by_category: Vec<CategoryProgress>,
    /// `(studied, total)` per difficulty, Beginner first.
    pub by_difficulty: [(usize, usize); 3],
    /// Questions whose latest level is 🟢, 🟡, 🔴.
    pub mix: [u64; 3],
    pub streak: Streak,
    /// Ratings per day, oldest first, ending today.
    pub strip: [u32; STRIP_DAYS],
    /// Review questions due now.
    pub due_now: usize,
    /// Questions the member would recall now with a predicted probability
    /// of at least [`RECALL_STRONG`].
    pub recall_strong: usize,
    /// Reviews falling due on each of the next 7 local days, today first
    /// (today's count includes the overdue ones).
    pub forecast: [usize; FORECAST_DAYS],
}

/// The predicted recall above which `/stats` counts a question as known.
pub const RECALL_STRONG: f64 = 0.9;

/// Days in the review forecast.
pub const FORECAST_DAYS: usize = 7;

/// How far a member got in one category: the latest level of each question
/// they studied, and the rest not studied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryProgress {
    pub name: String,
    /// Questions whose latest rating is 🟢, 🟡, 🔴, in that order.
    pub levels: [usize; 3],
    /// Questions the banks hold in this category.
    pub total: usize,
}

impl CategoryProgress {
    /// Questions studied at least once.
    pub fn studied(&self) -> usize {
        self.levels.iter().sum()
    }
}

impl Stats {
    /// Whether the levels chart says more than the text: only once the member
    /// has studied something — an all-grey chart tells them nothing the
    /// "0 of N studied" line does not.
    pub fn worth_charting(&self) -> bool {
        self.by_category.iter().any(|c| c.studied() > 0)
    }
}

impl Services {
    /// A member's stats in a scope, now.
    pub async fn stats(&self, scope: Scope, user_id: u64) -> Result<Stats, ServiceError> {
        let now = self.clock.now();
        let bank = self.bank(scope).await?;
        let studied = self.store.studied(scope, user_id).await?;
        let studied: Vec<_> = studied.into_iter().filter(|s| bank.get(&s.question).is_some()).collect();
        let latest: HashMap<_, Level> = studied.iter().map(|s| (&s.question, s.level)).collect();
        let zone = self.zone(scope).await?;
        let today = study_day(now, zone);

        let mut by_category: Vec<CategoryProgress> = Vec::new();
        let mut by_difficulty = [(0, 0); 3];
        for q in bank.questions() {
            let level = latest.get(&q.id).copied();
            let seen = usize::from(level.is_some());
            let mut levels = [0; 3];
            if let Some(level) = level {
                levels[level.index()] = 1;
            }
            match by_category.iter_mut().find(|c| c.name == q.category) {
                Some(entry) => {
                    entry.total += 1;
                    entry.levels.iter_mut().zip(levels).for_each(|(n, add)| *n += add);
                }
                None => by_category.push(CategoryProgress { name: q.category.clone(), levels, total: 1 }),
            }
            let slot = &mut by_difficulty[q.difficulty.index()];
            slot.0 += seen;
            slot.1 += 1;
        }
        let mut mix = [0u64; 3];
        for level in latest.values() {
            mix[level.index()] += 1;
        }

        let days = self.store.study_days(scope, user_id).await?;
        let mut strip = [0u32; STRIP_DAYS];
        for (day, n) in &days {
            let ago = (today - *day).num_days();
            if (0..STRIP_DAYS as i64).contains(&ago) {
                strip[STRIP_DAYS - 1 - ago as usize] += n;
            }
        }
        let days: Vec<NaiveDate> = days.into_iter().map(|(day, _)| day).collect();
        // The member's memories of the questions their /review here sees.
        let reviewed = self.review_bank(scope, user_id).await?;
        let memories = self.store.memories(user_id).await?;
        let memories: Vec<_> = memories.iter().filter(|(id, _)| reviewed.get(id).is_some()).map(|(_, m)| m).collect();
        let due_now = memories.iter().filter(|m| m.due_at <= now.timestamp()).count();
        let recall_strong = memories.iter().filter(|m| m.recall_at(now.timestamp()) >= RECALL_STRONG).count();
        let forecast = forecast(&memories, today, zone);
        Ok(Stats {
            studied: latest.len(),
            total: bank.len(),
            by_category,
            by_difficulty,
            mix,
            streak: streaks(&days, today),
            strip,
            due_now,
            recall_strong,
            forecast,
        })
    }
}

/// Reviews due on each of the [`FORECAST_DAYS`] local days from `today`.
fn forecast(memories: &[&Memory], today: NaiveDate, zone: Tz) -> [usize; FORECAST_DAYS] {
    let mut days = [0; FORECAST_DAYS];
    let ends: Vec<i64> = (0..FORECAST_DAYS as u64)
        .map(|n| today.checked_add_days(Days::new(n)).map_or(i64::MAX, |d| end_of_day(d, zone).timestamp()))
        .collect();
    for memory in memories {
        if let Some(day) = ends.iter().position(|&end| memory.due_at < end) {
            days[day] += 1;
        }
    }
    days
}
