/* ws_sends.c - a loop's WebSocket `send` frames, on the loop's own thread.
 *
 * Each loop (ws_loop.c) keeps every send of its sockets out at once on its
 * own DEALERs to pigeon-router (rpc_async.h) and waits for its sockets and
 * the router's replies together (gw_ws_sends_wait). A send frame is mapped
 * to a SendRequest (read by ws_send_scan.h, or parsed as JSON) and called;
 * when the reply, a retry or the deadline comes, it is turned into the ack
 * or error frame exactly as the REST handler and ws_jobs.c would, and handed
 * to its socket on the same thread. So a send costs the gateway no hand-off
 * between threads (a sends thread between the loops and the router cost two
 * eventfd wake-ups per batch: docs/BENCHMARKS.md, item 18).
 *
 * Callbacks of rpc_async run inside its receive loop, where starting calls
 * is allowed but reading a socket's frames again is not safe, so finished
 * jobs are only gathered there and handed to their sockets after it
 * (s_deliver). A loop still hands one job per socket at a time, so a
 * socket's sends keep their order; at most GW_WS_SENDS_MAX are out per
 * loop, more wait here in arrival order. */
#include <jansson.h>
#include <stdlib.h>

#include "api_json.h"
#include "backend.h"
#include "log.h"
#include "messages_map.h"
#include "rpc_async.h"
#include "status.h"
#include "ws_sess.h"

struct gw_ws_sends {
    gw_ws_loop_t *loop;     /* owner (borrowed) */
    pc_rpc_async_t *rpc;    /* router calls */
    gw_ws_msg_t *wait_head; /* jobs not started (GW_WS_SENDS_MAX out), oldest first */
    gw_ws_msg_t *wait_tail; /* newest waiting job */
    gw_ws_msg_t *done_head; /* ended jobs (text = their frame), not yet handed back */
    gw_ws_msg_t *done_tail; /* newest ended job */
    size_t out;             /* calls in flight */
};

