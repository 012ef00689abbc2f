/* test_clock.c - wall and monotonic time, RFC 3339 formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

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
        cmocka_unit_test(test_small_buffer_is_cut_not_overrun),
        cmocka_unit_test(test_now_is_recent_and_monotonic_advances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
