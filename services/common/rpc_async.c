/* rpc_async.c - many calls in flight on one thread (rpc_async.h).
 *
 * Calls are kept in a hash table by request id (replies find theirs in
 * O(1)) and in a list, oldest first, that the timer scan walks: O(calls)
 * once per due retry or deadline, which with the default deadline is
 * every couple of seconds, not per call. The DEALERs and their round robin
 * are a pc_rpc_client_t's (rpc_client_internal.h); they are refreshed from
 * the registry at the top of pc_rpc_async_run and when a call starts, but
 * never while callbacks may run, so no socket changes under s_drain. Retries keep their call's
 * instances apart by instance id, which survives a refresh (indices do not). */
#include "rpc_async.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "random.h"
#include "rpc_client_internal.h"

#define S_BUCKETS 1024      /* id table; calls in flight are bounded by the caller */
#define S_FRESH_RETRY_MS 10 /* a handshaking DEALER is tried again this often */

typedef struct s_call {
    struct s_call *next_id;                 /* chain of the id table */
    struct s_call *prev, *next;             /* list of all calls, oldest first */
    char request_id[PC_REQUEST_ID_MAX + 1]; /* matches the reply; kept by retries */
    char trace_id[33];                      /* sent with every attempt */
    const char *method;                     /* borrowed (rpc_async.h) */
    int64_t caller_id;                      /* 0: none */
    uint8_t *body;                          /* packed request, NULL when none */
    size_t body_len;                        /* bytes in body */
    int64_t deadline;                       /* pc_mono_ms() the call fails at */
    int64_t until;                          /* the current wait ends: retry or fail */
    char sent[PC_RPC_MAX_ATTEMPTS][64];     /* instance ids the request went to */
    int nsent;                              /* entries in sent */
    uint64_t tried;                         /* conn indices tried (bit i) ... */
    uint64_t tried_version;                 /* ... for this registry version */
    pc_rpc_async_fn fn;                     /* ends the call */
    void *arg;                              /* fn's argument */
} s_call_t;

struct pc_rpc_async {
    pc_rpc_client_t *cli;       /* DEALERs, round robin, metrics */
    s_call_t *by_id[S_BUCKETS]; /* calls by request id */
    s_call_t *head, *tail;      /* calls, oldest first */
    size_t n;                   /* calls in flight */
    int64_t next_scan;          /* no timer is due before this */
    bool in_run;                /* callbacks may run: the DEALERs must stay as they are */
};

static size_t s_hash(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h & (S_BUCKETS - 1);
}

static s_call_t *s_find(pc_rpc_async_t *a, const char *id)
{
    s_call_t *c = a->by_id[s_hash(id)];
    while (c && strcmp(c->request_id, id) != 0)
        c = c->next_id;
    return c;
}

static void s_arm(pc_rpc_async_t *a, int64_t when)
{
    if (when < a->next_scan)
        a->next_scan = when;
}

/* Unlinks the call, runs its callback with reply, frees both. */
static void s_end(pc_rpc_async_t *a, s_call_t *c, pc_rpc_reply_t *reply)
{
    for (s_call_t **p = &a->by_id[s_hash(c->request_id)]; *p; p = &(*p)->next_id)
        if (*p == c) {
            *p = c->next_id;
            break;
        }
    if (c->prev)
        c->prev->next = c->next;
    else
        a->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        a->tail = c->prev;
    a->n--;
    c->fn(c->arg, reply);
    pc_rpc_reply_clear(reply);
    free(c->body);
    free(c);
}

static void s_fail(pc_rpc_async_t *a, s_call_t *c, int status, const char *fmt, bool counted)
{
    pc_rpc_reply_t r = {0};
    pc_rpc_reply_fail(&r, status, fmt, a->cli->service);
    if (counted) {
        pc_rpc_client_count(a->cli, "failure", status);
        pc_rpc_client_count(a->cli, "call", status);
    }
    s_end(a, c, &r);
}

/* The instances already asked stay tried after a refresh reordered conns. */
static void s_sync_tried(pc_rpc_client_t *cli, s_call_t *c)
{
    if (c->tried_version == cli->version)
        return;
    c->tried = 0;
    for (size_t i = 0; i < cli->nconns; i++)
        for (int k = 0; k < c->nsent; k++)
            if (strcmp(cli->conns[i].instance, c->sent[k]) == 0)
                c->tried |= (uint64_t)1 << i;
    c->tried_version = cli->version;
}

/* Sends the request to the next instance (round robin) not yet tried.
 * Returns its index or -1 when none took it. */
