/* test_rpc.c - a server with a small method table, called through a client
 * that finds it by static endpoints. No database: these methods are reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "rpc_async.h"
#include "rpc_client.h"
#include "rpc_server.h"

/* The test bodies reuse the envelope's own messages: any protobuf will do. */

/* Lets the slow handler run until the test releases it. */
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_cv = PTHREAD_COND_INITIALIZER;
static bool s_slow_started, s_slow_release;
static atomic_int s_handled;
static char s_last_id[PC_REQUEST_ID_MAX + 1];

/* Blocks until `flag` or ms pass. */
static void wait_flag(bool *flag, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    pthread_mutex_lock(&s_mu);
    while (!*flag && pc_mono_ms() < until) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s_cv, &s_mu, &ts);
    }
    pthread_mutex_unlock(&s_mu);
}

static void set_flag(bool *flag)
{
    pthread_mutex_lock(&s_mu);
    *flag = true;
    pthread_cond_broadcast(&s_cv);
    pthread_mutex_unlock(&s_mu);
}

static int h_echo(pc_call_t *c)
{
    atomic_fetch_add(&s_handled, 1);
    pthread_mutex_lock(&s_mu);
    snprintf(s_last_id, sizeof s_last_id, "%s", pc_call_request_id(c));
    pthread_mutex_unlock(&s_mu);
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
    set_flag(&s_slow_started);
    wait_flag(&s_slow_release, 5000);
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
#define S_TOKENS_MAX 8
static pc_deferred_t *s_tokens[S_TOKENS_MAX];
static char s_token_text[S_TOKENS_MAX][64];
static int s_ntokens;

/* Defers and parks the token with the text to echo; answered by answer_all. */
static int h_defer(pc_call_t *c)
{
    Pigeon__Request *in = pc_call_unpack(c, &pigeon__request__descriptor);
    if (!in)
        return pc_call_error(c, PC_INVALID_ARGUMENT, "malformed body");
    pc_deferred_t *d = pc_call_defer(c);
    if (!d)
        return pc_call_error(c, PC_INTERNAL, "out of memory");
    pthread_mutex_lock(&s_mu);
    assert_true(s_ntokens < S_TOKENS_MAX);
    snprintf(s_token_text[s_ntokens], sizeof s_token_text[0], "%s", in->method ? in->method : "");
    s_tokens[s_ntokens++] = d;
    pthread_cond_broadcast(&s_cv);
    pthread_mutex_unlock(&s_mu);
    /* Ignored once deferred: the token's holder answers. */
    return pc_call_error(c, PC_INTERNAL, "not this");
}

/* Waits until n calls are parked (false after ms). */
static bool wait_tokens(int n, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    pthread_mutex_lock(&s_mu);
    while (s_ntokens < n && pc_mono_ms() < until) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s_cv, &s_mu, &ts);
    }
    bool ok = s_ntokens >= n;
    pthread_mutex_unlock(&s_mu);
    return ok;
}

/* Answers every parked call: the echo for "ok..." texts, 409 otherwise. */
static void *answer_all(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&s_mu);
    for (int i = 0; i < s_ntokens; i++) {
        if (strncmp(s_token_text[i], "ok", 2) == 0) {
            Pigeon__Reply out = PIGEON__REPLY__INIT;
            out.request_id = s_token_text[i];
            pc_deferred_reply(&s_tokens[i], PC_OK, &out.base);
        } else {
            pc_deferred_error(&s_tokens[i], PC_CONFLICT, "already %s", s_token_text[i]);
        }
        assert_null(s_tokens[i]); /* the token is gone with its answer */
    }
    s_ntokens = 0;
    pthread_mutex_unlock(&s_mu);
    return NULL;
}

/* Fast handlers run on the broker; these count who ran what. */
static atomic_int s_fast_runs;        /* fast handler calls */
static atomic_int s_worker_runs;      /* worker handler calls of methods with a fast one */
static atomic_bool s_fast_had_worker; /* a fast handler saw a connection or worker state */

static void fast_seen(pc_call_t *c)
{
    atomic_fetch_add(&s_fast_runs, 1);
    if (pc_call_db(c) != NULL || pc_call_worker(c) != NULL)
        atomic_store(&s_fast_had_worker, true);
}

