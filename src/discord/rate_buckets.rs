//! Keeps serenity's rate-limit record from growing with every interaction.
//!
//! serenity 0.12's rate limiter keeps one bucket per route and major id,
//! in a map that nothing ever shrinks (`Ratelimiter::perform` only adds).
//! An interaction's callback is bucketed by the interaction's own id, so
//! every interaction answered leaves a map entry and a shared, locked
//! [`Ratelimit`] behind it for the life of the process: some 150 bytes a
//! click (key, pointer, and the shared record with its lock), a gigabyte
//! after seven million, and a map to grow (rehashing all of it under the
//! write lock every request takes) along the way.
//!
//! Every [`PRUNE_EVERY`] the buckets that can no longer make a request
//! wait are dropped ([`prune`]). Against a proxy or the stand-in the
//! limiter is off (`ratelimiter_disabled`) and this does not run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use poise::serenity_prelude as serenity;
use serenity::{Ratelimit, RatelimitingBucket};
use tokio::sync::Mutex;
use tracing::debug;

/// How often the record is pruned: at 500 interactions a second, 5,000
/// entries to look over, under the lock, for a few hundred microseconds.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// Prunes `http`'s rate-limit record every [`PRUNE_EVERY`], until
/// cancelled. Returns at once if the limiter is off.
pub(super) async fn watch(http: Arc<serenity::Http>) {
    let Some(limiter) = http.ratelimiter.as_ref() else { return };
    let routes = limiter.routes();
    let mut every = tokio::time::interval(PRUNE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let mut routes = routes.write().await;
        let dropped = prune(&mut routes, SystemTime::now());
        if dropped > 0 {
            debug!(dropped, kept = routes.len(), "rate-limit buckets pruned");
        }
    }
}

