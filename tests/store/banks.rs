//! A server's own banks through the services, on both backends: upload,
//! scope, re-upload, removal, hiding the built-in banks, and a second
//! process (another `Services` on the same database) seeing a change.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backends::TestDb;
use crate::on_both_backends;

use quizbot::clock::Clock;
use quizbot::domain::bank::server::{BankDiff, BankLimits, UploadProblem};
use quizbot::domain::bank::{Filter, QuestionBank};
use quizbot::domain::level::Level;
use quizbot::domain::score::Period;
use quizbot::domain::study::{Rating, Scope, Source};
use quizbot::service::banks::{Upload, RECHECK};
use quizbot::service::leaderboard::BoardQuery;
use quizbot::service::{ServiceError, Services};

const GUILD: u64 = 1_200_000_000_000_000_001;
const OTHER: u64 = 1_200_000_000_000_000_002;
const ADMIN: u64 = 1_200_000_000_000_000_100;

const GUIDE: &str = "---\ntitle: \"Team guide\"\n---\n## Team Ops\n\n??? question \"1. How do we deploy?\"\n    🧠 Think.\n\n    🟢 **Beginner**\n\n    With the pipeline.\n\n??? question \"2. Who is on call?\"\n    🔴 **Advanced**\n\n    Whoever holds the pager.\n";

fn builtin() -> Arc<QuestionBank> {
    Arc::new(quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).unwrap())
}

