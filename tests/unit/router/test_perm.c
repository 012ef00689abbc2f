/* test_perm.c - the may_message cache: hits, TTL off, invalidation and the
 * generation guard against answers fetched before a change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "router_perm.h"

static void test_put_then_get(void **state)
{
    (void)state;
    router_perm_t *p = router_perm_new(60000);
    uint64_t gen;
    assert_int_equal(router_perm_get(p, 1, 2, &gen), -1);
    router_perm_put(p, 1, 2, true, gen);
    assert_int_equal(router_perm_get(p, 1, 2, &gen), 1);
    assert_int_equal(router_perm_get(p, 2, 1, &gen), -1); /* directions differ */
    router_perm_put(p, 2, 1, false, gen);
    assert_int_equal(router_perm_get(p, 2, 1, &gen), 0);
    router_perm_destroy(&p);
    assert_null(p);
}

static void test_invalidate_drops_both_directions(void **state)
{
    (void)state;
    router_perm_t *p = router_perm_new(60000);
    uint64_t gen;
    router_perm_get(p, 1, 2, &gen);
    router_perm_put(p, 1, 2, true, gen);
    router_perm_put(p, 2, 1, true, gen);
    router_perm_put(p, 1, 3, true, gen);
    router_perm_invalidate(p, 1, 2);
    assert_int_equal(router_perm_get(p, 1, 2, &gen), -1);
    assert_int_equal(router_perm_get(p, 2, 1, &gen), -1);
    assert_int_equal(router_perm_get(p, 1, 3, &gen), 1);
    router_perm_destroy(&p);
}

static void test_stale_answer_not_stored(void **state)
{
    (void)state;
    router_perm_t *p = router_perm_new(60000);
    uint64_t gen;
    router_perm_get(p, 1, 2, &gen);  /* the answer is being fetched... */
    router_perm_invalidate(p, 1, 2); /* ...when a block arrives */
    router_perm_put(p, 1, 2, true, gen);
    assert_int_equal(router_perm_get(p, 1, 2, &gen), -1);
    router_perm_destroy(&p);
}

static void test_ttl_zero_disables(void **state)
{
    (void)state;
    router_perm_t *p = router_perm_new(0);
    uint64_t gen;
    router_perm_get(p, 1, 2, &gen);
    router_perm_put(p, 1, 2, true, gen);
    assert_int_equal(router_perm_get(p, 1, 2, &gen), -1);
    router_perm_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_then_get),
        cmocka_unit_test(test_invalidate_drops_both_directions),
        cmocka_unit_test(test_stale_answer_not_stored),
        cmocka_unit_test(test_ttl_zero_disables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
