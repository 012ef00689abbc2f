/* auth_store.c - every SQL statement of pigeon-auth, and nothing else.
 *
 * Results come back in text format and are parsed here, so the handlers see
 * plain C structs. bytea parameters (token digests) go in binary format. */
#include "auth_store.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigram.h"
#include "bigram_store.h"

/* The columns of an auth_user_t, in s_user_from_row's order. */
#define S_USER_COLS                                                                                \
    "id, username, nickname, avatar_media_id, add_policy, "                                        \
    "(extract(epoch FROM created_at) * 1000000)::bigint"
#define S_USER_NCOLS 6
/* S_USER_COLS after a "u." table prefix (the first column takes it). */
#define S_USER_COLS_U                                                                              \
    "id, u.username, u.nickname, u.avatar_media_id, u.add_policy, "                                \
    "(extract(epoch FROM u.created_at) * 1000000)::bigint"

/* Fills *u from the first columns of a row selected with S_USER_COLS. */
static void s_user_from_row(const PGresult *res, int row, auth_user_t *u)
{
    memset(u, 0, sizeof *u);
    u->id = pc_db_i64(res, row, 0);
    snprintf(u->username, sizeof u->username, "%s", PQgetvalue(res, row, 1));
    snprintf(u->nickname, sizeof u->nickname, "%s", PQgetvalue(res, row, 2));
    u->has_avatar = !PQgetisnull(res, row, 3);
    if (u->has_avatar)
        u->avatar_media_id = pc_db_i64(res, row, 3);
    snprintf(u->add_policy, sizeof u->add_policy, "%s", PQgetvalue(res, row, 4));
    u->created_at_us = pc_db_i64(res, row, 5);
}

/* Copies every row of a S_USER_COLS result into a new array. */
static pc_status_t s_users_from_result(const PGresult *res, auth_user_t **out, size_t *n_out)
{
    int n = PQntuples(res);
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return PC_OK;
    if (PQnfields(res) != S_USER_NCOLS)
        return PC_INTERNAL;
    auth_user_t *users = calloc((size_t)n, sizeof *users);
    if (users == NULL)
        return PC_INTERNAL;
    for (int i = 0; i < n; i++)
        s_user_from_row(res, i, &users[i]);
    *out = users;
    *n_out = (size_t)n;
    return PC_OK;
}

/* One row expected (else PC_NOT_FOUND), copied into *out. */
static pc_status_t s_one_user(PGresult *res, pc_status_t status, auth_user_t *out)
{
    if (res == NULL)
        return status;
    if (PQntuples(res) != 1 || PQnfields(res) < S_USER_NCOLS)
        status = PC_NOT_FOUND;
    else {
        s_user_from_row(res, 0, out);
        status = PC_OK;
    }
    PQclear(res);
    return status;
}

pc_status_t auth_store_rate_hit(pc_db_t *db, const char *key, int *hits, int *retry_after_s)
{
    /* A sliding window over whole UTC minutes: this minute's hits plus the
     * previous minute's, weighted by how much of that minute the last 60 s
     * still cover, so a burst at the end of one minute and another at the
     * start of the next cannot reach twice the limit. The wait is to the
     * end of this minute (clock_timestamp(), not now(), so it is right even
     * inside a long transaction); the CTE's insert is not visible to the
     * join, which reads the previous minute's row only. */
    static const char *const sql =
        "WITH cur AS (INSERT INTO auth.rate_limits AS r (key, window_start, hits) "
        "VALUES ($1, date_trunc('minute', now(), 'UTC'), 1) "
        "ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1 "
        "RETURNING r.hits, r.window_start) "
        "SELECT cur.hits + coalesce(floor(p.hits * greatest(0, 1 - extract(epoch FROM "
        "clock_timestamp() - cur.window_start) / 60)), 0)::int, "
        "greatest(1, ceil(extract(epoch FROM "
        "cur.window_start + interval '1 minute' - clock_timestamp())))::int "
        "FROM cur LEFT JOIN auth.rate_limits p "
        "ON p.key = $1 AND p.window_start = cur.window_start - interval '1 minute'";
    pc_status_t status = PC_OK;
    const char *params[1] = {key};
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    if (res == NULL)
        return status;
    if (PQntuples(res) != 1) {
        status = PC_INTERNAL;
    } else {
        *hits = (int)pc_db_i64(res, 0, 0);
        *retry_after_s = (int)pc_db_i64(res, 0, 1);
    }
    PQclear(res);
    return status;
}

