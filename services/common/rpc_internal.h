/* rpc_internal.h - what rpc_server.c (broker, lifecycle), rpc_worker.c
 * (worker threads, dispatch, idempotent writes), rpc_call.c (the pc_call_*
 * API) and rpc_deferred.c (deferred replies) share. Not for services. */
#ifndef PIGEON_RPC_INTERNAL_H
#define PIGEON_RPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "envelope.h"
#include "pubsub.h"
#include "rpc_server.h"

/* Broker <-> worker frames over the inproc backend (the ROUTER prepends and
 * strips the worker's routing id, a 4-byte index):
 *   worker -> broker  [READY]                         once, when started
 *   broker -> worker  [client id][request][arrival]   arrival: int64 pc_mono_ms()
 *   worker -> broker  [client id][reply]              reply empty: nothing to send
 * A reply also means "idle again". */
#define PC_RPC_READY "R"

/* The ROUTER routing id of a ZeroMQ peer is at most 255 bytes. */
#define PC_RPC_IDENTITY_MAX 255

/* A call whose answer comes later (rpc_server.h, "Deferred replies"). Made
 * by a worker, owned by the handler's code until answered, then queued to
 * the broker, which sends and frees it. */
struct pc_deferred {
    pc_rpc_server_t *srv;                   /* whose frontend answers it */
    const char *method;                     /* borrowed from the method table */
    char request_id[PC_REQUEST_ID_MAX + 1]; /* the reply carries it */
    char trace[PC_REQUEST_ID_MAX + 1];      /* for log lines, truncated */
    int64_t arrival;                        /* pc_mono_ms() at the broker */
    int64_t deadline;                       /* pc_mono_ms() the caller waits until */
    uint8_t identity[PC_RPC_IDENTITY_MAX];  /* the client's routing id */
    size_t identity_len;                    /* bytes in identity */
    uint8_t *reply;                         /* packed reply envelope, once answered */
    size_t reply_len;                       /* bytes in reply */
    struct pc_deferred *next;               /* the broker's queue */
};

typedef struct pc_rpc_worker pc_rpc_worker_t;

struct pc_rpc_server {
    pc_rpc_server_opts_t opts; /* copy; the strings below replace the borrowed ones */
    char *service;             /* opts.service, owned */
    char *schema;              /* opts.schema, owned; validated as an identifier */
    char *db_url;              /* opts.db_url, owned; NULL: no database (tests) */
    char backend_ep[64];       /* inproc endpoint of the backend ROUTER */
    void *frontend_ctx;        /* the frontend's own context: terminating it at destroy
                                  flushes the last replies (see rpc_server.c) */
    void *frontend;            /* ROUTER for clients; the broker thread's */
    void *backend;             /* ROUTER for workers; the broker thread's */
    pthread_t broker;          /* owns frontend and backend */
    bool broker_started;
    pc_rpc_worker_t *workers; /* opts.workers entries */
    int nstarted;             /* worker threads started */
    atomic_bool draining;     /* broker stops reading the frontend */
    atomic_bool workers_stop; /* workers leave their loop when idle */
    atomic_bool broker_stop;  /* broker leaves its loop */
    pthread_mutex_t mu;       /* guards busy, for drain's wait */
    pthread_cond_t cv;        /* signalled when busy drops to 0 */
    int busy;                 /* requests handed to workers or deferred, not yet answered */
    pthread_mutex_t dmu;      /* guards the deferred queue */
    pc_deferred_t *dhead;     /* answered deferred calls the broker has to send, FIFO */
    pc_deferred_t *dtail;
    int doorbell;  /* eventfd the broker polls; written when dhead was empty */
    bool has_fast; /* some method has a fast handler: the broker unpacks requests */
};

struct pc_rpc_worker {
    pc_rpc_server_t *srv; /* back pointer */
    uint32_t index;       /* also its routing id on the backend */
    pthread_t thread;
    atomic_bool db_ok; /* last known state of this worker's connection */
};

/* An event a write handler published, held until its transaction commits. */
typedef struct {
    char *topic;
    char *payload;
    size_t len;
} pc_call_event_t;

/* What lives for the whole worker thread (rpc_worker.c). */
typedef struct {
    pc_rpc_worker_t *w;
    pc_rpc_server_t *srv;
    pc_db_t *db;             /* NULL when the server has no db_url */
    pc_pub_sender_t *sender; /* NULL without a publisher */
    void *state;             /* from worker_init */
    char sql_lookup[160];    /* statements on <schema>.rpc_replies */
    char sql_insert[256];
    char sql_insert_once[320];
} pc_worker_state_t;

/* One call, as a handler sees it through the pc_call_* API (rpc_call.c):
 * made by a worker (rpc_worker.c), or by the broker for a fast handler. */
struct pc_call {
    pc_rpc_server_t *srv;       /* whose call */
    pc_worker_state_t *wk;      /* the worker running it; NULL for a fast handler */
    const pc_method_t *method;  /* table entry; NULL when unknown */
    const Pigeon__Request *req; /* unpacked envelope, freed by the dispatcher */
    int64_t deadline;           /* pc_mono_ms() */
    int64_t arrival;            /* pc_mono_ms() at the broker */
    const uint8_t *identity;    /* the caller's routing id (the broker's frame) */
    size_t identity_len;        /* bytes in identity */
    bool deferred;              /* pc_call_defer took over the answer */
    unsigned child_seq;         /* nested calls made so far */
    char child_ids[4][33];      /* ids lent out by pc_call_child_opts, a small ring */
    ProtobufCMessage *body_msg; /* from pc_call_unpack, freed after the handler */
    bool replied;               /* pc_call_reply/error/forward was called */
    int status;                 /* reply status */
    char *error;                /* reply error message, malloc'd */
    uint8_t *body;              /* reply body, malloc'd */
    size_t body_len;
    unsigned retry_after_s;
    bool tx;                 /* pc_call_begin_write opened a transaction */
    pc_call_event_t *events; /* queued until commit */
    size_t nevents, cap;
};

/* Drops the call's reply (rpc_call.c). */
void pc_call_reply_clear(pc_call_t *c);

/* Sends (send = true) or drops the events a write handler queued, then
 * forgets them (rpc_call.c). */
void pc_call_events_flush(pc_call_t *c, bool send);

/* Counts a finished call and its latency from arrival (rpc_worker.c). */
void pc_rpc_observe(pc_metrics_t *m, const char *method, int status, int64_t arrival);

/* Adds delta to the running-call count (rpc_server.c); drain waits for 0. */
void pc_rpc_busy_add(pc_rpc_server_t *srv, int delta);

/* Queues an answered deferred call for the broker (rpc_server.c); any thread. */
void pc_rpc_deferred_queue(pc_deferred_t *d);

/* Runs the fast handler of a request on the broker thread (rpc_worker.c).
 * Returns PC_FAST_DECLINED when a worker must serve it (no fast handler,
 * declined, or a malformed envelope, which the worker drops as usual);
 * otherwise 0 with *reply the packed answer to send, or NULL when the call
 * was deferred. */
int pc_rpc_fast(pc_rpc_server_t *srv, const void *identity, size_t identity_len, const void *data,
                size_t size, int64_t arrival, uint8_t **reply, size_t *len);

/* The worker thread's body (rpc_worker.c). */
void *pc_rpc_worker_main(void *arg);

#endif
