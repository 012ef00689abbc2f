/* test_ledger.c - pigeon-load's accounting: what counts as lost, duplicated
 * or a gap; and the client frame header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ld_ledger.h"
#include "ld_net.h"

static void test_a_clean_run_has_nothing_to_report(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    for (int i = 0; i < 3; i++) {
        size_t idx = ld_ledger_add(l, 0, 0, 100);
        ld_ledger_ack(l, idx, 5 + i, 150);
        ld_ledger_push(l, idx, 0, 160);
    }
    assert_true(ld_ledger_settled(l));
    for (int i = 0; i < 3; i++)
        ld_ledger_history(l, 0, 5 + i, (size_t)i);
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.sent, 3);
    assert_int_equal(s.acked, 3);
    assert_int_equal(s.pushes, 3);
    assert_int_equal(s.lost + s.duplicated + s.gaps + s.push_missed + s.not_in_history, 0);
    assert_int_equal(ld_hist_percentile(&l->ack, 50), 50);
    assert_int_equal(ld_hist_percentile(&l->deliver, 50), 60);
    ld_ledger_destroy(&l);
    assert_null(l);
}

static void test_a_missed_push_found_by_the_sync_is_not_lost(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0), b = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 1, 1);
    ld_ledger_ack(l, b, 2, 1);
    ld_ledger_push(l, a, 0, 2);
    assert_false(ld_ledger_settled(l));
    ld_ledger_history(l, 0, 1, a);
    ld_ledger_history(l, 0, 2, b);
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.push_missed, 1);
    assert_int_equal(s.lost, 0);
    ld_ledger_destroy(&l);
}

static void test_acked_but_neither_pushed_nor_synced_is_lost(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 1, 1);
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.lost, 1);
    assert_int_equal(s.not_in_history, 1);
    ld_ledger_destroy(&l);
}

static void test_pushed_but_missing_from_the_history_is_counted(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0), b = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 1, 1);
    ld_ledger_ack(l, b, 2, 1);
    ld_ledger_push(l, a, 0, 2);
    ld_ledger_push(l, b, 0, 2);
    ld_ledger_freeze(l);
    ld_ledger_history(l, 0, 1, a); /* b, the last one, is not there: no gap shows it */
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.not_in_history, 1);
    assert_int_equal(s.lost + s.gaps + s.push_missed, 0);
    ld_ledger_destroy(&l);
}

static void test_duplicates_are_counted_per_recipient(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 3, 2, 1); /* a group: 3 sockets, 2 recipients */
    size_t a = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 1, 1);
    ld_ledger_push(l, a, 1, 2);
    ld_ledger_push(l, a, 2, 2);
    ld_ledger_push(l, a, 2, 3); /* the same recipient twice */
    ld_ledger_history(l, 0, 1, a);
    ld_ledger_history(l, 0, 1, a); /* twice in the history too */
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.pushes, 2);
    assert_int_equal(s.duplicated, 2);
    assert_int_equal(s.push_missed, 0);
    ld_ledger_destroy(&l);
}

static void test_two_acks_with_one_seq_are_a_duplicate(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 2);
    size_t a = ld_ledger_add(l, 0, 0, 0), b = ld_ledger_add(l, 0, 0, 0);
    size_t c = ld_ledger_add(l, 1, 0, 0);
    ld_ledger_ack(l, a, 7, 1);
    ld_ledger_ack(l, b, 7, 1);
    ld_ledger_ack(l, c, 7, 1); /* another conversation may use 7 */
    assert_int_equal(ld_ledger_summary(l).duplicated, 1);
    ld_ledger_destroy(&l);
}

static void test_the_history_must_not_skip_seqs(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0), b = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 3, 1);
    ld_ledger_ack(l, b, 6, 1);
    ld_ledger_history(l, 0, 3, a);
    ld_ledger_history(l, 0, 4, SIZE_MAX); /* not ours: still counts for gaps */
    ld_ledger_history(l, 0, 6, b);
    assert_int_equal(ld_ledger_summary(l).gaps, 1);
    ld_ledger_destroy(&l);
}

