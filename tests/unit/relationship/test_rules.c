/* test_rules.c - API.md's Contacts rules, outcome by outcome, without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "rel_rules.h"
#include "status.h"

/* An existing, open user I have nothing to do with. */
static rel_add_state_t s_stranger(void)
{
    rel_add_state_t st = {.target_exists = true, .target_open = true};
    return st;
}

static void test_one_way_add_of_an_open_stranger_makes_a_contact(void **state)
{
    rel_add_state_t st = s_stranger();
    rel_add_outcome_t out = rel_decide_add(REL_MODE_ONE_WAY, &st);
    assert_int_equal(out, REL_ADD_MAKE_ONE_WAY);
    assert_int_equal(rel_add_status(out), 201);
    assert_null(rel_add_message(out));
}

static void test_two_way_add_of_a_stranger_makes_a_request(void **state)
{
    rel_add_state_t st = s_stranger();
    rel_add_outcome_t out = rel_decide_add(REL_MODE_TWO_WAY, &st);
    assert_int_equal(out, REL_ADD_MAKE_REQUEST);
    assert_int_equal(rel_add_status(out), 202);
    /* add_policy does not matter for a request */
    st.target_open = false;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_MAKE_REQUEST);
}

static void test_adding_yourself_is_400_in_both_modes(void **state)
{
    rel_add_state_t st = {.self = true}; /* decided before pigeon-auth is asked */
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_SELF);
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_SELF);
    assert_int_equal(rel_add_status(REL_ADD_SELF), 400);
}

static void test_unknown_target_is_404(void **state)
{
    rel_add_state_t st = {0};
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_NO_TARGET);
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_NO_TARGET);
    assert_int_equal(rel_add_status(REL_ADD_NO_TARGET), 404);
}

static void test_target_who_blocked_me_is_403_whatever_else_holds(void **state)
{
    rel_add_state_t st = s_stranger();
    st.blocked_by_target = true;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_BLOCKED);
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_BLOCKED);
    /* before 409: a blocked user learns nothing from our history */
    st.mine = REL_FRIEND;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_BLOCKED);
    st.mine = REL_ONE_WAY;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_BLOCKED);
    st.mine = REL_NONE;
    st.their_pending = true; /* even their request to me does not make a friendship */
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_BLOCKED);
    assert_int_equal(rel_add_status(REL_ADD_BLOCKED), 403);
    /* worded like any refusal: it does not say "blocked" */
    assert_null(strstr(rel_add_message(REL_ADD_BLOCKED), "block"));
}

static void test_one_way_to_an_approval_user_is_403(void **state)
{
    rel_add_state_t st = s_stranger();
    st.target_open = false;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_NEEDS_APPROVAL);
    assert_int_equal(rel_add_status(REL_ADD_NEEDS_APPROVAL), 403);
}

static void test_one_way_of_a_friend_is_409(void **state)
{
    rel_add_state_t st = s_stranger();
    st.mine = REL_FRIEND;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_ALREADY_FRIEND);
    assert_int_equal(rel_add_status(REL_ADD_ALREADY_FRIEND), 409);
}

static void test_one_way_of_someone_already_added_is_409(void **state)
{
    rel_add_state_t st = s_stranger();
    st.mine = REL_ONE_WAY;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_ALREADY_ONE_WAY);
    assert_int_equal(rel_add_status(REL_ADD_ALREADY_ONE_WAY), 409);
    /* still 409 after they switched to approval: it is already there */
    st.target_open = false;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_ALREADY_ONE_WAY);
}

static void test_two_way_of_a_friend_is_409(void **state)
{
    rel_add_state_t st = s_stranger();
    st.mine = REL_FRIEND;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_ALREADY_FRIEND);
}

static void test_second_pending_request_is_409(void **state)
{
    rel_add_state_t st = s_stranger();
    st.my_pending = true;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_ALREADY_PENDING);
    assert_int_equal(rel_add_status(REL_ADD_ALREADY_PENDING), 409);
}

