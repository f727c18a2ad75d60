//! Parser and loader tests, with the original (double-encoded) guide as a
//! fixture.

use std::path::Path;

use super::*;

const SEED: &str = include_str!("../../../tests/fixtures/aws-devops-seed.txt");
const REPAIRED: &str = include_str!("../../../data/aws-devops.md");

fn load(files: &[(&str, &str)]) -> Result<QuestionBank, BankError> {
    QuestionBank::from_sources(files.iter().map(|(p, t)| (Path::new(*p), *t)))
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    match load(files) {
        Err(BankError::Invalid(e)) => e.iter().map(ToString::to_string).collect(),
        other => panic!("expected parse errors, got {other:?}"),
    }
}

const SMALL: &str = "---\ntitle: \"Small\"\n---\n## Cat A\n\n??? question \"1. First?\"\n    🧠 Think.\n\n    🟢 **Beginner**\n\n    One.\n\n??? question \"2. Second?\"\n    🧠 Think.\n\n    🔴 **Advanced**\n\n    *   Two.\n    *   Still two.\n\n## Cat B\n\n??? question \"3. Third?\"\n    🧠 Think.\n\n    🟡 **Intermediate**\n\n    Three.\n";

#[test]
fn the_seed_guide_parses_to_twenty_questions_in_four_categories() {
    let bank = load(&[("aws-devops.md", SEED)]).unwrap();
    assert_eq!(bank.len(), 20);
    let info = &bank.banks()[0];
    assert_eq!(info.title, "AWS DevOps Engineer Interview Questions");
    let cats: Vec<&str> = info.categories.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        cats,
        ["CI/CD & Automation", "Containerization (ECS/EKS)", "Monitoring & Logging", "Intermediate/Advanced"]
    );
    assert_eq!(info.by_difficulty.get(&Level::Beginner), Some(&3));
    assert_eq!(info.by_difficulty.get(&Level::Intermediate), Some(&9));
    assert_eq!(info.by_difficulty.get(&Level::Advanced), Some(&8));

    let first = &bank.questions()[0];
    assert_eq!(first.title, "Explain the components of AWS CodePipeline.");
    assert_eq!(first.prompt.as_deref(), Some("Think before expanding..."));
    assert_eq!(first.difficulty, Level::Beginner);
    assert!(first.answer.starts_with("*   **Source**: Version control"), "{}", first.answer);

    let tip = bank.questions().iter().find(|q| q.title.starts_with("Difference between ECS Fargate")).unwrap();
    assert!(tip.answer.contains("💡 **Interview Tip:**"), "{}", tip.answer);
    let why = bank.questions().iter().find(|q| q.title.contains("state locking")).unwrap();
    assert!(why.answer.contains("✔ **Why it matters:**"), "{}", why.answer);

    let last = bank.questions().last().unwrap();
    assert!(last.answer.ends_with("(OPA/CFN Guard)."), "{}", last.answer);
    assert!(!bank.questions().iter().any(|q| q.answer.contains("Ready to test yourself") || q.answer.contains('ð')));
}

#[test]
fn the_shipped_bank_is_the_seed_repaired() {
    let seed = load(&[("aws-devops.md", SEED)]).unwrap();
    let shipped = load(&[("data/aws-devops.md", REPAIRED)]).unwrap();
    assert_eq!(seed.questions(), shipped.questions());
    assert!(REPAIRED.contains("🧠") && REPAIRED.contains("✔") && REPAIRED.contains("💡"));
}

#[test]
fn ids_survive_reordering_renumbering_and_insertion() {
    let before = load(&[("small.md", SMALL)]).unwrap();
    let edited = SMALL
        .replace("1. First?", "7. First?")
        .replace("## Cat B\n", "## Cat B\n\n??? question \"3. Inserted?\"\n    🟢 **Beginner**\n\n    New.\n\n");
    // Move the second question to the end of the file.
    let (head, tail) = edited.split_once("??? question \"2. Second?\"").unwrap();
    let (second, rest) = tail.split_once("## Cat B").unwrap();
    let reordered = format!("{head}## Cat B{rest}\n??? question \"2. Second?\"{second}");
    let after = load(&[("small.md", &reordered)]).unwrap();
    assert_eq!(after.len(), 4);
    for q in before.questions() {
        let moved = after.get(&q.id).unwrap_or_else(|| panic!("{} lost its id", q.title));
        assert_eq!(moved.title, q.title);
        assert_eq!(moved.answer, q.answer);
    }
}

#[test]
fn crlf_tabs_and_trailing_spaces_are_tolerated() {
    let messy = SMALL.replace("\n    ", "\n\t").replace('\n', "  \r\n");
    let clean = load(&[("small.md", SMALL)]).unwrap();
    let messy = load(&[("small.md", &messy)]).unwrap();
    assert_eq!(clean.questions(), messy.questions());
}

