//! The leaderboard, read from per-member totals (`board_totals`).
//!
//! Aggregating a server's ratings for every board costs time in proportion
//! to members × questions (half a second at 1,000,000 ratings). Instead each
//! rating recomputes its member's rows — a few dozen of their own rows, in
//! the rating's transaction — and a page is a walk down an index.
//!
//! Rolling periods move on without anyone rating: a member's row for the
//! last 7 or 30 days holds until its `valid_until`, when the oldest question
//! (or bonus) it counts leaves the window. A board first recomputes the rows
//! that went stale, so what it shows is exact at the moment it is asked for;
//! an upkeep task does the same for every server once a minute
//! ([`Store::refresh_stale_boards`]), so that a view pays for a minute's
//! worth at most.

use std::collections::HashMap;

use sqlx::Row;

use super::{bind_ids, id_from_key, id_key, placeholders, Store, StoreError};
use crate::domain::level::Level;
use crate::domain::score::Period;
use crate::domain::study::{BoardRequest, BoardRow, BoardSlice};

/// `valid_until` of rows that never go stale (all time): far beyond any
/// rating time, and far from overflowing when added to one.
const NEVER: i64 = i64::MAX / 4;

/// Users recomputed per statement when refreshing stale rows.
const CHUNK: usize = 200;

/// Which members a recomputation covers.
enum Members<'a> {
    One(i64),
    Some(&'a [i64]),
}

impl Store {
    /// A page of a server's board: `limit` rows from `offset`, best first
    /// (ties to whoever reached their score first), plus the caller's rank.
    pub async fn board_page(&self, request: &BoardRequest<'_>) -> Result<BoardSlice, StoreError> {
        let BoardRequest { guild_id, period, category, now, offset, limit, caller } = *request;
        self.refresh_stale_totals(guild_id, period, now).await?;
        let guild = id_key(guild_id);
        let key = period_key(period);
        let category = category.unwrap_or("");
        let rows = sqlx::query(
            "SELECT user_id, score, studied, reached FROM board_totals
             WHERE guild_id = $1 AND period = $2 AND category = $3
             ORDER BY score DESC, reached, user_id LIMIT $4 OFFSET $5",
        )
        .bind(guild)
        .bind(key.as_str())
        .bind(category)
        .bind(i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut rows = rows.iter().map(board_row).collect::<Result<Vec<_>, _>>()?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));

