/* rpc_client.c - one DEALER per live instance, round robin, retry elsewhere.
 *
 * Wire: the DEALER sends one frame (a packed Request) and receives one frame
 * (a packed Reply); the instance's ROUTER adds and strips our identity.
 *
 * ZMQ_IMMEDIATE=1 makes a send to an instance with no live connection fail
 * at once with EAGAIN instead of queueing, so a dead instance is skipped
 * without spending the deadline. A request already queued to an instance that
 * then dies is lost silently; only the per-attempt budget reveals it, which is
 * why the first attempt gets half of the deadline when another instance could
 * take a retry. */
#include "rpc_client.h"
#include "rpc_client_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "random.h"

/* pigeon_rpc_client_calls_total / _retries_total / _failures_total, labelled
 * by target service (and status for calls and failures). */
void pc_rpc_client_count(pc_rpc_client_t *cli, const char *what, int status)
{
    if (!cli->metrics)
        return;
    if (!strcmp(what, "retry")) {
        pc_metrics_count(cli->metrics, "pigeon_rpc_client_retries_total",
                         "Calls sent again to another instance (same request id)", cli->labels, 1);
        return;
    }
    char labels[80];
    snprintf(labels, sizeof labels, "%s,status=\"%d\"", cli->labels, status);
    if (!strcmp(what, "call"))
        pc_metrics_count(cli->metrics, "pigeon_rpc_client_calls_total",
                         "Calls made, by target service and final status", labels, 1);
    else
        pc_metrics_count(cli->metrics, "pigeon_rpc_client_failures_total",
                         "Calls that got no reply: 503 no live instance, 504 deadline", labels, 1);
}

static void s_setint(void *sock, int opt, int value)
{
    zmq_setsockopt(sock, opt, &value, sizeof value);
}

