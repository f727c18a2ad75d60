//! `/bank`: a server's own question banks — upload, list, remove,
//! download, hide the built-in ones — and the banks each scope sees.
//!
//! Every process keeps each server's parsed banks in memory
//! ([`BankCache`]), so a `/quiz` costs what it did with the built-in banks
//! alone. Whether a cached entry is still current is asked of the database
//! in the background, at most every [`RECHECK`]: one indexed read of the
//! server's version, which every change bumps. So a bank uploaded through
//! one process is used by the others from their first use after that time,
//! and by the uploading process at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::{ServiceError, Services};
use crate::domain::bank::server::{
    bank_key, bank_name, counts, diff, parse_upload, upload_text, BankDiff, BankLimits, ServerBank, ServerBankInfo,
    UploadProblem,
};
use crate::domain::bank::{BankError, BankInfo, QuestionBank, QuestionId};
use crate::domain::study::Scope;
use crate::store::StoreError;

/// How long a process trusts its cached copy of a server's banks before
/// asking the database whether they changed.
pub const RECHECK: Duration = Duration::from_secs(2);

/// One uploaded file, as the Discord layer downloaded it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file: String,
    pub bytes: Vec<u8>,
}

/// One bank an upload stored.
#[derive(Debug, Clone)]
pub struct Added {
    pub name: String,
    pub title: String,
    /// Questions per category and difficulty.
    pub counts: Vec<(String, [usize; 3])>,
    /// Against the bank it replaced, if any.
    pub replaced: Option<BankDiff>,
}

/// What `/bank list` shows.
#[derive(Debug, Clone)]
pub struct BankList {
    pub builtin: Vec<BankInfo>,
    pub builtin_hidden: bool,
    pub own: Vec<ServerBankInfo>,
}

/// Each server's banks as parsed, with the version they were parsed at.
#[derive(Debug, Default)]
pub struct BankCache {
    slots: Mutex<HashMap<u64, Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Bumped when this process changes the server's banks: a lookup that
    /// started before must not put back what it read.
    generation: u64,
    cached: Option<Cached>,
    /// A background check of this entry is running.
    refreshing: bool,
}

#[derive(Debug, Clone)]
struct Cached {
    /// 0: the server has no settings (and so no banks of its own).
    version: i64,
    checked: Instant,
    bank: Arc<QuestionBank>,
}

impl BankCache {
    fn with<T>(&self, guild_id: u64, f: impl FnOnce(&mut Slot) -> T) -> T {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        f(slots.entry(guild_id).or_default())
    }

    /// The entry, if any, the generation to store a new one under, and
    /// whether the caller should check the entry (it is older than
    /// [`RECHECK`] and no check is running; the caller then runs one).
    fn get(&self, guild_id: u64) -> (Option<Cached>, u64, bool) {
        self.with(guild_id, |slot| {
            let due = !slot.refreshing && slot.cached.as_ref().is_some_and(|c| c.checked.elapsed() >= RECHECK);
            slot.refreshing |= due;
            (slot.cached.clone(), slot.generation, due)
        })
    }

    /// Stores what a lookup or check found (`None`: the check failed; the
    /// entry serves on and is checked again after [`RECHECK`]), unless this
    /// process changed the server's banks since it started.
    fn put(&self, guild_id: u64, generation: u64, found: Option<Cached>) {
        self.with(guild_id, |slot| {
            slot.refreshing = false;
            if slot.generation != generation {
                return;
            }
            match (found, &mut slot.cached) {
                (Some(entry), cached) => *cached = Some(entry),
                (None, Some(cached)) => cached.checked = Instant::now(),
                (None, None) => {}
            }
        });
    }

    /// Forgets a server's entry, so the next lookup reads the database.
    fn forget(&self, guild_id: u64) {
        self.with(guild_id, |slot| {
            slot.generation += 1;
            slot.cached = None;
        });
    }
}

impl Services {
    /// The questions a scope sees: the built-in banks, plus a server's own
    /// (or only its own, if it hid the built-in ones). Direct messages see
    /// the built-in banks.
    pub async fn bank(&self, scope: Scope) -> Result<Arc<QuestionBank>, ServiceError> {
        match scope {
            Scope::DirectMessages => Ok(Arc::clone(&self.banks)),
            Scope::Guild(guild_id) => Ok(self.server_bank(guild_id).await?),
        }
    }

    /// The questions a member's `/review` sees: a server's, or in DMs the
    /// built-in banks and those of every server the member studied in
    /// (their memory is theirs across servers: `domain::review`).
    pub async fn review_bank(&self, scope: Scope, user_id: u64) -> Result<Arc<QuestionBank>, ServiceError> {
        if scope != Scope::DirectMessages {
            return self.bank(scope).await;
        }
        let servers = self.store.servers_studied(user_id).await?;
        if servers.is_empty() {
            return Ok(Arc::clone(&self.banks));
        }
        let mut parts = vec![Arc::clone(&self.banks)];
        for guild_id in servers {
            parts.push(self.server_bank(guild_id).await?);
        }
        Ok(Arc::new(QuestionBank::layered(parts.iter().map(|b| &**b))))
    }

