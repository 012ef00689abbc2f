/* ws_calls.h - API.md "WebSocket" steps shared by test_websocket*.c.
 *
 * Header-only (static inline), like messages_calls.h, whose users and
 * message helpers these build on; the frames themselves go through the
 * blocking client of ws_client.c. Every helper fails the test (cmocka) on an
 * unexpected answer, and every wait is bounded by WT_WAIT_MS. */
#ifndef PIGEON_TEST_WS_CALLS_H
#define PIGEON_TEST_WS_CALLS_H

#include "messages_calls.h"
#include "ws_client.h"

#define WT_WAIT_MS 5000
#define WT_PATH "/v1/ws"

static inline const char *wt_type(json_t *f)
{
    return json_string_value(json_object_get(f, "type"));
}

/* Opens a socket to sys's gateway with the header credential and waits for
 * `ready`, which must be the first frame and carry nothing else. */
static inline void wt_connect(const h_system_t *sys, wc_t *c, const char *token)
{
    int st = wc_open(c, sys->http_port, WT_PATH, token, WT_WAIT_MS);
    if (st != 101)
        fail_msg("upgrade answered %d: %s", st, c->http_body ? c->http_body : "");
    json_t *ready = wc_recv_json(c, WT_WAIT_MS);
    assert_non_null(ready);
    assert_string_equal(wt_type(ready), "ready");
    assert_int_equal(json_object_size(ready), 1);
    json_decref(ready);
}

/* A refused handshake: HTTP status and API.md's error body. */
static inline void wt_expect_refused(wc_t *c, int status, const char *code)
{
    assert_int_equal(c->http_status, status);
    json_error_t err;
    json_t *body = json_loads(c->http_body ? c->http_body : "", 0, &err);
    assert_non_null(body);
    json_t *e = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    json_decref(body);
}

static inline void wt_ping_pong(wc_t *c)
{
    assert_int_equal(wc_send_text(c, "{\"type\":\"ping\"}"), 0);
    json_t *pong = wc_recv_json(c, WT_WAIT_MS);
    assert_non_null(pong);
    assert_string_equal(wt_type(pong), "pong");
    json_decref(pong);
}

/* The next text frame must be an error frame with this code; the caller
 * decrefs it. */
static inline json_t *wt_expect_error_frame(wc_t *c, const char *code)
{
    json_t *f = wc_recv_json(c, WT_WAIT_MS);
    assert_non_null(f);
    assert_string_equal(wt_type(f), "error");
    json_t *e = json_object_get(f, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    return f;
}

/* A user registered with a known password, so that it can log in again
 * (another device, another token). */
static inline ct_user_t wt_user_pw(const h_system_t *sys, const char *prefix, const char *password)
{
    ct_user_t u;
    h_unique_name(prefix, u.name, sizeof u.name);
    h_resp_t r = h_call(
        sys, "POST", "/v1/auth/register", NULL,
        json_pack("{s:s,s:s,s:s}", "username", u.name, "password", password, "nickname", prefix));
    h_expect_status(&r, 201);
    snprintf(u.token, sizeof u.token, "%s", json_string_value(json_object_get(r.json, "token")));
    u.id = json_integer_value(json_object_get(json_object_get(r.json, "user"), "id"));
    h_resp_free(&r);
    return u;
}

/* A new token of u: POST /v1/auth/login. */
static inline void wt_login(const h_system_t *sys, const ct_user_t *u, const char *password,
                            char *token, size_t size)
{
    h_resp_t r = h_call(sys, "POST", "/v1/auth/login", NULL,
                        json_pack("{s:s,s:s}", "username", u->name, "password", password));
    h_expect_status(&r, 200);
    snprintf(token, size, "%s", json_string_value(json_object_get(r.json, "token")));
    h_resp_free(&r);
}

/* A `send` frame of a text message to user `to`. */
static inline void wt_send(wc_t *c, int64_t to, const char *cmid, const char *text)
{
    json_t *f = json_pack("{s:s,s:{s:I},s:s,s:s,s:s}", "type", "send", "to", "user_id",
                          (json_int_t)to, "client_msg_id", cmid, "kind", "text", "text", text);
    char *s = json_dumps(f, JSON_COMPACT);
    assert_non_null(s);
    assert_int_equal(wc_send_text(c, s), 0);
    free(s);
    json_decref(f);
}

#endif
