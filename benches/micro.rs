//! Criterion micro-benchmarks of the hot paths below the Discord layer
//! (issue 6): parsing a bank, picking a question, rendering a question and
//! its answer, button ids, recording a rating, and the queries behind
//! `/leaderboard`, `/review` and `/stats` at 1,000,000 ratings and the
//! scheduler's at 100,000 schedules.
//!
//! ```sh
//! cargo bench --bench micro                       # everything, SQLite
//! cargo bench --bench micro -- bank/              # only what matches a filter
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench micro
//! ```
//!
//! Groups:
//! - `bank/parse_10k`: [`QuestionBank::from_sources`] on a generated
//!   10,000-question guide in the format of `data/aws-devops.md`; criterion
//!   prints questions/s (budget ≥ 100,000/s). `bank/parse_10k_mojibake`:
//!   the same guide double-encoded, as exports arrive, so every line goes
//!   through the repair.
//! - `pick/*`: [`pick_least_posted`] over that bank's 10,000 questions,
//!   half of them posted once, after the filter `/quiz` applies.
//! - `render/*`: the question embed with its Reveal button, and the answer
//!   embeds (the data bank's longest answer; a 13,000-character one split
//!   over four messages).
//! - `custom_id/*`: [`ButtonAction::encode`] and [`ButtonAction::decode`].
//! - `{sqlite,postgres}-record/rating`: [`Store::record_rating`] (one
//!   transaction, synchronous on disk) on a fresh database with migrations.
//! - `{sqlite,postgres}-study-1m/*`: the study data of `benches/study.rs`
//!   (10,000 members, 1,000,000 ratings over 60 days): leaderboard pages,
//!   `/review` and `/stats` as the commands run them, and a level click.
//! - `{sqlite,postgres}-scheduler-100k/*`: the scheduler's queries over the
//!   100,000 schedules of `benches/scheduler.rs`.
//!
//! The PostgreSQL groups run when `TEST_DATABASE_URL` is set, each in a
//! fresh schema dropped at the end (as the store tests do, see
//! `tests/store/backends.rs`).
//!
//! # The million ratings
//! Importing them takes minutes, so on SQLite the seeded database is cached
//! as `target/bench-cache/study-v{STUDY_CACHE_VERSION}-{hash}.db`, the hash
//! covering the migrations; each run works on a copy of it, so the cache
//! stays as seeded. It is rebuilt when missing, when the migrations change,
//! or when [`STUDY_CACHE_VERSION`] is bumped — bump it when the seed data
//! (`benches/common`) or how the store derives its figures changes; deleting
//! `target/bench-cache` does the same. Seeding the cache takes about 100 s
//! on a 2-core machine, copying it (250 MB) under a second.
//! PostgreSQL is seeded on every run (about 6 minutes) and `ANALYZE`d, as
//! autovacuum would in time.
//! Seeding happens only when a benchmark of the group is selected.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sqlx::{Connection, Executor};

use quizbot::clock::Clock;
use quizbot::discord::custom_id::{category_tag, ButtonAction};
use quizbot::discord::render::{answer_embeds, question_message};
use quizbot::domain::bank::pick::pick_least_posted;
use quizbot::domain::bank::{Filter, QuestionBank};
use quizbot::domain::level::Level;
use quizbot::domain::score::{Period, ScoreRule};
use quizbot::domain::study::{Rating, Scope, Source, Worth};
use quizbot::service::leaderboard::BoardQuery;
use quizbot::service::Services;
use quizbot::store::Store;

mod common;
use common::{
    scheduler_now, schedules, study_now, study_ratings, STUDY_BUSIEST_MEMBER, STUDY_GUILD, STUDY_MEMBERS,
    STUDY_RATINGS, STUDY_TYPICAL_MEMBER,
};

// The store tests' temporary databases: a SQLite file, or a PostgreSQL schema.
#[path = "../tests/store/backends.rs"]
mod backends;
use backends::TestDb;

/// Bump to rebuild the cached SQLite study database (see the module docs).
const STUDY_CACHE_VERSION: u32 = 1;

/// Questions in the generated bank.
const BANK_QUESTIONS: usize = 10_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

fn data_bank() -> QuestionBank {
    quizbot::bank_files::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")]).expect("the data/ banks load")
}

// ---------------------------------------------------------------- bank ---