    /// A server's banks from the cache; the database is read only the first
    /// time. An entry older than [`RECHECK`] still answers at once while a
    /// background task checks it, so no interaction waits for that check,
    /// nor for a database that is out of reach.
    async fn server_bank(&self, guild_id: u64) -> Result<Arc<QuestionBank>, StoreError> {
        let (cached, generation, check) = self.bank_cache.get(guild_id);
        let Some(cached) = cached else {
            let entry = self.read_server_bank(guild_id, None).await?;
            let bank = Arc::clone(&entry.bank);
            self.bank_cache.put(guild_id, generation, Some(entry));
            return Ok(bank);
        };
        if check {
            let (services, old) = (self.clone(), cached.clone());
            tokio::spawn(async move {
                let found = match services.read_server_bank(guild_id, Some(old)).await {
                    Ok(entry) => Some(entry),
                    Err(e) => {
                        debug!(guild = guild_id, error = %e, "could not check the server's banks");
                        None
                    }
                };
                services.bank_cache.put(guild_id, generation, found);
            });
        }
        Ok(cached.bank)
    }

    /// The server's banks as the database has them now; `old` is kept if
    /// they did not change.
    async fn read_server_bank(&self, guild_id: u64, old: Option<Cached>) -> Result<Cached, StoreError> {
        let version = self.store.bank_version(guild_id).await?;
        let current = version.map_or(0, |v| v.version);
        let bank = match (old.filter(|c| c.version == current), version) {
            (Some(c), _) => c.bank,
            (None, None) => Arc::clone(&self.banks),
            (None, Some(v)) => Arc::new(self.load_server_banks(guild_id, v.builtin_hidden).await?),
        };
        Ok(Cached { version: current, checked: Instant::now(), bank })
    }

    /// Parses a server's stored banks and layers them on the built-in
    /// ones. A stored bank this version cannot parse is left out, loudly.
    async fn load_server_banks(&self, guild_id: u64, builtin_hidden: bool) -> Result<QuestionBank, StoreError> {
        let stored = self.store.server_banks(guild_id).await?;
        let own: Vec<QuestionBank> = stored
            .iter()
            .filter_map(|b| {
                parse_stored(guild_id, b)
                    .inspect_err(|e| warn!(guild = guild_id, bank = %b.name, error = %e, "a stored bank no longer parses; left out"))
                    .ok()
            })
            .collect();
        let builtin = (!builtin_hidden).then_some(&*self.banks);
        Ok(QuestionBank::layered(builtin.into_iter().chain(&own)))
    }

    /// Checks and stores uploaded banks, each replacing the server's bank
    /// of the same name. All or nothing: if any file has a problem, none is
    /// stored and every problem is returned.
    pub async fn add_banks(&self, guild_id: u64, user_id: u64, uploads: &[Upload]) -> Result<Vec<Added>, ServiceError> {
        let limits = self.bank_limits;
        let existing = self.store.server_banks(guild_id).await?;
        let mut problems = Vec::new();
        let mut checked: Vec<(ServerBank, QuestionBank)> = Vec::new();
        for upload in uploads {
            match check_upload(guild_id, user_id, upload, &limits, self.clock.now_unix()) {
                Ok((bank, _)) if checked.iter().any(|(b, _)| b.name == bank.name) => {
                    problems.push(UploadProblem::SameName { file: upload.file.clone(), name: bank.name });
                }
                Ok(pair) => checked.push(pair),
                Err(p) => problems.push(p),
            }
        }
        let new_names = checked.iter().filter(|(b, _)| !existing.iter().any(|e| e.name == b.name)).count();
        if existing.len() + new_names > limits.banks {
            problems.push(UploadProblem::TooManyBanks { existing: existing.len(), limit: limits.banks });
        }
        if !problems.is_empty() {
            return Err(ServiceError::Upload(problems));
        }
        let mut added = Vec::new();
        // Questions a re-upload left out leave the leaderboard; those it
        // has count (again, if a removal had retired them).
        let (mut retire, mut restore) = (Vec::new(), Vec::new());
        for (bank, parsed) in &checked {
            let before = existing
                .iter()
                .find(|e| e.name == bank.name)
                .map(|old| parse_stored(guild_id, old).unwrap_or_default());
            if let Some(before) = &before {
                let kept: HashSet<&QuestionId> = parsed.questions().iter().map(|q| &q.id).collect();
                retire.extend(before.questions().iter().filter(|q| !kept.contains(&q.id)).map(|q| q.id.clone()));
            }
            restore.extend(parsed.questions().iter().map(|q| q.id.clone()));
            let replaced = before.map(|before| diff(before.questions(), parsed.questions()));
            added.push(Added { name: bank.name.clone(), title: bank.title.clone(), counts: counts(parsed), replaced });
        }
        let banks: Vec<ServerBank> = checked.into_iter().map(|(b, _)| b).collect();
        self.store.save_server_banks(guild_id, &banks, &retire, &restore).await?;
        self.bank_cache.forget(guild_id);
        info!(guild = guild_id, banks = banks.len(), "server banks uploaded");
        Ok(added)
    }

