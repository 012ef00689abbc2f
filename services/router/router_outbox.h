/* router_outbox.h - applies pigeon-group's membership changes (the outbox,
 * services/group/README.md "Outbox contract") to group conversations.
 *
 * router_outbox_pump pages grp.changes after the newest id this process has
 * seen and, for each page, in ONE transaction holding the row lock of
 * msg.group_cursor: skips changes at or below the stored cursor (another
 * router copy applied them), applies the rest in id order
 * (router_store_group_apply) and moves the cursor. So a change is applied
 * exactly once whatever the number of router copies, and a crash between
 * reading and applying only delays it. After the commit the groups the page
 * touched are dropped from the cache (every copy does this, applied or not).
 *
 * A consumer thread pumps on every GroupNudge ("grp/", from every
 * pigeon-group publisher in the registry) and every S_PERIOD_MS; handlers
 * also pump when a user looks like a member pigeon-group knows of but whose
 * join the consumer has not applied yet. */
#ifndef PIGEON_ROUTER_OUTBOX_H
#define PIGEON_ROUTER_OUTBOX_H

#include <stddef.h>

#include "db.h"
#include "pubsub.h"
#include "registry.h"
#include "router_groups.h"
#include "rpc_client.h"

/* Sends one event frame on a topic; how depends on the thread (a handler
 * queues it on its call, the consumer uses its own pc_pub_sender_t). */
typedef void (*router_outbox_emit_fn)(void *arg, const char *topic, const char *frame, size_t len);

/* Applies everything new (at most 20 pages of 100). PC_OK or the first
 * failure (a store or RPC status); what committed stays applied. After each
 * page commits, every system message it appended goes out as a `message`
 * event (encoded once) through emit to each user who may read it: the
 * members, a user who joined with it, and one whose membership it ended
 * (left, removed, dismissed). emit NULL: nothing is announced. */
int router_outbox_pump(pc_db_t *db, pc_rpc_client_t *grp, const pc_rpc_opts_t *opts,
                       router_groups_t *cache, router_outbox_emit_fn emit, void *emit_arg);

typedef struct router_outbox router_outbox_t;

/* Starts the consumer thread with its own connection, clients and
 * publisher sender (pub borrowed, may be NULL). */
router_outbox_t *router_outbox_new(const char *db_url, int db_timeout_ms, pc_registry_t *reg,
                                   int rpc_deadline_ms, router_groups_t *cache,
                                   pc_publisher_t *pub);
void router_outbox_destroy(router_outbox_t **o);

#endif
