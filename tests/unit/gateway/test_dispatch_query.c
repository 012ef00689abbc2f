/* Query parameters the handlers share (dispatch.h): text and a search's
 * limit, each refused with API.md's 400 rather than cut or guessed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "status.h"

/* One query parameter, "limit" or "q", with the given value (NULL: absent). */
typedef struct {
    const char *name;
    const char *value;
} s_query_t;

static const char *s_lookup(void *conn, const char *name)
{
    const s_query_t *q = conn;
    return q->name && strcmp(q->name, name) == 0 ? q->value : NULL;
}

static gw_request_t s_request(s_query_t *q)
{
    return (gw_request_t){.query = s_lookup, .conn = q};
}

static void test_limit_absent_is_the_default(void **state)
{
    (void)state;
    s_query_t q = {"q", "pigeon"};
    gw_request_t req = s_request(&q);
    gw_reply_t out = {0};
    uint32_t limit = 7;
    assert_int_equal(gw_query_limit(&req, &limit, &out), 0);
    assert_int_equal(limit, 0);
    assert_null(out.body);
}

static void test_limit_accepts_1_to_50(void **state)
{
    (void)state;
    const char *good[] = {"1", "9", "10", "49", "50", "05"};
    const uint32_t want[] = {1, 9, 10, 49, 50, 5};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        s_query_t q = {"limit", good[i]};
        gw_request_t req = s_request(&q);
        gw_reply_t out = {0};
        uint32_t limit = 0;
        assert_int_equal(gw_query_limit(&req, &limit, &out), 0);
        assert_int_equal(limit, want[i]);
        assert_null(out.body);
    }
}

static void test_limit_refuses_the_rest(void **state)
{
    (void)state;
    const char *bad[] = {"",   "0",  "00", "51", "99", "100", "050",
                         "-1", "+5", " 5", "5 ", "x",  "1e1", "4294967297"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_query_t q = {"limit", bad[i]};
        gw_request_t req = s_request(&q);
        gw_reply_t out = {0};
        uint32_t limit = 0;
        assert_int_equal(gw_query_limit(&req, &limit, &out), -1);
        assert_int_equal(out.status, PC_INVALID_ARGUMENT);
        assert_non_null(strstr(out.body, "must be an integer from 1 to 50"));
        gw_reply_clear(&out);
    }
}

static void test_text_refuses_bad_utf8_and_long_values(void **state)
{
    (void)state;
    char long_value[GW_QUERY_MAX + 2];
    memset(long_value, 'a', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    const char *bad[] = {"\xff", "ab\xc3", long_value};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_query_t q = {"q", bad[i]};
        gw_request_t req = s_request(&q);
        gw_reply_t out = {0};
        const char *v = NULL;
        assert_int_equal(gw_query_text(&req, "q", &v, &out), -1);
        assert_int_equal(out.status, PC_INVALID_ARGUMENT);
        gw_reply_clear(&out);
    }
    long_value[GW_QUERY_MAX] = '\0'; /* exactly the limit: accepted */
    s_query_t q = {"q", long_value};
    gw_request_t req = s_request(&q);
    gw_reply_t out = {0};
    const char *v = NULL;
    assert_int_equal(gw_query_text(&req, "q", &v, &out), 0);
    assert_ptr_equal(v, long_value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_absent_is_the_default),
        cmocka_unit_test(test_limit_accepts_1_to_50),
        cmocka_unit_test(test_limit_refuses_the_rest),
        cmocka_unit_test(test_text_refuses_bad_utf8_and_long_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
