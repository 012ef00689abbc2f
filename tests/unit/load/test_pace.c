/* test_pace.c - pigeon-load's open-loop schedule: the first message is due
 * at once, message i at i / rate, never a whole interval late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ld_pace.h"

static void test_first_message_is_due_at_once(void **state)
{
    (void)state;
    assert_int_equal(ld_pace_due(0, 1), 1);
    assert_int_equal(ld_pace_due(0, 5000), 1);
    assert_int_equal(ld_pace_at(0, 20), 0);
}

static void test_message_i_is_due_at_i_over_rate(void **state)
{
    (void)state;
    /* 20/s: one every 50 ms */
    assert_int_equal(ld_pace_due(49999, 20), 1);
    assert_int_equal(ld_pace_due(50000, 20), 2);
    assert_int_equal(ld_pace_due(999999, 20), 20);
    assert_int_equal(ld_pace_due(1000000, 20), 21);
    assert_int_equal(ld_pace_at(1, 20), 50000);
    assert_int_equal(ld_pace_at(20, 20), 1000000);
    /* whatever the rate, a message is sent within a microsecond of being
     * due (ld_pace_at rounds down to whole microseconds) */
    for (uint64_t i = 0; i < 1000; i++)
        assert_true(ld_pace_due(ld_pace_at(i, 1437) + 1, 1437) > i);
}

static void test_no_rate_no_messages(void **state)
{
    (void)state;
    assert_int_equal(ld_pace_due(1000000, 0), 0);
    assert_int_equal(ld_pace_at(3, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_message_is_due_at_once),
        cmocka_unit_test(test_message_i_is_due_at_i_over_rate),
        cmocka_unit_test(test_no_rate_no_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
