/* rpc_internal.h - what rpc_server.c (broker, lifecycle) and rpc_worker.c
 * (worker threads, the pc_call_* API) share. Not for services. */
#ifndef PIGEON_RPC_INTERNAL_H
#define PIGEON_RPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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
