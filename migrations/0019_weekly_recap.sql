-- The weekly recap of a daily-question channel (domain/schedule/recap.rs).
ALTER TABLE schedules ADD COLUMN recap_weekday BIGINT NOT NULL DEFAULT 0; -- 0: none; 1 Monday .. 7 Sunday
ALTER TABLE schedules ADD COLUMN next_recap_at BIGINT;                    -- unix seconds of the next recap (or its retry)
ALTER TABLE schedules ADD COLUMN recap_pending TEXT;                      -- the recap date a retry is for
CREATE INDEX schedules_recap_due ON schedules (paused, next_recap_at);

-- One claim per channel and recap date, like daily_posts: posted once.
CREATE TABLE recap_posts (
    channel_id  BIGINT NOT NULL,
    local_date  TEXT   NOT NULL,   -- the recap's local date
    claimed_by  TEXT   NOT NULL,
    lease_until BIGINT NOT NULL,
    claimed_at  BIGINT NOT NULL,   -- the first claim: past the nonce window, no second try
    message_id  BIGINT,            -- 0: given up
    posted_at   BIGINT,
    PRIMARY KEY (channel_id, local_date)
);
