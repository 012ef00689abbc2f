/* auth_store.h - every SQL statement of pigeon-auth, and nothing else.
 *
 * Functions take the calling worker's connection (pc_call_db) and return a
 * pc_status_t: PC_OK, PC_NOT_FOUND / PC_CONFLICT where documented, or what
 * pc_db_query reports (PC_UNAVAILABLE, PC_DEADLINE_EXCEEDED, PC_INTERNAL).
 * Statements are parameterized and run under the connection's statement
 * timeout; they join whatever transaction the caller has open. */
#ifndef PIGEON_AUTH_STORE_H
#define PIGEON_AUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth_password.h"
#include "auth_token.h"
#include "auth_validate.h"
#include "db.h"
#include "status.h"

/* One row of auth.users as the API shows it. */
typedef struct {
    int64_t id;                                 /* auth.users.id */
    char username[AUTH_USERNAME_MAX + 1];       /* lower-case */
    char nickname[AUTH_NICKNAME_MAX_BYTES + 1]; /* UTF-8 */
    bool has_avatar;                            /* avatar_media_id is not NULL */
    int64_t avatar_media_id;                    /* valid when has_avatar */
    char add_policy[16];                        /* "open" | "approval" */
    int64_t created_at_us;                      /* microseconds since the epoch */
} auth_user_t;

/* --- rate limits --- */

/* Counts one attempt for `key` in the current UTC minute: *hits is the
 * attempts of the last 60 s including this one (this minute's plus the
 * previous minute's weighted by the part of it still in the last 60 s),
 * *retry_after_s the whole seconds (>= 1) until this minute ends. */
pc_status_t auth_store_rate_hit(pc_db_t *db, const char *key, int *hits, int *retry_after_s);

/* --- users --- */

/* PC_NOT_FOUND when no such id. */
pc_status_t auth_store_user_by_id(pc_db_t *db, int64_t id, auth_user_t *out);

/* By lower-case username; PC_NOT_FOUND when none. The password hash is
 * copied into password_hash when that is not NULL. */
pc_status_t auth_store_user_by_name(pc_db_t *db, const char *username, auth_user_t *out,
                                    char password_hash[AUTH_PASSWORD_HASH_SIZE]);

/* Inserts a user (add_policy "open"). PC_CONFLICT when the username is taken,
 * without aborting the caller's transaction. */
pc_status_t auth_store_create_user(pc_db_t *db, const char *username, const char *nickname,
                                   const char *password_hash, auth_user_t *out);

/* Users for the given ids, in id order, unknown ids left out. *out is
 * malloc'd (the caller frees it; NULL when *n_out is 0). */
pc_status_t auth_store_users_by_ids(pc_db_t *db, const int64_t *ids, size_t n, auth_user_t **out,
                                    size_t *n_out);

/* What auth_store_search looks for (docs/search.md, "User search"). */
typedef struct {
    const char *username_like;  /* username prefix: a LIKE pattern, lower-cased, escaped */
    const char *key;            /* pc_bigram_fold(q): nickname_key must contain it */
    const char *grams;          /* the bigrams of key, PC_BIGRAM_SEP-joined (no tail) */
    size_t n_grams;             /* 0: key is one code point, see prefix_end */
    const char *prefix_end;     /* one code point: the end of its gram range */
    const char *nickname_ilike; /* "%q%", escaped: for rows not backfilled yet */
} auth_search_t;

/* Users whose username starts with the prefix or whose nickname contains q,
 * with username greater than `after` (NULL: from the start), ordered by
 * username, at most `limit`. At most two statements: a bounded walk of the
 * username index, then the bigram candidates (docs/search.md). *out as for
 * auth_store_users_by_ids. */
pc_status_t auth_store_search(pc_db_t *db, const auth_search_t *q, const char *after,
                              unsigned limit, auth_user_t **out, size_t *n_out);

/* Sets the user's nickname_key and replaces its search grams (every bigram
 * of the key and its last code point, PC_BIGRAM_SEP-joined): run in the
 * transaction that registers the user or changes the nickname. */
pc_status_t auth_store_set_nickname_key(pc_db_t *db, int64_t id, const char *key,
                                        const char *grams);

/* Up to `batch` users written before nickname keys existed, by id. *out as
 * for auth_store_users_by_ids. */
pc_status_t auth_store_unkeyed_users(pc_db_t *db, int batch, auth_user_t **out, size_t *n_out);

/* Backfills one such user in one statement, unless the row changed since it
 * was read (its nickname differs or it has a key now): then nothing. */
pc_status_t auth_store_backfill_key(pc_db_t *db, int64_t id, const char *nickname,
                                    const char *key, const char *grams);

/* Changes what is given: nickname / add_policy when not NULL, clears the
 * avatar when clear_avatar. PC_NOT_FOUND when no such user. */
pc_status_t auth_store_patch_user(pc_db_t *db, int64_t id, const char *nickname,
                                  const char *add_policy, bool clear_avatar, bool set_avatar,
                                  int64_t avatar_media_id, auth_user_t *out);

/* *in_use: some user's avatar_media_id is media_id (index users_avatar_idx). */
pc_status_t auth_store_avatar_in_use(pc_db_t *db, int64_t media_id, bool *in_use);

/* --- sessions --- */

/* Stores a session valid for ttl_days from now; *expires_at_us says until when. */
pc_status_t auth_store_create_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                      int64_t user_id, const char *device, int ttl_days,
                                      int64_t *expires_at_us);

/* A session that is neither expired nor revoked: PC_NOT_FOUND otherwise.
 * stored_hash receives the digest as stored, for a constant-time check. */
pc_status_t auth_store_live_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                    int64_t *user_id, int64_t *expires_at_us,
                                    uint8_t stored_hash[AUTH_TOKEN_HASH_LEN]);

/* Revokes a live session of user_id; PC_NOT_FOUND when there is none (unknown,
 * expired, already revoked, or someone else's). */
pc_status_t auth_store_revoke_session(pc_db_t *db, const uint8_t hash[AUTH_TOKEN_HASH_LEN],
                                      int64_t user_id);

/* --- WebSocket tickets --- */

/* Stores a ticket for the live session `session_hash` of user_id, valid
 * ttl_s seconds; PC_NOT_FOUND when that session is not live or not the
 * user's. *expires_at_us says until when. */
pc_status_t auth_store_create_ticket(pc_db_t *db, const uint8_t ticket_hash[AUTH_TOKEN_HASH_LEN],
                                     const uint8_t session_hash[AUTH_TOKEN_HASH_LEN],
                                     int64_t user_id, int ttl_s, int64_t *expires_at_us);

/* Deletes the ticket and, when it had not expired and its session is still
 * live, gives that session's user, expiry and token hash; PC_NOT_FOUND
 * otherwise. A ticket is deleted even when refused: it never works twice. */
pc_status_t auth_store_redeem_ticket(pc_db_t *db, const uint8_t ticket_hash[AUTH_TOKEN_HASH_LEN],
                                     int64_t *user_id, int64_t *expires_at_us,
                                     uint8_t session_hash[AUTH_TOKEN_HASH_LEN]);

/* --- housekeeping --- */

/* Deletes rate-limit minutes no window reads any more and sessions that expired more
 * than a day ago (at most `batch` of them, so one sweep stays short). */
pc_status_t auth_store_sweep(pc_db_t *db, int batch, long *rate_rows, long *session_rows);

#endif
