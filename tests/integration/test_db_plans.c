/* test_db_plans.c - how a connection plans its prepared statements, against
 * a real PostgreSQL: per execution unless it asked for generic plans
 * (pc_db_use_generic_plans), and the same again after a reconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "harness.h"

/* SHOW plan_cache_mode on db, through a prepared statement like the
 * services' own. */
static void s_expect_mode(pc_db_t *db, const char *want)
{
    pc_status_t status;
    PGresult *res =
        pc_db_query_prepared(db, &status, "test_show_plans", "SHOW plan_cache_mode", 0, NULL);
    if (res == NULL)
        fail_msg("SHOW plan_cache_mode failed (%d)", status);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), want);
    PQclear(res);
}

/* A connection to a fresh database; its URL into url. */
static pc_db_t *s_open(char *url, size_t size, const char *name)
{
    h_db_create(url, size);
    pc_db_t *db = pc_db_new(url, name, 10000);
    assert_non_null(db);
    return db;
}

static void test_plans_per_execution_by_default(void **state)
{
    (void)state;
    char url[512];
    pc_db_t *db = s_open(url, sizeof url, "pigeon-test-plans");
    s_expect_mode(db, "force_custom_plan");
    pc_db_destroy(&db);
}

static void test_generic_plans_when_asked_and_after_reconnect(void **state)
{
    (void)state;
    char url[512];
    pc_db_t *db = s_open(url, sizeof url, "pigeon-test-plans-generic");
    pc_db_use_generic_plans(db);
    s_expect_mode(db, "force_generic_plan");

    /* The server ends the session; the next query reconnects and must
     * set the mode again. */
    pc_db_t *admin = pc_db_new(url, "pigeon-test-plans-admin", 10000);
    assert_non_null(admin);
    pc_status_t status;
    PGresult *res = pc_db_query(admin, &status,
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = 'pigeon-test-plans-generic'",
                                0, NULL);
    assert_non_null(res);
    PQclear(res);
    pc_db_destroy(&admin);
    /* The lost session shows at the first query; the next ones reconnect
     * after the backoff. Bounded: 5 s. */
    int64_t deadline = pc_mono_ms() + 5000;
    while ((res = pc_db_query(db, &status, "SELECT 1", 0, NULL)) == NULL && pc_mono_ms() < deadline)
        usleep(20 * 1000);
    assert_non_null(res);
    PQclear(res);
    s_expect_mode(db, "force_generic_plan");
    pc_db_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plans_per_execution_by_default),
        cmocka_unit_test(test_generic_plans_when_asked_and_after_reconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
