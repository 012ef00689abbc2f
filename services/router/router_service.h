/* router_service.h - pigeon-router: its definition for pc_service_main and
 * the state its handlers share (proto/router.proto lists the methods). */
#ifndef PIGEON_ROUTER_SERVICE_H
#define PIGEON_ROUTER_SERVICE_H

#include <pthread.h>
#include <stddef.h>

#include "migrate.h"
#include "router_batch.h"
#include "router_groups.h"
#include "router_outbox.h"
#include "router_perm.h"
#include "router_watch.h"
#include "rpc_client.h"
#include "service.h"

/* The files in sql/, embedded at build time (cmake/pigeon.cmake). */
extern const pc_migration_t router_migrations[];
extern const size_t router_migration_count;

/* Process state, reached through pc_call_service(call)->arg. The committer
 * and the watcher start with the first worker and stop with the last (the
 * RPC server starts and joins its workers). */
typedef struct {
    pthread_mutex_t lock;  /* guards workers and the start/stop below */
    int workers;           /* live worker threads */
    router_batch_t *batch; /* the committer (group commit of sends) */
    router_perm_t *perm;   /* may_message cache */
    router_watch_t *watch; /* "rel/" events -> perm */
    router_groups_t *groups; /* group rosters and objects */
    router_outbox_t *outbox; /* membership changes -> group conversations */
    long recall_window_s;  /* PIGEON_RECALL_WINDOW_S */
    long perm_ttl_ms;      /* PIGEON_ROUTER_PERMISSION_TTL_MS */
    long batch_max;        /* PIGEON_ROUTER_BATCH_MAX */
} router_t;

/* What each worker thread owns besides its DB connection. */
typedef struct {
    router_t *router;      /* the process state (threads stop with the last worker) */
    pc_rpc_client_t *auth; /* pigeon-auth: user objects, existence */
    pc_rpc_client_t *rel;  /* pigeon-relationship: may_message */
    pc_rpc_client_t *grp;  /* pigeon-group: rosters, memberships, changes */
    pc_rpc_client_t *media; /* pigeon-media: the media of image/voice messages */
} router_worker_t;

/* Reads the router's PIGEON_* variables into r; -1 with one line in err. */
int router_init(router_t *r, char *err, size_t errlen);
void router_fini(router_t *r);

/* Fills *def for pc_service_main with r as its state. */
void router_service_describe(pc_service_def_t *def, router_t *r);

#endif
