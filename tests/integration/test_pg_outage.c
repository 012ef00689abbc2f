/* test_pg_outage.c - PostgreSQL stops and starts again under a running
 * system; no Pigeon process is restarted.
 *
 * Runs on a private cluster (h_pg_cluster_start): the runner's cluster is
 * shared by every test. While PostgreSQL is down, calls answer 503
 * unavailable within the deadline (never hang), every /readyz answers 503
 * and every /healthz 200; once it is back, everything recovers by itself and
 * nothing acknowledged before the outage is lost (docs/operations.md). */
#include "messages_calls.h"
#include "metrics_calls.h"

#include <time.h>

#define S_DEADLINE_MS 3000
#define S_DOWN_WAIT_MS 12000 /* stop -> every /readyz 503 (health check every 5 s, TTL 5 s) */
#define S_UP_WAIT_MS 20000   /* start -> everything ready again (backoff at most 5 s) */

static const char *const s_env[] = {
    "PIGEON_RATE_REGISTER_PER_IP=100000", "PIGEON_RATE_LOGIN_PER_IP=100000",
    "PIGEON_RATE_LOGIN_PER_USER=100000", "PIGEON_RPC_DEADLINE_MS=3000", NULL};
static const char *const s_services[] = {"auth", "relationship", "router", NULL};

/* The private cluster; the group teardown removes it even after a failure. */
static h_pg_cluster_t s_pg;

static int s_setup(void **state)
{
    (void)state;
    h_pg_cluster_adopt(&s_pg);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_pg_cluster_release(&s_pg);
    return 0;
}

static int64_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET base+path answers `status`. */
typedef struct {
    const char *base;
    const char *path;
    const char *token;
    const h_system_t *sys; /* when set, through the gateway with token */
    long status;
    long last;
} s_probe_t;

static bool s_probe(void *arg)
{
    s_probe_t *p = arg;
    h_resp_t r =
        p->sys ? h_http(p->sys, "GET", p->path, p->token, NULL, NULL) : mx_get(p->base, p->path);
    p->last = r.status;
    h_resp_free(&r);
    return p->last == p->status;
}

static void s_wait(const char *base, const h_system_t *sys, const char *path, const char *token,
                   long status, int timeout_ms)
{
    s_probe_t p = {base, path, token, sys, status, 0};
    if (!h_wait_until(s_probe, &p, timeout_ms))
        fail_msg("GET %s%s did not answer %ld within %d ms (last %ld)", sys ? sys->base_url : base,
                 path, status, timeout_ms, p.last);
}

/* A send with one client_msg_id, repeated until it is stored (201, or 200
 * when an earlier attempt was stored after all). */
typedef struct {
    const h_system_t *sys;
    const ct_user_t *from;
    int64_t to;
    long last;
} s_send_t;

static bool s_send_ok(void *arg)
{
    s_send_t *p = arg;
    h_resp_t r = mc_send(p->sys, p->from, p->to, "after-outage", "after the outage");
    p->last = r.status;
    h_resp_free(&r);
    return p->last == 201 || p->last == 200;
}