static int h_counted(pc_call_t *c)
{
    atomic_fetch_add(&s_worker_runs, 1);
    return h_echo(c);
}

static int f_echo(pc_call_t *c)
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

typedef struct {
    pc_rpc_server_t *srv;
    pc_registry_t *reg;
    pc_rpc_client_t *cli;
    char endpoint[128];
} fixture_t;

static pc_rpc_server_t *start_server(char *endpoint, size_t size)
{
    pc_rpc_server_opts_t o = {
        .service = "t",
        .schema = "t",
        .methods = s_methods,
        .method_count = sizeof s_methods / sizeof s_methods[0],
        .workers = 2,
        .bind_endpoint = "tcp://127.0.0.1:*",
    };
    return pc_rpc_server_new(&o, endpoint, size);
}

static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof f);
    f.srv = start_server(f.endpoint, sizeof f.endpoint);
    if (!f.srv)
        return -1;
    setenv("PIGEON_T_ENDPOINTS", f.endpoint, 1);
    f.reg = pc_registry_new(NULL, 1000, 5000);
    f.cli = pc_rpc_client_new(f.reg, "t", 2000);
    if (!f.reg || !f.cli)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    pc_rpc_client_destroy(&f->cli);
    pc_registry_destroy(&f->reg);
    pc_rpc_server_drain(f->srv, 1000);
    pc_rpc_server_destroy(&f->srv);
    unsetenv("PIGEON_T_ENDPOINTS");
    return 0;
}

static int call_echo(pc_rpc_client_t *cli, const pc_rpc_opts_t *o, const char *text,
                     pc_rpc_reply_t *reply)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    return pc_rpc_call(cli, o, "t.echo", &in.base, reply);
}

static void test_call_returns_the_reply(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(pc_rpc_client_instances(f->cli), 1);
    pc_rpc_opts_t o = {.caller_id = 42};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "hello", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_int_equal(st, PC_OK);
    assert_string_equal(out->request_id, "hello");
    assert_int_equal(out->status, 42); /* the caller id came through */
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

static void test_unknown_method_is_invalid_argument(void **state)
{
    fixture_t *f = *state;
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, NULL, "t.nope", NULL, &reply), PC_INVALID_ARGUMENT);
    assert_non_null(reply.error);
    assert_string_equal(reply.error, "unknown method \"t.nope\"");
    pc_rpc_reply_clear(&reply);
}

typedef struct {
    pc_registry_t *reg;
    int status;
} slow_arg_t;

static void *slow_caller(void *arg)
{
    slow_arg_t *a = arg;
    pc_rpc_client_t *cli = pc_rpc_client_new(a->reg, "t", 5000);
    pc_rpc_reply_t reply;
    a->status = pc_rpc_call(cli, NULL, "t.slow", NULL, &reply);
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);
    return NULL;
}

static void test_slow_call_does_not_block_a_fast_one(void **state)
{
    fixture_t *f = *state;
    s_slow_started = s_slow_release = false;
    slow_arg_t a = {.reg = f->reg};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_caller, &a), 0);
    wait_flag(&s_slow_started, 3000);
    assert_true(s_slow_started);

    /* The other worker answers while the first is still busy. */
    pc_rpc_opts_t o = {.deadline_ms = 1000};
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(call_echo(f->cli, &o, "fast", &reply), PC_OK);
    assert_true(pc_mono_ms() - t0 < 500);
    pc_rpc_reply_clear(&reply);

    set_flag(&s_slow_release);
    pthread_join(t, NULL);
    assert_int_equal(a.status, PC_OK);
}

static void test_no_instance_is_unavailable_at_once(void **state)
{
    fixture_t *f = *state;
    pc_rpc_client_t *cli = pc_rpc_client_new(f->reg, "nobody", 2000);
    assert_int_equal(pc_rpc_client_instances(cli), 0);
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "nobody.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 100);
    assert_string_equal(reply.error, "service \"nobody\" is unavailable");
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);

    /* An instance that is listed but not listening is skipped just as fast,
     * once its short connection window has passed. */
    setenv("PIGEON_DEAD_ENDPOINTS", "tcp://127.0.0.1:1", 1);
    cli = pc_rpc_client_new(f->reg, "dead", 2000);
    assert_int_equal(pc_rpc_client_instances(cli), 1);
    t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "dead.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 1000);
    pc_rpc_reply_clear(&reply);
    t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "dead.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 100);
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);
    unsetenv("PIGEON_DEAD_ENDPOINTS");
}

