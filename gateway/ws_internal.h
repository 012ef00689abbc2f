/* ws_internal.h - what the WebSocket files share (ws.c, ws_hub.c,
 * ws_loop.c, ws_jobs.c). Nothing outside them includes it. */
#ifndef PIGEON_GW_WS_INTERNAL_H
#define PIGEON_GW_WS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "reply.h"
#include "request.h"
#include "ws.h"
#include "ws_mbox.h"

#define GW_WS_MAX_LOOPS 64
#define GW_WS_MAX_WORKERS 256     /* PIGEON_WS_WORKERS upper bound (gw_config.c) */
#define GW_WS_MSG_MAX (64 * 1024) /* largest client message (API.md: JSON bodies) */
#define GW_WS_OUT_MAX (64 * 1024) /* queued bytes per socket before 1013 */
#define GW_WS_JOBS_MAX 32         /* sends/reads of one socket waiting for a worker */

typedef struct gw_ws_loop gw_ws_loop_t;
typedef struct gw_ws_hub gw_ws_hub_t;
typedef struct gw_ws_sends gw_ws_sends_t;

struct gw_ws {
    gw_ctx_t *ctx;                        /* handlers' shared state (borrowed) */
    char instance[64];                    /* this gateway's instance id: origin tag prefix */
    int nloops;                           /* loop threads */
    gw_ws_loop_t *loops[GW_WS_MAX_LOOPS]; /* the loops */
    gw_ws_hub_t *hub;                     /* per-user subscriptions (events thread) */
    int ping_ms;                          /* server ping interval */
    int idle_ms;                          /* silence after which a socket is dropped */
    int ready_ms;                         /* ready is sent at the latest after this */
    atomic_uint_fast64_t next_sock;       /* socket ids */
    atomic_uint next_loop;                /* round robin over loops */
    atomic_int open;                      /* sockets open (all loops) */
    atomic_bool stopping;                 /* SIGTERM: close everything with 1001 */
    /* workers (ws_jobs.c) */
    int nworkers;                         /* worker threads */
    pthread_t workers[GW_WS_MAX_WORKERS]; /* their ids */
    pthread_mutex_t jobs_lock;            /* guards jobs_head/tail, jobs_quit */
    pthread_cond_t jobs_cond;             /* signalled when a job is queued or on quit */
    gw_ws_msg_t *jobs_head;               /* oldest job */
    gw_ws_msg_t *jobs_tail;               /* newest job */
    bool jobs_quit;                       /* workers return */
    bool jobs_cond_ready;                 /* jobs_lock and jobs_cond are initialised */
    gw_ws_sends_t *sends;                 /* the thread running `send` frames (ws_sends.c) */
};

/* ws_loop.c */
gw_ws_loop_t *gw_ws_loop_new(gw_ws_t *ws, int index);
int gw_ws_loop_start(gw_ws_loop_t *l);
void gw_ws_loop_join(gw_ws_loop_t *l); /* asks it to return, waits */
void gw_ws_loop_destroy(gw_ws_loop_t **l);
gw_ws_mbox_t *gw_ws_loop_mbox(gw_ws_loop_t *l);

/* ws_hub.c (events thread) */
gw_ws_hub_t *gw_ws_hub_new(gw_ws_t *ws);
void gw_ws_hub_destroy(gw_ws_hub_t **h);
gw_ws_mbox_t *gw_ws_hub_mbox(gw_ws_hub_t *h);

/* ws_jobs.c */
int gw_ws_jobs_start(gw_ws_t *ws, int nworkers);
void gw_ws_jobs_post(gw_ws_t *ws, gw_ws_msg_t *job);
void gw_ws_jobs_stop(gw_ws_t *ws);

/* The answer of a job's handler as the frame for its socket (ack, error or
 * NULL); clears out. */
char *gw_ws_job_frame(const gw_ws_msg_t *j, gw_reply_t *out);
/* Hands a finished job back to its loop as its DONE message (frame owned). */
void gw_ws_job_done(gw_ws_t *ws, gw_ws_msg_t *j, char *frame);

/* ws_sends.c: `send` frames without a blocking thread per call. */
#define GW_WS_SENDS_MAX 4096 /* sends in flight to the router; more wait in order */
gw_ws_sends_t *gw_ws_sends_new(gw_ws_t *ws);
void gw_ws_sends_stop(gw_ws_sends_t *q); /* joins the thread; calls out end (503) */
void gw_ws_sends_destroy(gw_ws_sends_t **q);
void gw_ws_sends_post(gw_ws_sends_t *q, gw_ws_msg_t *job);

/* Metrics helpers (ws.c). */
void gw_ws_count_event(gw_ws_t *ws, bool pushed, uint64_t n);
void gw_ws_update_gauge(gw_ws_t *ws);

#endif
