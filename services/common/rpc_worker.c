/* rpc_worker.c - worker threads: unpack, dispatch, idempotent writes, reply.
 *
 * Each worker owns a DEALER to the broker, its own PostgreSQL connection,
 * its own publisher sender and whatever the service's worker_init made, so
 * nothing here is shared between threads except the server's read-only
 * options and the metrics table (which locks itself). The broker runs fast
 * handlers through the same pc_call_t, without a worker (pc_rpc_fast). */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "rpc_internal.h"

#define S_HEALTH_EVERY_MS 5000 /* idle "SELECT 1" for /readyz; cheap */

typedef struct {
    char *topic;
    char *payload;
    size_t len;
} s_event_t;

/* What lives for the whole worker thread. */
typedef struct {
    pc_rpc_worker_t *w;
    pc_rpc_server_t *srv;
    pc_db_t *db;             /* NULL when the server has no db_url */
    pc_pub_sender_t *sender; /* NULL without a publisher */
    void *state;             /* from worker_init */
    char sql_lookup[160];    /* statements on <schema>.rpc_replies */
    char sql_insert[256];
    char sql_insert_once[320];
} s_worker_t;

struct pc_call {
    pc_rpc_server_t *srv;       /* whose call */
    s_worker_t *wk;             /* the worker running it; NULL for a fast handler */
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
    bool tx;           /* pc_call_begin_write opened a transaction */
    s_event_t *events; /* queued until commit */
    size_t nevents, cap;
};

/* --- what handlers see ------------------------------------------------- */

const char *pc_call_method(const pc_call_t *c)
{
    return c->req->method;
}
const char *pc_call_request_id(const pc_call_t *c)
{
    return c->req->request_id;
}
const char *pc_call_trace(const pc_call_t *c)
{
    return c->req->trace_id ? c->req->trace_id : "";
}
int64_t pc_call_caller(const pc_call_t *c)
{
    return c->req->has_caller_id ? c->req->caller_id : 0;
}
pc_db_t *pc_call_db(pc_call_t *c)
{
    return c->wk ? c->wk->db : NULL;
}
void *pc_call_worker(pc_call_t *c)
{
    return c->wk ? c->wk->state : NULL;
}
void *pc_call_service(pc_call_t *c)
{
    return c->srv->opts.service_arg;
}
pc_metrics_t *pc_call_metrics(pc_call_t *c)
{
    return c->srv->opts.metrics;
}

int pc_call_remaining_ms(const pc_call_t *c)
{
    int64_t left = c->deadline - pc_mono_ms();
    return left > 0 ? (int)left : 0;
}

void *pc_call_unpack(pc_call_t *c, const ProtobufCMessageDescriptor *desc)
{
    static const uint8_t empty[1];
    if (c->body_msg) { /* one body per call; a second unpack replaces the first */
        protobuf_c_message_free_unpacked(c->body_msg, NULL);
        c->body_msg = NULL;
    }
    const Pigeon__Request *r = c->req;
    size_t len = r->has_body ? r->body.len : 0;
    c->body_msg = protobuf_c_message_unpack(desc, NULL, len, len ? r->body.data : empty);
    return c->body_msg;
}

pc_rpc_opts_t pc_call_child_opts(pc_call_t *c)
{
    /* Derived, not random: a retry of this call makes the same nested calls
     * with the same ids, so nested writes stay idempotent too. */
    char seed[PC_REQUEST_ID_MAX + 16];
    int n = snprintf(seed, sizeof seed, "%s:%u", c->req->request_id, c->child_seq++);
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)seed, (size_t)n, NULL, 0);
    char *id = c->child_ids[(c->child_seq - 1) % 4];
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", h[i]);
    int left = pc_call_remaining_ms(c);
    pc_rpc_opts_t o = {
        .request_id = id,
        .caller_id = pc_call_caller(c),
        .trace_id = pc_call_trace(c),
        .deadline_ms = left > 0 ? left : 1, /* 0 would mean "the client's default" */
    };
    return o;
}

