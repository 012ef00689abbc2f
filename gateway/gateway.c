/* gateway.c - the pigeon-gateway process. */
#include "gateway.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "auth.pb-c.h"
#include "backend.h"
#include "clock.h"
#include "events.h"
#include "gw_config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "static.h"
#include "token_cache.h"
#include "ws.h"

/* Descriptors beyond the connections: listeners, ZeroMQ sockets, DB, logs. */
#define GW_FD_HEADROOM 1024

struct gw_gateway {
    gw_config_t config;     /* read once at start */
    pc_metrics_t *metrics;  /* served on /metrics */
    pc_registry_t *registry;/* live service instances */
    gw_token_cache_t *tokens;/* verified bearer tokens */
    gw_backend_t *backend;  /* per-thread RPC clients */
    gw_events_t *events;    /* revoked/ (and later user) events */
    gw_ws_t *ws;            /* WebSocket loops and workers */
    gw_http_t *http;        /* the REST workers */
    gw_static_t *web;       /* the web client's files, served at / (NULL: none) */
    gw_ctx_t ctx;           /* what handlers see */
};

/* revoked/: payload is a packed pigeon.auth.Revoked naming the token hash.
 * The token leaves the cache and its WebSockets here are closed (4001). */
static void s_on_revoked(const pc_event_t *ev, void *arg)
{
    gw_gateway_t *gw = arg;
    gw_token_cache_t *tokens = gw->tokens;
    if (ev->payload_len > 1024)
        return;
    Pigeon__Auth__Revoked *r = pigeon__auth__revoked__unpack(
        NULL, ev->payload_len, (const uint8_t *)ev->payload);
    if (!r)
        return;
    if (r->token_hash.len == 32) {
        gw_token_cache_revoke(tokens, r->token_hash.data);
        if (gw->ws)
            gw_ws_revoke(gw->ws, r->token_hash.data);
    }
    pigeon__auth__revoked__free_unpacked(r, NULL);
}

/* Each connection is a descriptor: make room for all of them, or lower
 * the connection limit to what the hard limit allows. */
static void s_fit_fd_limit(gw_config_t *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t want = (rlim_t)cfg->max_connections + GW_FD_HEADROOM;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        int fit = rl.rlim_cur > GW_FD_HEADROOM + 16 ? (int)(rl.rlim_cur - GW_FD_HEADROOM) : 16;
        pc_warn("open file limit %llu is too low for %d connections; serving at most %d",
                (unsigned long long)rl.rlim_cur, cfg->max_connections, fit);
        cfg->max_connections = fit;
    }
}

/* The web client (static.h): PIGEON_WEB_DIR must load when set; the
 * default folders are optional (without one, / answers 404). */
static int s_load_web(gw_gateway_t *gw, char *err, size_t errlen)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *dir = gw_static_dir(gw->config.web_dir, exe);
    if (!dir) {
        pc_info("no web folder found (PIGEON_WEB_DIR unset); / answers 404");
        return 0;
    }
    gw->web = gw_static_new(dir, err, errlen);
    if (gw->web) {
        pc_info("serving %zu web files from \"%s\"", gw_static_count(gw->web), dir);
        gw->ctx.web = gw->web;
    }
    free(dir);
    return gw->web ? 0 : -1;
}

