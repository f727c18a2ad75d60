-- The local date a daily post's retry is for: a retry that falls after
-- local midnight is still that day's post, under that day's claim and
-- nonce.
ALTER TABLE schedules ADD COLUMN pending_date TEXT;