/// A guide of `n` questions as the guides are written (MkDocs-Material,
/// see `data/aws-devops.md`): front matter, a title, categories of 500
/// questions, and question blocks with a think-first prompt, a difficulty
/// line and a markdown answer (lists, bold, a tip, now and then a code
/// block).
fn generated_guide(n: usize) -> String {
    const TOPICS: [&str; 8] =
        ["CodePipeline", "CloudFormation", "ECS", "Lambda", "CloudWatch", "IAM", "Terraform", "EKS"];
    let mut out = String::with_capacity(n * 600);
    out.push_str("---\ntitle: \"Generated Interview Questions\"\ndate: 2024-07-01\n---\n\n");
    out.push_str("# Generated Interview Questions\n\n<!--\n    Interactive Interview Guide\n-->\n\n");
    for i in 0..n {
        if i % 500 == 0 {
            out.push_str(&format!("## Category {} & Automation\n\n", i / 500 + 1));
        }
        let topic = TOPICS[i % TOPICS.len()];
        let (marker, level) = match i % 3 {
            0 => ("🟢", "Beginner"),
            1 => ("🟡", "Intermediate"),
            _ => ("🔴", "Advanced"),
        };
        let prompt =
            if i % 4 == 0 { "Imagine explaining this to a product manager..." } else { "Think before expanding..." };
        out.push_str(&format!(
            "??? question \"{n}. How does {topic} handle case {i} in a multi-account setup?\"\n    \
             🧠 {prompt}\n\n    {marker} **{level}**\n\n    \
             *   **Source**: Version control (CodeCommit, GitHub, S3) for case {i}.\n    \
             *   **Build**: Compile and test the code with {topic} (CodeBuild, Jenkins).\n    \
             *   **Deploy**: Release artifacts to environments (CodeDeploy, ECS, Beanstalk).\n\n    \
             ✔ **Why it matters:**\n    \
             This prevents two developers from running `terraform apply` at once and corrupting the state.\n",
            n = i + 1,
        ));
        if i % 5 == 0 {
            out.push_str(
                "\n    ```bash\n    aws deploy create-deployment --application-name app \\\n        \
                 --deployment-group-name prod\n    ```\n",
            );
        }
        out.push_str("\n    💡 **Interview Tip:** name the trade-off, then the service.\n\n");
    }
    out
}

fn bank_benches(c: &mut Criterion) {
    let text = generated_guide(BANK_QUESTIONS);
    let path = Path::new("generated.md");
    let bank = QuestionBank::from_sources([(path, text.as_str())]).expect("the generated guide parses");
    assert_eq!(bank.len(), BANK_QUESTIONS);

    let mut group = c.benchmark_group("bank");
    group.sample_size(30).throughput(Throughput::Elements(BANK_QUESTIONS as u64));
    group.bench_function("parse_10k", |b| {
        b.iter(|| QuestionBank::from_sources([(path, std::hint::black_box(text.as_str()))]).expect("parses"))
    });
    // The same guide as exports deliver it: UTF-8 read as Windows-1252 and
    // saved again, with 🧠's trailing no-break space flattened to a space,
    // so every line with an emoji goes through the repair (DESIGN.md §8).
    let (mojibake, _, _) = encoding_rs::WINDOWS_1252.decode(text.as_bytes());
    let mojibake = mojibake.replace('\u{a0}', " ");
    let repaired = QuestionBank::from_sources([(path, mojibake.as_str())]).expect("the mojibake guide parses");
    assert_eq!(repaired.questions(), bank.questions(), "the repair restores the guide");
    group.bench_function("parse_10k_mojibake", |b| {
        b.iter(|| QuestionBank::from_sources([(path, std::hint::black_box(mojibake.as_str()))]).expect("parses"))
    });
    group.finish();

    // A channel halfway through its cycle: half the pool posted once.
    let posted: HashMap<_, u64> = bank.questions().iter().step_by(2).map(|q| (q.id.clone(), 1)).collect();
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("pick");
    group.bench_function("any_of_10k", |b| {
        b.iter(|| {
            let pool = bank.matching(&Filter::default());
            pick_least_posted(&pool, &posted, &mut rng).map(|q| q.id.clone())
        })
    });
    // 500 questions in the category, a third of them Advanced.
    let filter = Filter { category: Some("category 3 & automation".into()), difficulty: Some(Level::Advanced) };
    group.bench_function("category_and_level_of_10k", |b| {
        b.iter(|| {
            let pool = bank.matching(&filter);
            pick_least_posted(&pool, &posted, &mut rng).map(|q| q.id.clone())
        })
    });
    group.finish();
}

