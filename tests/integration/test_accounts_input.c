/* test_accounts_input.c - every kind of bad input to the account calls gets
 * API.md's error (400 invalid_argument, 413, 404, 401) and changes nothing;
 * the limits themselves are accepted. Real pigeon-auth and pigeon-gateway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_helpers.h"
#include "harness.h"

/* Limits well above what these tests do from one IP (test_rate_limits.c
 * runs a system with small ones). */
static const char *const s_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_USER=100000", NULL};

static h_system_t s_sys;

/* ------------------------------------------------------------------ helpers */

static h_resp_t s_call(const char *method, const char *path, const char *token, json_t *body)
{
    return h_call(&s_sys, method, path, token, body);
}

static h_resp_t s_register(const char *username, const char *password, const char *nickname)
{
    return s_call("POST", "/v1/auth/register", NULL,
                  json_pack("{s:s, s:s, s:s}", "username", username, "password", password,
                            "nickname", nickname));
}

static h_resp_t s_login(const char *username, const char *password)
{
    return s_call("POST", "/v1/auth/login", NULL,
                  json_pack("{s:s, s:s}", "username", username, "password", password));
}

/* Seconds since the epoch of an RFC 3339 UTC time (fraction ignored). */
static json_t *s_user_of(const h_resp_t *r)
{
    return json_object_get(r->json, "user");
}

static int64_t s_id_of(json_t *user)
{
    return json_integer_value(json_object_get(user, "id"));
}

/* Registers username with a known password; returns the session body's token. */
/* Registers username with a known password; returns the session body's token. */
static void s_make_user(const char *username, const char *password, const char *nickname,
                        char *token, int64_t *id)
{
    h_resp_t r = s_register(username, password, nickname);
    h_expect_status(&r, 201);
    snprintf(token, 128, "%s", json_string_value(json_object_get(r.json, "token")));
    if (id)
        *id = s_id_of(s_user_of(&r));
    h_resp_free(&r);
}

