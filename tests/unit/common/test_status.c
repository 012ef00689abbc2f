/* test_status.c - API.md's error model: codes and classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "status.h"

static void test_codes_follow_api_md(void **state)
{
    assert_string_equal(pc_status_code(PC_NOT_FOUND), "not_found");
    assert_string_equal(pc_status_code(PC_INVALID_ARGUMENT), "invalid_argument");
    assert_string_equal(pc_status_code(PC_UNAUTHENTICATED), "unauthenticated");
    assert_string_equal(pc_status_code(PC_FORBIDDEN), "forbidden");
    assert_string_equal(pc_status_code(PC_CONFLICT), "conflict");
    assert_string_equal(pc_status_code(PC_PAYLOAD_TOO_LARGE), "payload_too_large");
    assert_string_equal(pc_status_code(PC_UNSUPPORTED_MEDIA_TYPE), "unsupported_media_type");
    assert_string_equal(pc_status_code(PC_RANGE_NOT_SATISFIABLE), "range_not_satisfiable");
    assert_string_equal(pc_status_code(PC_RATE_LIMITED), "rate_limited");
    assert_string_equal(pc_status_code(PC_UNAVAILABLE), "unavailable");
    assert_string_equal(pc_status_code(PC_DEADLINE_EXCEEDED), "deadline_exceeded");
    assert_string_equal(pc_status_code(PC_INTERNAL), "internal");
}

static void test_successes_say_ok(void **state)
{
    assert_string_equal(pc_status_code(PC_OK), "ok");
    assert_string_equal(pc_status_code(PC_CREATED), "ok");
    assert_string_equal(pc_status_code(PC_NOT_MODIFIED), "ok");
}

static void test_unknown_numbers_are_internal(void **state)
{
    assert_string_equal(pc_status_code(0), "internal");
    assert_string_equal(pc_status_code(418), "internal");
    assert_string_equal(pc_status_code(-1), "internal");
    assert_false(pc_status_is_known(418));
    assert_false(pc_status_is_known(0));
    assert_true(pc_status_is_known(PC_DEADLINE_EXCEEDED));
    assert_true(pc_status_is_known(PC_PARTIAL_CONTENT));
}

static void test_success_class(void **state)
{
    assert_true(pc_status_is_success(PC_OK));
    assert_true(pc_status_is_success(PC_NO_CONTENT));
    assert_true(pc_status_is_success(PC_PARTIAL_CONTENT));
    assert_true(pc_status_is_success(PC_NOT_MODIFIED));
    assert_false(pc_status_is_success(PC_INVALID_ARGUMENT));
    assert_false(pc_status_is_success(PC_INTERNAL));
}

static void test_replayable_excludes_5xx_and_429(void **state)
{
    assert_true(pc_status_is_replayable(PC_CREATED));
    assert_true(pc_status_is_replayable(PC_CONFLICT));
    assert_true(pc_status_is_replayable(PC_FORBIDDEN));
    assert_false(pc_status_is_replayable(PC_RATE_LIMITED));
    assert_false(pc_status_is_replayable(PC_INTERNAL));
    assert_false(pc_status_is_replayable(PC_UNAVAILABLE));
    assert_false(pc_status_is_replayable(PC_DEADLINE_EXCEEDED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_follow_api_md),
        cmocka_unit_test(test_successes_say_ok),
        cmocka_unit_test(test_unknown_numbers_are_internal),
        cmocka_unit_test(test_success_class),
        cmocka_unit_test(test_replayable_excludes_5xx_and_429),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
