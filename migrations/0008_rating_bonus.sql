-- The on-time bonus a rating earned, fixed when it is made like its weight
-- (the score rule lives in the code, src/domain/score.rs; the SQL only adds
-- up what it was given). Ratings made before carried the bonus of 1.
ALTER TABLE ratings ADD COLUMN bonus BIGINT NOT NULL DEFAULT 1;