#[test]
fn a_missing_prompt_is_tolerated() {
    let text = "## C\n??? question \"No prompt\"\n    🟡 **Intermediate**\n\n    The answer.\n";
    let bank = load(&[("p.md", text)]).unwrap();
    let q = &bank.questions()[0];
    assert_eq!(q.prompt, None);
    assert_eq!(q.answer, "The answer.");
}

#[test]
fn a_block_without_answer_is_reported_with_file_and_line() {
    let text = "## C\n\n??? question \"1. Empty?\"\n    🧠 Think.\n\n    🟢 **Beginner**\n\n??? question \"2. Fine?\"\n    🟢 **Beginner**\n\n    Yes.\n";
    assert_eq!(errors(&[("data/bad.md", text)]), ["data/bad.md:3: question \"Empty?\" has no answer"]);
}

#[test]
fn an_unknown_difficulty_is_reported_at_its_line() {
    let text = "## C\n\n??? question \"1. Hard?\"\n    🧠 Think.\n\n    🟣 **Expert**\n\n    Answer.\n";
    let errs = errors(&[("bad.md", text)]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("bad.md:6: unknown difficulty \"Expert\""), "{}", errs[0]);
}

#[test]
fn every_error_of_every_file_is_collected() {
    let a = "??? question \"1. A\"\n    🟣 **Expert**\n\n    x\n";
    let b = "??? question \"1. B\"\n    🟢 **Beginner**\n";
    let errs = errors(&[("a.md", a), ("b.md", b)]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with("a.md:2:") && errs[1].starts_with("b.md:1:"), "{errs:?}");
}

#[test]
fn duplicate_ids_are_an_error_at_load_time() {
    let text = "## C\n??? question \"1. Same?\"\n    🟢 **Beginner**\n\n    a\n\n## D\n??? question \"2. same?\"\n    🟢 **Beginner**\n\n    b\n";
    let errs = errors(&[("dup.md", text)]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("dup.md:8: question \"same?\" has the same id"), "{}", errs[0]);
}

#[test]
fn a_flattened_brain_emoji_is_repaired_in_a_whole_file() {
    // The seed with every NBSP after "ðŸ§" flattened to a plain space.
    let flattened = SEED.replace("ðŸ§\u{a0}", "ðŸ§ ");
    assert_ne!(flattened, SEED);
    let bank = load(&[("aws-devops.md", &flattened)]).unwrap();
    assert!(bank.questions().iter().all(|q| q.prompt.is_some()));
    assert_eq!(bank.questions()[0].prompt.as_deref(), Some("Think before expanding..."));
}

#[test]
fn other_admonitions_are_skipped() {
    let text = "## C\n!!! note \"Read me\"\n    🟢 **Beginner**\n\n??? question \"Q\"\n    🟢 **Beginner**\n\n    A\n";
    let bank = load(&[("n.md", text)]).unwrap();
    assert_eq!(bank.len(), 1);
}

#[test]
fn filters_and_categories() {
    let bank = load(&[("small.md", SMALL)]).unwrap();
    assert_eq!(bank.categories(), ["Cat A", "Cat B"]);
    assert_eq!(bank.find_category("cat b"), Some("Cat B"));
    assert_eq!(bank.suggest_categories("b", 25), ["Cat B"]);
    let f = Filter { category: Some("cat a".into()), difficulty: Some(Level::Advanced) };
    let titles: Vec<&str> = bank.matching(&f).iter().map(|q| q.title.as_str()).collect();
    assert_eq!(titles, ["Second?"]);
}

#[test]
fn loading_a_folder_reads_only_markdown() {
    let dir = std::env::temp_dir().join(format!("quizbot-bank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.md"), SMALL).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a bank").unwrap();
    let bank = crate::bank_files::load(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(bank.len(), 3);
    assert_eq!(bank.banks()[0].slug, "small");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(crate::bank_files::load(&[empty]), Err(BankError::Empty(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every built-in guide parses, and every answer renders for Discord in
/// pieces within an embed's 4,096 characters, none empty, every code fence
/// closed.
#[test]
fn every_built_in_guide_renders_within_discords_limits() {
    let guides = [
        ("aws-devops.md", REPAIRED),
        ("kubernetes.md", include_str!("../../../data/kubernetes.md")),
        ("terraform.md", include_str!("../../../data/terraform.md")),
        ("linux-networking.md", include_str!("../../../data/linux-networking.md")),
    ];
    let bank = load(&guides).unwrap();
    assert_eq!(bank.banks().len(), 4);
    // The three written for the bot have at least 6 of each difficulty.
    for info in bank.banks().iter().filter(|b| !b.title.starts_with("AWS")) {
        for level in Level::ALL {
            assert!(info.by_difficulty.get(&level).copied().unwrap_or(0) >= 6, "{}: {level:?}", info.title);
        }
    }
    for q in bank.questions() {
        let pieces = render::answer_pieces(&q.answer, 4096);
        for p in &pieces {
            assert!(!p.trim().is_empty() && p.chars().count() <= 4096, "{}", q.title);
            assert_eq!(p.matches("```").count() % 2, 0, "{}: unbalanced fence in {p}", q.title);
        }
    }
}
