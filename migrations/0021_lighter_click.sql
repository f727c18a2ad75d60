-- A level click writes each index of the tables it touches, and every page
-- it writes goes to disk before the member is answered (issue 16). This
-- index served the per-server history of a question, which the click no
-- longer reads: its history is the member's across servers, through
-- rating_events_by_member_question, and the per-member reads
-- (/forget-me, the history, the recap) go through rating_events_by_member.
DROP INDEX rating_events_by_question;