static void s_reply_clear(pc_call_t *c)
{
    free(c->error);
    free(c->body);
    c->error = NULL;
    c->body = NULL;
    c->body_len = 0;
    c->retry_after_s = 0;
}

int pc_call_reply(pc_call_t *c, int status, const ProtobufCMessage *msg)
{
    s_reply_clear(c);
    c->replied = true;
    c->status = status;
    if (msg) {
        size_t n = protobuf_c_message_get_packed_size(msg);
        c->body = n <= PC_ENVELOPE_MAX_BYTES ? malloc(n + 1) : NULL;
        if (!c->body)
            return pc_call_error(c, PC_INTERNAL, "reply too large");
        c->body_len = protobuf_c_message_pack(msg, c->body);
    }
    return status;
}

int pc_call_error(pc_call_t *c, int status, const char *fmt, ...)
{
    s_reply_clear(c);
    c->replied = true;
    c->status = status;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->error, fmt, ap) < 0)
        c->error = NULL;
    va_end(ap);
    return status;
}

void pc_call_set_retry_after(pc_call_t *c, unsigned seconds)
{
    c->retry_after_s = seconds;
}

int pc_call_forward(pc_call_t *c, const pc_rpc_reply_t *reply)
{
    s_reply_clear(c);
    c->replied = true;
    c->status = reply->status;
    c->error = reply->error ? strdup(reply->error) : NULL;
    if (reply->body_len) {
        c->body = malloc(reply->body_len);
        if (!c->body)
            return pc_call_error(c, PC_INTERNAL, "out of memory");
        memcpy(c->body, reply->body, reply->body_len);
        c->body_len = reply->body_len;
    }
    c->retry_after_s = reply->retry_after_s;
    return c->status;
}

int pc_call_begin_write(pc_call_t *c)
{
    if (!pc_call_db(c))
        return PC_UNAVAILABLE;
    if (c->tx && pc_db_in_transaction(c->wk->db))
        return PC_OK;
    pc_status_t st = pc_db_begin(c->wk->db);
    c->tx = st == PC_OK;
    return st;
}

void pc_call_publish_except(pc_call_t *c, const char *topic, const char *payload, size_t len,
                            const char *origin)
{
    if (!origin || !*origin) {
        pc_call_publish(c, topic, payload, len);
        return;
    }
    size_t n;
    char *buf = pc_pub_payload_except(payload, len, origin, &n);
    if (buf)
        pc_call_publish(c, topic, buf, n);
    free(buf);
}

void pc_call_publish(pc_call_t *c, const char *topic, const char *payload, size_t len)
{
    if (!c->wk || !c->wk->sender || !topic) /* a fast handler has no sender */
        return;
    if (!(c->tx && pc_db_in_transaction(c->wk->db))) {
        pc_pub_send(c->wk->sender, topic, payload, len);
        return;
    }
    if (c->nevents == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4;
        s_event_t *p = realloc(c->events, cap * sizeof *p);
        if (!p)
            return; /* an event is a hint; clients catch up through history */
        c->events = p;
        c->cap = cap;
    }
    s_event_t *e = &c->events[c->nevents];
    e->topic = strdup(topic);
    e->payload = malloc(len + 1);
    if (!e->topic || !e->payload) {
        free(e->topic);
        free(e->payload);
        return;
    }
    memcpy(e->payload, payload, len);
    e->len = len;
    c->nevents++;
}

/* Sends (send = true) or drops the queued events, then forgets them. */
static void s_events_flush(pc_call_t *c, bool send)
{
    for (size_t i = 0; i < c->nevents; i++) {
        if (send)
            pc_pub_send(c->wk->sender, c->events[i].topic, c->events[i].payload, c->events[i].len);
        free(c->events[i].topic);
        free(c->events[i].payload);
    }
    free(c->events);
    c->events = NULL;
    c->nevents = c->cap = 0;
}

