/* test_groups.c - API.md "Groups" through the gateway: every call, role and
 * join policy. Search, bad inputs and concurrent calls are in
 * test_groups_edge.c. Runs pigeon-auth, pigeon-relationship, pigeon-group
 * (and pigeon-router when built) behind a gateway on a fresh database. */
#include "groups_calls.h"

static h_system_t s_sys;

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, gc_pick_services(), ct_env);
    gc_wait_group(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* ------------------------------------------------------------------ normal use */

/* The seed's story: create with a friend and a one_way contact, then look. */
static void test_create_with_contacts(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), fr = ct_user(&s_sys, "friend"),
              ow = ct_user(&s_sys, "oneway"), st = ct_user(&s_sys, "stranger");
    gc_friends(&s_sys, &own, &fr);
    ct_add_expect(&s_sys, &own, ow.id, "one_way", 201, NULL);

    int64_t ids[] = {fr.id, ow.id, own.id}; /* the caller in the list is ignored */
    int64_t gid = gc_create(&s_sys, &own, "篮球爱好者", NULL, ids, 3);
    h_resp_t r = gc_expect(&s_sys, "GET", gid, NULL, &fr, NULL, 200, NULL);
    assert_int_equal(gc_check_group(r.json), gid);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "篮球爱好者");
    assert_string_equal(json_string_value(json_object_get(r.json, "join_policy")), "approval");
    assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 3);
    assert_true(json_is_null(json_object_get(r.json, "description")));
    h_resp_free(&r);
    gc_expect_role(&s_sys, &own, gid, own.id, "owner");
    gc_expect_role(&s_sys, &own, gid, fr.id, "member");
    gc_expect_role(&s_sys, &own, gid, ow.id, "member");

    /* A non-contact, and a follower (who added me one_way), are 403. */
    int64_t bad[] = {fr.id, st.id};
    json_t *body = json_pack("{s:s, s:[I,I]}", "name", "x", "member_ids", (json_int_t)bad[0],
                             (json_int_t)bad[1]);
    ct_check(&s_sys, "POST", "/v1/groups", own.token, body, 403, "forbidden");
    ct_add_expect(&s_sys, &st, own.id, "one_way", 201, NULL);
    body = json_pack("{s:s, s:[I]}", "name", "x", "member_ids", (json_int_t)st.id);
    ct_check(&s_sys, "POST", "/v1/groups", own.token, body, 403, "forbidden");

    /* Description and policy given; no members. */
    body = json_pack("{s:s, s:s, s:s}", "name", "Chess", "description", "weekly", "join_policy",
                     "open");
    r = ct_expect(&s_sys, "POST", "/v1/groups", own.token, body, 201, NULL);
    gc_check_group(r.json);
    assert_string_equal(json_string_value(json_object_get(r.json, "description")), "weekly");
    assert_string_equal(json_string_value(json_object_get(r.json, "join_policy")), "open");
    assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 1);
    h_resp_free(&r);
}

static void test_visibility(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), fr = ct_user(&s_sys, "friend"),
              out = ct_user(&s_sys, "outsider");
    gc_friends(&s_sys, &own, &fr);
    int64_t ids[] = {fr.id};
    int64_t hidden = gc_create(&s_sys, &own, "secret", "invite_only", ids, 1);
    int64_t open = gc_create(&s_sys, &own, "public", "open", NULL, 0);
    int64_t appr = gc_create(&s_sys, &own, "ask", "approval", NULL, 0);

    gc_check(&s_sys, "GET", hidden, NULL, &fr, NULL, 200, NULL);
    gc_check(&s_sys, "GET", hidden, NULL, &out, NULL, 404, "not_found");
    gc_check(&s_sys, "GET", hidden, "/members", &out, NULL, 404, "not_found");
    gc_check(&s_sys, "GET", hidden, "/members", &fr, NULL, 200, NULL);
    gc_check(&s_sys, "GET", open, NULL, &out, NULL, 200, NULL);
    gc_check(&s_sys, "GET", appr, NULL, &out, NULL, 200, NULL);
    gc_check(&s_sys, "GET", open, "/members", &out, NULL, 403, "forbidden");
    gc_check(&s_sys, "GET", appr, "/members", &out, NULL, 403, "forbidden");
    gc_check(&s_sys, "GET", 999999999, NULL, &out, NULL, 404, "not_found");
}