// -------------------------------------------------------------- render ---

fn render_benches(c: &mut Criterion) {
    let bank = data_bank();
    let longest = bank.questions().iter().max_by_key(|q| q.answer.len()).expect("a question in data/");
    let long_answer: String =
        (0..200).map(|i| format!("    *   **Point {i}**: a detail that takes a line, with `code` in it.\n")).collect();
    let long_text = format!("## Long\n??? question \"A long one?\"\n    🔴 **Advanced**\n\n{long_answer}");
    let long_bank =
        QuestionBank::from_sources([(Path::new("long.md"), long_text.as_str())]).expect("the long guide parses");
    let long = &long_bank.questions()[0];

    let mut group = c.benchmark_group("render");
    group.bench_function("question", |b| b.iter(|| question_message(&bank, longest, Source::Quiz)));
    group.bench_function("answer", |b| b.iter(|| answer_embeds(&bank, longest)));
    let pieces = answer_embeds(&long_bank, long).len();
    assert!(pieces > 1, "the long answer should need several messages");
    group.bench_function(format!("answer_{}_chars_{pieces}_parts", long.answer.chars().count()), |b| {
        b.iter(|| answer_embeds(&long_bank, long))
    });
    group.finish();
}

// ----------------------------------------------------------- custom_id ---

fn custom_id_benches(c: &mut Criterion) {
    let bank = data_bank();
    let question = bank.questions()[0].id.clone();
    let rate = ButtonAction::Rate { question: question.clone(), source: Source::Daily, level: Level::Intermediate };
    let board = ButtonAction::Board { period: Period::Week, page: 3, category: Some(category_tag("CI/CD")) };
    let (rate_id, board_id) = (rate.encode(), board.encode());

    let mut group = c.benchmark_group("custom_id");
    group.bench_function("encode_rate", |b| b.iter(|| std::hint::black_box(&rate).encode()));
    group.bench_function("decode_rate", |b| b.iter(|| ButtonAction::decode(std::hint::black_box(&rate_id))));
    group.bench_function("encode_board", |b| b.iter(|| std::hint::black_box(&board).encode()));
    group.bench_function("decode_board", |b| b.iter(|| ButtonAction::decode(std::hint::black_box(&board_id))));
    group.finish();
}

// ------------------------------------------------------------ database ---

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// SQLite always; PostgreSQL when `TEST_DATABASE_URL` is set.
    fn enabled() -> Vec<Backend> {
        let mut backends = vec![Backend::Sqlite];
        if std::env::var_os("TEST_DATABASE_URL").is_some() {
            backends.push(Backend::Postgres);
        }
        backends
    }
}

/// A database for one group, removed when dropped.
struct Db {
    store: Store,
    /// A temporary SQLite file or PostgreSQL schema, removed with it.
    test: Option<TestDb>,
    /// The folder of a copied SQLite file.
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    /// Closes the pool inside the runtime, then removes the database.
    fn finish(db: OnceCell<Db>, rt: &tokio::runtime::Runtime) {
        if let Some(db) = db.into_inner() {
            rt.block_on(db.store.close());
        }
    }
}

/// An empty database with migrations applied.
async fn fresh_db(backend: Backend) -> Db {
    let db = match backend {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::Postgres => TestDb::postgres().await.expect("PostgreSQL at TEST_DATABASE_URL is reachable"),
    };
    let store = db.store().await;
    Db { store, test: Some(db), _dir: None }
}

/// A rating as the level buttons make it, and what it is worth.
fn click(bank: &QuestionBank, id: u64, user_id: u64, at: i64) -> (Rating, Worth) {
    let q = &bank.questions()[id as usize % bank.len()];
    let rating = Rating {
        id,
        scope: Scope::Guild(STUDY_GUILD),
        user_id,
        question: q.id.clone(),
        level: Level::ALL[id as usize % 3],
        source: Source::Quiz,
        at,
    };
    let day = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default().date_naive();
    let worth = ScoreRule::STANDARD.worth(q.difficulty, false, &q.category, day);
    (rating, worth)
}

/// Times level clicks of `user` (every one a new interaction) on `store`.
fn bench_clicks(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    rt: &tokio::runtime::Runtime,
    store: impl Fn() -> Store,
    bank: &QuestionBank,
    user: impl Fn(u64) -> u64,
    next_id: &AtomicU64,
) {
    group.bench_function(name, |b| {
        let store = store();
        b.to_async(rt).iter(|| {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let (rating, worth) = click(bank, id, user(id), study_now().timestamp() + (id % 3_600) as i64);
            let store = store.clone();
            async move { store.record_rating(&rating, &worth, Some("member")).await.expect("rating recorded") }
        })
    });
}