static void test_pending_request_does_not_stop_a_one_way_add(void **state)
{
    rel_add_state_t st = s_stranger();
    st.my_pending = true;
    assert_int_equal(rel_decide_add(REL_MODE_ONE_WAY, &st), REL_ADD_MAKE_ONE_WAY);
}

static void test_two_way_meeting_their_pending_request_makes_friends(void **state)
{
    rel_add_state_t st = s_stranger();
    st.their_pending = true;
    rel_add_outcome_t out = rel_decide_add(REL_MODE_TWO_WAY, &st);
    assert_int_equal(out, REL_ADD_ACCEPT_THEIRS);
    assert_int_equal(rel_add_status(out), 201);
    /* also when I hold them one_way already */
    st.mine = REL_ONE_WAY;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_ACCEPT_THEIRS);
}

static void test_their_one_way_add_of_me_does_not_make_friends(void **state)
{
    /* Their one_way row on me is not part of the add state at all: a
     * two_way add with no pending request from them is a new request. */
    rel_add_state_t st = s_stranger();
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_MAKE_REQUEST);
}

static void test_two_way_while_holding_them_one_way_makes_a_request(void **state)
{
    rel_add_state_t st = s_stranger();
    st.mine = REL_ONE_WAY;
    assert_int_equal(rel_decide_add(REL_MODE_TWO_WAY, &st), REL_ADD_MAKE_REQUEST);
}

static void test_after_decline_or_cancel_a_new_request_is_202(void **state)
{
    /* A decided request is not pending: the state is the stranger's again. */
    rel_add_state_t st = s_stranger();
    st.my_pending = false;
    assert_int_equal(rel_add_status(rel_decide_add(REL_MODE_TWO_WAY, &st)), 202);
}

/* --- accept / decline / cancel --- */

static rel_request_state_t s_pending(void)
{
    rel_request_state_t st = {.exists = true, .from_id = 1, .to_id = 2, .pending = true};
    return st;
}

static void test_target_accepts_and_declines_sender_cancels(void **state)
{
    rel_request_state_t st = s_pending();
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 2, &st), REL_REQ_PROCEED);
    assert_int_equal(rel_decide_request(REL_ACT_DECLINE, 2, &st), REL_REQ_PROCEED);
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 1, &st), REL_REQ_PROCEED);
    assert_int_equal(rel_request_status(REL_REQ_PROCEED), 0);
}

static void test_anyone_else_gets_404(void **state)
{
    rel_request_state_t st = s_pending();
    /* the sender cannot accept or decline their own request */
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 1, &st), REL_REQ_NOT_FOUND);
    assert_int_equal(rel_decide_request(REL_ACT_DECLINE, 1, &st), REL_REQ_NOT_FOUND);
    /* the target cannot cancel it */
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 2, &st), REL_REQ_NOT_FOUND);
    /* a third user sees nothing, for any action */
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 3, &st), REL_REQ_NOT_FOUND);
    assert_int_equal(rel_decide_request(REL_ACT_DECLINE, 3, &st), REL_REQ_NOT_FOUND);
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 3, &st), REL_REQ_NOT_FOUND);
    assert_int_equal(rel_request_status(REL_REQ_NOT_FOUND), 404);
}

static void test_missing_request_is_404(void **state)
{
    rel_request_state_t st = {0};
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 2, &st), REL_REQ_NOT_FOUND);
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 1, &st), REL_REQ_NOT_FOUND);
}

static void test_decided_request_is_409_but_only_to_its_parties(void **state)
{
    rel_request_state_t st = s_pending();
    st.pending = false;
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 2, &st), REL_REQ_NOT_PENDING);
    assert_int_equal(rel_decide_request(REL_ACT_DECLINE, 2, &st), REL_REQ_NOT_PENDING);
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 1, &st), REL_REQ_NOT_PENDING);
    assert_int_equal(rel_request_status(REL_REQ_NOT_PENDING), 409);
    /* a stranger still learns nothing about its state */
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 3, &st), REL_REQ_NOT_FOUND);
}

