/* router_perm.h - the process's cache of "may A message B?".
 *
 * A fixed table of ROUTER_PERM_SLOTS entries, direct-mapped by a hash of
 * the ordered pair (a collision simply evicts), under one mutex: O(1) per
 * lookup, bounded memory, no allocation after start. An entry lives at most
 * ttl_ms, at least half of it (pc_random_lifetime_ms): pairs cached in the
 * same moment must not all be fetched again in the same moment, which
 * held every worker on pigeon-relationship and stalled all sends for 20 to
 * 40 ms every ttl_ms under load. pigeon-relationship's "rel/" events drop the pair's entries at
 * once (router_watch.c); the TTL covers events lost on the way.
 *
 * A lookup hands out the cache's generation; a put with an older generation
 * (some change arrived while the answer was being fetched) is not stored,
 * so an answer fetched before a block can never outlive the block's event. */
#ifndef PIGEON_ROUTER_PERM_H
#define PIGEON_ROUTER_PERM_H

#include <stdbool.h>
#include <stdint.h>

#define ROUTER_PERM_SLOTS 16384

typedef struct router_perm router_perm_t;

/* ttl_ms 0 disables the cache (every lookup misses). NULL on OOM. */
router_perm_t *router_perm_new(int ttl_ms);
void router_perm_destroy(router_perm_t **p);

/* 1 allowed, 0 refused, -1 not cached; *gen for router_perm_put. */
int router_perm_get(router_perm_t *p, int64_t sender, int64_t recipient, uint64_t *gen);
void router_perm_put(router_perm_t *p, int64_t sender, int64_t recipient, bool allowed,
                     uint64_t gen);
/* Something between a and b changed: both directions are stale. */
void router_perm_invalidate(router_perm_t *p, int64_t a, int64_t b);

#endif