static void *s_dealer(const char *endpoint, bool many)
{
    void *s = zmq_socket(pc_zmq_context(), ZMQ_DEALER);
    if (!s)
        return NULL;
    s_setint(s, ZMQ_IMMEDIATE, 1);
    s_setint(s, ZMQ_HEARTBEAT_IVL, 500);
    s_setint(s, ZMQ_HEARTBEAT_TIMEOUT, 1500);
    s_setint(s, ZMQ_HEARTBEAT_TTL, 1500);
    /* One call in flight per client: a few slots are plenty, and a small
     * queue keeps late replies from piling up. An asynchronous client
     * (rpc_async.c) has many calls out: no limit, its callers bound them
     * (a full ZMQ_IMMEDIATE pipe would read as "not connected"). */
    s_setint(s, ZMQ_SNDHWM, many ? 0 : 16);
    s_setint(s, ZMQ_RCVHWM, many ? 0 : 64);
    s_setint(s, ZMQ_RECONNECT_IVL, 100);
    s_setint(s, ZMQ_RECONNECT_IVL_MAX, 1000);
    s_setint(s, ZMQ_LINGER, 0);
    if (zmq_connect(s, endpoint) != 0) {
        pc_warn("could not connect to \"%s\": %s", endpoint, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Connects to new instances and closes the ones that left. O(n*m) over a
 * few instances. */
void pc_rpc_client_refresh(pc_rpc_client_t *cli)
{
    uint64_t v = pc_registry_version(cli->reg);
    if (cli->refreshed && v == cli->version)
        return;
    pc_instance_t live[PC_RPC_MAX_INSTANCES];
    size_t n = pc_registry_lookup(cli->reg, cli->service, live, PC_RPC_MAX_INSTANCES);
    if (n > PC_RPC_MAX_INSTANCES)
        n = PC_RPC_MAX_INSTANCES;
    pc_rpc_conn_t next[PC_RPC_MAX_INSTANCES];
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        if (!live[i].rpc[0])
            continue;
        pc_rpc_conn_t c;
        memset(&c, 0, sizeof c);
        for (size_t j = 0; j < cli->nconns; j++) {
            pc_rpc_conn_t *old = &cli->conns[j];
            if (old->sock && !strcmp(old->instance, live[i].instance) &&
                !strcmp(old->endpoint, live[i].rpc)) {
                c = *old;
                old->sock = NULL; /* moved */
                break;
            }
        }
        if (!c.sock) {
            snprintf(c.instance, sizeof c.instance, "%s", live[i].instance);
            snprintf(c.endpoint, sizeof c.endpoint, "%s", live[i].rpc);
            c.sock = s_dealer(c.endpoint, cli->many);
            c.connected_at = pc_mono_ms();
            if (!c.sock)
                continue;
        }
        next[nn++] = c;
    }
    for (size_t j = 0; j < cli->nconns; j++)
        if (cli->conns[j].sock)
            zmq_close(cli->conns[j].sock);
    memcpy(cli->conns, next, nn * sizeof *next);
    cli->nconns = nn;
    cli->version = v;
    cli->refreshed = true;
}

static pc_rpc_client_t *s_new(pc_registry_t *reg, const char *service, int default_deadline_ms,
                              bool many)
{
    if (!reg || !service || default_deadline_ms <= 0 || sodium_init() < 0)
        return NULL;
    pc_rpc_client_t *cli = calloc(1, sizeof *cli);
    if (!cli)
        return NULL;
    cli->reg = reg;
    snprintf(cli->service, sizeof cli->service, "%s", service);
    cli->default_deadline_ms = default_deadline_ms;
    cli->many = many;
    /* Each worker thread has its own client: starting every cursor at the
     * first instance would send the first calls of all of them to one copy. */
    cli->rr = randombytes_uniform(1024);
    cli->metrics = pc_registry_metrics(reg);
    snprintf(cli->labels, sizeof cli->labels, "service=\"%s\"", cli->service);
    pc_rpc_client_refresh(cli);
    return cli;
}

pc_rpc_client_t *pc_rpc_client_new(pc_registry_t *reg, const char *service, int default_deadline_ms)
{
    return s_new(reg, service, default_deadline_ms, false);
}

pc_rpc_client_t *pc_rpc_client_new_many(pc_registry_t *reg, const char *service,
                                        int default_deadline_ms)
{
    return s_new(reg, service, default_deadline_ms, true);
}

void pc_rpc_client_destroy(pc_rpc_client_t **clip)
{
    if (!clip || !*clip)
        return;
    pc_rpc_client_t *cli = *clip;
    for (size_t i = 0; i < cli->nconns; i++)
        zmq_close(cli->conns[i].sock);
    free(cli);
    *clip = NULL;
}

size_t pc_rpc_client_instances(pc_rpc_client_t *cli)
{
    if (!cli)
        return 0;
    pc_rpc_client_refresh(cli);
    return cli->nconns;
}

void pc_rpc_reply_clear(pc_rpc_reply_t *reply)
{
    if (!reply)
        return;
    free(reply->error);
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}

int pc_rpc_reply_fail(pc_rpc_reply_t *reply, int status, const char *fmt, const char *service)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, service);
    reply->status = status;
    reply->error = strdup(msg);
    return status;
}

void pc_rpc_reply_fill(const Pigeon__Reply *rep, pc_rpc_reply_t *reply)
{
    int st = (int)rep->status;
    reply->status = pc_status_is_known(st) ? st : PC_INTERNAL;
    if (rep->error_message)
        reply->error = strdup(rep->error_message);
    if (rep->has_body && rep->body.len > 0) {
        reply->body = malloc(rep->body.len);
        if (reply->body) {
            memcpy(reply->body, rep->body.data, rep->body.len);
            reply->body_len = rep->body.len;
        } else {
            reply->status = PC_INTERNAL;
        }
    }
    reply->retry_after_s = rep->has_retry_after_s ? rep->retry_after_s : 0;
}

/* Throws away whatever is waiting on a DEALER (late replies of old calls). */
static void s_discard(void *sock)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close(&m);
}

/* Reads what is waiting on sock; fills reply and returns true when one of
 * them answers request_id. */