static void test_patch_group(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin"),
              mem = ct_user(&s_sys, "member");
    gc_friends(&s_sys, &own, &adm);
    gc_friends(&s_sys, &own, &mem);
    int64_t ids[] = {adm.id, mem.id};
    int64_t gid = gc_create(&s_sys, &own, "Chess Club", NULL, ids, 2);
    gc_make_admin(&s_sys, &own, gid, adm.id);

    /* A rename that keeps most of the name (its grams) works. */
    h_resp_t r = gc_expect(&s_sys, "PATCH", gid, NULL, &own,
                           json_pack("{s:s}", "name", "Chess Club Berlin"), 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "Chess Club Berlin");
    h_resp_free(&r);
    r = gc_expect(&s_sys, "PATCH", gid, NULL, &adm,
                  json_pack("{s:s, s:s}", "description", "Sundays", "join_policy", "open"), 200,
                  NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "description")), "Sundays");
    assert_string_equal(json_string_value(json_object_get(r.json, "join_policy")), "open");
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "Chess Club Berlin");
    h_resp_free(&r);
    gc_check(&s_sys, "PATCH", gid, NULL, &mem, json_pack("{s:s}", "name", "mine"), 403,
             "forbidden");
    gc_check(&s_sys, "PATCH", gid, NULL, &own, json_pack("{s:n}", "name"), 400, "invalid_argument");
    gc_check(&s_sys, "PATCH", gid, NULL, &own, json_pack("{s:n}", "join_policy"), 400,
             "invalid_argument");
    gc_check(&s_sys, "PATCH", gid, NULL, &own, json_pack("{s:s}", "join_policy", "nobody"), 400,
             "invalid_argument");
    r = gc_expect(&s_sys, "PATCH", gid, NULL, &own, json_pack("{s:n}", "description"), 200, NULL);
    assert_true(json_is_null(json_object_get(r.json, "description")));
    h_resp_free(&r);
    /* An empty patch changes nothing. */
    r = gc_expect(&s_sys, "PATCH", gid, NULL, &own, json_object(), 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "Chess Club Berlin");
    h_resp_free(&r);
}

static void test_dismiss(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin");
    gc_friends(&s_sys, &own, &adm);
    int64_t ids[] = {adm.id};
    int64_t gid = gc_create(&s_sys, &own, "short-lived", "open", ids, 1);
    gc_make_admin(&s_sys, &own, gid, adm.id);
    gc_check(&s_sys, "DELETE", gid, NULL, &adm, NULL, 403, "forbidden");
    gc_check(&s_sys, "DELETE", gid, NULL, &own, NULL, 204, NULL);
    gc_check(&s_sys, "GET", gid, NULL, &own, NULL, 404, "not_found");
    gc_check(&s_sys, "GET", gid, "/members", &adm, NULL, 404, "not_found");
    gc_check(&s_sys, "POST", gid, "/join", &adm, NULL, 404, "not_found");
    gc_check(&s_sys, "DELETE", gid, NULL, &own, NULL, 404, "not_found");
}

static void test_my_groups(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), fr = ct_user(&s_sys, "friend");
    gc_friends(&s_sys, &own, &fr);
    int64_t ids[] = {fr.id};
    int64_t a = gc_create(&s_sys, &own, "one", NULL, ids, 1);
    int64_t b = gc_create(&s_sys, &own, "two", "invite_only", NULL, 0);
    int64_t c = gc_create(&s_sys, &own, "three", "open", NULL, 0);
    gc_check(&s_sys, "DELETE", c, NULL, &own, NULL, 204, NULL);

    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/me/groups", own.token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "groups");
    assert_int_equal(json_array_size(list), 2); /* the dismissed one is gone */
    bool seen_a = false, seen_b = false;
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
    {
        int64_t id = gc_check_group(g);
        seen_a |= id == a;
        seen_b |= id == b;
    }
    assert_true(seen_a && seen_b);
    assert_null(json_object_get(r.json, "next_cursor"));
    h_resp_free(&r);
    r = ct_expect(&s_sys, "GET", "/v1/me/groups", fr.token, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "groups")), 1);
    h_resp_free(&r);
}

