/* Idempotency-Key validation and request id derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "idem.h"
#include "random.h"

static void test_idem_derivation_is_stable_and_scoped(void **state)
{
    char a[33], b[33];
    gw_idem_request_id(42, "POST", "/v1/auth/logout", "retry-1", a);
    gw_idem_request_id(42, "POST", "/v1/auth/logout", "retry-1", b);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b); /* a client retry carries the same request id */
    gw_idem_request_id(43, "POST", "/v1/auth/logout", "retry-1", b);
    assert_string_not_equal(a, b); /* per user */
    gw_idem_request_id(42, "POST", "/v1/messages", "retry-1", b);
    assert_string_not_equal(a, b); /* per path */
    gw_idem_request_id(42, "POST", "/v1/auth/logout", "retry-2", b);
    assert_string_not_equal(a, b);
}

static void test_idem_derivation_matches_definition(void **state)
{
    const char *text = "7 POST /v1/contacts k";
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
    char want[33], got[33];
    pc_hex_encode(d, 16, want);
    gw_idem_request_id(7, "POST", "/v1/contacts", "k", got);
    assert_string_equal(got, want);
}

static void test_idem_key_validation(void **state)
{
    assert_true(gw_idem_key_valid("a"));
    assert_true(gw_idem_key_valid("550e8400-e29b-41d4-a716-446655440000"));
    assert_true(gw_idem_key_valid("with space and ~!"));
    char k[70];
    memset(k, 'x', 64);
    k[64] = '\0';
    assert_true(gw_idem_key_valid(k));
    k[64] = 'x';
    k[65] = '\0';
    assert_false(gw_idem_key_valid(k));
    assert_false(gw_idem_key_valid(""));
    assert_false(gw_idem_key_valid(NULL));
    assert_false(gw_idem_key_valid("tab\there"));
    assert_false(gw_idem_key_valid("caf\xc3\xa9"));
    assert_false(gw_idem_key_valid("del\x7f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idem_derivation_is_stable_and_scoped),
        cmocka_unit_test(test_idem_derivation_matches_definition),
        cmocka_unit_test(test_idem_key_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