static void test_acks_after_the_freeze_do_not_count(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_freeze(l); /* the sync may already have passed a's row */
    ld_ledger_ack(l, a, 1, 1);
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.unacked, 1);
    assert_int_equal(s.lost, 0);
    assert_int_equal(l->late, 1);
    ld_ledger_destroy(&l);
}

static void test_duplicates_after_the_freeze_still_count(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(10, 1, 1, 1);
    size_t a = ld_ledger_add(l, 0, 0, 0), b = ld_ledger_add(l, 0, 0, 0);
    ld_ledger_ack(l, a, 1, 1);
    ld_ledger_push(l, a, 0, 2);
    ld_ledger_freeze(l);
    ld_ledger_push(l, a, 0, 3); /* pushed again during the sync */
    ld_ledger_ack(l, a, 1, 3);  /* and acked again */
    ld_ledger_push(l, b, 0, 3); /* a first push is only late ... */
    ld_ledger_push(l, b, 0, 4); /* ... but a second one is a duplicate */
    ld_ledger_history(l, 0, 1, a);
    ld_summary_t s = ld_ledger_summary(l);
    assert_int_equal(s.duplicated, 3);
    assert_int_equal(s.pushes, 1);
    assert_int_equal(l->late, 1);
    ld_ledger_destroy(&l);
}

static void test_a_full_ledger_refuses_more(void **state)
{
    (void)state;
    ld_ledger_t *l = ld_ledger_new(1, 1, 1, 1);
    assert_int_equal(ld_ledger_add(l, 0, 0, 0), 0);
    assert_int_equal(ld_ledger_add(l, 0, 0, 0), SIZE_MAX);
    ld_ledger_destroy(&l);
}

static void test_client_msg_ids_belong_to_one_run(void **state)
{
    (void)state;
    assert_int_equal(ld_ledger_parse_id("Labc-42", 7, "Labc"), 42);
    assert_int_equal(ld_ledger_parse_id("Labd-42", 7, "Labc"), SIZE_MAX);
    assert_int_equal(ld_ledger_parse_id("Labc-", 5, "Labc"), SIZE_MAX);
    assert_int_equal(ld_ledger_parse_id("Labc-4x", 7, "Labc"), SIZE_MAX);
}

static void test_client_frames_are_masked_with_the_right_length(void **state)
{
    (void)state;
    uint8_t h[14], mask[4] = {1, 2, 3, 4};
    assert_int_equal(ld_ws_client_header(h, 0x1, 100, mask), 6);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 0x80 | 100);
    assert_memory_equal(h + 2, mask, 4);
    assert_int_equal(ld_ws_client_header(h, 0x1, 300, mask), 8);
    assert_int_equal(h[1], 0x80 | 126);
    assert_int_equal(h[2] << 8 | h[3], 300);
    assert_int_equal(ld_ws_client_header(h, 0x2, 70000, mask), 14);
    assert_int_equal(h[1], 0x80 | 127);
    assert_int_equal(h[7] << 16 | h[8] << 8 | h[9], 70000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_clean_run_has_nothing_to_report),
        cmocka_unit_test(test_a_missed_push_found_by_the_sync_is_not_lost),
        cmocka_unit_test(test_acked_but_neither_pushed_nor_synced_is_lost),
        cmocka_unit_test(test_pushed_but_missing_from_the_history_is_counted),
        cmocka_unit_test(test_duplicates_are_counted_per_recipient),
        cmocka_unit_test(test_two_acks_with_one_seq_are_a_duplicate),
        cmocka_unit_test(test_the_history_must_not_skip_seqs),
        cmocka_unit_test(test_acks_after_the_freeze_do_not_count),
        cmocka_unit_test(test_duplicates_after_the_freeze_still_count),
        cmocka_unit_test(test_a_full_ledger_refuses_more),
        cmocka_unit_test(test_client_msg_ids_belong_to_one_run),
        cmocka_unit_test(test_client_frames_are_masked_with_the_right_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
