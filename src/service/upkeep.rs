//! Board upkeep: rolling leaderboards (last 7 and 30 days) move on without
//! anyone rating, so once a minute the members whose window moved on are
//! recomputed, and a `/leaderboard` view finds almost nothing left to do.

use chrono::Duration;
use tracing::{debug, info, warn};

use super::{Services, Stopping};

/// How often the upkeep recomputes rolling periods.
pub const UPKEEP_EVERY: Duration = Duration::minutes(1);

/// Members recomputed per period and round of upkeep; when more are stale
/// the next round follows at once.
const UPKEEP_BATCH: u64 = 2_000;

impl Services {
    /// Keeps the boards of every server fresh until `stop` is set: once a
    /// minute, recomputes the members whose rolling window moved on, and
    /// rows a migration left to compute. A failed round is logged and
    /// retried a minute later.
    pub async fn keep_boards_fresh(self, mut stop: Stopping) {
        while !stop.is_set() {
            let next = match self.store.refresh_stale_boards(self.clock.now_unix(), UPKEEP_BATCH).await {
                Ok(n) if n >= UPKEEP_BATCH => {
                    debug!(members = n, "board rows recomputed; more are stale");
                    // A breath between rounds, so level clicks waiting for
                    // SQLite's write lock get it.
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
                        _ = stop.wait() => {}
                    }
                    continue;
                }
                Ok(n) => {
                    debug!(members = n, "board rows recomputed");
                    self.clock.now() + UPKEEP_EVERY
                }
                Err(e) => {
                    warn!(error = %e, "board upkeep failed; retrying in a minute");
                    self.clock.now() + UPKEEP_EVERY
                }
            };
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = stop.wait() => {}
            }
        }
        info!("board upkeep stopped");
    }
}
