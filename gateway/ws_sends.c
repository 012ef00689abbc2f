/* ws_sends.c - the thread that runs WebSocket `send` frames.
 *
 * A worker (ws_jobs.c) blocks for the whole router call, so every send
 * cost a hand-off to a worker, a wake-up of that worker for the reply and
 * one back to the loop, and the worker count bounded the sends in flight.
 * Here one thread keeps every send out at once on its own DEALERs
 * (rpc_async.h): it maps the frame (read by the loop, ws_send_scan.h, or
 * parsed as JSON) to a SendRequest, starts the call, and when the reply
 * (or a retry, or the deadline) comes, turns it into the ack or error frame
 * exactly as the REST handler and ws_jobs.c would, and posts it to the
 * socket's loop. Under load a wake-up serves every reply and job that
 * waits. A loop still hands one job per socket at a time, so a socket's
 * sends keep their order; at most GW_WS_SENDS_MAX are out, more wait here
 * in arrival order. */
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "api_json.h"
#include "backend.h"
#include "log.h"
#include "messages_map.h"
#include "rpc_async.h"
#include "status.h"
#include "ws_internal.h"

#define S_WAIT_MS 1000 /* longest sleep when nothing is due (quit is also signalled) */

struct gw_ws_sends {
    gw_ws_t *ws;            /* owner (borrowed) */
    gw_ws_mbox_t mbox;      /* jobs from the loops */
    pthread_t thread;       /* the sends thread */
    bool started;           /* thread is running */
    atomic_bool quit;       /* return from the thread */
    pc_rpc_async_t *rpc;    /* router calls; the thread's own */
    gw_ws_msg_t *wait_head; /* jobs not started (GW_WS_SENDS_MAX out), oldest first */
    gw_ws_msg_t *wait_tail; /* newest waiting job */
    size_t out;             /* calls in flight */
};

static void s_finish(gw_ws_sends_t *q, gw_ws_msg_t *j, gw_reply_t *out)
{
    gw_ws_job_done(q->ws, j, gw_ws_job_frame(j, out));
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
    if (!q->rpc) {
        gw_reply_error(&out, PC_INTERNAL, "could not create RPC client for service \"%s\"",
                       gw_service_name(GW_SVC_ROUTER));
        s_finish(q, j, &out);
        return;
    }
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
    while (q->wait_head && q->out < GW_WS_SENDS_MAX) {
        gw_ws_msg_t *j = q->wait_head;
        q->wait_head = j->next;
        if (!q->wait_head)
            q->wait_tail = NULL;
        j->next = NULL;
        s_start(q, j);
    }
}

static void *s_run(void *arg)
{
    gw_ws_sends_t *q = arg;
    while (!atomic_load(&q->quit)) {
        int ready = q->rpc ? pc_rpc_async_run(q->rpc, q->mbox.efd, S_WAIT_MS) : 1;
        if (ready) {
            gw_ws_msg_t *m = gw_ws_mbox_take(&q->mbox);
            if (m) {
                gw_ws_msg_t *last = m;
                while (last->next)
                    last = last->next;
                if (q->wait_tail)
                    q->wait_tail->next = m;
                else
                    q->wait_head = m;
                q->wait_tail = last;
            }
        }
        if (!q->rpc && !q->wait_head) { /* no client: wait for jobs to answer */
            struct pollfd pfd = {.fd = q->mbox.efd, .events = POLLIN};
            poll(&pfd, 1, S_WAIT_MS);
        }
        s_start_waiting(q);
    }
    pc_rpc_async_destroy(&q->rpc); /* ends the calls out: their sockets are gone */
    while (q->wait_head) {
        gw_ws_msg_t *j = q->wait_head;
        q->wait_head = j->next;
        gw_ws_msg_free(j);
    }
    q->wait_tail = NULL;
    return NULL;
}

gw_ws_sends_t *gw_ws_sends_new(gw_ws_t *ws)
{
    gw_ws_sends_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->ws = ws;
    q->mbox.efd = -1;
    atomic_init(&q->quit, false);
    if (gw_ws_mbox_init(&q->mbox) < 0) {
        free(q);
        return NULL;
    }
    /* Made here, used only by the thread (its start is the memory barrier
     * ZeroMQ asks for when a socket changes threads). */
    q->rpc = pc_rpc_async_new(ws->ctx->registry, gw_service_name(GW_SVC_ROUTER),
                              gw_backend_deadline_ms(ws->ctx->backend));
    if (!q->rpc)
        pc_error("could not create RPC client for service \"%s\"", gw_service_name(GW_SVC_ROUTER));
    if (pthread_create(&q->thread, NULL, s_run, q) != 0) {
        pc_rpc_async_destroy(&q->rpc);
        gw_ws_mbox_clear(&q->mbox);
        free(q);
        return NULL;
    }
    q->started = true;
    return q;
}

void gw_ws_sends_stop(gw_ws_sends_t *q)
{
    if (!q || !q->started)
        return;
    atomic_store(&q->quit, true);
    uint64_t one = 1;
    ssize_t n = write(q->mbox.efd, &one, sizeof one);
    (void)n;
    pthread_join(q->thread, NULL);
    q->started = false;
}

void gw_ws_sends_destroy(gw_ws_sends_t **qp)
{
    if (!qp || !*qp)
        return;
    gw_ws_sends_t *q = *qp;
    gw_ws_sends_stop(q);
    pc_rpc_async_destroy(&q->rpc); /* never started: still ours */
    gw_ws_mbox_clear(&q->mbox);
    free(q);
    *qp = NULL;
}

void gw_ws_sends_post(gw_ws_sends_t *q, gw_ws_msg_t *job)
{
    gw_ws_mbox_post(&q->mbox, job);
}
