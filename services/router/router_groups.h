/* router_groups.h - the process's cache of groups: each group's roster
 * (members, roles, mute times, from grp.roster) and group object (from
 * grp.membership), so a message to a 1,000-member group costs no RPC.
 *
 * A fixed table of ROUTER_GROUPS_SLOTS entries, direct-mapped by group id
 * (a collision evicts), under one mutex. Entries are reference-counted: a
 * lookup hands out a reference the caller releases, so a fan-out can read a
 * roster while a change replaces it. The outbox consumer drops a group's
 * entry when it sees a change of that group (router_outbox.c); the TTL
 * covers a consumer that lags. A fetch that started before an invalidation
 * is not stored (generation guard, as in router_perm.h).
 *
 * The cache also keeps the newest change id this process has seen, which
 * the consumer pages from. */
#ifndef PIGEON_ROUTER_GROUPS_H
#define PIGEON_ROUTER_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "group.pb-c.h"

#define ROUTER_GROUPS_SLOTS 4096
#define ROUTER_GROUPS_TTL_MS 30000 /* backstop for a lagging consumer */

/* One cached group; read-only once stored. */
typedef struct {
    int refs;                          /* references (the table's and lookups') */
    int64_t group_id;                  /* the group */
    int64_t expires_ms;                /* monotonic time it stops being believed */
    Pigeon__Grp__Roster *roster;       /* current members, ascending ids */
    Pigeon__Grp__Membership *about;    /* group object (membership of user 0) */
} router_ginfo_t;

typedef struct router_groups router_groups_t;

/* ttl_ms > 0. NULL on OOM. */
router_groups_t *router_groups_new(int ttl_ms);
void router_groups_destroy(router_groups_t **g);

/* A reference to the cached group, or NULL; *gen for router_groups_put. */
router_ginfo_t *router_groups_get(router_groups_t *g, int64_t group_id, uint64_t *gen);
/* Builds an entry from fetched replies (taking both) and returns a
 * reference to it; caches it unless an invalidation came since gen. NULL
 * on OOM (the replies are freed). */
router_ginfo_t *router_groups_put(router_groups_t *g, Pigeon__Grp__Roster *roster,
                                  Pigeon__Grp__Membership *about, uint64_t gen);
void router_ginfo_release(router_groups_t *g, router_ginfo_t **info);
/* Something about the group changed. */
void router_groups_invalidate(router_groups_t *g, int64_t group_id);
/* Drops everything (the consumer starts without knowing what it missed). */
void router_groups_clear(router_groups_t *g);

/* Is user a member now? Then *role ("owner"|"admin"|"member") and
 * *muted_until_us (0: not muted). O(log n). */
bool router_ginfo_member(const router_ginfo_t *i, int64_t user, const char **role,
                         int64_t *muted_until_us);

/* The newest change id seen by this process (0: none yet). */
int64_t router_groups_seen(router_groups_t *g);
void router_groups_set_seen(router_groups_t *g, int64_t change_id);

#endif
