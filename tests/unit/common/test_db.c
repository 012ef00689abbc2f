/* test_db.c - a database that is not there: fast PC_UNAVAILABLE, never a hang;
 * the store helpers that need no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "log.h"

/* A loopback port with nothing listening: bind one, note it, close it. */
static int s_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static pc_db_t *s_down_db(void)
{
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=pigeon user=pigeon",
             s_closed_port());
    pc_db_t *db = pc_db_new(conninfo, "pigeon-test", 1000);
    assert_non_null(db);
    return db;
}

static void test_query_while_down_answers_unavailable(void **state)
{
    pc_db_t *db = s_down_db();
    const char *params[] = {"alice"};
    pc_status_t status = PC_OK;
    PGresult *res =
        pc_db_query(db, &status, "SELECT id FROM auth.users WHERE username = $1", 1, params);
    assert_null(res);
    assert_int_equal(status, PC_UNAVAILABLE);
    assert_string_equal(pc_db_last_sqlstate(db), "08006");
    assert_false(pc_db_in_transaction(db));
    pc_db_destroy(&db);
    assert_null(db);
}

static void test_repeated_calls_stay_fast(void **state)
{
    pc_db_t *db = s_down_db();
    int64_t start = pc_mono_ms();
    for (int i = 0; i < 1000; i++) {
        pc_status_t status = PC_OK;
        PGresult *res = pc_db_query(db, &status, "SELECT 1", 0, NULL);
        assert_null(res);
        assert_int_equal(status, PC_UNAVAILABLE);
        assert_false(pc_db_ensure(db));
        assert_null(pc_db_conn(db));
    }
    assert_int_equal(pc_db_begin(db), PC_UNAVAILABLE);
    assert_int_equal(pc_db_commit(db), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - start < 3000);
    pc_db_destroy(&db);
}

static void test_rollback_is_safe_when_down(void **state)
{
    pc_db_t *db = s_down_db();
    pc_db_rollback(db); /* never connected */
    pc_status_t status;
    assert_null(pc_db_query(db, &status, "SELECT 1", 0, NULL));
    pc_db_rollback(db); /* down, in backoff */
    pc_db_rollback(db);
    assert_false(pc_db_in_transaction(db));
    assert_null(pc_db_exec_script(db, &status, "SELECT 1; SELECT 2"));
    assert_int_equal(status, PC_UNAVAILABLE);
    pc_db_destroy(&db);
    pc_db_destroy(&db); /* NULL is fine */
}

static void test_exec_while_down_answers_unavailable(void **state)
{
    pc_db_t *db = s_down_db();
    pc_db_num_t id = pc_db_num(7);
    const char *params[] = {id.s};
    assert_int_equal(pc_db_exec(db, "DELETE FROM auth.users WHERE id = $1", 1, params),
                     PC_UNAVAILABLE);
    pc_db_destroy(&db);
}

static void test_exec_rows_while_down_answers_unavailable_and_zero(void **state)
{
    pc_db_t *db = s_down_db();
    pc_db_num_t id = pc_db_num(7);
    const char *params[] = {id.s};
    long rows = -1;
    assert_int_equal(pc_db_exec_rows(db, "DELETE FROM auth.users WHERE id = $1", 1, params, &rows),
                     PC_UNAVAILABLE);
    assert_int_equal(rows, 0);
    pc_db_destroy(&db);
}

static void test_num_holds_any_int64(void **state)
{
    assert_string_equal(pc_db_num(0).s, "0");
    assert_string_equal(pc_db_num(42).s, "42");
    assert_string_equal(pc_db_num(INT64_MAX).s, "9223372036854775807");
    assert_string_equal(pc_db_num(INT64_MIN).s, "-9223372036854775808");
}

static void test_int8_array_literal(void **state)
{
    char *s = pc_db_int8_array(NULL, 0);
    assert_string_equal(s, "{}");
    free(s);
    const int64_t ids[] = {1, -2, INT64_MIN, INT64_MAX};
    s = pc_db_int8_array(ids, 4);
    assert_string_equal(s, "{1,-2,-9223372036854775808,9223372036854775807}");
    free(s);
}

static void test_text_array_literal(void **state)
{
    char *s = pc_db_text_array(NULL, 0);
    assert_string_equal(s, "{}");
    free(s);
    /* Quotes and backslashes escaped; braces, commas, spaces and UTF-8 kept. */
    const char *v[] = {"plain", NULL, "say \"hi\"", "a\\b", "{x, y}", "", "NULL", "\xe4\xbd\xa0"};
    s = pc_db_text_array(v, sizeof v / sizeof v[0]);
    assert_string_equal(
        s,
        "{\"plain\",NULL,\"say \\\"hi\\\"\",\"a\\\\b\",\"{x, y}\",\"\",\"NULL\",\"\xe4\xbd\xa0\"}");
    free(s);
    /* Decimal strings for an int8[] parameter. */
    pc_db_num_t a = pc_db_num(7), b = pc_db_num(INT64_MIN);
    const char *nums[] = {a.s, NULL, b.s};
    s = pc_db_text_array(nums, 3);
    assert_string_equal(s, "{\"7\",NULL,\"-9223372036854775808\"}");
    free(s);
}

static void test_prepared_while_down_answers_unavailable(void **state)
{
    pc_db_t *db = s_down_db();
    const char *params[] = {"alice"};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query_prepared(
        db, &status, "t_user", "SELECT id FROM auth.users WHERE username = $1", 1, params);
    assert_null(res);
    assert_int_equal(status, PC_UNAVAILABLE);
    pc_db_destroy(&db);
}

int main(void)
{
    /* Outage lines are expected here; keep the test output readable. */
    pc_log_init("test", "test-1", PC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_while_down_answers_unavailable),
        cmocka_unit_test(test_repeated_calls_stay_fast),
        cmocka_unit_test(test_rollback_is_safe_when_down),
        cmocka_unit_test(test_exec_while_down_answers_unavailable),
        cmocka_unit_test(test_exec_rows_while_down_answers_unavailable_and_zero),
        cmocka_unit_test(test_num_holds_any_int64),
        cmocka_unit_test(test_int8_array_literal),
        cmocka_unit_test(test_text_array_literal),
        cmocka_unit_test(test_prepared_while_down_answers_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
