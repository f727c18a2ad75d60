-- When a day's post was first claimed. A claim retried or taken over after
-- Discord's nonce window ("a few minutes") may already be in the channel;
-- the scheduler looks for it there, from this time on, before sending it
-- again. Claims made before this column: unknown (NULL), looked for all
-- the same.
ALTER TABLE daily_posts ADD COLUMN claimed_at BIGINT;
