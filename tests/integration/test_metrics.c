/* test_metrics.c - /metrics of the gateway and of a service after some
 * traffic: the text parses as Prometheus exposition format and the key
 * series of docs/metrics.md exist with plausible values. */
#include "messages_calls.h"
#include "metrics_calls.h"

static const char *const s_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_USER=100000", NULL};
static const char *const s_services[] = {"auth", "relationship", "router", NULL};

static char *s_scrape(const char *base)
{
    h_resp_t r = mx_get(base, "/metrics");
    assert_int_equal(r.status, 200);
    char *ct = h_resp_header(&r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "text/plain"));
    free(ct);
    char bad[1024];
    if (!mx_parses(r.body, bad, sizeof bad))
        fail_msg("%s/metrics: line does not parse: %s", base, bad);
    char *text = strdup(r.body);
    h_resp_free(&r);
    return text;
}

static void s_expect_at_least(const char *text, const char *what, double got, double min)
{
    if (!(got >= min))
        fail_msg("%s: %g, expected at least %g\n%s", what, got, min, text);
}

static void test_gateway_and_service_metrics_after_traffic(void **state)
{
    (void)state;
    h_system_t sys;
    h_system_start(&sys, s_services, s_env);
    mc_wait_router(&sys);

    /* Some traffic: registrations, a login, contacts, messages, an error. */
    ct_user_t a = ct_user(&sys, "ma"), b = ct_user(&sys, "mb");
    ct_befriend(&sys, &a, &b);
    for (int i = 0; i < 5; i++)
        mc_send_ok(&sys, &a, b.id, "metrics", NULL, 0);
    h_resp_t r = h_http(&sys, "POST", "/v1/auth/login", NULL,
                        "{\"username\":\"nobody-here\",\"password\":\"wrong-password\"}", NULL);
    assert_int_equal(r.status, 401);
    h_resp_free(&r);
    r = h_http(&sys, "GET", "/v1/me", a.token, NULL, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);

    /* The gateway. */
    char *g = s_scrape(sys.base_url);
    s_expect_at_least(g, "http requests", mx_sum(g, "pigeon_http_requests_total", NULL), 10);
    s_expect_at_least(g, "http 201s", mx_sum(g, "pigeon_http_requests_total", "status=\"201\""), 5);
    s_expect_at_least(g, "http 401s", mx_sum(g, "pigeon_http_requests_total", "status=\"401\""), 1);
    s_expect_at_least(g, "http latency count",
                      mx_sum(g, "pigeon_http_request_duration_seconds_count", NULL), 10);
    s_expect_at_least(g, "http latency +Inf bucket",
                      mx_sum(g, "pigeon_http_request_duration_seconds_bucket", "le=\"+Inf\""), 10);
    assert_true(mx_value(g, "pigeon_registry_instances{service=\"auth\"}") == 1);
    assert_true(mx_value(g, "pigeon_registry_instances{service=\"router\"}") == 1);
    s_expect_at_least(g, "rpc client calls to router",
                      mx_sum(g, "pigeon_rpc_client_calls_total", "service=\"router\""), 5);
    assert_true(mx_value(g, "pigeon_ws_connections") == 0);
    assert_non_null(strstr(g, "# TYPE pigeon_http_request_duration_seconds histogram"));
    assert_non_null(strstr(g, "# TYPE pigeon_ws_connections gauge"));
    free(g);

    /* One service: pigeon-router, on its admin port from the registry. */
    char admin[2][64];
    assert_int_equal(mx_admin_urls(sys.db_url, "router", admin, 2), 1);
    char *s = s_scrape(admin[0]);
    s_expect_at_least(s, "router sends", mx_sum(s, "pigeon_rpc_requests_total", "status=\"201\""),
                      5);
    s_expect_at_least(s, "router latency count",
                      mx_sum(s, "pigeon_rpc_duration_seconds_count", NULL), 5);
    s_expect_at_least(s, "events published", mx_sum(s, "pigeon_events_published_total", NULL), 5);
    assert_true(mx_value(s, "pigeon_registry_instances{service=\"relationship\"}") == 1);
    s_expect_at_least(s, "router -> relationship calls",
                      mx_sum(s, "pigeon_rpc_client_calls_total", "service=\"relationship\""), 1);
    assert_true(mx_value(s, "pigeon_service_info{service=\"router\"}") == 1);
    free(s);

    h_system_stop(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_and_service_metrics_after_traffic),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
