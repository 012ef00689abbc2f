/* test_websocket.c - API.md "WebSocket" through the gateway, against real
 * pigeon-auth, pigeon-relationship, pigeon-router and pigeon-gateway
 * processes on a fresh database, with a plain blocking client (ws_client.c).
 *
 * The first test shows normal use (connect, ready, ping); then the
 * credentials, the client frames the gateway refuses, live pushes to every
 * device, logout, sends and reads over the socket, per-socket ordering and
 * the reconnect catch-up. The last test stops the gateway (1001) and must
 * stay last. Every test uses fresh users. */
#include "ws_calls.h"
#include "ws_frame.h"

static h_system_t s_sys;

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, mc_services, ct_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_connect_ready_ping(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wsa");
    wc_t c;
    wt_connect(&s_sys, &c, a.token);
    /* RFC 6455 4.2.2: the 101 names the upgrade in Connection too. */
    assert_non_null(strcasestr(c.http_headers, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strcasestr(c.http_headers, "\r\nConnection: Upgrade\r\n"));
    wt_ping_pong(&c);
    /* A protocol-level ping gets its payload back in a pong. */
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_PING, "hi", 2, true), 0);
    wc_frame_t f;
    assert_int_equal(wc_recv(&c, &f, WT_WAIT_MS), 1);
    assert_int_equal(f.opcode, WS_OP_PONG);
    assert_false(f.masked);
    assert_memory_equal(f.data, "hi", 2);
    wc_frame_clear(&f);
    /* A fragmented message, with a ping between its fragments. */
    static const char part1[] = "{\"type\":", part2[] = "\"ping\"}";
    assert_int_equal(wc_send_frame(&c, WS_OP_TEXT, part1, strlen(part1), true), 0);
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_PING, "", 0, true), 0);
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_CONT, part2, strlen(part2), true), 0);
    assert_int_equal(wc_recv(&c, &f, WT_WAIT_MS), 1);
    assert_int_equal(f.opcode, WS_OP_PONG);
    wc_frame_clear(&f);
    json_t *pong = wc_recv_json(&c, WT_WAIT_MS);
    assert_non_null(pong);
    assert_string_equal(wt_type(pong), "pong");
    json_decref(pong);
    /* A clean close is echoed with the same code. */
    uint8_t bye[2] = {1000 >> 8, 1000 & 0xFF};
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_CLOSE, bye, 2, true), 0);
    assert_int_equal(wc_wait_close(&c, WT_WAIT_MS), 1000);
    wc_close(&c);
}

static void test_credentials(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wsc");
    char target[512];
    wc_t c;

    /* ?token= */
    snprintf(target, sizeof target, WT_PATH "?token=%s", a.token);
    assert_int_equal(wc_open(&c, s_sys.http_port, target, NULL, WT_WAIT_MS), 101);
    json_t *ready = wc_expect_type(&c, "ready", WT_WAIT_MS);
    assert_non_null(ready);
    json_decref(ready);
    wc_close(&c);

    /* ?ticket=: single use. */
    h_resp_t r = h_call(&s_sys, "POST", "/v1/ws/ticket", a.token, NULL);
    h_expect_status(&r, 201);
    const char *ticket = json_string_value(json_object_get(r.json, "ticket"));
    assert_non_null(ticket);
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(r.json, "expires_at"))));
    char *esc = h_escape(ticket);
    snprintf(target, sizeof target, WT_PATH "?ticket=%s", esc);
    free(esc);
    h_resp_free(&r);
    assert_int_equal(wc_open(&c, s_sys.http_port, target, NULL, WT_WAIT_MS), 101);
    ready = wc_expect_type(&c, "ready", WT_WAIT_MS);
    assert_non_null(ready);
    json_decref(ready);
    wt_ping_pong(&c);
    wc_close(&c);
    assert_int_equal(wc_open(&c, s_sys.http_port, target, NULL, WT_WAIT_MS), 401);
    wt_expect_refused(&c, 401, "unauthenticated");
    wc_close(&c);

    /* A ticket needs a token; bad tickets, tokens and no credential are 401. */
    r = h_call(&s_sys, "POST", "/v1/ws/ticket", NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
    static const char *const bad[] = {WT_PATH "?ticket=nope",
                                      WT_PATH "?token=nope",
                                      WT_PATH, NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(wc_open(&c, s_sys.http_port, bad[i], NULL, WT_WAIT_MS), 401);
        wt_expect_refused(&c, 401, "unauthenticated");
        wc_close(&c);
    }
    assert_int_equal(wc_open(&c, s_sys.http_port, WT_PATH, "nope", WT_WAIT_MS), 401);
    wt_expect_refused(&c, 401, "unauthenticated");
    wc_close(&c);

    /* Not a WebSocket handshake: 400, not an upgrade. */
    h_resp_t plain = h_call(&s_sys, "GET", WT_PATH, a.token, NULL);
    h_expect_error(&plain, 400, "invalid_argument");
    h_resp_free(&plain);

    /* Clients that hang up right after asking (before or after the 101 is
     * queued) leave nothing behind: the sanitizer build checks at exit. */
    for (int i = 0; i < 20; i++) {
        wc_open(&c, s_sys.http_port, WT_PATH, a.token, 0);
        wc_close(&c);
    }
    wt_connect(&s_sys, &c, a.token);
    wc_close(&c);
}

