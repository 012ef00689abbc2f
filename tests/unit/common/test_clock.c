/* test_clock.c - wall and monotonic time, RFC 3339 formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void test_formats_utc_with_milliseconds(void **state)
{
    char buf[32];
    /* 2026-11-25T20:39:03.123456Z */
    pc_time_rfc3339(INT64_C(1795639143123456), buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T20:39:03.123Z");
}

static void test_epoch_and_before(void **state)
{
    char buf[32];
    pc_time_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    pc_time_rfc3339(-1000, buf, sizeof buf); /* one millisecond before the epoch */
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

/* The arithmetic date against the C library's, across leap days, century
 * years and both sides of the epoch. */
static void test_agrees_with_gmtime(void **state)
{
    char want[64], got[32];
    int64_t step = INT64_C(86400) * 1000000 / 7 + 12345; /* drifts through the hours */
    for (int64_t us = INT64_C(-2208988800) * 1000000; us < INT64_C(7258118400) * 1000000;
         us += step) {
        int64_t secs = us / 1000000, rem = us % 1000000;
        if (rem < 0) {
            rem += 1000000;
            secs -= 1;
        }
        time_t t = (time_t)secs;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rem / 1000));
        pc_time_rfc3339(us, got, sizeof got);
        assert_string_equal(got, want);
    }
    pc_time_rfc3339(INT64_C(951782400) * 1000000, got, sizeof got); /* a leap day */
    assert_string_equal(got, "2000-02-29T00:00:00.000Z");
    pc_time_rfc3339(INT64_C(4107542400) * 1000000 - 1, got, sizeof got); /* 2100 is not leap */
    assert_string_equal(got, "2100-02-28T23:59:59.999Z");
}

static void test_years_outside_four_digits_are_clamped(void **state)
{
    char buf[32];
    pc_time_rfc3339(INT64_MIN, buf, sizeof buf);
    assert_string_equal(buf, "0000-01-01T00:00:00.000Z");
    pc_time_rfc3339(INT64_MAX, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
    pc_time_rfc3339(INT64_C(253402300800) * 1000000, buf, sizeof buf); /* 10000-01-01 */
    assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
    pc_time_rfc3339(INT64_C(-62167219200) * 1000000, buf, sizeof buf); /* 0000-01-01 */
    assert_string_equal(buf, "0000-01-01T00:00:00.000Z");
}

static void test_small_buffer_is_cut_not_overrun(void **state)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    pc_time_rfc3339(0, buf, sizeof buf);
    assert_int_equal(strlen(buf), 7);
    assert_string_equal(buf, "1970-01");
}

static void test_now_is_recent_and_monotonic_advances(void **state)
{
    int64_t now = pc_now_us();
    assert_true(now > INT64_C(1700000000) * 1000000); /* after Nov 2023 */
    int64_t a = pc_mono_ms();
    int64_t b = pc_mono_ms();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_utc_with_milliseconds),
        cmocka_unit_test(test_epoch_and_before),
        cmocka_unit_test(test_agrees_with_gmtime),
        cmocka_unit_test(test_years_outside_four_digits_are_clamped),
        cmocka_unit_test(test_small_buffer_is_cut_not_overrun),
        cmocka_unit_test(test_now_is_recent_and_monotonic_advances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
