/* rel_service.h - pigeon-relationship: its definition for pc_service_main.
 *
 * One-way contacts, two-way friend requests, blocks and "may A message B?"
 * (proto/relationship.proto lists the methods, replies and events). */
#ifndef PIGEON_REL_SERVICE_H
#define PIGEON_REL_SERVICE_H

#include <stddef.h>

#include "migrate.h"
#include "rpc_client.h"
#include "service.h"

/* The files in sql/, embedded at build time (cmake/pigeon.cmake). */
extern const pc_migration_t relationship_migrations[];
extern const size_t relationship_migration_count;

/* What each worker thread owns besides its DB connection. */
typedef struct {
    pc_rpc_client_t *auth; /* pigeon-auth: user existence, add_policy, user objects */
} rel_worker_t;

/* Fills *def: name "relationship", schema "rel", migrations, the method
 * table and the per-worker pigeon-auth client. */
void rel_service_describe(pc_service_def_t *def);

#endif