static void test_accepting_after_the_sender_blocked_me_is_403(void **state)
{
    rel_request_state_t st = s_pending();
    st.sender_blocked_target = true;
    assert_int_equal(rel_decide_request(REL_ACT_ACCEPT, 2, &st), REL_REQ_BLOCKED);
    assert_int_equal(rel_request_status(REL_REQ_BLOCKED), 403);
    /* declining and cancelling stay possible */
    assert_int_equal(rel_decide_request(REL_ACT_DECLINE, 2, &st), REL_REQ_PROCEED);
    assert_int_equal(rel_decide_request(REL_ACT_CANCEL, 1, &st), REL_REQ_PROCEED);
}

/* --- remove --- */

static void test_remove_takes_what_i_hold(void **state)
{
    assert_int_equal(rel_decide_remove(REL_ONE_WAY), REL_REMOVE_ONE_WAY);
    assert_int_equal(rel_decide_remove(REL_FRIEND), REL_REMOVE_FRIENDSHIP);
    /* nobody, or a follower (I hold no row on them): 404 */
    assert_int_equal(rel_decide_remove(REL_NONE), REL_REMOVE_NOTHING);
}

/* --- the contact list --- */

static void test_contact_view(void **state)
{
    assert_int_equal(rel_contact_view(REL_FRIEND, REL_FRIEND), REL_SHOW_FRIEND);
    assert_int_equal(rel_contact_view(REL_ONE_WAY, REL_NONE), REL_SHOW_ONE_WAY);
    /* both added each other one_way: each sees one_way, not friend */
    assert_int_equal(rel_contact_view(REL_ONE_WAY, REL_ONE_WAY), REL_SHOW_ONE_WAY);
    assert_int_equal(rel_contact_view(REL_NONE, REL_ONE_WAY), REL_SHOW_FOLLOWER);
    assert_int_equal(rel_contact_view(REL_NONE, REL_NONE), REL_SHOW_NONE);
    assert_string_equal(rel_show_name(REL_SHOW_FRIEND), "friend");
    assert_string_equal(rel_show_name(REL_SHOW_ONE_WAY), "one_way");
    assert_string_equal(rel_show_name(REL_SHOW_FOLLOWER), "follower");
    assert_null(rel_show_name(REL_SHOW_NONE));
}

/* --- may_message --- */

static void test_may_message(void **state)
{
    /* friends, either way */
    assert_true(rel_may_message(false, REL_FRIEND, REL_FRIEND));
    /* I added them one_way: I may write at once */
    assert_true(rel_may_message(false, REL_ONE_WAY, REL_NONE));
    /* they added me one_way: I may answer */
    assert_true(rel_may_message(false, REL_NONE, REL_ONE_WAY));
    /* strangers (a pending request alone does not count) */
    assert_false(rel_may_message(false, REL_NONE, REL_NONE));
    /* the recipient blocked me: nothing helps */
    assert_false(rel_may_message(true, REL_FRIEND, REL_FRIEND));
    assert_false(rel_may_message(true, REL_ONE_WAY, REL_NONE));
    assert_false(rel_may_message(true, REL_NONE, REL_ONE_WAY));
}

/* --- input --- */

static void test_parsers(void **state)
{
    assert_int_equal(rel_mode_parse("one_way"), REL_MODE_ONE_WAY);
    assert_int_equal(rel_mode_parse("two_way"), REL_MODE_TWO_WAY);
    assert_int_equal(rel_mode_parse("friend"), 0);
    assert_int_equal(rel_mode_parse(""), 0);
    assert_int_equal(rel_mode_parse(NULL), 0);
    assert_int_equal(rel_direction_incoming("incoming"), 1);
    assert_int_equal(rel_direction_incoming(NULL), 1);
    assert_int_equal(rel_direction_incoming("outgoing"), 0);
    assert_int_equal(rel_direction_incoming("both"), -1);
    assert_int_equal(rel_kind_parse("friend"), REL_FRIEND);
    assert_int_equal(rel_kind_parse("one_way"), REL_ONE_WAY);
    assert_int_equal(rel_kind_parse("follower"), REL_NONE); /* never stored */
    assert_int_equal(rel_kind_parse(NULL), REL_NONE);
    assert_string_equal(rel_kind_name(REL_FRIEND), "friend");
    assert_string_equal(rel_kind_name(REL_ONE_WAY), "one_way");
    assert_null(rel_kind_name(REL_NONE));
}

