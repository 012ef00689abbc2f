/* A WebSocket's byte queue: no memory while empty, doubling growth, a bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_buf.h"

static void test_queue_then_drain_frees(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    assert_null(ws_buf_head(&b)); /* an idle socket: nothing allocated */
    assert_int_equal(ws_buf_used(&b), 0);

    assert_true(ws_buf_append(&b, "hello ", 6, 64 * 1024));
    assert_true(ws_buf_append(&b, "world", 5, 64 * 1024));
    assert_int_equal(ws_buf_used(&b), 11);
    assert_int_equal(b.cap, WS_BUF_APPEND_FIRST); /* small: glibc's per-thread cache */
    assert_memory_equal(ws_buf_head(&b), "hello world", 11);

    ws_buf_consume(&b, 6); /* a partial write */
    assert_int_equal(ws_buf_used(&b), 5);
    assert_memory_equal(ws_buf_head(&b), "world", 5);

    ws_buf_consume(&b, 5); /* the rest: the memory goes back */
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    assert_int_equal(ws_buf_used(&b), 0);
    ws_buf_clear(&b);
}

static void test_empty_append_allocates_nothing(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    assert_true(ws_buf_append(&b, "", 0, 16));
    assert_null(b.data);
}

static void test_limit_refuses_without_change(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    uint8_t chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 65; i++)
        assert_true(ws_buf_append(&b, chunk, sizeof chunk, 65536));
    assert_int_equal(ws_buf_used(&b), 65000);
    /* 65000 + 1000 > 65536: refused, nothing appended */
    assert_false(ws_buf_append(&b, chunk, sizeof chunk, 65536));
    assert_int_equal(ws_buf_used(&b), 65000);
    assert_true(b.cap <= 65536); /* growth never passes the bound */
    assert_true(ws_buf_append(&b, chunk, 536, 65536)); /* exactly at the bound */
    assert_int_equal(ws_buf_used(&b), 65536);
    ws_buf_clear(&b);
    assert_null(b.data);
}

static void test_grows_by_doubling(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    uint8_t big[10000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    assert_true(ws_buf_append(&b, big, 5000, 1 << 20));
    assert_int_equal(b.cap, 8 * WS_BUF_APPEND_FIRST); /* doubled past 5000 */
    assert_true(ws_buf_append(&b, big + 5000, 5000, 1 << 20));
    assert_int_equal(b.cap, 16 * WS_BUF_APPEND_FIRST);
    assert_memory_equal(ws_buf_head(&b), big, sizeof big);
    ws_buf_clear(&b);
}

static void test_consumed_front_is_reused_before_growing(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    uint8_t chunk[3000];
    memset(chunk, 'a', sizeof chunk);
    assert_true(ws_buf_append(&b, chunk, sizeof chunk, 65536));
    ws_buf_consume(&b, 2500); /* 500 left at offset 2500 */
    memset(chunk, 'b', sizeof chunk);
    /* 500 + 3000 fits (the first size doubled past 3000) once compacted: no realloc */
    assert_int_equal(b.cap, 4 * WS_BUF_APPEND_FIRST);
    assert_true(ws_buf_append(&b, chunk, sizeof chunk, 65536));
    assert_int_equal(b.cap, 4 * WS_BUF_APPEND_FIRST);
    assert_int_equal(b.off, 0);
    assert_int_equal(ws_buf_used(&b), 3500);
    assert_int_equal(ws_buf_head(&b)[499], 'a');
    assert_int_equal(ws_buf_head(&b)[500], 'b');
    ws_buf_clear(&b);
}

/* The input side: recv(2) straight into the buffer. */
static void test_reserve_commit_like_recv(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    size_t room = ws_buf_reserve(&b, 8192);
    assert_int_equal(room, WS_BUF_FIRST);
    memcpy(ws_buf_tail(&b), "abc", 3);
    ws_buf_commit(&b, 3);
    assert_int_equal(ws_buf_used(&b), 3);
    assert_int_equal(ws_buf_reserve(&b, 8192), WS_BUF_FIRST - 3); /* room left: no growth */

    /* fill it: the next reserve doubles, up to the bound and no further */
    ws_buf_commit(&b, WS_BUF_FIRST - 3);
    assert_int_equal(ws_buf_reserve(&b, 8192), 4096);
    assert_int_equal(b.cap, 8192);
    ws_buf_commit(&b, 4096);
    assert_int_equal(ws_buf_reserve(&b, 8192), 0); /* full at the bound */
    assert_int_equal(ws_buf_head(&b)[0], 'a');

    ws_buf_consume(&b, 8192); /* all served: freed */
    assert_null(b.data);
}

static void test_reserve_compacts_a_partial_frame(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    ws_buf_reserve(&b, 4096);
    memset(ws_buf_tail(&b), 'z', 4096);
    ws_buf_commit(&b, 4096);
    ws_buf_consume(&b, 4000); /* 96 bytes of an incomplete frame left */
    assert_int_equal(ws_buf_reserve(&b, 4096), 4000);
    assert_int_equal(b.off, 0);
    assert_int_equal(ws_buf_used(&b), 96);
    ws_buf_clear(&b);
}

static void test_adopt_takes_ownership(void **state)
{
    (void)state;
    ws_buf_t b = {0};
    uint8_t *extra = malloc(5);
    memcpy(extra, "early", 5);
    ws_buf_adopt(&b, &extra, 5);
    assert_null(extra);
    assert_int_equal(ws_buf_used(&b), 5);
    assert_memory_equal(ws_buf_head(&b), "early", 5);
    ws_buf_consume(&b, 5);
    assert_null(b.data);

    uint8_t *none = NULL;
    ws_buf_adopt(&b, &none, 0);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_then_drain_frees),
        cmocka_unit_test(test_empty_append_allocates_nothing),
        cmocka_unit_test(test_limit_refuses_without_change),
        cmocka_unit_test(test_grows_by_doubling),
        cmocka_unit_test(test_consumed_front_is_reused_before_growing),
        cmocka_unit_test(test_reserve_commit_like_recv),
        cmocka_unit_test(test_reserve_compacts_a_partial_frame),
        cmocka_unit_test(test_adopt_takes_ownership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
