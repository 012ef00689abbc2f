/* test_bigram.c - case folding and code point bigrams for substring search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bigram.h"

/* The grams of `text` with the separator shown as '|'. */
static char *s_grams(const char *text, bool with_tail, size_t *count)
{
    char *g = pc_bigram_grams(text, with_tail, count);
    assert_non_null(g);
    for (char *p = g; *p; p++)
        if (*p == PC_BIGRAM_SEP)
            *p = '|';
    return g;
}

static void test_a_chinese_name_yields_its_bigrams_and_tail(void **state)
{
    size_t n = 0;
    char *g = s_grams("篮球爱好者", true, &n);
    assert_string_equal(g, "篮球|球爱|爱好|好者|者");
    assert_int_equal(n, 5);
    free(g);
    /* The queries "篮球" and "爱好" are one bigram each, both among the name's. */
    g = s_grams("爱好", false, &n);
    assert_string_equal(g, "爱好");
    assert_int_equal(n, 1);
    free(g);
}

static void test_fold_lowers_latin_greek_cyrillic_and_keeps_cjk(void **state)
{
    char *f = pc_bigram_fold("Basketball ÉCOLE Ŝtar ΑΘΗΝΑ Москва ＡＢ 篮球");
    assert_non_null(f);
    assert_string_equal(f, "basketball école ŝtar αθηνα москва ａｂ 篮球");
    free(f);
    f = pc_bigram_fold("İSTANBUL × Ÿ");
    assert_string_equal(f, "istanbul × ÿ");
    free(f);
}

static void test_fold_rejects_invalid_utf8(void **state)
{
    assert_null(pc_bigram_fold("\xc3\x28"));
    assert_null(pc_bigram_fold(NULL));
    size_t n = 7;
    assert_null(pc_bigram_grams("\xff", true, &n));
    assert_int_equal(n, 0);
}

static void test_grams_are_distinct(void **state)
{
    size_t n = 0;
    char *g = s_grams("aaaa", true, &n);
    assert_string_equal(g, "aa|a");
    assert_int_equal(n, 2);
    free(g);
    g = s_grams("abab", false, &n);
    assert_string_equal(g, "ab|ba");
    assert_int_equal(n, 2);
    free(g);
}

static void test_short_texts(void **state)
{
    size_t n = 9;
    char *g = s_grams("x", false, &n);
    assert_string_equal(g, "");
    assert_int_equal(n, 0);
    free(g);
    g = s_grams("球", true, &n);
    assert_string_equal(g, "球");
    assert_int_equal(n, 1);
    free(g);
    g = s_grams("", true, &n);
    assert_string_equal(g, "");
    assert_int_equal(n, 0);
    free(g);
}

static void test_mixed_scripts_and_emoji(void **state)
{
    size_t n = 0;
    char *g = s_grams("a🐦b", true, &n);
    assert_string_equal(g, "a🐦|🐦b|b");
    assert_int_equal(n, 3);
    free(g);
}

static void test_prefix_end_is_the_next_code_point(void **state)
{
    char out[8];
    assert_true(pc_bigram_prefix_end("a", out, sizeof out));
    assert_string_equal(out, "b");
    assert_true(pc_bigram_prefix_end("篮", out, sizeof out));
    assert_string_equal(out, "篯"); /* U+7BEE -> U+7BEF */
    assert_true(
        pc_bigram_prefix_end("\xed\x9f\xbf", out, sizeof out)); /* U+D7FF skips surrogates */
    assert_string_equal(out, "\xee\x80\x80");
    assert_true(pc_bigram_prefix_end("\x7f", out, sizeof out));
    assert_string_equal(out, "\xc2\x80");
    assert_false(pc_bigram_prefix_end("ab", out, sizeof out));
    assert_false(pc_bigram_prefix_end("", out, sizeof out));
    assert_false(pc_bigram_prefix_end("\xf4\x8f\xbf\xbf", out, sizeof out)); /* U+10FFFF */
    assert_false(pc_bigram_prefix_end("篮", out, 3));
}

static void test_pick_takes_the_rarest_first(void **state)
{
    (void)state;
    int64_t counts[] = {10000, 40, 10000, 10000, 700, 10000, 10000};
    size_t picked[3];
    assert_int_equal(pc_bigram_pick(counts, 7, 3, 30, picked), 3);
    assert_int_equal(picked[0], 1);
    assert_int_equal(picked[1], 4);
    assert_int_equal(picked[2], 6); /* of the equal 10000s, the farthest from 1 and 4 */
    /* 40 is below the "alone" bound: it is used by itself */
    assert_int_equal(pc_bigram_pick(counts, 7, 3, 1000, picked), 1);
    assert_int_equal(picked[0], 1);
}

static void test_pick_spreads_among_equal_counts(void **state)
{
    (void)state;
    int64_t counts[] = {10000, 10000, 10000, 10000, 10000, 10000};
    size_t picked[3];
    assert_int_equal(pc_bigram_pick(counts, 6, 3, 1000, picked), 3);
    assert_int_equal(picked[0], 0);
    assert_int_equal(picked[1], 5); /* the farthest from the first */
    assert_int_equal(picked[2], 2); /* then the middle (first of the two equally far) */
}

static void test_pick_none_when_a_gram_is_absent(void **state)
{
    (void)state;
    int64_t counts[] = {10000, 3, 0, 9};
    size_t picked[3];
    assert_int_equal(pc_bigram_pick(counts, 4, 3, 1000, picked), 0);
    int64_t few[] = {5, 6};
    assert_int_equal(pc_bigram_pick(few, 2, 3, 1, picked), 2); /* fewer grams than max */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_chinese_name_yields_its_bigrams_and_tail),
        cmocka_unit_test(test_fold_lowers_latin_greek_cyrillic_and_keeps_cjk),
        cmocka_unit_test(test_fold_rejects_invalid_utf8),
        cmocka_unit_test(test_grams_are_distinct),
        cmocka_unit_test(test_short_texts),
        cmocka_unit_test(test_mixed_scripts_and_emoji),
        cmocka_unit_test(test_prefix_end_is_the_next_code_point),
        cmocka_unit_test(test_pick_takes_the_rarest_first),
        cmocka_unit_test(test_pick_spreads_among_equal_counts),
        cmocka_unit_test(test_pick_none_when_a_gram_is_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
