/* The verified-token cache: lifetime, revocation, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "token_cache.h"

#define SEC_US 1000000LL

static void s_hash(uint8_t h[32], unsigned n)
{
    memset(h, 0, 32);
    memcpy(h + 8, &n, sizeof n); /* set index comes from the first 8 bytes: all collide */
    h[31] = 0x5a;
}

static void test_cache_hit_then_ttl_expiry(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(1024, 10000);
    uint8_t h[32];
    s_hash(h, 1);
    int64_t uid = 0, now_ms = 5000, now_us = 1000 * SEC_US;
    assert_false(gw_token_cache_get(c, h, now_ms, now_us, &uid));
    gw_token_cache_put(c, h, 42, now_us + 3600 * SEC_US, gw_token_cache_epoch(c), now_ms, now_us);
    assert_true(gw_token_cache_get(c, h, now_ms + 9999, now_us, &uid));
    assert_int_equal(uid, 42);
    assert_false(gw_token_cache_get(c, h, now_ms + 10000, now_us, &uid)); /* 10 s at most */
    gw_token_cache_destroy(&c);
    assert_null(c);
}

static void test_cache_never_beyond_token_expiry(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(64, 10000);
    uint8_t h[32];
    s_hash(h, 2);
    int64_t uid, now_us = 1000 * SEC_US;
    gw_token_cache_put(c, h, 7, now_us + 2 * SEC_US, gw_token_cache_epoch(c), 0, now_us);
    assert_true(gw_token_cache_get(c, h, 1000, now_us + SEC_US, &uid));
    assert_false(gw_token_cache_get(c, h, 2000, now_us + 2 * SEC_US, &uid));
    /* An already expired token is not stored at all. */
    gw_token_cache_put(c, h, 7, now_us - 1, gw_token_cache_epoch(c), 0, now_us);
    assert_false(gw_token_cache_get(c, h, 0, now_us, &uid));
    gw_token_cache_destroy(&c);
}

static void test_cache_revoke(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(64, 10000);
    uint8_t a[32], b[32];
    s_hash(a, 3);
    s_hash(b, 4);
    int64_t uid, now_us = 1000 * SEC_US, exp = now_us + 3600 * SEC_US;
    gw_token_cache_put(c, a, 1, exp, gw_token_cache_epoch(c), 0, now_us);
    gw_token_cache_put(c, b, 2, exp, gw_token_cache_epoch(c), 0, now_us);
    gw_token_cache_revoke(c, a);
    assert_false(gw_token_cache_get(c, a, 1, now_us, &uid));
    assert_true(gw_token_cache_get(c, b, 1, now_us, &uid));
    assert_int_equal(uid, 2);
    gw_token_cache_destroy(&c);
}

static void test_cache_verify_racing_a_revoke_is_dropped(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(64, 10000);
    uint8_t a[32];
    s_hash(a, 5);
    int64_t uid, now_us = 1000 * SEC_US;
    uint64_t epoch = gw_token_cache_epoch(c); /* read before asking pigeon-auth */
    gw_token_cache_revoke(c, a);              /* the revocation arrives meanwhile */
    gw_token_cache_put(c, a, 9, now_us + 3600 * SEC_US, epoch, 0, now_us);
    assert_false(gw_token_cache_get(c, a, 1, now_us, &uid));
    gw_token_cache_destroy(&c);
}

static void test_cache_bounded_with_eviction(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(4, 10000); /* one set of 4 ways */
    int64_t uid, now_us = 1000 * SEC_US, exp = now_us + 3600 * SEC_US;
    uint8_t h[32];
    for (unsigned i = 0; i < 6; i++) {
        s_hash(h, 100 + i);
        gw_token_cache_put(c, h, 100 + i, exp, gw_token_cache_epoch(c), (int64_t)i, now_us);
    }
    assert_int_equal(gw_token_cache_size(c, 10, now_us), 4);
    s_hash(h, 100); /* the oldest two were evicted */
    assert_false(gw_token_cache_get(c, h, 10, now_us, &uid));
    s_hash(h, 101);
    assert_false(gw_token_cache_get(c, h, 10, now_us, &uid));
    s_hash(h, 105);
    assert_true(gw_token_cache_get(c, h, 10, now_us, &uid));
    assert_int_equal(uid, 105);
    gw_token_cache_destroy(&c);
}

static void test_cache_disabled(void **state)
{
    gw_token_cache_t *c = gw_token_cache_new(64, 0);
    uint8_t h[32];
    s_hash(h, 6);
    int64_t uid;
    gw_token_cache_put(c, h, 1, 10 * SEC_US, gw_token_cache_epoch(c), 0, 0);
    assert_false(gw_token_cache_get(c, h, 0, 0, &uid));
    gw_token_cache_destroy(&c);
    gw_token_cache_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hit_then_ttl_expiry),
        cmocka_unit_test(test_cache_never_beyond_token_expiry),
        cmocka_unit_test(test_cache_revoke),
        cmocka_unit_test(test_cache_verify_racing_a_revoke_is_dropped),
        cmocka_unit_test(test_cache_bounded_with_eviction),
        cmocka_unit_test(test_cache_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
