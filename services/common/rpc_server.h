/* rpc_server.h - a service's request side: ROUTER frontend + worker pool.
 *
 * One broker thread owns the ROUTER bound for clients and an inproc ROUTER
 * for the workers; it hands each request to an idle worker (workers announce
 * themselves ready, so one slow call - an Argon2 hash, a nested RPC - never
 * holds up another) and forwards replies by client identity. Each worker
 * thread owns its PostgreSQL connection (pc_db_t), its publisher sender and
 * whatever worker_init creates (RPC clients to other services).
 *
 * Dispatch is by method name from a table. The envelope is unpacked and
 * freed once, here; a request whose deadline has already passed is answered
 * 504 without running the handler.
 *
 * Idempotent writes: for methods flagged PC_METHOD_WRITE the framework first
 * looks up <schema>.rpc_replies by request id and answers a stored reply
 * without running the handler. A write handler calls pc_call_begin_write()
 * before its first write; after it returns, the framework inserts the reply
 * (when pc_status_is_replayable) into rpc_replies in that same transaction
 * and commits - or rolls back for any other status, so nothing is
 * half-written. If a concurrent duplicate committed first (unique key), it
 * rolls back and answers that stored reply. Events queued by
 * pc_call_publish() go out only after a successful commit.
 *
 * Deferred replies: a handler whose answer depends on work another thread
 * finishes later (msg.send waits for a group commit) takes a token with
 * pc_call_defer() and returns at once, so its worker serves the next
 * request meanwhile; whoever holds the token answers it exactly once, from
 * any thread, with pc_deferred_reply() or pc_deferred_error(). The reply is
 * packed by that thread and queued to the broker, the only thread that
 * touches the frontend (see rpc_server.c).
 *
 * Fast handlers: a method may also have a `fast` handler, which the broker
 * runs itself before handing the request to a worker; it answers, defers,
 * or declines (pc_method_t.fast). Services without one pay nothing: the
 * broker then never unpacks a request. */
#ifndef PIGEON_RPC_SERVER_H
#define PIGEON_RPC_SERVER_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "metrics.h"
#include "pubsub.h"
#include "rpc_client.h"

typedef struct pc_call pc_call_t;
typedef int (*pc_handler_fn)(pc_call_t *call);

enum {
    PC_METHOD_READ = 0,
    PC_METHOD_WRITE = 1,
    /* With PC_METHOD_WRITE: a write whose reply holds a new secret (a session
     * token). Its reply is never stored, so no token sits in rpc_replies; the
     * handler's transaction still commits on success and rolls back
     * otherwise, and a retried request acts again (a second session). */
    PC_METHOD_NO_REPLAY = 2,
};

/* What a fast handler returns to pass the request on to a worker, which
 * then runs `handler` as if the fast one did not exist. Not a wire status. */
#define PC_FAST_DECLINED (-1)

typedef struct {
    const char *method;    /* "auth.login" */
    pc_handler_fn handler; /* returns the reply status (via pc_call_reply / pc_call_error) */
    unsigned flags;        /* PC_METHOD_READ or PC_METHOD_WRITE */
    /* Optional (NULL: none), only for methods without PC_METHOD_WRITE: tried
     * first, on the broker thread, which saves the two thread wake-ups of a
     * worker's turn when the work is a few microseconds (see rpc_server.c).
     * It may read the request (pc_call_unpack, pc_call_caller,
     * pc_call_request_id, pc_call_trace, pc_call_method,
     * pc_call_remaining_ms), use pc_call_service and pc_call_metrics, and
     * then answer at once (pc_call_reply / pc_call_error, returning the
     * status) or take the answer over with pc_call_defer. It must never
     * block - every RPC of the service waits for it - nor touch the database
     * (pc_call_db is NULL there), call another service, publish, or use
     * pc_call_worker (NULL there). When in any doubt it returns
     * PC_FAST_DECLINED without answering or deferring, and the request goes
     * to a worker unchanged. */
    pc_handler_fn fast;
} pc_method_t;

/* --- what a handler sees --- */
const char *pc_call_method(const pc_call_t *c);
const char *pc_call_request_id(const pc_call_t *c);
const char *pc_call_trace(const pc_call_t *c);
int64_t pc_call_caller(const pc_call_t *c);         /* 0 when unauthenticated */
int pc_call_remaining_ms(const pc_call_t *c);       /* never negative */
pc_db_t *pc_call_db(pc_call_t *c);                  /* this worker's connection; NULL in fast */
void *pc_call_worker(pc_call_t *c);                 /* what worker_init returned; NULL in fast */
void *pc_call_service(pc_call_t *c);                /* opts.service_arg */
pc_metrics_t *pc_call_metrics(pc_call_t *c);

