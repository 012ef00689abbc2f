/* test_rpc.c - calls, deadlines, retries, nested call ids and deferred
 * replies against the fixture's server (fixture_rpc.h). */
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
#include "rpc_client.h"

static void test_call_returns_the_reply(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(pc_rpc_client_instances(f->cli), 1);
    pc_rpc_opts_t o = {.caller_id = 42};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "hello", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_int_equal(st, PC_OK);
    assert_string_equal(out->request_id, "hello");
    assert_int_equal(out->status, 42); /* the caller id came through */
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

static void test_unknown_method_is_invalid_argument(void **state)
{
    fixture_t *f = *state;
    pc_rpc_reply_t reply;
    assert_int_equal(pc_rpc_call(f->cli, NULL, "t.nope", NULL, &reply), PC_INVALID_ARGUMENT);
    assert_non_null(reply.error);
    assert_string_equal(reply.error, "unknown method \"t.nope\"");
    pc_rpc_reply_clear(&reply);
}

typedef struct {
    pc_registry_t *reg;
    int status;
} slow_arg_t;

static void *slow_caller(void *arg)
{
    slow_arg_t *a = arg;
    pc_rpc_client_t *cli = pc_rpc_client_new(a->reg, "t", 5000);
    pc_rpc_reply_t reply;
    a->status = pc_rpc_call(cli, NULL, "t.slow", NULL, &reply);
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);
    return NULL;
}

static void test_slow_call_does_not_block_a_fast_one(void **state)
{
    fixture_t *f = *state;
    rf_slow_started = rf_slow_release = false;
    slow_arg_t a = {.reg = f->reg};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_caller, &a), 0);
    wait_flag(&rf_slow_started, 3000);
    assert_true(rf_slow_started);

    /* The other worker answers while the first is still busy. */
    pc_rpc_opts_t o = {.deadline_ms = 1000};
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(call_echo(f->cli, &o, "fast", &reply), PC_OK);
    assert_true(pc_mono_ms() - t0 < 500);
    pc_rpc_reply_clear(&reply);

    set_flag(&rf_slow_release);
    pthread_join(t, NULL);
    assert_int_equal(a.status, PC_OK);
}

static void test_no_instance_is_unavailable_at_once(void **state)
{
    fixture_t *f = *state;
    pc_rpc_client_t *cli = pc_rpc_client_new(f->reg, "nobody", 2000);
    assert_int_equal(pc_rpc_client_instances(cli), 0);
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "nobody.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 100);
    assert_string_equal(reply.error, "service \"nobody\" is unavailable");
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);

    /* An instance that is listed but not listening is skipped just as fast,
     * once its short connection window has passed. */
    setenv("PIGEON_DEAD_ENDPOINTS", "tcp://127.0.0.1:1", 1);
    cli = pc_rpc_client_new(f->reg, "dead", 2000);
    assert_int_equal(pc_rpc_client_instances(cli), 1);
    t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "dead.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 1000);
    pc_rpc_reply_clear(&reply);
    t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(cli, NULL, "dead.x", NULL, &reply), PC_UNAVAILABLE);
    assert_true(pc_mono_ms() - t0 < 100);
    pc_rpc_reply_clear(&reply);
    pc_rpc_client_destroy(&cli);
    unsetenv("PIGEON_DEAD_ENDPOINTS");
}

