/* API.md's error body and reply helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reply.h"
#include "status.h"

static json_t *s_parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    assert_non_null(j);
    return j;
}

static void test_error_body_shape(void **state)
{
    char *body = gw_error_body(404, "no route for GET /v1/x");
    json_t *j = s_parse(body);
    assert_int_equal(json_object_size(j), 1);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "not_found");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "no route for GET /v1/x");
    json_decref(j);
    free(body);
}

static void test_error_codes(void **state)
{
    struct {
        int status;
        const char *code;
    } cases[] = {{400, "invalid_argument"}, {401, "unauthenticated"}, {413, "payload_too_large"},
                 {429, "rate_limited"},     {503, "unavailable"},     {504, "deadline_exceeded"},
                 {500, "internal"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = gw_error_body(cases[i].status, "m");
        json_t *j = s_parse(body);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "error"), "code")),
            cases[i].code);
        json_decref(j);
        free(body);
    }
}

static void test_error_body_bad_bytes_become_text(void **state)
{
    char *body = gw_error_body(404, "no route for GET /\xff\xfe\n");
    json_t *j = s_parse(body);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "no route for GET /???");
    json_decref(j);
    free(body);
}

static void test_reply_from_rpc_passes_status_and_retry_after(void **state)
{
    gw_reply_t r = {0};
    pc_rpc_reply_t rpc = {.status = PC_RATE_LIMITED, .error = "too many attempts",
                          .retry_after_s = 30};
    gw_reply_from_rpc(&r, &rpc);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after_s, 30);
    assert_non_null(strstr(r.body, "rate_limited"));
    assert_non_null(strstr(r.body, "too many attempts"));

    pc_rpc_reply_t down = {.status = PC_UNAVAILABLE, .error = NULL};
    gw_reply_from_rpc(&r, &down);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.retry_after_s, 0);
    assert_non_null(strstr(r.body, "\"unavailable\""));

    pc_rpc_reply_t odd = {.status = 299};
    gw_reply_from_rpc(&r, &odd);
    assert_int_equal(r.status, 500);
    gw_reply_clear(&r);
    assert_null(r.body);
}

static void test_reply_json_and_empty(void **state)
{
    gw_reply_t r = {0};
    gw_reply_json(&r, 201, json_pack("{s:i}", "a", 1));
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "{\"a\":1}");
    assert_int_equal(r.body_len, 7);
    gw_reply_empty(&r, 204);
    assert_int_equal(r.status, 204);
    assert_null(r.body);
    gw_reply_json(&r, 200, NULL);
    assert_int_equal(r.status, 500);
    gw_reply_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_body_shape),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_error_body_bad_bytes_become_text),
        cmocka_unit_test(test_reply_from_rpc_passes_status_and_retry_after),
        cmocka_unit_test(test_reply_json_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
