/* test_validate.c - what pigeon-auth accepts: usernames, nicknames, passwords, search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "auth_validate.h"

static void test_register_fields(void **state)
{
    char name[AUTH_USERNAME_MAX + 1], err[160];
    assert_true(auth_validate_username("Alice_01.x-y", name, err, sizeof err));
    assert_string_equal(name, "alice_01.x-y"); /* stored lower-case */
    assert_true(auth_validate_nickname("小明", err, sizeof err));
    assert_true(auth_validate_password("secret-123", err, sizeof err));
    assert_true(auth_validate_add_policy("open", err, sizeof err));
    assert_true(auth_validate_add_policy("approval", err, sizeof err));
}

static void test_username_rules(void **state)
{
    char name[AUTH_USERNAME_MAX + 1], err[160];
    assert_true(auth_validate_username("abc", name, err, sizeof err));
    assert_true(auth_validate_username("abcdefghijklmnopqrstuvwxyz012345", name, err, sizeof err));
    assert_false(auth_validate_username("ab", name, err, sizeof err));
    assert_non_null(strstr(err, "username"));
    assert_false(
        auth_validate_username("abcdefghijklmnopqrstuvwxyz0123456", name, err, sizeof err));
    assert_false(auth_validate_username("al ice", name, err, sizeof err));
    assert_false(auth_validate_username("alice!", name, err, sizeof err));
    assert_false(auth_validate_username("élise", name, err, sizeof err));
    assert_false(auth_validate_username("", name, err, sizeof err));
    assert_false(auth_validate_username(NULL, name, err, sizeof err));
    assert_string_equal(err, "username is required");
}

static void test_nickname_rules(void **state)
{
    char err[160], nick[300];
    assert_true(auth_validate_nickname("x", err, sizeof err));
    assert_true(auth_validate_nickname("Émile 🐦", err, sizeof err));
    assert_false(auth_validate_nickname("", err, sizeof err));
    assert_non_null(strstr(err, "nickname"));
    assert_false(auth_validate_nickname("tab\there", err, sizeof err));
    assert_false(auth_validate_nickname("bad \xc3\x28 utf8", err, sizeof err));
    assert_false(auth_validate_nickname(NULL, err, sizeof err));
    /* 64 Chinese characters are fine (192 bytes), 65 are not. */
    nick[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(nick, "明");
    assert_true(auth_validate_nickname(nick, err, sizeof err));
    strcat(nick, "明");
    assert_false(auth_validate_nickname(nick, err, sizeof err));
}

static void test_password_rules(void **state)
{
    char err[160], pw[200];
    assert_false(auth_validate_password("1234567", err, sizeof err));
    assert_string_equal(err, "password must be 8 to 128 bytes");
    assert_true(auth_validate_password("12345678", err, sizeof err));
    memset(pw, 'x', 128);
    pw[128] = '\0';
    assert_true(auth_validate_password(pw, err, sizeof err));
    pw[128] = 'x';
    pw[129] = '\0';
    assert_false(auth_validate_password(pw, err, sizeof err));
    /* At login only emptiness and the upper bound matter. */
    assert_true(auth_validate_login_password("short", err, sizeof err));
    assert_false(auth_validate_login_password("", err, sizeof err));
    assert_false(auth_validate_login_password(pw, err, sizeof err));
}

static void test_add_policy_and_device(void **state)
{
    char err[160];
    assert_false(auth_validate_add_policy("Open", err, sizeof err));
    assert_non_null(strstr(err, "add_policy"));
    assert_false(auth_validate_add_policy("", err, sizeof err));
    assert_false(auth_validate_add_policy(NULL, err, sizeof err));
    assert_true(auth_validate_device(NULL, err, sizeof err));
    assert_true(auth_validate_device("Pixel 8", err, sizeof err));
    assert_false(auth_validate_device("", err, sizeof err));
    assert_false(auth_validate_device("a\nb", err, sizeof err));
}

static void test_search_rules(void **state)
{
    char err[160];
    uint32_t limit = 0;
    assert_true(auth_validate_search_q("小", err, sizeof err));
    assert_false(auth_validate_search_q("", err, sizeof err));
    assert_string_equal(err, "q must not be empty");
    assert_false(auth_validate_search_q(NULL, err, sizeof err));
    assert_false(auth_validate_search_q("\xff", err, sizeof err));
    assert_true(auth_validate_search_limit(false, 0, &limit, err, sizeof err));
    assert_int_equal(limit, 20);
    assert_true(auth_validate_search_limit(true, 1, &limit, err, sizeof err));
    assert_int_equal(limit, 1);
    assert_true(auth_validate_search_limit(true, 50, &limit, err, sizeof err));
    assert_int_equal(limit, 50);
    assert_false(auth_validate_search_limit(true, 0, &limit, err, sizeof err));
    assert_string_equal(err, "limit must be from 1 to 50");
    assert_false(auth_validate_search_limit(true, 51, &limit, err, sizeof err));
}

static void test_cursor_round_trip(void **state)
{
    char cursor[AUTH_CURSOR_SIZE], name[AUTH_USERNAME_MAX + 1];
    auth_cursor_encode("alice", cursor);
    assert_null(strpbrk(cursor, "+/="));
    assert_true(auth_cursor_decode(cursor, name));
    assert_string_equal(name, "alice");
    auth_cursor_encode("abcdefghijklmnopqrstuvwxyz012345", cursor);
    assert_true(auth_cursor_decode(cursor, name));
    assert_string_equal(name, "abcdefghijklmnopqrstuvwxyz012345");
}

static void test_cursor_rejects_garbage(void **state)
{
    char cursor[AUTH_CURSOR_SIZE], name[AUTH_USERNAME_MAX + 1];
    assert_false(auth_cursor_decode("", name));
    assert_false(auth_cursor_decode("!!!", name));
    assert_false(auth_cursor_decode("YWxpY2U=", name)); /* padded */
    auth_cursor_encode("ALICE", cursor);                /* not how names are stored */
    assert_false(auth_cursor_decode(cursor, name));
    auth_cursor_encode("a b", cursor);
    assert_false(auth_cursor_decode(cursor, name));
    assert_false(auth_cursor_decode("YWxpY2UAeA", name)); /* "alice\0x" */
    assert_false(auth_cursor_decode("YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh",
                                    name)); /* too long */
}

static void test_like_pattern_escapes(void **state)
{
    char *p = auth_like_pattern("Al_i%c\\e", "", "%", true);
    assert_string_equal(p, "al\\_i\\%c\\\\e%");
    free(p);
    p = auth_like_pattern("小明", "%", "%", false);
    assert_string_equal(p, "%小明%");
    free(p);
    p = auth_like_pattern("ABC", "%", "%", false);
    assert_string_equal(p, "%ABC%");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_fields),       cmocka_unit_test(test_username_rules),
        cmocka_unit_test(test_nickname_rules),        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_add_policy_and_device), cmocka_unit_test(test_search_rules),
        cmocka_unit_test(test_cursor_round_trip),     cmocka_unit_test(test_cursor_rejects_garbage),
        cmocka_unit_test(test_like_pattern_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