static void test_late_handler_is_deadline_exceeded(void **state)
{
    fixture_t *f = *state;
    pc_rpc_opts_t o = {.deadline_ms = 200};
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(f->cli, &o, "t.late", NULL, &reply), PC_DEADLINE_EXCEEDED);
    int64_t took = pc_mono_ms() - t0;
    assert_true(took >= 190 && took < 400);
    pc_rpc_reply_clear(&reply);

    /* The late reply that arrives afterwards is not taken for the next call's. */
    o.deadline_ms = 2000;
    assert_int_equal(call_echo(f->cli, &o, "after", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_string_equal(out->request_id, "after");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

/* Sends a request for method whose deadline has passed on arrival (the
 * client would never send it) and returns the reply, the caller's to free. */
static Pigeon__Reply *call_expired(const char *endpoint, const char *method, const char *id)
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

static void test_expired_on_arrival_is_not_run(void **state)
{
    fixture_t *f = *state;
    int before = atomic_load(&s_handled);
    Pigeon__Reply *rep = call_expired(f->endpoint, "t.echo", "expired-1");
    assert_int_equal(rep->status, PC_DEADLINE_EXCEEDED);
    assert_int_equal(atomic_load(&s_handled), before);
    pc_envelope_free_reply(&rep);
}

static void test_child_ids_are_derived(void **state)
{
    fixture_t *f = *state;
    char ids[2][2][40];
    for (int round = 0; round < 2; round++) {
        pc_rpc_opts_t o = {.request_id = "0123456789abcdef0123456789abcdef"};
        pc_rpc_reply_t reply;
        assert_int_equal(pc_rpc_call(f->cli, &o, "t.child", NULL, &reply), PC_OK);
        Pigeon__Request *out =
            (Pigeon__Request *)pc_rpc_reply_unpack(&reply, &pigeon__request__descriptor, NULL);
        assert_non_null(out);
        assert_int_equal(strlen(out->request_id), 32);
        assert_true(out->deadline_ms > 0 && out->deadline_ms <= 2000);
        snprintf(ids[round][0], sizeof ids[round][0], "%s", out->request_id);
        snprintf(ids[round][1], sizeof ids[round][1], "%s", out->method);
        protobuf_c_message_free_unpacked(&out->base, NULL);
        pc_rpc_reply_clear(&reply);
    }
    /* Stable across a retry of the parent, distinct per nested call. */
    assert_string_equal(ids[0][0], ids[1][0]);
    assert_string_equal(ids[0][1], ids[1][1]);
    assert_string_not_equal(ids[0][0], ids[0][1]);
}

/* A ROUTER that takes requests and never answers, like a hung instance. */
typedef struct {
    void *sock;
    atomic_bool stop;
    char ids[16][PC_REQUEST_ID_MAX + 1];
    atomic_int count;
} swallower_t;

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
static pthread_t hung_start(swallower_t *s, const fixture_t *f)
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

static void hung_stop(swallower_t *s, pthread_t t, const fixture_t *f)
{
    atomic_store(&s->stop, true);
    pthread_join(t, NULL);
    zmq_close(s->sock);
    setenv("PIGEON_T_ENDPOINTS", f->endpoint, 1);
}

static void test_retry_goes_to_another_instance(void **state)
{
    fixture_t *f = *state;
    swallower_t s = {0};
    pthread_t t = hung_start(&s, f);
    pc_rpc_client_t *cli = pc_rpc_client_new(f->reg, "t", 600);
    assert_int_equal(pc_rpc_client_instances(cli), 2);

    /* Round robin sends every other first attempt to the hung instance. */
    for (int i = 0; i < 6 && (i < 2 || atomic_load(&s.count) == 0); i++) {
        char id[40];
        snprintf(id, sizeof id, "retry-%d", i);
        pc_rpc_opts_t o = {.request_id = id};
        pc_rpc_reply_t reply;
        assert_int_equal(call_echo(cli, &o, "again", &reply), PC_OK);
        pc_rpc_reply_clear(&reply);
        pthread_mutex_lock(&s_mu);
        assert_string_equal(s_last_id, id); /* the server saw the same id */
        pthread_mutex_unlock(&s_mu);
    }
    hung_stop(&s, t, f);
    assert_true(atomic_load(&s.count) >= 1);
    /* What the hung instance swallowed was then answered by the server. */
    assert_memory_equal(s.ids[0], "retry-", 6);
    pc_rpc_client_destroy(&cli);
}

typedef struct {
    pc_registry_t *reg; /* to make this thread's client */
    const char *text;   /* sent, echoed back */
    int deadline_ms;    /* of the call */
    const char *method; /* NULL: t.defer */
    int status;         /* the answer */
    char echoed[64];    /* the reply body's text */
    char error[64];     /* the reply's error message */
} defer_arg_t;

static void *defer_caller(void *arg)
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
static void answer_and_check(pthread_t *callers, defer_arg_t *a, int n)
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

static void test_deferred_reply_from_another_thread(void **state)
{
    fixture_t *f = *state;
    /* More deferred calls than workers (2): none of them holds a worker. */
    defer_arg_t a[4] = {{.text = "ok-0"}, {.text = "ok-1"}, {.text = "ok-2"}, {.text = "taken"}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        a[i].reg = f->reg;
        a[i].deadline_ms = 5000;
        assert_int_equal(pthread_create(&t[i], NULL, defer_caller, &a[i]), 0);
    }
    assert_true(wait_tokens(4, 3000));
    pc_rpc_opts_t o = {.deadline_ms = 1000};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "meanwhile", &reply), PC_OK);
    pc_rpc_reply_clear(&reply);

    answer_and_check(t, a, 4);
}

