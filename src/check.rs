//! `quizbot check`: validate question banks and summarise them, with no
//! Discord and no database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::DEFAULT_DATA;
use crate::domain::bank::{shown, BankError, QuestionBank};

/// Prints one summary per bank file, or every error as `file:line: …`.
/// Exit code 1 when anything is wrong.
pub fn run(paths: &[PathBuf]) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![std::env::var_os("QUIZBOT_DATA").map_or_else(|| PathBuf::from(DEFAULT_DATA), PathBuf::from)]
    } else {
        paths.to_vec()
    };
    match crate::bank_files::load(&paths) {
        Ok(bank) => {
            print!("{}", summary(&bank));
            for warning in warnings(&bank) {
                eprintln!("{warning}");
            }
            ExitCode::SUCCESS
        }
        Err(BankError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} error{} in {}", errors.len(), if errors.len() == 1 { "" } else { "s" }, describe(&paths));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn describe(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Text the bot will not show whole (too long for Discord), as
/// `file:line: warning: …`; the banks load all the same.
pub fn warnings(bank: &QuestionBank) -> Vec<String> {
    let mut out = Vec::new();
    for info in bank.banks() {
        if let Some(w) = shown::overlong_title(info) {
            out.push(format!("{}:1: warning: {w}", info.file));
        }
    }
    for question in bank.questions() {
        let file = bank.bank_of(question).map_or(question.bank.as_str(), |b| b.file.as_str());
        for w in shown::overlong(question) {
            out.push(format!("{file}:{}: warning: {w}", question.line));
        }
    }
    out
}

/// The report `check` prints for a valid set of banks.
pub fn summary(bank: &QuestionBank) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for info in bank.banks() {
        let counts = crate::domain::level::Level::ALL
            .iter()
            .map(|l| format!("{} {} {}", l.marker(), info.by_difficulty.get(l).copied().unwrap_or(0), l.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "{}: \"{}\": {} questions in {} categories ({counts})",
            Path::new(&info.file).display(),
            info.title,
            info.questions,
            info.categories.len()
        );
        for (category, n) in &info.categories {
            let _ = writeln!(out, "    {category}: {n}");
        }
    }
    let _ = writeln!(
        out,
        "ok: {} questions in {} bank{}",
        bank.len(),
        bank.banks().len(),
        if bank.banks().len() == 1 { "" } else { "s" }
    );
    out
}
