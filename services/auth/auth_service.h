/* auth_service.h - pigeon-auth: its settings, its state and its service definition.
 *
 * main.c loads the settings, makes the service and hands auth_service_def()
 * to pc_service_main; every handler reaches the same auth_service_t through
 * pc_call_service(call)->arg. */
#ifndef PIGEON_AUTH_SERVICE_H
#define PIGEON_AUTH_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth_password.h"
#include "migrate.h"
#include "rpc_client.h"
#include "rpc_server.h"
#include "service.h"

/* What pigeon-auth reads from the environment besides pc_config_t. */
typedef struct {
    int token_ttl_days; /* PIGEON_TOKEN_TTL_DAYS: session lifetime; default 30 */
    int hash_workers;   /* PIGEON_HASH_WORKERS: Argon2 hashes at once; default: cores */
    int hash_queue;     /* PIGEON_HASH_QUEUE: calls waiting for a hash slot; default 64 */
    unsigned long long argon2_opslimit; /* PIGEON_ARGON2_OPSLIMIT: passes; default 2 */
    size_t argon2_memlimit;             /* PIGEON_ARGON2_MEMLIMIT_MB, in bytes; default 46 MiB */
    int rate_register_per_ip; /* PIGEON_RATE_REGISTER_PER_IP: per minute, 0 = off; default 30 */
    int rate_login_per_ip;    /* PIGEON_RATE_LOGIN_PER_IP: per minute, 0 = off; default 120 */
    int rate_login_per_user;  /* PIGEON_RATE_LOGIN_PER_USER: per minute, 0 = off; default 10 */
} auth_config_t;

/* The state every worker thread shares; read-only once made, except where noted. */
typedef struct {
    auth_config_t config;      /* settings */
    auth_password_t *password; /* Argon2 limiter (thread-safe) */
    int64_t next_sweep_ms;     /* monotonic time of the next housekeeping sweep (tick only) */
    bool nicknames_keyed;      /* no user lacks a nickname key any more (tick only) */
} auth_service_t;

/* What each worker thread owns besides its DB connection (pc_call_worker). */
typedef struct {
    pc_rpc_client_t *media; /* pigeon-media: is an avatar an image the user uploaded? */
} auth_worker_t;

/* Reads and validates the PIGEON_* variables above. 0, or -1 with one line in err. */
int auth_config_load(auth_config_t *cfg, char *err, size_t errlen);

/* Takes one Argon2 hash's time (the dummy hash). NULL with a reason in err. */
auth_service_t *auth_service_new(const auth_config_t *cfg, char *err, size_t errlen);
void auth_service_destroy(auth_service_t **svc);

/* Fills def for pc_service_main; def->arg is svc, which must outlive it. */
void auth_service_def(auth_service_t *svc, pc_service_def_t *def);

/* The files in sql/, embedded at build time (cmake/pigeon.cmake). */
extern const pc_migration_t auth_migrations[];
extern const size_t auth_migration_count;

/* The method table (auth_handlers.c). */
extern const pc_method_t auth_methods[];
extern const size_t auth_method_count;

#endif
