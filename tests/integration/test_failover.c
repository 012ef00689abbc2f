/* test_failover.c - two copies of auth, relationship and router behind one
 * gateway; copies die (kill -9), hang (SIGSTOP) and stop (SIGTERM) under a
 * steady stream of REST calls.
 *
 * The contract (docs/operations.md):
 *   - kill -9 of one copy while another is live: no call fails. Requests
 *     already queued to the dead copy vanish; the RPC client resends them
 *     (same request id) to the other copy after half the deadline, so a few
 *     calls are slow (about half of PIGEON_RPC_DEADLINE_MS), none answers
 *     503, and at most S_MAX_504 answer 504 in the whole run (a call whose
 *     nested call lost the race with its own deadline). Sends the client
 *     retries with the same client_msg_id are stored exactly once, with
 *     gap-free seqs.
 *   - the dead copy leaves every registry view within the TTL (5 s).
 *   - a hung copy (SIGSTOP) is noticed by ZeroMQ heartbeats (~2 s); calls
 *     keep succeeding meanwhile.
 *   - SIGTERM: in-flight calls finish, the copy leaves the registry at once
 *     (well before the TTL), and exits 0. */
#include "messages_calls.h"
#include "metrics_calls.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#define S_DEADLINE_MS 3000 /* PIGEON_RPC_DEADLINE_MS of every process here */
#define S_MAX_504 3        /* whole run */
#define S_MAX_SENDS 4000   /* bounds the stream */

static const char *const s_env[] = {
    "PIGEON_RATE_REGISTER_PER_IP=100000", "PIGEON_RATE_LOGIN_PER_IP=100000",
    "PIGEON_RATE_LOGIN_PER_USER=100000", "PIGEON_RPC_DEADLINE_MS=3000", NULL};
static const char *const s_services[] = {"auth", "relationship", "router", NULL};

static int64_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stream: one thread doing send / contacts / me / login in turn. No
 * cmocka asserts in the thread (they longjmp); it records, the test checks. */
typedef struct {
    h_system_t *sys;
    ct_user_t a, b;
    char password[64];
    pthread_t thread;
    volatile int stop;
    int64_t call_started; /* s_now() when the current call began, 0 between calls */
    /* results, written by the thread only, read after join or as counters */
    volatile int ok;         /* calls answered 2xx */
    int n503, n504, nother;  /* failed calls by kind */
    char first_failure[256]; /* for the message */
    int64_t longest_ms;      /* slowest call */
    char longest_what[64];
    int nsent;         /* sends acknowledged */
    char (*acked)[24]; /* client_msg_ids acknowledged, in order */
} s_stream_t;

static void s_record(s_stream_t *st, const char *what, const h_resp_t *r, int64_t ms)
{
    if (ms > st->longest_ms) {
        st->longest_ms = ms;
        snprintf(st->longest_what, sizeof st->longest_what, "%s", what);
    }
    if (r->status >= 200 && r->status < 300) {
        __atomic_add_fetch(&st->ok, 1, __ATOMIC_SEQ_CST);
        return;
    }
    if (r->status == 503)
        st->n503++;
    else if (r->status == 504)
        st->n504++;
    else
        st->nother++;
    if (!st->first_failure[0])
        snprintf(st->first_failure, sizeof st->first_failure, "%s: %ld %.180s", what, r->status,
                 r->body ? r->body : "");
}

static h_resp_t s_timed(s_stream_t *st, const char *what, const char *method, const char *path,
                        const char *token, const char *body)
{
    int64_t t0 = s_now();
    __atomic_store_n(&st->call_started, t0, __ATOMIC_SEQ_CST);
    h_resp_t r = h_http(st->sys, method, path, token, body, NULL);
    __atomic_store_n(&st->call_started, 0, __ATOMIC_SEQ_CST);
    s_record(st, what, &r, s_now() - t0);
    return r;
}

