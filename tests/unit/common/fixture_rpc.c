/* fixture_rpc.c - the server the RPC tests call (fixture_rpc.h): a small
 * method table, its handlers and what they share with the tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "fixture_rpc.h"

/* The test bodies reuse the envelope's own messages: any protobuf will do. */

/* Lets the slow handler run until the test releases it. */
pthread_mutex_t rf_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t rf_cv = PTHREAD_COND_INITIALIZER;
bool rf_slow_started, rf_slow_release;
atomic_int rf_handled;
char rf_last_id[PC_REQUEST_ID_MAX + 1];

/* Waits on rf_cv (rf_mu held) for at most 10 ms. */
static void s_wait_a_little(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&rf_cv, &rf_mu, &ts);
}

/* Blocks until `flag` or ms pass. */
void wait_flag(bool *flag, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    pthread_mutex_lock(&rf_mu);
    while (!*flag && pc_mono_ms() < until) {
        s_wait_a_little();
    }
    pthread_mutex_unlock(&rf_mu);
}

void set_flag(bool *flag)
{
    pthread_mutex_lock(&rf_mu);
    *flag = true;
    pthread_cond_broadcast(&rf_cv);
    pthread_mutex_unlock(&rf_mu);
}

int h_echo(pc_call_t *c)
{
    atomic_fetch_add(&rf_handled, 1);
    pthread_mutex_lock(&rf_mu);
    snprintf(rf_last_id, sizeof rf_last_id, "%s", pc_call_request_id(c));
    pthread_mutex_unlock(&rf_mu);
    Pigeon__Request *in = pc_call_unpack(c, &pigeon__request__descriptor);
    if (!in)
        return pc_call_error(c, PC_INVALID_ARGUMENT, "malformed body");
    Pigeon__Reply out = PIGEON__REPLY__INIT;
    out.request_id = in->method; /* echo the text back */
    out.status = (uint32_t)pc_call_caller(c);
    return pc_call_reply(c, PC_OK, &out.base);
}

static int h_slow(pc_call_t *c)
{
    set_flag(&rf_slow_started);
    wait_flag(&rf_slow_release, 5000);
    return pc_call_reply(c, PC_OK, NULL);
}

/* Runs past the caller's deadline (bounded by the release flag). */
static int h_late(pc_call_t *c)
{
    int ms = pc_call_remaining_ms(c) + 300;
    bool never = false;
    wait_flag(&never, ms);
    return pc_call_reply(c, PC_OK, NULL);
}

static int h_child(pc_call_t *c)
{
    pc_rpc_opts_t a = pc_call_child_opts(c);
    pc_rpc_opts_t b = pc_call_child_opts(c);
    Pigeon__Request out = PIGEON__REQUEST__INIT;
    out.request_id = (char *)a.request_id;
    out.method = (char *)b.request_id;
    out.deadline_ms = (uint32_t)a.deadline_ms;
    return pc_call_reply(c, PC_OK, &out.base);
}

/* Deferred calls wait here until the test (another thread) answers them. */
pc_deferred_t *rf_tokens[RF_TOKENS_MAX];
char rf_token_text[RF_TOKENS_MAX][64];
int rf_ntokens;

/* Defers and parks the token with the text to echo; answered by answer_all. */
static int h_defer(pc_call_t *c)
{
    Pigeon__Request *in = pc_call_unpack(c, &pigeon__request__descriptor);
    if (!in)
        return pc_call_error(c, PC_INVALID_ARGUMENT, "malformed body");
    pc_deferred_t *d = pc_call_defer(c);
    if (!d)
        return pc_call_error(c, PC_INTERNAL, "out of memory");
    pthread_mutex_lock(&rf_mu);
    assert_true(rf_ntokens < RF_TOKENS_MAX);
    snprintf(rf_token_text[rf_ntokens], sizeof rf_token_text[0], "%s",
             in->method ? in->method : "");
    rf_tokens[rf_ntokens++] = d;
    pthread_cond_broadcast(&rf_cv);
    pthread_mutex_unlock(&rf_mu);
    /* Ignored once deferred: the token's holder answers. */
    return pc_call_error(c, PC_INTERNAL, "not this");
}

/* Waits until n calls are parked (false after ms). */
bool wait_tokens(int n, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    pthread_mutex_lock(&rf_mu);
    while (rf_ntokens < n && pc_mono_ms() < until) {
        s_wait_a_little();
    }
    bool ok = rf_ntokens >= n;
    pthread_mutex_unlock(&rf_mu);
    return ok;
}

