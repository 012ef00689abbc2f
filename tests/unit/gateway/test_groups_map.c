/* groups_map.c: request mapping (strict types, PATCH nulls) and RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "groups_map.h"

static json_t *s_json(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void test_create_maps_fields(void **state)
{
    (void)state;
    char err[256];
    gw_create_group_t m;
    json_t *b = s_json("{\"name\":\"篮球\",\"description\":null,\"member_ids\":[3,9]}");
    assert_int_equal(gw_map_create_group(b, &m, err, sizeof err), 0);
    assert_string_equal(m.msg.name, "篮球");
    assert_null(m.msg.description);
    assert_null(m.msg.join_policy);
    assert_int_equal(m.msg.n_member_ids, 2);
    assert_int_equal(m.msg.member_ids[1], 9);
    json_decref(b);

    const char *bad[] = {"{}",
                         "{\"name\":5}",
                         "{\"name\":null}",
                         "{\"name\":\"x\",\"member_ids\":5}",
                         "{\"name\":\"x\",\"member_ids\":[0]}",
                         "{\"name\":\"x\",\"member_ids\":[\"1\"]}",
                         "{\"name\":\"x\",\"member_ids\":[1.0]}",
                         "{\"name\":\"x\",\"member_ids\":[9007199254740992]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = s_json(bad[i]);
        assert_int_equal(gw_map_create_group(b, &m, err, sizeof err), -1);
        json_decref(b);
    }
}

static void test_add_members_needs_1_to_100(void **state)
{
    (void)state;
    char err[256];
    gw_add_members_t m;
    json_t *b = s_json("{\"user_ids\":[]}");
    assert_int_equal(gw_map_add_members(b, 7, &m, err, sizeof err), -1);
    json_decref(b);
    json_t *ids = json_array();
    for (int i = 1; i <= 101; i++)
        json_array_append_new(ids, json_integer(i));
    b = json_pack("{s:o}", "user_ids", ids);
    assert_int_equal(gw_map_add_members(b, 7, &m, err, sizeof err), -1);
    json_array_remove(json_object_get(b, "user_ids"), 0);
    assert_int_equal(gw_map_add_members(b, 7, &m, err, sizeof err), 0);
    assert_int_equal(m.msg.n_user_ids, 100);
    assert_int_equal(m.msg.group_id, 7);
    json_decref(b);
}

static void test_patch_nulls(void **state)
{
    (void)state;
    char err[256];
    gw_patch_group_t p;
    json_t *b = s_json("{\"name\":\"n\",\"description\":null}");
    assert_int_equal(gw_map_patch_group(b, 3, &p, err, sizeof err), 0);
    assert_string_equal(p.msg.name, "n");
    assert_int_equal(p.msg.n_null_fields, 1);
    assert_string_equal(p.msg.null_fields[0], "description");
    json_decref(b);

    gw_set_member_t s;
    b = s_json("{\"muted_until\":null,\"role\":null}");
    assert_int_equal(gw_map_set_member(b, 3, 4, &s, err, sizeof err), 0);
    assert_int_equal(s.msg.n_null_fields, 2);
    assert_false(s.msg.has_muted_until_us);
    json_decref(b);
    b = s_json("{\"muted_until\":\"1970-01-01T00:00:01.5Z\",\"role\":\"admin\"}");
    assert_int_equal(gw_map_set_member(b, 3, 4, &s, err, sizeof err), 0);
    assert_true(s.msg.has_muted_until_us);
    assert_int_equal(s.msg.muted_until_us, 1500000);
    assert_string_equal(s.msg.role, "admin");
    json_decref(b);
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t us = 0;
    assert_true(gw_parse_rfc3339("2026-11-25T20:39:03Z", &us));
    assert_int_equal(us, 1795639143LL * 1000000);
    assert_true(gw_parse_rfc3339("2026-11-26T04:39:03.123456789+08:00", &us));
    assert_int_equal(us, 1795639143LL * 1000000 + 123456);
    assert_true(gw_parse_rfc3339("2024-02-29t00:00:00z", &us));
    const char *bad[] = {"",
                         "2026-11-25",
                         "2026-11-25T20:39:03",
                         "2026-11-25 20:39:03Z",
                         "2023-02-29T00:00:00Z",
                         "2026-13-01T00:00:00Z",
                         "2026-11-25T24:00:00Z",
                         "2026-11-25T20:39:03.Z",
                         "2026-11-25T20:39:03+0800",
                         "2026-11-25T20:39:03Zjunk",
                         "1969-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gw_parse_rfc3339(bad[i], &us))
            fail_msg("accepted \"%s\"", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_maps_fields),
        cmocka_unit_test(test_add_members_needs_1_to_100),
        cmocka_unit_test(test_patch_nulls),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
