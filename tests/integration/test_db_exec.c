/* test_db_exec.c - pc_db_exec_rows against a real PostgreSQL: the rows an
 * INSERT, UPDATE or DELETE touched, which the stores read as "changed"
 * (a block that was already there, a request decided twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db.h"
#include "harness.h"

static pc_db_t *s_open(void)
{
    char url[512];
    h_db_create(url, sizeof url);
    pc_db_t *db = pc_db_new(url, "pigeon-test-exec", 10000);
    assert_non_null(db);
    assert_int_equal(pc_db_exec(db, "CREATE TABLE t (id int8 PRIMARY KEY, v text)", 0, NULL),
                     PC_OK);
    return db;
}

static long s_rows(pc_db_t *db, const char *sql, const char *a, const char *b)
{
    const char *params[] = {a, b};
    long rows = -1;
    assert_int_equal(pc_db_exec_rows(db, sql, b ? 2 : 1, params, &rows), PC_OK);
    return rows;
}

static void test_rows_counts_what_a_statement_touched(void **state)
{
    (void)state;
    pc_db_t *db = s_open();
    const char *ins = "INSERT INTO t (id, v) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING";
    assert_int_equal(s_rows(db, ins, "1", "a"), 1);
    assert_int_equal(s_rows(db, ins, "1", "a"), 0); /* already there: not changed */
    assert_int_equal(s_rows(db, ins, "2", "b"), 1);
    assert_int_equal(s_rows(db, "UPDATE t SET v = $2 WHERE id >= $1", "1", "c"), 2);
    assert_int_equal(s_rows(db, "UPDATE t SET v = $2 WHERE id = $1", "9", "c"), 0);
    assert_int_equal(s_rows(db, "DELETE FROM t WHERE id = $1", "1", NULL), 1);
    assert_int_equal(s_rows(db, "DELETE FROM t WHERE id = $1", "1", NULL), 0);
    pc_db_destroy(&db);
}

static void test_rows_is_zero_when_the_statement_fails(void **state)
{
    (void)state;
    pc_db_t *db = s_open();
    const char *params[] = {"x"};
    long rows = -1;
    assert_int_not_equal(
        pc_db_exec_rows(db, "INSERT INTO t (id) VALUES ($1::int8)", 1, params, &rows), PC_OK);
    assert_int_equal(rows, 0);
    pc_db_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_counts_what_a_statement_touched),
        cmocka_unit_test(test_rows_is_zero_when_the_statement_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