static void test_add_members(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), a = ct_user(&s_sys, "ann"),
              b = ct_user(&s_sys, "ben"), st = ct_user(&s_sys, "stranger");
    gc_friends(&s_sys, &own, &a);
    ct_add_expect(&s_sys, &own, b.id, "one_way", 201, NULL);
    int64_t gid = gc_create(&s_sys, &own, "adders", NULL, NULL, 0);

    h_resp_t r = gc_expect(&s_sys, "POST", gid, "/members", &own,
                           json_pack("{s:[I]}", "user_ids", (json_int_t)a.id), 200, NULL);
    json_t *list = json_object_get(r.json, "members");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(gc_check_member(json_array_get(list, 0)), a.id);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "role")),
                        "member");
    h_resp_free(&r);
    /* Already a member: not an error, and not in the answer. */
    r = gc_expect(&s_sys, "POST", gid, "/members", &own,
                  json_pack("{s:[I,I]}", "user_ids", (json_int_t)a.id, (json_int_t)b.id), 200,
                  NULL);
    list = json_object_get(r.json, "members");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(gc_check_member(json_array_get(list, 0)), b.id);
    h_resp_free(&r);
    r = gc_expect(&s_sys, "GET", gid, NULL, &own, NULL, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 3);
    h_resp_free(&r);
    /* Not a contact: 403; a plain member may not add: 403. */
    gc_check(&s_sys, "POST", gid, "/members", &own,
             json_pack("{s:[I]}", "user_ids", (json_int_t)st.id), 403, "forbidden");
    gc_friends(&s_sys, &a, &st);
    gc_check(&s_sys, "POST", gid, "/members", &a,
             json_pack("{s:[I]}", "user_ids", (json_int_t)st.id), 403, "forbidden");
    /* An admin adds their own contact. */
    gc_make_admin(&s_sys, &own, gid, a.id);
    r = gc_expect(&s_sys, "POST", gid, "/members", &a,
                  json_pack("{s:[I]}", "user_ids", (json_int_t)st.id), 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 1);
    h_resp_free(&r);
}

static void test_roles_and_mute(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin"),
              adm2 = ct_user(&s_sys, "admin2"), mem = ct_user(&s_sys, "member");
    gc_friends(&s_sys, &own, &adm);
    gc_friends(&s_sys, &own, &adm2);
    gc_friends(&s_sys, &own, &mem);
    int64_t ids[] = {adm.id, adm2.id, mem.id};
    int64_t gid = gc_create(&s_sys, &own, "roles", NULL, ids, 3);
    gc_make_admin(&s_sys, &own, gid, adm.id);
    gc_make_admin(&s_sys, &own, gid, adm2.id);
    gc_expect_role(&s_sys, &mem, gid, adm.id, "admin");

    /* Only the owner sets roles. */
    h_resp_t r = gc_set_member(&s_sys, &adm, gid, mem.id, json_pack("{s:s}", "role", "admin"), 403,
                               "forbidden");
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &own, gid, mem.id, json_pack("{s:n}", "role"), 400,
                      "invalid_argument");
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &own, gid, mem.id, json_pack("{s:s}", "role", "owner"), 400,
                      "invalid_argument");
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &own, gid, adm2.id, json_pack("{s:s}", "role", "member"), 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "member");
    h_resp_free(&r);
    gc_make_admin(&s_sys, &own, gid, adm2.id);

    /* Mute: an admin mutes a member, not an admin or the owner. */
    const char *until = "2099-01-02T03:04:05Z";
    r = gc_set_member(&s_sys, &adm, gid, mem.id, json_pack("{s:s}", "muted_until", until), 200,
                      NULL);
    assert_int_equal(gc_check_member(r.json), mem.id);
    const char *got = json_string_value(json_object_get(r.json, "muted_until"));
    assert_non_null(got);
    assert_int_equal(strncmp(got, "2099-01-02T03:04:05", 19), 0);
    h_resp_free(&r);
    /* An offset is converted: 11:04:05+08:00 is 03:04:05Z. */
    r = gc_set_member(&s_sys, &own, gid, mem.id,
                      json_pack("{s:s}", "muted_until", "2099-01-02T11:04:05+08:00"), 200, NULL);
    assert_int_equal(strncmp(json_string_value(json_object_get(r.json, "muted_until")),
                             "2099-01-02T03:04:05", 19),
                     0);
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &adm, gid, adm2.id, json_pack("{s:s}", "muted_until", until), 403,
                      "forbidden");
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &adm, gid, own.id, json_pack("{s:s}", "muted_until", until), 403,
                      "forbidden");
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &mem, gid, adm.id, json_pack("{s:s}", "muted_until", until), 403,
                      "forbidden");
    h_resp_free(&r);
    /* The owner mutes an admin; null clears. */
    r = gc_set_member(&s_sys, &own, gid, adm2.id, json_pack("{s:s}", "muted_until", until), 200,
                      NULL);
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &adm, gid, mem.id, json_pack("{s:n}", "muted_until"), 200, NULL);
    assert_true(json_is_null(json_object_get(r.json, "muted_until")));
    h_resp_free(&r);
    r = gc_set_member(&s_sys, &own, gid, 999999999, json_pack("{s:s}", "role", "admin"), 404,
                      "not_found");
    h_resp_free(&r);
}

