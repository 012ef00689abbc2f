/* fixture_rpc.h - what test_rpc.c, test_rpc_fast.c and test_rpc_async.c
 * share: a server "t" with a small method table (no database: its methods
 * are reads), called through a client that finds it by static endpoints,
 * and a hung instance that takes requests and never answers. */
#ifndef PIGEON_TEST_FIXTURE_RPC_H
#define PIGEON_TEST_FIXTURE_RPC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "envelope.h"
#include "registry.h"
#include "rpc_client.h"
#include "rpc_server.h"

typedef struct {
    pc_rpc_server_t *srv;
    pc_registry_t *reg;
    pc_rpc_client_t *cli;
    char endpoint[128];
    char service[16];
} fixture_t;

/* A server of `service` with the n methods and `workers` workers on a free
 * loopback port, a registry that finds it by PIGEON_<SERVICE>_ENDPOINTS, and
 * a client of it (2 s deadline). 0, or -1. fixture_stop undoes it. */
int fixture_start(fixture_t *f, const char *service, const pc_method_t *methods, size_t n,
                  int workers);
void fixture_stop(fixture_t *f);

/* A ROUTER that takes requests and never answers, like a hung instance. */
typedef struct {
    void *sock;
    atomic_bool stop;
    char ids[16][PC_REQUEST_ID_MAX + 1];
    atomic_int count;
} swallower_t;

/* The slow handler (t.slow) runs until the test releases it. */
extern pthread_mutex_t rf_mu;
extern pthread_cond_t rf_cv;
extern bool rf_slow_started, rf_slow_release;
extern atomic_int rf_handled;                  /* t.echo calls */
extern char rf_last_id[PC_REQUEST_ID_MAX + 1]; /* request id t.echo saw last */

/* Deferred calls (t.defer, t.fdefer) wait here until the test answers them. */
#define RF_TOKENS_MAX 8
extern pc_deferred_t *rf_tokens[RF_TOKENS_MAX];
extern char rf_token_text[RF_TOKENS_MAX][64];
extern int rf_ntokens;

/* Who ran the methods that have a fast handler (t.quick, t.fdefer, t.decline). */
extern atomic_int rf_fast_runs;        /* fast handler calls */
extern atomic_int rf_worker_runs;      /* worker handler calls */
extern atomic_bool rf_fast_had_worker; /* a fast handler saw a connection or worker state */

/* Blocks until `flag` or ms pass; sets a flag and wakes the waiters. */
void wait_flag(bool *flag, int ms);
void set_flag(bool *flag);
/* Waits until n calls are parked (false after ms). */
bool wait_tokens(int n, int ms);
/* Answers every parked call: the echo for "ok..." texts, 409 otherwise. */
void *answer_all(void *arg);

/* t.echo as a worker's handler and as a fast one. */
int h_echo(pc_call_t *c);
int f_echo(pc_call_t *c);

/* cmocka setup/teardown: fixture_start of "t" with its methods, 2 workers. */
int setup(void **state);
int teardown(void **state);
/* Calls t.echo with text; the reply's status. */
int call_echo(pc_rpc_client_t *cli, const pc_rpc_opts_t *o, const char *text,
              pc_rpc_reply_t *reply);

/* Starts a hung instance (a swallower on its own thread) and makes "t" two
 * instances: static-0 the hung one, static-1 the real server. hung_stop
 * undoes it. */
pthread_t hung_start(swallower_t *s, const fixture_t *f);
void hung_stop(swallower_t *s, pthread_t t, const fixture_t *f);

/* Sends a request for method whose deadline has passed on arrival (the
 * client would never send it) and returns the reply, the caller's to free. */
Pigeon__Reply *call_expired(const char *endpoint, const char *method, const char *id);

/* A caller of a deferring method on its own thread (defer_caller). */
typedef struct {
    pc_registry_t *reg; /* to make this thread's client */
    const char *text;   /* sent, echoed back */
    int deadline_ms;    /* of the call */
    const char *method; /* NULL: t.defer */
    int status;         /* the answer */
    char echoed[64];    /* the reply body's text */
    char error[64];     /* the reply's error message */
} defer_arg_t;

void *defer_caller(void *arg);
/* Answers the n parked calls from another thread, waits for their callers
 * and checks what each got: the echo for "ok..." texts, 409 otherwise. */
void answer_and_check(pthread_t *callers, defer_arg_t *a, int n);

#endif
