-- How often each question was shown in each channel, kept up to date with
-- every post: picking a channel's next question reads one row per question
-- instead of counting the channel's whole history of posts, which grows
-- without end (5,000 posts in one channel made /quiz take milliseconds).
CREATE TABLE post_counts (
    channel_id  BIGINT NOT NULL,
    question_id TEXT   NOT NULL,
    shown       BIGINT NOT NULL,
    PRIMARY KEY (channel_id, question_id)
);

INSERT INTO post_counts (channel_id, question_id, shown)
SELECT channel_id, question_id, CAST(COUNT(*) AS BIGINT) FROM posts GROUP BY channel_id, question_id;
