/* rpc_server.c - the broker thread and the server's life cycle.
 *
 * The broker is the zguide's load-balancing ("LRU queue") pattern: workers
 * announce themselves ready on an inproc ROUTER, the broker keeps a queue of
 * idle ones and reads the frontend only while that queue is non-empty. So
 * requests wait in ZeroMQ's queues, not in ours, and a slow call never sits
 * in front of a fast one that an idle worker could serve. The broker
 * unpacks nothing - it moves frames - unless a method has a fast handler
 * (rpc_server.h): then it unpacks each request's envelope, and a request
 * for such a method is first offered to that handler, on this thread. One
 * that answers or defers costs no worker turn, which would be two thread
 * wake-ups (broker -> worker, worker -> broker) for a few microseconds of
 * work; one that declines goes to a worker, frames unchanged. The rule of
 * reading the frontend only while a worker is idle stays, for simplicity:
 * the broker cannot know before reading whether a worker will be needed.
 *
 * Deferred replies (rpc_server.h) reach the broker through a mutex-guarded
 * FIFO and an eventfd "doorbell" it polls next to its sockets: whichever
 * thread answers writes the doorbell only when the queue was empty, and the
 * broker takes the whole queue at once and sends it on the frontend. So the
 * frontend keeps one owner, any thread may answer without a socket of its
 * own, and a burst of answers (a committed batch) costs one wake-up. */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "rpc_internal.h"

/* How long replies still queued when the frontend closes may take to leave. */
#define S_CLOSE_LINGER_MS 500

static void s_setint(void *sock, int opt, int value)
{
    zmq_setsockopt(sock, opt, &value, sizeof value);
}

/* Receives the frames after msgs[0] into msgs[1..max-1]; frames beyond max
 * are read and dropped. Returns the message's frame count; the first
 * min(count, max) entries of msgs are initialised. */
static int s_recv_rest(void *sock, zmq_msg_t *msgs, int max)
{
    int n = 1;
    int more = zmq_msg_more(&msgs[0]);
    while (more) {
        zmq_msg_t junk;
        zmq_msg_t *m = n < max ? &msgs[n] : &junk;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (m == &junk)
            zmq_msg_close(m);
        n++;
    }
    return n;
}

static void s_close_all(zmq_msg_t *msgs, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&msgs[i]);
}

void pc_rpc_busy_add(pc_rpc_server_t *srv, int delta)
{
    pthread_mutex_lock(&srv->mu);
    srv->busy += delta;
    if (srv->busy <= 0) {
        srv->busy = 0;
        pthread_cond_broadcast(&srv->cv);
    }
    pthread_mutex_unlock(&srv->mu);
}

typedef struct {
    uint32_t *idle; /* worker indexes, FIFO ring */
    int head, count, cap;
} s_idle_t;

static void s_idle_push(s_idle_t *q, uint32_t w)
{
    if (q->count < q->cap) {
        q->idle[(q->head + q->count) % q->cap] = w;
        q->count++;
    }
}

static uint32_t s_idle_pop(s_idle_t *q)
{
    uint32_t w = q->idle[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return w;
}

/* One message from a worker: READY, or a reply to forward. false when
 * none was waiting. */
static bool s_from_worker(pc_rpc_server_t *srv, s_idle_t *q)
{
    zmq_msg_t f[3];
    zmq_msg_init(&f[0]);
    if (zmq_msg_recv(&f[0], srv->backend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&f[0]);
        return false;
    }
    int n = s_recv_rest(srv->backend, f, 3);
    if (zmq_msg_size(&f[0]) != sizeof(uint32_t) || n < 2 || n > 3) {
        s_close_all(f, n < 3 ? n : 3);
        return true;
    }
    uint32_t w;
    memcpy(&w, zmq_msg_data(&f[0]), sizeof w);
    if (n == 3) {
        /* A client that went away is simply not there: ROUTER drops it. */
        if (zmq_msg_size(&f[2]) > 0 && zmq_msg_send(&f[1], srv->frontend, ZMQ_SNDMORE) >= 0)
            zmq_msg_send(&f[2], srv->frontend, ZMQ_DONTWAIT);
        pc_rpc_busy_add(srv, -1);
    }
    if (w < (uint32_t)srv->opts.workers)
        s_idle_push(q, w);
    s_close_all(f, n < 3 ? n : 3);
    return true;
}

/* Offers the request to its method's fast handler; false when a worker
 * must serve it. An immediate answer leaves at once; a deferred one through
 * the doorbell, like a worker's. */
static bool s_fast(pc_rpc_server_t *srv, zmq_msg_t *f, int64_t arrival)
{
    uint8_t *reply = NULL;
    size_t len = 0;
    if (pc_rpc_fast(srv, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), zmq_msg_data(&f[1]),
                    zmq_msg_size(&f[1]), arrival, &reply, &len) == PC_FAST_DECLINED)
        return false;
    /* As for a worker's reply: a caller that went away is dropped by ROUTER. */
    if (reply && zmq_msg_send(&f[0], srv->frontend, ZMQ_SNDMORE) >= 0)
        zmq_send(srv->frontend, reply, len, ZMQ_DONTWAIT);
    free(reply);
    return true;
}