static void test_postgres_restart_is_survived_without_restarting_anything(void **state)
{
    (void)state;
    h_pg_cluster_t *pg = &s_pg;

    h_system_t sys;
    h_system_start(&sys, s_services, s_env);
    mc_wait_router(&sys);
    ct_user_t a = ct_user(&sys, "pga"), b = ct_user(&sys, "pgb");
    ct_befriend(&sys, &a, &b);
    char ids[3][64];
    for (int i = 0; i < 3; i++)
        mc_send_ok(&sys, &a, b.id, "before the outage", ids[i], sizeof ids[i]);

    /* Every service's admin port, from the registry (while it can be read). */
    char admin[8][64];
    size_t nadmin = 0;
    for (int i = 0; s_services[i]; i++)
        nadmin += mx_admin_urls(sys.db_url, s_services[i], admin + nadmin, 8 - nadmin);
    assert_int_equal(nadmin, 3);

    h_pg_cluster_down(pg);
    int64_t down_at = s_now();

    /* Calls answer 503 within the deadline; none hangs. */
    s_wait(NULL, &sys, "/v1/me", a.token, 503, S_DOWN_WAIT_MS);
    int64_t first_503 = s_now() - down_at;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = s_now();
        h_resp_t r = mc_send(&sys, &a, b.id, "during-outage", "during the outage");
        h_expect_error(&r, 503, "unavailable");
        h_resp_free(&r);
        r = h_http(&sys, "GET", "/v1/contacts", a.token, NULL, NULL);
        h_expect_error(&r, 503, "unavailable");
        h_resp_free(&r);
        assert_true(s_now() - t0 < 2 * S_DEADLINE_MS);
    }
    /* Not ready anywhere; alive everywhere. */
    for (size_t i = 0; i < nadmin; i++) {
        s_wait(admin[i], NULL, "/readyz", NULL, 503, S_DOWN_WAIT_MS);
        s_wait(admin[i], NULL, "/healthz", NULL, 200, 1000);
    }
    s_wait(NULL, &sys, "/readyz", NULL, 503, S_DOWN_WAIT_MS);
    int64_t all_unready = s_now() - down_at;
    s_wait(NULL, &sys, "/healthz", NULL, 200, 1000);
    /* The gateway keeps its last registry snapshot (RPC goes on with what
     * it knew) and counts the failed refreshes. */
    h_resp_t g = h_http(&sys, "GET", "/metrics", NULL, NULL, NULL);
    assert_true(mx_value(g.body, "pigeon_registry_instances{service=\"auth\"}") == 1);
    assert_true(mx_sum(g.body, "pigeon_registry_refresh_failures_total", NULL) > 0);
    h_resp_free(&g);
    /* DB errors are counted by SQLSTATE class (08: connection). */
    h_resp_t m = mx_get(admin[0], "/metrics");
    assert_true(mx_sum(m.body, "pigeon_db_errors_total", "class=\"08\"") > 0);
    h_resp_free(&m);

    h_pg_cluster_up(pg);
    int64_t up_at = s_now();
    s_wait(NULL, &sys, "/v1/me", a.token, 200, S_UP_WAIT_MS);
    int64_t first_ok = s_now() - up_at;
    for (size_t i = 0; i < nadmin; i++)
        s_wait(admin[i], NULL, "/readyz", NULL, 200, S_UP_WAIT_MS);
    s_wait(NULL, &sys, "/readyz", NULL, 200, S_UP_WAIT_MS);
    int64_t all_ready = s_now() - up_at;

    /* Writes work again (each worker's and the committer's connection
     * reconnects on its own backoff, at most 5 s: poll), and nothing
     * acknowledged before the outage is lost. */
    s_send_t send = {&sys, &a, b.id, 0};
    if (!h_wait_until(s_send_ok, &send, S_UP_WAIT_MS))
        fail_msg("a send still answered %ld %d ms after PostgreSQL came back", send.last,
                 S_UP_WAIT_MS);
    int64_t first_send = s_now() - up_at;
    print_message("pg outage: first 503 %lld ms after the stop, every /readyz 503 after %lld ms; "
                  "first 200 %lld ms after the start, every /readyz 200 after %lld ms, first "
                  "send stored after %lld ms\n",
                  (long long)first_503, (long long)all_unready, (long long)first_ok,
                  (long long)all_ready, (long long)first_send);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    h_resp_t r = mc_history(&sys, &b, cid, "?after_seq=0&limit=50", 200, NULL);
    json_t *list = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(list), 4);
    for (int i = 0; i < 3; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "id")),
                            ids[i]);
    h_resp_free(&r);

    h_system_stop(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postgres_restart_is_survived_without_restarting_anything),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
