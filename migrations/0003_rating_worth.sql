-- What each rating is worth, fixed when it is made (banks change later):
-- the question's difficulty weight, +1 for a question of the day rated on
-- its day; and the question's category, for per-category boards.
ALTER TABLE rating_events ADD COLUMN points BIGINT NOT NULL DEFAULT 1;
ALTER TABLE rating_events ADD COLUMN category TEXT NOT NULL DEFAULT '';
-- Leaderboards read a server's ratings in a period.
CREATE INDEX rating_events_by_guild_time ON rating_events (guild_id, rated_at);
