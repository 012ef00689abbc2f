/* test_ws_send_scan.c - the plain `send` frame scanner: what it takes, what
 * it leaves to the general reader, and that both read the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "messages_map.h"
#include "ws_cmd.h"
#include "ws_send_scan.h"

static void s_span_is(gw_span_t span, const char *want)
{
    if (want == NULL) {
        assert_null(span.p);
        return;
    }
    assert_non_null(span.p);
    assert_int_equal(span.len, strlen(want));
    assert_memory_equal(span.p, want, span.len);
}

static bool s_scan(const char *frame, gw_ws_send_t *f)
{
    return gw_ws_send_scan(frame, strlen(frame), f);
}

/* The general reader's values for the same frame equal the scanner's. */
static void s_general_agrees(const char *frame, const gw_ws_send_t *f)
{
    gw_ws_cmd_t c;
    char err[256] = "";
    assert_int_equal(gw_ws_cmd_decode(frame, strlen(frame), &c, err, sizeof err), 0);
    assert_int_equal(c.kind, GW_WS_CMD_SEND);
    json_t *body = gw_ws_cmd_take_send_body(&c);
    Pigeon__Msg__SendRequest m;
    assert_int_equal(gw_map_send(body, &m, err, sizeof err), 0);
    assert_int_equal(m.has_to_user_id, f->to_user_id != 0);
    assert_int_equal(m.has_to_group_id, f->to_group_id != 0);
    assert_int_equal(m.has_media_id, f->media_id != 0);
    if (m.has_to_user_id)
        assert_int_equal(m.to_user_id, f->to_user_id);
    if (m.has_to_group_id)
        assert_int_equal(m.to_group_id, f->to_group_id);
    if (m.has_media_id)
        assert_int_equal(m.media_id, f->media_id);
    s_span_is(f->client_msg_id, m.client_msg_id);
    s_span_is(f->kind, m.kind);
    s_span_is(f->text, m.text);
    json_decref(body);
    gw_ws_cmd_clear(&c);
}

static void test_takes_the_plain_shape(void **state)
{
    (void)state;
    gw_ws_send_t f;
    const char *frame = "{\"type\":\"send\",\"to\":{\"user_id\":7},\"client_msg_id\":\"k1\","
                        "\"kind\":\"text\",\"text\":\"hi\"}";
    assert_true(s_scan(frame, &f));
    assert_int_equal(f.to_user_id, 7);
    assert_int_equal(f.to_group_id, 0);
    assert_int_equal(f.media_id, 0);
    s_span_is(f.client_msg_id, "k1");
    s_span_is(f.kind, "text");
    s_span_is(f.text, "hi");
    s_general_agrees(frame, &f);
}

static void test_takes_any_order_and_whitespace(void **state)
{
    (void)state;
    gw_ws_send_t f;
    const char *frame =
        " {\r\n\t\"media_id\" : 9007199254740991 , \"kind\":\"image\",\"text\":null,"
        "\"to\": { \"group_id\" : 12 } ,\"client_msg_id\":\"a-1\",\"type\":\"send\"}\n";
    assert_true(s_scan(frame, &f));
    assert_int_equal(f.to_user_id, 0);
    assert_int_equal(f.to_group_id, 12);
    assert_int_equal(f.media_id, 9007199254740991);
    s_span_is(f.text, NULL);
    s_span_is(f.kind, "image");
    s_general_agrees(frame, &f);

    frame = "{\"to\":{\"user_id\":1},\"type\":\"send\",\"kind\":\"voice\",\"media_id\":null,"
            "\"client_msg_id\":\"\",\"text\":\"caf\xc3\xa9 \xf0\x9f\x90\xa6 \x7f\"}";
    assert_true(s_scan(frame, &f));
    assert_int_equal(f.media_id, 0);
    s_span_is(f.client_msg_id, ""); /* the router judges its value */
    s_general_agrees(frame, &f);
}

/* Everything else is the general reader's: valid frames it maps (escapes,
 * other keys) and every invalid one, whose error it words. */
static void test_leaves_the_rest(void **state)
{
    (void)state;
    static const char *const others[] = {
        /* valid, but not the plain shape */
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":\"a\\nb\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"extra\":1}",
        "{\"t\\u0079pe\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":"
        "\"text\"}",
        "{\"type\":\"ping\"}",
        /* invalid */
        "",
        "{}",
        "[]",
        "{\"type\":\"send\",\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\","
        "\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\"}",
        "{\"type\":\"send\",\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":01},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":0},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":-1},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1.0},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1e3},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":9007199254740992},\"client_msg_id\":\"k\","
        "\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":12345678901234567890},\"client_msg_id\":\"k\","
        "\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":\"1\"},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1,\"group_id\":2},\"client_msg_id\":\"k\","
        "\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{},\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":null,\"client_msg_id\":\"k\",\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":null,\"kind\":\"text\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":5}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"media_id\":\"9\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":\"\t\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":\"\xc3\x28\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":\"\xed\xa0\x80\"}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\"}x",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\",}",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\"",
        "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\",\"kind\":\"text\","
        "\"text\":nul}",
        "\xef\xbb\xbf{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\","
        "\"kind\":\"text\"}",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        gw_ws_send_t f;
        if (s_scan(others[i], &f))
            fail_msg("took %s", others[i]);
    }
    gw_ws_send_t f;
    assert_false(gw_ws_send_scan(NULL, 0, &f));
}

/* A frame over the body limit is the general reader's (which refuses it),
 * however plain. */
static void test_leaves_frames_over_the_limit(void **state)
{
    (void)state;
    static char frame[70 * 1024];
    const char *head = "{\"type\":\"send\",\"to\":{\"user_id\":1},\"client_msg_id\":\"k\","
                       "\"kind\":\"text\",\"text\":\"";
    size_t n = strlen(head);
    memcpy(frame, head, n);
    memset(frame + n, 'a', sizeof frame - n - 3);
    memcpy(frame + sizeof frame - 3, "\"}", 3);
    gw_ws_send_t f;
    assert_false(s_scan(frame, &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_takes_the_plain_shape),
        cmocka_unit_test(test_takes_any_order_and_whitespace),
        cmocka_unit_test(test_leaves_the_rest),
        cmocka_unit_test(test_leaves_frames_over_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
