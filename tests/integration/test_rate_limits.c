/* test_rate_limits.c - register and login limits (API.md: 429 rate_limited
 * with Retry-After), on a system started with small limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <time.h>

#include "api_helpers.h"
#include "harness.h"

/* Rate limits count per whole UTC minute: true while the current minute has
 * at least 15 s left, enough for the attempts below to share one minute. */
static bool s_minute_has_room(void *arg)
{
    (void)arg;
    return time(NULL) % 60 < 45;
}

/* A system of its own with small limits. */
static void test_register_and_login_limits(void **state)
{
    (void)state;
    static const char *const env[] = {"PIGEON_RATE_LOGIN_PER_USER=3",
                                      "PIGEON_RATE_LOGIN_PER_IP=100000",
                                      "PIGEON_RATE_REGISTER_PER_IP=2", NULL};
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    h_system_start(&sys, services, env);
    assert_true(h_wait_until(s_minute_has_room, NULL, 20000));

    const char reg_rita[] =
        "{\"username\":\"rita\",\"password\":\"good-password\",\"nickname\":\"R\"}";
    const char reg_sam[] =
        "{\"username\":\"sam\",\"password\":\"good-password\",\"nickname\":\"S\"}";
    const char reg_tom[] =
        "{\"username\":\"tom\",\"password\":\"good-password\",\"nickname\":\"T\"}";
    h_resp_t r = h_http(&sys, "POST", "/v1/auth/register", NULL, reg_rita, NULL);
    h_expect_status(&r, 201);
    h_resp_free(&r);
    r = h_http(&sys, "POST", "/v1/auth/register", NULL, reg_sam, NULL);
    h_expect_status(&r, 201);
    h_resp_free(&r);

    /* Registrations per IP: the third in the minute is refused. */
    r = h_http(&sys, "POST", "/v1/auth/register", NULL, reg_tom, NULL);
    h_expect_error(&r, 429, "rate_limited");
    char *retry = h_resp_header(&r, "Retry-After");
    assert_non_null(retry);
    assert_true(atoi(retry) >= 1 && atoi(retry) <= 60);
    free(retry);
    h_resp_free(&r);

    /* Logins per user: three failures, then 429 even with the right password. */
    const char wrong[] = "{\"username\":\"rita\",\"password\":\"wrong-password\"}";
    const char right[] = "{\"username\":\"rita\",\"password\":\"good-password\"}";
    for (int i = 0; i < 3; i++) {
        r = h_http(&sys, "POST", "/v1/auth/login", NULL, wrong, NULL);
        h_expect_error(&r, 401, "unauthenticated");
        h_resp_free(&r);
    }
    const char *attempts[] = {wrong, right};
    for (size_t i = 0; i < 2; i++) {
        r = h_http(&sys, "POST", "/v1/auth/login", NULL, attempts[i], NULL);
        h_expect_error(&r, 429, "rate_limited");
        retry = h_resp_header(&r, "Retry-After");
        if (!retry)
            fail_msg("429 without Retry-After: %s", r.headers);
        assert_true(atoi(retry) >= 1 && atoi(retry) <= 60);
        free(retry);
        h_resp_free(&r);
    }
    /* The limit is per user: sam still logs in (and the user name's case does not
     * open a second window for rita). */
    r = h_http(&sys, "POST", "/v1/auth/login", NULL,
               "{\"username\":\"sam\",\"password\":\"good-password\"}", NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    r = h_http(&sys, "POST", "/v1/auth/login", NULL,
               "{\"username\":\"RITA\",\"password\":\"good-password\"}", NULL);
    h_expect_error(&r, 429, "rate_limited");
    h_resp_free(&r);

    h_system_stop(&sys);
}

/* The limit is over the last 60 s, not the current minute alone: attempts
 * counted in the previous minute still weigh on this one. Written straight
 * into auth.rate_limits (the minute before this one, far over the limit),
 * then one registration from that address is refused although this
 * minute has none yet; another address is not. */
static void test_previous_minute_still_counts(void **state)
{
    (void)state;
    static const char *const env[] = {"PIGEON_RATE_REGISTER_PER_IP=5",
                                      "PIGEON_TRUSTED_PROXIES=127.0.0.1", NULL};
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    h_system_start(&sys, services, env);
    /* at most 45 s into the minute: the previous minute weighs >= 25 % */
    assert_true(h_wait_until(s_minute_has_room, NULL, 20000));
    PGconn *db = PQconnectdb(sys.db_url);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    PGresult *res = PQexec(db, "INSERT INTO auth.rate_limits (key, window_start, hits)"
                               " VALUES ('register:ip:127.0.0.1',"
                               " date_trunc('minute', now(), 'UTC') - interval '1 minute', 100)");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("insert: %s", PQerrorMessage(db));
    PQclear(res);
    PQfinish(db);

    h_resp_t r =
        h_http(&sys, "POST", "/v1/auth/register", NULL,
               "{\"username\":\"uma\",\"password\":\"good-password\",\"nickname\":\"U\"}", NULL);
    h_expect_error(&r, 429, "rate_limited");
    h_resp_free(&r);
    /* another client address has its own window */
    const char *const from[] = {"X-Forwarded-For: 203.0.113.9", NULL};
    r = h_http(&sys, "POST", "/v1/auth/register", NULL,
               "{\"username\":\"una\",\"password\":\"good-password\",\"nickname\":\"U\"}", from);
    h_expect_status(&r, 201);
    h_resp_free(&r);
    h_system_stop(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_login_limits),
        cmocka_unit_test(test_previous_minute_still_counts),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
