/* test_rules.c - API.md's Groups rules, decision by decision, without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdlib.h>
#include <string.h>

#include "grp_rules.h"
#include "status.h"

static grp_view_t s_view(grp_policy_t policy, grp_role_t role)
{
    grp_view_t v = {.exists = true, .policy = policy, .role = role};
    return v;
}

static void test_anyone_sees_an_approval_group_but_only_members_see_its_members(void **state)
{
    grp_view_t stranger = s_view(GRP_POLICY_APPROVAL, GRP_ROLE_NONE);
    assert_int_equal(grp_gate(&stranger, GRP_NEED_VISIBLE), 200);
    assert_int_equal(grp_gate(&stranger, GRP_NEED_MEMBER), 403);
    assert_string_equal(grp_gate_message(&stranger, GRP_NEED_MEMBER), "not a member of this group");
    grp_view_t member = s_view(GRP_POLICY_APPROVAL, GRP_ROLE_MEMBER);
    assert_int_equal(grp_gate(&member, GRP_NEED_MEMBER), 200);
}

static void test_invite_only_groups_are_404_to_non_members_for_everything(void **state)
{
    grp_view_t stranger = s_view(GRP_POLICY_INVITE_ONLY, GRP_ROLE_NONE);
    for (int need = GRP_NEED_VISIBLE; need <= GRP_NEED_OWNER; need++)
        assert_int_equal(grp_gate(&stranger, (grp_need_t)need), 404);
    assert_string_equal(grp_gate_message(&stranger, GRP_NEED_MEMBER), "group not found");
    grp_view_t member = s_view(GRP_POLICY_INVITE_ONLY, GRP_ROLE_MEMBER);
    assert_int_equal(grp_gate(&member, GRP_NEED_VISIBLE), 200);
    assert_int_equal(grp_gate(&member, GRP_NEED_ADMIN), 403);
}

static void test_missing_and_dismissed_groups_are_404(void **state)
{
    grp_view_t none = {0};
    assert_int_equal(grp_gate(&none, GRP_NEED_VISIBLE), 404);
    grp_view_t gone = s_view(GRP_POLICY_OPEN, GRP_ROLE_OWNER);
    gone.dismissed = true;
    assert_int_equal(grp_gate(&gone, GRP_NEED_OWNER), 404);
}

static void test_patch_needs_owner_or_admin_dismiss_needs_owner(void **state)
{
    grp_view_t v = s_view(GRP_POLICY_OPEN, GRP_ROLE_ADMIN);
    assert_int_equal(grp_gate(&v, GRP_NEED_ADMIN), 200);
    assert_int_equal(grp_gate(&v, GRP_NEED_OWNER), 403);
    v.role = GRP_ROLE_MEMBER;
    assert_int_equal(grp_gate(&v, GRP_NEED_ADMIN), 403);
    v.role = GRP_ROLE_OWNER;
    assert_int_equal(grp_gate(&v, GRP_NEED_ADMIN), 200);
    assert_int_equal(grp_gate(&v, GRP_NEED_OWNER), 200);
}

static void test_only_the_owner_sets_roles_and_never_to_owner(void **state)
{
    const char *why = NULL;
    assert_int_equal(grp_may_set_role(GRP_ROLE_OWNER, GRP_ROLE_MEMBER, false, GRP_ROLE_ADMIN, &why),
                     200);
    assert_int_equal(grp_may_set_role(GRP_ROLE_OWNER, GRP_ROLE_ADMIN, false, GRP_ROLE_MEMBER, &why),
                     200);
    assert_int_equal(grp_may_set_role(GRP_ROLE_ADMIN, GRP_ROLE_MEMBER, false, GRP_ROLE_ADMIN, &why),
                     403);
    assert_int_equal(grp_may_set_role(GRP_ROLE_OWNER, GRP_ROLE_MEMBER, false, GRP_ROLE_OWNER, &why),
                     400);
    assert_int_equal(grp_may_set_role(GRP_ROLE_OWNER, GRP_ROLE_NONE, false, GRP_ROLE_ADMIN, &why),
                     404);
    assert_int_equal(grp_may_set_role(GRP_ROLE_OWNER, GRP_ROLE_OWNER, true, GRP_ROLE_ADMIN, &why),
                     409);
    assert_non_null(why);
}

static void test_admins_mute_members_but_not_admins_or_the_owner(void **state)
{
    const char *why = NULL;
    assert_int_equal(grp_may_mute(GRP_ROLE_ADMIN, GRP_ROLE_MEMBER, &why), 200);
    assert_int_equal(grp_may_mute(GRP_ROLE_ADMIN, GRP_ROLE_ADMIN, &why), 403);
    assert_int_equal(grp_may_mute(GRP_ROLE_ADMIN, GRP_ROLE_OWNER, &why), 403);
    assert_int_equal(grp_may_mute(GRP_ROLE_OWNER, GRP_ROLE_ADMIN, &why), 200);
    assert_int_equal(grp_may_mute(GRP_ROLE_MEMBER, GRP_ROLE_MEMBER, &why), 403);
    assert_int_equal(grp_may_mute(GRP_ROLE_OWNER, GRP_ROLE_NONE, &why), 404);
}

static void test_leaving_and_removing(void **state)
{
    int st = 0;
    const char *why = NULL;
    assert_int_equal(grp_decide_remove(GRP_ROLE_MEMBER, GRP_ROLE_MEMBER, true, &st, &why),
                     GRP_REMOVE_LEAVE);
    assert_int_equal(grp_decide_remove(GRP_ROLE_ADMIN, GRP_ROLE_ADMIN, true, &st, &why),
                     GRP_REMOVE_LEAVE);
    /* the owner must transfer first */
    assert_int_equal(grp_decide_remove(GRP_ROLE_OWNER, GRP_ROLE_OWNER, true, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 409);
    assert_int_equal(grp_decide_remove(GRP_ROLE_NONE, GRP_ROLE_NONE, true, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 404);
    assert_int_equal(grp_decide_remove(GRP_ROLE_OWNER, GRP_ROLE_ADMIN, false, &st, &why),
                     GRP_REMOVE_KICK);
    assert_int_equal(grp_decide_remove(GRP_ROLE_ADMIN, GRP_ROLE_MEMBER, false, &st, &why),
                     GRP_REMOVE_KICK);
    assert_int_equal(grp_decide_remove(GRP_ROLE_ADMIN, GRP_ROLE_ADMIN, false, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 403);
    assert_int_equal(grp_decide_remove(GRP_ROLE_ADMIN, GRP_ROLE_OWNER, false, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 403);
    assert_int_equal(grp_decide_remove(GRP_ROLE_MEMBER, GRP_ROLE_MEMBER, false, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 403);
    assert_int_equal(grp_decide_remove(GRP_ROLE_OWNER, GRP_ROLE_NONE, false, &st, &why),
                     GRP_REMOVE_REFUSED);
    assert_int_equal(st, 404);
}

static void test_transfer_goes_to_another_member(void **state)
{
    const char *why = NULL;
    assert_int_equal(grp_may_transfer(GRP_ROLE_MEMBER, false, &why), 200);
    assert_int_equal(grp_may_transfer(GRP_ROLE_ADMIN, false, &why), 200);
    assert_int_equal(grp_may_transfer(GRP_ROLE_NONE, false, &why), 404);
    assert_int_equal(grp_may_transfer(GRP_ROLE_OWNER, true, &why), 400);
}

static void test_join_outcomes_by_policy(void **state)
{
    int st = 0;
    const char *why = NULL;
    grp_view_t v = s_view(GRP_POLICY_OPEN, GRP_ROLE_NONE);
    assert_int_equal(grp_decide_join(&v, false, 10, &st, &why), GRP_JOIN_NOW);
    v.policy = GRP_POLICY_APPROVAL;
    assert_int_equal(grp_decide_join(&v, false, 10, &st, &why), GRP_JOIN_REQUEST);
    assert_int_equal(grp_decide_join(&v, true, 10, &st, &why), GRP_JOIN_REFUSED);
    assert_int_equal(st, 409); /* a pending request */
    v.policy = GRP_POLICY_INVITE_ONLY;
    assert_int_equal(grp_decide_join(&v, false, 10, &st, &why), GRP_JOIN_REFUSED);
    assert_int_equal(st, 404);
    v.role = GRP_ROLE_MEMBER; /* already a member: 409, whatever the policy */
    assert_int_equal(grp_decide_join(&v, false, 10, &st, &why), GRP_JOIN_REFUSED);
    assert_int_equal(st, 409);
    v = s_view(GRP_POLICY_OPEN, GRP_ROLE_NONE);
    assert_int_equal(grp_decide_join(&v, false, GRP_MAX_MEMBERS, &st, &why), GRP_JOIN_REFUSED);
    assert_int_equal(st, 409);
    v.dismissed = true;
    assert_int_equal(grp_decide_join(&v, false, 1, &st, &why), GRP_JOIN_REFUSED);
    assert_int_equal(st, 404);
}

static void test_deciding_a_request(void **state)
{
    const char *why = NULL;
    assert_int_equal(grp_may_decide(true, true, true, false, 5, &why), 200);
    assert_int_equal(grp_may_decide(true, true, false, false, 5, &why), 200);
    assert_int_equal(grp_may_decide(false, true, true, false, 5, &why), 404);
    /* the second of two approvals sees it decided */
    assert_int_equal(grp_may_decide(true, false, true, false, 5, &why), 409);
    assert_string_equal(why, "join request already decided");
    assert_int_equal(grp_may_decide(true, true, true, true, 5, &why), 409);
    assert_int_equal(grp_may_decide(true, true, true, false, GRP_MAX_MEMBERS, &why), 409);
    assert_int_equal(grp_may_decide(true, true, false, false, GRP_MAX_MEMBERS, &why), 200);
}

static void test_system_texts(void **state)
{
    int64_t ids[] = {7, 8};
    char *t = grp_system_text("joined", 7, ids, 1, NULL, false);
    assert_string_equal(t, "{\"event\":\"member_joined\",\"user_id\":7}");
    free(t);
    t = grp_system_text("joined", 3, ids, 2, NULL, true);
    assert_string_equal(t, "{\"event\":\"members_added\",\"user_ids\":[7,8]}");
    free(t);
    t = grp_system_text("created", 7, ids, 2, NULL, false);
    assert_string_equal(t, "{\"event\":\"group_created\",\"user_ids\":[7,8]}");
    free(t);
    t = grp_system_text("role", 1, ids, 1, "admin", false);
    assert_string_equal(t, "{\"event\":\"role_changed\",\"user_id\":7,\"role\":\"admin\"}");
    free(t);
    t = grp_system_text("transfer", 1, ids, 1, "owner", false);
    assert_string_equal(t,
                        "{\"event\":\"owner_transferred\",\"user_id\":7,\"previous_owner_id\":1}");
    free(t);
    assert_null(grp_system_text("muted", 1, ids, 1, NULL, false));
    assert_null(grp_system_text("updated", 1, NULL, 0, NULL, false));
}

static void test_cursor_round_trip_and_garbage(void **state)
{
    char buf[32];
    int64_t c = 0, id = 0;
    grp_cursor_format(1500, 42, buf, sizeof buf);
    assert_true(grp_cursor_parse(buf, &c, &id));
    assert_int_equal(c, 1500);
    assert_int_equal(id, 42);
    assert_false(grp_cursor_parse("", &c, &id));
    assert_false(grp_cursor_parse("12", &c, &id));
    assert_false(grp_cursor_parse("12.", &c, &id));
    assert_false(grp_cursor_parse("-1.5", &c, &id));
    assert_false(grp_cursor_parse("1.5x", &c, &id));
    assert_false(grp_cursor_parse("1.0", &c, &id));
}

static void test_parsing_names(void **state)
{
    assert_int_equal(grp_policy_parse("open"), GRP_POLICY_OPEN);
    assert_int_equal(grp_policy_parse("invite_only"), GRP_POLICY_INVITE_ONLY);
    assert_int_equal(grp_policy_parse("Open"), GRP_POLICY_INVALID);
    assert_int_equal(grp_role_parse("admin"), GRP_ROLE_ADMIN);
    assert_int_equal(grp_role_parse(NULL), GRP_ROLE_NONE);
    assert_string_equal(grp_role_name(GRP_ROLE_OWNER), "owner");
    assert_true(grp_text_ok(NULL, 10));
    assert_true(grp_text_ok("", 10));
    assert_false(grp_text_ok("a\nb", 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anyone_sees_an_approval_group_but_only_members_see_its_members),
        cmocka_unit_test(test_invite_only_groups_are_404_to_non_members_for_everything),
        cmocka_unit_test(test_missing_and_dismissed_groups_are_404),
        cmocka_unit_test(test_patch_needs_owner_or_admin_dismiss_needs_owner),
        cmocka_unit_test(test_only_the_owner_sets_roles_and_never_to_owner),
        cmocka_unit_test(test_admins_mute_members_but_not_admins_or_the_owner),
        cmocka_unit_test(test_leaving_and_removing),
        cmocka_unit_test(test_transfer_goes_to_another_member),
        cmocka_unit_test(test_join_outcomes_by_policy),
        cmocka_unit_test(test_deciding_a_request),
        cmocka_unit_test(test_system_texts),
        cmocka_unit_test(test_cursor_round_trip_and_garbage),
        cmocka_unit_test(test_parsing_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