static void test_bad_client_frames(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wsf");
    wc_t c;
    wt_connect(&s_sys, &c, a.token);

    /* Not JSON, not an object, unknown type, read with wrong fields: error
     * frames, and the socket stays open. */
    static const char *const bad[] = {"{not json", "[1,2]", "{\"type\":\"dance\"}", "{}",
                                      "{\"type\":\"read\",\"conversation_id\":\"d:1:2\"}", NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(wc_send_text(&c, bad[i]), 0);
        json_decref(wt_expect_error_frame(&c, "invalid_argument"));
    }
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_BINARY, "{}", 2, true), 0);
    json_decref(wt_expect_error_frame(&c, "invalid_argument"));
    wt_ping_pong(&c);

    /* A send with bad fields: the error carries its client_msg_id. */
    assert_int_equal(wc_send_text(&c, "{\"type\":\"send\",\"client_msg_id\":\"x-1\","
                                      "\"kind\":\"text\",\"text\":\"hi\"}"),
                     0);
    json_t *e = wt_expect_error_frame(&c, "invalid_argument");
    assert_string_equal(json_string_value(json_object_get(e, "client_msg_id")), "x-1");
    json_decref(e);
    wt_ping_pong(&c);

    /* Invalid UTF-8 in a text frame: 1007. */
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_TEXT, "{\"a\":\"\xC3\x28\"}", 9, true), 0);
    assert_int_equal(wc_wait_close(&c, WT_WAIT_MS), 1007);
    wc_close(&c);

    /* A message over 64 KiB: 1009. */
    wt_connect(&s_sys, &c, a.token);
    char *big = h_repeat("a", 70000);
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_TEXT, big, 70000, true), 0);
    free(big);
    assert_int_equal(wc_wait_close(&c, WT_WAIT_MS), 1009);
    wc_close(&c);

    /* An unmasked client frame: 1002. */
    wt_connect(&s_sys, &c, a.token);
    assert_int_equal(wc_send_frame(&c, 0x80 | WS_OP_TEXT, "{\"type\":\"ping\"}", 15, false), 0);
    assert_int_equal(wc_wait_close(&c, WT_WAIT_MS), 1002);
    wc_close(&c);
}

static void test_live_contacts(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wsla"), b = ct_user(&s_sys, "wslb");
    char a2tok[128];
    snprintf(a2tok, sizeof a2tok, "%s", a.token);
    wc_t b1, b2, a1;
    wt_connect(&s_sys, &b1, b.token);
    wt_connect(&s_sys, &b2, b.token);
    wt_connect(&s_sys, &a1, a2tok); /* A's other device (the REST call acts as A's first) */
    int64_t rid = ct_ask(&s_sys, &a, &b);
    wc_t *all[] = {&b1, &b2, &a1};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = wc_expect_type(all[i], "friend_request", WT_WAIT_MS);
        if (!f)
            fail_msg("socket %zu got no friend_request", i);
        json_t *q = json_object_get(f, "request");
        assert_int_equal(json_integer_value(json_object_get(q, "id")), rid);
        assert_string_equal(json_string_value(json_object_get(q, "status")), "pending");
        json_decref(f);
    }
    /* Acceptance: a contact event to both users. */
    ct_decide(&s_sys, &b, rid, "accept", 200, NULL);
    for (size_t i = 0; i < 3; i++) {
        json_t *f = wc_expect_type(all[i], "contact", WT_WAIT_MS);
        if (!f)
            fail_msg("socket %zu got no contact", i);
        json_t *ct = json_object_get(f, "contact");
        assert_string_equal(json_string_value(json_object_get(ct, "kind")), "friend");
        json_decref(f);
    }
    for (size_t i = 0; i < 3; i++)
        wc_close(all[i]);
}

