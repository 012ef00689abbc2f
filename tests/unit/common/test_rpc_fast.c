/* test_rpc_fast.c - fast handlers (pc_method_t.fast): answered or deferred
 * on the broker without a worker, or declined to one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "fixture_rpc.h"

/* --- fast handlers (pc_method_t.fast) ------------------------------------- */

static int call_text(pc_rpc_client_t *cli, const char *method, const char *text, char *echoed,
                     size_t size)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    pc_rpc_opts_t o = {.caller_id = 9, .request_id = "fast-request-1", .deadline_ms = 2000};
    pc_rpc_reply_t reply;
    int status = pc_rpc_call(cli, &o, method, &in.base, &reply);
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, NULL);
    snprintf(echoed, size, "%s", out && out->request_id ? out->request_id : "");
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
    return status;
}

static void test_fast_answer_needs_no_worker(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&rf_fast_runs), worker = atomic_load(&rf_worker_runs);
    char echoed[64];
    for (int i = 0; i < 20; i++) {
        assert_int_equal(call_text(f->cli, "t.quick", "quick", echoed, sizeof echoed), PC_OK);
        assert_string_equal(echoed, "quick");
    }
    assert_int_equal(atomic_load(&rf_fast_runs), fast + 20);
    assert_int_equal(atomic_load(&rf_worker_runs), worker); /* no worker ran one */
    assert_false(atomic_load(&rf_fast_had_worker));
}

static void test_fast_deferred_answer_from_another_thread(void **state)
{
    fixture_t *f = *state;
    int worker = atomic_load(&rf_worker_runs);
    defer_arg_t a[3] = {{.text = "ok-f0"}, {.text = "ok-f1"}, {.text = "gone"}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        a[i].reg = f->reg;
        a[i].deadline_ms = 5000;
        a[i].method = "t.fdefer";
        assert_int_equal(pthread_create(&t[i], NULL, defer_caller, &a[i]), 0);
    }
    assert_true(wait_tokens(3, 3000));
    answer_and_check(t, a, 3);
    assert_int_equal(atomic_load(&rf_worker_runs), worker);
}

static void test_fast_declined_reaches_the_handler(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&rf_fast_runs), worker = atomic_load(&rf_worker_runs);
    char echoed[64];
    assert_int_equal(call_text(f->cli, "t.decline", "declined", echoed, sizeof echoed), PC_OK);
    assert_string_equal(echoed, "declined"); /* the same body */
    assert_int_equal(atomic_load(&rf_fast_runs), fast + 1);
    assert_int_equal(atomic_load(&rf_worker_runs), worker + 1);
    pthread_mutex_lock(&rf_mu);
    assert_string_equal(rf_last_id, "fast-request-1"); /* the same envelope */
    pthread_mutex_unlock(&rf_mu);
}

static void test_fast_expired_on_arrival_is_not_run(void **state)
{
    fixture_t *f = *state;
    int fast = atomic_load(&rf_fast_runs), worker = atomic_load(&rf_worker_runs);
    Pigeon__Reply *rep = call_expired(f->endpoint, "t.quick", "expired-fast");
    assert_int_equal(rep->status, PC_DEADLINE_EXCEEDED);
    assert_string_equal(rep->error_message, "deadline exceeded before the call started");
    assert_int_equal(atomic_load(&rf_fast_runs), fast);
    assert_int_equal(atomic_load(&rf_worker_runs), worker);
    pc_envelope_free_reply(&rep);
}

static void test_fast_handler_on_a_write_is_refused(void **state)
{
    (void)state;
    static const pc_method_t methods[] = {{"t.w", h_echo, PC_METHOD_WRITE, f_echo}};
    pc_rpc_server_opts_t o = {.service = "w",
                              .schema = "w",
                              .methods = methods,
                              .method_count = 1,
                              .workers = 1,
                              .bind_endpoint = "tcp://127.0.0.1:*"};
    assert_null(pc_rpc_server_new(&o, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fast_answer_needs_no_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_deferred_answer_from_another_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fast_declined_reaches_the_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_expired_on_arrival_is_not_run, setup, teardown),
        cmocka_unit_test(test_fast_handler_on_a_write_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