/* One request from a client: answered by a fast handler, or handed to the
 * longest-idle worker. false when none was waiting. */
static bool s_from_client(pc_rpc_server_t *srv, s_idle_t *q)
{
    zmq_msg_t f[2];
    zmq_msg_init(&f[0]);
    if (zmq_msg_recv(&f[0], srv->frontend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&f[0]);
        return false;
    }
    int64_t arrival = pc_mono_ms();
    int n = s_recv_rest(srv->frontend, f, 2);
    if (n != 2) { /* clients send exactly one frame */
        s_close_all(f, n < 2 ? n : 2);
        return true;
    }
    /* Running from here, as for drain: a deferred call counts on its own,
     * a declined one keeps this count until its worker answers. */
    pc_rpc_busy_add(srv, 1);
    if (srv->has_fast && s_fast(srv, f, arrival)) {
        pc_rpc_busy_add(srv, -1);
        s_close_all(f, 2);
        return true;
    }
    uint32_t w = s_idle_pop(q);
    zmq_send(srv->backend, &w, sizeof w, ZMQ_SNDMORE);
    zmq_msg_send(&f[0], srv->backend, ZMQ_SNDMORE);
    zmq_msg_send(&f[1], srv->backend, ZMQ_SNDMORE);
    zmq_send(srv->backend, &arrival, sizeof arrival, 0);
    s_close_all(f, 2);
    return true;
}

void pc_rpc_deferred_queue(pc_deferred_t *d)
{
    pc_rpc_server_t *srv = d->srv;
    d->next = NULL;
    pthread_mutex_lock(&srv->dmu);
    bool ring = srv->dhead == NULL;
    if (srv->dtail)
        srv->dtail->next = d;
    else
        srv->dhead = d;
    srv->dtail = d;
    if (ring) {
        uint64_t one = 1;
        /* Only fails when the counter would overflow: it is rung already. */
        if (write(srv->doorbell, &one, sizeof one) < 0 && errno != EAGAIN)
            pc_warn("could not wake the RPC broker: %s", strerror(errno));
    }
    pthread_mutex_unlock(&srv->dmu);
}

/* Sends every answered deferred call queued so far. O(queued). */
static void s_send_deferred(pc_rpc_server_t *srv)
{
    uint64_t count;
    if (read(srv->doorbell, &count, sizeof count) < 0 && errno != EAGAIN)
        pc_warn("could not read the RPC broker's doorbell: %s", strerror(errno));
    pthread_mutex_lock(&srv->dmu);
    pc_deferred_t *d = srv->dhead;
    srv->dhead = srv->dtail = NULL;
    pthread_mutex_unlock(&srv->dmu);
    int sent = 0;
    while (d) {
        pc_deferred_t *next = d->next;
        /* As for a worker's reply: a caller that went away is dropped by ROUTER. */
        if (d->reply && zmq_send(srv->frontend, d->identity, d->identity_len, ZMQ_SNDMORE) >= 0)
            zmq_send(srv->frontend, d->reply, d->reply_len, ZMQ_DONTWAIT);
        free(d->reply);
        free(d);
        sent++;
        d = next;
    }
    if (sent)
        pc_rpc_busy_add(srv, -sent);
}

