-- Group conversations (docs/messaging.md, "Groups"). A group message is one
-- row of msg.messages in 'g:<group_id>' (read diffusion); who may read which
-- seqs is kept per member as ranges, written by the outbox consumer
-- (router_outbox.c) from pigeon-group's membership changes.

-- The consumer's cursor: the highest membership change id applied. One row;
-- every batch of changes is applied under its row lock (SELECT ... FOR
-- UPDATE), so several router copies never apply a change twice.
CREATE TABLE msg.group_cursor (
    id             integer PRIMARY KEY CHECK (id = 1),
    last_change_id bigint  NOT NULL DEFAULT 0   -- grp.membership_changes id, applied up to here
);
INSERT INTO msg.group_cursor (id, last_change_id) VALUES (1, 0);

-- A member's readable seqs: one row per membership period. from_seq is the
-- message that made them a member (group_created or their join message),
-- to_seq the one that ended it (left, removed, dismissed; inclusive), NULL
-- while they are a member. A user with any row may read the conversation.
CREATE TABLE msg.group_ranges (
    conversation_id text   NOT NULL,            -- 'g:<group_id>'
    user_id         bigint NOT NULL,
    from_seq        bigint NOT NULL,            -- first readable seq (their join message)
    to_seq          bigint,                     -- last readable seq; NULL: open
    PRIMARY KEY (conversation_id, user_id, from_seq),
    CHECK (to_seq IS NULL OR to_seq >= from_seq)
);
-- At most one open period per member: the send path checks it.
CREATE UNIQUE INDEX group_ranges_open_idx ON msg.group_ranges (conversation_id, user_id)
    WHERE to_seq IS NULL;

-- For a former member the conversation list stops at the end of their last
-- period: members.visible_to is that seq (NULL: a current member, or a
-- direct conversation). Written only by the consumer.
ALTER TABLE msg.members ADD COLUMN visible_to bigint;
