/* rpc_call.c - the pc_call_* API a handler uses (rpc_server.h): the request,
 * the reply, nested-call options, the write transaction and events held
 * until it commits. The same for a worker's call and a fast handler's (which
 * has no worker: no database, no publisher). */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rpc_internal.h"

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

void pc_call_reply_clear(pc_call_t *c)
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
    pc_call_reply_clear(c);
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
    pc_call_reply_clear(c);
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
    pc_call_reply_clear(c);
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
        pc_call_event_t *p = realloc(c->events, cap * sizeof *p);
        if (!p)
            return; /* an event is a hint; clients catch up through history */
        c->events = p;
        c->cap = cap;
    }
    pc_call_event_t *e = &c->events[c->nevents];
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

void pc_call_events_flush(pc_call_t *c, bool send)
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
