/* rpc_client_internal.h - what rpc_client.c (blocking calls) and
 * rpc_async.c (many calls in flight on one thread) share. Not for services. */
#ifndef PIGEON_RPC_CLIENT_INTERNAL_H
#define PIGEON_RPC_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "envelope.h"
#include "metrics.h"
#include "rpc_client.h"

#define PC_RPC_MAX_INSTANCES 64
#define PC_RPC_MAX_ATTEMPTS 3
/* A DEALER connected this recently may still be handshaking: wait for it
 * briefly instead of answering 503 (the first call after a start-up). */
#define PC_RPC_FRESH_MS 500

typedef struct {
    char instance[64];    /* registry instance id */
    char endpoint[128];   /* what the DEALER is connected to */
    void *sock;           /* the DEALER */
    int64_t connected_at; /* pc_mono_ms() of zmq_connect */
} pc_rpc_conn_t;

struct pc_rpc_client {
    pc_registry_t *reg; /* borrowed */
    char service[32];   /* target service */
    int default_deadline_ms;
    pc_rpc_conn_t conns[PC_RPC_MAX_INSTANCES]; /* sorted by instance id */
    size_t nconns;
    uint64_t version;      /* registry version the conns reflect */
    bool refreshed;        /* conns were loaded at least once */
    size_t rr;             /* round-robin cursor */
    pc_metrics_t *metrics; /* the registry's; may be NULL */
    char labels[48];       /* service="<service>" */
    bool many;             /* asynchronous (rpc_async.c): DEALERs without HWM */
};

/* A client whose DEALERs carry many calls at once (no HWM): rpc_async.c. */
pc_rpc_client_t *pc_rpc_client_new_many(pc_registry_t *reg, const char *service,
                                        int default_deadline_ms);
/* Connects to new instances and closes the ones that left (when the
 * registry changed). Reorders conns: indices are valid until the next call. */
void pc_rpc_client_refresh(pc_rpc_client_t *cli);
/* pigeon_rpc_client_* metrics; what: "call", "retry" or "failure". */
void pc_rpc_client_count(pc_rpc_client_t *cli, const char *what, int status);
/* A received reply envelope into *reply (copies). */
void pc_rpc_reply_fill(const Pigeon__Reply *rep, pc_rpc_reply_t *reply);
/* A transport failure: status and a message naming service (fmt has one %s). */
int pc_rpc_reply_fail(pc_rpc_reply_t *reply, int status, const char *fmt, const char *service);

#endif
