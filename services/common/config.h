/* config.h - settings from PIGEON_* environment variables, read once at start.
 *
 * Every value is validated; an error names the variable in one clear line
 * ("PIGEON_WORKERS must be an integer from 1 to 256, not \"x\""). */
#ifndef PIGEON_CONFIG_H
#define PIGEON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* What every service process reads. Strings are owned by the struct. */
typedef struct {
    char service[32];          /* "auth", "gateway", ...: set by the caller */
    char instance_id[64];      /* PIGEON_INSTANCE_ID; default "<hostname>-<pid>" */
    char *db_url;              /* PIGEON_DB_URL: libpq conninfo or URI */
    char *bind_addr;           /* PIGEON_BIND_ADDR: RPC, PUB and admin ports; default 127.0.0.1 */
    char *advertise_host;      /* PIGEON_ADVERTISE_HOST: host others dial; default bind_addr,
                                  or the hostname when bind_addr is 0.0.0.0 */
    int rpc_port;              /* PIGEON_RPC_PORT; 0 (default) = any free port */
    int pub_port;              /* PIGEON_PUB_PORT; 0 (default) = any free port */
    int admin_port;            /* PIGEON_ADMIN_PORT; 0 (default) = any free port */
    int workers;               /* PIGEON_WORKERS: handler threads, each with a DB connection; default 8 */
    int db_timeout_ms;         /* PIGEON_DB_STATEMENT_TIMEOUT_MS; default 5000 */
    int rpc_deadline_ms;       /* PIGEON_RPC_DEADLINE_MS: default budget of a call; default 5000 */
    int registry_interval_ms;  /* PIGEON_REGISTRY_INTERVAL_MS: heartbeat/refresh; default 1000 */
    int registry_ttl_ms;       /* PIGEON_REGISTRY_TTL_MS: silent this long = dead; default 5000 */
    int shutdown_grace_ms;     /* PIGEON_SHUTDOWN_GRACE_MS: drain budget on SIGTERM; default 10000 */
    int log_level;             /* PIGEON_LOG_LEVEL: debug|info|warn|error; default info */
} pc_config_t;

/* Fills cfg for `service`. Returns 0, or -1 with one line in err. */
int pc_config_load(pc_config_t *cfg, const char *service, char *err, size_t errlen);

/* Frees the strings; cfg may be reused after pc_config_load. */
void pc_config_clear(pc_config_t *cfg);

/* Helpers for service-specific variables. Each returns 0 (value or default
 * in *out) or -1 with one line in err. */
int pc_env_int(const char *name, long def, long min, long max, long *out, char *err, size_t errlen);
int pc_env_bool(const char *name, bool def, bool *out, char *err, size_t errlen);
/* *out is a malloc'd copy of the value or of def (def may be NULL: *out NULL). */
int pc_env_str(const char *name, const char *def, char **out, char *err, size_t errlen);

#endif
