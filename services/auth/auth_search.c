/* auth_search.c - nickname keys and grams, the search query, the backfill. */
#include "auth_search.h"

#include <stdlib.h>
#include <string.h>

#include "auth_validate.h"
#include "bigram.h"

#define S_BACKFILL_BATCH 500

pc_status_t auth_nickname_index(pc_db_t *db, int64_t id, const char *nickname)
{
    size_t n = 0;
    char *key = pc_bigram_fold(nickname);
    char *grams = key ? pc_bigram_grams(key, true, &n) : NULL;
    pc_status_t status = grams ? auth_store_set_nickname_key(db, id, key, grams) : PC_INTERNAL;
    free(key);
    free(grams);
    return status;
}

int auth_query_build(const char *q, auth_query_t *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    /* Usernames are stored lower-case, so the prefix is lowered; nicknames
     * match on the folded key (docs/search.md). */
    out->username_like = auth_like_pattern(q, "", "%", true);
    out->nickname_ilike = auth_like_pattern(q, "%", "%", false);
    out->key = pc_bigram_fold(q);
    out->grams = out->key ? pc_bigram_grams(out->key, false, &n) : NULL;
    if (!out->username_like || !out->nickname_ilike || !out->grams)
        return -1;
    /* One code point: no bigram, the grams starting with it instead. */
    if (n == 0 && !pc_bigram_prefix_end(out->key, out->prefix_end, sizeof out->prefix_end))
        out->prefix_end[0] = '\0'; /* U+10FFFF: nothing sorts after it; the walk decides */
    out->q = (auth_search_t){
        .username_like = out->username_like,
        .key = out->key,
        .grams = out->grams,
        .n_grams = n,
        .prefix_end = out->prefix_end,
        .nickname_ilike = out->nickname_ilike,
    };
    return 0;
}

void auth_query_clear(auth_query_t *out)
{
    free(out->username_like);
    free(out->nickname_ilike);
    free(out->key);
    free(out->grams);
    memset(out, 0, sizeof *out);
}

long auth_nickname_backfill(pc_db_t *db, long max_users, bool *done)
{
    long total = 0;
    *done = false;
    while (total < max_users) {
        auth_user_t *users = NULL;
        size_t n = 0;
        if (auth_store_unkeyed_users(db, S_BACKFILL_BATCH, &users, &n) != PC_OK)
            return -1;
        for (size_t i = 0; i < n; i++) {
            size_t count = 0;
            char *key = pc_bigram_fold(users[i].nickname);
            char *grams = key ? pc_bigram_grams(key, true, &count) : NULL;
            pc_status_t st =
                grams ? auth_store_backfill_key(db, users[i].id, users[i].nickname, key, grams)
                      : PC_INTERNAL;
            free(key);
            free(grams);
            if (st != PC_OK) {
                free(users);
                return -1;
            }
        }
        free(users);
        total += (long)n;
        if (n < S_BACKFILL_BATCH) {
            *done = true;
            break;
        }
    }
    return total;
}
