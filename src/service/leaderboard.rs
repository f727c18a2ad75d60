//! The study-group leaderboard: a page of ranked members with their score,
//! questions studied, level mix and streak, plus the caller's own line.

use super::{ServiceError, Services};
use crate::domain::score::{Period, ScoreRule};
use crate::domain::streak::{streaks, Streak};
use crate::domain::study::{study_day, BoardRequest, BoardRow, Scope};

/// Members per page.
pub const PAGE_SIZE: u32 = 10;

/// One member on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardLine {
    pub rank: u64,
    pub row: BoardRow,
    /// The name they last rated under, for members Discord cannot show.
    pub name: Option<String>,
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
    /// How the scores were counted, for the footer.
    pub score: ScoreRule,
}

/// What a board is asked for.
#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub guild_id: u64,
    pub period: Period,
    /// An exact category name, or `None` for all.
    pub category: Option<String>,
    pub page: u32,
    /// Whose line to show below the page, if anyone's.
    pub caller: Option<u64>,
}

impl Services {
    /// A page of the server's board, now. Streaks are counted in study days
    /// ([`study_day`]).
    pub async fn leaderboard(&self, q: &BoardQuery) -> Result<BoardPage, ServiceError> {
        let store = &self.store;
        let now = self.clock.now();
        let offset = u64::from(q.page) * u64::from(PAGE_SIZE);
        let slice = store
            .board_page(&BoardRequest {
                guild_id: q.guild_id,
                period: q.period,
                category: q.category.as_deref(),
                now: now.timestamp(),
                offset,
                limit: u64::from(PAGE_SIZE),
                // 0 names nobody: Discord never issues that id.
                caller: q.caller.unwrap_or(0),
            })
            .await?;

        let mut users: Vec<u64> = slice.rows.iter().map(|r| r.user_id).collect();
        users.extend(q.caller);
        let mix = store.level_mix(q.guild_id, &users).await?;
        let names = store.member_names(q.guild_id, &users).await?;
        let days = store.study_days_of(q.guild_id, &users).await?;
        let today = study_day(now, self.zone(Scope::Guild(q.guild_id)).await?);
        let line = |rank: u64, row: BoardRow| BoardLine {
            rank,
            mix: mix.get(&row.user_id).copied().unwrap_or_default(),
            name: names.get(&row.user_id).cloned(),
            streak: streaks(days.get(&row.user_id).map_or(&[][..], Vec::as_slice), today),
            row,
        };
        let lines = slice.rows.into_iter().zip(offset + 1..).map(|(row, rank)| line(rank, row)).collect();
        Ok(BoardPage {
            period: q.period,
            category: q.category.clone(),
            page: q.page,
            lines,
            has_next: slice.has_next,
            me: slice.me.map(|(rank, row)| line(rank, row)),
            score: self.score,
        })
    }
}
