/* test_utf8.c - strict UTF-8 validation, counting and control characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static bool s_valid(const char *s)
{
    return pc_utf8_valid(s, strlen(s));
}

static void test_nickname_in_any_script(void **state)
{
    const char *nick = "小明 Émile 🐦";
    assert_true(pc_utf8_valid(nick, strlen(nick)));
    assert_int_equal(pc_utf8_count(nick, strlen(nick)), 10);
    assert_false(pc_utf8_has_control(nick, strlen(nick)));
    assert_true(pc_utf8_text_ok(nick, 1, 64));
}

static void test_valid_boundaries(void **state)
{
    assert_true(s_valid(""));
    assert_true(s_valid("\x7f"));             /* U+007F */
    assert_true(s_valid("\xc2\x80"));         /* U+0080 */
    assert_true(s_valid("\xdf\xbf"));         /* U+07FF */
    assert_true(s_valid("\xe0\xa0\x80"));     /* U+0800 */
    assert_true(s_valid("\xed\x9f\xbf"));     /* U+D7FF */
    assert_true(s_valid("\xee\x80\x80"));     /* U+E000 */
    assert_true(s_valid("\xef\xbf\xbd"));     /* U+FFFD */
    assert_true(s_valid("\xef\xbf\xbf"));     /* U+FFFF */
    assert_true(s_valid("\xf0\x90\x80\x80")); /* U+10000 */
    assert_true(s_valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    /* An embedded NUL is a valid code point; length decides. */
    assert_true(pc_utf8_valid("a\0b", 3));
}

static void test_invalid_sequences(void **state)
{
    static const char *const bad[] = {
        "\x80",                     /* lone continuation byte */
        "\xbf",                     /* lone continuation byte */
        "a\x80z",                   /* continuation in ASCII */
        "\xc0\x80",                 /* overlong NUL */
        "\xc1\xbf",                 /* overlong U+007F */
        "\xe0\x80\x80",             /* overlong NUL, 3 bytes */
        "\xe0\x9f\xbf",             /* overlong U+07FF */
        "\xf0\x80\x80\x80",         /* overlong NUL, 4 bytes */
        "\xf0\x8f\xbf\xbf",         /* overlong U+FFFF */
        "\xed\xa0\x80",             /* U+D800, high surrogate */
        "\xed\xbf\xbf",             /* U+DFFF, low surrogate */
        "\xed\xa0\xbd\xed\xb2\xa9", /* CESU-8 surrogate pair */
        "\xf4\x90\x80\x80",         /* U+110000 */
        "\xf5\x80\x80\x80",         /* lead byte above F4 */
        "\xf8\x88\x80\x80\x80",     /* 5-byte form */
        "\xfc\x84\x80\x80\x80\x80", /* 6-byte form */
        "\xfe",                     /* never valid */
        "\xff",                     /* never valid */
        "\xc2",                     /* truncated 2-byte */
        "\xe2\x82",                 /* truncated 3-byte */
        "\xf0\x9f\x90",             /* truncated 4-byte */
        "\xc2\x41",                 /* second byte not a continuation */
        "\xe2\x28\xa1",             /* second byte not a continuation */
        "\xe2\x82\x28",             /* third byte not a continuation */
        "\xf0\x28\x8c\xbc",         /* second byte not a continuation */
        "\xf0\x90\x28\xbc",         /* third byte not a continuation */
        "\xf0\x90\x8c\x28",         /* fourth byte not a continuation */
        "ok\xe2\x82",               /* truncated at the end */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (s_valid(bad[i]))
            fail_msg("sequence %zu accepted", i);
    }
}

static void test_length_limits_the_scan(void **state)
{
    const char *euro = "\xe2\x82\xac";
    assert_true(pc_utf8_valid(euro, 3));
    assert_false(pc_utf8_valid(euro, 2)); /* cut in the middle */
    assert_true(pc_utf8_valid(euro, 0));
}

static void test_count_code_points(void **state)
{
    assert_int_equal(pc_utf8_count("", 0), 0);
    assert_int_equal(pc_utf8_count("abc", 3), 3);
    assert_int_equal(pc_utf8_count("\xe4\xb8\xad\xe6\x96\x87", 6), 2); /* 中文 */
    assert_int_equal(pc_utf8_count("\xf0\x9f\x90\xa6", 4), 1);         /* bird */
}

static void test_control_characters(void **state)
{
    assert_true(pc_utf8_has_control("a\tb", 3));
    assert_true(pc_utf8_has_control("a\nb", 3));
    assert_true(pc_utf8_has_control("\x01", 1));
    assert_true(pc_utf8_has_control("\x7f", 1));      /* DEL */
    assert_true(pc_utf8_has_control("\xc2\x80", 2));  /* U+0080, C1 */
    assert_true(pc_utf8_has_control("\xc2\x9f", 2));  /* U+009F, C1 */
    assert_true(pc_utf8_has_control("a\0b", 3));      /* NUL */
    assert_false(pc_utf8_has_control("\xc2\xa0", 2)); /* U+00A0 no-break space */
    assert_false(pc_utf8_has_control(" ~", 2));
}

static void test_text_ok_rule(void **state)
{
    assert_true(pc_utf8_text_ok("a", 1, 64));
    assert_false(pc_utf8_text_ok("", 1, 64));
    assert_false(pc_utf8_text_ok(NULL, 0, 64));
    assert_true(
        pc_utf8_text_ok("\xe4\xb8\xad\xe6\x96\x87", 2, 2)); /* counts characters, not bytes */
    assert_false(pc_utf8_text_ok("abc", 1, 2));
    assert_false(pc_utf8_text_ok("bad\xff", 1, 64));
    assert_false(pc_utf8_text_ok("tab\there", 1, 64));
    assert_false(pc_utf8_text_ok("c1\xc2\x85", 1, 64));

    char long_name[66];
    memset(long_name, 'x', 65);
    long_name[65] = '\0';
    assert_false(pc_utf8_text_ok(long_name, 1, 64));
    long_name[64] = '\0';
    assert_true(pc_utf8_text_ok(long_name, 1, 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nickname_in_any_script),
        cmocka_unit_test(test_valid_boundaries),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_length_limits_the_scan),
        cmocka_unit_test(test_count_code_points),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_text_ok_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
