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
    int busy;                 /* requests handed to workers, not yet answered */
};

struct pc_rpc_worker {
    pc_rpc_server_t *srv; /* back pointer */
    uint32_t index;       /* also its routing id on the backend */
    pthread_t thread;
    atomic_bool db_ok; /* last known state of this worker's connection */
};

/* The worker thread's body (rpc_worker.c). */
void *pc_rpc_worker_main(void *arg);

#endif