static void test_logout_closes_its_sockets(void **state)
{
    (void)state;
    static const char pw[] = "secret-pw-1";
    ct_user_t b = wt_user_pw(&s_sys, "wsout", pw);
    char other[128];
    wt_login(&s_sys, &b, pw, other, sizeof other);
    wc_t gone1, gone2, stays;
    wt_connect(&s_sys, &gone1, b.token);
    wt_connect(&s_sys, &gone2, b.token);
    wt_connect(&s_sys, &stays, other);
    ct_check(&s_sys, "POST", "/v1/auth/logout", b.token, NULL, 204, NULL);
    assert_int_equal(wc_wait_close(&gone1, WT_WAIT_MS), 4001);
    assert_int_equal(wc_wait_close(&gone2, WT_WAIT_MS), 4001);
    wt_ping_pong(&stays);
    wc_close(&gone1);
    wc_close(&gone2);
    wc_close(&stays);
    /* The revoked token cannot open a new one. */
    wc_t c;
    assert_int_equal(wc_open(&c, s_sys.http_port, WT_PATH, b.token, WT_WAIT_MS), 401);
    wt_expect_refused(&c, 401, "unauthenticated");
    wc_close(&c);
}

static void test_send_ack_and_delivery(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wssa"), b = ct_user(&s_sys, "wssb");
    ct_befriend(&s_sys, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    wc_t as, ao, b1, b2; /* A's sending socket, A's other one, B's two */
    wt_connect(&s_sys, &as, a.token);
    wt_connect(&s_sys, &ao, a.token);
    wt_connect(&s_sys, &b1, b.token);
    wt_connect(&s_sys, &b2, b.token);

    wt_send(&as, b.id, "ws-1", "hello over ws");
    json_t *ack = wc_recv_json(&as, WT_WAIT_MS);
    assert_non_null(ack);
    assert_string_equal(wt_type(ack), "ack");
    assert_string_equal(json_string_value(json_object_get(ack, "client_msg_id")), "ws-1");
    json_t *m = json_object_get(ack, "message");
    assert_string_equal(json_string_value(json_object_get(m, "conversation_id")), cid);
    assert_string_equal(json_string_value(json_object_get(m, "text")), "hello over ws");
    assert_int_equal(mc_int(m, "sender_id"), a.id);
    int64_t seq = mc_int(m, "seq");
    json_decref(ack);

    wc_t *peers[] = {&b1, &b2, &ao};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = wc_expect_type(peers[i], "message", WT_WAIT_MS);
        if (!f)
            fail_msg("socket %zu got no message", i);
        m = json_object_get(f, "message");
        assert_int_equal(mc_int(m, "seq"), seq);
        assert_string_equal(json_string_value(json_object_get(m, "client_msg_id")), "ws-1");
        json_decref(f);
    }
    /* The sending socket got the ack, not the message: the next message it
     * sees is one sent over REST (which reaches every socket of A). */
    int64_t rest_seq = mc_send_ok(&s_sys, &a, b.id, "over rest", NULL, 0);
    json_t *f = wc_expect_type(&as, "message", WT_WAIT_MS);
    assert_non_null(f);
    assert_int_equal(mc_int(json_object_get(f, "message"), "seq"), rest_seq);
    json_decref(f);

    /* A send the router refuses: an error frame with the client_msg_id. */
    wt_send(&as, b.id, "ws-2", "");
    json_t *e = wt_expect_error_frame(&as, "invalid_argument");
    assert_string_equal(json_string_value(json_object_get(e, "client_msg_id")), "ws-2");
    json_decref(e);

    /* read: a receipt to the peer and to the reader's other devices. */
    char frame[160];
    snprintf(frame, sizeof frame, "{\"type\":\"read\",\"conversation_id\":\"%s\",\"seq\":%" PRId64 "}",
             cid, rest_seq);
    assert_int_equal(wc_send_text(&b1, frame), 0);
    wc_t *readers[] = {&as, &ao, &b2};
    for (size_t i = 0; i < 3; i++) {
        json_t *r = wc_expect_type(readers[i], "receipt", WT_WAIT_MS);
        if (!r)
            fail_msg("socket %zu got no receipt", i);
        assert_string_equal(json_string_value(json_object_get(r, "conversation_id")), cid);
        assert_int_equal(mc_int(r, "user_id"), b.id);
        assert_int_equal(mc_int(r, "read_seq"), rest_seq);
        json_decref(r);
    }
    wc_close(&as);
    wc_close(&ao);
    wc_close(&b1);
    wc_close(&b2);
}

