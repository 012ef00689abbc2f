/* test_hist.c - pigeon-load's log-linear histogram: exact below 128,
 * within 1/64 above, percentiles by rank, merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "ld_hist.h"

static void test_percentiles_of_1_to_100_are_the_ranks(void **state)
{
    (void)state;
    ld_hist_t *h = malloc(sizeof *h);
    ld_hist_init(h);
    for (uint64_t v = 1; v <= 100; v++)
        ld_hist_record(h, v);
    assert_int_equal(ld_hist_percentile(h, 50), 50);
    assert_int_equal(ld_hist_percentile(h, 95), 95);
    assert_int_equal(ld_hist_percentile(h, 99), 99);
    assert_int_equal(ld_hist_percentile(h, 100), 100);
    assert_int_equal(ld_hist_percentile(h, 0), 1);
    assert_int_equal(h->count, 100);
    assert_true(ld_hist_mean(h) > 50.49 && ld_hist_mean(h) < 50.51);
    free(h);
}

static void test_an_empty_histogram_answers_zero(void **state)
{
    (void)state;
    ld_hist_t *h = malloc(sizeof *h);
    ld_hist_init(h);
    assert_int_equal(ld_hist_percentile(h, 99), 0);
    assert_true(ld_hist_mean(h) == 0.0);
    free(h);
}

static void test_every_value_falls_in_a_bucket_that_holds_it(void **state)
{
    (void)state;
    uint64_t vals[] = {0,
                       1,
                       127,
                       128,
                       129,
                       255,
                       256,
                       1000,
                       12345,
                       999999,
                       1ull << 40,
                       (1ull << 40) + 12345,
                       UINT64_MAX / 3,
                       UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int idx = ld_hist_index(vals[i]);
        assert_true(idx >= 0 && idx < LD_HIST_BUCKETS);
        assert_true(ld_hist_lowest(idx) <= vals[i]);
        assert_true(ld_hist_highest(idx) >= vals[i]);
        /* a bucket is at most 1/64 of its lowest value wide */
        uint64_t width = ld_hist_highest(idx) - ld_hist_lowest(idx);
        assert_true(width <= ld_hist_lowest(idx) / 64 + 1);
    }
}

static void test_buckets_are_contiguous(void **state)
{
    (void)state;
    for (int i = 1; i < LD_HIST_BUCKETS; i++)
        assert_int_equal(ld_hist_lowest(i), ld_hist_highest(i - 1) + 1);
    assert_int_equal(ld_hist_highest(LD_HIST_BUCKETS - 1), UINT64_MAX);
}

static void test_large_values_are_reported_within_two_percent(void **state)
{
    (void)state;
    ld_hist_t *h = malloc(sizeof *h);
    ld_hist_init(h);
    for (uint64_t v = 1000; v < 101000; v += 1000) /* 1 ms .. 100 ms in us */
        ld_hist_record(h, v);
    uint64_t p99 = ld_hist_percentile(h, 99);
    assert_true(p99 >= 99000 && p99 <= 99000 + 99000 / 50);
    assert_int_equal(ld_hist_percentile(h, 100), 100000);
    free(h);
}

static void test_merge_adds_counts_and_extremes(void **state)
{
    (void)state;
    ld_hist_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    ld_hist_init(a);
    ld_hist_init(b);
    ld_hist_record(a, 5);
    ld_hist_record(b, 500000);
    ld_hist_record(b, 7);
    ld_hist_merge(a, b);
    assert_int_equal(a->count, 3);
    assert_int_equal(a->min, 5);
    assert_int_equal(a->max, 500000);
    assert_int_equal(ld_hist_percentile(a, 50), 7);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_of_1_to_100_are_the_ranks),
        cmocka_unit_test(test_an_empty_histogram_answers_zero),
        cmocka_unit_test(test_every_value_falls_in_a_bucket_that_holds_it),
        cmocka_unit_test(test_buckets_are_contiguous),
        cmocka_unit_test(test_large_values_are_reported_within_two_percent),
        cmocka_unit_test(test_merge_adds_counts_and_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
