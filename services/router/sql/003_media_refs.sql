-- Messages that carry media: media id -> (conversation, seq). A side table
-- (DESIGN.md "Storage") so "may user X read media M?" (msg.media_access)
-- does not need an index on msg.messages, which can later be distributed
-- by conversation id. Filled with an image/voice message, emptied by its
-- recall.
CREATE TABLE msg.media_refs (
    media_id        bigint NOT NULL,
    conversation_id text   NOT NULL,
    seq             bigint NOT NULL,
    PRIMARY KEY (media_id, conversation_id, seq)
);