    /// What a server may upload.
    pub fn bank_limits(&self) -> BankLimits {
        self.bank_limits
    }

    /// The built-in banks and the server's own.
    pub async fn list_banks(&self, guild_id: u64) -> Result<BankList, ServiceError> {
        let own = self.store.server_bank_infos(guild_id).await?;
        let builtin_hidden = self.store.bank_version(guild_id).await?.is_some_and(|v| v.builtin_hidden);
        Ok(BankList { builtin: self.banks.banks().to_vec(), builtin_hidden, own })
    }

    /// Removes one of the server's banks; its ratings stay in the database
    /// but no longer count (their questions are gone from the scope).
    pub async fn remove_bank(&self, guild_id: u64, name: &str) -> Result<(), ServiceError> {
        let bank =
            self.store.server_bank(guild_id, name).await?.ok_or_else(|| ServiceError::NoBank(name.to_string()))?;
        let hidden = self.store.bank_version(guild_id).await?.is_some_and(|v| v.builtin_hidden);
        if hidden && self.store.server_bank_infos(guild_id).await?.len() == 1 {
            return Err(ServiceError::LastBank);
        }
        let retire: Vec<QuestionId> =
            parse_stored(guild_id, &bank).unwrap_or_default().questions().iter().map(|q| q.id.clone()).collect();
        if !self.store.remove_server_bank(guild_id, name, &retire).await? {
            return Err(ServiceError::NoBank(name.to_string()));
        }
        self.bank_cache.forget(guild_id);
        info!(guild = guild_id, bank = name, "server bank removed");
        Ok(())
    }

    /// A server's bank as uploaded: its file name and text.
    pub async fn bank_file(&self, guild_id: u64, name: &str) -> Result<(String, String), ServiceError> {
        let bank =
            self.store.server_bank(guild_id, name).await?.ok_or_else(|| ServiceError::NoBank(name.to_string()))?;
        Ok((bank.file, bank.markdown))
    }

    /// Shows or hides the built-in banks in a server. Hiding them needs a
    /// bank of the server's own, or nothing would be left to ask.
    pub async fn show_builtin(&self, guild_id: u64, show: bool) -> Result<(), ServiceError> {
        if !show && self.store.server_bank_infos(guild_id).await?.is_empty() {
            return Err(ServiceError::NothingLeft);
        }
        self.store.set_builtin_hidden(guild_id, !show).await?;
        self.bank_cache.forget(guild_id);
        Ok(())
    }

    /// The server's bank names starting with `partial`, for autocomplete.
    pub async fn bank_names(&self, guild_id: u64, partial: &str) -> Result<Vec<String>, ServiceError> {
        let needle = partial.trim().to_lowercase();
        let infos = self.store.server_bank_infos(guild_id).await?;
        Ok(infos.into_iter().map(|b| b.name).filter(|n| n.contains(&needle)).collect())
    }
}

/// A stored bank parsed again.
fn parse_stored(guild_id: u64, bank: &ServerBank) -> Result<QuestionBank, BankError> {
    let key = bank_key(guild_id, &bank.name);
    QuestionBank::from_named([(key.as_str(), bank.file.as_str(), bank.markdown.as_str())])
}

/// One upload, checked and parsed: the bank to store and its questions.
fn check_upload(
    guild_id: u64,
    user_id: u64,
    upload: &Upload,
    limits: &BankLimits,
    now: i64,
) -> Result<(ServerBank, QuestionBank), UploadProblem> {
    let name = bank_name(&upload.file)?;
    let text = upload_text(&upload.file, &upload.bytes, limits)?;
    let parsed = parse_upload(guild_id, &name, &upload.file, text, limits)?;
    let title = parsed.banks().first().map_or_else(|| name.clone(), |b| b.title.clone());
    let bank = ServerBank {
        guild_id,
        name,
        file: upload.file.clone(),
        title,
        markdown: text.to_string(),
        questions: u64::try_from(parsed.len()).unwrap_or(u64::MAX),
        added_by: user_id,
        added_at: now,
    };
    Ok((bank, parsed))
}
