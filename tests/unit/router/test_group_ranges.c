/* test_group_ranges.c - the pure rules of group conversations: membership
 * periods, read starts, what each change does, who may post and recall. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "router_ranges.h"

/* A member who joined at 3, left at 7, rejoined at 12 and is still in. */
static router_ranges_t s_rejoined(void)
{
    router_ranges_t rs = {.n = 2};
    rs.r[0] = (router_range_t){3, 7};
    rs.r[1] = (router_range_t){12, 0};
    return rs;
}

static void test_a_rejoined_member_sees_both_periods_and_not_the_gap(void **state)
{
    (void)state;
    router_ranges_t rs = s_rejoined();
    assert_false(router_ranges_contains(&rs, 2));  /* before the first join */
    assert_true(router_ranges_contains(&rs, 3));   /* their own join message */
    assert_true(router_ranges_contains(&rs, 7));   /* the message that ended it */
    assert_false(router_ranges_contains(&rs, 8));  /* the gap */
    assert_false(router_ranges_contains(&rs, 11));
    assert_true(router_ranges_contains(&rs, 12));
    assert_true(router_ranges_contains(&rs, 500)); /* open */
    assert_true(router_ranges_open(&rs));
    assert_int_equal(router_ranges_last(&rs, 40), 40);
}

static void test_a_former_member_stops_at_the_end_of_the_last_period(void **state)
{
    (void)state;
    router_ranges_t rs = s_rejoined();
    rs.r[1].to = 15;
    assert_false(router_ranges_open(&rs));
    assert_int_equal(router_ranges_last(&rs, 40), 15);
    assert_false(router_ranges_contains(&rs, 16));
    /* read marks clamp there */
    assert_int_equal(router_read_target(99, router_ranges_last(&rs, 40), 10), 15);
}

static void test_a_stranger_sees_nothing(void **state)
{
    (void)state;
    router_ranges_t rs = {.n = 0};
    assert_false(router_ranges_contains(&rs, 1));
    assert_false(router_ranges_open(&rs));
    assert_int_equal(router_ranges_last(&rs, 9), 0);
}

static void test_read_starts_at_the_join_message_only_for_who_acted(void **state)
{
    (void)state;
    assert_int_equal(router_group_read_start(9, 5, 5), 9); /* open join: by themselves */
    assert_int_equal(router_group_read_start(9, 5, 2), 8); /* approved or added */
    assert_int_equal(router_group_read_start(1, 2, 1), 0); /* named at creation */
    assert_int_equal(router_group_read_start(1, 1, 1), 1); /* the creator acted */
}

static void test_each_change_kind_has_its_effect(void **state)
{
    (void)state;
    assert_int_equal(router_group_effect("created"), ROUTER_GRP_OPEN);
    assert_int_equal(router_group_effect("joined"), ROUTER_GRP_OPEN);
    assert_int_equal(router_group_effect("left"), ROUTER_GRP_CLOSE);
    assert_int_equal(router_group_effect("removed"), ROUTER_GRP_CLOSE);
    assert_int_equal(router_group_effect("dismissed"), ROUTER_GRP_CLOSE_ALL);
    assert_int_equal(router_group_effect("role"), ROUTER_GRP_NONE);
    assert_int_equal(router_group_effect("transfer"), ROUTER_GRP_NONE);
    assert_int_equal(router_group_effect("muted"), ROUTER_GRP_NONE);
    assert_int_equal(router_group_effect("updated"), ROUTER_GRP_NONE);
    assert_int_equal(router_group_effect(NULL), ROUTER_GRP_NONE);
}

static void test_who_may_post(void **state)
{
    (void)state;
    int64_t now = 1000000;
    assert_int_equal(router_group_send_decide(true, false, false, true, true, 0, now),
                     ROUTER_GSEND_OK);
    assert_int_equal(router_group_send_decide(true, false, false, true, true, now + 1, now),
                     ROUTER_GSEND_MUTED);
    assert_int_equal(router_group_send_decide(true, false, false, true, true, now - 1, now),
                     ROUTER_GSEND_OK); /* a mute in the past mutes nobody */
    assert_int_equal(router_group_send_decide(true, false, false, false, false, 0, now),
                     ROUTER_GSEND_NOT_MEMBER);
    assert_int_equal(router_group_send_decide(true, false, true, false, false, 0, now),
                     ROUTER_GSEND_NO_GROUP); /* invite_only: 404 to strangers */
    assert_int_equal(router_group_send_decide(true, false, true, false, true, 0, now),
                     ROUTER_GSEND_NOT_MEMBER); /* ...but 403 to a former member */
    assert_int_equal(router_group_send_decide(true, true, false, false, true, 0, now),
                     ROUTER_GSEND_DISMISSED);
    assert_int_equal(router_group_send_decide(true, true, false, false, false, 0, now),
                     ROUTER_GSEND_NO_GROUP);
    assert_int_equal(router_group_send_decide(true, true, false, true, false, 0, now),
                     ROUTER_GSEND_DISMISSED); /* members stay listed in a dismissed group */
    assert_int_equal(router_group_send_decide(false, false, false, false, false, 0, now),
                     ROUTER_GSEND_NO_GROUP);
    assert_true(router_group_visible(true, false, false));
    assert_false(router_group_visible(true, false, true));
    assert_false(router_group_visible(true, true, false));
    assert_false(router_group_visible(false, false, false));
}

static void test_owners_and_admins_recall_anything_but_system_messages(void **state)
{
    (void)state;
    assert_int_equal(router_group_recall_decide(1, 2, false, false, 9999, 120, true),
                     ROUTER_RECALL_OK);
    assert_int_equal(router_group_recall_decide(1, 2, false, true, 9999, 120, true),
                     ROUTER_RECALL_ALREADY);
    assert_int_equal(router_group_recall_decide(1, 2, true, false, 1, 120, true),
                     ROUTER_RECALL_SYSTEM);
    assert_int_equal(router_group_recall_decide(1, 2, false, false, 1, 120, false),
                     ROUTER_RECALL_NOT_SENDER);
    assert_int_equal(router_group_recall_decide(2, 2, false, false, 1, 120, false),
                     ROUTER_RECALL_OK);
    assert_int_equal(router_group_recall_decide(2, 2, false, false, 121, 120, false),
                     ROUTER_RECALL_TOO_LATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_rejoined_member_sees_both_periods_and_not_the_gap),
        cmocka_unit_test(test_a_former_member_stops_at_the_end_of_the_last_period),
        cmocka_unit_test(test_a_stranger_sees_nothing),
        cmocka_unit_test(test_read_starts_at_the_join_message_only_for_who_acted),
        cmocka_unit_test(test_each_change_kind_has_its_effect),
        cmocka_unit_test(test_who_may_post),
        cmocka_unit_test(test_owners_and_admins_recall_anything_but_system_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
