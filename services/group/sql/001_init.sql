-- Schema grp: groups, members, join requests, the membership outbox and the
-- name search index.
--
-- Concurrency: every write that touches a group's membership first locks its
-- row in grp.groups (SELECT ... FOR UPDATE, grp_store_lock_group), then
-- re-reads what it decides on. So two joins of the same user serialise (the
-- second sees the member row: 409), two approvals of one request serialise
-- (the second sees it decided: 409), and member_count, updated in the same
-- transaction, stays exact. The primary key of grp.members and the partial
-- unique index on pending requests are the backstop.

CREATE TABLE grp.groups (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text   NOT NULL,                    -- 1..64 characters
    name_key     text   NOT NULL,                    -- name case-folded (pc_bigram_fold), for search
    description  text,                               -- 1..500 characters, or null
    owner_id     bigint NOT NULL,
    join_policy  text   NOT NULL DEFAULT 'approval'
                 CHECK (join_policy IN ('open', 'approval', 'invite_only')),
    member_count integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz                         -- set once by grp.dismiss; accepts nothing after
);
-- Search order (member_count desc, id) over listed groups.
CREATE INDEX groups_listed_order_idx ON grp.groups (member_count DESC, id)
    WHERE dismissed_at IS NULL AND join_policy <> 'invite_only';

CREATE TABLE grp.members (
    group_id    bigint NOT NULL REFERENCES grp.groups (id),
    user_id     bigint NOT NULL,
    role        text   NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    muted_until timestamptz,                         -- may not post before this; null: not muted
    PRIMARY KEY (group_id, user_id)
);
-- "My groups".
CREATE INDEX members_user_idx ON grp.members (user_id, group_id);
-- At most one owner per group.
CREATE UNIQUE INDEX members_one_owner_idx ON grp.members (group_id) WHERE role = 'owner';

CREATE TABLE grp.join_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES grp.groups (id),
    user_id     bigint NOT NULL,                     -- who asks to join
    message     text,                                -- 1..200 characters, or null
    status      text   NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by  bigint,                              -- the owner/admin who decided
    decided_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One pending request per (group, user): a second is a conflict; also the
-- pending list of a group.
CREATE UNIQUE INDEX join_requests_pending_idx
    ON grp.join_requests (group_id, user_id) WHERE status = 'pending';

-- The outbox (services/group/README.md, "Outbox contract"): one row per
-- membership change, written in the transaction of the change. Rows become
-- visible in id order: the insert takes a transaction-scoped advisory lock
-- held until commit (grp_store_add_change), so a reader that has seen id N
-- will never later see a smaller id appear.
CREATE TABLE grp.membership_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES grp.groups (id),
    kind        text   NOT NULL CHECK (kind IN ('created', 'joined', 'left', 'removed', 'role',
                                                'transfer', 'dismissed', 'muted', 'updated')),
    actor_id    bigint NOT NULL,                     -- who acted (the approver for an approved join)
    user_ids    bigint[] NOT NULL DEFAULT '{}',      -- whom it is about
    role        text,                                -- the new role for 'role' and 'transfer'
    system_text text,                                -- the system message text, null: no message
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX membership_changes_group_idx ON grp.membership_changes (group_id, id);

-- Name search: every code point bigram of name_key plus its last code point
-- alone (so a one-character query is a prefix range on this index: see
-- docs/search.md). Rewritten on create and rename.
CREATE TABLE grp.name_grams (
    gram     text COLLATE "C" NOT NULL,
    group_id bigint NOT NULL REFERENCES grp.groups (id),
    PRIMARY KEY (gram, group_id)
);
CREATE INDEX name_grams_group_idx ON grp.name_grams (group_id);