typedef struct {
    pc_rpc_server_t *srv; /* to drain */
    atomic_bool done;     /* drain returned */
} drain_arg_t;

static void *drainer(void *arg)
{
    drain_arg_t *d = arg;
    pc_rpc_server_drain(d->srv, 5000);
    atomic_store(&d->done, true);
    return NULL;
}

static void test_drain_waits_for_deferred_calls(void **state)
{
    fixture_t *f = *state;
    defer_arg_t a = {.reg = f->reg, .text = "ok-drain", .deadline_ms = 5000};
    pthread_t caller, dt;
    assert_int_equal(pthread_create(&caller, NULL, defer_caller, &a), 0);
    assert_true(wait_tokens(1, 3000));
    drain_arg_t d = {.srv = f->srv};
    atomic_init(&d.done, false);
    assert_int_equal(pthread_create(&dt, NULL, drainer, &d), 0);
    bool never = false;
    wait_flag(&never, 200);
    assert_false(atomic_load(&d.done)); /* the deferred call still runs */
    answer_all(NULL);
    pthread_join(dt, NULL);
    assert_true(atomic_load(&d.done));
    pthread_join(caller, NULL);
    assert_int_equal(a.status, PC_OK);
    assert_string_equal(a.echoed, "ok-drain");
}

static void test_late_deferred_reply_is_dropped(void **state)
{
    fixture_t *f = *state;
    defer_arg_t a = {.reg = f->reg, .text = "ok-late", .deadline_ms = 200};
    pthread_t caller;
    assert_int_equal(pthread_create(&caller, NULL, defer_caller, &a), 0);
    assert_true(wait_tokens(1, 3000));
    pthread_mutex_lock(&s_mu);
    int64_t left = pc_deferred_deadline(s_tokens[0]) - pc_mono_ms();
    pthread_mutex_unlock(&s_mu);
    assert_true(left <= 200);
    pthread_join(caller, NULL);
    assert_int_equal(a.status, PC_DEADLINE_EXCEEDED);
    answer_all(NULL); /* past its deadline: still answered, and dropped by the caller */

    pc_rpc_opts_t o = {.deadline_ms = 2000};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "next", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_string_equal(out->request_id, "next");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

/* --- fast handlers (pc_method_t.fast) ------------------------------------- */

static int call_text(pc_rpc_client_t *cli, const char *method, const char *text, char *echoed,
                     size_t size)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    pc_rpc_opts_t o = {.caller_id = 9, .request_id = "fast-request-1", .deadline_ms = 2000};
    pc_rpc_reply_t reply;
    int status = pc_rpc_call(cli, &o, method, &in.base, &reply);
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, NULL);
    snprintf(echoed, size, "%s", out && out->request_id ? out->request_id : "");
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
    return status;
}

