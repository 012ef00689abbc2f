/* RFC 6455 framing, handshake key and SHA-1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_cmd.h"
#include "ws_frame.h"

/* A masked client frame of payload p into out; returns its length. */
static size_t s_client(uint8_t *out, uint8_t b0, const void *p, size_t n)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t h = 0;
    out[h++] = b0;
    if (n < 126) {
        out[h++] = (uint8_t)(0x80 | n);
    } else if (n <= 0xFFFF) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(n >> 8);
        out[h++] = (uint8_t)n;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        out[h + i] = ((const uint8_t *)p)[i] ^ mask[i & 3];
    return h + n;
}

static void test_rfc_masked_hello(void **state)
{
    (void)state;
    /* RFC 6455 5.7: a single-frame masked text message "Hello". */
    uint8_t f[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    assert_int_equal(ws_reader_next(&r, f, 5, &ev), 0); /* incomplete */
    assert_int_equal(ev.kind, WS_EV_NONE);
    assert_int_equal(ws_reader_next(&r, f, sizeof f, &ev), sizeof f);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "Hello", 5);
    ws_reader_clear(&r);
}

static void test_unmasked_and_reserved_are_protocol_errors(void **state)
{
    (void)state;
    uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, unmasked, sizeof unmasked, &ev);
    assert_int_equal(ev.kind, WS_EV_ERROR);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
    uint8_t f[32];
    size_t n = s_client(f, 0xC1, "x", 1); /* RSV1 */
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, f, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
    n = s_client(f, 0x83, "x", 1); /* opcode 3 */
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, f, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
}

static void test_fragments_with_ping_between(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = s_client(buf, 0x01, "Hel", 3);          /* text, not FIN */
    n += s_client(buf + n, 0x89, "p", 1);              /* ping in between */
    n += s_client(buf + n, 0x80, "lo", 2);             /* continuation, FIN */
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    size_t off = ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.kind, WS_EV_NONE);
    off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(ev.kind, WS_EV_PING);
    off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(off, n);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "Hello", 5);
    ws_reader_clear(&r);
}

/* The buffer a fragmented message was joined in is freed by the next call
 * (the message was handed out), so an idle socket keeps none. */
static void test_joined_message_buffer_is_released(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = s_client(buf, 0x01, "Hel", 3); /* text, not FIN */
    n += s_client(buf + n, 0x80, "lo", 2);    /* continuation, FIN */
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    size_t off = ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.kind, WS_EV_NONE);
    assert_non_null(r.msg); /* joining */
    off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    assert_memory_equal(ev.data, "Hello", 5); /* still valid until the next call */
    assert_int_equal(ws_reader_next(&r, buf + off, n - off, &ev), 0); /* nothing more buffered */
    assert_int_equal(ev.kind, WS_EV_NONE);
    assert_null(r.msg);
    assert_int_equal(r.cap, 0);

    /* a fragmented message still joins after the release */
    n = s_client(buf, 0x01, "a", 1);
    n += s_client(buf + n, 0x80, "b", 1);
    off = ws_reader_next(&r, buf, n, &ev);
    off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "ab", 2);
    ws_reader_clear(&r);
}

/* Empty fragments (even the first one) are legal and join to the message. */
static void test_empty_fragments(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = s_client(buf, 0x01, "", 0);  /* text, not FIN, empty */
    n += s_client(buf + n, 0x00, "", 0);    /* empty continuation */
    n += s_client(buf + n, 0x80, "{}", 2);  /* last fragment */
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    size_t off = 0;
    for (int i = 0; i < 3; i++)
        off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(off, n);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "{}", 2);
    ws_reader_clear(&r);
}

static void test_control_frame_rules(void **state)
{
    (void)state;
    uint8_t big[200] = {0}, buf[256];
    ws_reader_t r;
    ws_event_t ev;
    size_t n = s_client(buf, 0x89, big, 126); /* ping over 125 bytes */
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
    n = s_client(buf, 0x09, "p", 1); /* fragmented ping */
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
    n = s_client(buf, 0x80, "x", 1); /* continuation with no message */
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_PROTOCOL);
    ws_reader_clear(&r);
}

