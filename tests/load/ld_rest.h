/* ld_rest.h - runs a batch of REST calls over a small pool of keep-alive
 * connections, as many in flight as the pool has connections. Used for the
 * set-up (register, contacts, groups), the login scenario and the
 * after-run sync. */
#ifndef PIGEON_LD_REST_H
#define PIGEON_LD_REST_H

#include "ld_hist.h"
#include "ld_net.h"

typedef struct {
    const char *method; /* "GET", "POST", ... */
    char path[512];     /* path and query */
    const char *token;  /* borrowed; NULL for none */
    char *body;         /* JSON body, malloc'd (the runner frees it) or NULL */
} ld_req_t;

/* Fills call number i; false to skip it (counted as done). */
typedef bool(ld_gen_fn)(void *ctx, size_t i, ld_req_t *req);
/* The answer to call i (status 0: no answer after one retry). Returns true
 * to have the same call number sent again (paging), false when it is done. */
typedef bool(ld_done_fn)(void *ctx, size_t i, int status, const char *body, size_t len);

typedef struct {
    size_t ok;      /* calls answered 2xx */
    size_t failed;  /* calls answered otherwise, or not at all */
    double seconds; /* wall time of the batch */
    bool timed_out; /* the deadline ended the batch */
} ld_rest_result_t;

/* Runs calls 0..n-1 with `pool` connections for at most timeout_s seconds;
 * with lat, the latency of every answered call in microseconds. */
ld_rest_result_t ld_rest_run(ld_loop_t *loop, int pool, size_t n, ld_gen_fn *gen, ld_done_fn *done,
                             void *ctx, double timeout_s, ld_hist_t *lat);

/* One call, waited for (a pool of one). Returns the status (0: no answer)
 * and the body (malloc'd) in *body_out when not NULL. */
int ld_rest_call(ld_loop_t *loop, const char *method, const char *path, const char *token,
                 const char *body, char **body_out, double timeout_s);

#endif
