-- Daily questions: one schedule per channel, and one claim per schedule and
-- local date, which is what makes a daily post happen exactly once.

CREATE TABLE schedules (
    channel_id     BIGINT PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    local_minutes  BIGINT NOT NULL,  -- post time, minutes after local midnight
    timezone       TEXT   NOT NULL,  -- IANA name
    category       TEXT,             -- NULL: any
    difficulty     TEXT,             -- NULL: any
    ping_role_id   BIGINT,           -- NULL: no ping
    next_due_at    BIGINT NOT NULL,  -- unix seconds of the next post
    last_posted_at BIGINT,
    failure        TEXT,             -- why the last attempt failed, NULL when fine
    failing_days   BIGINT NOT NULL DEFAULT 0,
    paused         BIGINT NOT NULL DEFAULT 0, -- 1 after 3 failing days, until /daily set
    updated_at     BIGINT NOT NULL
);
-- The scheduler's one query: the earliest due, active schedules.
CREATE INDEX schedules_due ON schedules (paused, next_due_at);
CREATE INDEX schedules_by_guild ON schedules (guild_id);

CREATE TABLE daily_posts (
    channel_id  BIGINT NOT NULL,
    local_date  TEXT   NOT NULL,     -- YYYY-MM-DD in the schedule's zone
    question_id TEXT   NOT NULL,
    nonce       TEXT   NOT NULL,     -- sent with enforce_nonce: a retry cannot post twice
    claimed_by  TEXT   NOT NULL,     -- which process holds the claim
    lease_until BIGINT NOT NULL,     -- after this, another process may finish the post
    message_id  BIGINT,              -- set once the post is made
    posted_at   BIGINT,
    PRIMARY KEY (channel_id, local_date)
);