static int s_send_next(pc_rpc_client_t *cli, s_call_t *c)
{
    Pigeon__Request env = PIGEON__REQUEST__INIT;
    env.request_id = c->request_id;
    env.method = (char *)c->method;
    env.trace_id = c->trace_id;
    if (c->caller_id) {
        env.has_caller_id = 1;
        env.caller_id = c->caller_id;
    }
    if (c->body) {
        env.has_body = 1;
        env.body.data = c->body;
        env.body.len = c->body_len;
    }
    int64_t now = pc_mono_ms();
    for (size_t k = 0; k < cli->nconns; k++) {
        size_t i = (cli->rr + k) % cli->nconns;
        uint64_t bit = (uint64_t)1 << i;
        if (c->tried & bit)
            continue;
        c->tried |= bit;
        int64_t left = c->deadline - now;
        env.deadline_ms = (uint32_t)(left > 0 ? left : 1);
        size_t len;
        uint8_t *bytes = pc_envelope_pack_request(&env, &len);
        if (!bytes)
            return -1;
        int rc = zmq_send(cli->conns[i].sock, bytes, len, ZMQ_DONTWAIT);
        free(bytes);
        if (rc >= 0) {
            cli->rr = i + 1;
            return (int)i;
        }
        /* EAGAIN: not connected (ZMQ_IMMEDIATE); a fresh DEALER may be handshaking. */
        if (cli->conns[i].connected_at + PC_RPC_FRESH_MS > now)
            c->tried &= ~bit;
    }
    return -1;
}

/* When the first untried, freshly connected DEALER stops being fresh; 0: none. */
static int64_t s_fresh_until(const pc_rpc_client_t *cli, const s_call_t *c, int64_t now)
{
    int64_t best = 0;
    for (size_t i = 0; i < cli->nconns; i++) {
        int64_t t = cli->conns[i].connected_at + PC_RPC_FRESH_MS;
        if (!(c->tried & ((uint64_t)1 << i)) && t > now && (best == 0 || t < best))
            best = t;
    }
    return best;
}

/* The call's next move: an attempt where one can go, else wait or fail. */
static void s_step(pc_rpc_async_t *a, s_call_t *c)
{
    pc_rpc_client_t *cli = a->cli;
    s_sync_tried(cli, c);
    int64_t now = pc_mono_ms();
    if (c->nsent < PC_RPC_MAX_ATTEMPTS && now < c->deadline) {
        int i = s_send_next(cli, c);
        if (i >= 0) {
            if (c->nsent > 0)
                pc_rpc_client_count(cli, "retry", 0);
            snprintf(c->sent[c->nsent++], sizeof c->sent[0], "%s", cli->conns[i].instance);
            size_t untried = 0;
            for (size_t k = 0; k < cli->nconns; k++)
                untried += !(c->tried & ((uint64_t)1 << k));
            /* Another instance could take a retry: this one gets half of what is left. */
            c->until = untried && c->nsent < PC_RPC_MAX_ATTEMPTS ? now + (c->deadline - now) / 2
                                                                 : c->deadline;
            s_arm(a, c->until);
            return;
        }
        int64_t fresh = c->nsent == 0 ? s_fresh_until(cli, c, now) : 0;
        if (fresh > 0) {
            c->until = now + S_FRESH_RETRY_MS;
            if (c->until > fresh)
                c->until = fresh;
            if (c->until > c->deadline)
                c->until = c->deadline;
            s_arm(a, c->until);
            return;
        }
    }
    if (c->nsent == 0) {
        s_fail(a, c, PC_UNAVAILABLE, "service \"%s\" is unavailable", true);
    } else if (now < c->deadline) {
        c->until = c->deadline; /* what is left goes to the instances already asked */
        s_arm(a, c->until);
    } else {
        s_fail(a, c, PC_DEADLINE_EXCEEDED, "service \"%s\" did not answer in time", true);
    }
}

pc_rpc_async_t *pc_rpc_async_new(pc_registry_t *reg, const char *service, int default_deadline_ms)
{
    pc_rpc_async_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cli = pc_rpc_client_new_many(reg, service, default_deadline_ms);
    if (!a->cli) {
        free(a);
        return NULL;
    }
    a->next_scan = INT64_MAX;
    return a;
}

void pc_rpc_async_destroy(pc_rpc_async_t **ap)
{
    if (!ap || !*ap)
        return;
    pc_rpc_async_t *a = *ap;
    while (a->head)
        s_fail(a, a->head, PC_UNAVAILABLE, "service \"%s\" is unavailable", false);
    pc_rpc_client_destroy(&a->cli);
    free(a);
    *ap = NULL;
}