static void test_remove_leave_transfer(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin"),
              adm2 = ct_user(&s_sys, "admin2"), mem = ct_user(&s_sys, "member"),
              mem2 = ct_user(&s_sys, "member2");
    gc_friends(&s_sys, &own, &adm);
    gc_friends(&s_sys, &own, &adm2);
    gc_friends(&s_sys, &own, &mem);
    gc_friends(&s_sys, &own, &mem2);
    int64_t ids[] = {adm.id, adm2.id, mem.id, mem2.id};
    int64_t gid = gc_create(&s_sys, &own, "leavers", NULL, ids, 4);
    gc_make_admin(&s_sys, &own, gid, adm.id);
    gc_make_admin(&s_sys, &own, gid, adm2.id);

    gc_remove(&s_sys, &own, gid, own.id, 409, "conflict"); /* transfer first */
    gc_remove(&s_sys, &adm, gid, adm2.id, 403, "forbidden");
    gc_remove(&s_sys, &adm, gid, own.id, 403, "forbidden");
    gc_remove(&s_sys, &mem, gid, mem2.id, 403, "forbidden");
    gc_remove(&s_sys, &adm, gid, mem.id, 204, NULL);
    gc_expect_role(&s_sys, &own, gid, mem.id, "");
    gc_check(&s_sys, "GET", gid, "/members", &mem, NULL, 403, "forbidden");
    gc_remove(&s_sys, &mem2, gid, mem2.id, 204, NULL);        /* leave */
    gc_remove(&s_sys, &mem2, gid, mem2.id, 404, "not_found"); /* no such member any more */

    /* Transfer: to a non-member 404, to yourself 400, by an admin 403. */
    gc_check(&s_sys, "POST", gid, "/transfer", &own, json_pack("{s:I}", "user_id", mem.id), 404,
             "not_found");
    gc_check(&s_sys, "POST", gid, "/transfer", &own, json_pack("{s:I}", "user_id", own.id), 400,
             "invalid_argument");
    gc_check(&s_sys, "POST", gid, "/transfer", &adm, json_pack("{s:I}", "user_id", adm2.id), 403,
             "forbidden");
    h_resp_t r = gc_expect(&s_sys, "POST", gid, "/transfer", &own,
                           json_pack("{s:I}", "user_id", (json_int_t)adm.id), 200, NULL);
    gc_check_group(r.json);
    assert_int_equal(json_integer_value(json_object_get(r.json, "owner_id")), adm.id);
    assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 3);
    h_resp_free(&r);
    gc_expect_role(&s_sys, &own, gid, own.id, "admin");
    gc_expect_role(&s_sys, &own, gid, adm.id, "owner");
    /* The old owner, now an admin, may leave. */
    gc_remove(&s_sys, &own, gid, own.id, 204, NULL);
    r = gc_expect(&s_sys, "GET", gid, NULL, &adm, NULL, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 2);
    h_resp_free(&r);
}

