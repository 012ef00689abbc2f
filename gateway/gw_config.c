/* gw_config.c - the gateway's settings. */
#include "gw_config.h"

#include <stdlib.h>
#include <string.h>

int gw_config_load(gw_config_t *cfg, char *err, size_t errlen)
{
    long v;
    char *proxies = NULL;
    memset(cfg, 0, sizeof *cfg);
    if (pc_config_load(&cfg->common, "gateway", err, errlen) < 0)
        return -1;
    if (pc_env_int("PIGEON_HTTP_PORT", 8080, 1, 65535, &v, err, errlen) < 0)
        goto fail;
    cfg->http_port = (int)v;
    if (pc_env_int("PIGEON_HTTP_THREADS", 16, 1, 1024, &v, err, errlen) < 0)
        goto fail;
    cfg->http_threads = (int)v;
    if (pc_env_int("PIGEON_HTTP_MAX_CONNECTIONS", 10000, 16, 1000000, &v, err, errlen) < 0)
        goto fail;
    cfg->max_connections = (int)v;
    /* Below ~8 KiB MHD cannot hold ordinary request headers. libmicrohttpd
     * keeps this pool for an upgraded connection until the WebSocket
     * closes, so it is most of an idle socket's cost: 8 KiB holds request
     * headers up to about 7 KiB, and bodies are streamed through it (JSON is
     * collected in http.c, uploads in their own buffer). */
    if (pc_env_int("PIGEON_HTTP_CONNECTION_MEMORY", 8 * 1024, 8 * 1024, 1024 * 1024, &v, err,
                   errlen) < 0)
        goto fail;
    cfg->connection_memory = (size_t)v;
    /* POST /v1/media bodies collected and forwarded at once; more get 503
     * before their body is read. Each costs up to ~4 x its size while it is
     * forwarded (docs/media.md "Memory bound"): 8 x 4 x 10 MiB = 320 MiB. */
    if (pc_env_int("PIGEON_HTTP_MAX_UPLOADS", 8, 1, 1024, &v, err, errlen) < 0)
        goto fail;
    cfg->max_uploads = (int)v;
    if (pc_env_int("PIGEON_HTTP_IDLE_TIMEOUT_S", 60, 1, 3600, &v, err, errlen) < 0)
        goto fail;
    cfg->idle_timeout_s = (int)v;
    /* DESIGN.md: a revoked or expired token may be believed for at most 10 s. */
    if (pc_env_int("PIGEON_TOKEN_CACHE_MS", 10000, 0, 10000, &v, err, errlen) < 0)
        goto fail;
    cfg->token_cache_ms = (int)v;
    if (pc_env_int("PIGEON_TOKEN_CACHE_ENTRIES", 65536, 16, 16 * 1024 * 1024, &v, err, errlen) < 0)
        goto fail;
    cfg->token_cache_entries = (size_t)v;
    if (pc_env_int("PIGEON_WS_LOOPS", 2, 1, 64, &v, err, errlen) < 0)
        goto fail;
    cfg->ws_loops = (int)v;
    /* WebSocket `read` frames only (sends go through ws_sends.c without a
     * thread each); a worker holds one frame while its call is out. */
    if (pc_env_int("PIGEON_WS_WORKERS", 8, 1, 256, &v, err, errlen) < 0)
        goto fail;
    cfg->ws_workers = (int)v;
    if (pc_env_int("PIGEON_WS_PING_MS", 30000, 100, 3600000, &v, err, errlen) < 0)
        goto fail;
    cfg->ws_ping_ms = (int)v;
    if (pc_env_int("PIGEON_WS_IDLE_MS", 90000, 300, 3600000, &v, err, errlen) < 0)
        goto fail;
    cfg->ws_idle_ms = (int)v;
    if (pc_env_int("PIGEON_WS_READY_MS", 2000, 10, 60000, &v, err, errlen) < 0)
        goto fail;
    cfg->ws_ready_ms = (int)v;
    if (pc_env_str("PIGEON_TRUSTED_PROXIES", NULL, &proxies, err, errlen) < 0)
        goto fail;
    cfg->proxies = gw_proxies_parse(proxies, err, errlen);
    free(proxies);
    if (!cfg->proxies)
        goto fail;
    if (pc_env_str("PIGEON_WEB_DIR", NULL, &cfg->web_dir, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    gw_config_clear(cfg);
    return -1;
}

void gw_config_clear(gw_config_t *cfg)
{
    pc_config_clear(&cfg->common);
    gw_proxies_destroy(&cfg->proxies);
    free(cfg->web_dir);
    cfg->web_dir = NULL;
}