static void test_text_limits(void **state)
{
    assert_true(rel_text_ok(NULL, REL_MESSAGE_MAX_CHARS));
    assert_true(rel_text_ok("", REL_REMARK_MAX_CHARS));
    assert_true(rel_text_ok("Hi, it's Bob from work", REL_MESSAGE_MAX_CHARS));
    assert_true(rel_text_ok("老王", REL_REMARK_MAX_CHARS));
    /* limits count code points, not bytes: 64 CJK characters are 192 bytes */
    char cjk[64 * 3 + 4] = "";
    for (int i = 0; i < 64; i++)
        strcat(cjk, "\xe7\x8e\x8b");
    assert_true(rel_text_ok(cjk, REL_REMARK_MAX_CHARS));
    strcat(cjk, "x");
    assert_false(rel_text_ok(cjk, REL_REMARK_MAX_CHARS));
    char msg[REL_MESSAGE_MAX_CHARS + 2];
    memset(msg, 'a', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    assert_false(rel_text_ok(msg, REL_MESSAGE_MAX_CHARS));
    msg[REL_MESSAGE_MAX_CHARS] = '\0';
    assert_true(rel_text_ok(msg, REL_MESSAGE_MAX_CHARS));
    /* control characters and bad UTF-8 */
    assert_false(rel_text_ok("line\nbreak", REL_MESSAGE_MAX_CHARS));
    assert_false(rel_text_ok("tab\there", REL_REMARK_MAX_CHARS));
    assert_false(rel_text_ok("\xc0\xaf", REL_REMARK_MAX_CHARS));
    assert_false(rel_text_ok("\xed\xa0\x80", REL_REMARK_MAX_CHARS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_way_add_of_an_open_stranger_makes_a_contact),
        cmocka_unit_test(test_two_way_add_of_a_stranger_makes_a_request),
        cmocka_unit_test(test_adding_yourself_is_400_in_both_modes),
        cmocka_unit_test(test_unknown_target_is_404),
        cmocka_unit_test(test_target_who_blocked_me_is_403_whatever_else_holds),
        cmocka_unit_test(test_one_way_to_an_approval_user_is_403),
        cmocka_unit_test(test_one_way_of_a_friend_is_409),
        cmocka_unit_test(test_one_way_of_someone_already_added_is_409),
        cmocka_unit_test(test_two_way_of_a_friend_is_409),
        cmocka_unit_test(test_second_pending_request_is_409),
        cmocka_unit_test(test_pending_request_does_not_stop_a_one_way_add),
        cmocka_unit_test(test_two_way_meeting_their_pending_request_makes_friends),
        cmocka_unit_test(test_their_one_way_add_of_me_does_not_make_friends),
        cmocka_unit_test(test_two_way_while_holding_them_one_way_makes_a_request),
        cmocka_unit_test(test_after_decline_or_cancel_a_new_request_is_202),
        cmocka_unit_test(test_target_accepts_and_declines_sender_cancels),
        cmocka_unit_test(test_anyone_else_gets_404),
        cmocka_unit_test(test_missing_request_is_404),
        cmocka_unit_test(test_decided_request_is_409_but_only_to_its_parties),
        cmocka_unit_test(test_accepting_after_the_sender_blocked_me_is_403),
        cmocka_unit_test(test_remove_takes_what_i_hold),
        cmocka_unit_test(test_contact_view),
        cmocka_unit_test(test_may_message),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_text_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
