-- /forget-me in direct messages deletes a member's data in every server:
-- the servers are found through their latest levels, by member.
CREATE INDEX ratings_by_user ON ratings (user_id);
