/* ws.h - WebSocket sessions of the gateway (API.md "WebSocket").
 *
 * GET /v1/ws is authenticated (Authorization header, ?ticket= or ?token=)
 * and upgraded by libmicrohttpd; the socket then belongs to one of
 * PIGEON_WS_LOOPS epoll loop threads (ws_loop.c). Client `send` and `read`
 * frames run on a small worker pool (ws_jobs.c) through the same handlers
 * as REST, one at a time per socket so a socket's sends keep their order.
 * Per-user topics "u:<id>/" are subscribed on the events thread's SUB
 * socket while the user has a socket here (ws_hub.c); `ready` follows the
 * markers of every live publisher, or a deadline. See docs/websocket.md. */
#ifndef PIGEON_GW_WS_H
#define PIGEON_GW_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubsub.h"
#include "reply.h"
#include "request.h"

#define GW_WS_PATH "/v1/ws"

typedef struct gw_ws gw_ws_t;
struct MHD_UpgradeResponseHandle;

typedef struct {
    int loops;            /* PIGEON_WS_LOOPS: epoll loop threads */
    int workers;          /* PIGEON_WS_WORKERS: threads running send/read */
    int ping_ms;          /* PIGEON_WS_PING_MS: server ping interval */
    int idle_ms;          /* PIGEON_WS_IDLE_MS: silent sockets are dropped after this */
    int ready_ms;         /* PIGEON_WS_READY_MS: ready at the latest after this */
    const char *instance; /* this gateway's instance id (origin tags) */
} gw_ws_opts_t;

/* Starts the loops and workers. */
gw_ws_t *gw_ws_new(const gw_ws_opts_t *opts, gw_ctx_t *ctx);

/* --- libmicrohttpd worker threads --- */

/* What the upgrade handler needs from the request that asked for it. It
 * lives in the request's own state (http.c), which libmicrohttpd keeps
 * until the connection is finished: a client that drops between the 101
 * and the upgrade leaves nothing behind. */
typedef struct {
    int64_t user;     /* authenticated user */
    uint8_t hash[32]; /* SHA-256 of its token (the session's, for a ticket) */
    char accept[29];  /* Sec-WebSocket-Accept of the 101 */
} gw_ws_pending_t;

/* Checks the handshake headers and the credential of req (a GET of
 * GW_WS_PATH). Returns 0 with *p filled (the caller queues the 101 with
 * p->accept), or -1 with out filled (400 for a bad handshake, 401 for a
 * missing or bad credential, 503/504). */
int gw_ws_accept(gw_ws_t *ws, gw_request_t *req, gw_ws_pending_t *p, gw_reply_t *out);

/* libmicrohttpd's upgrade handler calls this: the socket joins a loop (or
 * is closed through urh when that is impossible). */
void gw_ws_adopt(gw_ws_t *ws, const gw_ws_pending_t *p, const char *extra_in, size_t extra_len,
                 int fd, struct MHD_UpgradeResponseHandle *urh);

/* --- the events thread (events.c) --- */

/* Readable when the hub has work (subscriptions to change). */
int gw_ws_events_fd(gw_ws_t *ws);
/* Does that work on the SUB socket, and sends the ready frames whose
 * deadline passed. */
void gw_ws_events_pump(gw_ws_t *ws, pc_subscriber_t *sub, int64_t now_ms);
/* The live publishers changed: their instance ids. */
void gw_ws_events_publishers(gw_ws_t *ws, char (*ids)[64], size_t n, int64_t now_ms);
/* A "u:<id>/" event or marker. */
void gw_ws_events_deliver(gw_ws_t *ws, const pc_event_t *e, int64_t now_ms);
/* Posts the event messages gathered by gw_ws_events_deliver to the loops;
 * after each drain of the SUB socket. */
void gw_ws_events_flush(gw_ws_t *ws);
/* Milliseconds until the next ready deadline (at most max_ms). */
int gw_ws_events_timeout(gw_ws_t *ws, int64_t now_ms, int max_ms);

/* Any thread: closes this gateway's sockets of the token (code 4001). */
void gw_ws_revoke(gw_ws_t *ws, const uint8_t hash[32]);

/* --- stop --- */

/* Closes every socket with 1001 and refuses new ones. */
void gw_ws_close_all(gw_ws_t *ws);
/* Sockets still open. */
int gw_ws_open_count(gw_ws_t *ws);
/* Joins the loops and workers (tearing down what is left). Call before
 * stopping libmicrohttpd; the events thread may still post until
 * gw_ws_destroy. */
void gw_ws_stop(gw_ws_t *ws);
void gw_ws_destroy(gw_ws_t **ws);

#endif
