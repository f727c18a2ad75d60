-- How a daily schedule picks its question: rotate | weakest | fresh
-- (domain/bank/pick.rs).
ALTER TABLE schedules ADD COLUMN pick TEXT NOT NULL DEFAULT 'rotate';
-- weakest skips what the channel was asked recently.
CREATE INDEX posts_by_channel_time ON posts (channel_id, posted_at);