static void *s_stream_main(void *arg)
{
    s_stream_t *st = arg;
    char body[256];
    for (int i = 0; !st->stop && st->nsent < S_MAX_SENDS; i++) {
        /* A send; on a 5xx the client resends with the same client_msg_id,
         * as a real client would (bounded). */
        char cmid[24];
        snprintf(cmid, sizeof cmid, "fo-%d", i);
        snprintf(body, sizeof body,
                 "{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"%s\",\"kind\":\"text\","
                 "\"text\":\"m%d\"}",
                 (long long)st->b.id, cmid, i);
        for (int attempt = 0; attempt < 3; attempt++) {
            h_resp_t r = s_timed(st, "send", "POST", "/v1/messages", st->a.token, body);
            bool done = r.status == 200 || r.status == 201;
            h_resp_free(&r);
            if (done) {
                snprintf(st->acked[st->nsent++], sizeof st->acked[0], "%s", cmid);
                break;
            }
        }
        h_resp_t r = s_timed(st, "contacts", "GET", "/v1/contacts", st->a.token, NULL);
        h_resp_free(&r);
        r = s_timed(st, "me", "GET", "/v1/me", st->b.token, NULL);
        h_resp_free(&r);
        if (i % 4 == 0) {
            snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", st->b.name,
                     st->password);
            r = s_timed(st, "login", "POST", "/v1/auth/login", NULL, body);
            h_resp_free(&r);
        }
    }
    return NULL;
}

typedef struct {
    s_stream_t *st;
    int until;
} s_progress_t;

static bool s_progressed(void *arg)
{
    s_progress_t *p = arg;
    return __atomic_load_n(&p->st->ok, __ATOMIC_SEQ_CST) >= p->until;
}

/* Waits until the stream has made `calls` more successful calls. */
static void s_stream_wait(s_stream_t *st, int calls)
{
    s_progress_t p = {st, __atomic_load_n(&st->ok, __ATOMIC_SEQ_CST) + calls};
    if (!h_wait_until(s_progressed, &p, 20000))
        fail_msg("the stream made no progress (%d ok; first failure: %s)", st->ok,
                 st->first_failure);
}

/* A call has been waiting for 300 ms: it went to the stopped copy. */
static bool s_stuck(void *arg)
{
    s_stream_t *st = arg;
    int64_t t0 = __atomic_load_n(&st->call_started, __ATOMIC_SEQ_CST);
    return t0 != 0 && s_now() - t0 > 300;
}

/* Waits until the gateway sees `want` live copies of service; returns how long it took. */
static int64_t s_wait_view(h_system_t *sys, const char *service, int want, int timeout_ms)
{
    int64_t t0 = s_now();
    mx_wait_view(sys, service, want, timeout_ms);
    return s_now() - t0;
}

/* ------------------------------------------------------------------ fixture */

typedef struct {
    h_system_t sys;
    h_proc_t **copy[3]; /* the second copy of auth, relationship, router */
} s_fixture_t;

