//! End to end on PostgreSQL: the real bot with `DATABASE_URL=postgres://…`
//! (a fresh schema on the test server, reached through a proxy the test can
//! cut) against the stand-in Discord. The `/quiz` → Reveal → level flow
//! behaves as on SQLite; while the database is out of reach a command gets a
//! short "try again" reply and a level click waits for it, and once it is
//! back everything works again without a restart.

use serde_json::json;
use standin::e2e::{button, interact, respond, WAIT};
use standin::proxy::TcpProxy;
use standin::{BotProcess, Place, StandIn, TestUser, GUILD_ID};

use quizbot::domain::level::Level;
use quizbot::domain::study::Scope;

use crate::backends;

fn member() -> TestUser {
    TestUser::new(1_500_000_000_000_000_001, "pat")
}

/// `host:port` of a PostgreSQL URL, and the URL with that replaced.
fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let target = rest[..end].to_string();
    let target = if target.contains(':') { target } else { format!("{target}:5432") };
    (target, format!("{scheme}://{user}@127.0.0.1:{port}{}", &rest[end..]))
}

#[tokio::test]
async fn quiz_flow_on_postgres_survives_an_outage() {
    let Some(db) = backends::TestDb::postgres().await else { return };
    let standin = StandIn::start().await;
    let proxy = TcpProxy::start(&through(db.url(), 0).0).await;
    let (_, url) = through(db.url(), proxy.port());
    let dir = tempfile::tempdir().unwrap();
    let _bot = BotProcess::spawn(
        &standin::quizbot!(),
        &standin,
        &dir.path().join("unused.db"),
        &[("DATABASE_URL", url.as_str())],
    );
    standin.wait_commands(WAIT).await;

    // The whole flow, stored in PostgreSQL.
    let post = interact(&standin, standin.slash("quiz", json!([]), &member(), Place::guild())).await.message();
    let answer = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &member(), Place::guild()))
        .await
        .message();
    let saved =
        interact(&standin, standin.click(&button(&answer, "Advanced"), &answer, &member(), Place::guild())).await;
    assert!(saved.content().contains("Saved: 🔴 **Advanced** — you have studied 1 question"), "{}", saved.content());
    let store = db.store().await;
    assert_eq!(store.studied_count(Scope::Guild(GUILD_ID), member().id).await.unwrap(), 1);
    let history = store.rating_history(Scope::Guild(GUILD_ID), member().id).await.unwrap();
    assert_eq!(history.iter().map(|r| r.level).collect::<Vec<_>>(), [Level::Advanced]);

    // The database goes away: a command gets a short ephemeral reply
    // within Discord's deadline (the stand-in enforces it); a level click
    // is acknowledged in time and waits for the database.
    proxy.cut();
    let cb = interact(&standin, standin.slash("quiz", json!([]), &member(), Place::guild())).await;
    assert!(cb.ephemeral(), "{:?}", cb.data);
    assert!(cb.content().contains("cannot reach its database right now"), "{}", cb.content());
    let click = standin.click(&button(&answer, "Beginner"), &answer, &member(), Place::guild());
    let id = click.0;
    let waiting = tokio::spawn({
        let standin = standin.clone();
        async move { respond(&standin, click).await }
    });
    let deferred = standin.wait_callback(id, WAIT).await;
    assert_eq!(deferred.kind, 6, "acknowledged, to be confirmed: {:?}", deferred.data);

    // It comes back: the same bot process works again, and the click made
    // while it was away is saved without the member clicking again.
    proxy.restore().await;
    let shown = waiting.await.unwrap();
    assert!(shown["content"].as_str().unwrap_or_default().contains("Saved: 🟢 **Beginner**"), "{shown}");
    let shown = respond(&standin, standin.slash("leaderboard", json!([]), &member(), Place::guild())).await;
    let board = shown["embeds"][0]["description"].as_str().unwrap().to_string();
    assert!(board.contains(&format!("<@{}> (pat)", member().id)), "{board}");
}

/// A database still booting when the bot starts (after a reboot, say): the
/// bot keeps trying, logs each attempt, and serves once it is up.
#[tokio::test]
async fn a_database_out_of_reach_at_start_is_waited_for() {
    let Some(db) = backends::TestDb::postgres().await else { return };
    let standin = StandIn::start().await;
    let proxy = TcpProxy::start(&through(db.url(), 0).0).await;
    proxy.cut();
    let (_, url) = through(db.url(), proxy.port());
    let dir = tempfile::tempdir().unwrap();
    let bot = BotProcess::spawn(
        &standin::quizbot!(),
        &standin,
        &dir.path().join("unused.db"),
        &[("DATABASE_URL", url.as_str()), ("DATABASE_WAIT_SECS", "60")],
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while !bot.log().contains("the database is out of reach; trying again") {
        assert!(tokio::time::Instant::now() < deadline, "no retry logged:\n{}", bot.log());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    proxy.restore().await;
    standin.wait_commands(WAIT).await;
    let cb = interact(&standin, standin.slash("quiz", json!([]), &member(), Place::guild())).await;
    assert_eq!(cb.kind, 4, "serving once the database is up");
    assert!(bot.log().contains("opened the database"), "{}", bot.log());
    assert!(!bot.log().contains(db.url()), "the URL is not logged whole");
}
