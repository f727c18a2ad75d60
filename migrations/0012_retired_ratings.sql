-- Ratings of questions a server took away (by removing their bank, or by
-- re-uploading it without them) stay stored but leave the leaderboard:
-- retired = 1. They count again (0) when the question comes back.
ALTER TABLE ratings ADD COLUMN retired BIGINT NOT NULL DEFAULT 0;
