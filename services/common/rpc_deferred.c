/* rpc_deferred.c - deferred replies (rpc_server.h): a handler takes its
 * call's answer over with pc_call_defer, and whoever holds the token answers
 * it later, from any thread; the packed answer is queued to the broker
 * (pc_rpc_deferred_queue, rpc_server.c), the only thread that sends. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rpc_internal.h"

/* --- deferred replies ----------------------------------------------------- */

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
    pc_rpc_observe(d->srv->opts.metrics, d->method, status, d->arrival);
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
