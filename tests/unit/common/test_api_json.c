/* test_api_json.c - API.md's user, contact and friend_request objects, and event frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "api_json.h"

/* 2026-11-24T20:39:03.123456Z */
#define S_T1 INT64_C(1795552743123456)

static Pigeon__Auth__User s_user(int64_t id, const char *username, const char *nickname)
{
    Pigeon__Auth__User u = PIGEON__AUTH__USER__INIT;
    u.id = id;
    u.username = (char *)username;
    u.nickname = (char *)nickname;
    u.add_policy = "open";
    u.created_at_us = S_T1;
    return u;
}

/* The object's text, for exact comparisons (keys keep insertion order). */
static char *s_text(json_t *v)
{
    assert_non_null(v);
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    assert_non_null(s);
    return s;
}

static void test_user_has_exactly_api_md_fields(void **state)
{
    Pigeon__Auth__User u = s_user(7, "alice", "Alice");
    char *s = s_text(pc_api_user(&u));
    assert_string_equal(s, "{\"id\":7,\"username\":\"alice\",\"nickname\":\"Alice\","
                           "\"avatar_media_id\":null,\"add_policy\":\"open\","
                           "\"created_at\":\"2026-11-24T20:39:03.123Z\"}");
    free(s);
}

static void test_user_avatar_and_large_ids_are_integers(void **state)
{
    Pigeon__Auth__User u = s_user(INT64_C(9007199254740991), "bob", "鲍勃");
    u.has_avatar_media_id = 1;
    u.avatar_media_id = 42;
    u.add_policy = "approval";
    json_t *v = pc_api_user(&u);
    assert_non_null(v);
    assert_true(json_is_integer(json_object_get(v, "id")));
    assert_int_equal(json_integer_value(json_object_get(v, "id")), INT64_C(9007199254740991));
    assert_int_equal(json_integer_value(json_object_get(v, "avatar_media_id")), 42);
    assert_string_equal(json_string_value(json_object_get(v, "nickname")), "鲍勃");
    assert_string_equal(json_string_value(json_object_get(v, "add_policy")), "approval");
    assert_int_equal(json_object_size(v), 6);
    json_decref(v);
}

static void test_contact_with_and_without_remark(void **state)
{
    Pigeon__Auth__User u = s_user(8, "carol", "Carol");
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    c.user = &u;
    c.kind = "friend";
    c.since_us = S_T1;
    json_t *v = pc_api_contact(&c);
    assert_non_null(v);
    assert_int_equal(json_object_size(v), 4);
    assert_true(json_is_null(json_object_get(v, "remark")));
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "friend");
    assert_string_equal(json_string_value(json_object_get(v, "since")), "2026-11-24T20:39:03.123Z");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "user"), "id")), 8);
    json_decref(v);

    c.remark = "老同学";
    c.kind = "follower";
    v = pc_api_contact(&c);
    assert_string_equal(json_string_value(json_object_get(v, "remark")), "老同学");
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "follower");
    json_decref(v);
}

static void test_friend_request_fields(void **state)
{
    Pigeon__Auth__User a = s_user(1, "alice", "Alice");
    Pigeon__Auth__User b = s_user(2, "bob", "Bob");
    Pigeon__Rel__FriendRequest r = PIGEON__REL__FRIEND_REQUEST__INIT;
    r.id = 99;
    r.from = &a;
    r.to = &b;
    r.status = "pending";
    r.created_at_us = S_T1;
    json_t *v = pc_api_friend_request(&r);
    assert_non_null(v);
    assert_int_equal(json_object_size(v), 6);
    assert_int_equal(json_integer_value(json_object_get(v, "id")), 99);
    assert_true(json_is_null(json_object_get(v, "message")));
    assert_string_equal(json_string_value(json_object_get(v, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "from"), "username")),
                        "alice");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "to"), "username")),
                        "bob");
    json_decref(v);

    r.message = "hi, it's Alice";
    v = pc_api_friend_request(&r);
    assert_string_equal(json_string_value(json_object_get(v, "message")), "hi, it's Alice");
    json_decref(v);
}

static void test_frame_is_final_websocket_text(void **state)
{
    Pigeon__Auth__User u = s_user(8, "carol", "Carol");
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    c.user = &u;
    c.kind = "one_way";
    c.since_us = S_T1;
    char *text = pc_api_frame("contact", "contact", pc_api_contact(&c));
    assert_non_null(text);
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "contact");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "contact"), "kind")),
                        "one_way");
    assert_null(strchr(text, '\n')); /* compact: one line */
    assert_int_equal(strncmp(text, "{\"type\":\"contact\",", 18), 0);
    json_decref(v);
    free(text);
}

static void test_missing_input_gives_null(void **state)
{
    assert_null(pc_api_user(NULL));
    assert_null(pc_api_contact(NULL));
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT; /* no user */
    c.kind = "friend";
    assert_null(pc_api_contact(&c));
    assert_null(pc_api_friend_request(NULL));
    assert_null(pc_api_frame("contact", "contact", NULL));
    /* invalid UTF-8 cannot become JSON: NULL, not a broken frame */
    Pigeon__Auth__User bad = s_user(1, "x", "\xc0\xaf");
    assert_null(pc_api_user(&bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_has_exactly_api_md_fields),
        cmocka_unit_test(test_user_avatar_and_large_ids_are_integers),
        cmocka_unit_test(test_contact_with_and_without_remark),
        cmocka_unit_test(test_friend_request_fields),
        cmocka_unit_test(test_frame_is_final_websocket_text),
        cmocka_unit_test(test_missing_input_gives_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