static void test_lengths_and_limit(void **state)
{
    (void)state;
    size_t sizes[] = {125, 126, 65535, 65536, 70000};
    uint8_t *payload = malloc(70000), *buf = malloc(70100);
    memset(payload, 'a', 70000);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ws_reader_t r;
        ws_event_t ev;
        ws_reader_init(&r, 65536);
        size_t n = s_client(buf, 0x82, payload, sizes[i]);
        size_t got = ws_reader_next(&r, buf, n, &ev);
        if (sizes[i] <= 65536) {
            assert_int_equal(got, n);
            assert_int_equal(ev.kind, WS_EV_BINARY);
            assert_int_equal(ev.len, sizes[i]);
        } else {
            /* refused from the header alone, before the payload arrives */
            ws_reader_t r2;
            ws_reader_init(&r2, 65536);
            ws_reader_next(&r2, buf, 14, &ev);
            assert_int_equal(ev.kind, WS_EV_ERROR);
            assert_int_equal(ev.code, WS_CLOSE_TOO_BIG);
            ws_reader_clear(&r2);
        }
        ws_reader_clear(&r);
    }
    free(payload);
    free(buf);
}

static void test_utf8_across_fragments(void **state)
{
    (void)state;
    const char *euro = "\xe2\x82\xac"; /* split inside the character: valid */
    uint8_t buf[64];
    size_t n = s_client(buf, 0x01, euro, 1);
    n += s_client(buf + n, 0x80, euro + 1, 2);
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    size_t off = ws_reader_next(&r, buf, n, &ev);
    off += ws_reader_next(&r, buf + off, n - off, &ev);
    assert_int_equal(ev.kind, WS_EV_TEXT);
    ws_reader_clear(&r);
    /* a message ending in the middle of a character */
    n = s_client(buf, 0x81, euro, 2);
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_BAD_DATA);
    ws_reader_clear(&r);
    /* invalid byte noticed in the first fragment */
    n = s_client(buf, 0x01, "\xc0\xaf", 2);
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_BAD_DATA);
    ws_reader_clear(&r);
    ws_utf8_t u = {0};
    assert_false(ws_utf8_feed(&u, (const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
}

static void test_close_frames(void **state)
{
    (void)state;
    uint8_t buf[64], p[WS_CONTROL_MAX];
    size_t pl = ws_close_payload(p, 1000, "bye");
    size_t n = s_client(buf, 0x88, p, pl);
    ws_reader_t r;
    ws_event_t ev;
    ws_reader_init(&r, 1024);
    assert_int_equal(ws_reader_next(&r, buf, n, &ev), n);
    assert_int_equal(ev.kind, WS_EV_CLOSE);
    assert_int_equal(ev.code, 1000);
    assert_memory_equal(ev.data, "bye", 3);
    ws_reader_clear(&r);
    n = s_client(buf, 0x88, "", 0);
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.code, WS_CLOSE_NO_STATUS);
    ws_reader_clear(&r);
    pl = ws_close_payload(p, 1005, NULL); /* may not be sent */
    n = s_client(buf, 0x88, p, pl);
    ws_reader_init(&r, 1024);
    ws_reader_next(&r, buf, n, &ev);
    assert_int_equal(ev.kind, WS_EV_ERROR);
    ws_reader_clear(&r);
    assert_true(ws_close_code_valid(4001));
    assert_false(ws_close_code_valid(1006));
}

static void test_server_frame_header(void **state)
{
    (void)state;
    uint8_t h[10];
    assert_int_equal(ws_frame_header(h, WS_OP_TEXT, 5), 2);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 5);
    assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 256), 4); /* RFC: 256 bytes, 16-bit */
    assert_int_equal(h[1], 126);
    assert_int_equal(h[2], 1);
    assert_int_equal(h[3], 0);
    assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 65536), 10);
    assert_int_equal(h[1], 127);
    assert_int_equal(h[7], 1);
}

