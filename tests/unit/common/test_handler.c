/* test_handler.c - the shared handler steps, through a real server and
 * client: a call without a caller is answered 401, with one it goes on; a
 * request is unpacked only for a caller, and a malformed one is answered
 * 400; a store failure becomes 503, 504 or 500 with the step named in the
 * text. No database: these methods are reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "fixture_rpc.h"
#include "handler.h"
#include "rpc_client.h"
#include "rpc_server.h"
#include "status.h"

/* Answers with the caller's id in Reply.status. */
static int h_whoami(pc_call_t *c)
{
    int64_t me = pc_handler_caller(c);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    Pigeon__Reply out = PIGEON__REPLY__INIT;
    out.status = (uint32_t)me;
    return pc_call_reply(c, PC_OK, &out.base);
}

/* Takes a whole Request as its body (proto2: an empty body lacks the
 * required fields) and answers with the caller's id in Reply.status and the
 * request's method in Reply.request_id. */
static int h_request(pc_call_t *c)
{
    int64_t me;
    int st;
    Pigeon__Request *in = pc_handler_request(c, &pigeon__request__descriptor, &me, &st);
    if (in == NULL)
        return st;
    Pigeon__Reply out = PIGEON__REPLY__INIT;
    out.request_id = in->method;
    out.status = (uint32_t)me;
    return pc_call_reply(c, PC_OK, &out.base);
}

/* Fails as a store would with the status named by Request.deadline_ms. */
static int h_fail(pc_call_t *c)
{
    Pigeon__Request *in = pc_call_unpack(c, &pigeon__request__descriptor);
    if (in == NULL)
        return pc_call_error(c, PC_INVALID_ARGUMENT, "malformed body");
    return pc_handler_store_failed(c, (int)in->deadline_ms, "read the thing");
}

static const pc_method_t s_methods[] = {
    {"h.whoami", h_whoami, PC_METHOD_READ, NULL},
    {"h.request", h_request, PC_METHOD_READ, NULL},
    {"h.fail", h_fail, PC_METHOD_READ, NULL},
};

static int setup_h(void **state)
{
    static fixture_t f;
    if (fixture_start(&f, "h", s_methods, sizeof s_methods / sizeof s_methods[0], 1) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown_h(void **state)
{
    fixture_stop(*state);
    return 0;
}

static void test_no_caller_is_unauthenticated(void **state)
{
    fixture_t *f = *state;
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, NULL, "h.whoami", NULL, &reply), PC_UNAUTHENTICATED);
    assert_non_null(reply.error);
    assert_string_equal(reply.error, "authentication required");
    pc_rpc_reply_clear(&reply);
}

static void test_caller_goes_through(void **state)
{
    fixture_t *f = *state;
    pc_rpc_opts_t o = {.caller_id = 7};
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, &o, "h.whoami", NULL, &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_int_equal(out->status, 7);
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

/* The status and text a call of `method` by `caller` (0: none) with an
 * empty body is answered with. */
static void expect_refused(fixture_t *f, int64_t caller, const char *method, int want,
                           const char *text)
{
    pc_rpc_opts_t o = {.caller_id = caller};
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, &o, method, NULL, &reply), want);
    assert_non_null(reply.error);
    assert_string_equal(reply.error, text);
    pc_rpc_reply_clear(&reply);
}

/* No caller: 401 before the body is looked at (an empty one is malformed). */
static void test_request_no_caller(void **state)
{
    expect_refused(*state, 0, "h.request", PC_UNAUTHENTICATED, "authentication required");
}

static void test_request_malformed(void **state)
{
    expect_refused(*state, 7, "h.request", PC_INVALID_ARGUMENT, "malformed request");
}

static void test_request_goes_through(void **state)
{
    fixture_t *f = *state;
    pc_rpc_opts_t o = {.caller_id = 7};
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "inner";
    in.method = "h.inner";
    in.deadline_ms = 1;
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, &o, "h.request", &in.base, &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_int_equal(out->status, 7);
    assert_string_equal(out->request_id, "h.inner");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

/* The status and text a store failure with `status` is answered with. */
static void expect_failure(fixture_t *f, int status, int want, const char *text)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.deadline_ms = (uint32_t)status;
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, NULL, "h.fail", &in.base, &reply), want);
    assert_non_null(reply.error);
    assert_string_equal(reply.error, text);
    pc_rpc_reply_clear(&reply);
}

static void test_store_failures(void **state)
{
    fixture_t *f = *state;
    expect_failure(f, PC_UNAVAILABLE, PC_UNAVAILABLE,
                   "could not read the thing: the database is unavailable");
    expect_failure(f, PC_INTERNAL, PC_INTERNAL, "could not read the thing");
    /* a constraint or any other status must not leak to the client as is */
    expect_failure(f, PC_CONFLICT, PC_INTERNAL, "could not read the thing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_caller_is_unauthenticated, setup_h, teardown_h),
        cmocka_unit_test_setup_teardown(test_caller_goes_through, setup_h, teardown_h),
        cmocka_unit_test_setup_teardown(test_request_no_caller, setup_h, teardown_h),
        cmocka_unit_test_setup_teardown(test_request_malformed, setup_h, teardown_h),
        cmocka_unit_test_setup_teardown(test_request_goes_through, setup_h, teardown_h),
        cmocka_unit_test_setup_teardown(test_store_failures, setup_h, teardown_h),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
