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

/* The columns of an auth_user_t, in s_user_from_row's order. */
#define S_USER_COLS                                                                                \
    "id, username, nickname, avatar_media_id, add_policy, "                                        \
    "(extract(epoch FROM created_at) * 1000000)::bigint"
#define S_USER_NCOLS 6

static int64_t s_int64(const PGresult *res, int row, int col)
{
    return (int64_t)strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Fills *u from the first columns of a row selected with S_USER_COLS. */
static void s_user_from_row(const PGresult *res, int row, auth_user_t *u)
{
    memset(u, 0, sizeof *u);
    u->id = s_int64(res, row, 0);
    snprintf(u->username, sizeof u->username, "%s", PQgetvalue(res, row, 1));
    snprintf(u->nickname, sizeof u->nickname, "%s", PQgetvalue(res, row, 2));
    u->has_avatar = !PQgetisnull(res, row, 3);
    if (u->has_avatar)
        u->avatar_media_id = s_int64(res, row, 3);
    snprintf(u->add_policy, sizeof u->add_policy, "%s", PQgetvalue(res, row, 4));
    u->created_at_us = s_int64(res, row, 5);
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
    /* Windows are whole UTC minutes; clock_timestamp() (not now()) so the
     * wait is right even inside a long transaction. */
    static const char *const sql =
        "INSERT INTO auth.rate_limits AS r (key, window_start, hits) "
        "VALUES ($1, date_trunc('minute', now(), 'UTC'), 1) "
        "ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1 "
        "RETURNING r.hits, greatest(1, ceil(extract(epoch FROM "
        "r.window_start + interval '1 minute' - clock_timestamp())))::int";
    pc_status_t status = PC_OK;
    const char *params[1] = {key};
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    if (res == NULL)
        return status;
    if (PQntuples(res) != 1) {
        status = PC_INTERNAL;
    } else {
        *hits = (int)s_int64(res, 0, 0);
        *retry_after_s = (int)s_int64(res, 0, 1);
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
    /* An array literal "{1,2,3}": at most 21 bytes per id. */
    char *array = malloc(n * 21 + 3);
    if (array == NULL)
        return PC_INTERNAL;
    size_t len = 0;
    array[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(array + len, "%s%" PRId64, i ? "," : "", ids[i]);
    array[len++] = '}';
    array[len] = '\0';
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

pc_status_t auth_store_search(pc_db_t *db, const char *username_like, const char *nickname_ilike,
                              const char *after, unsigned limit, auth_user_t **out, size_t *n_out)
{
    /* The username index (collation "C") returns rows in order, so a page
     * stops after `limit` matches; nickname matching filters those rows. For
     * a rare q that matches little, this reads the table: see 001_init.sql. */
    static const char *const sql =
        "SELECT " S_USER_COLS " FROM auth.users "
        "WHERE (username LIKE $1 OR nickname ILIKE $2) AND ($3::text IS NULL OR username > $3) "
        "ORDER BY username LIMIT $4";
    char limtxt[16];
    snprintf(limtxt, sizeof limtxt, "%u", limit);
    const char *params[4] = {username_like, nickname_ilike, after, limtxt};
    pc_status_t status = PC_OK;
    *out = NULL;
    *n_out = 0;
    PGresult *res = pc_db_query(db, &status, sql, 4, params);
    if (res == NULL)
        return status;
    status = s_users_from_result(res, out, n_out);
    PQclear(res);
    return status;
}

pc_status_t auth_store_patch_user(pc_db_t *db, int64_t id, const char *nickname,
                                  const char *add_policy, bool clear_avatar, auth_user_t *out)
{
    static const char *const sql =
        "UPDATE auth.users SET nickname = COALESCE($2, nickname), "
        "add_policy = COALESCE($3, add_policy), "
        "avatar_media_id = CASE WHEN $4::boolean THEN NULL ELSE avatar_media_id END "
        "WHERE id = $1 RETURNING " S_USER_COLS;
    char idtxt[24];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *params[4] = {idtxt, nickname, add_policy, clear_avatar ? "true" : "false"};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 4, params);
    return s_one_user(res, status, out);
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
        *expires_at_us = s_int64(res, 0, 0);
    else
        status = PC_INTERNAL;
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
    if (res == NULL)
        return status;
    size_t bin_len = 0;
    const char *hex = PQntuples(res) == 1 ? PQgetvalue(res, 0, 2) : "";
    if (PQntuples(res) != 1) {
        status = PC_NOT_FOUND;
    } else if (sodium_hex2bin(stored_hash, AUTH_TOKEN_HASH_LEN, hex, strlen(hex), NULL, &bin_len,
                              NULL) != 0 ||
               bin_len != AUTH_TOKEN_HASH_LEN) {
        status = PC_INTERNAL;
    } else {
        *user_id = s_int64(res, 0, 0);
        *expires_at_us = s_int64(res, 0, 1);
    }
    PQclear(res);
    return status;
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

pc_status_t auth_store_sweep(pc_db_t *db, int batch, long *rate_rows, long *session_rows)
{
    static const char *const rate_sql =
        "DELETE FROM auth.rate_limits WHERE window_start < now() - interval '1 minute'";
    /* Revoked sessions go too, once expired. In batches: one sweep is one
     * short statement even after a long outage. */
    static const char *const session_sql =
        "DELETE FROM auth.sessions WHERE token_hash IN (SELECT token_hash FROM auth.sessions "
        "WHERE expires_at < now() - interval '1 day' LIMIT $1)";
    char batchtxt[16];
    snprintf(batchtxt, sizeof batchtxt, "%d", batch);
    const char *params[1] = {batchtxt};
    pc_status_t status = PC_OK;
    *rate_rows = *session_rows = 0;

    PGresult *res = pc_db_query(db, &status, rate_sql, 0, NULL);
    if (res == NULL)
        return status;
    *rate_rows = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);

    res = pc_db_query(db, &status, session_sql, 1, params);
    if (res == NULL)
        return status;
    *session_rows = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return PC_OK;
}
