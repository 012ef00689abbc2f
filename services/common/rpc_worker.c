/* rpc_worker.c - worker threads: unpack, dispatch, idempotent writes, reply.
 *
 * Each worker owns a DEALER to the broker, its own PostgreSQL connection,
 * its own publisher sender and whatever the service's worker_init made, so
 * nothing here is shared between threads except the server's read-only
 * options and the metrics table (which locks itself). The broker runs fast
 * handlers through the same pc_call_t, without a worker (pc_rpc_fast). The
 * pc_call_* API is rpc_call.c's, deferred replies are rpc_deferred.c's. */
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
        pc_call_reply_clear(c);
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
        pc_call_events_flush(c, true);
        return;
    }
    if (!keep) {
        pc_db_rollback(db);
        pc_call_events_flush(c, false);
        return;
    }
    PGconn *conn = pc_db_conn(db);
    if (conn && PQtransactionStatus(conn) == PQTRANS_INERROR) {
        /* A statement of the handler failed (it answered, say, 409 after a
         * unique violation): nothing of it can commit, so record the answer
         * on its own. */
        pc_db_rollback(db);
        pc_call_events_flush(c, false);
        if (s_record_reply(c, true) != PC_OK)
            pc_log(PC_LOG_WARN, pc_call_trace(c), "could not record the reply of %s",
                   c->req->method);
        return;
    }
    pc_status_t st = s_record_reply(c, false);
    if (st == PC_CONFLICT) {
        /* A duplicate of this request committed first: its answer wins. */
        pc_db_rollback(db);
        pc_call_events_flush(c, false);
        int found = s_stored_reply(c);
        if (found != 1)
            pc_call_error(c, PC_UNAVAILABLE, "could not read the stored reply; retry");
        return;
    }
    if (st == PC_OK)
        st = pc_db_commit(db);
    if (st != PC_OK) {
        pc_db_rollback(db);
        pc_call_events_flush(c, false);
        pc_call_error(c, st == PC_DEADLINE_EXCEEDED ? PC_DEADLINE_EXCEEDED : PC_UNAVAILABLE,
                      "could not commit; retry");
        return;
    }
    pc_call_events_flush(c, true);
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
            pc_call_events_flush(c, ok);
        }
        pc_call_events_flush(c, true);
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
                pc_call_events_flush(c, true);
            } else {
                pc_db_rollback(db);
                pc_call_events_flush(c, false);
            }
        }
        pc_call_events_flush(c, true);
    }
}

void pc_rpc_observe(pc_metrics_t *m, const char *method, int status, int64_t arrival)
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

static pc_call_t s_call_of(pc_rpc_server_t *srv, pc_worker_state_t *wk, const Pigeon__Request *req,
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
    pc_call_events_flush(c, false);
    pc_call_reply_clear(c);
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
    pc_rpc_observe(c->srv->opts.metrics, c->method ? c->method->method : "unknown", c->status,
                   c->arrival);
    s_call_clear(c);
    return out;
}

/* Handles one request; returns the packed reply (NULL: nothing to answer,
 * or answered later through a deferred token). */
static uint8_t *s_handle(pc_worker_state_t *wk, const void *identity, size_t identity_len,
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
static void s_serve_one(pc_worker_state_t *wk, void *sock)
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

static void s_health(pc_worker_state_t *wk)
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
    pc_worker_state_t wk = {.w = w, .srv = srv};
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
