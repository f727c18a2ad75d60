-- Question banks a server's admins uploaded (/bank add), kept as uploaded
-- (decoded to UTF-8) so they can be downloaded again, and parsed again by
-- the bot at any version. A bank is the server's (guild_id) and named by
-- its file's stem, which is also part of its questions' ids.
CREATE TABLE server_banks (
    guild_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL,
    questions BIGINT NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (guild_id, name)
);

-- Per server: whether the built-in banks are hidden there, and a version
-- bumped by every change to the server's banks, so each process's cache of
-- them knows when to load them again.
CREATE TABLE server_bank_settings (
    guild_id BIGINT PRIMARY KEY,
    builtin_hidden BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0
);
