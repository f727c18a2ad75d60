//! A server's own question banks and its bank settings.
//!
//! Every change bumps the server's `version` in the same transaction, so a
//! process that cached the server's parsed banks sees, with one indexed
//! read, whether they are still current.

use sqlx::Row;

use super::{bind_texts, id_from_key, id_key, placeholders, Store, StoreError};
use crate::domain::bank::server::{ServerBank, ServerBankInfo};
use crate::domain::bank::QuestionId;
use crate::domain::score::Period;

/// Question ids per statement when retiring or restoring ratings.
const CHUNK: usize = 500;

/// Bumps a server's bank version (creating its settings row).
const BUMP: &str = "INSERT INTO server_bank_settings (guild_id, builtin_hidden, version) VALUES ($1, 0, 1)
     ON CONFLICT (guild_id) DO UPDATE SET version = server_bank_settings.version + 1";

/// The columns [`bank_from_row`] reads, in its order.
const BANK_COLUMNS: &str = "name, file, title, markdown, questions, added_by, added_at";

fn bank_from_row(guild_id: u64, r: &sqlx::any::AnyRow) -> Result<ServerBank, StoreError> {
    Ok(ServerBank {
        guild_id,
        name: r.try_get(0)?,
        file: r.try_get(1)?,
        title: r.try_get(2)?,
        markdown: r.try_get(3)?,
        questions: id_from_key(r.try_get(4)?)?,
        added_by: id_from_key(r.try_get(5)?)?,
        added_at: r.try_get(6)?,
    })
}

/// A server's bank settings as a cache needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankVersion {
    /// Changes with every upload, removal or setting.
    pub version: i64,
    pub builtin_hidden: bool,
}

impl Store {
    /// The server's bank version, `None` if it never had banks or settings.
    pub async fn bank_version(&self, guild_id: u64) -> Result<Option<BankVersion>, StoreError> {
        let row = sqlx::query("SELECT version, builtin_hidden FROM server_bank_settings WHERE guild_id = $1")
            .bind(id_key(guild_id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(BankVersion { version: r.try_get(0)?, builtin_hidden: r.try_get::<i64, _>(1)? != 0 }))
            .transpose()
    }

    /// The server's banks with their text, by name.
    pub async fn server_banks(&self, guild_id: u64) -> Result<Vec<ServerBank>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {BANK_COLUMNS} FROM server_banks WHERE guild_id = $1 ORDER BY name"))
            .bind(id_key(guild_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| bank_from_row(guild_id, r)).collect()
    }

    /// One of the server's banks with its text.
    pub async fn server_bank(&self, guild_id: u64, name: &str) -> Result<Option<ServerBank>, StoreError> {
        let row = sqlx::query(&format!("SELECT {BANK_COLUMNS} FROM server_banks WHERE guild_id = $1 AND name = $2"))
            .bind(id_key(guild_id))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| bank_from_row(guild_id, &r)).transpose()
    }

