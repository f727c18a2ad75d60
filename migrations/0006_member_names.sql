-- The name each member had when they last rated in a server, so a board
-- can name members Discord no longer shows (they left the server, or the
-- client has not loaded them): the bot keeps no member cache.
CREATE TABLE member_names (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