static void *s_broker_main(void *arg)
{
    pc_rpc_server_t *srv = arg;
    s_idle_t q = {0};
    q.cap = srv->opts.workers;
    q.idle = calloc((size_t)q.cap, sizeof *q.idle);
    while (q.idle && !atomic_load(&srv->broker_stop)) {
        bool take = q.count > 0 && !atomic_load(&srv->draining);
        zmq_pollitem_t items[] = {{srv->backend, 0, ZMQ_POLLIN, 0},
                                  {NULL, srv->doorbell, ZMQ_POLLIN, 0},
                                  {srv->frontend, 0, ZMQ_POLLIN, 0}};
        /* The timeout only bounds how late a stop or drain is noticed. */
        int rc = zmq_poll(items, take ? 3 : 2, 100);
        if (rc < 0 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_send_deferred(srv);
        /* Receiving until there is nothing left costs libzmq one check of
         * its command pipe (poll(2)) per drain; asking ZMQ_EVENTS first
         * cost one per message. */
        if (items[0].revents & ZMQ_POLLIN)
            for (int i = 0; i < 256 && s_from_worker(srv, &q); i++)
                ;
        if (take && (items[2].revents & ZMQ_POLLIN))
            while (q.count > 0 && !atomic_load(&srv->draining) && s_from_client(srv, &q))
                ;
    }
    free(q.idle);
    s_send_deferred(srv); /* answered while the workers stopped */
    /* The last replies of a drain may still be queued in the frontend; with
     * LINGER 0, or with the process exiting before the I/O thread ran, they
     * would be lost and their callers would wait for the deadline. A short
     * linger plus zmq_ctx_term of the frontend's own context in destroy
     * sends them before the process goes. */
    s_setint(srv->frontend, ZMQ_LINGER, S_CLOSE_LINGER_MS);
    zmq_close(srv->frontend);
    zmq_close(srv->backend);
    return NULL;
}

static bool s_valid_identifier(const char *s)
{
    if (!s || !*s || strlen(s) > 63 || !(islower((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

/* Notes whether any method has a fast handler; -1 when one is on a write,
 * whose stored-reply lookup and transaction need a worker. */
static int s_check_fast(pc_rpc_server_t *srv)
{
    for (size_t i = 0; i < srv->opts.method_count; i++) {
        const pc_method_t *m = &srv->opts.methods[i];
        if (!m->fast)
            continue;
        if (m->flags & PC_METHOD_WRITE) {
            pc_error("cannot serve RPC: method \"%s\" is a write with a fast handler", m->method);
            return -1;
        }
        srv->has_fast = true;
    }
    return 0;
}

static int s_bind(pc_rpc_server_t *srv, char *bound_out, size_t bound_size)
{
    static atomic_uint s_seq;
    srv->frontend_ctx = zmq_ctx_new();
    if (!srv->frontend_ctx)
        return -1;
    srv->frontend = zmq_socket(srv->frontend_ctx, ZMQ_ROUTER);
    srv->backend = zmq_socket(pc_zmq_context(), ZMQ_ROUTER); /* inproc: the workers' context */
    if (!srv->frontend || !srv->backend)
        return -1;
    int64_t maxsize = PC_ENVELOPE_MAX_BYTES;
    zmq_setsockopt(srv->frontend, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
    s_setint(srv->frontend, ZMQ_HEARTBEAT_IVL, 500);
    s_setint(srv->frontend, ZMQ_HEARTBEAT_TIMEOUT, 1500);
    s_setint(srv->frontend, ZMQ_SNDHWM, 10000);
    s_setint(srv->frontend, ZMQ_RCVHWM, 10000);
    s_setint(srv->frontend, ZMQ_LINGER, 0);
    s_setint(srv->backend, ZMQ_LINGER, 0);
    if (zmq_bind(srv->frontend, srv->opts.bind_endpoint) != 0) {
        pc_error("could not bind RPC port \"%s\": %s", srv->opts.bind_endpoint,
                 zmq_strerror(errno));
        return -1;
    }
    snprintf(srv->backend_ep, sizeof srv->backend_ep, "inproc://pigeon-rpc-%u-%p",
             atomic_fetch_add(&s_seq, 1), (void *)srv);
    if (zmq_bind(srv->backend, srv->backend_ep) != 0)
        return -1;
    if (bound_out && bound_size) {
        size_t sz = bound_size;
        if (zmq_getsockopt(srv->frontend, ZMQ_LAST_ENDPOINT, bound_out, &sz) != 0)
            bound_out[0] = '\0';
    }
    return 0;
}

pc_rpc_server_t *pc_rpc_server_new(const pc_rpc_server_opts_t *opts, char *bound_out,
                                   size_t bound_size)
{
    if (!opts || !opts->service || !opts->bind_endpoint || opts->workers < 1 ||
        (opts->method_count && !opts->methods) || sodium_init() < 0)
        return NULL;
    if (!s_valid_identifier(opts->schema)) {
        pc_error("cannot serve RPC: schema name \"%s\" is not a plain identifier",
                 opts->schema ? opts->schema : "");
        return NULL;
    }
    pc_rpc_server_t *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->opts = *opts;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&srv->dmu, NULL);
    srv->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    srv->service = strdup(opts->service);
    srv->schema = strdup(opts->schema);
    srv->db_url = opts->db_url ? strdup(opts->db_url) : NULL;
    srv->workers = calloc((size_t)opts->workers, sizeof *srv->workers);
    if (!srv->service || !srv->schema || (opts->db_url && !srv->db_url) || !srv->workers ||
        srv->doorbell < 0)
        goto fail;
    srv->opts.service = srv->service;
    srv->opts.schema = srv->schema;
    srv->opts.db_url = srv->db_url;
    if (s_check_fast(srv) != 0 || s_bind(srv, bound_out, bound_size) != 0)
        goto fail;
    if (pthread_create(&srv->broker, NULL, s_broker_main, srv) != 0)
        goto fail;
    srv->broker_started = true;
    for (int i = 0; i < opts->workers; i++) {
        pc_rpc_worker_t *w = &srv->workers[i];
        w->srv = srv;
        w->index = (uint32_t)i;
        atomic_init(&w->db_ok, false);
        if (pthread_create(&w->thread, NULL, pc_rpc_worker_main, w) != 0)
            goto fail;
        srv->nstarted++;
    }
    return srv;
fail:
    if (!srv->broker_started) {
        if (srv->frontend)
            zmq_close(srv->frontend);
        if (srv->backend)
            zmq_close(srv->backend);
    }
    pc_rpc_server_destroy(&srv);
    return NULL;
}

void pc_rpc_server_drain(pc_rpc_server_t *srv, int grace_ms)
{
    if (!srv)
        return;
    atomic_store(&srv->draining, true);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (int64_t)(grace_ms > 0 ? grace_ms : 0) * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&srv->mu);
    while (srv->busy > 0)
        if (pthread_cond_timedwait(&srv->cv, &srv->mu, &ts) == ETIMEDOUT)
            break;
    if (srv->busy > 0)
        pc_warn("stopping with %d RPC calls still running after %d ms", srv->busy, grace_ms);
    pthread_mutex_unlock(&srv->mu);
}

void pc_rpc_server_destroy(pc_rpc_server_t **srvp)
{
    if (!srvp || !*srvp)
        return;
    pc_rpc_server_t *srv = *srvp;
    atomic_store(&srv->draining, true);
    /* Workers first: the broker must still forward their last replies. */
    atomic_store(&srv->workers_stop, true);
    for (int i = 0; i < srv->nstarted; i++)
        pthread_join(srv->workers[i].thread, NULL);
    atomic_store(&srv->broker_stop, true);
    if (srv->broker_started)
        pthread_join(srv->broker, NULL);
    if (srv->frontend_ctx) /* bounded by S_CLOSE_LINGER_MS: the frontend is closed by now */
        zmq_ctx_term(srv->frontend_ctx);
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    /* Answered after the broker stopped (a bug of the token's holder, which
     * must answer before destroy returns from the workers): nothing can send them. */
    for (pc_deferred_t *d = srv->dhead, *next; d; d = next) {
        next = d->next;
        free(d->reply);
        free(d);
    }
    pthread_mutex_destroy(&srv->dmu);
    if (srv->doorbell >= 0)
        close(srv->doorbell);
    free(srv->workers);
    free(srv->service);
    free(srv->schema);
    free(srv->db_url);
    free(srv);
    *srvp = NULL;
}

int pc_rpc_server_db_ok(pc_rpc_server_t *srv)
{
    if (!srv)
        return 0;
    for (int i = 0; i < srv->nstarted; i++)
        if (atomic_load(&srv->workers[i].db_ok))
            return 1;
    return 0;
}
