-- The leaderboard reads one row per member and question (ratings) instead
-- of every click (rating_events): the question's weight and category, and
-- when it was last rated on its day as the question of the day (0: never).
ALTER TABLE ratings ADD COLUMN weight BIGINT NOT NULL DEFAULT 1;
ALTER TABLE ratings ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE ratings ADD COLUMN bonus_at BIGINT NOT NULL DEFAULT 0;
UPDATE ratings SET
    weight = COALESCE((SELECT MIN(e.points) FROM rating_events e
                       WHERE e.guild_id = ratings.guild_id AND e.user_id = ratings.user_id
                         AND e.question_id = ratings.question_id), 1),
    category = COALESCE((SELECT MAX(e.category) FROM rating_events e
                         WHERE e.guild_id = ratings.guild_id AND e.user_id = ratings.user_id
                           AND e.question_id = ratings.question_id), '');
-- Boards filter a server's rows by last rating time.
CREATE INDEX ratings_by_guild_time ON ratings (guild_id, rated_at);
