-- Figures the study commands read, kept up to date in each rating's
-- transaction so that a board or /stats never aggregates a server's whole
-- history (issue 4: 50 ms at 1,000,000 ratings).

-- The leaderboard, one row per member, period and category ('' for all).
-- A rolling period's row holds until `valid_until`, when its oldest counted
-- question (or bonus) leaves the window; boards recompute stale rows first.
CREATE TABLE board_totals (
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    period      TEXT   NOT NULL,   -- w (7 days) | m (30 days) | a (all time)
    category    TEXT   NOT NULL,   -- '' for all categories
    score       BIGINT NOT NULL,
    studied     BIGINT NOT NULL,   -- distinct questions counted
    reached     BIGINT NOT NULL,   -- first rating of the last counted question
    valid_until BIGINT NOT NULL,   -- unix seconds
    PRIMARY KEY (guild_id, user_id, period, category)
);
-- A page is a walk down this index; a rank is a count along it.
CREATE INDEX board_totals_rank ON board_totals (guild_id, period, category, score DESC, reached, user_id);
-- Rows to recompute, in every server (the upkeep task) or in one.
CREATE INDEX board_totals_stale ON board_totals (period, valid_until, guild_id, user_id);

-- Existing ratings: every member's rows, already stale, so the first board
-- of each period computes them.
INSERT INTO board_totals (guild_id, user_id, period, category, score, studied, reached, valid_until)
SELECT guild_id, user_id, p.period, '', 0, 0, 0, 0
FROM (SELECT DISTINCT guild_id, user_id FROM ratings) AS m,
     (SELECT 'w' AS period UNION ALL SELECT 'm' UNION ALL SELECT 'a') AS p;

-- Days each member studied in a server (in the server's daily-question
-- zone at the time, else UTC), for streaks and the 14-day strip.
CREATE TABLE study_days (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    day      BIGINT NOT NULL,      -- days since 1970-01-01
    ratings  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, day)
);
INSERT INTO study_days (guild_id, user_id, day, ratings)
SELECT guild_id, user_id, rated_at / 86400, COUNT(*) FROM rating_events
GROUP BY guild_id, user_id, rated_at / 86400;

-- When each question is due for review (0: not computed yet; the store
-- fills these in at start), from its ratings in order.
ALTER TABLE ratings ADD COLUMN due_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX rating_events_by_question ON rating_events (guild_id, user_id, question_id, rated_at, id);

-- Boards no longer scan a server's ratings by time; these indexes would
-- only slow every rating down (and mislead the planner away from the
-- member's own rows).
DROP INDEX ratings_by_guild_time;
DROP INDEX rating_events_by_guild_time;
