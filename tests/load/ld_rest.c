/* ld_rest.c - batches of REST calls over a keep-alive pool (see ld_rest.h). */
#include "ld_rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot slot_t;

typedef struct {
    ld_loop_t *loop;      /* where the connections live */
    ld_gen_fn *gen;       /* makes call i */
    ld_done_fn *done;     /* takes its answer */
    void *ctx;            /* for both */
    ld_hist_t *lat;       /* latencies, or NULL */
    ld_rest_result_t res; /* counts so far */
    size_t n;             /* calls in the batch */
    size_t next;          /* next call number to start */
    size_t finished;      /* calls done */
} run_t;

struct slot {
    run_t *run;      /* the batch */
    ld_conn_t *conn; /* current connection (replaced when it dies) */
    bool active;     /* a call is in flight */
    size_t i;        /* its number */
    ld_req_t req;    /* its request, kept for a retry */
    int tries;       /* sends of this request so far */
    uint64_t t0;     /* when it was sent */
};

static void s_answer(ld_conn_t *c, int status, const char *body, size_t len, void *arg);

static int s_send(slot_t *s)
{
    if (!s->conn || ld_conn_dead(s->conn))
        s->conn = ld_conn_open(s->run->loop, 0);
    if (!s->conn)
        return -1;
    s->t0 = ld_now_us();
    s->tries++;
    return ld_http_request(s->conn, s->req.method, s->req.path, s->req.token, s->req.body, s_answer,
                           s);
}

/* Makes and sends call s->i; false when gen skipped it or it could not go. */
static bool s_issue(slot_t *s)
{
    run_t *r = s->run;
    memset(&s->req, 0, sizeof s->req);
    if (!r->gen(r->ctx, s->i, &s->req)) {
        free(s->req.body);
        s->req.body = NULL;
        r->finished++;
        return false;
    }
    s->tries = 0;
    s->active = true;
    if (s_send(s) != 0) {
        s->active = false;
        free(s->req.body);
        s->req.body = NULL;
        r->res.failed++;
        r->finished++;
        if (r->done)
            r->done(r->ctx, s->i, 0, "", 0);
        return false;
    }
    return true;
}

/* Gives an idle slot the next call, skipping the ones gen declines. */
static void s_feed(slot_t *s)
{
    run_t *r = s->run;
    while (!s->active && r->next < r->n) {
        s->i = r->next++;
        s_issue(s);
    }
}

static void s_answer(ld_conn_t *c, int status, const char *body, size_t len, void *arg)
{
    slot_t *s = arg;
    run_t *r = s->run;
    (void)c;
    if (!s->active)
        return;
    if (status == 0 && s->tries < 2) { /* the connection died: once more on a new one */
        s->conn = NULL;
        if (s_send(s) == 0)
            return;
    }
    if (status != 0 && r->lat)
        ld_hist_record(r->lat, ld_now_us() - s->t0);
    bool again = r->done ? r->done(r->ctx, s->i, status, body, len) : false;
    free(s->req.body);
    s->req.body = NULL;
    s->active = false;
    if (again && s_issue(s))
        return;
    if (!again) {
        if (status >= 200 && status < 300)
            r->res.ok++;
        else
            r->res.failed++;
        r->finished++;
    }
    s_feed(s);
}

ld_rest_result_t ld_rest_run(ld_loop_t *loop, int pool, size_t n, ld_gen_fn *gen, ld_done_fn *done,
                             void *ctx, double timeout_s, ld_hist_t *lat)
{
    run_t r = {.loop = loop, .gen = gen, .done = done, .ctx = ctx, .lat = lat, .n = n};
    if (pool < 1)
        pool = 1;
    slot_t *slots = calloc((size_t)pool, sizeof *slots);
    uint64_t t0 = ld_now_us();
    uint64_t deadline = t0 + (uint64_t)(timeout_s * 1e6);
    if (!slots) {
        r.res.failed = n;
        return r.res;
    }
    for (int k = 0; k < pool; k++) {
        slots[k].run = &r;
        s_feed(&slots[k]);
    }
    while (r.finished < n) {
        if (ld_now_us() >= deadline) {
            r.res.timed_out = true;
            break;
        }
        if (ld_loop_poll(loop, 5) < 0)
            break;
        for (int k = 0; k < pool; k++) /* a slot whose send failed at once */
            s_feed(&slots[k]);
    }
    for (int k = 0; k < pool; k++) {
        if (slots[k].active)
            r.res.failed++;
        /* Closed with their callbacks detached: nothing may call into this
         * stack frame later, and the next batch opens its own pool. */
        if (slots[k].conn)
            ld_conn_close(slots[k].conn);
        free(slots[k].req.body);
    }
    free(slots);
    r.res.seconds = (double)(ld_now_us() - t0) / 1e6;
    return r.res;
}

typedef struct {
    const char *method, *path, *token, *body; /* the one call */
    int status;                               /* its answer */
    char *out;                                /* its body, malloc'd */
} one_t;

static bool s_one_gen(void *ctx, size_t i, ld_req_t *req)
{
    one_t *o = ctx;
    (void)i;
    req->method = o->method;
    snprintf(req->path, sizeof req->path, "%s", o->path);
    req->token = o->token;
    req->body = o->body ? strdup(o->body) : NULL;
    return true;
}

static bool s_one_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    one_t *o = ctx;
    (void)i;
    o->status = status;
    o->out = malloc(len + 1);
    if (o->out) {
        memcpy(o->out, body, len);
        o->out[len] = '\0';
    }
    return false;
}

int ld_rest_call(ld_loop_t *loop, const char *method, const char *path, const char *token,
                 const char *body, char **body_out, double timeout_s)
{
    one_t o = {.method = method, .path = path, .token = token, .body = body};
    ld_rest_run(loop, 1, 1, s_one_gen, s_one_done, &o, timeout_s, NULL);
    if (body_out)
        *body_out = o.out;
    else
        free(o.out);
    return o.status;
}
