-- Schema rel: one-way contacts, friendships, friend requests, blocks.
--
-- Storage shape: one row per (owner, peer) direction in rel.contacts. A
-- one_way add is one row (adder -> added); a friendship is two rows of kind
-- 'friend', written together in one transaction, so each side keeps its own
-- remark and every question ("what is X to me?", "may A message B?") is a
-- primary-key probe. "follower" is never stored: it is the other side's
-- one_way row seen from the added user.
--
-- Concurrency: every write that touches the relation between two users first
-- takes a transaction-scoped advisory lock on the ordered pair (see
-- rel_store_lock_pair), so the decisions of rel_rules.c are made on a state
-- nobody else is changing. The constraints below are the backstop: at most
-- one pending request per direction, at most one row per direction.

CREATE TABLE rel.contacts (
    owner_id bigint NOT NULL,
    peer_id  bigint NOT NULL,
    kind     text   NOT NULL CHECK (kind IN ('one_way', 'friend')),
    remark   text,                              -- the owner's private note, 1..64 characters
    since    timestamptz NOT NULL DEFAULT now(),-- when this kind began (acceptance for friends)
    PRIMARY KEY (owner_id, peer_id),
    CHECK (owner_id <> peer_id)
);
-- Followers: the rows that name me as peer.
CREATE INDEX contacts_peer_idx ON rel.contacts (peer_id);

CREATE TABLE rel.friend_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id     bigint NOT NULL,
    to_id       bigint NOT NULL,
    message     text,                           -- shown to the target, 1..200 characters
    remark      text,                           -- the sender's remark, applied on acceptance
    status      text   NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,                    -- when it left 'pending'
    decided_by  bigint,                         -- who moved it out of 'pending'
    CHECK (from_id <> to_id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- A second pending request in the same direction is a conflict.
CREATE UNIQUE INDEX friend_requests_pending_pair_idx
    ON rel.friend_requests (from_id, to_id) WHERE status = 'pending';
-- Pending lists, incoming and outgoing.
CREATE INDEX friend_requests_pending_to_idx
    ON rel.friend_requests (to_id, id) WHERE status = 'pending';
CREATE INDEX friend_requests_pending_from_idx
    ON rel.friend_requests (from_id, id) WHERE status = 'pending';

CREATE TABLE rel.blocks (
    owner_id   bigint NOT NULL,                 -- who blocks
    blocked_id bigint NOT NULL,                 -- whom
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, blocked_id),
    CHECK (owner_id <> blocked_id)
);
