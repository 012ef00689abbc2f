/* test_token.c - session tokens: format, uniqueness and SHA-256 digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "auth_token.h"

static void test_new_token_is_well_formed(void **state)
{
    char token[AUTH_TOKEN_LEN + 1];
    uint8_t hash[AUTH_TOKEN_HASH_LEN], again[AUTH_TOKEN_HASH_LEN];
    auth_token_new(token);
    assert_int_equal(strlen(token), 43);
    assert_true(auth_token_well_formed(token));
    /* base64url alphabet, no padding */
    assert_int_equal(
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    auth_token_hash(token, hash);
    auth_token_hash(token, again);
    assert_true(auth_token_hash_equal(hash, again));
}

static void test_tokens_differ(void **state)
{
    char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
    uint8_t ha[AUTH_TOKEN_HASH_LEN], hb[AUTH_TOKEN_HASH_LEN];
    auth_token_new(a);
    auth_token_new(b);
    assert_string_not_equal(a, b);
    auth_token_hash(a, ha);
    auth_token_hash(b, hb);
    assert_false(auth_token_hash_equal(ha, hb));
}

static void test_hash_is_sha256_of_the_text(void **state)
{
    /* SHA-256("abc"), FIPS 180-2 test vector. */
    static const uint8_t expect[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                       0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                       0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                       0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t hash[AUTH_TOKEN_HASH_LEN];
    auth_token_hash("abc", hash);
    assert_memory_equal(hash, expect, 32);
    uint8_t other[AUTH_TOKEN_HASH_LEN];
    memcpy(other, expect, 32);
    other[31] ^= 1;
    assert_false(auth_token_hash_equal(hash, other));
}

static void test_malformed_tokens(void **state)
{
    char token[AUTH_TOKEN_LEN + 1];
    auth_token_new(token);
    assert_false(auth_token_well_formed(NULL));
    assert_false(auth_token_well_formed(""));
    token[42] = '\0';
    assert_false(auth_token_well_formed(token)); /* 42 chars */
    assert_false(
        auth_token_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")); /* padding */
    assert_false(
        auth_token_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")); /* not url-safe */
    assert_false(
        auth_token_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 chars */
    assert_true(auth_token_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_token_is_well_formed),
        cmocka_unit_test(test_tokens_differ),
        cmocka_unit_test(test_hash_is_sha256_of_the_text),
        cmocka_unit_test(test_malformed_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
