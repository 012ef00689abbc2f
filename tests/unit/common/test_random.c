/* test_random.c - hex identifiers and cache lifetimes from the CSPRNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

static void test_request_id(void **state)
{
    char a[33];
    char b[33];
    pc_random_hex(a, 16);
    pc_random_hex(b, 16);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

#define S_IDS 4096

static int s_cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void *s_draw_ids(void *arg)
{
    char(*ids)[33] = arg;
    for (int i = 0; i < S_IDS; i++)
        pc_random_hex(ids[i], 16);
    return NULL;
}

/* Ids come from a per-thread stream: none repeats within a thread or
 * between two threads (a stream keyed alike, or a nonce reused, would). */
static void test_ids_unique_across_threads(void **state)
{
    (void)state;
    char(*ids)[33] = calloc(2 * S_IDS, sizeof *ids);
    assert_non_null(ids);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_draw_ids, ids), 0);
    s_draw_ids(ids + S_IDS);
    pthread_join(t, NULL);
    qsort(ids, 2 * S_IDS, sizeof *ids, s_cmp_id);
    for (int i = 1; i < 2 * S_IDS; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_large_and_empty(void **state)
{
    char big[2 * 200 + 1];
    pc_random_hex(big, 200); /* more than one internal chunk */
    assert_int_equal(strlen(big), 400);
    assert_int_equal(strspn(big, "0123456789abcdef"), 400);
    char none[1] = {'x'};
    pc_random_hex(none, 0);
    assert_string_equal(none, "");
}

static void test_hex_encode(void **state)
{
    const unsigned char in[] = {0x00, 0x01, 0xab, 0xff};
    char out[9];
    pc_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "0001abff");
}

/* Every lifetime lies in [ttl/2, ttl], and they spread over that range
 * rather than sitting at one value. */
static void test_lifetime_spread(void **state)
{
    (void)state;
    int lo = 3000, hi = 0;
    for (int i = 0; i < 2000; i++) {
        int v = pc_random_lifetime_ms(3000);
        assert_in_range(v, 1500, 3000);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_true(lo < 1700 && hi > 2800);
    assert_int_equal(pc_random_lifetime_ms(0), 0);
    assert_int_equal(pc_random_lifetime_ms(1), 1);
    assert_in_range(pc_random_lifetime_ms(3), 1, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_id),      cmocka_unit_test(test_ids_unique_across_threads),
        cmocka_unit_test(test_large_and_empty), cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_lifetime_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
