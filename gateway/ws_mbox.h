/* ws_mbox.h - messages between the WebSocket threads.
 *
 * The gateway's WebSocket side has four kinds of threads: the events
 * thread (owns the SUB socket and the per-user subscriptions, ws_hub.c), the
 * loop threads (own the client sockets, ws_loop.c), the sends thread
 * (`send` frames, asynchronous router calls, ws_sends.c) and the workers
 * (run `read` on the message handler, ws_jobs.c). None touches another's
 * state: they post gw_ws_msg_t to each other's mailbox, a mutex-guarded list
 * with an eventfd that the owner's poll loop watches. Posting never blocks
 * on the owner and costs one lock and one write(2) when the list was empty. */
#ifndef PIGEON_GW_WS_MBOX_H
#define PIGEON_GW_WS_MBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_send_scan.h"

struct json_t;

/* An encoded server frame shared by every loop it is posted to. */
typedef struct {
    atomic_int refs; /* owners; the last gw_ws_blob_unref frees it */
    size_t len;      /* bytes in data */
    uint8_t data[];  /* header + payload */
} gw_ws_blob_t;

gw_ws_blob_t *gw_ws_blob_new(uint8_t opcode, const void *payload, size_t len);
void gw_ws_blob_unref(gw_ws_blob_t *b);

typedef enum {
    GW_WS_M_NEW = 1, /* -> loop: an upgraded socket (fd, urh, user, hash, data = extra_in) */
    GW_WS_M_SUB,     /* -> hub: socket `sock` of `user` on loop `loop` is open */
    GW_WS_M_UNSUB,   /* -> hub: that socket is gone */
    GW_WS_M_READY,   /* -> loop: send ready to socket `sock` */
    GW_WS_M_EVENT,   /* -> loop: blob for every ready socket of `user` but tag `text` */
    GW_WS_M_REVOKE,  /* -> loop: close the sockets of token `hash` */
    GW_WS_M_JOB,     /* -> workers (read) or the sends thread (send): a client's frame */
    GW_WS_M_DONE,    /* -> loop: a job of socket `sock` ended; text = frame or NULL (the
                        worker turns the JOB message itself into it: no allocation) */
    GW_WS_M_STOP,    /* -> loop: close everything with 1001 */
} gw_ws_msg_kind_t;

typedef struct gw_ws_msg {
    struct gw_ws_msg *next; /* list link */
    gw_ws_msg_kind_t kind;  /* what it is */
    uint64_t sock;          /* socket id (unique in the process) */
    int64_t user;           /* user id */
    int loop;               /* loop index of the socket */
    int fd;                 /* NEW: the socket */
    void *urh;              /* NEW: libmicrohttpd's upgrade handle */
    uint8_t hash[32];       /* NEW, REVOKE: SHA-256 of the token */
    gw_ws_blob_t *blob;     /* EVENT: one reference, owned */
    char *text;             /* owned text (frame, tag, extra bytes); may be NULL */
    size_t text_len;        /* bytes in text */
    int job_kind;           /* JOB: gw_ws_cmd_kind_t */
    struct json_t *json;    /* JOB send: the parsed body (one reference, owned), or NULL
                               when gw_ws_send_scan read the frame into `send` */
    gw_ws_send_t send;      /* JOB send without json: its strings, NUL-terminated in the
                               buffer owned as client_msg_id (which comes first) */
    void *owner;            /* JOB at the sends thread: that thread's state (ws_sends.c) */
    char *client_msg_id;    /* JOB: echoed in the answer, owned, may be NULL */
    char tag[96];           /* JOB: origin tag of the socket */
    char trace_id[33];      /* JOB: for the logs and the RPC */
    char request_id[33];    /* JOB: RPC request id (kept by retries) */
} gw_ws_msg_t;

gw_ws_msg_t *gw_ws_msg_new(gw_ws_msg_kind_t kind);
void gw_ws_msg_free(gw_ws_msg_t *m);

typedef struct {
    pthread_mutex_t lock; /* guards head/tail */
    gw_ws_msg_t *head;    /* oldest */
    gw_ws_msg_t *tail;    /* newest */
    int efd;              /* eventfd: readable while messages wait */
} gw_ws_mbox_t;

int gw_ws_mbox_init(gw_ws_mbox_t *mb);
/* Frees what is still queued. */
void gw_ws_mbox_clear(gw_ws_mbox_t *mb);
/* Takes ownership of m. */
void gw_ws_mbox_post(gw_ws_mbox_t *mb, gw_ws_msg_t *m);

/* Messages gathered for one mailbox and posted together: one lock and at
 * most one write(2) for the lot instead of one per message, and the owner
 * wakes once for them (the events thread gathers a whole drain of events). */
typedef struct {
    gw_ws_msg_t *head; /* oldest */
    gw_ws_msg_t *tail; /* newest */
    size_t n;          /* messages gathered */
} gw_ws_batch_t;

/* Appends m (ownership moves to the batch). */
void gw_ws_batch_add(gw_ws_batch_t *b, gw_ws_msg_t *m);
/* Posts everything gathered, in order, and empties the batch. */
void gw_ws_batch_post(gw_ws_batch_t *b, gw_ws_mbox_t *mb);
/* Frees what was gathered and not posted. */
void gw_ws_batch_clear(gw_ws_batch_t *b);
/* Everything queued, oldest first (the caller owns the list); resets the eventfd. */
gw_ws_msg_t *gw_ws_mbox_take(gw_ws_mbox_t *mb);

#endif
