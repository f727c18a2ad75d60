-- Each member's memory of each question, timed by FSRS (domain/review.rs):
-- the member's across servers and DMs, so keyed by member and question.
-- Floats are DOUBLE PRECISION (REAL on SQLite), which both backends read
-- back through sqlx's Any driver.
CREATE TABLE memories (
    user_id        BIGINT NOT NULL,
    question_id    TEXT   NOT NULL,
    stability      DOUBLE PRECISION NOT NULL, -- days until recall falls to 90 %
    difficulty     DOUBLE PRECISION NOT NULL, -- 1 to 10
    reviews        BIGINT NOT NULL,
    last_level     TEXT   NOT NULL,
    last_review_at BIGINT NOT NULL,
    due_at         BIGINT NOT NULL,           -- recall falls to the member's retention
    PRIMARY KEY (user_id, question_id)
);
CREATE INDEX memories_due ON memories (due_at);

-- A memory is replayed from the member's clicks on the question in every
-- scope.
CREATE INDEX rating_events_by_member_question ON rating_events (user_id, question_id, rated_at);

-- Replaying needs FSRS, which SQL has not: the histories rated before this
-- migration are queued here and replayed by the bot at start
-- (store/memory.rs), a batch per transaction, so nobody's progress is lost.
CREATE TABLE memories_to_replay (
    user_id     BIGINT NOT NULL,
    question_id TEXT   NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
INSERT INTO memories_to_replay (user_id, question_id)
SELECT DISTINCT user_id, question_id FROM rating_events;

CREATE TABLE member_settings (
    user_id   BIGINT PRIMARY KEY,
    retention BIGINT NOT NULL DEFAULT 90  -- target recall, whole percent (70 to 97)
);

-- Review times now live in memories.
ALTER TABLE ratings DROP COLUMN due_at;
