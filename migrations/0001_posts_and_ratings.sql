-- One dialect for SQLite and PostgreSQL (see src/store/mod.rs):
-- BIGINT for Discord ids, unix-second times and counts; TEXT for the rest;
-- guild_id 0 means direct messages.

-- Every question shown in a channel; picking avoids repeats per channel.
CREATE TABLE posts (
    id          BIGINT PRIMARY KEY, -- interaction (or message) that made the post
    guild_id    BIGINT NOT NULL,
    channel_id  BIGINT NOT NULL,
    question_id TEXT   NOT NULL,
    source      TEXT   NOT NULL,    -- quiz | daily | review
    posted_at   BIGINT NOT NULL
);
CREATE INDEX posts_by_channel ON posts (channel_id, question_id);

-- Every level click, kept as history; a redelivered click has the same id.
CREATE TABLE rating_events (
    id          BIGINT PRIMARY KEY, -- the click's interaction id
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    question_id TEXT   NOT NULL,
    level       TEXT   NOT NULL,    -- beginner | intermediate | advanced
    source      TEXT   NOT NULL,
    rated_at    BIGINT NOT NULL
);
CREATE INDEX rating_events_by_member ON rating_events (guild_id, user_id, rated_at);

-- The member's latest level per question: what counts.
CREATE TABLE ratings (
    guild_id       BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    question_id    TEXT   NOT NULL,
    level          TEXT   NOT NULL,
    source         TEXT   NOT NULL,
    first_rated_at BIGINT NOT NULL,
    rated_at       BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, question_id)
);