static void test_fast_answer_needs_no_worker(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&s_fast_runs), worker = atomic_load(&s_worker_runs);
    char echoed[64];
    for (int i = 0; i < 20; i++) {
        assert_int_equal(call_text(f->cli, "t.quick", "quick", echoed, sizeof echoed), PC_OK);
        assert_string_equal(echoed, "quick");
    }
    assert_int_equal(atomic_load(&s_fast_runs), fast + 20);
    assert_int_equal(atomic_load(&s_worker_runs), worker); /* no worker ran one */
    assert_false(atomic_load(&s_fast_had_worker));
}

static void test_fast_deferred_answer_from_another_thread(void **state)
{
    fixture_t *f = *state;
    int worker = atomic_load(&s_worker_runs);
    defer_arg_t a[3] = {{.text = "ok-f0"}, {.text = "ok-f1"}, {.text = "gone"}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        a[i].reg = f->reg;
        a[i].deadline_ms = 5000;
        a[i].method = "t.fdefer";
        assert_int_equal(pthread_create(&t[i], NULL, defer_caller, &a[i]), 0);
    }
    assert_true(wait_tokens(3, 3000));
    answer_and_check(t, a, 3);
    assert_int_equal(atomic_load(&s_worker_runs), worker);
}

static void test_fast_declined_reaches_the_handler(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&s_fast_runs), worker = atomic_load(&s_worker_runs);
    char echoed[64];
    assert_int_equal(call_text(f->cli, "t.decline", "declined", echoed, sizeof echoed), PC_OK);
    assert_string_equal(echoed, "declined"); /* the same body */
    assert_int_equal(atomic_load(&s_fast_runs), fast + 1);
    assert_int_equal(atomic_load(&s_worker_runs), worker + 1);
    pthread_mutex_lock(&s_mu);
    assert_string_equal(s_last_id, "fast-request-1"); /* the same envelope */
    pthread_mutex_unlock(&s_mu);
}

static void test_fast_expired_on_arrival_is_not_run(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&s_fast_runs), worker = atomic_load(&s_worker_runs);
    Pigeon__Reply *rep = call_expired(f->endpoint, "t.quick", "expired-fast");
    assert_int_equal(rep->status, PC_DEADLINE_EXCEEDED);
    assert_string_equal(rep->error_message, "deadline exceeded before the call started");
    assert_int_equal(atomic_load(&s_fast_runs), fast);
    assert_int_equal(atomic_load(&s_worker_runs), worker);
    pc_envelope_free_reply(&rep);
}

static void test_fast_handler_on_a_write_is_refused(void **state)
{
    (void)state;
    static const pc_method_t methods[] = {{"t.w", h_echo, PC_METHOD_WRITE, f_echo}};
    pc_rpc_server_opts_t o = {.service = "w",
                              .schema = "w",
                              .methods = methods,
                              .method_count = 1,
                              .workers = 1,
                              .bind_endpoint = "tcp://127.0.0.1:*"};
    assert_null(pc_rpc_server_new(&o, NULL, 0));
}

/* --- many calls in flight on one thread (rpc_async.h) --------------------- */

typedef struct {
    int status;    /* -1 until the callback ran */
    char text[64]; /* echoed text, when the call succeeded */
    int calls;     /* times the callback ran (must end at 1) */
} async_out_t;

static void async_done(void *arg, pc_rpc_reply_t *reply)
{
    async_out_t *o = arg;
    o->calls++;
    o->status = reply->status;
    if (reply->status == PC_OK) {
        int st;
        Pigeon__Reply *out =
            (Pigeon__Reply *)pc_rpc_reply_unpack(reply, &pigeon__reply__descriptor, &st);
        if (out) {
            snprintf(o->text, sizeof o->text, "%s", out->request_id);
            protobuf_c_message_free_unpacked(&out->base, NULL);
        }
    }
}

static void async_echo(pc_rpc_async_t *a, const pc_rpc_opts_t *o, const char *text,
                       async_out_t *out)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    out->status = -1;
    pc_rpc_async_call(a, o, "t.echo", &in.base, async_done, out);
}

/* Runs a until nothing is in flight or ms pass. */
static void async_settle(pc_rpc_async_t *a, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    while (pc_rpc_async_pending(a) > 0 && pc_mono_ms() < until)
        pc_rpc_async_run(a, -1, 50);
}

