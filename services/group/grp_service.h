/* grp_service.h - pigeon-group: its definition for pc_service_main.
 *
 * Groups, members, roles, join policies, join requests, group search and the
 * membership outbox (proto/group.proto lists the methods, replies and events). */
#ifndef PIGEON_GRP_SERVICE_H
#define PIGEON_GRP_SERVICE_H

#include <stddef.h>

#include "migrate.h"
#include "rpc_client.h"
#include "service.h"

/* The files in sql/, embedded at build time (cmake/pigeon.cmake). */
extern const pc_migration_t group_migrations[];
extern const size_t group_migration_count;

/* What each worker thread owns besides its DB connection. */
typedef struct {
    pc_rpc_client_t *auth; /* pigeon-auth: user existence and user objects */
    pc_rpc_client_t *rel;  /* pigeon-relationship: is X a contact of the caller? */
} grp_worker_t;

/* Fills *def: name "group", schema "grp", migrations, the method table and
 * the per-worker clients. */
void grp_service_describe(pc_service_def_t *def);

#endif
