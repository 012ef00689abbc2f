/* token_cache.c - set-associative cache of verified tokens. */
#include "token_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define GW_WAYS 4
#define GW_STRIPES 64

typedef struct {
    uint8_t hash[32];     /* SHA-256 of the token */
    int64_t user_id;      /* 0: empty slot */
    int64_t until_ms;     /* monotonic end of this entry's life */
    int64_t expires_us;   /* the token's own expiry (wall clock) */
} gw_entry_t;

struct gw_token_cache {
    gw_entry_t *entries;                   /* sets * GW_WAYS slots */
    size_t sets;                           /* power of two */
    int ttl_ms;                            /* 0: caching disabled */
    pthread_mutex_t stripes[GW_STRIPES];   /* stripe = set % GW_STRIPES */
    _Atomic uint64_t epoch;                /* bumped by every revocation */
};

gw_token_cache_t *gw_token_cache_new(size_t capacity, int ttl_ms)
{
    gw_token_cache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t sets = 1;
    while (sets * GW_WAYS < capacity)
        sets <<= 1;
    c->sets = sets;
    c->ttl_ms = ttl_ms;
    c->entries = calloc(sets * GW_WAYS, sizeof *c->entries);
    if (!c->entries) {
        free(c);
        return NULL;
    }
    for (int i = 0; i < GW_STRIPES; i++)
        pthread_mutex_init(&c->stripes[i], NULL);
    atomic_init(&c->epoch, 0);
    return c;
}

void gw_token_cache_destroy(gw_token_cache_t **cp)
{
    if (!cp || !*cp)
        return;
    gw_token_cache_t *c = *cp;
    for (int i = 0; i < GW_STRIPES; i++)
        pthread_mutex_destroy(&c->stripes[i]);
    free(c->entries);
    free(c);
    *cp = NULL;
}

uint64_t gw_token_cache_epoch(gw_token_cache_t *c)
{
    return atomic_load(&c->epoch);
}

/* SHA-256 output is uniform, so its first bytes index well. */
static size_t s_set(const gw_token_cache_t *c, const uint8_t hash[32])
{
    uint64_t v;
    memcpy(&v, hash, sizeof v);
    return (size_t)(v & (c->sets - 1));
}

static bool s_live(const gw_entry_t *e, int64_t now_ms, int64_t now_us)
{
    return e->user_id != 0 && now_ms < e->until_ms && now_us < e->expires_us;
}

bool gw_token_cache_get(gw_token_cache_t *c, const uint8_t hash[32], int64_t now_ms,
                        int64_t now_us, int64_t *user_id)
{
    if (c->ttl_ms <= 0)
        return false;
    size_t set = s_set(c, hash);
    gw_entry_t *e = &c->entries[set * GW_WAYS];
    bool found = false;
    pthread_mutex_lock(&c->stripes[set % GW_STRIPES]);
    for (int i = 0; i < GW_WAYS; i++) {
        if (e[i].user_id != 0 && memcmp(e[i].hash, hash, 32) == 0) {
            if (s_live(&e[i], now_ms, now_us)) {
                *user_id = e[i].user_id;
                found = true;
            } else {
                memset(&e[i], 0, sizeof e[i]);
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->stripes[set % GW_STRIPES]);
    return found;
}

void gw_token_cache_put(gw_token_cache_t *c, const uint8_t hash[32], int64_t user_id,
                        int64_t expires_at_us, uint64_t epoch, int64_t now_ms, int64_t now_us)
{
    if (c->ttl_ms <= 0 || user_id == 0 || expires_at_us <= now_us)
        return;
    size_t set = s_set(c, hash);
    gw_entry_t *e = &c->entries[set * GW_WAYS];
    pthread_mutex_lock(&c->stripes[set % GW_STRIPES]);
    /* Checked under the lock: a revoke takes the same lock after bumping the
     * epoch, so either we see the new epoch or the revoke sees our entry. */
    if (atomic_load(&c->epoch) != epoch)
        goto done;
    int slot = -1;
    for (int i = 0; i < GW_WAYS && slot < 0; i++)
        if (e[i].user_id != 0 && memcmp(e[i].hash, hash, 32) == 0)
            slot = i;
    for (int i = 0; i < GW_WAYS && slot < 0; i++)
        if (!s_live(&e[i], now_ms, now_us))
            slot = i;
    if (slot < 0) { /* full: evict the entry that would leave soonest */
        slot = 0;
        for (int i = 1; i < GW_WAYS; i++)
            if (e[i].until_ms < e[slot].until_ms)
                slot = i;
    }
    memcpy(e[slot].hash, hash, 32);
    e[slot].user_id = user_id;
    e[slot].until_ms = now_ms + c->ttl_ms;
    e[slot].expires_us = expires_at_us;
done:
    pthread_mutex_unlock(&c->stripes[set % GW_STRIPES]);
}

void gw_token_cache_revoke(gw_token_cache_t *c, const uint8_t hash[32])
{
    atomic_fetch_add(&c->epoch, 1);
    size_t set = s_set(c, hash);
    gw_entry_t *e = &c->entries[set * GW_WAYS];
    pthread_mutex_lock(&c->stripes[set % GW_STRIPES]);
    for (int i = 0; i < GW_WAYS; i++)
        if (e[i].user_id != 0 && memcmp(e[i].hash, hash, 32) == 0)
            memset(&e[i], 0, sizeof e[i]);
    pthread_mutex_unlock(&c->stripes[set % GW_STRIPES]);
}

size_t gw_token_cache_size(gw_token_cache_t *c, int64_t now_ms, int64_t now_us)
{
    size_t n = 0;
    for (size_t set = 0; set < c->sets; set++) {
        pthread_mutex_lock(&c->stripes[set % GW_STRIPES]);
        for (int i = 0; i < GW_WAYS; i++)
            n += s_live(&c->entries[set * GW_WAYS + i], now_ms, now_us);
        pthread_mutex_unlock(&c->stripes[set % GW_STRIPES]);
    }
    return n;
}
