/* gw_config.h - the gateway's settings, read once from PIGEON_* variables. */
#ifndef PIGEON_GW_CONFIG_H
#define PIGEON_GW_CONFIG_H

#include <stddef.h>

#include "config.h"
#include "proxy.h"

typedef struct {
    pc_config_t common;         /* what every process reads (DB URL, deadlines, ...) */
    int http_port;              /* PIGEON_HTTP_PORT, default 8080 */
    int http_threads;           /* PIGEON_HTTP_THREADS: MHD worker pool, default 16 */
    int max_connections;        /* PIGEON_HTTP_MAX_CONNECTIONS, default 10000 */
    size_t connection_memory;   /* PIGEON_HTTP_CONNECTION_MEMORY bytes, default 8192 */
    int max_uploads;            /* PIGEON_HTTP_MAX_UPLOADS: media bodies at once, default 8 */
    int idle_timeout_s;         /* PIGEON_HTTP_IDLE_TIMEOUT_S: idle keep-alive, default 60 */
    gw_proxies_t *proxies;      /* PIGEON_TRUSTED_PROXIES, default none */
    char *web_dir;              /* PIGEON_WEB_DIR; NULL: the default folders (static.h) */
    int token_cache_ms;         /* PIGEON_TOKEN_CACHE_MS, default and max 10000; 0 disables */
    size_t token_cache_entries; /* PIGEON_TOKEN_CACHE_ENTRIES, default 65536 */
    int ws_loops;               /* PIGEON_WS_LOOPS: WebSocket epoll threads, default 2 */
    int ws_workers;             /* PIGEON_WS_WORKERS: read-frame workers, default 8 */
    int ws_ping_ms;             /* PIGEON_WS_PING_MS: server ping interval, default 30000 */
    int ws_idle_ms;             /* PIGEON_WS_IDLE_MS: silence before a drop, default 90000 */
    int ws_ready_ms;            /* PIGEON_WS_READY_MS: ready deadline, default 2000 */
} gw_config_t;

/* Returns 0, or -1 with one line naming the variable in err. */
int gw_config_load(gw_config_t *cfg, char *err, size_t errlen);
void gw_config_clear(gw_config_t *cfg);

#endif