pc_status_t auth_store_user_by_id(pc_db_t *db, int64_t id, auth_user_t *out)
{
    static const char *const sql = "SELECT " S_USER_COLS " FROM auth.users WHERE id = $1";
    char idtxt[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *params[1] = {idtxt};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    return s_one_user(res, status, out);
}

pc_status_t auth_store_user_by_name(pc_db_t *db, const char *username, auth_user_t *out,
                                    char password_hash[AUTH_PASSWORD_HASH_SIZE])
{
    static const char *const sql =
        "SELECT " S_USER_COLS ", password_hash FROM auth.users WHERE username = $1";
    const char *params[1] = {username};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    if (res == NULL)
        return status;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return PC_NOT_FOUND;
    }
    if (password_hash != NULL)
        snprintf(password_hash, AUTH_PASSWORD_HASH_SIZE, "%s", PQgetvalue(res, 0, S_USER_NCOLS));
    return s_one_user(res, PC_OK, out);
}

pc_status_t auth_store_create_user(pc_db_t *db, const char *username, const char *nickname,
                                   const char *password_hash, auth_user_t *out)
{
    /* DO NOTHING rather than a unique_violation error: an error would abort
     * the caller's transaction, which must stay usable to record the 409. */
    static const char *const sql =
        "INSERT INTO auth.users (username, nickname, password_hash) VALUES ($1, $2, $3) "
        "ON CONFLICT (username) DO NOTHING RETURNING " S_USER_COLS;
    const char *params[3] = {username, nickname, password_hash};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 3, params);
    status = s_one_user(res, status, out);
    return status == PC_NOT_FOUND ? PC_CONFLICT : status;
}

pc_status_t auth_store_users_by_ids(pc_db_t *db, const int64_t *ids, size_t n, auth_user_t **out,
                                    size_t *n_out)
{
    static const char *const sql =
        "SELECT " S_USER_COLS " FROM auth.users WHERE id = ANY ($1::bigint[]) ORDER BY id";
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return PC_OK;
    char *array = pc_db_int8_array(ids, n);
    if (array == NULL)
        return PC_INTERNAL;
    const char *params[1] = {array};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    free(array);
    if (res == NULL)
        return status;
    status = s_users_from_result(res, out, n_out);
    PQclear(res);
    return status;
}

/* Rows of the first walk of a search: enough to fill a page when q is
 * common, a bounded cost (a few ms) when it is not. */
#define S_WALK_ROWS "4000"

/* A username that starts with the prefix, or a nickname that contains the
 * folded q (or, not backfilled yet, matches the ILIKE pattern). */
#define S_MATCHES                                                                                  \
    " (u.username LIKE $1 OR strpos(u.nickname_key, $2) > 0"                                       \
    "  OR (u.nickname_key IS NULL AND u.nickname ILIKE $5))"

static pc_status_t s_search_result(PGresult *res, pc_status_t status, auth_user_t **out,
                                   size_t *n_out)
{
    if (res == NULL)
        return status;
    status = s_users_from_result(res, out, n_out);
    PQclear(res);
    return status;
}

pc_status_t auth_store_search(pc_db_t *db, const auth_search_t *q, const char *after,
                              unsigned limit, auth_user_t **out, size_t *n_out)
{
    char limtxt[16], ktxt[24];
    snprintf(limtxt, sizeof limtxt, "%u", limit);
    snprintf(ktxt, sizeof ktxt, "%zu", q->n_grams);
    pc_status_t status = PC_OK;
    *out = NULL;
    *n_out = 0;
    /* 1. A common q: walk the username index (collation "C": in page order)
     *    from the cursor, test each row, stop at the page size. */
    const char *walk[5] = {q->username_like, q->key, after, limtxt, q->nickname_ilike};
    PGresult *res =
        pc_db_query(db, &status,
                    "SELECT u." S_USER_COLS_U " FROM (SELECT * FROM auth.users"
                    " WHERE $3::text IS NULL OR username > $3 ORDER BY username LIMIT " S_WALK_ROWS
                    ") u WHERE" S_MATCHES " ORDER BY u.username LIMIT $4",
                    5, walk);
    if (res == NULL)
        return status;
    if (PQntuples(res) >= (int)limit)
        return s_search_result(res, status, out, n_out);
    PQclear(res);
    /* 2. A rarer one: the username prefix range, the users holding every
     *    bigram of q - or its three rarest - (one code point: any gram
     *    starting with it), and those not backfilled yet; then the exact
     *    test, sorted. */
    char rare[256];
    const char *grams = q->grams;
    if (q->n_grams > PC_BIGRAM_INTERSECT) {
        size_t k = 0;
        status = pc_bigram_rarest(db, "auth.nickname_grams", q->grams, q->n_grams, rare,
                                  sizeof rare, &k);
        if (status != PC_OK)
            return status;
        grams = rare; /* "" when no nickname can match: ANY of no gram */
        snprintf(ktxt, sizeof ktxt, "%zu", k > 0 ? k : 1);
    }
    const char *params[8] = {q->username_like,  q->key, after, limtxt,
                             q->nickname_ilike, grams,  ktxt,  q->prefix_end};
    res = pc_db_query(db, &status,
                      "SELECT u." S_USER_COLS_U " FROM auth.users u WHERE u.id IN ("
                      " (SELECT p.id FROM auth.users p WHERE p.username LIKE $1"
                      "   AND ($3::text IS NULL OR p.username > $3) ORDER BY p.username LIMIT $4)"
                      " UNION ALL"
                      " SELECT n.user_id FROM auth.nickname_grams n"
                      "   WHERE $7::int8 > 0 AND n.gram = ANY (string_to_array($6, chr(31)))"
                      "   GROUP BY n.user_id HAVING count(*) = $7::int8"
                      " UNION ALL"
                      " SELECT DISTINCT n.user_id FROM auth.nickname_grams n"
                      "   WHERE $7::int8 = 0 AND n.gram >= $2 AND n.gram < $8"
                      " UNION ALL"
                      " SELECT x.id FROM auth.users x WHERE x.nickname_key IS NULL)"
                      " AND ($3::text IS NULL OR u.username > $3) AND" S_MATCHES
                      " ORDER BY u.username LIMIT $4",
                      8, params);
    return s_search_result(res, status, out, n_out);
}