static void test_join_by_policy(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), j = ct_user(&s_sys, "joiner");
    int64_t open = gc_create(&s_sys, &own, "open door", "open", NULL, 0);
    int64_t appr = gc_create(&s_sys, &own, "ask first", NULL, NULL, 0);
    int64_t hidden = gc_create(&s_sys, &own, "hidden", "invite_only", NULL, 0);

    h_resp_t r = gc_expect(&s_sys, "POST", open, "/join", &j, NULL, 200, NULL);
    assert_int_equal(gc_check_member(r.json), j.id);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "member");
    h_resp_free(&r);
    gc_check(&s_sys, "POST", open, "/join", &j, json_object(), 409, "conflict");
    gc_check(&s_sys, "POST", hidden, "/join", &j, NULL, 404, "not_found");
    gc_apply(&s_sys, &j, appr);
    gc_check(&s_sys, "POST", appr, "/join", &j, NULL, 409, "conflict");
    gc_check(&s_sys, "POST", 999999999, "/join", &j, NULL, 404, "not_found");
    gc_check(&s_sys, "POST", open, "/join", &j, json_pack("{s:i}", "message", 5), 400,
             "invalid_argument");
}

static void test_join_requests(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin"),
              mem = ct_user(&s_sys, "member"), a = ct_user(&s_sys, "ann"),
              b = ct_user(&s_sys, "ben");
    gc_friends(&s_sys, &own, &adm);
    gc_friends(&s_sys, &own, &mem);
    int64_t ids[] = {adm.id, mem.id};
    int64_t gid = gc_create(&s_sys, &own, "club", "approval", ids, 2);
    int64_t other = gc_create(&s_sys, &own, "other club", "approval", NULL, 0);
    gc_make_admin(&s_sys, &own, gid, adm.id);
    int64_t ra = gc_apply(&s_sys, &a, gid), rb = gc_apply(&s_sys, &b, gid);
    int64_t rother = gc_apply(&s_sys, &a, other);

    gc_check(&s_sys, "GET", gid, "/join-requests", &mem, NULL, 403, "forbidden");
    gc_check(&s_sys, "GET", gid, "/join-requests", &a, NULL, 403, "forbidden");
    h_resp_t r = gc_expect(&s_sys, "GET", gid, "/join-requests", &adm, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "requests");
    assert_int_equal(json_array_size(list), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), ra);
    h_resp_free(&r);

    gc_decide(&s_sys, &mem, gid, ra, "approve", 403, "forbidden");
    gc_decide(&s_sys, &own, gid, rother, "approve", 404, "not_found");
    char sub[96];
    r = gc_expect(&s_sys, "POST", gid, gc_sub(sub, sizeof sub, "join-requests", ra, "approve"),
                  &adm, NULL, 200, NULL);
    assert_int_equal(gc_check_member(r.json), a.id);
    h_resp_free(&r);
    gc_decide(&s_sys, &own, gid, ra, "approve", 409, "conflict");
    gc_decide(&s_sys, &own, gid, ra, "reject", 409, "conflict");
    gc_decide(&s_sys, &own, gid, rb, "reject", 204, NULL);
    gc_decide(&s_sys, &own, gid, rb, "approve", 409, "conflict");
    gc_decide(&s_sys, &own, gid, 999999999, "approve", 404, "not_found");
    gc_expect_role(&s_sys, &own, gid, a.id, "member");
    gc_expect_role(&s_sys, &own, gid, b.id, "");
    r = gc_expect(&s_sys, "GET", gid, "/join-requests", &own, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "requests")), 0);
    h_resp_free(&r);
    /* After a rejection, asking again makes a new request. */
    assert_true(gc_apply(&s_sys, &b, gid) != rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_contacts),
        cmocka_unit_test(test_visibility),
        cmocka_unit_test(test_patch_group),
        cmocka_unit_test(test_dismiss),
        cmocka_unit_test(test_my_groups),
        cmocka_unit_test(test_add_members),
        cmocka_unit_test(test_roles_and_mute),
        cmocka_unit_test(test_remove_leave_transfer),
        cmocka_unit_test(test_join_by_policy),
        cmocka_unit_test(test_join_requests),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
