/* pubsub_follow.h - keeps a SUB socket connected to the live publishers.
 *
 * A pc_sub_follow_t owns the endpoint set of one pc_subscriber_t: the XPUB
 * endpoints of every live instance of the given services (an instance
 * without a pub endpoint is skipped). pc_sub_follow_update() re-syncs the
 * connections on its first call and whenever pc_registry_version changes;
 * between changes it costs one atomic read. Used from the one thread that
 * owns the socket; the drain rule stays with the caller. */
#ifndef PIGEON_PC_PUBSUB_FOLLOW_H
#define PIGEON_PC_PUBSUB_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "pubsub.h"
#include "registry.h"

#define PC_SUB_FOLLOW_MAX 64 /* publishers of all the services together */

typedef struct pc_sub_follow pc_sub_follow_t;

/* sub, reg and the services array (and its strings) are borrowed and must
 * outlive the follower. NULL on failure. Connects nothing yet. */
pc_sub_follow_t *pc_sub_follow_new(pc_subscriber_t *sub, pc_registry_t *reg,
                                   const char *const *services, size_t nservices);
/* Forgets the set; the socket's connections are left to the socket. */
void pc_sub_follow_destroy(pc_sub_follow_t **f);

/* Info lines "<connected> <endpoint>" and "<disconnected> <endpoint>" on
 * each change; NULL (the default) logs nothing for that direction. The
 * strings are borrowed. A failed connect is always a warning. */
void pc_sub_follow_set_log(pc_sub_follow_t *f, const char *connected, const char *disconnected);

/* Makes the connections equal to the live publishers if the registry
 * changed since the last sync (or never synced). True when it synced.
 * O(n^2) in the number of publishers, fine for dozens. */
bool pc_sub_follow_update(pc_sub_follow_t *f);

/* Publishers connected now. */
size_t pc_sub_follow_count(const pc_sub_follow_t *f);

/* Copies the instance ids of the live publishers seen at the last sync
 * (connected or not) into ids; returns how many (at most max). */
size_t pc_sub_follow_instances(const pc_sub_follow_t *f, char (*ids)[64], size_t max);

#endif
