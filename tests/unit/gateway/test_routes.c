/* Route matching and path ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "authn.h"
#include "routes.h"

static const gw_route_t *s_match(const char *method, const char *path, gw_match_t *m,
                                 const char **seg, size_t *len)
{
    size_t n;
    const gw_route_t *table = gw_routes(&n);
    const gw_route_t *r = NULL;
    *m = gw_route_match(table, n, method, path, &r, seg, len);
    return r;
}

static void test_routes_match_account_calls(void **state)
{
    gw_match_t m;
    const char *seg;
    size_t len;
    const gw_route_t *r = s_match("POST", "/v1/auth/login", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_OK);
    assert_string_equal(r->pattern, "/v1/auth/login");
    assert_false(r->needs_auth);
    assert_null(seg);

    r = s_match("PATCH", "/v1/me", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_OK);
    assert_true(r->needs_auth);

    r = s_match("GET", "/v1/users/42", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_OK);
    assert_string_equal(r->pattern, "/v1/users/{id}");
    assert_int_equal(len, 2);
    assert_memory_equal(seg, "42", 2);

    r = s_match("GET", "/v1/users", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_OK);
    assert_string_equal(r->pattern, "/v1/users");

    r = s_match("POST", "/v1/auth/logout", &m, &seg, &len);
    assert_true(r->needs_auth);
    assert_true(r->idempotent_post);
    r = s_match("POST", "/v1/auth/register", &m, &seg, &len);
    assert_false(r->idempotent_post);
}

/* Every Contacts call is authenticated, and every POST honours Idempotency-Key. */
static void test_routes_match_contact_calls(void **state)
{
    static const struct {
        const char *method, *path, *pattern, *id;
    } calls[] = {
        {"POST", "/v1/contacts", "/v1/contacts", NULL},
        {"GET", "/v1/contacts", "/v1/contacts", NULL},
        {"DELETE", "/v1/contacts/7", "/v1/contacts/{id}", "7"},
        {"GET", "/v1/friend-requests", "/v1/friend-requests", NULL},
        {"POST", "/v1/friend-requests/12/accept", "/v1/friend-requests/{id}/accept", "12"},
        {"POST", "/v1/friend-requests/12/decline", "/v1/friend-requests/{id}/decline", "12"},
        {"DELETE", "/v1/friend-requests/12", "/v1/friend-requests/{id}", "12"},
        {"POST", "/v1/blocks", "/v1/blocks", NULL},
        {"DELETE", "/v1/blocks/9", "/v1/blocks/{id}", "9"},
        {"GET", "/v1/blocks", "/v1/blocks", NULL},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        gw_match_t m;
        const char *seg;
        size_t len;
        const gw_route_t *r = s_match(calls[i].method, calls[i].path, &m, &seg, &len);
        assert_int_equal(m, GW_MATCH_OK);
        assert_string_equal(r->pattern, calls[i].pattern);
        assert_true(r->needs_auth);
        assert_int_equal(r->idempotent_post, strcmp(calls[i].method, "POST") == 0);
        if (calls[i].id) {
            assert_int_equal(len, strlen(calls[i].id));
            assert_memory_equal(seg, calls[i].id, len);
        } else {
            assert_null(seg);
        }
    }
    gw_match_t m;
    const char *seg;
    size_t len;
    assert_null(s_match("POST", "/v1/friend-requests/12", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_METHOD);
    assert_null(s_match("GET", "/v1/friend-requests/12/accept", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_METHOD);
    assert_null(s_match("POST", "/v1/friend-requests/12/ignore", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("PATCH", "/v1/contacts/7", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_METHOD);
}

/* Every Groups call: its pattern, first id and second id ({uid}, {rid}). */
static void test_routes_match_group_calls(void **state)
{
    static const struct {
        const char *method, *path, *pattern, *id, *id2;
    } calls[] = {
        {"POST", "/v1/groups", "/v1/groups", NULL, NULL},
        {"GET", "/v1/groups", "/v1/groups", NULL, NULL},
        {"GET", "/v1/groups/7", "/v1/groups/{id}", "7", NULL},
        {"PATCH", "/v1/groups/7", "/v1/groups/{id}", "7", NULL},
        {"DELETE", "/v1/groups/7", "/v1/groups/{id}", "7", NULL},
        {"GET", "/v1/me/groups", "/v1/me/groups", NULL, NULL},
        {"GET", "/v1/groups/7/members", "/v1/groups/{id}/members", "7", NULL},
        {"POST", "/v1/groups/7/members", "/v1/groups/{id}/members", "7", NULL},
        {"PATCH", "/v1/groups/7/members/42", "/v1/groups/{id}/members/{id}", "7", "42"},
        {"DELETE", "/v1/groups/7/members/42", "/v1/groups/{id}/members/{id}", "7", "42"},
        {"POST", "/v1/groups/7/transfer", "/v1/groups/{id}/transfer", "7", NULL},
        {"POST", "/v1/groups/7/join", "/v1/groups/{id}/join", "7", NULL},
        {"GET", "/v1/groups/7/join-requests", "/v1/groups/{id}/join-requests", "7", NULL},
        {"POST", "/v1/groups/7/join-requests/99/approve",
         "/v1/groups/{id}/join-requests/{id}/approve", "7", "99"},
        {"POST", "/v1/groups/7/join-requests/99/reject",
         "/v1/groups/{id}/join-requests/{id}/reject", "7", "99"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        gw_match_t m;
        const char *seg, *seg2;
        size_t len, len2;
        const gw_route_t *r = s_match(calls[i].method, calls[i].path, &m, &seg, &len);
        assert_int_equal(m, GW_MATCH_OK);
        assert_string_equal(r->pattern, calls[i].pattern);
        assert_true(r->needs_auth);
        if (strcmp(r->method, "POST") == 0)
            assert_true(r->idempotent_post);
        if (calls[i].id) {
            assert_int_equal(len, strlen(calls[i].id));
            assert_memory_equal(seg, calls[i].id, len);
        } else {
            assert_null(seg);
        }
        bool two = gw_route_second_id(r->pattern, calls[i].path, &seg2, &len2);
        assert_int_equal(two, calls[i].id2 != NULL);
        if (calls[i].id2) {
            assert_int_equal(len2, strlen(calls[i].id2));
            assert_memory_equal(seg2, calls[i].id2, len2);
        }
    }
    /* Routes with one id have no second one; the router-only methods have no route. */
    assert_false(
        gw_route_second_id("/v1/users/{id}", "/v1/users/5", &(const char *){NULL}, &(size_t){0}));
    gw_match_t m;
    const char *seg;
    size_t len;
    s_match("GET", "/v1/groups/7/roster", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_NO_PATH);
    s_match("PUT", "/v1/groups/7", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_NO_METHOD);
    s_match("PATCH", "/v1/groups/7/members/", &m, &seg, &len);
    assert_int_equal(m, GW_MATCH_NO_PATH);
}

static void test_routes_unknown_path_and_method(void **state)
{
    gw_match_t m;
    const char *seg;
    size_t len;
    assert_null(s_match("GET", "/v1/nothing", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("GET", "/v1/me/", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("GET", "/v1/users/", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("GET", "/v1/users/1/x", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("GET", "", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    assert_null(s_match("GET", "v1/me", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_PATH);
    /* The path exists with other methods. */
    assert_null(s_match("DELETE", "/v1/me", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_METHOD);
    assert_null(s_match("GET", "/v1/auth/login", &m, &seg, &len));
    assert_int_equal(m, GW_MATCH_NO_METHOD);
}

static void test_routes_parse_id(void **state)
{
    int64_t id = 0;
    assert_true(gw_parse_id("1", 1, &id));
    assert_int_equal(id, 1);
    assert_true(gw_parse_id("9007199254740991", 16, &id)); /* 2^53 - 1 */
    assert_int_equal(id, 9007199254740991LL);
    assert_false(gw_parse_id("9007199254740992", 16, &id)); /* 2^53 */
    assert_false(gw_parse_id("99999999999999999", 17, &id));
    assert_false(gw_parse_id("0", 1, &id));
    assert_false(gw_parse_id("007", 3, &id));
    assert_false(gw_parse_id("-1", 2, &id));
    assert_false(gw_parse_id("+1", 2, &id));
    assert_false(gw_parse_id("abc", 3, &id));
    assert_false(gw_parse_id("12a", 3, &id));
    assert_false(gw_parse_id("1.5", 3, &id));
    assert_false(gw_parse_id("", 0, &id));
}

static void test_bearer_parse(void **state)
{
    const char *tok;
    size_t len;
    assert_true(gw_bearer_parse("Bearer abc.DEF-123", &tok, &len));
    assert_int_equal(len, 11);
    assert_memory_equal(tok, "abc.DEF-123", 11);
    assert_true(gw_bearer_parse("bearer   xyz  ", &tok, &len));
    assert_int_equal(len, 3);
    assert_false(gw_bearer_parse(NULL, &tok, &len));
    assert_false(gw_bearer_parse("", &tok, &len));
    assert_false(gw_bearer_parse("Bearer", &tok, &len));
    assert_false(gw_bearer_parse("Bearer ", &tok, &len));
    assert_false(gw_bearer_parse("Basic dXNlcjpwYXNz", &tok, &len));
    assert_false(gw_bearer_parse("Bearerabc", &tok, &len));
    assert_false(gw_bearer_parse("Bearer a b", &tok, &len));
    char big[GW_TOKEN_MAX + 16] = "Bearer ";
    memset(big + 7, 'a', GW_TOKEN_MAX + 1);
    big[7 + GW_TOKEN_MAX + 1] = '\0';
    assert_false(gw_bearer_parse(big, &tok, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_match_account_calls),
        cmocka_unit_test(test_routes_match_contact_calls),
        cmocka_unit_test(test_routes_match_group_calls),
        cmocka_unit_test(test_routes_unknown_path_and_method),
        cmocka_unit_test(test_routes_parse_id),
        cmocka_unit_test(test_bearer_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
