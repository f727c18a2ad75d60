//! Question banks from files: the one place the banks touch the disk, so
//! that `domain::bank` stays pure (it parses text it is given).

use std::path::PathBuf;

use crate::domain::bank::{BankError, QuestionBank};

/// Loads every `*.md` in the given files and folders (folders are not
/// searched recursively). All errors of all files are collected.
pub fn load(paths: &[PathBuf]) -> Result<QuestionBank, BankError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| BankError::Io { path: path.clone(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
                .collect();
            if found.is_empty() {
                return Err(BankError::Empty(path.clone()));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(&file).map_err(|source| BankError::Io { path: file.clone(), source })?;
        // Invalid UTF-8 is not fatal: lossy decoding keeps the rest of
        // the file usable and the replacement character shows where.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        sources.push((file, text));
    }
    QuestionBank::from_sources(sources.iter().map(|(p, t)| (p.as_path(), t.as_str())))
}