static void test_late_handler_is_deadline_exceeded(void **state)
{
    fixture_t *f = *state;
    pc_rpc_opts_t o = {.deadline_ms = 200};
    pc_rpc_reply_t reply;
    int64_t t0 = pc_mono_ms();
    assert_int_equal(pc_rpc_call(f->cli, &o, "t.late", NULL, &reply), PC_DEADLINE_EXCEEDED);
    int64_t took = pc_mono_ms() - t0;
    assert_true(took >= 190 && took < 400);
    pc_rpc_reply_clear(&reply);

    /* The late reply that arrives afterwards is not taken for the next call's. */
    o.deadline_ms = 2000;
    assert_int_equal(call_echo(f->cli, &o, "after", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_string_equal(out->request_id, "after");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

static void test_expired_on_arrival_is_not_run(void **state)
{
    fixture_t *f = *state;
    int before = atomic_load(&rf_handled);
    Pigeon__Reply *rep = call_expired(f->endpoint, "t.echo", "expired-1");
    assert_int_equal(rep->status, PC_DEADLINE_EXCEEDED);
    assert_int_equal(atomic_load(&rf_handled), before);
    pc_envelope_free_reply(&rep);
}

static void test_child_ids_are_derived(void **state)
{
    fixture_t *f = *state;
    char ids[2][2][40];
    for (int round = 0; round < 2; round++) {
        pc_rpc_opts_t o = {.request_id = "0123456789abcdef0123456789abcdef"};
        pc_rpc_reply_t reply;
        assert_int_equal(pc_rpc_call(f->cli, &o, "t.child", NULL, &reply), PC_OK);
        Pigeon__Request *out =
            (Pigeon__Request *)pc_rpc_reply_unpack(&reply, &pigeon__request__descriptor, NULL);
        assert_non_null(out);
        assert_int_equal(strlen(out->request_id), 32);
        assert_true(out->deadline_ms > 0 && out->deadline_ms <= 2000);
        snprintf(ids[round][0], sizeof ids[round][0], "%s", out->request_id);
        snprintf(ids[round][1], sizeof ids[round][1], "%s", out->method);
        protobuf_c_message_free_unpacked(&out->base, NULL);
        pc_rpc_reply_clear(&reply);
    }
    /* Stable across a retry of the parent, distinct per nested call. */
    assert_string_equal(ids[0][0], ids[1][0]);
    assert_string_equal(ids[0][1], ids[1][1]);
    assert_string_not_equal(ids[0][0], ids[0][1]);
}

static void test_retry_goes_to_another_instance(void **state)
{
    fixture_t *f = *state;
    swallower_t s = {0};
    pthread_t t = hung_start(&s, f);
    pc_rpc_client_t *cli = pc_rpc_client_new(f->reg, "t", 600);
    assert_int_equal(pc_rpc_client_instances(cli), 2);

    /* Round robin sends every other first attempt to the hung instance. */
    for (int i = 0; i < 6 && (i < 2 || atomic_load(&s.count) == 0); i++) {
        char id[40];
        snprintf(id, sizeof id, "retry-%d", i);
        pc_rpc_opts_t o = {.request_id = id};
        pc_rpc_reply_t reply;
        assert_int_equal(call_echo(cli, &o, "again", &reply), PC_OK);
        pc_rpc_reply_clear(&reply);
        pthread_mutex_lock(&rf_mu);
        assert_string_equal(rf_last_id, id); /* the server saw the same id */
        pthread_mutex_unlock(&rf_mu);
    }
    hung_stop(&s, t, f);
    assert_true(atomic_load(&s.count) >= 1);
    /* What the hung instance swallowed was then answered by the server. */
    assert_memory_equal(s.ids[0], "retry-", 6);
    pc_rpc_client_destroy(&cli);
}

static void test_deferred_reply_from_another_thread(void **state)
{
    fixture_t *f = *state;
    /* More deferred calls than workers (2): none of them holds a worker. */
    defer_arg_t a[4] = {{.text = "ok-0"}, {.text = "ok-1"}, {.text = "ok-2"}, {.text = "taken"}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        a[i].reg = f->reg;
        a[i].deadline_ms = 5000;
        assert_int_equal(pthread_create(&t[i], NULL, defer_caller, &a[i]), 0);
    }
    assert_true(wait_tokens(4, 3000));
    pc_rpc_opts_t o = {.deadline_ms = 1000};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "meanwhile", &reply), PC_OK);
    pc_rpc_reply_clear(&reply);

    answer_and_check(t, a, 4);
}

typedef struct {
    pc_rpc_server_t *srv; /* to drain */
    atomic_bool done;     /* drain returned */
} drain_arg_t;

static void *drainer(void *arg)
{
    drain_arg_t *d = arg;
    pc_rpc_server_drain(d->srv, 5000);
    atomic_store(&d->done, true);
    return NULL;
}

static void test_drain_waits_for_deferred_calls(void **state)
{
    fixture_t *f = *state;
    defer_arg_t a = {.reg = f->reg, .text = "ok-drain", .deadline_ms = 5000};
    pthread_t caller, dt;
    assert_int_equal(pthread_create(&caller, NULL, defer_caller, &a), 0);
    assert_true(wait_tokens(1, 3000));
    drain_arg_t d = {.srv = f->srv};
    atomic_init(&d.done, false);
    assert_int_equal(pthread_create(&dt, NULL, drainer, &d), 0);
    bool never = false;
    wait_flag(&never, 200);
    assert_false(atomic_load(&d.done)); /* the deferred call still runs */
    answer_all(NULL);
    pthread_join(dt, NULL);
    assert_true(atomic_load(&d.done));
    pthread_join(caller, NULL);
    assert_int_equal(a.status, PC_OK);
    assert_string_equal(a.echoed, "ok-drain");
}

static void test_late_deferred_reply_is_dropped(void **state)
{
    fixture_t *f = *state;
    defer_arg_t a = {.reg = f->reg, .text = "ok-late", .deadline_ms = 200};
    pthread_t caller;
    assert_int_equal(pthread_create(&caller, NULL, defer_caller, &a), 0);
    assert_true(wait_tokens(1, 3000));
    pthread_mutex_lock(&rf_mu);
    int64_t left = pc_deferred_deadline(rf_tokens[0]) - pc_mono_ms();
    pthread_mutex_unlock(&rf_mu);
    assert_true(left <= 200);
    pthread_join(caller, NULL);
    assert_int_equal(a.status, PC_DEADLINE_EXCEEDED);
    answer_all(NULL); /* past its deadline: still answered, and dropped by the caller */

    pc_rpc_opts_t o = {.deadline_ms = 2000};
    pc_rpc_reply_t reply;
    assert_int_equal(call_echo(f->cli, &o, "next", &reply), PC_OK);
    int st;
    Pigeon__Reply *out =
        (Pigeon__Reply *)pc_rpc_reply_unpack(&reply, &pigeon__reply__descriptor, &st);
    assert_non_null(out);
    assert_string_equal(out->request_id, "next");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    pc_rpc_reply_clear(&reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_call_returns_the_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method_is_invalid_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_call_does_not_block_a_fast_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_instance_is_unavailable_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_handler_is_deadline_exceeded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_on_arrival_is_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_ids_are_derived, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_goes_to_another_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_reply_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_waits_for_deferred_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_deferred_reply_is_dropped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
