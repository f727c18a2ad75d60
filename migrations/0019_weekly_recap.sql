-- The weekly recap of a daily-question channel (domain/schedule/recap.rs).
ALTER TABLE schedules ADD COLUMN recap_weekday BIGINT NOT NULL DEFAULT 0; -- 0: none; 1 Monday .. 7 Sunday
ALTER TABLE schedules ADD COLUMN next_recap_at BIGINT;                    -- unix seconds of the next recap
CREATE INDEX schedules_recap_due ON schedules (next_recap_at);

-- One claim per channel and recap date, like daily_posts: posted once.
CREATE TABLE recap_posts (
    channel_id  BIGINT NOT NULL,
    local_date  TEXT   NOT NULL,   -- the recap's local date
    claimed_by  TEXT   NOT NULL,
    lease_until BIGINT NOT NULL,
    message_id  BIGINT,
    posted_at   BIGINT,
    PRIMARY KEY (channel_id, local_date)
);

-- A server's ratings of a week.
CREATE INDEX rating_events_by_guild_time ON rating_events (guild_id, rated_at);