/* --- deferred replies ----------------------------------------------------- */

static void s_observe(pc_metrics_t *m, const char *method, int status, int64_t arrival);

pc_deferred_t *pc_call_defer(pc_call_t *c)
{
    /* A write's reply belongs in its own transaction (s_finish_write). */
    assert(c->method && !(c->method->flags & PC_METHOD_WRITE));
    assert(!c->deferred);
    if (c->identity_len == 0 || c->identity_len > PC_RPC_IDENTITY_MAX)
        return NULL;
    pc_deferred_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->srv = c->srv;
    d->method = c->method->method;
    snprintf(d->request_id, sizeof d->request_id, "%s", c->req->request_id);
    snprintf(d->trace, sizeof d->trace, "%s", pc_call_trace(c));
    d->arrival = c->arrival;
    d->deadline = c->deadline;
    memcpy(d->identity, c->identity, c->identity_len);
    d->identity_len = c->identity_len;
    /* Running until answered; a worker's own count ends with its empty reply. */
    pc_rpc_busy_add(d->srv, 1);
    c->deferred = true;
    return d;
}

int64_t pc_deferred_deadline(const pc_deferred_t *d)
{
    return d->deadline;
}
const char *pc_deferred_request_id(const pc_deferred_t *d)
{
    return d->request_id;
}
const char *pc_deferred_trace(const pc_deferred_t *d)
{
    return d->trace;
}

/* Packs the answer into the token and hands it to the broker. */
static void s_deferred_send(pc_deferred_t **dp, int status, const char *error, const uint8_t *body,
                            size_t body_len)
{
    pc_deferred_t *d = *dp;
    *dp = NULL;
    if (!pc_status_is_known(status)) {
        pc_log(PC_LOG_ERROR, d->trace, "%s answered unknown status %d", d->method, status);
        status = PC_INTERNAL;
        error = "internal error";
        body = NULL;
        body_len = 0;
    }
    if (status >= 500 && status != PC_DEADLINE_EXCEEDED && status != PC_UNAVAILABLE)
        pc_log(PC_LOG_ERROR, d->trace, "%s failed: %s", d->method, error ? error : "");
    d->reply =
        pc_envelope_build_reply(d->request_id, status, error, body, body_len, 0, &d->reply_len);
    if (!d->reply) {
        status = PC_INTERNAL;
        d->reply = pc_envelope_build_reply(d->request_id, PC_INTERNAL, "reply too large", NULL, 0,
                                           0, &d->reply_len);
    }
    s_observe(d->srv->opts.metrics, d->method, status, d->arrival);
    pc_rpc_deferred_queue(d);
}

void pc_deferred_reply(pc_deferred_t **dp, int status, const ProtobufCMessage *msg)
{
    if (!dp || !*dp)
        return;
    uint8_t *body = NULL;
    size_t len = 0;
    if (msg) {
        size_t n = protobuf_c_message_get_packed_size(msg);
        body = n <= PC_ENVELOPE_MAX_BYTES ? malloc(n + 1) : NULL;
        if (!body) {
            s_deferred_send(dp, PC_INTERNAL, "reply too large", NULL, 0);
            return;
        }
        len = protobuf_c_message_pack(msg, body);
    }
    s_deferred_send(dp, status, pc_status_is_success(status) ? NULL : pc_status_code(status), body,
                    len);
    free(body);
}

void pc_deferred_error(pc_deferred_t **dp, int status, const char *fmt, ...)
{
    if (!dp || !*dp)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    s_deferred_send(dp, status, msg ? msg : pc_status_code(status), NULL, 0);
    free(msg);
}

/* --- idempotent writes --------------------------------------------------- */

/* Loads a stored reply for this request id into the call. 1 found, 0 none,
 * or -status when the database could not answer. */
