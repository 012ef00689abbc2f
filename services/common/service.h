/* service.h - the whole life of a service process, written once.
 *
 *   main() -> pc_service_main(&def, argc, argv):
 *     block SIGTERM/SIGINT (read later from a signalfd), zsys_handler_set(NULL),
 *     load pc_config_t, start logging, connect and migrate (waiting for
 *     PostgreSQL with backoff), start the publisher, the RPC server, the
 *     admin port, announce in the registry; wait for a signal; then withdraw
 *     from the registry, drain in-flight calls within the grace period, stop
 *     everything and return 0.
 *
 *   `<binary> --migrate` applies the migrations and exits. */
#ifndef PIGEON_SERVICE_H
#define PIGEON_SERVICE_H

#include <stddef.h>

#include "config.h"
#include "migrate.h"
#include "pubsub.h"
#include "registry.h"
#include "rpc_server.h"

typedef struct pc_service_def pc_service_def_t;

/* What a service's callbacks see. In a service process pc_call_service(call)
 * returns this context (const pc_service_ctx_t *). */
typedef struct {
    const pc_service_def_t *def;
    const pc_config_t *config;
    pc_registry_t *registry;  /* for RPC clients to other services */
    pc_metrics_t *metrics;
    void *arg;                /* the service's own state (def->arg) */
    pc_publisher_t *publisher; /* for threads of the service's own: pc_pub_sender_new */
} pc_service_ctx_t;

struct pc_service_def {
    const char *name;                 /* "auth": registry name and log field */
    const char *schema;               /* PostgreSQL schema it owns */
    const pc_migration_t *migrations;
    size_t migration_count;
    const pc_method_t *methods;
    size_t method_count;
    /* Per worker thread, in that thread: e.g. RPC clients. May be NULL. */
    void *(*worker_init)(const pc_service_ctx_t *ctx);
    void (*worker_fini)(void *worker_state);
    /* Once a second on the main thread (expiry sweeps...). May be NULL. */
    void (*tick)(const pc_service_ctx_t *ctx, pc_db_t *db);
    void *arg;                        /* service state, see pc_service_ctx_t */
};

/* Returns the process exit code. */
int pc_service_main(const pc_service_def_t *def, int argc, char **argv);

#endif
