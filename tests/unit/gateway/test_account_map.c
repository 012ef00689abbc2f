/* Account JSON -> protobuf (strict types, nulls) and protobuf -> JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "account_map.h"
#include "json.h"

static json_t *s_obj(const char *text)
{
    char err[256];
    json_t *o = pc_json_parse_object(text, strlen(text), err, sizeof err);
    assert_non_null(o);
    return o;
}

static void test_map_register(void **state)
{
    char err[256];
    json_t *o = s_obj("{\"username\":\"alice\",\"password\":\"secret-123\","
                      "\"nickname\":\"\xe5\xb0\x8f\xe6\x98\x8e\",\"extra\":[1,2]}");
    Pigeon__Auth__RegisterRequest r;
    assert_int_equal(gw_map_register(o, &r, err, sizeof err), 0);
    assert_string_equal(r.username, "alice");
    assert_string_equal(r.password, "secret-123");
    assert_string_equal(r.nickname, "\xe5\xb0\x8f\xe6\x98\x8e");
    assert_null(r.client_ip);
    json_decref(o);
}

static void test_map_register_wrong_type_and_missing(void **state)
{
    char err[256];
    Pigeon__Auth__RegisterRequest r;
    json_t *o = s_obj("{\"username\":5,\"password\":\"p\",\"nickname\":\"n\"}");
    assert_int_equal(gw_map_register(o, &r, err, sizeof err), -1);
    assert_string_equal(err, "field \"username\" must be a string");
    json_decref(o);

    o = s_obj("{\"username\":\"a\",\"nickname\":\"n\"}");
    assert_int_equal(gw_map_register(o, &r, err, sizeof err), -1);
    assert_string_equal(err, "field \"password\" is required");
    json_decref(o);

    o = s_obj("{\"username\":\"a\",\"password\":\"p\",\"nickname\":null}");
    assert_int_equal(gw_map_register(o, &r, err, sizeof err), -1);
    assert_string_equal(err, "field \"nickname\" must be a string");
    json_decref(o);
}

static void test_map_login_device_optional(void **state)
{
    char err[256];
    Pigeon__Auth__LoginRequest r;
    json_t *o = s_obj("{\"username\":\"a\",\"password\":\"p\"}");
    assert_int_equal(gw_map_login(o, &r, err, sizeof err), 0);
    assert_null(r.device);
    json_decref(o);
    o = s_obj("{\"username\":\"a\",\"password\":\"p\",\"device\":\"phone\"}");
    assert_int_equal(gw_map_login(o, &r, err, sizeof err), 0);
    assert_string_equal(r.device, "phone");
    json_decref(o);
    o = s_obj("{\"username\":\"a\",\"password\":\"p\",\"device\":true}");
    assert_int_equal(gw_map_login(o, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "device"));
    json_decref(o);
}

static void test_map_patch_absent_null_set(void **state)
{
    char err[256];
    gw_patch_me_t p;
    json_t *o = s_obj("{}");
    assert_int_equal(gw_map_patch_me(o, &p, err, sizeof err), 0);
    assert_null(p.msg.nickname);
    assert_false(p.msg.has_avatar_media_id);
    assert_null(p.msg.add_policy);
    assert_int_equal(p.msg.n_null_fields, 0);
    json_decref(o);

    o = s_obj("{\"nickname\":\"Bob\",\"avatar_media_id\":null,\"add_policy\":\"approval\"}");
    assert_int_equal(gw_map_patch_me(o, &p, err, sizeof err), 0);
    assert_string_equal(p.msg.nickname, "Bob");
    assert_string_equal(p.msg.add_policy, "approval");
    assert_false(p.msg.has_avatar_media_id);
    assert_int_equal(p.msg.n_null_fields, 1);
    assert_string_equal(p.msg.null_fields[0], "avatar_media_id");
    json_decref(o);

    o = s_obj("{\"nickname\":null,\"avatar_media_id\":17,\"add_policy\":null}");
    assert_int_equal(gw_map_patch_me(o, &p, err, sizeof err), 0);
    assert_true(p.msg.has_avatar_media_id);
    assert_int_equal(p.msg.avatar_media_id, 17);
    assert_int_equal(p.msg.n_null_fields, 2);
    assert_string_equal(p.msg.null_fields[0], "nickname");
    assert_string_equal(p.msg.null_fields[1], "add_policy");
    json_decref(o);
}

static void test_map_patch_wrong_types(void **state)
{
    char err[256];
    gw_patch_me_t p;
    const char *bad[] = {
        "{\"avatar_media_id\":\"12\"}", "{\"avatar_media_id\":1.5}",
        "{\"avatar_media_id\":0}",      "{\"avatar_media_id\":9007199254740992}",
        "{\"nickname\":5}",             "{\"add_policy\":[\"open\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *o = s_obj(bad[i]);
        err[0] = '\0';
        assert_int_equal(gw_map_patch_me(o, &p, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        json_decref(o);
    }
}

static void test_user_and_session_json(void **state)
{
    Pigeon__Auth__User u = PIGEON__AUTH__USER__INIT;
    u.id = 5;
    u.username = "alice";
    u.nickname = "Alice";
    u.add_policy = "open";
    u.created_at_us = 0;
    json_t *j = gw_user_json(&u);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 5);
    assert_true(json_is_null(json_object_get(j, "avatar_media_id")));
    assert_string_equal(json_string_value(json_object_get(j, "add_policy")), "open");
    assert_non_null(json_string_value(json_object_get(j, "created_at")));
    json_decref(j);

    Pigeon__Auth__Session s = PIGEON__AUTH__SESSION__INIT;
    s.user = &u;
    s.token = "tok";
    s.expires_at_us = 1700000000000000LL;
    j = gw_session_json(&s);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "token")), "tok");
    assert_true(json_is_object(json_object_get(j, "user")));
    assert_true(json_is_string(json_object_get(j, "expires_at")));
    json_decref(j);

    Pigeon__Auth__User *users[] = {&u};
    Pigeon__Auth__UserList l = PIGEON__AUTH__USER_LIST__INIT;
    l.n_users = 1;
    l.users = users;
    j = gw_user_list_json(&l, 1);
    assert_int_equal(json_array_size(json_object_get(j, "users")), 1);
    assert_true(json_is_null(json_object_get(j, "next_cursor")));
    json_decref(j);
    l.next_cursor = "c2";
    j = gw_user_list_json(&l, 1);
    assert_string_equal(json_string_value(json_object_get(j, "next_cursor")), "c2");
    json_decref(j);
    j = gw_user_list_json(&l, 0);
    assert_null(json_object_get(j, "next_cursor"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_register),
        cmocka_unit_test(test_map_register_wrong_type_and_missing),
        cmocka_unit_test(test_map_login_device_optional),
        cmocka_unit_test(test_map_patch_absent_null_set),
        cmocka_unit_test(test_map_patch_wrong_types),
        cmocka_unit_test(test_user_and_session_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