static void test_ordering_per_socket(void **state)
{
    (void)state;
    enum { N = 50 };
    ct_user_t a = ct_user(&s_sys, "wsoa"), b = ct_user(&s_sys, "wsob");
    ct_befriend(&s_sys, &a, &b);
    wc_t as, bs;
    wt_connect(&s_sys, &as, a.token);
    wt_connect(&s_sys, &bs, b.token);
    for (int i = 0; i < N; i++) {
        char cmid[32], text[32];
        snprintf(cmid, sizeof cmid, "o-%d", i);
        snprintf(text, sizeof text, "n%d", i);
        wt_send(&as, b.id, cmid, text);
    }
    int64_t first = 0;
    for (int i = 0; i < N; i++) {
        json_t *ack = wc_recv_json(&as, WT_WAIT_MS); /* nothing else: no error, no message */
        if (!ack)
            fail_msg("ack %d missing", i);
        assert_string_equal(wt_type(ack), "ack");
        char cmid[32];
        snprintf(cmid, sizeof cmid, "o-%d", i);
        assert_string_equal(json_string_value(json_object_get(ack, "client_msg_id")), cmid);
        int64_t seq = mc_int(json_object_get(ack, "message"), "seq");
        if (i == 0)
            first = seq;
        assert_int_equal(seq, first + i);
        json_decref(ack);
    }
    for (int i = 0; i < N; i++) {
        json_t *f = wc_expect_type(&bs, "message", WT_WAIT_MS);
        if (!f)
            fail_msg("message %d missing", i);
        assert_int_equal(mc_int(json_object_get(f, "message"), "seq"), first + i);
        json_decref(f);
    }
    wc_close(&as);
    wc_close(&bs);
}

static void test_reconnect_catch_up(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wsra"), b = ct_user(&s_sys, "wsrb");
    ct_befriend(&s_sys, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    wc_t as, bs;
    wt_connect(&s_sys, &as, a.token);
    wt_connect(&s_sys, &bs, b.token);
    wt_send(&as, b.id, "r-0", "before");
    json_t *f = wc_expect_type(&as, "ack", WT_WAIT_MS);
    assert_non_null(f);
    json_decref(f);
    f = wc_expect_type(&bs, "message", WT_WAIT_MS);
    assert_non_null(f);
    int64_t seen = mc_int(json_object_get(f, "message"), "seq");
    json_decref(f);
    wc_close(&bs);
    for (int i = 1; i <= 5; i++) {
        char cmid[16];
        snprintf(cmid, sizeof cmid, "r-%d", i);
        wt_send(&as, b.id, cmid, "while away");
        json_t *ack = wc_expect_type(&as, "ack", WT_WAIT_MS);
        assert_non_null(ack);
        json_decref(ack);
    }
    wt_connect(&s_sys, &bs, b.token); /* ready: now sync */
    char q[64];
    snprintf(q, sizeof q, "?after_seq=%" PRId64, seen);
    h_resp_t r = mc_history(&s_sys, &b, cid, q, 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(msgs), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *m = json_array_get(msgs, i);
        assert_int_equal(mc_int(m, "seq"), seen + 1 + (int64_t)i);
        char cmid[16];
        snprintf(cmid, sizeof cmid, "r-%zu", i + 1);
        assert_string_equal(json_string_value(json_object_get(m, "client_msg_id")), cmid);
    }
    assert_true(json_is_false(json_object_get(r.json, "has_more")));
    h_resp_free(&r);
    wc_close(&as);
    wc_close(&bs);
}

/* Must stay last: it stops the gateway. */
static void test_sigterm_closes_1001(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wst");
    wc_t c1, c2;
    wt_connect(&s_sys, &c1, a.token);
    wt_connect(&s_sys, &c2, a.token);
    h_proc_t **gw = h_system_proc(&s_sys, "gateway");
    h_proc_t *p = *gw;
    *gw = NULL;
    /* h_proc_stop blocks until exit; the close frames are already queued in
     * our sockets by then. */
    assert_int_equal(h_proc_stop(&p, 15000), 0);
    assert_int_equal(wc_wait_close(&c1, WT_WAIT_MS), 1001);
    assert_int_equal(wc_wait_close(&c2, WT_WAIT_MS), 1001);
    wc_close(&c1);
    wc_close(&c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_ready_ping),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_bad_client_frames),
        cmocka_unit_test(test_live_contacts),
        cmocka_unit_test(test_logout_closes_its_sockets),
        cmocka_unit_test(test_send_ack_and_delivery),
        cmocka_unit_test(test_ordering_per_socket),
        cmocka_unit_test(test_reconnect_catch_up),
        cmocka_unit_test(test_sigterm_closes_1001),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
