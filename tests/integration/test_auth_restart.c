/* test_auth_restart.c - pigeon-auth going away and coming back, and a clean
 * SIGTERM stop of every process.
 *
 * While auth is down, calls that need it answer 503 unavailable and /readyz
 * answers 503; once it is restarted (it registers again, the gateway's
 * registry refresh finds it) calls succeed again, with the same data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DOWN_WAIT_MS 15000 /* auth killed -> the gateway answers 503 */
#define UP_WAIT_MS 30000   /* auth restarted -> calls succeed again */

typedef struct {
    h_system_t *sys;
    const char *path;
    const char *token;
    long status;      /* wanted status */
    long last_status; /* last seen, for the failure message */
    char last_body[512];
} s_poll_t;

static bool s_answers(void *arg)
{
    s_poll_t *p = arg;
    h_resp_t r = h_http(p->sys, "GET", p->path, p->token, NULL, NULL);
    p->last_status = r.status;
    snprintf(p->last_body, sizeof p->last_body, "%s", r.body ? r.body : "");
    bool ok = r.status == p->status;
    h_resp_free(&r);
    return ok;
}

static void s_wait_status(h_system_t *sys, const char *path, const char *token, long status,
                          int timeout_ms)
{
    s_poll_t p = {.sys = sys, .path = path, .token = token, .status = status};
    if (!h_wait_until(s_answers, &p, timeout_ms)) {
        h_dump_logs();
        fail_msg("GET %s did not answer %ld within %d ms; last %ld %s", path, status, timeout_ms,
                 p.last_status, p.last_body);
    }
}

static void test_killed_auth_is_503_until_it_restarts(void **state)
{
    (void)state;
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    h_system_start(&sys, services, NULL);

    char token[128], name[40];
    h_unique_name("restart", name, sizeof name);
    h_register(&sys, name, "重启", token, NULL);
    s_wait_status(&sys, "/v1/me", token, 200, 1000);

    h_proc_kill(h_system_proc(&sys, "auth"));

    /* Calls that need auth: 503 unavailable, within a bounded time. */
    s_wait_status(&sys, "/v1/me", token, 503, DOWN_WAIT_MS);
    h_resp_t r = h_http(&sys, "GET", "/v1/me", token, NULL, NULL);
    h_expect_error(&r, 503, "unavailable");
    h_resp_free(&r);
    r = h_http(&sys, "POST", "/v1/auth/login", NULL,
               "{\"username\":\"someone\",\"password\":\"some-password\"}", NULL);
    h_expect_error(&r, 503, "unavailable");
    h_resp_free(&r);
    s_wait_status(&sys, "/readyz", NULL, 503, DOWN_WAIT_MS);
    /* The gateway itself is alive. */
    s_wait_status(&sys, "/healthz", NULL, 200, 1000);

    h_system_restart_service(&sys, "auth");

    s_wait_status(&sys, "/readyz", NULL, 200, UP_WAIT_MS);
    s_wait_status(&sys, "/v1/me", token, 200, UP_WAIT_MS);
    r = h_http(&sys, "GET", "/v1/me", token, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "username")), name);
    assert_string_equal(json_string_value(json_object_get(r.json, "nickname")), "重启");
    h_resp_free(&r);

    /* Writes work again too. */
    char other[128], other_name[40];
    h_unique_name("after", other_name, sizeof other_name);
    h_register(&sys, other_name, "After", other, NULL);

    h_system_stop(&sys);
}

static void test_sigterm_stops_each_process_with_status_0(void **state)
{
    (void)state;
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    h_system_start(&sys, services, NULL);
    char token[128], name[40];
    h_unique_name("term", name, sizeof name);
    h_register(&sys, name, "Term", token, NULL);

    /* The gateway first, then auth (the order `scripts/pigeon down` uses). */
    int code = h_proc_stop(h_system_proc(&sys, "gateway"), 15000);
    assert_int_equal(code, 0);
    code = h_proc_stop(h_system_proc(&sys, "auth"), 15000);
    assert_int_equal(code, 0);
    h_system_stop(&sys);
}

static void test_sigterm_auth_while_gateway_runs(void **state)
{
    (void)state;
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    h_system_start(&sys, services, NULL);

    /* A graceful stop withdraws from the registry: the gateway sees 503. */
    int code = h_proc_stop(h_system_proc(&sys, "auth"), 15000);
    assert_int_equal(code, 0);
    s_wait_status(&sys, "/readyz", NULL, 503, DOWN_WAIT_MS);
    h_resp_t r =
        h_http(&sys, "POST", "/v1/auth/register", NULL,
               "{\"username\":\"late\",\"password\":\"good-password\",\"nickname\":\"L\"}", NULL);
    h_expect_error(&r, 503, "unavailable");
    h_resp_free(&r);

    h_system_restart_service(&sys, "auth");
    s_wait_status(&sys, "/readyz", NULL, 200, UP_WAIT_MS);
    h_system_stop(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_killed_auth_is_503_until_it_restarts),
        cmocka_unit_test(test_sigterm_stops_each_process_with_status_0),
        cmocka_unit_test(test_sigterm_auth_while_gateway_runs),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