void pc_rpc_async_call(pc_rpc_async_t *a, const pc_rpc_opts_t *opts, const char *method,
                       const ProtobufCMessage *req, pc_rpc_async_fn fn, void *arg)
{
    pc_rpc_client_t *cli = a->cli;
    s_call_t *c = calloc(1, sizeof *c);
    if (!c) {
        pc_rpc_reply_t r = {0};
        pc_rpc_reply_fail(&r, PC_INTERNAL, "out of memory calling \"%s\"", cli->service);
        fn(arg, &r);
        pc_rpc_reply_clear(&r);
        return;
    }
    pc_rpc_opts_t o = opts ? *opts : (pc_rpc_opts_t){0};
    c->deadline = pc_mono_ms() + (o.deadline_ms > 0 ? o.deadline_ms : cli->default_deadline_ms);
    if (o.request_id && pc_envelope_valid_id(o.request_id))
        snprintf(c->request_id, sizeof c->request_id, "%s", o.request_id);
    else
        pc_random_hex(c->request_id, 16);
    if (o.trace_id && *o.trace_id)
        snprintf(c->trace_id, sizeof c->trace_id, "%s", o.trace_id);
    else
        pc_random_hex(c->trace_id, 16);
    if (!a->in_run)
        pc_rpc_client_refresh(cli); /* as pc_rpc_call: instances that just arrived count */
    c->method = method;
    c->caller_id = o.caller_id;
    c->fn = fn;
    c->arg = arg;
    size_t b = s_hash(c->request_id);
    c->next_id = a->by_id[b];
    a->by_id[b] = c;
    c->prev = a->tail;
    if (a->tail)
        a->tail->next = c;
    else
        a->head = c;
    a->tail = c;
    a->n++;
    if (req) {
        size_t n = protobuf_c_message_get_packed_size(req);
        if (n > PC_ENVELOPE_MAX_BYTES) {
            s_fail(a, c, PC_PAYLOAD_TOO_LARGE, "request to \"%s\" is too large", false);
            return;
        }
        c->body = malloc(n + 1);
        if (!c->body) {
            s_fail(a, c, PC_INTERNAL, "out of memory calling \"%s\"", false);
            return;
        }
        c->body_len = protobuf_c_message_pack(req, c->body);
    }
    s_step(a, c);
}

/* Reads every reply waiting on sock and ends the calls they answer; late
 * replies of calls already ended are dropped. */
static void s_drain(pc_rpc_async_t *a, void *sock)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
        if (zmq_msg_more(&m))
            continue; /* we only speak single-frame messages; skip the parts */
        Pigeon__Reply *rep = pc_envelope_unpack_reply(zmq_msg_data(&m), zmq_msg_size(&m));
        if (!rep)
            continue;
        s_call_t *c = s_find(a, rep->request_id);
        if (c) {
            pc_rpc_reply_t r = {0};
            pc_rpc_reply_fill(rep, &r);
            pc_envelope_free_reply(&rep);
            pc_rpc_client_count(a->cli, "call", r.status);
            s_end(a, c, &r);
        } else {
            pc_envelope_free_reply(&rep);
        }
    }
    zmq_msg_close(&m);
}

/* Steps every call whose wait is over. O(calls in flight). */
static void s_scan(pc_rpc_async_t *a, int64_t now)
{
    a->next_scan = INT64_MAX;
    for (s_call_t *c = a->head; c;) {
        s_call_t *next = c->next; /* c may end */
        if (c->until <= now)
            s_step(a, c);
        else
            s_arm(a, c->until);
        c = next;
    }
}

int pc_rpc_async_run(pc_rpc_async_t *a, int fd, int max_ms)
{
    pc_rpc_client_t *cli = a->cli;
    pc_rpc_client_refresh(cli);
    zmq_pollitem_t items[PC_RPC_MAX_INSTANCES + 1];
    int n = 0, fdi = -1;
    for (size_t i = 0; i < cli->nconns; i++)
        items[n++] = (zmq_pollitem_t){cli->conns[i].sock, 0, ZMQ_POLLIN, 0};
    if (fd >= 0) {
        fdi = n;
        items[n++] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    }
    long wait = max_ms;
    if (a->n > 0) {
        int64_t w = a->next_scan - pc_mono_ms();
        if (w < wait)
            wait = w < 0 ? 0 : (long)w;
    }
    int rc = zmq_poll(items, n, wait);
    if (rc < 0 && errno != EINTR)
        return 0;
    a->in_run = true;
    if (rc > 0) /* conns do not change before the next run: items[i] is conns[i] */
        for (int i = 0; i < n; i++)
            if (i != fdi && (items[i].revents & ZMQ_POLLIN))
                s_drain(a, items[i].socket);
    if (a->n > 0 && pc_mono_ms() >= a->next_scan)
        s_scan(a, pc_mono_ms());
    a->in_run = false;
    return rc > 0 && fdi >= 0 && (items[fdi].revents & ZMQ_POLLIN) ? 1 : 0;
}

size_t pc_rpc_async_pending(const pc_rpc_async_t *a)
{
    return a ? a->n : 0;
}
