/* registry.h - which instances of which service are alive, and where.
 *
 * Instances register (service, instance id, rpc endpoint, pub endpoint,
 * admin endpoint) in registry.instances and refresh a heartbeat every
 * interval; every process reads the live rows (heartbeat younger than the
 * TTL) on the same tick. A background thread with its own DB connection does
 * both; readers get a consistent snapshot under a mutex and a version number
 * that changes whenever the set changes, so per-thread RPC clients can
 * reconnect cheaply.
 *
 * Static override (tests, fixed deployments): PIGEON_<SERVICE>_ENDPOINTS =
 * "tcp://h:p,tcp://h:p" and PIGEON_<SERVICE>_PUB_ENDPOINTS likewise (SERVICE
 * upper-case: AUTH, RELATIONSHIP, ...). A service named there is never looked
 * up in PostgreSQL. */
#ifndef PIGEON_REGISTRY_H
#define PIGEON_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "metrics.h"

typedef struct {
    char service[32];   /* "auth" */
    char instance[64];  /* unique per process */
    char rpc[128];      /* "tcp://127.0.0.1:41234", or "" */
    char pub[128];      /* XPUB endpoint, or "" */
    char admin[128];    /* "http://127.0.0.1:41236", or "" */
} pc_instance_t;

typedef struct pc_registry pc_registry_t;

/* Starts the refresh thread. Applies the registry schema's migrations on its
 * connection first (retrying until PostgreSQL answers). db_url may be NULL
 * when every service used is given statically. */
pc_registry_t *pc_registry_new(const char *db_url, int interval_ms, int ttl_ms);

/* Deregisters what this process announced, stops the thread. */
void pc_registry_destroy(pc_registry_t **reg);

/* Registers this process; heartbeats start with the next tick (and one
 * immediately). May be called before the first tick. */
void pc_registry_announce(pc_registry_t *reg, const pc_instance_t *self);

/* Removes this process's registration now (first step of a graceful stop). */
void pc_registry_withdraw(pc_registry_t *reg);

/* Copies up to max live instances of `service` into out, sorted by instance id.
 * Returns how many there are. */
size_t pc_registry_lookup(pc_registry_t *reg, const char *service, pc_instance_t *out, size_t max);

/* Increases whenever any service's live set changes. */
uint64_t pc_registry_version(pc_registry_t *reg);

/* True once the first refresh has completed (or everything is static). */
int pc_registry_ready(pc_registry_t *reg);

/* True while the snapshot is current: everything is static, or the last
 * successful refresh is younger than the TTL. While PostgreSQL is away the
 * snapshot is kept (callers go on with it) but is no longer fresh; a
 * gateway's /readyz reports that. */
int pc_registry_fresh(pc_registry_t *reg);

/* Optional: where the registry counts its refreshes and live instances
 * (pigeon_registry_*), and the metrics RPC clients made on this registry
 * count their retries and failures in. Set it before starting threads that
 * make clients; m must outlive reg. */
void pc_registry_set_metrics(pc_registry_t *reg, pc_metrics_t *m);
pc_metrics_t *pc_registry_metrics(pc_registry_t *reg);

#endif
