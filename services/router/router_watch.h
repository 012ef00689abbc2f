/* router_watch.h - the thread that keeps the permission cache honest.
 *
 * One SUB socket, owned by this thread, connected to every live
 * pigeon-relationship publisher (from the registry, re-synced when it
 * changes) and subscribed to "rel/": each RelChanged{a, b} drops the pair
 * from router_perm. */
#ifndef PIGEON_ROUTER_WATCH_H
#define PIGEON_ROUTER_WATCH_H

#include "registry.h"
#include "router_perm.h"

typedef struct router_watch router_watch_t;

/* Starts the thread; NULL on failure. perm and reg outlive the watch. */
router_watch_t *router_watch_new(pc_registry_t *reg, router_perm_t *perm);
void router_watch_destroy(router_watch_t **w);

#endif
