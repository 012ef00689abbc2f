/* test_rpc_async.c - many calls in flight on one thread (rpc_async.h). */
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
#include "rpc_async.h"

/* --- many calls in flight on one thread (rpc_async.h) --------------------- */

typedef struct {
    int status;    /* -1 until the callback ran */
    char text[64]; /* echoed text, when the call succeeded */
    int calls;     /* times the callback ran (must end at 1) */
} async_out_t;

static void async_done(void *arg, pc_rpc_reply_t *reply)
{
    async_out_t *o = arg;
    o->calls++;
    o->status = reply->status;
    if (reply->status == PC_OK) {
        int st;
        Pigeon__Reply *out =
            (Pigeon__Reply *)pc_rpc_reply_unpack(reply, &pigeon__reply__descriptor, &st);
        if (out) {
            snprintf(o->text, sizeof o->text, "%s", out->request_id);
            protobuf_c_message_free_unpacked(&out->base, NULL);
        }
    }
}

static void async_echo(pc_rpc_async_t *a, const pc_rpc_opts_t *o, const char *text,
                       async_out_t *out)
{
    Pigeon__Request in = PIGEON__REQUEST__INIT;
    in.request_id = "x";
    in.method = (char *)text;
    out->status = -1;
    pc_rpc_async_call(a, o, "t.echo", &in.base, async_done, out);
}

/* Runs a until nothing is in flight or ms pass. */
static void async_settle(pc_rpc_async_t *a, int ms)
{
    int64_t until = pc_mono_ms() + ms;
    while (pc_rpc_async_pending(a) > 0 && pc_mono_ms() < until)
        pc_rpc_async_run(a, -1, 50);
}

static void test_async_calls_share_one_thread(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 2000);
    assert_non_null(a);
    async_out_t out[20];
    char texts[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(texts[i], sizeof texts[i], "many-%d", i);
        pc_rpc_opts_t o = {.caller_id = 7};
        memset(&out[i], 0, sizeof out[i]);
        async_echo(a, &o, texts[i], &out[i]);
    }
    assert_true(pc_rpc_async_pending(a) <= 20);
    async_settle(a, 3000);
    assert_int_equal(pc_rpc_async_pending(a), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].status, PC_OK);
        assert_string_equal(out[i].text, texts[i]); /* each reply found its call */
    }
    pc_rpc_async_destroy(&a);
    assert_null(a);
}

static void test_async_no_instance_is_unavailable_at_once(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "nobody", 2000);
    async_out_t out = {0};
    async_echo(a, NULL, "x", &out);
    assert_int_equal(out.calls, 1); /* before the call returned */
    assert_int_equal(out.status, PC_UNAVAILABLE);
    assert_int_equal(pc_rpc_async_pending(a), 0);
    pc_rpc_async_destroy(&a);
}

static void test_async_late_handler_is_deadline_exceeded(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 2000);
    async_out_t late = {.status = -1}, fast = {0};
    pc_rpc_opts_t o = {.deadline_ms = 200};
    int64_t t0 = pc_mono_ms();
    pc_rpc_async_call(a, &o, "t.late", NULL, async_done, &late);
    async_echo(a, NULL, "meanwhile", &fast); /* the other server worker answers it */
    async_settle(a, 2000);
    int64_t took = pc_mono_ms() - t0;
    assert_int_equal(late.status, PC_DEADLINE_EXCEEDED);
    assert_int_equal(late.calls, 1);
    assert_true(took >= 190 && took < 600);
    assert_int_equal(fast.status, PC_OK);
    assert_string_equal(fast.text, "meanwhile");
    pc_rpc_async_destroy(&a);
}

static void test_async_destroy_ends_calls_out(void **state)
{
    fixture_t *f = *state;
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 5000);
    async_out_t out = {.status = -1};
    pc_rpc_opts_t o = {.deadline_ms = 3000};
    pc_rpc_async_call(a, &o, "t.late", NULL, async_done, &out);
    assert_int_equal(pc_rpc_async_pending(a), 1);
    pc_rpc_async_destroy(&a);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.status, PC_UNAVAILABLE);
}

static void test_async_retry_goes_to_another_instance(void **state)
{
    fixture_t *f = *state;
    swallower_t s = {0};
    pthread_t t = hung_start(&s, f);
    pc_rpc_async_t *a = pc_rpc_async_new(f->reg, "t", 600);

    /* Round robin sends some first attempts to the hung instance; each
     * call still ends once, answered, with the id the swallower saw. */
    async_out_t out[6];
    char ids[6][40], texts[6][16];
    for (int i = 0; i < 6; i++) {
        snprintf(ids[i], sizeof ids[i], "aretry-%d", i);
        snprintf(texts[i], sizeof texts[i], "again-%d", i);
        pc_rpc_opts_t o = {.request_id = ids[i]};
        memset(&out[i], 0, sizeof out[i]);
        async_echo(a, &o, texts[i], &out[i]);
    }
    async_settle(a, 3000);
    hung_stop(&s, t, f);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].status, PC_OK);
        assert_string_equal(out[i].text, texts[i]);
    }
    assert_true(atomic_load(&s.count) >= 1);
    assert_memory_equal(s.ids[0], "aretry-", 7); /* retried with the same id */
    pc_rpc_async_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_async_calls_share_one_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_no_instance_is_unavailable_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_late_handler_is_deadline_exceeded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_retry_goes_to_another_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_destroy_ends_calls_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