static void s_append(gw_ws_msg_t **head, gw_ws_msg_t **tail, gw_ws_msg_t *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static gw_ws_msg_t *s_pop(gw_ws_msg_t **head, gw_ws_msg_t **tail)
{
    gw_ws_msg_t *j = *head;
    if (j) {
        *head = j->next;
        if (!*head)
            *tail = NULL;
        j->next = NULL;
    }
    return j;
}

static void s_finish(gw_ws_sends_t *q, gw_ws_msg_t *j, gw_reply_t *out)
{
    char *frame = gw_ws_job_frame(j, out);
    free(j->text);
    j->text = frame;
    s_append(&q->done_head, &q->done_tail, j);
}

/* A call ended: what gw_call and gw_h_send_message make of the reply. */
static void s_replied(void *arg, pc_rpc_reply_t *reply)
{
    gw_ws_msg_t *j = arg;
    gw_ws_sends_t *q = j->owner;
    q->out--;
    gw_reply_t out = {.status = PC_INTERNAL};
    if (!pc_status_is_success(reply->status)) {
        gw_reply_from_rpc(&out, reply);
    } else {
        int st = PC_INTERNAL;
        ProtobufCMessage *resp = pc_rpc_reply_unpack(reply, &pigeon__msg__message__descriptor, &st);
        if (!resp) {
            gw_reply_error(&out, PC_INTERNAL, "malformed reply from pigeon-%s",
                           gw_service_name(GW_SVC_ROUTER));
        } else {
            gw_reply_message(&out, reply->status, (const Pigeon__Msg__Message *)resp);
            protobuf_c_message_free_unpacked(resp, NULL);
        }
    }
    s_finish(q, j, &out);
}

/* The request of a frame read by gw_ws_send_scan: what gw_map_send makes
 * of the same bytes (tests/fuzz/fuzz_ws_send_scan.c). */
static void s_map_plain(const gw_ws_send_t *f, Pigeon__Msg__SendRequest *m)
{
    pigeon__msg__send_request__init(m);
    m->has_to_user_id = f->to_user_id != 0;
    m->to_user_id = f->to_user_id;
    m->has_to_group_id = f->to_group_id != 0;
    m->to_group_id = f->to_group_id;
    m->client_msg_id = (char *)f->client_msg_id.p;
    m->kind = (char *)f->kind.p;
    m->text = (char *)f->text.p;
    m->has_media_id = f->media_id != 0;
    m->media_id = f->media_id;
}

/* Starts one send: the frame's fields (gw_map_send, as POST /v1/messages,
 * or s_map_plain) with the socket's origin tag, the job's request and trace
 * ids. */
static void s_start(gw_ws_sends_t *q, gw_ws_msg_t *j)
{
    char err[256];
    gw_reply_t out = {.status = PC_INTERNAL};
    Pigeon__Msg__SendRequest msg;
    if (!j->json) {
        s_map_plain(&j->send, &msg);
    } else if (gw_map_send(j->json, &msg, err, sizeof err) < 0) {
        gw_reply_error(&out, PC_INVALID_ARGUMENT, "%s", err);
        s_finish(q, j, &out);
        return;
    }
    msg.origin = j->tag;
    pc_rpc_opts_t o = {.request_id = j->request_id, .caller_id = j->user, .trace_id = j->trace_id};
    j->owner = q;
    q->out++;
    pc_rpc_async_call(q->rpc, &o, "msg.send", &msg.base, s_replied, j); /* packs msg now */
}

static void s_start_waiting(gw_ws_sends_t *q)
{
    while (q->wait_head && q->out < GW_WS_SENDS_MAX)
        s_start(q, s_pop(&q->wait_head, &q->wait_tail));
}

/* Hands ended jobs to their sockets. That may start more sends, and those
 * that end at once are handed back in the same call. */
static void s_deliver(gw_ws_sends_t *q)
{
    gw_ws_msg_t *j;
    while ((j = s_pop(&q->done_head, &q->done_tail)) != NULL)
        gw_ws_loop_job_done(q->loop, j);
}

gw_ws_sends_t *gw_ws_sends_new(gw_ws_loop_t *l)
{
    gw_ws_sends_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->loop = l;
    gw_ws_t *ws = l->ws;
    /* Made here, used only by the loop's thread (its start is the memory
     * barrier ZeroMQ asks for when a socket changes threads). */
    q->rpc = pc_rpc_async_new(ws->ctx->registry, gw_service_name(GW_SVC_ROUTER),
                              gw_backend_deadline_ms(ws->ctx->backend));
    if (!q->rpc) {
        pc_error("could not create RPC client for service \"%s\"", gw_service_name(GW_SVC_ROUTER));
        free(q);
        return NULL;
    }
    return q;
}

void gw_ws_sends_destroy(gw_ws_sends_t **qp)
{
    if (!qp || !*qp)
        return;
    gw_ws_sends_t *q = *qp;
    pc_rpc_async_destroy(&q->rpc); /* the calls out end (503) into the done list */
    gw_ws_msg_t *j;
    while ((j = s_pop(&q->done_head, &q->done_tail)) != NULL)
        gw_ws_msg_free(j);
    while ((j = s_pop(&q->wait_head, &q->wait_tail)) != NULL)
        gw_ws_msg_free(j);
    free(q);
    *qp = NULL;
}

void gw_ws_sends_start(gw_ws_sends_t *q, gw_ws_msg_t *job)
{
    if (q->wait_head || q->out >= GW_WS_SENDS_MAX)
        s_append(&q->wait_head, &q->wait_tail, job);
    else
        s_start(q, job);
}

int gw_ws_sends_wait(gw_ws_sends_t *q, int fd, int max_ms)
{
    s_deliver(q); /* sends that ended as they started, since the last wait */
    int ready = pc_rpc_async_run(q->rpc, fd, q->done_head ? 0 : max_ms);
    s_start_waiting(q);
    s_deliver(q);
    return ready;
}
