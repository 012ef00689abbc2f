/* rpc_async.h - many calls in flight from one thread.
 *
 * pc_rpc_call (rpc_client.h) blocks its thread for the whole call, so a
 * caller with many calls out needs as many threads, and every reply costs a
 * thread wake-up. A pc_rpc_async_t keeps any number of calls out on the
 * same DEALERs (one per live instance) and runs their callbacks from
 * pc_rpc_async_run, on the owning thread, as replies arrive: under load one
 * wake-up serves every reply that is waiting.
 *
 * The rules are pc_rpc_call's: round robin over live instances, an instance
 * whose DEALER cannot take the request is skipped, a freshly connected one
 * is waited for briefly, an unanswered attempt goes again to a different
 * instance with the same request id after half of what is left of the
 * deadline (at most three attempts), PC_UNAVAILABLE / PC_DEADLINE_EXCEEDED
 * otherwise, the same metrics. Calls are matched to replies by request id,
 * so ids must be unique among the calls in flight (random ones are). */
#ifndef PIGEON_RPC_ASYNC_H
#define PIGEON_RPC_ASYNC_H

#include "rpc_client.h"

typedef struct pc_rpc_async pc_rpc_async_t;

/* A call ended: reply is borrowed (cleared after the callback returns). */
typedef void (*pc_rpc_async_fn)(void *arg, pc_rpc_reply_t *reply);

/* `service` is the registry name. default_deadline_ms > 0. */
pc_rpc_async_t *pc_rpc_async_new(pc_registry_t *reg, const char *service, int default_deadline_ms);
/* Ends every call still out with PC_UNAVAILABLE (callbacks run), closes the
 * DEALERs. On the owning thread. */
void pc_rpc_async_destroy(pc_rpc_async_t **a);

/* Starts a call; `req` is packed at once (the caller may free it on
 * return), `method` is borrowed until fn ran (a string literal). fn runs exactly once: later from
 * pc_rpc_async_run, or before this returns when no instance can take the call. */
void pc_rpc_async_call(pc_rpc_async_t *a, const pc_rpc_opts_t *opts, const char *method,
                       const ProtobufCMessage *req, pc_rpc_async_fn fn, void *arg);

/* Waits at most max_ms for a reply, a due retry or deadline, or `fd`
 * readable (-1: none), runs the callbacks of what ended. Returns 1 when fd
 * is readable, else 0. */
int pc_rpc_async_run(pc_rpc_async_t *a, int fd, int max_ms);

/* Calls in flight. */
size_t pc_rpc_async_pending(const pc_rpc_async_t *a);

#endif
