//! End to end: the metrics and health endpoint (`METRICS_ADDR`). The bot
//! answers `/quiz`, a Reveal and a level click through the stand-in, then
//! `/metrics` shows them, the writer and the shard; `/healthz` follows
//! the gateway down and back up.

use std::time::Duration;

use serde_json::json;
use standin::e2e::{assert_clean, button, interact, WAIT};
use standin::{BotProcess, Place, StandIn, TestUser, FAKE_TOKEN};

fn dana() -> TestUser {
    TestUser::new(1_300_000_000_000_000_001, "dana")
}

/// The endpoint's `http://IP:PORT`, from the bot's log: it was given port
/// 0, so it took a free one and said which.
async fn endpoint(bot: &BotProcess) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = bot.log();
        let address = log
            .lines()
            .filter(|line| line.contains("metrics and health endpoint listening"))
            .find_map(|line| line.split_whitespace().find_map(|word| word.strip_prefix("address=")))
            .map(str::to_string);
        if let Some(address) = address {
            return format!("http://{address}");
        }
        assert!(tokio::time::Instant::now() < deadline, "the endpoint never said where it listens:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap()
}

/// `(status, body)` of a GET.
async fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Asks `/healthz` until it answers `status`, at most `within`.
async fn health_becomes(base: &str, status: u16, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (now, body) = get(&format!("{base}/healthz")).await;
        if now == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/healthz still {now} ({body}), expected {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `quizbot healthcheck` against the endpoint at `base`, as Docker runs
/// it: whether it exited 0, and what it printed.
fn healthcheck(base: &str) -> (bool, String) {
    let address = base.trim_start_matches("http://");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quizbot"))
        .arg("healthcheck")
        .env_clear()
        .env("METRICS_ADDR", address)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The value of one series (`name{labels}` exactly as rendered).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test]
async fn metrics_show_the_interactions_and_healthz_follows_the_gateway() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = BotProcess::spawn(
        &standin::quizbot!(),
        &standin,
        &dir.path().join("quizbot.db"),
        &[("METRICS_ADDR", "127.0.0.1:0")],
    );
    standin.wait_commands(WAIT).await;
    let base = endpoint(&bot).await;
    assert_eq!(health_becomes(&base, 200, WAIT).await, "ok\n");
    assert_eq!(healthcheck(&base), (true, "ok\n".to_string()));

    // /quiz, Reveal, a level click.
    let cb = interact(&standin, standin.slash("quiz", json!([]), &dana(), Place::guild())).await;
    let post = cb.message();
    let answer = interact(&standin, standin.click(&button(&post, "Reveal answer"), &post, &dana(), Place::guild()))
        .await
        .message();
    let cb = interact(&standin, standin.click(&button(&answer, "Beginner"), &answer, &dana(), Place::guild())).await;
    assert!(cb.content().contains("Saved"), "{}", cb.content());

    // An answer is counted when its handler returns, which may be just
    // after the member saw it: read until the level click is counted.
    let mut text = String::new();
    for _ in 0..50 {
        let response = client().get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        text = response.text().await.unwrap();
        if value(&text, r#"quizbot_interactions_total{kind="level",outcome="answered"}"#) >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for kind in ["quiz", "reveal", "level"] {
        let count = value(&text, &format!(r#"quizbot_interaction_seconds_count{{kind="{kind}"}}"#));
        assert!(count >= 1.0, "{kind}: {count}");
        assert_eq!(value(&text, &format!(r#"quizbot_interactions_total{{kind="{kind}",outcome="answered"}}"#)), 1.0);
        assert_eq!(value(&text, &format!(r#"quizbot_interactions_total{{kind="{kind}",outcome="failed"}}"#)), 0.0);
        assert_eq!(value(&text, &format!(r#"quizbot_interactions_total{{kind="{kind}",outcome="late"}}"#)), 0.0);
    }
    // Buckets, not quantiles; every answer within Discord's 3 s.
    let level = value(&text, r#"quizbot_interaction_seconds_count{kind="level"}"#);
    assert_eq!(value(&text, r#"quizbot_interaction_seconds_bucket{kind="level",le="3"}"#), level);
    assert!(text.contains(r#"quizbot_interaction_seconds_bucket{kind="level",le="0.005"}"#), "{text}");
    assert!(text.contains("# TYPE quizbot_interaction_seconds histogram"), "{text}");
    // The shown question and the rating went through the SQLite writer.
    assert!(value(&text, "quizbot_writer_batch_size_count") >= 1.0, "{text}");
    assert!(value(&text, "quizbot_writer_batch_size_sum") >= 2.0, "{text}");
    assert!(value(&text, "quizbot_writer_commit_seconds_count") >= 1.0, "{text}");
    assert_eq!(value(&text, "quizbot_shards_connected"), 1.0);
    assert_eq!(value(&text, "quizbot_shards_expected"), 1.0);
    for class in ["unavailable", "busy", "statement"] {
        assert_eq!(value(&text, &format!(r#"quizbot_database_errors_total{{class="{class}"}}"#)), 0.0);
    }
    assert_eq!(value(&text, r#"quizbot_posts_total{kind="daily"}"#), 0.0);
    assert_eq!(value(&text, r#"quizbot_rate_limited_total{global="false"}"#), 0.0);
    assert!(!text.contains(FAKE_TOKEN) && !text.contains(&dana().id.to_string()), "nothing secret or personal");

    assert_eq!(get(&format!("{base}/nowhere")).await.0, 404);
    assert_eq!(client().post(format!("{base}/metrics")).send().await.unwrap().status().as_u16(), 405);

    // The gateway goes down: the shard cannot resume or identify, so the
    // bot is unhealthy, and says why.
    standin.set_gateway_down(true);
    let body = health_becomes(&base, 503, WAIT).await;
    assert_eq!(body, "unhealthy: 0 of 1 gateway shards connected\n");
    let (_, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(value(&text, "quizbot_shards_connected"), 0.0);
    let (healthy, said) = healthcheck(&base);
    assert!(!healthy, "{said}");
    assert_eq!(said, "/healthz answered 503: unhealthy: 0 of 1 gateway shards connected\n");

    // Back up: serenity connects the shard again and the bot serves.
    standin.set_gateway_down(false);
    assert_eq!(health_becomes(&base, 200, 3 * WAIT).await, "ok\n");
    standin.wait_ready(WAIT).await;
    let cb = interact(&standin, standin.slash("quiz", json!([]), &dana(), Place::guild())).await;
    assert_eq!(cb.kind, 4);
    assert_clean(&standin, &bot);
}