/// Drops the buckets that no request holds and whose window has ended
/// (or that never had one): the limiter makes a request wait only until a
/// bucket's reset, and a request that finds no bucket starts a fresh one,
/// as it would have found this one. A request holds its bucket from
/// before it is sent until its answer's headers are read, and takes it
/// under the same write lock as this, so one in flight is never missed.
/// Returns how many were dropped.
pub(super) fn prune(routes: &mut HashMap<RatelimitingBucket, Arc<Mutex<Ratelimit>>>, now: SystemTime) -> usize {
    let before = routes.len();
    routes.retain(|_, bucket| {
        if Arc::strong_count(bucket) > 1 {
            return true;
        }
        // Nobody else holds it, so the lock is free; kept if it ever is not.
        bucket.try_lock().map_or(true, |limit| limit.reset().is_some_and(|reset| reset > now))
    });
    // The map keeps the room of its largest size: give back what the last
    // ten seconds did not need (after a burst), keeping what they did, so
    // that steady traffic does not grow the map again, doubling after
    // doubling under the lock, after every prune.
    if routes.capacity() > 4 * before.max(64) {
        routes.shrink_to(before);
    }
    before - routes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise::serenity_prelude::{InteractionId, LightMethod, Request, Route};

    fn interaction_bucket(id: u64) -> RatelimitingBucket {
        Route::InteractionResponse { interaction_id: InteractionId::new(id), token: "t" }.ratelimiting_bucket()
    }

    /// A bucket as a response with these rate-limit headers leaves it.
    async fn answered(reset_after_secs: f64, remaining: i64) -> Arc<Mutex<Ratelimit>> {
        let response = hyper::Response::builder()
            .header("x-ratelimit-limit", "5")
            .header("x-ratelimit-remaining", remaining.to_string())
            .header("x-ratelimit-reset-after", reset_after_secs.to_string())
            .body(String::new())
            .map(reqwest::Response::from);
        let bucket = Arc::new(Mutex::new(Ratelimit::default()));
        let request = Request::new(
            Route::InteractionResponse { interaction_id: InteractionId::new(1), token: "t" },
            LightMethod::Post,
        );
        let quiet = |_: serenity::RatelimitInfo| {};
        match response {
            Ok(response) => {
                let redo = bucket.lock().await.post_hook(&response, &request, &quiet, false).await;
                assert!(matches!(redo, Ok(false)), "a 200 is not retried: {redo:?}");
            }
            Err(e) => panic!("test response: {e}"),
        }
        bucket
    }

    #[tokio::test]
    async fn only_buckets_that_could_still_make_a_request_wait_are_kept() {
        let mut routes = HashMap::new();
        // Answered, window over (as every interaction callback's is soon).
        routes.insert(interaction_bucket(1), answered(0.0, 4).await);
        // Never answered with headers.
        routes.insert(interaction_bucket(2), Arc::new(Mutex::new(Ratelimit::default())));
        // Exhausted, its window still open: the next request must wait.
        routes.insert(interaction_bucket(3), answered(60.0, 0).await);
        // Held by a request in flight.
        let held = answered(0.0, 4).await;
        routes.insert(interaction_bucket(4), Arc::clone(&held));

        let later = SystemTime::now() + Duration::from_secs(1);
        assert_eq!(prune(&mut routes, later), 2);
        assert!(routes.contains_key(&interaction_bucket(3)), "an open window is kept");
        assert!(routes.contains_key(&interaction_bucket(4)), "a bucket in use is kept");

        drop(held);
        assert_eq!(prune(&mut routes, later), 1);
        assert_eq!(prune(&mut routes, later + Duration::from_secs(60)), 1, "the window ended");
        assert!(routes.is_empty());
    }

    fn fresh(ids: std::ops::RangeInclusive<u64>) -> HashMap<RatelimitingBucket, Arc<Mutex<Ratelimit>>> {
        ids.map(|id| (interaction_bucket(id), Arc::new(Mutex::new(Ratelimit::default())))).collect()
    }

    #[test]
    fn the_map_gives_back_room_after_a_burst_but_keeps_what_steady_traffic_needs() {
        let now = SystemTime::now();
        let mut routes = fresh(1..=100_000);
        // Ten seconds of a burst, then ten of steady traffic: the burst's
        // room is given back once ten seconds have not needed it.
        assert_eq!(prune(&mut routes, now), 100_000);
        routes.extend(fresh(100_001..=105_000));
        assert_eq!(prune(&mut routes, now), 5_000);
        let steady = routes.capacity();
        assert!((5_000..20_000).contains(&steady), "capacity {steady}");
        // Steady traffic then finds its room at every prune (less what the
        // dropped entries' tombstones hold until the next rehash).
        routes.extend(fresh(105_001..=110_000));
        assert_eq!(prune(&mut routes, now), 5_000);
        assert!((5_000..=steady).contains(&routes.capacity()), "capacity {}", routes.capacity());
    }

    /// What pruning relies on, in serenity's limiter: a request waits on a
    /// bucket only while its window is open, so a bucket whose window has
    /// ended (what [`prune`] drops) makes it wait no more than the fresh
    /// one a request starts when it finds none.
    #[tokio::test]
    async fn only_an_open_window_makes_a_request_wait() {
        let request = Request::new(
            Route::InteractionResponse { interaction_id: InteractionId::new(1), token: "t" },
            LightMethod::Post,
        );
        let quiet = |_: serenity::RatelimitInfo| {};
        let waits = |bucket: Arc<Mutex<Ratelimit>>| {
            let request = request.clone();
            async move {
                let mut limit = bucket.lock().await;
                tokio::time::timeout(Duration::from_millis(500), limit.pre_hook(&request, &quiet)).await.is_err()
            }
        };
        // Exhausted, with a window that ends at once.
        let ended = answered(0.0, 0).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waits(ended).await, "an ended window lets the request go");
        assert!(!waits(Arc::new(Mutex::new(Ratelimit::default()))).await, "so does a fresh bucket");
        assert!(waits(answered(60.0, 0).await).await, "an open, exhausted window holds it");
    }
}