static bool s_take_reply(void *sock, const char *request_id, pc_rpc_reply_t *reply)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    bool found = false;
    while (!found && zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
        if (zmq_msg_more(&m))
            continue; /* we only speak single-frame messages; skip the parts */
        Pigeon__Reply *rep = pc_envelope_unpack_reply(zmq_msg_data(&m), zmq_msg_size(&m));
        if (!rep)
            continue;
        if (!strcmp(rep->request_id, request_id)) {
            found = true;
            pc_rpc_reply_fill(rep, reply);
        }
        pc_envelope_free_reply(&rep);
    }
    zmq_msg_close(&m);
    return found;
}

/* Sends the request to the next instance (round robin) not yet tried.
 * Returns its index or -1 when none took it. */
static int s_send_next(pc_rpc_client_t *cli, Pigeon__Request *env, int64_t deadline, bool *tried)
{
    for (size_t k = 0; k < cli->nconns; k++) {
        size_t i = (cli->rr + k) % cli->nconns;
        if (tried[i])
            continue;
        tried[i] = true;
        int64_t left = deadline - pc_mono_ms();
        env->deadline_ms = (uint32_t)(left > 0 ? left : 1);
        size_t len;
        uint8_t *bytes = pc_envelope_pack_request(env, &len);
        if (!bytes)
            return -1;
        s_discard(cli->conns[i].sock);
        int rc = zmq_send(cli->conns[i].sock, bytes, len, ZMQ_DONTWAIT);
        free(bytes);
        if (rc >= 0) {
            cli->rr = i + 1;
            return (int)i;
        }
        /* EAGAIN: not connected (ZMQ_IMMEDIATE) or full; try the next one. */
        if (cli->conns[i].connected_at + PC_RPC_FRESH_MS > pc_mono_ms())
            tried[i] = false; /* may just be handshaking: allowed again below */
    }
    return -1;
}

/* After every instance refused: waits until a freshly connected DEALER can
 * take a message. True when one can. */
static bool s_wait_fresh(pc_rpc_client_t *cli, const bool *tried, int64_t deadline)
{
    zmq_pollitem_t items[PC_RPC_MAX_INSTANCES];
    int n = 0;
    int64_t until = deadline;
    for (size_t i = 0; i < cli->nconns; i++) {
        if (tried[i])
            continue;
        items[n++] = (zmq_pollitem_t){cli->conns[i].sock, 0, ZMQ_POLLOUT, 0};
        if (cli->conns[i].connected_at + PC_RPC_FRESH_MS < until)
            until = cli->conns[i].connected_at + PC_RPC_FRESH_MS;
    }
    int64_t wait = until - pc_mono_ms();
    if (n == 0 || wait <= 0)
        return false;
    return zmq_poll(items, n, (long)wait) > 0;
}