/* Answers every parked call: the echo for "ok..." texts, 409 otherwise. */
void *answer_all(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&rf_mu);
    for (int i = 0; i < rf_ntokens; i++) {
        if (strncmp(rf_token_text[i], "ok", 2) == 0) {
            Pigeon__Reply out = PIGEON__REPLY__INIT;
            out.request_id = rf_token_text[i];
            pc_deferred_reply(&rf_tokens[i], PC_OK, &out.base);
        } else {
            pc_deferred_error(&rf_tokens[i], PC_CONFLICT, "already %s", rf_token_text[i]);
        }
        assert_null(rf_tokens[i]); /* the token is gone with its answer */
    }
    rf_ntokens = 0;
    pthread_mutex_unlock(&rf_mu);
    return NULL;
}

/* Fast handlers run on the broker; these count who ran what. */
atomic_int rf_fast_runs;        /* fast handler calls */
atomic_int rf_worker_runs;      /* worker handler calls of methods with a fast one */
atomic_bool rf_fast_had_worker; /* a fast handler saw a connection or worker state */

static void fast_seen(pc_call_t *c)
{
    atomic_fetch_add(&rf_fast_runs, 1);
    if (pc_call_db(c) != NULL || pc_call_worker(c) != NULL)
        atomic_store(&rf_fast_had_worker, true);
}

static int h_counted(pc_call_t *c)
{
    atomic_fetch_add(&rf_worker_runs, 1);
    return h_echo(c);
}

int f_echo(pc_call_t *c)
{
    fast_seen(c);
    return h_echo(c);
}

static int f_defer(pc_call_t *c)
{
    fast_seen(c);
    return h_defer(c);
}

/* Reads the request, then leaves it to a worker. */
static int f_decline(pc_call_t *c)
{
    fast_seen(c);
    if (pc_call_unpack(c, &pigeon__request__descriptor) == NULL)
        return pc_call_error(c, PC_INVALID_ARGUMENT, "malformed body");
    return PC_FAST_DECLINED;
}

static const pc_method_t s_methods[] = {
    {"t.defer", h_defer, PC_METHOD_READ, NULL},
    {"t.echo", h_echo, PC_METHOD_READ, NULL},
    {"t.slow", h_slow, PC_METHOD_READ, NULL},
    {"t.late", h_late, PC_METHOD_READ, NULL},
    {"t.child", h_child, PC_METHOD_READ, NULL},
    {"t.quick", h_counted, PC_METHOD_READ, f_echo},
    {"t.fdefer", h_counted, PC_METHOD_READ, f_defer},
    {"t.decline", h_counted, PC_METHOD_READ, f_decline},
};

/* PIGEON_<SERVICE>_ENDPOINTS, the static endpoints the registry reads. */
static void s_endpoints_var(const fixture_t *f, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "PIGEON_%s_ENDPOINTS", f->service);
    for (size_t i = 7; i < n && i < size; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
}

int fixture_start(fixture_t *f, const char *service, const pc_method_t *methods, size_t n,
                  int workers)
{
    memset(f, 0, sizeof *f);
    snprintf(f->service, sizeof f->service, "%s", service);
    pc_rpc_server_opts_t o = {
        .service = service,
        .schema = service,
        .methods = methods,
        .method_count = n,
        .workers = workers,
        .bind_endpoint = "tcp://127.0.0.1:*",
    };
    f->srv = pc_rpc_server_new(&o, f->endpoint, sizeof f->endpoint);
    if (!f->srv)
        return -1;
    char var[64];
    s_endpoints_var(f, var, sizeof var);
    setenv(var, f->endpoint, 1);
    f->reg = pc_registry_new(NULL, 1000, 5000);
    f->cli = pc_rpc_client_new(f->reg, service, 2000);
    return f->reg && f->cli ? 0 : -1;
}

void fixture_stop(fixture_t *f)
{
    pc_rpc_client_destroy(&f->cli);
    pc_registry_destroy(&f->reg);
    pc_rpc_server_drain(f->srv, 1000);
    pc_rpc_server_destroy(&f->srv);
    char var[64];
    s_endpoints_var(f, var, sizeof var);
    unsetenv(var);
}

int setup(void **state)
{
    static fixture_t f;
    if (fixture_start(&f, "t", s_methods, sizeof s_methods / sizeof s_methods[0], 2) != 0)
        return -1;
    *state = &f;
    return 0;
}

int teardown(void **state)
{
    fixture_stop(*state);
    return 0;
}

int call_echo(pc_rpc_client_t *cli, const pc_rpc_opts_t *o, const char *text, pc_rpc_reply_t *reply)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    return pc_rpc_call(cli, o, "t.echo", &in.base, reply);
}