/* Unpacks the request body with `desc`. The call owns the result and frees it
 * after the handler. NULL when malformed: answer pc_call_error(c, 400, ...). */
void *pc_call_unpack(pc_call_t *c, const ProtobufCMessageDescriptor *desc);

/* Options for a nested call: same caller and trace, the remaining deadline,
 * and a request id derived from this call's (stable across retries of this
 * call, distinct per nested call in order). The request id it points to
 * stays valid for the next three such calls on this call (a small ring), so
 * several child calls can be prepared at once. */
pc_rpc_opts_t pc_call_child_opts(pc_call_t *c);

/* Sets the reply (msg may be NULL: empty body) and returns status. */
int pc_call_reply(pc_call_t *c, int status, const ProtobufCMessage *msg);
/* Sets an error reply with a client-facing message and returns status. */
int pc_call_error(pc_call_t *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For 429 answers. */
void pc_call_set_retry_after(pc_call_t *c, unsigned seconds);
/* Copies a reply received from a nested call into this call's reply. */
int pc_call_forward(pc_call_t *c, const pc_rpc_reply_t *reply);

/* Opens this call's write transaction (see above). PC_OK or the DB status. */
int pc_call_begin_write(pc_call_t *c);

/* Queues an event for after the commit (immediately when no transaction is open). */
void pc_call_publish(pc_call_t *c, const char *topic, const char *payload, size_t len);
/* Same, with an origin tag subscribers skip (pubsub.h). */
void pc_call_publish_except(pc_call_t *c, const char *topic, const char *payload, size_t len,
                            const char *origin);

/* --- deferred replies (see the top of this file) --- */
typedef struct pc_deferred pc_deferred_t;

/* Takes over the answer of this call: returns the token (NULL only when out
 * of memory; then answer as usual). After it, the handler's return value and
 * any pc_call_reply/error are ignored; events it queued go out when it
 * returns, as for a read (publish what depends on the later work from the
 * thread that answers). Only for methods without PC_METHOD_WRITE: a write's
 * reply is recorded in the call's own transaction, which ends when the
 * handler returns. A deferred call counts as running until answered:
 * pc_rpc_server_drain waits for it, so the holder must answer every token
 * before the server's workers are stopped (their worker_fini is the place).
 * Cost: one allocation and a copy of the caller's routing id. */
pc_deferred_t *pc_call_defer(pc_call_t *c);

/* When the caller stops waiting (pc_mono_ms() clock). A token past it must
 * still be answered: a late reply is dropped by the caller, whose client
 * has answered 504 or retried on another instance with the same request
 * id, so the holder may also answer 504 without doing the work - but the
 * work must be idempotent under that request id, since the retry may do it
 * too. */
int64_t pc_deferred_deadline(const pc_deferred_t *d);
const char *pc_deferred_request_id(const pc_deferred_t *d);
const char *pc_deferred_trace(const pc_deferred_t *d);

/* Answers a deferred call and frees the token (*d set to NULL); callable
 * from any thread. msg may be NULL (empty body). Counted in the RPC metrics
 * like any reply, with its latency from arrival. */
void pc_deferred_reply(pc_deferred_t **d, int status, const ProtobufCMessage *msg);
void pc_deferred_error(pc_deferred_t **d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- the server --- */
typedef struct pc_rpc_server pc_rpc_server_t;

typedef struct {
    const char *service;          /* "auth" */
    const char *schema;           /* where rpc_replies lives */
    const pc_method_t *methods;
    size_t method_count;
    int workers;                  /* threads, each with its own DB connection */
    const char *bind_endpoint;    /* "tcp://127.0.0.1:*" */
    const char *db_url;
    int db_timeout_ms;
    void *(*worker_init)(void *service_arg); /* may be NULL; runs in the worker thread */
    void (*worker_fini)(void *worker_state);
    void *service_arg;
    pc_publisher_t *publisher;    /* may be NULL: events are dropped */
    pc_metrics_t *metrics;        /* requests by method/status, latency */
} pc_rpc_server_opts_t;

/* Binds and starts the broker and workers; the bound endpoint goes to bound_out. */
pc_rpc_server_t *pc_rpc_server_new(const pc_rpc_server_opts_t *opts, char *bound_out, size_t bound_size);

/* Stops taking requests, lets in-flight ones finish within grace_ms. */
void pc_rpc_server_drain(pc_rpc_server_t *srv, int grace_ms);
void pc_rpc_server_destroy(pc_rpc_server_t **srv);

/* True while at least one worker holds a working DB connection (for /readyz). */
int pc_rpc_server_db_ok(pc_rpc_server_t *srv);

#endif
