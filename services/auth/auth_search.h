/* auth_search.h - nickname search in any script: the keys and grams written
 * with every nickname, the query built from q, and the backfill of users
 * registered before nickname keys existed (docs/search.md, "User search"). */
#ifndef PIGEON_AUTH_SEARCH_H
#define PIGEON_AUTH_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "auth_store.h"
#include "db.h"

/* Writes the nickname key and grams of user `id` (pc_bigram_fold and
 * pc_bigram_grams of `nickname`). Call it in the transaction that registers
 * the user or changes the nickname. PC_INTERNAL on OOM. */
pc_status_t auth_nickname_index(pc_db_t *db, int64_t id, const char *nickname);

/* A search for q (valid, 1..64 characters), ready for auth_store_search:
 * out->q points into out's own strings, which auth_query_clear frees (also
 * after a failure). -1 on OOM. */
typedef struct {
    auth_search_t q;      /* what the store reads */
    char *username_like;  /* owned: "q%", lower-cased and escaped */
    char *nickname_ilike; /* owned: "%q%", escaped (rows not backfilled yet) */
    char *key;            /* owned: pc_bigram_fold(q) */
    char *grams;          /* owned: the bigrams of key */
    char prefix_end[8];   /* one code point q: the end of its gram range */
} auth_query_t;
int auth_query_build(const char *q, auth_query_t *out);
void auth_query_clear(auth_query_t *out);

/* Backfills up to `max_users` users without a nickname key, in batches,
 * each user in its own statement. *done is set when none is left. Returns
 * the number backfilled, or -1 on a database error. */
long auth_nickname_backfill(pc_db_t *db, long max_users, bool *done);

#endif
