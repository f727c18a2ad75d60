//! The study-group leaderboard: a page of ranked members with their score,
//! questions studied, level mix and streak, plus the caller's own line.

use chrono::{DateTime, Duration, Utc};
use tracing::{debug, warn};

use crate::level::Level;
use crate::quiz::Quiz;
use crate::schedule::clock::Clock;
use crate::schedule::time::local_date;
use crate::store::StoreError;
use crate::study::score::Period;
use crate::study::streak::{streaks, Streak};
use crate::study::{BoardRequest, BoardRow, Scope};

/// Members per page.
pub const PAGE_SIZE: u32 = 10;

/// How often [`Quiz::keep_boards_fresh`] recomputes rolling periods.
pub const UPKEEP_EVERY: Duration = Duration::minutes(1);

/// Members recomputed per period and round of upkeep; when more are stale
/// the next round follows at once.
const UPKEEP_BATCH: u64 = 2_000;

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
    /// A page of the server's board as of `now`. Streaks are read on the
    /// server's local date (daily-question zone, else UTC).
    pub async fn board(&self, q: &BoardQuery, now: DateTime<Utc>) -> Result<BoardPage, StoreError> {
        let store = self.store();
        let offset = u64::from(q.page) * u64::from(PAGE_SIZE);
        let slice = store
            .board_page(&BoardRequest {
                guild_id: q.guild_id,
                period: q.period,
                category: q.category.as_deref(),
                now: now.timestamp(),
                offset,
                limit: u64::from(PAGE_SIZE),
                caller: q.caller,
            })
            .await?;

        let mut users: Vec<u64> = slice.rows.iter().map(|r| r.user_id).collect();
        users.push(q.caller);
        let mix = store.level_mix(q.guild_id, &users).await?;
        let names = store.member_names(q.guild_id, &users).await?;
        let days = store.study_days_of(q.guild_id, &users).await?;
        let today = local_date(now, self.study_zone(Scope::Guild(q.guild_id)).await?);
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
        })
    }
}

impl Quiz {
    /// Keeps the boards of every server fresh: once a minute, recomputes the
    /// members whose rolling window (last 7 and 30 days) moved on, and rows a
    /// migration left to compute, so a `/leaderboard` view finds almost
    /// nothing left to do. Runs until the
    /// process ends; a failed round is logged and retried a minute later.
    pub async fn keep_boards_fresh(self, clock: Clock) {
        loop {
            match self.store().refresh_stale_boards(clock.now_unix(), UPKEEP_BATCH).await {
                Ok(n) if n >= UPKEEP_BATCH => {
                    debug!(members = n, "board rows recomputed; more are stale");
                    // A breath between rounds, so level clicks waiting for
                    // SQLite's write lock get it.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
                Ok(n) => debug!(members = n, "board rows recomputed"),
                Err(e) => warn!(error = %e, "board upkeep failed; retrying in a minute"),
            }
            clock.sleep_until(clock.now() + UPKEEP_EVERY).await;
        }
    }
}

/// `🟢 3 🟡 1 🔴 0`.
pub fn mix_text(mix: [u64; 3]) -> String {
    Level::ALL.iter().zip(mix).map(|(l, n)| format!("{} {n}", l.marker())).collect::<Vec<_>>().join(" ")
}
