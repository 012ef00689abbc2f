-- Schema msg: conversations, messages, idempotency keys, per-user read state.
-- docs/messaging.md explains the design; the short version:
--
-- * Every conversation has a gap-free seq: the next one is taken with an
--   upsert on msg.conversations (INSERT ... ON CONFLICT DO UPDATE SET
--   last_seq = last_seq + 1 RETURNING last_seq) in the transaction that
--   inserts the message. last_seq, counted and updated_at change on every
--   message and carry no index, so those updates stay HOT.
-- * Messages are stored once per conversation (read diffusion): a group
--   message will cost one row, not one per member.
-- * Unread is counted without a write per member: conversations.counted is a
--   running count of countable messages (all but recall markers), each
--   message keeps the count up to itself, and a member stores the count at
--   their read position: unread = counted - read_count.
-- * Lookups that do not start from a conversation go through side tables
--   (client_ids), so messages can later be distributed by conversation id.

CREATE TABLE msg.conversations (
    id         text        PRIMARY KEY,            -- 'd:<a>:<b>' (a < b) or 'g:<group_id>'
    kind       text        NOT NULL CHECK (kind IN ('direct', 'group')),
    last_seq   bigint      NOT NULL DEFAULT 0,     -- seq of the newest message
    counted    bigint      NOT NULL DEFAULT 0,     -- countable messages so far
    updated_at timestamptz NOT NULL DEFAULT now()  -- time of the newest message
);

CREATE TABLE msg.messages (
    conversation_id text        NOT NULL,
    seq             bigint      NOT NULL,
    sender_id       bigint      NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('text', 'image', 'voice', 'system')),
    text            text,                          -- NULL once recalled
    media_id        bigint,                        -- NULL once recalled
    client_msg_id   text,                          -- NULL for system messages
    counted         bigint      NOT NULL,          -- conversations.counted up to this message
    created_at      timestamptz NOT NULL DEFAULT now(),
    recalled        boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (conversation_id, seq)
);

-- (sender, client_msg_id) -> (conversation, seq): idempotent sends. The row
-- is inserted first, with ON CONFLICT DO NOTHING, so a concurrent duplicate
-- waits for the first and then takes no seq at all.
CREATE TABLE msg.client_ids (
    sender_id       bigint NOT NULL,
    client_msg_id   text   NOT NULL,
    conversation_id text   NOT NULL,
    seq             bigint NOT NULL,               -- 0 only inside the inserting transaction
    request_id      text,                          -- RPC request id of the first send, so a
                                                   -- retry with it (Idempotency-Key) gets 201 again
    PRIMARY KEY (sender_id, client_msg_id)
);

-- A user's conversations and read position in each. "My conversations" is a
-- range scan of the primary key; the ones of a conversation use the index.
CREATE TABLE msg.members (
    user_id         bigint NOT NULL,
    conversation_id text   NOT NULL,
    read_seq        bigint NOT NULL DEFAULT 0,     -- never goes backwards
    read_count      bigint NOT NULL DEFAULT 0,     -- messages.counted at read_seq
    PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX members_conversation_idx ON msg.members (conversation_id, user_id);
