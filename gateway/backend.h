/* backend.h - the gateway's RPC clients, one set per thread.
 *
 * A pc_rpc_client_t owns ZeroMQ sockets, so each libmicrohttpd worker
 * thread gets its own, made on first use (pthread key) and destroyed by
 * that same thread when it exits (MHD_stop_daemon joins its workers, which
 * must happen before gw_backend_destroy). */
#ifndef PIGEON_GW_BACKEND_H
#define PIGEON_GW_BACKEND_H

#include "registry.h"
#include "rpc_client.h"

typedef enum {
    GW_SVC_AUTH = 0,
    GW_SVC_RELATIONSHIP,
    GW_SVC_ROUTER,
    GW_SVC_GROUP,
    GW_SVC_MEDIA,
    GW_SVC_COUNT /* keep last */
} gw_service_t;

typedef struct gw_backend gw_backend_t;

gw_backend_t *gw_backend_new(pc_registry_t *reg, int deadline_ms);
void gw_backend_destroy(gw_backend_t **b);

/* The calling thread's client for svc; NULL only when out of memory. */
pc_rpc_client_t *gw_backend_client(gw_backend_t *b, gw_service_t svc);

/* Default budget of a call (PIGEON_RPC_DEADLINE_MS). */
int gw_backend_deadline_ms(const gw_backend_t *b);

/* Registry name of a service ("auth", "relationship"). */
const char *gw_service_name(gw_service_t svc);

#endif
