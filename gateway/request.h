/* request.h - one REST request as the handlers see it.
 *
 * http.c fills it from libmicrohttpd; dispatch.c routes and authenticates it;
 * a handler reads it and fills a gw_reply_t. Handlers run on a libmicrohttpd
 * worker thread and may block on RPC (the pool is sized for it). */
#ifndef PIGEON_GW_REQUEST_H
#define PIGEON_GW_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "registry.h"

typedef struct gw_backend gw_backend_t;
typedef struct gw_token_cache gw_token_cache_t;
typedef struct gw_route gw_route_t;
typedef struct gw_ws gw_ws_t;
typedef struct gw_static gw_static_t;
struct json_t;

/* What every request shares: owned by gateway.c, read-only while serving. */
typedef struct {
    pc_registry_t *registry;  /* live instances of every service */
    gw_backend_t *backend;    /* per-thread RPC clients */
    gw_token_cache_t *tokens; /* verified bearer tokens */
    pc_metrics_t *metrics;    /* the process's metrics */
    gw_ws_t *ws;              /* WebSocket sessions (ws.h) */
    const gw_static_t *web;   /* the web client's files (static.h); NULL: none */
} gw_ctx_t;

typedef struct gw_request {
    gw_ctx_t *ctx;              /* shared state */
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* decoded path, no query string */
    const char *body;           /* request body (NUL-terminated), may be empty */
    size_t body_len;            /* bytes in body */
    struct json_t *body_json;   /* body already parsed (WebSocket frames; borrowed), or NULL:
                                   gw_request_json parses body */
    const char *client_ip;      /* resolved through trusted proxies */
    const char *trace_id;       /* random per request, sent back as X-Request-Id */
    const gw_route_t *route;    /* matched route */
    int64_t path_id;            /* the route's {id} segment, when it has one */
    int64_t path_id2;           /* the route's second {id} segment ({uid}, {rid}), if any */
    int64_t caller_id;          /* authenticated user; 0 before authentication */
    const char *token;          /* bearer token (borrowed; never logged) */
    uint8_t token_hash[32];     /* SHA-256 of token */
    char request_id[33];        /* RPC request id: random or from Idempotency-Key */
    const char *origin;         /* WebSocket calls: tag of the sending socket, which gets
                                   an ack instead of the event (pubsub.h); NULL for REST */
    /* Header and (url-decoded) query lookups; NULL when absent. */
    const char *(*header)(void *conn, const char *name);
    const char *(*query)(void *conn, const char *name);
    void *conn;                 /* argument of header() and query() */
} gw_request_t;

static inline const char *gw_header(const gw_request_t *req, const char *name)
{
    return req->header ? req->header(req->conn, name) : NULL;
}

static inline const char *gw_query(const gw_request_t *req, const char *name)
{
    return req->query ? req->query(req->conn, name) : NULL;
}

#endif
