-- /daily history counts, per question, the members of the server who
-- rated it.
CREATE INDEX ratings_by_guild_question ON ratings (guild_id, question_id);
