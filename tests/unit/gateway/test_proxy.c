/* Trusted proxies and X-Forwarded-For. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static void s_client(const char *proxies, const char *peer, const char *xff, const char *want)
{
    char err[256] = "";
    gw_proxies_t *p = gw_proxies_parse(proxies, err, sizeof err);
    assert_non_null(p);
    gw_addr_t a;
    assert_true(gw_addr_parse(peer, strlen(peer), &a));
    char out[64];
    gw_client_ip(p, &a, xff, out, sizeof out);
    assert_string_equal(out, want);
    gw_proxies_destroy(&p);
    assert_null(p);
}

static void test_proxy_rightmost_untrusted(void **state)
{
    /* Behind one trusted load balancer: the client is the address it appended. */
    s_client("10.0.0.0/8", "10.1.2.3", "203.0.113.7", "203.0.113.7");
    /* A forged left part is ignored: the right-most untrusted entry wins. */
    s_client("10.0.0.0/8", "10.1.2.3", "1.1.1.1, 203.0.113.7", "203.0.113.7");
    /* Two trusted hops are skipped. */
    s_client("10.0.0.0/8,192.168.0.1", "10.1.2.3", "1.1.1.1, 198.51.100.9, 192.168.0.1",
             "198.51.100.9");
    /* Every hop trusted: the left-most one is the best we know. */
    s_client("10.0.0.0/8", "10.1.2.3", "10.9.9.9, 10.8.8.8", "10.9.9.9");
}

static void test_proxy_untrusted_peer_ignores_header(void **state)
{
    s_client("10.0.0.0/8", "203.0.113.50", "1.2.3.4", "203.0.113.50");
    s_client("", "203.0.113.50", "1.2.3.4", "203.0.113.50");
    s_client(NULL, "127.0.0.1", "1.2.3.4", "127.0.0.1");
    s_client("10.0.0.0/8", "10.0.0.1", NULL, "10.0.0.1");
}

static void test_proxy_ipv6_and_mapped(void **state)
{
    s_client("2001:db8::/32", "2001:db8::1", "2001:db8:1::5, 2a00:1450::1", "2a00:1450::1");
    s_client("127.0.0.1, ::1", "::1", "[2001:db8::7]:443", "2001:db8::7");
    /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. */
    s_client("10.0.0.0/8", "::ffff:10.0.0.1", "198.51.100.1:5555", "198.51.100.1");
    s_client("::ffff:10.0.0.0/104", "10.2.3.4", "198.51.100.2", "198.51.100.2");
}

static void test_proxy_garbage_stops_walk(void **state)
{
    s_client("10.0.0.0/8", "10.0.0.1", "1.2.3.4, nonsense", "10.0.0.1");
    s_client("10.0.0.0/8", "10.0.0.1", " , 10.0.0.2", "10.0.0.2");
}

static void test_proxy_parse_errors(void **state)
{
    char err[256];
    gw_proxies_t *p = gw_proxies_parse("10.0.0.0/33", err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "PIGEON_TRUSTED_PROXIES"));
    assert_null(gw_proxies_parse("example.com", err, sizeof err));
    assert_null(gw_proxies_parse("10.0.0.1/", err, sizeof err));
    assert_null(gw_proxies_parse("::1/129", err, sizeof err));
    p = gw_proxies_parse(" 10.0.0.1 , ,fd00::/8 ", err, sizeof err);
    assert_non_null(p);
    gw_addr_t a;
    assert_true(gw_addr_parse("fd12::1", 7, &a));
    assert_true(gw_proxies_trusts(p, &a));
    assert_true(gw_addr_parse("10.0.0.2", 8, &a));
    assert_false(gw_proxies_trusts(p, &a));
    gw_proxies_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_rightmost_untrusted),
        cmocka_unit_test(test_proxy_untrusted_peer_ignores_header),
        cmocka_unit_test(test_proxy_ipv6_and_mapped),
        cmocka_unit_test(test_proxy_garbage_stops_walk),
        cmocka_unit_test(test_proxy_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
