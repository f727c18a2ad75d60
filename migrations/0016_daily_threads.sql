-- A discussion thread on each daily post (/daily set thread:true).
ALTER TABLE schedules ADD COLUMN thread BIGINT NOT NULL DEFAULT 0;  -- 1: open a thread on each post
ALTER TABLE schedules ADD COLUMN thread_failure TEXT;              -- why the last thread could not be made
ALTER TABLE daily_posts ADD COLUMN thread_id BIGINT;               -- set once the post's thread is made
