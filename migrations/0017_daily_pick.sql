-- How a daily schedule picks its question: rotate | weakest | fresh
-- (domain/bank/pick.rs).
ALTER TABLE schedules ADD COLUMN pick TEXT NOT NULL DEFAULT 'rotate';
-- weakest skips what the channel was asked recently; /daily history lists
-- a channel's daily questions.
CREATE INDEX posts_by_channel_source_time ON posts (channel_id, source, posted_at);