static void test_async_calls_share_one_thread(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 2000);
    assert_non_null(a);
    async_out_t out[20];
    char texts[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(texts[i], sizeof texts[i], "many-%d", i);
        pc_rpc_opts_t o = {.caller_id = 7};
        memset(&out[i], 0, sizeof out[i]);
        async_echo(a, &o, texts[i], &out[i]);
    }
    assert_true(pc_rpc_async_pending(a) <= 20);
    async_settle(a, 3000);
    assert_int_equal(pc_rpc_async_pending(a), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].status, PC_OK);
        assert_string_equal(out[i].text, texts[i]); /* each reply found its call */
    }
    pc_rpc_async_destroy(&a);
    assert_null(a);
}

static void test_async_no_instance_is_unavailable_at_once(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "nobody", 2000);
    async_out_t out = {0};
    async_echo(a, NULL, "x", &out);
    assert_int_equal(out.calls, 1); /* before the call returned */
    assert_int_equal(out.status, PC_UNAVAILABLE);
    assert_int_equal(pc_rpc_async_pending(a), 0);
    pc_rpc_async_destroy(&a);
}

static void test_async_late_handler_is_deadline_exceeded(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 2000);
    async_out_t late = {.status = -1}, fast = {0};
    pc_rpc_opts_t o = {.deadline_ms = 200};
    int64_t t0 = pc_mono_ms();
    pc_rpc_async_call(a, &o, "t.late", NULL, async_done, &late);
    async_echo(a, NULL, "meanwhile", &fast); /* the other server worker answers it */
    async_settle(a, 2000);
    int64_t took = pc_mono_ms() - t0;
    assert_int_equal(late.status, PC_DEADLINE_EXCEEDED);
    assert_int_equal(late.calls, 1);
    assert_true(took >= 190 && took < 600);
    assert_int_equal(fast.status, PC_OK);
    assert_string_equal(fast.text, "meanwhile");
    pc_rpc_async_destroy(&a);
}

static void test_async_destroy_ends_calls_out(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 5000);
    async_out_t out = {.status = -1};
    pc_rpc_opts_t o = {.deadline_ms = 3000};
    pc_rpc_async_call(a, &o, "t.late", NULL, async_done, &out);
    assert_int_equal(pc_rpc_async_pending(a), 1);
    pc_rpc_async_destroy(&a);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.status, PC_UNAVAILABLE);
}

static void test_async_retry_goes_to_another_instance(void **state)
{
    fixture_t *f = *state;
    swallower_t s = {0};
    pthread_t t = hung_start(&s, f);
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 600);

    /* Round robin sends some first attempts to the hung instance; each
     * call still ends once, answered, with the id the swallower saw. */
    async_out_t out[6];
    char ids[6][40], texts[6][16];
    for (int i = 0; i < 6; i++) {
        snprintf(ids[i], sizeof ids[i], "aretry-%d", i);
        snprintf(texts[i], sizeof texts[i], "again-%d", i);
        pc_rpc_opts_t o = {.request_id = ids[i]};
        memset(&out[i], 0, sizeof out[i]);
        async_echo(a, &o, texts[i], &out[i]);
    }
    async_settle(a, 3000);
    hung_stop(&s, t, f);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].status, PC_OK);
        assert_string_equal(out[i].text, texts[i]);
    }
    assert_true(atomic_load(&s.count) >= 1);
    assert_memory_equal(s.ids[0], "aretry-", 7); /* retried with the same id */
    pc_rpc_async_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_call_returns_the_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method_is_invalid_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_call_does_not_block_a_fast_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_instance_is_unavailable_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_handler_is_deadline_exceeded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_on_arrival_is_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_ids_are_derived, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_goes_to_another_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_reply_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_waits_for_deferred_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_deferred_reply_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_answer_needs_no_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_deferred_answer_from_another_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fast_declined_reaches_the_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_expired_on_arrival_is_not_run, setup, teardown),
        cmocka_unit_test(test_fast_handler_on_a_write_is_refused),
        cmocka_unit_test_setup_teardown(test_async_calls_share_one_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_no_instance_is_unavailable_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_late_handler_is_deadline_exceeded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_retry_goes_to_another_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_destroy_ends_calls_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
