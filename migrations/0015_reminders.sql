-- Personal review reminders (/remind): a DM at the member's local time on
-- days when reviews are due.
CREATE TABLE reminders (
    user_id       BIGINT PRIMARY KEY,
    local_minutes BIGINT NOT NULL,   -- minutes after local midnight
    timezone      TEXT   NOT NULL,   -- IANA name
    next_due_at   BIGINT NOT NULL,   -- unix seconds of the next reminder (or of its retry)
    pending_date  TEXT,              -- the local date a retry is for, NULL when none is pending
    enabled       BIGINT NOT NULL DEFAULT 1,
    turned_off    TEXT,              -- why the bot turned it off (a code), until the member is told
    updated_at    BIGINT NOT NULL
);
CREATE INDEX reminders_due ON reminders (enabled, next_due_at);

-- One claim per member and local day, like daily_posts: whoever holds it
-- sends that day's reminder; message_id 0 means nothing was due.
CREATE TABLE reminder_sends (
    user_id     BIGINT NOT NULL,
    local_date  TEXT   NOT NULL,     -- YYYY-MM-DD in the reminder's zone
    claimed_by  TEXT   NOT NULL,
    lease_until BIGINT NOT NULL,
    claimed_at  BIGINT NOT NULL,     -- the first claim: past the nonce window, no second try
    message_id  BIGINT,
    sent_at     BIGINT,
    PRIMARY KEY (user_id, local_date)
);