gw_gateway_t *gw_gateway_new(char *err, size_t errlen)
{
    gw_gateway_t *gw = calloc(1, sizeof *gw);
    if (!gw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (gw_config_load(&gw->config, err, errlen) < 0) {
        free(gw);
        return NULL;
    }
    pc_config_t *common = &gw->config.common;
    pc_log_init("gateway", common->instance_id, (pc_log_level_t)common->log_level);
    s_fit_fd_limit(&gw->config);

    gw->metrics = pc_metrics_new("gateway");
    gw->registry = pc_registry_new(common->db_url, common->registry_interval_ms,
                                   common->registry_ttl_ms);
    gw->tokens = gw_token_cache_new(gw->config.token_cache_entries, gw->config.token_cache_ms);
    if (!gw->metrics || !gw->registry || !gw->tokens) {
        snprintf(err, errlen, "could not start the registry, metrics or token cache");
        goto fail;
    }
    pc_registry_set_metrics(gw->registry, gw->metrics); /* RPC client retries, live instances */
    gw->backend = gw_backend_new(gw->registry, common->rpc_deadline_ms);
    gw->ctx = (gw_ctx_t){.registry = gw->registry,
                         .backend = gw->backend,
                         .tokens = gw->tokens,
                         .metrics = gw->metrics};
    gw_ws_opts_t wo = {.loops = gw->config.ws_loops,
                       .workers = gw->config.ws_workers,
                       .ping_ms = gw->config.ws_ping_ms,
                       .idle_ms = gw->config.ws_idle_ms,
                       .ready_ms = gw->config.ws_ready_ms,
                       .instance = common->instance_id};
    gw->ws = gw->backend ? gw_ws_new(&wo, &gw->ctx) : NULL;
    gw->ctx.ws = gw->ws;
    gw->events = gw_events_new(gw->registry, gw->metrics);
    if (!gw->backend || !gw->ws || !gw->events ||
        gw_events_on(gw->events, "revoked/", s_on_revoked, gw) < 0) {
        snprintf(err, errlen, "could not start the events thread or the WebSocket loops");
        goto fail;
    }
    gw_events_set_ws(gw->events, gw->ws);
    if (gw_events_start(gw->events) < 0) {
        snprintf(err, errlen, "could not start the events thread");
        goto fail;
    }
    if (s_load_web(gw, err, errlen) < 0)
        goto fail;
    gw->http = gw_http_new(&gw->config, &gw->ctx, err, errlen);
    if (!gw->http)
        goto fail;
    pc_info("listening on HTTP port %d with %d workers, at most %d connections",
            gw->config.http_port, gw->config.http_threads, gw->config.max_connections);
    return gw;
fail:
    gw_gateway_destroy(&gw);
    return NULL;
}

int gw_gateway_run(gw_gateway_t *gw, int sigfd)
{
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(sigfd, &si, sizeof si);
        if (n == (ssize_t)sizeof si)
            break; /* only SIGTERM and SIGINT are routed here */
        if (n < 0 && errno != EINTR) {
            pc_error("could not read signals: %s", strerror(errno));
            break;
        }
    }
    pc_info("stopping: no new connections, waiting for %d requests in flight",
            gw_http_inflight(gw->http));
    gw_http_quiesce(gw->http);
    int64_t deadline = pc_mono_ms() + gw->config.common.shutdown_grace_ms;
    /* WebSockets first: each gets a 1001 close; upgraded connections also
     * count as requests in flight until libmicrohttpd has closed them. */
    gw_ws_close_all(gw->ws);
    while (gw_ws_open_count(gw->ws) > 0 && pc_mono_ms() < deadline)
        poll(NULL, 0, 20); /* bounded by the grace period */
    while (gw_http_inflight(gw->http) > 0 && pc_mono_ms() < deadline)
        poll(NULL, 0, 20); /* the drain is bounded by the grace period */
    if (gw_http_inflight(gw->http) > 0)
        pc_warn("grace period over with %d requests in flight", gw_http_inflight(gw->http));
    return 0;
}

void gw_gateway_destroy(gw_gateway_t **gwp)
{
    if (!gwp || !*gwp)
        return;
    gw_gateway_t *gw = *gwp;
    /* Order matters: HTTP workers destroy their RPC clients as they exit,
     * which needs the registry; the events thread reads the registry too. */
    gw_ws_stop(gw->ws); /* before libmicrohttpd stops: it closes the upgraded sockets */
    gw_http_destroy(&gw->http);
    gw_events_destroy(&gw->events);
    gw_ws_destroy(&gw->ws); /* after the events thread, which posts to the loops */
    gw_backend_destroy(&gw->backend);
    pc_registry_destroy(&gw->registry);
    gw_token_cache_destroy(&gw->tokens);
    pc_metrics_destroy(&gw->metrics);
    gw_static_destroy(&gw->web);
    gw_config_clear(&gw->config);
    free(gw);
    *gwp = NULL;
}
