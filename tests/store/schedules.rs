//! Store tests for daily schedules and the exactly-once claim, on SQLite
//! and on PostgreSQL.

use crate::backends::TestDb;
use crate::on_both_backends;

use chrono::NaiveDate;
use quizbot::domain::bank::{Filter, QuestionId};
use quizbot::domain::level::Level;
use quizbot::domain::schedule::time::{parse_zone, TimeOfDay};
use quizbot::domain::schedule::{daily_nonce, ClaimOutcome, Schedule};

const GUILD: u64 = 900_000_000_000_000_001;

fn schedule(channel: u64, due: i64) -> Schedule {
    Schedule {
        filter: Filter { category: Some("Monitoring & Logging".into()), difficulty: Some(Level::Advanced) },
        ping_role: Some(42),
        ..Schedule::new(channel, GUILD, TimeOfDay::parse("09:00").unwrap(), parse_zone("Europe/Berlin").unwrap(), due)
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn q() -> QuestionId {
    QuestionId::derive("bank", "question")
}

async fn schedules_round_trip_and_replace(db: TestDb) {
    let store = db.store().await;
    let s = schedule(10, 1_000);
    store.upsert_schedule(&s, 1).await.unwrap();
    assert_eq!(store.schedule(10).await.unwrap(), Some(s.clone()));
    let replaced =
        Schedule { time: TimeOfDay::parse("18:30").unwrap(), filter: Filter::default(), ping_role: None, ..s };
    store.upsert_schedule(&replaced, 2).await.unwrap();
    assert_eq!(store.guild_schedules(GUILD).await.unwrap(), vec![replaced]);
    assert!(!store.remove_schedule(GUILD + 1, 10).await.unwrap(), "another server's channel is not touched");
    assert!(store.remove_schedule(GUILD, 10).await.unwrap());
    assert!(!store.remove_schedule(GUILD, 10).await.unwrap());
    assert_eq!(store.schedule(10).await.unwrap(), None);
}

async fn due_query_returns_earliest_active_only(db: TestDb) {
    let store = db.store().await;
    for (channel, due) in [(1, 300), (2, 100), (3, 200), (4, 5_000)] {
        store.upsert_schedule(&schedule(channel, due), 0).await.unwrap();
    }
    store.schedule_failed(3, "403 Missing Access", 3, true, 250).await.unwrap();
    let due: Vec<u64> = store.due_schedules(1_000, 10).await.unwrap().iter().map(|s| s.channel_id).collect();
    assert_eq!(due, [2, 1], "paused schedule 3 and future schedule 4 are not due");
    assert_eq!(store.next_due_at().await.unwrap(), Some(100));
    let paused = store.schedule(3).await.unwrap().unwrap();
    assert!(paused.paused);
    assert_eq!(paused.failure.as_deref(), Some("403 Missing Access"));
    // /daily set again resumes it and clears the failure.
    store.upsert_schedule(&schedule(3, 200), 0).await.unwrap();
    let resumed = store.schedule(3).await.unwrap().unwrap();
    assert!(!resumed.paused && resumed.failure.is_none() && resumed.failing_days == 0);
    // A post moves the schedule on and clears failures.
    store.schedule_failed(1, "404 Unknown Channel", 1, false, 300).await.unwrap();
    store.schedule_posted(1, 90_000, Some(1_000)).await.unwrap();
    let posted = store.schedule(1).await.unwrap().unwrap();
    assert_eq!((posted.next_due_at, posted.last_posted_at, posted.failure), (90_000, Some(1_000), None));
    assert_eq!(store.remove_guild_schedules(GUILD).await.unwrap(), 4);
    assert_eq!(store.next_due_at().await.unwrap(), None);
}

async fn eight_claimers_one_winner(db: TestDb) {
    // Separate pools on one file, as separate processes would be.
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(db.store().await);
    }
    let nonce = daily_nonce(10, day());
    let tasks: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, store)| {
            let nonce = nonce.clone();
            tokio::spawn(async move {
                store.claim_daily(10, day(), &q(), &nonce, &format!("p{i}"), 100, 160).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(matches!(t.await.unwrap(), ClaimOutcome::Won(_)));
    }
    assert_eq!(winners, 1);
}

async fn an_abandoned_claim_is_taken_over_with_the_same_question_and_nonce(db: TestDb) {
    let store = db.store().await;
    let ClaimOutcome::Won(first) = store.claim_daily(10, day(), &q(), "nonce-a", "p1", 100, 160).await.unwrap() else {
        panic!("the first claim must win")
    };
    // Another process during the lease: told when the lease ends.
    let other = QuestionId::derive("bank", "other");
    let held = store.claim_daily(10, day(), &other, "nonce-b", "p2", 150, 210).await.unwrap();
    assert_eq!(held, ClaimOutcome::Held { until: 160 });
    // After the lease: it takes over the same post.
    let taken = store.claim_daily(10, day(), &other, "nonce-b", "p2", 160, 220).await.unwrap();
    assert_eq!(taken, ClaimOutcome::Won(quizbot::domain::schedule::Claim { holder: "p2".into(), ..first.clone() }));
    // The first holder lost it: it may not complete it; the new one does.
    assert!(!store.complete_daily(&first, 554, 165).await.unwrap());
    let ClaimOutcome::Won(second) = taken else { unreachable!() };
    assert_eq!(second.holder, "p2");
    assert!(store.complete_daily(&second, 555, 170).await.unwrap());
    // Posted: nobody may claim that day again, lease or not.
    let again = store.claim_daily(10, day(), &q(), "nonce-a", "p3", 10_000, 10_060).await.unwrap();
    assert_eq!(again, ClaimOutcome::Posted);
    // The next day is a new claim.
    let next = day().succ_opt().unwrap();
    let tomorrow = store.claim_daily(10, next, &q(), "nonce-c", "p3", 10_000, 10_060).await.unwrap();
    assert!(matches!(tomorrow, ClaimOutcome::Won(_)));
}

async fn a_released_claim_can_be_retried(db: TestDb) {
    let store = db.store().await;
    let ClaimOutcome::Won(claim) = store.claim_daily(10, day(), &q(), "n", "p1", 100, 160).await.unwrap() else {
        panic!("the first claim must win")
    };
    // Only its holder may release it.
    let stranger = quizbot::domain::schedule::Claim { holder: "p2".into(), ..claim.clone() };
    store.release_daily(&stranger).await.unwrap();
    assert_eq!(
        store.claim_daily(10, day(), &q(), "n", "p2", 101, 161).await.unwrap(),
        ClaimOutcome::Held { until: 160 }
    );
    store.release_daily(&claim).await.unwrap();
    let retry = store.claim_daily(10, day(), &q(), "n", "p1", 101, 161).await.unwrap();
    assert!(matches!(retry, ClaimOutcome::Won(_)));
}

/// A holder whose post failed for a while keeps its claim: others wait for
/// the extended lease, the holder itself takes it up again at its retry.
async fn a_claim_is_kept_for_its_holders_retry(db: TestDb) {
    let store = db.store().await;
    let ClaimOutcome::Won(claim) = store.claim_daily(10, day(), &q(), "n", "p1", 100, 160).await.unwrap() else {
        panic!("the first claim must win")
    };
    assert!(store.extend_daily(&claim, 260).await.unwrap());
    let stranger = quizbot::domain::schedule::Claim { holder: "p2".into(), ..claim.clone() };
    assert!(!store.extend_daily(&stranger, 999).await.unwrap(), "only the holder extends");
    let other = QuestionId::derive("bank", "other");
    assert_eq!(
        store.claim_daily(10, day(), &other, "m", "p2", 200, 260).await.unwrap(),
        ClaimOutcome::Held { until: 260 }
    );
    let retry = store.claim_daily(10, day(), &other, "m", "p1", 200, 260).await.unwrap();
    assert_eq!(retry, ClaimOutcome::Won(claim), "the same question and nonce");
}

/// A level click's one read: the server's zone (its schedule in the lowest
/// channel id) and the channel's latest posted question of the day.
async fn a_click_reads_the_server_zone_and_the_latest_daily_at_once(db: TestDb) {
    use quizbot::domain::study::{DailyShown, Scope};
    let store = db.store().await;
    let none = store.rating_context(Scope::Guild(GUILD), 30).await.unwrap();
    assert_eq!((none.zone, none.daily), (chrono_tz::Tz::UTC, None), "no schedule, no daily");
    assert_eq!(store.server_zone(GUILD).await.unwrap(), None);

    let tokyo = Schedule { zone: parse_zone("Asia/Tokyo").unwrap(), ..schedule(30, 1_000) };
    store.upsert_schedule(&tokyo, 0).await.unwrap();
    store.upsert_schedule(&schedule(20, 1_000), 0).await.unwrap();
    let berlin = parse_zone("Europe/Berlin").unwrap();
    assert_eq!(store.server_zone(GUILD).await.unwrap(), Some(berlin), "the lowest channel's zone");

    // Two days of channel 30: yesterday's posted, today's only claimed.
    let yesterday = day().pred_opt().unwrap();
    let old = QuestionId::derive("bank", "yesterday");
    let mut today = None;
    for (date, question) in [(yesterday, &old), (day(), &q())] {
        let nonce = daily_nonce(30, date);
        let ClaimOutcome::Won(claim) = store.claim_daily(30, date, question, &nonce, "a", 0, 60).await.unwrap() else {
            panic!("a fresh claim is won");
        };
        if date == yesterday {
            store.complete_daily(&claim, 555, 7_000).await.unwrap();
        } else {
            today = Some(claim);
        }
    }
    let ctx = store.rating_context(Scope::Guild(GUILD), 30).await.unwrap();
    assert_eq!(ctx.zone, berlin);
    assert_eq!(ctx.daily, Some(DailyShown { question: old.clone(), posted_at: 7_000 }), "only posted days count");
    let other_channel = store.rating_context(Scope::Guild(GUILD), 20).await.unwrap();
    assert_eq!(other_channel.daily, None);
    let dm = store.rating_context(Scope::DirectMessages, 30).await.unwrap();
    assert_eq!((dm.zone, dm.daily), (chrono_tz::Tz::UTC, None));

    // What was read before (kept in memory on SQLite) follows each write.
    store.complete_daily(&today.unwrap(), 556, 90_000).await.unwrap();
    let ctx = store.rating_context(Scope::Guild(GUILD), 30).await.unwrap();
    assert_eq!(ctx.daily, Some(DailyShown { question: q(), posted_at: 90_000 }), "today's, once posted");
    assert!(store.remove_schedule(GUILD, 20).await.unwrap());
    let tokyo = parse_zone("Asia/Tokyo").unwrap();
    assert_eq!(store.rating_context(Scope::Guild(GUILD), 30).await.unwrap().zone, tokyo, "the next lowest channel's");
    store.upsert_schedule(&Schedule { zone: berlin, ..schedule(30, 1_000) }, 0).await.unwrap();
    assert_eq!(store.rating_context(Scope::Guild(GUILD), 30).await.unwrap().zone, berlin, "the zone changed");
    assert_eq!(store.remove_guild_schedules(GUILD).await.unwrap(), 1);
    assert_eq!(store.rating_context(Scope::Guild(GUILD), 30).await.unwrap().zone, chrono_tz::Tz::UTC, "no schedule");
}

on_both_backends!(
    a_click_reads_the_server_zone_and_the_latest_daily_at_once,
    schedules_round_trip_and_replace,
    due_query_returns_earliest_active_only,
    eight_claimers_one_winner,
    an_abandoned_claim_is_taken_over_with_the_same_question_and_nonce,
    a_released_claim_can_be_retried,
    a_claim_is_kept_for_its_holders_retry,
);