pc_status_t auth_store_set_nickname_key(pc_db_t *db, int64_t id, const char *key, const char *grams)
{
    char idtxt[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *params[3] = {idtxt, key, grams};
    pc_status_t status = PC_OK;
    /* Two statements, not one with a DELETE in a WITH: a statement's CTEs
     * share one snapshot, so its INSERT would still collide with the old
     * rows of grams the new nickname keeps. */
    PGresult *res = pc_db_query(db, &status,
                                "WITH k AS (UPDATE auth.users SET nickname_key = $2 WHERE id = $1)"
                                " DELETE FROM auth.nickname_grams WHERE user_id = $1",
                                2, params);
    if (res == NULL)
        return status;
    PQclear(res);
    const char *ins[2] = {idtxt, grams};
    res = pc_db_query(db, &status,
                      "INSERT INTO auth.nickname_grams (gram, user_id) SELECT DISTINCT t, $1::int8"
                      " FROM unnest(string_to_array($2, chr(31))) t WHERE t <> ''",
                      2, ins);
    PQclear(res);
    return status;
}

pc_status_t auth_store_unkeyed_users(pc_db_t *db, int batch, auth_user_t **out, size_t *n_out)
{
    char bt[16];
    snprintf(bt, sizeof bt, "%d", batch);
    const char *params[1] = {bt};
    pc_status_t status = PC_OK;
    *out = NULL;
    *n_out = 0;
    PGresult *res = pc_db_query(db, &status,
                                "SELECT " S_USER_COLS " FROM auth.users WHERE nickname_key IS NULL"
                                " ORDER BY id LIMIT $1",
                                1, params);
    return s_search_result(res, status, out, n_out);
}

pc_status_t auth_store_backfill_key(pc_db_t *db, int64_t id, const char *nickname, const char *key,
                                    const char *grams)
{
    char idtxt[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *params[4] = {idtxt, nickname, key, grams};
    pc_status_t status = PC_OK;
    /* One statement: the key and the grams appear together or not at all. A
     * row without a key has no grams, so nothing needs deleting. */
    PGresult *res =
        pc_db_query(db, &status,
                    "WITH k AS (UPDATE auth.users SET nickname_key = $3"
                    " WHERE id = $1 AND nickname = $2 AND nickname_key IS NULL"
                    " RETURNING id)"
                    " INSERT INTO auth.nickname_grams (gram, user_id)"
                    " SELECT DISTINCT t, k.id FROM k, unnest(string_to_array($4, chr(31))) t"
                    " WHERE t <> '' ON CONFLICT DO NOTHING",
                    4, params);
    PQclear(res);
    return status;
}

pc_status_t auth_store_patch_user(pc_db_t *db, int64_t id, const char *nickname,
                                  const char *add_policy, bool clear_avatar, bool set_avatar,
                                  int64_t avatar_media_id, auth_user_t *out)
{
    static const char *const sql =
        "UPDATE auth.users SET nickname = COALESCE($2, nickname), "
        "add_policy = COALESCE($3, add_policy), "
        "avatar_media_id = CASE WHEN $4::boolean THEN NULL "
        "WHEN $5::int8 IS NOT NULL THEN $5::int8 ELSE avatar_media_id END "
        "WHERE id = $1 RETURNING " S_USER_COLS;
    char idtxt[24], avatar[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    snprintf(avatar, sizeof avatar, "%" PRId64, avatar_media_id);
    const char *params[5] = {idtxt, nickname, add_policy, clear_avatar ? "true" : "false",
                             set_avatar ? avatar : NULL};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 5, params);
    return s_one_user(res, status, out);
}

pc_status_t auth_store_avatar_in_use(pc_db_t *db, int64_t media_id, bool *in_use)
{
    static const char *const sql =
        "SELECT EXISTS (SELECT 1 FROM auth.users WHERE avatar_media_id = $1)";
    char idtxt[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, media_id);
    const char *params[1] = {idtxt};
    pc_status_t status = PC_OK;
    *in_use = false;
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    if (res == NULL)
        return status;
    *in_use = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return PC_OK;
}

/* Runs `sql` with the token digest as binary $1 and the text parameters after it. */
static PGresult *s_query_hash(pc_db_t *db, pc_status_t *status, const char *sql,
                              const uint8_t hash[AUTH_TOKEN_HASH_LEN], int nextra,
                              const char *const *extra)
{
    const char *values[4] = {(const char *)hash, NULL, NULL, NULL};
    int lengths[4] = {AUTH_TOKEN_HASH_LEN, 0, 0, 0};
    int formats[4] = {1, 0, 0, 0};
    for (int i = 0; i < nextra && i < 3; i++)
        values[1 + i] = extra[i];
    return pc_db_query_bin(db, status, sql, 1 + nextra, values, lengths, formats, 0);
}

pc_status_t auth_store_create_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                      int64_t user_id, const char *device, int ttl_days,
                                      int64_t *expires_at_us)
{
    static const char *const sql =
        "INSERT INTO auth.sessions (token_hash, user_id, device, expires_at) "
        "VALUES ($1, $2, $3, now() + make_interval(days => $4::int)) "
        "RETURNING (extract(epoch FROM expires_at) * 1000000)::bigint";
    char uidtxt[24], ttltxt[16];
    snprintf(uidtxt, sizeof uidtxt, "%" PRId64, user_id);
    snprintf(ttltxt, sizeof ttltxt, "%d", ttl_days);
    const char *extra[3] = {uidtxt, device, ttltxt};
    pc_status_t status = PC_OK;
    PGresult *res = s_query_hash(db, &status, sql, hash, 3, extra);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 1)
        *expires_at_us = pc_db_i64(res, 0, 0);
    else
        status = PC_INTERNAL;
    PQclear(res);
    return status;
}