static int s_stored_reply(pc_call_t *c)
{
    const char *v[] = {c->req->request_id};
    pc_status_t st;
    PGresult *res = pc_db_query_bin(c->wk->db, &st, c->wk->sql_lookup, 1, v, NULL, NULL, 1);
    if (!res)
        return -(int)st;
    int found = PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 4;
    if (found) {
        uint32_t status, retry = 0;
        memcpy(&status, PQgetvalue(res, 0, 0), 4);
        s_reply_clear(c);
        c->replied = true;
        c->status = (int)ntohl(status);
        if (!PQgetisnull(res, 0, 1))
            c->error = strndup(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
        if (!PQgetisnull(res, 0, 2)) {
            size_t n = (size_t)PQgetlength(res, 0, 2);
            c->body = malloc(n + 1);
            if (c->body) {
                memcpy(c->body, PQgetvalue(res, 0, 2), n);
                c->body_len = n;
            }
        }
        if (!PQgetisnull(res, 0, 3) && PQgetlength(res, 0, 3) == 4) {
            memcpy(&retry, PQgetvalue(res, 0, 3), 4);
            c->retry_after_s = ntohl(retry);
        }
    }
    PQclear(res);
    return found;
}

/* Records the call's reply; `once`: autocommit with ON CONFLICT DO NOTHING. */
static pc_status_t s_record_reply(pc_call_t *c, bool once)
{
    char status[16], retry[16];
    snprintf(status, sizeof status, "%d", c->status);
    snprintf(retry, sizeof retry, "%u", c->retry_after_s);
    const char *v[] = {c->req->request_id, status, c->error, c->body ? (const char *)c->body : NULL,
                       c->retry_after_s ? retry : NULL};
    int lengths[] = {0, 0, 0, (int)c->body_len, 0};
    int formats[] = {0, 0, 0, 1, 0};
    pc_status_t st = PC_OK;
    PGresult *res =
        pc_db_query_bin(c->wk->db, &st, once ? c->wk->sql_insert_once : c->wk->sql_insert, 5, v,
                        lengths, formats, 0);
    if (res)
        PQclear(res);
    return res ? PC_OK : st;
}

/* After a write handler: record, commit or roll back, publish or drop. */
static void s_finish_write(pc_call_t *c)
{
    pc_db_t *db = c->wk->db;
    bool keep = pc_status_is_replayable(c->status);
    if (!(c->tx && pc_db_in_transaction(db))) {
        if (keep && s_record_reply(c, true) != PC_OK)
            pc_log(PC_LOG_WARN, pc_call_trace(c), "could not record the reply of %s",
                   c->req->method);
        s_events_flush(c, true);
        return;
    }
    if (!keep) {
        pc_db_rollback(db);
        s_events_flush(c, false);
        return;
    }
    PGconn *conn = pc_db_conn(db);
    if (conn && PQtransactionStatus(conn) == PQTRANS_INERROR) {
        /* A statement of the handler failed (it answered, say, 409 after a
         * unique violation): nothing of it can commit, so record the answer
         * on its own. */
        pc_db_rollback(db);
        s_events_flush(c, false);
        if (s_record_reply(c, true) != PC_OK)
            pc_log(PC_LOG_WARN, pc_call_trace(c), "could not record the reply of %s",
                   c->req->method);
        return;
    }
    pc_status_t st = s_record_reply(c, false);
    if (st == PC_CONFLICT) {
        /* A duplicate of this request committed first: its answer wins. */
        pc_db_rollback(db);
        s_events_flush(c, false);
        int found = s_stored_reply(c);
        if (found != 1)
            pc_call_error(c, PC_UNAVAILABLE, "could not read the stored reply; retry");
        return;
    }
    if (st == PC_OK)
        st = pc_db_commit(db);
    if (st != PC_OK) {
        pc_db_rollback(db);
        s_events_flush(c, false);
        pc_call_error(c, st == PC_DEADLINE_EXCEEDED ? PC_DEADLINE_EXCEEDED : PC_UNAVAILABLE,
                      "could not commit; retry");
        return;
    }
    s_events_flush(c, true);
}

/* --- dispatch ------------------------------------------------------------ */

static const pc_method_t *s_find(const pc_rpc_server_t *srv, const char *name)
{
    /* Linear: a service has a few dozen methods at most. */
    for (size_t i = 0; i < srv->opts.method_count; i++)
        if (!strcmp(srv->opts.methods[i].method, name))
            return &srv->opts.methods[i];
    return NULL;
}

/* After a handler that answered (not deferred) returned rc. */
static void s_settle(pc_call_t *c, int rc)
{
    if (!c->replied || rc != c->status) {
        /* The return value is the status; keep a body set along with it. */
        c->replied = true;
        c->status = rc;
        if (!pc_status_is_success(rc) && !c->error)
            c->error = strdup(pc_status_code(rc));
    }
    if (!pc_status_is_known(c->status)) {
        pc_log(PC_LOG_ERROR, pc_call_trace(c), "%s answered unknown status %d", c->req->method,
               c->status);
        pc_call_error(c, PC_INTERNAL, "internal error");
    }
}

static void s_run(pc_call_t *c)
{
    pc_db_t *db = c->wk->db;
    bool write = (c->method->flags & PC_METHOD_WRITE) && !(c->method->flags & PC_METHOD_NO_REPLAY);
    if (write && db) {
        int found = s_stored_reply(c);
        if (found == 1)
            return;
        if (found < 0) {
            pc_call_error(c, PC_UNAVAILABLE, "database unavailable; retry");
            return;
        }
    }
    int rc = c->method->handler(c);
    if (c->deferred) {
        /* Answered later by the token's holder; what the handler did here
         * is a read's: commit what it opened, then its events. */
        if (c->body_msg) {
            protobuf_c_message_free_unpacked(c->body_msg, NULL);
            c->body_msg = NULL;
        }
        if (db && pc_db_in_transaction(db)) {
            bool ok = pc_db_commit(db) == PC_OK;
            if (!ok)
                pc_db_rollback(db);
            s_events_flush(c, ok);
        }
        s_events_flush(c, true);
        return;
    }
    s_settle(c, rc);
    if (c->body_msg) {
        protobuf_c_message_free_unpacked(c->body_msg, NULL);
        c->body_msg = NULL;
    }
    if (write && db) {
        s_finish_write(c);
    } else {
        /* A read or unrecorded write that opened a transaction: commit what
         * succeeded. */
        if (db && pc_db_in_transaction(db)) {
            if (pc_status_is_success(c->status) && pc_db_commit(db) == PC_OK) {
                s_events_flush(c, true);
            } else {
                pc_db_rollback(db);
                s_events_flush(c, false);
            }
        }
        s_events_flush(c, true);
    }
}

static void s_observe(pc_metrics_t *m, const char *method, int status, int64_t arrival)
{
    if (!m)
        return;
    char labels[200];
    snprintf(labels, sizeof labels, "method=\"%s\",status=\"%d\"", method, status);
    pc_metrics_count(m, "pigeon_rpc_requests_total", "RPC requests by method and status", labels,
                     1);
    snprintf(labels, sizeof labels, "method=\"%s\"", method);
    pc_metrics_observe(m, "pigeon_rpc_duration_seconds", "RPC latency from arrival to reply",
                       labels, (double)(pc_mono_ms() - arrival) / 1000.0);
}

static pc_call_t s_call_of(pc_rpc_server_t *srv, s_worker_t *wk, const Pigeon__Request *req,
                           const void *identity, size_t identity_len, int64_t arrival)
{
    return (pc_call_t){.srv = srv,
                       .wk = wk,
                       .method = s_find(srv, req->method),
                       .req = req,
                       .deadline = arrival + req->deadline_ms,
                       .arrival = arrival,
                       .identity = identity,
                       .identity_len = identity_len};
}

/* True, after answering 504, when the caller has given up already. */
static bool s_expired(pc_call_t *c)
{
    if (pc_mono_ms() < c->deadline)
        return false;
    pc_call_error(c, PC_DEADLINE_EXCEEDED, "deadline exceeded before the call started");
    return true;
}

/* Frees what the call holds; its request stays the caller's. */
static void s_call_clear(pc_call_t *c)
{
    if (c->body_msg) {
        protobuf_c_message_free_unpacked(c->body_msg, NULL);
        c->body_msg = NULL;
    }
    s_events_flush(c, false);
    s_reply_clear(c);
}

/* Packs the answer of a call that answered, counts it, and clears the call. */
static uint8_t *s_reply_pack(pc_call_t *c, size_t *len)
{
    if (c->status >= 500 && c->status != PC_DEADLINE_EXCEEDED && c->status != PC_UNAVAILABLE)
        pc_log(PC_LOG_ERROR, pc_call_trace(c), "%s failed: %s", c->req->method,
               c->error ? c->error : "");
    uint8_t *out = pc_envelope_build_reply(c->req->request_id, c->status, c->error, c->body,
                                           c->body_len, c->retry_after_s, len);
    if (!out) /* too large to send: say so instead of going silent */
        out = pc_envelope_build_reply(c->req->request_id, PC_INTERNAL, "reply too large", NULL, 0,
                                      0, len);
    s_observe(c->srv->opts.metrics, c->method ? c->method->method : "unknown", c->status,
              c->arrival);
    s_call_clear(c);
    return out;
}

/* Handles one request; returns the packed reply (NULL: nothing to answer,
 * or answered later through a deferred token). */
static uint8_t *s_handle(s_worker_t *wk, const void *identity, size_t identity_len,
                         const void *data, size_t size, int64_t arrival, size_t *len)
{
    Pigeon__Request *req = pc_envelope_unpack_request(data, size);
    if (!req) {
        /* No request id to answer to; the caller's deadline reports it. */
        pc_debug("dropped a malformed request of %zu bytes", size);
        return NULL;
    }
    pc_call_t c = s_call_of(wk->srv, wk, req, identity, identity_len, arrival);
    if (!s_expired(&c)) {
        if (c.method)
            s_run(&c);
        else
            pc_call_error(&c, PC_INVALID_ARGUMENT, "unknown method \"%s\"", req->method);
    }
    uint8_t *out = c.deferred ? NULL : s_reply_pack(&c, len);
    s_call_clear(&c);
    pc_envelope_free_request(&req);
    if (wk->db)
        atomic_store(&wk->w->db_ok, pc_db_conn(wk->db) != NULL);
    return out;
}

int pc_rpc_fast(pc_rpc_server_t *srv, const void *identity, size_t identity_len, const void *data,
                size_t size, int64_t arrival, uint8_t **reply, size_t *len)
{
    *reply = NULL;
    /* O(envelope): the worker unpacks a declined request again. */
    Pigeon__Request *req = pc_envelope_unpack_request(data, size);
    const pc_method_t *m = req ? s_find(srv, req->method) : NULL;
    if (!m || !m->fast) {
        pc_envelope_free_request(&req);
        return PC_FAST_DECLINED;
    }
    pc_call_t c = s_call_of(srv, NULL, req, identity, identity_len, arrival);
    int rc = s_expired(&c) ? c.status : m->fast(&c);
    /* Deferred: the token's holder answers; rc no longer counts. */
    int outcome = !c.deferred && rc == PC_FAST_DECLINED ? PC_FAST_DECLINED : 0;
    if (!c.deferred && outcome == 0) {
        s_settle(&c, rc);
        *reply = s_reply_pack(&c, len);
    }
    s_call_clear(&c);
    pc_envelope_free_request(&req);
    return outcome;
}

/* Receives [client][request][arrival] and answers [client][reply]. */
static void s_serve_one(s_worker_t *wk, void *sock)
{
    zmq_msg_t f[3];
    int n = 0;
    int more = 1;
    while (more && n < 3) {
        zmq_msg_init(&f[n]);
        if (zmq_msg_recv(&f[n], sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[n]);
            break;
        }
        more = zmq_msg_more(&f[n]);
        n++;
    }
    if (n == 0)
        return;
    size_t len = 0;
    uint8_t *reply = NULL;
    if (n == 3 && !more && zmq_msg_size(&f[2]) == sizeof(int64_t)) {
        int64_t arrival;
        memcpy(&arrival, zmq_msg_data(&f[2]), sizeof arrival);
        reply = s_handle(wk, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), zmq_msg_data(&f[1]),
                         zmq_msg_size(&f[1]), arrival, &len);
    }
    /* Always answer the broker: the reply frame also means "idle again". */
    zmq_send(sock, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), ZMQ_SNDMORE);
    zmq_send(sock, reply ? reply : (const uint8_t *)"", reply ? len : 0, 0);
    free(reply);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void s_health(s_worker_t *wk)
{
    pc_status_t st;
    PGresult *res = pc_db_ensure(wk->db) ? pc_db_query(wk->db, &st, "SELECT 1", 0, NULL) : NULL;
    atomic_store(&wk->w->db_ok, res != NULL);
    if (res)
        PQclear(res);
}