        let mine = sqlx::query(
            "SELECT user_id, score, studied, reached FROM board_totals
             WHERE guild_id = $1 AND user_id = $2 AND period = $3 AND category = $4",
        )
        .bind(guild)
        .bind(id_key(caller))
        .bind(key.as_str())
        .bind(category)
        .fetch_optional(&self.pool)
        .await?;
        let me = match mine {
            None => None,
            Some(row) => {
                let row = board_row(&row)?;
                let ahead: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM board_totals
                     WHERE guild_id = $1 AND period = $2 AND category = $3
                       AND (score > $4 OR (score = $4 AND (reached < $5 OR (reached = $5 AND user_id < $6))))",
                )
                .bind(guild)
                .bind(key.as_str())
                .bind(category)
                .bind(i64::try_from(row.score).unwrap_or(i64::MAX))
                .bind(row.reached)
                .bind(id_key(row.user_id))
                .fetch_one(&self.pool)
                .await?;
                Some((u64::try_from(ahead).unwrap_or(0) + 1, row))
            }
        };
        Ok(BoardSlice { rows, has_next, me })
    }

    /// Per member: the display name they last rated under in this server.
    pub async fn member_names(&self, guild_id: u64, users: &[u64]) -> Result<HashMap<u64, String>, StoreError> {
        let mut names = HashMap::new();
        if users.is_empty() {
            return Ok(names);
        }
        let sql = format!(
            "SELECT user_id, name FROM member_names WHERE guild_id = $1 AND user_id IN ({})",
            placeholders(2, users.len())
        );
        let query = bind_ids(sqlx::query(&sql).bind(id_key(guild_id)), users.iter().map(|&u| id_key(u)));
        for row in query.fetch_all(&self.pool).await? {
            names.insert(id_from_key(row.try_get("user_id")?)?, row.try_get("name")?);
        }
        Ok(names)
    }

    /// Per member: how many questions they last rated 🟢, 🟡 and 🔴.
    pub async fn level_mix(&self, guild_id: u64, users: &[u64]) -> Result<HashMap<u64, [u64; 3]>, StoreError> {
        let mut mix = HashMap::new();
        if users.is_empty() {
            return Ok(mix);
        }
        let sql = format!(
            "SELECT user_id, level, CAST(COUNT(*) AS BIGINT) AS n FROM ratings
             WHERE guild_id = $1 AND user_id IN ({}) AND retired = 0 GROUP BY user_id, level",
            placeholders(2, users.len())
        );
        let query = bind_ids(sqlx::query(&sql).bind(id_key(guild_id)), users.iter().map(|&u| id_key(u)));
        for row in query.fetch_all(&self.pool).await? {
            let user = id_from_key(row.try_get("user_id")?)?;
            let level: String = row.try_get("level")?;
            let level = Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?;
            let n: i64 = row.try_get("n")?;
            mix.entry(user).or_insert([0; 3])[level.index()] = u64::try_from(n).unwrap_or(0);
        }
        Ok(mix)
    }

    /// Recomputes, in every server, the rows of rolling periods that went
    /// stale before `now`, at most `limit` members per period. Returns how
    /// many members were recomputed. Run often, it keeps each board view's
    /// own refresh down to the last few seconds' worth.
    pub async fn refresh_stale_boards(&self, now: i64, limit: u64) -> Result<u64, StoreError> {
        let mut done = 0;
        let mut failure = None;
        // All time too: rows a migration left stale until recomputed.
        for period in Period::ALL {
            let rows = sqlx::query(
                "SELECT DISTINCT guild_id, user_id FROM board_totals WHERE period = $1 AND valid_until < $2
                 ORDER BY guild_id, user_id LIMIT $3",
            )
            .bind(period_key(period))
            .bind(now)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
            let mut by_guild: Vec<(i64, Vec<i64>)> = Vec::new();
            for row in &rows {
                let (guild, user): (i64, i64) = (row.try_get("guild_id")?, row.try_get("user_id")?);
                match by_guild.last_mut() {
                    Some((g, users)) if *g == guild => users.push(user),
                    _ => by_guild.push((guild, vec![user])),
                }
            }
            // One server's failure must not hold up the others.
            for (guild, users) in by_guild {
                match self.refresh_members(guild, period, &users, now).await {
                    Ok(()) => done += users.len() as u64,
                    Err(e) => failure = Some(e),
                }
            }
        }
        match failure {
            Some(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    /// Recomputes the rows of every member whose row for `period` went
    /// stale before `now` in one server.
    async fn refresh_stale_totals(&self, guild_id: u64, period: Period, now: i64) -> Result<(), StoreError> {
        let guild = id_key(guild_id);
        let stale: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM board_totals WHERE period = $1 AND valid_until < $2 AND guild_id = $3
             ORDER BY user_id",
        )
        .bind(period_key(period))
        .bind(now)
        .bind(guild)
        .fetch_all(&self.pool)
        .await?;
        self.refresh_members(guild, period, &stale, now).await
    }

    /// Recomputes some members' rows for one period. One transaction per
    /// chunk of members, starting with a write so that SQLite takes the
    /// write lock up front; members in id order, so that two processes
    /// refreshing the same members on PostgreSQL lock them in one order.
    async fn refresh_members(&self, guild: i64, period: Period, users: &[i64], now: i64) -> Result<(), StoreError> {
        for users in users.chunks(CHUNK) {
            let mut tx = self.pool.begin().await?;
            // First lock the members' all-time rows, as a rating and
            // /forget-me do before touching a member's figures: on
            // PostgreSQL each of those then computes from what the other
            // committed, never from a snapshot taken before it.
            let sql = format!(
                "UPDATE board_totals SET valid_until = valid_until
                 WHERE guild_id = $1 AND period = 'a' AND category = '' AND user_id IN ({})",
                placeholders(2, users.len())
            );
            bind_ids(sqlx::query(&sql).bind(guild), users.iter().copied()).execute(&mut *tx).await?;
            let sql = format!(
                "DELETE FROM board_totals WHERE guild_id = $1 AND period = $2 AND user_id IN ({})",
                placeholders(3, users.len())
            );
            let delete = sqlx::query(&sql).bind(guild).bind(period_key(period));
            bind_ids(delete, users.iter().copied()).execute(&mut *tx).await?;
            recompute(&mut tx, guild, Members::Some(users), &[period], now).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// Recomputes one member's board rows for every period, as of `now`
/// (the rating being recorded). Runs in the rating's transaction.
pub(super) async fn recompute_member(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    user: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM board_totals WHERE guild_id = $1 AND user_id = $2")
        .bind(guild)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    recompute(tx, guild, Members::One(user), &Period::ALL, now).await?;
    Ok(())
}

/// Inserts (or replaces) the rows of `members` for `periods`: per
/// category and for all categories (`''`), from their latest ratings. One
/// statement for all the periods: a level click pays one round trip to the
/// database instead of three.
async fn recompute(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guild: i64,
    members: Members<'_>,
    periods: &[Period],
    now: i64,
) -> Result<(), StoreError> {
    // $1 guild; per period three: key, window start, window length; then
    // the members.
    let first_member = 2 + 3 * periods.len();
    let who = match &members {
        Members::One(_) => format!("user_id = ${first_member}"),
        Members::Some(users) => format!("user_id IN ({})", placeholders(first_member, users.len())),
    };
    let sql = recompute_sql(1, &who, periods.len(), 2);
    let mut query = sqlx::query(&sql).bind(guild);
    for (key, since, window) in period_values(periods, now) {
        query = query.bind(key).bind(since).bind(window);
    }
    let query = match members {
        Members::One(user) => query.bind(user),
        Members::Some(users) => bind_ids(query, users.iter().copied()),
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

/// The statements that recompute one member's rows for every period as of
/// a click, inside the click's script (`writes.rs`): `$guild` and `$user`
/// name the member, and the periods' values ([`period_values`] of
/// [`Period::ALL`]) are bound from `$first_period` on.
pub(super) fn recompute_member_sql(guild: usize, user: usize, first_period: usize) -> [String; 2] {
    [
        format!("DELETE FROM board_totals WHERE guild_id = ${guild} AND user_id = ${user}"),
        recompute_sql(guild, &format!("user_id = ${user}"), Period::ALL.len(), first_period),
    ]
}

/// The one statement that brings a member's rows up to date after a click
/// in category `$category` (a question that kept its category): only that
/// category's rows and the all-categories rows can have changed, and both
/// exist after the click, so they are upserted in place. The member's
/// other rows are left as they are: recomputing them all, as
/// [`recompute_member_sql`] does, rewrote some 27 rows in three indexes,
/// two thirds of the pages a click wrote to disk. Those of them that went
/// stale meanwhile are recomputed by the next board view or the upkeep
/// task, as they would be without the click.
pub(super) fn recompute_click_sql(guild: usize, user: usize, category: usize, first_period: usize) -> String {
    recompute_sql_of(guild, &format!("user_id = ${user}"), Period::ALL.len(), first_period, Some(category))
}

/// Each period's key, window start as of `now`, and window length: the
/// three values [`recompute_sql`] binds per period.
pub(super) fn period_values(periods: &[Period], now: i64) -> impl Iterator<Item = (String, i64, i64)> + '_ {
    periods.iter().map(move |p| (period_key(*p), p.since(now), p.window().unwrap_or(NEVER)))
}

/// The recomputation of the members `who` selects, in server `$guild`,
/// for `periods` periods whose values start at `$first_period`.
fn recompute_sql(guild: usize, who: &str, periods: usize, first_period: usize) -> String {
    recompute_sql_of(guild, who, periods, first_period, None)
}

/// [`recompute_sql`] for every category, or for `$category` alone (and the
/// all-categories rows).
fn recompute_sql_of(guild: usize, who: &str, periods: usize, first_period: usize, category: Option<usize>) -> String {
    let select = |p: usize, category: &str, group: &str, only: &str| {
        let (key, since, window) = (p, p + 1, p + 2);
        format!(
            "SELECT guild_id, user_id, ${key} AS period, {category} AS category,
                CAST(SUM(weight + CASE WHEN bonus_at > 0 AND bonus_at >= ${since} THEN bonus ELSE 0 END) AS BIGINT) AS score,
                CAST(COUNT(*) AS BIGINT) AS studied,
                CAST(MAX(first_rated_at) AS BIGINT) AS reached,
                CAST(MIN(CASE WHEN bonus_at > 0 AND bonus_at >= ${since} THEN bonus_at ELSE rated_at END) + ${window}
                    AS BIGINT) AS valid_until
             FROM ratings WHERE guild_id = ${guild} AND {who} AND retired = 0 AND rated_at >= ${since}{only}
             GROUP BY guild_id, user_id{group}"
        )
    };
    let categories = match category {
        None => " AND category <> ''".to_string(),
        Some(c) => format!(" AND category <> '' AND category = ${c}"),
    };
    // '' is the all-categories row: a rating without a category (from
    // before categories were stored) counts only there.
    let selects: Vec<String> = (0..periods)
        .flat_map(|k| {
            let p = first_period + 3 * k;
            [select(p, "category", ", category", &categories), select(p, "''", "", "")]
        })
        .collect();
    // A concurrent recomputation of the same member (PostgreSQL) may have
    // inserted rows since this transaction deleted them, and a click's
    // delta updates rows in place: replace them, but leave a row that
    // would not change unwritten (each row written is a page of each of
    // the table's indexes to write to disk).
    format!(
        "INSERT INTO board_totals (guild_id, user_id, period, category, score, studied, reached, valid_until)
         SELECT * FROM ({}) AS t WHERE true
         ON CONFLICT (guild_id, user_id, period, category) DO UPDATE SET
            score = excluded.score, studied = excluded.studied,
            reached = excluded.reached, valid_until = excluded.valid_until
         WHERE board_totals.score <> excluded.score OR board_totals.studied <> excluded.studied
            OR board_totals.reached <> excluded.reached OR board_totals.valid_until <> excluded.valid_until",
        selects.join(" UNION ALL ")
    )
}

/// A period as stored in `board_totals`: its stable code.
fn period_key(period: Period) -> String {
    period.code().to_string()
}

fn board_row(row: &sqlx::any::AnyRow) -> Result<BoardRow, StoreError> {
    let count =
        |name: &str| -> Result<u64, StoreError> { Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0)) };
    Ok(BoardRow {
        user_id: id_from_key(row.try_get("user_id")?)?,
        score: count("score")?,
        studied: count("studied")?,
        reached: row.try_get("reached")?,
    })
}