static void *swallow(void *arg)
{
    swallower_t *s = arg;
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t item = {s->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        uint8_t ident[256], buf[4096];
        if (zmq_recv(s->sock, ident, sizeof ident, 0) < 0)
            continue;
        int n = zmq_recv(s->sock, buf, sizeof buf, 0);
        Pigeon__Request *req = n > 0 ? pc_envelope_unpack_request(buf, (size_t)n) : NULL;
        int i = atomic_load(&s->count);
        if (req && i < 16) {
            snprintf(s->ids[i], sizeof s->ids[i], "%s", req->request_id);
            atomic_store(&s->count, i + 1);
        }
        pc_envelope_free_request(&req);
    }
    return NULL;
}

/* Starts a hung instance (a swallower on its own thread) and makes the
 * "t" service two instances: static-0 the hung one, static-1 the real
 * server. hung_stop undoes it. */
pthread_t hung_start(swallower_t *s, const fixture_t *f)
{
    s->sock = zmq_socket(pc_zmq_context(), ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_bind(s->sock, "tcp://127.0.0.1:*"), 0);
    char hung[128], list[300];
    size_t sz = sizeof hung;
    zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, hung, &sz);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, swallow, s), 0);
    snprintf(list, sizeof list, "%s,%s", hung, f->endpoint);
    setenv("PIGEON_T_ENDPOINTS", list, 1);
    return t;
}

void hung_stop(swallower_t *s, pthread_t t, const fixture_t *f)
{
    atomic_store(&s->stop, true);
    pthread_join(t, NULL);
    zmq_close(s->sock);
    setenv("PIGEON_T_ENDPOINTS", f->endpoint, 1);
}

/* Sends a request for method whose deadline has passed on arrival (the
 * client would never send it) and returns the reply, the caller's to free. */
Pigeon__Reply *call_expired(const char *endpoint, const char *method, const char *id)
{
    void *dealer = zmq_socket(pc_zmq_context(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(dealer, endpoint), 0);
    Pigeon__Request req = PIGEON__REQUEST__INIT;
    req.request_id = (char *)id;
    req.method = (char *)method;
    req.deadline_ms = 0;
    size_t len;
    uint8_t *bytes = pc_envelope_pack_request(&req, &len);
    assert_int_equal(zmq_send(dealer, bytes, len, 0), (int)len);
    free(bytes);

    zmq_pollitem_t item = {dealer, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 3000), 1);
    uint8_t buf[512];
    int n = zmq_recv(dealer, buf, sizeof buf, 0);
    assert_true(n > 0);
    Pigeon__Reply *rep = pc_envelope_unpack_reply(buf, (size_t)n);
    assert_non_null(rep);
    assert_string_equal(rep->request_id, id);
    zmq_close(dealer);
    return rep;
}

void *defer_caller(void *arg)
{
    defer_arg_t *a = arg;
    pc_rpc_client_t *cli = pc_rpc_client_new(a->reg, "t", 5000);
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)a->text;
    pc_rpc_opts_t o = {.deadline_ms = a->deadline_ms};
    pc_rpc_reply_t reply;
    a->status = pc_rpc_call(cli, &o, a->method ? a->method : "t.defer", &in.base, &reply);
    int st;
    Pigeon__Reply *out =
        a->status == PC_OK
            ? (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st)
            : NULL;
    if (out) {
        snprintf(a->echoed, sizeof a->echoed, "%s", out->request_id ? out->request_id : "");
        protobuf_c_message_free_unpacked(&out->base, NULL);
    }
    snprintf(a->error, sizeof a->error, "%s", reply.error ? reply.error : "");
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);
    return NULL;
}

/* Answers the n parked calls from another thread, waits for their callers
 * and checks what each got: the echo for "ok..." texts, 409 otherwise. */
void answer_and_check(pthread_t *callers, defer_arg_t *a, int n)
{
    pthread_t answerer;
    assert_int_equal(pthread_create(&answerer, NULL, answer_all, NULL), 0);
    pthread_join(answerer, NULL);
    for (int i = 0; i < n; i++) {
        pthread_join(callers[i], NULL);
        if (strncmp(a[i].text, "ok", 2) == 0) {
            assert_int_equal(a[i].status, PC_OK);
            assert_string_equal(a[i].echoed, a[i].text);
        } else {
            char error[80];
            snprintf(error, sizeof error, "already %s", a[i].text);
            assert_int_equal(a[i].status, PC_CONFLICT);
            assert_string_equal(a[i].error, error);
        }
    }
}
