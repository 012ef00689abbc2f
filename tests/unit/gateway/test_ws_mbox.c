/* Mailboxes between the WebSocket threads: single posts, batches posted
 * whole and in order, one wake-up for a batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_mbox.h"

static gw_ws_msg_t *s_event(int64_t user)
{
    gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_EVENT);
    assert_non_null(m);
    m->user = user;
    return m;
}

static int64_t s_take_users(gw_ws_mbox_t *mb, int64_t *users, size_t cap)
{
    size_t n = 0;
    gw_ws_msg_t *m = gw_ws_mbox_take(mb);
    while (m) {
        gw_ws_msg_t *next = m->next;
        if (n < cap)
            users[n] = m->user;
        n++;
        gw_ws_msg_free(m);
        m = next;
    }
    return (int64_t)n;
}

static void test_batch_posts_in_order_after_single_posts(void **state)
{
    (void)state;
    gw_ws_mbox_t mb;
    assert_int_equal(gw_ws_mbox_init(&mb), 0);
    gw_ws_mbox_post(&mb, s_event(1));

    gw_ws_batch_t b = {0};
    for (int64_t u = 2; u <= 4; u++)
        gw_ws_batch_add(&b, s_event(u));
    assert_int_equal(b.n, 3);
    gw_ws_batch_post(&b, &mb);
    assert_null(b.head); /* posted: the batch is empty again */
    assert_int_equal(b.n, 0);
    gw_ws_mbox_post(&mb, s_event(5));

    int64_t users[8];
    assert_int_equal(s_take_users(&mb, users, 8), 5);
    for (int64_t i = 0; i < 5; i++)
        assert_int_equal(users[i], i + 1);
    gw_ws_mbox_clear(&mb);
}

static void test_batch_wakes_the_owner_once(void **state)
{
    (void)state;
    gw_ws_mbox_t mb;
    assert_int_equal(gw_ws_mbox_init(&mb), 0);
    gw_ws_batch_t b = {0};
    for (int64_t u = 1; u <= 100; u++)
        gw_ws_batch_add(&b, s_event(u));
    gw_ws_batch_post(&b, &mb);
    uint64_t v = 0;
    assert_int_equal(read(mb.efd, &v, sizeof v), (ssize_t)sizeof v);
    assert_int_equal(v, 1); /* one write(2) for 100 messages */
    int64_t users[1];
    assert_int_equal(s_take_users(&mb, users, 1), 100);
    gw_ws_mbox_clear(&mb);
}

static void test_empty_batch_posts_nothing(void **state)
{
    (void)state;
    gw_ws_mbox_t mb;
    assert_int_equal(gw_ws_mbox_init(&mb), 0);
    gw_ws_batch_t b = {0};
    gw_ws_batch_post(&b, &mb);
    uint64_t v = 0;
    assert_true(read(mb.efd, &v, sizeof v) < 0); /* not woken */
    assert_null(gw_ws_mbox_take(&mb));
    gw_ws_mbox_clear(&mb);
}

static void test_clear_frees_what_was_not_posted(void **state)
{
    (void)state;
    gw_ws_batch_t b = {0};
    gw_ws_msg_t *m = s_event(7);
    m->blob = gw_ws_blob_new(0x1, "{}", 2); /* freed with the message */
    gw_ws_batch_add(&b, m);
    gw_ws_batch_clear(&b);
    assert_null(b.head);
    assert_null(b.tail);
    assert_int_equal(b.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_posts_in_order_after_single_posts),
        cmocka_unit_test(test_batch_wakes_the_owner_once),
        cmocka_unit_test(test_empty_batch_posts_nothing),
        cmocka_unit_test(test_clear_frees_what_was_not_posted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