static int s_setup(void **state)
{
    static s_fixture_t fx;
    memset(&fx, 0, sizeof fx);
    h_system_start(&fx.sys, s_services, s_env);
    for (int i = 0; i < 3; i++)
        fx.copy[i] = h_system_add_copy(&fx.sys, s_services[i]);
    for (int i = 0; i < 3; i++)
        s_wait_view(&fx.sys, s_services[i], 2, 15000);
    mc_wait_router(&fx.sys);
    *state = &fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    h_system_stop(&fx->sys);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_kill9_one_copy_of_each_service_mid_stream(void **state)
{
    s_fixture_t *fx = *state;
    h_system_t *sys = &fx->sys;
    s_stream_t *st = calloc(1, sizeof *st);
    assert_non_null(st);
    st->acked = calloc(S_MAX_SENDS, sizeof st->acked[0]);
    assert_non_null(st->acked);
    st->sys = sys;
    st->a = ct_user(sys, "fa");
    snprintf(st->password, sizeof st->password, "failover-password-1");
    h_unique_name("fb", st->b.name, sizeof st->b.name);
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\",\"nickname\":\"B\"}",
             st->b.name, st->password);
    h_resp_t r = h_http(sys, "POST", "/v1/auth/register", NULL, body, NULL);
    h_expect_status(&r, 201);
    snprintf(st->b.token, sizeof st->b.token, "%s",
             json_string_value(json_object_get(r.json, "token")));
    st->b.id = json_integer_value(json_object_get(json_object_get(r.json, "user"), "id"));
    h_resp_free(&r);
    ct_befriend(sys, &st->a, &st->b);

    assert_int_equal(pthread_create(&st->thread, NULL, s_stream_main, st), 0);
    s_stream_wait(st, 20);
    int64_t killed_at[3];
    int stuck = 0;
    for (int i = 0; i < 3; i++) {
        /* Stop the copy first and kill it once a call is waiting on it, so
         * a request really is lost in flight and must be retried. */
        h_proc_signal(*fx->copy[i], SIGSTOP);
        stuck += h_wait_until(s_stuck, st, 5000);
        h_proc_kill(fx->copy[i]);
        killed_at[i] = s_now();
        s_stream_wait(st, 30);
    }
    /* Each dead copy leaves the gateway's view within the TTL. */
    for (int i = 0; i < 3; i++) {
        s_wait_view(sys, s_services[i], 1, 10000);
        print_message("failover: %s copy killed -> gone from the registry view after %lld ms\n",
                      s_services[i], (long long)(s_now() - killed_at[i]));
    }
    st->stop = 1;
    pthread_join(st->thread, NULL);
    print_message("failover: %d calls ok, %d x 503, %d x 504, %d other; longest %lld ms (%s); "
                  "%d sends acknowledged; %d of 3 kills hit a call in flight\n",
                  st->ok, st->n503, st->n504, st->nother, (long long)st->longest_ms,
                  st->longest_what, st->nsent, stuck);
    if (st->n503 || st->nother || st->n504 > S_MAX_504)
        fail_msg("calls failed during failover: %d x 503, %d x 504, %d other; first: %s", st->n503,
                 st->n504, st->nother, st->first_failure);
    /* Nobody waited a whole deadline more than once over. */
    assert_true(st->longest_ms < 2 * S_DEADLINE_MS);

    /* Every acknowledged send is stored exactly once, seqs gap-free. */
    char cid[64];
    mc_cid(&st->a, &st->b, cid, sizeof cid);
    int64_t after = 0, seen = 0;
    for (int page = 0; page < 100; page++) {
        char query[64];
        snprintf(query, sizeof query, "?after_seq=%lld&limit=200", (long long)after);
        r = mc_history(sys, &st->a, cid, query, 200, NULL);
        json_t *list = json_object_get(r.json, "messages"), *m;
        size_t k;
        json_array_foreach(list, k, m)
        {
            int64_t seq = mc_int(m, "seq");
            assert_int_equal(seq, after + 1);
            after = seq;
            const char *cm = json_string_value(json_object_get(m, "client_msg_id"));
            if (!cm || strncmp(cm, "fo-", 3) != 0)
                continue;
            if (seen >= st->nsent || strcmp(cm, st->acked[seen]) != 0)
                fail_msg("message %s at seq %lld: expected %s (stored twice or out of order)", cm,
                         (long long)seq, seen < st->nsent ? st->acked[seen] : "nothing");
            seen++;
        }
        bool more = json_is_true(json_object_get(r.json, "has_more"));
        h_resp_free(&r);
        if (!more)
            break;
    }
    assert_int_equal(seen, st->nsent);
    /* A resend of an acknowledged send answers 200 with the stored message. */
    snprintf(body, sizeof body,
             "{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"%s\",\"kind\":\"text\","
             "\"text\":\"m%s\"}",
             (long long)st->b.id, st->acked[0], st->acked[0] + 3);
    r = h_http(sys, "POST", "/v1/messages", st->a.token, body, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(mc_int(r.json, "seq"), 1);
    h_resp_free(&r);
    free(st->acked);
    free(st);
}

static void test_hung_copy_is_skipped_after_heartbeats_notice(void **state)
{
    s_fixture_t *fx = *state;
    h_system_t *sys = &fx->sys;
    fx->copy[0] = h_system_add_copy(sys, "auth");
    s_wait_view(sys, "auth", 2, 15000);
    ct_user_t u = ct_user(sys, "hung");

    h_proc_signal(*fx->copy[0], SIGSTOP);
    int64_t stopped = s_now(), last_slow = stopped, end = stopped + 6000;
    int calls = 0;
    while (s_now() < end) {
        int64_t t0 = s_now();
        h_resp_t r = h_http(sys, "GET", "/v1/me", u.token, NULL, NULL);
        int64_t ms = s_now() - t0;
        if (r.status != 200)
            fail_msg("GET /v1/me answered %ld while one auth copy hung: %s", r.status, r.body);
        h_resp_free(&r);
        if (ms > 300)
            last_slow = s_now();
        calls++;
    }
    print_message("failover: auth copy hung -> last slow call %lld ms after SIGSTOP (%d calls)\n",
                  (long long)(last_slow - stopped), calls);
    /* Heartbeats (1.5 s) end the slow calls well before the registry TTL. */
    assert_true(last_slow - stopped < 4500);
    h_proc_signal(*fx->copy[0], SIGCONT);
    s_wait_view(sys, "auth", 2, 15000);
    h_resp_t r = h_http(sys, "GET", "/v1/me", u.token, NULL, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
}

typedef struct {
    h_system_t *sys;
    const char *body;
    long status;
    int64_t ms; /* how long it took */
} s_login_t;

static void *s_login_main(void *arg)
{
    s_login_t *l = arg;
    int64_t t0 = s_now();
    h_resp_t r = h_http(l->sys, "POST", "/v1/auth/login", NULL, l->body, NULL);
    l->ms = s_now() - t0;
    l->status = r.status;
    h_resp_free(&r);
    return NULL;
}

static void test_sigterm_drains_in_flight_calls_and_leaves_at_once(void **state)
{
    s_fixture_t *fx = *state;
    h_system_t *sys = &fx->sys;
    s_wait_view(sys, "auth", 2, 15000);
    char name[40], body[160];
    h_unique_name("drain", name, sizeof name);
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"drain-password-1\",\"nickname\":\"D\"}", name);
    h_resp_t r = h_http(sys, "POST", "/v1/auth/register", NULL, body, NULL);
    h_expect_status(&r, 201);
    h_resp_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"drain-password-1\"}", name);

    /* Logins (Argon2) in flight on both copies, then SIGTERM one. */
    enum { N = 6 };
    s_login_t logins[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        logins[i] = (s_login_t){sys, body, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, s_login_main, &logins[i]), 0);
    }
    h_proc_t **victim = fx->copy[0];
    h_proc_signal(*victim, SIGTERM);
    int64_t t0 = s_now();
    int64_t left = s_wait_view(sys, "auth", 1, 3000);
    int code = h_proc_wait(victim, 15000);
    int64_t exited = s_now() - t0;
    int64_t slowest = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        slowest = logins[i].ms > slowest ? logins[i].ms : slowest;
    }
    print_message("failover: auth SIGTERM -> left the gateway's view after %lld ms, exited %d "
                  "after %lld ms; slowest of %d logins in flight %lld ms\n",
                  (long long)left, code, (long long)exited, N, (long long)slowest);
    for (int i = 0; i < N; i++)
        assert_int_equal(logins[i].status, 200);
    assert_int_equal(code, 0);
    /* New calls go to the copy still running. */
    for (int i = 0; i < 10; i++) {
        int64_t c0 = s_now();
        r = h_http(sys, "POST", "/v1/auth/login", NULL, body, NULL);
        h_expect_status(&r, 200);
        h_resp_free(&r);
        assert_true(s_now() - c0 < S_DEADLINE_MS / 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_one_copy_of_each_service_mid_stream),
        cmocka_unit_test(test_hung_copy_is_skipped_after_heartbeats_notice),
        cmocka_unit_test(test_sigterm_drains_in_flight_calls_and_leaves_at_once),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
