-- pigeon-auth: users, sessions and the shared rate-limit counters.
-- The migrator creates schema auth and runs this file in one transaction.

CREATE TABLE auth.users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-case; COLLATE "C" makes comparisons bytewise, so the
    -- unique index below also serves `username LIKE 'prefix%'` and
    -- ORDER BY username (a plain btree in a non-C collation serves neither).
    username        text COLLATE "C" NOT NULL
                    CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9_.-]{3,32}$'),
    nickname        text NOT NULL
                    CONSTRAINT users_nickname_length CHECK (char_length(nickname) BETWEEN 1 AND 64),
    password_hash   text NOT NULL,           -- libsodium Argon2id string, parameters included
    avatar_media_id bigint,                  -- a pigeon-media id; NULL: no avatar
    add_policy      text NOT NULL DEFAULT 'open'
                    CONSTRAINT users_add_policy CHECK (add_policy IN ('open', 'approval')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_key UNIQUE (username)
);

-- Nickname substring search (auth.search) scans auth.users for now: a
-- leading-wildcard ILIKE cannot use a btree. A later migration adds bigram
-- indexing, which also covers two-character Chinese names.

CREATE TABLE auth.sessions (
    token_hash  bytea PRIMARY KEY
                CONSTRAINT sessions_token_hash_length CHECK (octet_length(token_hash) = 32),
    user_id     bigint NOT NULL REFERENCES auth.users (id),
    device      text,                        -- label given at login, if any
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz                  -- set by logout; NULL while usable
);

-- For the periodic sweep of long-expired sessions.
CREATE INDEX sessions_expires_at_idx ON auth.sessions (expires_at);

-- Attempts per key and UTC minute ("login:ip:203.0.113.7",
-- "login:user:alice", "register:ip:..."), counted with
-- INSERT ... ON CONFLICT DO UPDATE so every replica shares them; a limit
-- reads this minute and the one before (auth_store_rate_hit). Older minutes
-- are swept every minute, so the table stays a few rows per active key.
CREATE TABLE auth.rate_limits (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
