/* http.h - the gateway's libmicrohttpd daemon: requests in, replies out.
 *
 * A pool of worker threads (PIGEON_HTTP_THREADS), each running its own
 * epoll loop over its share of the connections. REST handlers block on RPC
 * inside their worker, so the pool size bounds concurrent backend calls.
 * Bodies are collected up to PC_JSON_MAX_BODY and refused (413) beyond it
 * while streaming; complete requests go to gw_dispatch(). */
#ifndef PIGEON_GW_HTTP_H
#define PIGEON_GW_HTTP_H

#include <stddef.h>

#include "gw_config.h"
#include "request.h"

typedef struct gw_http gw_http_t;

/* Starts listening on cfg->http_port (all interfaces, IPv6 and IPv4). */
gw_http_t *gw_http_new(const gw_config_t *cfg, gw_ctx_t *ctx, char *err, size_t errlen);

/* Stops accepting new connections; requests in flight go on. */
void gw_http_quiesce(gw_http_t *h);

/* Requests between their first byte and their completed answer. */
int gw_http_inflight(gw_http_t *h);

/* Stops the workers (closing idle connections) and frees everything. */
void gw_http_destroy(gw_http_t **h);

#endif
