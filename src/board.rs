//! The study-group leaderboard: a page of ranked members with their score,
//! questions studied, level mix and streak, plus the caller's own line.

use chrono::{DateTime, Utc};

use crate::level::Level;
use crate::quiz::Quiz;
use crate::schedule::time::local_date;
use crate::store::StoreError;
use crate::study::score::Period;
use crate::study::streak::{streaks, Streak};
use crate::study::{BoardRow, Scope};

/// Members per page.
pub const PAGE_SIZE: u32 = 10;

/// One member on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardLine {
    pub rank: u64,
    pub row: BoardRow,
    /// Questions whose latest level is 🟢, 🟡, 🔴.
    pub mix: [u64; 3],
    pub streak: Streak,
}

/// What `/leaderboard` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPage {
    pub period: Period,
    pub category: Option<String>,
    /// 0-based.
    pub page: u32,
    pub lines: Vec<BoardLine>,
    pub has_next: bool,
    /// The caller's line, when they are on the board.
    pub me: Option<BoardLine>,
}

/// What a board is asked for.
#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub guild_id: u64,
    pub period: Period,
    /// An exact category name, or `None` for all.
    pub category: Option<String>,
    pub page: u32,
    pub caller: u64,
}

impl Quiz {
    /// A page of the server's board as of `now`. Streaks count days in the
    /// server's daily-question time zone, or UTC without one.
    pub async fn board(&self, q: &BoardQuery, now: DateTime<Utc>) -> Result<BoardPage, StoreError> {
        let store = self.store();
        let since = q.period.since(now.timestamp());
        let category = q.category.as_deref();
        let all = store.board(q.guild_id, since, category).await?;
        let start = (q.page as usize).saturating_mul(PAGE_SIZE as usize).min(all.len());
        let rows: Vec<BoardRow> = all.iter().skip(start).take(PAGE_SIZE as usize).cloned().collect();
        let has_next = all.len() > start + rows.len();
        let me = all.iter().position(|r| r.user_id == q.caller).map(|i| (i as u64 + 1, all[i].clone()));

        let mut users: Vec<u64> = rows.iter().map(|r| r.user_id).collect();
        users.push(q.caller);
        let mix = store.level_mix(q.guild_id, &users).await?;
        let times = store.rating_times(q.guild_id, &users).await?;
        let zone = self.study_zone(Scope::Guild(q.guild_id)).await?;
        let today = local_date(now, zone);
        let line = |rank: u64, row: BoardRow| {
            let days: Vec<_> = times
                .get(&row.user_id)
                .into_iter()
                .flatten()
                .filter_map(|&t| DateTime::from_timestamp(t, 0))
                .map(|t| local_date(t, zone))
                .collect();
            BoardLine {
                rank,
                mix: mix.get(&row.user_id).copied().unwrap_or_default(),
                streak: streaks(&days, today),
                row,
            }
        };
        let first_rank = u64::from(q.page * PAGE_SIZE) + 1;
        let lines = rows.into_iter().enumerate().map(|(i, row)| line(first_rank + i as u64, row)).collect();
        Ok(BoardPage {
            period: q.period,
            category: q.category.clone(),
            page: q.page,
            lines,
            has_next,
            me: me.map(|(rank, row)| line(rank, row)),
        })
    }
}

/// `🟢 3 🟡 1 🔴 0`.
pub fn mix_text(mix: [u64; 3]) -> String {
    Level::ALL.iter().zip(mix).map(|(l, n)| format!("{} {n}", l.marker())).collect::<Vec<_>>().join(" ")
}
