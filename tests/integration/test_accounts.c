/* test_accounts.c - API.md "Accounts" through the gateway, against real
 * pigeon-auth and pigeon-gateway processes on a fresh database.
 *
 * Normal use first, then each call's own refusals. Malformed input of every
 * kind is in test_accounts_input.c, rate limits in test_rate_limits.c. */
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
static time_t s_parse_time(const char *s)
{
    struct tm tm = {0};
    assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%S", &tm));
    return timegm(&tm);
}

static json_t *s_user_of(const h_resp_t *r)
{
    return json_object_get(r->json, "user");
}

static int64_t s_id_of(json_t *user)
{
    return json_integer_value(json_object_get(user, "id"));
}

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

/* n random CJK ideographs (U+4E00..U+9FA5) as UTF-8: a search term no one
 * else in the database has. */
static void s_random_han(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned cp = 0x4E00 + (unsigned)(rand() % (0x9FA5 - 0x4E00));
        out[3 * i] = (char)(0xE0 | (cp >> 12));
        out[3 * i + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3 * i + 2] = (char)(0x80 | (cp & 0x3F));
    }
    out[3 * n] = '\0';
}

/* Appends sep (when dst is not empty) and src to dst; fails on overflow. */
static void s_append(char *dst, size_t size, const char *sep, const char *src)
{
    size_t len = strlen(dst), need = (len ? strlen(sep) : 0) + strlen(src);
    assert_true(len + need < size);
    if (len)
        strcat(dst, sep);
    strcat(dst, src);
}

/* GET path; expects 200 and returns the "users" array's usernames joined by
 * ',' into out, and next_cursor (or "" when null) into cursor. */
static void s_search(const char *path, const char *token, char *out, size_t size, char *cursor,
                     size_t cursor_size)
{
    h_resp_t r = s_call("GET", path, token, NULL);
    h_expect_status(&r, 200);
    json_t *users = json_object_get(r.json, "users");
    assert_true(json_is_array(users));
    out[0] = '\0';
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
    {
        h_check_user(u, json_string_value(json_object_get(u, "username")), NULL);
        s_append(out, size, ",", json_string_value(json_object_get(u, "username")));
    }
    if (cursor) {
        json_t *next = json_object_get(r.json, "next_cursor");
        assert_non_null(next); /* present: a string or null */
        assert_true(json_is_null(next) || json_is_string(next));
        snprintf(cursor, cursor_size, "%s", json_is_string(next) ? json_string_value(next) : "");
    }
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

/* ------------------------------------------------------------------ normal use */

static void test_register_answers_user_and_token(void **state)
{
    (void)state;
    h_resp_t r = s_register("alice", "secret-123", "小明");
    h_expect_status(&r, 201);
    h_check_user(s_user_of(&r), "alice", "小明");
    assert_true(json_is_null(json_object_get(s_user_of(&r), "avatar_media_id")));
    assert_string_equal(json_string_value(json_object_get(s_user_of(&r), "add_policy")), "open");
    const char *token = json_string_value(json_object_get(r.json, "token"));
    assert_non_null(token);
    assert_true(strlen(token) >= 32);
    const char *expires = json_string_value(json_object_get(r.json, "expires_at"));
    assert_true(h_is_rfc3339_utc(expires));
    /* Default lifetime 30 days. */
    time_t left = s_parse_time(expires) - time(NULL);
    assert_true(left > 29 * 86400 && left <= 31 * 86400);

    /* The token works at once, and the Chinese nickname round-trips. */
    h_resp_t me = s_call("GET", "/v1/me", token, NULL);
    h_expect_status(&me, 200);
    h_check_user(me.json, "alice", "小明");
    assert_int_equal(s_id_of(me.json), s_id_of(s_user_of(&r)));
    assert_string_equal(json_string_value(json_object_get(me.json, "created_at")),
                        json_string_value(json_object_get(s_user_of(&r), "created_at")));
    h_resp_free(&me);
    h_resp_free(&r);
}

static void test_username_is_lower_case_and_unique(void **state)
{
    (void)state;
    h_resp_t r = s_register("Bob.Smith-2", "password-1", "Bob");
    h_expect_status(&r, 201);
    h_check_user(s_user_of(&r), "bob.smith-2", "Bob");
    h_resp_free(&r);

    const char *taken[] = {"bob.smith-2", "BOB.SMITH-2", "Bob.smith-2"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        r = s_register(taken[i], "password-2", "Other Bob");
        h_expect_error(&r, 409, "conflict");
        h_resp_free(&r);
    }

    /* Login is case-insensitive too. */
    r = s_login("BOB.SMITH-2", "password-1");
    h_expect_status(&r, 200);
    h_check_user(s_user_of(&r), "bob.smith-2", "Bob");
    h_resp_free(&r);
}

static void test_login_from_several_devices(void **state)
{
    (void)state;
    char t0[128], t1[128], t2[128];
    int64_t id;
    s_make_user("carol", "carol-pass", "Carol", t0, &id);

    h_resp_t r = s_login("carol", "carol-pass");
    h_expect_status(&r, 200);
    h_check_user(s_user_of(&r), "carol", "Carol");
    assert_int_equal(s_id_of(s_user_of(&r)), id);
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(r.json, "expires_at"))));
    snprintf(t1, sizeof t1, "%s", json_string_value(json_object_get(r.json, "token")));
    h_resp_free(&r);

    r = s_call("POST", "/v1/auth/login", NULL,
               json_pack("{s:s, s:s, s:s}", "username", "carol", "password", "carol-pass", "device",
                         "phone"));
    h_expect_status(&r, 200);
    snprintf(t2, sizeof t2, "%s", json_string_value(json_object_get(r.json, "token")));
    h_resp_free(&r);

    assert_string_not_equal(t0, t1);
    assert_string_not_equal(t1, t2);
    s_expect_me_status(t0, 200);
    s_expect_me_status(t1, 200);
    s_expect_me_status(t2, 200);
}

