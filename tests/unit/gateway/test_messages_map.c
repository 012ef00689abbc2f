/* test_messages_map.c - messages JSON -> protobuf, string path segments,
 * and the {cid} routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "messages_map.h"
#include "routes.h"

static json_t *s_json(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void test_send_maps(void **state)
{
    (void)state;
    char err[256];
    Pigeon__Msg__SendRequest m;
    json_t *b = s_json("{\"type\":\"send\",\"to\":{\"user_id\":7},\"client_msg_id\":\"k1\","
                       "\"kind\":\"text\",\"text\":\"hi\",\"media_id\":null}");
    assert_int_equal(gw_map_send(b, &m, err, sizeof err), 0);
    assert_true(m.has_to_user_id);
    assert_int_equal(m.to_user_id, 7);
    assert_false(m.has_to_group_id);
    assert_string_equal(m.client_msg_id, "k1");
    assert_string_equal(m.kind, "text");
    assert_string_equal(m.text, "hi");
    assert_false(m.has_media_id);
    json_decref(b);
    b = s_json("{\"to\":{\"group_id\":3},\"client_msg_id\":\"k\",\"kind\":\"image\","
               "\"media_id\":9}");
    assert_int_equal(gw_map_send(b, &m, err, sizeof err), 0);
    assert_true(m.has_to_group_id);
    assert_true(m.has_media_id);
    assert_int_equal(m.media_id, 9);
    json_decref(b);
}

static void test_send_refuses_wrong_types(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":7,\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":{},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":{\"user_id\":1,\"group_id\":2},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":{\"user_id\":\"1\"},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":{\"user_id\":0},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"to\":{\"user_id\":1},\"client_msg_id\":5,\"kind\":\"text\"}",
        "{\"to\":{\"user_id\":1},\"client_msg_id\":\"k\"}",
        "{\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\",\"text\":[]}",
        "{\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\",\"media_id\":\"1\"}",
    };
    char err[256];
    Pigeon__Msg__SendRequest m;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = s_json(bad[i]);
        err[0] = '\0';
        if (gw_map_send(b, &m, err, sizeof err) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_true(err[0] != '\0');
        json_decref(b);
    }
}

static void test_read_body(void **state)
{
    (void)state;
    char err[256];
    int64_t seq = -1;
    json_t *b = s_json("{\"seq\":0}");
    assert_int_equal(gw_map_read(b, &seq, err, sizeof err), 0);
    assert_int_equal(seq, 0);
    json_decref(b);
    static const char *const bad[] = {"{}", "{\"seq\":null}", "{\"seq\":\"3\"}", "{\"seq\":-1}",
                                      "{\"seq\":1.5}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = s_json(bad[i]);
        assert_int_equal(gw_map_read(b, &seq, err, sizeof err), -1);
        json_decref(b);
    }
}

static void test_path_segments(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(gw_path_segment("/v1/conversations/d:1:2/read", "/v1/conversations/", "/read",
                                     out, sizeof out),
                     0);
    assert_string_equal(out, "d:1:2");
    assert_int_equal(gw_path_segment("/v1/conversations/d%3A1%3a2/read", "/v1/conversations/",
                                     "/read", out, sizeof out),
                     0);
    assert_string_equal(out, "d:1:2");
    static const char *const bad[] = {"/v1/conversations//read",
                                      "/v1/conversations/a%2Fb/read",
                                      "/v1/conversations/a%zz/read",
                                      "/v1/conversations/a%3/read",
                                      "/v1/conversations/a%00/read",
                                      "/v1/conversations/a/b/read",
                                      "/v1/other/a/read"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gw_path_segment(bad[i], "/v1/conversations/", "/read", out, sizeof out) == 0)
            fail_msg("accepted %s", bad[i]);
    assert_int_equal(
        gw_path_segment("/v1/conversations/abcdef/read", "/v1/conversations/", "/read", out, 4),
        -1); /* too long for out */
    int64_t v;
    assert_int_equal(gw_parse_seq("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(gw_parse_seq("-1", &v), -1);
    assert_int_equal(gw_parse_seq("", &v), -1);
    assert_int_equal(gw_parse_seq("9007199254740992", &v), -1);
}

static void test_string_segment_routes(void **state)
{
    (void)state;
    size_t n;
    const gw_route_t *t = gw_routes(&n), *r;
    const char *seg;
    size_t len;
    assert_int_equal(
        gw_route_match(t, n, "GET", "/v1/conversations/d:1:2/messages", &r, &seg, &len),
        GW_MATCH_OK);
    assert_string_equal(r->pattern, "/v1/conversations/{cid}/messages");
    assert_null(seg); /* not an {id}: the handler reads it */
    assert_int_equal(gw_route_match(t, n, "POST", "/v1/messages/d:1:2.5/recall", &r, &seg, &len),
                     GW_MATCH_OK);
    assert_int_equal(gw_route_match(t, n, "POST", "/v1/conversations//read", &r, &seg, &len),
                     GW_MATCH_NO_PATH);
    assert_int_equal(gw_route_match(t, n, "GET", "/v1/users/5", &r, &seg, &len), GW_MATCH_OK);
    assert_non_null(seg); /* {id} still reported */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_maps),
        cmocka_unit_test(test_send_refuses_wrong_types),
        cmocka_unit_test(test_read_body),
        cmocka_unit_test(test_path_segments),
        cmocka_unit_test(test_string_segment_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