static void s_expect_me_status(const char *token, long status)
{
    h_resp_t r = s_call("GET", "/v1/me", token, NULL);
    h_expect_status(&r, status);
    if (status == 401)
        h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

/* ------------------------------------------------------------------ fixtures */

static int s_setup(void **state)
{
    (void)state;
    srand((unsigned)time(NULL) ^ (unsigned)clock());
    const char *services[3] = {"auth", NULL, NULL};
    if (h_have_binary("pigeon-media"))
        services[1] = "media"; /* avatars are checked against it */
    h_system_start(&s_sys, services, s_env);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void s_expect_register_400(const char *body, size_t len)
{
    h_resp_t r = h_http_raw(&s_sys, "POST", "/v1/auth/register", NULL, body, len, NULL);
    if (r.status != 400)
        fail_msg("register with %.200s: expected 400, got %ld %s", body, r.status, r.body);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
}

static void s_expect_register_json_400(json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    s_expect_register_400(text, strlen(text));
    free(text);
}

static void test_register_validates_every_field(void **state)
{
    (void)state;
    char *long_name = h_repeat("a", 33);
    char *long_password = h_repeat("p", 129);
    char *long_nick = h_repeat("鸽", 65);
    const char *bad_names[] = {"ab",     long_name, "al ice", "alice!",
                               "ali/ce", "名字abc", "",       "alice\u00e9"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        s_expect_register_json_400(json_pack("{s:s, s:s, s:s}", "username", bad_names[i],
                                             "password", "good-password", "nickname", "N"));

    s_expect_register_json_400(
        json_pack("{s:s, s:s, s:s}", "username", "kim", "password", "1234567", "nickname", "Kim"));
    s_expect_register_json_400(json_pack("{s:s, s:s, s:s}", "username", "kim", "password",
                                         long_password, "nickname", "Kim"));

    const char *bad_nicks[] = {"",
                               long_nick,
                               "a\x07"
                               "b",
                               "line\nbreak",
                               "del\x7f",
                               "c1\xc2\x85" /* U+0085, a C1 control */};
    for (size_t i = 0; i < sizeof bad_nicks / sizeof bad_nicks[0]; i++)
        s_expect_register_json_400(json_pack("{s:s, s:s, s:s}", "username", "kim", "password",
                                             "good-password", "nickname", bad_nicks[i]));

    /* Missing fields and wrong types. */
    const char *bodies[] = {
        "{\"password\":\"good-password\",\"nickname\":\"Kim\"}",
        "{\"username\":\"kim\",\"nickname\":\"Kim\"}",
        "{\"username\":\"kim\",\"password\":\"good-password\"}",
        "{\"username\":5,\"password\":\"good-password\",\"nickname\":\"Kim\"}",
        "{\"username\":\"kim\",\"password\":true,\"nickname\":\"Kim\"}",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":null}",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":[\"Kim\"]}",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":\"a\\u0000b\"}",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":\"\\ud800\"}",
        /* malformed JSON */
        "{",
        "",
        "[]",
        "null",
        "\"kim\"",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":\"Kim\"} trailing",
        "{\"username\":\"kim\",\"password\":\"good-password\",\"nickname\":\"Kim\",}",
        "{'username':'kim'}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        s_expect_register_400(bodies[i], strlen(bodies[i]));

    /* Deep nesting is refused, not followed. */
    char *deep = malloc(20100);
    assert_non_null(deep);
    int n = snprintf(deep, 100, "{\"username\":");
    for (int i = 0; i < 10000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 10000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    s_expect_register_400(deep, (size_t)n);
    free(deep);

    /* None of it created "kim". */
    h_resp_t r = s_register("kim", "good-password", "Kim");
    h_expect_status(&r, 201);
    h_resp_free(&r);

    free(long_name);
    free(long_password);
    free(long_nick);
}

static void test_register_accepts_the_limits(void **state)
{
    (void)state;
    char *name32 = h_repeat("z", 32);
    char *password128 = h_repeat("p", 128);
    char *nick64 = h_repeat("鸽", 64);
    struct {
        const char *username, *password, *nickname;
    } ok[] = {
        {"x.-", "12345678", "Three"},              /* shortest name, shortest password */
        {name32, password128, nick64},             /* the longest of each */
        {"yu_9", "密码很长", "雨"},                /* 4 characters, 12 bytes: long enough */
        {"emoji", "emoji-pass", "🕊️ Pigeon"}, /* beyond the BMP */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        h_resp_t r = s_register(ok[i].username, ok[i].password, ok[i].nickname);
        if (r.status != 201)
            fail_msg("register %s: expected 201, got %ld %s", ok[i].username, r.status, r.body);
        h_check_user(s_user_of(&r), ok[i].username, ok[i].nickname);
        h_resp_free(&r);
        r = s_login(ok[i].username, ok[i].password);
        h_expect_status(&r, 200);
        h_resp_free(&r);
    }
    /* Three characters but seven bytes is still too short a password. */
    h_resp_t r = s_register("short_pw", "密码a", "S");
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    free(name32);
    free(password128);
    free(nick64);
}

static void test_bad_utf8_is_refused(void **state)
{
    (void)state;
    const char *const bodies[] = {
        "{\"username\":\"lee\",\"password\":\"good-password\",\"nickname\":\"bad\xff\"}",
        "{\"username\":\"lee\",\"password\":\"good-password\",\"nickname\":\"\xc0\xaf\"}",
        "{\"username\":\"lee\",\"password\":\"good-password\",\"nickname\":\"\xed\xa0\x80\"}",
        "{\"username\":\"lee\",\"password\":\"good-password\",\"nickname\":\"\xe4\xb8\"}",
        "{\"username\":\"lee\xfe\",\"password\":\"good-password\",\"nickname\":\"L\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        s_expect_register_400(bodies[i], strlen(bodies[i]));

    char token[128];
    s_make_user("lee", "good-password", "Lee", token, NULL);
    const char patch[] = "{\"nickname\":\"x\xf8y\"}";
    h_resp_t r = h_http_raw(&s_sys, "PATCH", "/v1/me", token, patch, sizeof patch - 1, NULL);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    r = s_call("GET", "/v1/me", token, NULL);
    h_check_user(r.json, "lee", "Lee");
    h_resp_free(&r);
}

static void test_body_over_64_kib_is_413(void **state)
{
    (void)state;
    /* 64 KiB is allowed: this one is refused for its short username, not its size. */
    size_t len = 64 * 1024;
    char *body = malloc(len + 2);
    assert_non_null(body);
    const char head[] = "{\"username\":\"ab\",\"password\":\"good-password\",\"nickname\":\"N\"";
    memcpy(body, head, sizeof head - 1);
    memset(body + sizeof head - 1, ' ', len - sizeof head);
    body[len - 1] = '}';
    h_resp_t r = h_http_raw(&s_sys, "POST", "/v1/auth/register", NULL, body, len, NULL);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);

    /* One byte more is too large. */
    memset(body + sizeof head - 1, ' ', len + 1 - sizeof head);
    body[len] = '}';
    r = h_http_raw(&s_sys, "POST", "/v1/auth/register", NULL, body, len + 1, NULL);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);

    char token[128];
    s_make_user("mallory", "good-password", "Mallory", token, NULL);
    r = h_http_raw(&s_sys, "PATCH", "/v1/me", token, body, len + 1, NULL);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);

    /* A much larger one too (1 MiB). */
    char *big = malloc(1 << 20);
    assert_non_null(big);
    memset(big, ' ', 1 << 20);
    big[0] = '{';
    big[(1 << 20) - 1] = '}';
    r = h_http_raw(&s_sys, "POST", "/v1/auth/login", NULL, big, 1 << 20, NULL);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);
    free(big);
    free(body);
}

/* Neither an API route nor a file of the web client ("/" serves web/index.html). */
static void test_unknown_routes_are_404(void **state)
{
    (void)state;
    char token[128];
    s_make_user("nina", "good-password", "Nina", token, NULL);
    struct {
        const char *method, *path;
    } routes[] = {
        {"GET", "/v1/nope"},     {"GET", "/v2/me"},           {"GET", "/no-such-file.js"},
        {"POST", "/v1/users"},   {"DELETE", "/v1/me"},        {"GET", "/v1/auth/register"},
        {"GET", "/v1/me/extra"}, {"GET", "/v1/users/1/more"}, {"PUT", "/v1/me"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        h_resp_t r = h_http(&s_sys, routes[i].method, routes[i].path, token,
                            strcmp(routes[i].method, "GET") ? "{}" : NULL, NULL);
        if (r.status != 404)
            fail_msg("%s %s: expected 404, got %ld %s", routes[i].method, routes[i].path, r.status,
                     r.body);
        h_expect_error(&r, 404, "not_found");
        h_resp_free(&r);
    }
}

static void test_missing_or_bad_token_is_401(void **state)
{
    (void)state;
    char token[128];
    s_make_user("oscar", "good-password", "Oscar", token, NULL);
    char basic[256];
    snprintf(basic, sizeof basic, "Authorization: Basic %s", token);
    const char *const headers[][2] = {
        {NULL, NULL},
        {"Authorization: Bearer garbage", NULL},
        {"Authorization: Bearer ", NULL},
        {"Authorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000",
         NULL},
        {"Authorization: Bearer \xff\xfe", NULL},
        {"Authorization: Token abc", NULL},
        {basic, NULL},
    };
    const char *paths[] = {"/v1/me", "/v1/users?q=oscar", "/v1/users/1"};
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
            h_resp_t r =
                h_http(&s_sys, "GET", paths[p], NULL, NULL, headers[i][0] ? headers[i] : NULL);
            if (r.status != 401)
                fail_msg("GET %s with %s: expected 401, got %ld %s", paths[p],
                         headers[i][0] ? headers[i][0] : "no header", r.status, r.body);
            h_expect_error(&r, 401, "unauthenticated");
            h_resp_free(&r);
        }
    }
    /* A token that differs in its last character. */
    char altered[128];
    snprintf(altered, sizeof altered, "%s", token);
    size_t last = strlen(altered) - 1;
    altered[last] = altered[last] == 'A' ? 'B' : 'A';
    s_expect_me_status(altered, 401);
    s_expect_me_status(token, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_validates_every_field),
        cmocka_unit_test(test_register_accepts_the_limits),
        cmocka_unit_test(test_bad_utf8_is_refused),
        cmocka_unit_test(test_body_over_64_kib_is_413),
        cmocka_unit_test(test_unknown_routes_are_404),
        cmocka_unit_test(test_missing_or_bad_token_is_401),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