    /// The server's banks without their text, by name.
    pub async fn server_bank_infos(&self, guild_id: u64) -> Result<Vec<ServerBankInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, title, questions, added_by, added_at FROM server_banks WHERE guild_id = $1 ORDER BY name",
        )
        .bind(id_key(guild_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ServerBankInfo {
                    name: r.try_get(0)?,
                    title: r.try_get(1)?,
                    questions: id_from_key(r.try_get(2)?)?,
                    added_by: id_from_key(r.try_get(3)?)?,
                    added_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Stores banks, each replacing the server's bank of the same name, in
    /// one transaction, with the server's ratings of `retire` leaving the
    /// leaderboard and those of `restore` counting again.
    pub async fn save_server_banks(
        &self,
        guild_id: u64,
        banks: &[ServerBank],
        retire: &[QuestionId],
        restore: &[QuestionId],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(BUMP).bind(id_key(guild_id)).execute(&mut *tx).await?;
        mark_retired(&mut tx, guild_id, retire, true).await?;
        mark_retired(&mut tx, guild_id, restore, false).await?;
        for b in banks {
            sqlx::query(
                "INSERT INTO server_banks (guild_id, name, file, title, markdown, questions, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (guild_id, name) DO UPDATE SET file = excluded.file, title = excluded.title,
                    markdown = excluded.markdown, questions = excluded.questions,
                    added_by = excluded.added_by, added_at = excluded.added_at",
            )
            .bind(id_key(b.guild_id))
            .bind(&b.name)
            .bind(&b.file)
            .bind(&b.title)
            .bind(&b.markdown)
            .bind(id_key(b.questions))
            .bind(id_key(b.added_by))
            .bind(b.added_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes one of the server's banks, its questions' ratings leaving
    /// the leaderboard (`retire`); `false` if it had none of that name.
    pub async fn remove_server_bank(
        &self,
        guild_id: u64,
        name: &str,
        retire: &[QuestionId],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(BUMP).bind(id_key(guild_id)).execute(&mut *tx).await?;
        mark_retired(&mut tx, guild_id, retire, true).await?;
        let done = sqlx::query("DELETE FROM server_banks WHERE guild_id = $1 AND name = $2")
            .bind(id_key(guild_id))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Hides or shows the built-in banks in a server.
    pub async fn set_builtin_hidden(&self, guild_id: u64, hidden: bool) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(BUMP).bind(id_key(guild_id)).execute(&mut *tx).await?;
        sqlx::query("UPDATE server_bank_settings SET builtin_hidden = $2 WHERE guild_id = $1")
            .bind(id_key(guild_id))
            .bind(i64::from(hidden))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Sets `retired` on the server's ratings of `questions`, and makes the
/// board rows of the members who rated them stale, so that the next view
/// (or the upkeep) recomputes them: a few statements, however many members,
/// so the write lock is held briefly. A member with no row in a period
/// gets a stale placeholder there (their ratings may count again). Board
/// rows first: every writer takes a member's board row before their
/// ratings (see `store::writes::lock_member`).
async fn mark_retired(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild_id: u64,
    questions: &[QuestionId],
    retired: bool,
) -> Result<(), StoreError> {
    let (guild, flag) = (id_key(guild_id), i64::from(retired));
    // $1 the server, $2 the new flag; the question ids from `first` on.
    let raters = |first: usize, n: usize| {
        format!(
            "SELECT DISTINCT user_id FROM ratings WHERE guild_id = $1 AND retired <> $2 AND question_id IN ({})",
            placeholders(first, n)
        )
    };
    for chunk in questions.chunks(CHUNK) {
        let ids = || chunk.iter().map(QuestionId::as_str);
        let sql = format!(
            "UPDATE board_totals SET valid_until = 0 WHERE guild_id = $1 AND user_id IN ({})",
            raters(3, chunk.len())
        );
        bind_texts(sqlx::query(&sql).bind(guild).bind(flag), ids()).execute(&mut **tx).await?;
        for period in Period::ALL {
            let sql = format!(
                "INSERT INTO board_totals (guild_id, user_id, period, category, score, studied, reached, valid_until)
                 SELECT $1, user_id, $3, '', 0, 0, 0, 0 FROM ({}) AS raters WHERE true
                 ON CONFLICT (guild_id, user_id, period, category) DO NOTHING",
                raters(4, chunk.len())
            );
            let query = sqlx::query(&sql).bind(guild).bind(flag).bind(period.code().to_string());
            bind_texts(query, ids()).execute(&mut **tx).await?;
        }
        let sql = format!(
            "UPDATE ratings SET retired = $2 WHERE guild_id = $1 AND retired <> $2 AND question_id IN ({})",
            placeholders(3, chunk.len())
        );
        bind_texts(sqlx::query(&sql).bind(guild).bind(flag), ids()).execute(&mut **tx).await?;
    }
    Ok(())
}
