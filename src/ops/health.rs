//! What `/healthz` decides: healthy while the database answers and every
//! gateway shard this process should run is connected. The Discord layer
//! keeps [`crate::measures::ShardStatus`] up to date; the decision itself is the pure
//! [`verdict`].

use std::time::Duration;

/// How the database answered a ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Answered,
    /// Gave no answer within the health check's limit.
    Silent(Duration),
    /// Answered with an error; the text names no credentials.
    Failed(String),
}

/// `/healthz`'s answer: healthy, or why not in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Unhealthy(String),
}

/// Healthy only if the database answered and every expected shard is
/// connected. Before the first shard is ready the expected count is not
/// known yet (0): that is "starting", not healthy. The database comes
/// first in the reason: without it, no interaction can be answered.
pub fn verdict(database: &Database, (connected, expected): (u32, u32)) -> Verdict {
    let database = match database {
        Database::Answered => None,
        Database::Silent(limit) => Some(format!("the database did not answer within {limit:?}")),
        Database::Failed(reason) => Some(format!("the database failed: {reason}")),
    };
    let shards = if expected == 0 {
        Some("no gateway shard is ready yet".to_string())
    } else if connected < expected {
        Some(format!("{connected} of {expected} gateway shards connected"))
    } else {
        None
    };
    match (database, shards) {
        (None, None) => Verdict::Healthy,
        (Some(db), Some(shards)) => Verdict::Unhealthy(format!("{db}; {shards}")),
        (Some(reason), None) | (None, Some(reason)) => Verdict::Unhealthy(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::ShardStatus;

    #[test]
    fn healthy_only_with_the_database_and_every_shard() {
        assert_eq!(verdict(&Database::Answered, (1, 1)), Verdict::Healthy);
        assert_eq!(verdict(&Database::Answered, (4, 4)), Verdict::Healthy);
        assert_eq!(verdict(&Database::Answered, (3, 4)), Verdict::Unhealthy("3 of 4 gateway shards connected".into()));
        assert_eq!(verdict(&Database::Answered, (0, 0)), Verdict::Unhealthy("no gateway shard is ready yet".into()));
        let silent = Database::Silent(Duration::from_secs(1));
        assert_eq!(verdict(&silent, (1, 1)), Verdict::Unhealthy("the database did not answer within 1s".into()));
        let failed = Database::Failed("connection refused".into());
        assert_eq!(
            verdict(&failed, (0, 2)),
            Verdict::Unhealthy("the database failed: connection refused; 0 of 2 gateway shards connected".into())
        );
    }

    #[test]
    fn shard_status_is_shared() {
        let status = ShardStatus::default();
        let writer = status.clone();
        assert_eq!(status.get(), (0, 0));
        writer.set_expected(2);
        writer.set_connected(1);
        assert_eq!(status.get(), (1, 2));
    }
}