/* The one session row of res (user id, expiry in µs, token hash as hex),
 * clears res: PC_NOT_FOUND when there is none. */
static pc_status_t s_session_result(PGresult *res, int64_t *user_id, int64_t *expires_at_us,
                                    uint8_t hash[AUTH_TOKEN_HASH_LEN])
{
    pc_status_t status = PC_OK;
    size_t bin_len = 0;
    const char *hex = PQntuples(res) == 1 ? PQgetvalue(res, 0, 2) : "";
    if (PQntuples(res) != 1) {
        status = PC_NOT_FOUND;
    } else if (sodium_hex2bin(hash, AUTH_TOKEN_HASH_LEN, hex, strlen(hex), NULL, &bin_len, NULL) !=
                   0 ||
               bin_len != AUTH_TOKEN_HASH_LEN) {
        status = PC_INTERNAL;
    } else {
        *user_id = pc_db_i64(res, 0, 0);
        *expires_at_us = pc_db_i64(res, 0, 1);
    }
    PQclear(res);
    return status;
}

pc_status_t auth_store_live_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                    int64_t *user_id, int64_t *expires_at_us,
                                    uint8_t stored_hash[AUTH_TOKEN_HASH_LEN])
{
    static const char *const sql =
        "SELECT user_id, (extract(epoch FROM expires_at) * 1000000)::bigint, "
        "encode(token_hash, 'hex') FROM auth.sessions "
        "WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()";
    pc_status_t status = PC_OK;
    PGresult *res = s_query_hash(db, &status, sql, hash, 0, NULL);
    return res == NULL ? status : s_session_result(res, user_id, expires_at_us, stored_hash);
}