async fn services(db: &TestDb) -> Services {
    let clock = Clock::manual(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    Services::new(builtin(), db.store().await, clock)
}

fn upload(file: &str, text: &str) -> Upload {
    Upload { file: file.into(), bytes: text.as_bytes().to_vec() }
}

fn team_ops() -> Filter {
    Filter { category: Some("team ops".into()), difficulty: None }
}

async fn an_uploaded_bank_joins_its_server_only(db: TestDb) {
    let services = services(&db).await;
    let builtin = builtin().len();
    let added = services.add_banks(GUILD, ADMIN, &[upload("Team Guide.md", GUIDE)]).await.unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!((added[0].name.as_str(), added[0].title.as_str()), ("team-guide", "Team guide"));
    assert_eq!(added[0].counts, [("Team Ops".to_string(), [1, 0, 1])]);
    assert!(added[0].replaced.is_none());

    let here = services.bank(Scope::Guild(GUILD)).await.unwrap();
    assert_eq!(here.len(), builtin + 2);
    assert_eq!(services.category(Scope::Guild(GUILD), "team ops").await.unwrap(), "Team Ops");
    let picked = services.next_question(Scope::Guild(GUILD), 5, &team_ops()).await.unwrap();
    assert_eq!(picked.bank().bank_of(picked.question()).unwrap().title, "Team guide");

    // Another server and direct messages see none of it.
    assert_eq!(services.bank(Scope::Guild(OTHER)).await.unwrap().len(), builtin);
    assert_eq!(services.bank(Scope::DirectMessages).await.unwrap().len(), builtin);
    assert!(matches!(
        services.next_question(Scope::Guild(OTHER), 5, &team_ops()).await,
        Err(ServiceError::UnknownCategory { .. })
    ));

    let list = services.list_banks(GUILD).await.unwrap();
    assert_eq!(list.own.len(), 1);
    assert_eq!((list.own[0].questions, list.own[0].added_by), (2, ADMIN));
    assert!(!list.builtin_hidden && list.builtin.len() == 4);
    let (file, text) = services.bank_file(GUILD, "team-guide").await.unwrap();
    assert_eq!((file.as_str(), text.as_str()), ("Team Guide.md", GUIDE));
}

async fn a_reupload_keeps_ids_and_reports_what_changed(db: TestDb) {
    let services = services(&db).await;
    services.add_banks(GUILD, ADMIN, &[upload("team.md", GUIDE)]).await.unwrap();
    let before = services.bank(Scope::Guild(GUILD)).await.unwrap();
    let kept = before.questions().iter().find(|q| q.title == "How do we deploy?").unwrap().id.clone();
    let gone = before.questions().iter().find(|q| q.title == "Who is on call?").unwrap().id.clone();

    let edited = GUIDE
        .replace("    With the pipeline.", "    With the pipeline, after review.")
        .replace("2. Who is on call?", "2. Who holds the pager?");
    let added = services.add_banks(GUILD, ADMIN, &[upload("team.md", &edited)]).await.unwrap();
    assert_eq!(added[0].replaced, Some(BankDiff { added: 1, changed: 1, removed: 1 }));
    let after = services.bank(Scope::Guild(GUILD)).await.unwrap();
    assert!(after.get(&kept).is_some(), "an unchanged title keeps its id");
    assert!(after.get(&gone).is_none(), "a removed question is gone");
    assert!(matches!(services.question(Scope::Guild(GUILD), 7, &gone).await, Err(ServiceError::QuestionGone)));
    assert_eq!(services.list_banks(GUILD).await.unwrap().own.len(), 1, "replaced, not added");
}

async fn bad_uploads_store_nothing_and_say_why(db: TestDb) {
    let services = services(&db).await.with_bank_limits(BankLimits { file_bytes: 5_000, questions: 50, banks: 2 });
    let problems = |r: Result<_, ServiceError>| match r {
        Err(ServiceError::Upload(p)) => p,
        other => panic!("expected upload problems, got {other:?}"),
    };
    let png = Upload { file: "guide.md".into(), bytes: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec() };
    let big = upload("big.md", &"x".repeat(6_000));
    let latin1 = Upload { file: "latin.md".into(), bytes: b"caf\xe9".to_vec() };
    let empty = upload("empty.md", "# Just a title\n");
    let p = problems(services.add_banks(GUILD, ADMIN, &[png, big, latin1, empty, upload("ok.md", GUIDE)]).await);
    assert!(matches!(p[0], UploadProblem::Binary { .. }), "{p:?}");
    assert!(matches!(p[1], UploadProblem::TooLarge { size: 6000, .. }), "{p:?}");
    assert!(matches!(p[2], UploadProblem::NotUtf8 { .. }), "{p:?}");
    assert!(matches!(p[3], UploadProblem::NoQuestions { .. }), "{p:?}");
    assert_eq!(p.len(), 4);
    assert!(services.list_banks(GUILD).await.unwrap().own.is_empty(), "all or nothing: the good file was not stored");

    let message = ServiceError::Upload(p).to_string();
    assert!(message.starts_with("Nothing was stored.") && message.contains("`latin.md` is not UTF-8"), "{message}");

    services.add_banks(GUILD, ADMIN, &[upload("a.md", GUIDE), upload("b.md", GUIDE)]).await.unwrap();
    let p = problems(services.add_banks(GUILD, ADMIN, &[upload("c.md", GUIDE)]).await);
    assert!(matches!(p[0], UploadProblem::TooManyBanks { existing: 2, limit: 2 }), "{p:?}");
    // Replacing one is not a new bank.
    services.add_banks(GUILD, ADMIN, &[upload("a.md", GUIDE)]).await.unwrap();
}

async fn removing_and_hiding(db: TestDb) {
    let services = services(&db).await;
    assert!(matches!(services.show_builtin(GUILD, false).await, Err(ServiceError::NothingLeft)));
    services.add_banks(GUILD, ADMIN, &[upload("team.md", GUIDE)]).await.unwrap();
    services.show_builtin(GUILD, false).await.unwrap();
    assert_eq!(services.bank(Scope::Guild(GUILD)).await.unwrap().len(), 2, "only the server's own");
    assert!(services.list_banks(GUILD).await.unwrap().builtin_hidden);
    assert!(matches!(services.remove_bank(GUILD, "team").await, Err(ServiceError::LastBank)));
    services.show_builtin(GUILD, true).await.unwrap();
    assert_eq!(services.bank(Scope::Guild(GUILD)).await.unwrap().len(), builtin().len() + 2);

    services.remove_bank(GUILD, "team").await.unwrap();
    assert_eq!(services.bank(Scope::Guild(GUILD)).await.unwrap().len(), builtin().len());
    assert!(matches!(services.remove_bank(GUILD, "team").await, Err(ServiceError::NoBank(_))));
}

/// How many questions `services` shows in the test server once its cache
/// caught up with `expected` (it checks in the background after
/// [`RECHECK`]), within a second of that.
async fn caught_up(services: &Services, expected: usize) -> usize {
    tokio::time::sleep(RECHECK).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let n = services.bank(Scope::Guild(GUILD)).await.unwrap().len();
        if n == expected || tokio::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn another_process_sees_an_upload_within_the_recheck(db: TestDb) {
    let first = services(&db).await;
    let second = services(&db).await;
    assert_eq!(second.bank(Scope::Guild(GUILD)).await.unwrap().len(), builtin().len());
    first.add_banks(GUILD, ADMIN, &[upload("team.md", GUIDE)]).await.unwrap();
    // Until the recheck, the second process still answers from its cache.
    assert_eq!(second.bank(Scope::Guild(GUILD)).await.unwrap().len(), builtin().len());
    assert_eq!(caught_up(&second, builtin().len() + 2).await, builtin().len() + 2);
    first.remove_bank(GUILD, "team").await.unwrap();
    assert_eq!(caught_up(&second, builtin().len()).await, builtin().len());
}

async fn removed_questions_leave_the_leaderboard_and_come_back(db: TestDb) {
    let services = services(&db).await;
    services.add_banks(GUILD, ADMIN, &[upload("team.md", GUIDE)]).await.unwrap();
    let bank = services.bank(Scope::Guild(GUILD)).await.unwrap();
    let on_call = bank.questions().iter().find(|q| q.title == "Who is on call?").unwrap().id.clone();
    let deploy = bank.questions().iter().find(|q| q.title == "How do we deploy?").unwrap().id.clone();
    let now = services.clock().now_unix();
    for (id, question) in [(1, &on_call), (2, &deploy)] {
        let rating = Rating {
            id,
            scope: Scope::Guild(GUILD),
            user_id: 77,
            question: question.clone(),
            level: Level::Advanced,
            source: Source::Quiz,
            at: now,
        };
        services.rate(&rating, 5, Some("pat")).await.unwrap();
    }
    let score = |services: Services| async move {
        let query = BoardQuery { guild_id: GUILD, period: Period::All, category: None, page: 0, caller: None };
        let page = services.leaderboard(&query).await.unwrap();
        page.lines.iter().map(|l| (l.row.user_id, l.row.score, l.row.studied)).collect::<Vec<_>>()
    };
    // 🟢 1 + 🔴 3.
    assert_eq!(score(services.clone()).await, [(77, 4, 2)]);

    // A re-upload without "Who is on call?": its rating leaves the board.
    let without = GUIDE[..GUIDE.find("??? question \"2.").unwrap()].to_string();
    services.add_banks(GUILD, ADMIN, &[upload("team.md", &without)]).await.unwrap();
    assert_eq!(score(services.clone()).await, [(77, 1, 1)]);
    // Removing the bank: nothing of it counts.
    services.remove_bank(GUILD, "team").await.unwrap();
    assert_eq!(score(services.clone()).await, []);
    // Back again: both ratings count as before.
    services.add_banks(GUILD, ADMIN, &[upload("team.md", GUIDE)]).await.unwrap();
    assert_eq!(score(services.clone()).await, [(77, 4, 2)]);
}

on_both_backends!(
    removed_questions_leave_the_leaderboard_and_come_back,
    an_uploaded_bank_joins_its_server_only,
    a_reupload_keeps_ids_and_reports_what_changed,
    bad_uploads_store_nothing_and_say_why,
    removing_and_hiding,
    another_process_sees_an_upload_within_the_recheck,
);
