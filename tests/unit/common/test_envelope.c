/* test_envelope.c - RPC envelopes: round trips, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static void test_request_round_trip(void **state)
{
    uint8_t body[] = {1, 2, 3, 0, 5};
    Pigeon__Request req = PIGEON__REQUEST__INIT;
    req.request_id = "0123456789abcdef0123456789abcdef";
    req.method = "auth.login";
    req.has_caller_id = 1;
    req.caller_id = 42;
    req.deadline_ms = 1500;
    req.trace_id = "trace-1";
    req.has_body = 1;
    req.body.data = body;
    req.body.len = sizeof body;

    size_t len;
    uint8_t *bytes = pc_envelope_pack_request(&req, &len);
    assert_non_null(bytes);
    Pigeon__Request *got = pc_envelope_unpack_request(bytes, len);
    assert_non_null(got);
    assert_string_equal(got->request_id, req.request_id);
    assert_string_equal(got->method, "auth.login");
    assert_int_equal(got->caller_id, 42);
    assert_int_equal(got->deadline_ms, 1500);
    assert_string_equal(got->trace_id, "trace-1");
    assert_int_equal(got->body.len, sizeof body);
    assert_memory_equal(got->body.data, body, sizeof body);
    pc_envelope_free_request(&got);
    assert_null(got);
    free(bytes);
}

static void test_reply_round_trip(void **state)
{
    size_t len;
    uint8_t *bytes =
        pc_envelope_build_reply("abc", 429, "slow down", (const uint8_t *)"xy", 2, 30, &len);
    assert_non_null(bytes);
    Pigeon__Reply *rep = pc_envelope_unpack_reply(bytes, len);
    assert_non_null(rep);
    assert_string_equal(rep->request_id, "abc");
    assert_int_equal(rep->status, 429);
    assert_string_equal(rep->error_message, "slow down");
    assert_int_equal(rep->body.len, 2);
    assert_int_equal(rep->retry_after_s, 30);
    pc_envelope_free_reply(&rep);
    free(bytes);

    /* A success with no body and no error. */
    bytes = pc_envelope_build_reply("abc", 200, NULL, NULL, 0, 0, &len);
    rep = pc_envelope_unpack_reply(bytes, len);
    assert_non_null(rep);
    assert_int_equal(rep->status, 200);
    assert_null(rep->error_message);
    assert_false(rep->has_body);
    assert_false(rep->has_retry_after_s);
    pc_envelope_free_reply(&rep);
    free(bytes);
}

static void test_garbage_is_refused(void **state)
{
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
    assert_null(pc_envelope_unpack_request(junk, sizeof junk));
    assert_null(pc_envelope_unpack_reply(junk, sizeof junk));
    assert_null(pc_envelope_unpack_request(junk, 0));
    assert_null(pc_envelope_unpack_request(NULL, 5));

    /* Well-formed protobuf, but the required method is missing. */
    Pigeon__Reply rep = PIGEON__REPLY__INIT;
    rep.request_id = "abc";
    size_t len;
    uint8_t *bytes = pc_envelope_pack_reply(&rep, &len);
    assert_null(pc_envelope_unpack_request(bytes, len));
    free(bytes);
}

static void test_invalid_fields_are_refused(void **state)
{
    Pigeon__Request req = PIGEON__REQUEST__INIT;
    req.request_id = "has space";
    req.method = "auth.login";
    size_t len;
    uint8_t *bytes = pc_envelope_pack_request(&req, &len);
    assert_null(pc_envelope_unpack_request(bytes, len));
    free(bytes);

    req.request_id = "ok";
    req.method = "";
    bytes = pc_envelope_pack_request(&req, &len);
    assert_null(pc_envelope_unpack_request(bytes, len));
    free(bytes);

    char long_id[PC_REQUEST_ID_MAX + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_false(pc_envelope_valid_id(long_id));
    long_id[PC_REQUEST_ID_MAX] = '\0';
    assert_true(pc_envelope_valid_id(long_id));
    assert_false(pc_envelope_valid_id("tab\there"));
    assert_false(pc_envelope_valid_id(""));
}

static void test_oversize_is_refused(void **state)
{
    /* The size check comes before any parsing. */
    size_t big = PC_ENVELOPE_MAX_BYTES + 1;
    uint8_t *buf = calloc(1, big);
    assert_non_null(buf);
    assert_null(pc_envelope_unpack_request(buf, big));
    assert_null(pc_envelope_unpack_reply(buf, big));

    size_t len = 123;
    assert_null(pc_envelope_build_reply("abc", 200, NULL, buf, big, 0, &len));
    assert_int_equal(len, 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_garbage_is_refused),
        cmocka_unit_test(test_invalid_fields_are_refused),
        cmocka_unit_test(test_oversize_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