fn record_benches(c: &mut Criterion) {
    let rt = runtime();
    let bank = data_bank();
    for backend in Backend::enabled() {
        let mut group = c.benchmark_group(format!("{}-record", backend.name()));
        group.sample_size(20).measurement_time(Duration::from_secs(5));
        let db: OnceCell<Db> = OnceCell::new();
        let next_id = AtomicU64::new(1);
        // 100 members taking turns over the bank's questions.
        bench_clicks(
            &mut group,
            "rating",
            &rt,
            || db.get_or_init(|| rt.block_on(fresh_db(backend))).store.clone(),
            &bank,
            |id| 1 + id % 100,
            &next_id,
        );
        group.finish();
        Db::finish(db, &rt);
    }
}

/// A hash of the migrations (names and contents): the cache's key.
fn migrations_hash() -> u64 {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("migrations/ readable").map(|e| e.expect("a directory entry").path()).collect();
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = std::fs::read(&file).expect("a migration readable");
        for byte in name.bytes().chain(bytes) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The cargo target directory this bench was built in
/// (`target/release/deps/micro-…`), so `CARGO_TARGET_DIR` is honoured.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Imports the study data into `store` and views every board once at the
/// data's "now", so what the benches read is up to date (the first view
/// after an import recomputes every member: see the README).
async fn seed_study(store: &Store, bank: &Arc<QuestionBank>) {
    let start = Instant::now();
    store.import_ratings(&study_ratings(bank, study_now())).await.expect("the study data imports");
    let quiz = Services::new(bank.clone(), store.clone(), Clock::manual(study_now()));
    for period in Period::ALL {
        let query = BoardQuery { guild_id: STUDY_GUILD, period, category: None, page: 0, caller: Some(1) };
        quiz.leaderboard(&query).await.expect("a first board view");
    }
    eprintln!("seeded {STUDY_RATINGS} ratings by {STUDY_MEMBERS} members in {:.1?}", start.elapsed());
}

/// The study data on SQLite: a copy of the cached database, seeding the
/// cache first if needed.
async fn sqlite_study_db(bank: &Arc<QuestionBank>) -> Db {
    let cache_dir = target_dir().join("bench-cache");
    let cache = cache_dir.join(format!("study-v{STUDY_CACHE_VERSION}-{:016x}.db", migrations_hash()));
    if !cache.exists() {
        std::fs::create_dir_all(&cache_dir).expect("target/bench-cache created");
        // Older caches are of no further use.
        for entry in std::fs::read_dir(&cache_dir).expect("target/bench-cache readable").flatten() {
            if entry.file_name().to_string_lossy().starts_with("study-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        eprintln!("seeding {} (once; see benches/micro.rs)", cache.display());
        // Seeded under another name and renamed when complete, so an
        // interrupted run leaves no half-seeded cache behind.
        let partial = cache.with_extension("partial");
        let store = Store::connect(&sqlite_url(&partial), 4).await.expect("the cache database opens");
        seed_study(&store, bank).await;
        // Closing the last connection checkpoints the WAL into the file.
        store.close().await;
        std::fs::rename(&partial, &cache).expect("the seeded cache renamed");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let copy = dir.path().join("study.db");
    let start = Instant::now();
    std::fs::copy(&cache, &copy).expect("the cached study database copied");
    eprintln!("copied {} in {:.1?}", cache.display(), start.elapsed());
    let store = Store::connect(&sqlite_url(&copy), 4).await.expect("the study database opens");
    Db { store, test: None, _dir: Some(dir) }
}

/// The study data on PostgreSQL, in a fresh schema.
async fn postgres_study_db(bank: &Arc<QuestionBank>) -> Db {
    let db = fresh_db(Backend::Postgres).await;
    seed_study(&db.store, bank).await;
    if let Some(schema) = &db.test {
        // Fresh statistics, as autovacuum would gather in time.
        let mut conn = sqlx::AnyConnection::connect(schema.url()).await.expect("a PostgreSQL connection");
        conn.execute("ANALYZE").await.expect("ANALYZE");
    }
    db
}

fn study_benches(c: &mut Criterion) {
    let rt = runtime();
    let bank = Arc::new(data_bank());
    let now = study_now();
    for backend in Backend::enabled() {
        let mut group = c.benchmark_group(format!("{}-study-1m", backend.name()));
        group.sample_size(20).measurement_time(Duration::from_secs(4));
        let db: OnceCell<Db> = OnceCell::new();
        let quiz = || {
            let db = db.get_or_init(|| {
                rt.block_on(async {
                    match backend {
                        Backend::Sqlite => sqlite_study_db(&bank).await,
                        Backend::Postgres => postgres_study_db(&bank).await,
                    }
                })
            });
            // The services read the data's "now".
            Services::new(bank.clone(), db.store.clone(), Clock::manual(now))
        };

        let category = bank.questions()[0].category.clone();
        let boards = [
            ("leaderboard_week", Period::Week, None, 0),
            ("leaderboard_month", Period::Month, None, 0),
            ("leaderboard_all", Period::All, None, 0),
            ("leaderboard_all_category_page4", Period::All, Some(category), 3),
        ];
        for (name, period, category, page) in boards {
            let query =
                BoardQuery { guild_id: STUDY_GUILD, period, category, page, caller: Some(STUDY_TYPICAL_MEMBER) };
            group.bench_function(name, |b| {
                let quiz = quiz();
                b.to_async(&rt).iter(|| async { quiz.leaderboard(&query).await.expect("a board") })
            });
        }
        let scope = Scope::Guild(STUDY_GUILD);
        for (who, user) in [("typical", STUDY_TYPICAL_MEMBER), ("busiest", STUDY_BUSIEST_MEMBER)] {
            group.bench_function(format!("review_{who}"), |b| {
                let quiz = quiz();
                b.to_async(&rt).iter(|| async { quiz.review(scope, user).await.map(|_| ()).expect("a review") })
            });
        }
        for (who, user) in [("typical", STUDY_TYPICAL_MEMBER), ("busiest", STUDY_BUSIEST_MEMBER)] {
            group.bench_function(format!("stats_{who}"), |b| {
                let quiz = quiz();
                b.to_async(&rt).iter(|| async { quiz.stats(scope, user).await.expect("stats") })
            });
        }
        // Level clicks on top of the million (ids after the seeded ones).
        let next_id = AtomicU64::new(STUDY_RATINGS + 1);
        for (who, user) in [("typical", STUDY_TYPICAL_MEMBER), ("busiest", STUDY_BUSIEST_MEMBER)] {
            let store = || {
                // Opens the study database if no bench before did.
                let _ = quiz();
                db.get().map(|db| db.store.clone()).expect("the study database is open")
            };
            bench_clicks(&mut group, &format!("record_rating_{who}"), &rt, store, &bank, |_| user, &next_id);
        }
        group.finish();
        Db::finish(db, &rt);
    }
}

fn scheduler_benches(c: &mut Criterion) {
    let rt = runtime();
    let now = scheduler_now();
    let t = now.timestamp();
    for backend in Backend::enabled() {
        let mut group = c.benchmark_group(format!("{}-scheduler-100k", backend.name()));
        group.sample_size(50).measurement_time(Duration::from_secs(3));
        let db: OnceCell<Db> = OnceCell::new();
        let store = || {
            db.get_or_init(|| {
                rt.block_on(async {
                    let db = fresh_db(backend).await;
                    let start = Instant::now();
                    for chunk in schedules(now).chunks(10_000) {
                        db.store.upsert_schedules(chunk, t).await.expect("schedules stored");
                    }
                    eprintln!("seeded {} schedules in {:.1?}", common::SCHEDULES, start.elapsed());
                    db
                })
            })
            .store
            .clone()
        };
        group.bench_function("next_due_at", |b| {
            let store = store();
            b.to_async(&rt).iter(|| async { store.next_due_at().await.expect("next due") })
        });
        let cases =
            [("due_none", t - 3_600), ("due_100_of_4200", t + 3_600), ("due_100_of_100k_overdue", t + 2 * 86_400)];
        for (name, at) in cases {
            group.bench_function(name, |b| {
                let store = store();
                b.to_async(&rt).iter(|| async { store.due_schedules(at, 100).await.expect("due schedules") })
            });
        }
        group.finish();
        Db::finish(db, &rt);
    }
}

/// Shared by every group: short runs, so the whole bench takes minutes.
fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = cpu;
    config = config();
    targets = bank_benches, render_benches, custom_id_benches
}
criterion_group! {
    name = database;
    config = config();
    targets = record_benches, study_benches, scheduler_benches
}
criterion_main!(cpu, database);