static void test_sha1_and_accept_key(void **state)
{
    (void)state;
    uint8_t d[20];
    ws_sha1("abc", 3, d);
    static const uint8_t abc[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                    0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    assert_memory_equal(d, abc, 20);
    char acc[29];
    assert_true(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc); /* RFC 6455 1.3 */
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_false(ws_key_valid("short"));
}

static void test_client_frame_decoder(void **state)
{
    (void)state;
    gw_ws_cmd_t c;
    char err[256] = "";
    const char *send = "{\"type\":\"send\",\"client_msg_id\":\"c1\",\"to\":{\"user_id\":2}}";
    assert_int_equal(gw_ws_cmd_decode(send, strlen(send), &c, err, sizeof err), 0);
    assert_int_equal(c.kind, GW_WS_CMD_SEND);
    assert_string_equal(c.client_msg_id, "c1");
    size_t len;
    char *body = gw_ws_cmd_send_body(&c, &len);
    assert_null(strstr(body, "\"type\""));
    free(body);
    gw_ws_cmd_clear(&c);
    const char *rd = "{\"type\":\"read\",\"conversation_id\":\"d:1:2\",\"seq\":7}";
    assert_int_equal(gw_ws_cmd_decode(rd, strlen(rd), &c, err, sizeof err), 0);
    assert_int_equal(c.seq, 7);
    char path[128];
    gw_ws_read_path(c.conversation_id, path, sizeof path);
    assert_string_equal(path, "/v1/conversations/d:1:2/read");
    gw_ws_cmd_clear(&c);
    assert_int_equal(gw_ws_cmd_decode("nope", 4, &c, err, sizeof err), -1);
    gw_ws_cmd_clear(&c);
    assert_int_equal(gw_ws_cmd_decode("{\"type\":\"x\"}", 12, &c, err, sizeof err), -1);
    gw_ws_cmd_clear(&c);
}

/* The ack frame is spliced from the handler's body; it must read exactly as
 * the jansson-built frame it replaces. */
static char *s_ack_by_jansson(const char *cmid, const char *message_json)
{
    json_t *f = json_object();
    json_object_set_new(f, "type", json_string("ack"));
    json_object_set_new(f, "client_msg_id", cmid ? json_string(cmid) : json_null());
    json_object_set_new(f, "message", json_loads(message_json, 0, NULL));
    char *s = json_dumps(f, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(f);
    return s;
}

static void test_ack_frame_spliced(void **state)
{
    (void)state;
    const char *msg = "{\"id\":\"m1\",\"seq\":3,\"text\":\"hi \\\"you\\\"\",\"to\":{\"user_id\":2}}";
    const char *ids[] = {"c1", "", "quote\" back\\slash", "tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f",
                         "caf\xc3\xa9 \xe2\x82\xac /slash", NULL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char *got = gw_ws_ack_frame(ids[i], msg, strlen(msg));
        char *want = s_ack_by_jansson(ids[i], msg);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
    assert_null(gw_ws_ack_frame("c1", "[1]", 3));
    assert_null(gw_ws_ack_frame("c1", "", 0));
    assert_null(gw_ws_ack_frame("c1", "{", 1));
}

static void test_send_body_handed_over(void **state)
{
    (void)state;
    gw_ws_cmd_t c;
    char err[256] = "";
    const char *send = "{\"type\":\"send\",\"client_msg_id\":\"c9\",\"kind\":\"text\",\"text\":\"x\"}";
    assert_int_equal(gw_ws_cmd_decode(send, strlen(send), &c, err, sizeof err), 0);
    json_t *body = gw_ws_cmd_take_send_body(&c);
    assert_non_null(body);
    assert_null(c.obj);
    assert_null(c.client_msg_id);
    assert_null(json_object_get(body, "type"));
    assert_string_equal(json_string_value(json_object_get(body, "client_msg_id")), "c9");
    assert_string_equal(json_string_value(json_object_get(body, "text")), "x");
    gw_ws_cmd_clear(&c); /* nothing left to free: the body is ours */
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_masked_hello),
        cmocka_unit_test(test_unmasked_and_reserved_are_protocol_errors),
        cmocka_unit_test(test_fragments_with_ping_between),
        cmocka_unit_test(test_joined_message_buffer_is_released),
        cmocka_unit_test(test_empty_fragments),
        cmocka_unit_test(test_control_frame_rules),
        cmocka_unit_test(test_lengths_and_limit),
        cmocka_unit_test(test_utf8_across_fragments),
        cmocka_unit_test(test_close_frames),
        cmocka_unit_test(test_server_frame_header),
        cmocka_unit_test(test_sha1_and_accept_key),
        cmocka_unit_test(test_client_frame_decoder),
        cmocka_unit_test(test_ack_frame_spliced),
        cmocka_unit_test(test_send_body_handed_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