static void test_login_failures_look_the_same(void **state)
{
    (void)state;
    char token[128];
    s_make_user("dave", "dave-pass", "Dave", token, NULL);

    h_resp_t wrong = s_login("dave", "not-the-password");
    h_expect_error(&wrong, 401, "unauthenticated");
    h_resp_t unknown = s_login("nobody-here", "not-the-password");
    h_expect_error(&unknown, 401, "unauthenticated");
    /* Same answer: nothing tells whether the user exists. */
    assert_string_equal(wrong.body, unknown.body);
    h_resp_free(&wrong);
    h_resp_free(&unknown);
}

static void test_logout_revokes_only_that_token(void **state)
{
    (void)state;
    char a[128], b[128];
    s_make_user("erin", "erin-pass", "Erin", a, NULL);
    h_resp_t r = s_login("erin", "erin-pass");
    h_expect_status(&r, 200);
    snprintf(b, sizeof b, "%s", json_string_value(json_object_get(r.json, "token")));
    h_resp_free(&r);
    s_expect_me_status(a, 200); /* now in the gateway's token cache */

    r = s_call("POST", "/v1/auth/logout", a, NULL);
    h_expect_status(&r, 204);
    assert_int_equal(r.body_len, 0);
    h_resp_free(&r);

    /* At once, although the gateway had the token cached. */
    s_expect_me_status(a, 401);
    s_expect_me_status(b, 200);

    r = s_call("POST", "/v1/auth/logout", a, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
    r = s_call("POST", "/v1/auth/logout", NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_patch_me(void **state)
{
    (void)state;
    char token[128];
    s_make_user("frank", "frank-pass", "Frank", token, NULL);

    /* Absent fields stay as they are. */
    h_resp_t r = s_call("PATCH", "/v1/me", token, json_object());
    h_expect_status(&r, 200);
    h_check_user(r.json, "frank", "Frank");
    assert_string_equal(json_string_value(json_object_get(r.json, "add_policy")), "open");
    h_resp_free(&r);

    r = s_call("PATCH", "/v1/me", token, json_pack("{s:s}", "nickname", "弗兰克 Frank"));
    h_expect_status(&r, 200);
    h_check_user(r.json, "frank", "弗兰克 Frank");
    h_resp_free(&r);

    r = s_call("PATCH", "/v1/me", token, json_pack("{s:s}", "add_policy", "approval"));
    h_expect_status(&r, 200);
    h_check_user(r.json, "frank", "弗兰克 Frank");
    assert_string_equal(json_string_value(json_object_get(r.json, "add_policy")), "approval");
    h_resp_free(&r);

    /* null clears; an avatar may be cleared, the others cannot be empty. */
    r = s_call("PATCH", "/v1/me", token, json_pack("{s:n}", "avatar_media_id"));
    h_expect_status(&r, 200);
    assert_true(json_is_null(json_object_get(r.json, "avatar_media_id")));
    h_resp_free(&r);

    const char *bad[] = {
        "{\"nickname\":null}",
        "{\"add_policy\":null}",
        "{\"add_policy\":\"closed\"}",
        "{\"add_policy\":\"OPEN\"}",
        "{\"add_policy\":1}",
        "{\"nickname\":5}",
        "{\"nickname\":\"\"}",
        "{\"nickname\":\"tab\\there\"}",
        "{\"avatar_media_id\":\"12\"}",
        "{\"avatar_media_id\":1.5}",
        "{\"avatar_media_id\":-3}",
        "[]",
        "{\"nickname\":",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = h_http(&s_sys, "PATCH", "/v1/me", token, bad[i], NULL);
        if (r.status != 400)
            fail_msg("PATCH /v1/me %s: expected 400, got %ld %s", bad[i], r.status, r.body);
        h_expect_error(&r, 400, "invalid_argument");
        h_resp_free(&r);
    }

    /* An avatar must be an image the caller uploaded: no such media is 404. */
    r = s_call("PATCH", "/v1/me", token,
               json_pack("{s:I}", "avatar_media_id", (json_int_t)987654321));
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);

    /* None of the refused calls changed anything. */
    r = s_call("GET", "/v1/me", token, NULL);
    h_expect_status(&r, 200);
    h_check_user(r.json, "frank", "弗兰克 Frank");
    assert_string_equal(json_string_value(json_object_get(r.json, "add_policy")), "approval");
    assert_true(json_is_null(json_object_get(r.json, "avatar_media_id")));
    h_resp_free(&r);

    /* PATCH without a token. */
    r = s_call("PATCH", "/v1/me", NULL, json_pack("{s:s}", "nickname", "x"));
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_get_user_by_id(void **state)
{
    (void)state;
    char token[128], other_token[128];
    int64_t other_id;
    s_make_user("grace", "grace-pass", "Grace", token, NULL);
    s_make_user("heidi", "heidi-pass", "海蒂", other_token, &other_id);

    char path[96];
    snprintf(path, sizeof path, "/v1/users/%lld", (long long)other_id);
    h_resp_t r = s_call("GET", path, token, NULL);
    h_expect_status(&r, 200);
    h_check_user(r.json, "heidi", "海蒂");
    assert_int_equal(s_id_of(r.json), other_id);
    h_resp_free(&r);

    r = s_call("GET", "/v1/users/9007199254740991", token, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);

    const char *bad[] = {"/v1/users/abc", "/v1/users/12abc", "/v1/users/1.5",
                         "/v1/users/99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = s_call("GET", bad[i], token, NULL);
        if (r.status != 400)
            fail_msg("GET %s: expected 400, got %ld %s", bad[i], r.status, r.body);
        h_expect_error(&r, 400, "invalid_argument");
        h_resp_free(&r);
    }

    r = s_call("GET", path, NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_find_by_exact_username(void **state)
{
    (void)state;
    char token[128];
    int64_t id;
    s_make_user("ivan", "ivan-pass", "Ivan", token, &id);
    char other[128];
    s_make_user("ivan2", "ivan-pass", "Ivan Two", other, NULL);

    const char *queries[] = {"ivan", "IVAN", "Ivan"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/users?username=%s", queries[i]);
        h_resp_t r = s_call("GET", path, other, NULL);
        h_expect_status(&r, 200);
        json_t *users = json_object_get(r.json, "users");
        assert_int_equal(json_array_size(users), 1); /* exact: not ivan2 */
        h_check_user(json_array_get(users, 0), "ivan", "Ivan");
        assert_int_equal(s_id_of(json_array_get(users, 0)), id);
        h_resp_free(&r);
    }

    h_resp_t r = s_call("GET", "/v1/users?username=no-such-user", other, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 0);
    h_resp_free(&r);

    r = s_call("GET", "/v1/users?username=ivan", NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_search_by_username_prefix_pages(void **state)
{
    (void)state;
    char token[128], name[40], prefix[16];
    snprintf(prefix, sizeof prefix, "pg%06x", (unsigned)(rand() & 0xffffff));
    const char *suffixes[] = {"_e", "_a", "_d", "_b", "_c"}; /* registered out of order */
    for (size_t i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "%s%s", prefix, suffixes[i]);
        s_make_user(name, "paging-pass", "Pager", token, NULL);
    }

    char expected[256];
    snprintf(expected, sizeof expected, "%1$s_a,%1$s_b,%1$s_c,%1$s_d,%1$s_e", prefix);

    /* One page with the default limit. */
    char got[512], cursor[512], path[1024];
    snprintf(path, sizeof path, "/v1/users?q=%s", prefix);
    s_search(path, token, got, sizeof got, cursor, sizeof cursor);
    assert_string_equal(got, expected);
    assert_string_equal(cursor, "");

    /* Pages of two, ordered by username, next_cursor null on the last. */
    char all[512] = "";
    int pages = 0;
    snprintf(path, sizeof path, "/v1/users?q=%s&limit=2", prefix);
    for (;;) {
        s_search(path, token, got, sizeof got, cursor, sizeof cursor);
        pages++;
        assert_true(pages <= 3);
        s_append(all, sizeof all, ",", got);
        if (!cursor[0])
            break;
        char *escaped = h_escape(cursor);
        snprintf(path, sizeof path, "/v1/users?q=%s&limit=2&cursor=%s", prefix, escaped);
        free(escaped);
    }
    assert_int_equal(pages, 3);
    assert_string_equal(all, expected);

    /* Upper-case query: usernames are case-insensitive. */
    char upper[16];
    for (size_t i = 0; i <= strlen(prefix); i++)
        upper[i] = (char)toupper((unsigned char)prefix[i]);
    snprintf(path, sizeof path, "/v1/users?q=%s", upper);
    s_search(path, token, got, sizeof got, cursor, sizeof cursor);
    assert_string_equal(got, expected);
}

static void test_search_by_chinese_nickname(void **state)
{
    (void)state;
    char tag[16], nick[64], token[128], name[40];
    s_random_han(tag, 2); /* two characters: short searches must work too */
    const char *forms[] = {"小明%s鸽", "%s先生", "老%s"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(nick, sizeof nick, forms[i], tag);
        snprintf(name, sizeof name, "han%zu_%06x", i, (unsigned)(rand() & 0xffffff));
        s_make_user(name, "search-pass", nick, token, NULL);
    }
    s_make_user("han_none", "search-pass", "小明", token, NULL);

    char *q = h_escape(tag);
    char path[512], got[512], cursor[512];
    snprintf(path, sizeof path, "/v1/users?q=%s", q);
    s_search(path, token, got, sizeof got, cursor, sizeof cursor);
    /* Ordered by username: han0_, han1_, han2_. */
    assert_int_equal(strncmp(got, "han0_", 5), 0);
    assert_non_null(strstr(got, ",han1_"));
    assert_non_null(strstr(got, ",han2_"));
    assert_null(strstr(got, "han_none"));
    assert_string_equal(cursor, "");

    snprintf(path, sizeof path, "/v1/users?q=%s&limit=2", q);
    s_search(path, token, got, sizeof got, cursor, sizeof cursor);
    assert_non_null(strstr(got, "han0_"));
    assert_non_null(strstr(got, ",han1_"));
    assert_true(cursor[0] != '\0');
    char *c = h_escape(cursor);
    snprintf(path, sizeof path, "/v1/users?q=%s&limit=2&cursor=%s", q, c);
    free(c);
    s_search(path, token, got, sizeof got, cursor, sizeof cursor);
    assert_int_equal(strncmp(got, "han2_", 5), 0);
    assert_null(strchr(got, ','));
    assert_string_equal(cursor, "");
    free(q);
}

/* "篮球爱好者" is found by any two of its characters, in the middle too;
 * after a nickname change, by the new name only. */
static void test_search_nickname_substring(void **state)
{
    (void)state;
    char token[128], name[40], path[512], got[512];
    int64_t id = 0;
    snprintf(name, sizeof name, "hoop_%06x", (unsigned)(rand() & 0xffffff));
    s_make_user(name, "search-pass", "篮球爱好者", token, &id);
    const char *found[] = {"篮球", "爱好", "球爱好", "好者", "篮球爱好者"};
    for (size_t i = 0; i < sizeof found / sizeof found[0]; i++) {
        char *q = h_escape(found[i]);
        snprintf(path, sizeof path, "/v1/users?q=%s&limit=50", q);
        free(q);
        s_search(path, token, got, sizeof got, NULL, 0);
        if (!strstr(got, name))
            fail_msg("q=%s did not find %s: [%s]", found[i], name, got);
    }
    const char *missed[] = {"篮爱", "球爱好者们"}; /* out of order; a bigram no nickname has */
    for (size_t i = 0; i < 2; i++) {
        char *q = h_escape(missed[i]);
        snprintf(path, sizeof path, "/v1/users?q=%s&limit=50", q);
        free(q);
        s_search(path, token, got, sizeof got, NULL, 0);
        assert_null(strstr(got, name));
    }
    /* The whole username: a prefix match, though no nickname holds "p_". */
    snprintf(path, sizeof path, "/v1/users?q=%s&limit=50", name);
    s_search(path, token, got, sizeof got, NULL, 0);
    assert_string_equal(got, name);

    h_resp_t r = s_call("PATCH", "/v1/me", token, json_pack("{s:s}", "nickname", "Chess Lover"));
    h_expect_status(&r, 200);
    h_resp_free(&r);
    char *q = h_escape("篮球");
    snprintf(path, sizeof path, "/v1/users?q=%s&limit=50", q);
    free(q);
    s_search(path, token, got, sizeof got, NULL, 0);
    assert_null(strstr(got, name));
    s_search("/v1/users?q=ss%20lo&limit=50", token, got, sizeof got, NULL, 0);
    assert_non_null(strstr(got, name));
    s_search("/v1/users?q=CHESS&limit=50", token, got, sizeof got, NULL, 0);
    assert_non_null(strstr(got, name));
}

static void test_search_rejects_bad_arguments(void **state)
{
    (void)state;
    char token[128];
    s_make_user("judy", "judy-pass", "Judy", token, NULL);

    h_resp_t r = s_call("GET", "/v1/users?q=judy&limit=50", token, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    r = s_call("GET", "/v1/users?q=judy&limit=1", token, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);

    const char *bad[] = {
        "/v1/users?q=judy&limit=0",
        "/v1/users?q=judy&limit=51",
        "/v1/users?q=judy&limit=-1",
        "/v1/users?q=judy&limit=abc",
        "/v1/users?q=judy&limit=",
        "/v1/users?q=judy&cursor=not-a-cursor%21",
        "/v1/users",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = s_call("GET", bad[i], token, NULL);
        if (r.status != 400)
            fail_msg("GET %s: expected 400, got %ld %s", bad[i], r.status, r.body);
        h_expect_error(&r, 400, "invalid_argument");
        h_resp_free(&r);
    }

    r = s_call("GET", "/v1/users?q=judy", NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_idempotency_keys(void **state)
{
    (void)state;
    const char *const key[] = {"Idempotency-Key: same-key-1", NULL};
    /* Register and login ignore the header: two registrations, two users. */
    h_resp_t a =
        h_http(&s_sys, "POST", "/v1/auth/register", NULL,
               "{\"username\":\"peggy\",\"password\":\"good-password\",\"nickname\":\"P\"}", key);
    h_resp_t b =
        h_http(&s_sys, "POST", "/v1/auth/register", NULL,
               "{\"username\":\"quinn\",\"password\":\"good-password\",\"nickname\":\"Q\"}", key);
    h_expect_status(&a, 201);
    h_expect_status(&b, 201);
    h_check_user(s_user_of(&a), "peggy", "P");
    h_check_user(s_user_of(&b), "quinn", "Q");
    h_resp_free(&a);
    h_resp_free(&b);

    const char login[] = "{\"username\":\"peggy\",\"password\":\"good-password\"}";
    a = h_http(&s_sys, "POST", "/v1/auth/login", NULL, login, key);
    b = h_http(&s_sys, "POST", "/v1/auth/login", NULL, login, key);
    h_expect_status(&a, 200);
    h_expect_status(&b, 200);
    char token[128];
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(a.json, "token")));
    assert_string_not_equal(token, json_string_value(json_object_get(b.json, "token")));
    h_resp_free(&a);
    h_resp_free(&b);

    /* A key must be 1-64 printable ASCII characters; a bad one changes nothing. */
    char long_key[128];
    snprintf(long_key, sizeof long_key, "Idempotency-Key: %065d", 0);
    const char *const bad_keys[][2] = {{long_key, NULL}, {"Idempotency-Key: caf\xc3\xa9", NULL}};
    for (size_t i = 0; i < 2; i++) {
        h_resp_t r = h_http(&s_sys, "POST", "/v1/auth/logout", token, NULL, bad_keys[i]);
        h_expect_error(&r, 400, "invalid_argument");
        h_resp_free(&r);
    }
    s_expect_me_status(token, 200);

    /* Logout with a key: 204. The retry cannot replay it: the token no longer
     * authenticates anyone, and authentication comes first (401). */
    a = h_http(&s_sys, "POST", "/v1/auth/logout", token, NULL, key);
    h_expect_status(&a, 204);
    h_resp_free(&a);
    a = h_http(&s_sys, "POST", "/v1/auth/logout", token, NULL, key);
    h_expect_error(&a, 401, "unauthenticated");
    h_resp_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_answers_user_and_token),
        cmocka_unit_test(test_username_is_lower_case_and_unique),
        cmocka_unit_test(test_login_from_several_devices),
        cmocka_unit_test(test_login_failures_look_the_same),
        cmocka_unit_test(test_logout_revokes_only_that_token),
        cmocka_unit_test(test_patch_me),
        cmocka_unit_test(test_get_user_by_id),
        cmocka_unit_test(test_find_by_exact_username),
        cmocka_unit_test(test_search_by_username_prefix_pages),
        cmocka_unit_test(test_search_by_chinese_nickname),
        cmocka_unit_test(test_search_nickname_substring),
        cmocka_unit_test(test_search_rejects_bad_arguments),
        cmocka_unit_test(test_idempotency_keys),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
