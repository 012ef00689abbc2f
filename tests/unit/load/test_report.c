/* test_report.c - pigeon-load's verdict on a run (its exit status) and the
 * Markdown tables of a benchmark's JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ld_report.h"

/* The verdict on one JSON line; why is kept for the assertions. */
static int s_verdict(const char *line, bool ran, char *why, size_t len)
{
    json_t *run = json_loads(line, 0, NULL);
    assert_non_null(run);
    int rc = ld_report_verdict(run, ran, why, len);
    json_decref(run);
    return rc;
}

static void test_a_clean_pairs_run_is_correct(void **state)
{
    (void)state;
    char why[200];
    assert_int_equal(s_verdict("{\"scenario\":\"pairs\",\"sync_failed\":0,\"sent\":10,"
                               "\"acked\":10,\"push_missed\":2,\"unacked\":1,\"errors\":1,"
                               "\"lost\":0,\"duplicated\":0,\"gaps\":0,\"not_in_history\":0,"
                               "\"ws_events_dropped\":2.0}",
                               true, why, sizeof why),
                     LD_EXIT_OK);
    assert_string_equal(why, "correct");
}

static void test_any_loss_duplicate_gap_or_missing_row_is_wrong(void **state)
{
    (void)state;
    char why[200];
    const char *lines[] = {
        "{\"scenario\":\"pairs\",\"lost\":1,\"duplicated\":0,\"gaps\":0,\"not_in_history\":1}",
        "{\"scenario\":\"group\",\"lost\":0,\"duplicated\":2,\"gaps\":0,\"not_in_history\":0}",
        "{\"scenario\":\"pairs\",\"lost\":0,\"duplicated\":0,\"gaps\":1,\"not_in_history\":0}",
        "{\"scenario\":\"group\",\"lost\":0,\"duplicated\":0,\"gaps\":0,\"not_in_history\":3}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_int_equal(s_verdict(lines[i], true, why, sizeof why), LD_EXIT_WRONG);
    s_verdict(lines[0], true, why, sizeof why);
    assert_string_equal(why, "1 lost, 0 duplicated, 0 gaps, 1 not in the history");
}

static void test_a_run_that_could_not_run_or_be_checked_is_unchecked(void **state)
{
    (void)state;
    char why[200];
    assert_int_equal(s_verdict("{\"scenario\":\"pairs\",\"error\":\"not every WebSocket became "
                               "ready\"}",
                               false, why, sizeof why),
                     LD_EXIT_UNCHECKED);
    assert_string_equal(why, "could not run: not every WebSocket became ready");
    assert_int_equal(s_verdict("{\"scenario\":\"login\",\"failed\":3}", false, why, sizeof why),
                     LD_EXIT_UNCHECKED);
    /* the losses of a run whose sync failed are not known: unchecked, not wrong */
    assert_int_equal(
        s_verdict("{\"scenario\":\"pairs\",\"sync_failed\":1,\"lost\":4}", true, why, sizeof why),
        LD_EXIT_UNCHECKED);
}

static void test_runs_without_messages_and_skipped_groups_pass(void **state)
{
    (void)state;
    char why[200];
    assert_int_equal(
        s_verdict("{\"scenario\":\"connections\",\"ready\":10}", true, why, sizeof why),
        LD_EXIT_OK);
    assert_int_equal(s_verdict("{\"scenario\":\"group\",\"skipped\":\"POST /v1/groups is not "
                               "available (HTTP 404)\"}",
                               true, why, sizeof why),
                     LD_EXIT_OK);
}

static void test_the_tables_show_whether_a_run_was_correct(void **state)
{
    (void)state;
    char in[] = "{\"scenario\":\"pairs\",\"users\":2,\"lost\":0,\"ok\":true}\n"
                "{\"scenario\":\"pairs\",\"users\":2,\"lost\":1,\"ok\":false}\n",
         out[4096] = {0};
    FILE *fi = fmemopen(in, strlen(in), "r"), *fo = fmemopen(out, sizeof out - 1, "w");
    assert_non_null(fi);
    assert_non_null(fo);
    assert_int_equal(ld_report(fi, fo), 2);
    fclose(fi);
    fclose(fo);
    assert_non_null(strstr(out, "| ok |"));
    assert_non_null(strstr(out, " 0 | - | - | - | - | yes |\n"));
    assert_non_null(strstr(out, " 1 | - | - | - | - | no |\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_clean_pairs_run_is_correct),
        cmocka_unit_test(test_any_loss_duplicate_gap_or_missing_row_is_wrong),
        cmocka_unit_test(test_a_run_that_could_not_run_or_be_checked_is_unchecked),
        cmocka_unit_test(test_runs_without_messages_and_skipped_groups_pass),
        cmocka_unit_test(test_the_tables_show_whether_a_run_was_correct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