void *pc_rpc_worker_main(void *arg)
{
    pc_rpc_worker_t *w = arg;
    pc_rpc_server_t *srv = w->srv;
    s_worker_t wk = {.w = w, .srv = srv};
    const char *schema = srv->schema;
    snprintf(wk.sql_lookup, sizeof wk.sql_lookup,
             "SELECT status, error_message, body, retry_after_s FROM %s.rpc_replies "
             "WHERE request_id = $1",
             schema);
    snprintf(wk.sql_insert, sizeof wk.sql_insert,
             "INSERT INTO %s.rpc_replies (request_id, status, error_message, body, retry_after_s) "
             "VALUES ($1, $2::int, $3, $4, $5::int)",
             schema);
    snprintf(wk.sql_insert_once, sizeof wk.sql_insert_once,
             "%s ON CONFLICT (request_id) DO NOTHING", wk.sql_insert);
    if (srv->db_url)
        wk.db = pc_db_new(srv->db_url, srv->service, srv->opts.db_timeout_ms);
    pc_db_set_metrics(wk.db, srv->opts.metrics);
    if (srv->opts.publisher)
        wk.sender = pc_pub_sender_new(srv->opts.publisher);
    if (srv->opts.worker_init)
        wk.state = srv->opts.worker_init(srv->opts.service_arg);

    void *sock = zmq_socket(pc_zmq_context(), ZMQ_DEALER);
    int linger = 0;
    if (!sock)
        goto done;
    zmq_setsockopt(sock, ZMQ_ROUTING_ID, &w->index, sizeof w->index);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, srv->backend_ep) != 0 || zmq_send(sock, PC_RPC_READY, 1, 0) < 0)
        goto done;
    int64_t next_health = 0;
    while (!atomic_load(&srv->workers_stop)) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        /* The timeout bounds how late a stop is noticed and paces health checks. */
        int rc = zmq_poll(&item, 1, 100);
        if (rc < 0 && errno != EINTR)
            break;
        if (item.revents & ZMQ_POLLIN) {
            s_serve_one(&wk, sock);
            next_health = pc_mono_ms() + S_HEALTH_EVERY_MS;
        } else if (wk.db && pc_mono_ms() >= next_health) {
            s_health(&wk);
            next_health = pc_mono_ms() + S_HEALTH_EVERY_MS;
        }
    }
done:
    if (sock)
        zmq_close(sock);
    if (srv->opts.worker_fini)
        srv->opts.worker_fini(wk.state);
    pc_pub_sender_destroy(&wk.sender);
    pc_db_destroy(&wk.db);
    return NULL;
}
