-- What each member wrote with "Answer first" before comparing it with the
-- guide's answer: the latest per member and question, shown to them alone.
CREATE TABLE typed_answers (
    user_id     BIGINT NOT NULL,
    question_id TEXT   NOT NULL,
    guild_id    BIGINT NOT NULL,  -- where it was written (0: DMs), for /forget-me there
    answer      TEXT   NOT NULL,
    written_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
CREATE INDEX typed_answers_by_guild ON typed_answers (guild_id, user_id);