/* Waits for the reply on every DEALER this request went to, until `until`. */
static bool s_await(pc_rpc_client_t *cli, const int *sent, int nsent, const char *id, int64_t until,
                    pc_rpc_reply_t *reply)
{
    for (;;) {
        int64_t wait = until - pc_mono_ms();
        if (wait <= 0)
            return false;
        zmq_pollitem_t items[PC_RPC_MAX_ATTEMPTS];
        for (int k = 0; k < nsent; k++)
            items[k] = (zmq_pollitem_t){cli->conns[sent[k]].sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(items, nsent, (long)wait);
        if (rc < 0 && errno != EINTR)
            return false;
        for (int k = 0; k < nsent; k++)
            if ((items[k].revents & ZMQ_POLLIN) &&
                s_take_reply(cli->conns[sent[k]].sock, id, reply))
                return true;
    }
}

static int s_call(pc_rpc_client_t *cli, Pigeon__Request *env, int64_t deadline,
                  pc_rpc_reply_t *reply)
{
    bool tried[PC_RPC_MAX_INSTANCES] = {false};
    int sent[PC_RPC_MAX_ATTEMPTS];
    int nsent = 0;
    while (nsent < PC_RPC_MAX_ATTEMPTS) {
        int i = s_send_next(cli, env, deadline, tried);
        if (i < 0 && nsent == 0 && s_wait_fresh(cli, tried, deadline))
            continue;
        if (i < 0)
            break;
        if (nsent > 0)
            pc_rpc_client_count(cli, "retry", 0);
        sent[nsent++] = i;
        /* Another instance could take a retry: give this one half of what is left. */
        size_t untried = 0;
        for (size_t k = 0; k < cli->nconns; k++)
            untried += !tried[k];
        int64_t now = pc_mono_ms();
        int64_t until =
            (untried && nsent < PC_RPC_MAX_ATTEMPTS) ? now + (deadline - now) / 2 : deadline;
        if (s_await(cli, sent, nsent, env->request_id, until, reply))
            return reply->status;
        if (pc_mono_ms() >= deadline)
            break;
    }
    if (nsent == 0) {
        pc_rpc_client_count(cli, "failure", PC_UNAVAILABLE);
        return pc_rpc_reply_fail(reply, PC_UNAVAILABLE, "service \"%s\" is unavailable",
                                 cli->service);
    }
    /* Whatever time is left goes to the instances already asked. */
    if (s_await(cli, sent, nsent, env->request_id, deadline, reply))
        return reply->status;
    pc_rpc_client_count(cli, "failure", PC_DEADLINE_EXCEEDED);
    return pc_rpc_reply_fail(reply, PC_DEADLINE_EXCEEDED, "service \"%s\" did not answer in time",
                             cli->service);
}

int pc_rpc_call(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *method,
                const ProtobufCMessage *req, pc_rpc_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    pc_rpc_opts_t o = opts ? *opts : (pc_rpc_opts_t){0};
    int64_t deadline =
        pc_mono_ms() + (o.deadline_ms > 0 ? o.deadline_ms : cli->default_deadline_ms);
    char request_id[PC_REQUEST_ID_MAX + 1], trace_id[33];
    if (o.request_id && pc_envelope_valid_id(o.request_id))
        snprintf(request_id, sizeof request_id, "%s", o.request_id);
    else
        pc_random_hex(request_id, 16);
    if (o.trace_id && *o.trace_id)
        snprintf(trace_id, sizeof trace_id, "%s", o.trace_id);
    else
        pc_random_hex(trace_id, 16);

    Pigeon__Request env = PIGEON__REQUEST__INIT;
    env.request_id = request_id;
    env.method = (char *)method;
    env.trace_id = trace_id;
    if (o.caller_id) {
        env.has_caller_id = 1;
        env.caller_id = o.caller_id;
    }
    uint8_t *body = NULL;
    if (req) {
        size_t n = protobuf_c_message_get_packed_size(req);
        if (n > PC_ENVELOPE_MAX_BYTES)
            return pc_rpc_reply_fail(reply, PC_PAYLOAD_TOO_LARGE, "request to \"%s\" is too large",
                                     cli->service);
        body = malloc(n + 1);
        if (!body)
            return pc_rpc_reply_fail(reply, PC_INTERNAL, "out of memory calling \"%s\"",
                                     cli->service);
        env.has_body = 1;
        env.body.data = body;
        env.body.len = protobuf_c_message_pack(req, body);
    }
    pc_rpc_client_refresh(cli);
    int st = s_call(cli, &env, deadline, reply);
    pc_rpc_client_count(cli, "call", st);
    free(body);
    return st;
}

ProtobufCMessage *pc_rpc_reply_unpack(const pc_rpc_reply_t *reply,
                                      const ProtobufCMessageDescriptor *desc, int *status)
{
    static const uint8_t empty[1];
    ProtobufCMessage *msg = NULL;
    /* An empty body is a valid message whose fields are all absent. */
    if (reply && reply->body_len <= PC_ENVELOPE_MAX_BYTES)
        msg = protobuf_c_message_unpack(desc, NULL, reply->body_len,
                                        reply->body ? reply->body : empty);
    if (status)
        *status = msg ? (reply ? reply->status : PC_INTERNAL) : PC_INTERNAL;
    return msg;
}
