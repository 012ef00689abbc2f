-- pigeon-auth: nickname substring search in any script, indexed.
--
-- Like group names (docs/search.md): a leading-wildcard ILIKE cannot use a
-- btree, and pg_trgm cannot serve a two-character pattern ("篮球"), so a
-- nickname is indexed by its code point bigrams in a side table.
--
-- nickname_key is pc_bigram_fold(nickname), computed in C on both sides so
-- the stored key and the query always fold alike. Rows written before this
-- migration have it NULL: pigeon-auth fills them (key and grams) in batches
-- after start-up, and until then search finds them by ILIKE through the
-- partial index below, which the backfill empties.
ALTER TABLE auth.users ADD COLUMN nickname_key text;

CREATE INDEX users_nickname_unkeyed_idx ON auth.users (id) WHERE nickname_key IS NULL;

-- Every bigram of nickname_key plus its last code point alone (a
-- one-character query is a prefix range on the primary key). Rewritten in the
-- transaction of every registration and nickname change.
CREATE TABLE auth.nickname_grams (
    gram    text COLLATE "C" NOT NULL,
    user_id bigint NOT NULL REFERENCES auth.users (id),
    PRIMARY KEY (gram, user_id)
);
CREATE INDEX nickname_grams_user_idx ON auth.nickname_grams (user_id);