pc_status_t auth_store_revoke_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                      int64_t user_id)
{
    static const char *const sql =
        "UPDATE auth.sessions SET revoked_at = now() "
        "WHERE token_hash = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() "
        "RETURNING user_id";
    char uidtxt[24];
    snprintf(uidtxt, sizeof uidtxt, "%" PRId64, user_id);
    const char *extra[1] = {uidtxt};
    pc_status_t status = PC_OK;
    PGresult *res = s_query_hash(db, &status, sql, hash, 1, extra);
    if (res == NULL)
        return status;
    status = PQntuples(res) == 1 ? PC_OK : PC_NOT_FOUND;
    PQclear(res);
    return status;
}

pc_status_t auth_store_create_ticket(pc_db_t *db, const uint8_t ticket_hash[AUTH_TOKEN_HASH_LEN],
                                     const uint8_t session_hash[AUTH_TOKEN_HASH_LEN],
                                     int64_t user_id, int ttl_s, int64_t *expires_at_us)
{
    /* The session is checked in the same statement: no ticket for a session
     * revoked a moment ago. */
    static const char *const sql =
        "INSERT INTO auth.ws_tickets (ticket_hash, session_hash, expires_at) "
        "SELECT $1, s.token_hash, now() + make_interval(secs => $4::int) FROM auth.sessions s "
        "WHERE s.token_hash = decode($2, 'hex') AND s.user_id = $3 AND s.revoked_at IS NULL "
        "AND s.expires_at > now() "
        "RETURNING (extract(epoch FROM expires_at) * 1000000)::bigint";
    char hex[2 * AUTH_TOKEN_HASH_LEN + 1], uidtxt[24], ttltxt[16];
    sodium_bin2hex(hex, sizeof hex, session_hash, AUTH_TOKEN_HASH_LEN);
    snprintf(uidtxt, sizeof uidtxt, "%" PRId64, user_id);
    snprintf(ttltxt, sizeof ttltxt, "%d", ttl_s);
    const char *extra[3] = {hex, uidtxt, ttltxt};
    pc_status_t status = PC_OK;
    PGresult *res = s_query_hash(db, &status, sql, ticket_hash, 3, extra);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 1)
        *expires_at_us = pc_db_i64(res, 0, 0);
    else
        status = PC_NOT_FOUND;
    PQclear(res);
    return status;
}

pc_status_t auth_store_redeem_ticket(pc_db_t *db, const uint8_t ticket_hash[AUTH_TOKEN_HASH_LEN],
                                     int64_t *user_id, int64_t *expires_at_us,
                                     uint8_t session_hash[AUTH_TOKEN_HASH_LEN])
{
    /* DELETE ... RETURNING takes the row lock: of two concurrent redeems the
     * second finds nothing. */
    static const char *const sql =
        "WITH t AS (DELETE FROM auth.ws_tickets WHERE ticket_hash = $1 "
        "RETURNING session_hash, expires_at) "
        "SELECT s.user_id, (extract(epoch FROM s.expires_at) * 1000000)::bigint, "
        "encode(s.token_hash, 'hex') FROM t JOIN auth.sessions s ON s.token_hash = t.session_hash "
        "WHERE t.expires_at > now() AND s.revoked_at IS NULL AND s.expires_at > now()";
    pc_status_t status = PC_OK;
    PGresult *res = s_query_hash(db, &status, sql, ticket_hash, 0, NULL);
    return res == NULL ? status : s_session_result(res, user_id, expires_at_us, session_hash);
}

pc_status_t auth_store_sweep(pc_db_t *db, int batch, long *rate_rows, long *session_rows)
{
    static const char *const rate_sql =
        "DELETE FROM auth.rate_limits WHERE window_start < now() - interval '2 minutes'";
    /* Revoked sessions go too, once expired. In batches: one sweep is one
     * short statement even after a long outage. */
    static const char *const session_sql =
        "DELETE FROM auth.sessions WHERE token_hash IN (SELECT token_hash FROM auth.sessions "
        "WHERE expires_at < now() - interval '1 day' LIMIT $1)";
    char batchtxt[16];
    snprintf(batchtxt, sizeof batchtxt, "%d", batch);
    const char *params[1] = {batchtxt};
    *session_rows = 0;
    pc_status_t status = pc_db_exec_rows(db, rate_sql, 0, NULL, rate_rows);
    /* Tickets never redeemed (their rows are tiny; one statement). */
    if (status == PC_OK)
        status = pc_db_exec(
            db, "DELETE FROM auth.ws_tickets WHERE expires_at < now() - interval '1 minute'", 0,
            NULL);
    if (status == PC_OK)
        status = pc_db_exec_rows(db, session_sql, 1, params, session_rows);
    return status;
}
