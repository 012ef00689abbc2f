/* token_cache.h - bearer tokens pigeon-auth has verified recently.
 *
 * Keyed by the token's SHA-256 (the raw token is never stored). An entry
 * lives at most ttl_ms (API: at most 10 s) and never beyond the token's own
 * expiry; a revoked/ event removes it at once. Bounded: capacity entries in
 * 4-way sets, a full set evicts the entry closest to expiry. Thread-safe
 * (striped mutexes); every operation is O(1).
 *
 * A verify that started before a revocation must not put the revoked token
 * back: callers read gw_token_cache_epoch() before asking pigeon-auth and
 * pass it to put(), which drops the entry when any revocation happened since. */
#ifndef PIGEON_GW_TOKEN_CACHE_H
#define PIGEON_GW_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_token_cache gw_token_cache_t;

/* capacity is rounded up to a power of two (at least 4); ttl_ms 0 disables it. */
gw_token_cache_t *gw_token_cache_new(size_t capacity, int ttl_ms);
void gw_token_cache_destroy(gw_token_cache_t **c);

uint64_t gw_token_cache_epoch(gw_token_cache_t *c);

/* now_ms: monotonic milliseconds; now_us: wall-clock microseconds. */
bool gw_token_cache_get(gw_token_cache_t *c, const uint8_t hash[32], int64_t now_ms,
                        int64_t now_us, int64_t *user_id);
void gw_token_cache_put(gw_token_cache_t *c, const uint8_t hash[32], int64_t user_id,
                        int64_t expires_at_us, uint64_t epoch, int64_t now_ms, int64_t now_us);
void gw_token_cache_revoke(gw_token_cache_t *c, const uint8_t hash[32]);

/* Live entries (for metrics and tests); O(capacity). */
size_t gw_token_cache_size(gw_token_cache_t *c, int64_t now_ms, int64_t now_us);

#endif
